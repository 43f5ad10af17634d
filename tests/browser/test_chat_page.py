"""The chat page in a real browser, against the fake bot (fast, deterministic).

The whole conversations with the real bot are in test_chat_page_real_bot.py.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from chat_helpers import (
    TYPED,
    choice_titles,
    click_choice,
    hold_conversation,
    no_horizontal_scroll,
    open_chat,
    reload_and_check,
    send_text,
    serious_axe_violations,
    state,
    wait_for_reply,
)

INJECTION = "<img src=x onerror=alert(1)>"


def sender_id(page: Page) -> str:
    return page.evaluate("() => sessionStorage.getItem('asbcr.chat.sender')")


def test_start_page_explains_the_review_and_opens_the_conversation(page: Page, fake_site, problems):
    open_chat(page, fake_site.web_url)
    # Opening the conversation does not pull focus away from the introduction.
    assert page.evaluate("() => document.activeElement === document.body")

    expect(page.locator("h1")).to_have_text("Ask for an anti-social behaviour case review")
    expect(page.locator(".govuk-phase-banner")).to_contain_text("Beta")
    expect(page.locator(".govuk-warning-text").first).to_contain_text("call 999")
    page.get_by_text("What a case review is, and what it is not").click()
    expect(page.locator("#about-review")).to_contain_text("a complaint about how staff treated you")
    expect(page.get_by_role("button", name="Start again")).to_be_visible()
    expect(page.get_by_role("button", name="Emergency Leave this site")).to_be_visible()
    expect(page.get_by_role("link", name="make a complaint to Erewash Borough Council")).to_have_attribute(
        "href", re.compile(r"^https://www\.erewash\.gov\.uk/.*complain")
    )
    expect(page.locator("#contact")).to_contain_text("Ilkeston Town Hall")
    expect(page.get_by_role("link", name="0115 907 2274")).to_have_attribute("href", "tel:01159072274")

    # The bot spoke first (the page sent the opening message without showing it).
    expect(page.locator("#transcript li.chat-message--user")).to_have_count(0)
    expect(page.locator("#transcript li[data-ask='concern']")).to_contain_text("What would you like help with?")
    expect(page.locator("#choices button")).to_have_count(2)
    # Everything came from this machine: no CDN, no fonts or scripts from elsewhere.
    assert problems.outside_requests == []


def test_page_assets_are_served_locally_with_a_strict_policy(page: Page, fake_site):
    response = page.goto(fake_site.web_url)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["referrer-policy"] == "no-referrer"
    for asset in ("vendor/app.css", "vendor/govuk-frontend.min.js", "static/chat.js"):
        assert page.request.get(fake_site.web_url + asset).status == 200, asset
    # The council's own typeface, not GOV.UK's licensed GDS Transport.
    font = page.evaluate("() => getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "arial" in font.lower() and "GDS Transport" not in font


def test_clicking_through_to_apply_then_sending_the_application(page: Page, fake_site, fake_bot):
    open_chat(page, fake_site.web_url)
    title = click_choice(page, "^Anti-social behaviour")
    # The resident's bubble shows the button's title; the bot received its payload.
    expect(page.locator("#transcript li.chat-message--user").last).to_contain_text(title)
    assert fake_bot.messages_from(sender_id(page))[-1] == "anti-social behaviour that keeps happening"

    asked = hold_conversation(page, "apply", by="clicking")
    assert asked[:4] == ["emergency", "asb_ongoing", "reported", "reported_to"]

    decision = page.locator("li.chat-decision[data-outcome='apply']")
    expect(decision.locator(".govuk-panel__title")).to_have_text("You can apply for an ASB case review")
    # The bot's summary only repeats the title here, so the panel does not say it twice.
    expect(decision.locator(".govuk-panel__body")).to_have_count(0)
    expect(decision).to_contain_text("You reported 3 related incidents since 25 May 2026")
    expect(decision.locator(".govuk-summary-list")).to_contain_text("Reported incidents that count")
    application = page.locator("li.chat-application")
    expect(application.locator(".govuk-panel__title")).to_have_text("Application sent")
    expect(application).to_contain_text("ASB-2026-0007")
    expect(application).to_contain_text("2 December 2026")
    link = application.get_by_role("link", name="your application (private link)")
    expect(link).to_have_attribute("href", f"{fake_site.web_url}application/test-token-123")
    # Focus moved to the confirmation, so a screen reader reads it next.
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Application sent"


def test_typing_to_report_first_shows_the_decision_with_working_links(page: Page, fake_site):
    open_chat(page, fake_site.web_url)
    send_text(page, "People keep kicking my door at night")
    expect(page.locator("#transcript li.chat-message--user").last).to_have_text(
        re.compile("People keep kicking my door at night")
    )
    send_text(page, "no")
    send_text(page, "yes")
    send_text(page, "no, not yet")
    assert state(page)["ask"] == "check"
    send_text(page, "yes, that's right")

    decision = page.locator("li.chat-decision[data-outcome='report_first']")
    expect(decision.locator(".govuk-panel__title")).to_have_text("Report the anti-social behaviour first")
    expect(decision.locator(".govuk-panel__body")).to_have_text(
        "Report the anti-social behaviour first: a case review looks at reports that were made."
    )
    expect(decision).to_contain_text("You have not reported any incident")
    steps = decision.locator(".chat-decision__steps")
    # A URL and phone numbers in the next steps are links; the sentence's full stop is not part of the URL.
    expect(steps.get_by_role("link", name="https://www.erewash.gov.uk/general-enquiries.html")).to_have_attribute(
        "href", "https://www.erewash.gov.uk/general-enquiries.html"
    )
    expect(steps.get_by_role("link", name="0115 907 2274")).to_have_attribute("href", "tel:01159072274")
    # What the rule set assumed, in words, each once.
    expect(decision.locator(".govuk-summary-list")).to_have_text(
        re.compile(r"we assumed\s*the incidents are about the same problem; each incident was reported on the day it happened$")
    )
    assert page.evaluate("() => document.activeElement.classList.contains('govuk-panel__title')")


def test_html_from_the_resident_and_the_bot_shows_as_text(page: Page, fake_site):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_chat(page, fake_site.web_url)
    send_text(page, INJECTION)

    mine = page.locator("#transcript li.chat-message--user .chat-message__text").last
    expect(mine).to_have_text(INJECTION)
    # The fake bot repeats it back: that is shown as text too.
    echoed = page.locator("#transcript li.chat-message--bot .chat-message__text").filter(has_text="You told me")
    expect(echoed).to_have_text(f'You told me: "{INJECTION}". Thank you.')
    assert page.locator("#transcript img").count() == 0
    page.reload()
    wait_for_reply(page)
    expect(page.locator("#transcript li.chat-message--user .chat-message__text").last).to_have_text(INJECTION)
    assert page.locator("#transcript img").count() == 0
    assert dialogs == []


def test_reload_keeps_the_conversation_and_start_again_begins_a_new_one(page: Page, fake_site, fake_bot):
    open_chat(page, fake_site.web_url)
    click_choice(page, "^Anti-social behaviour")
    click_choice(page, "^No")
    before = page.locator("#transcript").inner_text()
    first_sender = sender_id(page)

    page.reload()
    wait_for_reply(page)
    assert page.locator("#transcript").inner_text() == before
    assert sender_id(page) == first_sender
    assert state(page)["ask"] == "asb_ongoing"
    # The conversation carries on where it was.
    click_choice(page, "^Yes")
    assert state(page)["ask"] == "reported"
    assert fake_bot.messages_from(first_sender) == [
        "/greet",
        "anti-social behaviour that keeps happening",
        "no",
        "yes, it's still happening",
    ]

    page.get_by_role("button", name="Start again").click()
    page.wait_for_function("() => document.querySelectorAll('#transcript li').length === 2")
    wait_for_reply(page)
    new_sender = sender_id(page)
    assert new_sender != first_sender
    expect(page.locator("#transcript li.chat-message--user")).to_have_count(0)
    assert state(page)["ask"] == "concern"
    assert fake_bot.messages_from(new_sender) == ["/greet"]
    for _ in range(50):  # the old conversation's restart is sent without waiting for it
        if "/restart" in fake_bot.messages_from(first_sender):
            break
        page.wait_for_timeout(100)
    assert fake_bot.messages_from(first_sender)[-1] == "/restart"
    assert page.evaluate("() => document.activeElement.id") == "conversation-heading"


def test_when_the_bot_cannot_be_reached_the_page_says_so_and_keeps_the_message(page: Page, fake_site, fake_bot):
    open_chat(page, fake_site.web_url)
    fake_bot.stop()
    try:
        page.fill("#message", "Loud music every night")
        page.press("#message", "Enter")
        summary = page.locator(".govuk-error-summary")
        expect(summary).to_contain_text("There is a problem")
        expect(summary).to_contain_text("cannot be reached")
        expect(summary).to_contain_text("0115 907 2274")
        expect(page.locator("#message")).to_have_value("Loud music every night")
        expect(page.locator("#transcript li.chat-message--user")).to_have_count(0)
        assert page.evaluate("() => document.activeElement.id") == "problem"
    finally:
        fake_bot.start()
    page.get_by_role("button", name="Send").click()
    wait_for_reply(page)
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(page.locator("#transcript li.chat-message--user").last).to_contain_text("Loud music every night")
    expect(page.locator("#message")).to_have_value("")


def test_an_unreachable_bot_at_the_start_offers_to_try_again(page: Page, fake_site, fake_bot):
    fake_bot.stop()
    try:
        page.goto(fake_site.web_url)
        expect(page.locator(".govuk-error-summary")).to_contain_text("cannot be reached")
    finally:
        fake_bot.start()
    page.get_by_role("button", name="Try again").click()
    wait_for_reply(page)
    assert state(page)["ask"] == "concern"


def test_an_empty_answer_gets_an_error_message(page: Page, fake_site):
    open_chat(page, fake_site.web_url)
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Type your answer")
    expect(page.locator("#message-error")).to_have_text("Error: Type your answer")
    page.get_by_role("link", name="Go to your answer").click()
    assert page.evaluate("() => document.activeElement.id") == "message"


def add_date(page: Page, day: str, month: str, year: str) -> None:
    page.get_by_label("Day").fill(day)
    page.get_by_label("Month").fill(month)
    page.get_by_label("Year").fill(year)
    page.get_by_role("button", name="Add date").click()


def test_date_picker_adds_dates_to_the_typed_answer_in_uk_order(page: Page, fake_site):
    open_chat(page, fake_site.web_url)
    for answer in ("Loud music", "no", "yes", "yes", "the police", "3"):
        expect(page.locator("#date-picker")).to_be_hidden()
        send_text(page, answer)
    # The question came as text and its `ask` as a separate message: the page joined them.
    assert state(page)["ask"] == "incident_dates"
    expect(page.locator("#date-picker")).to_be_visible()
    # Day, month and year fields in that order (a browser's own date box shows the US order in
    # an en-US Chromium whatever the page's lang says).
    fields = page.locator("#date-picker input")
    assert [fields.nth(i).get_attribute("id") for i in range(3)] == ["date-day", "date-month", "date-year"]
    assert page.locator("#date-picker input[type=date]").count() == 0
    assert page.evaluate("() => document.documentElement.lang") == "en-GB"
    page.fill("#message", "12 Sep")
    add_date(page, "3", "10", "2026")
    add_date(page, "1", "Nov", "2026")
    expect(page.locator("#message")).to_have_value("12 Sep, 3 October 2026, 1 November 2026")
    expect(page.get_by_label("Day")).to_have_value("")
    # A date after today, a date that does not exist and a missing year are refused; what was typed stays.
    for (day, month, year), problem in [
        (("1", "1", "2099"), "The date must be today or in the past"),
        (("31", "2", "2026"), "The date must be a real date"),
        (("5", "6", ""), "The date must include a year"),
    ]:
        add_date(page, day, month, year)
        expect(page.locator(".govuk-error-summary")).to_contain_text(problem)
        expect(page.locator("#date-error")).to_have_text(f"Error: {problem}")
        expect(page.locator("#message")).to_have_value("12 Sep, 3 October 2026, 1 November 2026")
    expect(page.locator("#date-year")).to_have_class(re.compile("govuk-input--error"))
    expect(page.locator("#date-day")).not_to_have_class(re.compile("govuk-input--error"))
    page.get_by_role("link", name="The date must include a year").click()
    assert page.evaluate("() => document.activeElement.id") == "date-year"
    # Enter in a date field adds the date; it does not send the answer without it.
    page.fill("#date-year", "2026")
    page.press("#date-year", "Enter")
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(page.locator("#message")).to_have_value("12 Sep, 3 October 2026, 1 November 2026, 5 June 2026")
    page.press("#message", "Enter")
    wait_for_reply(page)
    expect(page.locator("#transcript li.chat-message--user").last).to_contain_text("12 Sep, 3 October 2026")
    expect(page.locator("#date-picker")).to_be_hidden()


def test_the_whole_conversation_works_with_the_keyboard_alone(page: Page, fake_site):
    open_chat(page, fake_site.web_url)
    # Tab from the top reaches the skip link first; it takes the resident to the conversation.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Skip to the conversation"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Leave this site"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "conversation-heading"
    # Start again, then the first quick answer.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "start-again"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()").startswith("Anti-social behaviour")
    page.keyboard.press("Enter")
    wait_for_reply(page)
    # After a quick answer, focus is on the next question's first answer.
    assert state(page)["ask"] == "emergency"
    assert page.evaluate("() => document.activeElement.dataset.payload") == "yes, someone is in danger now"
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    wait_for_reply(page)
    assert state(page)["ask"] == "asb_ongoing"
    # Typing: from the answers, Tab reaches the answer box; Enter sends; focus stays there.
    while page.evaluate("() => document.activeElement.id") != "message":
        page.keyboard.press("Tab")
    page.keyboard.type("yes")
    page.keyboard.press("Enter")
    wait_for_reply(page)
    assert state(page)["ask"] == "reported"
    assert page.evaluate("() => document.activeElement.id") == "message"
    # Shift and Enter make a new line instead of sending.
    page.keyboard.type("yes")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("to the police")
    expect(page.locator("#message")).to_have_value("yes\nto the police")


def test_messages_are_announced_to_screen_readers(page: Page, fake_site):
    open_chat(page, fake_site.web_url)
    live = page.locator("#announcer")
    assert live.get_attribute("aria-live") == "polite"
    click_choice(page, "^Anti-social behaviour")
    expect(live).to_contain_text("is anyone in immediate danger right now?")
    expect(live).to_contain_text("Answers you can choose: Yes, someone is in danger now, No.")
    # The typing indicator shows while the bot works.
    page.fill("#message", "no")
    page.press("#message", "Enter")
    expect(page.locator("#typing")).to_be_visible()
    wait_for_reply(page)
    expect(page.locator("#typing")).to_be_hidden()


@pytest.mark.parametrize("how", ["button", "shift three times"])
def test_leave_this_site_goes_at_once_and_forgets_the_conversation(page: Page, fake_site, how):
    page.route(
        "https://www.bbc.co.uk/**", lambda route: route.fulfill(body="<title>Weather</title>Weather", content_type="text/html")
    )
    open_chat(page, fake_site.web_url)
    click_choice(page, "^Anti-social behaviour")
    old_sender = sender_id(page)
    if how == "button":
        page.get_by_role("button", name="Emergency Leave this site").click()
    else:
        for _ in range(3):
            page.keyboard.press("Shift")
    page.wait_for_url("https://www.bbc.co.uk/weather")
    # No history entry for the chat: Back does not return to it.
    assert page.evaluate("() => history.length") == 2  # about:blank, then the weather page
    page.goto(fake_site.web_url)
    wait_for_reply(page)
    assert sender_id(page) != old_sender
    expect(page.locator("#transcript li.chat-message--user")).to_have_count(0)


@pytest.mark.parametrize("width", [360, 320])
def test_layout_fits_a_phone_and_400_percent_zoom(browser, fake_site, width):
    # 320 CSS pixels is a 1280-pixel window at 400% zoom (WCAG 1.4.10 Reflow).
    context = browser.new_context(viewport={"width": width, "height": 740})
    page = context.new_page()
    try:
        open_chat(page, fake_site.web_url)
        assert no_horizontal_scroll(page) is None, no_horizontal_scroll(page)
        send_text(page, "x" * 120 + " https://www.erewash.gov.uk/a/very/long/address/that/must/wrap/nicely.html")
        for answer in ("no", "yes", "no, not yet", "yes, that's right"):
            send_text(page, answer)
        expect(page.locator("li.chat-decision")).to_be_visible()
        assert no_horizontal_scroll(page) is None, no_horizontal_scroll(page)
        assert page.locator("#send").bounding_box()["width"] <= width
    finally:
        context.close()


@pytest.mark.axe
def test_no_serious_accessibility_problems_at_start_mid_conversation_and_decisions(page: Page, fake_site):
    open_chat(page, fake_site.web_url)
    assert serious_axe_violations(page) == []
    send_text(page, TYPED["concern"])
    send_text(page, "no")
    page.get_by_role("button", name="Send").click()  # an empty answer: the error state
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert serious_axe_violations(page) == []
    hold_conversation(page, "apply", by="typing")
    assert serious_axe_violations(page) == []
    page.get_by_role("button", name="Start again").click()
    page.wait_for_function("() => document.querySelectorAll('#transcript li').length === 2")
    wait_for_reply(page)
    hold_conversation(page, "report_first", by="clicking")
    assert serious_axe_violations(page) == []


# ---- check your answers -----------------------------------------------------------------


def reach_the_check(page: Page, url: str, for_whom: str = "^For myself") -> None:
    """Clicks through the fake bot's questions to its check of answers (3 incidents)."""
    open_chat(page, url)
    for pattern in ("^Anti-social behaviour", "^No", "^Yes", "^Yes", "^The police"):
        click_choice(page, pattern)
    send_text(page, "3")
    send_text(page, "2 Sep, 14 Oct and 3 Nov")
    click_choice(page, "^Yes")
    click_choice(page, for_whom)
    if for_whom != "^For myself":
        click_choice(page, "^Yes, they agreed")
    assert state(page)["ask"] == "check"


