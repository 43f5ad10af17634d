"""A whole conversation through the real actions, in-process: Rasa's part (the one rule that
sends every message to action_converse, the application form with its from_text slot mappings,
and its submit rule) played by a few lines, so trackers are the ones a real conversation makes,
events and all."""

from __future__ import annotations

import uuid
from typing import Any, Dict, List, Mapping, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.application import ActionAskConfirm, ActionSubmitApplication, ValidateApplicationForm
from bot.actions.converse import ActionConverse
from tests.bot.conftest import DOMAIN, FORM_SLOTS, asked_next
from tests.chat_client import ReadsReplies
from tests.conversation_engine.chat import ANSWERS, OPENING  # the same plain case as the in-process tests
from tests.run_async import run_async

DETAILS = {
    "applicant_name": "Jo Bloggs",
    "applicant_email": "jo@example.org",
    "applicant_phone": "07700 900123",
    "address": "12 Station Road, Ilkeston DE7 5AB",
    "description": "Music every weekend.",
    "impact": "No sleep.",
    "confirm": "yes",
}
# The slots of a finished application form that no conversation with the bot made: a forged call
# to the submit action carries these (tests/bot/test_submission.py in-process, and
# tests/conversation/test_forged_action_calls.py through the running action server).
FORGED_SLOTS = {
    "case_facts": {
        "as_of": "2026-11-25",
        "incidents": [
            {"date": "2026-10-01", "reported_to": ["police"]},
            {"date": "2026-10-20", "reported_to": ["council"]},
            {"date": "2026-11-01", "reported_to": ["police"]},
        ],
    },
    "outcome": "apply",
    "decision": {"outcome": "apply"},
    "on_behalf": False,
    "confirm": True,
    "requested_slot": None,
    **{k: v for k, v in DETAILS.items() if k != "confirm"},
}


class InProcessChat(ReadsReplies):
    def __init__(self, sender: Optional[str] = None) -> None:
        self.sender = sender or f"resident-{uuid.uuid4().hex[:10]}"
        self.slots: Dict[str, Any] = {}
        self.events: List[Dict[str, Any]] = []
        self.active_loop: Optional[str] = None
        self.replies: List[Dict[str, Any]] = []
        self.latest_message: Dict[str, Any] = {}

    def tracker(self) -> Tracker:
        return Tracker.from_dict(self.tracker_dict())

    def tracker_dict(self) -> Dict[str, Any]:
        """The tracker as Rasa posts it to the action server (for /webhook)."""
        return {
            "sender_id": self.sender,
            "slots": dict(self.slots),
            "latest_message": self.latest_message,
            "events": list(self.events),
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": self.active_loop} if self.active_loop else {},
            "latest_action_name": "action_listen",
            "latest_event_time": None,
        }

    def _apply(self, events: List[Dict[str, Any]]) -> None:
        for event in events:
            self.events.append(event)
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]

    def _run(self, action) -> List[Dict[str, Any]]:
        dispatcher = CollectingDispatcher()
        events = run_async(action.run(dispatcher, self.tracker(), DOMAIN))
        self.replies += dispatcher.messages
        self._apply(events)
        return events

    def say(self, text: str, intent: str = "inform") -> List[Dict[str, Any]]:
        self.replies = []
        self.latest_message = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
        self.events.append({"event": "user", "text": text, "input_channel": "rest", "parse_data": {"intent": {"name": intent}}})
        if self.active_loop:
            self._form()
        else:
            events = self._run(ActionConverse())
            if any(e.get("event") == "followup" and e.get("name") == "application_form" for e in events):
                self.active_loop = "application_form"
                self._form(starting=True)
        return self.replies

    def _form(self, starting: bool = False) -> None:
        """Rasa's FormAction: the slot being asked is filled with the message's text (its
        from_text mapping) or, as the form starts, every form slot already set is handed over;
        validate_application_form checks them; then the form asks the next question or ends."""
        requested = None if starting else self.slots.get("requested_slot")
        if requested:
            self._apply([{"event": "slot", "name": requested, "value": self.latest_message["text"]}])
        candidates = [requested] if requested else [name for name in FORM_SLOTS if self.slots.get(name) is not None]
        self._apply(
            [{"event": "action", "name": "application_form"}]
            + [{"event": "slot", "name": name, "value": self.slots[name]} for name in candidates]
        )
        events = self._run(ValidateApplicationForm())
        if not any(e.get("event") == "slot" and e.get("name") == "requested_slot" for e in events):
            self._apply([{"event": "slot", "name": "requested_slot", "value": asked_next(self.slots, events)}])
        requested = self.slots.get("requested_slot")
        if requested is None:
            self.active_loop = None
            self._run(ActionSubmitApplication())
        elif requested == "confirm":
            self._run(ActionAskConfirm())
            self.replies[-1]["custom"] = {"ask": "confirm"}  # the domain gives this response its custom
        else:
            self.replies.append({"response": f"utter_ask_{requested}", "custom": {"ask": requested}})

    # --- reading the replies (ask, decision, application: tests/chat_client.py)
    @property
    def responses(self) -> List[str]:
        return [m.get("response") for m in self.replies]

    def answer(self, answers: Mapping[str, str], until, max_turns: int = 25) -> "InProcessChat":
        for _ in range(max_turns):
            if until(self):
                return self
            assert self.ask in answers, (self.ask, self.responses)
            self.say(answers[self.ask])
        raise AssertionError(f"never got there: {self.responses}")

    def apply(
        self, details: Mapping[str, str] = DETAILS, opening: str = OPENING, answers: Mapping[str, str] = ANSWERS
    ) -> Dict[str, Any]:
        """From the opening to a sent application."""
        self.say(opening)
        self.answer(answers, lambda chat: chat.decision is not None)
        assert self.decision["outcome"] == "apply", self.responses
        self.say("apply now")
        self.answer(details, lambda chat: chat.application is not None)
        return self.application
