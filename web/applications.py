"""A resident's private application page and the staff API, mounted by web/server.py.

Residents: GET /application/{token} shows their application; GET
/application/{token}/application.pdf downloads it; POST /application/{token}/forget ("forget
me") removes their personal details and their conversation. The token is random and carries no
personal data; any other token gets a plain "Not found". The forget form carries a hidden
per-page token (an HMAC of the private token under an installation key), and a request from
another origin is refused.

Staff: /staff/api/... answers JSON to a signed-in officer (web/staff_auth.py) or to the casework
system with `Authorization: Bearer <ASBCR_STAFF_TOKEN>`, compared in constant time; with no staff
token configured only a session opens them. Each view of an application and each change is audited.

What an application is, and its PDF, are casework's (casework.service); this module is the HTTP
and the pages (web/templates/application.html, forgotten.html).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Tuple

from aiohttp import web

from groundwork.keys import installation_key
from casework import labels, service, staff
from casework.errors import CaseworkError, NotFound
from casework.partnership import letterhead
from web import pages, staff_auth
from web.staff_auth import STAFF_TOKEN_ENV  # noqa: F401 - where it was named before the sign-in

# The private link must not leak through caches, search engines or the Referer header.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}
# No script at all; the page's only stylesheet is the service's own GOV.UK Frontend build.
PAGE_CSP = "default-src 'none'; style-src 'self'; img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
FORM_KEY_FILE, FORM_KEY_ENV = "page-form-key", "ASBCR_PAGE_FORM_KEY"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

log = logging.getLogger("web.applications")


def add_routes(app: web.Application) -> None:
    if staff_auth.CLOCK not in app:  # the sign-in and sessions the staff API also opens to
        staff_auth.add_routes(app)
    app.router.add_get("/application/{token}", resident_page)
    app.router.add_get("/application/{token}/application.pdf", resident_pdf)
    app.router.add_post("/application/{token}/forget", resident_forget)
    app.router.add_get("/staff/api/applications", staff_list)
    app.router.add_get("/staff/api/applications/{reference}", staff_show)
    app.router.add_get("/staff/api/applications/{reference}/application.pdf", staff_pdf)
    app.router.add_post("/staff/api/applications/{reference}/events", staff_record)
    app.router.add_get("/staff/api/stats", staff_stats)


async def _run(function, *args, **kwargs):
    """Database work runs in a thread so the server keeps answering meanwhile."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(function, *args, **kwargs))


def _not_found() -> web.Response:
    return web.Response(status=404, text="Not found", content_type="text/plain", headers=PRIVATE_HEADERS)


def _unavailable() -> web.Response:
    return web.Response(
        status=503,
        text="Sorry, this service is not available at the moment. Please try again later.",
        content_type="text/plain",
        headers=PRIVATE_HEADERS,
    )


def _html(text: str) -> web.Response:
    headers = dict(PRIVATE_HEADERS, **{"Content-Security-Policy": PAGE_CSP})
    return web.Response(text=text, content_type="text/html", charset="utf-8", headers=headers)


# --- residents --------------------------------------------------------------------


