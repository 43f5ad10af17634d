"""The casework API that the bot, the web server and the staff command line use.

Every function takes and returns plain JSON-ready dicts and raises CaseworkError (one
line) for bad input. Logs name applications by reference only, never by a person's
name, email, phone or address.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import secrets
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session, selectinload

from groundwork.clock import today
from rules.dates import months_before  # one month arithmetic for the window and for retention

from . import events as ev
from . import labels, outbox, published
from .db import transaction
from .errors import CaseworkError, NotFound
from .models import Application, Assignment, Event, Note, PublishedFigures, ReferenceCounter, StaffAccount
from .partnership import acknowledgement_working_days
from .validation import CHANNELS, normalise_reference, parse_date, validate_application
from .workdays import acknowledge_by

log = logging.getLogger("casework")

REFERENCE_PREFIX = "ASBCR"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
DEFAULT_WEB_PORT = "8000"
MAX_NOTE_CHARS = 2000  # an event's note and an officer's note alike
MAX_SEARCH_CHARS = 100


# --- creating ---------------------------------------------------------------------


def create_application(application: Dict[str, Any], *, idempotency_key: Optional[str] = None) -> Dict[str, Any]:
    """Store a new application in one transaction and return how to find it again.

    The rule set's decision is computed here from the case facts, as of the date of
    receipt unless the facts say otherwise. The same `idempotency_key` twice returns
    the first application (`created` is then false), even when both calls race.
    """
    if idempotency_key is not None:
        if not isinstance(idempotency_key, str) or not idempotency_key.strip() or len(idempotency_key) > 200:
            raise CaseworkError("idempotency_key must be non-empty text of at most 200 characters")
        existing = _find_by_idempotency_key(idempotency_key)
        if existing is not None:
            log.info("application %s returned again for a repeated confirmation", existing["reference"])
            return existing

    clean = validate_application(application)
    decision = decide_for(clean)
    try:
        with transaction() as session:
            row = _insert(session, clean, decision, idempotency_key)
            result = _creation_result(row, created=True)
    except IntegrityError:
        # Lost a race with the same confirmation: the other one committed first.
        if idempotency_key is not None:
            existing = _find_by_idempotency_key(idempotency_key)
            if existing is not None:
                log.info("application %s returned again for a concurrent confirmation", existing["reference"])
                return existing
        raise
    log.info(
        "application %s created (channel %s, outcome %s, rule set %s %s)",
        result["reference"],
        clean["channel"],
        decision["outcome"],
        decision["rule_set"]["name"],
        decision["rule_set"]["version"],
    )
    return result


def decide_for(clean: Dict[str, Any]) -> Dict[str, Any]:
    """The rule set's decision for a validated application."""
    from rules import CaseFactsError, PartnershipError, configured_name, decide

    facts = dict(clean["facts"])
    facts["on_behalf"] = clean["on_behalf"]
    facts["consent"] = clean["consent"]
    facts.setdefault("as_of", clean["received"].isoformat())
    try:
        decision = decide(facts, configured_name(), today())
    except (CaseFactsError, PartnershipError) as error:
        raise CaseworkError(f"facts: {error}") from None
    return decision


def _insert(session: Session, clean: Dict[str, Any], decision: Dict[str, Any], idempotency_key: Optional[str]) -> Application:
    received: dt.date = clean["received"]
    # The promise of the partnership the decision records, as in force on the day of receipt;
    # stored, so a later change to the file leaves this application's date as it was given.
    within = acknowledgement_working_days(decision, received)
    reference = _next_reference(session, received.year)
    now = dt.datetime.now(dt.timezone.utc)
    applicant = clean["applicant"]
    row = Application(
        reference=reference,
        idempotency_key=idempotency_key,
        token=secrets.token_urlsafe(32),
        received=received,
        acknowledge_by=acknowledge_by(received, within),
        channel=clean["channel"],
        status=ev.RECEIVED,
        applicant_name=applicant.get("name"),
        applicant_email=applicant.get("email"),
        applicant_phone=applicant.get("phone"),
        applicant_address=applicant.get("address"),
        victim=clean["victim"],
        description=clean["description"],
        impact=clean["impact"],
        on_behalf=clean["on_behalf"],
        consent=clean["consent"],
        facts=clean["facts"],
        decision=decision,
        outcome=decision["outcome"],
        rule_set_name=str(decision["rule_set"]["name"]),
        rule_set_version=str(decision["rule_set"]["version"]),
        created_at=now,
    )
    session.add(row)
    session.flush()
    _append_event(session, row, ev.RECEIVED, received, note=None, ground=None, sequence=1)
    # The acknowledgement, in the same transaction: sent later (casework.notify), never lost.
    outbox.queue(session, row, ev.RECEIVED, private_url(row.token))
    session.flush()
    return row


