"""The policy in force on a date: each parameter's dated values, and a partnership's policy for
one period in which none of them changes (its texts prepared once for that period)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Dict, FrozenSet, Mapping, NamedTuple, Optional, Tuple

from rules.texts import Text


class Value(NamedTuple):
    """One dated value of a parameter."""

    since: dt.date  # the day it took effect
    value: Any  # None for a parameter that is only a policy sentence
    policy: str  # the sentence the value comes from, quoted by decisions
    reference: str  # where that sentence is published (a page and section, or the Act's section)


@dataclass(frozen=True)
class Parameter:
    name: str
    description: Optional[str]
    values: Tuple[Value, ...]  # oldest first

    def entry_on(self, day: dt.date) -> Optional[Value]:
        """The value in force on ``day``: the latest that took effect on or before it."""
        chosen = None
        for entry in self.values:
            if entry.since <= day:
                chosen = entry
        return chosen


@dataclass(frozen=True)
class BoundTexts:
    static: Dict[str, Any]  # the static values, for sentences that mix them with a decision's
    reasons: Dict[str, Text]
    summaries: Dict[str, Text]
    next_steps: Dict[str, Text]


def namespace(value: Any) -> Any:
    """Nested mappings as attributes, so a text can say {contacts.police.phone}."""
    if isinstance(value, dict):
        return SimpleNamespace(**{str(key): namespace(item) for key, item in value.items()})
    return value


class InForce:
    """A partnership's parameters and texts as in force from ``since`` until one of them changes."""

    def __init__(self, entries: Mapping[str, Value], texts: "PartnershipTexts"):
        self.entries = dict(entries)
        self.since: dt.date = max(entry.since for entry in entries.values())
        self.threshold: int = entries["threshold"].value
        self.window_months: int = entries["window_months"].value
        self.counting_bodies: FrozenSet[str] = frozenset(entries["counting_bodies"].value)
        self.single_hate_incident: bool = entries["single_hate_incident"].value
        # Working days after receipt by which the partnership confirms it has an application
        # (casework's acknowledge_by, counted from the receipt date's value).
        self.acknowledgement_working_days: int = entries["acknowledgement_working_days"].value
        self.policy: Dict[str, str] = {name: entry.policy for name, entry in entries.items()}
        self.references: Dict[str, str] = {name: entry.reference for name, entry in entries.items()}
        # Every text with the fixed values filled in, once per organisation a complaint can be about.
        self._texts = {about: texts.bind(self, about) for about in (None, *texts.complaints)}

    def texts(self, about: Optional[str]) -> BoundTexts:
        """The texts with everything fixed filled in, for a complaint about ``about``."""
        return self._texts[about]


@dataclass(frozen=True)
class PartnershipTexts:
    """What a partnership's texts can draw on besides a decision's values."""

    display_name: str
    contacts: Dict[str, Dict[str, str]]
    complaints: Dict[str, Dict[str, str]]
    reasons: Dict[str, Text]
    outcomes: Dict[str, Tuple[Text, Text]]  # route: (summary, next steps)
    titles: Dict[str, str]  # route: its heading
    assumed: Dict[str, str]  # a case fact or an incident's detail: what its default means
    bodies: Dict[str, str]  # a `reported_to` code: how a sentence names it

    def bind(self, policy: InForce, about: Optional[str]) -> BoundTexts:
        complaints = namespace(self.complaints)
        static = {
            "partnership": self.display_name,
            "policy": namespace(policy.policy),
            "contacts": namespace(self.contacts),
            "complaints": complaints,
            "about": getattr(complaints, about) if about else None,
        }
        return BoundTexts(
            static=static,
            reasons={rule: text.bind(static) for rule, text in self.reasons.items()},
            summaries={route: pair[0].bind(static) for route, pair in self.outcomes.items()},
            next_steps={route: pair[1].bind(static) for route, pair in self.outcomes.items()},
        )