def summary_rows(check) -> list:
    """(key, value) of each row of a check's summary list, as shown."""
    rows = check.locator(".govuk-summary-list__row")
    return [
        (
            rows.nth(i).locator(".govuk-summary-list__key").inner_text().strip(),
            rows.nth(i).locator(".govuk-summary-list__value").inner_text().strip(),
        )
        for i in range(rows.count())
    ]


def test_the_check_of_answers_is_a_summary_list_with_change_links(page: Page, fake_site):
    reach_the_check(page, fake_site.web_url)
    check = page.locator("#transcript li.chat-check[data-ask='check']")
    expect(check).to_have_count(1)
    expect(check.get_by_role("heading", name="Check your answers")).to_be_visible()
    # The bot's words around its list are there; its plain-text list is not shown a second time.
    expect(check.locator(".chat-check__lead")).to_have_text(
        "Before I tell you what you can do, please check what I've understood:"
    )
    expect(check.locator(".chat-check__after")).to_contain_text("Is this right? Say yes, or tell me what to change")
    assert "Incidents reported since" not in check.inner_text()
    assert "(reference DC-2026-4471)" not in check.inner_text()

    assert summary_rows(check) == [
        ("2 September 2026", "Told the police and the council\nReference: DC-2026-4471"),
        ("14 October 2026", "Told a social landlord on 15 October 2026"),
        ("3 November 2026", "Told the council"),
        ("About the same problem", "Yes"),
        ("Still happening", "Yes"),
        ("Applying for", "Yourself"),
    ]
    # Every row has a Change link (a button that looks like one), named for what it changes.
    actions = check.locator(".govuk-summary-list__row .govuk-summary-list__actions button")
    expect(actions).to_have_count(6)
    for name in (
        "Change the incident on 2 September 2026",
        "Change the incident on 3 November 2026",
        "Change whether the incidents are about the same problem",
        "Change whether it's still happening",
        "Change who you are applying for",
    ):
        expect(check.get_by_role("button", name=name, exact=True)).to_be_visible()
    # What shows is "Change"; the rest of each name is visually hidden.
    assert actions.evaluate_all("bs => bs.map(b => b.firstChild.textContent)") == ["Change"] * 6
    assert actions.evaluate_all("bs => bs.map(b => getComputedStyle(b.lastChild).position)") == ["absolute"] * 6
    # The colour of the page's links (GOV.UK link blue), not a button's black.
    link_colour = page.locator(".govuk-phase-banner a.govuk-link").evaluate("a => getComputedStyle(a).color")
    assert actions.first.evaluate("b => getComputedStyle(b).color") == link_colour != "rgb(0, 0, 0)"

    # The answers to choose: only "Yes, that's right" (the bot's Change buttons are the rows' links), as the main button.
    expect(page.locator("#choices button")).to_have_count(1)
    yes = page.locator("#choices button")
    expect(yes).to_have_text("Yes, that's right")
    expect(yes).to_have_class("govuk-button")
    # Focus is on the check's heading, so a screen reader reads it from the top; the live region
    # reads the bot's own text, list and all.
    assert page.evaluate("() => document.activeElement.textContent") == "Check your answers"
    expect(page.locator("#announcer")).to_contain_text("2 September 2026: told the police and the council")
    reload_and_check(page)


