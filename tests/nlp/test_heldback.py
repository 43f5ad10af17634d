"""Held-back material (tests/heldback): well formed, never trained on, and measured.

The extractor figures printed here (run with -s) are the honest ones: these messages were
written apart from the training data and the patterns were not tuned on them.
"""

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bot.nlp.dates import parse_dates
from bot.nlp.extract import extract
from evaluation.resident import FACT_QUESTIONS

ROOT = Path(__file__).resolve().parents[2]
HELDBACK = ROOT / "tests" / "heldback"
INTENTS = {
    "greet",
    "goodbye",
    "thanks",
    "affirm",
    "deny",
    "dont_know",
    "ask_what_is",
    "ask_eligibility",
    "tell_story",
    "inform",
    "complain_staff",
    "unhappy_with_review",
    "emergency",
    "ask_why",
    "change_answer",
    "show_summary",
    "start_again",
    "apply_now",
    "human_handoff",
    "out_of_scope",
    "insult",
    "bot_challenge",
}
ASKS = FACT_QUESTIONS
OUTCOMES = {
    "apply",
    "report_first",
    "threshold_not_met",
    "get_consent",
    "complaints_procedure",
    "ombudsman",
    "appeal",
    "emergency",
}


def normalise(text: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()
    return words or text.strip()  # emoji-only answers compare as typed


@pytest.fixture(scope="module")
def heldback():
    return load_data(str(HELDBACK / "nlu.yml")).training_examples


@pytest.fixture(scope="module")
def training():
    return load_data(str(ROOT / "bot" / "data" / "nlu")).training_examples


@pytest.fixture(scope="module")
def cases():
    return yaml.safe_load((HELDBACK / "cases.yml").read_text(encoding="utf-8"))


def test_heldback_nlu_covers_every_intent_with_enough_messages(heldback, training):
    assert len(heldback) >= 150
    assert {m.get("intent") for m in heldback} == INTENTS
    assert {m.get("intent") for m in training} == INTENTS


def test_no_heldback_message_is_in_the_training_data(heldback, training):
    seen = {normalise(m.get("text")) for m in training}
    leaked = [m.get("text") for m in heldback if normalise(m.get("text")) in seen]
    assert leaked == []


def test_extractor_on_heldback_messages(heldback):
    tp = fp = fn = 0
    per_label = Counter()
    for message in heldback:
        gold = {(e["entity"], str(e["value"]), e["start"], e["end"]) for e in message.get("entities") or []}
        found = {(e["entity"], e["value"], e["start"], e["end"]) for e in extract(message.get("text"))}
        tp, fp, fn = tp + len(gold & found), fp + len(found - gold), fn + len(gold - found)
        for item in gold - found:
            per_label["missed " + item[0]] += 1
            print("  missed", item, "in", repr(message.get("text")))
        for item in found - gold:
            per_label["extra " + item[0]] += 1
            print("  extra ", item, "in", repr(message.get("text")))
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    f1 = 2 * precision * recall / (precision + recall)
    print(f"held-back entities: P={precision:.3f} R={recall:.3f} F1={f1:.3f} ({tp + fn} annotated) {dict(per_label)}")
    assert f1 >= 0.80


def test_cases_are_complete_and_cover_every_outcome(cases):
    assert len(cases) >= 40
    assert len({c["id"] for c in cases}) == len(cases)
    for case in cases:
        assert isinstance(case["as_of"], dt.date), case["id"]
        assert case["opening"].strip(), case["id"]
        assert set(case["answers"]) <= ASKS, case["id"]
        assert all(isinstance(v, str) and v.strip() for v in case["answers"].values()), case["id"]
        assert case["expected_outcome"] in OUTCOMES, case["id"]
    counts = Counter(c["expected_outcome"] for c in cases)
    assert set(counts) == OUTCOMES and min(counts.values()) >= 4, counts


def test_hand_derived_outcomes_agree_with_the_rule_set(cases):
    from groundwork.clock import today
    from rules import decide

    wrong = [
        (c["id"], c["expected_outcome"], decide(c["facts"], "erewash", today())["outcome"])
        for c in cases
        if decide(c["facts"], "erewash", today())["outcome"] != c["expected_outcome"]
    ]
    assert wrong == []


def test_date_reader_reads_the_residents_incident_dates(cases):
    """Where every incident date was typed by the resident, parse_dates must find exactly those dates."""
    checked = 0
    misread = []
    for case in cases:
        facts_dates = sorted({dt.date.fromisoformat(i["date"]) for i in case["facts"].get("incidents", [])})
        if not facts_dates:
            continue
        result = parse_dates(case["answers"]["incident_dates"], case["as_of"])
        checked += 1
        if result.dates != facts_dates:
            misread.append((case["id"], case["answers"]["incident_dates"], result.dates, facts_dates))
    assert checked >= 30
    assert misread == []
