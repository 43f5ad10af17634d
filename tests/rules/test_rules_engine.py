"""rules/engine.py: durable_rules, one decision at a time, with nothing left behind."""

from __future__ import annotations

import itertools
import threading

import pytest
from durable.lang import m

from rules import RuleActionError, RuleEngineError, decide, engine, ruleset
from rules_case_table import TODAY, load

_names = itertools.count()


def fresh_ruleset(rules):
    """A ruleset under a name no other test uses (a name registers once per process)."""
    return engine.ruleset(f"test_{next(_names)}", lambda: rules)


def test_thousands_of_decisions_in_one_process():
    # durable_rules holds at most 1,024 live sessions per ruleset; each decision deletes its own.
    compiled = ruleset.compiled()
    before = compiled.decisions
    facts = {
        "as_of": "2026-11-25",
        "incidents": [{"date": f"2026-{month:02d}-10", "reported_to": ["police"]} for month in (7, 8, 9)],
    }
    outcomes = {decide(facts, "erewash", TODAY)["outcome"] for _ in range(5000)}
    assert outcomes == {"apply"}
    assert compiled.decisions - before == 5000
    session_ids = [str(n) for n in range(1, compiled.decisions + 1)]
    assert not any(compiled.session_exists(sid) for sid in session_ids[-2000:])


def test_each_run_gets_a_fresh_session_that_is_deleted_afterwards():
    seen = []
    rules = [engine.Rule("record", m.x == 1, 1, action=lambda context: seen.append(context))]
    compiled = fresh_ruleset(rules)
    for number in range(1, 1500):
        assert compiled.run({"x": 1}, context=number) == ("record",)
    assert seen == list(range(1, 1500))
    assert not any(compiled.session_exists(str(n)) for n in range(1, 1500))


def test_facts_that_no_rule_matches_give_no_rules_not_an_exception():
    compiled = fresh_ruleset([engine.Rule("only_ones", m.x == 1, 1)])
    for _ in range(1500):  # also past the session limit: unmatched facts leave no session behind
        assert compiled.run({"x": 2}) == ()
    assert compiled.run({"x": 1}) == ("only_ones",)


def test_a_decision_that_reaches_no_rule_is_an_error_not_message_not_handled(monkeypatch):
    nothing = fresh_ruleset([engine.Rule("never", (m.emergency == True) & (m.emergency == False), 1)])  # noqa: E712
    monkeypatch.setattr(ruleset, "compiled", lambda: nothing)
    with pytest.raises(RuleEngineError, match="no rule applied"):
        decide({"as_of": "2026-11-25"}, "erewash", TODAY)


def test_an_exception_in_a_rule_action_is_raised_naming_the_rule():
    def boom(context):
        raise ZeroDivisionError("the action failed")

    calls = []
    compiled = fresh_ruleset(
        [
            engine.Rule("first", m.x == 1, 1, action=calls.append),
            engine.Rule("breaks", m.x == 1, 2, action=boom),
            engine.Rule("never_reached", m.x == 1, 3, action=calls.append),
        ]
    )
    with pytest.raises(RuleActionError) as caught:
        compiled.run({"x": 1}, context="ctx")
    error = caught.value
    assert error.rule == "breaks"
    assert isinstance(error.__cause__, ZeroDivisionError)
    assert "rule 'breaks'" in str(error) and "ZeroDivisionError: the action failed" in str(error)
    assert calls == ["ctx"]
    assert not compiled.session_exists(error.session_id)
    # The engine is still usable, and the failing rule fails again rather than being swallowed.
    for _ in range(1100):
        with pytest.raises(RuleActionError):
            compiled.run({"x": 1})
    assert compiled.run({"x": 2}) == ()


