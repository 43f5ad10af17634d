"""Staff sign-in, sessions and access to everything under /staff/ (CONTRACT.md, Staff console).

- Every handler under /staff/ is wrapped in `require_officer` (or `require_officer(role=ADMIN)`);
  the server refuses to start if one is not (`_every_staff_route_is_guarded`). Without a session a
  page redirects to /staff/sign-in and an API (/staff/api/...) answers 401; the wrong role is 403.
- A session is a random id in a cookie (`__Host-` prefixed: Secure, Path=/, no Domain; HttpOnly;
  SameSite=Strict), kept server-side as its hash with an idle and an absolute expiry
  (casework.staff). Strict rather than Lax: nothing outside links into the console that must
  arrive signed in, and Strict also keeps the cookie off top-level cross-site navigations.
- Every form posts `csrf_token`: the session's own token, or before sign-in an HMAC of a random
  value in a short-lived cookie, compared in constant time; a browser saying the request came
  from another site is refused as well.
- ASBCR_STAFF_TOKEN still opens /staff/api/... to the casework system (Authorization: Bearer),
  compared in constant time; it counts as an officer, never as an admin.
- How someone proves who they are is a `SignInMethod`: `PasswordSignIn` (the form, accounts from
  `asbcr staff add`) or `TrustedHeaderSignIn` (an authenticating proxy in front, e.g. for
  OpenID Connect with Microsoft Entra ID: README, docs/decisions/0014). Sessions, CSRF, roles and
  the audit log are the same whichever is used.

Handlers read the signed-in person as `request[STAFF]` (a `Signed`), and render pages with
`render_staff_page`, which puts the header's sign-out form and its CSRF token in.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, List, Optional, Union

from aiohttp import web

from groundwork.keys import installation_key
from casework import staff
from casework.errors import CaseworkError
from casework.staff import ADMIN, MACHINE_ACTOR, OFFICER, SignInRefused, StaffMember
from web import limits, pages

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Clock = Callable[[], dt.datetime]

STAFF_TOKEN_ENV = "ASBCR_STAFF_TOKEN"
SIGN_IN_ENV = "ASBCR_STAFF_SIGN_IN"  # "password" (the default) or "trusted-header"
IDENTITY_HEADER_ENV = "ASBCR_STAFF_IDENTITY_HEADER"
SIGN_OUT_URL_ENV = "ASBCR_STAFF_SIGN_OUT_URL"
DEFAULT_IDENTITY_HEADER = "X-Forwarded-Email"  # what oauth2-proxy sets (--set-xauthrequest / pass headers)

SIGN_IN_PATH, SIGN_OUT_PATH, HOME_PATH = "/staff/sign-in", "/staff/sign-out", "/staff/"
API_PREFIX = "/staff/api/"
SESSION_COOKIE = "__Host-asbcr-staff"
SIGN_IN_COOKIE = "__Host-asbcr-sign-in"
# The sign-in form's anti-forgery value lives this long: an officer who leaves the form open
# longer gets "this form has expired" and a fresh one.
SIGN_IN_FORM_LIFETIME = dt.timedelta(hours=1)
FORM_KEY_FILE, FORM_KEY_ENV = "staff-form-key", "ASBCR_STAFF_FORM_KEY"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

CLOCK = web.AppKey("staff_clock", object)
METHOD = web.AppKey("staff_sign_in_method", object)
PROXIES = web.AppKey("staff_trusted_proxies", list)

# Staff pages: never cached, indexed or sent on as a referrer; no script at all.
STAFF_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
STAFF_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

log = logging.getLogger("web.staff_auth")


@dataclass(frozen=True)
class Signed:
    """Who is asking: a member of staff through their session, or the casework system through
    ASBCR_STAFF_TOKEN (`via` "token", no session and no CSRF token)."""

    member: StaffMember
    via: str
    csrf_token: Optional[str] = None
    session_id: Optional[str] = None


# request[STAFF]: who is asking. aiohttp 3.9 (Rasa's environment) has no RequestKey yet.
STAFF = web.RequestKey("staff", Signed) if hasattr(web, "RequestKey") else "asbcr.staff"
MACHINE = StaffMember(id=0, name="Casework system", email=MACHINE_ACTOR, role=OFFICER)


async def _run(function, *args, **kwargs):
    """Database work and password hashing run in a thread, so the server keeps answering."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args, **kwargs))


