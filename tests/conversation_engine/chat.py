"""A conversation with bot/conversation in-process, read as the REST channel would send it."""

import datetime as dt
from typing import Any, Dict, List, Optional

from bot.conversation import respond
from bot.conversation.render import render

TODAY = dt.date(2026, 11, 25)
# A plain case: music next door, three reports to the police, for themselves (answers by `ask`).
ANSWERS = {
    "concern": "my neighbours",
    "emergency": "no",
    "asb_ongoing": "yes still going on",
    "reported_to": "the police",
    "incident_dates": "3 oct, 20/10 and 1st nov",
    "incidents_related": "yes same people",
    "on_behalf": "just me",
    "consent": "yes she agreed",
    "complaint_completed": "no",
    "complained_about": "the council",
    "previous_review": "yes",
    "check": "yes that's right",
}
OPENING = "the lads next door play music every weekend till 4am"


class Chat:
    def __init__(self, today: dt.date = TODAY, partnership: str = "erewash") -> None:
        self.today, self.partnership = today, partnership
        self.state: Optional[Dict[str, Any]] = None
        self.replies: List[Dict[str, Any]] = []
        self.asked: List[str] = []
        self.started_application = False
        self.transcript: List[str] = []

    def say(self, text: str) -> List[Dict[str, Any]]:
        turn = respond(self.state, text, self.today, self.partnership)
        self.state = turn.state
        self.replies = [render(say) for say in turn.replies]
        self.started_application = turn.start_application
        self.transcript.append(f"> {text}")
        self.transcript += [f"  {m['text']}" for m in self.replies]
        if self.ask:
            self.asked.append(self.ask)
        return self.replies

    def custom(self, key: str) -> Any:
        for message in reversed(self.replies):
            if (message.get("custom") or {}).get(key) is not None:
                return message["custom"][key]
        return None

    @property
    def ask(self) -> Optional[str]:
        return self.custom("ask")

    @property
    def decision(self) -> Optional[Dict[str, Any]]:
        return self.custom("decision")

    @property
    def check(self) -> Optional[Dict[str, Any]]:
        return self.custom("check")

    def text(self) -> str:
        return "\n".join(m["text"] for m in self.replies)

    def answer_until(self, answers: Dict[str, str], opening: str, stop: str = "decision", limit: int = 20):
        """Opens with `opening`, answers by `ask` name until a decision (or a check, `stop="check"`)."""
        self.say(opening)
        for _ in range(limit):
            if self.decision or (stop == "check" and self.ask == "check"):
                return self
            assert self.ask in answers, f"asked {self.ask!r}:\n" + "\n".join(self.transcript)
            self.say(answers[self.ask])
        raise AssertionError("no decision:\n" + "\n".join(self.transcript))

    def log(self) -> str:
        return "\n".join(self.transcript)
