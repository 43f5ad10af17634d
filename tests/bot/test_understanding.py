"""What one message tells the bot, given the question it asked. Entities are given as the
NLU pipeline would give them, so each row tests the bot's reading, not the extractor."""
import datetime as dt

import pytest

from bot.actions.understanding import understand

TODAY = dt.date(2026, 11, 25)


def org(*values):
    return [{"entity": "organisation", "value": v} for v in values]


def ent(label, value):
    return [{"entity": label, "value": value}]


CASES = [
    # (description, text, intent, entities, asked, slots before, expected updates (subset), answered)
    ("yes to danger", "yes", "affirm", [], "emergency", {}, {"emergency": True}, True),
    ("no to danger", "nope", "deny", [], "emergency", {}, {"emergency": False}, True),
    ("danger words at any time", "he's outside with a knife", "tell_story", ent("danger", "true"), "incident_count", {}, {"emergency": True}, False),
    ("an emergency-sounding story without danger words only asks", "kids keep smashing my car windows", "emergency", [], None, {},
     {"danger_suspected": True}, False),
    ("the concern button", "/tell_story", "tell_story", [], "concern", {}, {"concern": "asb"}, True),
    ("a staff complaint opens as staff", "the officer was so rude", "complain_staff", org("police"), None, {}, {"concern": "staff", "staff_conduct": True, "complained_about": "police"}, False),
    ("unhappy with a review: confirmed by a question, not assumed", "we had a review and nothing changed", "unhappy_with_review", [], None, {},
     {"concern": "review"}, False),
    ("a past review in a story", "my mum had a case review in March and the panel did nothing", "tell_story", [], None, {}, {"concern": "review"}, False),
    ("an opening about drug dealing is about ASB", "people dealing drugs outside my flat", "inform", [], None, {}, {"concern": "asb"}, False),
    ("an opening about neighbours is about ASB", "my neighbours are loud", "inform", [], None, {}, {"concern": "asb"}, False),
    ("asking for a review is not a past review", "can i get one of these case review things", "ask_eligibility", [], None, {}, {}, False),
    ("staff words beat a story's intent", "a police officer laughed at me when I reported being harassed", "tell_story",
     ent("staff_conduct", "true") + org("police"), None, {}, {"concern": "staff", "staff_conduct": True, "complained_about": "police"}, False),
    ("a finished complaint in the opening", "the council ignored me, I complained and got a final answer I don't accept", "complain_staff",
     org("council"), None, {}, {"concern": "staff", "complaint_completed": True}, False),
    ("a complaint still open", "I've started a complaint but they haven't answered", "complain_staff", [], "complaint_completed",
     {"concern": "staff"}, {"complaint_completed": False}, True),
    ("a staff intent later does not change the concern", "I need to check with the committee first", "complain_staff", [], "consent",
     {"concern": "asb", "on_behalf": True}, {"consent": "not_asked"}, True),
    ("not sure is not a no", "not sure, it might happen again", "deny", [], "asb_ongoing", {}, {"unknown_answers": ["asb_ongoing"]}, True),
    ("it has stopped", "it stopped in april", "inform", ent("asb_status", "stopped"), "asb_ongoing", {}, {"asb_ongoing": False}, True),
    ("a leading yes beats the classifier", "yes got their final reply", "inform", [], "complaint_completed", {}, {"complaint_completed": True}, True),
    ("a leading no beats the classifier", "nah not finished yet", "affirm", [], "complaint_completed", {}, {"complaint_completed": False}, True),
    ("a thumbs up is a yes", "👍", "nlu_fallback", [], "reported", {}, {"reported": True}, True),
    ("still happening", "yes every night", "affirm", [], "asb_ongoing", {}, {"asb_ongoing": True}, True),
    ("reported to two bodies", "police and the council", "inform", org("police", "council"), "reported_to", {}, {"reported_to": ["police", "council"], "reported": True}, True),
    ("bare landlord needs a follow-up", "my landlord", "inform", org("landlord"), "reported_to", {}, {"landlord_unclear": True, "reported": True}, True),
    ("follow-up refines, keeps police", "housing association", "inform", org("social_landlord"), "reported_to",
     {"reported_to": ["police"], "landlord_unclear": True}, {"reported_to": ["police", "social_landlord"], "landlord_unclear": False}, True),
    ("a number", "4", "inform", [], "incident_count", {}, {"incident_count": 4}, True),
    ("a number in words", "three times", "inform", ent("incident_count", "3"), "incident_count", {}, {"incident_count": 3}, True),
    ("loads is not a number", "loads", "inform", ent("incident_count", "many"), "incident_count", {}, {}, False),
    ("dates, day first", "12/10, 20/10 and 1/11", "inform", ent("date", "12/10"), "incident_dates", {"incident_count": 3},
     {"incident_dates": ["2026-10-12", "2026-10-20", "2026-11-01"]}, True),
    ("for my mum", "its for my mum", "inform", ent("someone_else", "my mum"), "on_behalf", {}, {"on_behalf": True}, True),
    ("for myself", "just me", "inform", [], "on_behalf", {}, {"on_behalf": False}, True),
    ("consent given", "yes she agreed", "affirm", [], "consent", {"on_behalf": True}, {"consent": "yes"}, True),
    ("consent refused", "no he doesn't want me to", "deny", [], "consent", {"on_behalf": True}, {"consent": "no"}, True),
    ("consent not asked", "i havent asked her yet", "deny", [], "consent", {"on_behalf": True}, {"consent": "not_asked"}, True),
    ("not related", "no they're different people", "deny", ent("relation", "unrelated"), "incidents_related", {}, {"incidents_related": False}, True),
    ("complained about the council", "the council", "inform", org("council"), "complained_about", {}, {"complained_about": "council"}, True),
    ("not reported means no bodies", "no", "deny", [], "reported", {}, {"reported": False, "reported_to": []}, True),
    ("a correction of the count", "actually it was 4 times", "change_answer", ent("incident_count", "4"), None, {"incident_count": 3}, {"incident_count": 4}, False),
    ("a correction to someone else", "no its for my dad", "change_answer", ent("someone_else", "my dad"), None, {"on_behalf": False}, {"on_behalf": True}, False),
]


