"""The ASB Case Review rule set: the precedence table of CONTRACT.md ("Decision"), as rules.

Read it top to bottom like the table: the first rule that fires gives the outcome, and every
rule that fires adds its route (once) and its reason. The rules are the same for every
partnership; the numbers and sentences they use (threshold, window, which bodies count,
whether one hate incident is enough) come from the partnership's file in
rules/partnerships/, and each rule names the policy sentences it applies (`policy=`), which
that file holds and the decision quotes.

The rules read facts prepared in rules/decision.py (python only counts and validates):

  emergency, previous_review, staff_conduct, complaint_completed, asb_ongoing   true/false
  on_behalf                   true/false
  consent                     "given", "refused" or "not_asked"
  reported_incidents          incidents reported to a body that takes part in the review, at any time
  qualifying_incidents        related incidents reported to such a body within the window
  threshold                   the partnership's threshold
  single_hate_incident_route  whether one hate incident meets the threshold (partnership parameter)
  qualifying_hate_incidents   hate incidents reported to such a body within the window

durable_rules has no "not", so where a rule needs the opposite of a condition it is written
out (THRESHOLD_NOT_MET beside THRESHOLD_MET); tests/rules/test_rules_precedence_oracle.py checks every
combination of facts against a plain reading of the table (rules/plain.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional, Tuple

from durable.lang import m

from rules import engine

RULESET_NAME = "asb_case_review"

# ---- Conditions, named as the policy speaks --------------------------------------------
# durable_rules fires a rule once for every alternative of an `|` that holds, so the two sides
# of each `|` below are written to exclude each other.
SOMEONE_IN_DANGER = m.emergency == True  # noqa: E712 (durable_rules compares with ==)
UNHAPPY_WITH_A_REVIEW = m.previous_review == True  # noqa: E712
ABOUT_STAFF = m.staff_conduct == True  # noqa: E712
NOT_ABOUT_STAFF = m.staff_conduct == False  # noqa: E712
COMPLAINT_FINISHED = m.complaint_completed == True  # noqa: E712
COMPLAINT_NOT_FINISHED = m.complaint_completed == False  # noqa: E712
ASB_ONGOING = m.asb_ongoing == True  # noqa: E712
ASB_STOPPED = m.asb_ongoing == False  # noqa: E712
NOTHING_REPORTED = m.reported_incidents == 0
SOMETHING_REPORTED = m.reported_incidents > 0
ENOUGH_INCIDENTS = m.qualifying_incidents >= m.threshold
TOO_FEW_INCIDENTS = m.qualifying_incidents < m.threshold
HATE_ROUTE = m.single_hate_incident_route == True  # noqa: E712
NO_HATE_ROUTE = m.single_hate_incident_route == False  # noqa: E712
A_HATE_INCIDENT = m.qualifying_hate_incidents > 0
NO_HATE_INCIDENT = m.qualifying_hate_incidents == 0
ONE_HATE_INCIDENT_IS_ENOUGH = HATE_ROUTE & A_HATE_INCIDENT
THRESHOLD_MET = ENOUGH_INCIDENTS | (TOO_FEW_INCIDENTS & ONE_HATE_INCIDENT_IS_ENOUGH)
THRESHOLD_NOT_MET = TOO_FEW_INCIDENTS & (NO_HATE_ROUTE | (HATE_ROUTE & NO_HATE_INCIDENT))
FOR_THEMSELVES = m.on_behalf == False  # noqa: E712
FOR_SOMEONE_ELSE = m.on_behalf == True  # noqa: E712
CONSENT_GIVEN = m.consent == "given"
CONSENT_REFUSED = m.consent == "refused"
CONSENT_NOT_ASKED = m.consent == "not_asked"
MAY_APPLY_FOR_THEM = FOR_THEMSELVES | (FOR_SOMEONE_ELSE & CONSENT_GIVEN)
ASB_STOPPED_OR_THRESHOLD_NOT_MET = ASB_STOPPED | (ASB_ONGOING & THRESHOLD_NOT_MET)
NO_FINISHED_STAFF_COMPLAINT = NOT_ABOUT_STAFF | (ABOUT_STAFF & COMPLAINT_NOT_FINISHED)


@dataclass(frozen=True)
class AsbRule:
    row: int  # the row of CONTRACT.md's precedence table this rule comes from
    name: str
    route: str
    when: object  # a durable_rules condition
    says: str  # the condition in plain words, for the trace
    policy: Tuple[str, ...]  # the partnership's policy sentences this rule applies


# ---- The precedence table ---------------------------------------------------------------
# Order is precedence: the engine fires the rules top to bottom (pri 1, 2, 3...).
RULES: Tuple[AsbRule, ...] = (
    AsbRule(1, "emergency", "emergency", SOMEONE_IN_DANGER, "someone is in immediate danger now", ("emergency",)),
    AsbRule(
        2,
        "previous_review",
        "appeal",
        UNHAPPY_WITH_A_REVIEW,
        "a case review already happened and the person is unhappy with its outcome",
        ("appeal",),
    ),
    AsbRule(
        3,
        "complaint_completed",
        "ombudsman",
        ABOUT_STAFF & COMPLAINT_FINISHED,
        "the grievance is how staff behaved and the complaints procedure has been followed to its end",
        ("ombudsman",),
    ),
    AsbRule(
        4,
        "staff_complaint",
        "complaints_procedure",
        ABOUT_STAFF & COMPLAINT_NOT_FINISHED & ASB_STOPPED_OR_THRESHOLD_NOT_MET,
        "the grievance is how staff behaved, the complaints procedure is not finished, "
        "and the ASB has stopped or the threshold is not met",
        ("complaints",),
    ),
    AsbRule(
        5,
        "asb_stopped",
        "complaints_procedure",
        ASB_STOPPED & NO_FINISHED_STAFF_COMPLAINT,
        "the ASB has stopped (and no finished staff complaint sends it to the ombudsman instead)",
        ("purpose",),
    ),
    AsbRule(
        6,
        "not_reported",
        "report_first",
        ASB_ONGOING & NOTHING_REPORTED,
        "the ASB is going on and no incident was reported to a body that takes part in the review",
        ("counting_bodies", "report_first"),
    ),
    AsbRule(
        7,
        "threshold_not_met",
        "threshold_not_met",
        ASB_ONGOING & SOMETHING_REPORTED & THRESHOLD_NOT_MET,
        "the ASB is going on, something was reported, but fewer qualifying incidents than the threshold",
        ("threshold",),
    ),
    AsbRule(
        8,
        "consent_not_asked",
        "get_consent",
        ASB_ONGOING & THRESHOLD_MET & FOR_SOMEONE_ELSE & CONSENT_NOT_ASKED,
        "the threshold is met, the application is for someone else and their consent has not been asked",
        ("on_behalf",),
    ),
    AsbRule(
        8,
        "consent_refused",
        "get_consent",
        ASB_ONGOING & THRESHOLD_MET & FOR_SOMEONE_ELSE & CONSENT_REFUSED,
        "the threshold is met, the application is for someone else and they refused consent",
        ("on_behalf",),
    ),
    AsbRule(
        9,
        "threshold_met",
        "apply",
        ASB_ONGOING & ENOUGH_INCIDENTS & MAY_APPLY_FOR_THEM,
        "the ASB is going on, there are at least as many qualifying incidents as the threshold, "
        "and the person applies for themselves or with consent",
        ("threshold",),
    ),
    AsbRule(
        9,
        "single_hate_incident",
        "apply",
        ASB_ONGOING & TOO_FEW_INCIDENTS & ONE_HATE_INCIDENT_IS_ENOUGH & MAY_APPLY_FOR_THEM,
        "the ASB is going on, the partnership accepts a single hate incident and one was reported "
        "within the window, and the person applies for themselves or with consent",
        ("single_hate_incident",),
    ),
    AsbRule(
        9,
        "consent_given",
        "apply",
        ASB_ONGOING & THRESHOLD_MET & FOR_SOMEONE_ELSE & CONSENT_GIVEN,
        "the threshold is met and the person the application is for has given consent",
        ("on_behalf",),
    ),
    # Row 4's "unless": a staff complaint still applies, after the case review.
    AsbRule(
        4,
        "staff_complaint_follows",
        "complaints_procedure",
        ABOUT_STAFF & COMPLAINT_NOT_FINISHED & ASB_ONGOING & THRESHOLD_MET,
        "the grievance is also how staff behaved, but the ASB is going on and the threshold is met, "
        "so the case review comes first and the complaint follows",
        ("complaints",),
    ),
)

RULES_BY_NAME = {rule.name: rule for rule in RULES}
ROUTES = ("emergency", "appeal", "ombudsman", "complaints_procedure", "report_first", "threshold_not_met", "get_consent", "apply")
FACT_NAMES = (
    "emergency",
    "previous_review",
    "staff_conduct",
    "complaint_completed",
    "asb_ongoing",
    "on_behalf",
    "consent",
    "reported_incidents",
    "qualifying_incidents",
    "threshold",
    "single_hate_incident_route",
    "qualifying_hate_incidents",
)


def engine_rules() -> Tuple[engine.Rule, ...]:
    """The rules for durable_rules: salience is the position in RULES."""
    return tuple(engine.Rule(rule.name, rule.when, pri) for pri, rule in enumerate(RULES, start=1))


_compiled: Optional[engine.Ruleset] = None


def compiled() -> engine.Ruleset:
    """The registered ruleset (registered on first use, once per process)."""
    global _compiled
    if _compiled is None:
        _compiled = engine.ruleset(RULESET_NAME, engine_rules)
    return _compiled


def fingerprint() -> str:
    """The rule conditions and their order as text: part of every decision's version."""
    return json.dumps({rule.name: r.definition() for rule, r in zip(RULES, engine_rules())}, sort_keys=True)
