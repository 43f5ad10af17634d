"""The law's floor: what s.104 of the Act itself counts, which no partnership file can move.

s.104(4): the threshold is met when at least three qualifying complaints were made (or a lower
number set locally). s.104(11): a complaint qualifies when it was made within one month of the
behaviour and the application comes within six months of that behaviour. A partnership may
count more than this (Erewash counts every related incident reported within six months,
whenever it happened), never less: rules/schema.py refuses a file whose threshold is above
three or whose window is shorter than six months, and the decision says which count met the
threshold (rules/decision.py).
"""

from __future__ import annotations

import datetime as dt

from rules.dates import months_after

ACT = "Anti-social Behaviour, Crime and Policing Act 2014"
THRESHOLD_REFERENCE = f"{ACT}, s.104(4)"
QUALIFYING_REFERENCE = f"{ACT}, s.104(11)"

HIGHEST_THRESHOLD = 3  # complaints: a partnership may ask for fewer, never more
WINDOW_MONTHS = 6  # the application within six months of the behaviour
REPORTED_WITHIN_MONTHS = 1  # the complaint within one month of the behaviour


def qualifies(happened: dt.date, reported: dt.date, statutory_window_start: dt.date) -> bool:
    """Whether a complaint counts under s.104(11) itself (the partnership's other conditions,
    related incidents and bodies that take part, apply as well)."""
    if happened < statutory_window_start:
        return False
    days = (reported - happened).days
    # A calendar month is 28 to 31 days: only a report 29 to 31 days later needs the calendar.
    return days <= 28 or (days <= 31 and reported <= months_after(happened, REPORTED_WITHIN_MONTHS))
