"""Custom actions for the eligibility conversation. Thin by design: understanding is in
understanding.py, the order of questions in questions.py, the decision in rules/."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from asbcr.clock import today
from bot.actions import facts as case_facts_module
from bot.actions.questions import next_question
from bot.actions.understanding import THUMBS_DOWN, THUMBS_UP, understand
from bot.nlp import dates
from rules import decide, load_partnership
from rules.decision import BODY_NAMES

log = logging.getLogger(__name__)

PARTNERSHIP = "erewash"
FACT_SLOTS = (
    "concern", "emergency", "asb_ongoing", "reported", "reported_to", "landlord_unclear",
    "incident_count", "incident_dates", "incidents_related", "on_behalf", "consent",
    "staff_conduct", "complaint_completed", "complained_about", "previous_review", "story",
    "danger_suspected", "unknown_answers",
)
# Interjections answered in place; the form then asks its question again.
INTERJECTIONS = {
    "ask_what_is": "utter_what_is",
    "human_handoff": "utter_human_handoff",
    "out_of_scope": "utter_out_of_scope",
    "insult": "utter_insult",
    "bot_challenge": "utter_bot_challenge",
    "thanks": "utter_thanks",
    "ask_why": "utter_why_ask",
}
MAX_CHARS_READ = 2_000
# The defaults a decision relied on, as the resident would say them.
ASSUMPTION_WORDS = {
    "emergency": "nobody is in immediate danger",
    "asb_ongoing": "the behaviour is still going on",
    "incidents_related": "the incidents are about the same problem",
    "on_behalf": "you are applying for yourself",
    "staff_conduct": "your concern is the behaviour itself, not how staff treated you",
    "complaint_completed": "you have not finished a complaints procedure",
    "previous_review": "there has been no case review about this before",
    "reported_on": "each incident was reported on the day it happened",
}


def latest(tracker: Tracker) -> Dict[str, Any]:
    message = tracker.latest_message or {}
    text = (message.get("text") or "").strip()
    intent = (message.get("intent") or {}).get("name") or ""
    return {"text": text, "intent": intent, "entities": message.get("entities") or []}


def message_kind(text: str) -> Optional[str]:
    """Messages that carry no words: answered kindly, never misread."""
    if text.startswith("/"):
        return None  # a button's payload
    if not text:
        return "empty"
    if not any(ch.isalnum() for ch in text) and text not in THUMBS_UP | THUMBS_DOWN:
        return "emoji"
    if len(text) > MAX_CHARS_READ:
        return "long"
    return None


def fact_slots(tracker: Tracker) -> Dict[str, Any]:
    return {name: tracker.get_slot(name) for name in FACT_SLOTS}


def format_date(iso: str) -> str:
    return dates.format_date(dt.date.fromisoformat(iso))


def list_in_words(items: List[str]) -> str:
    return dates.join_words([item for item in items if item])


class Provisional:
    """What the rule set would decide from the answers so far (decided once, when first asked)."""

    def __init__(self, slots: Dict[str, Any]) -> None:
        self.slots = slots
        self._decision: Optional[Dict[str, Any]] = None

    @property
    def decision(self) -> Dict[str, Any]:
        if self._decision is None:
            self._decision = decide(case_facts_module.case_facts(self.slots, today()), PARTNERSHIP)
        return self._decision

    def outcome(self) -> str:
        return self.decision["outcome"]

    def window_start_text(self) -> str:
        return format_date(self.decision["window_start"])


class ValidateCaseForm(FormValidationAction):
    """Takes every fact a message gives, answers interjections, then picks the next question."""

    def name(self) -> Text:
        return "validate_case_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        message = latest(tracker)
        if message["intent"] == "restart":
            return []  # no slot set: the form steps aside and Rasa's restart rule runs
        requested = tracker.get_slot("requested_slot")
        slots = fact_slots(tracker)
        events: List[EventType] = []
        kind = message_kind(message["text"])

        if kind in ("empty", "emoji"):
            dispatcher.utter_message(response=f"utter_{kind}_message" if kind == "empty" else "utter_emoji_only")
            found = None
        else:
            if kind == "long":
                dispatcher.utter_message(response="utter_long_message")
            text = message["text"][:MAX_CHARS_READ]
            found = understand(text, message["intent"], message["entities"], requested, slots, today())
            for slot, value in found.updates.items():
                if slots.get(slot) != value:
                    events.append(SlotSet(slot, value))
                slots[slot] = value
            self._reply_to_problems(dispatcher, found.problems)
            newly_unknown = set(found.updates.get("unknown_answers") or []) - set(tracker.get_slot("unknown_answers") or [])
            if newly_unknown:
                dispatcher.utter_message(response="utter_unsure_danger" if "emergency" in newly_unknown else "utter_noted_unknown")
            if found.answered and requested == "incident_dates" and slots.get("incident_dates"):
                dispatcher.utter_message(
                    response="utter_dates_understood",
                    dates=list_in_words([format_date(d) for d in slots["incident_dates"]]),
                )

        if requested is None and message["intent"] == "greet":
            dispatcher.utter_message(response="utter_greet")
        elif message["intent"] in INTERJECTIONS and not (found and found.answered):
            dispatcher.utter_message(response=INTERJECTIONS[message["intent"]])
        elif message["intent"] == "show_summary":
            dispatcher.utter_message(response="utter_summary", answers=summarise(slots))

        understood = bool(found and (found.answered or found.updates))
        unclear = 0 if understood or requested is None else int(tracker.get_slot("unclear_turns") or 0) + 1
        if unclear and not (found and found.problems) and message["intent"] not in INTERJECTIONS and kind not in ("empty", "emoji"):
            dispatcher.utter_message(response="utter_not_understood" if unclear < 3 else "utter_not_understood_again")
        # Always set at least one slot: the form then never rejects a turn it answered itself.
        events.append(SlotSet("unclear_turns", unclear))
        provisional = Provisional(slots)
        if tracker.get_slot("window_start_text") != provisional.window_start_text():
            events.append(SlotSet("window_start_text", provisional.window_start_text()))

        counting = load_partnership(PARTNERSHIP).counting_bodies
        events.append(SlotSet("requested_slot", next_question(slots, provisional.outcome, counting)))
        return events

    @staticmethod
    def _reply_to_problems(dispatcher: CollectingDispatcher, problems: List[str]) -> None:
        for problem in problems:
            name, _, detail = problem.partition(":")
            if name == "future_date":
                dispatcher.utter_message(response="utter_future_date", dates=detail)
            elif name == "unreadable_date":
                dispatcher.utter_message(response="utter_unreadable_date")
            elif name == "need_number":
                dispatcher.utter_message(response="utter_need_number")


class ActionAskIncidentDates(Action):
    def name(self) -> Text:
        return "action_ask_incident_dates"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        count, dates = tracker.get_slot("incident_count"), tracker.get_slot("incident_dates") or []
        if dates and isinstance(count, int) and len(dates) < count:
            dispatcher.utter_message(
                response="utter_ask_more_dates", have=len(dates), count=count,
                dates=list_in_words([format_date(d) for d in dates]),
            )
        else:
            dispatcher.utter_message(response="utter_ask_incident_dates")
        return []


YES_NO = {True: "yes", False: "no"}
CONCERNS = {"asb": "anti-social behaviour", "staff": "how staff dealt with it", "review": "a past case review"}
CONSENTS = {"yes": "given", "no": "refused", "not_asked": "not asked yet"}
# The summary of answers: one line a slot, in the order asked, each with how its value reads.
SUMMARY_LINES = (
    ("concern", "About", CONCERNS.get),
    ("emergency", "Someone in danger now", lambda v: YES_NO[bool(v)]),
    ("asb_ongoing", "Still happening", lambda v: YES_NO[bool(v)]),
    ("reported", "Reported", lambda v: YES_NO[bool(v)]),
    ("reported_to", "Reported to", lambda v: list_in_words([BODY_NAMES.get(b, b) for b in v])),
    ("incident_count", "Incidents reported", str),
    ("incident_dates", "Dates", lambda v: list_in_words([format_date(d) for d in v])),
    ("incidents_related", "About the same problem", lambda v: YES_NO[bool(v)]),
    ("on_behalf", "For someone else", lambda v: YES_NO[bool(v)]),
    ("consent", "Their consent", CONSENTS.get),
    ("complained_about", "Complaint about", lambda v: BODY_NAMES.get(v, v)),
    ("complaint_completed", "Complaints procedure finished", lambda v: YES_NO[bool(v)]),
)


def summarise(slots: Dict[str, Any]) -> str:
    """The resident's answers in their own terms, one line each."""
    lines = [f"- {label}: {words(slots[slot])}" for slot, label, words in SUMMARY_LINES if slots.get(slot) not in (None, [], "")]
    return "\n".join(lines) if lines else "- nothing yet"


