"""The resident's chat page: serves the page and its assets, and relays the chat to Rasa.

Run as ``python -m web.server --port 8000`` (the port defaults to ASBCR_WEB_PORT, else 8000).
The page talks only to this server (same origin, so a strict Content-Security-Policy holds);
``POST /api/chat`` forwards ``{sender, message}`` to Rasa's REST channel at ASBCR_RASA_URL
and returns Rasa's list of messages unchanged. When Rasa cannot be reached the answer is a
503 with a plain-English message, so the page can say so and keep what the resident typed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from groundwork import private_logs
from groundwork.chat_input import MAX_BODY_BYTES, TOO_LONG, ChatRequestError, body_too_large, read_chat_request
from groundwork.clock import today
from groundwork.dates import iso_date
from groundwork.limits import MESSAGE_CHARS
from rules import load_partnership

from web import applications, console, limits, pages  # limits: the chat relay's rate limits and in-flight bounds
from web.site import SiteError, load_site  # noqa: F401 - SiteError: what create_app raises for a bad site

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
VENDOR_DIR = WEB_DIR / "vendor"

# What a chat request must be (sender ids, sizes, characters) is in groundwork/chat_input.py, shared with
# Rasa's REST channel.
# A turn can run several custom actions and the rule set; the first after a start is the slowest.
RASA_TIMEOUT = ClientTimeout(total=60, connect=5)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

log = logging.getLogger("web.server")

RASA_URL = web.AppKey("rasa_url", str)
ACTIONS_URL = web.AppKey("actions_url", str)
SITE = web.AppKey("site", dict)
HTTP = web.AppKey("http", ClientSession)


def default_rasa_url() -> str:
    return os.environ.get("ASBCR_RASA_URL") or f"http://127.0.0.1:{os.environ.get('ASBCR_PORT', '5005')}"


def render_page(site: Dict[str, Any], day: str) -> str:
    """The chat page (web/templates/index.html) with the site's values, every one HTML-escaped,
    and the partnership's policy in force that day."""
    partnership = load_partnership(site["partnership_file"])
    policy = partnership.on(iso_date(day, "today"))
    bodies = [name for body, name in partnership.bodies.items() if body in policy.counting_bodies]
    return pages.render(
        "index.html",
        **site,
        root="/",
        home_name=site["council"],
        today=day,
        contact_phone_tel=re.sub(r"[^0-9+]", "", str(site["contact"]["phone"])),
        threshold=policy.threshold,
        window_months=policy.window_months,
        counting_bodies=", ".join(bodies[:-1]) + (" or " if len(bodies) > 1 else "") + bodies[-1],
    )


def error_response(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


async def page(request: web.Request) -> web.Response:
    body = render_page(request.app[SITE], today().isoformat())
    return web.Response(
        text=body, content_type="text/html", charset="utf-8", headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY}
    )


async def chat(request: web.Request) -> web.Response:
    try:
        sender, message = read_chat_request(await request.read())
    except web.HTTPRequestEntityTooLarge:
        return error_response(413, "too_large", body_too_large().message)
    except ChatRequestError as refused:
        return error_response(refused.status, refused.code, refused.message)
    if not message.strip():
        return error_response(400, "empty_message", "Type a message before sending it.")
    if len(message) > MESSAGE_CHARS:
        return error_response(400, "message_too_long", TOO_LONG)

    # Only these two go on: a resident's input_channel, metadata or query never reach Rasa.
    url = f"{request.app[RASA_URL]}/webhooks/rest/webhook"
    try:
        async with request.app[HTTP].post(url, json={"sender": sender, "message": message}, timeout=RASA_TIMEOUT) as response:
            if response.status != 200:
                log.warning("Rasa answered %s for %s", response.status, url)
                return error_response(
                    502,
                    "bot_error",
                    "The assistant could not answer just now. Your message has not been lost: try sending it again.",
                )
            messages = await response.json(content_type=None)
    except (ClientError, asyncio.TimeoutError, OSError) as error:
        log.warning("Rasa at %s cannot be reached: %s", url, error or type(error).__name__)
        return error_response(
            503,
            "bot_unreachable",
            "The assistant cannot be reached at the moment. Your message has not been sent: try again in a minute.",
        )
    except ValueError:
        log.warning("Rasa sent something that is not JSON from %s", url)
        return error_response(502, "bot_error", "The assistant gave an answer we could not read. Try again.")
    if not isinstance(messages, list):
        return error_response(502, "bot_error", "The assistant gave an answer we could not read. Try again.")
    return web.json_response([m for m in messages if isinstance(m, dict)])


def default_actions_url() -> str:
    return os.environ.get("ASBCR_ACTIONS_URL") or f"http://127.0.0.1:{os.environ.get('ASBCR_ACTIONS_PORT', '5055')}"


HEALTH_TIMEOUT = 3.0  # per dependency; they are checked at the same time


async def _answers(http: ClientSession, url: str) -> bool:
    async with http.get(url, timeout=ClientTimeout(total=HEALTH_TIMEOUT)) as response:
        return response.status == 200


_tracker_engines: Dict[str, Any] = {}


def _database_answers(url: str) -> bool:
    """SELECT 1 on the tracker store's SQLAlchemy URL, through one small pool kept per URL."""
    from sqlalchemy import create_engine, text

    engine = _tracker_engines.get(url)
    if engine is None:
        options: Dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
        if url.startswith("postgres"):
            options.update(pool_size=1, max_overflow=0, connect_args={"connect_timeout": int(HEALTH_TIMEOUT)})
        engine = _tracker_engines[url] = create_engine(url, **options)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return True