def _next_reference(session: Session, year: int) -> str:
    """ASBCR-YYYY-NNNN, numbered from 1 in each year of receipt, inside the caller's transaction."""
    dialect = session.bind.dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is not None:
        session.execute(insert(ReferenceCounter).values(year=year, last_number=0).on_conflict_do_nothing())
    elif session.get(ReferenceCounter, year) is None:  # other databases: the PK still guards it
        session.add(ReferenceCounter(year=year, last_number=0))
        session.flush()
    session.execute(
        update(ReferenceCounter).where(ReferenceCounter.year == year).values(last_number=ReferenceCounter.last_number + 1)
    )
    number = session.execute(select(ReferenceCounter.last_number).where(ReferenceCounter.year == year)).scalar_one()
    return f"{REFERENCE_PREFIX}-{year}-{number:04d}"


def _append_event(
    session: Session, row: Application, name: str, date: dt.date, *, note: Optional[str], ground: Optional[str], sequence: int
) -> Event:
    event = Event(
        application=row,
        sequence=sequence,
        name=name,
        date=date,
        note=note,
        ground=ground,
        recorded_at=dt.datetime.now(dt.timezone.utc),
    )
    session.add(event)
    return event


def _find_by_idempotency_key(key: str) -> Optional[Dict[str, Any]]:
    with transaction(write=False) as session:
        row = session.execute(select(Application).where(Application.idempotency_key == key)).scalar_one_or_none()
        return None if row is None else _creation_result(row, created=False)


def _creation_result(row: Application, *, created: bool) -> Dict[str, Any]:
    return {
        "reference": row.reference,
        "received": row.received.isoformat(),
        "acknowledge_by": row.acknowledge_by.isoformat(),
        "token": row.token,
        "private_url": private_url(row.token) if row.token else None,
        "decision": row.decision,
        "created": created,
    }


CHAT_FIELDS = {  # what a resident can change in the chat, named for staff as the event's note
    "name": lambda c: c["applicant"].get("name"),
    "email": lambda c: c["applicant"].get("email"),
    "phone": lambda c: c["applicant"].get("phone"),
    "address": lambda c: c["applicant"].get("address"),
    "person applied for": lambda c: c["victim"],
    "consent": lambda c: c["consent"],
    "incidents and answers": lambda c: c["facts"],
    "description": lambda c: c["description"],
    "impact": lambda c: c["impact"],
}


def _chat_row(session: Session, reference: str, idempotency_key: str) -> Application:
    row = _load(session, reference, for_update=True)
    # The conversation's own application only: a tracker naming another reference gets nothing.
    if row.idempotency_key is None or not secrets.compare_digest(row.idempotency_key, idempotency_key):
        raise NotFound(f"no application with reference {reference} for this conversation")
    return row


def update_chat_application(reference: str, application: Dict[str, Any], *, idempotency_key: str) -> Dict[str, Any]:
    """A later confirmation in the conversation that made `reference`: the same application,
    updated with what changed, and an event naming what changed so staff see it. `changed`
    in the result lists those names (empty for a repeated confirmation)."""
    clean = validate_application(application)
    with transaction() as session:
        row = _chat_row(session, reference, idempotency_key)
        before = _export(row)
        before["victim"] = row.victim
        clean_view = dict(clean, received=row.received)
        changed = [name for name, value in CHAT_FIELDS.items() if value(clean_view) != value(before)]
        if changed:
            if row.status not in ev.OPEN_STATUSES:
                raise CaseworkError(
                    f"{row.reference} has already been decided, so it can't be changed here; "
                    "the Community Safety Officer can add your changes"
                )
            decision = decide_for(dict(clean, received=row.received))
            applicant = clean["applicant"]
            row.applicant_name, row.applicant_email = applicant.get("name"), applicant.get("email")
            row.applicant_phone, row.applicant_address = applicant.get("phone"), applicant.get("address")
            row.victim, row.description, row.impact = clean["victim"], clean["description"], clean["impact"]
            row.on_behalf, row.consent, row.facts = clean["on_behalf"], clean["consent"], clean["facts"]
            row.decision, row.outcome = decision, decision["outcome"]
            _append_event(
                session,
                row,
                ev.RESIDENT_UPDATED,
                today(),
                note="changed: " + ", ".join(changed),
                ground=None,
                sequence=len(row.events) + 1,
            )
        result = dict(_creation_result(row, created=False), changed=changed)
    if changed:
        log.info("application %s updated from its conversation (%d part(s) changed)", reference, len(changed))
    return result


