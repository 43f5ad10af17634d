"""No resident text in any log line, at any level, in every process of the service.

Rasa logs whole resident messages: at DEBUG on every turn (rasa.core.processor: "Received user
message ..."; slot values; whole trackers) and at ERROR when a turn times out or fails (the REST
channel's structlog events `rest.message.received.timeout` / `.failure` carry the text). Slots
hold names, emails, phone numbers and addresses; exceptions (SQL errors, JSON errors) quote
their input. So every log record is checked before any handler sees it:

- records from other packages (rasa, rasa_sdk, sanic, aiohttp, sqlalchemy, ...) below WARNING
  are dropped: they are where whole messages and trackers are dumped;
- a structlog record keeps its event name only (its fields are where the text is);
- quoted text is withheld unless it is an identifier (action, intent or slot names such as
  'action_converse'), and anything shaped like an email, a UK phone number or a postcode is
  withheld in every record, ours included;
- an exception keeps its type and where it happened, never its message or its locals;
- query strings are cut from request lines (tokens have been sent in them).

`install()` patches logging.Logger.handle once per process, so it holds whatever handlers Rasa
or Sanic configure later. The Rasa server installs it when it loads bot/channels.py, the action
server when it imports bot.actions, the web tier in web/server.py's main.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from typing import Optional

OWN_PACKAGES = ("asbcr", "bot", "casework", "web", "rules", "evaluation")
WITHHELD = "[withheld]"

QUOTED = re.compile(r"(?<!\w)'([^'\n]*)'(?!\w)|\"([^\"\n]*)\"")
IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$|^$")
EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
UK_PHONE = re.compile(r"(?<![\w.:/-])(?:\+44\s?\(?0?\)?|0)\s?\d(?:[\s-]?\d){8,9}(?![\w.])")
POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.I)
QUERY = re.compile(r"\?[^\s\"']*")

_installed = False
_original_handle = logging.Logger.handle


def _own(name: str) -> bool:
    return name.split(".", 1)[0] in OWN_PACKAGES


def scrub(text: str, *, quoted: bool = True) -> str:
    """`text` with personal-looking parts withheld."""
    if quoted:

        def keep_identifiers(match: re.Match) -> str:
            inner = match.group(1) if match.group(1) is not None else match.group(2)
            return match.group(0) if IDENTIFIER.match(inner) else f"'{WITHHELD}'"

        text = QUOTED.sub(keep_identifiers, text)
    text = EMAIL.sub(WITHHELD, text)
    text = UK_PHONE.sub(WITHHELD, text)
    return POSTCODE.sub(WITHHELD, text)


def _structlog_event(message: str) -> Optional[str]:
    """Rasa renders its structlog events as JSON before handing them to logging."""
    if not message.startswith("{"):
        return None
    try:
        fields = json.loads(message)
    except ValueError:
        return None
    if not isinstance(fields, dict) or not isinstance(fields.get("event"), str):
        return None
    event = fields["event"] if IDENTIFIER.match(fields["event"].replace(".", "_")) else WITHHELD
    withheld = fields.get("withheld") if isinstance(fields.get("withheld"), list) else []
    others = sorted(
        {str(key) for key in withheld}
        | {key for key in fields if key not in ("event", "level", "log_level", "timestamp", "withheld")}
    )
    return f"{event} (fields withheld: {', '.join(others)})" if others else event


def _exception_summary(exc_info) -> str:
    kind, _, tb = exc_info
    frames = traceback.extract_tb(tb) if tb is not None else []
    lines = [f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}' for frame in frames]
    name = getattr(kind, "__qualname__", str(kind))
    return "Traceback (most recent call last):\n" + "\n".join(lines) + f"\n{name}: {WITHHELD}"


def make_safe(record: logging.LogRecord) -> bool:
    """Make `record` safe to write, in place; False when it must be dropped."""
    own = _own(record.name)
    if not own and record.levelno < logging.WARNING:
        return False
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: its arguments may be anything
        message = str(record.msg)
    event = _structlog_event(message)
    if event is not None:
        message = event
    else:
        message = scrub(QUERY.sub("?" + WITHHELD, message), quoted=not own)
    record.msg, record.args = message, ()
    if record.exc_info:
        record.exc_text = _exception_summary(record.exc_info)
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = f"(exception text {WITHHELD})"
    for key in ("request", "uri"):  # sanic's and aiohttp's access-log fields
        value = record.__dict__.get(key)
        if isinstance(value, str):
            record.__dict__[key] = QUERY.sub("?" + WITHHELD, value)
    return True


def _structlog_fields_withheld(logger, method_name, event_dict):
    """First of structlog's processors: an event keeps its name, never its fields (Rasa puts the
    resident's text, slots and exceptions in them), whichever renderer follows."""
    kept = {"event": event_dict.get("event")}
    withheld = sorted(str(key) for key in event_dict if key != "event")
    if withheld:
        kept["withheld"] = withheld
    return kept


def _install_structlog() -> None:
    try:
        import structlog
    except ImportError:  # Rasa's, not the project's: the web tier's .venv-web has no structlog to check
        return
    # The live list every structlog logger uses, cached ones included: change it in place.
    processors = structlog.get_config()["processors"]
    if _structlog_fields_withheld not in processors:
        processors.insert(0, _structlog_fields_withheld)


def install() -> None:
    """Check every log record of this process before it is handled (idempotent)."""
    global _installed
    _install_structlog()  # again on every call: Rasa may configure structlog after an early install
    if _installed:
        return

    def handle(self: logging.Logger, record: logging.LogRecord) -> None:
        if make_safe(record):
            _original_handle(self, record)

    logging.Logger.handle = handle  # type: ignore[method-assign]
    logging.captureWarnings(True)  # warnings go through the same check (logger "py.warnings")
    _installed = True


def uninstall() -> None:
    """Back to plain logging (for tests that install the check in a shared test process)."""
    global _installed
    logging.Logger.handle = _original_handle  # type: ignore[method-assign]
    logging.captureWarnings(False)
    try:
        import structlog

        processors = structlog.get_config()["processors"]
        while _structlog_fields_withheld in processors:
            processors.remove(_structlog_fields_withheld)
    except ImportError:
        pass
    _installed = False
