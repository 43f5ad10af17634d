"""Sending the outbox through GOV.UK Notify (`asbcr applications deliver`).

Messages are written by casework.outbox inside the transaction of their application or event;
this module sends them afterwards, outside any request, so that Notify being slow, down or
refusing never loses or delays an application or an event. Each message is claimed before it is
sent (its status becomes `sending` until a lease runs out), so two senders never send it both;
a sender that dies mid-send leaves it to be sent again once the lease is over (at least once:
Notify may then get it twice, never zero times).

Configuration (README, "Messages to applicants"):
- ASBCR_NOTIFY_API_KEY: the Notify API key. Unset: nothing leaves the machine; due messages are
  marked `recorded` (kept in the outbox only) and the Notify client is not even imported.
- ASBCR_NOTIFY_TEMPLATES: a YAML file of template ids, one per event and channel
  (casework/data/notify-templates.example.yml shows its shape and the words each template holds).
- ASBCR_NOTIFY_URL: Notify's API address (default the client's own); the tests point it at a
  stand-in on 127.0.0.1.

The Notify client (notifications-python-client) is installed in Rasa's environment, .venv, where
its needs (requests, PyJWT, docopt) were already pinned; the web tier only writes the outbox.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import time
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional

import yaml
from sqlalchemy import select, update

from .db import transaction
from .errors import CaseworkError, StoreUnavailable
from .validation import normalise_reference
from .models import Application, OutboxMessage
from .outbox import MESSAGE_EVENTS

log = logging.getLogger("casework.notify")

API_KEY_ENV = "ASBCR_NOTIFY_API_KEY"
TEMPLATES_ENV = "ASBCR_NOTIFY_TEMPLATES"
URL_ENV = "ASBCR_NOTIFY_URL"

# How long a claimed message is left to its sender before another may try (a request takes at
# most TIMEOUT_SECONDS); and the pauses after each failed attempt that may succeed later (Notify
# down, rate-limited, the network): about a day in all, then the message is `failed` for staff.
LEASE = dt.timedelta(minutes=5)
TIMEOUT_SECONDS = 20
RETRY_AFTER = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=6),
    dt.timedelta(hours=16),
)
MAX_ATTEMPTS = len(RETRY_AFTER) + 1
BATCH = 100

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
TEMPLATE_ID = re.compile(rf"^{_UUID}$")
# A Notify key is "name-<service id>-<secret>", both UUIDs (the client reads them from the end).
API_KEY = re.compile(rf"^.+-{_UUID}-{_UUID}$")
DUE = ("pending", "sending")


def api_key(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The Notify key, or None: Notify is not configured and nothing leaves the machine."""
    return (os.environ if env is None else env).get(API_KEY_ENV, "").strip() or None


def check_configuration(env: Optional[Mapping[str, str]] = None) -> None:
    """CaseworkError (one line) for what `deliver` would refuse on its first run, so the supervisor
    can say it before starting a sender (asbcr/stack.py); nothing to check without a key."""
    key = api_key(env)
    if key is not None:
        _check_key(key)
        load_templates(env=env)


def _check_key(key: str) -> None:
    if not API_KEY.match(key):
        raise CaseworkError(f"{API_KEY_ENV} is not a Notify API key (name-<service id>-<secret>)")