def note_chat_change(reference: str, idempotency_key: str, outcome: str) -> None:
    """The resident's answers changed after applying and no longer lead to an application:
    the application stays as sent; staff see the change and the assistant's new view."""
    with transaction() as session:
        row = _chat_row(session, reference, idempotency_key)
        if row.anonymised_on is not None:
            return
        _append_event(
            session,
            row,
            ev.RESIDENT_UPDATED,
            today(),
            note=f"answers changed in the chat after applying; the assistant's view is now "
            f"{str(outcome)[:40]}; the application was not changed",
            ground=None,
            sequence=len(row.events) + 1,
        )
    log.info("application %s: the resident's answers changed after applying", reference)


def private_url(token: str) -> str:
    base = os.environ.get("ASBCR_PUBLIC_URL", "").strip().rstrip("/")
    if not base:
        base = "http://localhost:" + (os.environ.get("ASBCR_WEB_PORT", "").strip() or DEFAULT_WEB_PORT)
    return f"{base}/application/{token}"


# --- reading ----------------------------------------------------------------------


def _load(session: Session, reference: str, *, for_update: bool = False) -> Application:
    reference = normalise_reference(reference)
    query = select(Application).where(Application.reference == reference).options(selectinload(Application.events))
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no application with reference {reference}")
    return row


def get_application(reference: str) -> Dict[str, Any]:
    """The full application for staff: the export plus status and the private link."""
    with transaction(write=False) as session:
        row = _load(session, reference)
        result = _export(row)
        result["status"] = row.status
        result["anonymised_on"] = row.anonymised_on.isoformat() if row.anonymised_on else None
        result["private_url"] = private_url(row.token) if row.token else None
        result["overdue"] = is_overdue(row.status, row.acknowledge_by, row.anonymised_on)
        result["assigned_to"] = _assigned_to(session, row.id)
        result["notes"] = _notes(session, row.id)
        return result


def _assigned_to(session: Session, application_id: int) -> Optional[Dict[str, Any]]:
    found = session.execute(
        select(StaffAccount)
        .join(Assignment, Assignment.staff_id == StaffAccount.id)
        .where(Assignment.application_id == application_id)
    ).scalar_one_or_none()
    return None if found is None else {"id": found.id, "name": found.name, "email": found.email}


