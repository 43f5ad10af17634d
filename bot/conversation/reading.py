"""What one message says about the case, in residents' own words.

`read(text, today)` finds every claim a message makes, whatever was asked: bodies told (and
those explicitly not told), report dates apart from start dates, counts apart from totals,
which incidents went to which body, staff conduct told as a story, whether it goes on, who is
applying for whom, and what the resident is asking for instead of answering. The flow
(flow.py) decides what the claims mean for the question asked. Pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, List, Optional, Tuple

from bot.conversation.cues import cue
from bot.nlp.dates import SELF_CORRECTION, DateReading
from bot.nlp.extract import extract
from groundwork.dates import iso_date
from groundwork.limits import READ_CHARS

CLAUSE_BREAK = re.compile(r"[.;!?\n]|\bbut\b|\bonly\b|\bjust\b|\bexcept\b|\bthough\b|\bhowever\b|\bapart from\b", re.I)
WORD_NUMBERS = {
    "once": 1,
    "one": 1,
    "a single": 1,
    "twice": 2,
    "two": 2,
    "couple": 2,
    "three": 3,
    "thrice": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a dozen": 12,
}
ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "last": -1,
    "latest": -1,
    "most recent": -1,
    "final": -1,
}
ORDINAL_ONE = re.compile(
    r"\b(the )?(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last|latest|most recent|final)"
    r"( one| incident| report| time| date)?\b",
    re.I,
)
REFERENCE = re.compile(
    r"\b(?:ref(?:erence)?|crime|incident|log|case|report)\s*(?:no\.?|number|num|#)?\s*(?:is|was|:|-)?\s*"
    r"([A-Z]{0,5}[/-]?\d[\dA-Z/-]{3,})\b|\b([A-Z]{2,5}[/-]\d{2,}[\dA-Z/-]*)\b|\b(\d{11,14})\b",
    re.I,
)
NUMBER_ONLY = re.compile(
    r"^\W*(?:about |around |roughly |maybe |like |approx\.? )?(\d{1,3})\s*(?:x|times?|incidents?|reports?)?\W*$", re.I
)
HOUR_AFTER = re.compile(r"^\s*(am|pm|a\.m|p\.m|o'?clock|ish|in the (morning|evening|night)|:\d\d)\b", re.I)
RATE_AFTER = re.compile(r"^\s*(times? )?(a|an|per|every) (week|night|day|month|weekend|fortnight)\b", re.I)


@dataclass
class BodyMention:
    body: str  # a contract value, or "landlord" (social or private not said)
    start: int
    end: int
    negated: bool = False


@dataclass
class DateMention:
    date: dt.date
    start: int
    end: int
    start_point: bool = False  # when it began or a reference point, not a report
    approximate: bool = False
    names_incident: bool = False  # "the June one": an incident named by its month
    day_only: bool = False  # "the 26th": a day said without its month, so which month is a guess


@dataclass
class Reading:
    text: str
    bodies: List[BodyMention] = field(default_factory=list)
    dates: List[DateMention] = field(default_factory=list)
    future_dates: List[dt.date] = field(default_factory=list)
    count: Optional[int] = None  # incidents in the window the resident gives
    total_only: bool = False  # the only count given is a total ("eight altogether")
    many: bool = False  # "loads", "lots": no number
    bare_number: Optional[int] = None  # the whole message is a number
    groups: List[Tuple[List[dt.date], List[str]]] = field(default_factory=list)  # dates with their own bodies
    reported_later: List[Tuple[dt.date, dt.date]] = field(default_factory=list)  # (happened, reported)
    claimed_bodies: List[str] = field(default_factory=list)  # bodies named only for one incident, not for the case
    ordinal_bodies: List[Tuple[Any, List[str]]] = field(default_factory=list)  # ("first" | "rest" | (year, month), bodies)
    per_body_counts: bool = False  # "police twice and the council once"
    ordinal: Optional[int] = None  # "the first one": the incident a correction is about
    references: List[str] = field(default_factory=list)
    reference_dates: List[Tuple[str, dt.date]] = field(default_factory=list)  # a reference and the date told just before it
    nobody_told: bool = False  # says outright that nobody was told
    nobody_told_answer: bool = False  # "no" / "nobody yet", which means that only as an answer to who was told
    report_words: bool = False
    yes: bool = False
    no: bool = False
    dont_know: bool = False
    no_more_dates: bool = False
    ongoing: Optional[bool] = None
    danger: bool = False
    danger_maybe: bool = False
    no_danger_now: bool = False
    staff_conduct: bool = False
    not_staff_conduct: bool = False  # "I'm not complaining about the staff"
    trouble_now: bool = False  # "he's at the back door now", not "out there most nights"
    on_behalf_by_name_only: bool = False  # a short answer that only names someone ("me nan")
    may_have_stopped: bool = False  # words that leave open whether it goes on ("so that's over")
    someone_else_hint: bool = False  # someone else it may be for ("my mum", "the shop", "a client")
    complaint_done: bool = False
    complaint_not_done: bool = False
    past_review: bool = False
    on_behalf: Optional[bool] = None
    reported_person: bool = False
    consent: Optional[str] = None  # yes / no / not_asked, when the words say so
    related: Optional[bool] = None
    asks: List[str] = field(default_factory=list)  # what_is, why, human, help, restart, summary...
    wrong: bool = False
    asb_words: bool = False

    @property
    def positive_bodies(self) -> List[str]:
        return unique(b.body for b in self.bodies if not b.negated)

    @property
    def negated_bodies(self) -> List[str]:
        return unique(b.body for b in self.bodies if b.negated)

    @property
    def report_dates(self) -> List[dt.date]:
        return sorted({d.date for d in self.dates if not d.start_point and not d.names_incident})

    def reported_in_sentence(self, start: int, end: int) -> bool:
        """Does the sentence around text[start:end] say something was reported (and not that it wasn't)?"""
        sentence = _sentence(self.text, start).lower()
        if re.search(
            r"\b(didn'?t|didnt|did not|never|not|haven'?t|havent|wasn'?t) (yet |even |actually |got round to |bother(ed)? )?(report|ring|rang|call|phone|tell|told|log)\w*",
            sentence,
        ):
            return False
        return bool(cue("report_words")(sentence))

    def sentence_names_a_report(self, start: int, end: int) -> bool:
        """A report verb alone is not enough in a story: "I spoke to him yesterday", "last night he
        told me not to" are not reports. The sentence must name who was told, or say "reported"."""
        if not self.reported_in_sentence(start, end):
            return False
        left, right = _sentence_bounds(self.text, start)
        if any(left <= b.start < right and not b.negated for b in self.bodies):
            return True
        return bool(cue("report_words_on_their_own")(self.text[left:right].lower()))

    @property
    def story_report_dates(self) -> List[dt.date]:
        """Dates told in passing that the same sentence says were reports."""
        return sorted(
            {
                d.date
                for d in self.dates
                if not d.start_point and not d.names_incident and self.sentence_names_a_report(d.start, d.end)
            }
        )

    @property
    def story_bodies(self) -> List[str]:
        """Bodies told in passing that the same sentence says were told ("the police would patrol"
        is not, nor "the PCSO told me to try the case review": the body is the one telling)."""
        return unique(
            b.body
            for b in self.bodies
            if not b.negated
            and not self.body_is_the_teller(b)
            and (self.reported_in_sentence(b.start, b.end) or b.body in ("private_landlord",))
        )

    def body_is_the_teller(self, mention: "BodyMention") -> bool:
        after = self.text[mention.end : mention.end + 60].lower()
        return bool(
            re.match(
                r"^\s*(who [\w ]{0,30}?\s)?(\w+\s+){0,4}?(told|tells|said|says|advised|suggested|recommended|mentioned)\s+(me|us|to)\b",
                after,
            )
        )


def _sentence_bounds(text: str, start: int, end: Optional[int] = None) -> Tuple[int, int]:
    """Where the sentence holding text[start:end] begins and ends."""
    end = start if end is None else end
    left = max([0] + [m.end() for m in re.finditer(r"[.!?\n]", text[:start])])
    right = min([len(text)] + [end + m.start() for m in re.finditer(r"[.!?\n]", text[end:])])
    return left, right


def _sentence(text: str, position: int) -> str:
    left, right = _sentence_bounds(text, position)
    return text[left:right]


def unique(items) -> list:
    """The items in their first order, each once."""
    seen: list = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _clause_start(text: str, position: int) -> int:
    start = 0
    for found in CLAUSE_BREAK.finditer(text, 0, position):
        start = found.end()
    return start


def _clause_end(text: str, position: int) -> int:
    found = CLAUSE_BREAK.search(text, position)
    return found.start() if found else len(text)


def _bodies(text: str, entities) -> List[BodyMention]:
    found = [BodyMention(e["value"], e["start"], e["end"]) for e in entities if e["entity"] == "organisation"]
    for name, body in (("private_landlord", "private_landlord"), ("other_body", "other")):
        for match in cue(name).finditer(text):
            overlapping = [b for b in found if b.start < match.end() and match.start() < b.end]
            for mention in overlapping:
                found.remove(mention)
            found.append(BodyMention(body, match.start(), match.end()))
    for match in re.finditer(
        r"\b(i'?m|i am|as) (one of )?(the |a |an |your |their |his |her )?([\w-]+ ){0,3}(councillors?|councilors?|mp|caseworker|case worker|support worker|social worker|carer|warden)\b",
        text,
    ):
        found = [b for b in found if not (b.start < match.end() and match.start() < b.end)]  # the applicant, not a body told
    for match in re.finditer(
        r"\bhousing (officer|office|team|department|dept|people|lady|man)( at| from| with| for)( the)? (council|erewash)\b|\b(erewash|council'?s?|borough) housing\b",
        text,
    ):
        found = [b for b in found if not (b.start < match.end() and match.start() < b.end)]
        found.append(BodyMention("social_landlord", match.start(), match.end()))
    # "the PCSO at the surgery", "the police outside the school": where a body was met, not another told.
    found = [
        m
        for m in found
        if not (
            m.body in ("health", "other")
            and re.search(r"\b(at|outside|near|by)\s+((the|my|our|a)\s+)?$", text[max(0, m.start - 12) : m.start])
            and any(o.body != m.body and o.end <= m.start and m.start - o.end <= 25 for o in found)
        )
    ]
    for match in cue("social_landlord_words").finditer(text):
        for mention in found:
            if mention.body == "landlord" and mention.start < match.end() + 30 and match.start() < mention.end + 30:
                mention.body = "social_landlord"
    for mention in found:
        if mention.body == "landlord":
            near = text[max(0, mention.start - 40) : mention.end + 40]
            if cue("private_answer")(near) and not cue("social_answer")(near.replace("council", "")):
                mention.body = "private_landlord"
    # "no one at the council rang me back": a body inside a staff story is still a body told.
    negation = cue("not_told")
    for mention in found:
        clause = text[_clause_start(text, mention.start) : mention.start]
        match = None
        for match in negation.finditer(clause):
            pass
        if match is not None and not re.search(
            r"\b(and|also|then|but)\s+(i |we )?(told|reported|rang|called|phoned)\b", clause[match.end() :], re.I
        ):
            mention.negated = True
    # "not the council or the police", "never to the police": a body right after "not", and
    # the bodies listed after a negated one.
    found.sort(key=lambda b: b.start)
    for index, mention in enumerate(found):
        before = text[max(0, mention.start - 30) : mention.start]
        if re.search(
            r"\b(not|never|nor|no|nothing to|neither)\s+(even\s+)?(to\s+|with\s+|rung\s+|rang\s+|called\s+)?(the\s+|my\s+|our\s+|a\s+)?$",
            before,
            re.I,
        ):
            mention.negated = True
        elif (
            index
            and found[index - 1].negated
            and re.fullmatch(
                r"[\s,]*([a-z']+[\s,]+){0,2}?(or|and|nor|n|&)?[\s,]*(to\s+)?(the|my|our|a)?\s*",
                text[found[index - 1].end : mention.start],
                re.I,
            )
        ):
            mention.negated = True
    for mention in found:
        clause_end = _clause_end(text, mention.end)
        sentence = text[_clause_start(text, mention.start) : clause_end + 1]
        if (
            re.search(
                r"\b(do i (have|need) to|should i|shall i|would i|could i|can i|do you want me to|have i got to|does it count if i)\b[^.?!]*$",
                text[_clause_start(text, mention.start) : mention.start],
                re.I,
            )
            and "?" in text[mention.end : clause_end + 2]
        ):
            mention.negated = True  # "do I have to ring the council as well?" is a question, not a report
        del sentence
    return sorted(found, key=lambda b: b.start)


WEEKDAY = re.compile(r"^(on |last |this )?(mon|tues?|wed|weds|thu|thur|thurs|fri|sat|sun)(day|nesday|sday|urday|rsday)?$", re.I)
BARE_DAY = re.compile(r"^(the )?(\d{1,2})(st|nd|rd|th)?\b(?! ?(of )?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))", re.I)
SAME_INCIDENT_GAP = re.compile(
    r"^\s*([-\u2013,(:]|one was|one were|ones? (was|were)|was|were|i mean|ie|i\.e\.?)?\s*"
    r"((i think|i'?m sure|i believe|maybe|probably|so|yes|some ?time|sumtime|like|around|about|roughly)\s*,?\s*)*((it|that) was\s+)?(on\s+)?(the\s+)?"
    r"((mon|tues|wednes|thurs|fri|satur|sun)day\s*,?\s+(the\s+)?)?$",
    re.I,
)


def _last_weekday(tidy: list):
    return next((r for r in reversed(tidy) if WEEKDAY.match(r.text.strip())), None)


def _names_weekday_of(tidy: list, reading, text: str) -> bool:
    """A weekday said just before a date that falls on it, with only its month between."""
    weekday = _last_weekday(tidy)
    if weekday is None or reading.start - weekday.end > 45 or re.search(r"[.!?;]", text[weekday.end : reading.start]):
        return False
    between = tidy[tidy.index(weekday) + 1 :]
    return reading.date.weekday() == _weekday_number(weekday.text) and all(
        r.approximate and r.date.month == reading.date.month for r in between
    )


def _weekday_number(words: str) -> int:
    found = re.search(r"(mon|tue|wed|thu|fri|sat|sun)", words.lower())
    return ("mon", "tue", "wed", "thu", "fri", "sat", "sun").index(found.group(1)) if found else -1


def _near_relative(previous, reading) -> bool:
    """ "about 3 weeks back, the 6th": a day that says exactly which date a counted-back one was."""
    return bool(re.search(r"\b(ago|back|before last)\b", previous.text, re.I)) and abs((reading.date - previous.date).days) <= 10


def _tidy(readings: list, text: str) -> list:
    """Readings as the resident meant them: "Saturday 8 August" is one date, "end of September -
    the 30th" is one, "the August one was the 19th" is 19 August, and "12th August... no sorry,
    the 19th" replaces the 12th."""
    readings = sorted((r for r in readings if r.date is not None), key=lambda r: r.start)
    tidy: list = []
    corrected_away: set = set()  # dates a self-correction took away: "I was away on the 10th" does not bring one back
    denied_at: set = set()  # "not 18th, and 16 September": only the first of a list said after "not" is denied
    last_end = 0
    for reading in readings:
        # Words since the last date said, kept or not: "yesterday... no sorry not yesterday, the
        # tuesday before, 17th nov" corrects the first yesterday, not the 20th of October before it.
        # Only dates kept end it: "No, wait, that first one's wrong ... not the Sunday ... 25 May"
        # still corrects with 25 May.
        since_last = text[last_end : reading.start]
        previous = tidy[-1] if tidy else None
        if reading.date in corrected_away and BARE_DAY.match(reading.text.strip()):
            continue
        gap = text[previous.end : reading.start] if previous else ""
        if re.match(r"^(the )?(first|second|third|last)$", reading.text.strip(), re.I) and re.match(
            r"^\s*(bit|part|half|time|one|ones|few|lot|thing|incident|report|week|month|couple|of (the|this|last) year)\b",
            text[reading.end :],
            re.I,
        ):
            continue  # "the first bit of this year", "the first one": not the 1st of the month
        if reading.start not in denied_at and re.search(
            r"\b(not|(wasn'?t|was not|weren'?t|were not|no) (one|an incident|a report|anything)s?) (the |on the |on )?$",
            text[max(0, reading.start - 30) : reading.start],
            re.I,
        ):
            denied_at.add(reading.start)
            # "the 18th of May, not the 28th": the date after "not" is the one to take away.
            day = reading.date.day
            bare = bool(BARE_DAY.match(reading.text.strip()))
            # "3rd June, 3rd August ... August was the 13th not the 3rd": a bare day is the one in
            # the month it was read in, where there is one; only otherwise every date on that day.
            same_month = [r for r in tidy if r.date.day == day and r.date.month == reading.date.month]
            tidy = [r for r in tidy if r.date.day != day or (r.date.month != reading.date.month and (not bare or same_month))]
            continue
        if (
            previous
            and WEEKDAY.match(reading.text.strip())
            and re.match(r"^\s*,?\s*((it|that|which) (was|were) )?(a |on a )?$", gap, re.I)
        ):
            continue  # "13th June, it was a Saturday": the weekday names the date before it
        if (
            previous
            and WEEKDAY.match(reading.text.strip())
            and re.match(
                r"^\s*[,-]?\s*(and\s+)?((they|them|it|these)\s+)?((were|was)\s+)?(all|both|each|always|every (one|time))\b(\s+(of them|of those|were|was|on|a|at|late|in the))*\s*$",
                gap,
                re.I,
            )
        ):
            continue  # "6 June, 25 July and 24 October, all Saturday nights": what the dates were, not another
        if WEEKDAY.match(reading.text.strip()) and re.search(
            r"\b(an?|every|any|each)\s+$", text[max(0, reading.start - 7) : reading.start], re.I
        ):
            continue  # "a Sunday timetable", "every Friday": no particular day
        if (
            previous
            and re.match(
                r"^\s*,?\s*(it|that|which) (was|were|is) (in |on )?(the )?((\w+ ){0,2}(before|after) (the )?)?$", gap, re.I
            )
            and abs((reading.date - previous.date).days) <= 7
        ):
            continue  # "Wednesday 20 May, that was the week before the bank holiday": the date before it, described
        weekday_dropped = bool(previous and len(gap) <= 3 and WEEKDAY.match(previous.text.strip()))
        if weekday_dropped:
            tidy.pop()  # "Saturday 8 August": the weekday names the date that follows
            # and "End of May, Wednesday the 27th" is still one date: the day in the month said before it
            previous = tidy[-1] if tidy else None
            gap = text[previous.end : reading.start] if previous else ""
        if not weekday_dropped and _names_weekday_of(tidy, reading, text):
            # "the Sunday of the long weekend in May, 24 May": the weekday of the date that follows
            tidy.remove(_last_weekday(tidy))
        elif (
            previous
            and (previous.approximate or _near_relative(previous, reading))
            and BARE_DAY.match(reading.text.strip())
            and int(BARE_DAY.match(reading.text.strip()).group(2)) == reading.date.day
            and SAME_INCIDENT_GAP.match(gap)
        ):
            day = reading.date.day
            try:
                merged = previous.date.replace(day=day)
            except ValueError:
                merged = None
            if merged is not None:
                tidy[-1] = type(reading)(
                    text[previous.start : reading.end], previous.start, reading.end, merged, False, previous.open_ended
                )
                last_end = max(last_end, reading.end)
                continue
        if previous and (SELF_CORRECTION.search(since_last) or re.search(r"\bno\s*,\s*$", since_last, re.I)):
            named = re.search(
                r"\bnot (the )?(\d{1,2}(st|nd|rd|th)? )?(of )?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", gap, re.I
            )
            ordinal = re.search(r"\b(the|that|my) (first|second|third|last) one\b", gap, re.I)
            same_month = [r for r in tidy if (r.date.year, r.date.month) == (reading.date.year, reading.date.month)]
            if named:
                month = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec").index(
                    named.group(5).lower()
                ) + 1
                wrong = [r for r in tidy if r.date.month == month]
            elif ordinal:
                index = {"first": 0, "second": 1, "third": 2, "last": -1}[ordinal.group(2).lower()]
                wrong = [tidy[index]] if len(tidy) > (index if index >= 0 else 0) else []
            else:
                wrong = [same_month[-1] if same_month else previous]
            for item in wrong:
                tidy.remove(item)
                corrected_away.add(item.date)
        tidy.append(reading)
        last_end = max(last_end, reading.end)
    return tidy


