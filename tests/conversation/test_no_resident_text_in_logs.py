"""No resident text in any log, at any level: a whole conversation with a name, an email, a
phone number and an address through a running stack logging at DEBUG, with the action server
down for one turn (a failure) and frozen for another (a timeout), then every log file under the
stack's var/ is searched for what the resident said."""

import os
import signal

import pytest
import requests

from asbcr.stack import Stack, free_port
from tests.chat_client import Resident
from tests.conversation.conftest import stack_env
from tests.conversation.test_outcomes import BASE, CASES

NAME, EMAIL, PHONE = "Philippa Quennell", "philippa.quennell@example.org", "07700 900461"
ADDRESS, POSTCODE = "41 Larkspur Crescent, Ilkeston", "DE7 9QX"
SECRETS = (NAME, "Quennell", EMAIL, "philippa.quennell", PHONE, "07700900461", "Larkspur", POSTCODE)


@pytest.fixture(scope="module")
def debug_stack(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    env = stack_env(var)
    env.update(LOG_LEVEL="DEBUG", LOG_LEVEL_LIBRARIES="DEBUG")  # every level Rasa and the SDK have
    running = Stack(var=var, env=env, rasa_port=free_port(), actions_port=free_port(), web_port=free_port())
    running.start()
    yield running
    running.stop()


def log_files(var):
    """Every log the stack writes: *.log anywhere under var/, and everything in var/run/."""
    return sorted(
        {path for path in var.rglob("*.log") if path.is_file()} | {path for path in (var / "run").rglob("*") if path.is_file()}
    )


def test_a_whole_conversation_with_a_failure_and_a_timeout_leaves_no_resident_text_in_any_log(debug_stack):
    resident = Resident(debug_stack.rasa_url)

    # A failure: the action server is down for one turn that carries personal data.
    debug_stack.stop_one("actions")
    resident.say(f"hi my name is {NAME}, I live at {ADDRESS} {POSTCODE}, {EMAIL}, {PHONE}")
    assert "technical problem" in resident.text()
    debug_stack.start_actions()

    decision = resident.answer_until_decided(BASE, CASES[0][1])
    assert decision["outcome"] == "apply", resident.log()
    resident.say("yes please")
    details = {
        "applicant_name": NAME,
        "applicant_email": EMAIL,
        "applicant_phone": PHONE,
        "address": f"{ADDRESS} {POSTCODE}",
        "impact": f"I can't sleep, ring me on {PHONE}",
        "confirm": "yes",
    }
    for _ in range(10):
        if resident.application:
            break
        resident.say(details[resident.ask])
    application = resident.application
    assert application, resident.log()
    page = requests.get(application["private_url"], timeout=30)
    assert page.status_code == 200 and NAME in page.text  # the data is there, where it belongs

    # A timeout: the action server is frozen; the resident's client gives up mid-turn.
    actions = debug_stack.processes["actions"]
    os.killpg(actions.pid, signal.SIGSTOP)
    try:
        with pytest.raises(requests.exceptions.Timeout):
            requests.post(resident.url, json={"sender": resident.sender, "message": f"also {NAME}, {EMAIL}"}, timeout=3)
    finally:
        os.killpg(actions.pid, signal.SIGCONT)
    # The turn ends on Rasa's side once the action server answers again; the next one waits for it.
    resident.say("thanks")

    debug_stack.stop()  # every process flushed and closed its log
    files = log_files(debug_stack.var)
    assert {path.name for path in files} >= {"rasa.log", "actions.log", "web.log"}
    everything = "\n".join(path.read_text(errors="replace") for path in files)
    assert "Received user message" not in everything
    found = [value for value in SECRETS if value.lower() in everything.lower()]
    assert found == [], f"resident text in the logs: {found}"
