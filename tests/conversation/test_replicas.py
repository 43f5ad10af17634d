"""Two Rasa replicas behind one conversation: PostgreSQL tracker store (ASBCR_TRACKER_URL) and
Redis lock store (ASBCR_LOCK_URL), as the contract offers for several replicas. The resident's
turns alternate between the replicas and the conversation carries on as if there were one."""

import secrets
import uuid

import psycopg2
import pytest
import redis

from asbcr.stack import Stack, free_port
from tests.chat_client import Resident
from tests.conversation.conftest import stack_env

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def tracker_database():
    name = f"asbcr_tracker_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg2.connect(ADMIN_URL, connect_timeout=5)
    except psycopg2.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable: {error}")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_two_replicas_share_one_conversation(tmp_path, tracker_database):
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable: {error}")
    env = {
        **stack_env(tmp_path),
        "ASBCR_TRACKER_URL": tracker_database,
        "ASBCR_LOCK_URL": "redis://127.0.0.1:6379/0",
        # one installation: every replica calls the action server with the same key
        "ASBCR_ACTION_CALL_KEY": secrets.token_hex(32),
    }
    with Stack(var=tmp_path / "a", env=env, rasa_port=free_port(), actions_port=free_port(), with_web=False) as first:
        with Stack(
            var=tmp_path / "b",
            env=env,
            rasa_port=free_port(),
            actions_port=first.actions_port,
            with_actions=False,
            with_web=False,
        ) as second:
            sender = f"replica-{uuid.uuid4().hex[:8]}"
            on_first, on_second = Resident(first.rasa_url, sender), Resident(second.rasa_url, sender)
            on_first.say("my neighbours play loud music every night")
            on_second.say("no")  # nobody in danger now: answered on the other replica
            on_first.say("the police")
            assert on_first.ask == "incident_dates", on_first.log() + on_second.log()
            on_first.say("3 oct, 20/10 and 1st nov")
            on_second.say("summary")
            assert "3 October 2026: told the police" in on_second.text(), on_second.log()
