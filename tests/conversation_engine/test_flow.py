"""The conversation, held in-process (bot/conversation): check your answers, the case model,
progress, help on the way. Through the running server: tests/conversation."""

from pathlib import Path

import pytest

from tests.chat_client import asbcr_check
from tests.conversation_engine.chat import ANSWERS, OPENING, Chat


def past_the_danger_question() -> Chat:
    """A conversation opened with OPENING, past the danger question everyone is asked first."""
    chat = Chat()
    chat.say(OPENING)
    assert chat.ask == "emergency"
    chat.say("no")
    return chat


def test_every_decision_but_999_comes_after_a_check_of_the_facts_it_is_made_on():
    chat = Chat().answer_until(ANSWERS, OPENING, stop="check")
    shown = chat.check
    assert [i["date"] for i in shown["incidents"]] == ["2026-10-03", "2026-10-20", "2026-11-01"]
    assert all(i["reported_to"] == ["police"] for i in shown["incidents"])
    assert "3 October 2026: told the police" in chat.text()
    chat.say("yes that's right")
    assert chat.decision["outcome"] == "apply"
    # The decision is the rule set's on exactly the confirmed facts: `asbcr check` agrees.
    assert asbcr_check(shown)["outcome"] == chat.decision["outcome"]


def test_the_check_shows_the_report_date_where_it_differs_from_the_incident():
    answers = dict(
        ANSWERS,
        incident_dates="it happened on saturday 3rd october and i reported it the next day, "
        "sunday the 4th. then 20/10 and 1st nov",
    )
    chat = Chat().answer_until(answers, OPENING, stop="check")
    first = chat.check["incidents"][0]
    assert (first["date"], first.get("reported_on")) == ("2026-10-03", "2026-10-04")
    assert "3 October 2026, reported 4 October 2026: told the police" in chat.text()
    assert "20 October 2026: told the police" in chat.text()  # no report date where it is the same day


def test_a_date_in_the_answer_to_a_question_asked_after_the_check_is_no_incident():
    chat = Chat().answer_until(ANSWERS, OPENING, stop="check")
    dates = [i["date"] for i in chat.check["incidents"]]
    chat.say("there was a review about this and I'm not happy with it")
    assert chat.ask == "previous_review"  # said in passing: asked to be sure
    chat.say("yes, december last year, the outcome was rubbish")
    assert chat.ask == "check"
    assert [i["date"] for i in chat.check["incidents"]] == dates
    assert chat.check["previous_review"] is True


def test_an_emergency_goes_straight_to_999_without_a_check():
    chat = Chat()
    chat.say("help hes outside my door with a knife right now")
    assert chat.decision["outcome"] == "emergency"
    assert "check" not in chat.asked


def test_one_incident_told_to_three_bodies_is_one_incident():
    chat = Chat().answer_until(
        {**ANSWERS, "incident_dates": "just the 3rd of October"},
        "I rang the police, the council and the housing about the brick through my window, so that's three?",
        stop="check",
    )
    assert chat.check["incidents"] == [{"date": "2026-10-03", "reported_to": ["police", "council", "social_landlord"]}]
    chat.say("yes")
    assert chat.decision["outcome"] == "threshold_not_met"


def test_different_bodies_for_different_incidents_stay_with_their_incident():
    chat = Chat().answer_until(
        {**ANSWERS, "incident_dates": "2 Sept and 14 Oct to the police and 3 Nov to the council"}, OPENING, stop="check"
    )
    assert [(i["date"], i["reported_to"]) for i in chat.check["incidents"]] == [
        ("2026-09-02", ["police"]),
        ("2026-10-14", ["police"]),
        ("2026-11-03", ["council"]),
    ]


def test_a_private_landlord_and_a_councillor_in_passing_do_not_count():
    chat = Chat().answer_until(
        {**ANSWERS, "reported_to": "I rent off a bloke called Steve, told him loads, and my councillor at Tesco"}, OPENING
    )
    assert chat.decision["outcome"] == "report_first", chat.log()


