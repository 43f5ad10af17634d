"""From the conversation's slots to the rule set's case facts (CONTRACT.md, Case facts).

Only what the resident actually told us goes in; every other key is left out so the
decision's `assumed` list names the defaults it relied on.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, Mapping

CONSENT_FACT = {"yes": True, "no": False, "not_asked": None}
BOOLEAN_FACTS = (
    "emergency", "asb_ongoing", "incidents_related", "on_behalf", "staff_conduct",
    "complaint_completed", "previous_review",
)


def case_facts(slots: Mapping[str, Any], today: dt.date) -> Dict[str, Any]:
    facts: Dict[str, Any] = {"as_of": today.isoformat()}
    for key in BOOLEAN_FACTS:
        if slots.get(key) is not None:
            facts[key] = bool(slots[key])
    if slots.get("on_behalf") and slots.get("consent") in CONSENT_FACT:
        facts["consent"] = CONSENT_FACT[slots["consent"]]
    if slots.get("complained_about"):
        facts["complained_about"] = slots["complained_about"]
    bodies = list(slots.get("reported_to") or [])
    dates = list(slots.get("incident_dates") or [])
    if slots.get("reported") is False:
        facts["incidents"] = []
    elif dates and bodies:
        facts["incidents"] = [{"date": date, "reported_to": bodies} for date in dates]
    elif dates or bodies:
        # Told us who but not yet when (or the reverse): nothing can be counted yet.
        facts["incidents"] = []
    return facts
