"""A resident talking to the running bot through the REST channel (CONTRACT.md, Chat)."""
from __future__ import annotations

import uuid
from typing import Any, Dict, List, Mapping, Optional

import requests


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
    def __init__(self, rasa_url: str, sender: Optional[str] = None) -> None:
        self.url = f"{rasa_url}/webhooks/rest/webhook"
        self.sender = sender or f"resident-{uuid.uuid4().hex[:10]}"
        self.replies: List[Dict[str, Any]] = []
        self.transcript: List[str] = []

    def say(self, text: str) -> List[Dict[str, Any]]:
        response = requests.post(self.url, json={"sender": self.sender, "message": text}, timeout=60)
        response.raise_for_status()
        self.replies = response.json()
        self.transcript.append(f"> {text}")
        self.transcript += [f"  {m.get('text', '')} {m.get('custom', '')}" for m in self.replies]
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