def test_a_change_link_sends_its_message_and_the_check_comes_back_changed(page: Page, fake_site, fake_bot):
    reach_the_check(page, fake_site.web_url)
    page.get_by_role("button", name="Change the incident on 14 October 2026").click()
    wait_for_reply(page)
    assert fake_bot.messages_from(sender_id(page))[-1] == "change the incidents"
    expect(page.locator("#transcript li.chat-message--user").last).to_have_text(re.compile("Change the incidents$"))
    # The earlier check stays in the conversation, without its Change links.
    expect(page.locator("li.chat-check .govuk-summary-list__actions")).to_have_count(0)
    expect(page.locator("#transcript li.chat-message--bot").last).to_contain_text("Tell me the incidents again")
    send_text(page, "2 Sept and 14 Oct to the police, 3 Nov to the council")
    expect(page.locator("li.chat-check")).to_have_count(2)
    expect(page.locator("li.chat-check").last.locator(".chat-check__lead")).to_have_text("Here is what I have now:")

    page.get_by_role("button", name="Change whether it's still happening").click()
    wait_for_reply(page)
    assert fake_bot.messages_from(sender_id(page))[-1] == "change whether it's still happening"
    send_text(page, "it has stopped now")
    assert dict(summary_rows(page.locator("li.chat-check").last))["Still happening"] == "No, it has stopped"

    page.get_by_role("button", name="Change who you are applying for").click()
    wait_for_reply(page)
    assert fake_bot.messages_from(sender_id(page))[-1] == "change who it's for"


