"""decide(): case facts in, a decision out (CONTRACT.md, "Case facts" and "Decision").

Python prepares the facts (checks them, fills defaults, counts the qualifying incidents) and
shapes the decision; which rules fire, and so the outcome and routes, is decided by the rule
set in rules/ruleset.py running in durable_rules.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional, Union

from groundwork.dates import long_date
from rules import ruleset, statute
from rules.dates import leaves_window, months_before
from rules.engine import RuleEngineError
from rules.facts import BODIES, TOP_LEVEL_KEYS, CaseFacts, CaseFactsError, Incident, parse_case_facts
from rules.in_force import InForce
from rules.partnership import Partnership, PartnershipError, load_partnership

__all__ = ["decide", "prepare", "months_before", "leaves_window", "long_date"]

_ROUTE_OF = {rule.name: rule.route for rule in ruleset.RULES}
INCIDENT_ROUTES = ("report_first", "threshold_not_met")  # the routes that turn on what was reported


def decide(facts: dict, partnership: Union[str, Partnership], today: dt.date, explain: bool = False) -> dict:
    """The decision for ``facts`` under ``partnership``'s policy (a name or a loaded Partnership);
    ``today`` is the caller's clock (groundwork.clock.today()): ``as_of``'s default and its limit.

    Raises CaseFactsError for malformed facts, PartnershipError for an unknown or broken
    partnership, RuleEngineError if the rule set itself fails (a bug, never the facts).
    """
    case, partnership, policy, count, engine_facts = prepare(facts, partnership, today)
    fired = ruleset.compiled().run(engine_facts)
    if not fired:
        raise RuleEngineError(f"no rule applied to {engine_facts} (a gap in rules/ruleset.py)")
    return _shape(case, partnership, policy, count, engine_facts, fired, explain)


def prepare(facts: dict, partnership: Union[str, Partnership], today: dt.date):
    """Everything decide() does before the rules: the checked case, the partnership and its
    policy on the day, the count, and the facts the rules read (rules/ruleset.py)."""
    if not isinstance(partnership, Partnership):
        partnership = load_partnership(partnership)
    case = parse_case_facts(facts, today)
    try:
        policy = partnership.on(case.as_of)
    except PartnershipError as error:
        raise CaseFactsError("as_of", str(error)) from None
    count = Count(case, policy)
    engine_facts = {
        "emergency": case.emergency,
        "previous_review": case.previous_review,
        "staff_conduct": case.staff_conduct,
        "complaint_completed": case.complaint_completed,
        "asb_ongoing": case.asb_ongoing,
        "on_behalf": case.on_behalf,
        "consent": "not_asked" if case.consent is None else ("given" if case.consent else "refused"),
        "reported_incidents": len(count.reported),
        "qualifying_incidents": count.qualifying,
        "threshold": policy.threshold,
        "single_hate_incident_route": policy.single_hate_incident,
        "qualifying_hate_incidents": len(count.hate),
    }
    return case, partnership, policy, count, engine_facts


class Count:
    """Which incidents count towards the threshold, and why the others do not; and how many
    the statute itself would count (s.104(11), rules/statute.py), to say which count met it."""

    __slots__ = (
        "window_start",
        "reported",
        "in_window",
        "before_window",
        "not_counted",
        "private_landlord_only",
        "qualifying",
        "hate",
        "oldest",
        "leaves_window",
        "leaving_first",
        "statutory",
    )

    def __init__(self, case: CaseFacts, policy: InForce):
        bodies = policy.counting_bodies
        self.window_start = window_start = months_before(case.as_of, policy.window_months)
        self.reported = reported = []  # reported to a body that takes part in the review, at any time
        self.in_window = in_window = []
        self.not_counted = not_counted = []  # reported, but only to bodies that do not take part
        self.private_landlord_only = 0
        self.hate = hate = []
        for incident in case.incidents:
            told = incident.reported_to
            if not told:
                continue
            if bodies.isdisjoint(told):
                not_counted.append(incident)
                if "private_landlord" in told:
                    self.private_landlord_only += 1
                continue
            reported.append(incident)
            if incident.reported_on >= window_start:
                in_window.append(incident)
                if incident.hate:
                    hate.append(incident)
        self.before_window = len(reported) - len(in_window)
        self.leaving_first = 0  # how many counting reports leave the window on `leaves_window`
        statutory_start = (
            window_start if policy.window_months == statute.WINDOW_MONTHS else months_before(case.as_of, statute.WINDOW_MONTHS)
        )
        statutory = sum(1 for i in in_window if statute.qualifies(i.date, i.reported_on, statutory_start))
        # Unrelated incidents do not add up under either count (see below).
        self.statutory = statutory if case.incidents_related else min(statutory, 1)
        if not in_window:
            self.qualifying, self.oldest, self.leaves_window = 0, None, None
            return
        if case.incidents_related:
            self.qualifying = len(in_window)
            self.oldest = min(incident.reported_on for incident in in_window)
        else:
            # Unrelated incidents do not add up: each is a problem of its own, so at most one
            # counts, and the one that stays in the window longest is the latest report.
            self.qualifying = 1
            self.oldest = max(incident.reported_on for incident in in_window)
        self.leaves_window = leaves_window(self.oldest, policy.window_months)
        self.leaving_first = (
            sum(1 for incident in in_window if incident.reported_on == self.oldest) if case.incidents_related else 1
        )


def threshold_met_by(policy: InForce, count: Count) -> Optional[str]:
    """Which count met the threshold: "statutory" when the complaints s.104(11) itself counts
    reach it, "partnership_rule" when only the partnership's wider rule does (every related
    report within its window, or its single-hate-incident route); None when it is not met."""
    if count.statutory >= policy.threshold:
        return "statutory"
    if count.qualifying >= policy.threshold or (policy.single_hate_incident and count.hate):
        return "partnership_rule"
    return None


def _incidents(n: int, related: bool = True) -> str:
    if n == 0:
        return "no incidents"
    if n == 1:
        return "1 incident"
    return f"{n} related incidents" if related else f"{n} incidents"


def _were(n: int) -> Optional[str]:
    return None if n == 0 else ("1 incident was" if n == 1 else f"{n} incidents were")


def _shape(
    case: CaseFacts,
    partnership: Partnership,
    policy: InForce,
    count: Count,
    engine_facts: Dict[str, Any],
    fired: tuple,
    explain: bool,
) -> dict:
    primary = _ROUTE_OF[fired[0]]
    if "incidents" in case.defaulted and primary not in INCIDENT_ROUTES:
        # A route that rests only on reports nobody was asked about is not known to apply: with no
        # incidents given, a 999, an appeal or an ombudsman decision does not also say "report first".
        fired = tuple(name for name in fired if _ROUTE_OF[name] not in INCIDENT_ROUTES)
    routes: List[str] = []
    for name in fired:
        route = _ROUTE_OF[name]
        if route not in routes:
            routes.append(route)
    outcome = routes[0]
    texts = policy.texts(case.complained_about)
    values = TextValues(case, policy, count, texts.static)
    reasons = []
    for name in fired:
        reason = {"rule": name, "text": " ".join(texts.reasons[name].render(values)), "references": _references(policy, name)}
        if name == "threshold_not_met":
            reason["more_needed"] = max(policy.threshold - count.qualifying, 0)
            reason["oldest_leaves_window"] = count.leaves_window.isoformat() if count.leaves_window else None
        reasons.append(reason)
    next_steps = list(texts.next_steps[outcome].render(values))
    for route in routes[1:]:
        for step in texts.next_steps[route].render(values):
            if step not in next_steps:
                next_steps.append(step)
    decision = {
        "outcome": outcome,
        "summary": " ".join(texts.summaries[outcome].render(values)),
        "routes": routes,
        "reasons": reasons,
        "qualifying_incidents": count.qualifying,
        "threshold_met_by": threshold_met_by(policy, count),
        "window_start": count.window_start.isoformat(),
        "next_steps": next_steps,
        "assumed": _relied_on(case, count, engine_facts, routes, policy),
        "rule_set": {"name": partnership.name, "version": partnership.version},
    }
    # The display words travel with the decision, so every page and paper shows the same ones.
    decision["words"] = partnership.words(outcome, decision["assumed"])
    if explain:
        decision["trace"] = _trace(case, partnership, policy, count, engine_facts, fired, routes, decision["assumed"])
    return decision


def _references(policy: InForce, rule: str) -> List[str]:
    """Where the policy sentences a reason quotes are published, each once."""
    references: List[str] = []
    for name in ruleset.RULES_BY_NAME[rule].policy:
        if policy.references[name] not in references:
            references.append(policy.references[name])
    return references


class TextValues(dict):
    """The values a partnership's texts can mention, each worked out when a text first asks."""

    __slots__ = ("case", "policy", "count", "static")

    def __init__(self, case: CaseFacts, policy: InForce, count: Count, static: Dict[str, Any]):
        super().__init__()
        self.case, self.policy, self.count, self.static = case, policy, count, static

    def __missing__(self, name: str) -> Any:
        value = self.static[name] if name in self.static else _TEXT_VALUES[name](self.case, self.policy, self.count)
        self[name] = value
        return value


