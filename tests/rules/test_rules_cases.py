"""The case tables in tests/rules/cases/: every case decided, every expectation checked."""

from __future__ import annotations

import pytest

from rules import CaseFactsError, decide
from rules_case_table import TODAY, load

CASE_TABLES = ("erewash.yml", "testshire.yml")
EXPECTATIONS = {
    "outcome",
    "routes",
    "rules",
    "qualifying",
    "window_start",
    "reasons",
    "next_steps",
    "summary",
    "assumed",
    "more_needed",
    "leaves_window",
    "met_by",
}


def _cases():
    for table in CASE_TABLES:
        for case in load(table):
            yield pytest.param(case, id=f"{table[:-4]}: {case['case']}")


@pytest.mark.parametrize("case", list(_cases()))
def test_case(case):
    unknown = set(case["expect"]) - EXPECTATIONS
    assert not unknown, f"the case table uses unknown columns {unknown}"
    assert "as_of" in case["facts"] or case["facts"] == {}, "every case pins as_of (or tests its default)"

    decision = decide(case["facts"], case.get("partnership", "erewash"), TODAY)
    expect = case["expect"]

    assert decision["outcome"] == expect["outcome"]
    assert decision["routes"][0] == decision["outcome"]
    if "routes" in expect:
        assert decision["routes"] == expect["routes"]
    if "rules" in expect:
        assert [reason["rule"] for reason in decision["reasons"]] == expect["rules"]
    if "qualifying" in expect:
        assert decision["qualifying_incidents"] == expect["qualifying"]
    if "window_start" in expect:
        assert decision["window_start"] == expect["window_start"]
    if "summary" in expect:
        assert expect["summary"] in decision["summary"]
    if "assumed" in expect:
        assert decision["assumed"] == expect["assumed"]
    reasons = {reason["rule"]: reason for reason in decision["reasons"]}
    for rule, phrases in expect.get("reasons", {}).items():
        assert rule in reasons, f"no reason from rule {rule}: {decision['reasons']}"
        for phrase in phrases:
            assert phrase in reasons[rule]["text"]
    steps = "\n".join(decision["next_steps"])
    for phrase in expect.get("next_steps", []):
        assert phrase in steps
    if "more_needed" in expect:
        assert reasons["threshold_not_met"]["more_needed"] == expect["more_needed"]
    if "leaves_window" in expect:
        assert reasons["threshold_not_met"]["oldest_leaves_window"] == expect["leaves_window"]
    if "met_by" in expect:
        assert decision["threshold_met_by"] == expect["met_by"]


@pytest.mark.parametrize("pair", load("precedence.yml")["cases"], ids=lambda pair: f"rows {pair['rows']}")
def test_precedence_pair(pair):
    facts = dict(pair["facts"], as_of="2026-11-25")
    decision = decide(facts, "erewash", TODAY)
    assert decision["outcome"] == pair["outcome"]
    assert decision["routes"] == pair["routes"]


def test_precedence_table_covers_every_possible_pair():
    rows = {tuple(pair["rows"]) for pair in load("precedence.yml")["cases"]}
    impossible = {(6, 9), (7, 9)}  # nothing reported, or too few, yet the threshold met
    assert rows == {(a, b) for a in range(1, 10) for b in range(a + 1, 10)} - impossible


@pytest.mark.parametrize("bad", load("invalid.yml"), ids=lambda bad: f"{bad['key']}: {bad['says'][:40]}")
def test_malformed_facts_name_the_key(bad):
    with pytest.raises(CaseFactsError) as caught:
        decide(bad["facts"], "erewash", TODAY)
    error = caught.value
    assert error.key == bad["key"]
    assert bad["says"] in str(error)
    assert "\n" not in str(error)
    if bad["key"]:
        assert str(error).startswith(bad["key"] + ": ")
    assert isinstance(error, ValueError)


