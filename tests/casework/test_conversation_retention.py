"""The conversation store (Rasa's SQL tracker store, written here by Rasa's own SQLTrackerStore)
under retention and "forget me": on SQLite (var/tracker.db) with SQLite applications, and on
PostgreSQL (ASBCR_TRACKER_URL) with PostgreSQL applications."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from sqlalchemy import text

from casework import conversations, service
from tests.casework.conftest import ADMIN_URL, _admin_engine
from tests.casework.test_application_pages import run


@pytest.fixture(scope="session")
def postgres_tracker_url(postgres_url):
    name = f"asbcr_tracker_{secrets.token_hex(6)}"
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        conversations._engine.cache_clear()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def tracker_store(store, request, monkeypatch, tmp_path):
    """Rasa's own SQLTrackerStore on the same kind of database as the applications."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    if store.startswith("sqlite"):
        monkeypatch.delenv("ASBCR_TRACKER_URL", raising=False)
        (tmp_path / "var").mkdir(exist_ok=True)
        tracker = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "var" / "tracker.db"))
    else:
        url = request.getfixturevalue("postgres_tracker_url")
        monkeypatch.setenv("ASBCR_TRACKER_URL", url)
        tracker = SQLTrackerStore(
            Domain.empty(), dialect="postgresql", host="127.0.0.1", port=5432, db=url.rsplit("/", 1)[1], username="postgres"
        )
        with tracker.engine.begin() as connection:
            connection.execute(text("DELETE FROM events"))
    yield tracker
    tracker.engine.dispose()
    conversations._engine.cache_clear()


def say(tracker_store, sender: str, words: str, on: dt.date) -> None:
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from tests.run_async import run_async

    tracker = run_async(tracker_store.retrieve(sender)) or DialogueStateTracker(sender, [])
    stamp = dt.datetime.combine(on, dt.time(12), tzinfo=dt.timezone.utc).timestamp()
    tracker.update(UserUttered(words, timestamp=stamp))
    run_async(tracker_store.save(tracker))


def stored(tracker_store, sender: str):
    from tests.run_async import run_async

    tracker = run_async(tracker_store.retrieve(sender))
    return [event.as_dict().get("text") for event in tracker.events] if tracker else []


def chat_application(make_application, sender: str, received: str) -> dict:
    changes = {"received": received, "facts": {}} if received < "2026" else {"received": received}
    return service.create_application(make_application(**changes), idempotency_key=f"chat:{sender}")


def test_retention_removes_the_conversation_with_the_application_and_old_ones_without_one(store, tracker_store, make_application):
    retained = chat_application(make_application, "retained", "2019-03-01")
    service.record_event(retained["reference"], "threshold-not-met", "2019-05-10")
    open_one = chat_application(make_application, "open", "2026-11-20")
    say(tracker_store, "retained", "my name is Jo Bloggs, 12 Station Road", dt.date(2019, 3, 1))
    say(tracker_store, "open", "my name is Ann, 3 Mill Lane", dt.date(2019, 3, 1))  # old, but its application is open
    say(tracker_store, "idle-old", "the lads next door, 5 Park Road", dt.date(2026, 10, 1))
    say(tracker_store, "idle-recent", "the dog barks, 9 Elm Street", dt.date(2026, 11, 10))

    preview = service.apply_retention(24, dry_run=True)
    assert preview["references"] == [retained["reference"]] and preview["conversations_removed"] == 1
    assert stored(tracker_store, "retained") and stored(tracker_store, "idle-old")

    result = service.apply_retention(24)  # 30 days for conversations without an application
    assert result["references"] == [retained["reference"]] and result["conversations_removed"] == 1
    assert stored(tracker_store, "retained") == []
    assert stored(tracker_store, "idle-old") == []
    assert stored(tracker_store, "open") == ["my name is Ann, 3 Mill Lane"]
    assert stored(tracker_store, "idle-recent") == ["the dog barks, 9 Elm Street"]
    assert service.get_application(open_one["reference"])["applicant"]["name"] == "Jo Bloggs"


def test_a_retained_application_cannot_come_back_from_its_conversation(store, tracker_store, make_application):
    """Its key is gone with its personal data and its conversation with it: the next confirmation
    in that conversation has nothing to submit (the bot re-checks a sealed, confirmed decision)."""
    retained = chat_application(make_application, "retained", "2019-03-01")
    service.record_event(retained["reference"], "threshold-not-met", "2019-05-10")
    say(tracker_store, "retained", "/apply_now", dt.date(2019, 3, 1))
    service.apply_retention(24)
    assert stored(tracker_store, "retained") == []
    assert service.get_application(retained["reference"])["applicant"]["name"] is None