def _more_needed_phrase(policy: InForce, count: Count, after_oldest_leaves: bool = False) -> Optional[str]:
    """How many more related incidents the threshold needs now, or once the oldest report has left the window."""
    more = policy.threshold - count.qualifying + (count.leaving_first if after_oldest_leaves else 0)
    if more <= 0:
        return None
    return f"{more} more related incident" + ("s" if more > 1 else "")


# A report leaving the window this soon changes how many more are needed: say both, with the date.
LEAVES_SOON_DAYS = 31


_TEXT_VALUES = {
    "as_of": lambda case, policy, count: long_date(case.as_of),
    "window_start": lambda case, policy, count: long_date(count.window_start),
    "threshold": lambda case, policy, count: policy.threshold,
    "qualifying": lambda case, policy, count: count.qualifying,
    "qualifying_phrase": lambda case, policy, count: _incidents(count.qualifying),
    # Every report in the window, counted together or not ("4 incidents" when unrelated).
    "in_window_phrase": lambda case, policy, count: _incidents(len(count.in_window), case.incidents_related),
    "more_needed_phrase": lambda case, policy, count: _more_needed_phrase(policy, count),
    "more_needed_after_phrase": lambda case, policy, count: _more_needed_phrase(policy, count, after_oldest_leaves=True),
    "oldest_leaves_soon": lambda case, policy, count: (
        bool(count.leaves_window)
        and (count.leaves_window - case.as_of).days <= LEAVES_SOON_DAYS
        and count.qualifying < policy.threshold
    ),
    "oldest_report": lambda case, policy, count: long_date(count.oldest) if count.oldest else None,
    "oldest_leaves_window": lambda case, policy, count: long_date(count.leaves_window) if count.leaves_window else None,
    "hate_report": lambda case, policy, count: long_date(max(i.reported_on for i in count.hate)) if count.hate else None,
    "not_counted_phrase": lambda case, policy, count: _were(len(count.not_counted)),
    "before_window_phrase": lambda case, policy, count: _were(count.before_window),
    "private_landlord_phrase": lambda case, policy, count: _were(count.private_landlord_only),
    # Conditions for `if:` and `unless:`.
    "about": lambda case, policy, count: case.complained_about,
    "asb_stopped": lambda case, policy, count: not case.asb_ongoing,
    "private_landlord_only": lambda case, policy, count: count.private_landlord_only > 0,
    "unrelated": lambda case, policy, count: not case.incidents_related and len(count.in_window) > 1,
    "not_counted": lambda case, policy, count: bool(count.not_counted),
    "before_window": lambda case, policy, count: count.before_window > 0,
    "on_behalf": lambda case, policy, count: case.on_behalf,
    "consent_refused": lambda case, policy, count: case.on_behalf and case.consent is False,
    "single_hate_incident": lambda case, policy, count: policy.single_hate_incident,
}