def test_every_decision_has_the_contract_shape():
    decision = decide({"as_of": "2026-11-25", "incidents": [{"date": "2026-09-02", "reported_to": ["police"]}]}, "erewash", TODAY)
    assert list(decision) == [
        "outcome",
        "summary",
        "routes",
        "reasons",
        "qualifying_incidents",
        "threshold_met_by",
        "window_start",
        "next_steps",
        "assumed",
        "rule_set",
        "words",
    ]
    assert decision["rule_set"]["name"] == "erewash"
    assert all(set(reason) >= {"rule", "text"} for reason in decision["reasons"])
    assert "trace" in decide({"as_of": "2026-11-25"}, "erewash", TODAY, explain=True)


def test_reasons_quote_the_policy_sentence_behind_their_rule():
    from rules import load_partnership
    from rules.ruleset import RULES_BY_NAME

    policy = load_partnership("erewash").on(TODAY).policy
    for case in load("erewash.yml"):
        for reason in decide(case["facts"], "erewash", TODAY)["reasons"]:
            for name in RULES_BY_NAME[reason["rule"]].policy:
                assert policy[name] in reason["text"], (case["case"], reason["rule"], name)


def test_facts_are_not_changed_by_deciding():
    facts = {"as_of": "2026-11-25", "incidents": [{"date": "2026-09-02", "reported_to": ["police"]}]}
    before = repr(facts)
    decide(facts, "erewash", TODAY)
    assert repr(facts) == before


def test_python_dates_are_accepted_as_well_as_text():
    import datetime as dt

    as_text = decide({"as_of": "2026-11-25", "incidents": [{"date": "2026-09-02", "reported_to": ["police"]}]}, "erewash", TODAY)
    as_dates = decide(
        {"as_of": dt.date(2026, 11, 25), "incidents": [{"date": dt.datetime(2026, 9, 2, 14, 30), "reported_to": ["police"]}]},
        "erewash",
        TODAY,
    )
    assert as_dates == as_text
    # groundwork.dates.iso_date, the project's one ISO reading, ignores spaces around a date.
    padded = decide(
        {"as_of": " 2026-11-25", "incidents": [{"date": "2026-09-02\n", "reported_to": ["police"]}]}, "erewash", TODAY
    )
    assert padded == as_text


def test_trace_explains_each_incident_and_each_rule_in_words():
    from rules.ruleset import RULES

    decision = decide(
        {
            "as_of": "2026-11-25",
            "incidents": [
                {"date": "2026-09-02", "reported_to": ["police", "council"], "reported_on": "2026-09-03"},
                {"date": "2026-03-01", "reported_to": ["police"]},
                {"date": "2026-10-01", "reported_to": ["private_landlord"]},
                {"date": "2026-10-05"},
            ],
        },
        "erewash",
        TODAY,
        explain=True,
    )
    trace = decision["trace"]
    text = "\n".join(trace)
    assert "The window runs from 25 May 2026 to 25 November 2026 (6 calendar months)" in text
    assert (
        "Incident 1 (2 September 2026): reported to the council and the police on 3 September 2026, within the window: it counts."
    ) in trace
    assert (
        "Incident 2 (1 March 2026): reported to the police on 1 March 2026, before the window began "
        "on 25 May 2026, so it no longer counts."
    ) in trace
    assert (
        "Incident 3 (1 October 2026): reported to a private landlord on 1 October 2026, which does not "
        "take part in the review, so it does not count."
    ) in trace
    assert "Incident 4 (5 October 2026): not reported to anyone, so it does not count." in trace
    assert "Qualifying incidents: 1; the threshold is 3." in trace
    for pri, rule in enumerate(RULES, start=1):
        assert sum(line.startswith(f"Rule {pri} {rule.name} ") for line in trace) == 1
    assert any(line.startswith("Rule 7 threshold_not_met (table row 7) applies") for line in trace)
    assert trace[-2] == "Outcome: threshold_not_met, the first route that applies. Routes: threshold_not_met."
    assert trace[-1].startswith("Defaults relied on (not given): emergency, asb_ongoing")
