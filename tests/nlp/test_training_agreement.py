"""The extractor must agree with the hand annotations in bot/data/nlu (micro F1 >= 0.95).

The annotations are what the bot's NLU is trained on; if the extractor disagrees with them the
bot behaves differently from its own examples. Run with -s to see per-label figures.
"""

from collections import Counter
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.nlp.extract import extract

NLU_DIR = Path(__file__).resolve().parents[2] / "bot" / "data" / "nlu"
MIN_F1 = 0.95


def spans(entities):
    return {(e["entity"], str(e["value"]), e["start"], e["end"]) for e in entities}


@pytest.fixture(scope="module")
def examples():
    data = load_data(str(NLU_DIR))
    return [m for m in data.training_examples if m.get("text")]


def test_extractor_agrees_with_training_annotations(examples):
    true_pos, false_pos, false_neg = Counter(), Counter(), Counter()
    disagreements = []
    for message in examples:
        text = message.get("text")
        gold = spans(message.get("entities") or [])
        found = spans(extract(text))
        for item in gold & found:
            true_pos[item[0]] += 1
        for item in found - gold:
            false_pos[item[0]] += 1
        for item in gold - found:
            false_neg[item[0]] += 1
        if gold != found:
            disagreements.append((text, sorted(gold - found), sorted(found - gold)))
    tp, fp, fn = sum(true_pos.values()), sum(false_pos.values()), sum(false_neg.values())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    for label in sorted(set(true_pos) | set(false_pos) | set(false_neg)):
        print(f"{label:16} tp={true_pos[label]:4} fp={false_pos[label]:3} fn={false_neg[label]:3}")
    print(f"micro P={precision:.3f} R={recall:.3f} F1={f1:.3f} over {len(examples)} examples, {tp + fn} annotations")
    for text, missed, extra in disagreements:
        print(f"  {text!r}\n     missed {missed}\n     extra  {extra}")
    assert tp + fn > 300, "the training data should carry plenty of annotations"
    assert f1 >= MIN_F1, f"F1 {f1:.3f} < {MIN_F1}; {len(disagreements)} examples disagree (run with -s)"
