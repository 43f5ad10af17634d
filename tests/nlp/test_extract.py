"""extract() against the case table in entity_cases.yml, plus robustness."""

from pathlib import Path

import pytest
import yaml

from bot.nlp.extract import extract

CASES = yaml.safe_load((Path(__file__).parent / "entity_cases.yml").read_text(encoding="utf-8"))


def triples(entities):
    return [[e["entity"], e["value"], e["text"]] for e in entities]


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:50] or "<empty>" for c in CASES])
def test_entity_case(case):
    found = extract(case["text"])
    got = triples(found)
    for wanted in case.get("expect", []):
        assert [str(x) for x in wanted] in got, got
    for label in case.get("absent", []):
        assert label not in [g[0] for g in got], got
    if case.get("exact"):
        assert sorted(got) == sorted([str(x) for x in w] for w in case.get("expect", []))


def test_entities_have_rasa_shape_and_point_into_the_text():
    text = "Told the feds 3x since Christmas, my housing officer was rude"
    found = extract(text)
    assert found
    for entity in found:
        assert set(entity) == {"entity", "value", "start", "end", "text"}
        assert text[entity["start"] : entity["end"]] == entity["text"]
        assert isinstance(entity["value"], str)
    assert [e["start"] for e in found] == sorted(e["start"] for e in found)


@pytest.mark.parametrize("bad", [None, 42, b"police", ["police"]])
def test_non_text_gives_nothing(bad):
    assert extract(bad) == []


def test_ten_thousand_characters_are_read_up_to_the_cap():
    # Speed is measured by `python -m bot.nlp.bench`, not asserted here.
    from groundwork.limits import READ_CHARS

    sentence = "ey up me duck the lads next door were at it again every night and I told the council 3 times. "
    text = (sentence * 120)[:10000]
    found = extract(text)
    assert ["organisation", "council", "the council"] in triples(found)
    assert all(e["end"] <= READ_CHARS for e in found)
    assert any(e["start"] > READ_CHARS - len(sentence) for e in found)  # read right up to the cap


def test_given_today_dates_are_resolved_once_to_iso_values():
    import datetime as dt

    from bot.nlp.extract import extract

    found = [
        e
        for e in extract("rang 101 on 3 june and last tuesday, going on since march", dt.date(2026, 11, 25))
        if e["entity"] == "date"
    ]
    assert [(e["text"], e["value"], e["additional_info"]["open_ended"]) for e in found] == [
        ("3 june", "2026-06-03", False),
        ("last tuesday", "2026-11-24", False),
        ("since march", "2026-03-01", True),
    ]
