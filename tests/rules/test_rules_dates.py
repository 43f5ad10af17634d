"""Calendar months (rules/dates.py) against their definitions, day by day over four years."""

import datetime as dt

from rules.dates import leaves_window, months_before


def test_months_before_is_the_same_day_or_the_last_day_of_a_shorter_month():
    assert months_before(dt.date(2026, 11, 25), 6) == dt.date(2026, 5, 25)
    assert months_before(dt.date(2026, 8, 31), 6) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2028, 8, 31), 6) == dt.date(2028, 2, 29)
    assert months_before(dt.date(2027, 1, 31), 1) == dt.date(2026, 12, 31)


def test_a_report_leaves_the_window_on_the_first_day_whose_window_starts_after_it():
    day = dt.date(2026, 1, 1)
    while day < dt.date(2030, 1, 1):
        for months in (1, 6, 12):
            leaves = leaves_window(day, months)
            # The definition, stepped a day at a time: in the window the day before, out of it that day.
            assert months_before(leaves, months) > day, (day, months)
            assert months_before(leaves - dt.timedelta(days=1), months) <= day, (day, months)
        day += dt.timedelta(days=1)
