"""A seal on the facts a resident confirmed, so the submit action can tell them from a forgery.

The action server trusts nothing in a tracker it is sent: anyone who reaches its /webhook can
post a hand-made one (rasa-sdk 3.6 has no authentication of its own). When action_converse
hands over a decision it seals the confirmed facts with a key only the action servers hold
(HMAC-SHA256 over the conversation's sender id, the facts and the outcome); the submit action
makes an application only from facts whose seal checks out.

The key comes from ASBCR_ACTION_SECRET, or else from var/action-secret (created once, readable
by the service user only), so every action server of one installation shares it and it
survives restarts. It is never logged and never on a command line.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from typing import Any, Dict, Optional

from asbcr.paths import var_dir

SECRET_ENV = "ASBCR_ACTION_SECRET"
SECRET_FILE = "action-secret"


def _secret() -> bytes:
    given = os.environ.get(SECRET_ENV, "").strip()
    if given:
        return given.encode()
    path = var_dir() / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:  # first start: this process writes the key; a racing one reads it below
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32))
    for _ in range(50):
        text = path.read_text().strip()
        if text:
            return text.encode()
        time.sleep(0.01)  # the creating process is between open and write
    raise RuntimeError(f"{path} is empty: delete it and start again")


def _payload(sender_id: str, facts: Any, outcome: Any) -> bytes:
    return json.dumps({"sender": sender_id, "facts": facts, "outcome": outcome}, sort_keys=True,
                      ensure_ascii=True, separators=(",", ":")).encode()


def seal(sender_id: str, facts: Any, outcome: Any) -> str:
    return hmac.new(_secret(), _payload(sender_id, facts, outcome), hashlib.sha256).hexdigest()


def is_sealed(sender_id: str, facts: Any, outcome: Any, given: Optional[str]) -> bool:
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(seal(sender_id, facts, outcome), given)


def sealed_decision(sender_id: str, facts: Any, decision: Dict[str, Any]) -> Dict[str, Any]:
    return dict(decision, seal=seal(sender_id, facts, decision.get("outcome")))
