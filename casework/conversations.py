"""The chat's conversation store (Rasa's tracker store) under the same retention as applications.

Rasa keeps every message of a conversation in its SQL tracker store: SQLite at
var/tracker.db by default, PostgreSQL when ASBCR_TRACKER_URL is set (asbcr/stack.py writes
the same choice into Rasa's endpoints). A conversation is one sender id's rows in its `events`
table. Retention removes a conversation's rows when its application's personal data goes, and
removes conversations that led to no application after CONVERSATION_RETENTION_DAYS. Rasa reads
the store on every message, so a removed conversation cannot come back: the next message starts
an empty one.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
from typing import Any, Dict, Iterable, List, Optional, Set

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from groundwork.clock import today
from groundwork.paths import var_dir

from .errors import StoreUnavailable

# Decided 1 December 2026 (issue 9): a conversation that led to no application holds a
# resident's account of what is happening to them and nothing the partnership needs to keep.
# Thirty days lets a resident come back to it within the month, as the chat page promises
# (they can apply later); after that it is removed.
CONVERSATION_RETENTION_DAYS = 30
CHAT_KEY_PREFIX = "chat:"  # an application's idempotency key from the chat: "chat:<sender id>"


def tracker_url() -> str:
    url = os.environ.get("ASBCR_TRACKER_URL", "").strip()
    return url or f"sqlite:///{var_dir() / 'tracker.db'}"


@functools.lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url[len("postgresql://") :]
    return create_engine(url, pool_pre_ping=True)


def _store_exists(url: str) -> bool:
    """A SQLite store that was never created has no conversations (and connecting would create it)."""
    if url.startswith("sqlite:///"):
        return os.path.exists(url[len("sqlite:///") :])
    return True


def _has_events_table(connection) -> bool:
    from sqlalchemy import inspect

    return inspect(connection).has_table("events")


def sender_of(idempotency_key: str | None) -> str | None:
    if idempotency_key and idempotency_key.startswith(CHAT_KEY_PREFIX):
        return idempotency_key[len(CHAT_KEY_PREFIX) :]
    return None


def remove_conversations(sender_ids: Iterable[str]) -> int:
    """Delete these conversations' every stored event; returns how many rows went."""
    ids = sorted({sender for sender in sender_ids if sender})
    if not ids or not _store_exists(tracker_url()):
        return 0
    try:
        with _engine(tracker_url()).begin() as connection:
            if not _has_events_table(connection):
                return 0
            removed = 0
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join(f":s{i}" for i in range(len(chunk)))
                result = connection.execute(
                    text(f"DELETE FROM events WHERE sender_id IN ({marks})"), {f"s{i}": sender for i, sender in enumerate(chunk)}
                )
                removed += result.rowcount or 0
            return removed
    except SQLAlchemyError as error:
        raise StoreUnavailable(f"the conversation store is not available ({type(error).__name__})") from None


def expire_conversations(older_than_days: int, keep: Set[str], *, dry_run: bool = False) -> int:
    """Remove conversations whose last message is `older_than_days` or more old, except those in
    `keep` (they led to an application and go with its personal data). Returns how many."""
    cutoff_day = today() - dt.timedelta(days=older_than_days)
    cutoff = dt.datetime.combine(cutoff_day, dt.time(), tzinfo=dt.timezone.utc).timestamp()
    if not _store_exists(tracker_url()):
        return 0
    try:
        with _engine(tracker_url()).begin() as connection:
            if not _has_events_table(connection):
                return 0
            stale = [
                row[0]
                for row in connection.execute(
                    text("SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"),
                    {"cutoff": cutoff},
                )
            ]
    except SQLAlchemyError as error:
        raise StoreUnavailable(f"the conversation store is not available ({type(error).__name__})") from None
    expired = [sender for sender in stale if sender not in keep]
    if not dry_run:
        remove_conversations(expired)
    return len(expired)


# What a transcript shows of the tracker's events: what each side said, and a fresh start.
_SAID = ("user", "bot")
_RESTARTS = ("restart", "session_started")


def transcript(sender_id: str) -> List[Dict[str, Any]]:
    """One conversation's messages in the order Rasa stored them (as Rasa reads them back: by the
    row's id). Each is {"speaker": "resident" | "assistant" | "restart", "text", "at" (aware UTC,
    ISO), "buttons" (the titles the assistant offered), "chose" (the title of the button the
    resident pressed, when their message was one)}. StoreUnavailable when the store cannot be read."""
    if not sender_id or not _store_exists(tracker_url()):
        return []
    try:
        with _engine(tracker_url()).connect() as connection:
            if not _has_events_table(connection):
                return []
            rows = connection.execute(
                text("SELECT type_name, timestamp, data FROM events WHERE sender_id = :sender ORDER BY id"),
                {"sender": sender_id},
            ).all()
    except SQLAlchemyError as error:
        raise StoreUnavailable(f"the conversation store is not available ({type(error).__name__})") from None
    messages: List[Dict[str, Any]] = []
    offered: Dict[str, str] = {}  # the last assistant message's buttons: payload -> title
    for type_name, stamp, data in rows:
        if type_name not in _SAID + _RESTARTS:
            continue
        event = _event_data(data)
        at = dt.datetime.fromtimestamp(stamp, dt.timezone.utc).isoformat() if stamp is not None else None
        if type_name in _RESTARTS:
            if messages and messages[-1]["speaker"] != "restart":  # Rasa opens every conversation with one
                messages.append({"speaker": "restart", "text": None, "at": at, "buttons": [], "chose": None})
            continue
        said = event.get("text") if isinstance(event.get("text"), str) else None
        if type_name == "bot":
            buttons = _buttons(event)
            offered = {payload: title for title, payload in buttons}
            messages.append(
                {"speaker": "assistant", "text": said, "at": at, "buttons": [title for title, _ in buttons], "chose": None}
            )
        else:
            messages.append(
                {
                    "speaker": "resident",
                    "text": said,
                    "at": at,
                    "buttons": [],
                    "chose": offered.get(said) if said is not None else None,
                }
            )
    while messages and messages[-1]["speaker"] == "restart":
        messages.pop()
    return messages


def _event_data(data: Optional[str]) -> Dict[str, Any]:
    try:
        event = json.loads(data) if data else {}
    except ValueError:  # a row Rasa did not write: shown as a message with no text
        return {}
    return event if isinstance(event, dict) else {}


def _buttons(event: Dict[str, Any]) -> List[tuple]:
    buttons = (event.get("data") or {}).get("buttons") if isinstance(event.get("data"), dict) else None
    return [
        (str(button.get("title")), str(button.get("payload")))
        for button in buttons or []
        if isinstance(button, dict) and button.get("title")
    ]