def test_yes_thats_right_leads_to_the_decision(page: Page, fake_site, fake_bot):
    reach_the_check(page, fake_site.web_url, for_whom="^For someone else")
    check = page.locator("li.chat-check")
    assert dict(summary_rows(check))["Applying for"] == "Someone else (they have agreed)"
    click_choice(page, "^Yes, that's right")
    assert fake_bot.messages_from(sender_id(page))[-1] == "yes, that's right"
    expect(page.locator("li.chat-decision[data-outcome='apply'] .govuk-panel__title")).to_have_text(
        "You can apply for an ASB case review"
    )
    # The confirmed check is kept, without Change links; the bot's own offer to apply is the only one.
    expect(check.locator(".govuk-summary-list__actions")).to_have_count(0)
    expect(page.locator("li.chat-decision .govuk-panel__actions")).to_have_count(0)
    assert choice_titles(page) == ["Yes, start my application", "Not now"]
    expect(page.locator("#choices button").first).to_have_class("govuk-button")


def reply_with(page: Page, messages: list) -> None:
    """The next answer of the bot (through the page's relay) is `messages`, whatever was sent."""

    def fulfil(route) -> None:
        route.fulfill(json=[dict(recipient_id="x", **message) for message in messages])
        page.unroute("**/api/chat")

    page.route("**/api/chat", fulfil)


