"""The project's spaCy pipeline, loaded once per process.

`load()` uses the saved build in var/spacy/asbcr_en when it was built from the current
pattern files, and otherwise builds it in memory (a fraction of a second), so actions and
tests never fail for want of `make nlp`.
"""

from __future__ import annotations

import threading

import spacy
from spacy.language import Language

from bot.nlp import build as _build
from bot.nlp import spacy_components  # noqa: F401  (registers the factories)

_lock = threading.Lock()
_nlp: Language | None = None


def load() -> Language:
    global _nlp
    if _nlp is None:
        with _lock:
            if _nlp is None:
                path = _build.pipeline_dir()
                if _build.is_current(path):
                    _nlp = spacy.load(path)
                else:
                    _nlp = _build.build_pipeline()
    return _nlp


def reset() -> None:
    """Forget the loaded pipeline (tests that edit pattern files)."""
    global _nlp
    with _lock:
        _nlp = None
