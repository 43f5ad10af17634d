"""A partnership file checked: its shape against partnerships/schema.json (jsonschema), then in
code what a schema cannot say. Every mistake is one PartnershipError naming the file and the
place in it (``erewash.yml: parameters.threshold.values.2014-10-20.value: ...``), found when
the file loads, not mid-conversation.

The cross-checks in code: the name matches the file; dates are real and listed oldest first;
the law's floor (rules/statute.py: no threshold above three, no window under six months, at
any date); every rule of rules/ruleset.py has its reason, quoting the policy sentences it
applies, and every route its title, summary and next steps; the apply route's next steps quote
the acknowledgement promise (so the days a resident reads are the days acknowledge_by counts);
every default a decision can rely on (rules/facts.py) has its sentence under `assumed`; texts
mention only values a decision has, and every text can be filled in.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Dict, Tuple

import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match

from groundwork.dates import DateError, iso_date
from rules import ruleset, statute
from rules.facts import BODIES, INCIDENT_DEFAULTS, TOP_LEVEL_KEYS
from rules.in_force import Parameter, PartnershipTexts, Value, namespace
from rules.texts import Text, TextError, parse_text

SCHEMA_PATH = Path(__file__).resolve().parent / "partnerships" / "schema.json"
_VALIDATOR = Draft7Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))

# What a text can mention. These are fixed once the partnership, the policy in force and the
# organisation complained about are known, so such sentences are prepared once, not per decision.
STATIC_VALUES = ("partnership", "policy", "contacts", "complaints", "about")
# These come from each decision (rules/decision.py); the examples fill every text when a file loads.
DECISION_VALUES: Dict[str, Any] = {
    "as_of": "25 November 2026",
    "window_start": "25 May 2026",
    "threshold": 3,
    "qualifying": 2,
    "qualifying_phrase": "2 related incidents",
    "in_window_phrase": "2 related incidents",
    "more_needed_phrase": "1 more related incident",
    "oldest_report": "3 June 2026",
    "oldest_leaves_window": "4 December 2026",
    "more_needed_after_phrase": "2 more related incidents",
    "hate_report": "3 October 2026",
    "not_counted_phrase": "1 incident was",
    "before_window_phrase": "1 incident was",
    "private_landlord_phrase": "1 incident was",
}
# Conditions a sentence can depend on (`if:` / `unless:`).
FLAGS = (
    "about",
    "asb_stopped",
    "private_landlord_only",
    "unrelated",
    "not_counted",
    "before_window",
    "on_behalf",
    "consent_refused",
    "single_hate_incident",
    "oldest_leaves_soon",
)
TEXT_NAMES = STATIC_VALUES + tuple(DECISION_VALUES)
ACKNOWLEDGEMENT = "acknowledgement_working_days"  # the parameter behind an application's acknowledge_by


class PartnershipError(ValueError):
    """An unknown partnership, or a partnership file that is not right (message says where)."""


def checked(name: str, path: Path, content: bytes) -> Dict[str, Any]:
    """The file's data, checked, with parameters and texts ready for rules/partnership.py."""
    where = path.name
    data = _read_yaml(content, where)
    _check_shape(data, where)
    if data["name"] != name:
        raise PartnershipError(f"{where}: name is {data['name']!r} but the file is called {name}.yml")
    parameters = _parameters(data["parameters"], where)
    _check_the_law(parameters, where)
    reasons, outcomes = _texts(data, parameters, where)
    contacts = {key: {k: str(v) for k, v in entry.items()} for key, entry in data["contacts"].items()}
    titles = {route: " ".join(data["outcomes"][route]["title"].split()) for route in ruleset.ROUTES}
    texts = PartnershipTexts(
        data["display_name"],
        contacts,
        data["complaints"],
        reasons,
        outcomes,
        titles,
        _assumed(data["assumed"], where),
        {code: data["bodies"][code] for code in BODIES},
    )
    _try_every_text(texts, parameters, where)
    return {
        "name": data["name"],
        "display_name": data["display_name"],
        "full_name": data.get("full_name") or data["display_name"],
        "parameters": parameters,
        "texts": texts,
    }


