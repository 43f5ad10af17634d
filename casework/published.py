"""The council's published figures: reading the CSV staff import, and printing a year as the
council's page printed it (casework/data/README.md says where they come from).

The database side (storing, refusing a year that also has recorded applications) is in
casework.service; this module touches no database.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple

from .errors import CaseworkError

DATA = Path(__file__).resolve().parent / "data"
PAGE_COPY = DATA / "published-figures-page.txt"

# CONTRACT.md, `asbcr stats import-published`: the header, in this order.
COUNTS = (
    "applications_received",
    "threshold_not_met",
    "reviews_carried_out",
    "reviews_with_recommendations",
    "appeals_received",
)
HEADER = ("year",) + COUNTS
# The names service.stats_counts uses for the same five figures, in the same order.
COUNT_KEYS = ("received", "not_met", "reviews", "recommendations", "appeals")

_WHOLE_NUMBER = re.compile(r"[0-9]+", re.ASCII)
_YEAR = re.compile(r"[0-9]{4}", re.ASCII)
FIRST_YEAR, LAST_YEAR = 2000, 2100  # as service.financial_year allows


class PublishedYear(NamedTuple):
    year: int
    counts: Tuple[int, ...]  # in the order of COUNTS
    line: int  # where it was in the file, for messages


def parse_csv(text: str, name: str) -> List[PublishedYear]:
    """The years in `text` (the CSV of CONTRACT.md), or CaseworkError naming the file and line.

    Strict on purpose: these numbers are printed to the public as the council's own, so a
    doubtful cell is refused rather than guessed at. Blank lines are ignored.
    """
    text = text.lstrip("\ufeff")  # a spreadsheet's byte-order mark is not part of the header
    rows = csv.reader(text.splitlines())
    try:
        header = next(rows, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(rows, None)
        if header is None:
            raise CaseworkError(f"{name} is empty; it needs the header {','.join(HEADER)}")
        if tuple(cell.strip() for cell in header) != HEADER:
            found = ",".join(header)
            found = found if len(found) <= 120 else found[:117] + "..."
            raise CaseworkError(f"{name} line {rows.line_num}: the header must be {','.join(HEADER)}, not {found!r}")
        years: List[PublishedYear] = []
        seen: Dict[int, int] = {}
        for row in rows:
            if not any(cell.strip() for cell in row):
                continue
            years.append(_parse_row(row, rows.line_num, name, seen))
    except csv.Error as error:
        raise CaseworkError(f"{name} line {rows.line_num}: not valid CSV ({error})") from None
    if not years:
        raise CaseworkError(f"{name} has no figures after its header")
    return years


def _parse_row(row: List[str], line: int, name: str, seen: Dict[int, int]) -> PublishedYear:
    where = f"{name} line {line}"
    if len(row) != len(HEADER):
        raise CaseworkError(f"{where}: expected {len(HEADER)} values ({','.join(HEADER)}), found {len(row)}")
    cells = [cell.strip() for cell in row]
    if not _YEAR.fullmatch(cells[0]) or not FIRST_YEAR <= int(cells[0]) <= LAST_YEAR:
        raise CaseworkError(
            f"{where}: year must be the year its April falls in, like 2022 for April 2022 - March 2023, not {_shown(cells[0])}"
        )
    year = int(cells[0])
    if year in seen:
        raise CaseworkError(f"{where}: year {year} is already on line {seen[year]}; each year once")
    seen[year] = line
    counts = []
    for column, cell in zip(COUNTS, cells[1:]):
        if re.fullmatch(r"-\s*[0-9]+", cell, re.ASCII):
            raise CaseworkError(f"{where}: {column} cannot be negative ({cell})")
        if not _WHOLE_NUMBER.fullmatch(cell):
            raise CaseworkError(f"{where}: {column} must be a whole number, not {_shown(cell)}")
        counts.append(int(cell))
    return PublishedYear(year, tuple(counts), line)


def _shown(cell: str) -> str:
    if not cell:
        return "empty"
    return repr(cell if len(cell) <= 40 else cell[:37] + "...")


def season(year: int) -> str:
    """2019 -> "2019/20", as staff say it."""
    return f"{year}/{(year + 1) % 100:02d}"


# --- printing a year as the page did -------------------------------------------------

_HEADING = re.compile(r"From April ([0-9]{4})\b.*", re.ASCII)
_COUNT_LINE = re.compile(r"([0-9]+)(\s.*)")  # \s: the page has a no-break space in some years


@lru_cache(maxsize=1)
def page_blocks() -> Dict[int, Tuple[str, Tuple[str, ...]]]:
    """Each year on the stored copy of the page: its heading line, and the rest of each of its
    five count lines after the number (the characters exactly as the page has them)."""
    blocks: Dict[int, Tuple[str, Tuple[str, ...]]] = {}
    lines = PAGE_COPY.read_text(encoding="utf-8").split("\n")
    for index, line in enumerate(lines):
        heading = _HEADING.fullmatch(line)
        if not heading:
            continue
        counted = [text for text in lines[index + 1 : index + 1 + 1 + len(COUNTS)] if text]
        tails = [_COUNT_LINE.fullmatch(text) for text in counted]
        if len(tails) != len(COUNTS) or not all(tails):
            raise AssertionError(f"{PAGE_COPY.name}: the year under {line!r} does not have its five count lines")
        blocks[int(heading.group(1))] = (line, tuple(match.group(2) for match in tails))
    return blocks


def as_printed(year: int, counts: Dict[str, int]) -> Optional[str]:
    """`year`'s figures worded as the page printed that year, or None for a year the page
    does not have (the caller then uses the service's own wording)."""
    block = page_blocks().get(year)
    if block is None:
        return None
    heading, tails = block
    lines = [heading, ""] + [f"{counts[key]}{tail}" for key, tail in zip(COUNT_KEYS, tails)]
    # The page's no-break space after a number is HTML typography; CONTRACT.md's block for 2022
    # prints an ordinary one, and a terminal or a CSV shows no difference but a wrong compare.
    return "\n".join(lines).replace("\u00a0", " ")
