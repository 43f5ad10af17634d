"""`rasa run` as the supervisor starts it: exactly Rasa's own command line, except that a
server whose model did not load exits instead of listening.

Rasa loads its model before it opens its port, but when the load fails it opens the port
anyway and answers every message with nothing. Its HTTP API (`/status`) could tell, but the
API needs a token on the command line and in a query string, so it stays off: a Rasa that
answers on its port has a model, and one that has none exits with NO_MODEL.

Two more changes to how Rasa meets a tracker store that fails (`tracker_store_failures_fail_the_turn`,
`steady_tracker_store`): a failure fails the turn instead of starting an empty conversation, and
pooled connections are checked before use.

Run as ``python -m asbcr.rasa_server run --model ... --port ...`` (any `rasa` arguments).
"""

from __future__ import annotations

import os
import sys

NO_MODEL = 78  # EX_CONFIG: the supervisor reports it as "could not load the model"
# A connection to the PostgreSQL tracker store that does not open in this time has failed: the
# resident hears so at once, instead of after the system's minutes of TCP retries.
TRACKER_CONNECT_SECONDS = 5


def insist_on_a_model() -> None:
    import rasa.core.run as rasa_run

    load_agent = rasa_run.load_agent_on_start

    async def load_or_exit(*args, **kwargs):
        agent = await load_agent(*args, **kwargs)
        if agent is None or not agent.is_ready():
            print("Rasa could not load the model; not serving without one.", file=sys.stderr, flush=True)
            os._exit(NO_MODEL)  # before the port opens: nothing to clean up
        return agent

    # serve_application looks the listener up by name when it starts, so this replaces it.
    rasa_run.load_agent_on_start = load_or_exit


class TrackerStoreUnavailable(RuntimeError):
    """The tracker store could not read or save a conversation: the turn fails."""


def tracker_store_failures_fail_the_turn() -> None:
    """Rasa wraps its tracker store in a FailSafeTrackerStore: a conversation it cannot read is
    replaced by a new, empty one, and one it cannot save is kept in this process's memory only.
    To a resident that is the worst answer: in the middle of their account the bot starts again
    ("Is anyone in immediate danger right now?"), and what they say then is lost when the store is
    back. Here a failure fails the turn instead: the REST channel tells the resident it has a
    technical problem and to try again in a minute (bot/channels.py), and nothing is kept
    anywhere but the store."""
    import rasa.core.agent as agent
    from rasa.core.tracker_store import FailSafeTrackerStore

    def fail_the_turn(error: Exception) -> None:
        raise TrackerStoreUnavailable(type(error).__name__) from error  # the name only: no resident text

    # Agent._create_tracker_store looks the class up by name each time it builds the store.
    agent.FailSafeTrackerStore = lambda store: FailSafeTrackerStore(store, on_tracker_store_error=fail_the_turn)


def steady_tracker_store() -> None:
    """Rasa's SQL tracker store keeps pooled PostgreSQL connections and never checks them. After
    the database was unreachable for a moment (a restart, a failover, a network blip) every one of
    them is dead, and each replica's next message would fail on one before the pool notices.
    With pool_pre_ping a dead connection is replaced at checkout, so service resumes with the
    first message after the database is back."""
    import rasa.core.tracker_store as tracker_store

    engine_kwargs = tracker_store.create_engine_kwargs

    def checked_engine_kwargs(url):
        kwargs = engine_kwargs(url)
        if tracker_store.is_postgresql_url(url):
            kwargs["pool_pre_ping"] = True
            kwargs["connect_args"] = {"connect_timeout": TRACKER_CONNECT_SECONDS, **kwargs.get("connect_args", {})}
        return kwargs

    # SQLTrackerStore looks the function up by name when it builds its engine.
    tracker_store.create_engine_kwargs = checked_engine_kwargs


def main() -> None:
    insist_on_a_model()
    tracker_store_failures_fail_the_turn()
    steady_tracker_store()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
