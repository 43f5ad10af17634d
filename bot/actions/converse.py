"""The one custom action of the case conversation: hands the resident's message to
bot/conversation (plain Python) and says what it returns. Thin by design, so the front end can
be replaced without touching the conversation."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from asbcr.clock import today
from bot.conversation import respond

log = logging.getLogger(__name__)

PARTNERSHIP = "erewash"


def dispatch(dispatcher: CollectingDispatcher, replies) -> None:
    for say in replies:
        extra: Dict[str, Any] = dict(say.values)
        if say.custom is not None:
            extra["json_message"] = say.custom
        if say.buttons is not None:
            extra["buttons"] = say.buttons
        dispatcher.utter_message(response=say.response, **extra)


class ActionConverse(Action):
    def name(self) -> Text:
        return "action_converse"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        turn = respond(tracker.get_slot("conversation"), text, today(), PARTNERSHIP)
        dispatch(dispatcher, turn.replies)
        state = turn.state
        events: List[EventType] = [SlotSet("conversation", state)]
        if turn.decision:
            decision = {k: v for k, v in turn.decision.items() if k != "trace"}
            if tracker.get_latest_input_channel() == "cmdline":  # the staff shell shows the rule trace
                dispatcher.utter_message(text="Decision trace (staff):\n" + "\n".join(f"  {line}" for line in turn.decision["trace"]))
            case = state["case"]
            events += [
                SlotSet("outcome", decision["outcome"]),
                SlotSet("decision", decision),
                SlotSet("case_facts", state.get("checked")),
                SlotSet("on_behalf", bool(case.get("on_behalf"))),
                SlotSet("story", case.get("story")),
            ]
            log.info("decision outcome=%s rule_set=%s", decision["outcome"], decision["rule_set"].get("version"))
        if turn.start_application:
            events.append(FollowupAction("application_form"))
        return events
