"""Working days in England, for the date by which receipt must be acknowledged.

Bank holidays come from the maintained `holidays` library (England subdivision of
the UK calendar), which carries one-off days such as the 2023 coronation and the
"substitute day" rules when Christmas or New Year fall at a weekend.

How many working days is the partnership's promise, a dated parameter of its file
(`acknowledgement_working_days`, casework.partnership reads it). The calendar is not: the
case review (s.104 of the 2014 Act) exists in England and Wales only, and the two share
one list of bank holidays (Banking and Financial Dealings Act 1971, Schedule 1), so
England's calendar is every partnership's.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: dt.date, count: int) -> dt.date:
    """The date `count` working days after `start` (the start day itself never counts)."""
    day = start
    remaining = count
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def acknowledge_by(received: dt.date, working_days: int) -> dt.date:
    """`working_days` working days after receipt, skipping weekends and England's bank holidays."""
    return add_working_days(received, working_days)
