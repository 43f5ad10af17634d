"""What a chat request must be, checked where it arrives: the page's relay (`POST /api/chat`)
and Rasa's REST channel (`POST /webhooks/rest/webhook`) both read their body with
`read_chat_request`, so the two edges accept and refuse exactly the same things.

The body is `{"sender": ID, "message": TEXT}` (CONTRACT.md, Chat); every other key
(`input_channel`, `metadata`, ...) is dropped here and never reaches Rasa. Standard library
only: the public web tier uses it without Rasa.
"""

from __future__ import annotations

import json
import re
from typing import Tuple

from groundwork.limits import MESSAGE_CHARS

# Browser-made session ids (crypto.randomUUID) and test ids; nothing that could be a path or markup.
SENDER_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
# What a resident is told at either limit, the message's (groundwork/limits.py) or the body's.
TOO_LONG = f"Your message is too long: keep it under {MESSAGE_CHARS} characters."
# A 10,000-character message written as JSON escapes is at most ~120 kB.
MAX_BODY_BYTES = 256 * 1024
# Characters nobody types: control characters other than tab and line breaks (NUL included),
# lone UTF-16 surrogates (JSON can carry them; no store can), and the bidirectional overrides,
# embeddings and isolates that make a text display differently from what it says (staff read
# these messages in applications). The plain direction marks U+200E, U+200F and U+061C that
# right-to-left writing uses are ordinary text and allowed.
UNREADABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")

NOT_JSON = "Send JSON with a sender and a message."


class ChatRequestError(ValueError):
    """A request to refuse: its HTTP status, a short code and a message to show the resident."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def as_json(self) -> dict:
        return {"error": self.code, "message": self.message}


def body_too_large() -> ChatRequestError:
    return ChatRequestError(413, "too_large", TOO_LONG)


def read_chat_request(body: bytes) -> Tuple[str, str]:
    """The sender id and the message text of a request body, or a ChatRequestError.

    The message may be empty or longer than MESSAGE_CHARS: each edge says what it does then.
    """
    if len(body) > MAX_BODY_BYTES:
        raise body_too_large()
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise ChatRequestError(400, "bad_request", "Send the message as UTF-8 JSON.") from None
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than Python can parse
        raise ChatRequestError(400, "bad_request", NOT_JSON) from None
    if not isinstance(payload, dict):
        raise ChatRequestError(400, "bad_request", NOT_JSON)
    sender, message = payload.get("sender"), payload.get("message")
    if not isinstance(sender, str) or not SENDER_PATTERN.fullmatch(sender):
        raise ChatRequestError(400, "bad_sender", "The conversation id is missing or malformed. Start again.")
    if not isinstance(message, str):
        raise ChatRequestError(400, "empty_message", "Type a message before sending it.")
    if UNREADABLE.search(message):
        raise ChatRequestError(
            400,
            "unreadable_message",
            "Your message has characters we cannot read (control or formatting characters). Type it again without them.",
        )
    return sender, message
