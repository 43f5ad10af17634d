"""What a resident's message tells us about their case.

`understand()` turns one message (its intent, the entities our spaCy pipeline found, and
its text) into slot updates. Anything the message says is taken, whatever was asked
("it's for my mum" while we ask about dates); a bare yes or no answers the question asked.
Pure functions only: no tracker, no I/O, so every case is a one-line test.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional

from bot.nlp.dates import parse_dates

YES_NO_QUESTIONS = {
    "emergency", "asb_ongoing", "reported", "incidents_related", "on_behalf",
    "complaint_completed", "previous_review",
}
SOCIAL_OR_PUBLIC = ("council", "police", "social_landlord")
CONCERN_BY_INTENT = {"tell_story": "asb", "complain_staff": "staff", "unhappy_with_review": "review"}
CONCERN_WORDS = {
    "asb": re.compile(
        r"\b(asb|anti.?social|behaviou?r|neighbou?rs?|nois[ey]|loud|music|part(y|ies)|shout\w*|scream\w*|drugs?|dealing|dealers?"
        r"|harass\w*|threat\w*|intimidat\w*|abus\w*|vandal\w*|graffiti|smash\w*|damag\w*|fight\w*|dogs?|bark\w*"
        r"|kids|youths?|gangs?|lads|bikes?|litter\w*|fly.?tip\w*|rubbish|parking|throw\w*|stones?|eggs?|nuisance|bully\w*)\b",
        re.I,
    ),
    "staff": re.compile(r"\b(staff|officer|complain\w*|rude|treated)\b", re.I),
    "review": re.compile(r"\b(review|appeal|outcome|threshold decision)\b", re.I),
}
NOT_ASKED = re.compile(
    r"\b(not|haven'?t|havent|didn'?t|not yet)\b.*\b(ask|asked|spoke|spoken|told)\b|\bnot asked\b"
    r"|\b(need|needs|have|got|going|will|gonna) to (check|ask|speak|talk)\b|\bwill (check|ask)\b", re.I)
FOR_MYSELF = re.compile(r"\b(for )?(me|myself|my ?self)\b|\bjust me\b|\bmy own\b", re.I)
NO_MORE_DATES = re.compile(r"\b(that'?s (it|all)|no more|can'?t remember|cant remember|don'?t know|dont know|dunno|not sure)\b", re.I)
PAST_REVIEW = re.compile(
    r"\b(had|held|did|got|after|already|last)\b[^.?!]{0,40}\b(case review|community trigger|review panel)\b"
    r"|\b(case review|review|panel)\b[^.?!]{0,40}\b(did nothing|useless|decided|said no|turned (me|us|it) down|refused|rejected|outcome|result)\b"
    r"|\bthreshold (decision|(was|wasn'?t|was not|not) met)\b|\b(appeal|challenge) (the|their|that) (decision|review|outcome)\b",
    re.I,
)
COMPLAINT_DONE = re.compile(
    r"\bfinal (answer|reply|response|decision|letter)\b|\bbeen through (the|their)( whole| full)? (complaints? )?(process|procedure)\b"
    r"|\b(complaints? )?(process|procedure) (is |has )?(finished|done|over|completed?|exhausted)\b|\bexhausted\b|\b(last|final|second) stage\b",
    re.I,
)
COMPLAINT_NOT_DONE = re.compile(
    r"\b(not yet|haven'?t|hasn'?t|still waiting|waiting|started|ongoing|in progress|not finished|no (reply|answer|response)|not heard|not had)\b", re.I)
DONT_KNOW = re.compile(
    r"\b(not sure|unsure|dunno|don'?t know|dont know|no idea|can'?t remember|cant remember|not certain|maybe|possibly|might)\b", re.I)
UNKNOWN = "unknown"  # a yes/no answer the resident does not know

# For a yes/no question, the first word says more than the intent classifier.
LEADING_YES = re.compile(r"^\W*(yes+|yea+h?|yep|yup|yh|ye|ya|aye|y|course|of course|deffo|definitely|def|sure|ok(ay)?|correct|right|it is|i have|they have|she has|he has)\b", re.I)
LEADING_NO = re.compile(r"^\W*(no+|nope|nah|naw|na|n|not|never|none|nobody|no one|it'?s not|i haven'?t|they haven'?t)\b", re.I)
THUMBS_UP = {"👍", "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿", "✅", "✔️"}
THUMBS_DOWN = {"👎", "👎🏻", "👎🏼", "👎🏽", "👎🏾", "👎🏿", "❌"}
NUMBER_ONLY = re.compile(r"^\s*(\d{1,3})\s*(x|times?)?\s*[.!]?\s*$", re.I)


@dataclass
class Understanding:
    """Slot updates from one message, and what to tell the resident about it."""

    requested: Optional[str] = None  # the question the bot last asked
    updates: Dict[str, Any] = field(default_factory=dict)
    problems: List[str] = field(default_factory=list)  # plain-English reasons to re-ask
    answered: bool = False  # the message answered the question that was asked

    def set(self, slot: str, value: Any, *, answers: Optional[str] = None) -> None:
        """Take `value` for `slot`; it answers the question asked if `slot` (or `answers`) is it."""
        self.updates[slot] = value
        if self.requested is not None and (answers or slot) == self.requested:
            self.answered = True


def entity_values(entities: Iterable[Dict[str, Any]], label: str) -> List[str]:
    values = []
    for entity in entities or []:
        if entity.get("entity") == label and entity.get("value") not in (None, ""):
            value = str(entity["value"])
            if value not in values:
                values.append(value)
    return values


def _bool_answer(intent: str, text: str):
    """True, False, UNKNOWN (they don't know) or None (not an answer)."""
    if intent == "dont_know" or DONT_KNOW.search(text):
        return UNKNOWN
    if LEADING_NO.match(text) or text.strip() in THUMBS_DOWN:
        return False
    if LEADING_YES.match(text) or text.strip() in THUMBS_UP:
        return True
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    return None


def understand(
    text: str,
    intent: str,
    entities: List[Dict[str, Any]],
    requested: Optional[str],
    slots: Dict[str, Any],
    today: dt.date,
) -> Understanding:
    """Slot updates from one message. `requested` is the question the bot last asked."""
    text = text or ""
    found = Understanding(requested)

    def ask_is(name: str) -> bool:
        return requested == name

    # --- things a message can say at any point -------------------------------------------
    if entity_values(entities, "danger"):
        found.set("emergency", True)
    elif intent == "emergency" and not ask_is("emergency"):
        # The classifier alone never concludes "call 999": it makes the danger question next.
        found.set("danger_suspected", True)

    # What the concern is, taken only while it is open: a later message can add facts
    # (staff were rude too) without turning an ASB case into something else.
    if slots.get("concern") is None or ask_is("concern"):
        concern = CONCERN_BY_INTENT.get(intent)
        if entity_values(entities, "staff_conduct") or (concern == "asb" and COMPLAINT_DONE.search(text)):
            concern = "staff"
        if PAST_REVIEW.search(text):
            concern = "review"  # confirmed by the previous_review question before an appeal
        if concern:
            found.set("concern", concern)
    if found.updates.get("concern") == "staff" or entity_values(entities, "staff_conduct"):
        found.set("staff_conduct", True)
    if (found.updates.get("staff_conduct") or slots.get("staff_conduct")) and COMPLAINT_DONE.search(text):
        found.set("complaint_completed", True)
    if ask_is("complaint_completed") and "complaint_completed" not in found.updates and COMPLAINT_NOT_DONE.search(text):
        found.set("complaint_completed", False)

    status = entity_values(entities, "asb_status")
    if status:
        found.set("asb_ongoing", status[-1] != "stopped")

    relation = entity_values(entities, "relation")
    if relation:
        found.set("incidents_related", relation[-1] != "unrelated")

    if entity_values(entities, "someone_else") and not ask_is("victim_name"):
        found.set("on_behalf", True)

    organisations = entity_values(entities, "organisation")
    if organisations:
        if ask_is("complained_about") or (
            found.updates.get("staff_conduct") and slots.get("complained_about") is None and not ask_is("reported_to")
        ):
            named = [o for o in organisations if o in SOCIAL_OR_PUBLIC]
            if named:
                found.set("complained_about", named[0])
        if not ask_is("complained_about"):
            _take_reported_to(found, organisations, slots, requested)

    counts = entity_values(entities, "incident_count")
    number = NUMBER_ONLY.match(text) if ask_is("incident_count") else None
    if number:
        counts = [number.group(1)]
    if counts and not ask_is("incident_dates"):
        value = counts[-1]
        if value.isdigit():
            found.set("incident_count", int(value))
            if int(value) > 0 and slots.get("reported") is None:
                found.set("reported", True)
        elif ask_is("incident_count"):
            found.problems.append("need_number")

    dates_mentioned = bool(entity_values(entities, "date"))
    if ask_is("incident_dates") or (dates_mentioned and _story_gives_dates(found, slots, intent)):
        _take_dates(found, text, slots, today, requested)

    # --- the answer to the question asked ---------------------------------------------------
    if requested in YES_NO_QUESTIONS and requested not in found.updates:
        answer = _bool_answer(intent, text)
        if requested == "on_behalf" and answer is None and FOR_MYSELF.search(text):
            answer = False
        if answer == UNKNOWN:
            # The rule set's default applies and the decision lists it as assumed.
            found.set("unknown_answers", sorted(set(slots.get("unknown_answers") or []) | {requested}), answers=requested)
        elif answer is not None:
            found.set(requested, answer)
            if requested == "previous_review" and answer is False:
                found.set("concern", "asb")
            if requested == "reported" and answer is False:
                found.set("reported_to", [])

    if ask_is("consent"):
        answer = _bool_answer(intent, text)
        if NOT_ASKED.search(text) or answer == UNKNOWN:
            found.set("consent", "not_asked")
        elif answer is True:
            found.set("consent", "yes")
        elif answer is False:
            found.set("consent", "no")

    if requested is None and slots.get("concern") is None and "concern" not in found.updates:
        # An opening with no clearer signal ("my neighbours are loud", or after "start again").
        if CONCERN_WORDS["asb"].search(text):
            found.set("concern", "asb")
    if ask_is("concern") and "concern" not in found.updates:
        for concern, pattern in CONCERN_WORDS.items():
            if pattern.search(text):
                found.set("concern", concern)
                if concern == "staff":
                    found.set("staff_conduct", True)
                break

    if ask_is("incident_dates") and not found.answered and slots.get("incident_dates") and NO_MORE_DATES.search(text):
        # The resident has no more dates for the incidents they counted: count what we have.
        found.set("incident_count", len(slots["incident_dates"]), answers="incident_dates")
        found.answered = True

    if intent == "tell_story" and len(text.split()) >= 8 and not slots.get("story"):
        found.set("story", text.strip())

    return found


def _take_reported_to(found: Understanding, organisations: List[str], slots: Dict[str, Any], requested: Optional[str]) -> None:
    bodies = [o for o in organisations if o != "landlord"]
    known = list(slots.get("reported_to") or [])
    if requested == "reported_to" and slots.get("landlord_unclear"):
        # The follow-up "social or private landlord?" refines the list; it does not replace it.
        bodies = known + [b for b in bodies if b not in known]
        found.set("landlord_unclear", False)
    elif requested != "reported_to" and known:
        bodies = known + [b for b in bodies if b not in known]
    if "landlord" in organisations and not any(b in ("social_landlord", "private_landlord") for b in bodies):
        found.set("landlord_unclear", True)
    if bodies or "landlord" in organisations:
        found.set("reported_to", bodies)
        found.set("reported", True)


def _story_gives_dates(found: Understanding, slots: Dict[str, Any], intent: str) -> bool:
    """A story's dates are report dates only when it also talks about reporting."""
    return intent in ("tell_story", "inform", "change_answer") and (
        "reported_to" in found.updates or "incident_count" in found.updates or slots.get("incident_dates")
    )


def _take_dates(found: Understanding, text: str, slots: Dict[str, Any], today: dt.date, requested: Optional[str]) -> None:
    parsed = parse_dates(text, today)
    if parsed.future:
        found.problems.append("future_date:" + ", ".join(d.strftime("%-d %B %Y") for d in parsed.future))
    if parsed.dates:
        # An answer to "when?" replaces earlier dates, unless it gives the rest of them; dates
        # told in passing (a correction, a story) are added to what we have.
        adds_to_known = requested != "incident_dates" or _awaiting_more_dates(slots)
        known = list(slots.get("incident_dates") or []) if adds_to_known else []
        merged = sorted(set(known) | {d.isoformat() for d in parsed.dates})
        found.set("incident_dates", merged)
        if slots.get("reported") is None:
            found.set("reported", True)
    elif requested == "incident_dates" and not parsed.future:
        found.problems.append("unreadable_date:" + (parsed.understood or ""))


def _awaiting_more_dates(slots: Dict[str, Any]) -> bool:
    count = slots.get("incident_count")
    dates = slots.get("incident_dates") or []
    return isinstance(count, int) and 0 < len(dates) < count