def test_reports_only_to_bodies_that_do_not_count_are_dated_once_and_shown_at_the_check():
    chat = past_the_danger_question()
    chat.say("yes still going on")
    chat.say("only my letting agent")
    assert chat.ask == "incident_dates"
    chat.say("2 October and 9 November")
    assert chat.ask == "check", chat.log()
    assert [(i["date"], i["reported_to"]) for i in chat.check["incidents"]] == [
        ("2026-10-02", ["private_landlord"]),
        ("2026-11-09", ["private_landlord"]),
    ]
    chat.say("yes")
    assert chat.decision["outcome"] == "report_first", chat.log()


def test_a_date_told_with_the_police_in_it_still_counts_after_saying_only_the_landlord():
    chat = past_the_danger_question()
    chat.say("yes still going on")
    chat.say("only my letting agent")
    assert chat.ask == "incident_dates"
    chat.say("the agent on 2 October, and I rang 101 on 3 November and 12 November")
    for _ in range(6):
        if chat.ask == "check":
            break
        chat.say({"incidents_related": "yes same people", "on_behalf": "me"}.get(chat.ask, "the police"))
    assert chat.ask == "check", chat.log()
    assert [(i["date"], i["reported_to"]) for i in chat.check["incidents"]] == [
        ("2026-10-02", ["private_landlord"]),
        ("2026-11-03", ["police"]),
        ("2026-11-12", ["police"]),
    ], chat.log()


@pytest.mark.parametrize(
    "told, when, expected",
    [
        (
            "the council every time, and for the August one I rang the police as well",
            "25 may, 26 august, 19 october",
            [["council"], ["council", "police"], ["council"]],
        ),
        (
            "All three to the council. On 3 September I rang the police too",
            "9 July, 3 September and 12 October",
            [["council"], ["council", "police"], ["council"]],
        ),
    ],
)
def test_a_body_told_about_one_incident_too_stays_with_that_incident(told, when, expected):
    chat = Chat().answer_until({**ANSWERS, "reported_to": told, "incident_dates": when}, OPENING, stop="check")
    assert [i["reported_to"] for i in chat.check["incidents"]] == expected, chat.log()


def test_a_correction_about_some_incidents_keeps_the_others():
    chat = Chat().answer_until({**ANSWERS, "incident_dates": "3 june, 9 july, 20 aug and 1 oct"}, OPENING, stop="check")
    assert len(chat.check["incidents"]) == 4, chat.log()
    chat.say("no, the last one was 2 oct not the 1st, and the 9 july one was the council too. four in total")
    assert [(i["date"], i["reported_to"]) for i in chat.check["incidents"]] == [
        ("2026-06-03", ["police"]),
        ("2026-07-09", ["police", "council"]),
        ("2026-08-20", ["police"]),
        ("2026-10-02", ["police"]),
    ], chat.log()


def test_i_havent_told_the_council_or_the_police_is_taken_at_its_word():
    chat = Chat().answer_until(
        ANSWERS, "music every night. I've told my letting agent five times but I haven't told the council or the police"
    )
    assert chat.decision["outcome"] == "report_first", chat.log()


def test_a_correction_at_the_check_replaces_the_date_and_shows_the_check_again():
    chat = Chat().answer_until(ANSWERS, OPENING, stop="check")
    chat.say("no, the first one was the 3rd of June")
    assert chat.ask == "check", chat.log()
    assert [i["date"] for i in chat.check["incidents"]] == ["2026-06-03", "2026-10-20", "2026-11-01"]


def test_no_youve_got_that_wrong_asks_what_to_change_instead_of_answering():
    chat = Chat().answer_until(ANSWERS, OPENING, stop="check")
    before = chat.check
    chat.say("no, you've got that wrong")
    assert chat.ask == "check" and "What should I change?" in chat.text()
    assert chat.state["checked"] == before


def test_she_has_said_yes_now_after_get_consent_leads_to_apply():
    chat = Chat().answer_until(
        {**ANSWERS, "on_behalf": "for my mum", "consent": "I haven't asked her yet"}, OPENING + ", my mum can't sleep"
    )
    assert chat.decision["outcome"] == "get_consent", chat.log()
    chat.say("she's said yes now")
    assert chat.ask == "check", chat.log()
    assert chat.check["consent"] is True
    chat.say("yes")
    assert chat.decision["outcome"] == "apply", chat.log()


