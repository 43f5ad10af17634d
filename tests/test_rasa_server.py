"""How the Rasa server the supervisor starts (asbcr/rasa_server.py) meets a tracker store that
fails: the turn fails (the REST channel then says it has a technical problem) instead of Rasa
starting an empty conversation, and pooled PostgreSQL connections are checked before use."""

import pytest
import rasa.core.agent as agent
import rasa.core.tracker_store as tracker_store
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from asbcr import rasa_server
from tests.run_async import run_async


class UnreachableStore(InMemoryTrackerStore):
    async def retrieve(self, sender_id):
        raise ConnectionError("connection refused")

    async def save(self, tracker):
        raise ConnectionError("connection refused")


@pytest.fixture
def installed(monkeypatch):
    # Recorded first, so each is put back after the test: the installers replace module attributes.
    monkeypatch.setattr(agent, "FailSafeTrackerStore", agent.FailSafeTrackerStore)
    monkeypatch.setattr(tracker_store, "create_engine_kwargs", tracker_store.create_engine_kwargs)
    rasa_server.tracker_store_failures_fail_the_turn()
    rasa_server.steady_tracker_store()


def test_rasa_on_its_own_starts_an_empty_conversation_when_the_store_fails():
    """What the change is for: Rasa's fail-safe store answers a failed read with nothing."""
    store = agent.Agent._create_tracker_store(UnreachableStore(Domain.empty()), Domain.empty())
    assert run_async(store.retrieve("resident-12345678")) is None


def test_a_store_that_cannot_read_or_save_fails_the_turn(installed):
    store = agent.Agent._create_tracker_store(UnreachableStore(Domain.empty()), Domain.empty())
    with pytest.raises(rasa_server.TrackerStoreUnavailable, match="ConnectionError"):
        run_async(store.retrieve("resident-12345678"))
    with pytest.raises(rasa_server.TrackerStoreUnavailable):
        run_async(store.save(DialogueStateTracker("resident-12345678", slots=[])))


def test_postgresql_connections_are_checked_before_use_and_give_up_in_seconds(installed, monkeypatch):
    monkeypatch.setenv("POSTGRESQL_SCHEMA", "rasa")
    kwargs = tracker_store.create_engine_kwargs("postgresql://rasa@db:5432/tracker")
    assert kwargs["pool_pre_ping"] is True
    assert kwargs["connect_args"] == {"connect_timeout": rasa_server.TRACKER_CONNECT_SECONDS, "options": "-csearch_path=rasa"}
    assert tracker_store.create_engine_kwargs("sqlite:///var/tracker.db") == {}