def _read_yaml(content: bytes, where: str) -> Any:
    try:
        data = yaml.load(content, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise PartnershipError(f"{where}: not valid YAML{at}: {problem}") from None
    except ValueError as error:  # a date such as 2014-13-20 that YAML cannot make a date of
        raise PartnershipError(f"{where}: a date in the file is not a date ({error})") from None
    return _as_json(data)


def _as_json(value: Any) -> Any:
    """YAML's values as JSON has them: dates (also as keys) as YYYY-MM-DD text, keys as text."""
    if isinstance(value, dict):
        return {_as_json(key) if isinstance(key, dt.date) else str(key): _as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _check_shape(data: Any, where: str) -> None:
    error = best_match(_VALIDATOR.iter_errors(data))
    if error is None:
        return
    place = _place(error.absolute_path)
    said = error.schema.get("errorMessage") if isinstance(error.schema, dict) else None
    if error.validator == "required":
        missing = next(key for key in error.validator_value if key not in error.instance)
        at = f"{place}.{missing}" if place else missing
        raise PartnershipError(f"{where}: {at} is missing" + (f": {said}" if said else ""))
    at = f"{where}: {place}" if place else where
    raise PartnershipError(f"{at}: {said} ({error.message})" if said else f"{at}: {error.message}")


def _place(path) -> str:
    """A place in the file as a text names it: parameters.threshold.values.2014-10-20, reasons.emergency[1]."""
    place = ""
    for part in path:
        place += f"[{part}]" if isinstance(part, int) else (f".{part}" if place else str(part))
    return place


def _parameters(raw: Dict[str, Any], where: str) -> Dict[str, Parameter]:
    wanted = sorted({name for rule in ruleset.RULES for name in rule.policy})
    for name in wanted:
        if name not in raw:
            raise PartnershipError(f"{where}: parameters.{name} is missing (rules/ruleset.py quotes its policy)")
    parameters = {}
    for name, spec in raw.items():
        values = []
        for since, entry in spec["values"].items():
            at = f"{where}: parameters.{name}.values.{since}"
            try:
                day = iso_date(since)
            except DateError:
                raise PartnershipError(f"{at}: {since!r} is not a date (YYYY-MM-DD)") from None
            if values and day <= values[-1].since:
                raise PartnershipError(
                    f"{at}: listed after {values[-1].since.isoformat()}; list the values oldest first, each under its own date"
                )
            value = entry.get("value")
            if name == "counting_bodies":
                value = tuple(value)
            values.append(Value(day, value, " ".join(entry["policy"].split()), " ".join(entry["reference"].split())))
        parameters[name] = Parameter(name, spec.get("description"), tuple(values))
    return parameters


def _check_the_law(parameters: Dict[str, Parameter], where: str) -> None:
    """No partnership counts less than s.104 does, at any date (rules/statute.py)."""
    for entry in parameters["threshold"].values:
        if entry.value > statute.HIGHEST_THRESHOLD:
            raise PartnershipError(
                f"{where}: parameters.threshold.values.{entry.since.isoformat()}.value: a threshold of "
                f"{entry.value} is above the law's: three qualifying complaints meet it, or a lower number "
                f"set locally ({statute.THRESHOLD_REFERENCE})"
            )
    for entry in parameters["window_months"].values:
        if entry.value < statute.WINDOW_MONTHS:
            raise PartnershipError(
                f"{where}: parameters.window_months.values.{entry.since.isoformat()}.value: a window of "
                f"{entry.value} months is shorter than the law's: a complaint counts towards the threshold of "
                f"{statute.THRESHOLD_REFERENCE} when the application comes within {statute.WINDOW_MONTHS} "
                f"months of the behaviour ({statute.QUALIFYING_REFERENCE})"
            )


def _text(raw: Any, place: str) -> Text:
    try:
        return parse_text(raw, place, TEXT_NAMES, FLAGS)
    except TextError as error:
        raise PartnershipError(str(error)) from None


def _texts(data: Dict[str, Any], parameters: Dict[str, Parameter], where: str) -> Tuple[dict, dict]:
    raw_reasons, raw_outcomes = data["reasons"], data["outcomes"]
    reasons = {}
    for rule in ruleset.RULES:
        if rule.name not in raw_reasons:
            raise PartnershipError(f"{where}: reasons.{rule.name} is missing (what the rule found, in words)")
        text = _text(raw_reasons[rule.name], f"{where}: reasons.{rule.name}")
        quoted = text.quoted("policy")
        for name in rule.policy:
            if name not in quoted:
                raise PartnershipError(f"{where}: reasons.{rule.name} must quote its policy sentence {{policy.{name}}}")
        for name in sorted(quoted - set(parameters)):
            raise PartnershipError(f"{where}: reasons.{rule.name} quotes {{policy.{name}}}, which is not a parameter")
        reasons[rule.name] = text
    for name in sorted(set(raw_reasons) - set(reasons)):
        raise PartnershipError(f"{where}: reasons.{name} is not a rule (rules: {', '.join(r.name for r in ruleset.RULES)})")
    outcomes = {}
    for route in ruleset.ROUTES:
        if route not in raw_outcomes:
            raise PartnershipError(f"{where}: outcomes.{route} needs a title, a summary and next_steps")
        entry = raw_outcomes[route]
        outcomes[route] = (
            _text(entry["summary"], f"{where}: outcomes.{route}.summary"),
            _text(entry["next_steps"], f"{where}: outcomes.{route}.next_steps"),
        )
    for name in sorted(set(raw_outcomes) - set(outcomes)):
        raise PartnershipError(f"{where}: outcomes.{name} is not a route ({', '.join(ruleset.ROUTES)})")
    # The promise is dated like the days it states: quoting it keeps the words and the date together.
    if ACKNOWLEDGEMENT not in outcomes["apply"][1].quoted("policy"):
        raise PartnershipError(
            f"{where}: outcomes.apply.next_steps must quote {{policy.{ACKNOWLEDGEMENT}}}, "
            "the promise the application's acknowledge_by date is counted from"
        )
    return reasons, outcomes


# Every name a decision's `assumed` can hold: a case fact, or an incident's detail.
ASSUMABLE = TOP_LEVEL_KEYS + INCIDENT_DEFAULTS


def _assumed(raw: Dict[str, str], where: str) -> Dict[str, str]:
    """What each default means, one sentence for every default a decision can rely on."""
    for name in sorted(set(raw) - set(ASSUMABLE)):  # first: a misspelt name is also a missing one
        raise PartnershipError(f"{where}: assumed.{name} is not a default a decision can rely on ({', '.join(ASSUMABLE)})")
    for name in ASSUMABLE:
        if name not in raw:
            raise PartnershipError(
                f"{where}: assumed.{name} is missing: say what its default means, for a decision that relies on it"
            )
    return {name: " ".join(raw[name].split()) for name in ASSUMABLE}


def _try_every_text(texts: PartnershipTexts, parameters: Dict[str, Parameter], where: str) -> None:
    """Fill every sentence with example values, so a misspelt {contacts.pcc.nmae} shows now."""
    policy = {name: parameter.values[-1].policy for name, parameter in parameters.items()}
    complaints = namespace(texts.complaints)
    values = dict(
        DECISION_VALUES,
        partnership=texts.display_name,
        policy=namespace(policy),
        contacts=namespace(texts.contacts),
        complaints=complaints,
        about=complaints.council,
    )
    every = [(f"reasons.{rule}", text) for rule, text in texts.reasons.items()]
    every += [(f"outcomes.{route}", text) for route, pair in texts.outcomes.items() for text in pair]
    for place, text in every:
        for sentence in text.sentences:
            try:
                sentence.text.format_map(values)
            except (AttributeError, KeyError, IndexError, ValueError, TypeError) as error:
                raise PartnershipError(f"{where}: {place}: cannot fill in {sentence.text!r} ({error})") from None
