"""Whole conversations with the real bot (Rasa, the action server, the rule set) in a browser.

Runs the stack exactly as `make run` does (asbcr.stack) with ASBCR_TODAY=2026-11-25, and
answers whatever the bot asks (by `data-ask`), by typing or by clicking, to `apply` (the
application sent, its reference and private link shown) and to `report_first`.
"""

from __future__ import annotations

import os
import re
from typing import Iterator

import pytest
from playwright.sync_api import Page, expect

from asbcr.stack import DEFAULT_MODEL, Stack, free_port
from chat_helpers import MACHINE_SPEED_LIMITS, TODAY, TYPED, hold_conversation, open_chat

pytestmark = pytest.mark.skipif(
    not DEFAULT_MODEL.exists(),
    reason=f"no trained model at {DEFAULT_MODEL}: run `make train` (make test does) to hold whole conversations",
)


@pytest.fixture(scope="module")
def real_site(built_assets, tmp_path_factory) -> Iterator[Stack]:
    env = dict(os.environ, ASBCR_TODAY=TODAY, **MACHINE_SPEED_LIMITS)
    for shared_store in ("ASBCR_TRACKER_URL", "ASBCR_LOCK_URL", "ASBCR_DATABASE_URL"):
        env.pop(shared_store, None)  # this run's own SQLite files under its var/
    stack = Stack(
        rasa_port=free_port(),
        actions_port=free_port(),
        web_port=free_port(),
        var=tmp_path_factory.mktemp("real-bot-var"),
        env=env,
    )
    stack.start()
    yield stack
    stack.stop()


def user_bubbles(page: Page):
    return [t.strip() for t in page.locator("#transcript li.chat-message--user .chat-message__text").all_inner_texts()]


@pytest.mark.parametrize("by", ["typing", "clicking"])
def test_conversation_to_apply_sends_the_application(page: Page, real_site: Stack, by: str):
    open_chat(page, real_site.web_url)
    asked = hold_conversation(page, "apply", by=by, reload_after=4)
    # The bot asks only what could change the outcome, checks what it understood, then takes the application.
    assert {"reported_to", "incident_dates", "check", "applicant_name", "confirm"} <= set(asked), asked
    assert asked.index("check") < asked.index("applicant_name"), asked

    decision = page.locator("li.chat-decision[data-outcome='apply']")
    expect(decision.locator(".govuk-panel__title")).to_have_text("You can apply for an ASB case review")
    expect(decision.locator("ul li").first).to_be_visible()  # at least one reason, in words
    application = page.locator("li.chat-application")
    expect(application.locator(".govuk-panel__title")).to_have_text("Application sent")
    reference = application.get_attribute("data-reference")
    assert reference and reference in application.inner_text()
    expect(application).to_contain_text(re.compile(r"confirm they have received it by \d{1,2} \w+ 2026"))
    link = application.locator("a.chat-application__link")
    if link.count():  # the private page, when casework serves it
        response = page.request.get(link.get_attribute("href"))
        assert response.status == 200 and reference in response.text()

    bubbles = user_bubbles(page)
    if by == "typing":
        assert TYPED["applicant_name"] in bubbles and TYPED["incident_dates"] in bubbles
    else:
        assert "Anti-social behaviour that keeps happening" in bubbles


@pytest.mark.parametrize("by", ["typing", "clicking"])
def test_conversation_to_report_first_says_how_to_report(page: Page, real_site: Stack, by: str):
    open_chat(page, real_site.web_url)
    asked = hold_conversation(page, "report_first", by=by, reload_after=2)
    assert "reported_to" in asked and "check" in asked, asked

    decision = page.locator("li.chat-decision[data-outcome='report_first']")
    expect(decision.locator(".govuk-panel__title")).to_have_text("Report the anti-social behaviour first")
    steps = decision.locator(".chat-decision__steps")
    expect(steps.locator("li").first).to_be_visible()
    # The next steps' web addresses and phone numbers are working links.
    hrefs = steps.locator("a").evaluate_all("links => links.map(a => a.href)")
    assert hrefs and all(re.match(r"^(https?://|tel:|mailto:)", h) for h in hrefs), hrefs
    expect(page.locator("li.chat-application")).to_have_count(0)
