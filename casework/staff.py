"""Staff accounts, sign-in, sessions and the audit log, in the applications database.

The console's HTTP side is web/staff_auth.py; this module is what it stores and decides:
- accounts (`asbcr staff add`): a name, a lower-cased email, a role (officer or admin) and an
  argon2id hash of the password (argon2-cffi's defaults, RFC 9106's second recommended profile);
- sign-in with a password, with a lock-out after repeated failures, counted per email typed and
  per client address, for unknown emails exactly as for known ones;
- sessions: a random id handed to the browser, only its SHA-256 kept here, with an idle and an
  absolute expiry;
- the audit log: who did what to which application when, only ever added to, read by admins.

Times are passed in by the caller (`now`, aware UTC), so the web tier's clock decides and tests
move it instead of waiting.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple, Union

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from .db import transaction
from .errors import CaseworkError, Forbidden
from .models import AuditEntry, SignInThrottle, StaffAccount, StaffSession

log = logging.getLogger("casework.staff")

OFFICER, ADMIN = "officer", "admin"
ROLES = (OFFICER, ADMIN)

# NCSC and NIST SP 800-63B favour length over composition rules: no character classes, a floor
# of 12 characters, and a ceiling only so that hashing cannot be made expensive on purpose.
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Lock-out. Five wrong passwords for one email within a quarter of an hour lock that email for a
# quarter of an hour: enough for an officer's typos, far too few to guess a 12-character password.
# An address gets more (20), since a council office signs in from one address behind its NAT;
# it stops one machine trying many emails. Attempts while locked are refused without checking
# the password and do not extend the lock, so a stranger cannot keep an officer out for good.
ACCOUNT_FAILURES_BEFORE_LOCK = 5
ADDRESS_FAILURES_BEFORE_LOCK = 20
FAILURE_WINDOW = dt.timedelta(minutes=15)
LOCK_OUT = dt.timedelta(minutes=15)

# Sessions. Idle: 30 minutes without a request signs the officer out (OWASP's range for
# applications holding sensitive personal data is 15-30 minutes; case files are read at length).
# Absolute: 10 hours after sign-in, whatever happens, so a session never outlives a working day.
IDLE_TIMEOUT = dt.timedelta(minutes=30)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=10)

# Audit actions written here; the console adds its own (viewed, recorded an event, ...).
SIGNED_IN, SIGNED_OUT = "sign-in", "sign-out"
SIGN_IN_FAILED, SIGN_IN_LOCKED = "sign-in-failed", "sign-in-locked"
MACHINE_ACTOR = "casework system"  # ASBCR_STAFF_TOKEN's requests
UNKNOWN_ACTOR = "unknown"


@dataclass(frozen=True)
class StaffMember:
    id: int
    name: str
    email: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


class SignInRefused(CaseworkError):
    """Wrong email or password, or locked out until `locked_until` (aware UTC)."""

    def __init__(self, locked_until: Optional[dt.datetime] = None):
        super().__init__("locked out" if locked_until else "wrong email or password")
        self.locked_until = locked_until


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(value: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """SQLite gives back naive datetimes; every one stored here is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


