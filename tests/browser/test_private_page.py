"""The resident's private page in a real browser: "Delete my details" works under the page's own
Content-Security-Policy (its form may post to the page's own origin only) and removes the
details, and the link stops working."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from casework import db, service


@pytest.fixture
def application(fake_site, monkeypatch):
    """An application in the page server's own store (its var/)."""
    monkeypatch.setenv("ASBCR_VAR", str(fake_site.var))
    monkeypatch.setenv("ASBCR_DATABASE_URL", fake_site.env.get("ASBCR_DATABASE_URL")
                       or f"sqlite:///{fake_site.var / 'applications.db'}")
    monkeypatch.setenv("ASBCR_PUBLIC_URL", f"http://localhost:{fake_site.web_port}")
    created = service.create_application({
        "channel": "chat", "applicant": {"name": "Jo Bloggs", "email": "jo@example.org"},
        "facts": {"incidents": []}, "description": "Music every night.", "impact": "No sleep.",
    }, idempotency_key="chat:browser-resident")
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
