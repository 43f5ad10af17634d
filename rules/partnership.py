"""Partnerships: each one's ASB Case Review policy as data, read from rules/partnerships/NAME.yml.

A partnership file holds the parameters (threshold, window, bodies whose reports count, whether
one hate incident is enough), each with its values by the date they took effect, the policy
sentence behind each value and where that sentence is published, plus the partnership's
contacts and every text a decision shows. Adding a partnership is adding a file; nothing here
names one except ``configured_name()``, which reads ASBCR_PARTNERSHIP (CONTRACT.md, Environment).

The pieces: rules/schema.py checks a file (partnerships/schema.json and the cross-checks),
rules/in_force.py is the policy in force on a date, rules/texts.py the template language.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import logging
import os
import re
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from rules import ruleset
from rules.in_force import InForce, Parameter, PartnershipTexts
from rules.schema import PartnershipError, checked

__all__ = ["Partnership", "PartnershipError", "configured_name", "load_partnership", "partnerships"]

log = logging.getLogger(__name__)

PARTNERSHIPS_DIR = Path(__file__).resolve().parent / "partnerships"
ENV_VAR = "ASBCR_PARTNERSHIP"
DEFAULT_PARTNERSHIP = "erewash"  # CONTRACT.md's default for ASBCR_PARTNERSHIP; chosen here only
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


def configured_name() -> str:
    """The partnership the whole service uses: ASBCR_PARTNERSHIP, or the contract's default."""
    return os.environ.get(ENV_VAR, "").strip() or DEFAULT_PARTNERSHIP


class Partnership:
    """One partnership's policy. ``on(date)`` gives the parameters and texts in force that day."""

    def __init__(self, path: Path, data: dict, content: bytes):
        self.path = path
        self.name: str = data["name"]
        self.display_name: str = data["display_name"]
        self.full_name: str = data["full_name"]
        self.parameters: Dict[str, Parameter] = data["parameters"]
        self.texts: PartnershipTexts = data["texts"]
        self.contacts = self.texts.contacts
        self.complaints = self.texts.complaints
        self.bodies: Dict[str, str] = self.texts.bodies  # each `reported_to` code as a sentence names it
        starts = sorted({entry.since for parameter in self.parameters.values() for entry in parameter.values})
        digest = hashlib.sha256(content + ruleset.fingerprint().encode()).hexdigest()[:8]
        # Changes whenever the file or the rule conditions change; the date says which policy.
        self.version = f"{starts[-1].isoformat()}.{digest}"
        # One InForce per period in which no parameter changes, from the first day all have a value.
        self._starts: List[dt.date] = []
        self._periods: List[InForce] = []
        for start in starts:
            entries = {name: parameter.entry_on(start) for name, parameter in self.parameters.items()}
            if all(entries.values()):
                self._starts.append(start)
                self._periods.append(InForce(entries, self.texts))

    def __repr__(self) -> str:
        return f"<Partnership {self.name} {self.version}>"

    @property
    def contact(self) -> Dict[str, str]:
        """Who to contact about a case review (the community safety contact)."""
        return dict(self.contacts.get("community_safety", {}))

    def words(self, outcome: str, assumed: List[str]) -> Dict[str, Any]:
        """The words a decision with ``outcome`` and ``assumed`` is shown with (its `words`): the
        outcome's title, what each default it relied on means, and the bodies' names. Everything a
        resident or an officer reads about a decision comes from here or from the decision's texts."""
        return {
            "title": self.texts.titles[outcome],
            "assumed": {key: self.texts.assumed[_assumed_name(key)] for key in assumed},
            "bodies": dict(self.bodies),
        }

    def on(self, day: dt.date) -> InForce:
        """The parameters and texts in force on ``day``; PartnershipError before the policy began."""
        period = bisect.bisect_right(self._starts, day) - 1
        if period < 0:
            missing = next(name for name, parameter in self.parameters.items() if parameter.entry_on(day) is None)
            raise PartnershipError(
                f"{self.display_name}'s policy on {missing} took effect after "
                f"{day.isoformat()}, so there is no policy to apply on that day"
            )
        return self._periods[period]


def _assumed_name(key: str) -> str:
    """The default an `assumed` entry names: "asb_ongoing", or "reported_on" for "incidents[0].reported_on"."""
    return key.rsplit(".", 1)[-1] if key.startswith("incidents[") else key


# ---- Loading ------------------------------------------------------------------------------


# Each file as last read, with its modification time and size: a file is parsed and checked
# once, and again only when it changes (the bot loads its partnership every turn).
class _Loaded(NamedTuple):
    file: str
    stamp: Tuple[int, int]
    partnership: Partnership


_loaded: Dict[Tuple[str, str], _Loaded] = {}


def partnerships(directory: Optional[Path] = None) -> List[str]:
    """The names of the partnerships available (one file each)."""
    folder = Path(directory) if directory else PARTNERSHIPS_DIR
    return sorted(path.stem for path in folder.glob("*.yml") if _NAME.match(path.stem))


def load_partnership(name: str, directory: Optional[Path] = None) -> Partnership:
    """The partnership called ``name``, from NAME.yml (read again when the file changes)."""
    folder = Path(directory) if directory else PARTNERSHIPS_DIR
    key = (str(folder), name)  # the folder read, so a file of that name in another folder is never returned
    last = _loaded.get(key)
    if last is not None:
        try:
            status = os.stat(last.file)
        except OSError:
            pass
        else:
            if (status.st_mtime_ns, status.st_size) == last.stamp:
                return last.partnership
    if not isinstance(name, str) or not _NAME.match(name):
        raise PartnershipError(f"{name!r} is not a partnership name (lower-case letters, digits, - and _)")
    path = folder / f"{name}.yml"
    try:
        status = path.stat()
    except OSError:
        available = ", ".join(partnerships(folder)) or "none"
        raise PartnershipError(f"unknown partnership {name!r} (available: {available})") from None
    stamp = (status.st_mtime_ns, status.st_size)
    content = path.read_bytes()
    try:
        partnership = Partnership(path, checked(name, path, content), content)
    except PartnershipError as error:
        if last is None:
            raise
        # Edited into something broken while the service runs: keep deciding with the last
        # good version rather than failing every conversation; say so loudly.
        log.error("%s; still using %s version %s", error, name, last.partnership.version)
        partnership = last.partnership
    _loaded[key] = _Loaded(str(path), stamp, partnership)
    return partnership
