"""Rate limits and in-flight bounds for the page's chat relay (``POST /api/chat``).

One client flooding the relay must not slow every other resident down, and one flooded
conversation must not keep Rasa busy after its client has gone. So each chat request passes,
in this order:

1. a token bucket per client address (the address the server sees; ``X-Forwarded-For`` only
   from a proxy named in ASBCR_WEB_TRUSTED_PROXIES),
2. a token bucket per conversation (the request's ``sender``),
3. a bound on how many requests of one conversation are in flight at once,
4. a bucket of applications per client address: the relay sees the bot ask a conversation to
   confirm its application (``custom.ask == "confirm"``) and sees the reference that comes back
   (``custom.application``); while a client's bucket is empty, a conversation waiting for its
   confirmation is asked to wait (or phone) instead of sending another application.
   Applications are created only by the action server, behind Rasa (bot/actions/application.py);
   this is the web tier's part, so that one address cannot file applications by the dozen.

A request refused by any of them gets a 429 with a plain-English message (the page shows it as
it shows the relay's 503 and keeps what the resident typed) and a Retry-After header. Nothing
is kept on disk; the buckets live in this process's memory, so with several web replicas each
holds its own (nginx's own limit in front, in the cluster shape, bounds the sum). Every limit is named and dated below
with why it is what it is; the clock is injectable, so the tests never sleep.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import math
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Awaitable, Callable, Dict, Iterable, List, Optional, Tuple, Union

from aiohttp import web

Clock = Callable[[], float]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


@dataclass(frozen=True)
class Limit:
    burst: int  # requests allowed at once after a quiet spell
    per_second: float  # sustained rate: one token back every 1/per_second seconds
    set_on: str
    reason: str


LIMITS: Dict[str, Limit] = {
    "client": Limit(
        burst=60,
        per_second=10,
        set_on="2026-12-02",
        reason="one address may be a library, an office or a mobile network with many residents; "
        "a flood (37 turns/s seen in issue 9) is still cut to a quarter",
    ),
    "conversation": Limit(
        burst=20,
        per_second=1,
        set_on="2026-12-02",
        reason="a resident types or clicks at most about one message a second; a quick run of "
        "answer buttons is a burst and is allowed",
    ),
    "applications": Limit(
        burst=5,
        per_second=1 / 600,
        set_on="2026-12-02",
        reason="a household or a library may send a few applications in an hour; nobody sends "
        "more than about one every ten minutes from one address",
    ),
}
# Another table (a load test from one address, a browser test that clicks faster than a person):
# ASBCR_WEB_RATE_LIMITS="client=BURST/PER_SECOND,applications=BURST/PER_SECOND", any of them.
RATE_LIMITS_SETTING = "ASBCR_WEB_RATE_LIMITS"
# Set 2026-12-02: the page sends one message at a time; a second covers a retry that overlaps
# a request still being cancelled. A third cannot be a resident, and would queue in Rasa.
CONVERSATION_IN_FLIGHT = 2
# Set 2026-12-02: the body of a chat message is at most 256 kB; a client that has not sent it
# in this time is holding a connection open, not typing.
BODY_TIMEOUT_SECONDS = 10.0
# Set 2026-12-02: keys kept per bucket table; beyond it the least recently seen are forgotten
# (bounds memory when a flood invents a new sender id for every message).
MAX_KEYS = 100_000

MESSAGES = {
    "client": "A lot of messages are coming from your connection just now. Wait a few seconds, "
    "then send your message again: nothing you wrote has been lost.",
    "conversation": "You have sent several messages very quickly. Wait a few seconds, then send "
    "your message again: nothing you wrote has been lost.",
    "in_flight": "We are still answering your last message. Wait for the answer, then send this "
    "one again: nothing you wrote has been lost.",
    # the page adds "You can also call" and the council's number to every one of these
    "applications": "Several applications have been sent from your connection in the last hour, so "
    "we cannot send this one just now. Your answers are kept: send it again in a "
    "little while.",
    "too_large": "Your message is too long to send. Shorten it and send it again.",
    "slow_body": "Your message took too long to arrive. Check your connection and send it again.",
}


class TokenBucket:
    """A token bucket per key, in memory. ``take(key)`` spends a token and returns 0, or
    returns the seconds until one is back and spends nothing."""

    def __init__(self, limit: Limit, clock: Clock = time.monotonic, max_keys: int = MAX_KEYS):
        if limit.burst < 1 or limit.per_second <= 0:
            raise ValueError("a limit needs a burst of at least 1 and a positive rate")
        self.limit, self.clock, self.max_keys = limit, clock, max_keys
        # key -> (tokens, when they were counted); oldest touched first
        self._buckets: "OrderedDict[str, Tuple[float, float]]" = OrderedDict()

    def take(self, key: str) -> float:
        now = self.clock()
        self._forget_full(now)
        tokens = self._tokens(key, now)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self.limit.per_second
        self._store(key, tokens if wait else tokens - 1, now)
        return wait

    def wait(self, key: str) -> float:
        """The seconds until ``key`` has a token (0: it has one now); spends nothing."""
        tokens = self._tokens(key, self.clock())
        return 0.0 if tokens >= 1 else (1 - tokens) / self.limit.per_second

    def charge(self, key: str) -> None:
        """Spends a token for something that has already happened, into debt if need be."""
        now = self.clock()
        self._store(key, self._tokens(key, now) - 1, now)

    def _tokens(self, key: str, now: float) -> float:
        tokens, counted = self._buckets.get(key, (float(self.limit.burst), now))
        return min(float(self.limit.burst), tokens + (now - counted) * self.limit.per_second)

    def _store(self, key: str, tokens: float, now: float) -> None:
        self._buckets.pop(key, None)
        self._buckets[key] = (tokens, now)  # now the most recently touched
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)

    def __len__(self) -> int:
        return len(self._buckets)

    def _forget_full(self, now: float) -> None:
        # A bucket that has refilled is the same as no bucket: drop it. The least recently
        # touched are first, so this stops at the first one still refilling.
        while self._buckets:
            key, (tokens, counted) = next(iter(self._buckets.items()))
            if tokens + (now - counted) * self.limit.per_second < self.limit.burst:
                break
            del self._buckets[key]


class InFlight:
    """How many requests per key are being answered now, refusing one beyond ``bound``."""

    def __init__(self, bound: int):
        self.bound = bound
        self._counts: Dict[str, int] = {}

    def enter(self, key: str) -> bool:
        count = self._counts.get(key, 0)
        if count >= self.bound:
            return False
        self._counts[key] = count + 1
        return True

    def leave(self, key: str) -> None:
        count = self._counts.get(key, 0) - 1
        if count > 0:
            self._counts[key] = count
        else:
            self._counts.pop(key, None)

    def __len__(self) -> int:
        return len(self._counts)


def limits_setting(setting: Optional[str] = None) -> Dict[str, Limit]:
    """LIMITS with the ones ASBCR_WEB_RATE_LIMITS names replaced; a malformed setting is an error."""
    setting = os.environ.get(RATE_LIMITS_SETTING, "") if setting is None else setting
    table = dict(LIMITS)
    for item in filter(None, (part.strip() for part in setting.split(","))):
        name, _, value = (part.strip() for part in item.partition("="))
        burst, _, rate = value.partition("/")
        try:
            limit = Limit(burst=int(burst), per_second=float(rate), set_on="the environment", reason=RATE_LIMITS_SETTING)
        except ValueError:
            limit = None
        if name not in LIMITS or limit is None or limit.burst < 1 or not 0 < limit.per_second < math.inf:
            raise ValueError(f"{RATE_LIMITS_SETTING}: {item!r} is not NAME=BURST/PER_SECOND with NAME one of {', '.join(LIMITS)}")
        table[name] = limit
    return table


def trusted_proxies(setting: Optional[str] = None) -> List[Network]:
    """ASBCR_WEB_TRUSTED_PROXIES: addresses or networks (comma-separated) of the proxies in
    front of the page whose X-Forwarded-For is believed. Empty (the default): none is."""
    setting = os.environ.get("ASBCR_WEB_TRUSTED_PROXIES", "") if setting is None else setting
    networks = []
    for item in setting.split(","):
        if item.strip():
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise ValueError(f"ASBCR_WEB_TRUSTED_PROXIES: {item.strip()!r} is not an address or network") from None
    return networks


def _address(text: str) -> Optional[Union[ipaddress.IPv4Address, ipaddress.IPv6Address]]:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(request: web.Request, proxies: Iterable[Network]) -> str:
    """The address the request came from. Through a trusted proxy, the last address in
    X-Forwarded-For that is not itself a trusted proxy (the ones before it are the client's
    own claims); otherwise the peer's address, whatever the headers say."""
    proxies = list(proxies)
    peer = request.remote or ""

    def trusted(address) -> bool:
        return address is not None and any(address in network for network in proxies)

    if not proxies or not trusted(_address(peer)):
        return peer
    hops = [hop for header in request.headers.getall("X-Forwarded-For", []) for hop in header.split(",")]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return peer  # a garbled chain: count it against the proxy, not a made-up client
        if not trusted(address):
            return str(address)
    return peer