def _relied_on(case: CaseFacts, count: Count, engine_facts: Dict[str, Any], routes: List[str], policy: InForce) -> List[str]:
    """The defaults this decision depended on: a default that could not have changed the
    routes (whether it is someone else's application when the threshold is not met, say)
    is left out, so that `assumed` lists what is worth asking."""
    defaulted = case.defaulted
    if not defaulted and all(not i.defaulted for i in case.incidents):
        return []
    threshold_met = engine_facts["qualifying_incidents"] >= engine_facts["threshold"] or (
        policy.single_hate_incident and engine_facts["qualifying_hate_incidents"] > 0
    )
    ongoing = case.asb_ongoing
    matters = {
        "as_of": True,
        "emergency": True,
        "asb_ongoing": True,
        "incidents": ongoing,
        "incidents_related": ongoing and len(count.in_window) > 1,
        "on_behalf": ongoing and threshold_met,
        "consent": ongoing and threshold_met and case.on_behalf,
        "staff_conduct": True,
        "complaint_completed": case.staff_conduct,
        "complained_about": "ombudsman" in routes or "complaints_procedure" in routes,
        "previous_review": True,
    }
    assumed = [key for key in TOP_LEVEL_KEYS if key in defaulted and matters[key]]
    if ongoing:
        reported = set(id(i) for i in count.reported)
        for incident in case.incidents:
            for name in incident.defaulted:
                if (
                    name == "reported_to"
                    or (name == "reported_on" and id(incident) in reported)
                    or (name == "hate" and policy.single_hate_incident and id(incident) in reported)
                ):
                    assumed.append(incident.key(name))
    return assumed


