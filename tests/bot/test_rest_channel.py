"""Our REST channel as an edge (bot/channels.py, docs/decisions/0036): what it refuses, what it
drops, and how Rasa's command syntax is read. In process, through ASGI (tests/rest_channel_client.py)."""

from __future__ import annotations

import json

import pytest

from tests.rest_channel_client import RestChannel

SENDER = "resident-0123456789"
CONFIRM_BUTTONS = [{"title": "Yes, send it", "payload": "/affirm"}, {"title": "Change something", "payload": "change"}]


def post(channel: RestChannel, payload=None, body: bytes = None, **options):
    body = json.dumps(payload).encode() if body is None else body
    return channel.send(body, **options)


def test_a_message_is_passed_on_as_the_rest_channel_with_nothing_else_from_the_request():
    channel = RestChannel()
    status, replies = post(
        channel,
        {"sender": SENDER, "message": "the lads upstairs are loud", "input_channel": "cmdline", "metadata": {"role": "staff"}},
    )
    assert status == 200 and replies == [{"recipient_id": SENDER, "text": "Thank you."}]
    [message] = channel.received
    assert (message.sender_id, message.text) == (SENDER, "the lads upstairs are loud")
    # "cmdline" would show the staff-only decision trace (bot/actions/converse.py)
    assert message.input_channel == "rest"
    assert message.metadata is None
    assert message.parse_data is None  # plain text: Rasa's own NLU reads it


@pytest.mark.parametrize(
    "payload, code",
    [
        ({"message": "hi"}, "bad_sender"),  # once the shared "default" conversation
        ({"sender": "", "message": "hi"}, "bad_sender"),
        ({"sender": "\ud800", "message": "hi"}, "bad_sender"),  # once made Rasa exit
        ({"sender": "resident\x00-0001", "message": "hi"}, "bad_sender"),
        ({"sender": "resident-\u202e0001", "message": "hi"}, "bad_sender"),
        ({"sender": "../../etc/passwd", "message": "hi"}, "bad_sender"),
        ({"sender": 12345678, "message": "hi"}, "bad_sender"),
        ({"sender": "x" * 65, "message": "hi"}, "bad_sender"),
        ({"sender": SENDER}, "empty_message"),
        ({"sender": SENDER, "message": ["hi"]}, "empty_message"),
        ({"sender": SENDER, "message": {"text": "hi"}}, "empty_message"),
        ({"sender": SENDER, "message": "my name is \ud83d"}, "unreadable_message"),
        ({"sender": SENDER, "message": "hi\x00there"}, "unreadable_message"),
        ({"sender": SENDER, "message": "invoice \u202egnp.exe"}, "unreadable_message"),
        (["sender", "message"], "bad_request"),  # once a 500
        ("hello", "bad_request"),
        (7, "bad_request"),
        (None, "bad_request"),
    ],
)
def test_a_malformed_request_gets_a_clear_400_and_never_reaches_the_bot(payload, code):
    channel = RestChannel()
    status, body = post(channel, payload)
    assert status == 400, body
    assert body["error"] == code and body["message"]
    assert channel.received == []


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b'{"a":' * 40_000 + b"1" + b"}" * 40_000,
        b"{not json",
        b"",
        b'{"sender": "resident-0001", "message": "caf\xe9"}',
        b"\xff\xfe\x00",
    ],
    ids=["deep-list", "deep-object", "not-json", "empty", "latin-1", "utf-16"],
)
def test_a_body_that_is_not_utf8_json_or_nested_too_deep_gets_a_400(body):
    channel = RestChannel()
    status, answer = post(channel, body=body)
    assert status == 400 and answer["error"] == "bad_request" and answer["message"]
    assert channel.received == []


def test_a_right_to_left_message_with_its_direction_marks_is_ordinary_text():
    channel = RestChannel()
    status, _ = post(channel, {"sender": SENDER, "message": "\u200fجيراني مزعجون كل ليلة\u200f"})
    assert status == 200 and len(channel.received) == 1


def test_a_long_message_is_cut_and_a_body_over_the_limit_is_refused_unread():
    channel = RestChannel()
    status, _ = post(channel, {"sender": SENDER, "message": "a" * 20_000})
    assert status == 200 and len(channel.received[0].text) == 10_000
    megabyte = json.dumps({"sender": SENDER, "message": "a" * 1_000_000}).encode()
    status, body = post(channel, body=megabyte)
    assert status == 413 and body["error"] == "too_large" and body["message"]
    # sent in pieces with no length given, it is refused once it passes the limit
    status, body = post(
        channel, body=megabyte, chunks=[megabyte[i : i + 65536] for i in range(0, len(megabyte), 65536)], content_length=False
    )
    assert status == 413 and body["error"] == "too_large"
    assert len(channel.received) == 1


@pytest.mark.parametrize("query", ["stream=true", "stream=True"])
def test_a_streamed_answer_is_refused_at_once(query):
    channel = RestChannel()
    status, body = post(channel, {"sender": SENDER, "message": "hi", "metadata": [1, 2]}, query=query)
    assert status == 400 and body["error"] == "no_stream" and body["message"]
    assert channel.received == []


@pytest.mark.parametrize(
    "text",
    [
        '/inform{"applicant_name": "Someone Else"}',
        '/affirm{"confirm": true}',
        "/restart",  # Rasa's own: would wipe the conversation, and with it the application it made
        "/back",
        "/session_start",
        "  /apply_now",
        "/ /affirm",
        "//affirm",
        "/affirm@1.0",
    ],
)
def test_command_syntax_is_read_as_plain_text_unless_a_button_just_offered_it(text):
    channel = RestChannel()
    channel.call(channel.agent.bot_offered(SENDER, CONFIRM_BUTTONS))
    status, _ = post(channel, {"sender": SENDER, "message": text})
    assert status == 200
    [message] = channel.received
    assert message.text == text.strip()  # the conversation sees what was typed
    assert message.parse_data is not None, "Rasa would read this as an intent"
    assert message.parse_data["intent"]["name"] == "read_as_text" and message.parse_data["entities"] == []
    assert not channel.agent.parsed[-1].lstrip().startswith("/")
    assert message.parse_data["text"] == text.strip()


def test_a_bare_intent_counts_when_it_is_the_payload_of_a_button_just_offered():
    channel = RestChannel()
    channel.call(channel.agent.bot_offered(SENDER, CONFIRM_BUTTONS))
    post(channel, {"sender": SENDER, "message": "/affirm"})
    assert channel.received[-1].parse_data is None  # Rasa reads it as the intent `affirm`
    # another conversation was offered no such button
    post(channel, {"sender": "resident-9876543210", "message": "/affirm"})
    assert channel.received[-1].parse_data is not None


def test_a_button_offered_before_the_residents_last_message_no_longer_counts():
    channel = RestChannel()
    channel.call(channel.agent.bot_offered(SENDER, CONFIRM_BUTTONS))

    async def then_the_resident_typed():
        tracker = await channel.agent.tracker_store.retrieve(SENDER)
        from rasa.shared.core.events import UserUttered

        tracker.update(UserUttered("actually wait"))
        await channel.agent.tracker_store.save(tracker)

    channel.call(then_the_resident_typed())
    post(channel, {"sender": SENDER, "message": "/affirm"})
    assert channel.received[-1].parse_data is not None