class Conversations:
    """What the relay has seen the bot say to each conversation, as far as application limits
    need it: whether its last reply asked to confirm the application, and the references of
    the applications it was told about. The least recently seen beyond MAX_KEYS are forgotten."""

    def __init__(self, max_keys: int = MAX_KEYS):
        self.max_keys = max_keys
        self._seen: "OrderedDict[str, Tuple[bool, frozenset]]" = OrderedDict()

    def confirming(self, sender: str) -> bool:
        return self._seen.get(sender, (False, frozenset()))[0]

    def note_reply(self, sender: str, messages: object) -> List[str]:
        """Notes Rasa's reply; returns the references in it this conversation had not had."""
        asked, references = False, []
        for message in messages if isinstance(messages, list) else []:
            custom = message.get("custom") if isinstance(message, dict) else None
            if not isinstance(custom, dict):
                continue
            asked = asked or custom.get("ask") == "confirm"
            application = custom.get("application")
            if isinstance(application, dict) and isinstance(application.get("reference"), str):
                references.append(application["reference"])
        _, known = self._seen.pop(sender, (False, frozenset()))
        new = [reference for reference in dict.fromkeys(references) if reference not in known]
        self._seen[sender] = (asked, known | frozenset(new))
        while len(self._seen) > self.max_keys:
            self._seen.popitem(last=False)
        return new

    def __len__(self) -> int:
        return len(self._seen)


