"""`asbcr check`: decide cases from the command line (CONTRACT.md, `asbcr`).

    asbcr check case.json                 one case, or a list of cases
    asbcr check --explain < case.json     with the rule trace in words
    asbcr check --incident 2026-10-01:police --incident 2026-10-20:council,police \\
                --on-behalf --consent no  a quick case by hand

Every malformed input ends with one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from typing import Any, List, Optional

from groundwork import clock
from groundwork.errors import CommandError
from rules.decision import decide
from rules.engine import RuleEngineError
from rules.facts import BODIES, COMPLAINED_ABOUT, CaseFactsError
from rules.partnership import ENV_VAR, Partnership, PartnershipError, configured_name, load_partnership

_BOOLEAN_FLAGS = (
    ("emergency", "someone is in immediate danger now"),
    ("asb_ongoing", "the behaviour has not stopped (--no-asb-ongoing: it has stopped)"),
    ("incidents_related", "the incidents are about the same problem"),
    ("on_behalf", "applying for someone else"),
    ("staff_conduct", "the grievance is how staff or the organisation behaved"),
    ("complaint_completed", "the complaints procedure has been followed to its end"),
    ("previous_review", "a case review already happened and the person is unhappy with it"),
)
_CONSENT = {"yes": True, "no": False, "not-asked": None}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="decide case facts: can this person apply for an ASB Case Review?",
        description="Read case facts (JSON: one object, or a list of them) from FILE or stdin, or build "
        "one case from the options below, and print the decision as JSON.",
        epilog="example: asbcr check --incident 2026-10-01:police --incident 2026-10-20:council,police --on-behalf --consent no",
    )
    parser.add_argument("file", nargs="?", metavar="FILE", help="case facts as JSON (default: stdin; - for stdin)")
    parser.add_argument("--explain", action="store_true", help="add the rule trace in words")
    parser.add_argument(
        "--partnership", metavar="NAME", help=f"whose policy to apply (default: ${ENV_VAR}, as for the whole service)"
    )
    facts = parser.add_argument_group("case facts by hand (instead of FILE)")
    facts.add_argument("--as-of", metavar="YYYY-MM-DD", help="the date of the decision (default: today)")
    facts.add_argument(
        "--incident",
        action="append",
        default=[],
        metavar="DATE[:BODIES][:REPORTED_ON][:hate]",
        help="an incident: the date it happened, who it was reported to (comma-separated: "
        f"{', '.join(BODIES)}), optionally the date it was reported and 'hate'; repeat "
        "for each incident",
    )
    for key, help_text in _BOOLEAN_FLAGS:
        facts.add_argument(
            "--" + key.replace("_", "-"), dest=key, action=argparse.BooleanOptionalAction, default=None, help=help_text
        )
    facts.add_argument("--consent", choices=tuple(_CONSENT), help="the consent of the person applied for")
    facts.add_argument("--complained-about", choices=COMPLAINED_ABOUT, help="who the complaint is about")
    parser.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    try:
        today = clock.today()  # a malformed ASBCR_TODAY is the user's to fix: say so in one line
    except ValueError as error:
        raise CommandError(str(error)) from None
    try:
        partnership = load_partnership(args.partnership or configured_name())
    except PartnershipError as error:
        raise CommandError(str(error)) from None

    by_hand = _facts_from_options(args)
    if by_hand is not None:
        if args.file is not None:
            raise CommandError("give case facts either as FILE (or stdin) or with the options, not both")
        cases: Any = by_hand
    else:
        cases = _read_json(args.file)

    try:
        if isinstance(cases, list):
            output: Any = _decide_all(cases, partnership, today, args.explain)
        else:
            output = _decide_one(cases, partnership, today, args.explain)
    except RuleEngineError as error:
        print(f"asbcr: internal error in the rule set (please report it): {error}", file=sys.stderr)
        return 1
    _print(json.dumps(output, indent=2, ensure_ascii=False))
    return 0


def _decide_one(facts: Any, partnership: Partnership, today: dt.date, explain: bool) -> dict:
    try:
        return decide(facts, partnership, today, explain=explain)
    except CaseFactsError as error:
        raise CommandError(str(error)) from None


def _decide_all(cases: list, partnership: Partnership, today: dt.date, explain: bool) -> List[dict]:
    decisions, problems = [], []
    for number, facts in enumerate(cases, start=1):
        try:
            decisions.append(decide(facts, partnership, today, explain=explain))
        except CaseFactsError as error:
            problems.append(f"case {number} of {len(cases)}: {error}")
    if problems:
        more = (
            f" (and {len(problems) - 1} more case{'s' if len(problems) > 2 else ''} with problems)" if len(problems) > 1 else ""
        )
        raise CommandError(problems[0] + more)
    return decisions


def _read_json(path: Optional[str]) -> Any:
    if path is None or path == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise CommandError(
                "no case facts: give a FILE, pipe JSON to stdin, or use --incident and the other options (asbcr check --help)"
            )
        name = "stdin"
        try:
            text = sys.stdin.buffer.read()
        except OSError as error:
            raise CommandError(f"cannot read stdin: {error.strerror or error}") from None
    else:
        name = path
        try:
            with open(path, "rb") as handle:
                text = handle.read()
        except IsADirectoryError:
            raise CommandError(f"{path} is a folder, not a file of case facts") from None
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        text = text.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError(f"{name} is not UTF-8 text") from None
    if not text.strip():
        raise CommandError(f"no case facts: {name} is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"{name} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:
        raise CommandError(f"{name} is not usable JSON: nested too deeply") from None
    if not isinstance(data, (dict, list)):
        raise CommandError(f"{name}: case facts must be a JSON object, or a list of them")
    return data


def _facts_from_options(args: argparse.Namespace) -> Optional[dict]:
    facts: dict = {}
    if args.as_of is not None:
        facts["as_of"] = args.as_of
    if args.incident:
        facts["incidents"] = [_incident(spec, number) for number, spec in enumerate(args.incident, start=1)]
    for key, _ in _BOOLEAN_FLAGS:
        if getattr(args, key) is not None:
            facts[key] = getattr(args, key)
    if args.consent is not None:
        facts["consent"] = _CONSENT[args.consent]
    if args.complained_about is not None:
        facts["complained_about"] = args.complained_about
    return facts or None


def _incident(spec: str, number: int) -> dict:
    """DATE[:BODY,BODY...][:REPORTED_ON][:hate], for example 2026-10-20:council,police:2026-10-21."""
    parts = spec.split(":")
    incident: dict = {"date": parts[0]}
    if len(parts) > 1:
        incident["reported_to"] = [body.strip().replace("-", "_") for body in parts[1].split(",") if body.strip()]
    for extra in parts[2:]:
        if extra.strip().lower() == "hate":
            incident["hate"] = True
        elif extra.strip() and "reported_on" not in incident:
            incident["reported_on"] = extra.strip()
        else:
            raise CommandError(
                f"--incident {spec!r} (incident {number}): expected "
                "DATE[:BODIES][:REPORTED_ON][:hate], for example 2026-10-20:council,police"
            )
    return incident


def _print(text: str) -> None:
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (head, less) went away: nothing more to say, and no traceback at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