def load_templates(path: Optional[str] = None, env: Optional[Mapping[str, str]] = None) -> Dict[str, Dict[str, str]]:
    """{event: {"email": id, "sms": id}} from the templates file; CaseworkError (one line) when it
    is missing or wrong. An event or channel may be left out: its messages then fail, named."""
    path = path or (os.environ if env is None else env).get(TEMPLATES_ENV, "").strip()
    if not path:
        raise CaseworkError(
            f"{API_KEY_ENV} is set but {TEMPLATES_ENV} names no file of Notify template ids "
            "(see casework/data/notify-templates.example.yml)"
        )
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CaseworkError(f"{TEMPLATES_ENV}: {path}: no such file") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise CaseworkError(f"{TEMPLATES_ENV}: {path}: cannot be read ({str(error).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise CaseworkError(f"{TEMPLATES_ENV}: {path}: expected event: {{email: ID, sms: ID}} entries")
    templates: Dict[str, Dict[str, str]] = {}
    for event, channels in data.items():
        if event not in MESSAGE_EVENTS:
            raise CaseworkError(f"{path}: {event!r} is not an event residents are told about ({', '.join(MESSAGE_EVENTS)})")
        if not isinstance(channels, dict) or not set(channels) <= {"email", "sms"}:
            raise CaseworkError(f"{path}: {event}: give email: and/or sms: template ids")
        for channel, template_id in channels.items():
            if not isinstance(template_id, str) or not TEMPLATE_ID.match(template_id.strip()):
                raise CaseworkError(f"{path}: {event}.{channel}: {template_id!r} is not a Notify template id")
        templates[event] = {channel: template_id.strip() for channel, template_id in channels.items()}
    return templates


def make_client(key: str) -> Any:
    _check_key(key)
    try:
        from notifications_python_client.notifications import NotificationsAPIClient
    except ImportError:
        raise CaseworkError(
            "notifications-python-client is not installed in this environment: "
            "send messages from Rasa's environment (.venv/bin/asbcr applications deliver)"
        ) from None
    options: Dict[str, Any] = {"timeout": TIMEOUT_SECONDS}
    url = os.environ.get(URL_ENV, "").strip()
    if url:
        options["base_url"] = url
    return NotificationsAPIClient(key, **options)


def deliver(
    *, reference: Optional[str] = None, now: Optional[dt.datetime] = None, client_factory: Callable[[str], Any] = make_client
) -> Dict[str, Any]:
    """Send every message that is due (only `reference`'s with one). Returns the counts and the
    messages that failed for good in this run, as {"reference", "event", "error"}."""
    now = now or dt.datetime.now(dt.timezone.utc)
    result: Dict[str, Any] = {"sent": 0, "recorded": 0, "retrying": 0, "failed": []}
    key = api_key()
    if key is None:
        result["recorded"] = _record_only(reference, now)
        return result
    templates = load_templates()  # a wrong file stops here, before anything is claimed
    client = client_factory(key)
    for message_id in _due(reference, now):
        claimed = _claim(message_id, now)
        if claimed is None:
            continue  # another sender has it
        outcome = _finish(message_id, claimed, _send(client, claimed, templates), now)
        if outcome["status"] == "failed":
            result["failed"].append({"reference": claimed["reference"], "event": claimed["event"], "error": outcome["error"]})
        elif outcome["status"] == "pending":
            result["retrying"] += 1
        else:
            result["sent"] += 1
    return result


def _due_filter(query, reference: Optional[str], now: dt.datetime):
    query = query.where(OutboxMessage.status.in_(DUE)).where(OutboxMessage.next_attempt_at <= now)
    if reference is not None:
        ids = select(Application.id).where(Application.reference == normalise_reference(reference))
        query = query.where(OutboxMessage.application_id.in_(ids.scalar_subquery()))
    return query


def _record_only(reference: Optional[str], now: dt.datetime) -> int:
    """No key: the due messages are kept here, marked as what would have been sent."""
    with transaction() as session:
        ids = list(session.execute(_due_filter(select(OutboxMessage.id), reference, now)).scalars())
        if ids:
            session.execute(
                update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(status="recorded", finished_at=now, last_error=None)
            )
    if ids:
        log.info("%d message(s) recorded in the outbox only: %s is not set", len(ids), API_KEY_ENV)
    return len(ids)


def _due(reference: Optional[str], now: dt.datetime):
    with transaction(write=False) as session:
        query = _due_filter(select(OutboxMessage.id), reference, now).order_by(OutboxMessage.id).limit(BATCH)
        return list(session.execute(query).scalars())


def _claim(message_id: int, now: dt.datetime) -> Optional[Dict[str, Any]]:
    """Take the message for this sender until the lease ends; None when another took it first."""
    with transaction() as session:
        taken = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status.in_(DUE), OutboxMessage.next_attempt_at <= now)
            .values(status="sending", attempts=OutboxMessage.attempts + 1, next_attempt_at=now + LEASE)
        ).rowcount
        if taken != 1:
            return None
        message, reference = session.execute(
            select(OutboxMessage, Application.reference)
            .join(Application, Application.id == OutboxMessage.application_id)
            .where(OutboxMessage.id == message_id)
        ).one()
        return {
            "reference": reference,
            "event": message.event,
            "channel": message.channel,
            "recipient": message.recipient,
            "personalisation": dict(message.personalisation),
            "attempts": message.attempts,
        }


