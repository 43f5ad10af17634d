"""The REST channel residents' pages talk to (`POST /webhooks/rest/webhook`).

Rasa's REST channel sends a response's text and its `custom` payload as two separate
messages. The contract wants the question text, its buttons and `custom.ask` in one
message, so this channel keeps each bot response whole.

It is also an edge (docs/decisions/0036): the body is read with the same checks as the page's
relay (groundwork/chat_input.py), so a malformed request gets a 4xx with a plain message and never
reaches Rasa; `input_channel` and `metadata` from the request are dropped (the staff decision
trace is for the terminal shell's own "cmdline" channel only); `?stream=true` is refused; and
Rasa's command syntax counts only as the contract says (`commands_as_text`).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from typing import Any, Awaitable, Callable, Dict, Optional, Set, Text

from rasa.core.channels import channel, rest
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from groundwork import private_logs
from groundwork.chat_input import MAX_BODY_BYTES, ChatRequestError, body_too_large, read_chat_request
from bot import rasa_speedups
from bot.conversation.flow import partnership_words
from bot.conversation.words import responses
from groundwork.limits import MESSAGE_CHARS
from rules import load_partnership
from rules.partnership import configured_name

# This module is loaded by the Rasa server, so this is where its process is set up.
private_logs.install()  # no resident text in any log line (groundwork/private_logs.py)
rasa_speedups.install()

log = logging.getLogger(__name__)

# Said when a turn produced no reply at all: in practice, the action server is down. The
# resident's message is already in the tracker store, so nothing they said is lost.
# The words are utter_default's, with the partnership's contact.
NO_REPLY = responses()["utter_default"][0]["text"].format_map(partnership_words(load_partnership(configured_name())))
# Rasa reads a message that starts with "/" (after any whitespace) as an intent and entities.
COMMAND = re.compile(r"^\s*/")
BARE_INTENT = re.compile(r"/[A-Za-z_][A-Za-z0-9_]*")
LEADING_SLASHES = re.compile(r"^[\s/]+")


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


def buttons_just_offered(tracker) -> Set[str]:
    """The payloads of the buttons in the bot's messages since the resident's last message."""
    payloads: Set[str] = set()
    for event in reversed(tracker.events if tracker else []):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            for button in (event.data or {}).get("buttons") or []:
                if isinstance(button, dict) and isinstance(button.get("payload"), str):
                    payloads.add(button["payload"].strip())
    return payloads


async def commands_as_text(agent: Any, sender: Text, text: Text) -> Optional[Dict[Text, Any]]:
    """None when Rasa may read `text` itself; else the parse Rasa must use instead (CONTRACT.md, Chat).

    A bare `/intent` counts only when it is the payload of a button the bot has just offered;
    any other message that starts with "/" (`/intent{"slot": value}` above all) is parsed as
    the plain words after the slashes, so it can neither set a slot nor trigger one of Rasa's
    own intents (`/restart`, `/back`, `/session_start`). The text itself is kept as it was.
    """
    if not COMMAND.match(text):
        return None
    if BARE_INTENT.fullmatch(text.strip()):
        tracker = await agent.tracker_store.retrieve(sender)
        if text.strip() in buttons_just_offered(tracker):
            return None
    parse_data = dict(await agent.parse_message(LEADING_SLASHES.sub("", text)))
    parse_data["text"] = text.strip()  # as Rasa keeps the message itself
    return parse_data


async def read_body(request: Request) -> bytes:
    """The request body, read no further than MAX_BODY_BYTES (Sanic's own limit is 100 MB)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise body_too_large()
    if request.stream is None:
        return request.body or b""
    request.stream.request_max_size = MAX_BODY_BYTES  # Sanic then stops reading a longer body
    chunks, size = [], 0
    try:
        async for chunk in request.stream:
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise body_too_large()
            chunks.append(chunk)
    except PayloadTooLarge:
        raise body_too_large() from None
    return b"".join(chunks)


class RestInput(rest.RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[channel.UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            try:
                if str(request.args.get("stream", "false")).lower() == "true":
                    # Rasa's streamed answer could hang on a bad request; the page never asks for it.
                    raise ChatRequestError(
                        400, "no_stream", "Streamed answers are not offered: send the message without ?stream=true."
                    )
                sender, text = read_chat_request(await read_body(request))
            except ChatRequestError as refused:
                return response.json(refused.as_json(), status=refused.status)
            # A pasted essay is kept (the bot reads the start of it) but cannot slow the bot down.
            text = text[:MESSAGE_CHARS]
            collector = WholeMessageCollector()
            try:
                parse_data = await commands_as_text(request.app.ctx.agent, sender, text)
                # input_channel is always this channel's own name; a resident's metadata is never kept.
                await on_new_message(
                    channel.UserMessage(text, collector, sender, parse_data=parse_data, input_channel=self.name(), metadata=None)
                )
            except asyncio.CancelledError:
                log.error("rest channel: the turn timed out")  # never the resident's text
            except Exception as error:
                log.error("rest channel: the turn failed (%s)", type(error).__name__)
            if not collector.messages:
                await collector.send_response(sender, {"text": NO_REPLY})
            return response.json(collector.messages)

        return webhook
