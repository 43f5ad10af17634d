"""The staff console in Debian's Chromium: the real web server (python -m web.server, as `make run`
starts it) on its own SQLite store, in front of the fake bot, which makes each application through
casework as the real bot's action does and leaves its conversation in Rasa's own tracker store
(casework_chat.py). ASBCR_TODAY is fixed for the server and for the tests, so every date is the
same on every run; nothing waits on the wall clock, only on what the page shows.

- signing in (accounts made by `asbcr staff add`), a wrong password, signing out, a page and an API
  opened without a session, and an officer at an admin's page and API;
- an officer takes an application a resident has just made in the chat from the list to its page,
  reads the decision and the transcript, assigns it, records the threshold decision, the review and
  its recommendations; the resident's private page and the figures change with it, and the outbox
  holds the message about each;
- forms posted without their csrf_token, or with another session's, are refused and change nothing;
- axe-core finds no serious or critical problem on any staff page.

With ASBCR_SCREENSHOTS=DIR the walk-through also saves the list, the application and the figures
there (the README's: `ASBCR_SCREENSHOTS=docs/screenshots .venv/bin/python -m pytest
tests/browser/test_staff_console_browser.py -k whole_way`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List, NamedTuple, Optional
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from asbcr.stack import Stack, free_port
from casework import db, labels, outbox, service
from casework_chat import RasaConversations, make_application
from chat_helpers import MACHINE_SPEED_LIMITS, ROOT, TODAY, hold_conversation, open_chat, serious_axe_violations, state
from fake_rasa import FakeRasa

YEAR = int(TODAY[:4])  # TODAY is in November: its April-March year starts this April
TODAY_WORDS = labels.long_date(TODAY)
SCREENSHOT_SIZE = {"width": 1200, "height": 900}


class Account(NamedTuple):
    name: str
    email: str
    role: str
    password: str


OFFICER = Account("Sam Officer", "sam@erewash.gov.uk", "officer", "correct horse battery staple")
ADMIN = Account("Alex Admin", "alex@erewash.gov.uk", "admin", "another long pass phrase")
# Only ever refused (a wrong password), so the lock-out it counts towards is nobody else's.
REFUSED = Account("Pat Officer", "pat@erewash.gov.uk", "officer", "yet another long pass phrase")

# Stores shared with other runs, and settings that would change the sign-in or send messages.
NOT_INHERITED = (
    "ASBCR_DATABASE_URL",
    "ASBCR_TRACKER_URL",
    "ASBCR_LOCK_URL",
    "ASBCR_STAFF_SIGN_IN",
    "ASBCR_WEB_TRUSTED_PROXIES",
    "ASBCR_STAFF_TOKEN",
    "ASBCR_NOTIFY_API_KEY",
    "ASBCR_NOTIFY_URL",
)


class Site(NamedTuple):
    stack: Stack
    bot: FakeRasa

    def url(self, path: str = "") -> str:
        return self.stack.web_url + path.lstrip("/")


def add_staff(env: Dict[str, str], account: Account) -> None:
    """As the README says to: `asbcr staff add`, the password on standard input."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "asbcr.cli",
            "staff",
            "add",
            account.name,
            "--email",
            account.email,
            "--role",
            account.role,
            "--password-stdin",
        ],
        input=account.password + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Added {account.role} {account.name} <{account.email}>"


@pytest.fixture(scope="module")
def site(built_assets, tmp_path_factory) -> Iterator[Site]:
    var = tmp_path_factory.mktemp("console-var")
    web_port = free_port()
    settings = {"ASBCR_VAR": str(var), "ASBCR_TODAY": TODAY, "ASBCR_PUBLIC_URL": f"http://localhost:{web_port}"}
    with pytest.MonkeyPatch.context() as patch:
        # The fake bot runs in this process and makes applications here: the same store as the server's.
        for name in NOT_INHERITED:
            patch.delenv(name, raising=False)
        for name, value in settings.items():
            patch.setenv(name, value)
        conversations = RasaConversations(var / "tracker.db", TODAY)
        bot = FakeRasa(free_port(), make_application=make_application, tracker=conversations).start()
        env = {name: value for name, value in os.environ.items()}
        env.update(MACHINE_SPEED_LIMITS)
        stack = Stack(with_rasa=False, with_actions=False, with_web=True, rasa_port=bot.port, web_port=web_port, var=var, env=env)
        try:
            stack.start()
            for account in (OFFICER, ADMIN, REFUSED):
                add_staff(stack.env, account)
            yield Site(stack, bot)
        finally:
            stack.stop()
            bot.close()
            conversations.close()
            db.dispose_all()


