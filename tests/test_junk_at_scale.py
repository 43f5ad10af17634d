"""Junk at scale (issue 9): 10,000 generated requests through the page's relay and 10,000
through Rasa's REST channel. Every one gets a reply or a clear 4xx; none a 5xx, none hangs,
and only a well-formed message reaches the bot, with nothing else from the request.

Hypothesis is derandomized (the same examples on every run), so the test cannot pass by
chance. The relay runs in front of the fake Rasa of the browser tests; the channel runs in
process through ASGI (tests/rest_channel_client.py). A smaller run through the real Rasa is in
tests/conversation/test_edge.py.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import unicodedata

from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.browser.fake_rasa import FakeRasa
from tests.rest_channel_client import RestChannel
from web import limits, server

REQUESTS = 10_000
BATCH = 10  # requests per Hypothesis example: its own cost per example is several times a request's
SCALE = settings(
    max_examples=REQUESTS // BATCH, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
)

# What the contract allows (CONTRACT.md, Chat), written out independently of groundwork/chat_input.py.
BODY_LIMIT = 256 * 1024
MESSAGE_LIMIT = 10_000
BIDI_CONTROLS = {"LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI"}
ID_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
OFFERED = "resident-was-offered-affirm"  # the bot has just shown it a "/affirm" button


def nobody_types(character: str) -> bool:
    category = unicodedata.category(character)
    return (
        (category == "Cc" and character not in "\t\n\r")
        or category == "Cs"
        or unicodedata.bidirectional(character) in BIDI_CONTROLS
    )


def well_formed(body: bytes):
    """(sender, message) when the body is what the contract allows, else None."""
    if len(body) > BODY_LIMIT:
        return None
    try:
        payload = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(payload, dict):
        return None
    sender, message = payload.get("sender"), payload.get("message")
    if not (isinstance(sender, str) and re.fullmatch(r"[A-Za-z0-9_-]{8,64}", sender)):
        return None
    if not isinstance(message, str) or any(nobody_types(c) for c in message):
        return None
    return sender, message


# --- the junk ---------------------------------------------------------------------------------
ODD = [
    "\x00",
    "\ud800",
    "\udfff",
    "\ud83d",
    "\u202e",
    "\u202d",
    "\u2066",
    "\u2069",
    "\u200f",
    "\u200e",
    "\u061c",
    "\ufeff",
    "\x1b",
    "\x7f",
    "\x85",
    "\u2028",
    "\uffff",
    "\U0001f600",
    "\t",
    "\n",
    "\r",
]
readable_text = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=80)
odd_text = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(ODD)), max_size=40)
INTENTS = [
    "affirm",
    "deny",
    "greet",
    "restart",
    "back",
    "session_start",
    "apply_now",
    "inform",
    "start_again",
    "nlu_fallback",
    "out_of_scope",
    "stop",
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | odd_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(odd_text, inner, max_size=3),
    max_leaves=6,
)
commands = st.one_of(
    st.sampled_from(INTENTS).map(lambda intent: f"/{intent}"),
    st.tuples(
        st.sampled_from(INTENTS),
        st.dictionaries(
            st.sampled_from(["confirm", "applicant_name", "requested_slot", "outcome", "application"]), json_values, max_size=2
        ),
    ).map(lambda parts: f"/{parts[0]}{json.dumps(parts[1])}"),
    st.tuples(st.sampled_from(["", " ", "//", "/ ", "\u00a0"]), st.sampled_from(INTENTS), odd_text).map(
        lambda parts: f"{parts[0]}/{parts[1]}{parts[2]}"
    ),
)
senders = st.one_of(
    st.text(alphabet=ID_CHARACTERS, min_size=8, max_size=64),
    st.just(OFFERED),
    odd_text,
    st.text(alphabet="abc-_", min_size=60, max_size=70),
    json_values,
)
messages = st.one_of(
    st.text(max_size=80),
    odd_text,
    commands,
    st.sampled_from(["", "   ", "\u200fجيراني مزعجون\u200f", "a" * (MESSAGE_LIMIT + 1)]),
    json_values,
)
MISSING = object()


@st.composite
def json_bodies(draw):
    payload = {}
    for key, values in (("sender", senders), ("message", messages)):
        value = draw(st.one_of(values, st.just(MISSING)) if draw(st.integers(0, 9)) == 0 else values)
        if value is not MISSING:
            payload[key] = value
    if draw(st.booleans()):
        payload["input_channel"] = draw(st.sampled_from(["cmdline", "rest", "socketio", None]) | odd_text)
    if draw(st.booleans()):
        payload["metadata"] = draw(json_values)
    text = json.dumps(payload, ensure_ascii=draw(st.booleans()))
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate unescaped is invalid UTF-8


MEGABYTE = json.dumps({"sender": "resident-0123456789", "message": "a" * 1_000_000}).encode()
raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.integers(1, 60_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(1, 40_000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),
    st.integers(1, 120_000).map(lambda depth: b"[" * depth),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.just(MEGABYTE),
)


@st.composite
def good_bodies(draw):
    """What a page or widget sends, with a resident's extras now and then."""
    payload = {
        "sender": draw(senders.filter(lambda s: isinstance(s, str)) if draw(st.booleans()) else st.just(OFFERED)),
        "message": draw(st.one_of(readable_text, commands, st.sampled_from(["yes", "no", "3 times"]))),
    }
    payload["sender"] = payload["sender"] if re.fullmatch(r"[A-Za-z0-9_-]{8,64}", payload["sender"]) else OFFERED
    if draw(st.booleans()):
        payload["input_channel"] = "cmdline"
    if draw(st.booleans()):
        payload["metadata"] = draw(json_values)
    return json.dumps(payload).encode()


