"""Which responses bot/domain.yml has: the one source of the bot's words, read once.

The conversation names responses ("utter_ask_consent_again"); whether a wording exists is a
fact about the domain, not a list kept beside it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Dict, List

import yaml

DOMAIN = Path(__file__).resolve().parents[1] / "domain.yml"


@functools.lru_cache(maxsize=1)
def responses() -> Dict[str, List[Dict[str, Any]]]:
    return yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))["responses"]


def has(response: str) -> bool:
    return response in responses()
