from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

# The domain as the action server receives it, as far as the actions read it: the form's slots.
DOMAIN = {"forms": yaml.safe_load((Path(__file__).resolve().parents[2] / "bot" / "domain.yml").read_text())["forms"], "slots": {}}
FORM_SLOTS = DOMAIN["forms"]["application_form"]["required_slots"]


def make_tracker(slots=None, text="", intent="inform", entities=None, requested=None, channel="rest", active_loop=None):
    """A tracker as the action server receives it, built with Tracker.from_dict.

    With the application form active it is the one Rasa's form sends validate_application_form:
    after the form's own action event, the slots to validate. While a question is asked that is
    its slot, filled with the message's text (the slot's from_text mapping); as the form starts
    (nothing asked yet) every form slot already set."""
    all_slots = {"requested_slot": requested, **(slots or {})}
    events = [{"event": "user", "text": text, "input_channel": channel, "parse_data": {"intent": {"name": intent}}}]
    if active_loop == "application_form":
        all_slots.update({requested: text} if requested else {})
        candidates = [requested] if requested else [name for name in FORM_SLOTS if all_slots.get(name) is not None]
        events += [{"event": "action", "name": "application_form"}]
        events += [{"event": "slot", "name": name, "value": all_slots[name]} for name in candidates]
    return Tracker.from_dict(
        {
            "sender_id": "resident-1",
            "slots": all_slots,
            "latest_message": {
                "text": text,
                "intent": {"name": intent, "confidence": 0.99},
                "entities": entities or [],
            },
            "events": events,
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


def asked_next(tracker_slots, events):
    """The question the form asks after validate_application_form returned `events`: the one it
    named, else (when its required_slots() are the domain's own) Rasa's pick, the first form slot
    still empty; None ends the form."""
    named = [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == "requested_slot"]
    if named:
        return named[-1]
    slots = {**tracker_slots, **{e["name"]: e["value"] for e in events if e.get("event") == "slot"}}
    return next((name for name in FORM_SLOTS if slots.get(name) is None), None)