def clock_now(request: web.Request) -> dt.datetime:
    return request.app.get(CLOCK, staff.utc_now)()


def client_address(request: web.Request) -> str:
    return limits.client_address(request, request.app.get(PROXIES, []))


# --- responses --------------------------------------------------------------------


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json", headers=STAFF_HEADERS
    )


def root_of(request: web.Request) -> str:
    """From the page's place back to the site's root: /staff/ and /staff/sign-in are one step."""
    return "../" * max(1, request.path.count("/") - 1)


def render_staff_page(request: web.Request, template: str, *, status: int = 200, **values: Any) -> web.Response:
    """A console page on web/templates/staff.html; the header shows who is signed in, with a
    sign-out form carrying the session's CSRF token."""
    signed: Optional[Signed] = request.get(STAFF)
    member = signed.member if signed and signed.via == "session" else None
    values.setdefault("staff", member)
    values.setdefault("csrf_token", signed.csrf_token if signed else "")
    text = pages.render(template, root=root_of(request), home_name="ASB Case Review", home_url=None, **values)
    headers = dict(STAFF_HEADERS, **{"Content-Security-Policy": STAFF_CSP})
    return web.Response(status=status, text=text, content_type="text/html", charset="utf-8", headers=headers)


def _message(request: web.Request, status: int, heading: str, message: str, link=None) -> web.Response:
    return render_staff_page(request, "staff_message.html", status=status, heading=heading, message=message, link=link)


def _sign_in_again(request: web.Request) -> web.Response:
    return _message(
        request,
        403,
        "This form has expired",
        "For your security, the form could not be sent. Open the page again and send it once more.",
        {"href": f"{root_of(request)}staff/sign-in", "text": "Go to the sign-in page"},
    )


def _safe_next(value: Any) -> str:
    """Where to go after signing in: only a page of the console, never another site."""
    if (
        isinstance(value, str)
        and re.fullmatch(r"/staff/[A-Za-z0-9/_.~%?=&-]*", value)
        and "//" not in value
        and not value.startswith(SIGN_IN_PATH)
        and not value.startswith(API_PREFIX)
    ):
        return value
    return HOME_PATH


def _set_cookie(response: web.StreamResponse, name: str, value: str, max_age: dt.timedelta) -> None:
    response.set_cookie(
        name, value, max_age=int(max_age.total_seconds()), path="/", secure=True, httponly=True, samesite="Strict"
    )


def _clear_cookie(response: web.StreamResponse, name: str) -> None:
    response.set_cookie(name, "", max_age=0, path="/", secure=True, httponly=True, samesite="Strict")


