"""The staff console's pages (web/console.py) through aiohttp's test client, on both databases:
the applications list and its filters, one application with its chat transcript and its forms,
the yearly figures and their downloads, and the audit log. Sign-in, sessions and CSRF are
web/staff_auth.py's (tests/casework/test_staff_sign_in.py); here each console page and form is
shown to be behind them.

The chat's conversation store is written here in the shape Rasa's SQLTrackerStore writes (its
`events` table, one JSON event a row): the web tier has no Rasa to write it. That casework reads
what Rasa itself writes is tests/casework/test_conversation_retention.py's.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import create_engine, select, text

from casework import conversations, labels, service, staff
from casework.db import transaction
from casework.errors import CaseworkError
from casework.models import AuditEntry, Note
from tests.casework.test_staff_sign_in import (
    ADMIN_PASSWORD,
    PASSWORD,
    Browser,
    Clock,
    accounts,  # noqa: F401
    csrf_of,
    make_app,
    next_of,
    run,
)
from web import console

SENDER = "console-test-sender-0001"
REPO = Path(__file__).resolve().parents[2]


def html(value) -> str:
    """`value` as a page shows it (Jinja escapes quotes and apostrophes)."""
    return str(escape(value))


def no_tags(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


# --- the conversation store, as Rasa's SQLTrackerStore writes it -----------------------------


def write_conversation(sender: str, turns) -> None:
    """`turns`: ("bot", text, buttons) and ("user", text) in order, after the session's start."""
    engine = create_engine(conversations.tracker_url())
    stamp = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone.utc).timestamp()
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
                "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
                "action_name VARCHAR(255), data TEXT)"
            )
        )
        rows = [
            ("action", {"event": "action", "name": "action_session_start"}),
            ("session_started", {"event": "session_started"}),
            ("action", {"event": "action", "name": "action_listen"}),
        ]
        for turn in turns:
            if turn[0] == "bot":
                buttons = [{"title": title, "payload": payload} for title, payload in turn[2]]
                rows.append(("bot", {"event": "bot", "text": turn[1], "data": {"buttons": buttons or None}}))
            else:
                rows.append(("user", {"event": "user", "text": turn[1], "parse_data": {"intent": {"name": "x"}}}))
                rows.append(("action", {"event": "action", "name": "action_converse"}))
        for number, (type_name, data) in enumerate(rows):
            data["timestamp"] = stamp + number
            connection.execute(
                text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, :t, :ts, :d)"),
                {"s": sender, "t": type_name, "ts": stamp + number, "d": json.dumps(data)},
            )
    engine.dispose()


CONVERSATION = [
    ("bot", "Hello. I can help you check whether you can ask for an ASB Case Review.", [("Check my case", "/start")]),
    ("user", "/start"),
    ("bot", "What has been happening?", []),
    ("user", "Loud music from number 16 most nights until 3am"),
    ("bot", "When did you report it, and to whom?", []),
    ("user", "2 September to the police and the council, then 10 October and 1 November"),
    ("bot", "Thank you. You can apply for a case review.", []),
]


