"""What may become an application, on whole in-process conversations (tests/bot/chat.py): only
facts the resident confirmed in this conversation and that decide "apply", after the form was
filled in here; and one application per conversation, however often it is confirmed."""

import copy

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.application import ActionSubmitApplication
from casework.service import export_json, list_applications
from tests.bot.chat import ANSWERS, DETAILS, FORGED_SLOTS, InProcessChat
from tests.bot.conftest import DOMAIN
from tests.run_async import run_async


@pytest.fixture(autouse=True)
def stores(tmp_path, monkeypatch):
    monkeypatch.setenv("ASBCR_DATABASE_URL", f"sqlite:///{tmp_path / 'applications.db'}")
    monkeypatch.setenv("ASBCR_VAR", str(tmp_path / "var"))
    monkeypatch.delenv("ASBCR_ACTION_SECRET", raising=False)


def submit(tracker_dict):
    dispatcher = CollectingDispatcher()
    events = run_async(ActionSubmitApplication().run(dispatcher, Tracker.from_dict(tracker_dict), DOMAIN))
    return dispatcher.messages, events


def applied_chat():
    chat = InProcessChat()
    chat.apply()
    return chat


def test_a_real_conversation_makes_its_application():
    chat = applied_chat()
    exported = export_json(chat.application["reference"])
    assert exported["applicant"]["name"] == "Jo Bloggs" and exported["decision"]["outcome"] == "apply"
    assert len(list_applications()) == 1


def forged_tracker(sender="forger", slots=FORGED_SLOTS, events=None):
    return {
        "sender_id": sender,
        "slots": dict(slots),
        "latest_message": {"text": "yes", "intent": {"name": "affirm"}},
        "events": events if events is not None else [{"event": "user", "text": "yes"}],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }


def test_a_hand_made_tracker_makes_no_application():
    messages, events = submit(forged_tracker())
    assert [m["response"] for m in messages] == ["utter_application_refused"]
    assert not any(e.get("name") == "application" for e in events)
    assert list_applications() == []


def test_a_forged_seal_makes_no_application():
    slots = dict(FORGED_SLOTS, decision={"outcome": "apply", "seal": "0" * 64})
    submit(forged_tracker(slots=slots))
    assert list_applications() == []


def test_a_real_conversation_copied_to_another_sender_makes_no_application():
    chat = applied_chat()
    messages, _ = submit(dict(chat.tracker_dict(), sender_id="someone-else"))
    assert [m["response"] for m in messages] == ["utter_application_refused"]
    assert len(list_applications()) == 1


def test_facts_changed_after_the_check_make_no_application():
    chat = applied_chat()
    reference = chat.application["reference"]
    before = export_json(reference)
    tracker = copy.deepcopy(chat.tracker_dict())
    tracker["slots"]["case_facts"]["incidents"].append({"date": "2026-11-20", "reported_to": ["police"]})
    messages, _ = submit(tracker)
    assert [m["response"] for m in messages] == ["utter_application_refused"]
    assert export_json(reference) == before and len(list_applications()) == 1


def test_confirmed_facts_that_do_not_decide_apply_make_no_application():
    chat = InProcessChat()
    chat.say("my neighbours dog barks all day and night")
    chat.answer({**ANSWERS, "incident_dates": "3 oct and 1 nov"}, lambda c: c.decision is not None)
    assert chat.decision["outcome"] == "threshold_not_met"
    tracker = chat.tracker_dict()
    tracker["slots"] = dict(
        tracker["slots"], **{k: v for k, v in FORGED_SLOTS.items() if k not in ("case_facts", "decision", "outcome")}
    )
    submit(tracker)
    assert list_applications() == []


def test_a_form_never_filled_in_here_makes_no_application():
    chat = InProcessChat()
    chat.say("the lads next door play music every weekend till 4am")
    chat.answer(ANSWERS, lambda c: c.decision is not None)
    tracker = chat.tracker_dict()  # sealed "apply" facts, but no answers to the form's questions
    tracker["slots"] = dict(
        tracker["slots"], **{k: v for k, v in FORGED_SLOTS.items() if k not in ("case_facts", "decision", "outcome")}
    )
    submit(tracker)
    assert list_applications() == []


def test_confirming_again_returns_the_same_application():
    chat = applied_chat()
    messages, events = submit(chat.tracker_dict())
    assert [m["response"] for m in messages] == ["utter_application_sent"]
    assert {e["name"]: e["value"] for e in events}["application"] == chat.application
    assert [e["event"] for e in export_json(chat.application["reference"])["events"]] == ["received"]


def test_a_changed_fact_after_applying_updates_the_one_application_and_staff_see_it():
    chat = applied_chat()
    reference = chat.application["reference"]
    chat.say("actually there was another one on 15 nov, told the police")
    chat.say("yes that's right")
    assert chat.decision["outcome"] == "apply"
    assert "utter_application_will_update" in chat.responses
    chat.say("apply now")
    assert chat.ask == "confirm"  # asked whether to update it: the summary again, not sent unasked
    chat.say("yes")
    assert chat.responses == ["utter_application_updated"] and chat.application["reference"] == reference
    assert len(list_applications()) == 1
    exported = export_json(reference)
    assert [i["date"] for i in exported["facts"]["incidents"]][-1] == "2026-11-15"
    assert exported["events"][-1] == {"event": "resident-updated", "date": "2026-11-25", "note": "changed: incidents and answers"}


def test_a_change_that_no_longer_leads_to_applying_is_told_to_staff_and_the_resident():
    chat = applied_chat()
    reference = chat.application["reference"]
    chat.say("actually it stopped last week")
    chat.say("yes that's right")
    assert chat.decision["outcome"] != "apply"
    assert "utter_application_answers_changed" in chat.responses
    exported = export_json(reference)
    assert exported["decision"]["outcome"] == "apply"  # the application stays as it was sent
    assert exported["events"][-1]["event"] == "resident-updated"
    assert len(list_applications()) == 1


def test_a_corrected_name_after_start_again_is_stored():
    chat = applied_chat()
    reference = chat.application["reference"]
    chat.say("start again")
    chat.say("yes")
    assert chat.ask == "emergency"  # a fresh start: the first question again
    chat.apply(
        details=dict(DETAILS, applicant_name="Joanne Bloggs", applicant_email="joanne@example.org"),
        opening="no",
        answers=dict(ANSWERS, concern="anti-social behaviour that keeps happening"),
    )
    assert chat.application["reference"] == reference and len(list_applications()) == 1
    exported = export_json(reference)
    assert exported["applicant"]["name"] == "Joanne Bloggs"
    assert exported["applicant"]["email"] == "joanne@example.org"
    assert exported["events"][-1]["note"].startswith("changed: name, email")


def test_a_conversation_whose_application_was_removed_cannot_make_it_again():
    """Retention and "forget me" delete the conversation too; should a copy of it still reach the
    action server (a turn in flight), it names the removed application and gets nothing."""
    from casework.service import forget_by_token

    chat = applied_chat()
    forget_by_token(chat.application["private_url"].rsplit("/", 1)[1])
    chat.say("actually there was another one on 15 nov, told the police")
    chat.say("yes that's right")
    chat.say("apply now")
    chat.say("yes")
    assert chat.responses == ["utter_application_invalid"]
    assert len(list_applications()) == 1
    assert export_json(chat.slots["application"]["reference"])["applicant"]["name"] is None
