"""Builds the project's spaCy pipeline from the word lists in bot/nlp/patterns/.

    python -m bot.nlp.build               build and save to var/spacy/asbcr_en
    python -m bot.nlp.build --if-changed  skip when the saved pipeline was built from the same sources

The pipeline is spacy.blank("en") plus rule components (bot/nlp/spacy_components.py); there is
no model to download and nothing is trained, so a build takes well under a second.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from typing import TYPE_CHECKING

import yaml

from groundwork.paths import var_dir
from bot.nlp import vocab

if TYPE_CHECKING:
    from spacy.language import Language

# spaCy is imported inside the functions that need it: `--if-changed` with nothing to do
# only hashes files and must not pay for loading spaCy.

PIPELINE_NAME = "asbcr_en"
STAMP = "sources.sha256"

# Words that do not stop a message being a "short answer" naming a person ("it's for me mum").
FILLER = [
    "it",
    "its",
    "it's",
    "'s",
    "s",
    "is",
    "for",
    "yes",
    "yeah",
    "yep",
    "no",
    "nope",
    "erm",
    "um",
    "umm",
    "well",
    "oh",
    "sorry",
    "they",
    "they're",
    "'re",
    "re",
    "she",
    "he",
    "she's",
    "he's",
    "and",
    "both",
    "like",
    "was",
    "actually",
    "this",
    "that",
    "ok",
    "okay",
    "x",
    "xx",
    "xxx",
    "please",
    "thanks",
    "thank",
    "you",
    "tbh",
    "lol",
    "asking",
    "just",
    "i",
    "i'm",
    "'m",
    "m",
    "am",
    "on",
    "behalf",
    "of",
    "about",
    "doing",
    "applying",
    "mate",
    "duck",
]
POSSESSIVE = ["my", "me", "ma", "mi", "our"]


def pipeline_dir() -> Path:
    return var_dir() / "spacy" / PIPELINE_NAME


def _rule(label: str, value: str, phrase_list, lead_words=None) -> dict:
    from bot.nlp import phrases

    patterns, trims = [], []
    for phrase in phrase_list:
        for pattern, trim in phrases.patterns(phrase):
            patterns.append(phrases.with_lead_words(pattern, lead_words))
            trims.append(trim)
    return {"label": label, "value": value, "patterns": patterns, "trims": trims}


def phrase_rules() -> list[dict]:
    """Every phrase list of patterns/*.yml as a matcher rule (label, canonical value, patterns)."""
    rules = []
    org = vocab.load("organisation")
    for value, phrase_list in org["values"].items():
        rules.append(_rule("organisation", value, phrase_list, org["lead_words"]))
    rules.append(_rule("_not_a_body", "", org["not_a_body"], org["lead_words"]))

    for name in ("asb_status", "relation"):
        data = vocab.load(name)
        for value, phrase_list in data["values"].items():
            rules.append(_rule(data["label"], value, phrase_list))

    staff = vocab.load("staff_conduct")
    rules.append(_rule("_staff_cue", "true", staff["cues"]))
    rules.append(_rule("_staff_only", "true", staff["with_staff_only"]))
    rules.append(_rule("_staff_word", "", staff["staff_words"]))

    danger = vocab.load("danger")
    rules.append(_rule("_immediate", "true", danger["immediate"]))
    rules.append(_rule("_threat", "true", danger["threats"]))
    rules.append(_rule("_now", "", danger["now_cues"]))
    rules.append(_rule("_past_time", "", danger["past_times"]))
    rules.append(_rule("_past_verb", "", danger["past_verbs"]))

    other = vocab.load("someone_else")
    vulnerable = other["vulnerable"]
    frail = "(" + "|".join(v.strip("()") for v in vulnerable) + ")?"
    people = [f"{frail} {p}" for p in other["people"]]
    rules.append(_rule("_person", "", people, other["lead_words"]))
    rules.append(_rule("_vulnerable", "", vulnerable))
    rules.append(_rule("_for", "", other["for_cues"]))
    rules.append(_rule("_victim_cue", "", other["victim_cues"]))
    rules.append(_rule("_someone_phrase", "", other["phrases"]))
    return rules


def count_data() -> dict:
    from bot.nlp import phrases

    numbers = vocab.load("numbers")
    counts = vocab.load("incident_count")
    many = []
    for phrase in counts["many"]:
        many.extend(list(c.tokens) for c in phrases.sequences(phrase))
    return {
        "numbers": {str(k): int(v) for k, v in numbers["cardinals"].items()},
        "multiplicatives": numbers["multiplicatives"],
        "weak": numbers["weak_cardinals"],
        "ordinals": numbers["ordinals"],
        "count_nouns": counts["count_nouns"],
        "hedges": counts["hedges"],
        "many": many,
        "many_alone": [str(m) for m in counts["many_alone"]],
        "zero_alone": [str(z) for z in counts["zero_alone"]],
    }


def build_pipeline() -> "Language":
    """The pipeline, in memory."""
    import spacy

    from bot.nlp import spacy_components  # noqa: F401  (registers the factories)

    nlp = spacy.blank("en")
    nlp.add_pipe("asbcr_phrases").configure({"rules": phrase_rules()})
    nlp.add_pipe("asbcr_dates").configure({})
    nlp.add_pipe("asbcr_counts").configure(count_data())
    nlp.add_pipe("asbcr_context").configure({"filler": FILLER, "possessive": POSSESSIVE})
    nlp.add_pipe("asbcr_resolve").configure({})
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = "ASB Case Review entity rules, built by bot/nlp/build.py from bot/nlp/patterns/"
    return nlp


def is_current(path: Path | None = None) -> bool:
    path = path or pipeline_dir()
    stamp = path / STAMP
    return stamp.is_file() and stamp.read_text().strip() == vocab.sources_hash()


def build(path: Path | None = None) -> Path:
    """Builds and saves the pipeline; writes the sources' hash last so a half-written build is never current."""
    path = path or pipeline_dir()
    nlp = build_pipeline()
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(tmp)
    shutil.rmtree(path, ignore_errors=True)
    tmp.rename(path)
    (path / STAMP).write_text(vocab.sources_hash() + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.nlp.build", description=__doc__.splitlines()[0])
    parser.add_argument("--if-changed", action="store_true", help="do nothing if the saved pipeline is up to date")
    args = parser.parse_args(argv)
    if args.if_changed and is_current():
        return 0
    started = time.perf_counter()
    try:
        path = build()
    except (OSError, ValueError, KeyError, yaml.YAMLError) as err:  # a bad pattern file: say which, no traceback
        print(f"Could not build the spaCy pipeline: {err}", file=sys.stderr)
        return 1
    print(f"Built the spaCy pipeline in {path} ({time.perf_counter() - started:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
