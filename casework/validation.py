"""Checking an application (CONTRACT.md, Application JSON) before anything is stored.

Each problem is one line that names the key. Messages never repeat the value of a
personal field (callers may log them); the case facts themselves are checked by the
rule set, which names the faulty key too.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Dict, Optional

from groundwork.clock import today
from groundwork.dates import DateError, iso_date

from .errors import CaseworkError

CHANNELS = ("chat", "paper", "phone", "email", "in_person")
TOP_LEVEL_KEYS = {
    "received",
    "channel",
    "applicant",
    "on_behalf",
    "victim",
    "consent",
    "facts",
    "description",
    "impact",
}
# `export` adds these; an export fed back to `new` would silently become a copy.
EXPORT_ONLY_KEYS = {"reference", "acknowledge_by", "decision", "events", "status", "private_url"}
CONTACT_KEYS = ("name", "email", "phone", "address")
VICTIM_KEYS = CONTACT_KEYS + ("relationship",)
MAX_SHORT = 300
MAX_LONG = 20_000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_CHARACTERS = re.compile(r"^[0-9 +()\-.]+$")


def parse_date(value: Any, key: str) -> dt.date:
    try:
        return iso_date(value, key)
    except DateError as error:
        raise CaseworkError(str(error), field=key) from None


def validate_application(raw: Any) -> Dict[str, Any]:
    """A clean copy of `raw`, or CaseworkError naming the first problem."""
    if not isinstance(raw, dict):
        raise CaseworkError("an application must be a JSON object")
    exported = sorted(EXPORT_ONLY_KEYS & raw.keys())
    if exported:
        raise CaseworkError(
            f"{exported[0]}: this looks like an exported application; "
            "enter a new one without reference, acknowledge_by, decision or events"
        )
    unknown = sorted(raw.keys() - TOP_LEVEL_KEYS)
    if unknown:
        raise CaseworkError(f"unknown key {unknown[0]!r}; an application has: {', '.join(sorted(TOP_LEVEL_KEYS))}")

    received = parse_date(raw["received"], "received") if raw.get("received") is not None else today()
    if received > today():
        raise CaseworkError(f"received {received.isoformat()} lies after today ({today().isoformat()})")

    channel = raw.get("channel")
    if channel not in CHANNELS:
        raise CaseworkError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")

    applicant = _contact(raw.get("applicant"), "applicant", CONTACT_KEYS)
    if not applicant.get("name"):
        raise CaseworkError("applicant.name is required")
    if not any(applicant.get(key) for key in ("email", "phone", "address")):
        raise CaseworkError("applicant: give at least one way to reach them (email, phone or address)")

    on_behalf = raw.get("on_behalf", False)
    if not isinstance(on_behalf, bool):
        raise CaseworkError("on_behalf must be true or false")
    consent = raw.get("consent")
    if consent is not None and not isinstance(consent, bool):
        raise CaseworkError("consent must be true, false or null")
    victim_raw = raw.get("victim")
    if on_behalf:
        if isinstance(victim_raw, str):
            victim_raw = {"name": victim_raw}
        victim = _contact(victim_raw, "victim", VICTIM_KEYS)
        if not victim.get("name"):
            raise CaseworkError("victim.name is required when on_behalf is true (the person, business or group affected)")
    else:
        if victim_raw not in (None, "", {}):
            raise CaseworkError("victim: only give the person affected when on_behalf is true")
        if consent is not None:
            raise CaseworkError("consent: only applies when on_behalf is true (leave it null)")
        victim = None

    facts = raw.get("facts", {})
    if facts is None:
        facts = {}
    if not isinstance(facts, dict):
        raise CaseworkError("facts must be a JSON object of case facts")
    for key, value in (("on_behalf", on_behalf), ("consent", consent)):
        if key in facts and facts[key] != value:
            raise CaseworkError(f"facts.{key} disagrees with the application's {key}; give it once, at the top level")

    return {
        "received": received,
        "channel": channel,
        "applicant": applicant,
        "on_behalf": on_behalf,
        "victim": victim,
        "consent": consent,
        "facts": dict(facts),
        "description": _text(raw.get("description"), "description", MAX_LONG),
        "impact": _text(raw.get("impact"), "impact", MAX_LONG),
    }


def _contact(value: Any, key: str, allowed: tuple) -> Dict[str, Optional[str]]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise CaseworkError(f"{key} must be an object with {', '.join(allowed)}")
    unknown = sorted(value.keys() - set(allowed))
    if unknown:
        raise CaseworkError(f"{key}: unknown key {unknown[0]!r}; use {', '.join(allowed)}")
    contact = {name: _text(value.get(name), f"{key}.{name}", MAX_SHORT) for name in allowed}
    email = contact.get("email")
    if email and not EMAIL.match(email):
        raise CaseworkError(f"{key}.email is not an email address (like name@example.org)")
    phone = contact.get("phone")
    if phone:
        digits = sum(ch.isdigit() for ch in phone)
        if not PHONE_CHARACTERS.match(phone) or not 7 <= digits <= 15:
            raise CaseworkError(f"{key}.phone is not a phone number (digits, spaces and + only)")
    return contact


def _text(value: Any, key: str, limit: int) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise CaseworkError(f"{key} must be text")
    value = value.strip()
    if len(value) > limit:
        raise CaseworkError(f"{key} is longer than {limit} characters")
    return value or None


REFERENCE = re.compile(r"^ASBCR-(\d{4})-(\d{4,})$")


def normalise_reference(reference: Any) -> str:
    """An application reference as typed ("asbcr-2026-0007 ") in its one form, or a clear refusal."""
    text = str(reference or "").strip().upper()
    if not REFERENCE.match(text):
        raise CaseworkError(f"{reference!r} is not an application reference (like ASBCR-2026-0007)")
    return text
