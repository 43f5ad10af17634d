"""Case facts (CONTRACT.md, "Case facts"): checked, with their defaults filled in.

Every key is optional, and null counts as missing (so a chat slot not filled yet can be passed
as it is). A missing key takes its default and is remembered, so the decision can say which
defaults it relied on (`assumed`); for `consent` and `complained_about`, whose default is null,
only a missing key counts as assumed. A malformed value raises CaseFactsError, whose
message is one line naming the key (``incidents[1].date``) and whose ``key`` attribute holds it.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any, FrozenSet, NamedTuple, Optional, Tuple

from groundwork.dates import DateError, iso_date

BODIES = ("council", "police", "social_landlord", "private_landlord", "health", "other")
COMPLAINED_ABOUT = ("council", "police", "social_landlord")

TOP_LEVEL_KEYS = (
    "as_of",
    "emergency",
    "asb_ongoing",
    "incidents",
    "incidents_related",
    "on_behalf",
    "consent",
    "staff_conduct",
    "complaint_completed",
    "complained_about",
    "previous_review",
)
INCIDENT_KEYS = ("date", "reported_to", "reported_on", "reference", "hate")
# An incident's details that have a default, listed in `assumed` as incidents[N].NAME.
INCIDENT_DEFAULTS = ("reported_to", "reported_on", "hate")
_TOP_LEVEL_KEY_SET = frozenset(TOP_LEVEL_KEYS)
_INCIDENT_KEY_SET = frozenset(INCIDENT_KEYS)
_BODY_SET = frozenset(BODIES)
_NULL_IS_AN_ANSWER = ("consent", "complained_about")
_BOOLEAN_DEFAULTS = {
    "emergency": False,
    "asb_ongoing": True,
    "incidents_related": True,
    "on_behalf": False,
    "staff_conduct": False,
    "complaint_completed": False,
    "previous_review": False,
}
# The contract's defaults for yes/no facts: what a missing answer means (and is listed in `assumed`).
BOOLEAN_DEFAULTS = dict(_BOOLEAN_DEFAULTS)
_JSON_TYPE_NAMES = {
    str: "text",
    int: "a number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "an object",
    type(None): "null",
}


class CaseFactsError(ValueError):
    """Malformed case facts. ``key`` names the offending key (None: the facts as a whole)."""

    def __init__(self, key: Optional[str], problem: str):
        super().__init__(f"{key}: {problem}" if key else problem)
        self.key = key
        self.problem = problem


class Incident(NamedTuple):
    index: int
    date: dt.date
    reported_to: FrozenSet[str]
    reported_on: dt.date
    reference: Optional[str]
    hate: bool
    defaulted: Tuple[str, ...]  # which of reported_to, reported_on, hate took their default

    def key(self, name: str) -> str:
        return f"incidents[{self.index}].{name}"


class CaseFacts(NamedTuple):
    as_of: dt.date
    emergency: bool
    asb_ongoing: bool
    incidents: Tuple[Incident, ...]
    incidents_related: bool
    on_behalf: bool
    consent: Optional[bool]
    staff_conduct: bool
    complaint_completed: bool
    complained_about: Optional[str]
    previous_review: bool
    defaulted: FrozenSet[str]  # top-level keys that took their default


def parse_case_facts(raw: Any, today: dt.date) -> CaseFacts:
    """Check ``raw`` (a dict as in CONTRACT.md) and fill in defaults. ``today`` bounds ``as_of``."""
    if not isinstance(raw, dict):
        raise CaseFactsError(None, f"case facts must be a JSON object, not {_type_name(raw)}")
    if not _TOP_LEVEL_KEY_SET.issuperset(raw):
        key = next(key for key in raw if key not in _TOP_LEVEL_KEY_SET)
        raise CaseFactsError(
            str(key),
            "unknown key" + _did_you_mean(key, TOP_LEVEL_KEYS) + f"; the case facts keys are {', '.join(TOP_LEVEL_KEYS)}",
        )
    defaulted = [key for key in TOP_LEVEL_KEYS if key not in raw or (raw[key] is None and key not in _NULL_IS_AN_ANSWER)]

    if raw.get("as_of") is not None:
        as_of = _date(raw["as_of"], "as_of")
        if as_of > today:
            raise CaseFactsError("as_of", f"{as_of.isoformat()} lies in the future (today is {today.isoformat()})")
    else:
        as_of = today

    booleans = {}
    for key, default in _BOOLEAN_DEFAULTS.items():
        value = raw.get(key)
        if value is None:
            value = default
        elif value.__class__ is not bool:
            raise CaseFactsError(key, f"must be true or false, not {_shown(value)}")
        booleans[key] = value

    consent = raw.get("consent")
    if consent is not None and consent.__class__ is not bool:
        raise CaseFactsError("consent", f"must be true (given), false (refused) or null (not asked yet), not {_shown(consent)}")

    complained_about = raw.get("complained_about")
    if complained_about is not None and complained_about not in COMPLAINED_ABOUT:
        if not isinstance(complained_about, str):
            raise CaseFactsError(
                "complained_about", f"must be one of {', '.join(COMPLAINED_ABOUT)} or null, not {_shown(complained_about)}"
            )
        raise CaseFactsError(
            "complained_about",
            f"unknown organisation {complained_about!r}"
            + _did_you_mean(complained_about, COMPLAINED_ABOUT)
            + f"; use {', '.join(COMPLAINED_ABOUT)} or null",
        )

    raw_incidents = raw.get("incidents")
    if raw_incidents is None:
        raw_incidents = ()
    if not isinstance(raw_incidents, (list, tuple)):
        raise CaseFactsError("incidents", f"must be a list of incidents, not {_shown(raw_incidents)}")
    incidents = tuple(_incident(index, item, as_of) for index, item in enumerate(raw_incidents))

    return CaseFacts(
        as_of=as_of,
        incidents=incidents,
        consent=consent,
        complained_about=complained_about,
        defaulted=frozenset(defaulted),
        **booleans,
    )


def _incident(index: int, raw: Any, as_of: dt.date) -> Incident:
    where = f"incidents[{index}]"
    if not isinstance(raw, dict):
        raise CaseFactsError(
            where,
            f'each incident must be an object such as {{"date": "2026-09-02", "reported_to": ["police"]}}, not {_type_name(raw)}',
        )
    if not _INCIDENT_KEY_SET.issuperset(raw):
        key = next(key for key in raw if key not in _INCIDENT_KEY_SET)
        raise CaseFactsError(
            f"{where}.{key}",
            "unknown key" + _did_you_mean(key, INCIDENT_KEYS) + f"; an incident's keys are {', '.join(INCIDENT_KEYS)}",
        )
    if raw.get("date") is None:
        raise CaseFactsError(f"{where}.date", "missing: every incident needs the date it happened (YYYY-MM-DD)")
    date = _date(raw["date"], f"{where}.date")
    if date > as_of:
        raise CaseFactsError(
            f"{where}.date", f"{date.isoformat()} lies after as_of ({as_of.isoformat()}): an incident cannot be in the future"
        )
    defaulted = []

    if raw.get("reported_to") is not None:
        bodies = raw["reported_to"]
        if not isinstance(bodies, (list, tuple)):
            raise CaseFactsError(
                f"{where}.reported_to", f"must be a list such as [\"police\", \"council\"], not {_shown(bodies)}"
            )
        for body in bodies:
            if body.__class__ is not str or body not in _BODY_SET:
                if not isinstance(body, str):
                    raise CaseFactsError(
                        f"{where}.reported_to", f"each entry must be one of {', '.join(BODIES)}, not {_shown(body)}"
                    )
                raise CaseFactsError(
                    f"{where}.reported_to",
                    f"unknown organisation {body!r}" + _did_you_mean(body, BODIES) + f"; use {', '.join(BODIES)}",
                )
        reported_to = frozenset(bodies)
    else:
        reported_to = frozenset()
        defaulted.append("reported_to")

    if raw.get("reported_on") is not None:
        reported_on = _date(raw["reported_on"], f"{where}.reported_on")
        if reported_on > as_of:
            raise CaseFactsError(
                f"{where}.reported_on",
                f"{reported_on.isoformat()} lies after as_of ({as_of.isoformat()}): a report cannot be in the future",
            )
        if reported_on < date:
            raise CaseFactsError(
                f"{where}.reported_on", f"{reported_on.isoformat()} is before the incident itself ({date.isoformat()})"
            )
    else:
        reported_on = date
        defaulted.append("reported_on")

    reference = raw.get("reference")
    if reference is not None and not isinstance(reference, str):
        raise CaseFactsError(f"{where}.reference", f"must be text or null, not {_shown(reference)}")

    hate = raw.get("hate")
    if hate is None:
        hate = False
        defaulted.append("hate")
    elif hate.__class__ is not bool:
        raise CaseFactsError(f"{where}.hate", f"must be true or false, not {_shown(hate)}")

    return Incident(index, date, reported_to, reported_on, reference, hate, tuple(defaulted))


def _date(value: Any, key: str) -> dt.date:
    """groundwork's one ISO reading, with a message for each way a value is not a date."""
    try:
        return iso_date(value, key)
    except DateError as error:
        if isinstance(value, dt.datetime):  # from a Python caller: the day it names
            return value.date()
        if not isinstance(value, str):
            raise CaseFactsError(key, f"must be a date as YYYY-MM-DD, not {_shown(value)}") from None
        if error.no_such_day:
            raise CaseFactsError(key, f"{value!r} is not a real date ({error.no_such_day})") from None
        raise CaseFactsError(key, f"{value[:40]!r} is not a date: write it as YYYY-MM-DD, for example 2026-09-02") from None


def _type_name(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    """A value as the person wrote it, briefly: text 'yes', the number 3, null, a list."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"text {text!r}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return _type_name(value)


def _did_you_mean(word: Any, choices: Tuple[str, ...]) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word.lower().replace("-", "_").replace(" ", "_"), choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