def test_a_staff_story_with_the_threshold_met_still_applies():
    chat = Chat().answer_until(
        ANSWERS, "the housing officer said she'd ring me back and never did, and the lads next door are still at it every night"
    )
    assert chat.decision["outcome"] == "apply", chat.log()
    assert "complaints_procedure" in chat.decision["routes"]


def test_who_it_is_for_is_asked_only_when_someone_else_is_mentioned_and_shown_at_the_check_otherwise():
    chat = Chat().answer_until(ANSWERS, OPENING, stop="check")
    assert "on_behalf" not in chat.asked, chat.log()
    assert "Applying for: yourself" in chat.text(), chat.log()
    chat.say("it's not for me, it's for my mum, she lives there")
    assert chat.ask == "consent", chat.log()
    chat.say("she's said yes")
    assert chat.ask == "check" and chat.check["on_behalf"] is True and chat.check["consent"] is True, chat.log()

    mentioned = Chat().answer_until(ANSWERS, "the lads next door to my nan play music every weekend till 4am", stop="check")
    assert "on_behalf" in mentioned.asked, mentioned.log()


@pytest.mark.parametrize(
    "opening, asked, shown",
    [
        ("the lads next door play music every weekend till 4am", False, "yes"),  # goes on, in its own words
        ("the lads next door had parties, I reported it to the police", False, "yes"),  # nothing either way: shown, to correct
        ("the lads next door had parties all summer, I want to know why it took so long", True, "yes"),  # answered "yes"
        ("the dealing from the flat upstairs is over now, they were evicted", False, "no"),  # stopped, in its own words
        ("the housing officer was really rude to me and never called back like she promised", True, "yes"),  # about handling
    ],
)
def test_whether_it_goes_on_is_asked_only_when_the_story_leaves_it_open(opening, asked, shown):
    chat = Chat().answer_until(ANSWERS, opening, stop="check")
    assert ("asb_ongoing" in chat.asked) is asked, chat.log()
    assert f"Still happening: {shown}" in chat.text(), chat.log()


def test_stopped_is_not_read_where_the_behaviour_goes_on():
    chat = Chat().answer_until(ANSWERS, "the tenant moved out but her son still has parties every weekend")
    assert chat.decision["outcome"] == "apply", chat.log()


@pytest.mark.parametrize(
    "aside, reply",
    [
        ("what is a case review?", "Community Trigger"),
        ("why do you need that?", "Only reports made since 25 May 2026 count, and you need three or more"),
        ("can I talk to someone?", "0115 907 2274"),
        ("help", "0115 907 2274"),
    ],
)
def test_help_on_the_way_keeps_the_place(aside, reply):
    chat = past_the_danger_question()
    chat.say("the police")
    assert chat.ask == "incident_dates"
    chat.say(aside)
    assert reply in chat.text(), chat.log()
    assert chat.ask == "incident_dates"  # asked again, nothing lost
    assert chat.state["case"]["bodies"] == ["police"]


def test_start_again_is_confirmed_before_anything_is_forgotten():
    chat = past_the_danger_question()
    chat.say("the police")
    chat.say("start again")
    assert "forget everything" in chat.text()
    chat.say("no, carry on")
    assert chat.state["case"]["bodies"] == ["police"] and chat.ask == "incident_dates"
    chat.say("start again")
    chat.say("yes")
    assert chat.state["case"]["bodies"] == [] and chat.ask == "emergency"  # a fresh start


def test_an_ordinary_answer_never_starts_again():
    chat = past_the_danger_question()
    chat.say("the police")
    chat.say("3 oct, 20/10 and 1st nov")
    chat.say("yes, all from the flat upstairs")
    assert "forget everything" not in chat.text() and chat.state["phase"] != "restart"
    assert len(chat.state["case"]["incidents"]) == 3 and chat.state["case"]["incidents_related"] is True


