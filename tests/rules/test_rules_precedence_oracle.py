"""The rule set in durable_rules against a plain reading of the precedence table
(rules/plain.py), on every combination of the facts the rules read."""

from __future__ import annotations

import itertools

from rules import plain, ruleset


def _combinations():
    flags = itertools.product([False, True], repeat=6)
    for emergency, previous_review, staff, finished, ongoing, on_behalf in flags:
        for consent, reported, qualifying, threshold, hate_route, hate in itertools.product(
            ["given", "refused", "not_asked"], [0, 1, 3], [0, 1, 2, 3], [2, 3], [False, True], [0, 1]
        ):
            if qualifying > reported or hate > qualifying:
                continue  # cannot happen: qualifying incidents are among those reported
            yield {
                "emergency": emergency,
                "previous_review": previous_review,
                "staff_conduct": staff,
                "complaint_completed": finished,
                "asb_ongoing": ongoing,
                "on_behalf": on_behalf,
                "consent": consent,
                "reported_incidents": reported,
                "qualifying_incidents": qualifying,
                "threshold": threshold,
                "single_hate_incident_route": hate_route,
                "qualifying_hate_incidents": hate,
            }


def test_engine_and_plain_reading_agree_on_every_combination():
    compiled = ruleset.compiled()
    disagreements = []
    combinations = list(_combinations())
    for facts in combinations:
        engine_says, plain_says = list(compiled.run(facts)), plain.fired_rules(facts)
        if engine_says != plain_says:
            disagreements.append((facts, engine_says, plain_says))
    assert len(combinations) > 5000
    assert not disagreements[:5]


def test_every_combination_reaches_an_outcome():
    routes = set()
    for facts in _combinations():
        fired = plain.fired_rules(facts)
        assert fired, facts
        routes.update(ruleset.RULES_BY_NAME[name].route for name in fired)
    assert routes == set(ruleset.ROUTES)
