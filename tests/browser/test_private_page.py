"""The resident's private page in a real browser: it wears the service's GOV.UK Frontend styles
under its own Content-Security-Policy (no script; its one stylesheet from the service itself),
"Delete my details" works under that policy (its form may post to the page's own origin only)
and removes the details, and the link stops working."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from casework import db, service
from chat_helpers import serious_axe_violations


@pytest.fixture
def application(fake_site, monkeypatch):
    """An application in the page server's own store (its var/)."""
    monkeypatch.setenv("ASBCR_VAR", str(fake_site.var))
    monkeypatch.setenv(
        "ASBCR_DATABASE_URL", fake_site.env.get("ASBCR_DATABASE_URL") or f"sqlite:///{fake_site.var / 'applications.db'}"
    )
    monkeypatch.setenv("ASBCR_PUBLIC_URL", f"http://localhost:{fake_site.web_port}")
    created = service.create_application(
        {
            "channel": "chat",
            "applicant": {"name": "Jo Bloggs", "email": "jo@example.org"},
            "facts": {"incidents": []},
            "description": "Music every night.",
            "impact": "No sleep.",
        },
        idempotency_key="chat:browser-resident",
    )
    yield created
    db.dispose_all()


def test_delete_my_details_removes_them_and_the_link_stops_working(page: Page, application):
    page.goto(application["private_url"])
    expect(page.get_by_text("Jo Bloggs")).to_be_visible()
    page.get_by_role("button", name="Delete my details").click()
    expect(page.get_by_role("heading", name="Your details have been removed")).to_be_visible()
    assert "Jo Bloggs" not in page.content()
    shown = service.get_application(application["reference"])
    assert shown["applicant"]["name"] is None and shown["events"][-1]["event"] == "resident-erased"
    response = page.goto(application["private_url"])
    assert response.status == 404


def test_the_page_wears_the_services_styles_under_its_own_policy(page: Page, application):
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None)
    stylesheet = []
    page.on("response", lambda response: stylesheet.append(response.status) if response.url.endswith("/vendor/app.css") else None)
    page.goto(application["private_url"])
    panel = page.locator(".govuk-panel--confirmation")
    expect(panel).to_be_visible()
    # GOV.UK's confirmation panel is coloured with white text: only the stylesheet makes it so.
    colours = panel.evaluate("element => [getComputedStyle(element).backgroundColor, getComputedStyle(element).color]")
    assert colours[0] not in ("rgba(0, 0, 0, 0)", "transparent") and colours[1] == "rgb(255, 255, 255)"
    assert stylesheet == [200] and refused == []
    expect(page.get_by_role("link", name="Download your application (PDF)")).to_have_attribute(
        "href", f"{application['token']}/application.pdf"
    )


@pytest.mark.axe
def test_no_serious_accessibility_problems_on_the_page_and_after_forget_me(page: Page, application):
    page.goto(application["private_url"])
    assert serious_axe_violations(page) == []
    page.get_by_role("button", name="Delete my details").click()
    expect(page.get_by_role("heading", name="Your details have been removed")).to_be_visible()
    assert serious_axe_violations(page) == []
