"""Web routes for applications, mounted by the chat page's server (web/server.py).

Residents: GET /application/{token} shows their application; GET
/application/{token}/application.pdf downloads it; POST /application/{token}/forget ("forget
me") removes their personal details and their conversation. The token is random and carries no
personal data; any other token gets a plain "Not found". The forget form carries a hidden
per-page token (an HMAC of the private token under an installation key), and a request from
another origin is refused.

Staff: /staff/api/... answers JSON only with `Authorization: Bearer <ASBCR_STAFF_TOKEN>`;
with no staff token configured every staff route is closed.
"""
from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import os
from html import escape
from typing import Any, Awaitable, Callable, Dict

from aiohttp import web

from asbcr.keys import installation_key

from . import labels, service
from .errors import CaseworkError, NotFound
from .partnership import partnership

STAFF_TOKEN_ENV = "ASBCR_STAFF_TOKEN"

# The private link must not leak through caches, search engines or the Referer header.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
FORM_KEY_FILE, FORM_KEY_ENV = "page-form-key", "ASBCR_PAGE_FORM_KEY"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_routes(app: web.Application) -> None:
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
        status=503, text="Sorry, this service is not available at the moment. Please try again later.",
        content_type="text/plain", headers=PRIVATE_HEADERS,
    )


# --- residents --------------------------------------------------------------------


async def resident_page(request: web.Request) -> web.Response:
    try:
        application = await _run(service.get_application_by_token, request.match_info["token"])
    except NotFound:
        return _not_found()
    except CaseworkError:
        return _unavailable()
    headers = dict(PRIVATE_HEADERS, **{"Content-Security-Policy": PAGE_CSP})
    token = request.match_info["token"]
    pdf_href = f"{token}/application.pdf"  # relative: works behind a path prefix
    forget = {"href": f"{token}/forget", "form_token": form_token(token)}
    return web.Response(text=render_page(application, pdf_href, forget), content_type="text/html", charset="utf-8",
                        headers=headers)


def form_token(private_token: str) -> str:
    """The hidden token of the page's forms: only a page this server rendered has it."""
    key = installation_key(FORM_KEY_FILE, FORM_KEY_ENV)
    return hmac.new(key, b"forget:" + private_token.encode(), hashlib.sha256).hexdigest()