def test_the_check_names_every_body_and_shows_only_the_rows_that_apply(page: Page, fake_site):
    open_chat(page, fake_site.web_url)
    facts = {
        "as_of": "2026-11-25",
        "asb_ongoing": False,
        "on_behalf": True,
        "staff_conduct": True,
        "complaint_completed": False,
        "complained_about": "police",
        "previous_review": True,
        "incidents": [{"date": "2026-08-30", "reported_to": ["private_landlord", "health", "other"], "reference": INJECTION}],
    }
    reply_with(
        page,
        [
            {
                "text": "Here is what I have now:\n- lots\n\nIs this right?",
                "buttons": [
                    {"title": "Yes, that's right", "payload": "yes, that's right"},
                    {"title": "Change the incidents", "payload": "change the incidents"},
                    {"title": "Something else", "payload": "something else"},
                ],
                "custom": {
                    "ask": "check",
                    "check": facts,
                    "words": {
                        "bodies": {
                            "private_landlord": "a private landlord",
                            "health": "health services",
                            "other": "someone else",
                            "police": "Testshire Police",
                        }
                    },
                },
            }
        ],
    )
    send_text(page, "hello")
    check = page.locator("li.chat-check")
    # The bodies are named with the words the bot sent (the partnership's), not the page's own.
    assert summary_rows(check) == [
        ("30 August 2026", f"Told a private landlord, health services and someone else\nReference: {INJECTION}"),
        ("Still happening", "No, it has stopped"),
        ("Applying for", "Someone else (they have not been asked yet)"),
        ("A complaint about staff", "Yes, about Testshire Police"),
        ("Complaints procedure finished", "No"),
        ("A case review already held", "Yes, and you are unhappy with the outcome"),
    ]
    assert page.locator("#transcript img").count() == 0
    for name in (
        "Change the complaint about staff",
        "Change whether the complaints procedure has finished",
        "Change whether a case review was already held",
    ):
        expect(check.get_by_role("button", name=name, exact=True)).to_be_visible()
    # A bot button the rows do not cover is still offered; one they do is not repeated.
    assert choice_titles(page) == ["Yes, that's right", "Something else"]
    page.get_by_role("button", name="Change the complaint about staff", exact=True).click()
    wait_for_reply(page)
    expect(page.locator("#transcript li.chat-message--user").last).to_have_text(re.compile("Change the complaint$"))