class ActionDecide(Action):
    """Hands the facts to the rule set and tells the resident the outcome, why, and what next."""

    def name(self) -> Text:
        return "action_decide"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        slots = fact_slots(tracker)
        events: List[EventType] = []
        facts = case_facts_module.case_facts(slots, today())
        decision = decide(facts, PARTNERSHIP, explain=True)
        trace = decision.pop("trace", [])
        dispatcher.utter_message(
            response="utter_decision",
            summary=decision.get("summary", ""),
            reasons=" ".join(r["text"] for r in decision["reasons"]),
            next_steps="\n".join(f"- {step}" for step in decision["next_steps"]),
            json_message={"decision": decision},
        )
        if tracker.get_latest_input_channel() == "cmdline":
            dispatcher.utter_message(text="Decision trace (staff):\n" + "\n".join(f"  {line}" for line in trace))
        if decision["outcome"] == "apply" and not tracker.get_slot("application"):
            dispatcher.utter_message(response="utter_offer_application")
        else:
            dispatcher.utter_message(response="utter_anything_else")
        log.info("decision outcome=%s rule_set=%s", decision["outcome"], decision["rule_set"].get("version"))
        return events + [SlotSet("outcome", decision["outcome"]), SlotSet("decision", decision)]


class ActionExplain(Action):
    """"Why?" after a decision: every reason the rule set gave, and the facts it assumed."""

    def name(self) -> Text:
        return "action_explain"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        decision = tracker.get_slot("decision")
        if not decision:
            dispatcher.utter_message(response="utter_no_decision_yet")
            return []
        lines = [reason["text"] for reason in decision.get("reasons", [])]
        assumptions = []
        for key in decision.get("assumed", []):
            words = ASSUMPTION_WORDS.get(key.rsplit(".", 1)[-1])
            if words and words not in assumptions:
                assumptions.append(words)
        if assumptions:
            lines.append("Where you didn't tell me, I assumed that " + list_in_words(assumptions) + ".")
        dispatcher.utter_message(text="\n\n".join(lines), json_message={"decision": decision})
        return []


class ActionShowSummary(Action):
    def name(self) -> Text:
        return "action_show_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(response="utter_summary", answers=summarise(fact_slots(tracker)))
        dispatcher.utter_message(response="utter_anything_else")
        return []


class ActionKindFallback(Action):
    """A message the bot could not place, outside any question: a kind reply, nothing lost."""

    def name(self) -> Text:
        return "action_kind_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        kind = message_kind(latest(tracker)["text"])
        if kind == "empty":
            dispatcher.utter_message(response="utter_empty_message")
        elif kind == "emoji":
            dispatcher.utter_message(response="utter_emoji_only")
        else:
            dispatcher.utter_message(response="utter_not_understood")
        dispatcher.utter_message(response="utter_anything_else")
        return []