def _notes(session: Session, application_id: int) -> List[Dict[str, Any]]:
    rows = session.execute(
        select(Note, StaffAccount.name)
        .join(StaffAccount, StaffAccount.id == Note.staff_id)
        .where(Note.application_id == application_id)
        .order_by(Note.id)
    ).all()
    return [{"author": name, "written_at": _aware(note.written_at).isoformat(), "text": note.text} for note, name in rows]


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes; every one stored here is UTC."""
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


def is_overdue(
    status: str, acknowledge_by_day: dt.date, anonymised_on: Optional[dt.date] = None, day: Optional[dt.date] = None
) -> bool:
    """The day by which the partnership promised to confirm receipt has passed and nobody has
    recorded anything since: the application is still only `received`."""
    return status == ev.RECEIVED and anonymised_on is None and acknowledge_by_day < (day or today())


def conversation_transcript(reference: str) -> Dict[str, Any]:
    """The chat that made the application, from the tracker store, for staff. `state` says what
    there is: "found" (`messages` in order), "not-chat" (no conversation is linked: it came
    another way), "removed" (retention or "forget me" removed it with the personal details),
    "empty" (linked, but the store holds nothing for it) or "unavailable" (the store cannot be
    reached). The conversation's id is a resident's key to their chat, so it is never returned."""
    from . import conversations

    with transaction(write=False) as session:
        row = _load(session, reference)
        removed_on = row.anonymised_on
        sender = conversations.sender_of(row.idempotency_key)
    if removed_on is not None:
        return {"state": "removed", "removed_on": removed_on.isoformat(), "messages": []}
    if sender is None:
        return {"state": "not-chat", "messages": []}
    try:
        messages = conversations.transcript(sender)
    except CaseworkError as error:  # StoreUnavailable: the page says so, the rest still shows
        log.warning("the conversation of %s cannot be read: %s", row.reference, error)
        return {"state": "unavailable", "messages": []}
    return {"state": "found" if messages else "empty", "messages": messages}


def get_application_by_token(token: str) -> Dict[str, Any]:
    """The application behind a resident's private link, or NotFound."""
    if not isinstance(token, str) or not TOKEN.match(token):
        raise NotFound("not found")
    with transaction(write=False) as session:
        row = session.execute(
            select(Application).where(Application.token == token).options(selectinload(Application.events))
        ).scalar_one_or_none()
        # Equal tokens are looked up by index; compare again in constant time so the
        # answer never depends on how much of a guessed token matched.
        if row is None or not secrets.compare_digest(row.token, token):
            raise NotFound("not found")
        result = _export(row)
        result["status"] = row.status
        return result


def export_json(reference: str) -> Dict[str, Any]:
    """The formal application (CONTRACT.md, Application JSON plus reference,
    acknowledge_by, decision and events)."""
    with transaction(write=False) as session:
        return _export(_load(session, reference))


def _export(row: Application) -> Dict[str, Any]:
    return {
        "reference": row.reference,
        "received": row.received.isoformat(),
        "acknowledge_by": row.acknowledge_by.isoformat(),
        "channel": row.channel,
        "applicant": {
            "name": row.applicant_name,
            "email": row.applicant_email,
            "phone": row.applicant_phone,
            "address": row.applicant_address,
        },
        "on_behalf": row.on_behalf,
        "victim": row.victim,
        "consent": row.consent,
        "facts": row.facts,
        "description": row.description,
        "impact": row.impact,
        "decision": row.decision,
        "events": [_event_dict(event) for event in row.events],
    }


def _event_dict(event: Event) -> Dict[str, Any]:
    result = {"event": event.name, "date": event.date.isoformat(), "note": event.note}
    if event.ground:
        result["ground"] = event.ground
    return result


def export_pdf(reference: str, path: Union[str, Path]) -> Path:
    """Write the printable application form to `path` and return it."""
    from .pdf import render_application

    data = export_json(reference)
    target = Path(path)
    if target.is_dir():
        target = target / f"{data['reference']}.pdf"
    if not target.parent.is_dir():
        raise CaseworkError(f"cannot write {target}: the folder does not exist")
    content = render_application(data)
    try:
        target.write_bytes(content)
    except OSError as error:
        raise CaseworkError(f"cannot write {target}: {error.strerror}") from None
    return target


def pdf_bytes(reference: str) -> bytes:
    from .pdf import render_application

    return render_application(export_json(reference))


def financial_year(year: Any) -> tuple:
    """April `year` to March `year + 1`, as (first day, last day)."""
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise CaseworkError(f"year must be a year like 2022, not {year!r}") from None
    if not 2000 <= year <= 2100:
        raise CaseworkError(f"year must be a year like 2022, not {year}")
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)


def current_financial_year(day: Optional[dt.date] = None) -> int:
    day = day or today()
    return day.year if day.month >= 4 else day.year - 1