def _sender(body: bytes) -> Optional[str]:
    """The conversation's id from a chat body, or None (the handler then answers the 400)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    sender = payload.get("sender") if isinstance(payload, dict) else None
    # the handler checks the pattern; a key here only has to be short
    return sender if isinstance(sender, str) and 0 < len(sender) <= 64 else None


ERROR_CODES = {
    "client": "too_many_messages",
    "conversation": "too_many_messages",
    "in_flight": "still_answering",
    "applications": "too_many_applications",
}


def too_many(kind: str, wait: float) -> web.Response:
    return web.json_response(
        {"error": ERROR_CODES[kind], "message": MESSAGES[kind]}, status=429, headers={"Retry-After": str(max(1, math.ceil(wait)))}
    )


class ChatLimits:
    """The buckets, the in-flight bound and the application limit of one web server."""

    def __init__(
        self,
        clock: Clock = time.monotonic,
        limits: Optional[Dict[str, Limit]] = None,
        in_flight: int = CONVERSATION_IN_FLIGHT,
        proxies: Optional[Iterable[Network]] = None,
        body_timeout: float = BODY_TIMEOUT_SECONDS,
    ):
        limits = {**limits_setting(), **(limits or {})}
        self.clients = TokenBucket(limits["client"], clock)
        self.conversations = TokenBucket(limits["conversation"], clock)
        self.in_flight = InFlight(in_flight)
        self.applications = TokenBucket(limits["applications"], clock)
        self.conversations_seen = Conversations()
        self.proxies = list(trusted_proxies() if proxies is None else proxies)
        self.body_timeout = body_timeout

    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """``handler`` (the chat relay) answers ``request`` unless a limit refuses it. A client that
        disconnects cancels the handler (the server runs with handler_cancellation, see
        SERVER_OPTIONS), which closes its request to Rasa and frees its in-flight place."""
        client = client_address(request, self.proxies)
        wait = self.clients.take(client)
        if wait:
            return too_many("client", wait)
        if (request.content_length or 0) > request.client_max_size:
            return await handler(request)  # it says why it will not read this
        try:
            body = await asyncio.wait_for(request.read(), self.body_timeout)  # kept for the handler
        except asyncio.TimeoutError:
            return web.json_response({"error": "slow_request", "message": MESSAGES["slow_body"]}, status=408)
        except web.HTTPRequestEntityTooLarge:  # sent in chunks, with no length to go by
            return web.json_response({"error": "too_large", "message": MESSAGES["too_large"]}, status=413)
        sender = _sender(body)
        if sender is None:
            return await handler(request)
        wait = self.conversations.take(sender)
        if wait:
            return too_many("conversation", wait)
        if self.conversations_seen.confirming(sender):
            wait = self.applications.wait(client)  # this message may send an application
            if wait:
                return too_many("applications", wait)
        if not self.in_flight.enter(sender):
            return too_many("in_flight", 1)
        try:
            response = await handler(request)
        finally:
            self.in_flight.leave(sender)
        if response.status == 200 and isinstance(getattr(response, "body", None), bytes):
            for _ in self.conversations_seen.note_reply(sender, json.loads(response.body)):
                self.applications.charge(client)
        return response


CHAT_LIMITS = web.AppKey("chat_limits", ChatLimits)


def behind_limits(app: web.Application, handler: Handler) -> Handler:
    """``handler`` behind the app's ChatLimits (``app[CHAT_LIMITS]``, which a test may replace
    before the app starts, for one with a fake clock)."""
    app[CHAT_LIMITS] = ChatLimits()

    async def limited(request: web.Request) -> web.StreamResponse:
        return await request.app[CHAT_LIMITS].guard(request, handler)

    return limited


# For web.run_app: a client that goes away cancels its handler (aiohttp's default is to let it
# run on, which would keep Rasa working on a message for nobody).
SERVER_OPTIONS = {"handler_cancellation": True}
