"""The reading of residents' words, as a case table (reading_cases.yml) a council officer can extend."""

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot.conversation.cues import cues
from bot.conversation.reading import read

TODAY = dt.date(2026, 11, 25)
CASES = yaml.safe_load((Path(__file__).with_name("reading_cases.yml")).read_text(encoding="utf-8"))


def claims(text):
    r = read(text, TODAY)
    return {
        "told": r.positive_bodies,
        "told_in_a_story": r.story_bodies,
        "not_told": r.negated_bodies,
        "report_dates": [d.isoformat() for d in r.report_dates],
        "reports_in_a_story": [d.isoformat() for d in r.story_report_dates],
        "count": r.count,
        "total_only": r.total_only,
        "many": r.many,
        "staff_conduct": r.staff_conduct,
        "ongoing": r.ongoing,
        "reported_person": r.reported_person,
        "on_behalf": r.on_behalf,
        "consent": r.consent,
        "danger": r.danger,
        "groups": [[[d.isoformat() for d in dates], bodies] for dates, bodies in r.groups],
        "reported_later": [[a.isoformat(), b.isoformat()] for a, b in r.reported_later],
        "references": r.references,
        "asks": r.asks,
        "yes": r.yes,
        "no": r.no,
        "related": r.related,
        "complaint_done": r.complaint_done,
        "no_danger_now": r.no_danger_now,
        "past_review": r.past_review,
        "by_order": [[w if isinstance(w, str) else list(w), b] for w, b in r.ordinal_bodies],
    }


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:50] for c in CASES])
def test_reading(case):
    found = claims(case["text"])
    expected = {k: v for k, v in case.items() if k != "text"}
    assert {k: found[k] for k in expected} == expected


def test_every_cue_compiles_and_the_file_has_no_empty_list():
    assert cues() and all(cue.patterns for cue in cues().values())
