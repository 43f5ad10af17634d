"""How fast is a decision? decide() and the durable_rules wrapper against baselines, one run.

    .venv/bin/python bench/rules.py [--seconds 2] [--rounds 5]

Variants, all on the same mix of cases (the case tables in tests/rules/cases/) in this process,
on one thread (one core):

  decide()                 the public API: check facts, count, rules in durable_rules, reasons
  decide(), plain rules    the same, with the rules as plain Python (rules/plain.py)
  wrapper                  rules/engine.py: prepared facts through durable_rules, session deleted
  durable_rules assert     raw durable.lang: assert_fact + delete_state (all rules fire, as ours)
  durable_rules post       raw durable.lang: post of the same facts as an event (only the first
                           rule fires: the outcome, not every route)
  plain rules              rules/plain.py on prepared facts

Rounds alternate the variants, so that a busy machine slows them alike. Throughput is per
second of this thread's CPU time (one core), the median round; latency percentiles are per
call, in CPU time and in wall-clock time (on a shared machine the wall clock mostly measures
the other processes). Targets (CONTRACT issue 2):
decide() at least 20,000 decisions per second on one core, p99 under 200 microseconds.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ASBCR_TODAY", "2026-11-25")  # the case tables are pinned to this day
TODAY = datetime.date(2026, 11, 25)

import yaml  # noqa: E402
from durable import lang  # noqa: E402

from rules import decide, plain, ruleset  # noqa: E402
from rules.decision import prepare  # noqa: E402

TARGET_PER_SECOND = 20_000
TARGET_P99_MICROSECONDS = 200


def case_mix():
    """(facts, partnership) from the case tables: every outcome, both partnerships."""
    # Named, not configured: the tables are written to Erewash's and Testshire's own policy (a
    # case without `partnership`, and every precedence pair, is Erewash's, as in tests/rules).
    cases = []
    for table in ("erewash.yml", "testshire.yml"):
        with open(ROOT / "tests" / "rules" / "cases" / table, encoding="utf-8") as handle:
            for case in yaml.safe_load(handle):
                cases.append((_as_json(case["facts"]), case.get("partnership", "erewash")))
    with open(ROOT / "tests" / "rules" / "cases" / "precedence.yml", encoding="utf-8") as handle:
        for pair in yaml.safe_load(handle)["cases"]:
            cases.append((dict(_as_json(pair["facts"]), as_of="2026-11-25"), "erewash"))
    return cases


def _as_json(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    return value


def engine_facts(facts, partnership):
    """The facts the rules read, prepared exactly as decide() prepares them."""
    return prepare(facts, partnership, TODAY)[4]


def raw_durable_rules(name):
    """The same rules registered the ordinary way, through durable.lang's host."""

    def recorder(rule_name):
        def action(c):  # one argument: durable_rules takes two-argument actions as asynchronous
            c.s.fired = (c.s.fired or []) + [rule_name]

        return action

    definition = {}
    for pri, rule in enumerate(ruleset.RULES, start=1):
        definition[rule.name] = {"all": [{"m": rule.when.define()}], "pri": pri, "run": recorder(rule.name)}
    host = lang.get_host()
    host.register_rulesets({name: definition})
    return host


class PlainRules:
    """Stands in for the compiled ruleset, so decide() runs with the rules as plain Python."""

    @staticmethod
    def run(facts, context=None):
        return tuple(plain.fired_rules(facts))


def _percentile(samples, percent):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))] / 1000