def _readings(entities) -> List[DateReading]:
    """The dates the language pipeline resolved (bot/nlp/extract.py): read once, not parsed again."""
    return [
        DateReading(
            e["text"],
            e["start"],
            e["end"],
            iso_date(e["value"]) if e["value"] else None,
            e["additional_info"]["approximate"],
            e["additional_info"]["open_ended"],
        )
        for e in entities
        if e["entity"] == "date"
    ]


DAY_ONLY = re.compile(r"(the\s+)?[0-3]?\d(st|nd|rd|th)?", re.I)


def _dates(text: str, today: dt.date, entities) -> Tuple[List[DateMention], List[dt.date]]:
    readings = _readings(entities)
    future = sorted({r.date for r in readings if r.date is not None and r.date > today})
    mentions: List[DateMention] = []
    before_cue, after_cue = cue("start_before_date"), cue("start_after_date")
    for reading in _tidy(readings, text):
        if reading.date is None or reading.date > today:
            continue
        before = text[_clause_start(text, reading.start) : reading.start]
        after = text[reading.end : _clause_end(text, reading.end)]
        if cue("reason_before_date").search(before.lower()):
            continue
        words = reading.text.lower()
        start_point = (
            reading.open_ended
            or bool(cue("other_event_before_date").search(before))
            # "there was a review, last December": the review's date ("since the review, 3 June" lists reports)
            or bool(words.startswith("last ") and re.search(r"\b(reviews?|reveiws?|panel|meeting|hearing)\W{1,3}$", before, re.I))
            or bool(before_cue.search(before))
            or bool(after_cue.search(text[reading.end : reading.end + 40]))
            or words.startswith(("since", "from", "ever since"))
        )
        if not start_point and cue("weak_start_before_date").search(before) and not cue("report_words")(before.lower()):
            start_point = True
        # "since 3 March I've reported it" is still a start; "reported it on 3 March" is not.
        if start_point and re.search(
            r"\b(report\w*|rang|called|phoned|told|logged|emailed)\b\s*(it|them|this|him|her)?\s*(to \w+( \w+)?)?\s*(on|in)?\s*$",
            before,
            re.I,
        ):
            start_point = bool(re.search(r"\b(since|from)\s*$", before, re.I)) or reading.open_ended
        if start_point and re.search(
            r"\b(report\w*|rang|ring|call\w*|phone\w*|told|tell|log\w*|email\w*|contact\w*)\b(\s+(it|them|this|that|him|her|anyone|anybody|the \w+))?"
            r"\s+(till|until|til|untill)\s+(the\s+|on\s+|on\s+the\s+)?((mon|tues|wednes|thurs|fri|satur|sun)day\s+(the\s+)?)?$",
            before,
            re.I,
        ):
            start_point = False  # "I didn't report it till (Tuesday) the 8th of June": that is when it was reported
        names_incident = bool(re.match(r"^\s*(ones?|incidents?|reports?|time)\b", after, re.I) and reading.approximate)
        # "the August one": an incident named by its month, not a date to add
        mentions.append(
            DateMention(
                reading.date,
                reading.start,
                reading.end,
                start_point,
                reading.approximate,
                names_incident,
                day_only=bool(DAY_ONLY.fullmatch(words.strip())),
            )
        )
    # "3 July ... the July one": a month on its own next to a day in it is the same incident.
    exact_months = {(m.date.year, m.date.month) for m in mentions if not m.approximate}
    mentions = [
        m
        for m in mentions
        if m.names_incident or not (m.approximate and m.date.day == 1 and (m.date.year, m.date.month) in exact_months)
    ]
    return mentions, future


