"""acknowledge_by: working days after receipt, skipping weekends and England's bank holidays.

The calendar, counted for five working days (Erewash's promise and CONTRACT.md's); which number a
partnership promises is its file's (tests/casework/test_casework_acknowledgement.py).
Expected dates are worked out by hand from the published bank holidays
(gov.uk/bank-holidays), not from the library under test.
"""

import datetime as dt

import pytest

from casework.workdays import acknowledge_by, is_working_day

D = dt.date.fromisoformat


@pytest.mark.parametrize(
    "received, expected, why",
    [
        # An ordinary week: Monday -> next Monday.
        ("2026-03-02", "2026-03-09", "plain week"),
        # Easter 2026: Good Friday 3 April, Easter Monday 6 April.
        ("2026-04-02", "2026-04-13", "Thu before Easter: Tue 7, Wed 8, Thu 9, Fri 10, Mon 13"),
        ("2026-04-03", "2026-04-13", "received on Good Friday itself"),
        ("2026-03-31", "2026-04-09", "Tue 31 Mar: Wed 1, Thu 2, (Fri 3 to Mon 6), Tue 7, Wed 8, Thu 9"),
        # Easter 2027 falls in March: Good Friday 26 March, Easter Monday 29 March.
        ("2027-03-25", "2027-04-05", "Thu 25 Mar 2027: Tue 30, Wed 31, Thu 1, Fri 2, Mon 5"),
        # Christmas 2026: Fri 25 Dec, Boxing Day Sat 26 Dec -> substitute Mon 28 Dec; New Year Fri 1 Jan.
        ("2026-12-23", "2027-01-04", "Thu 24 | 29, 30, 31 | Mon 4 Jan"),
        ("2026-12-24", "2027-01-05", "Christmas Eve: 29, 30, 31, 4, 5"),
        # A year's end: Tue 29 Dec 2026 -> Wed 30, Thu 31, (Fri 1 Jan holiday), Mon 4, Tue 5, Wed 6.
        ("2026-12-29", "2027-01-06", "across the year's end"),
        # Christmas 2027 on a Saturday: substitutes Mon 27 and Tue 28 Dec; New Year 2028 is a
        # Saturday, so its substitute is Mon 3 Jan 2028.
        ("2027-12-23", "2028-01-04", "Fri 24 | Wed 29, Thu 30, Fri 31 | (Mon 3 substitute) Tue 4"),
        # Received at a weekend: counting starts on Monday.
        ("2026-11-21", "2026-11-27", "Saturday -> Mon 23 .. Fri 27"),
        # A one-off bank holiday: the coronation on Monday 8 May 2023.
        ("2023-05-05", "2023-05-15", "Fri 5 May 2023: Tue 9 .. Mon 15"),
    ],
)
def test_acknowledge_by(received, expected, why):
    assert acknowledge_by(D(received), 5) == D(expected), why


def test_england_and_wales_share_their_bank_holidays():
    # Why England's calendar serves every partnership: the case review exists in England and
    # Wales only, and the two have the same bank holidays.
    import holidays

    for year in range(2014, 2041):
        assert set(holidays.country_holidays("GB", subdiv="ENG", years=year)) == set(
            holidays.country_holidays("GB", subdiv="WLS", years=year)
        ), year


def test_easter_2027_has_no_working_good_friday_or_easter_monday():
    assert not is_working_day(D("2027-03-26"))
    assert not is_working_day(D("2027-03-29"))
    assert is_working_day(D("2027-03-30"))


def test_scotland_only_holidays_do_not_count():
    # 2 January is a bank holiday in Scotland, not in England.
    assert is_working_day(D("2026-01-02"))
    # St Andrew's Day (Scotland) 30 November 2026 is a Monday: a working day in Erewash.
    assert is_working_day(D("2026-11-30"))