async def resident_page(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    try:
        application = await _run(service.get_application_by_token, token)
        body = render_page(application, token)
    except NotFound:
        return _not_found()
    except CaseworkError as error:
        log.error("a private application page cannot be shown: %s", error)
        return _unavailable()
    return _html(body)


def form_token(private_token: str) -> str:
    """The hidden token of the page's forms: only a page this server rendered has it."""
    key = installation_key(FORM_KEY_FILE, FORM_KEY_ENV)
    return hmac.new(key, b"forget:" + private_token.encode(), hashlib.sha256).hexdigest()


_same_origin = staff_auth.same_origin  # one definition of "sent from this site's own page"


async def resident_forget(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    try:
        form = await request.post()
    except ValueError:
        form = {}
    given = form.get("form_token")
    if (
        not isinstance(given, str)
        or not hmac.compare_digest(given.encode(), form_token(token).encode())
        or not _same_origin(request)
    ):
        return web.Response(
            status=403,
            text="This form has expired. Please open your application's link again.",
            content_type="text/plain",
            headers=PRIVATE_HEADERS,
        )
    try:
        result = await _run(service.forget_by_token, token)
    except NotFound:
        return _not_found()
    except CaseworkError:
        return _unavailable()
    try:
        body = render_forgotten(result["reference"], result["decision"])
    except CaseworkError as error:  # the details are gone; only the page saying so failed
        log.error("the page after 'forget me' cannot be shown: %s", error)
        return _unavailable()
    return _html(body)


async def resident_pdf(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    try:
        application = await _run(service.get_application_by_token, token)
        content = await _run(service.pdf_bytes, application["reference"])
    except NotFound:
        return _not_found()
    except CaseworkError:
        return _unavailable()
    return _pdf_response(content, application["reference"])


def _pdf_response(content: bytes, reference: str) -> web.Response:
    headers = dict(PRIVATE_HEADERS)
    headers["Content-Disposition"] = f'attachment; filename="{reference}.pdf"'
    return web.Response(body=content, content_type="application/pdf", headers=headers)


# Events the resident's page tells of (its words are web/templates/progress.html's): the staff's
# decisions and receipt, never a staff note or the resident's own changes.
PROGRESS_EVENTS = (
    "received",
    "threshold-met",
    "threshold-not-met",
    "rejected",
    "review-held",
    "recommendations-made",
    "appeal-received",
    "withdrawn",
)


def _frame(org: Dict[str, str], root: str) -> Dict[str, Any]:
    """What every private page shows around its content: whose service it is and how to reach them.
    `root` leads from the page back to the site's root, so the page also works behind a path prefix."""
    contact = ", ".join(part for part in (org["contact"], org["address"], org["phone"]) if part)
    return {"org": org, "home_name": org["name"], "home_url": org["web"], "contact": contact, "root": root}


def render_page(application: Dict[str, Any], token: str) -> str:
    """The resident's summary page; CaseworkError when the decision names no partnership to show."""
    decision = application.get("decision") or {}
    acknowledge_by = labels.long_date(application["acknowledge_by"])
    applicant = application.get("applicant") or {}
    contact_lines = [value for value in (applicant.get("email"), applicant.get("phone"), applicant.get("address")) if value]
    summary: List[Tuple[str, Any]] = [
        ("Reference", application["reference"]),
        ("Received", labels.long_date(application["received"])),
        ("We confirm receipt by", acknowledge_by),
        ("Applicant", applicant.get("name")),
        ("How we will contact you", "\n".join(contact_lines) or None),
    ]
    if application.get("on_behalf"):
        summary.append(("Applying for", (application.get("victim") or {}).get("name")))
        summary.append(("Their consent", labels.consent(True, application.get("consent"))))
    incidents = [
        {
            "date": labels.long_date(item["date"]) if item.get("date") else None,
            "reported_to": labels.reported_to(item.get("reported_to"), decision),
            "reference": item.get("reference"),
        }
        for item in (application.get("facts") or {}).get("incidents") or []
        if isinstance(item, dict)
    ]
    done = {
        event["event"]: labels.long_date(event["date"])
        for event in application.get("events") or []
        if event.get("event") in PROGRESS_EVENTS
    }
    reasons = [reason.get("text") if isinstance(reason, dict) else reason for reason in decision.get("reasons") or []]
    return pages.render(
        "application.html",
        **_frame(letterhead(decision), root="../"),
        reference=application["reference"],
        summary=summary,
        incidents=incidents,
        reasons=reasons,
        finding=decision.get("summary") or labels.outcome(decision),
        acknowledge_by=acknowledge_by,
        received=labels.long_date(application["received"]),
        done=done,
        pdf_href=f"{token}/application.pdf",  # relative, like every link here: works behind a path prefix
        forget_href=f"{token}/forget",
        form_token=form_token(token),
    )


def render_forgotten(reference: str, decision: Dict[str, Any]) -> str:
    # Served at /application/{token}/forget: two steps back to the root.
    return pages.render("forgotten.html", **_frame(letterhead(decision), root="../../"), reference=reference)


# --- staff ------------------------------------------------------------------------


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json",
        headers=PRIVATE_HEADERS,
    )


def staff_only(handler: Handler) -> Handler:
    """A signed-in officer or the casework system's token (web/staff_auth.py), and casework's
    errors as JSON."""

    @functools.wraps(handler)
    async def answered(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except NotFound as error:
            return _json({"error": str(error)}, status=404)
        except CaseworkError as error:
            return _json({"error": str(error)}, status=400)

    return staff_auth.require_officer(answered)


async def _audit(request: web.Request, action: str, reference: str, detail: Any = None) -> None:
    signed = request[staff_auth.STAFF]
    await _run(
        staff.audit,
        signed.member,
        action,
        reference=reference,
        detail=detail,
        address=staff_auth.client_address(request),
        now=staff_auth.clock_now(request),
    )


@staff_only
async def staff_list(request: web.Request) -> web.Response:
    query = request.query
    year = query.get("year")
    if year is not None:
        if not year.strip().isdigit():
            raise CaseworkError(f"year must be a year like 2022, not {year!r}")
        year = int(year)
    applications = await _run(
        service.list_applications,
        status=query.get("status") or None,
        year=year,
        channel=query.get("channel") or None,
    )
    return _json({"applications": applications})


@staff_only
async def staff_show(request: web.Request) -> web.Response:
    application = await _run(service.get_application, request.match_info["reference"])
    await _audit(request, "viewed", application["reference"])
    return _json(application)


@staff_only
async def staff_pdf(request: web.Request) -> web.Response:
    reference = service.normalise_reference(request.match_info["reference"])
    content = await _run(service.pdf_bytes, reference)
    await _audit(request, "downloaded-pdf", reference)
    return _pdf_response(content, reference)


@staff_only
async def staff_record(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise CaseworkError("send a JSON object like {\"event\": \"threshold-met\", \"date\": \"2026-11-25\"}") from None
    if not isinstance(body, dict) or not isinstance(body.get("event"), str):
        raise CaseworkError("send a JSON object with event, and optionally date and note")
    result = await _run(
        service.record_event,
        request.match_info["reference"],
        body["event"],
        body.get("date"),
        body.get("note"),
    )
    await _audit(request, "recorded-event", result["reference"], result["event"])
    return _json(result, status=201)


@staff_only
async def staff_stats(request: web.Request) -> web.Response:
    year = request.query.get("year")
    year = service.current_financial_year() if year is None else year
    counts = await _run(service.stats_counts, year)
    text = await _run(service.stats, year)
    return _json({"year": int(year), "counts": counts, "text": text})
