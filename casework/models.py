"""Tables of the applications store.

An application keeps what the conversation (or the paper form) established: the case
facts, the rule set's decision and the version of the rule set that made it, the
applicant's details, the channel, and an append-only list of events. Personal data
sits in clearly named columns (`applicant_*`, `victim`, `description`, `impact`,
event notes) so that retention can clear exactly those and nothing the statistics need.

Any change here needs a new Alembic revision in casework/migrations/versions; a test
compares these models with the migrated schema.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

# Stable constraint names, so migrations can refer to them on every database.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
Base = declarative_base(metadata=metadata)


class ReferenceCounter(Base):
    """The last reference number handed out in each year (ASBCR-YYYY-NNNN).

    Incrementing this row inside the creating transaction serialises concurrent
    creations on PostgreSQL (row lock) and SQLite (write lock), and a rolled-back
    creation gives its number back, so references have no gaps.
    """

    __tablename__ = "reference_counters"

    year = Column(Integer, primary_key=True, autoincrement=False)
    last_number = Column(Integer, nullable=False, default=0)


class Application(Base):
    __tablename__ = "applications"

    id = Column(Integer, primary_key=True)
    reference = Column(String(32), nullable=False, unique=True)
    # Chat sends one key per confirmation; the unique constraint (not a lookup) is
    # what makes a double-click or a retried request create one application only.
    idempotency_key = Column(String(200), nullable=True, unique=True)
    # The resident's private link. Random, unguessable, carries no personal data.
    token = Column(String(64), nullable=True, unique=True)

    received = Column(Date, nullable=False, index=True)
    acknowledge_by = Column(Date, nullable=False)
    channel = Column(String(20), nullable=False)
    # Latest event's name, kept here so staff can filter without replaying events.
    status = Column(String(30), nullable=False, index=True)

    # Personal data: cleared by retention.
    applicant_name = Column(Text, nullable=True)
    applicant_email = Column(Text, nullable=True)
    applicant_phone = Column(Text, nullable=True)
    applicant_address = Column(Text, nullable=True)
    victim = Column(JSON, nullable=True)
    description = Column(Text, nullable=True)
    impact = Column(Text, nullable=True)

    on_behalf = Column(Boolean, nullable=False, default=False)
    consent = Column(Boolean, nullable=True)

    facts = Column(JSON, nullable=False)
    decision = Column(JSON, nullable=False)
    outcome = Column(String(40), nullable=False)
    rule_set_name = Column(String(80), nullable=False)
    rule_set_version = Column(String(80), nullable=False)

    created_at = Column(DateTime(timezone=True), nullable=False)
    anonymised_on = Column(Date, nullable=True)

    events = relationship(
        "Event",
        back_populates="application",
        order_by="Event.id",
        cascade="save-update, merge",
        passive_deletes="all",
    )


class Event(Base):
    """One thing that happened to an application. Rows are only ever added."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("application_id", "sequence"),)

    id = Column(Integer, primary_key=True)
    application_id = Column(Integer, ForeignKey("applications.id", ondelete="RESTRICT"), nullable=False, index=True)
    # Position in the application's history (1 = received); unique per application,
    # so two staff recording at once cannot both append "the next" event.
    sequence = Column(Integer, nullable=False)
    name = Column(String(30), nullable=False, index=True)
    date = Column(Date, nullable=False, index=True)
    # The ground of a rejection is kept through retention; other notes are free
    # text that may name people, so retention clears them.
    ground = Column(String(20), nullable=True)
    note = Column(Text, nullable=True)
    recorded_at = Column(DateTime(timezone=True), nullable=False)

    application = relationship("Application", back_populates="events")


OUTBOX_STATUSES = ("pending", "sending", "sent", "recorded", "failed")
OUTBOX_CHANNELS = ("email", "sms")


