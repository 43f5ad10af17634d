"""Whole conversations through the running server's REST channel, typed as residents type,
one (or more) per outcome. Answers are given by the question's `ask` name, so the tests
hold whatever order the bot asks in, and fail if it asks something a resident can't answer."""

import pytest

from tests.chat_client import Resident, asbcr_check

BASE = {
    "concern": "the neighbours",
    "emergency": "no",
    "asb_ongoing": "yes still going on",
    "reported": "yes",
    "reported_to": "police and the council",
    "incident_count": "3",
    "incident_dates": "3 oct, 20/10 and 1st nov",
    "incidents_related": "yeah same lads",
    "on_behalf": "no its just me",
    "consent": "yes",
    "complained_about": "the council",
    "complaint_completed": "no",
    "previous_review": "yes",
    "check": "yes that's right",
}

CASES = [
    ("apply", "hiya the lads next door r causing me grief, music n shouting every weekend. reported it 3 times", {}),
    ("report_first", "theres people dealing drugs outside my flat every night", {"reported_to": "no not yet"}),
    ("report_first", "noisy neighbour", {"reported_to": "only my private landlord"}),
    (
        "threshold_not_met",
        "my neighbours dog barks all day and night",
        {"incident_count": "2", "incident_dates": "3 oct and 1 nov"},
    ),
    ("threshold_not_met", "kids keep smashing my car windows", {"incident_dates": "3 january, 20 april and 1 nov"}),
    (
        "get_consent",
        "im asking for my mum, her neighbour keeps shouting abuse at her",
        {"on_behalf": "yes for my mum", "consent": "i havent asked her yet"},
    ),
    (
        "complaints_procedure",
        "the housing officer was really rude to me and never called back like she promised",
        {"complaint_completed": "no", "asb_ongoing": "no its stopped now"},
    ),
    (
        "ombudsman",
        "i complained about the police officer ignoring my calls, went through their whole complaints thing and im still not happy",
        {"complained_about": "police", "complaint_completed": "yes got their final reply"},
    ),
    ("appeal", "we already had a case review and im not happy with the outcome", {}),
    ("emergency", "help hes outside my door with a knife right now", {}),
]


