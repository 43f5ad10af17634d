"""rules.asking: the rule set says which unknown facts could still change the outcome, so the
conversation asks only those (and assumes the rest, listed in the decision's `assumed`)."""

import pytest

from rules import decide
from rules.asking import threshold_meeting_incidents, worth_asking
from rules_case_table import TODAY

AS_OF = "2026-11-25"
MET = [{"date": d, "reported_to": ["police"]} for d in ("2026-10-01", "2026-10-20", "2026-11-01")]
TWO = MET[:2]

CASES = [
    # (known facts, fact, worth asking?, why)
    ({}, "incidents", True, "nothing known yet: reports decide between report first and apply"),
    ({}, "asb_ongoing", True, "if it has stopped, the complaints procedure comes first"),
    ({"incidents": TWO}, "on_behalf", False, "threshold not met either way"),
    ({"incidents": MET}, "on_behalf", True, "met: someone else's application needs consent"),
    ({"incidents": MET, "on_behalf": True}, "consent", True, "consent decides apply or get consent"),
    ({"incidents": MET}, "incidents_related", True, "unrelated incidents do not add up"),
    ({"incidents": TWO}, "incidents_related", False, "two incidents are short whether related or not"),
    ({"previous_review": True}, "incidents", False, "an appeal whatever was reported"),
    ({"previous_review": True}, "asb_ongoing", False, "an appeal whatever"),
    ({"staff_conduct": True, "complaint_completed": True}, "incidents", False, "the ombudsman comes before apply"),
    ({"staff_conduct": True}, "complaint_completed", True, "finished: ombudsman; not: complaints procedure or apply"),
    ({"staff_conduct": True}, "incidents", True, "ongoing ASB with the threshold met applies first"),
    ({"asb_ongoing": False}, "incidents", False, "stopped: the complaints procedure whatever was reported"),
    ({"emergency": True}, "on_behalf", False, "999 first"),
]


@pytest.mark.parametrize("known, key, expected, why", CASES, ids=[c[3] for c in CASES])
def test_worth_asking(known, key, expected, why):
    assert worth_asking({"as_of": AS_OF, **known}, key, "erewash", TODAY) is expected


def test_the_hypothetical_reports_meet_the_threshold_of_each_partnership():
    from rules import load_partnership
    import datetime as dt

    for name in ("erewash", "testshire"):
        partnership = load_partnership(name)
        incidents = threshold_meeting_incidents(dt.date(2026, 11, 25), partnership)
        assert len(incidents) == partnership.on(TODAY).threshold
        assert decide({"as_of": AS_OF, "incidents": incidents}, partnership, TODAY)["outcome"] == "apply"


def test_a_report_leaving_the_window_months_from_now_is_not_made_a_second_count():
    decision = decide({"as_of": AS_OF, "incidents": TWO}, "erewash", TODAY)
    assert not any("from then you will need" in r["text"] for r in decision["reasons"])