bodies = st.one_of(good_bodies(), good_bodies(), json_bodies(), raw_bodies)
queries = st.sampled_from(["", "", "", "stream=true", "stream=True", "stream=false", "stream=1", "token=abc"])
batches = st.lists(st.tuples(bodies, queries), min_size=BATCH, max_size=BATCH)


# --- the relay in front of the fake Rasa ------------------------------------------------------
class Relay:
    """web.server in front of the fake Rasa, both on one event loop in a thread of their own."""

    def __init__(self) -> None:
        self.fake = FakeRasa(port=0)
        self.fake.delay = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.call(self._start())

    def call(self, coroutine, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _start(self) -> None:
        self.rasa = TestServer(self.fake.app())
        await self.rasa.start_server()
        app = server.create_app(rasa_url=str(self.rasa.make_url("")).rstrip("/"))
        # this floods one address on purpose: the rate limits are tested in tests/test_web_limits.py
        flood = limits.Limit(burst=10**9, per_second=10**9, set_on="test", reason="junk at scale")
        app[limits.CHAT_LIMITS] = limits.ChatLimits(limits=dict.fromkeys(limits.LIMITS, flood), in_flight=10**9)
        self.client = TestClient(TestServer(app))
        await self.client.start_server()

    async def _close(self) -> None:
        await self.client.close()
        await self.rasa.close()

    def close(self) -> None:
        self.call(self._close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def post_all(self, batch):
        """Sends every (body, query) of `batch` at once; their (status, answer) in order."""

        async def posting(body: bytes, query: str):
            response = await self.client.post(f"/api/chat?{query}", data=body, headers={"Content-Type": "application/json"})
            return response.status, await response.json(content_type=None)

        async def all_at_once():
            return await asyncio.gather(*(asyncio.wait_for(posting(*request), 10) for request in batch))

        return self.call(all_at_once())  # a hang fails the test


def test_ten_thousand_junk_requests_through_the_relay():
    relay, sent = Relay(), []

    @SCALE
    @given(batch=batches)
    def each(batch):
        before = len(relay.fake.received)
        forwarded = []
        for (body, query), (status, answer) in zip(batch, relay.post_all(batch)):
            sent.append(status)
            allowed = well_formed(body)
            if allowed and allowed[1].strip() and len(allowed[1]) <= MESSAGE_LIMIT:
                assert status == 200, (status, answer)
                assert isinstance(answer, list) and all(isinstance(m, dict) for m in answer)
                forwarded.append({"sender": allowed[0], "message": allowed[1]})
            else:
                assert 400 <= status < 500, (status, answer)
                assert answer["error"] and answer["message"]
        # exactly the well-formed ones reached Rasa, with nothing but their sender and message
        key = lambda body: json.dumps(body, sort_keys=True)  # noqa: E731
        assert sorted(map(key, relay.fake.received[before:])) == sorted(map(key, forwarded))

    try:
        each()
    finally:
        relay.close()
    assert len(sent) >= REQUESTS
    assert sent.count(200) > REQUESTS // 10 and len(set(sent)) > 2  # both paths were exercised


# --- Rasa's REST channel, in process -----------------------------------------------------------
def test_ten_thousand_junk_requests_through_the_rest_channel():
    channel, sent = RestChannel(), []
    channel.call(channel.agent.bot_offered(OFFERED, [{"title": "Yes, send it", "payload": "/affirm"}]))

    @SCALE
    @given(batch=batches)
    def each(batch):
        for body, query in batch:
            before = len(channel.received)
            status, answer = channel.send(body, query=query)  # a hang fails the test
            sent.append(status)
            allowed = well_formed(body)
            if allowed and query.lower() != "stream=true":
                assert status == 200, (status, answer)
                assert isinstance(answer, list) and answer and all(isinstance(m, dict) for m in answer)
                [message] = channel.received[before:]
                sender, text = allowed
                assert message.sender_id == sender
                assert message.text == text[:MESSAGE_LIMIT].strip()
                assert message.input_channel == "rest" and message.metadata is None
                read_as_command = message.parse_data is None and message.text.startswith("/")
                assert not read_as_command or (sender == OFFERED and message.text == "/affirm"), message.text
                if message.parse_data is not None:
                    assert message.parse_data["entities"] == [] and message.parse_data["text"] == message.text
            else:
                assert 400 <= status < 500, (status, answer)
                assert answer["error"] and answer["message"]
                assert channel.received[before:] == []

    each()
    assert len(sent) >= REQUESTS
    assert sent.count(200) > REQUESTS // 10 and len(set(sent)) > 2