@functools.lru_cache(maxsize=1)
def _hasher():
    from argon2 import PasswordHasher  # imported here: `asbcr check` and the bot never need it

    return PasswordHasher()


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked against when the email has no account, so the answer takes as long either way."""
    return _hasher().hash(secrets.token_urlsafe(16))


def normalise_email(email: Any) -> str:
    return email.strip().lower() if isinstance(email, str) else ""


def check_password_rules(password: Any) -> str:
    if not isinstance(password, str) or not password:
        raise CaseworkError("the password is empty")
    if len(password) < MIN_PASSWORD_CHARS:
        raise CaseworkError(f"the password is too short: it needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise CaseworkError(f"the password is too long: at most {MAX_PASSWORD_CHARS} characters")
    return password


def _member(row: StaffAccount) -> StaffMember:
    return StaffMember(id=row.id, name=row.name, email=row.email, role=row.role)


# --- accounts ---------------------------------------------------------------------


def add_account(name: Any, email: Any, role: Any, password: Any, *, now: Optional[dt.datetime] = None) -> StaffMember:
    if not isinstance(name, str) or not name.strip():
        raise CaseworkError("the name is empty")
    address = normalise_email(email)
    if not EMAIL.match(address) or len(address) > 320:
        raise CaseworkError("the email is not an email address like name@council.gov.uk")
    if role not in ROLES:
        raise CaseworkError(f"the role must be officer or admin, not {str(role)[:20]!r}")
    check_password_rules(password)
    password_hash = _hasher().hash(password)
    try:
        with transaction() as session:
            if session.execute(select(StaffAccount.id).where(StaffAccount.email == address)).first():
                raise CaseworkError(f"a staff account with the email {address} already exists")
            row = StaffAccount(
                name=name.strip(), email=address, role=role, password_hash=password_hash, created_at=now or utc_now()
            )
            session.add(row)
            session.flush()
            member = _member(row)
    except IntegrityError:  # the same email added at the same moment by someone else
        raise CaseworkError(f"a staff account with the email {address} already exists") from None
    log.info("staff account %d added (%s)", member.id, member.role)
    return member


def list_accounts() -> List[StaffMember]:
    """Every staff account, by name (the console's "assign an officer" list)."""
    with transaction(write=False) as session:
        return [
            _member(row) for row in session.execute(select(StaffAccount).order_by(StaffAccount.name, StaffAccount.id)).scalars()
        ]


def account_by_email(email: Any) -> Optional[StaffMember]:
    """The account for an email an identity provider vouched for (web/staff_auth.py)."""
    with transaction(write=False) as session:
        row = session.execute(select(StaffAccount).where(StaffAccount.email == normalise_email(email))).scalar_one_or_none()
        return _member(row) if row else None


# --- sign-in ----------------------------------------------------------------------


def _throttle_keys(email: str, address: str) -> Dict[str, int]:
    return {f"email:{email[:320]}": ACCOUNT_FAILURES_BEFORE_LOCK, f"address:{address[:64]}": ADDRESS_FAILURES_BEFORE_LOCK}


def sign_in_with_password(email: Any, password: Any, address: str, now: dt.datetime) -> StaffMember:
    """The account, or SignInRefused: the same for an unknown email and a wrong password; with
    `locked_until` while the email or the address is locked out. Every outcome is audited."""
    typed = normalise_email(email)
    keys = _throttle_keys(typed, address)
    with transaction(write=False) as session:
        locks = [
            _aware(row.locked_until)
            for row in session.execute(select(SignInThrottle).where(SignInThrottle.key.in_(keys))).scalars()
            if row.locked_until
        ]
        row = session.execute(select(StaffAccount).where(StaffAccount.email == typed)).scalar_one_or_none()
        account = (_member(row), row.password_hash) if row else None
    actor = account[0].email if account else UNKNOWN_ACTOR
    locked_until = max((until for until in locks if until > now), default=None)
    if locked_until:
        audit(actor, SIGN_IN_LOCKED, address=address, now=now)
        raise SignInRefused(locked_until)

    if _password_matches(account[1] if account else _dummy_hash(), password) and account:
        member, stored = account
        with transaction() as session:
            session.execute(delete(SignInThrottle).where(SignInThrottle.key == f"email:{typed[:320]}"))
            if _hasher().check_needs_rehash(stored):  # the library's defaults moved on since
                session.get(StaffAccount, member.id).password_hash = _hasher().hash(password)
        audit(member, SIGNED_IN, address=address, now=now)
        return member

    locked_until = _count_failure(keys, now)
    audit(actor, SIGN_IN_LOCKED if locked_until else SIGN_IN_FAILED, address=address, now=now)
    raise SignInRefused(locked_until)


def _password_matches(stored: str, password: Any) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    if not isinstance(password, str) or not password or len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _count_failure(keys: Dict[str, int], now: dt.datetime) -> Optional[dt.datetime]:
    """One more failure against each key; the time the lock ends if this one locked a key."""
    for attempt in range(2):
        try:
            locked_until = None
            with transaction() as session:
                for key, limit in keys.items():
                    row = session.execute(
                        select(SignInThrottle).where(SignInThrottle.key == key).with_for_update()
                    ).scalar_one_or_none()
                    if row is None:
                        row = SignInThrottle(key=key, failures=0, first_failure_at=now)
                        session.add(row)
                    lock_over = row.locked_until is not None and _aware(row.locked_until) <= now
                    if lock_over or _aware(row.first_failure_at) + FAILURE_WINDOW < now:
                        row.failures, row.first_failure_at, row.locked_until = 0, now, None
                    row.failures += 1
                    if row.failures >= limit:
                        row.locked_until = now + LOCK_OUT
                        locked_until = max(locked_until or row.locked_until, row.locked_until)
            return locked_until
        except IntegrityError:  # another failure created the same row at the same moment: count again
            if attempt:
                raise
    return None


# --- sessions ---------------------------------------------------------------------


def _id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


def open_session(member: StaffMember, now: dt.datetime) -> Tuple[str, str]:
    """A new session for `member`: (the id for the cookie, the session's CSRF token). Sessions
    past their expiry, anyone's, are removed on the way."""
    session_id, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with transaction() as session:
        session.execute(
            delete(StaffSession).where(
                or_(StaffSession.last_seen_at < now - IDLE_TIMEOUT, StaffSession.created_at < now - ABSOLUTE_TIMEOUT)
            )
        )
        session.add(
            StaffSession(
                id_hash=_id_hash(session_id), staff_id=member.id, csrf_token=csrf_token, created_at=now, last_seen_at=now
            )
        )
    return session_id, csrf_token


def session_member(session_id: Any, now: dt.datetime) -> Optional[Tuple[StaffMember, str]]:
    """(who, the session's CSRF token) for a live session, which counts as activity; None for an
    unknown or expired one (an expired one is removed)."""
    if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
        return None
    with transaction() as session:
        row = session.get(StaffSession, _id_hash(session_id))
        if row is None:
            return None
        if _aware(row.last_seen_at) + IDLE_TIMEOUT <= now or _aware(row.created_at) + ABSOLUTE_TIMEOUT <= now:
            session.delete(row)
            return None
        row.last_seen_at = max(now, _aware(row.last_seen_at))
        account = session.get(StaffAccount, row.staff_id)
        return _member(account), row.csrf_token


def close_session(session_id: Any) -> None:
    if isinstance(session_id, str) and SESSION_ID.match(session_id):
        with transaction() as session:
            session.execute(delete(StaffSession).where(StaffSession.id_hash == _id_hash(session_id)))


# --- the audit log ----------------------------------------------------------------


def audit(
    actor: Union[StaffMember, str],
    action: str,
    *,
    reference: Optional[str] = None,
    detail: Optional[str] = None,
    address: Optional[str] = None,
    now: Optional[dt.datetime] = None,
) -> None:
    """Add one entry: `actor` is the member of staff (or MACHINE_ACTOR), `action` a short name
    ("viewed", "recorded-event", ...), `reference` the application's, `detail` what changed
    (an event's name, never a resident's words)."""
    who = actor.email if isinstance(actor, StaffMember) else str(actor)
    if not who or not isinstance(action, str) or not action or len(action) > 40:
        raise CaseworkError("an audit entry needs who and a short action")
    with transaction() as session:
        session.add(
            AuditEntry(
                at=now or utc_now(),
                actor=who[:320],
                action=action,
                reference=reference,
                detail=detail,
                address=address[:64] if address else None,
            )
        )


def audit_log(viewer: StaffMember, *, reference: Optional[str] = None, limit: int = 200, offset: int = 0) -> List[Dict[str, Any]]:
    """The newest entries first (for one application when `reference` is given), `offset` of
    them left out (the console pages through it). Admins only."""
    _admins_only(viewer)
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(1, min(int(limit), 1000))).offset(max(0, int(offset)))
    if reference:
        query = query.where(AuditEntry.reference == reference)
    with transaction(write=False) as session:
        return [
            {
                "at": _aware(row.at).isoformat(),
                "actor": row.actor,
                "action": row.action,
                "reference": row.reference,
                "detail": row.detail,
                "address": row.address,
            }
            for row in session.execute(query).scalars()
        ]


def audit_count(viewer: StaffMember, *, reference: Optional[str] = None) -> int:
    """How many entries audit_log has to page through. Admins only."""
    _admins_only(viewer)
    query = select(func.count(AuditEntry.id))
    if reference:
        query = query.where(AuditEntry.reference == reference)
    with transaction(write=False) as session:
        return session.execute(query).scalar_one()


def _admins_only(viewer: Any) -> None:
    if not isinstance(viewer, StaffMember) or not viewer.is_admin:
        raise Forbidden("the audit log is for admins only")
