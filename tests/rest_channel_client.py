"""Our REST channel (bot/channels.py) in process: its Sanic blueprint on a Sanic app, driven
through ASGI (no port, no Rasa model), with a stand-in for the agent that records every
message Rasa would get. Fast enough for thousands of requests a second.

Sanic can start only one app per process (it rewrites its own methods at start-up), so every
`RestChannel()` shares one app, running on one event loop in a thread of its own, and only
gets a fresh stand-in agent and a fresh list of what was received.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any, Dict, List, Optional, Sequence, Tuple

from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic

from bot.channels import RestInput

PATH = "/webhooks/rest/webhook"


class StandInAgent:
    """What the channel asks of Rasa's agent: the tracker store and a plain NLU parse."""

    def __init__(self) -> None:
        self.tracker_store = InMemoryTrackerStore(Domain.empty())
        self.parsed: List[str] = []

    async def parse_message(self, text: str) -> Dict[str, Any]:
        self.parsed.append(text)
        return {"text": text, "intent": {"name": "read_as_text", "confidence": 1.0}, "entities": []}

    async def bot_offered(self, sender: str, buttons: Sequence[Dict[str, str]]) -> None:
        """The conversation so far: the resident said something, the bot answered with `buttons`."""
        tracker = DialogueStateTracker.from_events(
            sender,
            [
                ActionExecuted("action_listen"),
                UserUttered("hello"),
                BotUttered("Please check your application. Is this right?", data={"buttons": list(buttons)}),
                ActionExecuted("action_listen"),
            ],
        )
        await self.tracker_store.save(tracker)


class _SharedApp:
    def __init__(self) -> None:
        self.channel: "RestChannel" = None  # the test's view, set by RestChannel()
        self.app = Sanic("rest_channel_test")
        self.app.blueprint(RestInput().blueprint(self._on_new_message), url_prefix="/webhooks/rest")
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.run(self._start(), timeout=30)

    def run(self, coroutine, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _on_new_message(self, message: UserMessage) -> None:
        self.channel.received.append(message)
        await message.output_channel.send_text_message(message.sender_id, "Thank you.")

    async def _start(self) -> None:
        startup: asyncio.Queue = asyncio.Queue()
        await startup.put({"type": "lifespan.startup"})
        done = asyncio.Event()

        async def send(event):
            if event["type"].startswith("lifespan.startup"):
                done.set()

        self._lifespan = asyncio.ensure_future(self.app({"type": "lifespan", "asgi": {"version": "3.0"}}, startup.get, send))
        await asyncio.wait_for(done.wait(), 10)


_shared: Optional[_SharedApp] = None


class RestChannel:
    """The channel's blueprint in a Sanic app; `post` sends one request, returns (status, body).

    `call(coroutine)` runs a coroutine on the app's loop (every request and tracker goes there).
    """

    def __init__(self) -> None:
        global _shared
        if _shared is None:
            _shared = _SharedApp()
        self._shared = _shared
        self.agent = StandInAgent()
        self.received: List[UserMessage] = []
        _shared.channel = self
        _shared.app.ctx.agent = self.agent

    def call(self, coroutine, timeout: float = 30):
        return self._shared.run(coroutine, timeout)

    def send(self, body: bytes, **options) -> Tuple[int, Any]:
        return self.call(self.post(body, **options))

    async def post(
        self, body: bytes, query: str = "", chunks: Optional[Sequence[bytes]] = None, content_length: bool = True
    ) -> Tuple[int, Any]:
        headers = [(b"host", b"localhost"), (b"content-type", b"application/json")]
        if content_length:
            headers.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.1"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": PATH,
            "raw_path": PATH.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 5005),
        }
        parts = list(chunks) if chunks is not None else [body]
        hang = asyncio.Event()

        async def receive():
            if parts:
                part = parts.pop(0)
                return {"type": "http.request", "body": part, "more_body": bool(parts)}
            await hang.wait()  # the client stays connected until the answer is sent
            return {"type": "http.disconnect"}

        sent: List[dict] = []

        async def send(event):
            sent.append(event)

        await asyncio.wait_for(self._shared.app(scope, receive, send), 10)
        status = next(event["status"] for event in sent if event["type"] == "http.response.start")
        raw = b"".join(event.get("body", b"") for event in sent if event["type"] == "http.response.body")
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw
