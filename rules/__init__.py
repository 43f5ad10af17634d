"""The ASB Case Review rule set: who can apply, and what to do instead.

    from groundwork import clock
    from rules import configured_name, decide
    decide({"incidents": [{"date": "2026-09-02", "reported_to": ["police"]}]}, configured_name(), clock.today())

The policy of each partnership is data (rules/partnerships/NAME.yml); the rules
(rules/ruleset.py) run in durable_rules through rules/engine.py.
"""

from rules.decision import decide
from rules.engine import RuleActionError, RuleEngineError
from rules.facts import CaseFactsError
from rules.partnership import Partnership, PartnershipError, configured_name, load_partnership, partnerships

__all__ = [
    "decide",
    "CaseFactsError",
    "PartnershipError",
    "RuleEngineError",
    "RuleActionError",
    "Partnership",
    "configured_name",
    "load_partnership",
    "partnerships",
]
