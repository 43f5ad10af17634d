"""From an `apply` decision to a formal application: ask only what the chat doesn't know,
show a summary the resident can correct, then hand it to the casework package."""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from groundwork.clock import today
from groundwork.dates import iso_date, long_date
from groundwork.limits import READ_CHARS
from bot.actions.seal import is_sealed
from bot.conversation.cues import cue

log = logging.getLogger(__name__)

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(\.[\w-]+)+")
UK_PHONE = re.compile(r"(\+44\s?\(?0?\)?|0)\s?\d(?:[\s-]?\d){8,9}")
NONE_WORDS = re.compile(r"^\s*(none|no|nope|n/?a|skip|don'?t have( one)?|no email|no phone|rather not)\s*[.!]?\s*$", re.I)
YES = re.compile(
    r"^\s*(yes|yeah|yep|yup|ye|aye|correct|right|confirm|send( it)?|submit|that'?s (right|correct)|ok(ay)?|looks (good|right))\b",
    re.I,
)
FIELD_WORDS = {  # checked in this order: "my mum's name" is the victim's, not the applicant's
    "victim_name": r"their name|(?:mum|dad|person|nan|gran|son|daughter|neighbou?r)'?s name",
    "applicant_name": r"name",
    "applicant_email": r"e-?mail",
    "applicant_phone": r"phone|number|mobile",
    "address": r"address|postcode",
    "description": r"description|what happened|happening",
    "impact": r"impact|affect",
}
NOT_GIVEN = "none"
# Questions, not answers: "what is this?" is not a name or an address.
QUESTION_WORDS = re.compile(r"^\W*(what|why|how|can i|do i|is this|are you|help)\b|\?\s*$", re.I)
SHORT_ANSWERS = ("applicant_name", "address", "victim_name")  # the answers a question is mistaken for


def application_questions(slots: Dict[str, Any]) -> List[str]:
    """The form's questions in order, skipping what the chat already knows."""
    wanted = ["applicant_name", "applicant_email", "applicant_phone", "address"]
    if slots.get("on_behalf"):
        wanted.append("victim_name")
    wanted += ["description", "impact", "confirm"]
    return wanted


def application_record(tracker: Tracker) -> Dict[str, Any]:
    """The contract's Application JSON from the conversation."""
    # Exactly the facts the resident confirmed at the check: each incident with its own bodies,
    # dates and reference numbers.
    facts = dict(tracker.get_slot("case_facts") or {"as_of": today().isoformat(), "incidents": []})
    on_behalf = bool(tracker.get_slot("on_behalf"))

    def given(name: str) -> Optional[str]:
        value = tracker.get_slot(name)
        return None if value in (None, NOT_GIVEN) else value

    return {
        "received": today().isoformat(),
        "channel": "chat",
        "applicant": {
            "name": given("applicant_name"),
            "email": given("applicant_email"),
            "phone": given("applicant_phone"),
            "address": given("address"),
        },
        "on_behalf": on_behalf,
        "victim": {"name": given("victim_name")} if on_behalf else None,
        "consent": facts.get("consent") if on_behalf else None,
        "facts": facts,
        "description": given("description") or "",
        "impact": given("impact") or "",
    }


def application_summary(record: Dict[str, Any]) -> str:
    applicant = record["applicant"]
    lines = [
        f"- Name: {applicant['name']}",
        f"- Email: {applicant['email'] or 'not given'}",
        f"- Phone: {applicant['phone'] or 'not given'}",
        f"- Address: {applicant['address']}",
    ]
    if record["on_behalf"]:
        lines.append(f"- Applying for: {record['victim']['name']} (consent given)")
    lines += [f"- What has been happening: {record['description']}", f"- The impact: {record['impact']}"]
    return "\n".join(lines)