def _applications_database_answers() -> bool:
    from sqlalchemy import text
    from casework import db

    with db.get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))
    return True


async def _redis_answers(url: str) -> bool:
    """PING over Redis's own protocol (AUTH first when the URL has a password): the page's
    environment need not carry a Redis client for this."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)

    def command(*words: str) -> bytes:
        encoded = [word.encode() for word in words]
        return b"*%d\r\n" % len(encoded) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w) for w in encoded)

    reader, writer = await asyncio.open_connection(parts.hostname or "localhost", parts.port or 6379)
    try:
        if parts.password:
            writer.write(command("AUTH", *([unquote(parts.username)] if parts.username else []), unquote(parts.password)))
            if not (await reader.readline()).startswith(b"+OK"):
                return False
        writer.write(command("PING"))
        await writer.drain()
        return (await reader.readline()).startswith(b"+PONG")
    finally:
        writer.close()


async def _check(name: str, probe) -> bool:
    try:
        ok = bool(await asyncio.wait_for(probe, HEALTH_TIMEOUT + 1))
        reason = "it answered but not as expected"
    except Exception as error:  # any failure means down; the reason is for the operator's log only
        ok, reason = False, type(error).__name__
    if not ok:
        log.warning("health: %s is down (%s)", name, reason)
    return ok


async def health(request: web.Request) -> web.Response:
    """Whether the page and every service behind it answer: Rasa, the action server, the
    applications database, and the tracker and lock stores when they are servers of their own
    (ASBCR_TRACKER_URL, ASBCR_LOCK_URL). 200 when all do; 503 naming the ones that do not.
    Only names and ok/down: no addresses or error text on a public endpoint."""
    http, loop = request.app[HTTP], asyncio.get_running_loop()
    probes = {
        "rasa": _answers(http, f"{request.app[RASA_URL]}/"),
        "action_server": _answers(http, f"{request.app[ACTIONS_URL]}/health"),
    }
    probes["applications_database"] = loop.run_in_executor(None, _applications_database_answers)
    tracker_url, lock_url = os.environ.get("ASBCR_TRACKER_URL"), os.environ.get("ASBCR_LOCK_URL")
    if tracker_url:
        probes["tracker_store"] = loop.run_in_executor(None, _database_answers, tracker_url)
    if lock_url:
        probes["lock_store"] = _redis_answers(lock_url)
    results = await asyncio.gather(*(_check(name, probe) for name, probe in probes.items()))
    checks = {"page": "ok", **{name: "ok" if ok else "down" for name, ok in zip(probes, results)}}
    down = [name for name, state in checks.items() if state != "ok"]
    return web.json_response({"status": "down" if down else "ok", "down": down, "checks": checks}, status=503 if down else 200)


async def vendor_missing(request: web.Request) -> web.Response:
    return web.Response(status=404, text="The page's assets are not built: run scripts/web-assets.sh (make run does).")


@web.middleware
async def security_headers(request: web.Request, handler):
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # The private application link and the conversation must not leak to other sites.
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.path == "/" or request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


async def _open_http(app: web.Application) -> None:
    app[HTTP] = ClientSession()


async def _close_http(app: web.Application) -> None:
    await app[HTTP].close()


def create_app(
    rasa_url: Optional[str] = None, site: Optional[Dict[str, Any]] = None, actions_url: Optional[str] = None
) -> web.Application:
    app = web.Application(middlewares=[security_headers], client_max_size=MAX_BODY_BYTES)
    app[RASA_URL] = (rasa_url or default_rasa_url()).rstrip("/")
    app[ACTIONS_URL] = (actions_url or default_actions_url()).rstrip("/")
    app[SITE] = site or load_site()
    app.router.add_get("/", page)
    app.router.add_post("/api/chat", limits.behind_limits(app, chat))
    app.router.add_get("/api/health", health)
    app.router.add_static("/static/", STATIC_DIR)
    if VENDOR_DIR.is_dir():
        app.router.add_static("/vendor/", VENDOR_DIR)
    else:
        log.warning("web/vendor/ is missing: run scripts/web-assets.sh to build the page's styles")
        app.router.add_get("/vendor/{tail:.*}", vendor_missing)
    app.on_startup.append(_open_http)
    app.on_cleanup.append(_close_http)
    applications.add_routes(app)  # a resident's private application page and the staff API
    console.add_routes(app)  # the staff console's pages
    return app


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web.server", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("ASBCR_WEB_PORT") or 8000))
    parser.add_argument(
        "--host",
        default=os.environ.get("ASBCR_WEB_HOST") or "127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)",
    )
    parser.add_argument("--rasa-url", default=default_rasa_url(), help="Rasa server (default ASBCR_RASA_URL)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    private_logs.install()  # no resident text in any log line (groundwork/private_logs.py)
    log.setLevel(logging.INFO)
    try:
        app = create_app(args.rasa_url)
    except ValueError as error:  # SiteError, or a malformed ASBCR_WEB_TRUSTED_PROXIES or ASBCR_WEB_RATE_LIMITS
        print(f"web.server: {error}", file=sys.stderr)
        return 2
    shown_host = "localhost" if args.host in ("127.0.0.1", "0.0.0.0", "::") else args.host
    print(f"Chat page: http://{shown_host}:{args.port}/  (bot at {args.rasa_url})", flush=True)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None, **limits.SERVER_OPTIONS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