@pytest.fixture
def staff_page(browser: Browser, request) -> Iterator[Page]:
    """A second browser, the officer's (own cookies), at the screenshots' size; like `page`, it
    lets an `axe` test inject axe-core under the console's Content-Security-Policy."""
    context = browser.new_context(viewport=SCREENSHOT_SIZE, bypass_csp=request.node.get_closest_marker("axe") is not None)
    yield context.new_page()
    context.close()


# --- what the tests do, as an officer or a resident would --------------------------------------


def sign_in(page: Page, site: Site, account: Account) -> None:
    page.goto(site.url("staff/sign-in"))
    fill_sign_in(page, account.email, account.password)
    expect(signed_in_as(page)).to_have_text(f"Signed in as {account.name}")


def fill_sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def signed_in_as(page: Page):
    return page.locator(".govuk-service-navigation p")


def sign_in_asked(page: Page, site: Site) -> Optional[str]:
    """Whether the page is the sign-in page, and where it will go afterwards: "" for nowhere
    said, None for not the sign-in page."""
    address = urlsplit(page.url)
    if page.url.split("?")[0] != site.url("staff/sign-in"):
        return None
    return parse_qs(address.query).get("next", [""])[0]


def apply_through_chat(page: Page, site: Site) -> Dict[str, str]:
    """A resident holds the chat to an application; its reference and private link as the chat shows them."""
    open_chat(page, site.url())
    hold_conversation(page, "apply", by="clicking")
    reference = state(page)["reference"]
    link = page.locator("li.chat-application a.chat-application__link").get_attribute("href")
    assert reference and link, (reference, link)
    return {"reference": reference, "private_url": link}


def record(page: Page, event: str) -> None:
    """The application page's first form: what happened (today, no note)."""
    page.get_by_role("radio", name=labels.EVENTS[event], exact=True).check()
    page.get_by_role("button", name="Record it").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Recorded: {labels.EVENTS[event]} on {TODAY_WORDS}."
    )


def figures(page: Page, site: Site) -> Dict[str, int]:
    """The figures page's block, checked to be `asbcr stats`'s text, as {line's words: number}."""
    page.goto(site.url("staff/figures"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Yearly figures: {YEAR}/{str(YEAR + 1)[2:]}")
    block = page.locator(".govuk-inset-text").inner_text()
    assert block.strip() == service.stats(YEAR).strip()
    counts = {}
    for line in block.splitlines():
        found = re.fullmatch(r"(\d+) (.+)", line.strip())
        if found:
            counts[found.group(2)] = int(found.group(1))
    assert len(counts) == 5, block
    return counts


def progress(page: Page, url: str) -> Dict[str, str]:
    """The private page's steps: {step: its status}."""
    page.goto(url)
    steps = {}
    for item in page.locator(".govuk-task-list__item").all():
        name = item.locator(".govuk-task-list__name-and-hint > div").first.inner_text().strip()
        steps[name] = item.locator(".govuk-task-list__status").inner_text().strip()
    return steps


def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("ASBCR_SCREENSHOTS", "").strip()
    if not folder:
        return
    path = Path(folder) if Path(folder).is_absolute() else ROOT / folder
    path.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0) }")
    page.screenshot(path=str(path / name))


def events_of(reference: str) -> List[str]:
    return [event["event"] for event in service.get_application(reference)["events"]]


# --- signing in and out ---------------------------------------------------------------------


