"""A simulated resident who holds a blind case's true facts and answers as its writer said they would.

It opens with the case's own words, answers each question (`custom.ask`) with the case's answer
for it, and answers "check your answers" truthfully: it compares the facts shown with its true
facts and, where they differ, types the case's own correction for that area. It never invents
words of its own except "yes, that's right" to confirm a correct check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from dateutil.relativedelta import relativedelta

from groundwork.dates import iso_date

Reply = Dict[str, Any]
# Sends one message, returns the bot's replies (REST channel shape).
Send = Callable[[str], List[Reply]]

CONFIRM = "yes, that's right"
DATE_TOLERANCE_DAYS = 3  # "mid June" read as the 14th is still right
NOT_COUNTING = {"private_landlord", "other"}
# The blind sets are written from Erewash's policy (tests/blind/BRIEF.md), whatever the service runs.
BLIND_SETS_PARTNERSHIP = "erewash"
DEFAULTS = {
    "emergency": False,
    "asb_ongoing": True,
    "incidents_related": True,
    "on_behalf": False,
    "consent": None,
    "staff_conduct": False,
    "complaint_completed": False,
    "previous_review": False,
}
# The questions about the case facts (CONTRACT.md, Chat: `ask`); a case has its resident's answer to each.
FACT_QUESTIONS = frozenset(
    {
        "concern",
        "emergency",
        "asb_ongoing",
        "reported",
        "incident_count",
        "incident_dates",
        "reported_to",
        "incidents_related",
        "on_behalf",
        "consent",
        "complaint_completed",
        "complained_about",
        "previous_review",
    }
)
# The areas of a check, in the order a resident reads them; each has the case's own correction.
AREAS = (
    "incidents",
    "asb_ongoing",
    "on_behalf",
    "consent",
    "staff_conduct",
    "complaint_completed",
    "previous_review",
    "incidents_related",
)
MAX_CORRECTIONS_PER_AREA = 2


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else iso_date(value)


def _report_date(incident: Mapping[str, Any]) -> dt.date:
    return _date(incident.get("reported_on") or incident["date"])


def _bodies(incident: Mapping[str, Any]) -> frozenset:
    return frozenset("not_counting" if b in NOT_COUNTING else b for b in incident.get("reported_to") or [])


def _close(a: dt.date, b: dt.date, edge: dt.date) -> bool:
    if min(abs((a - edge).days), abs((b - edge).days)) <= DATE_TOLERANCE_DAYS:
        return a == b  # near the window's edge only the exact day is right
    return abs((a - b).days) <= DATE_TOLERANCE_DAYS


COUNTING = {"council", "police", "social_landlord", "health"}


def incidents_agree(
    shown: Sequence[Mapping[str, Any]], true: Sequence[Mapping[str, Any]], as_of: dt.date, material: bool = False
) -> bool:
    """The incidents reported in the window (give or take the tolerance) match one for one: each
    date and who was told. `material`: only what the outcome turns on, the dates of the incidents
    told to a body that counts."""
    edge = as_of - relativedelta(months=6)
    since = edge - dt.timedelta(days=DATE_TOLERANCE_DAYS + 7)

    def relevant(incidents):
        return sorted(
            (i for i in incidents if _report_date(i) >= since and (not material or COUNTING & set(i.get("reported_to") or []))),
            key=_report_date,
        )

    a, b = relevant(shown), relevant(true)
    if len(a) != len(b):
        return False
    return all(_close(_report_date(x), _report_date(y), edge) and (material or _bodies(x) == _bodies(y)) for x, y in zip(a, b))


def differing_areas(
    shown: Mapping[str, Any], true: Mapping[str, Any], material: bool = False, shown_only: bool = False
) -> List[str]:
    """The check's areas where the facts shown are not the true ones, in reading order.
    `shown_only`: incidents, consent, for whom or whether it goes on, never collected because the outcome cannot turn on
    them (an appeal, an ombudsman case), are not counted as wrong; everything shown must be right."""
    as_of = _date(true.get("as_of") or shown.get("as_of"))

    def value(facts, key):
        return DEFAULTS[key] if facts.get(key) is None else facts[key]

    wrong = []
    for area in AREAS:
        if material and not _outcome_turns_on(true, area):
            continue
        if area == "incidents":
            if shown_only and "incidents" not in shown and not _outcome_turns_on(true, area):
                continue
            if not incidents_agree(shown.get("incidents") or [], true.get("incidents") or [], as_of, material):
                wrong.append(area)
        elif area == "consent":
            if shown_only and shown.get("consent") is None and not _outcome_turns_on(true, area):
                continue  # not asked because the outcome cannot turn on it
            if value(true, "on_behalf") and value(shown, "on_behalf") and value(shown, "consent") != value(true, "consent"):
                wrong.append(area)
        elif (
            area in ("on_behalf", "asb_ongoing") and shown_only and shown.get(area) is None and not _outcome_turns_on(true, area)
        ):
            continue  # not asked because the outcome cannot turn on it, and not shown
        elif area == "complaint_completed":
            if value(true, "staff_conduct") and bool(value(shown, area)) != bool(value(true, area)):
                wrong.append(area)
        elif bool(value(shown, area)) != bool(value(true, area)):
            wrong.append(area)
    return wrong


def _outcome_turns_on(true: Mapping[str, Any], area: str) -> bool:
    """Could this area of the true facts change the outcome, the others as they truly are?"""
    from rules.asking import worth_asking

    facts = {k: (str(v) if k == "as_of" else v) for k, v in true.items() if k != area}
    facts["incidents"] = (
        [{k: str(v) if k in ("date", "reported_on") else v for k, v in i.items()} for i in (true.get("incidents") or [])]
        if area != "incidents"
        else []
    )
    return worth_asking(facts, area, BLIND_SETS_PARTNERSHIP, iso_date(true["as_of"], "as_of"))  # the case's own day


def latest_custom(replies: Sequence[Reply], key: str) -> Any:
    for message in reversed(replies):
        value = (message.get("custom") or {}).get(key)
        if value is not None:
            return value
    return None


@dataclass
class Run:
    """What happened in one simulated conversation."""

    case_id: str
    outcome: Optional[str] = None
    decision: Optional[Dict[str, Any]] = None
    turns: int = 0  # messages the resident sent before the decision
    checks: List[List[str]] = field(default_factory=list)  # differing areas at each check shown
    material_checks: List[List[str]] = field(default_factory=list)  # the same, for what the outcome turns on
    shown_checks: List[List[str]] = field(default_factory=list)  # the same, not counting incidents never collected
    third_asks: List[str] = field(default_factory=list)  # a question asked a third time, no progress
    transcript: List[str] = field(default_factory=list)
    stuck: Optional[str] = None  # why the resident could not go on

    @property
    def facts_right_at_first_check(self) -> Optional[bool]:
        return (not self.checks[0]) if self.checks else None

    @property
    def shown_facts_right_at_first_check(self) -> Optional[bool]:
        return (not self.shown_checks[0]) if self.shown_checks else None

    @property
    def material_facts_right_at_first_check(self) -> Optional[bool]:
        return (not self.material_checks[0]) if self.material_checks else None


class SimulatedResident:
    def __init__(self, case: Mapping[str, Any], send: Send, max_turns: int = 30) -> None:
        self.case = case
        self.send = send
        self.max_turns = max_turns
        self.run = Run(case_id=str(case.get("id")))
        self._asides = {a["before_ask"]: a["text"] for a in case.get("asides") or []}
        self._corrections: Dict[str, int] = {}
        self._asked: Dict[Tuple[str, Any, str], int] = {}

    def _say(self, text: str) -> List[Reply]:
        self.run.turns += 1
        self.run.transcript.append(f"> {text}")
        replies = self.send(text)
        for message in replies:
            custom = {k: v for k, v in (message.get("custom") or {}).items() if k not in ("check", "decision")}
            self.run.transcript.append(f"  {message.get('text', '')}" + (f"  {custom}" if custom else ""))
        return replies

    def _answer_for(self, ask: str, incident: Any, replies: Sequence[Reply]) -> Optional[str]:
        per_incident = self.case.get("incident_answers") or []
        if isinstance(incident, int) and ask in ("incident_dates", "reported_to"):
            index = self._true_incident_index(replies, incident)
            if index is not None and index < len(per_incident):
                words = per_incident[index].get("when" if ask == "incident_dates" else "reported_to")
                if words:
                    return words
        return (self.case.get("answers") or {}).get(ask)

    def _true_incident_index(self, replies: Sequence[Reply], shown_index: int) -> Optional[int]:
        """The bot numbers incidents its own way: match its incident to ours by date."""
        shown = latest_custom(replies, "incident_date")
        true = (self.case.get("facts") or {}).get("incidents") or []
        if shown and true:
            return min(range(len(true)), key=lambda i: abs((_date(true[i]["date"]) - _date(shown)).days))
        return shown_index

    def _correct(self, shown: Mapping[str, Any]) -> str:
        wrong = differing_areas(shown, self.case["facts"])
        self.run.checks.append(wrong)
        self.run.material_checks.append(differing_areas(shown, self.case["facts"], material=True))
        self.run.shown_checks.append(differing_areas(shown, self.case["facts"], shown_only=True))
        for area in wrong:
            if self._corrections.get(area, 0) < MAX_CORRECTIONS_PER_AREA:
                self._corrections[area] = self._corrections.get(area, 0) + 1
                return self.case["check_corrections"][area]
        return CONFIRM  # corrected twice and still shown wrong: the resident gives up and confirms

    def converse(self) -> Run:
        replies = self._say(self.case["opening"])
        while self.run.turns < self.max_turns:
            decision = latest_custom(replies, "decision")
            if decision:
                self.run.decision, self.run.outcome = decision, decision.get("outcome")
                return self.run
            ask = latest_custom(replies, "ask")
            if ask is None:
                self.run.stuck = "the bot asked nothing and decided nothing"
                return self.run
            incident = latest_custom(replies, "incident")
            text = "\n".join(m.get("text", "") for m in replies if (m.get("custom") or {}).get("ask"))
            key = (ask, incident, text)
            self._asked[key] = self._asked.get(key, 0) + 1
            if self._asked[key] == 3:
                self.run.third_asks.append(ask)
            if ask == "check":
                replies = self._say(self._correct(latest_custom(replies, "check") or {}))
            elif ask in self._asides:
                replies = self._say(self._asides.pop(ask))
            else:
                answer = self._answer_for(ask, incident, replies)
                if answer is None:
                    self.run.stuck = f"the case has no answer for {ask!r}"
                    return self.run
                replies = self._say(answer)
        self.run.stuck = f"no decision after {self.max_turns} messages"
        return self.run
