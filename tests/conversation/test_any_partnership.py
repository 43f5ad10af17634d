"""The whole service started for another partnership (ASBCR_PARTNERSHIP=testshire: threshold two,
one hate incident enough) holds a conversation to a decision and an application in which no word,
number or contact of Erewash's appears: the bot's words, the page, the application and its PDF."""

import re
import subprocess
import sys

import pytest
import requests
from pypdf import PdfReader

from asbcr.stack import DEFAULT_MODEL, Stack, free_port
from groundwork.paths import ROOT
from tests.chat_client import Resident
from tests.conversation.conftest import stack_env

# Erewash's names, numbers and places, as its file and its page write them.
EREWASH = re.compile(r"erewash|ilkeston|derbyshire|DE7|0115|907 22|town hall, derbyshire", re.I)

ANSWERS = {
    "concern": "the neighbours",
    "emergency": "no",
    "asb_ongoing": "yes still going on",
    "reported": "yes",
    "reported_to": "the police",
    "incident_count": "2",
    "incident_dates": "3 oct and 1st nov",
    "incidents_related": "yes same lads",
    "on_behalf": "just me",
    "previous_review": "no",
    "check": "yes that's right",
}
FORM = {
    "applicant_name": "Sam Tester",
    "applicant_email": "sam@example.org",
    "applicant_phone": "01632 960123",
    "address": "4 Test Lane, Testham TE1 2AB",
    "description": "Shouting and music from next door every weekend.",
    "impact": "I can't sleep",
    "confirm": "yes that's right",
}


@pytest.fixture(scope="module")
def testshire(tmp_path_factory):
    if not DEFAULT_MODEL.exists():
        pytest.fail(f"no trained model at {DEFAULT_MODEL}: `make test` trains it first")
    var = tmp_path_factory.mktemp("var-testshire")
    env = stack_env(var)
    web_port = free_port()
    env.update(ASBCR_PARTNERSHIP="testshire", ASBCR_WEB_PORT=str(web_port), ASBCR_PUBLIC_URL=f"http://127.0.0.1:{web_port}")
    running = Stack(var=var, env=env, rasa_port=free_port(), actions_port=free_port(), web_port=web_port)
    running.start()
    yield running, env
    running.stop()


def test_a_conversation_and_its_application_for_another_partnership_say_nothing_of_erewash(testshire, tmp_path):
    stack, env = testshire
    resident = Resident(stack.rasa_url)
    decision = resident.answer_until_decided(
        ANSWERS, "hiya the lads next door keep shouting and playing music, reported it twice"
    )
    assert decision is not None, resident.log()
    # Two related reports meet Testshire's threshold of two (Erewash's three would not).
    assert decision["outcome"] == "apply", resident.log()
    assert decision["rule_set"]["name"] == "testshire"
    resident.say("yes please")
    for _ in range(10):
        if resident.application:
            break
        assert resident.ask in FORM, resident.log()
        resident.say(FORM[resident.ask])
    application = resident.application
    assert application and application["reference"], resident.log()
    assert "01632 960000" in resident.log()  # Testshire's community safety contact is the one named
    assert not EREWASH.search(resident.log()), EREWASH.search(resident.log())

    page = requests.get(stack.web_url, timeout=10).text
    assert "Testshire" in page and "2 or more related" in page
    assert not EREWASH.search(page), EREWASH.search(page)

    link = re.search(r"https?://\S+/application/\S+", resident.log()).group(0)
    private = requests.get(link, timeout=10)
    assert private.status_code == 200 and application["reference"] in private.text
    assert not EREWASH.search(private.text), EREWASH.search(private.text)

    exported = tmp_path / "application.json"
    pdf = tmp_path / "application.pdf"
    for fmt, path in (("json", exported), ("pdf", pdf)):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "asbcr.cli",
                "applications",
                "export",
                application["reference"],
                "--format",
                fmt,
                "--output",
                str(path),
            ],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=60,
        )
    record = exported.read_text(encoding="utf-8")
    assert '"testshire"' in record
    assert not EREWASH.search(record), EREWASH.search(record)
    text = " ".join(page.extract_text() for page in PdfReader(str(pdf)).pages)
    assert "Testshire" in text
    assert not EREWASH.search(text), EREWASH.search(text)