def test_a_page_without_a_session_goes_to_sign_in_and_back_after_it(staff_page: Page, site: Site):
    staff_page.goto(site.url("staff/figures?year=2025"))
    assert sign_in_asked(staff_page, site) == "/staff/figures?year=2025"
    expect(staff_page.get_by_role("heading", level=1)).to_have_text("Sign in")
    api = staff_page.request.get(site.url("staff/api/applications"))  # an API says so instead
    assert api.status == 401 and api.json() == {"error": "sign in first"}
    fill_sign_in(staff_page, OFFICER.email, OFFICER.password)
    assert staff_page.url == site.url("staff/figures?year=2025")
    expect(staff_page.get_by_role("heading", level=1)).to_have_text("Yearly figures: 2025/26")
    assert staff_page.request.get(site.url("staff/api/applications")).status == 200  # the session opens it


def test_a_wrong_password_is_refused_with_a_message_and_no_session(staff_page: Page, site: Site):
    staff_page.goto(site.url("staff/sign-in"))
    fill_sign_in(staff_page, REFUSED.email, REFUSED.password + "x")
    message = "The email address or password is not right"
    expect(staff_page.locator(".govuk-error-summary")).to_contain_text(message)
    expect(staff_page.locator("#email-error")).to_have_text(f"Error: {message}")
    expect(staff_page).to_have_title(re.compile(r"^Error: Sign in"))
    expect(staff_page.get_by_label("Email address")).to_have_value(REFUSED.email)  # kept; the password is not
    expect(staff_page.get_by_label("Password")).to_have_value("")
    expect(signed_in_as(staff_page)).to_have_count(0)
    staff_page.goto(site.url("staff/"))
    assert sign_in_asked(staff_page, site) == "/staff/"


def test_signing_out_ends_the_session(staff_page: Page, site: Site):
    sign_in(staff_page, site, OFFICER)
    assert staff_page.url == site.url("staff/")
    cookies = {cookie["name"]: cookie for cookie in staff_page.context.cookies()}
    session = cookies["__Host-asbcr-staff"]
    assert session["secure"] and session["httpOnly"] and session["sameSite"] == "Strict", session
    staff_page.get_by_role("button", name="Sign out").click()
    expect(staff_page.locator(".govuk-notification-banner--success")).to_contain_text("You have signed out.")
    assert "__Host-asbcr-staff" not in {cookie["name"] for cookie in staff_page.context.cookies()}
    staff_page.goto(site.url("staff/applications"))
    assert sign_in_asked(staff_page, site) == "/staff/applications"
    # The old session is gone on the server too: the cookie put back opens nothing.
    staff_page.context.add_cookies(
        [{key: session[key] for key in ("name", "value", "domain", "path", "secure", "httpOnly", "sameSite")}]
    )
    staff_page.goto(site.url("staff/applications"))
    assert sign_in_asked(staff_page, site) == "/staff/applications"


def test_an_officer_is_refused_the_admins_page_and_api(staff_page: Page, site: Site):
    sign_in(staff_page, site, OFFICER)
    expect(staff_page.get_by_role("link", name="Audit log")).to_have_count(0)
    response = staff_page.goto(site.url("staff/audit"))
    assert response.status == 403
    expect(staff_page.get_by_role("heading", level=1)).to_have_text("You cannot see this page")
    expect(staff_page.locator("main")).to_contain_text("This page is for admins only.")
    api = staff_page.request.get(site.url("staff/api/audit"))
    assert api.status == 403 and api.json() == {"error": "this is for admins only"}


# --- the whole way: from the chat to a review with recommendations ----------------------------


