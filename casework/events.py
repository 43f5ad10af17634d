"""What staff may record, and in which order (CONTRACT.md, `asbcr applications record`).

An application starts with `received`. The partnership first decides the threshold
(`threshold-met` or `threshold-not-met`) or rejects the application on one of the
published grounds; only a met threshold leads to a review, and only a held review to
recommendations. An appeal needs something to appeal against. A withdrawal ends an
application that is still open.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional, Sequence, Tuple

from .errors import CaseworkError

RECEIVED = "received"
THRESHOLD_MET = "threshold-met"
THRESHOLD_NOT_MET = "threshold-not-met"
REJECTED = "rejected"
REVIEW_HELD = "review-held"
RECOMMENDATIONS_MADE = "recommendations-made"
APPEAL_RECEIVED = "appeal-received"
WITHDRAWN = "withdrawn"

STAFF_EVENTS = (
    THRESHOLD_MET,
    THRESHOLD_NOT_MET,
    REJECTED,
    REVIEW_HELD,
    RECOMMENDATIONS_MADE,
    APPEAL_RECEIVED,
    WITHDRAWN,
)
# What the resident did themselves, recorded so staff see it; these never change the status or
# the order staff events must follow. Their notes name what changed, never the new values.
RESIDENT_UPDATED = "resident-updated"  # changed answers in the chat after applying
RESIDENT_ERASED = "resident-erased"  # "forget me" on the private page: personal data removed
RESIDENT_EVENTS = (RESIDENT_UPDATED, RESIDENT_ERASED)
STATUSES = (RECEIVED,) + STAFF_EVENTS
# Still with the partnership: everything else has reached an end (an appeal goes to
# the Police and Crime Commissioner), so retention may count time from it.
OPEN_STATUSES = (RECEIVED, THRESHOLD_MET)
CLOSED_STATUSES = tuple(status for status in STATUSES if status not in OPEN_STATUSES)
REJECTION_GROUNDS = ("prejudicial", "discriminatory", "malicious", "unreasonable", "vexatious")

History = Sequence[Tuple[str, dt.date]]


def check_event(history: History, event: str, date: dt.date, today: dt.date, note: Optional[str]) -> Optional[str]:
    """Raise CaseworkError if `event` cannot follow `history`; return a rejection's ground."""
    if event not in STAFF_EVENTS:
        raise CaseworkError(f"unknown event {event!r}; use one of: {', '.join(STAFF_EVENTS)}", field="event")
    history = [(name, day) for name, day in history if name not in RESIDENT_EVENTS]
    names = [name for name, _ in history]
    last_name, last_date = history[-1]
    if date > today:
        raise CaseworkError(f"{event} on {date.isoformat()} lies after today ({today.isoformat()})", field="date")
    if date < last_date:
        raise CaseworkError(
            f"{event} on {date.isoformat()} is before the last event ({last_name} on {last_date.isoformat()})",
            field="date",
        )

    def has(*wanted: str) -> bool:
        return any(name in wanted for name in names)

    if event in names:
        raise CaseworkError(f"{event} has already been recorded for this application")
    if has(WITHDRAWN):
        raise CaseworkError("the application was withdrawn; nothing more can be recorded")

    if event in (THRESHOLD_MET, THRESHOLD_NOT_MET):
        if has(THRESHOLD_MET, THRESHOLD_NOT_MET):
            raise CaseworkError("the threshold decision has already been recorded")
        if has(REJECTED):
            raise CaseworkError("the application was rejected; there is no threshold decision to make")
    elif event == REJECTED:
        if has(THRESHOLD_NOT_MET, REVIEW_HELD):
            raise CaseworkError(f"cannot reject after {last_name}: the application has already been decided")
    elif event == REVIEW_HELD:
        if has(REJECTED):
            raise CaseworkError("the application was rejected; no review can be held")
        if not has(THRESHOLD_MET):
            raise CaseworkError("no review before a threshold decision: record threshold-met first")
    elif event == RECOMMENDATIONS_MADE:
        if not has(REVIEW_HELD):
            raise CaseworkError("recommendations come from a review: record review-held first")
    elif event == APPEAL_RECEIVED:
        if not has(THRESHOLD_NOT_MET, REJECTED, REVIEW_HELD):
            raise CaseworkError("an appeal needs a decision to appeal against: threshold-not-met, rejected or review-held")
    elif event == WITHDRAWN:
        if last_name not in OPEN_STATUSES:
            raise CaseworkError(f"the application is already closed ({last_name}); it cannot be withdrawn")

    if event == REJECTED:
        # The ground is the note's first word: "vexatious: fourth application about the hedge".
        words = (note or "").split()
        ground = words[0].lower().rstrip(".,:;-") if words else ""
        if ground not in REJECTION_GROUNDS:
            raise CaseworkError("rejected needs its ground as the note: one of " + ", ".join(REJECTION_GROUNDS), field="note")
        return ground
    return None
