"""Loads the word lists in bot/nlp/patterns/ (YAML a council officer can edit)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

import yaml

PATTERNS_DIR = Path(__file__).resolve().parent / "patterns"
NLP_DIR = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=None)
def load(name: str) -> Any:
    """The parsed contents of patterns/NAME.yml."""
    path = PATTERNS_DIR / f"{name}.yml"
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if data is None:
        raise ValueError(f"{path} is empty")
    _refuse_yaml_booleans(data, path)
    return data


def _refuse_yaml_booleans(node: Any, path: Path) -> None:
    """YAML reads a bare no, yes, on or off as true/false: in a word list that is always a mistake."""
    items = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for item in items:
        if isinstance(item, bool):
            raise ValueError(f"{path}: a bare yes/no/on/off was read as {item}; put the word in quotes")
        _refuse_yaml_booleans(item, path)


def source_files() -> list[Path]:
    """Every file the built pipeline depends on: the pattern data and the code that reads it."""
    files = sorted(PATTERNS_DIR.glob("*.yml")) + sorted(NLP_DIR.glob("*.py"))
    return [path for path in files if path.is_file()]


def sources_hash() -> str:
    digest = hashlib.sha256()
    for path in source_files():
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()