def test_the_whole_way_an_officer_takes_a_chat_application_to_a_review_with_recommendations(
    page: Page, staff_page: Page, site: Site
):
    officer = staff_page
    sign_in(officer, site, OFFICER)
    before_chat = figures(officer, site)

    made = apply_through_chat(page, site)  # the resident, in their own browser
    reference = made["reference"]
    waiting = progress(page, made["private_url"])
    assert (waiting["Application received"], waiting["Threshold decision"], waiting["Case review"], waiting["Outcome"]) == (
        "Done",
        "Waiting",
        "Cannot start yet",
        "Cannot start yet",
    ), waiting
    after_chat = figures(officer, site)
    received = labels_of(after_chat)["received"]
    assert after_chat[received] == before_chat[received] + 1

    # The list, to the application the resident has just made.
    officer.goto(site.url("staff/"))
    officer.get_by_role("link", name="Applications", exact=True).click()
    row = officer.locator("tbody tr").filter(has=officer.get_by_role("link", name=reference, exact=True))
    expect(row).to_have_count(1)
    stored = service.get_application(reference)
    cells = [text.strip() for text in row.locator("th, td").all_inner_texts()]
    assert cells == [
        reference,
        TODAY_WORDS,
        labels.long_date(stored["acknowledge_by"]),
        labels.CHANNELS["chat"],
        labels.EVENTS["received"],
        labels.outcome(stored["decision"]),
        "Nobody",
    ], cells
    screenshot(officer, "console-list-1200.png")
    row.get_by_role("link", name=reference).click()
    expect(officer.get_by_role("heading", level=1)).to_have_text(reference)

    # The decision as stored, and the chat as the resident held it.
    main = officer.locator("main")
    expect(officer.locator("#decision")).to_have_text(f"The assistant's view: {labels.outcome(stored['decision'])}")
    for reason in stored["decision"]["reasons"]:
        expect(main).to_contain_text(reason["text"])
    chat = officer.locator("#chat + p + ol")
    expect(chat).to_contain_text("Pressed the button “Anti-social behaviour that keeps happening”")
    expect(chat).to_contain_text("Who did you report it to?")
    expect(chat).to_contain_text(f"Your application has been sent. Your reference is {reference}.")
    expect(officer.locator("#applicant + dl")).to_contain_text("Jo Bloggs")

    # Assigned to themselves, then the threshold decision, the review and its recommendations.
    officer.get_by_label("Officer").select_option(label=f"{OFFICER.name} ({OFFICER.email})")
    officer.get_by_role("button", name="Assign").click()
    expect(officer.locator(".govuk-notification-banner--success")).to_contain_text(f"Assigned to {OFFICER.name}.")
    for event in ("threshold-met", "review-held", "recommendations-made"):
        record(officer, event)
    assert events_of(reference) == ["received", "threshold-met", "review-held", "recommendations-made"]
    history = [
        [cell.strip() for cell in row.locator("td").all_inner_texts()[:2]]
        for row in officer.locator("#events + table tbody tr").all()
    ]
    assert history == [[TODAY_WORDS, labels.EVENTS[event]] for event in events_of(reference)], history
    screenshot(officer, "console-application-1200.png")

    # The resident's page says where it is now.
    done = progress(page, made["private_url"])
    assert (done["Threshold decision"], done["Case review"], done["Outcome"], done["Appeal"]) == (
        "Met",
        "Held",
        "Recommendations made",
        "You can appeal",
    ), done
    # A message for each, from the acknowledgement on, in the outbox (no Notify key: nothing is sent).
    messages = outbox.list_messages(reference=reference)
    assert [message["event"] for message in messages] == events_of(reference)
    assert all(message["recipient"] == "jo@example.org" and message["status"] == "pending" for message in messages)

    # The figures count the review and its recommendations, and nothing twice.
    after = figures(officer, site)
    names = labels_of(after)
    assert after == dict(
        after_chat,
        **{
            names["reviews"]: after_chat[names["reviews"]] + 1,
            names["recommendations"]: after_chat[names["recommendations"]] + 1,
        },
    )
    screenshot(officer, "console-figures-1200.png")

    # Assigned to me, and no longer overdue-able: the list's filter finds it.
    officer.goto(site.url("staff/applications?mine=yes"))
    expect(officer.locator("tbody").get_by_role("link", name=reference, exact=True)).to_be_visible()