CRASHERS = """
import sys
from durable.lang import m
from rules import RuleEngineError, engine

compiled = engine.ruleset("crash_test", lambda: [
    engine.Rule("r", (m.flag == True) & (m.count > 1) & (m.word == "a") & (m.low < m.high), 1)])
for facts in ({"count": 2, "word": "a", "low": 1, "high": 2},             # missing
              {"flag": None, "count": 2, "word": "a", "low": 1, "high": 2},  # null
              {"flag": "yes", "count": 2, "word": "a", "low": 1, "high": 2}, # text for true/false
              {"flag": True, "count": "2", "word": "a", "low": 1, "high": 2},
              {"flag": True, "count": True, "word": "a", "low": 1, "high": 2},
              {"flag": True, "count": 2, "word": 1, "low": 1, "high": 2},
              {"flag": True, "count": 2, "word": "a", "low": 1}):
    try:
        compiled.run(facts)
    except RuleEngineError as error:
        print(error)
    else:
        sys.exit("not refused: %r" % facts)
print(compiled.run({"flag": True, "count": 2, "word": "a", "low": 1, "high": 2}))
"""


def test_facts_that_would_crash_durable_rules_are_refused_instead():
    # durable_rules ends the process (segmentation fault) on a missing, null or mistyped fact,
    # so this runs in a child process: a regression fails this test, not the whole test run.
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", CRASHERS], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    assert lines[0] == "ruleset 'crash_test': fact 'flag' must be true or false, not None"
    assert lines[3] == "ruleset 'crash_test': fact 'count' must be a number, not '2'"
    assert lines[5] == "ruleset 'crash_test': fact 'word' must be text, not 1"
    assert lines[6] == "ruleset 'crash_test': fact 'high' must be present (not null), not None"
    assert lines[7] == "('r',)"


def test_the_asb_rules_read_facts_of_fixed_kinds():
    assert ruleset.compiled().fact_kinds == {
        "emergency": "bool",
        "previous_review": "bool",
        "staff_conduct": "bool",
        "complaint_completed": "bool",
        "asb_ongoing": "bool",
        "on_behalf": "bool",
        "single_hate_incident_route": "bool",
        "consent": "text",
        "reported_incidents": "number",
        "qualifying_hate_incidents": "number",
        "qualifying_incidents": "any",
        "threshold": "any",
    }
    assert set(ruleset.compiled().fact_kinds) == set(ruleset.FACT_NAMES)


def test_a_rule_fires_once_even_when_both_sides_of_an_or_hold():
    calls = []
    compiled = fresh_ruleset([engine.Rule("either", (m.a == 1) | (m.b == 1), 1, action=calls.append)])
    assert compiled.run({"a": 1, "b": 1}, context="once") == ("either",)
    assert calls == ["once"]


def test_rules_fire_in_order_of_salience():
    compiled = fresh_ruleset(
        [engine.Rule("third", m.x == 1, 3), engine.Rule("first", m.x == 1, 1), engine.Rule("second", m.x == 1, 2)]
    )
    assert compiled.run({"x": 1}) == ("first", "second", "third")


def test_registering_is_idempotent_per_name():
    built = []

    def rules():
        built.append(1)
        return [engine.Rule("r", m.x == 1, 1)]

    first = engine.ruleset("test_idempotent", rules)
    again = engine.ruleset("test_idempotent", rules)
    assert again is first
    assert "test_idempotent" in engine.registered()
    assert ruleset.compiled() is ruleset.compiled()
    with pytest.raises(RuleEngineError, match="already registered with different rules"):
        engine.ruleset("test_idempotent", lambda: [engine.Rule("r", m.x == 2, 1)])


def test_rule_names_must_be_plain_identifiers():
    with pytest.raises(ValueError, match="rule name"):
        engine.Ruleset("test_bad_name", [engine.Rule('bad"name', m.x == 1, 1)])


def test_eight_threads_deciding_at_once_all_get_the_right_answer():
    cases = [
        (case["facts"], case.get("partnership", "erewash")) for table in ("erewash.yml", "testshire.yml") for case in load(table)
    ]
    cases += [(dict(pair["facts"], as_of="2026-11-25"), "erewash") for pair in load("precedence.yml")["cases"]]
    expected = [decide(facts, partnership, TODAY) for facts, partnership in cases]
    start = threading.Barrier(8)
    wrong, errors = [], []

    def worker(offset):
        try:
            start.wait()
            for round_ in range(6):
                for index in range(len(cases)):
                    i = (index + offset * 7 + round_) % len(cases)
                    facts, partnership = cases[i]
                    if decide(facts, partnership, TODAY) != expected[i]:
                        wrong.append(i)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert not wrong
