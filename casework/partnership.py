"""Who the paperwork comes from: the partnership whose rule set made the decision.

Names and contact details live with the rule set (rules/partnerships/NAME.yml), so a
partnership that runs its own rule set gets its own letterhead without a code change.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Dict


@lru_cache(maxsize=16)
def partnership(rule_set_name: str) -> Dict[str, str]:
    name = str(rule_set_name or "")
    title = name.replace("_", " ").replace("-", " ").title() or "Community Safety"
    unknown = {"name": f"{title} Community Safety Partnership", "contact": "", "address": "", "phone": ""}
    try:  # on its own line: PartnershipError is not there to catch when rules/ cannot be imported
        from rules import PartnershipError, load_partnership
    except ImportError:
        return unknown
    try:
        loaded = load_partnership(name)
    except (PartnershipError, OSError, ValueError):
        return unknown
    contact = loaded.contact
    role = contact.get("role") or contact.get("name") or ""
    organisation = contact.get("organisation") or loaded.full_name
    return {
        "name": loaded.full_name,
        "contact": ", ".join(part for part in (role, organisation) if part),
        "address": contact.get("address", ""),
        "phone": contact.get("phone", ""),
    }
