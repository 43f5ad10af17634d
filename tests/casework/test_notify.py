"""Messages to applicants: the outbox (casework.outbox) and sending it through GOV.UK Notify's
client (casework.notify), against a local stand-in for Notify (tests/notify_stand_in.py), never
the real service. Each test runs on SQLite and PostgreSQL (the `store` fixture)."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from casework import notify, outbox, service
from casework.errors import CaseworkError
from asbcr.cli import main
from tests.notify_stand_in import API_KEY, TEMPLATE_IDS, NotifyStandIn, closed_port_url, write_templates


def later() -> dt.datetime:
    """A moment after every message written so far (they are due from when they are written);
    retries and leases are then counted from it, so nothing here depends on the hour it runs."""
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)


@pytest.fixture
def no_notify(monkeypatch):
    for name in (notify.API_KEY_ENV, notify.TEMPLATES_ENV, notify.URL_ENV):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def stand_in(monkeypatch, tmp_path, no_notify):
    """Notify configured, pointing at the stand-in."""
    with NotifyStandIn() as fake:
        monkeypatch.setenv(notify.API_KEY_ENV, API_KEY)
        monkeypatch.setenv(notify.URL_ENV, fake.url)
        monkeypatch.setenv(notify.TEMPLATES_ENV, str(write_templates(tmp_path / "templates.yml")))
        yield fake


def chat_application(make_application, **changes):
    return service.create_application(make_application(**changes), idempotency_key="chat:conversation-0001")


def test_a_chat_application_writes_its_acknowledgement_to_the_outbox(store, no_notify, make_application):
    created = chat_application(make_application)
    [message] = outbox.list_messages()
    assert message["reference"] == created["reference"]
    assert (message["event"], message["channel"], message["recipient"], message["status"]) == (
        "received",
        "email",
        "jo.bloggs@example.org",
        "pending",
    )
    # The whole of what the message says about the application: no name, address, incident or story.
    assert message["personalisation"] == {
        "reference": created["reference"],
        "link": created["private_url"],
        "acknowledge_by": "27 November 2026",
    }


def test_a_paper_application_entered_by_staff_writes_one_too_and_text_when_there_is_no_email(store, no_notify, make_application):
    applicant = {"name": "Sam Phone", "phone": "07700 900456", "address": "1 High Street"}
    service.create_application(make_application(channel="paper", applicant=applicant))
    service.create_application(make_application(channel="paper", applicant={"name": "Al Letter", "address": "2 High Street"}))
    [message] = outbox.list_messages()  # the one with no email or phone gets none: staff write
    assert (message["channel"], message["recipient"]) == ("sms", "07700 900456")
    assert "Sam" not in str(message["personalisation"])


def test_without_a_key_the_outbox_alone_records_and_nothing_leaves_the_machine(store, no_notify, make_application, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a request was made with no Notify key configured")

    monkeypatch.setattr(requests.Session, "request", no_network)
    with NotifyStandIn() as fake:
        monkeypatch.setenv(notify.URL_ENV, fake.url)  # even with somewhere to send to
        created = chat_application(make_application)
        service.record_event(created["reference"], "threshold-met")
        result = notify.deliver(now=later())
        assert fake.requests == []
    assert result == {"sent": 0, "recorded": 2, "retrying": 0, "failed": []}
    assert [(m["event"], m["status"]) for m in outbox.list_messages()] == [
        ("received", "recorded"),
        ("threshold-met", "recorded"),
    ]
    assert notify.deliver(now=later())["recorded"] == 0  # recorded once, not again


def test_sent_through_notify_with_the_request_shape_its_client_sends(store, stand_in, make_application):
    created = chat_application(make_application)
    phone_only = service.create_application(
        make_application(channel="phone", applicant={"name": "Sam Phone", "phone": "07700 900456", "address": "1 High Street"})
    )
    result = notify.deliver(now=later())
    assert result == {"sent": 2, "recorded": 0, "retrying": 0, "failed": []}
    email, sms = stand_in.requests
    assert email["problems"] == [] and sms["problems"] == []  # JWT, JSON, template id, recipient all as Notify wants
    assert email["path"] == "/v2/notifications/email"
    assert email["headers"]["User-agent"].startswith("NOTIFY-API-PYTHON-CLIENT/")
    assert email["json"] == {
        "email_address": "jo.bloggs@example.org",
        "template_id": TEMPLATE_IDS["received"]["email"],
        "personalisation": {
            "reference": created["reference"],
            "link": created["private_url"],
            "acknowledge_by": "27 November 2026",
        },
        "reference": f"{created['reference']}/received",
    }
    assert sms["path"] == "/v2/notifications/sms"
    assert sms["json"]["phone_number"] == "07700 900456"
    assert sms["json"]["template_id"] == TEMPLATE_IDS["received"]["sms"]
    assert sms["json"]["personalisation"]["reference"] == phone_only["reference"]
    messages = outbox.list_messages()
    assert [m["status"] for m in messages] == ["sent", "sent"]
    assert all(m["notify_id"] and m["template_id"] for m in messages)
    assert notify.deliver(now=later())["sent"] == 0  # sent once


def test_each_staff_event_sends_its_own_template(store, stand_in, make_application):
    created = chat_application(make_application)
    notify.deliver(now=later())
    service.record_event(created["reference"], "threshold-met")
    notify.deliver(now=later())
    assert stand_in.requests[-1]["json"]["template_id"] == TEMPLATE_IDS["threshold-met"]["email"]
    assert stand_in.requests[-1]["json"]["personalisation"] == {"reference": created["reference"], "link": created["private_url"]}


def test_an_event_with_no_template_configured_fails_by_name_and_the_event_stays(store, stand_in, make_application):
    created = chat_application(make_application)
    service.record_event(created["reference"], "rejected", note="vexatious: the fourth about the hedge")
    result = notify.deliver(now=later())
    assert result["sent"] == 1
    [failure] = result["failed"]
    assert failure["event"] == "rejected" and "no Notify template id for rejected by email" in failure["error"]
    assert service.get_application(created["reference"])["status"] == "rejected"
    # The staff note never reaches a message.
    assert all("hedge" not in str(request["json"]) for request in stand_in.requests)


def test_notify_down_is_tried_again_later_then_sent(store, stand_in, make_application):
    chat_application(make_application)
    stand_in.fail_next(500, "Exception", "Internal server error")
    start = later()
    assert notify.deliver(now=start)["retrying"] == 1
    [message] = outbox.list_messages()
    assert message["status"] == "pending" and message["attempts"] == 1
    assert message["last_error"] == "500 Exception: Internal server error"
    assert notify.deliver(now=start + dt.timedelta(seconds=59))["sent"] == 0  # not due yet
    assert len(stand_in.requests) == 1
    assert notify.deliver(now=start + notify.RETRY_AFTER[0])["sent"] == 1
    assert outbox.list_messages()[0]["status"] == "sent"


def test_notify_unreachable_is_tried_again_and_gives_up_after_the_last_attempt(store, stand_in, make_application, monkeypatch):
    monkeypatch.setenv(notify.URL_ENV, closed_port_url())
    created = chat_application(make_application)
    when = later()
    for attempt in range(1, notify.MAX_ATTEMPTS):
        assert notify.deliver(now=when)["retrying"] == 1, attempt
        when += notify.RETRY_AFTER[attempt - 1]
    result = notify.deliver(now=when)
    [failure] = result["failed"]
    assert failure["reference"] == created["reference"] and "gave up after 7 attempts" in failure["error"]
    assert outbox.list_messages(status="failed")[0]["attempts"] == notify.MAX_ATTEMPTS
    assert notify.retry_failed() == 1 and outbox.list_messages()[0]["status"] == "pending"


def test_a_message_notify_refuses_fails_at_once_and_is_reported(store, stand_in, make_application):
    chat_application(make_application)
    stand_in.fail_next(400, "BadRequestError", "Can't send to this recipient using a team-only API key")
    result = notify.deliver(now=later())
    assert result["failed"][0]["error"] == "400 BadRequestError: Can't send to this recipient using a team-only API key"
    assert outbox.list_messages(status="failed")[0]["attempts"] == 1


def test_a_claimed_message_is_not_sent_by_a_second_sender_until_its_lease_ends(store, stand_in, make_application):
    chat_application(make_application)
    [message] = outbox.list_messages()
    start = later()
    assert notify._claim(message["id"], start) is not None
    assert notify._claim(message["id"], start) is None
    assert notify.deliver(now=start)["sent"] == 0 and stand_in.requests == []
    # The first sender died mid-send: once the lease is over the message goes.
    assert notify.deliver(now=start + notify.LEASE)["sent"] == 1


def test_a_wrong_configuration_claims_nothing(store, stand_in, make_application, monkeypatch, tmp_path):
    chat_application(make_application)
    monkeypatch.delenv(notify.TEMPLATES_ENV)
    with pytest.raises(CaseworkError, match="ASBCR_NOTIFY_TEMPLATES names no file"):
        notify.deliver(now=later())
    (tmp_path / "bad.yml").write_text("received: {email: not-an-id}\n")
    monkeypatch.setenv(notify.TEMPLATES_ENV, str(tmp_path / "bad.yml"))
    with pytest.raises(CaseworkError, match="received.email: 'not-an-id' is not a Notify template id"):
        notify.deliver(now=later())
    monkeypatch.setenv(notify.TEMPLATES_ENV, str(write_templates(tmp_path / "ok.yml")))
    monkeypatch.setenv(notify.API_KEY_ENV, "not-a-key")
    with pytest.raises(CaseworkError, match="is not a Notify API key"):
        notify.deliver(now=later())
    assert outbox.list_messages()[0]["status"] == "pending" and stand_in.requests == []


def test_a_rolled_back_event_writes_no_message(store, no_notify, make_application):
    created = chat_application(make_application)
    with pytest.raises(CaseworkError):
        service.record_event(created["reference"], "review-held")  # before a threshold decision
    assert [m["event"] for m in outbox.list_messages()] == ["received"]


def test_retention_and_forget_me_remove_the_messages_with_the_personal_details(store, no_notify, make_application):
    old = chat_application(make_application, received="2019-05-01", facts={})
    service.record_event(old["reference"], "threshold-not-met", date="2019-05-10")
    kept = service.create_application(make_application())
    forgotten = service.create_application(make_application(applicant={"name": "Al", "phone": "07700 900789"}))
    assert len(outbox.list_messages()) == 4
    assert service.apply_retention(72)["references"] == [old["reference"]]
    service.forget_by_token(forgotten["token"])
    assert [m["reference"] for m in outbox.list_messages()] == [kept["reference"]]
    assert "07700 900789" not in str(outbox.list_messages())


def run_cli(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_command_line_sends_after_recording_and_lists_the_outbox(store, stand_in, make_application, capsys):
    created = chat_application(make_application)
    code, out, err = run_cli(capsys, "applications", "record", created["reference"], "threshold-met")
    assert code == 0 and out.strip() == f"{created['reference']}: threshold-met on 2026-11-25"
    assert err.strip() == f"{created['reference']}: message to the applicant (email): sent through GOV.UK Notify"
    # The chat's acknowledgement went with it (every due message of the application).
    assert [r["json"]["template_id"] for r in stand_in.requests] == [
        TEMPLATE_IDS["received"]["email"],
        TEMPLATE_IDS["threshold-met"]["email"],
    ]
    code, out, _ = run_cli(capsys, "applications", "outbox")
    assert code == 0
    assert out.splitlines()[0].split() == ["REFERENCE", "EVENT", "BY", "WRITTEN", "STATUS"]
    assert out.count("sent through GOV.UK Notify") == 2
    stand_in.fail_next(400, "BadRequestError", "phone_number Not a UK mobile number")
    service.create_application(make_application(applicant={"name": "Sam", "phone": "0115 496 0000"}))
    code, out, err = run_cli(capsys, "applications", "deliver")
    assert code == 1 and out.strip() == "0 sent, 0 recorded only (no Notify key), 0 to try again, 1 failed"
    assert "failed: ASBCR-2026-0002 received: 400 BadRequestError: phone_number Not a UK mobile number" in err


def test_the_command_line_records_only_without_a_key_and_keeps_the_event_when_sending_cannot_start(
    store, no_notify, make_application, capsys, monkeypatch
):
    created = chat_application(make_application)
    code, _, err = run_cli(capsys, "applications", "record", created["reference"], "threshold-met")
    assert code == 0 and "recorded in the outbox only (ASBCR_NOTIFY_API_KEY is not set)" in err
    monkeypatch.setenv(notify.API_KEY_ENV, API_KEY)  # a key but no templates file
    code, out, err = run_cli(capsys, "applications", "record", created["reference"], "review-held")
    assert code == 0 and "review-held on 2026-11-25" in out
    assert "waits in the outbox" in err and "ASBCR_NOTIFY_TEMPLATES" in err
    assert service.get_application(created["reference"])["status"] == "review-held"
    assert outbox.list_messages(status="pending")[0]["event"] == "review-held"


def test_the_example_templates_file_loads_and_names_every_event():
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "casework" / "data" / "notify-templates.example.yml"
    templates = notify.load_templates(str(example))
    assert set(templates) == set(outbox.MESSAGE_EVENTS)
    assert all(set(channels) == {"email", "sms"} for channels in templates.values())
