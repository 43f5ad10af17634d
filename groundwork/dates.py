"""Dates read and written once for the whole project: ISO text in, "25 November 2026" out.

Python's own `date.fromisoformat` accepts more shapes on 3.11+ (the web tier's 3.12 reads
"20261125") than on 3.10 (Rasa's side); `iso_date` accepts YYYY-MM-DD alone on both. Month
names come from a table, not `%B`, so the words are English whatever the machine's locale,
and the day has no leading zero without the platform-only `%-d`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Optional

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class DateError(ValueError):
    """A value that is not a date written YYYY-MM-DD; the message names what was asked for.

    ``no_such_day`` says why a value of the right shape is still no date (Python's reason,
    "day is out of range for month" for 2026-02-30), so a caller can word its own message;
    it is None for every other value."""

    def __init__(self, message: str, no_such_day: Optional[str] = None):
        super().__init__(message)
        self.no_such_day = no_such_day


def iso_date(value: object, name: str = "date") -> dt.date:
    """`value` as a date: a date itself, or text written YYYY-MM-DD (surrounding spaces are
    ignored). Anything else, a datetime included, is a DateError:
    "NAME must be a date as YYYY-MM-DD, not '25/11/2026'"."""
    no_such_day = None
    if isinstance(value, str):  # first: text is what nearly every caller passes
        text = value.strip()
        if _ISO_DATE.fullmatch(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError as error:  # 2026-02-30: the right shape, no such day
                no_such_day = str(error)
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise DateError(f"{name} must be a date as YYYY-MM-DD, not {value!r}", no_such_day)


def long_date(day: dt.date, weekday: bool = False) -> str:
    """25 November 2026 (with `weekday`: Wednesday 25 November 2026)."""
    words = f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    return f"{WEEKDAYS[day.weekday()]} {words}" if weekday else words