def _counts(text: str, entities, dates: List[DateMention]) -> Tuple[Optional[int], bool, bool]:
    """(count in the window, only a total was given, "loads")."""
    window_cue, total_cue = cue("window_words"), cue("total_words")
    count_noun = re.compile(cue("count_nouns").patterns[0].pattern, re.I)
    window: Optional[int] = None
    plain: Optional[int] = None
    total = False
    many = bool(cue("many_words")(text))
    for entity in entities:
        if entity["entity"] != "incident_count":
            continue
        value = str(entity["value"])
        if value == "many":
            many = True
            continue
        if not value.isdigit():
            continue
        number = int(value)
        if any(d.start <= entity["start"] < d.end for d in dates):
            continue  # "the 3rd of May" is a date, not three incidents
        if re.search(r"\bnot\s*$", text[max(0, entity["start"] - 5) : entity["start"]]):
            continue  # "2 things, not 3"
        if re.search(
            r"\b(need|needs|needed|require|requires|required|supposed to (have|make)|have to (have|make)|threshold (is|of))\s+(\w+\s+){0,2}$",
            text[max(0, entity["start"] - 40) : entity["start"]],
        ):
            continue  # "someone told me you need three reports": the rule, not how many they made
        after = text[entity["end"] : entity["end"] + 30]
        if (
            HOUR_AFTER.match(after)
            or RATE_AFTER.match(after)
            or re.match(r"^\s*(years?|months?|weeks?|days?|hours?|nights?|kids|lads|people|men|cars|dogs|of them)\b", after, re.I)
        ):
            continue
        said = entity["text"].lower()
        inherent = said in ("once", "twice", "thrice") or "time" in said or said.endswith("x")
        clause = text[_clause_start(text, entity["start"]) : _clause_end(text, entity["end"])]
        left = max([0] + [m.end() for m in re.finditer(r",", clause[: entity["start"] - _clause_start(text, entity["start"])])])
        right = next((m.start() for m in re.finditer(r",", clause[entity["end"] - _clause_start(text, entity["start"]) :])), None)
        clause = clause[left : None if right is None else entity["end"] - _clause_start(text, entity["start"]) + right]
        if total_cue(clause) and not window_cue(clause):
            total = True
            continue
        if window_cue(clause):
            window = number
            continue
        if inherent or count_noun.match(after):
            plain = number
    if window is None:
        # "two this year", "3 in the last six months": a count the extractor does not take alone.
        found = re.search(
            r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|once|twice)( times?| incidents?| reports?)?"
            r"\s+(this year|in the last (6|six) months|since (may|june|july|the summer)|recently|lately)\b",
            text,
        )
        if found:
            word = found.group(1)
            window = int(word) if word.isdigit() else WORD_NUMBERS[word]
    count = window if window is not None else plain
    return count, total and count is None, many and count is None


