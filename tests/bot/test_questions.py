"""The order of questions: each row is the answers so far and the next question asked.

`would_be` is what the rule set would decide from the answers so far; it only matters
for the questions that are skipped when they cannot change the outcome.
"""
import pytest

from bot.actions.questions import next_question

COUNTING = ("council", "police", "social_landlord", "health")
ASB = {"concern": "asb", "emergency": False, "asb_ongoing": True, "reported": True}
REPORTED = {**ASB, "reported_to": ["police"], "incident_count": 3, "incident_dates": ["2026-10-01", "2026-10-02", "2026-10-03"]}

CASES = [
    # (description, slots, would_be, next question)
    ("nothing known yet", {}, "apply", "concern"),
    ("danger stops everything", {"emergency": True}, "emergency", None),
    ("danger said before the concern", {"emergency": True, "concern": None}, "emergency", None),
    ("sounded like an emergency: ask about danger first", {"danger_suspected": True}, "apply", "emergency"),
    ("asb: safety first", {"concern": "asb"}, "apply", "emergency"),
    ("asb: still happening?", {"concern": "asb", "emergency": False}, "apply", "asb_ongoing"),
    ("asb stopped: decide (complaints)", {"concern": "asb", "emergency": False, "asb_ongoing": False}, "complaints_procedure", None),
    ("don't know if it's ongoing: the default (ongoing) carries on", {"concern": "asb", "emergency": False, "unknown_answers": ["asb_ongoing"]}, "apply", "reported"),
    ("asb ongoing: reported?", {"concern": "asb", "emergency": False, "asb_ongoing": True}, "apply", "reported"),
    ("not reported: decide (report first)", {**ASB, "reported": False}, "report_first", None),
    ("reported: to whom?", ASB, "apply", "reported_to"),
    ("bare landlord: social or private?", {**ASB, "reported_to": ["police"], "landlord_unclear": True}, "apply", "reported_to"),
    ("private landlord only: decide (report first)", {**ASB, "reported_to": ["private_landlord"]}, "report_first", None),
    ("reported to police: how many?", {**ASB, "reported_to": ["police"]}, "apply", "incident_count"),
    ("none in six months: decide", {**ASB, "reported_to": ["police"], "incident_count": 0}, "report_first", None),
    ("counted: when?", {**ASB, "reported_to": ["police"], "incident_count": 3}, "apply", "incident_dates"),
    ("fewer dates than incidents: the rest?", {**REPORTED, "incident_dates": ["2026-10-01"]}, "threshold_not_met", "incident_dates"),
    ("several incidents, would apply: related?", REPORTED, "apply", "incidents_related"),
    ("threshold not met: no relation, no consent questions", REPORTED, "threshold_not_met", None),
    ("related, would apply: for someone else?", {**REPORTED, "incidents_related": True}, "apply", "on_behalf"),
    ("for someone else: consent?", {**REPORTED, "incidents_related": True, "on_behalf": True}, "get_consent", "consent"),
    ("consent answered: decide", {**REPORTED, "incidents_related": True, "on_behalf": True, "consent": "not_asked"}, "get_consent", None),
    ("for themselves: decide", {**REPORTED, "incidents_related": True, "on_behalf": False}, "apply", None),
    ("one incident: never asked if related", {**REPORTED, "incident_count": 1, "incident_dates": ["2026-10-01"]}, "threshold_not_met", None),
    ("staff: which organisation?", {"concern": "staff", "emergency": False}, "complaints_procedure", "complained_about"),
    ("staff: complaint finished?", {"concern": "staff", "emergency": False, "complained_about": "police"}, "complaints_procedure", "complaint_completed"),
    ("staff, complaint finished: decide (ombudsman)", {"concern": "staff", "emergency": False, "complained_about": "police", "complaint_completed": True}, "ombudsman", None),
    ("staff, not finished: is the ASB still happening?", {"concern": "staff", "emergency": False, "complained_about": "council", "complaint_completed": False}, "complaints_procedure", "asb_ongoing"),
    ("staff, ASB stopped: decide", {"concern": "staff", "emergency": False, "complained_about": "council", "complaint_completed": False, "asb_ongoing": False}, "complaints_procedure", None),
    ("review: unhappy with it?", {"concern": "review"}, "appeal", "previous_review"),
    ("review, unhappy: decide (appeal)", {"concern": "review", "previous_review": True}, "appeal", None),
    ("review, not unhappy: treated as a fresh case", {"concern": "review", "previous_review": False}, "apply", "emergency"),
]


@pytest.mark.parametrize("description, slots, would_be, expected", CASES, ids=[c[0] for c in CASES])
def test_next_question(description, slots, would_be, expected):
    assert next_question(slots, lambda: would_be, COUNTING) == expected
