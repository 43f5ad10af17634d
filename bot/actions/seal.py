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
from typing import Any, Dict, Optional

from groundwork.keys import installation_key

SECRET_ENV = "ASBCR_ACTION_SECRET"
SECRET_FILE = "action-secret"


def _secret() -> bytes:
    return installation_key(SECRET_FILE, SECRET_ENV)


def _payload(sender_id: str, facts: Any, outcome: Any) -> bytes:
    return json.dumps(
        {"sender": sender_id, "facts": facts, "outcome": outcome}, sort_keys=True, ensure_ascii=True, separators=(",", ":")
    ).encode()


def seal(sender_id: str, facts: Any, outcome: Any) -> str:
    return hmac.new(_secret(), _payload(sender_id, facts, outcome), hashlib.sha256).hexdigest()


def is_sealed(sender_id: str, facts: Any, outcome: Any, given: Optional[str]) -> bool:
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(seal(sender_id, facts, outcome), given)


def sealed_decision(sender_id: str, facts: Any, decision: Dict[str, Any]) -> Dict[str, Any]:
    return dict(decision, seal=seal(sender_id, facts, decision.get("outcome")))
