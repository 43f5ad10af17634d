"""Driving the chat page like a resident: read what is asked, answer it by typing or clicking.

The page marks every bot message that asks for a fact with `data-ask` (CONTRACT.md names), a
decision with `data-outcome` and an application confirmation with `data-reference`. The
helpers answer whatever is asked now, so the tests do not depend on the order of questions.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Dict, List, Optional

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("ASBCR_CHROMIUM", "/usr/bin/chromium")
# No download, no phoning home: the tests must pass on a machine without internet.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_SCRIPT = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
# Playwright answers faster than any resident: the relay's rate limits (web/limits.py) are for
# people, so the page under test gets a table no test reaches; tests/test_web_limits.py tests the limits.
MACHINE_SPEED_LIMITS = {"ASBCR_WEB_RATE_LIMITS": "client=100000/10000,conversation=100000/10000,applications=100000/10000"}
TODAY = "2026-11-25"  # ASBCR_TODAY for the real bot; the dates below are relative to it
REPLY_TIMEOUT_MS = 90_000  # the real bot's first turn loads its pipeline

# Typed answers, by the question asked. Goal-specific ones are in GOALS.
TYPED: Dict[str, str] = {
    "concern": "My neighbours play loud music every night and shout at us in the street",
    "emergency": "no",
    "asb_ongoing": "yes, it's still happening",
    "reported": "yes I rang the police",
    "reported_to": "the police and the council",
    "incident_count": "4",
    "incident_dates": "12 Sep, 3 Oct, 20 Oct and 1 Nov 2026",
    "incidents_related": "yes",
    "on_behalf": "no, it's just for me",
    "consent": "yes",
    "complaint_completed": "no",
    "complained_about": "the council",
    "previous_review": "no",
    "applicant_name": "Jo Bloggs",
    "applicant_email": "jo@example.org",
    "applicant_phone": "07700 900123",
    "address": "12 Station Road, Ilkeston DE7 5AB",
    "victim_name": "Sam Bloggs",
    "description": "Two men at number 14 play loud music after midnight and shout abuse when we ask them to stop.",
    "impact": "We cannot sleep, my son is scared to walk home and my health has suffered.",
    "confirm": "yes",
    "check": "yes, that's right",
}

# The button to click, by the question asked: a pattern for its title.
CLICKED: Dict[str, str] = {
    "concern": r"^Anti-social behaviour",
    "emergency": r"^No",
    "asb_ongoing": r"^Yes",
    "reported": r"^Yes",
    "reported_to": r"^The police",
    "incidents_related": r"^Yes",
    "on_behalf": r"^No|myself",
    "consent": r"^Yes",
    "complaint_completed": r"^No",
    "complained_about": r"^The council",
    "previous_review": r"^No",
    "confirm": r"^Yes",
    "check": r"^Yes, that's right",
}

GOALS = {
    "apply": {"typed": {}, "clicked": {}},
    # Nothing reported: "no" to whether it was, or "nobody yet" to who it was reported to.
    "report_first": {
        "typed": {"reported": "no, not yet", "reported_to": "nobody yet"},
        "clicked": {"reported": r"^No", "reported_to": r"^Nobody yet"},
    },
}


def wait_for_reply(page: Page, timeout: float = REPLY_TIMEOUT_MS) -> None:
    """Until the bot has answered: no typing indicator, no message still sending."""
    page.wait_for_function(
        "() => document.querySelector('#typing').hidden && !document.querySelector('.chat-message--sending')",
        timeout=timeout,
    )


def open_chat(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#transcript li.chat-message--bot", timeout=REPLY_TIMEOUT_MS)
    wait_for_reply(page)


def send_text(page: Page, text: str) -> None:
    page.fill("#message", text)
    page.press("#message", "Enter")
    wait_for_reply(page)


def choice_titles(page: Page) -> List[str]:
    return [t.strip() for t in page.locator("#choices button").all_inner_texts()]


def click_choice(page: Page, pattern: str) -> str:
    button = page.locator("#choices button").filter(has_text=re.compile(pattern, re.I)).first
    title = button.inner_text().strip()
    button.click()
    wait_for_reply(page)
    return title


def state(page: Page) -> dict:
    """What the page shows now: the open question, the latest decision and application."""
    return page.evaluate("""() => {
        const items = Array.from(document.querySelectorAll('#transcript > li'));
        const last = items[items.length - 1];
        const decisions = document.querySelectorAll('#transcript li[data-outcome]');
        const application = document.querySelector('#transcript li[data-reference]');
        return {
            ask: last && last.classList.contains('chat-message--bot') ? (last.dataset.ask || null) : null,
            outcome: decisions.length ? decisions[decisions.length - 1].dataset.outcome : null,
            reference: application ? application.dataset.reference : null,
            last_text: last ? last.innerText : '',
            choices: Array.from(document.querySelectorAll('#choices button')).map(b => b.dataset.payload),
        };
    }""")


def reload_and_check(page: Page) -> None:
    """Reloads the page and checks that the conversation is still there, question and all."""
    before, ask = page.locator("#transcript").inner_text(), state(page)["ask"]
    page.reload()
    page.wait_for_selector("#transcript li.chat-message--bot", timeout=REPLY_TIMEOUT_MS)
    wait_for_reply(page)
    after = page.locator("#transcript").inner_text()
    assert after == before, f"the conversation changed on reload:\n{before}\n---\n{after}"
    assert state(page)["ask"] == ask


def hold_conversation(
    page: Page, goal: str, by: str, max_turns: int = 40, stop_at_decision: bool = False, reload_after: Optional[int] = None
) -> List[str]:
    """Answers every question (by 'typing' or 'clicking') until `goal` is reached; returns the asks seen.

    For `apply` that is the application's confirmation (reference shown), unless
    `stop_at_decision`; for any other outcome, its decision panel. With `reload_after`,
    the page is reloaded after that many answers and must show the same conversation.
    """
    asked: List[str] = []
    for _ in range(max_turns):
        if reload_after is not None and len(asked) == reload_after:
            reload_and_check(page)
        now = state(page)
        if goal == "apply" and now["reference"]:
            return asked
        if (goal != "apply" or stop_at_decision) and now["outcome"] == goal:
            return asked
        if now["outcome"] and now["outcome"] != goal:
            raise AssertionError(f"reached {now['outcome']!r}, not {goal!r}, after {asked}")
        ask = now["ask"]
        if ask is None:
            # The bot's own "Yes, start my application", or the decision panel's button when it sent none.
            start = page.locator("#choices button:not([disabled]), .govuk-panel__actions button:not([disabled])").filter(
                has_text=re.compile(r"start (my|your) application", re.I)
            )
            if now["outcome"] == "apply" and start.count():
                # The decision offers the application: take it.
                if by == "clicking":
                    start.first.click()
                    wait_for_reply(page)
                else:
                    send_text(page, "yes please, start my application")
                asked.append("(start application)")
                continue
            raise AssertionError(f"no question open and no {goal!r} yet; the bot last said: {now['last_text']!r}")
        asked.append(ask)
        clicked = {**CLICKED, **GOALS[goal]["clicked"]}
        typed = {**TYPED, **GOALS[goal]["typed"]}
        if by == "clicking" and ask in clicked and choice_titles(page):
            click_choice(page, clicked[ask])
        elif ask in typed:
            send_text(page, typed[ask])
        else:
            raise AssertionError(f"the test has no answer for ask={ask!r}")
    raise AssertionError(f"{goal!r} not reached in {max_turns} turns; asked: {asked}")


def serious_axe_violations(page: Page) -> List[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def no_horizontal_scroll(page: Page) -> Optional[str]:
    """None when nothing is wider than the viewport; else what sticks out."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth <= width) return null;
        const wide = Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > width + 1)
            .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + e.className);
        return `page is ${document.documentElement.scrollWidth}px wide in ${width}px: ${wide.slice(0, 5).join(', ')}`;
    }""")


def expect_literal_text(page: Page, selector: str, text: str) -> None:
    expect(page.locator(selector).filter(has_text=text).first).to_be_visible()
