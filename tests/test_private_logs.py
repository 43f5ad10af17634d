"""The log check every process installs (groundwork/private_logs.py), on the log lines Rasa, Sanic and
our own code really write. Through a running stack: tests/conversation/test_no_resident_text_in_logs.py."""

import io
import json
import logging

import pytest

from groundwork import private_logs

NAME, EMAIL, PHONE, POSTCODE = "Jo Bloggs", "jo.bloggs@example.org", "07700 900123", "DE7 5AB"


@pytest.fixture
def captured():
    private_logs.install()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)
    private_logs.uninstall()


def test_rasas_debug_lines_with_the_message_are_dropped(captured):
    logging.getLogger("rasa.core.processor").debug(f"Received user message 'my name is {NAME}' with intent ...")
    logging.getLogger("sanic.access").info("POST /webhooks/rest/webhook?token=abc 200")
    assert captured.getvalue() == ""


def test_a_timeout_keeps_its_event_name_never_the_text(captured):
    # What Rasa's REST channel hands to logging for structlog's rest.message.received.timeout.
    rendered = json.dumps({"text": f"I'm {NAME}, {EMAIL}", "event": "rest.message.received.timeout", "level": "error"})
    logging.getLogger("rasa.core.channels.rest").error(rendered)
    out = captured.getvalue()
    assert "rest.message.received.timeout" in out and "text" in out
    assert NAME not in out and EMAIL not in out


def test_structlog_events_lose_their_fields_whatever_the_renderer(captured):
    import structlog
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.DEBUG)  # as `rasa run` does at start, before our channel loads
    private_logs.install()
    structlog.get_logger("rasa.test").error("rest.message.received.failure", text=f"{NAME} {PHONE}")
    out = captured.getvalue()
    assert "rest.message.received.failure" in out and NAME not in out and PHONE not in out


def test_an_exception_keeps_its_type_and_place_not_its_message(captured):
    try:
        raise ValueError(f"bad address {NAME}, 12 Station Road, {POSTCODE}")
    except ValueError:
        logging.getLogger("rasa.core.processor").exception("Encountered an exception while running action 'action_converse'.")
        logging.getLogger("bot.actions.application").exception("application could not be saved")
    out = captured.getvalue()
    assert "ValueError: [withheld]" in out and "test_private_logs.py" in out
    assert "'action_converse'" in out  # an identifier in quotes is kept
    assert NAME not in out and POSTCODE not in out and "Station Road" not in out


@pytest.mark.parametrize(
    "line",
    [
        f"Failed to fill utterance template 'Hello {NAME}'",
        f"contact {EMAIL} or {PHONE} at {POSTCODE}",
        f'slot applicant_name set to "{NAME}"',
    ],
)
def test_quoted_text_and_contact_details_are_withheld_in_warnings(captured, line):
    logging.getLogger("rasa.shared.utils.io").warning(line)
    out = captured.getvalue()
    for value in (NAME, EMAIL, PHONE, POSTCODE):
        assert value not in out
    assert "[withheld]" in out


def test_our_own_lines_are_kept_but_contact_details_in_them_are_withheld(captured):
    logging.getLogger("casework").info("application %s created (channel %s)", "ASBCR-2026-0001", "chat")
    logging.getLogger("casework").info("oops %s", EMAIL)
    out = captured.getvalue()
    assert "application ASBCR-2026-0001 created (channel chat)" in out
    assert EMAIL not in out


def test_installing_twice_checks_once(captured):
    private_logs.install()
    logging.getLogger("casework").warning("once")
    assert captured.getvalue().count("once") == 1
