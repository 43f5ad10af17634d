"""The load test's harness (bench/load.py, in .venv-load) holds whole conversations through the
relay to their decisions. Functional only: how fast is for `make bench-load`, never a test."""

import json
import os
import subprocess

import pytest

from asbcr.stack import Stack, free_port
from groundwork.paths import ROOT
from bench.load_stack import OPEN_RELAY_LIMITS, conversations

LOAD_PYTHON = ROOT / ".venv-load" / "bin" / "python"


@pytest.fixture
def relay(stack, tmp_path):
    """The page's relay in front of the session's Rasa, with the per-address limits opened as
    the load test opens them (every resident comes from one address)."""
    env = dict(stack.env, ASBCR_WEB_RATE_LIMITS=OPEN_RELAY_LIMITS)
    web = Stack(
        var=tmp_path / "var",
        env=env,
        rasa_port=stack.rasa_port,
        actions_port=stack.actions_port,
        web_port=free_port(),
        with_rasa=False,
        with_actions=False,
    )
    with web:
        yield f"http://127.0.0.1:{web.web_port}"


def test_each_simulated_resident_holds_a_whole_conversation_to_its_decision(relay, tmp_path):
    if not LOAD_PYTHON.exists():
        pytest.fail(f"no {LOAD_PYTHON}: `make test` creates it (scripts/bootstrap-load.sh)")
    talks = conversations()
    assert len({talk["expected_outcome"] for talk in talks}) >= 3  # not one conversation five times
    path = tmp_path / "talks.json"
    path.write_text(json.dumps(talks))
    # One resident per conversation, a fraction of a second between messages.
    finished = subprocess.run(
        [
            str(LOAD_PYTHON),
            str(ROOT / "bench" / "load.py"),
            "--url",
            relay,
            "--conversations",
            str(path),
            "--smoke",
            str(len(talks)),
            "--think",
            "0.05,0.2",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        env=dict(os.environ),
    )
    assert finished.stdout.strip(), finished.stderr
    outcome = json.loads(finished.stdout.strip().splitlines()[-1])
    assert outcome["errors"] == {}, outcome
    assert outcome["decided"] == len(talks), outcome
    assert outcome["turns"] >= 5 * len(talks)  # whole conversations, not an opening each
    assert finished.returncode == 0, finished.stderr