def _trace(
    case: CaseFacts,
    partnership: Partnership,
    policy: InForce,
    count: Count,
    engine_facts: Dict[str, Any],
    fired: tuple,
    routes: List[str],
    assumed: List[str],
) -> List[str]:
    """The decision in words, step by step, for staff (`asbcr check --explain`)."""
    counting = [partnership.bodies[b] for b in BODIES if b in policy.counting_bodies]
    lines = [
        f"Policy: {partnership.full_name}, rule set {partnership.name} version {partnership.version} "
        f"(policy in force since {long_date(policy.since)}).",
        f"As of {long_date(case.as_of)}{' (today: as_of was not given)' if 'as_of' in case.defaulted else ''}. "
        f"The window runs from {long_date(count.window_start)} to {long_date(case.as_of)} "
        f"({policy.window_months} calendar months). Reports count when made to {_join(counting)}.",
    ]
    if not case.incidents:
        lines.append("No incidents were given.")
    in_window = set(id(i) for i in count.in_window)
    for incident in case.incidents:
        lines.append(_incident_line(incident, partnership, policy, count, id(incident) in in_window))
    lines.append(
        f"Qualifying incidents: {count.qualifying}"
        + (
            ""
            if case.incidents_related or len(count.in_window) < 2
            else f" (the {len(count.in_window)} in the window are not related, so they do not add up)"
        )
        + f"; the threshold is {policy.threshold}"
        + (f"; a single hate incident is enough ({len(count.hate)} in the window)" if policy.single_hate_incident else "")
        + "."
    )
    met_by = threshold_met_by(policy, count)
    lines.append(
        f"The statute's own count ({statute.QUALIFYING_REFERENCE}: reported within {statute.REPORTED_WITHIN_MONTHS} "
        f"month of the incident, the incident within the last {statute.WINDOW_MONTHS} months): {count.statutory}. "
        + {
            "statutory": "The threshold is met on the statute's count.",
            "partnership_rule": f"The threshold is met on {partnership.display_name}'s own wider rule only.",
            None: "The threshold is not met.",
        }[met_by]
    )
    lines.append("Facts for the rules: " + ", ".join(f"{k}={_json(v)}" for k, v in engine_facts.items()) + ".")
    fired_set = set(fired)
    for pri, rule in enumerate(ruleset.RULES, start=1):
        if rule.name in fired_set:
            lines.append(
                f"Rule {pri} {rule.name} (table row {rule.row}) applies: {rule.says}. Route: {rule.route}. "
                f"Policy from: {'; '.join(_references(policy, rule.name))}."
            )
        else:
            lines.append(f"Rule {pri} {rule.name} (table row {rule.row}) does not apply. It applies when {rule.says}.")
    lines.append(f"Outcome: {routes[0]}, the first route that applies. Routes: {', '.join(routes)}.")
    if assumed:
        lines.append("Defaults relied on (not given): " + ", ".join(assumed) + ".")
    return lines


def _incident_line(incident: Incident, partnership: Partnership, policy: InForce, count: Count, in_window: bool) -> str:
    told = [partnership.bodies[b] for b in BODIES if b in incident.reported_to]
    head = f"Incident {incident.index + 1} ({long_date(incident.date)}" + (", a hate incident" if incident.hate else "") + ")"
    if not told:
        return f"{head}: not reported to anyone, so it does not count."
    reported = f"reported to {_join(told)} on {long_date(incident.reported_on)}"
    if policy.counting_bodies.isdisjoint(incident.reported_to):
        which = "which does not" if len(told) == 1 else "none of which"
        return f"{head}: {reported}, {which} take{'s' if len(told) > 1 else ''} part in the review, so it does not count."
    if not in_window:
        return f"{head}: {reported}, before the window began on {long_date(count.window_start)}, so it no longer counts."
    return f"{head}: {reported}, within the window: it counts."


def _join(items: List[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _json(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
