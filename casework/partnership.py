"""Who the paperwork comes from: the partnership whose rule set made the decision.

Names, contact details and the acknowledgement promise live with the rule set
(rules/partnerships/NAME.yml), so a partnership that runs its own rule set gets its own
letterhead and its own acknowledge_by without a code change. The partnership is the one the
decision records (`rule_set.name`), never a default: an application whose decision names none,
or names one that has no file, is refused with the reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List

from rules import Partnership, PartnershipError, load_partnership

from .errors import CaseworkError


def letterhead(decision: Dict[str, Any]) -> Dict[str, str]:
    """The name and contact of the partnership that made ``decision``, for the PDF and the page."""
    return partnership(_deciding_name(decision, "whose letterhead to use"))


def acknowledgement_working_days(decision: Dict[str, Any], received: dt.date) -> int:
    """The working days within which the partnership that made ``decision`` confirms receipt,
    as its file says on the day of receipt."""
    name = _deciding_name(decision, "whose promise to confirm receipt applies")
    try:
        return _load(name).on(received).acknowledgement_working_days
    except PartnershipError as error:
        raise CaseworkError(f"received: {error}") from None


def _deciding_name(decision: Dict[str, Any], unknown: str) -> str:
    name = ((decision or {}).get("rule_set") or {}).get("name")
    if not isinstance(name, str) or not name.strip():
        raise CaseworkError(
            "the application's decision does not say which partnership's rule set made it "
            f"(rule_set.name), so {unknown} is unknown"
        )
    return name


def _load(name: str) -> Partnership:
    """load_partnership keeps each file read once and notices when it changes."""
    try:
        return load_partnership(name)
    except PartnershipError as error:
        raise CaseworkError(f"the partnership {name!r} named by the application's decision cannot be loaded: {error}") from None


def partnership(name: str) -> Dict[str, str]:
    """The letterhead of the partnership called ``name`` (a file under rules/partnerships/)."""
    loaded = _load(name)
    contact = loaded.contact
    appeals = dict(loaded.contacts.get("pcc", {}))  # who hears an appeal against a case review
    role = contact.get("role") or contact.get("name") or ""
    organisation = contact.get("organisation") or loaded.full_name
    return {
        "name": loaded.full_name,
        "contact": ", ".join(part for part in (role, organisation) if part),
        "address": contact.get("address", ""),
        "phone": contact.get("phone", ""),
        "web": contact.get("web", ""),
        "appeal_to": appeals.get("name", ""),
        "appeal_web": appeals.get("web", ""),
    }


def words(decision: Dict[str, Any]) -> Dict[str, Any]:
    """The words ``decision`` is shown with (the decision's `words`: title, what each default it
    relied on means, the bodies' names). A decision stored before decisions carried them gets
    them from the partnership it names; one that names none has no words (empty)."""
    decision = decision or {}
    if isinstance(decision.get("words"), dict):
        return decision["words"]
    name = (decision.get("rule_set") or {}).get("name")
    assumed: List[str] = [str(key) for key in decision.get("assumed") or []]
    try:
        return load_partnership(name).words(decision.get("outcome"), assumed)
    except (PartnershipError, KeyError, TypeError):
        return {"title": None, "assumed": {}, "bodies": {}}