class ValidateApplicationForm(FormValidationAction):
    """The application form's checks. Rasa fills the slot being asked with the resident's words
    (its `from_text` mapping in bot/domain.yml); each validate_<slot> below reads them, keeps the
    answer (normalised) or returns None for the slot, which the form then asks again, having said
    why when there is something to say. A value the chat already had when the form started (the
    story, an earlier application's answers) is not an answer to a question: it is kept as it is."""

    def name(self) -> Text:
        return "validate_application_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        return application_questions({"on_behalf": tracker.get_slot("on_behalf")})

    async def extract_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        story = tracker.get_slot("story")
        if tracker.get_slot(REQUESTED_SLOT) is None and tracker.get_slot("description") is None and story:
            # The resident already told their story: it is the description; they can change it.
            return {"description": story}
        return {}

    def validate_applicant_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return {"applicant_name": _free_text("applicant_name", value, dispatcher, tracker)}

    def validate_applicant_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return {"applicant_email": _contact("applicant_email", value, dispatcher, tracker)}

    def validate_applicant_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return {"applicant_phone": _contact("applicant_phone", value, dispatcher, tracker)}

    def validate_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return {"address": _free_text("address", value, dispatcher, tracker)}

    def validate_victim_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return {"victim_name": _free_text("victim_name", value, dispatcher, tracker)}

    def validate_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return {"description": _free_text("description", value, dispatcher, tracker)}

    def validate_impact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return {"impact": _free_text("impact", value, dispatcher, tracker)}

    def validate_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Yes sends it; naming a field asks that again (then the summary again)."""
        if not _asked("confirm", tracker):
            return {"confirm": value}
        whole = _words(value)
        if _no_words(whole, dispatcher):
            return {"confirm": None}
        text = whole[:READ_CHARS]
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if intent in ("affirm", "apply_now") or YES.match(text):
            return {"confirm": True}
        for slot, words in FIELD_WORDS.items():
            if re.search(words, text, re.I):
                return {slot: None, "confirm": None}
        dispatcher.utter_message(response="utter_which_change")
        return {"confirm": None}


def _asked(slot: str, tracker: Tracker) -> bool:
    """Whether the slot's value is the resident's answer to its question."""
    return tracker.get_slot(REQUESTED_SLOT) == slot


def _words(value: Any) -> str:
    return (value if isinstance(value, str) else "").strip()


def _no_words(text: str, dispatcher: CollectingDispatcher) -> bool:
    """An empty or emoji-only message is answered, and the question asked again."""
    if not text:
        dispatcher.utter_message(response="utter_empty_message")
        return True
    if not any(ch.isalnum() for ch in text):
        dispatcher.utter_message(response="utter_emoji_only")
        return True
    return False


def _free_text(slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[str]:
    if not _asked(slot, tracker):
        return value
    whole = _words(value)
    if _no_words(whole, dispatcher):
        return None
    text = whole[:READ_CHARS]  # the form reads no more of an answer than the conversation does
    if slot in SHORT_ANSWERS and QUESTION_WORDS.match(text):
        # "what is this?" is a question, not a name or an address: answer it, ask again.
        dispatcher.utter_message(response="utter_what_is" if cue("asks.what_is")(text.lower()) else "utter_application_help")
        return None
    if text.startswith("/"):
        return None  # Rasa's command syntax never sets a slot (CONTRACT.md, Chat)
    return text.strip()


CONTACTS = {  # slot: (what an answer looks like, what is said when it doesn't)
    "applicant_email": (EMAIL, "utter_invalid_email"),
    "applicant_phone": (UK_PHONE, "utter_invalid_phone"),
}


def _contact(slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[str]:
    """The email or phone pulled out of the answer, or "none" unless the other is "none" too."""
    if not _asked(slot, tracker):
        return value
    whole = _words(value)
    if _no_words(whole, dispatcher) or whole.startswith("/"):
        return None
    text = whole[:READ_CHARS]
    if NONE_WORDS.match(text):
        # email is asked first: "none" for the phone too leaves no way to contact them
        if slot == "applicant_phone" and tracker.get_slot("applicant_email") in (None, NOT_GIVEN):
            dispatcher.utter_message(response="utter_need_contact")
            return None
        return NOT_GIVEN
    pattern, invalid_response = CONTACTS[slot]
    found = pattern.search(text)
    if found:
        return found.group(0).strip()
    dispatcher.utter_message(response=invalid_response)
    return None


class ActionAskConfirm(Action):
    """The summary the resident checks before anything is sent."""

    def name(self) -> Text:
        return "action_ask_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(response="utter_confirm_application", summary=application_summary(application_record(tracker)))
        return []


def submission_problem(tracker: Tracker) -> Optional[str]:
    """Why this tracker may not become an application, or None.

    Nothing in a tracker sent to the action server is trusted (anyone who reaches /webhook can
    post one): the facts must carry action_converse's seal for this conversation, the rule set
    must still say "apply" (or "get consent" with consent given) on exactly those facts, and the
    resident must have answered the form's questions in this conversation. The reason returned
    names no personal data: it goes to the log.
    """
    from rules import CaseFactsError, PartnershipError, decide
    from rules.partnership import configured_name

    facts = tracker.get_slot("case_facts")
    decision = tracker.get_slot("decision")
    if not isinstance(facts, dict) or not isinstance(decision, dict):
        return "no decision in this conversation"
    if not is_sealed(tracker.sender_id, facts, decision.get("outcome"), decision.get("seal")):
        return "the facts were not confirmed in this conversation"
    try:
        outcome = decide(dict(facts), configured_name(), today())["outcome"]
    except (CaseFactsError, PartnershipError):
        return "the confirmed facts no longer read as case facts"
    if not (outcome == "apply" or (outcome == "get_consent" and facts.get("consent") is True)):
        return f"the confirmed facts decide {outcome}, not apply"
    answered = form_answers(tracker.events)
    questions = application_questions({"on_behalf": tracker.get_slot("on_behalf")})
    for question in questions:
        if (
            question == "description"
            and tracker.get_slot("story")
            and tracker.get_slot("description") == tracker.get_slot("story")
        ):
            continue  # the resident's own opening story, offered as the description
        if answered.get(question, 0) == 0:
            return f"the form's question {question} was never answered"
    if answered.get("confirm_since_decision", 0) == 0:
        return "the summary was not confirmed after the decision"
    return None


def form_answers(events: List[Dict[str, Any]]) -> Dict[str, int]:
    """How many of the resident's messages answered each form question (what was being asked
    when they wrote), and whether the summary was answered since the latest decision."""
    counts: Dict[str, int] = {}
    requested = None
    for event in events or []:
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
        elif kind == "slot" and event.get("name") == "decision":
            counts["confirm_since_decision"] = 0
        elif kind == "user" and requested:
            counts[requested] = counts.get(requested, 0) + 1
            if requested == "confirm":
                counts["confirm_since_decision"] = counts.get("confirm_since_decision", 0) + 1
    return counts


def conversation_key(tracker: Tracker) -> str:
    """One application per conversation: its key is the conversation's id, so retention and
    "forget me" can find and remove the conversation's tracker with it."""
    return f"chat:{tracker.sender_id}"


