"""The application part of the chat, on Tracker.from_dict fixtures, against a real
(temporary SQLite) applications store."""

import pytest

from bot.actions.application import ActionAskConfirm, ActionSubmitApplication, ValidateApplicationForm
from tests.bot.chat import ANSWERS, OPENING, InProcessChat
from tests.run_async import run_async
from tests.bot.conftest import DOMAIN, asked_next, make_tracker

CONFIRMED = {
    "as_of": "2026-11-25",
    "on_behalf": False,
    "incidents": [
        {"date": "2026-10-01", "reported_to": ["police"], "reference": "DC-123"},
        {"date": "2026-10-20", "reported_to": ["council"]},
        {"date": "2026-11-01", "reported_to": ["police", "council"]},
    ],
}
DECIDED = {"case_facts": CONFIRMED, "on_behalf": False, "outcome": "apply"}
DETAILS = {
    "applicant_name": "Jo Bloggs",
    "applicant_email": "jo@example.org",
    "applicant_phone": "07700 900123",
    "address": "12 Station Road, Ilkeston DE7 5AB",
    "description": "Music every weekend.",
    "impact": "No sleep.",
}


@pytest.fixture(autouse=True)
def applications_db(tmp_path, monkeypatch):
    monkeypatch.setenv("ASBCR_DATABASE_URL", f"sqlite:///{tmp_path / 'applications.db'}")
    monkeypatch.setenv("ASBCR_VAR", str(tmp_path / "var"))


def run(action, dispatcher, tracker):
    return run_async(action.run(dispatcher, tracker, DOMAIN))


