"""Reading the case tables in tests/rules/cases/ (YAML a council officer can extend)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

CASES = Path(__file__).resolve().parent / "cases"
# The day the case tables are pinned to (conftest.py sets ASBCR_TODAY to it for the command line).
TODAY = dt.date(2026, 11, 25)


def as_json(value: Any) -> Any:
    """YAML reads 2026-09-02 as a date; the chat and JSON files send text, so tests do too."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    return value


def load(name: str) -> Any:
    with open(CASES / name, encoding="utf-8") as handle:
        return as_json(yaml.safe_load(handle))
