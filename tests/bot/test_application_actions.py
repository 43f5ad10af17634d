"""The application part of the chat, on Tracker.from_dict fixtures, against a real
(temporary SQLite) applications store."""

import pytest

from bot.actions.application import ActionAskConfirm, ActionSubmitApplication, ValidateApplicationForm
from tests.bot.chat import ANSWERS, OPENING, InProcessChat
from tests.run_async import run_async
from tests.bot.conftest import DOMAIN, make_tracker

CONFIRMED = {"as_of": "2026-11-25", "on_behalf": False, "incidents": [
    {"date": "2026-10-01", "reported_to": ["police"], "reference": "DC-123"},
    {"date": "2026-10-20", "reported_to": ["council"]},
    {"date": "2026-11-01", "reported_to": ["police", "council"]}]}
DECIDED = {"case_facts": CONFIRMED, "on_behalf": False, "outcome": "apply"}
DETAILS = {"applicant_name": "Jo Bloggs", "applicant_email": "jo@example.org", "applicant_phone": "07700 900123",
           "address": "12 Station Road, Ilkeston DE7 5AB", "description": "Music every weekend.", "impact": "No sleep."}


@pytest.fixture(autouse=True)
def applications_db(tmp_path, monkeypatch):
    monkeypatch.setenv("ASBCR_DATABASE_URL", f"sqlite:///{tmp_path / 'applications.db'}")
    monkeypatch.setenv("ASBCR_VAR", str(tmp_path / "var"))


def run(action, dispatcher, tracker):
    return run_async(action.run(dispatcher, tracker, DOMAIN))


def slots_set(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_the_story_becomes_the_description_and_is_not_asked_again(dispatcher):
    tracker = make_tracker(slots={**DECIDED, "story": "the lads next door play music till 3am"}, text="yes", intent="affirm",
                           active_loop="application_form")
    events = slots_set(run(ValidateApplicationForm(), dispatcher, tracker))
    assert events["description"] == "the lads next door play music till 3am"
    assert events["requested_slot"] == "applicant_name"


@pytest.mark.parametrize("asked, answer, expected, response", [
    ("applicant_email", "jo at example dot org", None, "utter_invalid_email"),
    ("applicant_email", "its jo.bloggs+asb@example.co.uk thanks", "jo.bloggs+asb@example.co.uk", None),
    ("applicant_email", "none", "none", None),
    ("applicant_phone", "123", None, "utter_invalid_phone"),
    ("applicant_phone", "07700 900123", "07700 900123", None),
])
def test_contact_details_are_checked(dispatcher, asked, answer, expected, response):
    slots = {**DECIDED, "applicant_name": "Jo", "applicant_email": "jo@example.org" if asked == "applicant_phone" else None}
    events = slots_set(run(ValidateApplicationForm(), dispatcher, make_tracker(slots=slots, text=answer, requested=asked,
                                                                                active_loop="application_form")))
    assert events.get(asked) == expected
    if response:
        assert [m["response"] for m in dispatcher.messages] == [response]
        assert events["requested_slot"] == asked


def test_no_email_and_no_phone_is_refused(dispatcher):
    slots = {**DECIDED, "applicant_name": "Jo", "applicant_email": "none"}
    events = slots_set(run(ValidateApplicationForm(), dispatcher, make_tracker(slots=slots, text="none", requested="applicant_phone",
                                                                                active_loop="application_form")))
    assert "applicant_phone" not in events and events["requested_slot"] == "applicant_phone"
    assert dispatcher.messages[0]["response"] == "utter_need_contact"


def test_for_someone_else_asks_their_name(dispatcher):
    slots = {**DECIDED, **DETAILS, "on_behalf": True, "consent": "yes", "impact": None}
    events = slots_set(run(ValidateApplicationForm(), dispatcher, make_tracker(slots=slots, text="x", intent="inform",
                                                                                active_loop="application_form")))
    assert events["requested_slot"] == "victim_name"


def test_change_my_phone_asks_for_it_again(dispatcher):
    slots = {**DECIDED, **DETAILS}
    events = slots_set(run(ValidateApplicationForm(), dispatcher, make_tracker(slots=slots, text="can I change my phone number",
                                                                                intent="change_answer", requested="confirm",
                                                                                active_loop="application_form")))
    assert events["applicant_phone"] is None and events["requested_slot"] == "applicant_phone"


def test_a_question_is_not_taken_as_a_name(dispatcher):
    slots = {**DECIDED}
    events = slots_set(run(ValidateApplicationForm(), dispatcher, make_tracker(slots=slots, text="what is a case review anyway",
                                                                                intent="ask_what_is", requested="applicant_name",
                                                                                active_loop="application_form")))
    assert "applicant_name" not in events and events["requested_slot"] == "applicant_name"
    assert dispatcher.messages[0]["response"] == "utter_what_is"


def test_change_my_mums_name_is_the_victims_name(dispatcher):
    slots = {**DECIDED, **DETAILS, "on_behalf": True, "consent": "yes", "victim_name": "Mary"}
    events = slots_set(run(ValidateApplicationForm(), dispatcher, make_tracker(slots=slots, text="can you change my mum's name",
                                                                                intent="change_answer", requested="confirm",
                                                                                active_loop="application_form")))
    assert events["victim_name"] is None and events["requested_slot"] == "victim_name"
    assert "applicant_name" not in events


def test_the_summary_shows_every_answer(dispatcher):
    run(ActionAskConfirm(), dispatcher, make_tracker(slots={**DECIDED, **DETAILS}, active_loop="application_form"))
    message = dispatcher.messages[0]
    assert message["response"] == "utter_confirm_application"
    for value in DETAILS.values():
        assert value in message["summary"]


def test_confirming_twice_makes_one_application(dispatcher):
    chat = InProcessChat()
    first = chat.apply(details={**DETAILS, "confirm": "yes"})
    second = slots_set(run(ActionSubmitApplication(), dispatcher, chat.tracker()))["application"]
    assert first["reference"] == second["reference"] and first["reference"].startswith("ASBCR-2026-")
    assert first["acknowledge_by"] == "2026-12-02"  # five working days after Wednesday 25 November 2026
    assert dispatcher.messages[0]["custom"] == {"application": first}

    from casework.service import export_json, list_applications
    assert len(list_applications()) == 1
    exported = export_json(first["reference"])
    assert exported["channel"] == "chat" and exported["applicant"]["name"] == "Jo Bloggs"
    assert exported["decision"]["outcome"] == "apply"
    # The application records each incident as confirmed: its own bodies and dates.
    assert exported["facts"]["incidents"] == chat.slots["case_facts"]["incidents"]


def test_a_store_that_is_down_keeps_the_answers(monkeypatch):
    chat = InProcessChat()
    chat.say(OPENING)
    chat.answer(ANSWERS, lambda c: c.decision is not None)
    chat.say("apply now")
    chat.answer(DETAILS, lambda c: c.ask == "confirm")
    monkeypatch.setenv("ASBCR_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    chat.say("yes")
    assert chat.responses == ["utter_application_failed"] and chat.slots["confirm"] is None
    assert chat.slots["applicant_name"] == "Jo Bloggs"
