"""Calendar months, as the window counts them (dateutil's relativedelta does the arithmetic).

"Within the last six months" on 31 August runs from 28 (or 29) February: a month back from a
day the shorter month lacks is that month's last day.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from dateutil.relativedelta import relativedelta

_ONE_DAY = dt.timedelta(days=1)

# Each (day, months) is worked out once: relativedelta's arithmetic costs tens of times a
# cached look-up and decide() needs it two or three times (bench/rules.py), while the days
# asked about are few: as_of is today for almost every decision, and reports lie in the window.
_DAYS_KEPT = 4096


@lru_cache(maxsize=_DAYS_KEPT)
def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier (the last day of a shorter month)."""
    return day + relativedelta(months=-months)


@lru_cache(maxsize=_DAYS_KEPT)
def months_after(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later (the last day of a shorter month)."""
    return day + relativedelta(months=months)


def leaves_window(report: dt.date, months: int) -> dt.date:
    """The first day whose window of ``months`` no longer includes a report made on ``report``.

    That is the first day D with months_before(D, months) after ``report``: the day after the
    report, ``months`` later; if that month is too short for its day, the first of the next.
    """
    next_day = report + _ONE_DAY
    day = months_after(next_day, months)
    return day if day.day == next_day.day else day + _ONE_DAY
