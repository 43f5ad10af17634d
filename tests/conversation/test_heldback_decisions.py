"""Decision accuracy on held-back resident cases (tests/heldback/cases.yml), never trained on.

Each case opens with a resident's own words and answers whatever the bot asks, by the
question's `ask` name. The accuracy is printed (and quoted in the issue note); the build
fails if it drops below the bar below.
"""
from pathlib import Path

import pytest
import yaml

from tests.chat_client import Resident

CASES_FILE = Path(__file__).resolve().parent.parent / "heldback" / "cases.yml"
MINIMUM_ACCURACY = 0.8


def load_cases():
    data = yaml.safe_load(CASES_FILE.read_text())
    return data["cases"] if isinstance(data, dict) else data


def test_heldback_decision_accuracy(stack, capsys):
    cases = load_cases()
    assert len(cases) >= 40
    wrong = []
    for case in cases:
        if str(case.get("as_of", "2026-11-25")) != "2026-11-25":
            continue  # the running stack's today is fixed at 25 November 2026
        resident = Resident(stack.rasa_url)
        decision = resident.answer_until_decided(case["answers"], case["opening"])
        got = decision["outcome"] if decision else None
        if got != case["expected_outcome"]:
            wrong.append((case.get("id", case["opening"][:40]), case["expected_outcome"], got, resident.log()))
    tried = sum(1 for c in cases if str(c.get("as_of", "2026-11-25")) == "2026-11-25")
    accuracy = (tried - len(wrong)) / tried
    with capsys.disabled():
        print(f"\nheld-back decision accuracy: {tried - len(wrong)}/{tried} = {accuracy:.1%}")
        for case_id, expected, got, log in wrong:
            print(f"  wrong: {case_id}: expected {expected}, got {got}")
    assert accuracy >= MINIMUM_ACCURACY, "\n\n".join(w[3] for w in wrong[:3])
