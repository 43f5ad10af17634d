"""Custom actions, run as the action server runs them, on trackers built with Tracker.from_dict."""

import pytest
from rasa_sdk.events import SlotSet

from bot.actions.case import ActionDecide, ActionExplain, ValidateCaseForm
from tests.run_async import run_async
from tests.bot.conftest import DOMAIN, make_tracker

ASB_SO_FAR = {"concern": "asb", "emergency": False, "asb_ongoing": True, "reported": True,
              "reported_to": ["police"], "incident_count": 3}


def run(action, dispatcher, tracker):
    return run_async(action.run(dispatcher, tracker, DOMAIN))


def slot_events(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_opening_story_is_read_and_only_missing_questions_follow(dispatcher):
    tracker = make_tracker(
        text="my neighbours have been harassing me, ive reported it to the police 4 times",
        intent="tell_story",
        entities=[{"entity": "organisation", "value": "police"}, {"entity": "incident_count", "value": "4"}],
    )
    events = slot_events(run(ValidateCaseForm(), dispatcher, tracker))
    assert events["concern"] == "asb"
    assert events["reported_to"] == ["police"] and events["incident_count"] == 4 and events["reported"] is True
    assert events["requested_slot"] == "emergency"  # safety first; nothing already said is asked again


@pytest.mark.parametrize("answer, response", [
    ("30 december 2026", "utter_future_date"),  # a year-less "30 december" is last December
    ("the thirty-second of never", "utter_unreadable_date"),
])
def test_bad_dates_get_a_friendly_reask(dispatcher, answer, response):
    tracker = make_tracker(slots=ASB_SO_FAR, text=answer, requested="incident_dates")
    events = slot_events(run(ValidateCaseForm(), dispatcher, tracker))
    assert "incident_dates" not in events
    assert events["requested_slot"] == "incident_dates"
    assert response in [m.get("response") for m in dispatcher.messages]


@pytest.mark.parametrize("text, response", [("", "utter_empty_message"), ("😡😡", "utter_emoji_only")])
def test_wordless_messages_keep_the_question(dispatcher, text, response):
    tracker = make_tracker(slots=ASB_SO_FAR, text=text, intent="nlu_fallback", requested="incident_dates")
    events = slot_events(run(ValidateCaseForm(), dispatcher, tracker))
    assert events["requested_slot"] == "incident_dates"
    assert [m["response"] for m in dispatcher.messages] == [response]
    assert "incident_dates" not in events


def test_a_very_long_message_is_read_not_rejected(dispatcher):
    text = "they play music all night. " * 400  # about 10,800 characters
    tracker = make_tracker(slots=ASB_SO_FAR, text=text, intent="tell_story", requested="incident_dates")
    events = run(ValidateCaseForm(), dispatcher, tracker)
    assert any(m.get("response") == "utter_long_message" for m in dispatcher.messages)
    assert slot_events(events)["requested_slot"] == "incident_dates"


def test_restart_mid_form_hands_over_to_rasa(dispatcher):
    tracker = make_tracker(slots=ASB_SO_FAR, text="start again", intent="restart", requested="incident_dates")
    assert run(ValidateCaseForm(), dispatcher, tracker) == []


def test_decision_carries_the_contract_metadata(dispatcher):
    slots = {**ASB_SO_FAR, "incident_dates": ["2026-10-01", "2026-10-20", "2026-11-01"], "incidents_related": True, "on_behalf": False}
    events = slot_events(run(ActionDecide(), dispatcher, make_tracker(slots=slots, active_loop=None)))
    assert events["outcome"] == "apply"
    decision_message = next(m for m in dispatcher.messages if m.get("custom"))
    decision = decision_message["custom"]["decision"]
    assert decision["outcome"] == "apply" and decision["qualifying_incidents"] == 3
    assert decision["window_start"] == "2026-05-25"
    assert any(m.get("response") == "utter_offer_application" for m in dispatcher.messages)


def test_decision_for_someone_else_without_consent(dispatcher):
    slots = {**ASB_SO_FAR, "incident_dates": ["2026-10-01", "2026-10-20", "2026-11-01"], "incidents_related": True,
             "on_behalf": True, "consent": "not_asked"}
    events = slot_events(run(ActionDecide(), dispatcher, make_tracker(slots=slots, active_loop=None)))
    assert events["outcome"] == "get_consent"


def test_danger_now_decides_emergency_before_any_question(dispatcher):
    tracker = make_tracker(text="hes kicking my door in right now", intent="emergency",
                           entities=[{"entity": "danger", "value": "true"}])
    events = slot_events(run(ValidateCaseForm(), dispatcher, tracker))
    assert events["emergency"] is True and events["requested_slot"] is None


def test_an_emergency_guess_without_danger_words_asks_first(dispatcher):
    tracker = make_tracker(text="kids keep smashing my car windows", intent="emergency")
    events = slot_events(run(ValidateCaseForm(), dispatcher, tracker))
    assert "emergency" not in events and events["requested_slot"] == "emergency"


def test_the_staff_shell_shows_the_trace(dispatcher):
    tracker = make_tracker(slots={**ASB_SO_FAR, "reported": False}, channel="cmdline", active_loop=None)
    run(ActionDecide(), dispatcher, tracker)
    assert any("Decision trace" in (m.get("text") or "") for m in dispatcher.messages)


def test_why_repeats_the_reasons(dispatcher):
    decision = {"outcome": "report_first", "reasons": [{"rule": "report_first", "text": "Nothing reported yet."}],
                "assumed": ["emergency", "incidents[0].reported_on", "incidents[1].reported_on"]}
    run(ActionExplain(), dispatcher, make_tracker(slots={"decision": decision}, active_loop=None))
    text = dispatcher.messages[0]["text"]
    assert "Nothing reported yet." in text
    assert text.endswith("I assumed that nobody is in immediate danger and each incident was reported on the day it happened.")
