"""The staff console's pages (CONTRACT.md, Staff console): server-rendered GOV.UK Frontend, no script.

- GET /staff/applications: the list, with filters (status, overdue, assigned to me) and a search
  by reference or applicant's name, all in the query and checked;
- GET /staff/applications/{ref}: one application (applicant and victim, the facts confirmed in the
  chat, the rule set's decision as stored, the chat's transcript from the tracker store, events,
  notes, the PDF) and its three forms, each POSTing back here: record an event (casework's own
  validation, the command line's), assign an officer, add a note;
- GET /staff/figures?year=, /staff/figures.csv?year=, /staff/figures.html?year=: a year's figures
  as `asbcr stats --year` prints them (casework.service.stats, the one source), and the HTML block
  the council pastes on its page;
- GET /staff/audit?page=: the audit log, for admins.

Every handler is behind web.staff_auth.require_officer (which checks every form's csrf_token);
viewing an application and every change is written to the audit log. What is stored and checked
is casework's; this module reads the request, calls casework and renders web/templates/console_*.html.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import functools
import io
import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup, escape

from casework import events as ev
from casework import labels, published, service, staff
from casework.errors import CaseworkError, Forbidden, NotFound, StoreUnavailable
from web import staff_auth
from web.staff_auth import STAFF, render_staff_page, require_officer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

log = logging.getLogger("web.console")

LIST_PATH, FIGURES_PATH, AUDIT_PATH = "/staff/applications", "/staff/figures", "/staff/audit"
AUDIT_PAGE_SIZE = 50
YES = "yes"  # the value of the list's checkboxes
# What the application page says after a change, by the `done` the change redirects with.
DONE = ("event", "assigned", "note")
NOBODY = "nobody"  # the assign form's choice for no officer


def add_routes(app: web.Application) -> None:
    if staff_auth.CLOCK not in app:
        staff_auth.add_routes(app)
    app.router.add_get(LIST_PATH, applications_list)
    app.router.add_get(LIST_PATH + "/{reference}", application_page)
    app.router.add_post(LIST_PATH + "/{reference}/events", record_event)
    app.router.add_post(LIST_PATH + "/{reference}/assign", assign_officer)
    app.router.add_post(LIST_PATH + "/{reference}/notes", add_note)
    app.router.add_get(FIGURES_PATH, figures_page)
    app.router.add_get(FIGURES_PATH + ".csv", figures_csv)
    app.router.add_get(FIGURES_PATH + ".html", figures_html)
    app.router.add_get(AUDIT_PATH, audit_page)


async def _run(function, *args, **kwargs):
    """Database work runs in a thread, so the server keeps answering."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args, **kwargs))


def _message(request: web.Request, status: int, heading: str, message: str) -> web.Response:
    return render_staff_page(
        request,
        "staff_message.html",
        status=status,
        heading=heading,
        message=message,
        link={"href": f"{staff_auth.root_of(request)}staff/applications", "text": "Go to the applications"},
    )