def labels_of(counts: Dict[str, int]) -> Dict[str, str]:
    """Which of the figures page's lines is which count, by `asbcr stats`'s own wording."""
    words = dict(re.findall(r"^\{(\w+)\} (.+)$", service.STATS_TEMPLATE, re.M))
    assert set(words.values()) == set(counts), counts
    return {key: words[key] for key in ("received", "not_met", "reviews", "recommendations", "appeals")}


# --- CSRF ---------------------------------------------------------------------------------------


def test_forms_without_or_with_a_wrong_csrf_token_are_refused(page: Page, staff_page: Page, browser: Browser, site: Site):
    reference = apply_through_chat(page, site)["reference"]
    sign_in(staff_page, site, OFFICER)
    staff_page.goto(site.url(f"staff/applications/{reference}"))
    token = staff_page.locator("form[action$='/events'] input[name=csrf_token]").input_value()
    # Another officer's session has its own token: a real one, only not this session's.
    other = browser.new_context()
    try:
        other_page = other.new_page()
        sign_in(other_page, site, ADMIN)
        others_token = other_page.locator("form[action$='/sign-out'] input[name=csrf_token]").input_value()
    finally:
        other.close()
    assert others_token != token

    forms = {
        "events": {"event": "withdrawn"},
        "notes": {"text": "A note that must not be kept."},
        "assign": {"officer": "nobody"},
    }
    for action, fields in forms.items():
        url = site.url(f"staff/applications/{reference}/{action}")
        for refused in ({}, {"csrf_token": ""}, {"csrf_token": others_token}, {"csrf_token": token[:-1]}):
            response = staff_page.request.post(url, form={**fields, **refused}, max_redirects=0)
            assert response.status == 403, (action, refused, response.status)
            assert "This form has expired" in response.text()
    sign_out = staff_page.request.post(site.url("staff/sign-out"), form={"csrf_token": others_token}, max_redirects=0)
    assert sign_out.status == 403
    stored = service.get_application(reference)
    assert [event["event"] for event in stored["events"]] == ["received"]
    assert stored["notes"] == [] and stored["assigned_to"] is None
    # The same request with this session's own token is taken: the refusals above were the token's.
    taken = staff_page.request.post(
        site.url(f"staff/applications/{reference}/events"), form={"event": "withdrawn", "csrf_token": token}, max_redirects=0
    )
    assert taken.status == 303 and taken.headers["location"] == f"/staff/applications/{reference}?done=event"
    assert events_of(reference) == ["received", "withdrawn"]
    staff_page.reload()
    expect(signed_in_as(staff_page)).to_have_text(f"Signed in as {OFFICER.name}")  # still signed in


# --- accessibility -------------------------------------------------------------------------------


@pytest.mark.axe
def test_no_serious_accessibility_problems_on_any_staff_page(page: Page, staff_page: Page, site: Site):
    reference = apply_through_chat(page, site)["reference"]
    problems = {}

    def check(name: str) -> None:
        found = serious_axe_violations(staff_page)
        if found:
            problems[name] = found

    staff_page.goto(site.url("staff/sign-in"))
    check("sign-in")
    fill_sign_in(staff_page, ADMIN.email, "")
    expect(staff_page.locator(".govuk-error-summary")).to_be_visible()
    check("sign-in, refused")
    sign_in(staff_page, site, ADMIN)
    check("home")
    for name, path in (
        ("list", "staff/applications"),
        ("list, filtered", "staff/applications?status=received&mine=yes"),
        ("list, refused filter", "staff/applications?status=nonsense"),
        ("application", f"staff/applications/{reference}"),
        ("figures", "staff/figures"),
        ("figures, refused year", "staff/figures?year=20x6"),
        ("audit", "staff/audit"),
    ):
        staff_page.goto(site.url(path))
        expect(staff_page.get_by_role("heading", level=1)).to_be_visible()
        check(name)
    staff_page.goto(site.url(f"staff/applications/{reference}"))
    staff_page.get_by_role("button", name="Record it").click()  # nothing chosen: refused, with its message
    expect(staff_page.locator(".govuk-error-summary")).to_contain_text("Choose what happened")
    check("application, refused form")
    record(staff_page, "threshold-met")
    check("application, recorded")
    assert problems == {}
