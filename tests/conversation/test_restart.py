"""Conversations survive a restart of the Rasa server (SQL tracker store under var/)."""

from tests.chat_client import Resident


def test_conversation_carries_on_after_a_server_restart(stack):
    resident = Resident(stack.rasa_url)
    resident.say("my neighbours are making my life hell, reported it to the police 3 times")
    resident.say("no")  # nobody in danger now
    asked_before = resident.ask
    assert asked_before not in (None, "concern", "emergency")

    stack.stop_one("rasa")
    stack.start_rasa()

    resident.say("summary")
    assert "the police" in resident.text(), resident.log()
    assert resident.ask == asked_before, resident.log()


def test_action_server_down_gets_an_apology_and_loses_nothing(stack):
    resident = Resident(stack.rasa_url)
    resident.say("the lads upstairs are loud every night, reported to the council 3 times")
    resident.say("no")  # nobody in danger now
    asked_before = resident.ask
    stack.stop_one("actions")
    try:
        resident.say("3 oct, 20/10 and 1st nov")
        assert "technical problem" in resident.text(), resident.log()
    finally:
        stack.start_actions()
    resident.say("summary")
    assert "the council" in resident.text(), resident.log()
    assert resident.ask == asked_before, resident.log()