def same_origin(request: web.Request) -> bool:
    """False for a request a browser says came from another site. The pages' no-referrer policy
    makes browsers send `Origin: null` even from the page itself, so Sec-Fetch-Site decides where
    it is sent; a real Origin must match. The form's token is what proves the page."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin in (None, "null"):
        return True
    return origin.split("://", 1)[-1] == request.host


# --- who is asking ----------------------------------------------------------------


def _bearer(request: web.Request) -> Union[Signed, web.Response]:
    """The casework system's token, compared in constant time: how long the answer takes says
    nothing about how much of a guess matched. With no token configured none is accepted."""
    expected = os.environ.get(STAFF_TOKEN_ENV, "").strip()
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return _unauthorised("sign in, or send the casework system's token as Authorization: Bearer")
    if not expected or not hmac.compare_digest(given.strip().encode("utf-8"), expected.encode("utf-8")):
        response = _unauthorised("wrong staff token")
        response.headers["WWW-Authenticate"] = 'Bearer realm="asbcr-staff", error="invalid_token"'
        return response
    return Signed(member=MACHINE, via="token")


def _unauthorised(message: str) -> web.Response:
    response = _json({"error": message}, status=401)
    response.headers["WWW-Authenticate"] = 'Bearer realm="asbcr-staff"'
    return response


async def current_session(request: web.Request) -> Optional[Signed]:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    found = await _run(staff.session_member, session_id, clock_now(request))
    if found is None:
        return None
    member, csrf_token = found
    return Signed(member=member, via="session", csrf_token=csrf_token, session_id=session_id)


async def _form_token(request: web.Request) -> Optional[str]:
    given = request.headers.get("X-CSRF-Token")  # an API call from the console's own page
    if given is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            given = (await request.post()).get("csrf_token")  # aiohttp keeps the parsed form for the handler
        except ValueError:
            return None
    return given if isinstance(given, str) else None


def tokens_match(given: Optional[str], expected: Optional[str]) -> bool:
    if not isinstance(given, str) or not isinstance(expected, str) or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def require_officer(handler: Optional[Handler] = None, *, role: str = OFFICER):
    """Wrap a /staff/ handler: a signed-in officer (or, under /staff/api/, the casework system's
    token), `role` ADMIN for admins only, and on any POST (PUT, PATCH, DELETE) the session's CSRF
    token. Use as `@require_officer` or `@require_officer(role=ADMIN)`."""
    if role not in (OFFICER, ADMIN):
        raise ValueError(f"role must be {OFFICER!r} or {ADMIN!r}")
    if handler is None:
        return functools.partial(require_officer, role=role)

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        api = request.path.startswith(API_PREFIX)
        if api and "Authorization" in request.headers:
            signed = _bearer(request)
            if isinstance(signed, web.Response):
                return signed
        else:
            signed = await current_session(request)
            if signed is None:
                if api:
                    return _unauthorised("sign in first")
                # A form posted after the session ended goes back to the page it came from.
                target = request.path_qs if request.method in SAFE_METHODS else request.path
                raise web.HTTPSeeOther(f"{SIGN_IN_PATH}?{_next_query(target)}", headers=STAFF_HEADERS)
        request[STAFF] = signed
        if role == ADMIN and not signed.member.is_admin:
            if api:
                return _json({"error": "this is for admins only"}, status=403)
            return _message(request, 403, "You cannot see this page", "This page is for admins only.")
        if request.method not in SAFE_METHODS and signed.via == "session":
            if not same_origin(request) or not tokens_match(await _form_token(request), signed.csrf_token):
                if api:
                    return _json({"error": "the form's csrf_token is missing or wrong"}, status=403)
                return _sign_in_again(request)
        return await handler(request)

    guarded.staff_role = role  # type: ignore[attr-defined]  # what _every_staff_route_is_guarded looks for
    return guarded


def _next_query(target: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": _safe_next(target)})


# --- sign-in methods ----------------------------------------------------------------

Outcome = Union[StaffMember, web.StreamResponse]


class SignInMethod:
    """How a person proves who they are. `start` answers GET /staff/sign-in and `finish` POST
    /staff/sign-in; each returns the StaffMember who is now signed in (the console then opens its
    own session) or a response (a form, an error, a redirect to an identity provider). An OpenID
    Connect adapter would redirect in `start` and add its callback route in `routes`."""

    name = "base"
    sign_out_url: Optional[str] = None  # where the browser goes after signing out, if not the sign-in page

    def routes(self) -> List[web.RouteDef]:
        return []

    async def start(self, request: web.Request) -> Outcome:
        raise NotImplementedError

    async def finish(self, request: web.Request) -> Outcome:
        raise NotImplementedError


def _form_key() -> bytes:
    return installation_key(FORM_KEY_FILE, FORM_KEY_ENV)


def _sign_in_form_token(value: str) -> str:
    return hmac.new(_form_key(), b"staff-sign-in:" + value.encode(), hashlib.sha256).hexdigest()


def london_time(moment: dt.datetime) -> str:
    """ "09:15 on 25 November 2026", in the council's own time (the sign-in's lock-out, the console)."""
    try:
        from zoneinfo import ZoneInfo

        local, zone = moment.astimezone(ZoneInfo("Europe/London")), ""
    except Exception:  # no time zone data on this machine: say it in UTC
        local, zone = moment.astimezone(dt.timezone.utc), " UTC"
    return f"{local:%H:%M}{zone} on {local.day} {local:%B %Y}"


class PasswordSignIn(SignInMethod):
    """The console's own form: email and password, checked against `asbcr staff add`'s accounts."""

    name = "password"

    async def start(self, request: web.Request) -> Outcome:
        return self.form(request, signed_out="signed-out" in request.query)

    def form(
        self,
        request: web.Request,
        *,
        status: int = 200,
        email: str = "",
        error: Optional[str] = None,
        error_field: Optional[str] = None,
        signed_out: bool = False,
    ) -> web.Response:
        value = secrets.token_urlsafe(32)
        action = SIGN_IN_PATH
        if "next" in request.query:
            action += "?" + _next_query(request.query["next"])
        response = render_staff_page(
            request,
            "staff_sign_in.html",
            status=status,
            csrf_token=_sign_in_form_token(value),
            action=action,
            email=email,
            error=error,
            error_field=error_field,
            signed_out=signed_out,
        )
        _set_cookie(response, SIGN_IN_COOKIE, value, SIGN_IN_FORM_LIFETIME)
        return response

    async def finish(self, request: web.Request) -> Outcome:
        try:
            form = await request.post()
        except ValueError:
            form = {}
        value = request.cookies.get(SIGN_IN_COOKIE, "")
        if not value or not same_origin(request) or not tokens_match(form.get("csrf_token"), _sign_in_form_token(value)):
            return _sign_in_again(request)
        email, password = form.get("email"), form.get("password")
        email = email.strip() if isinstance(email, str) else ""
        if not email:
            return self.form(request, status=400, error="Enter your email address", error_field="email")
        if not isinstance(password, str) or not password:
            return self.form(request, status=400, email=email, error="Enter your password", error_field="password")
        try:
            return await _run(staff.sign_in_with_password, email, password, client_address(request), clock_now(request))
        except SignInRefused as refused:
            if refused.locked_until:
                message = (
                    f"There have been too many attempts to sign in. You can try again after {london_time(refused.locked_until)}."
                )
            else:
                message = "The email address or password is not right"
            # One message for an unknown email and a wrong password: the form does not say which emails have accounts.
            return self.form(
                request, status=429 if refused.locked_until else 401, email=email, error=message, error_field="email"
            )


class TrustedHeaderSignIn(SignInMethod):
    """An authenticating proxy in front (e.g. oauth2-proxy signing officers in with the council's
    OpenID Connect provider) puts the person's verified email in a header. It is believed only
    from an address in ASBCR_WEB_TRUSTED_PROXIES, and the proxy must drop any copy the browser
    sent. The email must have an account here (`asbcr staff add`): the role is the console's."""

    name = "trusted-header"

    def __init__(self, header: str = DEFAULT_IDENTITY_HEADER, proxies: Optional[list] = None, sign_out_url: Optional[str] = None):
        self.header, self.sign_out_url = header, sign_out_url
        self.proxies = limits.trusted_proxies() if proxies is None else proxies
        if not self.proxies:
            raise ValueError(
                f"{SIGN_IN_ENV}=trusted-header needs ASBCR_WEB_TRUSTED_PROXIES: the proxy whose {header} header is believed"
            )

    def _from_proxy(self, request: web.Request) -> bool:
        try:
            import ipaddress

            peer = ipaddress.ip_address(request.remote or "")
        except ValueError:
            return False
        return any(peer in network for network in self.proxies)

    async def start(self, request: web.Request) -> Outcome:
        email = request.headers.get(self.header, "").strip()
        if not self._from_proxy(request) or not email:
            return _message(
                request,
                403,
                "Sign in through your council",
                "This console is signed in to through the council's own sign-in. Open it from there.",
            )
        member = await _run(staff.account_by_email, email)
        if member is None:
            await _run(
                staff.audit,
                staff.UNKNOWN_ACTOR,
                staff.SIGN_IN_FAILED,
                detail=self.name,
                address=client_address(request),
                now=clock_now(request),
            )
            return _message(
                request,
                403,
                "You do not have a staff account",
                "Your council sign-in worked, but there is no staff account for you here. Ask an admin to add one.",
            )
        await _run(
            staff.audit, member, staff.SIGNED_IN, detail=self.name, address=client_address(request), now=clock_now(request)
        )
        return member

    async def finish(self, request: web.Request) -> Outcome:
        return await self.start(request)


