"""The REST channel residents' pages talk to (`POST /webhooks/rest/webhook`).

Rasa's REST channel sends a response's text and its `custom` payload as two separate
messages. The contract wants the question text, its buttons and `custom.ask` in one
message, so this channel keeps each bot response whole. It also turns a missing or
non-text message into an empty one so the bot can answer it kindly instead of failing.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels import channel, rest
from sanic import Blueprint
from sanic.request import Request

from asbcr import private_logs
from bot import rasa_speedups

# This module is loaded by the Rasa server, so this is where its process is set up.
private_logs.install()  # no resident text in any log line (asbcr/private_logs.py)
rasa_speedups.install()

MAX_MESSAGE_CHARS = 10_000
# Said when a turn produced no reply at all: in practice, the action server is down. The
# resident's message is already in the tracker store, so nothing they said is lost.
NO_REPLY = (
    "Sorry, I'm having a technical problem and can't check that right now. Nothing you've "
    "told me is lost: please try again in a minute, or call the Community Safety Officer on "
    "0115 907 2274. If anyone is in danger, call 999."
)


class WholeMessageCollector(channel.CollectingOutputChannel):
    """Collects each bot response as one message: text, buttons and custom together."""

    @classmethod
    def name(cls) -> Text:
        return "collector"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        whole = {"recipient_id": recipient_id}
        for key in ("text", "buttons", "image", "attachment", "custom"):
            if message.get(key) is not None:
                whole[key] = message[key]
        if message.get("quick_replies") and "buttons" not in whole:
            whole["buttons"] = message["quick_replies"]
        if len(whole) > 1:
            await self._persist_message(whole)


class RestInput(rest.RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def _extract_message(self, req: Request) -> Optional[Text]:
        text = (req.json or {}).get("message") if isinstance(req.json, dict) else None
        if not isinstance(text, str):
            text = ""
        # A pasted essay is kept (the bot reads the start of it) but cannot slow the bot down.
        return text[:MAX_MESSAGE_CHARS]

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        sender = (req.json or {}).get("sender") if isinstance(req.json, dict) else None
        return str(sender)[:128] if sender else "default"

    def blueprint(
        self, on_new_message: Callable[[channel.UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        async def keep_messages_whole(message: channel.UserMessage) -> Any:
            outer = message.output_channel
            if type(outer) is not channel.CollectingOutputChannel:
                return await on_new_message(message)
            collector = message.output_channel = WholeMessageCollector()
            try:
                return await on_new_message(message)
            finally:
                if not collector.messages:
                    await collector.send_response(message.sender_id, {"text": NO_REPLY})
                outer.messages.extend(collector.messages)

        return super().blueprint(keep_messages_whole)