def test_no_question_is_asked_a_third_time_without_progress():
    chat = Chat()
    chat.say(OPENING)
    chat.say("no")  # nobody in danger now
    assert chat.ask == "reported_to"
    chat.say("banana")
    # Asked again, differently: choices and what does not count.
    assert chat.ask == "reported_to" and "Sorry, I didn't catch who you told" in chat.text(), chat.log()
    chat.say("banana")
    # Not a third time: the default is taken and said, and the bot moves on (here to the check).
    assert "I'll go with the usual answer" in chat.text(), chat.log()
    assert chat.ask == "check" and chat.check["incidents"] == []
    assert chat.asked.count("reported_to") == 2


def test_a_count_and_a_total_are_told_apart():
    chat = Chat().answer_until(
        {**ANSWERS, "incident_dates": "the 3rd of October and the 1st of November"},
        "it's happened eight times altogether, two this year, all to the police",
    )
    assert chat.decision["outcome"] == "threshold_not_met", chat.log()


def test_a_date_when_it_started_is_not_a_report():
    chat = Chat().answer_until(
        ANSWERS, "it's been going on since about March and I rang the police on 3 June and 20 October", stop="check"
    )
    dates = [i["date"] for i in chat.check["incidents"]]
    assert "2026-03-01" not in dates and "2026-06-03" in dates


def test_the_question_pins_down_one_incident_where_bodies_that_count_and_that_dont_are_mixed():
    chat = past_the_danger_question()
    chat.say("the police and my letting agent")
    chat.say("3 oct, 20/10 and 1st nov")
    assert chat.ask == "reported_to" and chat.custom("incident") == 0, chat.log()
    assert chat.custom("incident_date") == "2026-10-03"


def test_reference_numbers_stay_with_their_incident():
    chat = Chat().answer_until(
        {**ANSWERS, "incident_dates": "3 oct (crime ref 23000456789), 20/10 and 1st nov"}, OPENING, stop="check"
    )
    assert chat.check["incidents"][0]["reference"] == "23000456789"


@pytest.mark.parametrize(
    "opening, outcome",
    [
        (
            "we had a case review in August and I'm not happy with what they decided, I've reported them to the police loads",
            "appeal",
        ),
        ("help hes outside my door with a knife right now, Ive rung the police before", "emergency"),
    ],
)
def test_a_decision_that_does_not_turn_on_reports_never_says_none_were_made(opening, outcome):
    chat = Chat().answer_until(ANSWERS, opening)
    assert chat.decision["outcome"] == outcome, chat.log()
    assert chat.decision["routes"] == [outcome]
    assert "not reported" not in chat.text()


def test_the_same_check_is_never_shown_a_third_time():
    chat = Chat().answer_until(ANSWERS, OPENING, stop="check")
    shown = 1
    for _ in range(4):
        chat.say("no, that's wrong, it's about the bins")  # nothing the bot can use
        if chat.decision:
            break
        shown += chat.ask == "check" and chat.check is not None
    assert chat.decision is not None and shown <= 2, chat.log()
    assert "go ahead with what I have" in chat.log()


def test_reports_made_about_the_resident_are_not_their_reports():
    chat = Chat()
    chat.say("my neighbour keeps reporting me to the council for noise but its her dogs barking all night")
    assert "someone has reported you" in chat.text()
    chat.say("no")  # nobody in danger now
    assert chat.state["case"]["bodies"] == [] and chat.ask == "reported_to", chat.log()


def test_several_bodies_for_several_incidents_asks_who_was_told_about_each():
    # "The police and the council" for three dates says nothing of which went where: the check
    # must not claim every incident went to both, so each incident is asked about.
    chat = past_the_danger_question()
    chat.say("the police and the council")
    chat.say("3 oct, 20/10 and 1st nov")
    asked = []
    for answer in ("the police", "the council", "both of them, police and council"):
        assert chat.ask == "reported_to", chat.log()
        asked.append(chat.custom("incident_date"))
        chat.say(answer)
    assert asked == ["2026-10-03", "2026-10-20", "2026-11-01"]
    while chat.ask not in ("check", None):
        chat.say(ANSWERS[chat.ask])
    assert [i["reported_to"] for i in chat.check["incidents"]] == [["police"], ["council"], ["police", "council"]], chat.log()


