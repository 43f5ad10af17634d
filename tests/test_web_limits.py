"""The chat relay's limits (web/limits.py): token buckets per client and per conversation, the
in-flight bound per conversation, the relay's timeout to Rasa, and a client that goes away
cancelling its request to Rasa. A fake clock drives the buckets; nothing here sleeps."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import signal
from pathlib import Path

import pytest
from aiohttp import ClientSession, ClientTimeout, web
from aiohttp.test_utils import TestClient, TestServer

from asbcr.stack import free_port, web_python  # the page runs on its own environment
from tests.run_async import run_async
from web import limits, server
from web.limits import ChatLimits, InFlight, Limit, TokenBucket, client_address

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = [ipaddress.ip_network("127.0.0.1/32")]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def run(coroutine):
    return run_async(coroutine, timeout=30)


# ---- the token bucket ----------------------------------------------------------------------


def test_a_burst_is_allowed_then_the_sustained_rate_is_refused_with_the_wait():
    clock = FakeClock()
    bucket = TokenBucket(Limit(burst=5, per_second=1, set_on="test", reason="test"), clock)
    assert [bucket.take("a") for _ in range(5)] == [0, 0, 0, 0, 0]
    assert bucket.take("a") == pytest.approx(1.0)
    clock.advance(0.5)
    assert bucket.take("a") == pytest.approx(0.5)  # a refused request spends nothing
    clock.advance(0.5)
    assert bucket.take("a") == 0
    assert bucket.take("a") == pytest.approx(1.0)


def test_a_quiet_spell_refills_the_burst_and_no_more():
    clock = FakeClock()
    bucket = TokenBucket(Limit(burst=3, per_second=2, set_on="test", reason="test"), clock)
    for _ in range(3):
        bucket.take("a")
    clock.advance(1.0)  # two tokens back at 2 a second
    assert [bucket.take("a") for _ in range(3)] == [0, 0, pytest.approx(0.5)]
    clock.advance(3600)
    assert [bucket.take("a") for _ in range(3)] == [0, 0, 0]
    assert bucket.take("a") > 0


def test_each_key_has_its_own_bucket():
    clock = FakeClock()
    bucket = TokenBucket(Limit(burst=1, per_second=1, set_on="test", reason="test"), clock)
    assert bucket.take("a") == 0 and bucket.take("a") > 0
    assert bucket.take("b") == 0


def test_refilled_buckets_are_forgotten_and_the_table_is_bounded():
    clock = FakeClock()
    bucket = TokenBucket(Limit(burst=2, per_second=1, set_on="test", reason="test"), clock, max_keys=100)
    for number in range(500):
        bucket.take(f"sender-{number}")
    assert len(bucket) == 100
    clock.advance(2.0)
    bucket.take("late")
    assert len(bucket) == 1


def test_the_in_flight_bound_counts_per_key_and_frees_on_leave():
    in_flight = InFlight(2)
    assert in_flight.enter("a") and in_flight.enter("a") and not in_flight.enter("a")
    assert in_flight.enter("b")
    in_flight.leave("a")
    assert in_flight.enter("a")
    for key in ("a", "a", "b"):
        in_flight.leave(key)
    assert len(in_flight) == 0


def test_every_limit_is_dated_and_says_why():
    for name, limit in limits.LIMITS.items():
        assert limit.set_on and len(limit.reason) > 20, name
        assert limit.burst >= 1 and limit.per_second > 0


def test_the_limits_table_can_be_replaced_from_the_environment(monkeypatch):
    monkeypatch.setenv("ASBCR_WEB_RATE_LIMITS", "client=600/100")
    table = limits.limits_setting()
    assert (table["client"].burst, table["client"].per_second) == (600, 100)
    assert table["conversation"] == limits.LIMITS["conversation"]
    assert ChatLimits(clock=FakeClock()).clients.limit.burst == 600
    for bad in ("client=600", "clients=1/1", "client=0/1", "client=5/-1", "client=5/inf", "client=a/b"):
        with pytest.raises(ValueError, match="NAME=BURST/PER_SECOND"):
            limits.limits_setting(bad)


# ---- whose request it is -------------------------------------------------------------------


def request_from(peer: str, forwarded=None):
    from aiohttp.test_utils import make_mocked_request

    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    request = make_mocked_request("POST", "/api/chat", headers=headers)
    return request.clone(remote=peer)


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy():
    assert client_address(request_from("198.51.100.7", "203.0.113.5"), []) == "198.51.100.7"
    assert client_address(request_from("198.51.100.7", "203.0.113.5"), LOOPBACK) == "198.51.100.7"


def test_through_a_trusted_proxy_the_last_untrusted_hop_is_the_client():
    # the client may write anything at the start of the header; the proxy appends what it saw
    spoofed = request_from("127.0.0.1", "10.9.9.9, 203.0.113.5")
    assert client_address(spoofed, LOOPBACK) == "203.0.113.5"
    assert client_address(request_from("127.0.0.1", "garbage"), LOOPBACK) == "127.0.0.1"
    assert client_address(request_from("127.0.0.1"), LOOPBACK) == "127.0.0.1"


def test_the_trusted_proxy_setting_is_off_by_default_and_checked(monkeypatch):
    monkeypatch.delenv("ASBCR_WEB_TRUSTED_PROXIES", raising=False)
    assert limits.trusted_proxies() == []
    assert limits.trusted_proxies("127.0.0.1, 10.0.0.0/8") == [
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("10.0.0.0/8"),
    ]
    with pytest.raises(ValueError, match="not an address"):
        limits.trusted_proxies("localhost")


# ---- the relay -----------------------------------------------------------------------------


class HeldRasa:
    """A stand-in Rasa REST channel that answers at once, or holds the messages of one sender
    until `release` is set; it records what it saw and which held requests were cancelled."""

    def __init__(self, hold_sender=None):
        self.hold_sender = hold_sender
        self.seen = []
        self.release = asyncio.Event()
        self.holding = 0
        self.held_changed = asyncio.Event()
        self.cancelled = asyncio.Event()

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.seen.append(body)
        if body["sender"] == self.hold_sender:
            self.holding += 1
            self.held_changed.set()
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                self.cancelled.set()
                raise
            finally:
                self.holding -= 1
        return web.json_response([{"recipient_id": body["sender"], "text": "ok"}])

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self.webhook)
        return app

    async def until_holding(self, count: int) -> None:
        while self.holding < count:
            self.held_changed.clear()
            await asyncio.wait_for(self.held_changed.wait(), 10)


def small_limits(clock, **overrides):
    table = {
        "client": Limit(burst=3, per_second=1, set_on="test", reason="test"),
        "conversation": Limit(burst=2, per_second=1, set_on="test", reason="test"),
    }
    table.update(overrides)
    return ChatLimits(clock=clock, limits=table, proxies=LOOPBACK)


def page_app(rasa_server: TestServer, chat_limits: ChatLimits) -> web.Application:
    """The page server in front of `rasa_server`, its limits replaced before it starts."""
    app = server.create_app(rasa_url=str(rasa_server.make_url("")).rstrip("/"))
    app[limits.CHAT_LIMITS] = chat_limits
    return app


async def relay(rasa: HeldRasa, chat_limits: ChatLimits, action):
    async with TestServer(rasa.app()) as rasa_server:
        app = page_app(rasa_server, chat_limits)
        async with TestClient(TestServer(app)) as client:
            return await action(client)


def post(client, sender, address="203.0.113.5", body="hello"):
    return client.post("/api/chat", json={"sender": sender, "message": body}, headers={"X-Forwarded-For": address})


def test_a_burst_from_one_client_gets_429_while_another_client_is_served():
    clock, rasa = FakeClock(), HeldRasa()

    async def action(client):
        statuses = [(await post(client, f"sender-a-{n}")).status for n in range(3)]
        refused = await post(client, "sender-a-3")
        other = await post(client, "sender-b-1", address="203.0.113.9")
        clock.advance(1.0)
        again = await post(client, "sender-a-4")
        return statuses, refused.status, await refused.json(), refused.headers.get("Retry-After"), other.status, again.status

    statuses, status, body, retry_after, other, again = run(relay(rasa, small_limits(clock), action))
    assert statuses == [200, 200, 200]
    assert status == 429 and body["error"] == "too_many_messages"
    assert "Wait a few seconds" in body["message"] and "nothing you wrote has been lost" in body["message"]
    assert retry_after == "1"
    assert other == 200  # the bystander is served
    assert again == 200  # and the first client once a token is back
    assert [seen["sender"] for seen in rasa.seen] == ["sender-a-0", "sender-a-1", "sender-a-2", "sender-b-1", "sender-a-4"]


def test_a_flooded_conversation_gets_429_while_the_same_clients_other_conversation_is_served():
    clock, rasa = FakeClock(), HeldRasa()
    chat_limits = small_limits(clock, client=Limit(burst=50, per_second=1, set_on="test", reason="test"))

    async def action(client):
        statuses = [(await post(client, "flooded-1")).status for _ in range(4)]
        other = await post(client, "resident-2")
        return statuses, other.status

    statuses, other = run(relay(rasa, chat_limits, action))
    assert statuses == [200, 200, 429, 429]
    assert other == 200
    assert len(rasa.seen) == 3  # the refused ones never reached Rasa


def test_a_third_message_of_one_conversation_in_flight_is_refused_at_once():
    clock = FakeClock()
    generous = Limit(burst=50, per_second=1, set_on="test", reason="test")
    chat_limits = small_limits(clock, client=generous, conversation=generous)

    async def action(client):
        rasa = action.rasa
        first = asyncio.ensure_future(post(client, "flooded-1"))
        second = asyncio.ensure_future(post(client, "flooded-1"))
        await rasa.until_holding(2)
        third = await post(client, "flooded-1")  # answered while the two are still held
        other = await post(client, "resident-2")
        rasa.release.set()
        held = [(await first).status, (await second).status]
        after = await post(client, "flooded-1")
        return third.status, await third.json(), other.status, held, after.status, len(chat_limits.in_flight)

    action.rasa = rasa = HeldRasa(hold_sender="flooded-1")
    third, body, other, held, after, in_flight = run(relay(rasa, chat_limits, action))
    assert third == 429 and body["error"] == "still_answering" and "still answering" in body["message"]
    assert other == 200
    assert held == [200, 200]
    assert after == 200 and in_flight == 0
    assert len(rasa.seen) == 4  # the third never reached Rasa


def test_a_body_that_never_arrives_gets_a_408_not_a_held_connection():
    rasa = HeldRasa()

    async def scenario():
        async with TestServer(rasa.app()) as rasa_server:
            chat_limits = ChatLimits(clock=FakeClock(), proxies=[], body_timeout=0.2)
            app = page_app(rasa_server, chat_limits)
            async with TestServer(app) as page_server:
                reader, writer = await asyncio.open_connection(page_server.host, page_server.port)
                writer.write(
                    b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 100\r\n\r\n{\"sender\": "
                )  # and then nothing more
                await writer.drain()
                status_line = await asyncio.wait_for(reader.readline(), 10)
                writer.close()
                return status_line

    assert run(scenario()).startswith(b"HTTP/1.1 408")
    assert rasa.seen == []


def test_a_body_over_the_limit_is_a_413_with_or_without_a_length():
    rasa = HeldRasa()
    big = b'{"sender": "resident-large-1", "message": "' + b"a" * 300_000 + b'"}'

    async def in_pieces():
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    async def action(client):
        with_length = await client.post("/api/chat", data=big, headers={"Content-Type": "application/json"})
        chunked = await client.post("/api/chat", data=in_pieces(), headers={"Content-Type": "application/json"})
        return with_length.status, chunked.status, await chunked.json()

    with_length, chunked, body = run(relay(rasa, ChatLimits(clock=FakeClock(), proxies=[]), action))
    assert with_length == 413
    assert chunked == 413 and body["error"] == "too_large" and "too long" in body["message"]
    assert rasa.seen == []


def test_the_relay_gives_up_on_a_rasa_that_never_answers(monkeypatch):
    monkeypatch.setattr(server, "RASA_TIMEOUT", ClientTimeout(total=0.2))
    rasa = HeldRasa(hold_sender="stuck-sender")

    async def action(client):
        response = await post(client, "stuck-sender")
        return response.status, await response.json()

    status, body = run(relay(rasa, ChatLimits(clock=FakeClock(), proxies=[]), action))
    assert status == 503 and "has not been sent" in body["message"]


def test_the_relays_timeout_to_rasa_is_set_below_the_pages():
    page_timeout_ms = int(
        next(
            line.split("=")[1]
            for line in (ROOT / "web/static/chat.js").read_text().splitlines()
            if line.startswith("const REQUEST_TIMEOUT_MS")
        )
    )
    assert server.RASA_TIMEOUT.total and server.RASA_TIMEOUT.connect
    assert server.RASA_TIMEOUT.total * 1000 < page_timeout_ms  # the relay answers before the page gives up


def test_a_client_that_goes_away_cancels_its_request_to_rasa_in_the_real_server():
    """python -m web.server as `make run` starts it: the resident's connection closes while Rasa
    is still working on the message, and Rasa's side of the request is closed too."""
    rasa = HeldRasa(hold_sender="gone-away-1")
    port = free_port()

    async def scenario():
        async with TestServer(rasa.app()) as rasa_server:
            env = dict(
                os.environ,
                ASBCR_RASA_URL=str(rasa_server.make_url("")).rstrip("/"),
                PYTHONPATH=str(ROOT),
                ASBCR_DATABASE_URL="sqlite:///:memory:",
            )
            process = await asyncio.create_subprocess_exec(
                str(web_python()),
                "-m",
                "web.server",
                "--port",
                str(port),
                cwd=ROOT,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                async with ClientSession() as client:
                    for _ in range(600):  # until it listens (a loaded machine is slow to start it)
                        try:
                            async with client.get(f"http://127.0.0.1:{port}/"):
                                break
                        except OSError:
                            await asyncio.sleep(0.05)
                    request = asyncio.ensure_future(
                        client.post(f"http://127.0.0.1:{port}/api/chat", json={"sender": "gone-away-1", "message": "hi"})
                    )
                    await rasa.until_holding(1)
                    request.cancel()  # the resident closes the tab: the connection is dropped
                    await asyncio.gather(request, return_exceptions=True)
                await asyncio.wait_for(rasa.cancelled.wait(), 15)
            finally:
                process.send_signal(signal.SIGINT)
                try:
                    await asyncio.wait_for(process.wait(), 10)
                except asyncio.TimeoutError:  # still waiting on the held request: not the finding
                    process.kill()
                    await process.wait()
        return rasa.holding

    assert run_async(scenario(), timeout=60) == 0


# ---- applications per client ---------------------------------------------------------------


def test_the_bucket_can_be_read_without_spending_and_charged_into_debt():
    clock = FakeClock()
    bucket = TokenBucket(Limit(burst=1, per_second=0.5, set_on="test", reason="test"), clock)
    assert bucket.wait("a") == 0 and bucket.wait("a") == 0
    bucket.charge("a")
    bucket.charge("a")  # two that happened at once: the second is owed
    assert bucket.wait("a") == pytest.approx(4.0)
    clock.advance(4.0)
    assert bucket.wait("a") == 0


def test_the_relay_notes_a_confirmation_asked_and_each_new_reference_once():
    seen = limits.Conversations(max_keys=2)
    assert not seen.confirming("c1")
    assert seen.note_reply("c1", [{"text": "Is this right?"}, {"custom": {"ask": "confirm"}}]) == []
    assert seen.confirming("c1")
    sent = [{"text": "Sent", "custom": {"application": {"reference": "ASB-1", "acknowledge_by": "2026-12-09"}}}]
    assert seen.note_reply("c1", sent) == ["ASB-1"]
    assert not seen.confirming("c1")
    assert seen.note_reply("c1", sent) == []  # the same application updated: not another one
    assert seen.note_reply("c1", "junk") == [] and seen.note_reply("c1", [7, {"custom": "x"}]) == []
    seen.note_reply("c2", [])
    seen.note_reply("c3", [])
    assert len(seen) == 2


async def applying_rasa(request: web.Request) -> web.Response:
    """ "apply" is answered with the confirmation question, "yes" with an application."""
    body = await request.json()
    applying_rasa.seen.append((body["sender"], body["message"]))
    if body["message"] == "apply":
        return web.json_response([{"text": "Is this right?", "custom": {"ask": "confirm"}}])
    return web.json_response(
        [{"text": "Sent.", "custom": {"application": {"reference": f"ASB-{body['sender']}", "acknowledge_by": "2026-12-09"}}}]
    )


def test_a_client_that_has_sent_its_applications_is_asked_to_wait_and_another_is_not():
    clock = FakeClock()
    generous = Limit(burst=50, per_second=1, set_on="test", reason="test")
    chat_limits = small_limits(
        clock,
        client=generous,
        conversation=generous,
        applications=Limit(burst=2, per_second=1 / 600, set_on="test", reason="test"),
    )
    applying_rasa.seen = []

    async def action(client):
        statuses = []
        for sender in ("conversation-1", "conversation-2", "conversation-3"):
            statuses += [(await post(client, sender, body="apply")).status, (await post(client, sender, body="yes")).status]
        again = await post(client, "conversation-1", body="yes")  # the same application: no new one
        refused = await post(client, "conversation-3", body="yes")
        other = [(await post(client, "conversation-4", "203.0.113.9", body=word)).status for word in ("apply", "yes")]
        clock.advance(600)
        later = await post(client, "conversation-3", body="yes")
        return statuses, again.status, refused.status, await refused.json(), other, later.status

    async def scenario():
        rasa = web.Application()
        rasa.router.add_post("/webhooks/rest/webhook", applying_rasa)
        async with TestServer(rasa) as rasa_server:
            app = page_app(rasa_server, chat_limits)
            async with TestClient(TestServer(app)) as client:
                return await action(client)

    statuses, again, refused, body, other, later = run(scenario())
    assert statuses == [200, 200, 200, 200, 200, 429]
    assert again == 200
    assert refused == 429 and body["error"] == "too_many_applications"
    assert "Your answers are kept" in body["message"] and "send it again" in body["message"]
    assert other == [200, 200]
    assert later == 200  # ten minutes on, a token is back
    sent = [sender for sender, message in applying_rasa.seen if message == "yes"]
    assert sent.count("conversation-3") == 1  # the refused confirmations never reached Rasa
