"""The same rules as rules/ruleset.py, in plain Python.

Never used to decide anything. It is the yardstick for bench/rules.py (what the rule engine
costs) and an independent reading of CONTRACT.md's precedence table that
tests/rules/test_rules_precedence_oracle.py compares with the engine on every combination of facts.
"""

from __future__ import annotations

from typing import List


def fired_rules(facts: dict) -> List[str]:
    """The rules that fire for prepared facts (see rules/ruleset.py), in precedence order."""
    ongoing = facts["asb_ongoing"]
    about_staff = facts["staff_conduct"]
    finished = facts["complaint_completed"]
    threshold_met = facts["qualifying_incidents"] >= facts["threshold"] or (
        facts["single_hate_incident_route"] and facts["qualifying_hate_incidents"] > 0
    )
    for_someone_else = facts["on_behalf"]
    consent = facts["consent"]
    may_apply = not for_someone_else or consent == "given"

    fired = []
    if facts["emergency"]:
        fired.append("emergency")
    if facts["previous_review"]:
        fired.append("previous_review")
    if about_staff and finished:
        fired.append("complaint_completed")
    if about_staff and not finished and not (ongoing and threshold_met):
        fired.append("staff_complaint")
    if not ongoing and not (about_staff and finished):
        fired.append("asb_stopped")
    if ongoing:
        if facts["reported_incidents"] == 0:
            fired.append("not_reported")
        elif not threshold_met:
            fired.append("threshold_not_met")
        if threshold_met and for_someone_else and consent == "not_asked":
            fired.append("consent_not_asked")
        if threshold_met and for_someone_else and consent == "refused":
            fired.append("consent_refused")
        if facts["qualifying_incidents"] >= facts["threshold"] and may_apply:
            fired.append("threshold_met")
        elif threshold_met and may_apply:
            fired.append("single_hate_incident")
        if threshold_met and for_someone_else and consent == "given":
            fired.append("consent_given")
        if about_staff and not finished and threshold_met:
            fired.append("staff_complaint_follows")
    return fired