def list_applications(
    *,
    status: Optional[str] = None,
    year: Optional[int] = None,
    channel: Optional[str] = None,
    overdue: bool = False,
    assigned_to: Optional[int] = None,
    search: Optional[str] = None,
) -> List[Dict[str, Any]]:
    """Summaries, newest first. `status` is an event name, `open` or `closed`; `year`
    is the April-to-March year of receipt, as in the published figures; `overdue` only those
    past their acknowledge-by day with nothing recorded (is_overdue); `assigned_to` a staff
    account's id; `search` a reference (whole, or its start from "ASBCR-") or part of the
    applicant's name, in any case."""
    query = select(Application)
    if status is not None:
        if status == "open":
            query = query.where(Application.status.in_(ev.OPEN_STATUSES))
        elif status == "closed":
            query = query.where(Application.status.in_(ev.CLOSED_STATUSES))
        elif status in ev.STATUSES:
            query = query.where(Application.status == status)
        else:
            raise CaseworkError(
                f"unknown status {status!r}; use open, closed or one of: {', '.join(ev.STATUSES)}", field="status"
            )
    if year is not None:
        first, last = financial_year(year)
        query = query.where(Application.received.between(first, last))
    if channel is not None:
        if channel not in CHANNELS:
            raise CaseworkError(f"unknown channel {channel!r}; use one of: {', '.join(CHANNELS)}", field="channel")
        query = query.where(Application.channel == channel)
    if overdue:
        query = query.where(
            Application.status == ev.RECEIVED, Application.anonymised_on.is_(None), Application.acknowledge_by < today()
        )
    if assigned_to is not None:
        query = query.where(Application.id.in_(select(Assignment.application_id).where(Assignment.staff_id == assigned_to)))
    if search is not None:
        query = query.where(_matches(search))
    query = query.order_by(Application.received.desc(), Application.id.desc())
    with transaction(write=False) as session:
        rows = list(session.execute(query).scalars())
        officers = (
            dict(
                session.execute(
                    select(Assignment.application_id, StaffAccount.name)
                    .join(StaffAccount, StaffAccount.id == Assignment.staff_id)
                    .where(Assignment.application_id.in_([row.id for row in rows]))
                ).all()
            )
            if rows
            else {}
        )
        return [
            {
                "reference": row.reference,
                "received": row.received.isoformat(),
                "acknowledge_by": row.acknowledge_by.isoformat(),
                "channel": row.channel,
                "status": row.status,
                "outcome": row.outcome,
                "outcome_title": labels.outcome(row.decision),  # in the decision's own words
                "anonymised": row.anonymised_on is not None,
                "overdue": is_overdue(row.status, row.acknowledge_by, row.anonymised_on),
                "assigned_to": officers.get(row.id),
            }
            for row in rows
        ]


def _matches(search: Any):
    """The WHERE clause of a search; CaseworkError (field "q") for a search that cannot be one."""
    if not isinstance(search, str):
        raise CaseworkError("the search must be text", field="q")
    text = " ".join(search.split())
    if not text:
        raise CaseworkError("enter a reference or part of a name to search for", field="q")
    if len(text) > MAX_SEARCH_CHARS:
        raise CaseworkError(f"search for at most {MAX_SEARCH_CHARS} characters", field="q")
    if any(not character.isprintable() for character in text):
        raise CaseworkError("the search has characters that are not letters, digits or punctuation", field="q")
    if text.upper().startswith(REFERENCE_PREFIX + "-"):
        return Application.reference.startswith(text.upper(), autoescape=True)
    return func.lower(Application.applicant_name).contains(text.lower(), autoescape=True)


# --- casework ---------------------------------------------------------------------


def record_event(
    reference: str, event: str, date: Union[str, dt.date, None] = None, note: Optional[str] = None
) -> Dict[str, Any]:
    """Append what happened to an application; refuse it when it is out of order."""
    day = parse_date(date, "date") if date is not None else today()
    if note is not None:
        if not isinstance(note, str):
            raise CaseworkError("note must be text", field="note")
        note = note.strip() or None
        if note and len(note) > MAX_NOTE_CHARS:
            raise CaseworkError(f"note is longer than {MAX_NOTE_CHARS} characters", field="note")
    try:
        with transaction() as session:
            row = _load(session, reference, for_update=True)
            if row.anonymised_on is not None:
                # Retention has run: a new note could bring personal data back for good.
                raise CaseworkError(
                    f"{row.reference}: personal details were removed on {row.anonymised_on.isoformat()}; "
                    "nothing more can be recorded"
                )
            history = [(item.name, item.date) for item in row.events]
            ground = ev.check_event(history, event, day, today(), note)
            _append_event(session, row, event, day, note=note, ground=ground, sequence=len(history) + 1)
            row.status = event
            outbox.queue(session, row, event, private_url(row.token))
            result = {"reference": row.reference, "event": event, "date": day.isoformat(), "status": row.status}
            if ground:
                result["ground"] = ground
    except IntegrityError:
        raise CaseworkError("another event was recorded for this application at the same time; try again") from None
    log.info("event %s recorded for %s on %s", event, result["reference"], result["date"])
    return result


