"""Entities in a resident's message, in Rasa's entity shape.

    extract("reported it to the feds 3 times since Christmas") ->
    [{"entity": "organisation", "value": "police", "start": 22, "end": 30, "text": "the feds"},
     {"entity": "incident_count", "value": "3", ...}, {"entity": "date", "value": "since Christmas", ...}]

Given `today`, dates are resolved once, as Rasa's Duckling extractor does: one "date" entity per
date read (bot/nlp/dates.py), its value the ISO date (None when the words name no real day),
with `additional_info` {"approximate", "open_ended"}; the conversation reads those, never the
words again. Labels and values: see bot/nlp/README.md. Offsets refer to the text as given.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Optional

from groundwork.limits import READ_CHARS

from bot.nlp import pipeline
from bot.nlp.dates import parse_dates
from bot.nlp.spacy_components import DATE_CHARS

_TAG = re.compile(r"<[^<>]{0,300}>")
_HTML_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|apos|nbsp|#\d{1,6}|#x[0-9a-fA-F]{1,6});")
_ENTITY_CHAR = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'"}
_SAME_LENGTH = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " ", "\t": " "})


def clean(text: str) -> str:
    """Same length as `text`, so offsets still point into the original: curly quotes made
    straight, HTML tags blanked, "&amp;" read as "&" padded with spaces."""
    text = text.translate(_SAME_LENGTH)
    text = _TAG.sub(lambda m: " " * len(m.group()), text)
    return _HTML_ENTITY.sub(lambda m: _ENTITY_CHAR.get(m.group(), " ").ljust(len(m.group())), text)


def extract(text: str, today: Optional[dt.date] = None) -> list[dict]:
    if not isinstance(text, str) or not text.strip():
        return []
    original = text[:READ_CHARS]  # a pasted essay must not cost seconds per turn (groundwork/limits.py)
    if today is not None:
        return [e for e in _entities(original) if e["entity"] != "date"] + resolved_dates(original, today)
    return _entities(original)


def resolved_dates(text: str, today: dt.date) -> list[dict]:
    """Every date in `text` as of `today`, one entity each, in the order said."""
    return [
        {
            "entity": "date",
            "value": r.date.isoformat() if r.date else None,
            "start": r.start,
            "end": r.end,
            "text": r.text,
            "additional_info": {"approximate": r.approximate, "open_ended": r.open_ended},
        }
        for r in parse_dates(text, today).readings
    ]


def _entities(original: str) -> list[dict]:
    doc = pipeline.load()(clean(original))
    exact = doc.user_data.get(DATE_CHARS, {})
    found = []
    for ent in doc.ents:
        start, end = (
            exact.get((ent.start, ent.end), (ent.start_char, ent.end_char))
            if ent.label_ == "date"
            else (
                ent.start_char,
                ent.end_char,
            )
        )
        words = original[start:end]
        found.append({"entity": ent.label_, "value": ent.id_ or words, "start": start, "end": end, "text": words})
    return found
