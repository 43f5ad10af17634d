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

from groundwork.clock import today
from bot.actions.application import note_changed_answers
from bot.actions.seal import sealed_decision
from bot.conversation import respond
from bot.conversation.flow import partnership_words
from rules import load_partnership
from rules.partnership import configured_name

log = logging.getLogger(__name__)

# The partnership the whole service runs for (ASBCR_PARTNERSHIP), chosen once at start.
PARTNERSHIP = configured_name()
PARTNERSHIP_WORDS = partnership_words(load_partnership(PARTNERSHIP))
# The application form's answers. "Start again" clears them (the resident meant it), but not
# the conversation's application: the next confirmation updates that one.
FORM_SLOTS = (
    "applicant_name",
    "applicant_email",
    "applicant_phone",
    "address",
    "victim_name",
    "description",
    "impact",
    "confirm",
    "requested_slot",
)
DECISION_SLOTS = ("outcome", "decision", "case_facts", "on_behalf", "story")


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
        events += [SlotSet(name, value) for name, value in PARTNERSHIP_WORDS.items() if tracker.get_slot(name) != value]
        if any(say.response == "utter_restarted" for say in turn.replies):
            events += [SlotSet(name, None) for name in FORM_SLOTS + DECISION_SLOTS]
        if turn.decision:
            decision = {k: v for k, v in turn.decision.items() if k != "trace"}
            if tracker.get_latest_input_channel() == "cmdline":  # the staff shell shows the rule trace
                dispatcher.utter_message(
                    text="Decision trace (staff):\n" + "\n".join(f"  {line}" for line in turn.decision["trace"])
                )
            case = state["case"]
            confirmed = state.get("checked")
            events += [
                SlotSet("outcome", decision["outcome"]),
                # sealed: only these confirmed facts can become an application (bot/actions/seal.py)
                SlotSet("decision", sealed_decision(tracker.sender_id, confirmed, decision)),
                SlotSet("case_facts", confirmed),
                SlotSet("on_behalf", bool(case.get("on_behalf"))),
                SlotSet("story", case.get("story")),
            ]
            log.info("decision outcome=%s rule_set=%s", decision["outcome"], decision["rule_set"].get("version"))
            events += self._after_application(dispatcher, tracker, confirmed, decision["outcome"])
        if turn.start_application:
            events.append(FollowupAction("application_form"))
        return events

    @staticmethod
    def _after_application(dispatcher, tracker: Tracker, confirmed, outcome: str) -> List[EventType]:
        """A new decision in a conversation that already has an application: never a second one."""
        application = tracker.get_slot("application")
        if not isinstance(application, dict) or not application.get("reference"):
            return []
        if outcome == "apply":
            # the summary is shown again; a yes updates the application the resident already has
            dispatcher.utter_message(response="utter_application_will_update", reference=application["reference"])
            return [SlotSet("confirm", None)]
        if confirmed != tracker.get_slot("case_facts"):
            note_changed_answers(dispatcher, tracker, application["reference"], outcome)
        return []
