"""A regression floor on the first blind set (tests/blind/first), through the running server.

That set was scored once blind and has been tuned on since, so it is NOT a blind measure (the
README gives the blind figures); this test only stops a change from quietly losing what the
tuning won. Each case is played by the simulated resident (evaluation/resident.py), who answers
the check truthfully.
"""

from evaluation.blind import load_set, play, report, rest_sender

MINIMUM_RIGHT_OUTCOMES = 0.90


def test_tuned_set_keeps_its_outcomes_through_the_server(stack, capsys):
    cases = [c for c in load_set("first") if c["as_of"] == "2026-11-25"]  # the stack's today
    assert len(cases) >= 150
    runs = play(cases, rest_sender(stack.rasa_url))
    with capsys.disabled():
        print("\ntuned first set through the server (not blind):")
        figures = report(cases, runs)
    assert figures["right_outcome_rate"] >= MINIMUM_RIGHT_OUTCOMES
    assert figures["no_decision"] == 0
