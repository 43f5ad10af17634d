"""The conversation: one message in, what the bot says and the case so far out.

Like a GOV.UK smart answer, each question has one small rule saying when it is needed
(`QUESTIONS`), and the rule set is asked which unknown facts could still change the outcome
(rules.asking). When nothing more is worth asking the bot shows what it understood ("check your
answers"); only confirmed facts are decided on. No question is asked a third time without
progress: the second time it is asked differently, the third time its default is taken and said.

The words are in bot/domain.yml: replies here name a response and give its values.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from bot.conversation import words
from bot.conversation.case import MONTHS, Case
from bot.conversation.cues import cue
from bot.conversation.reading import Reading, read, unique
from bot.nlp.dates import join_words
from groundwork.dates import long_date
from groundwork.dates import iso_date
from groundwork.limits import READ_CHARS
from rules import decide, load_partnership
from rules.asking import worth_asking
from rules.decision import months_before
from rules.facts import COMPLAINED_ABOUT

CHANGE_BUTTON = re.compile(
    r"^\W*change (the |my )?(incidents?|dates?|who (i|it'?s) (told|for)|who it'?s for|applying for|for whom|consent"
    r"|(whether )?(it'?s )?still happening|(whether )?(they'?re )?(about )?the same problem|staff|complaint|review|answers?)\b.*$",
    re.I,
)


@dataclass
class Say:
    response: str
    values: Dict[str, Any] = field(default_factory=dict)
    custom: Optional[Dict[str, Any]] = None
    buttons: Optional[List[Dict[str, str]]] = None


@dataclass
class Turn:
    replies: List[Say]
    state: Dict[str, Any]
    decision: Optional[Dict[str, Any]] = None
    start_application: bool = False


@dataclass
class Ask:
    name: str
    incident: Optional[int] = None
    variant: Optional[str] = None  # another wording of the same question ("landlord", "more")

    @property
    def key(self) -> str:
        return self.name if self.incident is None else f"{self.name}:{self.incident}"


class Conversation:
    def __init__(self, state: Optional[Dict[str, Any]], today: dt.date, partnership: str) -> None:
        state = dict(state or {})
        self.case = Case.from_dict(state.get("case"))
        self.phase: str = state.get("phase") or "asking"  # asking, check, decided, restart
        self.pending: Optional[Dict[str, Any]] = state.get("pending")
        self.tries: Dict[str, int] = dict(state.get("tries") or {})
        self.greeted: bool = bool(state.get("greeted"))
        self.decision: Optional[Dict[str, Any]] = state.get("decision")
        self.checked: Optional[Dict[str, Any]] = state.get("checked")  # facts shown at the last check
        self.today = today
        self.partnership_name = partnership
        self.partnership = load_partnership(partnership)
        self.replies: List[Say] = []
        self.progress = False
        self.start_application = False
        self.decided_now: Optional[Dict[str, Any]] = None
        self.words = {
            **partnership_words(self.partnership),
            "window_start": self.window_start_text(),
            "threshold": number_words(self.partnership.on(today).threshold),
        }

    def state(self) -> Dict[str, Any]:
        return {
            "case": self.case.to_dict(),
            "phase": self.phase,
            "pending": self.pending,
            "tries": self.tries,
            "greeted": self.greeted,
            "decision": self.decision,
            "checked": self.checked,
        }

    def say(self, response: str, custom: Optional[Dict[str, Any]] = None, buttons=None, **values: Any) -> None:
        # Every reply may name the partnership and its contact; the wording is in bot/domain.yml.
        self.replies.append(Say(response, {**self.words, **values}, custom, buttons))

    # --- one message -------------------------------------------------------------------------
    def handle(self, text: str) -> None:
        text = (text or "").strip()
        if text.startswith("/"):
            text = BUTTON_WORDS.get(text.split("{", 1)[0].lstrip("/"), text.lstrip("/"))
        if not text:
            self.say("utter_empty_message")
            return self.carry_on()
        if not any(ch.isalnum() for ch in text) and text not in ("👍", "👎", "✅", "❌"):
            self.say("utter_emoji_only")
            return self.carry_on()
        if len(text) > READ_CHARS:
            self.say("utter_long_message")
            text = text[:READ_CHARS]
        reading = read(text, self.today)
        first_message = not self.greeted
        self.greeted = True

        if self.phase == "restart":
            return self.answer_restart(reading)
        if "restart" in reading.asks and not first_message:  # nothing to forget yet
            self.pending = {"ask": "restart", "back_to": self.pending, "phase": self.phase}
            self.phase = "restart"
            self.say(
                "utter_confirm_restart",
                buttons=[
                    {"title": "Yes, start again", "payload": "yes, start again"},
                    {"title": "No, carry on", "payload": "no, carry on"},
                ],
            )
            return None
        ask = self.asking()
        if self.interjection(reading, ask):
            # A question of theirs, answered: asking again is not a repeat, the first time.
            key = self.pending.get("key") if self.pending else None
            self.progress = key is not None and not self.tries.get(f"aside:{key}")
            if key is not None:
                self.tries[f"aside:{key}"] = 1
            return self.carry_on()

        self.progress = self.absorb(reading, ask)
        if first_message and self.case.story is None and reading.asb_words and len(text.split()) >= 6:
            self.case.story = text
        if first_message:
            if reading.asks == ["greet"] or (not reading.asb_words and not self.progress and "greet" in reading.asks):
                self.say("utter_greet")
            elif reading.asb_words or self.progress or reading.danger_maybe or len(text.split()) >= 8:
                self.say("utter_acknowledge")
        if self.case.emergency:
            return self.decide()
        if self.phase == "check" and ask and ask.name == "check":
            return self.answer_check(reading)
        if self.phase == "decided":
            return self.after_decision(reading)
        return self.carry_on()

    def asking(self) -> Optional[Ask]:
        if not self.pending:
            return None
        return Ask(self.pending["ask"], self.pending.get("incident"), self.pending.get("variant"))

    # --- what the resident asks instead of answering --------------------------------------------
    def interjection(self, reading: Reading, ask: Optional[Ask]) -> bool:
        answers = self.answers_something(reading, ask)
        if "what_is" in reading.asks and not answers:
            self.say("utter_what_is")
            return True
        if "why" in reading.asks and not answers and ask is not None:
            self.say(f"utter_why_{ask.name}" if words.has(f"utter_why_{ask.name}") else "utter_why_ask")
            return True
        if ("human" in reading.asks or "help" in reading.asks) and not answers:
            self.say("utter_human_handoff")
            return True
        if "summary" in reading.asks and not answers:
            self.say("utter_summary", answers=self.check_lines())
            return True
        if "bot" in reading.asks and not answers:
            self.say("utter_bot_challenge")
            return True
        if (
            ask is not None
            and ask.name != "check"
            and "?" in reading.text
            and not answers
            and not reading.asks
            and not (reading.yes or reading.no or reading.dont_know or reading.consent or reading.on_behalf is not None)
        ):
            # A question of their own ("are last year's reports any use?"): why this is asked, who
            # can answer the rest, and the same question again.
            self.say(f"utter_why_{ask.name}" if words.has(f"utter_why_{ask.name}") else "utter_why_ask")
            self.say("utter_other_questions")
            return True
        if ("thanks" in reading.asks or "goodbye" in reading.asks) and not answers:
            self.say("utter_thanks" if "thanks" in reading.asks else "utter_goodbye")
            return self.phase != "asking" or ask is not None
        return False

    def answers_something(self, reading: Reading, ask: Optional[Ask]) -> bool:
        return bool(
            reading.positive_bodies
            or reading.report_dates
            or reading.count
            or reading.bare_number
            or reading.nobody_told
            or reading.danger
            or reading.staff_conduct
            or reading.past_review
            or (ask is not None and ask.name not in ("check",) and (reading.yes or reading.no) and len(reading.text.split()) <= 3)
        )

    # --- taking what a message says ------------------------------------------------------------
    def absorb(self, r: Reading, ask: Optional[Ask]) -> bool:
        """Everything the message says, into the case; True when the case moved on."""
        case = self.case
        before = case.to_dict()
        asked = ask.name if ask else None
        correcting = self.phase in ("check", "decided")
        answered = False

        # Danger first: a threat with a "now" is an emergency (everyone is asked about danger anyway).
        if r.danger and not r.no_danger_now:
            case.emergency = True
        elif (
            case.emergency
            and correcting
            and (r.no_danger_now or (r.no and re.search(r"\b(danger|emergency|999|safe|not now|nobody|no one)\b", r.text, re.I)))
        ):
            # "No, nobody's in danger now": the 999 answer was wrong; carry on with the questions.
            case.emergency = False

        if r.reported_person and not case.reported_person:
            case.reported_person = True
            self.say("utter_reported_person")
        if r.staff_conduct:
            case.staff_conduct = True
            case.concern = case.concern or "staff"
            if case.complained_about is None:
                named = [b for b in r.positive_bodies + r.negated_bodies if b in COMPLAINED_ABOUT]
                if named:
                    case.complained_about = named[0]
        if r.not_staff_conduct and (case.staff_conduct or correcting):
            case.staff_conduct = False
            case.complaint_completed = None
            case.concern = "asb" if case.concern == "staff" else case.concern
        if r.complaint_done and (case.staff_conduct or asked == "complaint_completed"):
            case.complaint_completed = True
        elif r.complaint_not_done and correcting and case.complaint_completed:
            case.complaint_completed = False  # "my complaint isn't finished" at the check
        if r.past_review:
            case.past_review_cue = True
            case.concern = case.concern or "review"
        case.may_have_stopped = case.may_have_stopped or r.may_have_stopped
        case.someone_else_hint = case.someone_else_hint or r.someone_else_hint
        if r.ongoing is not None and asked not in ("emergency",):
            case.asb_ongoing = r.ongoing
        if r.on_behalf is True and not (r.on_behalf_by_name_only and asked not in ("on_behalf", "consent")):
            case.on_behalf = True
        elif r.on_behalf is False and (asked in ("on_behalf", "consent") or correcting):
            case.on_behalf = False
        if r.related is not None and (
            asked == "incidents_related" or correcting or len(case.incidents) > 1 or r.related is False
        ):
            case.incidents_related = r.related
        if (
            r.consent
            and (case.on_behalf or asked == "consent")
            and (asked == "consent" or correcting or r.consent == "yes" and "said yes" in r.text.lower())
        ):
            case.consent = r.consent

        # Bodies and incidents.
        self.take_bodies(r, ask, correcting)
        self.take_incidents(r, ask, correcting)

        # The answer to the question asked.
        if asked == "emergency":
            if r.no_danger_now or r.no:
                case.emergency = False
            elif r.yes or r.danger:
                case.emergency = True
            elif r.danger_maybe and (self.tries.get(ask.key, 1) >= 2 or r.trouble_now):
                # Asked twice and still telling of something frightening now, never a "no": the
                # safe reading is danger (the 999 answer), not the default that nobody is in danger.
                case.emergency = True
            elif r.dont_know:
                self.default("emergency")
            answered = case.emergency is not None or "emergency" in case.defaulted
        elif asked == "concern":
            if r.past_review or re.search(r"\breview\b", r.text, re.I):
                case.past_review_cue, case.concern = True, "review"
            elif not r.not_staff_conduct and (
                r.staff_conduct or re.search(r"\bstaff|how (they|staff|it was)\b|complain", r.text, re.I)
            ):
                case.staff_conduct, case.concern = True, "staff"
            elif r.asb_words or r.yes or re.search(r"\b(behaviour|asb|happening|neighbour)", r.text, re.I):
                case.concern = "asb"
            answered = case.concern is not None
        elif asked == "previous_review":
            if r.yes or r.past_review:
                case.previous_review = True
            elif r.no or re.search(r"\b(never|not had|haven'?t had|no review|first time)\b", r.text, re.I):
                case.previous_review, case.past_review_cue = False, False
            elif r.dont_know:
                self.default("previous_review")
                case.past_review_cue = False
            answered = case.previous_review is not None or not case.past_review_cue
        elif asked == "complaint_completed":
            if r.complaint_done or (r.yes and not r.complaint_not_done):
                case.complaint_completed = True
            elif r.no or r.complaint_not_done:
                case.complaint_completed = False
            elif r.dont_know:
                self.default("complaint_completed")
            answered = case.complaint_completed is not None or "complaint_completed" in case.defaulted
        elif asked == "complained_about":
            named = [b for b in r.positive_bodies + r.negated_bodies if b in COMPLAINED_ABOUT]
            if not named and re.search(r"\bhousing|landlord\b", r.text, re.I):
                named = ["social_landlord"]
            if named:
                case.complained_about = named[0]
            answered = bool(named)
        elif asked in ("asb_ongoing", "incidents_related", "on_behalf"):
            said = {"asb_ongoing": r.ongoing, "incidents_related": r.related, "on_behalf": r.on_behalf}[asked]
            answered = self.take_yes_no(asked, r, said, default_allowed=asked != "on_behalf")
        elif asked == "consent":
            if r.consent is None:
                if r.yes:
                    case.consent = "yes"
                elif r.no:
                    case.consent = "no"
                elif r.dont_know:
                    case.consent = "not_asked"
            answered = case.consent is not None
        if r.references:
            self.take_references(r, ask)
        if asked in RELEVANT_TO:
            # Progress on a question is a change in what it asks about, not in something else
            # the same words happened to say ("all the same night" is not a date).
            after = case.to_dict()
            return answered or any(after[key] != before[key] for key in RELEVANT_TO[asked])
        return case.to_dict() != before or answered

    def take_yes_no(self, name: str, r: Reading, said: Optional[bool], default_allowed: bool = True) -> bool:
        """A yes/no question's answer: what the words said about it, else a leading yes or no,
        else "don't know" (the rule set's default, said in the decision). True when answered."""
        if said is None:
            said = True if r.yes else False if r.no else None
        if said is not None:
            setattr(self.case, name, said)
        elif r.dont_know and default_allowed:
            self.default(name)
        return getattr(self.case, name) is not None or name in self.case.defaulted

    def default(self, name: str) -> None:
        if name not in self.case.defaulted:
            self.case.defaulted.append(name)

    def take_bodies(self, r: Reading, ask: Optional[Ask], correcting: bool) -> None:
        case = self.case
        asked = ask.name if ask else None
        in_passing = asked not in ("reported_to", "incident_dates", "complained_about") and not correcting
        told = r.story_bodies if in_passing else [b for b in r.positive_bodies]
        for body in r.negated_bodies:
            if body in case.bodies:
                case.bodies.remove(body)
            for incident in case.incidents:
                if body in (incident.get("reported_to") or []):
                    incident["reported_to"].remove(body)
        if asked == "reported_to" and ask.variant == "landlord":
            low = r.text.lower()
            for mention in r.bodies:  # "I haven't told the council": not an answer that it is council housing
                if mention.negated:
                    low = low[: mention.start] + " " * (mention.end - mention.start) + low[mention.end :]
            if cue("private_answer")(low) and not cue("social_answer")(low.replace("private", "")):
                told = [b for b in told if b != "landlord"] + ["private_landlord"]
            elif cue("social_answer")(low) or r.yes:
                told = [b for b in told if b not in ("landlord", "council")] + ["social_landlord"]
            elif r.no:
                told = [b for b in told if b != "landlord"] + ["private_landlord"]
            if any(b in ("private_landlord", "social_landlord") for b in told):
                case.name_landlord(told[-1])
                case.bodies += [b for b in told if b not in case.bodies]
            return
        nobody = r.nobody_told_answer if asked == "reported_to" and ask.incident is None else r.nobody_told
        if nobody and not told:
            if not (case.bodies or case.incidents) or asked == "reported_to" or correcting:
                case.reported = False
                case.bodies = []
                for incident in case.incidents:
                    incident["reported_to"] = []
            return
        if not told:
            if asked == "reported_to" and (r.no and not r.yes) and ask.incident is None:
                case.reported = False
            return
        if "landlord" in told:
            known = [b for b in told + case.all_bodies() if b in ("private_landlord", "social_landlord")]
            if known:
                told = [known[0] if b == "landlord" else b for b in told]  # "Steve, my landlord": the one already named
            else:
                case.landlord_unclear = True
        told = unique(told)
        case.reported = True
        if r.ordinal_bodies and r.claimed_bodies:
            # "police all three times, and the October one I told the housing too": the housing goes
            # with the October incident only (apply_ordinal_bodies), not with every one.
            case.bodies_for_named_incidents = unique(case.bodies_for_named_incidents + r.claimed_bodies)
        if r.groups:
            return  # which body goes with which date is taken with the incidents
        if ask is not None and ask.name == "reported_to" and ask.incident is not None and ask.incident < len(case.incidents):
            case.incidents[ask.incident]["reported_to"] = told
            return
        if correcting and r.ordinal_bodies and r.claimed_bodies and not [b for b in told if b not in r.claimed_bodies]:
            return  # "the 9 july one was the council too": that incident's, taken with the incidents
        replace = asked == "reported_to" or (
            correcting
            and (
                bool(r.report_dates)
                or re.search(
                    r"\b(only|just|no[, ]|not|all (to|with|of them)|every (one|time)|each (one|time)|both)\b", r.text, re.I
                )
            )
        )
        if replace:
            case.bodies = told
            case.bodies_for_named_incidents = list(r.claimed_bodies) if r.ordinal_bodies else []
            for incident in case.incidents:
                incident["reported_to"] = []
        else:
            case.bodies += [b for b in told if b not in case.bodies]

    def take_incidents(self, r: Reading, ask: Optional[Ask], correcting: bool) -> None:
        case = self.case
        asked = ask.name if ask else None
        dates = r.report_dates
        if r.future_dates and asked == "incident_dates":
            self.say("utter_future_date", dates=join_words([long_date(d) for d in r.future_dates]))
        if asked == "reported_to" and ask.incident is not None and 0 <= ask.incident < len(case.incidents) and len(dates) == 1:
            reported_on = _report_of(case.incidents[ask.incident], dates[0], r, self.today)
            if reported_on is not None:
                # "council environmental health, rang them on the 26th", about the incident on 23 May:
                # when that one was reported, not another incident.
                if reported_on.isoformat() != case.incidents[ask.incident]["date"]:
                    case.incidents[ask.incident]["reported_on"] = reported_on.isoformat()
                dates = []
        count = r.count
        if asked == "incident_dates" and not dates and r.bare_number is not None:
            count = r.bare_number  # "3" to "when?": how many, the dates still to come
        if count is not None and not r.total_only:
            if count == 0:
                case.reported = case.reported if case.bodies else False
            if correcting and dates == [] and count < len(case.incidents):
                case.incidents = []  # "it was twice, not three times": which two is asked
            case.count = count
            case.dates_complete = False
            if case.reported is None and (r.report_words or asked == "incident_dates"):
                case.reported = True
        if dates and asked not in ("incident_dates", "reported_to") and (not correcting or asked not in (None, "check")):
            # A date in a story is a report only when its sentence says so; so is one in the answer to
            # another question asked after the check ("YES. december last year" to "was there a review?").
            dates = r.story_report_dates
        if dates and asked != "incident_dates" and not correcting:
            # "the June one", "in October": a month alone names an incident; its date is asked for.
            dates = [d for d in dates if d not in {m.date for m in r.dates if m.approximate}]
        if asked == "incident_dates" or (correcting and dates):
            case.dates_asked = True
        if dates:
            named = (
                re.search(r"\bthe (first|second|third|last) one (was|is|were) (on |actually )?(the )?", r.text, re.I)
                if correcting
                else None
            )
            said_for = [d for d in dates if named and _starts_at(r, d, named.end())]
            if said_for and case.incidents:
                # "the last one was 2 oct not the 1st": that incident's date, the others kept
                case.redate({"first": 0, "second": 1, "third": 2, "last": -1}[named.group(1).lower()], said_for[0])
                dates = [d for d in dates if d != said_for[0]]
            if dates and correcting and r.ordinal is not None and case.incidents and len(dates) == 1:
                case.redate(min(r.ordinal, len(case.incidents) - 1), dates[0])
            elif dates:
                adding = re.search(
                    r"\b(also|another|and then|forgot|as well|too|more|the other (one|time)|one more|missed (one|out))\b",
                    r.text,
                    re.I,
                )
                awaiting = asked == "incident_dates" and ask.variant in ("more", "others")
                # "the last one was 17th nov, and the 4th sept one was NCHA too. four in total": a
                # correction about some incidents keeps the others.
                amends = correcting and (
                    r.count >= len(case.incidents)
                    if r.count is not None
                    else bool(re.search(r"\b(the|that) ([\w/]+ ){0,3}one (was|is|were|went)\b", r.text, re.I))
                )
                add = (not correcting and asked != "incident_dates") or awaiting or (correcting and (adding or amends))
                case.set_dates(dates, add=bool(add))
                if correcting and not add and len(dates) >= 2 and r.count is None and case.count is not None:
                    case.count = len(case.incidents)  # "no, it was 6 June, 25 July and 24 Oct": the whole list, so that many
            if case.reported is None:
                case.reported = True
            if case.count is not None and len(case.incidents) > case.count and (asked == "incident_dates" or correcting):
                case.count = len(case.incidents)
        for happened, reported in r.reported_later:
            case.set_dates([happened], add=True)
            case.incidents = [i for i in case.incidents if i["date"] != reported.isoformat() or i.get("reported_on")]
            for incident in case.incidents:
                if incident["date"] == happened.isoformat():
                    incident["reported_on"] = reported.isoformat()
        if r.reported_later and case.count is not None and (asked == "incident_dates" or correcting) and dates:
            case.count = len(case.incidents)  # two dates of one incident are one incident
        if r.ordinal_bodies and (asked in ("reported_to", "incident_dates") or correcting or r.report_words):
            # As lists: the state goes into a Rasa slot as JSON.
            case.ordinal_bodies = [[list(w) if isinstance(w, tuple) else w, b] for w, b in r.ordinal_bodies]
            # "The council the first time, the police on 20 Oct": "the first" is among dates not
            # all told yet, so it waits for the answer to "when?".
            case.ordinal_bodies_wait = bool(dates) and asked != "incident_dates" and not correcting
        elif asked == "incident_dates" or correcting:
            case.ordinal_bodies_wait = False
        if r.per_body_counts and not r.groups and not r.ordinal_bodies:
            case.bodies_per_incident_unclear = True
        months_named = {w[1] for w, _ in case.ordinal_bodies if isinstance(w, (list, tuple)) and w[0] == "month"}
        months_dated = {MONTHS[int(i["date"][5:7]) - 1] for i in case.incidents}
        if months_named - months_dated and (case.count or 0) < len(case.incidents) + len(months_named - months_dated):
            # "I rang 101 for the August one and the November one": two more incidents, dates to ask.
            case.count = len(case.incidents) + len(months_named - months_dated)
            case.dates_complete = False
        if not case.ordinal_bodies_wait:
            case.apply_ordinal_bodies()
        reported_for = {reported: happened for happened, reported in r.reported_later}
        for group_dates, group_bodies in r.groups:
            # A date it was reported on belongs to the incident that happened before it.
            group_dates = unique(reported_for.get(d, d) for d in group_dates)
            known = {d.isoformat() for d in group_dates}
            case.set_dates(group_dates, add=True)
            for incident in case.incidents:
                if incident["date"] in known:
                    incident["reported_to"] = [b for b in group_bodies if b != "landlord"] or group_bodies
            case.reported = True
        if asked == "incident_dates" and ask.variant == "others" and not dates and (r.no or r.no_more_dates or r.dont_know):
            case.dates_complete = True
        if asked == "incident_dates" and not dates and (r.no_more_dates or r.dont_know) and case.incidents:
            case.dates_complete = True
            case.count = len(case.incidents)

    def take_references(self, r: Reading, ask: Optional[Ask] = None) -> None:
        """Each reference to its incident: the date told just before it, else the message's dates in
        order, else the one incident the question was about."""
        by_date = {incident["date"]: incident for incident in self.case.incidents}
        pairs = [(reference, day.isoformat()) for reference, day in r.reference_dates if day.isoformat() in by_date]
        if not pairs:
            dated = [d.isoformat() for d in r.report_dates if d.isoformat() in by_date]
            if len(dated) == len(r.references):
                pairs = list(zip(r.references, dated))
        if (
            not pairs
            and ask is not None
            and ask.incident is not None
            and len(r.references) == 1
            and 0 <= ask.incident < len(self.case.incidents)
        ):
            pairs = [(r.references[0], self.case.incidents[ask.incident]["date"])]
        for reference, day in pairs:
            by_date[day]["reference"] = reference

    # --- what to ask next ------------------------------------------------------------------------
    def facts(self) -> Dict[str, Any]:
        return self.case.facts(self.today)

    def worth(self, key: str) -> bool:
        return worth_asking(self.facts(), key, self.partnership, self.today)

    def next_question(self) -> Optional[Ask]:
        for name, needed in QUESTIONS:
            found = needed(self)
            if found:
                ask = found if isinstance(found, Ask) else Ask(name)
                if self.tries.get(ask.key, 0) >= 2 and not self.progress and self.pending and self.pending.get("key") == ask.key:
                    self.give_up(ask)
                    return self.next_question()
                return ask
        return None

    def give_up(self, ask: Ask) -> None:
        """Third time without progress: take the rule set's default and say so."""
        case = self.case
        self.default(ask.name)
        if ask.name == "incident_dates":
            case.dates_complete = True
            if case.incidents:
                case.count = len(case.incidents)
        elif ask.name == "reported_to":
            if ask.variant == "landlord":
                # Not said which: taken as a private landlord (whose reports do not count), shown at
                # the check so the resident can say it is the council or a housing association.
                case.name_landlord("private_landlord")
            elif ask.incident is not None:
                # Not said which: the bodies said for the whole case, shown at the check to correct.
                case.incidents[ask.incident]["reported_to"] = list(case.bodies) or ["other"]
            elif not case.bodies:
                case.reported = False
        elif ask.name == "concern":
            case.concern = "asb"
        elif ask.name == "previous_review":
            case.past_review_cue = False
        elif ask.name == "consent":
            case.consent = "not_asked"
        elif ask.name == "complained_about":
            case.complained_about = "council"
        elif ask.name == "on_behalf":
            case.on_behalf = False
        self.say("utter_going_with_default")
        self.tries.pop(ask.key, None)

    def carry_on(self) -> None:
        """Ask the next question, show the check, or say what can be done next."""
        if self.phase == "decided":
            self.say("utter_anything_else")
            return None
        if self.phase == "check":
            return self.show_check()
        ask = self.next_question()
        if ask is None:
            return self.show_check()
        key = ask.key
        if self.pending and self.pending.get("key") == key and not self.progress:
            self.tries[key] = self.tries.get(key, 1) + 1
        elif not (self.pending and self.pending.get("key") == key):
            self.tries[key] = 1
        self.pending = {"ask": ask.name, "incident": ask.incident, "variant": ask.variant, "key": key}
        self.ask(ask, again=self.tries[key] >= 2)
        return None

    def ask(self, ask: Ask, again: bool) -> None:
        custom: Dict[str, Any] = {"ask": ask.name}
        values: Dict[str, Any] = {"window_start": self.window_start_text()}
        name = f"utter_ask_{ask.name}"
        if ask.variant:
            name += f"_{ask.variant}"
        if ask.incident is not None:
            incident = self.case.incidents[ask.incident]
            custom.update(incident=ask.incident, incident_date=incident["date"])
            values["date"] = long_date(iso_date(incident["date"]))
            name = f"utter_ask_{ask.name}_incident"
        if ask.name == "incident_dates" and ask.variant in ("more", "others"):
            values.update(
                have=len(self.case.incidents),
                count=self.case.count,
                dates=join_words([long_date(iso_date(d)) for d in self.case.dates()]),
            )
        if again and words.has(f"{name}_again"):
            name = f"{name}_again"
        self.say(name, custom=custom, **values)

    def window_start_text(self) -> str:
        return long_date(self.window_start())

    def window_start(self) -> dt.date:
        return months_before(self.today, self.partnership.on(self.today).window_months)  # the rule set's own arithmetic

    # --- check your answers --------------------------------------------------------------------
    def check_lines(self) -> str:
        case = self.case
        start = self.window_start()
        names = self.partnership.bodies  # the partnership's words for each body, as the decision's
        lines: List[str] = []
        incidents = [i for i in case.incidents if case.bodies_of(i) or case.reported]
        recent = [i for i in incidents if iso_date(i.get("reported_on") or i["date"]) >= start]
        older = [i for i in incidents if i not in recent]
        if case.reported is False or not incidents:
            told = join_words([names.get(b, b) for b in case.bodies if b != "landlord"])
            lines.append(
                "- Incidents reported: none with a date yet" + (f" (you told {told})" if told else "")
                if case.reported is not False
                else "- Incidents reported: you have not reported it to anyone yet"
            )
        else:
            lines.append(f"- Incidents reported since {long_date(start)}: {len(recent)}")
            for incident in recent + older:
                bodies = [names.get(b, b) for b in case.bodies_of(incident) if b != "landlord"]
                when = long_date(iso_date(incident["date"]))
                if incident.get("reported_on") and incident["reported_on"] != incident["date"]:
                    when += f", reported {long_date(iso_date(incident['reported_on']))}"  # the date that counts
                line = f"  - {when}: told " + (join_words(bodies) or "nobody yet")
                if incident.get("reference"):
                    line += f" (reference {incident['reference']})"
                if incident in older:
                    line += f" (before {self.window_start_text()})"
                lines.append(line)
        if len(incidents) > 1:
            lines.append(f"- All about the same problem: {'no' if case.incidents_related is False else 'yes'}")
        if case.asb_ongoing is not None or self.worth("asb_ongoing"):
            lines.append(f"- Still happening: {'no' if case.asb_ongoing is False else 'yes'}")
        if case.on_behalf:
            consent = {"yes": "they have agreed", "no": "they said no", "not_asked": "they have not been asked yet"}
            lines.append(f"- Applying for: someone else ({consent.get(case.consent, 'not asked yet')})")
        elif case.on_behalf is False or self.worth("on_behalf"):
            lines.append("- Applying for: yourself")
        # else: not asked, because the answer cannot turn on it: not shown as if it had been said
        if case.staff_conduct:
            lines.append(
                "- A complaint about how staff dealt with it: yes"
                + (f" ({names.get(case.complained_about, case.complained_about)})" if case.complained_about else "")
            )
            lines.append(f"- Their complaints procedure finished: {'yes' if case.complaint_completed else 'no'}")
        if case.previous_review:
            lines.append("- A case review has already been held and you are unhappy with it: yes")
        return "\n".join(lines)

    def show_check(self) -> None:
        facts = self.facts()
        # Progress at the check is a change in the facts shown: the same check a third time is
        # not shown again; the bot goes ahead on them (they can still be changed afterwards).
        if self.checked == facts and self.tries.get("check"):
            self.tries["check"] += 1
        else:
            self.tries["check"] = 1
        if self.tries["check"] >= 3:
            self.say("utter_check_going_ahead")
            self.checked = facts
            return self.decide()
        self.phase = "check"
        self.pending = {"ask": "check", "key": "check"}
        self.checked = facts
        buttons = [
            {"title": "Yes, that's right", "payload": "yes, that's right"},
            {"title": "Change the incidents", "payload": "change the incidents"},
            {"title": "Change who it's for", "payload": "change who it's for"},
        ]
        response = "utter_check" if self.tries["check"] < 2 else "utter_check_again"
        # The page names the bodies in the check with the partnership's words, as the text does.
        self.say(
            response,
            custom={"ask": "check", "check": facts, "words": {"bodies": dict(self.partnership.bodies)}},
            buttons=buttons,
            answers=self.check_lines(),
        )

    def answer_check(self, r: Reading) -> None:
        if self.progress:
            return self.refresh_after_correction()
        change = CHANGE_BUTTON.match(r.text)
        if change:
            self.say(
                "utter_check_change_incidents"
                if re.search(r"incident|date|told", change.group(2), re.I)
                else "utter_check_change_other",
                custom={"ask": "check"},
            )
            return None
        if r.yes and not r.no and not r.wrong:
            return self.decide()
        if self.tries.get("check", 1) >= 2:
            self.say("utter_check_going_ahead")
            return self.decide()  # nothing usable twice at the check: go ahead, and say it can still change
        self.say("utter_check_what_change", custom={"ask": "check"})
        self.tries["check"] = self.tries.get("check", 1) + 1
        return None

    def refresh_after_correction(self) -> None:
        """A correction: ask whatever it opened, then show the check again."""
        self.phase = "asking"
        ask = self.next_question()
        if ask is not None:
            return self.carry_on()
        return self.show_check()

    # --- the decision --------------------------------------------------------------------------
    def decide(self) -> None:
        facts = self.facts()
        decision = decide(facts, self.partnership, self.today, explain=True)
        self.decision = {k: v for k, v in decision.items() if k != "trace"}
        self.decided_now = decision
        self.phase = "decided"
        self.pending = None
        self.tries = {}
        self.say(
            "utter_decision",
            custom={"decision": self.decision},
            summary=decision.get("summary", ""),
            reasons=" ".join(r["text"] for r in decision["reasons"]),
            next_steps="\n".join(f"- {step}" for step in decision["next_steps"]),
        )
        if decision["outcome"] == "apply":
            self.say(
                "utter_offer_application",
                buttons=[
                    {"title": "Yes, start my application", "payload": "apply now"},
                    {"title": "Not now", "payload": "not now"},
                ],
            )
        else:
            self.say("utter_other_ways")

    def after_decision(self, r: Reading) -> None:
        if self.progress:
            return self.refresh_after_correction()
        outcome = (self.decision or {}).get("outcome")
        if outcome == "apply" and ("apply" in r.asks or r.yes):
            self.start_application = True
            return None
        if outcome == "apply" and r.no:
            self.say("utter_application_later")
            return None
        if "why" in r.asks or re.search(r"\bwhy\b", r.text, re.I):
            self.explain()
            return None
        if r.wrong or r.no:
            self.phase = "check"
            return self.show_check()
        self.say("utter_anything_else")
        return None

    def explain(self) -> None:
        decision = self.decision or {}
        lines = [reason["text"] for reason in decision.get("reasons", [])]
        # The decision's own words for its defaults; one made before decisions carried them gets them now.
        said = (decision.get("words") or self.partnership.words(decision.get("outcome"), decision.get("assumed", [])))["assumed"]
        assumptions = []
        for key in decision.get("assumed", []):
            if said.get(key) and said[key] not in assumptions:
                assumptions.append(said[key])
        if assumptions:
            lines.append("Where you didn't tell me, I assumed that " + join_words(assumptions) + ".")
        self.say("utter_explanation", custom={"decision": decision}, explanation="\n\n".join(lines))

    def answer_restart(self, r: Reading) -> None:
        back = self.pending or {}
        if r.yes and not r.no:
            fresh = Conversation(None, self.today, self.partnership_name)
            self.__dict__.update({k: v for k, v in fresh.__dict__.items() if k != "replies"})
            self.greeted = True
            self.say("utter_restarted")
            return self.carry_on()
        self.phase = back.get("phase") or "asking"
        self.pending = back.get("back_to")
        self.say("utter_carry_on")
        if self.phase == "decided":
            return None
        if self.phase == "check":
            return self.show_check()
        self.progress = True  # nothing was unusable: asking again is not a repeat
        return self.carry_on()


def _report_of(incident: Dict[str, Any], said: dt.date, r: Reading, today: dt.date) -> Optional[dt.date]:
    """The one date in an answer about one incident, read as when that incident was reported: on
    or up to a month after it. A day said without its month ("on the 26th") is the first such day
    after the incident, not the most recent one."""
    happened = iso_date(incident["date"])
    if any(m.date == said and m.day_only for m in r.dates):
        said = next((d for d in (happened + dt.timedelta(days=n) for n in range(32)) if d.day == said.day), said)
    if happened <= said <= min(today, happened + dt.timedelta(days=31)):
        return said
    return None


def _starts_at(r: Reading, day: dt.date, position: int) -> bool:
    """Is `day` said in the reading's text at `position` (give or take a space)?"""
    return any(m.date == day and abs(m.start - position) <= 1 for m in r.dates)


def _danger_unknown(c: Conversation):
    """Safety first: whether anyone is in danger now is asked of everyone, first, unless they
    have already said. A missed 999 is the worst mistake this service can make."""
    return c.case.emergency is None and "emergency" not in c.case.defaulted


def _nothing_known(c: Conversation):
    case = c.case
    return (
        case.concern is None
        and not case.staff_conduct
        and not case.past_review_cue
        and not case.bodies
        and not case.incidents
        and case.reported is None
        and case.asb_ongoing is None
        and case.story is None
        and case.count is None
    )


def _counting_told(c: Conversation) -> bool:
    counting = c.partnership.on(c.today).counting_bodies
    return any(b in counting for b in c.case.all_bodies())


def _reported_to(c: Conversation):
    case = c.case
    if case.landlord_unclear:
        return Ask("reported_to", variant="landlord")
    if case.reported is False:
        return None
    if not case.all_bodies() and c.worth("incidents"):
        return Ask("reported_to")
    return None


def _incident_dates(c: Conversation):
    case = c.case
    if case.reported is False or case.dates_complete:
        return None
    if not _counting_told(c):
        # Told only people whose reports do not count (a private landlord, the school): asked once, so
        # the check lists what they did report, and a date told with the police or the council in it
        # ("4 Oct to Steve, and I rang 101 on the 9th") can still change the answer.
        if case.all_bodies() and not case.incidents and not case.dates_asked and c.worth("incidents"):
            return Ask("incident_dates", variant="not_counting")
        return None
    if not case.incidents:
        return Ask("incident_dates") if c.worth("incidents") else None
    if case.count and case.count > len(case.incidents):
        return Ask("incident_dates", variant="more")
    if not case.dates_asked and case.count is None and c.worth("incidents"):
        return Ask("incident_dates", variant="others")  # dates told in passing may not be all of them
    return None


def _incident_bodies(c: Conversation):
    """Pin down who was told about each incident when that is not known and could matter: no
    bodies at all for it, or bodies said for the case as a whole that mix ones that count with
    ones that don't ("the police and my letting agent"), or counts per body ("police twice,
    the council once")."""
    case = c.case
    if case.reported is False or not case.incidents or not _counting_told(c):
        return None  # none of them counts, whoever was told about which
    counting = c.partnership.on(c.today).counting_bodies
    case_wide = [b for b in case.bodies if b not in case.bodies_for_named_incidents] or case.bodies
    mixed = any(b in counting for b in case_wide) and any(b not in counting for b in case_wide)
    # "The police and the council" for four incidents: which was told about which is not known,
    # and the check and the application would otherwise say every one went to both.
    several = len(unique(case_wide)) > 1
    unclear = (mixed or several or case.bodies_per_incident_unclear) and len(case.incidents) > 1
    for index, incident in enumerate(case.incidents):
        if incident.get("reported_to"):
            continue
        if not case.bodies or unclear:
            return Ask("reported_to", incident=index)
    return None


QUESTIONS: Tuple[Tuple[str, Callable[[Conversation], Any]], ...] = (
    ("emergency", _danger_unknown),
    ("concern", _nothing_known),
    ("previous_review", lambda c: c.case.past_review_cue and c.case.previous_review is None),
    (
        "complaint_completed",
        lambda c: (
            c.case.staff_conduct
            and c.case.complaint_completed is None
            and "complaint_completed" not in c.case.defaulted
            and c.worth("complaint_completed")
        ),
    ),
    ("complained_about", lambda c: c.case.staff_conduct and c.case.complaint_completed and not c.case.complained_about),
    (
        "asb_ongoing",
        lambda c: (
            c.case.asb_ongoing is None
            # a grievance about how it was handled is often told once it is over
            and (c.case.may_have_stopped or c.case.staff_conduct)
            and "asb_ongoing" not in c.case.defaulted
            and c.worth("asb_ongoing")
        ),
    ),
    ("reported_to", _reported_to),
    ("incident_dates", _incident_dates),
    ("reported_to", _incident_bodies),
    (
        "incidents_related",
        lambda c: (
            len(c.case.incidents) > 1
            and c.case.incidents_related is None
            and "incidents_related" not in c.case.defaulted
            and c.worth("incidents_related")
        ),
    ),
    ("on_behalf", lambda c: c.case.on_behalf is None and c.case.someone_else_hint and c.worth("on_behalf")),
    ("consent", lambda c: c.case.on_behalf and c.case.consent is None and c.worth("consent")),
)

# What each question is about: an answer that changes none of these made no progress on it.
RELEVANT_TO = {
    "incident_dates": ("incidents", "count", "dates_complete", "reported"),
    "reported_to": ("bodies", "incidents", "reported", "landlord_unclear"),
    "emergency": ("emergency", "defaulted"),
    "asb_ongoing": ("asb_ongoing", "defaulted"),
    "incidents_related": ("incidents_related", "defaulted"),
    "on_behalf": ("on_behalf",),
    "consent": ("consent", "on_behalf"),
    "complaint_completed": ("complaint_completed", "staff_conduct", "defaulted"),
    "complained_about": ("complained_about",),
    "previous_review": ("previous_review", "past_review_cue"),
    "concern": ("concern", "staff_conduct", "past_review_cue", "asb_ongoing", "bodies", "incidents", "story"),
}


# Button payloads from older pages and Rasa's own buttons, read as the words they stand for.
BUTTON_WORDS = {
    "affirm": "yes",
    "deny": "no",
    "dont_know": "I don't know",
    "apply_now": "apply now",
    "tell_story": "anti-social behaviour that keeps happening",
    "complain_staff": "how staff dealt with my reports",
    "unhappy_with_review": "a case review I've already had",
    "restart": "start again",
    "greet": "hello",
}


def partnership_words(partnership) -> Dict[str, str]:
    """What the bot's words say about the partnership, from its file (rules/partnerships/)."""
    contact = partnership.contact
    council = partnership.contacts.get("council", {})
    return {
        "partnership_name": contact.get("organisation") or partnership.full_name,
        "contact_name": contact.get("role") or contact.get("name", ""),
        "contact_phone": contact.get("phone", ""),
        "contact_address": contact.get("address", ""),
        "council_web": council.get("web", ""),
        "council_phone": council.get("phone", ""),
    }


def number_words(n: int) -> str:
    return ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")[n] if 0 <= n <= 10 else str(n)


def respond(state: Optional[Dict[str, Any]], text: str, today: dt.date, partnership: str) -> Turn:
    conversation = Conversation(state, today, partnership)
    conversation.handle(text)
    return Turn(conversation.replies, conversation.state(), conversation.decided_now, conversation.start_application)
