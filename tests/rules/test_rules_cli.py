"""`asbcr check`, run as staff run it: the installed command, in a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ASBCR = str(Path(sys.executable).with_name("asbcr"))
TODAY = "2026-11-25"
THREE = [{"date": f"2026-{month:02d}-10", "reported_to": ["police"]} for month in (7, 8, 9)]


def start(args, stdin=None, today=TODAY, cwd=None):
    env = dict(os.environ, ASBCR_TODAY=today)
    process = subprocess.Popen(
        [ASBCR, "check", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd
    )
    return process, stdin


def finish(started):
    process, stdin = started
    data = stdin if isinstance(stdin, bytes) else (stdin or "").encode("utf-8")
    out, err = process.communicate(data, timeout=120)
    return process.returncode, out.decode("utf-8"), err.decode("utf-8")


def check(args, stdin=None, today=TODAY):
    return finish(start(args, stdin, today))


def test_one_case_from_a_file(tmp_path):
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"as_of": "2026-11-25", "incidents": THREE}), encoding="utf-8")
    code, out, err = check([str(case)])
    assert (code, err) == (0, "")
    decision = json.loads(out)
    assert decision["outcome"] == "apply"
    assert decision["qualifying_incidents"] == 3
    assert "trace" not in decision


def test_a_list_of_cases_from_stdin_with_explain():
    cases = [{"as_of": "2026-11-25", "incidents": THREE}, {"as_of": "2026-11-25", "emergency": True}, {}]
    code, out, err = check(["--explain"], json.dumps(cases))
    assert (code, err) == (0, "")
    decisions = json.loads(out)
    assert [d["outcome"] for d in decisions] == ["apply", "emergency", "report_first"]
    assert all(isinstance(line, str) for d in decisions for line in d["trace"])
    assert "Outcome: apply, the first route that applies. Routes: apply." in decisions[0]["trace"]


def test_quick_check_by_hand():
    code, out, err = check(
        ["--incident", "2026-10-01:police", "--incident", "2026-10-20:council,police", "--on-behalf", "--consent", "no"]
    )
    assert (code, err) == (0, "")
    decision = json.loads(out)
    assert decision["outcome"] == "threshold_not_met"
    assert decision["qualifying_incidents"] == 2
    assert decision["window_start"] == "2026-05-25"
    assert "as_of" in decision["assumed"] and "on_behalf" not in decision["assumed"]


def test_quick_check_with_every_option():
    code, out, err = check(
        [
            "--partnership",
            "testshire",
            "--as-of",
            "2026-11-20",
            "--incident",
            "2026-10-01:social-landlord:2026-10-02:hate",
            "--asb-ongoing",
            "--no-emergency",
            "--staff-conduct",
            "--no-complaint-completed",
            "--complained-about",
            "council",
            "--no-previous-review",
            "--incidents-related",
        ]
    )
    assert (code, err) == (0, "")
    decision = json.loads(out)
    assert decision["rule_set"]["name"] == "testshire"
    assert decision["routes"] == ["apply", "complaints_procedure"]
    assert [reason["rule"] for reason in decision["reasons"]] == ["single_hate_incident", "staff_complaint_follows"]
    assert decision["assumed"] == ["on_behalf"]


def test_output_is_the_same_as_decide(tmp_path):
    from rules import decide
    from rules_case_table import TODAY

    facts = {"as_of": "2026-11-25", "incidents": THREE[:2], "staff_conduct": True}
    code, out, _ = check([], json.dumps(facts))
    assert code == 0
    assert json.loads(out) == decide(facts, "erewash", TODAY)


MALFORMED = {
    "invalid JSON": ([], '{"as_of": "2026-11-25",}', "asbcr: stdin is not valid JSON: Expecting property name"),
    "a list with a non-object": (
        [],
        '[{"as_of": "2026-11-25"}, 7, "x"]',
        "asbcr: case 2 of 3: case facts must be a JSON object, not a number (and 1 more case with problems)",
    ),
    "a date in the future": (
        [],
        '{"incidents": [{"date": "2026-12-01", "reported_to": ["police"]}]}',
        "asbcr: incidents[0].date: 2026-12-01 lies after as_of (2026-11-25)",
    ),
    "as_of in the future": ([], '{"as_of": "2027-01-01"}', "asbcr: as_of: 2027-01-01 lies in the future"),
    "a date that is not a date": ([], '{"as_of": "yesterday"}', "asbcr: as_of: 'yesterday' is not a date"),
    "an unknown organisation": (
        [],
        '{"incidents": [{"date": "2026-10-01", "reported_to": ["mp"]}]}',
        "asbcr: incidents[0].reported_to: unknown organisation 'mp'",
    ),
    "an unknown complained_about": (
        [],
        '{"complained_about": "landlord"}',
        "asbcr: complained_about: unknown organisation 'landlord'",
    ),
    "a wrong type": ([], '{"emergency": "no"}', "asbcr: emergency: must be true or false, not text 'no'"),
    "a wrong type in a list": ([], '[{}, {"incidents": "lots"}]', "asbcr: case 2 of 2: incidents: must be a list"),
    "an unknown key": ([], '{"emergancy": true}', "asbcr: emergancy: unknown key (did you mean 'emergency'?)"),
    "a top-level string": ([], '"apply"', "asbcr: stdin: case facts must be a JSON object, or a list of them"),
    "empty stdin": ([], "", "asbcr: no case facts: stdin is empty"),
    "blank stdin": ([], "  \n", "asbcr: no case facts: stdin is empty"),
    "not UTF-8": ([], b"\xff\xfe{", "asbcr: stdin is not UTF-8 text"),
    "nested too deeply": ([], "[" * 100000, "asbcr: stdin is not usable JSON: nested too deeply"),
    "a nonexistent file": (
        ["/nonexistent/case.json"],
        None,
        "asbcr: cannot read /nonexistent/case.json: No such file or directory",
    ),
    "a folder": (["/"], None, "asbcr: / is a folder, not a file of case facts"),
    "a bad --incident": (
        ["--incident", "2026-10-01:police:sometime:else"],
        None,
        "asbcr: --incident '2026-10-01:police:sometime:else' (incident 1): expected",
    ),
    "a bad --incident date": (["--incident", "1 October"], None, "asbcr: incidents[0].date: '1 October' is not a date"),
    "file and options": (
        ["case.json", "--emergency"],
        None,
        "asbcr: give case facts either as FILE (or stdin) or with the options, not both",
    ),
    "an unknown partnership": (
        ["--partnership", "atlantis", "--emergency"],
        None,
        "asbcr: unknown partnership 'atlantis' (available: erewash, testshire)",
    ),
}


def test_every_malformed_input_is_one_line_and_exit_2():
    # Started together, then collected: each is a separate `asbcr` process.
    started = {name: start(args, stdin) for name, (args, stdin, _) in MALFORMED.items()}
    started["bad ASBCR_TODAY"] = start(["--emergency"], today="25/11/2026")
    results = {name: finish(process) for name, process in started.items()}
    expected = {name: says for name, (_, _, says) in MALFORMED.items()}
    expected["bad ASBCR_TODAY"] = "asbcr: ASBCR_TODAY must be a date as YYYY-MM-DD, not '25/11/2026'"
    for name, (code, out, err) in results.items():
        assert code == 2, (name, err)
        assert out == "", name
        assert err.startswith(expected[name]), (name, err)
        assert err.endswith("\n") and err.count("\n") == 1, (name, err)
        assert "Traceback" not in err


def test_usage_errors_are_argparse_not_tracebacks():
    code, out, err = check(["--consent", "maybe"])
    assert code == 2
    assert "invalid choice: 'maybe'" in err and "Traceback" not in err


@pytest.mark.parametrize("reader", ["head -c 10", "true"])
def test_output_to_a_closed_pipe_is_not_a_traceback(reader):
    cases = json.dumps([{"as_of": "2026-11-25", "incidents": THREE}] * 200)
    run = subprocess.run(
        f"{ASBCR} check | {reader}",
        shell=True,
        input=cases.encode(),
        capture_output=True,
        env=dict(os.environ, ASBCR_TODAY=TODAY),
        timeout=120,
    )
    assert b"Traceback" not in run.stderr and b"Error" not in run.stderr


def test_the_partnership_comes_from_the_option_or_asbcr_partnership(monkeypatch):
    facts = json.dumps({"as_of": "2026-11-25", "incidents": THREE[:2]})
    monkeypatch.delenv("ASBCR_PARTNERSHIP", raising=False)
    assert json.loads(check([], facts)[1])["rule_set"]["name"] == "erewash"  # the contract's default
    monkeypatch.setenv("ASBCR_PARTNERSHIP", "testshire")
    decision = json.loads(check([], facts)[1])
    assert decision["rule_set"]["name"] == "testshire"
    assert decision["outcome"] == "apply"  # Testshire's threshold is two
    assert json.loads(check(["--partnership", "erewash"], facts)[1])["outcome"] == "threshold_not_met"
    monkeypatch.setenv("ASBCR_PARTNERSHIP", "nowhere")
    code, _, err = check([], facts)
    assert code == 2 and err.startswith("asbcr: unknown partnership 'nowhere'")