def _send(client: Any, message: Dict[str, Any], templates: Dict[str, Dict[str, str]]) -> Dict[str, Any]:
    template_id = templates.get(message["event"], {}).get(message["channel"])
    if template_id is None:
        return {
            "status": "failed",
            "error": f"no Notify template id for {message['event']} by {message['channel']} in {os.environ.get(TEMPLATES_ENV)}",
        }
    # Notify's own reference: ours and the event, never anything about the person.
    notify_reference = f"{message['reference']}/{message['event']}"
    try:
        if message["channel"] == "email":
            response = client.send_email_notification(
                email_address=message["recipient"],
                template_id=template_id,
                personalisation=message["personalisation"],
                reference=notify_reference,
            )
        else:
            response = client.send_sms_notification(
                phone_number=message["recipient"],
                template_id=template_id,
                personalisation=message["personalisation"],
                reference=notify_reference,
            )
    except Exception as error:  # noqa: BLE001 - every failure is recorded on the message, none is lost
        status_code = getattr(error, "status_code", None)
        retry = status_code is None or status_code == 429 or status_code >= 500
        return {"status": "retry" if retry else "failed", "error": _error_text(error, status_code), "template_id": template_id}
    notify_id = response.get("id") if isinstance(response, dict) else None
    return {"status": "sent", "notify_id": str(notify_id)[:64] if notify_id else None, "template_id": template_id}


def _error_text(error: Exception, status_code: Optional[int]) -> str:
    """What Notify said (its error names and messages, which describe the request, never quote the
    recipient), or the kind of failure; at most 300 characters."""
    detail = getattr(error, "message", None)
    if isinstance(detail, list):
        detail = "; ".join(
            f"{item.get('error', '')}: {item.get('message', '')}" if isinstance(item, dict) else str(item) for item in detail
        )
    if not detail:
        detail = type(error).__name__
    text = f"{status_code} {detail}" if status_code is not None else str(detail)
    return text[:300]


def _finish(message_id: int, claimed: Dict[str, Any], outcome: Dict[str, Any], now: dt.datetime) -> Dict[str, Any]:
    """Record what became of a claimed message; returns the outcome with its final status."""
    values: Dict[str, Any] = {"template_id": outcome.get("template_id")}
    status = outcome["status"]
    if status == "retry" and claimed["attempts"] >= MAX_ATTEMPTS:
        status = "failed"
        outcome = dict(outcome, error=f"{outcome['error']} (gave up after {claimed['attempts']} attempts)")
    if status == "sent":
        values.update(status="sent", notify_id=outcome["notify_id"], finished_at=now, last_error=None)
    elif status == "retry":
        values.update(status="pending", last_error=outcome["error"], next_attempt_at=now + RETRY_AFTER[claimed["attempts"] - 1])
        status = "pending"
    else:
        values.update(status="failed", last_error=outcome["error"], finished_at=now)
    outcome = dict(outcome, status=status)
    with transaction() as session:
        # Only while it is still ours: retention may have removed it meanwhile.
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status == "sending").values(**values)
        )
    level = logging.WARNING if status == "failed" else logging.INFO
    log.log(
        level,
        "message about %s for %s (%s): %s%s",
        claimed["event"],
        claimed["reference"],
        claimed["channel"],
        {"sent": "sent", "pending": "not sent, will try again", "failed": "FAILED"}[status],
        f" ({outcome['error']})" if status != "sent" else "",
    )
    return outcome


def retry_failed(reference: Optional[str] = None) -> int:
    """Put failed messages back in the queue (after fixing what made them fail)."""
    now = dt.datetime.now(dt.timezone.utc)
    with transaction() as session:
        query = select(OutboxMessage.id).where(OutboxMessage.status == "failed")
        if reference is not None:
            query = query.join(Application, Application.id == OutboxMessage.application_id).where(
                Application.reference == normalise_reference(reference)
            )
        ids = list(session.execute(query).scalars())
        if ids:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(status="pending", attempts=0, next_attempt_at=now, finished_at=None)
            )
    return len(ids)


def deliver_forever(
    interval: float,
    *,
    should_stop: Callable[[], bool] = lambda: False,
    report: Callable[[Dict[str, Any]], None] = lambda result: None,
) -> None:
    """`deliver --watch`: every `interval` seconds. The database being away is waited out; a wrong
    configuration (CaseworkError) stops it, since waiting would not mend it."""
    while not should_stop():
        try:
            report(deliver())
        except StoreUnavailable as error:
            log.warning("the outbox cannot be read now; trying again in %.0fs: %s", interval, error)
        time.sleep(interval)


__all__ = ["deliver", "deliver_forever", "retry_failed", "load_templates", "api_key", "check_configuration"]
