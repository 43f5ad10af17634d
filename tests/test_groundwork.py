"""The ground floor (groundwork/): it imports nothing of the project, and its dates read and
write the same on Rasa's Python 3.10 and the web tier's 3.12 (this file runs in both)."""

from __future__ import annotations

import ast
import datetime as dt
import sys
from pathlib import Path

import pytest

from groundwork import clock
from groundwork.dates import DateError, iso_date, long_date

GROUND = Path(__file__).resolve().parent.parent / "groundwork"


PROJECT = {"groundwork", "asbcr", "rules", "casework", "bot", "web", "evaluation"}


def _optional_imports(tree: ast.AST) -> set:
    """Imports inside `try: ... except ImportError`: a library the module uses when it is there
    (private_logs hooks Rasa's structlog where Rasa is installed; the web tier has neither)."""
    optional = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError") for h in node.handlers
        ):
            optional.update(id(n) for part in node.body for n in ast.walk(part) if isinstance(n, (ast.Import, ast.ImportFrom)))
    return optional


def test_the_ground_floor_imports_only_the_standard_library_and_itself():
    for path in sorted(GROUND.glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        optional = _optional_imports(tree)
        for node in ast.walk(tree):
            if id(node) in optional:
                names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module]
                assert all(name.split(".")[0] not in PROJECT for name in names), (
                    f"{path.name}: the project's own {names} made optional"
                )
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top == "groundwork" or top in sys.stdlib_module_names, f"{path.name} imports {name}"


@pytest.mark.parametrize(
    "value, day",
    [
        ("2026-11-25", dt.date(2026, 11, 25)),
        (" 2026-11-25\n", dt.date(2026, 11, 25)),
        (dt.date(2026, 2, 28), dt.date(2026, 2, 28)),
    ],
)
def test_an_iso_date_or_a_date_is_read(value, day):
    assert iso_date(value, "received") == day


@pytest.mark.parametrize(
    "value",
    [
        "25/11/2026",
        "2026-02-30",  # the right shape, no such day
        "20261125",  # Python 3.11+'s fromisoformat would take it; 3.10's would not
        "2026-W48-3",  # likewise
        "2026-11-25T10:00",
        "",
        20261125,
        None,
        dt.datetime(2026, 11, 25, 10, 0),
    ],
)
def test_anything_else_is_refused_in_one_sentence_naming_the_key(value):
    with pytest.raises(DateError) as refused:
        iso_date(value, "received")
    assert str(refused.value) == f"received must be a date as YYYY-MM-DD, not {value!r}"
    assert isinstance(refused.value, ValueError)  # callers that catch ValueError keep catching it
    assert (refused.value.no_such_day is not None) == (value == "2026-02-30")  # only a real shape says why


@pytest.mark.parametrize(
    "value, why",
    [
        ("2026-02-30", "day is out of range for month"),
        (" 2026-13-01", "month must be in 1..12"),
    ],
)
def test_a_value_of_the_right_shape_that_names_no_day_says_why(value, why):
    """So a caller can word its own message (rules/facts.py: "'2026-02-30' is not a real date")."""
    with pytest.raises(DateError) as refused:
        iso_date(value, "date")
    assert refused.value.no_such_day == why


@pytest.mark.parametrize(
    "day, words",
    [
        (dt.date(2026, 11, 25), "25 November 2026"),
        (dt.date(2027, 1, 1), "1 January 2027"),  # no leading zero, and no platform-only %-d
        (dt.date(2026, 12, 31), "31 December 2026"),
    ],
)
def test_a_long_date(day, words):
    assert long_date(day) == words


def test_a_long_date_with_its_weekday():
    assert long_date(dt.date(2026, 11, 25), weekday=True) == "Wednesday 25 November 2026"
    assert long_date(dt.date(2026, 11, 29), weekday=True) == "Sunday 29 November 2026"


def test_the_clock_is_asbcr_today_when_it_is_set(monkeypatch):
    monkeypatch.setenv("ASBCR_TODAY", " 2026-02-28 ")
    assert clock.today() == dt.date(2026, 2, 28)
    monkeypatch.setenv("ASBCR_TODAY", "25/11/2026")
    with pytest.raises(ValueError, match=r"^ASBCR_TODAY must be a date as YYYY-MM-DD, not '25/11/2026'$"):
        clock.today()
