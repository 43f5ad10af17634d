"""Scores the conversation on a blind set: `make eval` (or `python -m evaluation.blind SET`).

Each case in tests/blind/SET/*.yml is played by a simulated resident (evaluation/resident.py)
through the running bot's REST channel, exactly as a resident meets it, with today fixed at the
case's `as_of`. Prints the right-outcome rate (overall, per outcome, per kind), the facts right at
the first check, questions asked a third time with no progress, and the median turns to a
decision; `--misses` prints each wrong conversation. Nothing here is a test: the figures are
measured, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, Iterable, List

import requests
import yaml

from evaluation.resident import BLIND_SETS_PARTNERSHIP, Run, SimulatedResident
from groundwork.dates import iso_date
from groundwork.paths import ROOT

BLIND = ROOT / "tests" / "blind"


def load_set(name: str) -> List[Dict[str, Any]]:
    cases: List[Dict[str, Any]] = []
    for path in sorted((BLIND / name).glob("*.yml")):
        cases += yaml.safe_load(path.read_text(encoding="utf-8")) or []
    for case in cases:
        case["as_of"] = str(case.get("as_of") or case["facts"]["as_of"])
        case["facts"]["as_of"] = str(case["facts"].get("as_of") or case["as_of"])
    return cases


def rest_sender(rasa_url: str):
    def new_conversation():
        sender = f"blind-{uuid.uuid4().hex[:12]}"

        def send(text: str):
            response = requests.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
            response.raise_for_status()
            return response.json()

        return send

    return new_conversation


def in_process_sender(as_of: str):
    """The conversation engine called directly (bot/conversation), as the Rasa action calls it:
    the same words from bot/domain.yml, no servers. Fast enough to run on every change."""
    from bot.conversation import respond
    from bot.conversation.render import render

    today = iso_date(as_of, "as_of")

    def new_conversation():
        state = {}

        def send(text: str):
            nonlocal state
            turn = respond(state, text, today, BLIND_SETS_PARTNERSHIP)
            state = turn.state
            replies = [render(say) for say in turn.replies]
            if turn.start_application:
                replies.append({"text": "(application form)", "custom": {"ask": "applicant_name"}})
            return replies

        return send

    return new_conversation


def play(cases: Iterable[Dict[str, Any]], new_conversation) -> List[Run]:
    runs = []
    for case in cases:
        resident = SimulatedResident(case, new_conversation())
        try:
            runs.append(resident.converse())
        except requests.RequestException as error:
            resident.run.stuck = f"the bot did not answer: {error.__class__.__name__}"
            runs.append(resident.run)
    return runs


def report(cases: List[Dict[str, Any]], runs: List[Run], misses: bool = False) -> Dict[str, Any]:
    by_id = {str(c["id"]): c for c in cases}
    right = [r for r in runs if r.outcome == by_id[r.case_id]["expected_outcome"]]
    checked = [r for r in runs if r.facts_right_at_first_check is not None]
    decided = [r.turns for r in runs if r.outcome]
    per_outcome: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    per_kind: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    for run in runs:
        case = by_id[run.case_id]
        ok = int(run.outcome == case["expected_outcome"])
        per_outcome[case["expected_outcome"]][0] += ok
        per_outcome[case["expected_outcome"]][1] += 1
        for kind in case.get("kinds") or ["untagged"]:
            per_kind[kind][0] += ok
            per_kind[kind][1] += 1
    figures = {
        "conversations": len(runs),
        "right_outcome": len(right),
        "right_outcome_rate": round(len(right) / len(runs), 3) if runs else None,
        "facts_right_at_first_check": sum(1 for r in checked if r.facts_right_at_first_check),
        "material_facts_right_at_first_check": sum(1 for r in checked if r.material_facts_right_at_first_check),
        "shown_facts_right_at_first_check": sum(1 for r in checked if r.shown_facts_right_at_first_check),
        "conversations_with_a_check": len(checked),
        "third_asks_without_progress": sum(1 for r in runs if r.third_asks),
        "median_turns_to_decision": statistics.median(decided) if decided else None,
        "no_decision": sum(1 for r in runs if not r.outcome),
        "per_outcome": {k: f"{v[0]}/{v[1]}" for k, v in sorted(per_outcome.items())},
        "per_kind": {k: f"{v[0]}/{v[1]}" for k, v in sorted(per_kind.items())},
    }
    print(f"right outcome: {len(right)}/{len(runs)} = {figures['right_outcome_rate']:.1%}")
    if checked:
        print(
            f"facts right at the first check: {figures['facts_right_at_first_check']}/{len(checked)}"
            f" = {figures['facts_right_at_first_check'] / len(checked):.1%}"
            f" (everything shown right, what was never collected because the outcome cannot turn on it not counted: {figures['shown_facts_right_at_first_check']}/{len(checked)}"
            f" = {figures['shown_facts_right_at_first_check'] / len(checked):.1%};"
            f" what the outcome turns on: {figures['material_facts_right_at_first_check']}/{len(checked)}"
            f" = {figures['material_facts_right_at_first_check'] / len(checked):.1%})"
        )
    else:
        print("facts right at the first check: no check was shown")
    print(f"conversations asking a question a third time with no progress: {figures['third_asks_without_progress']}")
    print(f"median resident messages to a decision: {figures['median_turns_to_decision']}")
    print(f"no decision reached: {figures['no_decision']}")
    print("per expected outcome: " + ", ".join(f"{k} {v}" for k, v in figures["per_outcome"].items()))
    print("per kind: " + ", ".join(f"{k} {v}" for k, v in figures["per_kind"].items()))
    wrong = [r for r in runs if r.outcome != by_id[r.case_id]["expected_outcome"]]
    for run in wrong:
        case = by_id[run.case_id]
        print(
            f"  wrong: {run.case_id}: expected {case['expected_outcome']}, got {run.outcome}"
            + (f" ({run.stuck})" if run.stuck else "")
        )
        if misses:
            print("\n".join("      " + line for line in run.transcript))
            print(f"      first check differed in: {run.checks[0] if run.checks else 'no check'}")
    return figures


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", nargs="?", default="first", help="folder under tests/blind (default: first)")
    parser.add_argument("--rasa-url", help="a running Rasa server to use instead of starting the stack")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="call the conversation engine directly instead of through Rasa (for quick checks)",
    )
    parser.add_argument("--misses", action="store_true", help="print each wrong conversation")
    parser.add_argument("--only", help="comma-separated case ids")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    cases = load_set(args.set)
    if args.only:
        wanted = set(args.only.split(","))
        cases = [c for c in cases if str(c["id"]) in wanted]
    if not cases:
        print(f"no cases in {BLIND / args.set}", file=sys.stderr)
        return 2
    runs: List[Run] = []
    for as_of in sorted({c["as_of"] for c in cases}):
        group = [c for c in cases if c["as_of"] == as_of]
        if args.rasa_url:
            runs += play(group, rest_sender(args.rasa_url))
            continue
        if args.in_process:
            runs += play(group, in_process_sender(as_of))
            continue
        runs += _with_stack(as_of, group)
    figures = report(cases, runs, misses=args.misses)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


def _with_stack(as_of: str, cases: List[Dict[str, Any]]) -> List[Run]:
    import tempfile

    from asbcr.stack import Stack, free_port

    with tempfile.TemporaryDirectory(prefix="asbcr-eval-") as tmp:
        env = dict(os.environ, ASBCR_TODAY=as_of, ASBCR_DATABASE_URL=f"sqlite:///{Path(tmp) / 'applications.db'}")
        env.pop("ASBCR_TRACKER_URL", None)
        env.pop("ASBCR_LOCK_URL", None)
        stack = Stack(var=Path(tmp), env=env, rasa_port=free_port(), actions_port=free_port(), with_web=False)
        stack.start()
        try:
            return play(cases, rest_sender(stack.rasa_url))
        finally:
            stack.stop()


if __name__ == "__main__":
    sys.exit(main())
