"""What the chat page says about who runs it: the website's own settings (web/site.yml, or
ASBCR_WEB_SITE) and the partnership's name and contacts, read from its file under
rules/partnerships/ (the partnership ASBCR_PARTNERSHIP chooses), never copied into site.yml."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Optional

import yaml

from rules import PartnershipError, load_partnership
from rules.partnership import ENV_VAR as PARTNERSHIP_ENV, configured_name

DEFAULT_SITE = Path(__file__).resolve().parent / "site.yml"

WEBSITE_KEYS = ("service_name", "leave_url", "start_message", "restart_message", "apply_message")
# Once in site.yml, now the partnership file's: a copy that still has them would be ignored silently.
PARTNERSHIP_KEYS = ("council", "partnership", "home_url", "contact", "about_url", "complaints_url")


class SiteError(ValueError):
    pass


def load_site(path: Optional[Path] = None, partnership: Optional[str] = None) -> Dict[str, Any]:
    """Everything the chat page shows about its site and its partnership, checked now so that a
    missing value stops the server at start rather than a resident's page."""
    path = Path(path or os.environ.get("ASBCR_WEB_SITE") or DEFAULT_SITE)
    try:
        site = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SiteError(f"cannot read the site file {path}: {error}") from None
    missing = [key for key in WEBSITE_KEYS if not isinstance(site, dict) or not site.get(key)]
    if missing:
        raise SiteError(f"the site file {path} lacks: {', '.join(missing)}")
    moved = [key for key in PARTNERSHIP_KEYS if key in site]
    if moved:
        raise SiteError(
            f"the site file {path} has {', '.join(moved)}: the partnership's name and contacts are "
            f"read from rules/partnerships/ ({PARTNERSHIP_ENV}), remove them from the site file"
        )
    return dict({key: site[key] for key in WEBSITE_KEYS}, **partnership_details(partnership or configured_name()))


def partnership_details(name: str) -> Dict[str, Any]:
    """The partnership's names and its community safety contact, as the chat page shows them."""
    try:
        loaded = load_partnership(name)
    except PartnershipError as error:
        raise SiteError(f"{PARTNERSHIP_ENV}={name}: {error}") from None
    where = f"rules/partnerships/{name}.yml"
    council, contact = loaded.contacts.get("council", {}), loaded.contact
    needed = {
        "contacts.council.name": council.get("name"),
        "contacts.council.web": council.get("web"),
        "contacts.council.case_review_page": council.get("case_review_page"),
        "contacts.council.complaints_page": council.get("complaints_page"),
        "contacts.community_safety.phone": contact.get("phone"),
        "contacts.community_safety.address": contact.get("address"),
    }
    missing = [key for key, value in needed.items() if not value]
    if missing:
        raise SiteError(f"{where} lacks what the chat page shows: {', '.join(missing)}")
    organisation = contact.get("organisation") or loaded.full_name
    return {
        "partnership_file": name,
        "council": council["name"],
        "partnership": loaded.full_name,
        "home_url": council["web"],
        "about_url": council["case_review_page"],
        "complaints_url": council["complaints_page"],
        "contact": {
            "role": contact.get("role", ""),
            # One line each on the page: the office, then the parts of its address.
            "address": [organisation, *(part.strip() for part in contact["address"].split(","))],
            "phone": contact["phone"],
        },
    }