def _withdrawn(bodies: List[BodyMention], low: str) -> List[BodyMention]:
    """A body taken back as the resident corrects themselves is not told: "told the council... no
    sorry it was my landlord not the council", "the council, no sorry, the police"."""
    for index, mention in enumerate(bodies):
        if mention.negated:
            continue
        later = bodies[index + 1 :]
        denied = next((m for m in later if m.body == mention.body and m.negated), None)
        between = low[mention.end : denied.start] if denied is not None else ""
        if (
            denied is not None
            and SELF_CORRECTION.search(between)
            and not re.search(r"\b(the|that|this) ([\w/]+ ){0,2}(one|time)\b", between)
        ):  # "the january one": that incident only
            mention.negated = True
            continue
        replaced = next((m for m in later if not m.negated and m.body != mention.body), None)
        if replaced is not None and re.fullmatch(
            r"\W*(no,? sorry|sorry,? no|no,? wait|i mean|no,? actually|actually)\W+((it was|it's|i mean)\s+)?(to\s+)?",
            low[mention.end : replaced.start],
        ):
            mention.negated = True
    return bodies


def _groups(
    bodies: List[BodyMention], dates: List[DateMention], text: str = "", said: Optional[List[DateMention]] = None
) -> List[Tuple[List[dt.date], List[str]]]:
    """Which dates go with which bodies, when a message pairs them ("2 Sept to the police and
    3 Nov to the council"). Empty when every body goes with every date."""
    told = [b for b in bodies if not b.negated and b.body != "landlord"]
    reports = [d for d in dates if not d.start_point and not d.approximate]  # "in June" names a month, not a day
    if len(reports) < 2 or len(told) < 2:
        return []
    # A month on its own ("101 for the June one") still ends a group: its bodies are not the next date's.
    months = [d for d in dates if not d.start_point and d.approximate]
    events = [(d.start, "date", d) for d in reports + months] + [(b.start, "body", b) for b in told]
    for word in re.finditer(
        r"\b(january|february|march|april|may|june|july|august|september|october|november|december"
        r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\b",
        text,
        re.I,
    ):
        if not any(d.start <= word.start() < d.end for d in (said if said is not None else dates)):
            events.append((word.start(), "date", DateMention(dt.date.min, word.start(), word.end(), approximate=True)))
    events.sort(key=lambda e: e[0])
    kinds = [kind for _, kind, _ in events]
    runs = [k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k]
    if runs.count("body") < 2 or runs.count("date") < 2:
        return []  # one group of bodies, or one group of dates: all with all
    dates_first = kinds[0] == "date"
    groups: List[Tuple[List[dt.date], List[str]]] = []
    pending_dates: List[dt.date] = []
    pending_bodies: List[str] = []
    leading = False  # a date that turns the order round: "..., and on 5 September she rang the police and the council"
    for index, (_, kind, item) in enumerate(events):
        if dates_first:
            if kind == "date":
                if pending_bodies:
                    groups.append((pending_dates, pending_bodies))
                    pending_dates, pending_bodies = [], []
                pending_dates.append(item.date)
            else:
                pending_bodies.append(item.body)
        else:
            if kind == "body":
                if pending_dates and not leading:
                    groups.append((pending_dates, pending_bodies))
                    pending_dates, pending_bodies = [], []
                pending_bodies.append(item.body)
            elif leading and pending_bodies:
                groups.append((pending_dates, pending_bodies))
                pending_dates, pending_bodies, leading = [item.date], [], False
            else:
                after = events[index + 1][1] if index + 1 < len(events) else None
                if (
                    after == "body"
                    and pending_dates
                    and pending_bodies
                    and re.search(r"[,;.]\s*(and\s+)?(then\s+)?(on|the)\b[^,;.]*$", text[events[index - 1][2].end : item.start])
                ):
                    groups.append((pending_dates, pending_bodies))
                    pending_dates, pending_bodies, leading = [item.date], [], True
                else:
                    pending_dates.append(item.date)
    if pending_dates and pending_bodies:
        groups.append((pending_dates, pending_bodies))
    elif pending_dates and groups:
        groups[-1][0].extend(pending_dates)
    merged: dict = {}
    for group_dates, group_bodies in groups:
        for day in group_dates:
            merged.setdefault(day, [])
            merged[day] += [b for b in unique(group_bodies) if b not in merged[day]]
    exact = {d.date for d in reports}
    return [([day], bodies) for day, bodies in sorted(merged.items()) if day in exact]