def _one_of(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class OutboxMessage(Base):
    """One message to an applicant about one event of their application (casework.outbox).

    Written in the same transaction as the application or the event, so a message is never lost
    and never sent for something that was rolled back; sent later by casework.notify. The
    recipient and the private link are personal data: the row goes when retention or "forget me"
    clears the application. One message per application and event.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("application_id", "event"),
        CheckConstraint(_one_of("status", OUTBOX_STATUSES), name="status_known"),
        CheckConstraint(_one_of("channel", OUTBOX_CHANNELS), name="channel_known"),
    )

    id = Column(Integer, primary_key=True)
    application_id = Column(Integer, ForeignKey("applications.id", ondelete="CASCADE"), nullable=False, index=True)
    event = Column(String(30), nullable=False)
    channel = Column(String(10), nullable=False)
    # Personal data: the applicant's own email address or phone number, as they gave it.
    recipient = Column(Text, nullable=False)
    # Exactly what Notify is given to fill the template: the reference and the private link.
    personalisation = Column(JSON, nullable=False)
    # pending: waiting; sending: claimed by a sender until next_attempt_at; sent: Notify took it;
    # recorded: no Notify key, kept here only; failed: refused, or out of attempts (last_error).
    status = Column(String(12), nullable=False, index=True)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime(timezone=True), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)
    finished_at = Column(DateTime(timezone=True), nullable=True)
    template_id = Column(String(64), nullable=True)
    notify_id = Column(String(64), nullable=True)
    last_error = Column(Text, nullable=True)


class PublishedFigures(Base):
    """The council's own figures for one April-March year before the service, as it published
    them (`asbcr stats import-published`). Never added to counts of recorded applications:
    a year is either published here or counted from the applications, not both."""

    __tablename__ = "published_figures"
    __table_args__ = tuple(
        CheckConstraint(f"{column} >= 0", name=f"{column}_not_negative")
        for column in (
            "applications_received",
            "threshold_not_met",
            "reviews_carried_out",
            "reviews_with_recommendations",
            "appeals_received",
        )
    )

    # The April the year starts: 2022 is April 2022 - March 2023.
    year = Column(Integer, primary_key=True, autoincrement=False)
    applications_received = Column(Integer, nullable=False)
    threshold_not_met = Column(Integer, nullable=False)
    reviews_carried_out = Column(Integer, nullable=False)
    reviews_with_recommendations = Column(Integer, nullable=False)
    appeals_received = Column(Integer, nullable=False)
    # The name of the file they came from (no folder), for whoever asks where a figure came from.
    source = Column(String(200), nullable=False)
    imported_at = Column(DateTime(timezone=True), nullable=False)


class StaffAccount(Base):
    """An officer's or an admin's own account for the staff console (`asbcr staff add`).
    Accounts are never deleted (the audit log names them); the password is an argon2id hash."""

    __tablename__ = "staff_accounts"
    __table_args__ = (CheckConstraint("role IN ('officer', 'admin')", name="role_known"),)

    id = Column(Integer, primary_key=True)
    name = Column(Text, nullable=False)
    # Stored lower-cased, so one person cannot get two accounts by capitals.
    email = Column(String(320), nullable=False, unique=True)
    role = Column(String(20), nullable=False)
    password_hash = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)


class StaffSession(Base):
    """A signed-in browser. The cookie holds a random id; only its SHA-256 is kept here, so
    whoever reads the database cannot take over a live session."""

    __tablename__ = "staff_sessions"

    id_hash = Column(String(64), primary_key=True)
    staff_id = Column(Integer, ForeignKey("staff_accounts.id", ondelete="CASCADE"), nullable=False, index=True)
    # The session's own anti-forgery token, carried by every form (compared in constant time).
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)
    last_seen_at = Column(DateTime(timezone=True), nullable=False)


class SignInThrottle(Base):
    """Failed sign-ins counted per key ("email:<address typed>" or "address:<client IP>"), known
    accounts and unknown emails alike, so the lock-out does not tell which emails have accounts."""

    __tablename__ = "sign_in_throttles"

    key = Column(String(400), primary_key=True)
    failures = Column(Integer, nullable=False, default=0)
    first_failure_at = Column(DateTime(timezone=True), nullable=False)
    locked_until = Column(DateTime(timezone=True), nullable=True)


class AuditEntry(Base):
    """Who did what, to which application, when. Rows are only ever added: retention leaves
    this table alone, and no application or account is linked by a foreign key, so nothing
    that happens to them can take an entry away. No personal data of residents goes in here
    (`reference` names the application; `detail` is an event name or the like)."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, index=True)
    # The account's email, or "casework system" for the machine token, or "unknown" for a
    # failed sign-in with an email that has no account (never what was typed: it may be a password).
    actor = Column(String(320), nullable=False, index=True)
    action = Column(String(40), nullable=False)
    reference = Column(String(32), nullable=True, index=True)
    detail = Column(Text, nullable=True)
    address = Column(String(64), nullable=True)


class Note(Base):
    """An officer's note on an application, written in the console. Rows are only ever added. The
    text may name people, so retention and "forget me" clear it as they clear events' notes; the
    row (who wrote a note, when) stays, like the event it sits beside."""

    __tablename__ = "notes"

    id = Column(Integer, primary_key=True)
    application_id = Column(Integer, ForeignKey("applications.id", ondelete="RESTRICT"), nullable=False, index=True)
    staff_id = Column(Integer, ForeignKey("staff_accounts.id", ondelete="RESTRICT"), nullable=False)
    text = Column(Text, nullable=True)
    written_at = Column(DateTime(timezone=True), nullable=False)


class Assignment(Base):
    """The officer an application is assigned to: one row per assigned application, replaced on
    reassignment and removed when nobody is. Who assigned whom, and when, is in the audit log."""

    __tablename__ = "assignments"

    application_id = Column(Integer, ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    staff_id = Column(Integer, ForeignKey("staff_accounts.id", ondelete="RESTRICT"), nullable=False, index=True)
    assigned_at = Column(DateTime(timezone=True), nullable=False)