def test_the_decision_panel_shows_the_words_the_decision_carries(page: Page, fake_site):
    open_chat(page, fake_site.web_url)
    decision = {
        "outcome": "threshold_not_met",
        "summary": "Not enough reports yet.",
        "routes": ["threshold_not_met"],
        "reasons": [{"rule": "threshold_not_met", "text": "You reported 1 incident."}],
        "qualifying_incidents": 1,
        "window_start": "2026-05-25",
        "next_steps": ["Report every new incident."],
        "assumed": ["asb_ongoing", "incidents[0].reported_on", "incidents[1].reported_on"],
        "rule_set": {"name": "testshire", "version": "test"},
        "words": {
            "title": "Not yet: keep reporting",
            "assumed": {
                "asb_ongoing": "it goes on",
                "incidents[0].reported_on": "told the same day",
                "incidents[1].reported_on": "told the same day",
            },
        },
    }
    reply_with(page, [{"text": "Not enough reports yet.", "custom": {"decision": decision}}])
    send_text(page, "yes, that's right")
    panel = page.locator("li.chat-decision[data-outcome='threshold_not_met']")
    expect(panel.locator(".govuk-panel__title")).to_have_text("Not yet: keep reporting")
    expect(panel.locator(".govuk-summary-list")).to_have_text(re.compile(r"we assumed\s*it goes on; told the same day$"))
    # Still there after a reload: the words are stored with the decision.
    page.reload()
    expect(page.locator("li.chat-decision .govuk-panel__title")).to_have_text("Not yet: keep reporting")