POLICE_LOG_BEFORE_DATE = re.compile(
    r"\b(?:ref(?:erence)?|crime|incident|log|case|report)\s*(?:no\.?|number|num|#)?\s*(?:is|was|:|-)?\s*(\d{1,5})\s+of\s+$", re.I
)


def _police_log_numbers(text: str, dates: List[DateMention]) -> List[Tuple[str, DateMention]]:
    """Police logs are numbered by the day: "log 482 of 3 Sept", "ref 654 of the 14th"."""
    found = []
    for date in dates:
        match = POLICE_LOG_BEFORE_DATE.search(text[max(0, date.start - 40) : date.start])
        if match:
            found.append((f"{match.group(1)} of {text[date.start : date.end]}", date))
    return found


def _reported_later(text: str, dates: List[DateMention]) -> List[Tuple[dt.date, dt.date]]:
    """ "It happened on the Saturday but I didn't ring till the Monday, the 25th": (23rd, 25th)."""
    pairs = []
    ordered = sorted(dates, key=lambda d: d.start)
    for first, second in zip(ordered, ordered[1:]):
        between = text[first.end : second.start]
        if "." in between.strip(" .")[:-1] and len(between) > 80:
            continue
        waited = re.search(
            r"\b(but|and|though|although)\b[^.]{0,60}\b(didn'?t|didnt|did not|only|never got round to|wasn'?t|couldn'?t|could not)\b[^.]{0,30}"
            r"\b(report|ring|rang|call|phone|tell|told|log|email|get through|get hold of|reach|speak to|contact)\w*\b[^.]{0,40}"
            r"\b(till|until|til|on|the)\b[^.]{0,35}$",
            between,
        ) or re.search(  # "..., I didn't ring till the sunday though, the 24th"
            r"^[\s,]*(i |we |he |she |they |mum |dad )?(didn'?t|didnt|did not|couldn'?t|could not|never got round to)\s+"
            r"(report|ring|rang|call|phone|tell|log|email|get through)\w*\b[^.]{0,30}\b(till|until|til)\b[^.]{0,40}$",
            between,
        )
        then_reported = re.search(
            r"\b(but|and|so) (i |we )?(only )?(reported|rang|called|phoned|told|logged|emailed|phone|call|ring|report|tell)( it| them| this| that)?\b([^.,;]{0,40}|[^.,;]{0,40},\s*(the\s*)?)$",
            between,
        )
        # "the 19 September party reported to the council on 21 September"
        reported_on = re.match(
            r"^\s*([a-z']+\s+){0,2}(which i |and i |i |was |were )?(reported|rang|called|phoned|logged)( it| them| this)?\b[^.,;]{0,30}\b(on|the)\s*$",
            between,
        ) or (
            re.match(r"^[\s,]*(reported|logged)( it)?( on)?( the)?( (mon|tues|wednes|thurs|fri|satur|sun)day)?\s*$", between)
            and (second.date - first.date).days <= 7
        )  # "Friday 22 May, reported Sunday 24 May"
        # "3 June it happened but we were away, rang it in when we got back on the 8th"
        happened_then_rang = (
            re.match(
                r"^\s*(it|this|that)\s+(happened|occurr?ed|was)\b[^.;]{0,60}\b(reported|rang|rung|called|phoned|logged|told)\b[^.;]{0,40}$",
                between,
            )
            and (second.date - first.date).days <= 14
        )
        # "the night of 20th June, I rang 101 on the Monday after, the 22nd"
        reported_after = (
            re.search(
                r"\b(reported|rang|rung|called|phoned|told|logged|emailed)\b[^.;]{0,40}\b(\w+day|day|morning|week) after\b[\s,]*(the\s*)?$",
                between,
            )
            and (second.date - first.date).days <= 7
        )
        # "23 May, though I couldn't get through all weekend, so I reported it on the Tuesday"
        could_not = then_reported and re.search(r"\b(couldn'?t|could not|didn'?t|did not|wasn'?t able)\b", between)
        if (
            (waited or then_reported or reported_on or reported_after or happened_then_rang)
            and first.date < second.date
            and not first.start_point
            and not first.approximate
            and not second.approximate
            and (
                reported_on
                or reported_after
                or happened_then_rang
                or could_not
                or waited
                and re.search(r"\b(till|until|til)\b", between)
                or re.search(
                    r"\b(happened|happen|occurr?ed|was|were|started|took place|kicked off|did it|egged|smashed|broke|broken|kicked|attacked|damaged)\b",
                    text[max(0, first.start - 40) : first.start] + between[:30],
                )
            )
        ):
            pairs.append((first.date, second.date))
    for report, incident in zip(ordered, ordered[1:]):
        # "wife rang the council 10 oct about the 9 oct one": reported on the first, about the second
        if (
            incident.date < report.date
            and (report.date - incident.date).days <= 14
            and re.fullmatch(r"\s*(about|for|re|regarding) (the )?", text[report.end : incident.start])
            and re.match(r"\s*(one|incident|time)\b", text[incident.end :])
            and re.search(
                r"\b(reported|rang|rung|called|phoned|told|logged|emailed)\b", text[max(0, report.start - 40) : report.start]
            )
        ):
            pairs.append((incident.date, report.date))
    for mention in ordered:
        # "the 8th of September, and I told the doctor the next morning"
        after = text[mention.end : mention.end + 70]
        if not mention.approximate and re.match(
            r"^[^.]{0,40}\b(reported|rang|told|called|phoned|emailed|logged)\b[^.]{0,30}\b(the )?(next|following) (day|morning)\b",
            after,
        ):
            pairs.append((mention.date, mention.date + dt.timedelta(days=1)))
    return pairs


