"""Which unknown facts could still change the outcome: the conversation asks only those.

The rule set answers this itself, by deciding the case with each value an unknown fact can
take: if any value gives another outcome, the fact is worth asking; if none does, its default
is as good as the answer (and the decision lists it in `assumed`). Nothing here re-encodes the
precedence table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, Iterable, List, Union

from groundwork.dates import iso_date
from rules.decision import decide
from rules.partnership import Partnership, load_partnership

YES_NO = (True, False)
ALTERNATIVES = {
    "emergency": YES_NO,
    "previous_review": YES_NO,
    "staff_conduct": YES_NO,
    "complaint_completed": YES_NO,
    "asb_ongoing": YES_NO,
    "incidents_related": YES_NO,
    "on_behalf": YES_NO,
    "consent": (True, False, None),
}


def threshold_meeting_incidents(as_of: dt.date, partnership: Partnership) -> List[Dict[str, Any]]:
    """Incidents that would meet the threshold on `as_of`: the "what if they have reported enough?"."""
    policy = partnership.on(as_of)
    body = sorted(policy.counting_bodies)[0]
    return [{"date": (as_of - dt.timedelta(days=1 + i)).isoformat(), "reported_to": [body]} for i in range(policy.threshold)]


def outcome(facts: Dict[str, Any], partnership: Union[str, Partnership], today: dt.date) -> str:
    return decide(facts, partnership, today)["outcome"]


def worth_asking(facts: Dict[str, Any], key: str, partnership: Union[str, Partnership], today: dt.date) -> bool:
    """Could `key` (not in `facts` yet) change the outcome? "incidents" asks whether reporting
    enough incidents would."""
    if not isinstance(partnership, Partnership):
        partnership = load_partnership(partnership)
    base = outcome(facts, partnership, today)
    if key == "incidents":
        as_of = iso_date(facts["as_of"], "as_of")
        options: Iterable[Any] = ([], threshold_meeting_incidents(as_of, partnership))
    else:
        options = ALTERNATIVES[key]
    return any(outcome({**facts, key: value}, partnership, today) != base for value in options)