def _timer_cost(clock):
    before = clock()
    for _ in range(10000):
        clock()
    return (clock() - before) / 10000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per variant per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    cases = case_mix()
    prepared = [engine_facts(facts, partnership) for facts, partnership in cases]
    compiled = ruleset.compiled()
    host = raw_durable_rules("bench_raw")
    session = itertools.count(1)
    real_compiled = ruleset.compiled

    # Every variant must agree with the others before anything is timed.
    for (facts, partnership), ready in zip(cases, prepared):
        fired = compiled.run(ready)
        assert list(fired) == plain.fired_rules(ready)
        sid = str(next(session))
        state = host.assert_fact("bench_raw", dict(ready, sid=sid))
        host.delete_state("bench_raw", sid)
        assert state["fired"] == list(fired), (state, fired)
        outcome = decide(facts, partnership, TODAY)["outcome"]
        ruleset.compiled = PlainRules
        try:
            assert decide(facts, partnership, TODAY)["outcome"] == outcome
        finally:
            ruleset.compiled = real_compiled

    def run_decide(i):
        facts, partnership = cases[i]
        decide(facts, partnership, TODAY)

    def run_decide_plain(i):
        facts, partnership = cases[i]
        ruleset.compiled = PlainRules
        try:
            decide(facts, partnership, TODAY)
        finally:
            ruleset.compiled = real_compiled

    def run_wrapper(i):
        compiled.run(prepared[i])

    def run_raw_assert(i):
        sid = str(next(session))
        host.assert_fact("bench_raw", dict(prepared[i], sid=sid))
        host.delete_state("bench_raw", sid)

    def run_raw_post(i):
        sid = str(next(session))
        host.post("bench_raw", dict(prepared[i], sid=sid))
        host.delete_state("bench_raw", sid)

    def run_plain(i):
        plain.fired_rules(prepared[i])

    variants = [
        ("decide()", run_decide),
        ("decide(), plain rules", run_decide_plain),
        ("wrapper", run_wrapper),
        ("durable_rules assert", run_raw_assert),
        ("durable_rules post", run_raw_post),
        ("plain rules", run_plain),
    ]
    # Throughput and latency in CPU time of this thread: on a shared machine, wall-clock time
    # mostly measures the other processes. Wall-clock latency is shown beside it.
    cpu_ns, wall_ns = time.thread_time_ns, time.perf_counter_ns
    rates = {name: [] for name, _ in variants}
    cpu_latency = {name: [] for name, _ in variants}
    wall_latency = {name: [] for name, _ in variants}
    n = len(cases)
    gc.collect()
    gc.freeze()
    for _ in range(args.rounds):
        for name, run in variants:
            for i in range(n):  # warm up
                run(i)
            calls, started = 0, cpu_ns()
            deadline = started + int(args.seconds * 1e9)
            now = started
            while now < deadline:
                for i in range(n):
                    run(i)
                calls += n
                now = cpu_ns()
            rates[name].append(calls / ((now - started) / 1e9))
            cpu_timed, wall_timed = cpu_latency[name], wall_latency[name]
            for _ in range(max(1, int(2000 / n))):  # about 2,000 single calls, each timed
                for i in range(n):
                    wall_before, before = wall_ns(), cpu_ns()
                    run(i)
                    after, wall_after = cpu_ns(), wall_ns()
                    cpu_timed.append(after - before)
                    wall_timed.append(wall_after - wall_before)
    timer_cost = _timer_cost(cpu_ns)

    load = os.getloadavg()
    print(
        f"ASB Case Review rules: {n} cases (tests/rules/cases), {args.rounds} rounds of {args.seconds:g} s "
        f"of CPU time per variant, one thread. Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}."
    )
    print(
        f"Rates are per second of CPU time (one core), median (and best) of the rounds; latency percentiles are "
        f"per call, in CPU time (reading the clock costs ~{timer_cost / 1000:.1f} us of each) and wall-clock."
    )
    print()
    print(
        f"{'variant':<24}{'decisions/s':>12}{'best/s':>10}{'p50 us':>9}{'p99 us':>9}{'wall p50':>10}"
        f"{'wall p99':>10}{'vs wrapper':>12}{'vs decide()':>13}"
    )
    summary = {}
    for name, _ in variants:
        rate = statistics.median(rates[name])
        summary[name] = (
            rate,
            _percentile(cpu_latency[name], 50),
            _percentile(cpu_latency[name], 99),
            _percentile(wall_latency[name], 50),
            _percentile(wall_latency[name], 99),
        )
    wrapper_rate, decide_rate = summary["wrapper"][0], summary["decide()"][0]
    for name, (rate, p50, p99, wall_p50, wall_p99) in summary.items():
        print(
            f"{name:<24}{rate:>12,.0f}{max(rates[name]):>10,.0f}{p50:>9.1f}{p99:>9.1f}{wall_p50:>10.1f}"
            f"{wall_p99:>10.1f}{rate / wrapper_rate:>11.2f}x{rate / decide_rate:>12.2f}x"
        )
    print()
    rate, _, p99 = summary["decide()"][:3]
    w_rate, _, w_p99 = summary["wrapper"][:3]
    share = 1 - summary["decide()"][0] / summary["decide(), plain rules"][0]
    for label, (r, p) in (("decide()", (rate, p99)), ("wrapper", (w_rate, w_p99))):
        verdict_rate = "met" if r >= TARGET_PER_SECOND else f"missed by {1 - r / TARGET_PER_SECOND:.0%}"
        verdict_p99 = "met" if p < TARGET_P99_MICROSECONDS else f"missed by {p / TARGET_P99_MICROSECONDS - 1:.0%}"
        print(
            f"target {TARGET_PER_SECOND:,}/s, {label}: {r:,.0f}/s ({verdict_rate}); "
            f"p99 under {TARGET_P99_MICROSECONDS} us: {p:.1f} us ({verdict_p99})"
        )
    print(
        f"durable_rules' share of a decide(): {share:.0%} of its time "
        f"(decide() with plain rules runs {summary['decide(), plain rules'][0] / rate:.2f}x as many)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