def configured_method() -> SignInMethod:
    """ASBCR_STAFF_SIGN_IN: "password" (default) or "trusted-header" (with ASBCR_STAFF_IDENTITY_HEADER
    and ASBCR_STAFF_SIGN_OUT_URL). ValueError for anything else, so the server does not start."""
    name = os.environ.get(SIGN_IN_ENV, "").strip() or PasswordSignIn.name
    if name == PasswordSignIn.name:
        return PasswordSignIn()
    if name == TrustedHeaderSignIn.name:
        return TrustedHeaderSignIn(
            os.environ.get(IDENTITY_HEADER_ENV, "").strip() or DEFAULT_IDENTITY_HEADER,
            sign_out_url=os.environ.get(SIGN_OUT_URL_ENV, "").strip() or None,
        )
    raise ValueError(f"{SIGN_IN_ENV} must be password or trusted-header, not {name!r}")


# --- the routes -----------------------------------------------------------------------


async def _signed_in(request: web.Request, member: StaffMember) -> web.StreamResponse:
    """Open a new session (never reuse one from before sign-in) and go where the officer was going."""
    session_id, _ = await _run(staff.open_session, member, clock_now(request))
    response = web.HTTPSeeOther(_safe_next(request.query.get("next")), headers=STAFF_HEADERS)
    _set_cookie(response, SESSION_COOKIE, session_id, staff.ABSOLUTE_TIMEOUT)
    _clear_cookie(response, SIGN_IN_COOKIE)
    raise response


