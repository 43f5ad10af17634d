"""A resident talking to the running bot through the REST channel (CONTRACT.md, Chat)."""
from __future__ import annotations

import uuid
from typing import Any, Dict, List, Mapping, Optional

import requests


class Resident:
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

    @property
    def ask(self) -> Optional[str]:
        for message in reversed(self.replies):
            ask = (message.get("custom") or {}).get("ask")
            if ask:
                return ask
        return None

    @property
    def decision(self) -> Optional[Dict[str, Any]]:
        for message in self.replies:
            decision = (message.get("custom") or {}).get("decision")
            if decision:
                return decision
        return None

    @property
    def application(self) -> Optional[Dict[str, Any]]:
        for message in self.replies:
            application = (message.get("custom") or {}).get("application")
            if application:
                return application
        return None

    def text(self) -> str:
        return "\n".join(m.get("text", "") for m in self.replies)

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
