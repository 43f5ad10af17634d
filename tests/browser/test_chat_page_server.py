"""web/server.py without a browser: the relay to Rasa, its error answers, the page's escaping."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from asbcr.stack import free_port, web_python  # the page runs on its own environment
from groundwork.limits import MESSAGE_CHARS
from tests.run_async import run_async
from chat_helpers import ROOT
from web import server

SENDER = "test-sender-1"


def run(coroutine):
    return run_async(coroutine, timeout=30)


async def with_client(app: web.Application, action):
    async with TestClient(TestServer(app)) as client:
        return await action(client)


async def with_rasa(handler, action):
    """A stand-in Rasa whose webhook is `handler`, and a client of the page server in front of it."""
    rasa = web.Application()
    rasa.router.add_post("/webhooks/rest/webhook", handler)
    async with TestServer(rasa) as rasa_server:
        app = server.create_app(rasa_url=str(rasa_server.make_url("")).rstrip("/"))
        return await with_client(app, action)


def test_chat_relays_the_message_and_returns_rasas_list():
    seen = []

    async def webhook(request):
        seen.append(await request.json())
        return web.json_response([{"recipient_id": SENDER, "text": "Hello", "custom": {"ask": "concern"}}, "junk"])

    async def action(client):
        response = await client.post("/api/chat", json={"sender": SENDER, "message": "hi"})
        return response.status, await response.json(), response.headers.get("Cache-Control")

    status, body, cache = run(with_rasa(webhook, action))
    assert status == 200
    assert body == [{"recipient_id": SENDER, "text": "Hello", "custom": {"ask": "concern"}}]
    assert seen == [{"sender": SENDER, "message": "hi"}]
    assert cache == "no-store"  # a resident's conversation is not kept in caches


@pytest.mark.parametrize(
    "payload, code",
    [
        ({"sender": SENDER}, "empty_message"),
        ({"sender": SENDER, "message": "   "}, "empty_message"),
        ({"sender": SENDER, "message": 7}, "empty_message"),
        ({"sender": "../../etc", "message": "hi"}, "bad_sender"),
        ({"message": "hi"}, "bad_sender"),
        ({"sender": SENDER, "message": "x" * (MESSAGE_CHARS + 1)}, "message_too_long"),
        (["not", "an", "object"], "bad_request"),
    ],
)
def test_bad_requests_get_a_clear_400(payload, code):
    async def action(client):
        response = await client.post("/api/chat", json=payload)
        return response.status, await response.json()

    status, body = run(with_client(server.create_app(rasa_url="http://127.0.0.1:9"), action))
    assert status == 400
    assert body["error"] == code and body["message"]


def test_a_body_that_is_not_json_gets_a_400():
    async def action(client):
        response = await client.post("/api/chat", data="hello", headers={"Content-Type": "application/json"})
        return response.status, await response.json()

    status, body = run(with_client(server.create_app(rasa_url="http://127.0.0.1:9"), action))
    assert (status, body["error"]) == (400, "bad_request")


@pytest.mark.parametrize(
    "payload, code",
    [
        ({"sender": "\ud800", "message": "hi"}, "bad_sender"),
        ({"sender": "resident-\u202e0001", "message": "hi"}, "bad_sender"),
        ({"sender": SENDER, "message": "my name is \ud83d"}, "unreadable_message"),  # a lone surrogate
        ({"sender": SENDER, "message": "hi\x00there"}, "unreadable_message"),
        ({"sender": SENDER, "message": "invoice \u202egnp.exe"}, "unreadable_message"),
    ],
    ids=["surrogate-sender", "rtl-sender", "surrogate-message", "nul-message", "bidi-override-message"],
)
def test_characters_nobody_types_get_a_clear_400_and_are_never_sent_on(payload, code):
    seen = []

    async def webhook(request):
        seen.append(await request.json())
        return web.json_response([])

    async def action(client):
        response = await client.post("/api/chat", json=payload)
        return response.status, await response.json()

    status, body = run(with_rasa(webhook, action))
    assert status == 400 and body["error"] == code and body["message"]
    assert seen == []


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000, b'{"a":' * 40_000 + b"1" + b"}" * 40_000, b'{"sender": "test-sender-1", "message": "caf\xe9"}'],
    ids=["deep-list", "deep-object", "not-utf8"],
)
def test_a_body_nested_too_deep_or_not_utf8_gets_a_400_not_a_500(body):
    async def action(client):
        response = await client.post("/api/chat", data=body, headers={"Content-Type": "application/json"})
        return response.status, await response.json()

    status, answer = run(with_client(server.create_app(rasa_url="http://127.0.0.1:9"), action))
    assert (status, answer["error"]) == (400, "bad_request") and answer["message"]


def test_a_body_over_the_limit_gets_a_413_in_plain_words():
    async def action(client):
        body = {"sender": SENDER, "message": "a" * 1_000_000}
        response = await client.post("/api/chat", json=body)
        return response.status, await response.json()

    status, answer = run(with_client(server.create_app(rasa_url="http://127.0.0.1:9"), action))
    assert status == 413 and answer["error"] == "too_large" and "too long" in answer["message"]


def test_only_the_sender_and_the_message_reach_rasa():
    seen = []

    async def webhook(request):
        seen.append((request.query_string, await request.json()))
        return web.json_response([])

    async def action(client):
        response = await client.post(
            "/api/chat?stream=true",
            json={"sender": SENDER, "message": "hi", "input_channel": "cmdline", "metadata": {"a": [1, {"b": 2}]}},
        )
        return response.status

    assert run(with_rasa(webhook, action)) == 200
    assert seen == [("", {"sender": SENDER, "message": "hi"})]


def test_rasa_not_running_is_a_503_in_plain_english():
    async def action(client):
        response = await client.post("/api/chat", json={"sender": SENDER, "message": "hi"})
        return response.status, await response.json()

    status, body = run(with_client(server.create_app(rasa_url=f"http://127.0.0.1:{free_port()}"), action))
    assert status == 503
    assert body["error"] == "bot_unreachable"
    assert "cannot be reached" in body["message"] and "has not been sent" in body["message"]


@pytest.mark.parametrize(
    "reply",
    [
        web.Response(status=500, text="boom"),
        web.Response(status=200, text="not json"),
        web.json_response({"not": "a list"}),
    ],
)
def test_a_broken_answer_from_rasa_is_a_502(reply):
    async def webhook(request):
        return reply

    async def action(client):
        response = await client.post("/api/chat", json={"sender": SENDER, "message": "hi"})
        return response.status, await response.json()

    status, body = run(with_rasa(webhook, action))
    assert status == 502 and body["error"] == "bot_error" and body["message"]


def test_the_page_escapes_every_site_value(tmp_path: Path):
    site = server.load_site()
    site = dict(site, council='Evil <script>alert(1)</script> "Council"', leave_url='https://example.org/?a=1&b="2"')

    async def action(client):
        response = await client.get("/")
        return response.status, await response.text(), response.headers["Content-Security-Policy"]

    status, html, csp = run(with_client(server.create_app(rasa_url="http://127.0.0.1:9", site=site), action))
    assert status == 200
    assert "<script>alert(1)" not in html
    assert "Evil &lt;script&gt;alert(1)&lt;/script&gt; &#34;Council&#34;" in html
    assert 'href="https://example.org/?a=1&amp;b=&#34;2&#34;"' in html
    assert "frame-ancestors 'none'" in csp


def test_a_site_file_missing_values_is_refused_with_their_names(tmp_path: Path):
    broken = tmp_path / "site.yml"
    broken.write_text("service_name: Ask for a review\nleave_url: https://example.org/\n")
    with pytest.raises(server.SiteError, match="lacks: start_message"):
        server.load_site(broken)


def test_the_server_prints_its_url_and_answers_on_the_port_given():
    port = free_port()
    env = dict(os.environ, ASBCR_RASA_URL="http://127.0.0.1:9", PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [str(web_python()), "-m", "web.server", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        first_line = process.stdout.readline()
        assert first_line.startswith(f"Chat page: http://localhost:{port}/")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(15)
