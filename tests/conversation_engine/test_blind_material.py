"""The blind sets (tests/blind) are well formed, their hand-worked outcomes agree with the rule
set on their own facts, and the simulated resident plays them as the brief says: it answers each
question with the case's words and corrects the check, truthfully, with the case's own words."""

import pytest

from groundwork.clock import today
from evaluation.blind import load_set
from evaluation.resident import AREAS, CONFIRM, FACT_QUESTIONS, SimulatedResident, differing_areas
from rules import decide

ASKS = FACT_QUESTIONS
SETS = {
    "first": 150,
    "second": 60,
    "third": 60,
    "fourth": 80,
    "fifth": 60,
    "sixth": 60,
    "seventh": 60,
    "eighth": 90,
    "ninth": 60,
    "tenth": 60,
    "eleventh": 60,
    "twelfth": 60,
    "thirteenth": 60,
}


@pytest.mark.parametrize("name, size", SETS.items())
def test_a_blind_set_is_complete_and_its_outcomes_follow_from_its_facts(name, size, monkeypatch):
    monkeypatch.setenv("ASBCR_TODAY", "2026-11-25")
    cases = load_set(name)
    assert len(cases) >= size
    assert len({c["id"] for c in cases}) == len(cases)
    for case in cases:
        assert set(case["answers"]) >= ASKS, case["id"]
        assert set(case["check_corrections"]) >= set(AREAS), case["id"]
        facts = {k: v for k, v in case["facts"].items()}
        facts["incidents"] = [
            {k: str(v) if k in ("date", "reported_on") else v for k, v in i.items()} for i in facts.get("incidents") or []
        ]
        assert decide(facts, "erewash", today())["outcome"] == case["expected_outcome"], case["id"]


def test_every_outcome_is_in_every_set():
    for name in SETS:
        assert {c["expected_outcome"] for c in load_set(name)} == {
            "apply",
            "report_first",
            "threshold_not_met",
            "get_consent",
            "complaints_procedure",
            "ombudsman",
            "appeal",
            "emergency",
        }


CASE = {
    "id": "sim-1",
    "opening": "music every night",
    "as_of": "2026-11-25",
    "answers": {"reported_to": "the police", "incident_dates": "3 oct and 1 nov"},
    "check_corrections": {area: f"fix {area}" for area in AREAS},
    "facts": {
        "as_of": "2026-11-25",
        "incidents": [{"date": "2026-10-03", "reported_to": ["police"]}, {"date": "2026-11-01", "reported_to": ["police"]}],
    },
    "expected_outcome": "threshold_not_met",
}


def scripted_bot(checks):
    """Asks who was told, then the dates, then shows each check in `checks` in turn, then decides."""
    shown = iter(checks)
    turn = {"n": 0}

    def send(text):
        turn["n"] += 1
        if turn["n"] == 1:
            return [{"text": "Who did you tell?", "custom": {"ask": "reported_to"}}]
        if turn["n"] == 2:
            return [{"text": "When?", "custom": {"ask": "incident_dates"}}]
        facts = next(shown, None)
        if facts is None or text == CONFIRM:
            return [{"text": "decided", "custom": {"decision": {"outcome": "threshold_not_met"}}}]
        return [{"text": "Is this right?", "custom": {"ask": "check", "check": facts}}]

    return send


def test_the_resident_confirms_a_right_check_and_corrects_a_wrong_one_with_its_own_words():
    wrong = {"as_of": "2026-11-25", "incidents": [{"date": "2026-10-03", "reported_to": ["council"]}]}
    right = CASE["facts"]
    resident = SimulatedResident(CASE, scripted_bot([wrong, right]))
    run = resident.converse()
    said = [line[2:] for line in run.transcript if line.startswith("> ")]
    assert said == ["music every night", "the police", "3 oct and 1 nov", "fix incidents", CONFIRM]
    assert run.checks == [["incidents"], []] and run.facts_right_at_first_check is False
    assert run.outcome == "threshold_not_met" and run.turns == 5


def test_dates_within_the_tolerance_agree_but_not_at_the_window_edge():
    true = {
        "as_of": "2026-11-25",
        "incidents": [{"date": "2026-06-15", "reported_to": ["police"]}, {"date": "2026-05-25", "reported_to": ["police"]}],
    }
    close = {
        "as_of": "2026-11-25",
        "incidents": [{"date": "2026-06-14", "reported_to": ["police"]}, {"date": "2026-05-25", "reported_to": ["police"]}],
    }
    edge = {
        "as_of": "2026-11-25",
        "incidents": [{"date": "2026-06-15", "reported_to": ["police"]}, {"date": "2026-05-24", "reported_to": ["police"]}],
    }
    assert differing_areas(close, true) == []
    assert differing_areas(edge, true) == ["incidents"]


def test_incidents_never_collected_for_an_appeal_are_missing_strictly_but_not_wrong_as_shown():
    true = {"as_of": "2026-11-25", "previous_review": True, "incidents": [{"date": "2026-06-15", "reported_to": ["police"]}]}
    not_collected = {"as_of": "2026-11-25", "previous_review": True}
    shown_wrongly = {
        "as_of": "2026-11-25",
        "previous_review": True,
        "incidents": [{"date": "2026-06-15", "reported_to": ["council"]}],
    }
    assert differing_areas(not_collected, true) == ["incidents"]
    assert differing_areas(not_collected, true, shown_only=True) == []
    assert differing_areas(shown_wrongly, true, shown_only=True) == ["incidents"]
    # Where the outcome turns on the incidents, not collecting them is wrong however it is counted.
    assert differing_areas({"as_of": "2026-11-25"}, {**true, "previous_review": False}, shown_only=True) == ["incidents"]


def test_for_whom_never_asked_where_it_cannot_matter_is_missing_strictly_but_not_wrong_as_shown():
    # Told only the school: report_first whoever applies, so the bot does not ask for whom.
    true = {
        "as_of": "2026-11-25",
        "on_behalf": True,
        "consent": True,
        "incidents": [{"date": "2026-10-15", "reported_to": ["other"]}],
    }
    not_asked = {"as_of": "2026-11-25", "incidents": [{"date": "2026-10-15", "reported_to": ["other"]}]}
    assert differing_areas(not_asked, true) == ["on_behalf"]
    assert differing_areas(not_asked, true, shown_only=True) == []
    assert differing_areas({**not_asked, "on_behalf": False}, true, shown_only=True) == ["on_behalf"]
    # Where it matters (threshold met, consent not asked: get_consent, not apply), not asking is wrong.
    counting = {
        "as_of": "2026-11-25",
        "on_behalf": True,
        "incidents": [{"date": d, "reported_to": ["police"]} for d in ("2026-08-01", "2026-09-01", "2026-10-01")],
    }
    assert differing_areas({**counting, "on_behalf": None}, counting, shown_only=True) == ["on_behalf"]


def test_whether_it_goes_on_never_asked_for_an_ombudsman_case_is_not_wrong_as_shown():
    true = {
        "as_of": "2026-11-25",
        "asb_ongoing": False,
        "staff_conduct": True,
        "complaint_completed": True,
        "complained_about": "police",
    }
    not_asked = {k: v for k, v in true.items() if k != "asb_ongoing"}
    assert differing_areas(not_asked, true) == ["asb_ongoing"]
    assert differing_areas(not_asked, true, shown_only=True) == []
    assert differing_areas({**not_asked, "asb_ongoing": True}, true, shown_only=True) == ["asb_ongoing"]
