"""The case as the conversation knows it: one list of incidents and the answers that matter.

One incident told to three bodies is one incident with three bodies. Bodies said for the case
as a whole (`bodies`) apply to every incident that has none of its own. Everything the bot says
or decides is worked out from this one object (`facts()`), which is what the check shows.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

YES_NO_FACTS = (
    "emergency",
    "asb_ongoing",
    "incidents_related",
    "on_behalf",
    "staff_conduct",
    "complaint_completed",
    "previous_review",
)
CONSENT_FACT = {"yes": True, "no": False, "not_asked": None}


@dataclass
class Incident:
    date: str  # ISO
    reported_to: List[str] = field(default_factory=list)  # empty: the case's `bodies` apply
    reported_on: Optional[str] = None
    reference: Optional[str] = None


MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")  # as the reading names them


def unique_list(items: List[str]) -> List[str]:
    return list(dict.fromkeys(items))


@dataclass
class Case:
    concern: Optional[str] = None  # asb / staff / review, when the resident has said what this is about
    emergency: Optional[bool] = None
    asb_ongoing: Optional[bool] = None
    reported: Optional[bool] = None  # told anyone at all
    bodies: List[str] = field(default_factory=list)
    landlord_unclear: bool = False
    incidents: List[Dict[str, Any]] = field(default_factory=list)
    count: Optional[int] = None  # incidents reported in the window, as the resident counts them
    dates_complete: bool = False  # the resident has no more dates to give
    dates_asked: bool = False  # the dates question has been answered, so dates in passing are not all there is
    incidents_related: Optional[bool] = None
    on_behalf: Optional[bool] = None
    consent: Optional[str] = None  # yes / no / not_asked
    staff_conduct: Optional[bool] = None
    complaint_completed: Optional[bool] = None
    complained_about: Optional[str] = None
    previous_review: Optional[bool] = None
    past_review_cue: bool = False
    reported_person: bool = False
    defaulted: List[str] = field(default_factory=list)  # questions answered "don't know" or given up on
    story: Optional[str] = None
    ordinal_bodies: List[Any] = field(default_factory=list)  # bodies for incidents named by order, dates to come
    ordinal_bodies_wait: bool = False  # named by order among dates not all told yet
    bodies_per_incident_unclear: bool = False  # "police twice and the council once": which is asked
    bodies_for_named_incidents: List[str] = field(default_factory=list)  # "the October one I told the housing too"
    # Whether to ask at all: with no word that it may have stopped, or that it may be for someone
    # else, the check shows "still happening: yes" and "applying for: yourself" to correct instead.
    may_have_stopped: bool = False
    someone_else_hint: bool = False

    @classmethod
    def from_dict(cls, raw: Optional[Dict[str, Any]]) -> "Case":
        known = {k: copy.deepcopy(v) for k, v in (raw or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    # --- incidents ----------------------------------------------------------------------------
    def dates(self) -> List[str]:
        return [i["date"] for i in self.incidents]

    def set_dates(self, dates: List[dt.date], add: bool = False) -> None:
        """The incidents on these dates; bodies already said for a date are kept."""
        known = {i["date"]: i for i in self.incidents}
        wanted = sorted({d.isoformat() for d in dates} | (set(known) if add else set()))
        self.incidents = [known.get(day) or asdict(Incident(day)) for day in wanted]

    def redate(self, index: int, day: dt.date) -> None:
        """The incident at `index` (-1: the last) happened on `day`, not the date it had."""
        if -len(self.incidents) <= index < len(self.incidents):
            self.incidents[index]["date"] = day.isoformat()
            self.incidents.sort(key=lambda i: i["date"])

    def apply_ordinal_bodies(self) -> None:
        """Bodies said for "the first one", "the other three" or "the February one", once the dates are known."""
        if not self.incidents or not self.ordinal_bodies:
            return
        named = set()
        for which, bodies in self.ordinal_bodies:
            if which == "first":
                targets = [0]
            elif isinstance(which, str) and which.startswith("first_"):
                targets = list(range(min(int(which[6:]), len(self.incidents))))
            elif which == "last":
                targets = [len(self.incidents) - 1]
            elif isinstance(which, (list, tuple)) and which[0] == "nth":
                targets = [which[1]] if which[1] < len(self.incidents) else []
            elif isinstance(which, (list, tuple)) and which[0] == "seq":
                # A plain list in order is only taken when it has one body per incident.
                targets = [which[1]] if which[2] == len(self.incidents) else []
            elif isinstance(which, (list, tuple)) and which[0] == "day":
                targets = [i for i, inc in enumerate(self.incidents) if inc["date"] == which[1]]
            elif isinstance(which, (list, tuple)) and which[0] == "month":
                targets = [i for i, inc in enumerate(self.incidents) if int(inc["date"][5:7]) == MONTHS.index(which[1]) + 1]
            else:
                continue
            also = isinstance(which, (list, tuple)) and which[-1] == "also"
            for index in targets:
                before = self.bodies_of(self.incidents[index])
                self.incidents[index]["reported_to"] = unique_list(before + list(bodies)) if also else list(bodies)
                named.add(index)
        for which, bodies in self.ordinal_bodies:
            if which == "rest":
                for index, incident in enumerate(self.incidents):
                    if index not in named:
                        incident["reported_to"] = list(bodies)
        self.ordinal_bodies = []
        self.bodies_per_incident_unclear = False

    def name_landlord(self, kind: str) -> None:
        """The landlord told about is `kind` (social_landlord or private_landlord), wherever it was said."""
        self.landlord_unclear = False
        self.bodies = [kind if b == "landlord" else b for b in self.bodies]
        for incident in self.incidents:
            incident["reported_to"] = [kind if b == "landlord" else b for b in incident.get("reported_to") or []]

    def bodies_of(self, incident: Dict[str, Any]) -> List[str]:
        """Its own bodies, else the case's, less those said only for other incidents named apart."""
        case_wide = [b for b in self.bodies if b not in self.bodies_for_named_incidents] or self.bodies
        return list(incident.get("reported_to") or case_wide)

    def all_bodies(self) -> List[str]:
        found = list(self.bodies)
        for incident in self.incidents:
            found += [b for b in incident.get("reported_to") or [] if b not in found]
        return found

    def facts(self, today: dt.date) -> Dict[str, Any]:
        """The case facts (CONTRACT.md) the rule set decides on: only what the resident said,
        so the decision's `assumed` names every default it relied on."""
        facts: Dict[str, Any] = {"as_of": today.isoformat()}
        for key in YES_NO_FACTS:
            value = getattr(self, key)
            if value is not None:
                facts[key] = bool(value)
        if self.on_behalf and self.consent in CONSENT_FACT:
            facts["consent"] = CONSENT_FACT[self.consent]
        if self.complained_about:
            facts["complained_about"] = self.complained_about
        incidents = []
        if self.reported is not False:
            for incident in self.incidents:
                bodies = list(dict.fromkeys(b for b in self.bodies_of(incident) if b != "landlord"))
                if not bodies:
                    continue
                entry: Dict[str, Any] = {"date": incident["date"], "reported_to": bodies}
                if incident.get("reported_on"):
                    entry["reported_on"] = incident["reported_on"]
                if incident.get("reference"):
                    entry["reference"] = incident["reference"]
                incidents.append(entry)
        if incidents or self.reported is False:
            facts["incidents"] = incidents
        # else: nothing asked about reports (it could not change the outcome), so the rule set is
        # not told there were none; the decision lists `incidents` as assumed.
        return facts