def assign(reference: str, staff_id: Optional[int], now: Optional[dt.datetime] = None) -> Dict[str, Any]:
    """Assign the application to the staff account `staff_id`, or to nobody with None. Returns
    the officer now assigned (None for nobody) and the one before."""
    if staff_id is not None and (isinstance(staff_id, bool) or not isinstance(staff_id, int)):
        raise CaseworkError("choose an officer from the list", field="officer")
    with transaction() as session:
        row = _load(session, reference, for_update=True)
        before = _assigned_to(session, row.id)
        current = session.get(Assignment, row.id)
        if staff_id is None:
            if current is not None:
                session.delete(current)
            after = None
        else:
            account = session.get(StaffAccount, staff_id)
            if account is None:
                raise CaseworkError("choose an officer from the list: that account does not exist", field="officer")
            if current is None:
                session.add(
                    Assignment(application_id=row.id, staff_id=account.id, assigned_at=now or dt.datetime.now(dt.timezone.utc))
                )
            elif current.staff_id != account.id:
                current.staff_id, current.assigned_at = account.id, now or dt.datetime.now(dt.timezone.utc)
            after = {"id": account.id, "name": account.name, "email": account.email}
        result = {"reference": row.reference, "assigned_to": after, "before": before}
    log.info("application %s assigned to staff account %s", result["reference"], after["id"] if after else "none")
    return result


def add_note(reference: str, staff_id: int, text: Any, now: Optional[dt.datetime] = None) -> Dict[str, Any]:
    """An officer's note on the application, kept beside its events (and cleared with their notes
    by retention); refused once the personal details were removed, as an event's note is."""
    if not isinstance(text, str):
        raise CaseworkError("the note must be text", field="note")
    text = text.strip()
    if not text:
        raise CaseworkError("enter the note", field="note")
    if len(text) > MAX_NOTE_CHARS:
        raise CaseworkError(f"the note is longer than {MAX_NOTE_CHARS} characters", field="note")
    written_at = now or dt.datetime.now(dt.timezone.utc)
    with transaction() as session:
        row = _load(session, reference, for_update=True)
        if row.anonymised_on is not None:
            raise CaseworkError(
                f"{row.reference}: personal details were removed on {row.anonymised_on.isoformat()}; "
                "nothing more can be recorded",
                field="note",
            )
        if session.get(StaffAccount, staff_id) is None:
            raise CaseworkError("only a member of staff with an account can add a note")
        session.add(Note(application_id=row.id, staff_id=staff_id, text=text, written_at=written_at))
        result = {"reference": row.reference, "written_at": written_at.isoformat()}
    log.info("a note was added to application %s", result["reference"])
    return result


STATS_TEMPLATE = """From April {first} - March {second} there were:

{received} Applications received
{not_met} Times the threshold has not been met
{reviews} Case reviews carried out
{recommendations} Case reviews carried out that have resulted in recommendations being made
{appeals} Anti-Social Behaviour Case Review appeals received"""


def stats_counts(year: int) -> Dict[str, int]:
    """The published figures for April `year` to March `year + 1`: the council's own when
    they were imported for that year, otherwise counted by event date. A year that has both
    is refused (CaseworkError), never added up."""
    return _figures(year)[1]


def stats(year: int) -> str:
    """The council's published wording (CONTRACT.md, `asbcr stats`); an imported year exactly
    as the council's page printed it (casework.published)."""
    source, counts = _figures(year)
    first, _ = financial_year(year)
    if source == "published":
        printed = published.as_printed(first.year, counts)
        if printed is not None:
            return printed
    return STATS_TEMPLATE.format(first=first.year, second=first.year + 1, **counts)


def stats_source(year: int) -> str:
    """ "published" when `year`'s figures are the council's imported ones, else "recorded"."""
    return _figures(year)[0]