def test_no_incidents_is_a_row_of_its_own(page: Page, fake_site):
    open_chat(page, fake_site.web_url)
    for answer in ("Loud music", "no", "yes", "no, not yet"):
        send_text(page, answer)
    check = page.locator("li.chat-check")
    assert summary_rows(check) == [("Incidents reported", "None yet"), ("Still happening", "Yes"), ("Applying for", "Yourself")]
    # The bot's own "Change the incidents" is the row's link, not a button as well.
    expect(check.get_by_role("button", name="Change the incidents", exact=True)).to_be_visible()
    assert choice_titles(page) == ["Yes, that's right"]


def test_the_page_offers_only_the_buttons_the_bot_sent(page: Page, fake_site):
    open_chat(page, fake_site.web_url)
    reply_with(page, [{"text": "Is it still happening?", "custom": {"ask": "asb_ongoing"}}])
    send_text(page, "Loud music")
    assert state(page)["ask"] == "asb_ongoing"
    expect(page.locator("#choices button")).to_have_count(0)


@pytest.mark.axe
def test_no_serious_accessibility_problems_in_the_check_of_answers(page: Page, fake_site):
    reach_the_check(page, fake_site.web_url)
    assert serious_axe_violations(page) == []
    page.get_by_role("button", name="Change the incident on 2 September 2026").click()
    wait_for_reply(page)
    send_text(page, "2 Sept and 14 Oct to the police, 3 Nov to the council")
    assert serious_axe_violations(page) == []


