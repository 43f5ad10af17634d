"""Turns the phrase notation of patterns/*.yml into spaCy Matcher token patterns.

Notation (kept small so a council officer can read and extend it):
  word          the word, any case
  (a|b|c d)     one of the alternatives (an alternative may be several words)
  word? (a|b)?  may be missing
  >word >(a|b)  must follow, but is not part of the span ("hasn't happened >since")

Apostrophes are optional: "didn't" also matches "didnt", "it's" also matches "its".
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

import spacy

MAX_EXPANSIONS = 5000

# spaCy splits "didn't" into "did" + "n't" and "didnt" into "did" + "nt": accept both halves.
_CLITIC_VARIANTS = {
    "n't": ["n't", "nt"],
    "'s": ["'s", "s"],
    "'m": ["'m", "m"],
    "'re": ["'re", "re"],
    "'ve": ["'ve", "ve"],
    "'ll": ["'ll", "ll"],
    "'d": ["'d", "d"],
}


@dataclass(frozen=True)
class Slot:
    alternatives: tuple[str, ...]  # "" means the slot may be empty
    trailing: bool = False


@dataclass(frozen=True)
class CompiledPhrase:
    tokens: tuple[str, ...]  # lower-case token texts of the whole match
    trim_end: int  # tokens at the end that are context, not span


_SLOT = re.compile(r"\s*(>)?(\([^()]*\)|[^\s()]+)(\?)?")


def parse(phrase: str) -> list[Slot]:
    phrase = str(phrase).strip().lower()
    slots: list[Slot] = []
    pos = 0
    while pos < len(phrase):
        m = _SLOT.match(phrase, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read phrase {phrase!r} at {phrase[pos:]!r}")
        trailing, body, optional = m.groups()
        if body.startswith("("):
            alternatives = [alt.strip() for alt in body[1:-1].split("|")]
        else:
            alternatives = [body]
        if optional:
            alternatives.append("")
        slots.append(Slot(tuple(alternatives), bool(trailing)))
        pos = m.end()
    if any(s.trailing for s in slots):
        first = next(i for i, s in enumerate(slots) if s.trailing)
        if not all(s.trailing for s in slots[first:]):
            raise ValueError(f"in {phrase!r}, >words must come last")
    return slots


@functools.lru_cache(maxsize=1)
def _tokenizer():
    return spacy.blank("en").tokenizer


@functools.lru_cache(maxsize=20000)
def _tokens(text: str) -> tuple[str, ...]:
    if text.startswith("'"):
        # A leading clitic ("'ve moved") is one token after its word in a message ("they've"),
        # but spaCy splits it as "'", "ve" when it stands first.
        clitic, _, rest = text.partition(" ")
        return (clitic.lower(),) + (_tokens(rest) if rest else ())
    return tuple(t.lower_ for t in _tokenizer()(text) if not t.is_space)


def sequences(phrase: str) -> list[CompiledPhrase]:
    """Every concrete word sequence the phrase stands for, tokenised like a message.

    Fine for short lists; the matcher uses `patterns`, which does not multiply out alternatives.
    """
    slots = parse(phrase)
    count = 1
    for slot in slots:
        count *= len(slot.alternatives)
    if count > MAX_EXPANSIONS:
        raise ValueError(f"phrase {phrase!r} stands for {count} variants; split it up")
    out = []
    seen = set()
    for combo in itertools.product(*(s.alternatives for s in slots)):
        main = " ".join(w for w, s in zip(combo, slots) if w and not s.trailing)
        tail = " ".join(w for w, s in zip(combo, slots) if w and s.trailing)
        if not main:
            continue
        for variant in {main, main.replace("'", "")}:
            tokens = _tokens(variant) + (_tokens(tail) if tail else ())
            key = (tokens, len(_tokens(tail)) if tail else 0)
            if tokens and key not in seen:
                seen.add(key)
                out.append(CompiledPhrase(tokens, key[1]))
    return out


def _spec(token: str) -> set[str]:
    return set(_CLITIC_VARIANTS.get(token, [token]))


def _test(words: set[str]) -> dict:
    # A plain string is much cheaper for the Matcher than a one-word IN list.
    return {"LOWER": next(iter(words))} if len(words) == 1 else {"LOWER": {"IN": sorted(words)}}


def _slot_options(slot: Slot) -> list[list[dict]]:
    """The ways to match one slot: all one-word alternatives share one token test."""
    single: set[str] = set()
    multi: list[tuple[str, ...]] = []
    optional = False
    for alt in slot.alternatives:
        if not alt:
            optional = True
            continue
        for variant in {alt, alt.replace("'", "")}:
            tokens = _tokens(variant)
            if len(tokens) == 1:
                single |= _spec(tokens[0])
            elif tokens:
                multi.append(tokens)
    options: list[list[dict]] = []
    if single:
        test = _test(single)
        if optional and not multi and not slot.trailing:
            test["OP"] = "?"
            optional = False
        options.append([test])
    for tokens in dict.fromkeys(multi):
        options.append([_test(_spec(t)) for t in tokens])
    if optional:
        options.append([])
    return options


def patterns(phrase: str) -> list[tuple[list[dict], int]]:
    """Matcher patterns for a phrase, each with how many tokens at its end are context only."""
    slots = parse(phrase)
    per_slot = [_slot_options(slot) for slot in slots]
    count = 1
    for options in per_slot:
        count *= len(options)
    if count > MAX_EXPANSIONS:
        raise ValueError(f"phrase {phrase!r} stands for {count} patterns; split it up")
    out = []
    for combo in itertools.product(*per_slot):
        pattern: list[dict] = []
        trim = 0
        for option, slot in zip(combo, slots):
            pattern.extend(option)
            if slot.trailing:
                trim += len(option)
        required = [t for t in pattern[: len(pattern) - trim] if t.get("OP") != "?"]
        if required:
            out.append((pattern, trim))
    return out


def with_lead_words(pattern: list[dict], lead_words: list[str] | None) -> list[dict]:
    if not lead_words:
        return pattern
    return [{"LOWER": {"IN": sorted(set(lead_words))}, "OP": "?"}] + pattern
