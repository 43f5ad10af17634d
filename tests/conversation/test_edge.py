"""The REST channel as an edge, through the running Rasa server (issue 9): what once made Rasa
exit, hang or show staff-only output to a resident. tests/test_junk_at_scale.py sends 10,000 of
these in process; here a few hundred go through the real server."""

from __future__ import annotations

import json

import requests
from hypothesis import HealthCheck, given, settings

from tests.chat_client import Resident
from tests.conversation.test_outcomes import BASE, CASES
from tests.test_junk_at_scale import well_formed, batches


class ResidentWithExtras(Resident):
    """Sends `extras` (what a hostile client adds) with every message."""

    def __init__(self, rasa_url: str, **extras) -> None:
        super().__init__(rasa_url)
        self.extras = extras

    def say(self, text: str):
        response = requests.post(self.url, json={"sender": self.sender, "message": text, **self.extras}, timeout=60)
        response.raise_for_status()
        self.replies = response.json()
        self.transcript.append(f"> {text}")
        self.transcript += [f"  {m.get('text', '')}" for m in self.replies]
        return self.replies


def post(stack, body: bytes, query: str = ""):
    return requests.post(
        f"{stack.rasa_url}/webhooks/rest/webhook?{query}", data=body, headers={"Content-Type": "application/json"}, timeout=60
    )


def test_a_lone_surrogate_sender_is_refused_and_rasa_carries_on(stack):
    response = post(stack, b'{"sender": "\\ud800", "message": "hello"}')
    assert response.status_code == 400 and response.json()["error"] == "bad_sender"
    assert Resident(stack.rasa_url).say("hello")  # still up


def test_no_sender_is_refused_not_the_shared_default_conversation(stack):
    response = post(stack, json.dumps({"message": "summary"}).encode())
    assert response.status_code == 400 and response.json()["error"] == "bad_sender"


def test_a_streamed_answer_is_refused_at_once(stack):
    body = json.dumps({"sender": "resident-stream-01", "message": "hi", "metadata": "not an object"}).encode()
    response = post(stack, body, "stream=true")
    assert response.status_code == 400 and response.json()["error"] == "no_stream"


def test_input_channel_cmdline_from_a_resident_shows_no_staff_trace(stack):
    resident = ResidentWithExtras(stack.rasa_url, input_channel="cmdline", metadata={"staff": True})
    decision = resident.answer_until_decided(BASE, CASES[0][1])
    assert decision is not None and decision["outcome"] == "apply", resident.log()
    assert "Decision trace" not in resident.log()


def test_rasas_restart_command_is_read_as_words_and_the_conversation_is_kept(stack):
    resident = Resident(stack.rasa_url)
    resident.say("my neighbours are making my life hell, reported it to the police 3 times")
    resident.say("no")  # nobody in danger now
    resident.say("/restart")  # Rasa's own restart would wipe the conversation without a word
    assert "technical problem" not in resident.text(), resident.log()
    offered = [b["payload"] for m in resident.replies for b in m.get("buttons") or []]
    assert "no, carry on" in offered, resident.log()  # it asks, as for "start again" in words
    resident.say("no, carry on")
    resident.say("summary")
    assert "the police" in resident.text(), resident.log()


@settings(max_examples=30, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=batches)
def test_junk_through_the_running_server_gets_a_reply_or_a_clear_4xx(stack, batch):
    for body, query in batch:
        response = post(stack, body, query)
        if well_formed(body) and query.lower() != "stream=true":
            assert response.status_code == 200, response.text
            assert isinstance(response.json(), list) and response.json()
        else:
            assert 400 <= response.status_code < 500, response.text
            assert response.json()["message"]


def test_the_rest_channel_is_the_only_way_in(stack):
    # Rasa's Socket.IO channel took any session id and any command syntax, unchecked.
    response = requests.get(f"{stack.rasa_url}/socket.io/", params={"EIO": "4", "transport": "polling"}, timeout=10)
    assert response.status_code == 404


def test_a_body_over_the_limit_is_refused_with_or_without_a_length(stack):
    megabyte = json.dumps({"sender": "resident-large-01", "message": "a" * 1_000_000}).encode()
    assert post(stack, megabyte).status_code == 413
    in_pieces = (megabyte[i : i + 65536] for i in range(0, len(megabyte), 65536))  # chunked, no length
    response = requests.post(
        f"{stack.rasa_url}/webhooks/rest/webhook", data=in_pieces, headers={"Content-Type": "application/json"}, timeout=60
    )
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert Resident(stack.rasa_url).say("hello")
