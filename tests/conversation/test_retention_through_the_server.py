"""Retention through the running server: once an application's personal data is removed, its
conversation is gone from the tracker store too, and an /apply_now on the old conversation
brings nothing back (the issue's reproduction made a new application from it)."""

from tests.chat_client import Resident
from tests.conversation.test_outcomes import BASE, CASES

NAME = "Rosalind Featherstonehaugh"


def test_apply_now_on_a_retained_conversation_brings_nothing_back(stack, monkeypatch):
    from casework import db, service

    resident = Resident(stack.rasa_url)
    assert resident.answer_until_decided(BASE, CASES[0][1])["outcome"] == "apply", resident.log()
    resident.say("yes please")
    details = {
        "applicant_name": NAME,
        "applicant_email": "rosalind@example.org",
        "applicant_phone": "07700 900777",
        "address": "7 Orchard Close, Ilkeston DE7 4XY",
        "impact": "No sleep",
        "confirm": "yes",
    }
    for _ in range(10):
        if resident.application:
            break
        resident.say(details[resident.ask])
    reference = resident.application["reference"]

    # The stack's own stores, in this process: the case closes, and years later retention runs.
    for name in ("ASBCR_VAR", "ASBCR_DATABASE_URL"):
        monkeypatch.setenv(name, stack.env[name])
    monkeypatch.delenv("ASBCR_TRACKER_URL", raising=False)
    monkeypatch.setenv("ASBCR_TODAY", "2026-11-25")
    try:
        service.record_event(reference, "threshold-not-met")
        monkeypatch.setenv("ASBCR_TODAY", "2033-01-01")
        assert reference in service.apply_retention(72)["references"]
        before = service.list_applications()

        resident.say("/apply_now")
        assert resident.application is None, resident.log()
        resident.say("summary")
        assert NAME not in resident.text() and "3 October" not in resident.text(), resident.log()
        assert service.list_applications() == before  # nothing new, nothing changed
    finally:
        db.dispose_all()