def console_page(handler: Handler = None, *, role: str = staff.OFFICER):
    """A console handler behind require_officer, with casework's refusals as pages: no such
    application 404, the database down 503, anything else casework refuses 400."""
    if handler is None:
        return functools.partial(console_page, role=role)

    @functools.wraps(handler)
    async def answered(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except NotFound as error:
            return _message(request, 404, "Not found", _sentence(error))
        except Forbidden as error:
            return _message(request, 403, "You cannot see this page", _sentence(error))
        except StoreUnavailable as error:
            log.error("a console page cannot be shown: %s", error)
            return _message(
                request,
                503,
                "Sorry, there is a problem",
                "The applications database cannot be reached just now. Try again in a few minutes.",
            )
        except CaseworkError as error:
            return _message(request, 400, "There is a problem", _sentence(error))

    return require_officer(answered, role=role)


def _sentence(error: Any) -> str:
    """Casework's one-line messages start in lower case (the command line prints them after
    "asbcr: "); a page shows them as a sentence."""
    text = str(error)
    return text[:1].upper() + text[1:]


async def _audit(request: web.Request, action: str, reference: Optional[str] = None, detail: Optional[str] = None) -> None:
    await _run(
        staff.audit,
        request[STAFF].member,
        action,
        reference=reference,
        detail=detail,
        address=staff_auth.client_address(request),
        now=staff_auth.clock_now(request),
    )


def _error(field: str, text: str) -> Dict[str, str]:
    return {"field": field, "text": _sentence(text)}


# --- the applications list ----------------------------------------------------------


STATUS_CHOICES = ("open", "closed") + ev.STATUSES


@console_page
async def applications_list(request: web.Request) -> web.Response:
    query = request.query
    given = {
        "status": query.get("status", ""),
        "overdue": query.get("overdue", ""),
        "mine": query.get("mine", ""),
        "q": query.get("q", ""),
    }
    errors: List[Dict[str, str]] = []
    status = given["status"].strip() or None
    if status is not None and status not in STATUS_CHOICES:
        errors.append(_error("status", "Choose a status from the list"))
    for name, text in (("overdue", "Overdue"), ("mine", "Assigned to me")):
        if given[name] not in ("", YES):
            errors.append(_error(name, f"{text} is a tick box: tick it or leave it empty"))
    search = " ".join(given["q"].split()) or None
    member = request[STAFF].member
    applications: List[Dict[str, Any]] = []
    if not errors:
        try:
            applications = await _run(
                service.list_applications,
                status=status,
                overdue=given["overdue"] == YES,
                assigned_to=member.id if given["mine"] == YES else None,
                search=search,
            )
        except StoreUnavailable:
            raise
        except CaseworkError as error:  # the search, checked where it is used
            errors.append(_error(error.field or "q", str(error)))
    rows = [
        dict(
            row,
            status_words=labels.EVENTS.get(row["status"], row["status"]),
            channel_words=labels.CHANNELS.get(row["channel"], row["channel"]),
            received_words=labels.long_date(row["received"]),
            acknowledge_by_words=labels.long_date(row["acknowledge_by"]),
        )
        for row in applications
    ]
    filtered = any(given[name] for name in given)
    return render_staff_page(
        request,
        "console_list.html",
        status=400 if errors else 200,
        errors=errors,
        given=given,
        rows=rows,
        filtered=filtered,
        statuses=STATUS_CHOICES,
        status_words=labels.EVENTS,
        yes=YES,
        is_admin=member.is_admin,
    )


# --- one application ----------------------------------------------------------------


@console_page
async def application_page(request: web.Request) -> web.Response:
    reference = service.normalise_reference(request.match_info["reference"])
    done = request.query.get("done")
    response = await _show(request, reference, done=done if done in DONE else None)
    await _audit(request, "viewed", reference)
    return response


async def _show(
    request: web.Request,
    reference: str,
    *,
    status: int = 200,
    errors: Optional[List[Dict[str, str]]] = None,
    form: Optional[str] = None,
    kept: Optional[Dict[str, str]] = None,
    done: Optional[str] = None,
) -> web.Response:
    """The application's page; after a refused form, with its errors and what the officer typed."""
    application = await _run(service.get_application, reference)
    transcript = await _run(service.conversation_transcript, reference)
    officers = await _run(staff.list_accounts)
    decision = application.get("decision") or {}
    incidents = []
    for number, incident in enumerate((application.get("facts") or {}).get("incidents") or [], start=1):
        incident = incident if isinstance(incident, dict) else {}
        codes = incident.get("reported_to") or []
        codes = [codes] if isinstance(codes, str) else codes
        reported_on = incident.get("reported_on") or incident.get("date")
        incidents.append(
            {
                "number": number,
                "date": labels.long_date(incident["date"]) if incident.get("date") else None,
                "bodies": labels.reported_to(codes, decision),  # one way of naming them, the PDF's and the private page's
                "reported_on": labels.long_date(reported_on) if reported_on else None,
                "reference": incident.get("reference"),
                "hate": incident.get("hate"),
            }
        )
    reasons = [
        {"text": reason.get("text"), "references": reason.get("references") or []}
        if isinstance(reason, dict)
        else {"text": str(reason), "references": []}
        for reason in decision.get("reasons") or []
    ]
    messages = [dict(message, time=_local_time(message.get("at"))) for message in transcript["messages"]]
    events = [
        dict(event, words=labels.EVENTS.get(event["event"], event["event"]), date_words=labels.long_date(event["date"]))
        for event in application["events"]
    ]
    notes = [dict(note, when=_local_time(note["written_at"])) for note in application["notes"]]
    last_event = events[-1] if events else None
    kept = kept or {}
    return render_staff_page(
        request,
        "console_application.html",
        status=status,
        errors=errors or [],
        form=form,
        kept=kept,
        done=done,
        application=application,
        reference=application["reference"],
        incidents=incidents,
        incidents_related=(application.get("facts") or {}).get("incidents_related"),
        decision=decision,
        outcome_title=labels.outcome(decision),
        reasons=reasons,
        assumed=labels.assumed(decision),
        transcript=transcript,
        messages=messages,
        events=events,
        notes=notes,
        last_event=last_event,
        officers=officers,
        staff_events=ev.STAFF_EVENTS,
        event_words=labels.EVENTS,
        grounds=ev.REJECTION_GROUNDS,
        channel_words=labels.CHANNELS.get(application["channel"], application["channel"]),
        status_words=labels.EVENTS.get(application["status"], application["status"]),
        consent_words=labels.consent(bool(application.get("on_behalf")), application.get("consent")),
        long_date=labels.long_date,
        nobody=NOBODY,
        max_note=service.MAX_NOTE_CHARS,
        pdf_href=f"{staff_auth.root_of(request)}staff/api/applications/{application['reference']}/application.pdf",
    )


def _local_time(iso: Optional[str]) -> Optional[str]:
    if not iso:
        return None
    try:
        return staff_auth.london_time(dt.datetime.fromisoformat(iso))
    except ValueError:
        return iso


async def _form(request: web.Request) -> Dict[str, str]:
    """The posted form's text fields (require_officer has already read and checked it)."""
    try:
        form = await request.post()
    except ValueError:
        form = {}
    return {key: value for key, value in form.items() if isinstance(value, str) and key != "csrf_token"}


def _back(request: web.Request, reference: str, done: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{LIST_PATH}/{reference}?{urlencode({'done': done})}", headers=staff_auth.STAFF_HEADERS)


@console_page
async def record_event(request: web.Request) -> web.Response:
    """The command line's `asbcr applications record REF EVENT [--date] [--note]`, from a form:
    the same function, so the same checks and the same messages."""
    reference = service.normalise_reference(request.match_info["reference"])
    form = await _form(request)
    kept = {"event": form.get("event", ""), "date": form.get("date", ""), "note": form.get("note", "")}
    if not kept["event"]:
        error = CaseworkError("choose what happened", field="event")
    else:
        try:
            result = await _run(
                service.record_event, reference, kept["event"], kept["date"].strip() or None, kept["note"] or None
            )
        except (NotFound, StoreUnavailable):
            raise
        except CaseworkError as refused:
            error = refused
        else:
            await _audit(request, "recorded-event", result["reference"], result["event"])
            raise _back(request, result["reference"], "event")
    field = error.field if error.field in ("event", "date", "note") else "event"
    return await _show(request, reference, status=400, errors=[_error(f"event-{field}", str(error))], form="event", kept=kept)


@console_page
async def assign_officer(request: web.Request) -> web.Response:
    reference = service.normalise_reference(request.match_info["reference"])
    form = await _form(request)
    chosen = form.get("officer", "")
    kept = {"officer": chosen}
    if chosen == NOBODY:
        staff_id: Optional[int] = None
    elif re.fullmatch(r"[0-9]{1,9}", chosen):
        staff_id = int(chosen)
    else:
        return await _show(
            request,
            reference,
            status=400,
            form="assign",
            kept=kept,
            errors=[_error("officer", "Choose an officer from the list")],
        )
    try:
        result = await _run(service.assign, reference, staff_id, staff_auth.clock_now(request))
    except (NotFound, StoreUnavailable):
        raise
    except CaseworkError as error:
        return await _show(request, reference, status=400, form="assign", kept=kept, errors=[_error("officer", str(error))])
    assigned = result["assigned_to"]
    await _audit(request, "assigned", result["reference"], assigned["email"] if assigned else NOBODY)
    raise _back(request, result["reference"], "assigned")


@console_page
async def add_note(request: web.Request) -> web.Response:
    reference = service.normalise_reference(request.match_info["reference"])
    form = await _form(request)
    kept = {"text": form.get("text", "")}
    try:
        result = await _run(service.add_note, reference, request[STAFF].member.id, kept["text"], staff_auth.clock_now(request))
    except (NotFound, StoreUnavailable):
        raise
    except CaseworkError as error:
        return await _show(request, reference, status=400, form="note", kept=kept, errors=[_error("note-text", str(error))])
    await _audit(request, "added-note", result["reference"])  # that a note was added; never its words
    raise _back(request, result["reference"], "note")


# --- the figures ----------------------------------------------------------------------


def _year(request: web.Request) -> int:
    """?year=, the April the year starts (default: the current one); CaseworkError otherwise."""
    given = request.query.get("year")
    if given is None or not given.strip():
        return service.current_financial_year()
    if not re.fullmatch(r"[0-9]{4}", given.strip()):
        raise CaseworkError(f"the year must be a year like 2022 (for April 2022 to March 2023), not {given[:20]!r}", field="year")
    year = int(given)
    service.financial_year(year)  # the years the figures can be for
    return year


def figures_block(text: str) -> Markup:
    """The printed figures (service.stats) as the HTML the council pastes on its page: a paragraph
    for each block of lines, a line break between lines. Every character is the printed text's."""
    paragraphs = [block.split("\n") for block in text.split("\n\n") if block.strip()]
    return Markup("\n".join("<p>" + "<br>\n".join(str(escape(line)) for line in lines) + "</p>" for lines in paragraphs) + "\n")


@console_page
async def figures_page(request: web.Request) -> web.Response:
    try:
        year = _year(request)
    except CaseworkError as error:
        return render_staff_page(
            request,
            "console_figures.html",
            status=400,
            year=request.query.get("year", ""),
            errors=[_error("year", str(error))],
            block=None,
            problem=None,
            season=None,
        )
    try:
        text = await _run(service.stats, year)
        source = await _run(service.stats_source, year)
    except StoreUnavailable:
        raise
    except CaseworkError as error:  # a year with published figures and recorded applications
        return render_staff_page(
            request,
            "console_figures.html",
            status=409,
            year=str(year),
            errors=[],
            block=None,
            problem=_sentence(error),
            season=published.season(year),
        )
    return render_staff_page(
        request,
        "console_figures.html",
        year=str(year),
        errors=[],
        block=figures_block(text),
        source=source,
        problem=None,
        season=published.season(year),
        previous_year=year - 1 if year > published.FIRST_YEAR else None,
        next_year=year + 1 if year < service.current_financial_year() else None,
    )


def _download(body: str, content_type: str, name: str) -> web.Response:
    headers = dict(staff_auth.STAFF_HEADERS, **{"Content-Disposition": f'attachment; filename="{name}"'})
    return web.Response(text=body, content_type=content_type, charset="utf-8", headers=headers)


def _plain(status: int, message: str) -> web.Response:
    return web.Response(
        status=status, text=message + "\n", content_type="text/plain", charset="utf-8", headers=staff_auth.STAFF_HEADERS
    )


async def _download_year(request: web.Request):
    try:
        year = _year(request)
        return year, await _run(service.stats_counts, year), await _run(service.stats, year)
    except StoreUnavailable:
        raise
    except CaseworkError as error:
        return None, _plain(400 if error.field == "year" else 409, _sentence(error)), None


@console_page
async def figures_csv(request: web.Request) -> web.Response:
    """The year as one row under the header `asbcr stats import-published` reads."""
    year, counts, _ = await _download_year(request)
    if year is None:
        return counts
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(published.HEADER)
    writer.writerow([year] + [counts[key] for key in published.COUNT_KEYS])
    return _download(out.getvalue(), "text/csv", f"asb-case-review-figures-{published.season(year).replace('/', '-')}.csv")


@console_page
async def figures_html(request: web.Request) -> web.Response:
    year, refused, text = await _download_year(request)
    if year is None:
        return refused
    return _download(
        str(figures_block(text)), "text/html", f"asb-case-review-figures-{published.season(year).replace('/', '-')}.html"
    )


# --- the audit log --------------------------------------------------------------------


@console_page(role=staff.ADMIN)
async def audit_page(request: web.Request) -> web.Response:
    given = request.query.get("page", "1")
    member = request[STAFF].member
    if not re.fullmatch(r"[0-9]{1,6}", given.strip()) or int(given) < 1:
        return render_staff_page(
            request,
            "console_audit.html",
            status=400,
            entries=[],
            page=None,
            pages=0,
            total=0,
            errors=[_error("page", f"The page must be a whole number from 1, not {given[:20]!r}")],
        )
    page = int(given)
    total = await _run(staff.audit_count, member)
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    if page > pages:
        return render_staff_page(
            request,
            "console_audit.html",
            status=404,
            entries=[],
            page=None,
            pages=pages,
            total=total,
            errors=[_error("page", f"There are only {pages} pages")],
        )
    entries = await _run(staff.audit_log, member, limit=AUDIT_PAGE_SIZE, offset=(page - 1) * AUDIT_PAGE_SIZE)
    for entry in entries:
        entry["when"] = _local_time(entry["at"])
    return render_staff_page(request, "console_audit.html", entries=entries, page=page, pages=pages, total=total, errors=[])
