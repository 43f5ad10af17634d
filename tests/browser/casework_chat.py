"""The fake bot's chat leaving behind what the real one does, for the staff console's browser tests.

- `make_application`: the application the resident confirms, made through casework.service with
  the conversation's key (`chat:<sender id>`), as bot/actions/application.py makes it; the chat
  shows its real reference and private link.
- `RasaConversations`: every turn written to var/tracker.db by Rasa's own SQLTrackerStore, as Rasa
  keeps a conversation, so the console reads the transcript where it reads the real bot's. Its
  clock is the test's (a second an event from 10:00 UTC on the day given), not the wall clock.

Both run in the test process (Rasa's environment), where the fake bot runs.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from typing import Dict, List


def make_application(sender: str, record: dict) -> dict:
    from casework import service

    created = service.create_application(record, idempotency_key=f"chat:{sender}")
    return {key: created[key] for key in ("reference", "acknowledge_by", "private_url")}


class RasaConversations:
    """Awaited by the fake bot after each turn: (sender id, what the resident sent, the replies)."""

    def __init__(self, path: Path, day: str) -> None:
        with warnings.catch_warnings():  # Rasa 3.6's store is written for SQLAlchemy 1.4, and says so
            warnings.simplefilter("ignore", DeprecationWarning)
            from rasa.core.tracker_store import SQLTrackerStore
            from rasa.shared.core.domain import Domain

            warnings.simplefilter("ignore", DeprecationWarning)  # again: importing Rasa sets its own filters
            self.store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
        self.trackers: Dict[str, object] = {}
        self.clock = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(10), tzinfo=dt.timezone.utc).timestamp()

    def _tick(self) -> float:
        self.clock += 1
        return self.clock

    async def __call__(self, sender: str, message: str, replies: List[dict]) -> None:
        from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
        from rasa.shared.core.trackers import DialogueStateTracker

        tracker = self.trackers.get(sender)
        if tracker is None:  # Rasa opens every conversation with a session start
            tracker = self.trackers[sender] = DialogueStateTracker(sender, [])
            for event in (
                ActionExecuted("action_session_start", timestamp=self._tick()),
                SessionStarted(timestamp=self._tick()),
                ActionExecuted("action_listen", timestamp=self._tick()),
            ):
                tracker.update(event)
        tracker.update(UserUttered(message, timestamp=self._tick()))
        for reply in replies:
            data = {
                "elements": None,
                "quick_replies": None,
                "buttons": reply.get("buttons"),
                "attachment": None,
                "image": None,
                "custom": reply.get("custom"),
            }
            tracker.update(BotUttered(reply.get("text"), data=data, timestamp=self._tick()))
        tracker.update(ActionExecuted("action_listen", timestamp=self._tick()))
        await self.store.save(tracker)

    def close(self) -> None:
        self.store.engine.dispose()