def _same_origin(request: web.Request) -> bool:
    """False for a request a browser says came from another site. The page's no-referrer policy
    makes browsers send `Origin: null` even from the page itself, so Sec-Fetch-Site decides where
    it is sent; a real Origin must match. The hidden form token is what proves the page."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin in (None, "null"):
        return True
    return origin.split("://", 1)[-1] == request.host


async def resident_forget(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    try:
        form = await request.post()
    except ValueError:
        form = {}
    given = form.get("form_token")
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), form_token(token).encode()) \
            or not _same_origin(request):
        return web.Response(status=403, text="This form has expired. Please open your application's link again.",
                            content_type="text/plain", headers=PRIVATE_HEADERS)
    try:
        result = await _run(service.forget_by_token, token)
    except NotFound:
        return _not_found()
    except CaseworkError:
        return _unavailable()
    headers = dict(PRIVATE_HEADERS, **{"Content-Security-Policy": PAGE_CSP})
    return web.Response(text=render_forgotten(result["reference"]), content_type="text/html", charset="utf-8",
                        headers=headers)


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


RESIDENT_STATUS = {
    "received": "Received. The partnership will decide whether the threshold for a case review is met.",
    "threshold-met": "The threshold is met. The partnership is arranging a case review.",
    "threshold-not-met": "The partnership decided that the threshold for a case review is not met.",
    "rejected": "The partnership could not accept this application.",
    "review-held": "The case review has been held.",
    "recommendations-made": "The case review has been held and made recommendations.",
    "appeal-received": "Your appeal has been received.",
    "withdrawn": "This application was withdrawn.",
}

STYLE = """
body{margin:0;font-family:Arial,Helvetica,sans-serif;color:#0b0c0c;background:#fff;font-size:19px;line-height:1.32}
a{color:#1d70b8}a:focus{outline:3px solid transparent;background:#fd0;box-shadow:0 -2px #fd0,0 4px #0b0c0c;color:#0b0c0c;text-decoration:none}
.header{background:#0b0c0c;color:#fff;padding:12px 0;border-bottom:10px solid #1d70b8}
.width{max-width:960px;margin:0 15px}@media(min-width:990px){.width{margin:0 auto}}
.header strong{font-size:24px}
.skip{position:absolute;left:-9999px}.skip:focus{position:static}
main{padding:30px 0 60px}
h1{font-size:36px;line-height:1.1;margin:0 0 30px}h2{font-size:27px;margin:40px 0 20px}
.panel{background:#00703c;color:#fff;padding:25px;margin-bottom:30px;text-align:center}
.panel h1{margin:0 0 10px}.panel .ref{font-size:30px;font-weight:bold;word-break:break-all}
dl{margin:0 0 20px;display:table;width:100%;border-collapse:collapse}
.row{display:table-row;border-bottom:1px solid #b1b4b6}
dt,dd{display:table-cell;padding:10px 20px 10px 0;margin:0;vertical-align:top}
dt{font-weight:bold;width:35%}
table{border-collapse:collapse;width:100%;margin-bottom:20px}
th,td{text-align:left;padding:10px 20px 10px 0;border-bottom:1px solid #b1b4b6;vertical-align:top}
.button{display:inline-block;background:#00703c;color:#fff;padding:8px 10px;font-weight:bold;text-decoration:none;box-shadow:0 2px 0 #002d18}
.button:hover{background:#005a30}
button.button{border:0;font-size:19px;font-family:inherit;cursor:pointer}
.button.warning{background:#d4351c;box-shadow:0 2px 0 #55150b}.button.warning:hover{background:#aa2a16}
.hint{color:#505a5f}
.visually-hidden{position:absolute!important;width:1px!important;height:1px!important;margin:0!important;padding:0!important;overflow:hidden!important;clip:rect(0 0 0 0)!important;white-space:nowrap!important;border:0!important}
@media(max-width:640px){body{font-size:16px}h1{font-size:27px}h2{font-size:21px}.panel .ref{font-size:24px}dt,dd{padding-right:10px}}
footer{border-top:1px solid #b1b4b6;padding:20px 0;color:#505a5f;font-size:16px}
"""


def _row(key: str, value: str) -> str:
    return f'<div class="row"><dt>{escape(key)}</dt><dd>{value}</dd></div>'


def _plain(value: Any, empty: str = "Not given") -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return f'<span class="hint">{escape(empty)}</span>'
    return escape(str(value)).replace("\n", "<br>")


def _private_page_head(title: str) -> str:
    """The top of a resident's private page: never indexed, never sent on as a referrer."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body>
"""


def render_forgotten(reference: str) -> str:
    return _private_page_head("Your details have been removed") + f"""<main id="main" class="width">
<h1>Your details have been removed</h1>
<p>Your name, contact details, address, what you told us and your chat with the assistant have been deleted.
This link no longer works.</p>
<p>The partnership keeps only that an application ({escape(reference)}) was received, and its dates, for the
figures it must publish.</p>
</main>
</body>
</html>
"""


def _forget_form(forget: Dict[str, str]) -> str:
    return (
        '<h2>Remove your details</h2>'
        '<p>You can ask us to delete your name, contact details, address, what you told us and your chat with the '
        'assistant now. The partnership will no longer be able to contact you about this application, and this '
        'link will stop working. This cannot be undone.</p>'
        f'<form method="post" action="{escape(forget["href"])}">'
        f'<input type="hidden" name="form_token" value="{escape(forget["form_token"])}">'
        '<button class="button warning" type="submit">Delete my details</button></form>'
    )


def render_page(application: Dict[str, Any], pdf_href: str, forget: Dict[str, str] = None) -> str:
    """The resident's summary page. Every value is HTML-escaped."""
    decision = application.get("decision") or {}
    org = partnership((decision.get("rule_set") or {}).get("name", "erewash"))
    reference = application["reference"]
    acknowledge_by = labels.long_date(application["acknowledge_by"])
    status = RESIDENT_STATUS.get(application.get("status"), "Received.").format(acknowledge_by=acknowledge_by)
    applicant = application.get("applicant") or {}

    summary = "".join([
        _row("Reference", escape(reference)),
        _row("Received", escape(labels.long_date(application["received"]))),
        _row("We confirm receipt by", escape(acknowledge_by)),
        _row("Where it is now", escape(status)),
        _row("Applicant", _plain(applicant.get("name"))),
        _row("How we will contact you", _plain(
            "\n".join(value for value in (applicant.get("email"), applicant.get("phone"), applicant.get("address")) if value) or None
        )),
    ])
    if application.get("on_behalf"):
        victim = application.get("victim") or {}
        summary += _row("Applying for", _plain(victim.get("name")))
        summary += _row("Their consent", escape(labels.consent(True, application.get("consent"))))

    incidents = (application.get("facts") or {}).get("incidents") or []
    if incidents:
        rows = "".join(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>".format(
                escape(labels.long_date(item.get("date"))) if item.get("date") else _plain(None, "Not known"),
                escape(labels.reported_to(item.get("reported_to"))),
                _plain(item.get("reference"), "None given"),
            )
            for item in incidents if isinstance(item, dict)
        )
        incident_html = (
            '<table><caption class="visually-hidden">Incidents you told us about</caption>'
            '<thead><tr><th scope="col">Date</th><th scope="col">Reported to</th><th scope="col">Reference</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
    else:
        incident_html = '<p class="hint">No incidents were recorded with this application.</p>'

    reasons = "".join(
        f"<li>{_plain(reason.get('text') if isinstance(reason, dict) else reason, '')}</li>"
        for reason in decision.get("reasons") or []
    )
    contact = ", ".join(part for part in (org["contact"], org["address"], org["phone"]) if part)
    return _private_page_head(f"Your application {escape(reference)} - {escape(org['name'])}") + f"""<a class="skip" href="#main">Skip to main content</a>
<header class="header"><div class="width"><strong>{escape(org['name'])}</strong></div></header>
<main id="main" class="width">
<div class="panel"><h1>Your Anti-social Behaviour Case Review application</h1>
<div>Your reference</div><div class="ref">{escape(reference)}</div></div>
<dl>{summary}</dl>
<p><a class="button" href="{escape(pdf_href)}" download>Download your application (PDF)</a></p>
<h2>Incidents</h2>
{incident_html}
<h2>What the assistant found</h2>
<p><strong>{escape(decision.get('summary') or labels.outcome(decision.get('outcome', '')))}</strong></p>
<ul>{reasons}</ul>
<p class="hint">The partnership makes the threshold decision and will write to you.</p>
<h2>What happens next</h2>
<p>We will confirm that we have your application by {escape(acknowledge_by)}. The partnership then decides whether the threshold for a case review is met and tells you why.</p>
<p>Keep this page's link private: anyone with it can see your application.</p>
{_forget_form(forget) if forget else ""}
</main>
<footer><div class="width">Contact: {escape(contact)}</div></footer>
</body>
</html>
"""


# --- staff ------------------------------------------------------------------------


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json", headers=PRIVATE_HEADERS,
    )


def staff_only(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        expected = os.environ.get(STAFF_TOKEN_ENV, "").strip()
        if not expected:
            return _json({"error": f"staff access is closed: {STAFF_TOKEN_ENV} is not set"}, status=403)
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            response = _json({"error": "staff token required"}, status=401)
            response.headers["WWW-Authenticate"] = 'Bearer realm="asbcr-staff"'
            return response
        if not hmac.compare_digest(given.strip().encode("utf-8"), expected.encode("utf-8")):
            response = _json({"error": "wrong staff token"}, status=401)
            response.headers["WWW-Authenticate"] = 'Bearer realm="asbcr-staff", error="invalid_token"'
            return response
        try:
            return await handler(request)
        except NotFound as error:
            return _json({"error": str(error)}, status=404)
        except CaseworkError as error:
            return _json({"error": str(error)}, status=400)

    return guarded


@staff_only
async def staff_list(request: web.Request) -> web.Response:
    query = request.query
    year = query.get("year")
    if year is not None:
        if not year.strip().isdigit():
            raise CaseworkError(f"year must be a year like 2022, not {year!r}")
        year = int(year)
    applications = await _run(
        service.list_applications, status=query.get("status") or None, year=year, channel=query.get("channel") or None,
    )
    return _json({"applications": applications})


@staff_only
async def staff_show(request: web.Request) -> web.Response:
    return _json(await _run(service.get_application, request.match_info["reference"]))


@staff_only
async def staff_pdf(request: web.Request) -> web.Response:
    reference = service.normalise_reference(request.match_info["reference"])
    return _pdf_response(await _run(service.pdf_bytes, reference), reference)


@staff_only
async def staff_record(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise CaseworkError("send a JSON object like {\"event\": \"threshold-met\", \"date\": \"2026-11-25\"}") from None
    if not isinstance(body, dict) or not isinstance(body.get("event"), str):
        raise CaseworkError("send a JSON object with event, and optionally date and note")
    result = await _run(
        service.record_event, request.match_info["reference"], body["event"], body.get("date"), body.get("note"),
    )
    return _json(result, status=201)


@staff_only
async def staff_stats(request: web.Request) -> web.Response:
    year = request.query.get("year")
    year = service.current_financial_year() if year is None else year
    counts = await _run(service.stats_counts, year)
    text = await _run(service.stats, year)
    return _json({"year": int(year), "counts": counts, "text": text})
