import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

DOMAIN = {"forms": {"application_form": {"required_slots": ["applicant_name"]}}, "slots": {}}


def make_tracker(slots=None, text="", intent="inform", entities=None, requested=None, channel="rest", active_loop=None):
    """A tracker as the action server receives it, built with Tracker.from_dict."""
    all_slots = {"requested_slot": requested, **(slots or {})}
    return Tracker.from_dict(
        {
            "sender_id": "resident-1",
            "slots": all_slots,
            "latest_message": {
                "text": text,
                "intent": {"name": intent, "confidence": 0.99},
                "entities": entities or [],
            },
            "events": [{"event": "user", "text": text, "input_channel": channel,
                        "parse_data": {"intent": {"name": intent}}}],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        }
    )


@pytest.fixture
def dispatcher():
    return CollectingDispatcher()


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("ASBCR_TODAY", "2026-11-25")