async def sign_in_page(request: web.Request) -> web.StreamResponse:
    if await current_session(request) is not None:
        raise web.HTTPSeeOther(_safe_next(request.query.get("next")), headers=STAFF_HEADERS)
    outcome = await request.app[METHOD].start(request)
    return await _signed_in(request, outcome) if isinstance(outcome, StaffMember) else outcome


async def sign_in(request: web.Request) -> web.StreamResponse:
    outcome = await request.app[METHOD].finish(request)
    return await _signed_in(request, outcome) if isinstance(outcome, StaffMember) else outcome


@require_officer
async def sign_out(request: web.Request) -> web.StreamResponse:
    signed: Signed = request[STAFF]
    if signed.via != "session":
        return _json({"error": "there is no session to sign out of"}, status=400)
    await _run(staff.close_session, signed.session_id)
    await _run(staff.audit, signed.member, staff.SIGNED_OUT, address=client_address(request), now=clock_now(request))
    target = request.app[METHOD].sign_out_url or f"{SIGN_IN_PATH}?signed-out"
    response = web.HTTPSeeOther(target, headers=STAFF_HEADERS)
    _clear_cookie(response, SESSION_COOKIE)
    raise response


@require_officer
async def home(request: web.Request) -> web.Response:
    return render_staff_page(request, "staff_home.html")  # links to the console's pages (web/console.py)


@require_officer(role=ADMIN)
async def audit_api(request: web.Request) -> web.Response:
    """GET /staff/api/audit[?reference=REF&limit=N]: the audit log, newest first, for admins."""
    limit = request.query.get("limit", "200")
    if not limit.isdigit():
        return _json({"error": "limit must be a whole number"}, status=400)
    signed: Signed = request[STAFF]
    try:
        entries = await _run(staff.audit_log, signed.member, reference=request.query.get("reference") or None, limit=int(limit))
    except CaseworkError as error:
        return _json({"error": str(error)}, status=400)
    return _json({"entries": entries})


async def _every_staff_route_is_guarded(app: web.Application) -> None:
    """Fail closed: a handler under /staff without require_officer stops the server starting."""
    open_ones = []
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        # The sign-in itself, and a sign-in method's own routes under it (an OpenID Connect callback).
        if not path.startswith("/staff") or path == SIGN_IN_PATH or path.startswith(SIGN_IN_PATH + "/"):
            continue
        if not hasattr(route.handler, "staff_role"):
            open_ones.append(f"{route.method} {path}")
    if open_ones:
        raise RuntimeError("staff routes without require_officer: " + ", ".join(open_ones))


def add_routes(app: web.Application, *, clock: Optional[Clock] = None, method: Optional[SignInMethod] = None) -> None:
    """The sign-in, sign-out, /staff/ and the audit API; `clock` (aware UTC) for tests."""
    app[CLOCK] = clock or staff.utc_now
    app[PROXIES] = limits.trusted_proxies()
    app[METHOD] = method or configured_method()
    app.router.add_get(SIGN_IN_PATH, sign_in_page)
    app.router.add_post(SIGN_IN_PATH, sign_in)
    app.router.add_post(SIGN_OUT_PATH, sign_out)
    app.router.add_get(HOME_PATH, home)
    app.router.add_get("/staff", home)
    app.router.add_get(API_PREFIX + "audit", audit_api)
    app.router.add_routes(app[METHOD].routes())
    app.on_startup.append(_every_staff_route_is_guarded)