def _figures(year: Any) -> tuple:
    first, last = financial_year(year)
    with transaction(write=False) as session:
        recorded = _recorded_counts(session, first, last)
        imported = session.get(PublishedFigures, first.year)
    if imported is None:
        return "recorded", recorded
    if any(recorded.values()):
        raise CaseworkError(_both_message(first.year, recorded))
    return "published", _published_counts(imported)


def _recorded_counts(session: Session, first: dt.date, last: dt.date) -> Dict[str, int]:
    received = session.execute(select(func.count(Application.id)).where(Application.received.between(first, last))).scalar_one()
    by_event = dict(
        session.execute(
            select(Event.name, func.count(Event.id)).where(Event.date.between(first, last)).group_by(Event.name)
        ).all()
    )
    return {
        "received": received,
        "not_met": by_event.get(ev.THRESHOLD_NOT_MET, 0),
        "reviews": by_event.get(ev.REVIEW_HELD, 0),
        "recommendations": by_event.get(ev.RECOMMENDATIONS_MADE, 0),
        "appeals": by_event.get(ev.APPEAL_RECEIVED, 0),
    }


def _published_counts(row: PublishedFigures) -> Dict[str, int]:
    return {key: getattr(row, column) for key, column in zip(published.COUNT_KEYS, published.COUNTS)}


def _both_message(year: int, recorded: Dict[str, int], *, importing: bool = False) -> str:
    counted = ", ".join(
        f"{value} {label}"
        for label, value in (
            ("received", recorded["received"]),
            ("threshold not met", recorded["not_met"]),
            ("reviews", recorded["reviews"]),
            ("with recommendations", recorded["recommendations"]),
            ("appeals", recorded["appeals"]),
        )
        if value
    )
    season = published.season(year)
    if importing:
        return (
            f"{season} already has applications recorded here ({counted}); published figures for it "
            f"would count them twice, so nothing was imported (see asbcr applications list --year {year})"
        )
    return (
        f"{season} has the council's published figures and also applications recorded here ({counted}); "
        f"the two are not added up (see asbcr applications list --year {year})"
    )


def import_published(text: str, name: str) -> List[Dict[str, Any]]:
    """Load the council's published figures (CONTRACT.md, `asbcr stats import-published`).

    All or nothing, in one transaction. A year already imported with the same figures is left
    as it is, so importing a file again changes nothing; a year imported with other figures, or
    one with applications recorded here, refuses the whole file. Returns each year of the file
    with `imported` true or false (already held).
    """
    years = published.parse_csv(text, name)
    current = current_financial_year()
    for item in years:
        if item.year >= current:
            raise CaseworkError(
                f"{name} line {item.line}: {published.season(item.year)} has not ended yet "
                f"(today is {today().isoformat()}); only finished years are published"
            )
    source = Path(name).name[:200] or "stdin"
    now = dt.datetime.now(dt.timezone.utc)
    results = []
    try:
        with transaction() as session:
            for item in sorted(years):
                first, last = financial_year(item.year)
                held = session.get(PublishedFigures, item.year)
                if held is not None:
                    if tuple(getattr(held, column) for column in published.COUNTS) != item.counts:
                        raise CaseworkError(
                            f"{name} line {item.line}: {published.season(item.year)} was already imported "
                            f"(from {held.source}) with other figures; nothing was imported"
                        )
                    results.append({"year": item.year, "imported": False})
                    continue
                recorded = _recorded_counts(session, first, last)
                if any(recorded.values()):
                    raise CaseworkError(f"{name} line {item.line}: " + _both_message(item.year, recorded, importing=True))
                session.add(
                    PublishedFigures(
                        year=item.year,
                        source=source,
                        imported_at=now,
                        **dict(zip(published.COUNTS, item.counts)),
                    )
                )
                results.append({"year": item.year, "imported": True})
    except IntegrityError:
        raise CaseworkError("another import of published figures ran at the same time; run this one again") from None
    log.info(
        "published figures from %s: %d year(s) imported, %d already held",
        source,
        sum(r["imported"] for r in results),
        sum(not r["imported"] for r in results),
    )
    return results


# --- personal data ----------------------------------------------------------------


