"""Dates read and written once for the whole project: ISO text in, "25 November 2026" out.

Python's own `date.fromisoformat` accepts more shapes on 3.11+ (the web tier's 3.12 reads
"20261125") than on 3.10 (Rasa's side); `iso_date` accepts YYYY-MM-DD alone on both. Month
names come from a table, not `%B`, so the words are English whatever the machine's locale,
and the day has no leading zero without the platform-only `%-d`.
"""
from __future__ import annotations

import datetime as dt
import re

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class DateError(ValueError):
    """A value that is not a date written YYYY-MM-DD; the message names what was asked for."""


def iso_date(value: object, name: str = "date") -> dt.date:
    """`value` as a date: a date itself, or text written YYYY-MM-DD (surrounding spaces are
    ignored). Anything else, a datetime included, is a DateError:
    "NAME must be a date as YYYY-MM-DD, not '25/11/2026'"."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:  # 2026-02-30: the right shape, no such day
            pass
    raise DateError(f"{name} must be a date as YYYY-MM-DD, not {value!r}")


def long_date(day: dt.date, weekday: bool = False) -> str:
    """25 November 2026 (with `weekday`: Wednesday 25 November 2026)."""
    words = f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    return f"{WEEKDAYS[day.weekday()]} {words}" if weekday else words
