"""The cue lists of cues.yml, compiled once."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Dict, List, Pattern, Union

CUES_FILE = Path(__file__).with_name("cues.yml")


class Cue:
    """One cue: a pattern, or a list of them, searched case-insensitively."""

    def __init__(self, name: str, raw: Union[str, List[str]]) -> None:
        self.name = name
        self.patterns: List[Pattern[str]] = [re.compile(p, re.I) for p in ([raw] if isinstance(raw, str) else raw)]

    def search(self, text: str):
        for pattern in self.patterns:
            found = pattern.search(text)
            if found:
                return found
        return None

    def finditer(self, text: str):
        for pattern in self.patterns:
            yield from pattern.finditer(text)

    def __call__(self, text: str) -> bool:
        return self.search(text) is not None


@functools.lru_cache(maxsize=1)
def cues() -> Dict[str, Cue]:
    import yaml

    raw = yaml.safe_load(CUES_FILE.read_text(encoding="utf-8"))
    found: Dict[str, Cue] = {}
    for name, value in raw.items():
        if isinstance(value, dict):
            for inner, patterns in value.items():
                found[f"{name}.{inner}"] = Cue(f"{name}.{inner}", patterns)
        else:
            found[name] = Cue(name, value)
    return found


def cue(name: str) -> Cue:
    return cues()[name]