def slots_set(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def validate(dispatcher, **tracker):
    """validate_application_form's slots and the question the form asks next."""
    made = make_tracker(active_loop="application_form", **tracker)
    events = run(ValidateApplicationForm(), dispatcher, made)
    return slots_set(events), asked_next(made.slots, events)


def test_the_story_becomes_the_description_and_is_not_asked_again(dispatcher):
    events, asked = validate(
        dispatcher, slots={**DECIDED, "story": "the lads next door play music till 3am"}, text="yes", intent="affirm"
    )
    assert events["description"] == "the lads next door play music till 3am"
    assert asked == "applicant_name"


def test_answers_known_when_the_form_starts_are_kept_as_they_are(dispatcher):
    # A new decision after applying starts the form again with the earlier answers: not re-read.
    events, asked = validate(
        dispatcher, slots={**DECIDED, **DETAILS, "applicant_email": "none"}, text="apply now", intent="apply_now"
    )
    assert {name: events[name] for name in DETAILS} == {**DETAILS, "applicant_email": "none"}
    assert asked == "confirm" and dispatcher.messages == []


@pytest.mark.parametrize(
    "asked, answer, expected, response",
    [
        ("applicant_email", "jo at example dot org", None, "utter_invalid_email"),
        ("applicant_email", "its jo.bloggs+asb@example.co.uk thanks", "jo.bloggs+asb@example.co.uk", None),
        ("applicant_email", "none", "none", None),
        ("applicant_phone", "123", None, "utter_invalid_phone"),
        ("applicant_phone", "07700 900123", "07700 900123", None),
        ("applicant_phone", "call me on 07700 900123 after 5", "07700 900123", None),
        ("applicant_phone", "none", "none", None),  # the email was given
    ],
)
def test_contact_details_are_checked(dispatcher, asked, answer, expected, response):
    slots = {**DECIDED, "applicant_name": "Jo", "applicant_email": "jo@example.org" if asked == "applicant_phone" else None}
    events, next_question = validate(dispatcher, slots=slots, text=answer, requested=asked)
    assert events[asked] == expected
    assert [m["response"] for m in dispatcher.messages] == ([response] if response else [])
    assert next_question == (asked if response else "applicant_phone" if asked == "applicant_email" else "address")


def test_no_email_and_no_phone_is_refused(dispatcher):
    slots = {**DECIDED, "applicant_name": "Jo", "applicant_email": "none"}
    events, asked = validate(dispatcher, slots=slots, text="none", requested="applicant_phone")
    assert events["applicant_phone"] is None and asked == "applicant_phone"
    assert dispatcher.messages[0]["response"] == "utter_need_contact"


@pytest.mark.parametrize("asked", ["applicant_name", "applicant_email", "address", "impact", "confirm"])
@pytest.mark.parametrize(
    "answer, response",
    [("", "utter_empty_message"), ("   ", "utter_empty_message"), ("🙂🙂", "utter_emoji_only"), ("!!", "utter_emoji_only")],
)
def test_an_empty_or_emoji_message_is_answered_and_asked_again(dispatcher, asked, answer, response):
    slots = {**DECIDED, **{name: value for name, value in DETAILS.items() if name != asked}}
    events, next_question = validate(dispatcher, slots=slots, text=answer, requested=asked)
    assert events[asked] is None and next_question == asked
    assert [m["response"] for m in dispatcher.messages] == [response]


@pytest.mark.parametrize("asked", ["applicant_name", "applicant_email", "applicant_phone", "address", "description"])
@pytest.mark.parametrize(
    "answer", ['/inform{"applicant_name": "Jo", "applicant_email": "jo@example.org"}', "/affirm", " /inform 07700 900123"]
)
def test_rasa_command_syntax_is_never_an_answer(dispatcher, asked, answer):
    slots = {**DECIDED, **{name: value for name, value in DETAILS.items() if name != asked}}
    events, next_question = validate(dispatcher, slots=slots, text=answer, requested=asked)
    assert events[asked] is None and next_question == asked


def test_for_someone_else_asks_their_name(dispatcher):
    slots = {**DECIDED, **DETAILS, "on_behalf": True, "consent": "yes", "impact": None}
    events, asked = validate(dispatcher, slots=slots, text="x", intent="inform")
    assert asked == "victim_name"


def test_the_form_asks_in_order_and_ends_when_confirmed(dispatcher):
    slots = {**DECIDED, "applicant_name": "Jo"}
    assert validate(dispatcher, slots=slots, text="  12 Station Road  ", requested="address")[0]["address"] == "12 Station Road"
    events, asked = validate(dispatcher, slots={**DECIDED, **DETAILS}, text="yes that's right", requested="confirm")
    assert events["confirm"] is True and asked is None
    events, asked = validate(dispatcher, slots={**DECIDED, **DETAILS}, text="/affirm", intent="affirm", requested="confirm")
    assert events["confirm"] is True and asked is None  # the summary's own button


def test_an_answer_is_read_no_further_than_read_chars(dispatcher):
    from groundwork.limits import READ_CHARS

    events, asked = validate(
        dispatcher, slots={**DECIDED, **DETAILS, "impact": None}, text="I can't sleep. " * 2000, requested="impact"
    )
    assert events["impact"] == ("I can't sleep. " * 2000)[:READ_CHARS].strip() and asked == "confirm"


def test_change_my_phone_asks_for_it_again(dispatcher):
    slots = {**DECIDED, **DETAILS}
    events, asked = validate(
        dispatcher, slots=slots, text="can I change my phone number", intent="change_answer", requested="confirm"
    )
    assert events["applicant_phone"] is None and events["confirm"] is None and asked == "applicant_phone"
    assert "applicant_email" not in events


def test_an_unclear_change_asks_which_part(dispatcher):
    events, asked = validate(dispatcher, slots={**DECIDED, **DETAILS}, text="hmm not sure", intent="inform", requested="confirm")
    assert events["confirm"] is None and asked == "confirm"
    assert [m["response"] for m in dispatcher.messages] == ["utter_which_change"]


@pytest.mark.parametrize("asked", ["applicant_name", "address"])
@pytest.mark.parametrize(
    "answer, response", [("what is a case review anyway", "utter_what_is"), ("why do you need this?", "utter_application_help")]
)
def test_a_question_is_not_taken_as_a_name_or_address(dispatcher, asked, answer, response):
    slots = {**DECIDED, **{name: value for name, value in DETAILS.items() if name not in (asked, "address")}}
    events, next_question = validate(dispatcher, slots=slots, text=answer, intent="ask_what_is", requested=asked)
    assert events[asked] is None and next_question == asked
    assert [m["response"] for m in dispatcher.messages] == [response]


def test_change_my_mums_name_is_the_victims_name(dispatcher):
    slots = {**DECIDED, **DETAILS, "on_behalf": True, "consent": "yes", "victim_name": "Mary"}
    events, asked = validate(
        dispatcher, slots=slots, text="can you change my mum's name", intent="change_answer", requested="confirm"
    )
    assert events["victim_name"] is None and asked == "victim_name"
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
