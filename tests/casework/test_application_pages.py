"""The resident's private page and PDF, and the staff API (web/applications.py, on casework's
store), through aiohttp's test client.

pytest-asyncio is not a dependency: each test drives its own event loop (tests.run_async).
"""

from __future__ import annotations

import io
import re

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from tests.run_async import run_async
from pypdf import PdfReader

from casework import service
from casework.db import transaction
from casework.models import Application
from web.applications import add_routes

STAFF_TOKEN = "s3cret-staff-token-for-tests"


def run(scenario):
    """Start the routes on a test server, run `scenario(client)`, return its result."""

    async def main():
        app = web.Application()
        add_routes(app)
        async with TestClient(TestServer(app)) as client:
            return await scenario(client)

    return run_async(main())


def staff(token=STAFF_TOKEN):
    return {"Authorization": f"Bearer {token}"}


def test_the_private_link_shows_the_summary_and_the_pdf(store, make_application):
    created = service.create_application(make_application())
    path = f"/application/{created['token']}"
    assert created["private_url"].endswith(path)

    async def scenario(client):
        page = await client.get(path)
        html = await page.text()
        pdf = await client.get(f"{path}/application.pdf")
        return page, html, pdf, await pdf.read()

    page, html, pdf, content = run(scenario)
    assert page.status == 200
    assert page.content_type == "text/html"
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in page.headers["X-Robots-Tag"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "script-src" not in page.headers["Content-Security-Policy"]  # no script runs on it
    assert '<html lang="en-GB" class="govuk-template">' in html
    # GOV.UK Frontend, from the service's own build, found from the page's own place
    assert '<link rel="stylesheet" href="../vendor/app.css">' in html
    assert '<h1 class="govuk-panel__title">Your Anti-social Behaviour Case Review application</h1>' in html
    assert "Erewash Community Safety Partnership" in html and "0115 907 2274" in html  # the decision's partnership
    assert created["reference"] in html
    assert "27 November 2026" in html  # acknowledge by
    assert "Jo Bloggs" in html and "2 September 2026" in html
    assert created["decision"]["summary"] in html
    # The download link is relative to the page, so it also works behind a path prefix.
    assert f'href="{created["token"]}/application.pdf"' in html

    assert pdf.status == 200
    assert pdf.content_type == "application/pdf"
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="{created["reference"]}.pdf"'
    assert pdf.headers["Cache-Control"] == "no-store"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert created["reference"] in text and "Jo Bloggs" in text


@pytest.mark.parametrize("suffix", ["", "/application.pdf"])
def test_a_wrong_token_is_a_plain_not_found(store, make_application, suffix):
    created = service.create_application(make_application())
    wrong = created["token"][:-1] + ("A" if created["token"][-1] != "A" else "B")

    async def scenario(client):
        answers = []
        for token in (wrong, "short", "x" * 43, created["reference"], "%3Cscript%3E"):
            response = await client.get(f"/application/{token}{suffix}")
            answers.append((response.status, response.content_type, await response.text()))
        return answers

    for status, content_type, body in run(scenario):
        assert (status, content_type, body) == (404, "text/plain", "Not found")


def test_the_page_escapes_everything_it_shows(store, make_application):
    created = service.create_application(
        make_application(
            applicant={"name": "<script>alert('x')</script>", "email": "jo@example.org"},
            facts={"incidents": [{"date": "2026-11-01", "reported_to": ["police"], "reference": "<img src=x onerror=alert(1)>"}]},
        )
    )

    async def scenario(client):
        response = await client.get(f"/application/{created['token']}")
        return await response.text()

    html = run(scenario)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def _decided_by(reference, name):
    """Make the stored decision name another partnership's rule set (or none), as if it had made it."""
    with transaction() as session:
        row = session.execute(select(Application).where(Application.reference == reference)).scalar_one()
        rule_set = dict(row.decision["rule_set"])
        if name is None:
            del rule_set["name"]
        else:
            rule_set["name"] = name
        row.decision = dict(row.decision, rule_set=rule_set)


def test_the_page_and_the_page_after_forget_me_name_the_partnership_that_decided(store, make_application):
    created = service.create_application(make_application())
    _decided_by(created["reference"], "testshire")
    path = f"/application/{created['token']}"

    async def scenario(client):
        page = await client.get(path)
        html = await page.text()
        form_token = re.search(r'name="form_token" value="([0-9a-f]+)"', html).group(1)
        forgotten = await client.post(f"{path}/forget", data={"form_token": form_token})
        return page.status, html, forgotten.status, await forgotten.text()

    status, html, forgotten_status, forgotten = run(scenario)
    assert status == 200 and forgotten_status == 200
    for shown in (html, forgotten):
        assert "Testshire Community Safety Partnership" in shown and "01632 960000" in shown
        assert "Erewash Community Safety Partnership" not in shown and "0115 907 2274" not in shown
    assert "Your details have been removed" in forgotten and created["reference"] in forgotten
    assert '<link rel="stylesheet" href="../../vendor/app.css">' in forgotten  # served at .../forget


@pytest.mark.parametrize("name", [None, "atlantis"])
def test_a_decision_naming_no_known_partnership_is_refused_not_given_a_default(store, make_application, caplog, name):
    created = service.create_application(make_application())
    _decided_by(created["reference"], name)

    async def scenario(client):
        page = await client.get(f"/application/{created['token']}")
        pdf = await client.get(f"/application/{created['token']}/application.pdf")
        return page.status, await page.text(), pdf.status

    status, body, pdf_status = run(scenario)
    assert (status, pdf_status) == (503, 503)
    assert "Erewash" not in body and "not available" in body
    assert "rule_set.name" in caplog.text if name is None else "'atlantis'" in caplog.text


def test_an_anonymised_application_no_longer_opens(store, make_application, monkeypatch):
    created = service.create_application(make_application(received="2020-06-01", facts={}))
    service.record_event(created["reference"], "withdrawn", "2020-06-02")
    service.apply_retention(12)

    async def scenario(client):
        response = await client.get(f"/application/{created['token']}")
        return response.status

    assert run(scenario) == 404


@pytest.mark.parametrize(
    "configured, headers, status",
    [
        # Without a session the API answers 401 (CONTRACT.md, Staff console); with no staff token
        # configured no token opens it.
        (None, {}, 401),
        (None, staff(), 401),  # even with a token offered
        (None, staff(""), 401),  # nor an empty one
        (STAFF_TOKEN, {}, 401),  # no credentials
        (STAFF_TOKEN, staff("wrong"), 401),  # wrong token
        (STAFF_TOKEN, staff(STAFF_TOKEN[:-1]), 401),  # a prefix is not enough
        (STAFF_TOKEN, {"Authorization": STAFF_TOKEN}, 401),  # not a Bearer header
        (STAFF_TOKEN, {"Authorization": f"Basic {STAFF_TOKEN}"}, 401),
    ],
)
def test_staff_api_is_closed_without_a_session_or_the_staff_token(
    store, make_application, monkeypatch, configured, headers, status
):
    created = service.create_application(make_application())
    if configured:
        monkeypatch.setenv("ASBCR_STAFF_TOKEN", configured)

    async def scenario(client):
        results = []
        for method, path in [
            ("GET", "/staff/api/applications"),
            ("GET", f"/staff/api/applications/{created['reference']}"),
            ("GET", f"/staff/api/applications/{created['reference']}/application.pdf"),
            ("POST", f"/staff/api/applications/{created['reference']}/events"),
            ("GET", "/staff/api/stats?year=2026"),
        ]:
            response = await client.request(method, path, headers=headers, json={"event": "threshold-met"})
            results.append((response.status, await response.text()))
        return results

    for response_status, body in run(scenario):
        assert response_status == status
        assert "Jo Bloggs" not in body and created["reference"] not in body
    # Nothing was recorded by the refused POST.
    assert service.get_application(created["reference"])["status"] == "received"


def test_staff_api_lists_shows_records_and_counts(store, make_application, monkeypatch):
    monkeypatch.setenv("ASBCR_STAFF_TOKEN", STAFF_TOKEN)
    first = service.create_application(make_application(received="2026-05-01", channel="paper", facts={}))
    second = service.create_application(make_application())

    async def scenario(client):
        out = {}
        response = await client.get("/staff/api/applications", headers=staff())
        out["list"] = (response.status, await response.json())
        response = await client.get("/staff/api/applications?status=received&year=2026&channel=paper", headers=staff())
        out["filtered"] = (response.status, await response.json())
        response = await client.get(f"/staff/api/applications/{second['reference'].lower()}", headers=staff())
        out["show"] = (response.status, await response.json())
        response = await client.post(
            f"/staff/api/applications/{second['reference']}/events",
            headers=staff(),
            json={"event": "review-held", "date": "2026-11-24"},
        )
        out["out_of_order"] = (response.status, await response.json())
        response = await client.post(
            f"/staff/api/applications/{second['reference']}/events",
            headers=staff(),
            json={"event": "threshold-met", "date": "2026-11-24"},
        )
        out["recorded"] = (response.status, await response.json())
        response = await client.post(f"/staff/api/applications/{second['reference']}/events", headers=staff(), data="not json")
        out["bad_body"] = (response.status, await response.json())
        response = await client.get("/staff/api/applications/ASBCR-2026-0099", headers=staff())
        out["missing"] = (response.status, await response.json())
        response = await client.get("/staff/api/applications?year=next", headers=staff())
        out["bad_year"] = (response.status, await response.json())
        response = await client.get("/staff/api/stats?year=2026", headers=staff())
        out["stats"] = (response.status, await response.json())
        response = await client.get(f"/staff/api/applications/{first['reference']}/application.pdf", headers=staff())
        out["pdf"] = (response.status, response.content_type)
        return out

    out = run(scenario)
    assert out["list"][0] == 200
    assert [row["reference"] for row in out["list"][1]["applications"]] == [second["reference"], first["reference"]]
    assert [row["reference"] for row in out["filtered"][1]["applications"]] == [first["reference"]]
    status, shown = out["show"]
    assert status == 200 and shown["reference"] == second["reference"] and shown["applicant"]["name"] == "Jo Bloggs"
    assert out["out_of_order"][0] == 400 and "threshold-met first" in out["out_of_order"][1]["error"]
    assert out["recorded"] == (
        201,
        {"reference": second["reference"], "event": "threshold-met", "date": "2026-11-24", "status": "threshold-met"},
    )
    assert out["bad_body"][0] == 400
    assert out["missing"] == (404, {"error": "no application with reference ASBCR-2026-0099"})
    assert out["bad_year"][0] == 400
    status, stats = out["stats"]
    assert status == 200 and stats["counts"]["received"] == 2
    assert stats["text"] == service.stats(2026)
    assert out["pdf"] == (200, "application/pdf")
