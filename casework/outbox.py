"""Messages to applicants, kept in the applications database until they are sent (the outbox).

A message is written in the transaction that creates the application or records the event it is
about, so a message exists exactly when its application or event does: a failure to send can
never lose an application, and a rolled-back event sends nothing. casework.notify sends them
later, off the request path.

What a message carries is decided here, once (docs/decisions/0015): the application's reference
and the resident's private link, and for the acknowledgement the date receipt will be confirmed
by. Never a name (not even the applicant's own), an address, an incident, the person applied for
or a staff note: Notify's templates hold the words, and the link opens the rest to whoever holds
it, as it already does from the chat. It goes to the applicant's email address when they gave one,
otherwise to their phone by text; an applicant who gave neither gets no message (the partnership
writes to them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from groundwork import dates

from . import events as ev
from .errors import CaseworkError
from .validation import normalise_reference
from .models import OUTBOX_STATUSES, Application, OutboxMessage

# Every event the resident hears about: the acknowledgement and each staff decision. What the
# resident did themselves (changed answers, "forget me") is not told back to them.
MESSAGE_EVENTS = (ev.RECEIVED,) + ev.STAFF_EVENTS


def personalisation(row: Application, event: str, link: str) -> Dict[str, str]:
    """The values a template is filled with: the whole of what a message says about the applicant."""
    values = {"reference": row.reference, "link": link}
    if event == ev.RECEIVED:
        values["acknowledge_by"] = dates.long_date(row.acknowledge_by)
    return values


def queue(session: Session, row: Application, event: str, link: str) -> Optional[OutboxMessage]:
    """Add the message about `event` to the caller's transaction; None when there is no one to
    send it to (no email or phone) or the event is not one residents are told about."""
    if event not in MESSAGE_EVENTS:
        return None
    if row.applicant_email:
        channel, recipient = "email", row.applicant_email
    elif row.applicant_phone:
        channel, recipient = "sms", row.applicant_phone
    else:
        return None
    now = dt.datetime.now(dt.timezone.utc)
    message = OutboxMessage(
        application_id=row.id,
        event=event,
        channel=channel,
        recipient=recipient,
        personalisation=personalisation(row, event, link),
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    return message


def remove_for(session: Session, application_id: int) -> None:
    """The application's messages go with its personal details (retention, "forget me")."""
    session.execute(delete(OutboxMessage).where(OutboxMessage.application_id == application_id))


def list_messages(*, status: Optional[str] = None, reference: Optional[str] = None) -> List[Dict[str, Any]]:
    """Messages, oldest first, for staff (`asbcr applications outbox`)."""
    from .db import transaction

    query = select(OutboxMessage, Application.reference).join(Application, Application.id == OutboxMessage.application_id)
    if status is not None:
        if status not in OUTBOX_STATUSES:
            raise CaseworkError(f"unknown message status {status!r}; use one of: {', '.join(OUTBOX_STATUSES)}")
        query = query.where(OutboxMessage.status == status)
    if reference is not None:
        query = query.where(Application.reference == normalise_reference(reference))
    with transaction(write=False) as session:
        return [describe(message, ref) for message, ref in session.execute(query.order_by(OutboxMessage.id)).all()]


def describe(message: OutboxMessage, reference: str) -> Dict[str, Any]:
    def when(value: Optional[dt.datetime]) -> Optional[str]:
        return value.isoformat(timespec="seconds") if value is not None else None

    return {
        "id": message.id,
        "reference": reference,
        "event": message.event,
        "channel": message.channel,
        "recipient": message.recipient,
        "personalisation": message.personalisation,
        "status": message.status,
        "attempts": message.attempts,
        "created_at": when(message.created_at),
        "next_attempt_at": when(message.next_attempt_at) if message.status in ("pending", "sending") else None,
        "finished_at": when(message.finished_at),
        "template_id": message.template_id,
        "notify_id": message.notify_id,
        "last_error": message.last_error,
    }
