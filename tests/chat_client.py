"""A resident talking to the running bot through the REST channel (CONTRACT.md, Chat)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import requests


def asbcr_check(facts: Mapping[str, Any]) -> Dict[str, Any]:
    """The decision `asbcr check` gives on these facts (CONTRACT.md): what the check showed must
    decide the same as the conversation did."""
    checked = subprocess.run(
        [str(Path(sys.executable).with_name("asbcr")), "check"],
        input=json.dumps(facts),
        text=True,
        capture_output=True,
        check=True,
    )
    return json.loads(checked.stdout)


class ReadsReplies:
    """What the bot's newest replies carry (`custom.ask`, the decision, an application), for any
    chat that keeps them in `self.replies`: through the REST channel or in-process."""

    replies: List[Dict[str, Any]]

    def _latest_custom(self, key: str) -> Any:
        """The `custom.<key>` of the newest reply that has one."""
        for message in reversed(self.replies):
            value = (message.get("custom") or {}).get(key)
            if value:
                return value
        return None

    def latest(self, key: str) -> Any:
        return self._latest_custom(key)

    @property
    def ask(self) -> Optional[str]:
        return self._latest_custom("ask")

    @property
    def decision(self) -> Optional[Dict[str, Any]]:
        return self._latest_custom("decision")

    @property
    def application(self) -> Optional[Dict[str, Any]]:
        return self._latest_custom("application")

    def text(self) -> str:
        return "\n".join(m.get("text", "") for m in self.replies)


class Resident(ReadsReplies):
    TIMEOUT = 60

    def __init__(self, rasa_url: str, sender: Optional[str] = None, url: Optional[str] = None) -> None:
        self.url = url or f"{rasa_url}/webhooks/rest/webhook"
        self.sender = sender or f"resident-{uuid.uuid4().hex[:10]}"
        self.replies: List[Dict[str, Any]] = []
        self.transcript: List[str] = []

    def post(self, text: str) -> requests.Response:
        """Sends one message; the answer is kept (as `replies`) only when it is a 200."""
        response = requests.post(self.url, json={"sender": self.sender, "message": text}, timeout=self.TIMEOUT)
        self.transcript.append(f"> {text}")
        if response.status_code == 200:
            self.replies = response.json()
            self.transcript += [f"  {m.get('text', '')} {m.get('custom', '')}" for m in self.replies]
        else:
            self.transcript.append(f"  [{response.status_code}] {response.text[:300]}")
        return response

    def say(self, text: str) -> List[Dict[str, Any]]:
        self.post(text).raise_for_status()
        return self.replies

    def answer_until_decided(self, answers: Mapping[str, str], opening: str, max_turns: int = 25) -> Optional[Dict[str, Any]]:
        """Opens with `opening`, then answers whatever is asked from `answers` (by `ask` name)."""
        self.say(opening)
        for _ in range(max_turns):
            if self.decision:
                return self.decision
            ask = self.ask
            if ask is None or ask not in answers:
                return None
            self.say(answers[ask])
        return self.decision

    def log(self) -> str:
        return "\n".join(self.transcript)


class PageResident(Resident):
    """A resident on the public page: the relay, `POST /api/chat` at page_url (nginx's address in
    the cluster). Waits as long as the page does (75 s)."""

    TIMEOUT = 75

    def __init__(self, page_url: str, sender: Optional[str] = None) -> None:
        super().__init__(page_url, sender, url=f"{page_url.rstrip('/')}/api/chat")
