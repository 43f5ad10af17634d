"""Which question comes next: one small rule per question, in the order they are asked.

Like a GOV.UK smart answer, each question says when it is needed; the first one that is
needed and not yet answered is asked, and when none is, the rule set decides. A question
whose answer cannot change the outcome is skipped: whether the threshold is met is asked
of the rule set itself (`provisional`), never worked out here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence

from rules.facts import BOOLEAN_DEFAULTS

Slots = Mapping[str, Any]
# The outcome the rule set would give for the facts so far.
Provisional = Callable[[], str]

WOULD_APPLY = ("apply", "get_consent")


def answer(slots: Slots, name: str) -> Any:
    """The answer to a yes/no question; "don't know" means the rule set's default."""
    value = slots.get(name)
    if value is None and name in (slots.get("unknown_answers") or []):
        return BOOLEAN_DEFAULTS.get(name)
    return value


@dataclass(frozen=True)
class Question:
    slot: str
    needed: Callable[[Slots, Provisional], bool]
    # Ask again while this holds, even though the slot has a value (a follow-up).
    follow_up: Callable[[Slots], bool] = lambda slots: False


def _concern(slots: Slots) -> Optional[str]:
    return slots.get("concern")


def _stops(slots: Slots) -> bool:
    """Facts that decide the case on their own: nothing more to ask."""
    return bool(
        slots.get("emergency")
        or slots.get("previous_review")
        or (_concern(slots) == "staff" and slots.get("complaint_completed"))
        or answer(slots, "asb_ongoing") is False
        or slots.get("reported") is False
    )


def _incidents_stage(slots: Slots) -> bool:
    """The questions about reported incidents matter for this person."""
    if _stops(slots) or _concern(slots) is None:
        return False
    if _concern(slots) == "review" and slots.get("previous_review") is None:
        return False
    if _concern(slots) == "staff" and slots.get("complaint_completed") is None:
        return False
    return answer(slots, "asb_ongoing") is True and slots.get("reported") is True


def _has_counting_report(slots: Slots, counting_bodies: Sequence[str]) -> bool:
    return any(body in counting_bodies for body in slots.get("reported_to") or [])


def _missing_dates(slots: Slots) -> bool:
    count, dates = slots.get("incident_count"), slots.get("incident_dates") or []
    return isinstance(count, int) and 0 < len(dates) < count


def questions(counting_bodies: Sequence[str]) -> Sequence[Question]:
    def after_reports(slots: Slots) -> bool:
        return (
            _incidents_stage(slots)
            and bool(slots.get("reported_to"))
            and not slots.get("landlord_unclear")
            and _has_counting_report(slots, counting_bodies)
        )

    def counted(slots: Slots) -> bool:
        return after_reports(slots) and isinstance(slots.get("incident_count"), int) and slots["incident_count"] > 0

    return (
        Question("emergency", lambda s, p: bool(s.get("danger_suspected"))),
        Question("concern", lambda s, p: not s.get("emergency")),
        Question("previous_review", lambda s, p: _concern(s) == "review" and not s.get("emergency")),
        Question("emergency", lambda s, p: _concern(s) is not None and not s.get("previous_review")),
        Question("complained_about", lambda s, p: _concern(s) == "staff" and not _stops(s)),
        Question("complaint_completed", lambda s, p: _concern(s) == "staff" and not s.get("emergency")),
        Question("asb_ongoing", lambda s, p: _concern(s) is not None and not _stops(s)
                 and (_concern(s) != "review" or s.get("previous_review") is False)),
        Question("reported", lambda s, p: _concern(s) is not None and not _stops(s) and answer(s, "asb_ongoing") is True),
        Question("reported_to", lambda s, p: _incidents_stage(s),
                 follow_up=lambda s: bool(s.get("landlord_unclear")) and _incidents_stage(s)),
        Question("incident_count", lambda s, p: after_reports(s)),
        Question("incident_dates", lambda s, p: counted(s), follow_up=lambda s: counted(s) and _missing_dates(s)),
        Question("incidents_related", lambda s, p: counted(s) and s["incident_count"] > 1
                 and bool(s.get("incident_dates")) and p() in WOULD_APPLY),
        Question("on_behalf", lambda s, p: counted(s) and bool(s.get("incident_dates")) and p() in WOULD_APPLY),
        Question("consent", lambda s, p: bool(s.get("on_behalf")) and counted(s) and p() in WOULD_APPLY),
    )


def next_question(slots: Slots, provisional: Provisional, counting_bodies: Sequence[str]) -> Optional[str]:
    """The slot to ask for next, or None when the rule set can decide."""
    for question in questions(counting_bodies):
        unanswered = slots.get(question.slot) in (None, []) and question.slot not in (slots.get("unknown_answers") or [])
        if question.needed(slots, provisional) and (unanswered or question.follow_up(slots)):
            return question.slot
    return None