@pytest.mark.parametrize("expected, opening, answers", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_conversation_reaches_outcome(stack, expected, opening, answers):
    resident = Resident(stack.rasa_url)
    decision = resident.answer_until_decided({**BASE, **answers}, opening)
    assert decision is not None, resident.log()
    assert decision["outcome"] == expected, resident.log()


def test_every_question_carries_ask_and_a_text(stack):
    resident = Resident(stack.rasa_url)
    resident.say("hello")
    asked = [m for m in resident.replies if (m.get("custom") or {}).get("ask")]
    assert asked and all(m.get("text") for m in asked)
    assert asked[-1]["custom"]["ask"] == "emergency"  # asked of everyone, first
    assert asked[-1]["buttons"]


def test_apply_then_application_with_reference(stack):
    resident = Resident(stack.rasa_url)
    decision = resident.answer_until_decided(BASE, CASES[0][1])
    assert decision["outcome"] == "apply", resident.log()
    resident.say("yes please")
    details = {
        "applicant_name": "Jo Bloggs",
        "applicant_email": "jo@example.org",
        "applicant_phone": "07700 900123",
        "address": "12 Station Road, Ilkeston DE7 5AB",
        "description": "Loud music and shouting from next door every weekend.",
        "impact": "I can't sleep and I'm scared to go out",
        "confirm": "yes that's right",
    }
    asked = []
    for _ in range(10):
        if resident.application:
            break
        assert resident.ask in details, resident.log()
        asked.append(resident.ask)
        resident.say(details[resident.ask])
    application = resident.application
    assert application and application["reference"].startswith("ASBCR-2026-"), resident.log()
    assert application["acknowledge_by"] == "2026-12-02"
    # The story the resident opened with became the description: it was not asked for again.
    assert asked[:4] == ["applicant_name", "applicant_email", "applicant_phone", "address"], asked
    assert "description" not in asked and "impact" in asked, asked


def test_correction_after_a_decision_gives_a_fresh_decision(stack):
    resident = Resident(stack.rasa_url)
    decision = resident.answer_until_decided(
        {**BASE, "incident_count": "2", "incident_dates": "3 oct and 1 nov"}, "my neighbour is a nightmare"
    )
    assert decision["outcome"] == "threshold_not_met", resident.log()
    resident.say("actually it was 3 times, the other one was 20/10")
    for _ in range(8):  # who was told about each incident is asked one at a time
        if resident.decision:
            break
        resident.say(BASE[resident.ask])
    assert resident.decision and resident.decision["outcome"] == "apply", resident.log()


def test_why_and_summary_and_start_again(stack):
    resident = Resident(stack.rasa_url)
    resident.answer_until_decided({**BASE, "reported_to": "nobody yet"}, "people fighting in the street outside every night")
    assert resident.decision["outcome"] == "report_first", resident.log()
    resident.say("why?")
    assert "report" in resident.text().lower()
    resident.say("summary")
    assert "you have not reported it to anyone yet" in resident.text(), resident.log()
    resident.say("start again")
    assert "forget everything" in resident.text(), resident.log()
    resident.say("yes")
    assert resident.ask == "emergency", resident.log()


def test_start_again_in_the_middle_of_the_questions(stack):
    resident = Resident(stack.rasa_url)
    resident.say("my neighbours are making my life hell, reported it to the police 3 times")
    resident.say("no")  # nobody in danger now
    asked = resident.ask
    assert asked not in (None, "concern", "emergency", "check")
    resident.say("can we start over")
    resident.say("no, carry on")  # nothing is forgotten unless the resident confirms
    assert resident.ask == asked, resident.log()
    resident.say("summary")
    assert "told the police" in resident.text() or "the police" in resident.text(), resident.log()
    resident.say("start again")
    resident.say("yes please")
    assert resident.ask == "emergency", resident.log()
    resident.say("summary")
    assert "police" not in resident.text(), resident.log()


def test_the_decision_is_made_on_exactly_the_facts_confirmed_at_the_check(stack):
    resident = Resident(stack.rasa_url)
    opening = "music every weekend from next door, I rang the police on 2 Sept and 14 Oct and told my letting agent on 3 Nov"
    for _ in range(12):
        resident.say(opening if not resident.replies else {**BASE, "incident_dates": "that's all"}.get(resident.ask, "yes"))
        if resident.ask == "check":
            break
    shown = resident.latest("check")
    # The letting agent (who does not count) stays with the one incident it was told about.
    assert shown and [(i["date"], i["reported_to"]) for i in shown["incidents"]] == [
        ("2026-09-02", ["police"]),
        ("2026-10-14", ["police"]),
        ("2026-11-03", ["private_landlord"]),
    ], resident.log()
    resident.say("yes that's right")
    assert resident.decision["outcome"] == asbcr_check(shown)["outcome"], resident.log()


@pytest.mark.parametrize(
    "odd", ["", "🙂🙂🙂", "asdfghjkl qwerty", "x" * 10_000, "<img src=x onerror=alert(1)>", "what day is the bin collection"]
)
def test_odd_messages_keep_the_conversation(stack, odd):
    resident = Resident(stack.rasa_url)
    resident.say("my neighbours are making my life hell")
    before = resident.ask
    resident.say(odd)
    assert resident.replies, f"no reply to {odd[:30]!r}"
    assert resident.ask == before, resident.log()


def test_the_application_form_answers_what_it_cannot_use_and_asks_again(stack):
    """Rasa fills the slot being asked with the message; validate_application_form refuses what
    won't do, says why, and the same question comes again (never a skipped or a wrong answer)."""
    from bot.conversation.words import responses

    def said(response: str) -> str:
        return responses()[response][0]["text"]

    resident = Resident(stack.rasa_url)
    assert resident.answer_until_decided(BASE, CASES[0][1])["outcome"] == "apply", resident.log()
    resident.say("yes please")
    assert resident.ask == "applicant_name", resident.log()
    steps = [  # (message, what the bot must say, the question asked after it)
        ("what is a case review?", said("utter_what_is"), "applicant_name"),
        ('/inform{"applicant_name": "Mallory"}', None, "applicant_name"),
        ("🙂🙂", said("utter_emoji_only"), "applicant_name"),
        ("Jo Bloggs", None, "applicant_email"),
        ("jo at example dot org", said("utter_invalid_email"), "applicant_email"),
        ("none", None, "applicant_phone"),
        ("none", said("utter_need_contact"), "applicant_phone"),
        ("my mobile is 07700 900123", None, "address"),
        ("12 Station Road, Ilkeston DE7 5AB", None, "impact"),
        ("I can't sleep", None, "confirm"),
        ("hmm", said("utter_which_change"), "confirm"),
        ("change my phone", None, "applicant_phone"),
        ("07700 900456", None, "confirm"),
    ]
    for message, response, asked in steps:
        resident.say(message)
        if response:
            assert response in resident.text(), resident.log()
        assert (resident.replies[-1].get("custom") or {}).get("ask") == asked, resident.log()
    shown = resident.text()
    assert "Name: Jo Bloggs" in shown and "Email: not given" in shown and "Phone: 07700 900456" in shown, resident.log()
    assert "Mallory" not in shown
    resident.say("yes")
    assert resident.application and resident.application["reference"].startswith("ASBCR-2026-"), resident.log()
