"""Words for the codes in applications, shared by the PDF, the web page and the CLI.

The words about a decision (its outcome's title, what each default means, the bodies' names)
are the decision's own, from its partnership's file (casework.partnership.words); this module
only arranges them.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List

from groundwork import dates

from .partnership import words

CHANNELS = {
    "chat": "Online chat",
    "paper": "Paper form",
    "phone": "Telephone",
    "email": "Email",
    "in_person": "In person",
}

EVENTS = {
    "received": "Application received",
    "threshold-met": "Threshold met",
    "threshold-not-met": "Threshold not met",
    "rejected": "Application rejected",
    "review-held": "Case review held",
    "recommendations-made": "Recommendations made",
    "appeal-received": "Appeal received",
    "withdrawn": "Application withdrawn",
    "resident-updated": "Changed by the applicant in the chat",
    "resident-erased": "Personal details removed at the applicant's request",
}


def outcome(decision: Dict[str, Any]) -> str:
    """The title of the decision's outcome, as its partnership words it."""
    code = str((decision or {}).get("outcome") or "")
    return words(decision).get("title") or code.replace("_", " ").capitalize()


def reported_to(codes, decision: Dict[str, Any]) -> str:
    """The bodies an incident was reported to, named as ``decision``'s partnership names them
    ("The police and the council"), in the order given; a code with no words shows as the code."""
    if not codes:
        return "Not recorded"
    if isinstance(codes, str):
        codes = [codes]
    names = words(decision).get("bodies") or {}
    said = [names.get(str(code)) or str(code) for code in codes]
    joined = said[0] if len(said) == 1 else ", ".join(said[:-1]) + " and " + said[-1]
    return joined[:1].upper() + joined[1:]


def consent(on_behalf: bool, value) -> str:
    if not on_behalf:
        return "Not needed: the applicant is the person affected"
    return {True: "Given", False: "Refused"}.get(value, "Not asked yet")


def long_date(iso: str) -> str:
    """A stored date in words; a value that is no date is shown as it is rather than hiding
    the rest of the application."""
    try:
        return dates.long_date(dates.iso_date(iso))
    except dates.DateError:
        return str(iso)


def _numbers(values) -> str:
    """1, 2, 3, 5 -> "1 to 3 and 5"."""
    values = sorted(set(values))
    runs, start = [], None
    for index, value in enumerate(values):
        if start is None:
            start = value
        if index + 1 == len(values) or values[index + 1] != value + 1:
            runs.append(str(start) if start == value else f"{start} to {value}")
            start = None
    return runs[0] if len(runs) == 1 else ", ".join(runs[:-1]) + " and " + runs[-1]


def assumed(decision: Dict[str, Any]) -> List[str]:
    """What the decision assumed, in its own words, each sentence once; a sentence about
    incidents says which (numbered from 1): "each incident was ... (incidents 1 to 3)"."""
    said = words(decision).get("assumed") or {}
    sentences: Dict[str, List[int]] = {}
    for key in (decision or {}).get("assumed") or []:
        key = str(key)
        sentence = said.get(key) or key.replace("_", " ")
        numbers = sentences.setdefault(sentence, [])
        match = re.fullmatch(r"incidents\[(\d+)\]\.\w+", key)
        if match:
            numbers.append(int(match.group(1)) + 1)
    return [
        f"{sentence} (incident{'s' if len(numbers) > 1 else ''} {_numbers(numbers)})" if numbers else sentence
        for sentence, numbers in sentences.items()
    ]
