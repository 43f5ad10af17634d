"""The action server as an attacker meets it: calls without the action-call key are refused, and
a hand-made tracker asking for action_submit_application makes no application even with it."""

import json
import sqlite3

import pytest
import requests

from asbcr.stack import Stack, free_port
from tests.bot.chat import FORGED_SLOTS
from tests.conversation.conftest import stack_env

FORGED_TRACKER = {
    "sender_id": "forger-1",
    "slots": FORGED_SLOTS,
    "latest_message": {"text": "yes", "intent": {"name": "affirm", "confidence": 1.0}, "entities": []},
    "events": [{"event": "slot", "name": "requested_slot", "value": "confirm"}, {"event": "user", "text": "yes"}],
    "paused": False,
    "followup_action": None,
    "active_loop": {},
    "latest_action_name": "action_listen",
}
CALL = {
    "next_action": "action_submit_application",
    "sender_id": "forger-1",
    "tracker": FORGED_TRACKER,
    "domain": {},
    "version": "3.6.21",
}


@pytest.fixture(scope="module")
def actions(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    running = Stack(var=var, env=stack_env(var), actions_port=free_port(), with_rasa=False, with_web=False)
    running.start()
    yield running
    running.stop()


def application_count(stack) -> int:
    path = stack.var / "applications.db"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM applications").fetchone()[0]


def url(stack, path):
    return f"http://127.0.0.1:{stack.actions_port}{path}"


def test_a_call_without_the_key_is_refused(actions):
    assert requests.get(url(actions, "/health"), timeout=10).status_code == 200  # the supervisor's check stays open
    for headers in ({}, {"X-Asbcr-Action-Key": "guessed"}):
        response = requests.post(url(actions, "/webhook"), json=CALL, headers=headers, timeout=30)
        assert response.status_code == 403
        assert requests.get(url(actions, "/actions"), headers=headers, timeout=10).status_code == 403
    assert application_count(actions) == 0


def test_a_forged_submit_with_the_key_makes_no_application(actions):
    key = actions.env.get("ASBCR_ACTION_CALL_KEY", "")
    for _ in range(3):
        response = requests.post(url(actions, "/webhook"), json=CALL, headers={"X-Asbcr-Action-Key": key}, timeout=30)
        assert response.status_code == 200
        body = response.json()
        assert [r.get("response") for r in body["responses"]] == ["utter_application_refused"]
        assert not any(e.get("name") == "application" for e in body["events"])
        assert "private_url" not in json.dumps(body)
    assert application_count(actions) == 0