def apply_retention(
    older_than_months: int, *, dry_run: bool = False, conversations_older_than_days: Optional[int] = None
) -> Dict[str, Any]:
    """Remove personal details from applications closed at least `older_than_months` ago.

    Closed means the latest event ends the partnership's part (see casework.events);
    its date starts the clock, so a later event restarts it. What the statistics need
    (dates of receipt and events, decisions, channel) stays; names, contacts,
    addresses, the person affected, the free-text description, impact and event notes,
    incident references and the private link go, and so does the application's conversation
    in the tracker store. Conversations that led to no application are removed once their last
    message is `conversations_older_than_days` old (casework.conversations).
    """
    from . import conversations

    if conversations_older_than_days is None:
        conversations_older_than_days = conversations.CONVERSATION_RETENTION_DAYS
    if (
        isinstance(conversations_older_than_days, bool)
        or not isinstance(conversations_older_than_days, int)
        or conversations_older_than_days < 1
    ):
        raise CaseworkError("the conversation retention period must be a whole number of days, at least 1")
    if isinstance(older_than_months, bool) or not isinstance(older_than_months, int) or older_than_months < 1:
        raise CaseworkError("the retention period must be a whole number of months, at least 1")
    cutoff = months_before(today(), older_than_months)
    last_event = select(Event.application_id, func.max(Event.date).label("last_date")).group_by(Event.application_id).subquery()
    query = (
        select(Application)
        .join(last_event, last_event.c.application_id == Application.id)
        .where(Application.status.in_(ev.CLOSED_STATUSES))
        .where(Application.anonymised_on.is_(None))
        .where(last_event.c.last_date <= cutoff)
        .order_by(Application.id)
        .options(selectinload(Application.events))
    )
    with transaction() as session:
        rows = list(session.execute(query).scalars())
        if not dry_run:
            # The conversations first: if their store is down, nothing is anonymised and the
            # next run does both (removing twice is harmless).
            conversations.remove_conversations(conversations.sender_of(row.idempotency_key) for row in rows)
            for row in rows:
                _anonymise(row)
        references = [row.reference for row in rows]
        keep = {
            conversations.sender_of(key)
            for key in session.execute(
                select(Application.idempotency_key).where(Application.idempotency_key.like(conversations.CHAT_KEY_PREFIX + "%"))
            ).scalars()
        }
    expired = conversations.expire_conversations(conversations_older_than_days, keep, dry_run=dry_run)
    log.info(
        "retention %s %d closed application(s) closed on or before %s and %d conversation(s) without one",
        "would anonymise" if dry_run else "anonymised",
        len(references),
        cutoff.isoformat(),
        expired,
    )
    return {"cutoff": cutoff.isoformat(), "dry_run": dry_run, "references": references, "conversations_removed": expired}


def forget_by_token(token: str) -> Dict[str, Any]:
    """A resident's "forget me" from their private page: their personal details and their
    conversation are removed now, as retention would later; staff see it as an event."""
    from . import conversations

    if not isinstance(token, str) or not TOKEN.match(token):
        raise NotFound("not found")
    with transaction() as session:
        row = session.execute(
            select(Application).where(Application.token == token).options(selectinload(Application.events)).with_for_update()
        ).scalar_one_or_none()
        if row is None or not secrets.compare_digest(row.token, token):
            raise NotFound("not found")
        conversations.remove_conversations([conversations.sender_of(row.idempotency_key)])
        _anonymise(row)
        _append_event(session, row, ev.RESIDENT_ERASED, today(), note=None, ground=None, sequence=len(row.events) + 1)
        reference, decision = row.reference, row.decision
    log.info("application %s: personal details removed at the applicant's request", reference)
    return {"reference": reference, "decision": decision}  # the decision names whose page says so


def _anonymise(row: Application) -> None:
    # Messages hold the contact and the private link: they go too, sent or not.
    outbox.remove_for(object_session(row), row.id)
    row.applicant_name = row.applicant_email = row.applicant_phone = row.applicant_address = None
    row.victim = None
    row.description = row.impact = None
    row.token = None
    row.idempotency_key = None
    facts = dict(row.facts or {})
    if isinstance(facts.get("incidents"), list):
        facts["incidents"] = [
            {key: value for key, value in incident.items() if key != "reference"} if isinstance(incident, dict) else incident
            for incident in facts["incidents"]
        ]
    row.facts = facts
    for event in row.events:
        event.note = None
    object_session(row).execute(update(Note).where(Note.application_id == row.id).values(text=None))
    row.anonymised_on = today()