# ---- a phone, and a frightened resident ---------------------------------------------------


@pytest.mark.parametrize("height", [740, 640])
def test_on_a_phone_the_page_opens_at_the_top_with_the_999_warning_in_view(browser, fake_site, height):
    context = browser.new_context(viewport={"width": 360, "height": height})
    page = context.new_page()
    try:
        open_chat(page, fake_site.web_url)
        page.wait_for_timeout(300)  # anything that would scroll after the bot's first answer has done so
        assert page.evaluate("() => window.scrollY") == 0
        warning = page.locator("main .govuk-warning-text").first.bounding_box()
        bar = page.locator(".govuk-exit-this-page").bounding_box()
        assert warning["y"] >= bar["y"] + bar["height"], (warning, bar)  # not under the sticky "Leave this site"
        assert warning["y"] + warning["height"] <= height, (warning, height)
        assert page.evaluate("() => document.activeElement === document.body")
    finally:
        context.close()


def test_a_frightened_first_message_is_acknowledged_before_the_first_question(page: Page, fake_site):
    open_chat(page, fake_site.web_url)
    send_text(page, "I'm really scared, they bang on my door every night")
    after = page.locator("#transcript li.chat-message--user").last.locator("xpath=following-sibling::li")
    expect(after).to_have_count(2)
    expect(after.nth(0)).to_contain_text("I'm sorry this is happening to you.")
    expect(after.nth(0)).not_to_have_attribute("data-ask", re.compile("."))
    expect(after.nth(1)).to_have_attribute("data-ask", "emergency")
    expect(after.nth(1)).to_contain_text("is anyone in immediate danger right now?")
    # One "The assistant said" to see for the two; screen readers still hear who said each.
    expect(after.nth(0).locator(".chat-message__who")).to_be_visible()
    expect(after.nth(1)).to_have_class(re.compile("chat-message--continued"))
    expect(after.nth(1).locator(".chat-message__who")).to_have_text("The assistant said")
    expect(after.nth(1).locator(".chat-message__who")).to_have_css("position", "absolute")
    expect(page.locator("#announcer")).to_have_text(
        re.compile(r"^I'm sorry this is happening to you\..* is anyone in immediate danger right now\? Answers you can choose")
    )
    assert choice_titles(page) == ["Yes, someone is in danger now", "No"]