class ActionSubmitApplication(Action):
    """Creates the conversation's one application; a later confirmation updates it."""

    def name(self) -> Text:
        return "action_submit_application"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        from casework.errors import CaseworkError, StoreUnavailable
        from casework.service import create_application, update_chat_application

        problem = submission_problem(tracker)
        if problem is not None:
            log.warning("submission refused: %s", problem)
            dispatcher.utter_message(response="utter_application_refused")
            return [SlotSet("confirm", None)]
        record = application_record(tracker)
        key = conversation_key(tracker)
        previous = tracker.get_slot("application")
        try:
            if isinstance(previous, dict) and previous.get("reference"):
                # never a second one: if retention or "forget me" removed it, nothing is made
                created = update_chat_application(str(previous["reference"]), record, idempotency_key=key)
            else:
                created = create_application(record, idempotency_key=key)
                if not created["created"]:
                    created = update_chat_application(created["reference"], record, idempotency_key=key)
        except StoreUnavailable:
            log.warning("applications store unavailable; the resident was asked to try again")
            dispatcher.utter_message(response="utter_application_failed")
            return [SlotSet("confirm", None)]
        except CaseworkError as problem:  # an answer the application can't take: say which
            dispatcher.utter_message(response="utter_application_invalid", problem=str(problem))
            return [SlotSet("confirm", None)]
        except Exception:  # the store is down: say so, keep every answer, let them retry
            log.exception("application could not be saved")
            dispatcher.utter_message(response="utter_application_failed")
            return [SlotSet("confirm", None)]
        application = {
            "reference": created["reference"],
            "acknowledge_by": created["acknowledge_by"],
            "private_url": created.get("private_url"),
        }
        dispatcher.utter_message(
            response="utter_application_updated" if created.get("changed") else "utter_application_sent",
            reference=created["reference"],
            acknowledge_by=_long_date(created["acknowledge_by"]),
            private_url=created.get("private_url"),
            json_message={"application": application},
        )
        return [SlotSet("application", application)]


def note_changed_answers(dispatcher: CollectingDispatcher, tracker: Tracker, reference: str, outcome: str) -> None:
    """Answers changed after the application and no longer lead to one: the application stays
    as sent, staff see the change as an event, and the resident is told so."""
    from casework.service import note_chat_change

    try:
        note_chat_change(reference, conversation_key(tracker), outcome)
    except Exception:
        log.warning("the change of answers could not be recorded for %s", reference)
        return
    dispatcher.utter_message(response="utter_application_answers_changed", reference=reference)


def _long_date(iso: str) -> str:
    return long_date(iso_date(iso), weekday=True)
