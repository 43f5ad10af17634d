"""The whole stack, as residents meet it: action server and Rasa, on free ports, with a
fresh var/ (tracker store, applications) and today fixed at 25 November 2026."""

import os
from pathlib import Path

import pytest

from asbcr.stack import DEFAULT_MODEL, Stack, free_port

pytestmark = pytest.mark.conversation


def stack_env(tmp: Path) -> dict:
    env = dict(os.environ)
    env.update(ASBCR_TODAY="2026-11-25", ASBCR_DATABASE_URL=f"sqlite:///{tmp / 'applications.db'}")
    env.pop("ASBCR_TRACKER_URL", None)
    env.pop("ASBCR_LOCK_URL", None)
    return env


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    if not DEFAULT_MODEL.exists():
        pytest.fail(f"no trained model at {DEFAULT_MODEL}: `make test` trains it first")
    var = tmp_path_factory.mktemp("var")
    running = Stack(var=var, env=stack_env(var), rasa_port=free_port(), actions_port=free_port(), with_web=False)
    running.start()
    yield running
    running.stop()
