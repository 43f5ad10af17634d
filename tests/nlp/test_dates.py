"""parse_dates against the case table in date_cases.yml (one test per line of the table)."""

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot.nlp.dates import parse_dates

TABLE = yaml.safe_load((Path(__file__).parent / "date_cases.yml").read_text(encoding="utf-8"))
CASES = [(group["today"], case) for group in TABLE for case in group["cases"]]


@pytest.mark.parametrize("today,case", CASES, ids=[f"{t}:{c['text'][:40]}" for t, c in CASES])
def test_date_case(today, case):
    result = parse_dates(case["text"], today)
    assert result.dates == case.get("dates", []), result
    for key in ("future", "approximate"):
        if key in case:
            assert getattr(result, key) == case[key], result
    if "understood" in case:
        assert result.understood == case["understood"]


def test_today_must_be_given_as_a_date():
    with pytest.raises(TypeError):
        parse_dates("12 Feb", "2026-11-25")


def test_dates_are_sorted_unique_and_never_after_today():
    today = dt.date(2026, 11, 25)
    result = parse_dates("20/4, 12 Feb, 12/2, 3 March, 12 Feb 2027, tomorrow", today)
    assert result.dates == sorted(set(result.dates))
    assert all(d <= today for d in result.dates)
    assert result.future == [dt.date(2026, 11, 26), dt.date(2027, 2, 12)]


def test_readings_keep_the_words_they_came_from():
    text = "on 12 Feb and the 3rd of May"
    result = parse_dates(text, dt.date(2026, 11, 25))
    assert [(r.text, r.date) for r in result.readings] == [
        ("12 Feb", dt.date(2026, 2, 12)),
        ("the 3rd of May", dt.date(2026, 5, 3)),
    ]
    assert all(text[r.start : r.end] == r.text for r in result.readings)


def test_a_very_long_message_is_read_up_to_the_cap_only():
    from groundwork.limits import READ_CHARS as MAX_CHARS

    text = "x" * (MAX_CHARS - 10) + " on 12 Feb and then on 3 March"
    result = parse_dates(text, dt.date(2026, 11, 25))
    assert result.dates == [dt.date(2026, 2, 12)]  # 3 March lies beyond the cap
