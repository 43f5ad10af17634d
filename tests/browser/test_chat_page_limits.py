"""What a resident sees when the relay's rate limit (web/limits.py) refuses a message: the
relay's kind words and the phone number, as for a 503, with what they typed still in the box."""

from __future__ import annotations

import os
from typing import Iterator

import pytest
from playwright.sync_api import Page, expect

from asbcr.stack import Stack, free_port
from chat_helpers import open_chat, send_text


@pytest.fixture(scope="module")
def limited_site(fake_bot, built_assets, tmp_path_factory) -> Iterator[Stack]:
    """The real page server with a conversation allowed two messages and then, in practice,
    none (a token back every 1000 s): the opening message and one answer."""
    env = dict(os.environ, ASBCR_WEB_RATE_LIMITS="conversation=2/0.001")
    stack = Stack(
        with_rasa=False,
        with_actions=False,
        with_web=True,
        rasa_port=fake_bot.port,
        web_port=free_port(),
        var=tmp_path_factory.mktemp("limited-var"),
        env=env,
    )
    stack.start()
    yield stack
    stack.stop()


def test_a_refused_message_is_explained_and_kept_in_the_box(page: Page, limited_site, fake_bot):
    open_chat(page, limited_site.web_url)  # the opening message: the first of two
    send_text(page, "Loud music every night")  # the second
    page.fill("#message", "And shouting in the street")
    page.press("#message", "Enter")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("sent several messages very quickly")
    expect(summary).to_contain_text("nothing you wrote has been lost")
    expect(summary).to_contain_text("0115 907 2274")
    expect(page.locator("#message")).to_have_value("And shouting in the street")
    expect(page.locator("#transcript li.chat-message--user")).to_have_count(1)
    assert page.evaluate("() => document.activeElement.id") == "problem"
    sender = page.evaluate("() => sessionStorage.getItem('asbcr.chat.sender')")
    assert fake_bot.messages_from(sender) == ["/greet", "Loud music every night"]  # the refused one never reached it