NTH = {"second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4, "5th": 4}
# Between two bodies of a plain list in order ("council, police, council, police").
LIST_GAP = re.compile(r"^[\s,;/&+.-]*(?:(?:and|then|again|the|and then|after that|next)\b[\s,;/&+.-]*)*$")


def _ordinal_bodies(
    text: str,
    bodies: List[BodyMention],
    dates: List[DateMention],
    claimed: Optional[List[BodyMention]] = None,
    told_too: Optional[List[BodyMention]] = None,
) -> List[Tuple[Any, List[str]]]:
    """ "School the first time, police the other three", "February was the council", "council the
    first time, the council's form the second", "council, police, council, police": bodies for
    incidents named by their order or their month, before or without their dates. Mentions placed
    this way are added to `claimed`, so that they are not paired with a date as well; those told
    about one incident as well as the bodies told about all ("the October one I told the housing
    too") are added to `told_too` as well."""
    found: List[Tuple[Any, List[str]]] = []
    claimed = claimed if claimed is not None else []
    told_too = told_too if told_too is not None else []
    told = [b for b in bodies if not b.negated and b.body != "landlord"]
    for mention in told:
        near_after = re.sub(
            r"^\s*(on |via |through )?(101|999)\b", "", text[mention.end : mention.end + 36]
        )  # "police 101 for the first three"
        near_before = text[max(0, mention.start - 30) : mention.start]
        which = None
        nth = re.match(r"^[^,;.\n]{0,25}?\bthe (second|2nd|third|3rd|fourth|4th|fifth|5th)( one| time)?\b(?! of)", near_after)
        if nth and not re.match(r"^\s*(\w+\s+){0,3}?(on|of) the", near_after):
            which = ["nth", NTH[nth.group(1)]]
        elif re.match(r"^[^,;.\n]{0,25}?\bthe (first|1st)( one| time)\b", near_after):
            which = "first"
        elif re.match(r"^\s*(for |about |on )?the (first|1st) (two|2|three|3)\b", near_after):
            which = "first_" + re.match(r"^\s*(for |about |on )?the (first|1st) (two|2|three|3)", near_after).group(3).replace(
                "two", "2"
            ).replace("three", "3")
        elif re.match(r"^\s*(for |about |on )?the (first|1st)(,|,? and) (the )?(second|2nd)\b", near_after):
            # "the police the first and second time", "the first, second and third"
            which = (
                "first_3"
                if re.match(
                    r"^\s*(for |about |on )?the (first|1st)(,|,? and) (the )?(second|2nd)(,|,? and) (the )?(third|3rd)\b",
                    near_after,
                )
                else "first_2"
            )
        elif re.search(r"\bthe (first|1st) (two|2|three|3) (ones|times)( were| was| went to| to)?( the)?\s*$", near_before):
            # "the first 2 times the police"
            which = "first_" + re.search(r"\bthe (first|1st) (two|2|three|3) (ones|times)", near_before).group(2).replace(
                "two", "2"
            ).replace("three", "3")
        elif re.match(r"^\s*(for |about |on )?the (first|1st)( one| time| incident)?\b", near_after) or re.search(
            r"\bthe (first|1st) (one|time)( was| went to| to)?( the)?\s*$", near_before
        ):
            which = "first"
        elif re.match(r"^\s*(for |about |on )?the (last|latest|most recent)( one| time)?\b", near_after) or re.search(
            r"\bthe (last|latest) (one|time)( only| just)?( was| went to| to)?( the)?\s*$", near_before
        ):
            which = "last"
        elif re.match(r"^\s*(for |about |on )?(the )?(other|rest|others)\b", near_after) or re.search(
            r"\b(the )?(other|rest|others)( ones?| \w+)?( were| was| went to| to)( the)?\s*$", near_before
        ):
            which = "rest"
        if which is not None:
            if (which, [mention.body]) not in found:  # "police 101 for the first two": one body said twice
                found.append((which, [mention.body]))
            claimed.append(mention)
    # "The council for the dog mess, police for the other two": the one body named apart from
    # "the others" went to the one incident left, the first.
    rest = [w for w, _ in found if w == "rest"]
    unplaced = [m for m in told if m not in claimed]
    if (
        rest
        and len(found) == 1
        and len({m.body for m in unplaced}) == 1
        and unplaced[0].body not in found[0][1]
        and unplaced[0].start < claimed[0].start
    ):
        found.insert(0, ("first", [unplaced[0].body]))
        claimed.append(unplaced[0])
    exact = [d for d in dates if not d.approximate and not d.start_point]
    if not found and not exact and len(told) >= 3 and len({b.body for b in told}) < len(told):
        if all(LIST_GAP.match(text[a.end : b.start]) for a, b in zip(told, told[1:])):
            return [(["seq", index, len(told)], [mention.body]) for index, mention in enumerate(told)]
    # "june one was police, august we rang police and told futures, october just futures":
    # a clause naming one month and its bodies, with no exact date in it.
    last_months: List[str] = []
    for start, clause in _month_clauses(text, told):
        months = unique(re.findall(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(?:[a-z]*)\b", clause))
        in_clause = [b for b in told if start <= b.start < start + len(clause)]
        if not months and in_clause and last_months and _list_item(clause, start, in_clause):
            # "in September I rang the police, then the council, then my housing": the list goes on
            # about the month before it.
            for key, bodies_of in found:
                if isinstance(key, tuple) and key[:2] == ("month", last_months[-1]):
                    bodies_of += [b.body for b in in_clause if b.body not in bodies_of]
            continue
        if months:
            last_months = months
        elif in_clause:
            last_months = []
        if not months or any(start <= d.start < start + len(clause) for d in exact):
            continue
        named = unique(b.body for b in in_clause)
        if named:
            # "for the October one I emailed the council too": as well as, not instead of.
            also = bool(re.search(r"\b(too|as well|also|an all|and all)\b", clause))
            found += [((("month", month, "also") if also else ("month", month)), named) for month in months]
            if also:  # the housing told about the October one too is not told about every one
                claimed += [b for b in in_clause if b not in claimed]
                told_too += [b for b in in_clause if b not in told_too]
    # "the 9 july one was the council too": the bodies of one incident named by its date.
    for start, clause in _clauses(text, r"[,;.\n]|\band\b"):
        dated = [d for d in exact if start <= d.start < start + len(clause)]
        in_clause = [b for b in told if start <= b.start < start + len(clause) and b not in claimed]
        if (
            len(dated) == 1
            and in_clause
            and re.match(r"\s*(one|incident|time)\b", text[dated[0].end :])
            and all(b.start > dated[0].end for b in in_clause)
        ):
            also = bool(re.search(r"\b(too|as well|also|both)\b", clause))
            found.append((("day", dated[0].date.isoformat()) + (("also",) if also else ()), unique(b.body for b in in_clause)))
            claimed += in_clause
            told_too += in_clause
    # "All four to the council. On 14 September I rang the police as well": one dated incident told
    # to someone else too, after bodies said for every incident.
    every = [m.end() for m in _EVERY_TIME.finditer(text)]
    if every:
        for start, clause in _clauses(text, r"[;.\n]"):
            dated = [d for d in exact if start <= d.start < start + len(clause)]
            # after "all 4 to our letting agent, and": the bodies said for every incident come first
            after = max([e for e in every if start <= e <= start + len(clause)], default=start)
            in_clause = [b for b in told if after <= b.start < start + len(clause) and b not in claimed]
            if len(dated) == 1 and in_clause and re.search(r"\b(too|as well|also|an all|and all)\b", clause):
                found.append((("day", dated[0].date.isoformat(), "also"), unique(b.body for b in in_clause)))
                claimed += in_clause
                told_too += in_clause
    return found


def _list_item(clause: str, start: int, mentions: List[BodyMention]) -> bool:
    """A clause that only goes on listing who was told ("then the council", "and my housing too")."""
    rest = clause
    for mention in sorted(mentions, key=lambda m: m.start, reverse=True):
        rest = rest[: mention.start - start] + " " + rest[mention.end - start :]
    return bool(
        re.fullmatch(r"(\W|\b(and|then|the|my|our|a|an|also|too|as well|rang|called|phoned|told|emailed|to|with)\b)*", rest)
    )


def _clauses(text: str, separator: str):
    """(start, clause) for each stretch of text between separators, with its true offset."""
    start = 0
    for found in re.finditer(separator, text):
        yield start, text[start : found.start()]
        start = found.end()
    yield start, text[start:]


_MONTH = r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"


def _month_clauses(text: str, told: List[BodyMention]):
    """Clauses that may name a month and its bodies; "the council in september and rang 101 in
    october" is two, when each side of the "and" has its own month and its own body."""
    for start, clause in _clauses(text, r"[,;.\n]|\bthen\b"):
        pieces = list(_clauses(clause, r"\band\b"))

        def has_body(offset: int, piece: str) -> bool:
            return any(start + offset <= b.start < start + offset + len(piece) for b in told)

        if len(pieces) > 1 and all(re.search(_MONTH, piece) and has_body(offset, piece) for offset, piece in pieces):
            yield from ((start + offset, piece) for offset, piece in pieces)
        else:
            yield start, clause


# Bodies said for every incident: "police all three times", "the council each time", "all 4 to the agent".
_EVERY_TIME = re.compile(
    r"\b(all|every|each) (\w+ )?(times?|one|of them|incidents?|reports?)\b|\ball (two|three|four|five|six|seven|eight|\d+)\b[^,;.]*|\bevery time\b"
)


def _ongoing(text: str) -> Optional[bool]:
    """The last word on it wins: "they moved out but her son still has parties" goes on."""
    last_ongoing = max((m.start() for m in cue("ongoing").finditer(text)), default=-1)
    last_stopped = max((m.start() for m in cue("stopped").finditer(text)), default=-1)
    if last_ongoing < 0 and last_stopped < 0:
        return None
    if last_stopped > last_ongoing:
        # "still" before "stopped" in "it's still not stopped" is ongoing.
        window = text[max(0, last_stopped - 25) : last_stopped + 25].lower()
        if re.search(r"\b(not|never|hasn'?t|haven'?t|won'?t|doesn'?t) (\w+ )?(stopped|ended|finished|moved)\b", window):
            return True
        return False
    return True


SPEAKER_LABEL = re.compile(
    r"(?:^|(?<=[\s.!?,]))(?!(?:REF|NB|PS|RE|FYI|CAD|URN|ID|NO|TEL|PH|DOB|ASB|PC|PCSO)\s?:)([A-Z]{2,12})\s?:(?=\s)"
)


def _without_speaker_labels(text: str) -> str:
    """ "DAVE: 3rd June ... SUE: no Dave, August was the 13th": two people typing in turns. Each
    label becomes a sentence end of the same length, so every position in the text still holds."""
    return SPEAKER_LABEL.sub(lambda m: ("." if m.start() else " ") + " " * (len(m.group()) - 1), text)


def read(text: str, today: dt.date) -> Reading:
    text = _without_speaker_labels((text or "")[:READ_CHARS])
    low = text.lower().replace("\u2019", "'")
    entities = extract(text, today)
    reading = Reading(text=text)
    reading.bodies = _withdrawn(_bodies(low, entities), low)
    reading.dates, reading.future_dates = _dates(text, today, entities)
    log_numbers = _police_log_numbers(text, reading.dates)
    # "ref 654 of the 14th": a day said only as part of a police log number repeats the log's day;
    # it is no incident of its own.
    reading.dates = [
        d for d in reading.dates if not any(d is date and BARE_DAY.match(text[d.start : d.end]) for _, date in log_numbers)
    ]
    reading.count, reading.total_only, reading.many = _counts(low, entities, reading.dates)
    number = NUMBER_ONLY.match(low)
    if number:
        reading.bare_number = int(number.group(1))
    else:
        word = re.match(
            r"^\W*(?:about |around |maybe |just |only )?(once|twice|one|two|three|four|five|six|seven|eight|nine|ten|a couple|a dozen)"
            r"(?: times?| incidents?)?(?: (?:i think|so far|now|altogether|only))?\W*$",
            low,
        )
        if word:
            reading.bare_number = WORD_NUMBERS.get(word.group(1).replace("a couple", "couple"))
    if (
        reading.count is None
        and re.search(r"\b(just|only) (the )?once\b|\bjust the one\b|\bonly (the )?one\b|\bonce\b", low)
        and not cue("total_words")(low)
    ):
        reading.count = 1
    claimed: List[BodyMention] = []
    told_too: List[BodyMention] = []
    reading.ordinal_bodies = _ordinal_bodies(low, reading.bodies, reading.dates, claimed, told_too)
    # Bodies said only for one incident ("the October one I told the housing too") are not the case's.
    reading.claimed_bodies = [
        b
        for b in unique(m.body for m in told_too)
        if not any(m.body == b and m not in told_too and not m.negated for m in reading.bodies)
    ]
    reading.reported_later = _reported_later(low, reading.dates)
    # "happened on the 23rd, reported to the police on the 25th": the report date carries the bodies.
    happened = {first for first, _ in reading.reported_later}
    reading.groups = _groups(
        [b for b in reading.bodies if b not in claimed],
        [d for d in reading.dates if d.date not in happened],
        low,
        said=reading.dates,
    )
    reading.per_body_counts = bool(
        re.search(
            r"\b(police|101|council|housing|landlord|futures|agent|gp|doctor)\w*( \w+){0,2} (once|twice|\d+ times|two times|three times|a couple of times)\b"
            r"[^.]{0,60}\b(police|101|council|housing|landlord|futures|agent|gp|doctor)\w*( \w+){0,2} (once|twice|\d+ times|two times|three times|the rest|the others?)\b",
            low,
        )
    )
    ordinal = ORDINAL_ONE.search(low)
    if ordinal and len(reading.report_dates) == 1:
        reading.ordinal = ORDINALS[ordinal.group(2)]
    reading.references = unique(
        m.group(1) or m.group(2) or m.group(3)
        for m in REFERENCE.finditer(text)
        if any(ch.isdigit() for ch in (m.group(1) or m.group(2) or m.group(3)))
    )
    reading.references = [r for r in reading.references if not re.fullmatch(r"\d{1,2}[/-]\d{1,2}([/-]\d{2,4})?", r)]
    for number, date in log_numbers:
        reading.references.append(number)
        if date in reading.dates:
            reading.reference_dates.append((number, date.date))
    for match in REFERENCE.finditer(text):
        value = match.group(1) or match.group(2) or match.group(3)
        if value not in reading.references:
            continue
        before = [d for d in reading.dates if d.end <= match.start() and match.start() - d.end <= 40 and not d.start_point]
        if before:
            reading.reference_dates.append((value, before[-1].date))
    reading.nobody_told = cue("nobody_told")(low) and not reading.positive_bodies
    reading.nobody_told_answer = (cue("nobody_told_answer")(low) or reading.nobody_told) and not reading.positive_bodies
    reading.report_words = cue("report_words")(low)
    reading.dont_know = cue("dont_know")(low)
    reading.yes = cue("leading_yes")(low) or low.strip() in ("👍", "✅")
    reading.no = cue("leading_no")(low) or low.strip() in ("👎", "❌")
    if reading.yes and reading.no:
        reading.no = False
    reading.no_more_dates = cue("no_more_dates")(low)
    reading.ongoing = _ongoing(low)
    reading.may_have_stopped = cue("may_have_stopped")(low)
    reading.someone_else_hint = cue("someone_else_hint")(low)
    reading.danger = cue("danger")(low)
    reading.danger_maybe = reading.danger or cue("danger_maybe")(low)
    reading.no_danger_now = cue("no_danger_now")(low)
    reading.trouble_now = cue("trouble_now")(low) and not cue("habitual")(low)
    reading.staff_conduct = cue("staff_conduct")(low) or any(e["entity"] == "staff_conduct" for e in entities)
    for found in cue("staff_conduct_if_staff_named").finditer(low):
        if cue("staff_named")(_sentence(low, found.start())):
            reading.staff_conduct = True
    reading.not_staff_conduct = cue("not_staff_conduct")(low)
    if reading.not_staff_conduct:
        reading.staff_conduct = False
    reading.complaint_done = cue("complaint_done")(low)
    if reading.complaint_done and re.search(r"\bcomplain", low):
        reading.staff_conduct = True  # a finished complaints procedure is about how staff or a service behaved
    reading.complaint_not_done = cue("complaint_not_done")(low)
    if reading.complaint_not_done and reading.complaint_done and not cue("complaint_really_done")(low):
        reading.complaint_done = False  # "I'm waiting to hear about the second stage" is not finished
    reading.past_review = cue("past_review")(low)
    reading.reported_person = cue("reported_person")(low)
    if reading.reported_person:
        # "My neighbour keeps reporting me to the council": those reports are not the resident's.
        for found in cue("reported_person").finditer(low):
            left, right = _sentence_bounds(low, found.start(), found.end())
            reading.bodies = [b for b in reading.bodies if not (left <= b.start < right)]
            reading.dates = [d for d in reading.dates if not (left <= d.start < right)]
    if cue("for_someone_else")(low) or any(e["entity"] == "someone_else" for e in entities):
        reading.on_behalf = True
        # "the neighbours" alone names a person; only as the answer to "who is it for?" is it them.
        reading.on_behalf_by_name_only = not cue("for_someone_else")(low) and len(low.split()) <= 4
    if cue("for_myself")(low):
        reading.on_behalf = False if not cue("for_someone_else")(low) else reading.on_behalf
    # The last word on it wins: "I haven't asked her yet... she's just come in, she says yes".
    # On the same words, refused beats not asked beats yes ("hasn't agreed" is not "agreed").
    said = []
    for rank, (name, value) in enumerate((("consent_no", "no"), ("consent_not_asked", "not_asked"), ("consent_yes", "yes"))):
        for found in cue(name).finditer(low):
            end = re.search(r"[.!?\n]", low[found.end() :])
            if value == "yes" and end and end.group() == "?":
                continue  # "would a signed note do?" asks about consent; it does not give it
            said.append((found.start(), found.end(), rank, value))
    said = [s for s in said if not any(o[0] <= s[0] and s[1] <= o[1] and o[2] < s[2] for o in said)]
    if said:
        reading.consent = max(said, key=lambda s: (s[0], -s[2]))[3]
    if cue("unrelated")(low):
        reading.related = False
    elif cue("related")(low):
        reading.related = True
    for name in ("what_is", "why", "human", "help", "restart", "summary", "thanks", "goodbye", "bot", "greet", "apply"):
        if cue(f"asks.{name}")(low):
            reading.asks.append(name)
    reading.wrong = cue("wrong")(low)
    reading.asb_words = bool(
        re.search(
            r"\b(asb|anti.?social|nois[ey]|loud|music|part(y|ies)|shout\w*|scream\w*|drugs?|dealing|harass\w*|threat\w*|intimidat\w*"
            r"|abus\w*|vandal\w*|graffiti|smash\w*|damag\w*|fight\w*|dogs?|bark\w*|kids|youths?|gangs?|lads|bikes?|litter\w*"
            r"|fly.?tip\w*|rubbish|parking|throw\w*|stones?|eggs?|nuisance|bully\w*|neighbou?rs?|next door|upstairs|downstairs"
            r"|banging|swear\w*|spit\w*|racis\w*|homophob\w*|stalk\w*|follow\w* me|egg\w*|bins?|cars?|windows?|fireworks?)\b",
            low,
        )
    )
    return reading
