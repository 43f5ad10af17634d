"""Reads the dates residents type, the way people write them in the UK.

`parse_dates(text, today)` finds every date expression in a message and turns it into a
calendar date:

- day first, always: "03/04" is 3 April, "12/2/25" is 12 February 2025;
- a date without a year is the most recent one on or before today ("12 Dec" said on
  25 Nov 2026 is 12 Dec 2025), so a year-less date is never in the future;
- "last Tuesday", "Tuesday just gone", "on Tuesday": the most recent Tuesday strictly before today;
- "the 5th": this month if that is not after today, else the month before;
- "in March": the most recent March that has begun, taken as the 1st and flagged approximate
  ("mid March" the 15th, "late March" the 25th, "end of March" the last day);
- "since Christmas": 25 December of the most recent Christmas, flagged open-ended;
- lists ("12 Feb, 3 March and 20 April", "12/2, 3/3 & 20/4", "the 2nd, 9th and 16th of October");
- misspellings from patterns/dates.yml ("febuary", "sept", "tues").

Relative phrases ("two weeks ago", "3 months ago") go through dateparser with UK settings.
Nothing here asks the system clock: the caller passes today (groundwork.clock.today()).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass, field

from dateutil.easter import easter
from dateutil.relativedelta import relativedelta

from bot.nlp import vocab
from groundwork.dates import long_date
from groundwork.limits import READ_CHARS

# Longest message we read in full: enough for any story; stops a pasted essay costing seconds.

DATEPARSER_SETTINGS = {
    "DATE_ORDER": "DMY",
    "PREFER_DATES_FROM": "past",
    "RETURN_AS_TIMEZONE_AWARE": False,
}


@dataclass(frozen=True)
class DateReading:
    """One date read from the text. `date` is None when the words could not be read as a real date."""

    text: str
    start: int
    end: int
    date: dt.date | None
    approximate: bool = False
    open_ended: bool = False  # "since March": the start of a period, not one incident


@dataclass(frozen=True)
class DateParse:
    dates: list[dt.date] = field(default_factory=list)  # on or before today, sorted, unique
    future: list[dt.date] = field(default_factory=list)  # understood, but after today
    approximate: list[dt.date] = field(default_factory=list)  # dates in .dates picked for a vaguer phrase
    readings: list[DateReading] = field(default_factory=list)

    @property
    def understood(self) -> str:
        """What was read, in words, e.g. "12 February 2026 and 3 March 2026"."""
        parts = []
        for day in self.dates:
            text = long_date(day)
            if day in self.approximate:
                text = f"about {text}"
            parts.append(text)
        return join_words(parts)


def join_words(parts: list[str]) -> str:
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


# --------------------------------------------------------------------------- grammar


def _alternation(words) -> str:
    unique = sorted({w.lower() for w in words}, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+").replace("'", "['’]?") for w in unique)


# Words with which residents take back what they just said ("no sorry", "I tell a lie", "I beg
# your pardon"): one list for the date reader and the conversation's reading.
SELF_CORRECTION = re.compile(
    r"\b(no,? sorry|sorry|i mean|actually|no,? wait|(i'?ve|i have|i got) (that|the|this) (\w+ ){0,3}wrong|hang on|correction|scratch that|not that|my mistake|oops|i tell a lie|i'?m wrong|i was wrong|scrap that|(i )?beg your pardon|pardon me|let me correct (that|myself))\b",
    re.I,
)


@dataclass
class _Grammar:
    month_of: dict[str, int]
    weekday_of: dict[str, int]
    ordinal_of: dict[str, int]
    day_word_of: dict[str, int]
    cardinal_of: dict[str, int]
    holiday_of: dict[str, dict]
    ambiguous_months: set[str]
    ambiguous_weekdays: set[str]
    patterns: list[tuple[str, re.Pattern]]
    frequency: re.Pattern
    vague: re.Pattern


_DAY_NOUN_GUARD = re.compile(
    r"\s*(?:times?\b|x\b|incidents?\b|occasions?\b|reports?\b|calls?\b|people\b|persons?\b|kids\b|children\b|"
    r"lads\b|of\s+(?:them|those|these|us|my|the|em)\b|am\b|pm\b|o['’]?clock\b|hours?\b|hrs?\b|mins?\b|minutes?\b|"
    r"days?\b|weeks?\b|months?\b|years?\b|yrs?\b|nights?\b|%|percent\b|floor\b|house\b|door\b|time\b|one\b|"
    r"attempt\b|go\b|try\b|round\b|offence\b|warning\b|letter\b|birthday\b|anniversary\b|road\b|street\b|avenue\b|"
    r"close\b|lane\b|drive\b|crescent\b)"
)
_POSSESSIVE_BEFORE = re.compile(r"\b(?:my|his|her|their|our|your|its|me)\s+$")
_MONTH_CONTEXT_BEFORE = re.compile(
    r"\b(?:in|since|during|from|until|till|til|by|of|last|this|before|after|around|about|back|early|mid|late|"
    r"through|throughout|over|until|between|and|to|or|end|start|beginning|middle|every)\s+$"
)
_WEEKDAY_CONTEXT_BEFORE = re.compile(r"\b(?:on|last|this|since|next|past|every|from|till|until|and|or)\s+$")
_SINCE_BEFORE = re.compile(r"\b(?:ever\s+)?since\s+$")
_RANGE_JOIN = re.compile(r"^\s*(?:to|till|til|until|-|–|and)\s*$")
_RANGE_START_BEFORE = re.compile(r"\b(?:from|between)\s+$")


@functools.lru_cache(maxsize=1)
def _grammar() -> _Grammar:
    words = vocab.load("dates")
    numbers = vocab.load("numbers")
    month_of = {w: int(m) for m, ws in words["months"].items() for w in ws}
    weekday_of = {w: int(d) for d, ws in words["weekdays"].items() for w in ws}
    ordinal_of = {w.replace("-", " "): n for w, n in numbers["ordinals"].items()}
    weak = set(numbers["weak_cardinals"])
    cardinal_of = {w: n for w, n in numbers["cardinals"].items() if w not in weak}
    # Days of the month said as plain number words before the month ("eight August", "twenty one
    # October"), as residents writing in a second language and voice typing do.
    units = {w: n for w, n in cardinal_of.items() if 1 <= n <= 9 and " " not in w}
    day_word_of = {w: n for w, n in cardinal_of.items() if 1 <= n <= 31 and " " not in w and w not in ("dozen", "couple")}
    day_word_of.update({f"twenty {w}": 20 + n for w, n in units.items()})
    day_word_of["thirty one"] = 31
    holiday_of = {}
    for holiday in words["holidays"]:
        for word in holiday["words"]:
            holiday_of[_squash(word)] = holiday

    mon = _alternation(month_of)
    wd = _alternation(weekday_of)
    ordw = _alternation(ordinal_of)
    hol = _alternation(w for h in words["holidays"] for w in h["words"])  # with their apostrophes
    cardw = _alternation(w for w in cardinal_of if " " not in w)
    daynum = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
    ordnum = r"(?:[0-3]?\d)(?:st|nd|rd|th)"
    dayitem = rf"(?:the\s+)?(?:{daynum}|{ordw})\b"
    # "the two September ones" are two incidents, not the 2nd: a number word is a day only without "the".
    dayitem_before_month = rf"(?:(?:the\s+)?(?:{daynum}|{ordw})|(?<!the\s)(?:{_alternation(day_word_of)}))\b"
    sep = r"(?:\s*,\s*(?:and\s+|&\s*)?|\s+and\s+|\s*&\s*|\s*\+\s*|\s+n\s+|\s+(?=(?:the\s+)?[0-3]?\d(?:st|nd|rd|th)\b))"
    daylist = rf"{dayitem}(?:{sep}{dayitem})*"
    daylist_before_month = rf"{dayitem_before_month}(?:{sep}{dayitem_before_month})*"
    year = r"(?:(?:19|20)\d{2}|['’]\d{2})"

    patterns = [
        ("iso", r"\b(?P<y>(?:19|20)\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
        ("numeric", r"\b(?P<d>\d{1,2})[./\-](?P<m>\d{1,2})[./\-](?P<y>\d{4}|\d{2})\b"),
        ("numeric", r"(?<![\d./])\b(?P<d>\d{1,2})/(?P<m>\d{1,2})\b(?![./]\d)"),
        # "on 3.10", "15.11": day and month with a dot, as much of Europe writes them; not a time
        # ("at 3.10", "3.10pm") or an amount ("£3.10", "2.5 hours")
        (
            "numeric",
            r"(?<![\d./£$€,])(?<!\bat\s)(?<!\bby\s)(?<!\bpast\s)(?<!\btill\s)(?<!\buntil\s)(?<!\bfrom\s)(?<!\babout\s)(?<!\baround\s)"
            r"\b(?P<d>[0-3]?\d)\.(?P<m>0?[1-9]|1[0-2])\b(?![./]\d)(?!\s*(?:am|pm|a\.m|p\.m|hrs?|hours?|mins?|minutes?|o'?clock|ish|at night|in the|miles?|km|kg|metres?|meters?|m|feet|foot|ft|inch(?:es)?|cm|yards?|litres?|pints?|mph|stone|%|percent|million|k)\b)",
        ),
        # "the night of 5-6 September", "5th to 6th Sept": one night, the first day's date
        (
            "day_month",
            rf"(?<![/.\d-])\b(?P<days>[0-3]?\d(?:st|nd|rd|th)?)\s*(?:-|–|to|into)\s*[0-3]?\d(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{mon})\b\.?(?:,?\s*(?P<year>{year})\b)?",
        ),
        (
            "day_month",
            # ("the 26th. july one the police": a sentence ends between them, two dates)
            rf"(?<![/.\d-])\b(?P<days>{daylist_before_month})(?:\s*(?:of\s+|-|/|\.(?!\s))?\s*)(?P<mon>{mon})\b\.?(?:,?\s*(?P<year>{year})\b)?",
        ),
        ("month_day", rf"\b(?P<mon>{mon})\b\.?\s+(?:the\s+)?(?P<days>{daylist})(?:,?\s*(?P<year>{year})\b)?"),
        (
            "month",
            rf"\b(?:(?P<last>last|this\s+past|this)\s+)?(?:(?P<pos>early|mid|middle\s+of|late|end\s+of|the\s+end\s+of|(?:the\s+)?last\s+day\s+of|start\s+of|the\s+start\s+of|beginning\s+of|the\s+beginning\s+of)\s+|mid-)?(?P<mon>{mon})\b(?:\s+(?P<year>(?:19|20)\d{{2}})\b)?",
        ),
        (
            "weekday",
            rf"\b(?:(?P<pre>last|this\s+past|this|next)\s+)?(?P<wd>{wd})\b\.?(?:\s+(?P<post>just\s+gone|gone|just\s+past|before\s+last|last))?(?:\s+(?:night|nite|morning|afternoon|evening|eve)\b)?",
        ),
        ("before_yesterday", r"\b(?:the\s+)?day\s+before\s+yesterday\b"),
        (
            "yesterday",
            r"\b(?:yesterday|yesterdy|yesturday|yestarday|yesteday|yday|ystrday)\b(?:\s+(?:night|nite|morning|afternoon|evening)\b)?",
        ),
        ("yesterday", r"\blast\s+(?:night|nite|nyt|evening)\b"),
        (
            "today",
            r"\b(?:today|tonight|tonite|2nite|2day|this\s+morning|this\s+afternoon|this\s+evening|earlier\s+today|earlier\s+on)\b",
        ),
        (
            "ago",
            rf"\b(?P<n>\d{{1,3}}|{cardw}|an?|a\s+couple\s+of|a\s+couple|couple\s+of|a\s+few|few|several)\s+(?P<unit>days?|nights?|weeks?|wks?|months?|mnths?|years?|yrs?|fortnights?)\s+(?:ago|back)\b",
        ),
        # "the weekend before last", "the week before last": a week further back than "last weekend"
        ("last_unit", r"\b(?:the\s+)?(?P<unit>week|weekend)\s+(?P<before>before\s+last)\b"),
        ("last_unit", r"\blast\s+(?P<unit>week|weekend|month)\b"),
        ("other_day", r"\bthe\s+other\s+(?:day|night)\b"),
        ("future", r"\b(?:tomorrow|tomoz|tmrw|tmw|2moro|2morrow|2mrw)\b"),
        ("next_unit", r"\bnext\s+(?P<unit>week|month|year)\b"),
        ("holiday", rf"\b(?:last\s+)?(?P<hol>{hol})\b(?:\s+(?P<year>(?:19|20)\d{{2}})\b)?"),
        # "3 weeks ago tuesday": that weekday in the week three weeks back.
        (
            "weeks_ago_weekday",
            rf"\b(?P<n>\d{{1,2}}|{cardw}|an?)\s+(?P<unit>weeks?|wks?|fortnights?)\s+ago\s+(?:on\s+|last\s+|this\s+)?(?:(?:the|on\s+the)\s+)?(?P<wd>{wd})\b",
        ),
        # "a fortnight last Friday", "a week last Monday": that long before last Friday.
        (
            "before_last_weekday",
            rf"\b(?P<n>\d{{1,2}}|{cardw}|an?)\s+(?P<unit>weeks?|wks?|fortnights?)\s+(?:last|gone|past)\s+(?P<wd>{wd})\b",
        ),
        # "the first Saturday in October", "the last Friday of August".
        (
            "nth_weekday",
            rf"\b(?:the\s+)?(?P<nth>first|1st|second|2nd|third|3rd|fourth|4th|last)\s+(?P<wd>{wd})\s+(?:in|of)\s+(?P<mon>{mon})\b",
        ),
        # "the Friday after bonfire night", "the weekend before Christmas".
        # "the Tuesday before the May bank holiday": the month picks among the bank holidays
        (
            "weekday_by_holiday",
            rf"\b(?:the\s+)?(?P<wd>{wd}|weekend)\s+(?P<rel>before|after)\s+(?:the\s+)?(?:(?:{mon})\s+)?(?P<hol>{hol})\b",
        ),
        # "the Saturday of the May bank holiday weekend": a day of that long weekend.
        (
            "weekday_of_holiday",
            rf"\b(?:the\s+)?(?P<wd>{wd})\s+(?:of|over|on)\s+(?:the\s+)?(?:(?P<mon>{mon})\s+)?(?P<hol>{hol})(?:\s+weekend)?\b",
        ),
        # "the start of the month", "the end of last month".
        ("month_part", r"\b(?:the\s+)?(?P<pos>start|beginning|middle|end)\s+of\s+(?P<which>this|the|last)\s+month\b"),
        ("ordinal", rf"(?<![/.\d-])\b(?P<days>(?:the\s+)?{ordnum}(?:{sep}(?:the\s+)?{ordnum})*)\b"),
        ("ordinal", rf"\bthe\s+(?P<days>{ordw})\b(?!\s+(?:time|one|thing|person|floor|of\s+all))"),
    ]
    compiled = [(kind, re.compile(rx)) for kind, rx in patterns]
    frequency = re.compile(rf"\b(?:{_alternation(words['frequency'])})(?![\w/])")
    vague = re.compile(rf"\b(?:{_alternation(words['vague'])})\b")
    return _Grammar(
        month_of=month_of,
        weekday_of=weekday_of,
        ordinal_of=ordinal_of,
        day_word_of=day_word_of,
        cardinal_of=cardinal_of,
        holiday_of=holiday_of,
        ambiguous_months=set(words["ambiguous_months"]),
        ambiguous_weekdays=set(words["ambiguous_weekdays"]),
        patterns=compiled,
        frequency=frequency,
        vague=vague,
    )


def _squash(words: str) -> str:
    return re.sub(r"\s+", " ", words.lower().replace("’", "'").replace("'", "")).strip()


_NUMBER_WORD_HYPHEN = re.compile(
    r"\b(twenty|thirty)-(?=(?:one|two|three|four|five|six|seven|eight|nine|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)\b)"
)
# Dictated punctuation ("the 24th of May comma then..."), each replaced by its mark padded to the same length.
_SPOKEN_PUNCTUATION = re.compile(r"\b(comma|full stop)\b")


def _lower_same_length(text: str) -> str:
    """Lower case without changing any offset (some characters lower into two); "twenty-sixth"
    reads as "twenty sixth" and a dictated "comma" or "full stop" as its mark."""
    low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    low = _NUMBER_WORD_HYPHEN.sub(lambda m: m.group(1) + " ", low)
    return _SPOKEN_PUNCTUATION.sub(lambda m: ("," if m.group(1) == "comma" else ".").ljust(len(m.group(1))), low)


# --------------------------------------------------------------------------- finding


@dataclass
class _Match:
    kind: str
    start: int
    end: int
    groups: dict
    open_ended: bool = False


def _candidates(low: str) -> list[_Match]:
    grammar = _grammar()
    found = []
    for kind, rx in grammar.patterns:
        for m in rx.finditer(low):
            if m.end() == m.start():
                continue
            match = _Match(kind, m.start(), m.end(), {k: v for k, v in m.groupdict().items() if v})
            if _plausible(match, low):
                found.append(match)
    for m in grammar.vague.finditer(low):
        found.append(_Match("vague", m.start(), m.end(), {}))
    # Longest first, then leftmost: "12 Feb" beats "Feb", "two weeks ago" beats "weeks ago".
    found.sort(key=lambda c: (-(c.end - c.start), c.start))
    chosen: list[_Match] = []
    for cand in found:
        if all(cand.end <= c.start or cand.start >= c.end for c in chosen):
            chosen.append(cand)
    chosen.sort(key=lambda c: c.start)
    for match in chosen:
        while match.end > match.start + 1 and low[match.end - 1] in ".,":
            match.end -= 1  # "3rd of May." ends at the month
        before = low[max(0, match.start - 12) : match.start]
        since = _SINCE_BEFORE.search(before)
        if since and match.kind != "vague":
            match.start -= len(before) - since.start()
            match.open_ended = True
    return chosen


def _plausible(match: _Match, low: str) -> bool:
    """Rejects look-alikes: "3 times", "24/7", "I may", "the 3rd time", "his 2nd warning"."""
    grammar = _grammar()
    after = low[match.end : match.end + 24]
    before = low[max(0, match.start - 24) : match.start]
    g = match.groups
    if match.kind == "numeric" and "y" not in g:
        if (g["d"], g["m"]) == ("24", "7"):
            return False
        if re.match(r"\s*(?:times?|x)\b", after):
            return False
    if match.kind in ("month_day", "ordinal", "day_month"):
        if match.kind != "day_month" and "year" not in g and _DAY_NOUN_GUARD.match(after):
            return False
        if _POSSESSIVE_BEFORE.search(before):
            return False
    if match.kind == "month_day":
        days = g["days"]
        if re.search(r"[.!?;]\s", low[match.start : match.end]):
            return False  # "on Tuesday 26 May. The second was...": a sentence ends after the month
        if not re.search(r"\d(?:st|nd|rd|th)|[a-z]{4}", days) and "year" not in g:
            # "March 12" is fine at the end of a clause, not before another word ("may 2 people").
            if re.match(r"\s*[a-z]", after) and not re.match(r"\s*(?:and|&|at|in|on|when|then|but|or|last|this|,)\b", after):
                return False
        if (
            g["mon"] in grammar.ambiguous_months
            and g["mon"] in ("may", "march", "mar")
            and re.search(r"\b(?:i|you|he|she|it|they|we|who|that|which|this|there)\s+$", before)
        ):
            return False
    if (
        match.kind == "day_month"
        and g["mon"] == "may"
        and not re.search(r"\d(?:st|nd|rd|th)|\bof\b", low[match.start : match.end])
    ):
        # "2 may be", "they may not" (but "the 3rd of May not June" and "24 May I rang" are dates)
        if re.match(r"\s*(?:be|have|not|well|as)\b", after) and "year" not in g:
            return False
    if match.kind == "month":
        mon = g["mon"]
        if mon in grammar.ambiguous_months and not (g.get("pos") or g.get("year") or g.get("last")):
            whole = low.strip(" .!?,") == low[match.start : match.end]
            # "sept sumtime like 10th?": a day of it said just after
            # ("march sometime the 14th": a verb is not followed by "sometime the 14th")
            day_after = (
                re.match(r"[\s,]*(?:[a-z]+\s+){0,3}(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b", after)
                if mon not in ("may", "march", "mar")
                else re.match(
                    r"[\s,]*(?:sometime|some time|i think|around|about)[\s,]+(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b", after
                )
            )
            # "the may one", "the march incident": a month naming an incident
            names_one = re.match(r"\s+(?:one|ones|incident|incidents|time|report)\b", after) and re.search(r"\bthe\s+$", before)
            if not (whole or _MONTH_CONTEXT_BEFORE.search(before) or day_after or names_one):
                return False
    if match.kind == "ordinal" and not re.search(r"\d", g["days"]):
        # "the second" is an order ("the council form the second") unless it reads as a day:
        # "on the second", "it was the third", "the Wednesday, the second", or the whole answer.
        whole = low.strip(" .!?,") == low[match.start : match.end]
        if not (
            whole
            or re.search(r"\b(?:on|was|were|it's|its|from|by)\s+$|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day[\s,]*$", before)
        ):
            return False
    if match.kind == "weekday":
        wd = g["wd"]
        if wd in grammar.ambiguous_weekdays and not (g.get("pre") or g.get("post")):
            whole = low.strip(" .!?,") == low[match.start : match.end]
            if not (whole or _WEEKDAY_CONTEXT_BEFORE.search(before)):
                return False
    return True


def find_date_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the date expressions in `text` (as typed), without resolving them.

    Used by the entity extractor; skips vague phrases ("ages ago") that name no date.
    """
    low = _lower_same_length(text[:READ_CHARS])
    return [(m.start, m.end) for m in _candidates(low) if m.kind != "vague"]


