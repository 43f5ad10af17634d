"""Speed of the language layer: python -m bot.nlp.bench

Prints milliseconds per message for extract() and parse_dates() at several lengths, each as a
ratio to a baseline measured in the same run (spaCy's blank English tokenizer on the same
text), so the figures mean the same on a slow or a busy machine.
"""

from __future__ import annotations

import datetime as dt
import time

import spacy

from bot.nlp import build
from bot.nlp.dates import parse_dates
from bot.nlp.extract import extract

SENTENCE = "ey up me duck, the lads next door were at it again every night since March and I told the council 3 times. "
TODAY = dt.date(2026, 11, 25)


def per_call(fn, text: str, repeat: int) -> float:
    fn(text)
    started = time.perf_counter()
    for _ in range(repeat):
        fn(text)
    return (time.perf_counter() - started) / repeat * 1000


def main() -> None:
    tokenizer = spacy.blank("en").tokenizer
    started = time.perf_counter()
    build.build_pipeline()
    print(f"build pipeline in memory: {time.perf_counter() - started:.2f}s")
    print(f"{'chars':>6} {'tokenizer ms':>13} {'extract ms':>11} {'ratio':>6} {'dates ms':>9} {'ratio':>6}")
    for size in (40, 1000, 5000, 10000):
        text = (SENTENCE * (size // len(SENTENCE) + 1))[:size]
        repeat = 200 if size <= 1000 else 20
        base = per_call(tokenizer, text, repeat)
        ext = per_call(extract, text, repeat)
        dat = per_call(lambda t: parse_dates(t, TODAY), text, repeat)
        print(f"{size:>6} {base:>13.2f} {ext:>11.2f} {ext / base:>6.1f} {dat:>9.2f} {dat / base:>6.1f}")


if __name__ == "__main__":
    main()