def test_conversation_retention_is_a_whole_number_of_days(store):
    for bad in (0, -1, 1.5, True):
        with pytest.raises(service.CaseworkError, match="whole number of days"):
            service.apply_retention(24, conversations_older_than_days=bad)


def forget_page(token):
    async def scenario(client):
        page = await client.get(f"/application/{token}")
        return page.status, await page.text()

    return run(scenario)


def post_forget(token, data, headers=None):
    async def scenario(client):
        response = await client.post(f"/application/{token}/forget", data=data, headers=headers or {})
        return response.status, await response.text()

    return run(scenario)


def hidden_token(html: str) -> str:
    marker = 'name="form_token" value="'
    return html.split(marker, 1)[1].split('"', 1)[0]


def test_forget_me_removes_the_details_and_the_conversation_and_staff_see_it(store, tracker_store, make_application):
    created = chat_application(make_application, "resident-7", "2026-11-20")
    say(tracker_store, "resident-7", "my name is Jo Bloggs, 12 Station Road", dt.date(2026, 11, 20))
    status, html = forget_page(created["token"])
    assert status == 200 and 'action="' + created["token"] + '/forget"' in html

    status, html = post_forget(created["token"], {"form_token": hidden_token(html)})
    assert status == 200 and "Your details have been removed" in html and "Jo Bloggs" not in html
    shown = service.get_application(created["reference"])
    assert shown["applicant"] == {"name": None, "email": None, "phone": None, "address": None}
    assert shown["description"] is None and shown["private_url"] is None
    assert [e["event"] for e in shown["events"]] == ["received", "resident-erased"]
    assert stored(tracker_store, "resident-7") == []
    assert forget_page(created["token"])[0] == 404  # the link is dead


@pytest.mark.parametrize(
    "data, headers",
    [
        ({}, None),
        ({"form_token": "0" * 64}, None),
        ("right token", {"Origin": "https://evil.example"}),
        ("right token", {"Sec-Fetch-Site": "cross-site", "Origin": "null"}),
    ],
    ids=["no token", "wrong token", "other origin", "other site"],
)
def test_forget_me_without_the_pages_token_removes_nothing(store, tracker_store, make_application, data, headers):
    created = chat_application(make_application, "resident-8", "2026-11-20")
    say(tracker_store, "resident-8", "my name is Jo Bloggs", dt.date(2026, 11, 20))
    if data == "right token":
        data = {"form_token": hidden_token(forget_page(created["token"])[1])}
    status, _ = post_forget(created["token"], data, headers)
    assert status == 403
    assert service.get_application(created["reference"])["applicant"]["name"] == "Jo Bloggs"
    assert stored(tracker_store, "resident-8") == ["my name is Jo Bloggs"]


def test_a_tracker_store_that_is_down_anonymises_nothing(store, make_application, monkeypatch):
    retained = chat_application(make_application, "retained", "2019-03-01")
    service.record_event(retained["reference"], "threshold-not-met", "2019-05-10")
    monkeypatch.setenv("ASBCR_TRACKER_URL", "postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(service.CaseworkError, match="conversation store is not available"):
        service.apply_retention(24)
    assert service.get_application(retained["reference"])["applicant"]["name"] == "Jo Bloggs"


def test_staff_read_the_transcript_rasa_stored_in_order_and_never_its_id(store, tracker_store, make_application):
    """What the console shows (casework.conversations.transcript) from rows Rasa's own
    SQLTrackerStore wrote: the resident's words, the bot's with the buttons it offered, a pressed
    button by its title; the sender id stays on the server."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from tests.run_async import run_async

    created = chat_application(make_application, "resident-9", "2026-11-20")
    stamp = dt.datetime(2026, 11, 20, 12, tzinfo=dt.timezone.utc).timestamp()
    tracker = DialogueStateTracker("resident-9", [])
    for number, event in enumerate(
        [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            ActionExecuted("action_listen"),
            BotUttered("Can I help?", data={"buttons": [{"title": "Check my case", "payload": "/start"}]}),
            UserUttered("/start"),
            BotUttered("What has been happening?"),
            UserUttered("loud music at number 16"),
        ]
    ):
        event.timestamp = stamp + number
        tracker.update(event)
    run_async(tracker_store.save(tracker))

    shown = service.conversation_transcript(created["reference"])
    assert shown["state"] == "found"
    assert [(m["speaker"], m["text"], m["buttons"], m["chose"]) for m in shown["messages"]] == [
        ("assistant", "Can I help?", ["Check my case"], None),
        ("resident", "/start", [], "Check my case"),
        ("assistant", "What has been happening?", [], None),
        ("resident", "loud music at number 16", [], None),
    ]
    assert shown["messages"][0]["at"] == "2026-11-20T12:00:03+00:00"
    assert "resident-9" not in repr(shown)