def test_bodies_listed_in_order_go_to_the_incidents_in_order():
    chat = past_the_danger_question()
    chat.say("council, police, council")
    chat.say("3 oct, 20/10 and 1st nov")
    while chat.ask not in ("check", None):
        assert chat.ask != "reported_to", chat.log()
        chat.say(ANSWERS[chat.ask])
    assert [i["reported_to"] for i in chat.check["incidents"]] == [["council"], ["police"], ["council"]], chat.log()


def test_not_about_staff_at_the_check_takes_the_staff_complaint_away():
    chat = Chat().answer_until(
        ANSWERS, "the lads outside laugh at me and they said they'd ring me back and never did", stop="check"
    )
    assert chat.check.get("staff_conduct") is True, chat.log()
    chat.say("no, I'm not complaining about the staff, it's the lads")
    while chat.ask not in ("check", None):
        chat.say(ANSWERS[chat.ask])
    assert not chat.check.get("staff_conduct"), chat.log()


def test_twice_telling_of_something_frightening_now_without_a_no_is_taken_as_danger():
    # Safety first: after two answers that describe trouble now and never say "no", the bot must
    # not go on with the default that nobody is in danger.
    chat = Chat()
    chat.say(OPENING)
    assert chat.ask == "emergency"
    chat.say("funny you ask, I'm scared, they're in the garden shouting at me right now")
    chat.say("funny you ask, I'm scared, they're in the garden shouting at me right now")
    assert chat.decision and chat.decision["outcome"] == "emergency", chat.log()


def test_incidents_named_by_their_month_are_counted_and_their_dates_asked_for():
    chat = past_the_danger_question()
    chat.say("the council on 4th July, and I rang 101 for the August one and the October one")
    assert chat.ask == "incident_dates" and "1 of the 3 dates" in chat.text(), chat.log()


def test_a_question_of_their_own_is_answered_and_the_same_question_asked_again():
    chat = past_the_danger_question()
    chat.say("the police")
    assert chat.ask == "incident_dates"
    chat.say("before I give you the dates, are last year's reports any use?")
    assert "since 25 May 2026" in chat.text() and "0115 907 2274" in chat.text(), chat.log()
    assert chat.ask == "incident_dates"


def test_asides_over_and_over_never_hold_a_question_open():
    chat = past_the_danger_question()
    chat.say("the police")
    asked = []
    for _ in range(4):
        if chat.ask != "incident_dates":
            break
        asked.append(next(m["text"] for m in chat.replies if (m.get("custom") or {}).get("ask")))
        chat.say("what is a case review?")
    assert chat.ask != "incident_dates", chat.log()
    assert max(asked.count(text) for text in asked) <= 2, chat.log()


def test_trouble_happening_now_in_answer_to_the_danger_question_is_danger_at_once():
    chat = Chat()
    chat.say("is this where I ask about a case review? my ex won't leave me alone")
    assert chat.ask == "emergency"
    chat.say("he's out there now shouting my name, the kids are upstairs")
    assert chat.decision and chat.decision["outcome"] == "emergency", chat.log()


def test_an_incident_reported_days_later_is_one_incident_with_its_report_date():
    chat = past_the_danger_question()
    chat.say("the police")
    chat.say(
        "2 June, 9 July, and for the council one the party was Saturday 19th September and I rang them on the Monday, the 21st"
    )
    while chat.ask not in ("check", None):
        chat.say(ANSWERS[chat.ask])
    assert [(i["date"], i.get("reported_on")) for i in chat.check["incidents"]][-1] == ("2026-09-19", "2026-09-21"), chat.log()
    assert len(chat.check["incidents"]) == 3, chat.log()


def test_what_happens_as_a_rule_is_not_danger_now_and_a_999_answer_can_be_taken_back():
    chat = Chat()
    chat.say("the lads on the rec are a nightmare")
    chat.say("they hang about out there most nights")
    assert not chat.decision, chat.log()
    chat = Chat()
    chat.say("the lads on the rec are a nightmare")
    chat.say("there's a gang of them in my front garden right now smashing the gnomes")
    assert chat.decision["outcome"] == "emergency", chat.log()
    chat.say("no, sorry, nobody is in danger, they've gone now")
    assert chat.ask and chat.ask != "check" and not chat.decision, chat.log()