@pytest.fixture
def chat_store(store, monkeypatch):
    monkeypatch.delenv("ASBCR_TRACKER_URL", raising=False)
    Path(conversations.tracker_url()[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    yield
    conversations._engine.cache_clear()


@pytest.fixture
def chat_application(accounts, chat_store, make_application):
    """An application made through the service as the chat makes it, with its conversation."""
    created = service.create_application(make_application(), idempotency_key=f"chat:{SENDER}")
    write_conversation(SENDER, CONVERSATION)
    return created


def run_console(scenario, clock=None):
    return run(scenario, app=make_app(clock or Clock()))  # with the console's routes


async def signed_in(browser, email="sam@erewash.gov.uk", password=PASSWORD):
    response = await browser.sign_in(email, password)
    assert response.status == 303, response.body_text
    return csrf_of((await browser.get("/staff/")).body_text)


async def follow(browser, response):
    assert response.status == 303, (response.status, response.body_text[:2000])
    return await browser.get(response.headers["Location"])


def audit_rows():
    with transaction(write=False) as session:
        return [
            (row.actor, row.action, row.reference, row.detail)
            for row in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
        ]


def figures_lines(page: str):
    """The figures block of /staff/figures, as lines of text."""
    block = re.search(r'<div class="govuk-inset-text govuk-body">(.*?)</div>', page, re.S).group(1)
    return [line.strip() for line in re.sub(r"</?p>|<br>", "\n", block).split("\n") if line.strip()]


# --- the whole way through -----------------------------------------------------------------


def test_an_officer_takes_an_application_from_the_chat_to_a_review_and_the_figures_change(chat_application):
    reference = chat_application["reference"]
    decision = chat_application["decision"]
    officer, admin = staff.account_by_email("sam@erewash.gov.uk"), staff.account_by_email("alex@erewash.gov.uk")

    async def scenario(browser):
        token = await signed_in(browser)
        seen = {
            "home": await browser.get("/staff/"),
            "figures before": await browser.get("/staff/figures?year=2026"),
            "list": await browser.get("/staff/applications"),
            "page": await browser.get(f"/staff/applications/{reference}"),
        }
        path = f"/staff/applications/{reference}"
        seen["threshold"] = await follow(
            browser,
            await browser.post(
                path + "/events", data={"csrf_token": token, "event": "threshold-met", "date": "2026-11-24", "note": ""}
            ),
        )
        seen["review"] = await follow(
            browser,
            await browser.post(
                path + "/events", data={"csrf_token": token, "event": "review-held", "date": "", "note": "Panel met"}
            ),
        )
        seen["recommendations"] = await follow(
            browser,
            await browser.post(
                path + "/events", data={"csrf_token": token, "event": "recommendations-made", "date": "2026-11-25"}
            ),
        )
        seen["assigned"] = await follow(
            browser, await browser.post(path + "/assign", data={"csrf_token": token, "officer": str(officer.id)})
        )
        seen["mine"] = await browser.get("/staff/applications?mine=yes")
        seen["noted"] = await follow(
            browser,
            await browser.post(path + "/notes", data={"csrf_token": token, "text": "Rang the applicant:\nthe music goes on."}),
        )
        seen["figures after"] = await browser.get("/staff/figures?year=2026")
        seen["reassigned"] = await follow(
            browser, await browser.post(path + "/assign", data={"csrf_token": token, "officer": str(admin.id)})
        )
        seen["mine after"] = await browser.get("/staff/applications?mine=yes")
        return seen

    seen = run_console(scenario)
    for name, response in seen.items():
        assert response.status == 200, (name, response.body_text[:3000])
    home = seen["home"].body_text
    for link in ('href="../staff/applications"', 'href="../staff/figures"'):
        assert link in home
    assert 'href="../staff/audit"' not in home  # an officer is not an admin

    listing = seen["list"].body_text
    row = re.search(r"<tr class=\"govuk-table__row\">\s*<th scope=\"row\".*?</tr>", listing, re.S).group(0)
    assert no_tags(row) == (
        f"{reference} 20 November 2026 27 November 2026 Online chat Application received {labels.outcome(decision)} Nobody"
    )

    page = seen["page"].body_text
    assert "Jo Bloggs" in page and "jo.bloggs@example.org" in page and html("12 Station Road, Ilkeston DE7 5AB") in page
    incidents = re.search(r"<caption[^>]*>Incidents</caption>(.*?)</table>", page, re.S).group(1)
    cells = [no_tags(line) for line in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", incidents, re.S)][1:]
    bodies = decision["words"]["bodies"]
    assert cells == [
        f"1 2 September 2026 {bodies['police'].capitalize()} and {bodies['council']} 2 September 2026 DC-123",
        f"2 10 October 2026 {bodies['council'].capitalize()} 10 October 2026 None given",
        f"3 1 November 2026 {bodies['social_landlord'].capitalize()} 1 November 2026 NCHA-77",
    ]
    assert f"The assistant's view: {html(decision['words']['title'])}" in page
    assert html(decision["summary"]) in page
    for reason in decision["reasons"]:
        assert html(reason["text"]) in page
        for published_in in reason["references"]:
            assert html(published_in) in page
    for sentence in labels.assumed(decision):
        assert html(sentence) in page
    for step in decision["next_steps"]:
        assert html(step) in page
    chat = page[page.index('id="chat"') : page.index('id="events"')]
    said = [no_tags(item) for item in re.findall(r"<li[^>]*>(.*?)</li>", chat, re.S)]
    assert [line.split()[0] for line in said] == ["Assistant", "Resident"] * 3 + ["Assistant"]
    assert html("Pressed the button “Check my case”") in said[1]
    assert "Buttons offered: Check my case" in said[0]
    for turn, line in zip(CONVERSATION, said):
        if turn[1] != "/start":
            assert html(turn[1]) in line
    assert "10:00 on 20 November 2026" in said[0]
    assert 'href="../../staff/api/applications/%s/application.pdf"' % reference in page

    assert "Recorded: Threshold met on 24 November 2026." in seen["threshold"].body_text
    assert "Recorded: Case review held on 25 November 2026." in seen["review"].body_text
    events = no_tags(seen["recommendations"].body_text.split('id="events"')[1].split('id="notes"')[0])
    assert (
        "20 November 2026 Application received 24 November 2026 Threshold met "
        "25 November 2026 Case review held Panel met 25 November 2026 Recommendations made"
    ) in events
    assert f"Assigned to {officer.name}." in seen["assigned"].body_text
    assert reference in seen["mine"].body_text
    assert reference not in seen["mine after"].body_text  # assigned to the admin now
    noted = seen["noted"].body_text
    assert "Your note was added." in noted
    assert "Rang the applicant:<br>the music goes on." in noted and "Sam Officer</strong>, 09:00 on 25 November 2026" in noted

    before, after = figures_lines(seen["figures before"].body_text), figures_lines(seen["figures after"].body_text)
    assert before == service.STATS_TEMPLATE.format(
        first=2026, second=2027, received=1, not_met=0, reviews=0, recommendations=0, appeals=0
    ).replace("\n\n", "\n").split("\n")
    assert after == [line.strip() for line in service.stats(2026).split("\n") if line.strip()]
    assert "1 Case reviews carried out" in after
    assert "1 Case reviews carried out that have resulted in recommendations being made" in after

    assert service.get_application(reference)["status"] == "recommendations-made"
    assert [(actor, action, ref, detail) for actor, action, ref, detail in audit_rows() if ref] == [
        ("sam@erewash.gov.uk", "viewed", reference, None),
        ("sam@erewash.gov.uk", "recorded-event", reference, "threshold-met"),
        ("sam@erewash.gov.uk", "viewed", reference, None),
        ("sam@erewash.gov.uk", "recorded-event", reference, "review-held"),
        ("sam@erewash.gov.uk", "viewed", reference, None),
        ("sam@erewash.gov.uk", "recorded-event", reference, "recommendations-made"),
        ("sam@erewash.gov.uk", "viewed", reference, None),
        ("sam@erewash.gov.uk", "assigned", reference, "sam@erewash.gov.uk"),
        ("sam@erewash.gov.uk", "viewed", reference, None),
        ("sam@erewash.gov.uk", "added-note", reference, None),
        ("sam@erewash.gov.uk", "viewed", reference, None),
        ("sam@erewash.gov.uk", "assigned", reference, "alex@erewash.gov.uk"),
        ("sam@erewash.gov.uk", "viewed", reference, None),
    ]


# --- refused: no session, the wrong role, no CSRF token ------------------------------------------


CONSOLE_GETS = [
    "/staff/applications",
    "/staff/applications?status=open",
    "/staff/applications/{ref}",
    "/staff/figures",
    "/staff/figures?year=2026",
    "/staff/figures.csv?year=2026",
    "/staff/figures.html?year=2026",
    "/staff/audit",
    "/staff/audit?page=2",
]
CONSOLE_POSTS = ["/staff/applications/{ref}/events", "/staff/applications/{ref}/assign", "/staff/applications/{ref}/notes"]


def test_every_console_page_and_form_needs_a_session_and_the_audit_log_an_admin(chat_application):
    reference = chat_application["reference"]

    async def scenario(browser):
        anonymous = [(path, await browser.get(path.format(ref=reference))) for path in CONSOLE_GETS]
        anonymous += [
            (path, await browser.post(path.format(ref=reference), data={"event": "threshold-met", "officer": "1", "text": "x"}))
            for path in CONSOLE_POSTS
        ]
        await signed_in(browser)
        as_officer = await browser.get("/staff/audit")
        browser.cookies.clear()
        await signed_in(browser, "alex@erewash.gov.uk", ADMIN_PASSWORD)
        as_admin = await browser.get("/staff/audit")
        admin_home = await browser.get("/staff/")
        return anonymous, as_officer, as_admin, admin_home

    anonymous, as_officer, as_admin, admin_home = run_console(scenario)
    for path, response in anonymous:
        assert response.status == 303, path
        # Back to the page asked for after signing in; a form goes back to where it posts.
        assert next_of(response) == path.format(ref=reference), path
    assert as_officer.status == 403 and "This page is for admins only." in as_officer.body_text
    assert as_admin.status == 200 and "Audit log" in as_admin.body_text
    assert 'href="../staff/audit"' in admin_home.body_text
    assert service.get_application(reference)["status"] == "received"  # nothing was changed


def test_every_console_form_is_refused_without_the_sessions_csrf_token(chat_application):
    reference = chat_application["reference"]
    officer = staff.account_by_email("sam@erewash.gov.uk")
    forms = {"/events": {"event": "threshold-met"}, "/assign": {"officer": str(officer.id)}, "/notes": {"text": "a note"}}

    async def scenario(browser):
        token = await signed_in(browser)
        other = Browser(browser.client)
        other_token = await signed_in(other, "alex@erewash.gov.uk", ADMIN_PASSWORD)
        refused = []
        for ending, form in forms.items():
            path = f"/staff/applications/{reference}{ending}"
            refused.append((ending, "none", await browser.post(path, data=form)))
            refused.append((ending, "wrong", await browser.post(path, data=dict(form, csrf_token="x" * 43))))
            refused.append((ending, "another session's", await browser.post(path, data=dict(form, csrf_token=other_token))))
            refused.append(
                (
                    ending,
                    "from another site",
                    await browser.post(path, data=dict(form, csrf_token=token), headers={"Sec-Fetch-Site": "cross-site"}),
                )
            )
        return refused

    for ending, how, response in run_console(scenario):
        assert response.status == 403, (ending, how)
        assert "This form has expired" in response.body_text, (ending, how)
    application = service.get_application(reference)
    assert application["status"] == "received" and application["assigned_to"] is None and application["notes"] == []
    assert not [row for row in audit_rows() if row[1] in ("recorded-event", "assigned", "added-note")]


# --- bad input: a clear message, the officer's input kept ---------------------------------------


def test_bad_filters_and_searches_get_a_clear_message_and_keep_what_was_typed(chat_application, make_application):
    reference = chat_application["reference"]
    paper = service.create_application(
        make_application(channel="paper", received="2026-11-16", applicant={"name": "Ann Other", "email": "ann@example.org"})
    )
    officer = staff.account_by_email("sam@erewash.gov.uk")
    service.assign(paper["reference"], officer.id)

    async def scenario(browser):
        await signed_in(browser)
        asked = {}
        for query in (
            "status=shredded",
            "overdue=maybe",
            "mine=1",
            "q=" + "x" * 101,
            "q=%07bell",
            "q=bloggs",
            "q=" + reference.lower(),
            "q=ASBCR-2026",
            "q=nobody+here",
            "overdue=yes",
            "mine=yes",
            "status=received&q=ann",
            "status=closed",
            "q=%25",
        ):
            asked[query] = await browser.get("/staff/applications?" + query)
        return asked

    asked = run_console(scenario)

    def refused(query, field, message):
        page = asked[query].body_text
        assert asked[query].status == 400, query
        assert "There is a problem" in page and f'<a href="#{field}">{html(message)}</a>' in page, query
        assert f'id="{field}-error"' in page and "<table" not in page, query
        return page

    assert 'value="shredded"' not in refused("status=shredded", "status", "Choose a status from the list")
    refused("overdue=maybe", "overdue", "Overdue is a tick box: tick it or leave it empty")
    refused("mine=1", "mine", "Assigned to me is a tick box: tick it or leave it empty")
    assert f'value="{"x" * 101}"' in refused("q=" + "x" * 101, "q", "Search for at most 100 characters")
    refused("q=%07bell", "q", "The search has characters that are not letters, digits or punctuation")

    def found(query):
        assert asked[query].status == 200, (query, asked[query].body_text[:2000])
        return set(re.findall(r"ASBCR-\d{4}-\d{4}(?=</a></th>)", asked[query].body_text))

    assert found("q=bloggs") == {reference}
    assert found("q=" + reference.lower()) == {reference}
    assert found("q=ASBCR-2026") == {reference, paper["reference"]}
    assert found("q=nobody+here") == set() and "No applications match." in asked["q=nobody+here"].body_text
    assert found("q=%25") == set()  # a % is searched for, not a wildcard
    # Received on Monday 16 November: acknowledge by Monday 23 November, passed on 25 November.
    assert found("overdue=yes") == {paper["reference"]}
    assert "Overdue</strong>" in asked["overdue=yes"].body_text
    assert found("mine=yes") == {paper["reference"]}
    assert found("status=received&q=ann") == {paper["reference"]}
    assert 'value="ann"' in asked["status=received&q=ann"].body_text
    assert '<option value="received" selected>' in asked["status=received&q=ann"].body_text
    assert found("status=closed") == set()


def test_a_refused_event_shows_the_command_lines_own_message_beside_its_field(chat_application):
    reference = chat_application["reference"]
    path = f"/staff/applications/{reference}/events"
    attempts = [
        ({"event": "review-held", "date": "", "note": "Panel booked"}, "event-event"),
        ({"event": "threshold-met", "date": "24/11/2026", "note": ""}, "event-date"),
        ({"event": "threshold-met", "date": "2026-11-26", "note": ""}, "event-date"),
        ({"event": "threshold-met", "date": "2026-11-19", "note": ""}, "event-date"),
        ({"event": "rejected", "date": "", "note": "a fourth application about the hedge"}, "event-note"),
        ({"event": "withdrawn", "date": "", "note": "n" * 2001}, "event-note"),
        ({"event": "shredded", "date": "", "note": ""}, "event-event"),
    ]

    def command_line_message(form):
        """What `asbcr applications record` prints for the same input (service.record_event refuses
        it before writing anything)."""
        with pytest.raises(CaseworkError) as refused:
            service.record_event(reference, form["event"], form["date"] or None, form["note"] or None)
        return str(refused.value)

    expected = [command_line_message(form) for form, _ in attempts]

    async def scenario(browser):
        token = await signed_in(browser)
        answers = [await browser.post(path, data=dict(form, csrf_token=token)) for form, _ in attempts]
        answers.append(await browser.post(path, data={"csrf_token": token, "date": "2026-11-24", "note": "kept"}))
        return answers

    answers = run_console(scenario)
    for (form, field), message, answer in zip(attempts, expected, answers):
        page = answer.body_text
        assert answer.status == 400, form
        sentence = message[:1].upper() + message[1:]
        assert f'<a href="#{field}">{html(sentence)}</a>' in page, (form, sentence)
        assert f'id="{field}-error"' in page and f'id="{field}"' in page, form
        if form["date"]:
            assert f'name="date" type="text" value="{html(form["date"])}"' in page, form
        if form["note"]:
            assert f'>{html(form["note"])}</textarea>' in page, form
        if form["event"] != "shredded":
            assert f'value="{form["event"]}" checked' in page, form
    assert "No review before a threshold decision: record threshold-met first" in answers[0].body_text
    assert '<a href="#event-event">Choose what happened</a>' in answers[-1].body_text
    assert '>kept</textarea>' in answers[-1].body_text
    assert [event["event"] for event in service.get_application(reference)["events"]] == ["received"]


def test_bad_assignments_and_notes_are_refused_with_a_message(chat_application):
    reference = chat_application["reference"]

    async def scenario(browser):
        token = await signed_in(browser)
        path = f"/staff/applications/{reference}"
        return [
            await browser.post(path + "/assign", data={"csrf_token": token, "officer": "sam"}),
            await browser.post(path + "/assign", data={"csrf_token": token, "officer": "99999"}),
            await browser.post(path + "/notes", data={"csrf_token": token, "text": "   "}),
            await browser.post(path + "/notes", data={"csrf_token": token, "text": "w" * 2001}),
            await browser.get("/staff/applications/ASBCR-2026-9999"),
            await browser.get("/staff/applications/not-a-reference"),
            await browser.post("/staff/applications/ASBCR-2026-9999/notes", data={"csrf_token": token, "text": "x"}),
        ]

    answers = run_console(scenario)
    assert [answer.status for answer in answers] == [400, 400, 400, 400, 404, 400, 404]
    assert '<a href="#officer">Choose an officer from the list</a>' in answers[0].body_text
    assert '<a href="#officer">Choose an officer from the list: that account does not exist</a>' in answers[1].body_text
    assert '<a href="#note-text">Enter the note</a>' in answers[2].body_text
    assert '<a href="#note-text">The note is longer than 2000 characters</a>' in answers[3].body_text
    assert f'>{"w" * 2001}</textarea>' in answers[3].body_text
    assert "No application with reference ASBCR-2026-9999" in answers[4].body_text
    assert html("'not-a-reference' is not an application reference (like ASBCR-2026-0007)") in answers[5].body_text
    application = service.get_application(reference)
    assert application["assigned_to"] is None and application["notes"] == []


# --- the transcript when there is none ------------------------------------------------------------


def test_the_page_says_plainly_when_there_is_no_transcript(accounts, chat_store, make_application):
    paper = service.create_application(make_application(channel="paper"))["reference"]
    unstored = service.create_application(make_application(), idempotency_key="chat:never-stored")["reference"]
    forgotten = service.create_application(make_application(), idempotency_key=f"chat:{SENDER}")
    write_conversation(SENDER, CONVERSATION)
    service.forget_by_token(forgotten["token"])

    async def scenario(browser):
        await signed_in(browser)
        return [await browser.get(f"/staff/applications/{reference}") for reference in (paper, unstored, forgotten["reference"])]

    pages = [no_tags(page.body_text) for page in run_console(scenario)]
    assert "There is no transcript: this application did not come through the chat." in pages[0]
    assert "There is no transcript: the chat's store holds no messages for this application's conversation" in pages[1]
    assert "the conversation was removed with the personal details on 25 November 2026" in pages[2]
    assert "Loud music" not in pages[2]
    assert "Nothing more can be recorded: the personal details were removed." in pages[2]
    assert conversations.transcript(SENDER) == []


# --- the figures -----------------------------------------------------------------------------------


def test_the_figures_page_and_its_downloads_say_what_asbcr_stats_prints(accounts, make_application):
    service.import_published((REPO / "casework/data/published-figures.csv").read_text(encoding="utf-8"), "published-figures.csv")
    service.create_application(make_application())
    page_copy = (REPO / "casework/data/published-figures-page.txt").read_text(encoding="utf-8")

    async def scenario(browser):
        await signed_in(browser)
        asked = {}
        for query in ("year=2019", "year=2017", "year=2026", "", "year=20x6", "year=1999", "year=%20"):
            asked[query] = await browser.get("/staff/figures?" + query)
        for ending in (".csv", ".html"):
            for query in ("year=2019", "year=2026", "year=twenty"):
                asked[ending + query] = await browser.get(f"/staff/figures{ending}?" + query)
        return asked

    asked = run_console(scenario)
    for year in (2019, 2017, 2026):
        shown = figures_lines(asked[f"year={year}"].body_text)
        printed = service.stats(year)
        assert shown == [html(line.strip()) for line in printed.split("\n") if line.strip()], year
    # 2019/20 exactly as the council's page has it (en dash), from the stored copy of the page.
    heading = "From April 2019 – March 2020 there were:"
    assert heading in page_copy and html(heading) in asked["year=2019"].body_text
    assert "The council's own published figures" in asked["year=2019"].body_text
    assert "Counted from the applications recorded here" in asked["year=2026"].body_text
    assert figures_lines(asked[""].body_text) == figures_lines(asked["year=2026"].body_text)  # this year by default

    assert figures_lines(asked["year=%20"].body_text) == figures_lines(asked["year=2026"].body_text)  # empty: this year
    for query in ("year=20x6", "year=1999"):
        assert asked[query].status == 400, query
        assert '<a href="#year">' in asked[query].body_text and 'id="year-error"' in asked[query].body_text
    assert "The year must be a year like 2022 (for April 2022 to March 2023), not &#39;20x6&#39;" in asked["year=20x6"].body_text
    assert "Year must be a year like 2022, not 1999" in asked["year=1999"].body_text

    csv_2019 = asked[".csvyear=2019"]
    assert csv_2019.status == 200 and csv_2019.headers["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="asb-case-review-figures-2019-20.csv"' == csv_2019.headers["Content-Disposition"]
    published_row = next(
        line for line in (REPO / "casework/data/published-figures.csv").read_text().splitlines() if line.startswith("2019,")
    )
    assert csv_2019.body_text.splitlines() == [
        "year,applications_received,threshold_not_met,reviews_carried_out,reviews_with_recommendations,appeals_received",
        published_row,
    ]
    assert asked[".csvyear=2026"].body_text.splitlines()[1] == "2026,1,0,0,0,0"

    block = asked[".htmlyear=2019"]
    assert block.status == 200 and block.headers["Content-Type"].startswith("text/html")
    assert block.body_text == str(console.figures_block(service.stats(2019)))
    assert block.body_text.startswith(f"<p>{heading}</p>\n<p>3 Applications received<br>\n")
    assert block.body_text in asked["year=2019"].body_text  # the page shows the very block it offers
    for ending in (".csv", ".html"):
        refused = asked[ending + "year=twenty"]
        assert refused.status == 400 and refused.body_text.startswith("The year must be a year like 2022")


def test_a_year_with_published_figures_and_recorded_applications_is_refused_not_added_up(accounts, make_application):
    service.import_published((REPO / "casework/data/published-figures.csv").read_text(encoding="utf-8"), "published-figures.csv")
    service.create_application(make_application(received="2022-06-01", facts={}))
    with pytest.raises(CaseworkError) as expected:
        service.stats(2022)

    async def scenario(browser):
        await signed_in(browser)
        return [
            await browser.get("/staff/figures?year=2022"),
            await browser.get("/staff/figures.csv?year=2022"),
            await browser.get("/staff/figures.html?year=2022"),
        ]

    page, csv_file, block = run_console(scenario)
    message = str(expected.value)
    assert page.status == 409 and html(message[:1].upper() + message[1:]) in page.body_text
    assert "Download" not in page.body_text
    assert csv_file.status == block.status == 409 and csv_file.body_text.strip() == message[:1].upper() + message[1:]


# --- the audit log ---------------------------------------------------------------------------------


def test_the_audit_log_pages_newest_first_and_refuses_a_page_that_is_not_there(accounts):
    officer, admin = staff.account_by_email("sam@erewash.gov.uk"), staff.account_by_email("alex@erewash.gov.uk")
    start = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.timezone.utc)
    for number in range(console.AUDIT_PAGE_SIZE + 5):
        staff.audit(officer, "viewed", reference=f"ASBCR-2026-{number + 1:04d}", now=start + dt.timedelta(minutes=number))

    async def scenario(browser):
        await signed_in(browser, "alex@erewash.gov.uk", ADMIN_PASSWORD)
        return [await browser.get(f"/staff/audit?page={page}") for page in ("1", "2", "3", "0", "two", "")] + [
            await browser.get("/staff/audit")
        ]

    first, second, third, zero, word, empty, plain = run_console(scenario)
    total = console.AUDIT_PAGE_SIZE + 5 + 1  # and the admin's own sign-in
    assert first.status == second.status == plain.status == 200
    first_rows = re.findall(r"<tr class=\"govuk-table__row\">\s*<td.*?</tr>", first.body_text, re.S)
    assert len(first_rows) == console.AUDIT_PAGE_SIZE
    assert no_tags(first_rows[0]).startswith(f"09:00 on 25 November 2026 {admin.email} sign-in")
    assert no_tags(first_rows[1]) == f"08:54 on 24 November 2026 {officer.email} viewed ASBCR-2026-0055"
    second_rows = re.findall(r"<tr class=\"govuk-table__row\">\s*<td.*?</tr>", second.body_text, re.S)
    assert len(second_rows) == total - console.AUDIT_PAGE_SIZE
    assert no_tags(second_rows[-1]) == f"08:00 on 24 November 2026 {officer.email} viewed ASBCR-2026-0001"
    assert f"{total} entries" in first.body_text and 'href="../staff/audit?page=2" rel="next"' in first.body_text
    assert third.status == 404 and "There are only 2 pages" in third.body_text
    for refused in (zero, word, empty):
        assert refused.status == 400 and '<a href="#page">The page must be a whole number from 1' in refused.body_text
    assert plain.body_text.count("<tr class=\"govuk-table__row\">") == first.body_text.count("<tr class=\"govuk-table__row\">")


# --- notes under retention, and no resident's words in a log -------------------------------------


def test_notes_are_cleared_with_the_personal_details_and_the_audit_log_stays(accounts, make_application):
    officer = staff.account_by_email("sam@erewash.gov.uk")
    closed = service.create_application(make_application(received="2019-03-01", facts={}))["reference"]
    service.record_event(closed, "threshold-not-met", "2019-05-10", "Told Jo Bloggs by phone")
    service.add_note(closed, officer.id, "Jo Bloggs asked for a call back")
    service.assign(closed, officer.id)
    open_one = service.create_application(make_application())["reference"]
    service.add_note(open_one, officer.id, "Still going on at number 16")
    staff.audit(officer, "added-note", reference=closed)

    assert service.apply_retention(24)["references"] == [closed]
    retained = service.get_application(closed)
    assert [note["text"] for note in retained["notes"]] == [None]
    assert retained["notes"][0]["author"] == "Sam Officer"  # who wrote one, and when, stay
    assert retained["events"][1]["note"] is None
    assert [note["text"] for note in service.get_application(open_one)["notes"]] == ["Still going on at number 16"]
    with pytest.raises(CaseworkError, match="personal details were removed") as refused:
        service.add_note(closed, officer.id, "one more")
    assert refused.value.field == "note"
    with transaction(write=False) as session:
        assert session.execute(select(Note).where(Note.text.is_(None))).scalars().all()
    assert ("sam@erewash.gov.uk", "added-note", closed, None) in audit_rows()


def test_no_resident_words_reach_the_log_from_the_console(chat_application, caplog):
    reference = chat_application["reference"]
    caplog.set_level(logging.DEBUG)

    async def scenario(browser):
        token = await signed_in(browser)
        await browser.get("/staff/applications?q=Bloggs")
        await browser.get(f"/staff/applications/{reference}")
        await browser.post(
            f"/staff/applications/{reference}/notes", data={"csrf_token": token, "text": "Jo Bloggs at 12 Station Road rang"}
        )
        await browser.post(
            f"/staff/applications/{reference}/events",
            data={"csrf_token": token, "event": "rejected", "note": "Jo Bloggs is cross"},
        )

    run_console(scenario)
    # The test server's own access log is left out: the service runs without one (web/server.py,
    # access_log=None; nginx has access_log off), as a search puts a name in the address.
    records = [record for record in caplog.records if record.name != "aiohttp.access"]
    logged = " ".join(record.getMessage() for record in records) + " ".join(str(record.args) for record in records)
    for words in ("Bloggs", "Station Road", "Loud music", "jo.bloggs@example.org"):
        assert words not in logged
    assert reference in logged  # the log does say which application
