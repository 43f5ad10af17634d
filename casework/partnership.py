"""Who the paperwork comes from: the partnership whose rule set made the decision.

Names and contact details live with the rule set (rules/partnerships/NAME.yml), so a
partnership that runs its own rule set gets its own letterhead without a code change. The
partnership is the one the decision records (`rule_set.name`), never a default: an application
whose decision names none, or names one that has no file, is refused with the reason.
"""
from __future__ import annotations

from typing import Any, Dict

from rules import PartnershipError, load_partnership

from .errors import CaseworkError


def letterhead(decision: Dict[str, Any]) -> Dict[str, str]:
    """The name and contact of the partnership that made ``decision``, for the PDF and the page."""
    name = ((decision or {}).get("rule_set") or {}).get("name")
    if not isinstance(name, str) or not name.strip():
        raise CaseworkError("the application's decision does not say which partnership's rule set made it "
                            "(rule_set.name), so whose letterhead to use is unknown")
    return partnership(name)


def partnership(name: str) -> Dict[str, str]:
    """The letterhead of the partnership called ``name`` (a file under rules/partnerships/).
    load_partnership keeps each file read once and notices when it changes."""
    try:
        loaded = load_partnership(name)
    except PartnershipError as error:
        raise CaseworkError(f"the partnership {name!r} named by the application's decision cannot be loaded: "
                            f"{error}") from None
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