def test_naming_the_neighbours_as_the_concern_is_not_applying_for_them():
    chat = Chat()
    chat.say("my neighbour is a nightmare")
    chat.say("no")
    assert chat.ask == "concern"
    chat.say("the neighbours")
    assert (chat.state.get("case") or {}).get("on_behalf") is not True, chat.log()


def test_the_other_one_at_a_correction_adds_a_date():
    chat = Chat().answer_until({**ANSWERS, "incident_dates": "3 oct and 1 nov"}, OPENING)
    assert chat.decision["outcome"] == "threshold_not_met"
    chat.say("actually it was 3 times, the other one was 20/10")
    for _ in range(8):
        if chat.decision:
            break
        chat.say(ANSWERS[chat.ask])
    assert chat.decision["outcome"] == "apply", chat.log()


def test_the_bot_says_the_decisions_own_words_for_bodies_and_defaults():
    from rules import load_partnership

    chat = Chat().answer_until(ANSWERS, OPENING, stop="check")
    check_words = next(m["custom"]["words"] for m in chat.replies if (m.get("custom") or {}).get("check"))
    assert check_words["bodies"] == load_partnership("erewash").bodies
    assert f"3 October 2026: told {check_words['bodies']['police']}" in chat.text()
    chat.say("yes that's right")
    decision = chat.decision
    assert "incidents[0].reported_on" in decision["assumed"]
    chat.say("why?")
    said = chat.text()
    # Each default's sentence from the decision, once, however many incidents it is about.
    sentence = decision["words"]["assumed"]["incidents[0].reported_on"]
    assert said.count(sentence) == 1
    assert all(decision["words"]["assumed"][key] in said for key in decision["assumed"])


# Questions answered from a few choices: the bot sends the buttons (the chat page invents none).
CHOICE_ASKS = (
    "concern",
    "emergency",
    "asb_ongoing",
    "reported_to",
    "incidents_related",
    "on_behalf",
    "consent",
    "complaint_completed",
    "complained_about",
    "previous_review",
    "check",
)


def test_every_choice_question_the_bot_asks_comes_with_its_buttons():
    asked = set()
    for answers, opening in (
        (ANSWERS, OPENING + ", my mum can't sleep"),
        (dict(ANSWERS, on_behalf="for my mum"), OPENING + " and my mum can't sleep"),
    ):
        chat = Chat()
        chat.say(opening)
        for _ in range(20):
            if chat.decision:
                break
            ask = chat.ask
            if ask in CHOICE_ASKS:
                asked.add(ask)
                assert any(m.get("buttons") for m in chat.replies), (ask, chat.text())
            chat.say(answers[ask])
        assert chat.decision
    assert {"emergency", "reported_to", "incidents_related", "on_behalf", "consent", "check"} <= asked
    # The questions these conversations did not reach: their every wording in the domain has buttons.
    import yaml

    responses = yaml.safe_load((Path(__file__).resolve().parents[2] / "bot" / "domain.yml").read_text())["responses"]
    for ask in CHOICE_ASKS:
        for name, variants in responses.items():
            if name == f"utter_ask_{ask}" or name.startswith(f"utter_ask_{ask}_"):
                assert all(variant.get("buttons") for variant in variants), name


def test_a_day_said_about_one_incident_is_when_it_was_reported_not_another_incident():
    chat = past_the_danger_question()
    chat.say("the police and the council")
    chat.say("23 May, 16 July and 4 September")
    assert chat.ask == "reported_to" and chat.custom("incident") == 0, chat.log()
    chat.say("council environmental health, rang them on the 26th")
    while chat.ask not in ("check", None):
        chat.say({"reported_to": "the police"}.get(chat.ask) or ANSWERS[chat.ask])
    incidents = chat.check["incidents"]
    assert [(i["date"], i.get("reported_on")) for i in incidents] == [
        ("2026-05-23", "2026-05-26"),
        ("2026-07-16", None),
        ("2026-09-04", None),
    ], chat.log()
    assert incidents[0]["reported_to"] == ["council"], chat.log()