# --------------------------------------------------------------------------- resolving


def _most_recent(month: int, day: int, today: dt.date) -> dt.date | None:
    """The latest date with this month and day on or before today; None if no year has it."""
    for year in range(today.year, today.year - 9, -1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    return None


def _with_year(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _year(text: str | None) -> int | None:
    if not text:
        return None
    digits = re.sub(r"\D", "", text)
    value = int(digits)
    return 2000 + value if len(digits) == 2 else value


def _day_numbers(days_text: str) -> list[int | None]:
    grammar = _grammar()
    items = re.split(
        r"\s*,\s*(?:and\s+|&\s*)?|\s+and\s+|\s*&\s*|\s*\+\s*|\s+n\s+|(?<!the)\s+(?=(?:the\s+)?\d)", days_text.strip()
    )
    values: list[int | None] = []
    for item in items:
        item = re.sub(r"^the\s+", "", item.strip())
        item = re.sub(r"\s+", " ", item.replace("-", " "))
        if not item:
            continue
        if item in grammar.ordinal_of:
            values.append(grammar.ordinal_of[item])
            continue
        if item in grammar.day_word_of:
            values.append(grammar.day_word_of[item])
            continue
        digits = re.match(r"(\d+)(st|nd|rd|th)?$", item)
        values.append(int(digits.group(1)) if digits else None)
    return values


@dataclass
class _Resolved:
    date: dt.date | None
    approximate: bool = False


def _resolve(match: _Match, low: str, today: dt.date) -> list[_Resolved]:
    g = match.groups
    grammar = _grammar()
    kind = match.kind
    if kind in ("iso", "numeric"):
        day, month = int(g["d"]), int(g["m"])
        year = _year(g.get("y"))
        if year is None:
            return [_Resolved(_most_recent(month, day, today) if 1 <= month <= 12 else None)]
        return [_Resolved(_with_year(year, month, day))]
    if kind in ("day_month", "month_day"):
        month = grammar.month_of[_squash(g["mon"])]
        year = _year(g.get("year"))
        out = []
        for day in _day_numbers(g["days"]):
            if day is None:
                out.append(_Resolved(None))
            elif year is None:
                out.append(_Resolved(_most_recent(month, day, today)))
            else:
                out.append(_Resolved(_with_year(year, month, day)))
        return out
    if kind == "month":
        month = grammar.month_of[_squash(g["mon"])]
        year = _year(g.get("year"))
        if year is None:
            year = today.year if month <= today.month else today.year - 1
        pos = re.sub(r"\s+", " ", g.get("pos", "") or "")
        last_day = calendar.monthrange(year, month)[1]
        day = {
            "mid": 15,
            "middle of": 15,
            "late": 25,
            "end of": last_day,
            "the end of": last_day,
            "last day of": last_day,
            "the last day of": last_day,
        }.get(pos, 1)
        if "mid" in match_text(low, match) and not pos:
            day = 15
        resolved = dt.date(year, month, day)
        if g.get("year") is None and resolved > today:
            resolved = today  # "end of November" said on 25 November
        return [_Resolved(resolved, approximate=True)]
    if kind == "weekday":
        weekday = grammar.weekday_of[_squash(g["wd"])]
        pre = re.sub(r"\s+", " ", g.get("pre", "") or "")
        post = re.sub(r"\s+", " ", g.get("post", "") or "")
        if pre == "next":
            ahead = (weekday - today.weekday()) % 7 or 7
            return [_Resolved(today + dt.timedelta(days=ahead))]
        back = (today.weekday() - weekday) % 7 or 7
        if post == "before last":
            back += 7
        return [_Resolved(today - dt.timedelta(days=back))]
    if kind == "before_yesterday":
        return [_Resolved(today - dt.timedelta(days=2))]
    if kind == "yesterday":
        return [_Resolved(today - dt.timedelta(days=1))]
    if kind == "today":
        return [_Resolved(today)]
    if kind == "ago":
        return [_resolve_ago(g["n"], g["unit"], today)]
    if kind == "last_unit":
        unit = g["unit"]
        further = 7 if g.get("before") else 0
        if unit == "week":
            return [_Resolved(today - dt.timedelta(days=7 + further), approximate=True)]
        if unit == "weekend":
            back = (today.weekday() - 5) % 7 or 7
            if today.weekday() == 6:
                back = 8
            return [_Resolved(today - dt.timedelta(days=back + further), approximate=True)]
        return [_Resolved(today - relativedelta(months=1), approximate=True)]
    if kind == "other_day":
        return [_Resolved(today - dt.timedelta(days=2), approximate=True)]
    if kind == "future":
        return [_Resolved(today + dt.timedelta(days=1))]
    if kind == "next_unit":
        step = {"week": relativedelta(weeks=1), "month": relativedelta(months=1), "year": relativedelta(years=1)}
        return [_Resolved(today + step[g["unit"]], approximate=True)]
    if kind == "holiday":
        holiday = grammar.holiday_of[_squash(g["hol"])]
        year = _year(g.get("year"))
        if "mondays" in holiday:
            day = _bank_holiday(
                holiday["mondays"], low[max(0, match.start - 16) : match.end], low[match.end : match.end + 30], year, today
            )
        else:
            day = _holiday(holiday, year, today)
        shift = re.search(
            r"\b(day|night|evening|morning|week|fortnight)\s+(before|after)\s+(?:the\s+)?$",
            low[max(0, match.start - 24) : match.start],
        )
        if day is not None and shift:  # "the day after boxing day", "the night before bonfire night"
            days = {"week": 7, "fortnight": 14}.get(shift.group(1), 1)
            day += dt.timedelta(days=-days if shift.group(2) == "before" else days)
            if day > today:
                return [_Resolved(None)]
        return [_Resolved(day)]
    if kind in ("weeks_ago_weekday", "before_last_weekday"):
        weekday = grammar.weekday_of[_squash(g["wd"])]
        amount = g["n"]
        n = int(amount) if amount.isdigit() else 1 if amount in ("a", "an") else grammar.cardinal_of.get(amount, 1)
        weeks = n * (2 if g["unit"].startswith("fortnight") else 1)
        if kind == "weeks_ago_weekday":
            then = today - dt.timedelta(weeks=weeks)
            return [_Resolved(then - dt.timedelta(days=then.weekday() - weekday))]
        last = today - dt.timedelta(days=(today.weekday() - weekday) % 7 or 7)
        return [_Resolved(last - dt.timedelta(weeks=weeks))]
    if kind == "nth_weekday":
        weekday = grammar.weekday_of[_squash(g["wd"])]
        month = grammar.month_of[_squash(g["mon"])]
        year = today.year if month <= today.month else today.year - 1
        days = [
            d
            for d in (dt.date(year, month, n) for n in range(1, calendar.monthrange(year, month)[1] + 1))
            if d.weekday() == weekday
        ]
        which = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "last": -1}[g["nth"]]
        day = days[which]
        return [_Resolved(day if day <= today else None)]
    if kind == "weekday_by_holiday":
        holiday = grammar.holiday_of[_squash(g["hol"])]
        # "the Wednesday before the bank holiday in May": the bank holiday of the month named after it
        anchor = (
            _bank_holiday(holiday["mondays"], low[match.start : match.end], low[match.end : match.end + 30], None, today)
            if "mondays" in holiday
            else _holiday(holiday, None, today)
        )
        if anchor is None:
            return [_Resolved(None)]
        weekday = 5 if g["wd"] == "weekend" else grammar.weekday_of[_squash(g["wd"])]
        day = _weekday_by(anchor, weekday, g["rel"])
        return [_Resolved(day if day <= today else None, approximate=g["wd"] == "weekend")]
    if kind == "weekday_of_holiday":
        holiday = grammar.holiday_of[_squash(g["hol"])]
        mondays = holiday.get("mondays") or ([holiday["monday"]] if "monday" in holiday else [])
        if not mondays:
            return [_Resolved(None)]
        month = grammar.month_of[g["mon"]] if g.get("mon") else None
        choices = [(m, which) for m, which in mondays if month is None or m == month]
        weekday = grammar.weekday_of[_squash(g["wd"])]
        offset = {4: -3, 5: -2, 6: -1, 0: 0, 1: 1}.get(weekday)
        if offset is None:
            return [_Resolved(None)]
        days = [m + dt.timedelta(days=offset) for m in _mondays_in(choices, {today.year, today.year - 1}, today)]
        days = [d for d in days if d <= today]
        if not days:
            return [_Resolved(None)]
        # "..., I didn't ring till the sunday though, the 24th": the day said next says which weekend
        said = re.search(r"\bthe\s+(\d{1,2})(?:st|nd|rd|th)\b", low[match.end : match.end + 80])
        pinned = [d for d in days if said and 0 <= int(said.group(1)) - d.day <= 3]
        return [_Resolved(max(pinned or days))]
    if kind == "month_part":
        start = today.replace(day=1) - (relativedelta(months=1) if g["which"] == "last" else relativedelta())
        last_day = calendar.monthrange(start.year, start.month)[1]
        day = {"start": 1, "beginning": 1, "middle": 15, "end": last_day}[g["pos"]]
        resolved = start.replace(day=day)
        return [_Resolved(min(resolved, today), approximate=True)]
    if kind == "ordinal":
        out = []
        for day in _day_numbers(g["days"]):
            out.append(_Resolved(_this_or_previous_month(day, today) if day else None))
        return out
    return [_Resolved(None)]


def match_text(low: str, match: _Match) -> str:
    return low[match.start : match.end]


def _holiday(holiday: dict, year: int | None, today: dt.date) -> dt.date | None:
    def on(y: int) -> dt.date:
        if "easter" in holiday:
            return easter(y) + dt.timedelta(days=holiday["easter"])
        for weekday, name in ((0, "monday"), (6, "sunday")):
            if name in holiday:
                month, which = holiday[name]
                days = [
                    d
                    for d in (dt.date(y, month, n) for n in range(1, calendar.monthrange(y, month)[1] + 1))
                    if d.weekday() == weekday
                ]
                return days[which if which < 0 else which - 1]
        return dt.date(y, holiday["month"], holiday["day"])

    if year is not None:
        return on(year)
    for y in (today.year, today.year - 1):
        if on(y) <= today:
            return on(y)
    return None


def _holiday_entry(match: _Match) -> dict:
    return _grammar().holiday_of[_squash(match.groups["hol"])]


def _mondays_in(mondays: list, years, today: dt.date) -> list[dt.date]:
    """These Monday bank holidays (`[month, which]`) in each of `years` (None: the most recent)."""
    found = (_holiday({"monday": [month, which]}, year, today) for month, which in mondays for year in years)
    return [day for day in found if day is not None]


def _weekday_by(anchor: dt.date, weekday: int, rel: str) -> dt.date:
    """ "The Friday after bonfire night": the nearest such weekday before or after the anchor."""
    if rel == "before":
        return anchor - dt.timedelta(days=(anchor.weekday() - weekday) % 7 or 7)
    return anchor + dt.timedelta(days=(weekday - anchor.weekday()) % 7 or 7)


def _month_named_after(after: str) -> re.Match | None:
    """ "...at the end of May", "...in August" right after a bank holiday: which one it is."""
    months = "|".join(_grammar().month_of)
    return re.match(
        rf"\s*(?:monday\s+|weekend\s+)?(?:at\s+the\s+|the\s+)?((?:end|start|beginning)\s+of|in|of)\s+({months})\b", after
    )


def _bank_holiday(mondays: list, before: str, after: str, year: int | None, today: dt.date) -> dt.date | None:
    """The most recent of these Monday bank holidays, or the one in the month named next to it:
    "the May bank holiday", "the bank holiday at the end of May" (not a month later in the list)."""
    grammar = _grammar()
    said_before = re.search(rf"\b({'|'.join(grammar.month_of)})\s+(?:bank\s+hol\w*|bank)", before)  # "the May bank holiday"
    said_after = _month_named_after(after)
    named = [said_before.group(1)] if said_before else [said_after.group(2)] if said_after else []
    months = {grammar.month_of[m] for m in named}
    late = bool(re.search(r"\b(end|late|last|spring|whit\w*)\b", before + (said_after.group(0) if said_after else "")))
    choices = [(month, which) for month, which in mondays if not months or month in months]
    if len(choices) > 1 and months == {5}:
        choices = [c for c in choices if (c[1] == -1) == late]
    days = _mondays_in(choices, [year], today)
    return max(days) if days else None


def _this_or_previous_month(day: int, today: dt.date) -> dt.date | None:
    if not 1 <= day <= 31:
        return None
    first = today.replace(day=1)
    for back in range(0, 13):
        month_start = first - relativedelta(months=back)
        candidate = _with_year(month_start.year, month_start.month, day)
        if candidate and candidate <= today:
            return candidate
    return None


def _resolve_ago(amount: str, unit: str, today: dt.date) -> _Resolved:
    grammar = _grammar()
    amount = re.sub(r"\s+", " ", amount)
    approximate = False
    if amount.isdigit():
        n = int(amount)
    elif amount in ("a", "an"):
        n = 1
    elif "couple" in amount:
        n, approximate = 2, True
    elif amount in ("a few", "few", "several"):
        n, approximate = 3, True
    else:
        n = grammar.cardinal_of.get(amount, 1)
    unit = unit.rstrip("s")
    if unit in ("wk",):
        unit = "week"
    if unit in ("yr",):
        unit = "year"
    if unit in ("mnth",):
        unit = "month"
    if unit == "night":
        unit = "day"
    if unit == "fortnight":
        n, unit = n * 2, "week"
    if unit in ("month", "year"):
        approximate = True
    parsed = _dateparser(f"{n} {unit}s ago", today)
    if parsed is None:  # dateparser missing or puzzled: plain arithmetic
        step = {
            "day": relativedelta(days=n),
            "week": relativedelta(weeks=n),
            "month": relativedelta(months=n),
            "year": relativedelta(years=n),
        }[unit]
        parsed = today - step
    return _Resolved(parsed, approximate=approximate)


def _dateparser(phrase: str, today: dt.date) -> dt.date | None:
    import dateparser  # slow first import; only needed for relative phrases

    settings = dict(DATEPARSER_SETTINGS, RELATIVE_BASE=dt.datetime.combine(today, dt.time(12)))
    result = dateparser.parse(phrase, languages=["en"], settings=settings)
    return result.date() if result else None


# --------------------------------------------------------------------------- the API


def parse_dates(text: str, today: dt.date) -> DateParse:
    """Every date in `text`, read as of `today` (see the module docstring for the rules)."""
    if not isinstance(today, dt.date):
        raise TypeError("today must be a datetime.date (use groundwork.clock.today())")
    if isinstance(today, dt.datetime):
        today = today.date()
    text = (text or "")[:READ_CHARS]
    low = _lower_same_length(text).replace("’", "'")
    matches = _candidates(low)

    readings: list[DateReading] = []
    month_named: DateReading | None = None  # the last date said with its month
    previous: _Match | None = None
    said_weekday: _Match | None = None  # the last weekday said without last/next
    previous_holiday: _Match | None = None  # a holiday said just before a rough month ("bank hol weekend end of august")
    for match in matches:
        fragment = text[match.start : match.end]
        if match.kind == "vague":
            continue  # "a while ago": no day to read
        resolved_all = _resolve(match, low, today)
        if _anaphoric(match, low, previous, month_named):
            if match.kind == "weekday":
                said_weekday = match  # "on the Monday, the 21st": the weekday still says which 21st
            continue  # "previous" stays the date it points back at
        if match.kind == "weekday" and not (match.groups.get("pre") or match.groups.get("post")):
            said_weekday = match

        if (
            match.kind in ("day_month", "month_day", "numeric")
            and previous is not None
            and previous.kind == "holiday"
            and readings
            and readings[-1].start == previous.start
            and re.fullmatch(r"[\s,(:-]*(?:week(?:end)?[\s,(:-]*)?(?:the\s+)?", low[previous.end : match.start])
            and readings[-1].date is not None
            and any(
                r.date
                and (
                    r.date.month == readings[-1].date.month
                    or (r.date.weekday() in (0, 5, 6) and "mondays" in _holiday_entry(previous))
                )
                for r in resolved_all
            )
        ):
            # "the bank holiday Monday, 25 May": the date says which bank holiday ("the August bank
            # holiday, 15th October" is a list).
            dropped = readings.pop()
            if month_named is dropped:
                month_named = None
        if (
            match.kind in ("day_month", "month_day", "numeric")
            and said_weekday is not None
            and readings
            and readings[-1].start == said_weekday.start
            and said_weekday is previous
            and not re.search(r"[.!?;]|\b(?:and|then|also|again)\b", low[said_weekday.end : match.start])
            and match.start - said_weekday.end <= 60
            and resolved_all
            and resolved_all[0].date is not None
            and resolved_all[0].date.weekday() == _grammar().weekday_of[_squash(said_weekday.groups["wd"])]
        ):
            # "the Saturday of the church coffee morning, the 26th of September": the date says which Saturday
            readings.pop()
        pinned = False  # the day already says which date it is
        if (
            match.kind == "ordinal"
            and previous is not None
            and previous.kind == "weekday_by_holiday"
            and readings
            and readings[-1].start == previous.start
            and resolved_all
            and resolved_all[0].date
            and re.fullmatch(
                r"[\s,(:-]*(?:(?:it was|that was|which was|on|so|i mean)\s+)?(?:the\s+)?", low[previous.end : match.start]
            )
        ):
            # "the Tuesday before the May bank holiday, so the 19th": the day says which bank holiday
            entry = _holiday_entry(previous)
            mondays = entry.get("mondays") or ([entry["monday"]] if "monday" in entry else [])
            wd = previous.groups["wd"]
            weekday = 5 if wd == "weekend" else _grammar().weekday_of[_squash(wd)]
            said = [
                d
                for d in (
                    _weekday_by(m, weekday, previous.groups["rel"])
                    for m in _mondays_in(mondays, {today.year, today.year - 1}, today)
                )
                if d.day == resolved_all[0].date.day and d <= today
            ]
            if said:
                readings.pop()
                resolved_all = [_Resolved(max(said))]
                pinned = True
        if (
            match.kind in ("day_month", "month_day", "numeric", "ordinal")
            and previous is not None
            and previous.kind == "weekday_by_holiday"
            and "mondays" in _holiday_entry(previous)
            and readings
            and readings[-1].start == previous.start
            and re.fullmatch(
                r"[\s,(:-]*(?:(?:it was|that was|which was|on|so|i mean)\s+)?(?:the\s+)?", low[previous.end : match.start]
            )
            and any(
                r.date
                and any(
                    abs((r.date - monday).days) <= 7
                    for monday in _mondays_in(_holiday_entry(previous)["mondays"], {r.date.year}, today)
                )
                for r in resolved_all
            )
        ):
            # "the tuesday before the bank holiday, the 19th of may": the date says which bank holiday
            dropped = readings.pop()
            if month_named is dropped:
                month_named = None
        if (
            match.kind == "ordinal"
            and previous is not None
            and previous.kind == "holiday"
            and readings
            and readings[-1].start == previous.start
            and readings[-1].date is not None
            and re.fullmatch(
                r"[\s,:()-]*(?:weekend[\s,:()-]*)?(?:(?:at\s+|in\s+)?(?:the\s+)?(?:start|beginning|middle|end)\s+of\s+[a-z]+[\s,:()-]*)?(?:(?:the|on the|it was the)\s+[a-z]+day[\s,:()-]*)?(?:(?:so|it was|that was|i mean)\s+)?(?:the\s+)?",
                low[previous.end : match.start],
            )
        ):
            # "the May bank holiday weekend - the Sunday, the 24th": the day says which date it was.
            holiday = readings.pop()
            resolved_all = [
                _Resolved(_with_year(holiday.date.year, holiday.date.month, r.date.day)) if r.date else r for r in resolved_all
            ]
            if month_named is holiday:
                month_named = None
        elif match.kind == "ordinal" and not pinned:
            rough_month = (
                readings[-1]
                if _day_of_month_just_named(low, previous, match, readings, resolved_all, today) and readings[-1].approximate
                else None
            )
            resolved_all = _ordinal_in_context(resolved_all, match, low, previous, readings, month_named, today)
            if (
                rough_month is not None
                and resolved_all
                and resolved_all[0].date
                and (resolved_all[0].date.year, resolved_all[0].date.month) == (rough_month.date.year, rough_month.date.month)
            ):
                # "the bank hol weekend end of august, the sunday so 30th": one date, the day says which
                readings.pop()
                if month_named is rough_month:
                    month_named = None
                if (
                    readings
                    and previous_holiday is not None
                    and readings[-1].start == previous_holiday.start
                    and readings[-1].date is not None
                    and abs((readings[-1].date - resolved_all[0].date).days) <= 3
                ):
                    readings.pop()
        if (
            match.kind == "weekday_by_holiday"
            and "mondays" in _holiday_entry(match)
            and month_named is not None
            and month_named.date is not None
        ):
            # "25th May... no, the Sunday before the bank holiday": the bank holiday nearest the date said.
            said = [r.date for r in readings if r.date is not None and not r.approximate]
            near = [
                (min(abs((d - x).days) for x in said), d)
                for d in _mondays_in(_holiday_entry(match)["mondays"], {d.year for d in said}, today)
            ]
            near = [(gap, d) for gap, d in near if gap <= 14]
            if near:
                weekday = 5 if match.groups["wd"] == "weekend" else _grammar().weekday_of[_squash(match.groups["wd"])]
                day = _weekday_by(min(near)[1], weekday, match.groups["rel"])
                resolved_all = [_Resolved(day if day <= today else None)]
        if (
            match.kind == "ordinal"
            and said_weekday is not None
            and said_weekday.end <= match.start
            and re.fullmatch(r"[\s,]*(?:the\s+)?", low[said_weekday.end : match.start])
            and resolved_all
            and resolved_all[0].date
        ):
            # "on the Monday, the 21st", "Saturday the 3rd": the 21st that is a Monday.
            weekday = _grammar().weekday_of[_squash(said_weekday.groups["wd"])]
            day = _day_with_weekday(
                resolved_all[0].date.day, weekday, month_named.date if month_named and month_named.date else None, today
            )
            if day is not None:
                resolved_all = [_Resolved(day)] + resolved_all[1:]
        if (
            match.kind == "holiday"
            and "mondays" in _holiday_entry(match)
            and month_named is not None
            and month_named.date is not None
        ):
            # "sat 23rd May, but I didn't report it till the bank holiday Monday": the next one after.
            after = [
                d
                for d in _mondays_in(_holiday_entry(match)["mondays"], [month_named.date.year], today)
                if month_named.date <= d <= month_named.date + dt.timedelta(days=14)
            ]
            if after and not _month_named_after(low[match.end : match.end + 30]):
                resolved_all = [_Resolved(min(after))]
        previous_holiday = match if match.kind == "holiday" else (previous_holiday if match.kind == "month" else None)
        previous = match
        for resolved in resolved_all:
            readings.append(DateReading(fragment, match.start, match.end, resolved.date, resolved.approximate, match.open_ended))
            if resolved.date is not None and match.kind in _MONTH_KINDS:
                month_named = readings[-1]

    readings = _named_later(readings, matches, today)
    # "every night since March" describes a stretch of time: no guess at a date from its words
    describes_a_period = bool(_periods(text, low, matches))

    if not matches and not describes_a_period and text.strip():
        fallback = _fallback(text, today)
        if fallback is not None:
            readings.append(fallback)

    past = {r.date for r in readings if r.date is not None and r.date <= today}
    future = {r.date for r in readings if r.date is not None and r.date > today}
    exact = {r.date for r in readings if r.date is not None and not r.approximate}
    approximate = sorted(d for d in past if d not in exact and any(r.date == d and r.approximate for r in readings))
    return DateParse(
        dates=sorted(past),
        future=sorted(future),
        approximate=approximate,
        readings=readings,
    )


_MONTH_KINDS = ("iso", "numeric", "day_month", "month_day", "month", "holiday", "weekday_of_holiday")


def _named_later(readings: list[DateReading], matches: list[_Match], today: dt.date) -> list[DateReading]:
    """ "It was the bank holiday Monday itself ... Monday the 25th of May": a bank holiday said
    without its month, and later in the message an exact date that is a bank holiday, are one date."""
    unnamed = {
        m.start
        for m in matches
        if m.kind == "holiday" and "mondays" in _holiday_entry(m) and not re.search(r"\d", m.groups.get("year") or "")
    }
    if not unnamed:
        return readings
    mondays = [entry for m in matches if m.start in unnamed for entry in [_holiday_entry(m)["mondays"]]][0]
    keep = []
    for reading in readings:
        if (
            reading.start in unnamed
            and reading.date is not None
            and any(
                later.start > reading.end
                and later.date is not None
                and not later.approximate
                and later.start not in unnamed
                and later.date in _mondays_in(mondays, [later.date.year], today)
                for later in readings
            )
        ):
            continue
        keep.append(reading)
    return keep


def _day_with_weekday(day: int, weekday: int, after: dt.date | None, today: dt.date) -> dt.date | None:
    """ "Tuesday the 17th": the date with that day of the month that falls on that weekday: the
    first one after a date just said, else the most recent one."""
    candidates = []
    start = today.replace(day=1)
    for back in range(0, 13):
        month = start - relativedelta(months=back)
        candidate = _with_year(month.year, month.month, day)
        if candidate and candidate <= today and candidate.weekday() == weekday:
            candidates.append(candidate)
    if after is not None:
        later = [c for c in candidates if c >= after]
        if later:
            return min(later)
    return max(candidates) if candidates else None


_WEEKDAY_ONLY = re.compile(r"^(on |the |last |this )?(mon|tues|wednes|thurs|fri|satur|sun)day\b")


def _ordinal_in_context(
    resolved: list,
    match: _Match,
    low: str,
    previous: _Match | None,
    readings: list,
    month_named: DateReading | None,
    today: dt.date,
) -> list:
    """Days without their month ("the 24th") read from the dates said before them in the message."""
    said = {r.date.day: r.date for r in readings if r.date is not None and not r.approximate}
    if all(r.date and r.date.day in said for r in resolved):
        # "the eggs were the 24th October. No hang on, the 24th": a day said again is the same date.
        return [_Resolved(said[r.date.day]) for r in resolved]
    base = None
    out = list(resolved)
    if (
        month_named is not None
        and month_named.date is not None
        and out[0].date is not None
        and (
            SELF_CORRECTION.search(low[month_named.end : match.start])
            or re.search(r"\bno\s*,\s*$", low[month_named.end : match.start])
        )
    ):
        # "25 May... actually no, it was the Sunday, the 24th": the correction keeps the month.
        candidate = _with_year(month_named.date.year, month_named.date.month, out[0].date.day)
        if candidate and candidate <= today:
            out[0] = _Resolved(candidate)
            base = candidate
    if _day_of_month_just_named(low, previous, match, readings, resolved, today) and out[0].date:
        # "the end of May, the 25th": the day of the month just named.
        month_start = readings[-1].date.replace(day=1)
        out[0] = _Resolved(_with_year(month_start.year, month_start.month, out[0].date.day))
        base = out[0].date
    if (
        base is None
        and month_named is not None
        and month_named.date is not None
        and out[0].date is not None
        and all(_WEEKDAY_ONLY.match(r.text.lower()) for r in readings if r.start > month_named.start)
        and out[0].date.day > month_named.date.day
        and match.start - month_named.end <= 80
        and not re.search(r"[.!?;]", low[month_named.end : match.start])
        and re.search(
            r"\b(after|later|following|next)( that| it| this)?\b[\s,]*(the\s*)?$"
            r"|\b(got|get|came|come|were|was) (back|home)\b[\s,]*(on\s*)?(the\s*)?$"
            r"|\b(till|until|til)\b[^.;]{0,30}[\s,]+(the\s*)?$",
            low[month_named.end : match.start],
        )
    ):
        # "20th June, I rang 101 on the Monday after, the 22nd", "4 June ... rang it in when we got back on
        # the 9th": a day counted on from a date said with its month is in that month, not the most
        # recent 22nd ("7 July and the 18th" is a list: the latest 18th).
        candidate = _with_year(month_named.date.year, month_named.date.month, out[0].date.day)
        if candidate and candidate <= today:
            out[0] = _Resolved(candidate)
            base = candidate
    if base is None or len(out) < 2:
        return out
    # "the end of May, the 25th and the 28th": the rest of the list in the same month.
    for index, r in enumerate(out[1:], start=1):
        if r.date is not None and r.date.day > base.day:
            out[index] = _Resolved(_with_year(base.year, base.month, r.date.day))
    return out


def _day_of_month_just_named(
    low: str, previous: _Match | None, match: _Match, readings: list, resolved: list, today: dt.date
) -> bool:
    """ "the end of May, the 25th", "end of august, the sunday so 30th": the day is of the month just
    named. So is a day later in the same sentence after a month said alone, with no list between
    them ("in May I rang the police on the 26th", "the may one I reported on the 26th"; but "in July
    and on the 26th" may be two incidents), when that day has come."""
    if previous is None or previous.kind != "month" or not readings or readings[-1].date is None:
        return False
    between = low[previous.end : match.start]
    if re.fullmatch(
        r"[\s,:-]*(?:(?:i think|i'?m sure|i believe|so|yes|it was|that'?s|which was|maybe|probably|on|sometime|some time|around|about|roughly|the [a-z]+day)[\s,:-]*)*(?:the\s+)?",
        between,
    ):
        return True
    month = readings[-1]
    if not month.approximate or month.open_ended or len(between) > 80:
        return False
    if re.search(r"[.!?;\n,]|\b(and|then|also|plus|or|but)\b", between):
        return False
    days = [_with_year(month.date.year, month.date.month, r.date.day) for r in resolved if r.date is not None]
    return bool(days) and all(day is not None and day <= today for day in days)


def _anaphoric(match: _Match, low: str, previous: _Match | None, month_named: DateReading | None) -> bool:
    """Words that point back at a date already said rather than naming a new one: "today" in "a
    fortnight ago today", "the Wednesday" in "a fortnight ago, the Wednesday" or after a month
    ("both times in May, on the Sunday and the Monday": which Sunday is not said)."""
    before = low[max(0, match.start - 5) : match.start]
    if match.kind == "today" and previous is not None and previous.kind == "ago" and not low[previous.end : match.start].strip():
        return True
    if (
        match.kind == "holiday"
        and previous is not None
        and re.search(r"\bday\s+(?:before|after)\s+(?:the\s+)?$", low[max(0, match.start - 20) : match.start])
        and re.fullmatch(
            r"[\s,(-]*(?:it was\s+|which was\s+)?(?:the\s+)?day\s+(?:before|after)\s+(?:the\s+)?", low[previous.end : match.start]
        )
    ):
        return True  # "Sunday 24th May, the day before the bank holiday": the date already said
    if (
        match.kind == "holiday"
        and "mondays" in _holiday_entry(match)
        and previous is not None
        and previous.kind in ("day_month", "month_day", "numeric", "iso")
        and re.fullmatch(r"[\s,(-]*(?:the\s+|on\s+the\s+)?", low[previous.end : match.start])
    ):
        return True  # "sat 23 May bank holiday weekend": a date and what it was
    if (
        match.kind == "month"
        and previous is not None
        and previous.kind == "holiday"
        and re.fullmatch(r"\s*(?:monday\s+)?(?:at\s+the\s+|the\s+)?(?:in|of|at)?\s*", low[previous.end : match.start])
    ):
        return True  # "the bank holiday Monday at the end of May": which bank holiday, not another date
    if match.kind == "weekday" and not (match.groups.get("pre") or match.groups.get("post")) and before.endswith("the "):
        if previous is not None and previous.kind == "ago" and match.start - previous.end <= 25:
            return True
        if month_named is not None:
            return True
    return False


def _periods(text: str, low: str, matches: list[_Match]) -> list[str]:
    """Fragments that describe a stretch of time ("every night since March", "from May to July")."""
    spans: list[tuple[int, int]] = []
    dated = [m for m in matches if m.kind != "vague"]
    for freq in _grammar().frequency.finditer(low):
        start, end = freq.start(), freq.end()
        for m in dated:  # "every night since March" reads as one period
            if 0 <= m.start - end <= 2 and m.open_ended:
                end = m.end
        spans.append((start, end))
    for m in dated:
        if m.open_ended and not any(s <= m.start and m.end <= e for s, e in spans):
            spans.append((m.start, m.end))
    for first, second in zip(dated, dated[1:]):
        between = low[first.end : second.start]
        if _RANGE_JOIN.match(between) and _RANGE_START_BEFORE.search(low[max(0, first.start - 10) : first.start]):
            before = low[max(0, first.start - 10) : first.start]
            start = first.start - (len(before) - _RANGE_START_BEFORE.search(before).start())
            spans.append((start, second.end))
    spans.sort()
    return _unique(text[s:e] for s, e in spans)


def _fallback(text: str, today: dt.date) -> DateReading | None:
    """Last resort for a short answer our grammar missed, if dateparser reads it as a past date."""
    stripped = text.strip()
    if len(stripped) > 30 or not re.search(r"\d", stripped):
        return None
    if re.search(r"\d\s*(?:am|pm)\b|\d[.:]\d\d(?!\d)|o'?clock", stripped.lower()):
        return None  # a time of day, which dateparser would happily call today
    parsed = _dateparser(stripped, today)
    if parsed is None:
        return None
    start = text.index(stripped)
    return DateReading(stripped, start, start + len(stripped), parsed)


def _unique(items) -> list:
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
