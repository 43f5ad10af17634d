"""Who the paperwork comes from, by the name of the rule set that decided.

The rule set (rules/) owns thresholds; this owns the letterhead. A partnership that
runs its own rule set adds its entry here.
"""
from __future__ import annotations

from typing import Dict

PARTNERSHIPS: Dict[str, Dict[str, str]] = {
    "erewash": {
        "name": "Erewash Community Safety Partnership",
        "council": "Erewash Borough Council",
        "contact": "Community Safety Officer, Erewash Community Safety Partnership",
        "address": "Ilkeston Town Hall, Derbyshire DE7 5RP",
        "phone": "0115 907 2274",
        "appeals": "the Office of the Police and Crime Commissioner for Derbyshire",
    },
}


def partnership(rule_set_name: str) -> Dict[str, str]:
    known = PARTNERSHIPS.get(str(rule_set_name).lower())
    if known:
        return known
    title = str(rule_set_name).replace("_", " ").replace("-", " ").title()
    return {
        "name": f"{title} Community Safety Partnership",
        "council": f"{title} Council",
        "contact": f"{title} Community Safety Partnership",
        "address": "",
        "phone": "",
        "appeals": "the Office of the Police and Crime Commissioner",
    }