@pytest.mark.parametrize("description, text, intent, entities, asked, slots, expected, answered", CASES, ids=[c[0] for c in CASES])
def test_understand(description, text, intent, entities, asked, slots, expected, answered):
    found = understand(text, intent, entities, asked, slots, TODAY)
    for key, value in expected.items():
        assert found.updates.get(key) == value, (key, found.updates)
    if not expected:
        assert not found.updates
    assert found.answered is answered


def test_a_future_date_is_reported_not_taken():
    found = understand("30 December 2026", "inform", [], "incident_dates", {"incident_count": 1}, TODAY)
    assert "incident_dates" not in found.updates
    assert found.problems and found.problems[0].startswith("future_date:30 December 2026")


def test_nonsense_for_dates_is_reported_not_taken():
    found = understand("blah blah", "inform", [], "incident_dates", {"incident_count": 1}, TODAY)
    assert "incident_dates" not in found.updates
    assert found.problems[0].startswith("unreadable_date")


def test_that_is_all_counts_the_dates_given():
    slots = {"incident_count": 4, "incident_dates": ["2026-10-01", "2026-10-09"]}
    found = understand("that's all I can remember", "inform", [], "incident_dates", slots, TODAY)
    assert found.updates["incident_count"] == 2 and found.answered


def test_more_dates_are_added_to_those_given():
    slots = {"incident_count": 3, "incident_dates": ["2026-10-01"]}
    found = understand("and 3 nov and 10 nov", "inform", [], "incident_dates", slots, TODAY)
    assert found.updates["incident_dates"] == ["2026-10-01", "2026-11-03", "2026-11-10"]


def test_a_long_story_is_kept_for_the_application():
    story = "the lads next door play music till 3am every weekend and shout abuse at my kids"
    found = understand(story, "tell_story", [], None, {}, TODAY)
    assert found.updates["story"] == story and found.updates["concern"] == "asb"
