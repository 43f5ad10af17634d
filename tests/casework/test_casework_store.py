"""Creating and reading applications, against SQLite and PostgreSQL (the `store` fixture)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from casework import db, service
from casework.errors import CaseworkError, NotFound
from casework.models import Application, Event, ReferenceCounter, metadata

ROOT = Path(__file__).resolve().parents[2]


def counts():
    with db.transaction(write=False) as session:
        return (
            session.execute(select(func.count(Application.id))).scalar_one(),
            session.execute(select(func.count(Event.id))).scalar_one(),
        )


def test_migrations_build_exactly_the_models(store):
    engine = db.get_engine()
    assert db.current_revision(engine) == db.head_revision()
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    assert differences == []


def test_create_returns_reference_acknowledgement_link_and_decision(store, make_application, monkeypatch):
    monkeypatch.setenv("ASBCR_PUBLIC_URL", "https://asb.erewash.example/")
    result = service.create_application(make_application(received="2026-11-20"))
    assert result["reference"] == "ASBCR-2026-0001"
    assert result["acknowledge_by"] == "2026-11-27"  # Fri 20 Nov -> Mon 23 .. Fri 27
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", result["token"])
    assert result["private_url"] == f"https://asb.erewash.example/application/{result['token']}"
    assert result["decision"]["outcome"] == "apply"
    assert result["decision"]["rule_set"]["name"] == "erewash"
    assert result["created"] is True
    # The link carries nothing personal: it is the address and a random token, nothing else, and
    # the same person's next application gets another token (so it is not made from their details).
    # (Searching a random token for "Jo" failed about one run in a hundred.)
    from urllib.parse import urlsplit

    link = urlsplit(result["private_url"])
    assert (link.path, link.query, link.fragment) == (f"/application/{result['token']}", "", "")
    again = service.create_application(make_application(received="2026-11-20", description="Another time."))
    assert again["token"] != result["token"]


def test_private_url_defaults_to_the_web_port(store, make_application, monkeypatch):
    monkeypatch.setenv("ASBCR_WEB_PORT", "8123")
    result = service.create_application(make_application())
    assert result["private_url"] == f"http://localhost:8123/application/{result['token']}"
    monkeypatch.delenv("ASBCR_WEB_PORT")
    assert service.private_url("abc") == "http://localhost:8000/application/abc"


def test_references_count_from_one_in_each_year_of_receipt(store, make_application):
    first = service.create_application(make_application(received="2026-01-05", facts={}))
    second = service.create_application(make_application(received="2025-12-30", facts={}))
    third = service.create_application(make_application(received="2026-02-01", facts={}))
    assert [first["reference"], second["reference"], third["reference"]] == [
        "ASBCR-2026-0001",
        "ASBCR-2025-0001",
        "ASBCR-2026-0002",
    ]
    assert len({first["token"], second["token"], third["token"]}) == 3


def test_export_has_the_contract_shape_and_what_was_established(store, make_application):
    application = make_application(
        on_behalf=True,
        victim={"name": "Edna Smith", "relationship": "neighbour"},
        consent=True,
    )
    reference = service.create_application(application)["reference"]
    exported = service.export_json(reference)
    assert set(exported) == {
        "reference",
        "received",
        "acknowledge_by",
        "channel",
        "applicant",
        "on_behalf",
        "victim",
        "consent",
        "facts",
        "description",
        "impact",
        "decision",
        "events",
    }
    assert exported["applicant"] == application["applicant"]
    assert exported["facts"] == application["facts"]
    assert exported["victim"]["name"] == "Edna Smith"
    assert exported["consent"] is True
    assert exported["decision"]["outcome"] == "apply"
    assert exported["events"] == [{"event": "received", "date": "2026-11-20", "note": None}]
    # Round trip through JSON: everything stored is JSON-ready.
    assert json.loads(json.dumps(exported)) == exported


def test_on_behalf_without_consent_is_stored_with_the_get_consent_decision(store, make_application):
    result = service.create_application(make_application(on_behalf=True, victim="Edna Smith", consent=None))
    assert result["decision"]["outcome"] == "get_consent"
    assert service.export_json(result["reference"])["victim"]["name"] == "Edna Smith"


def test_decision_is_computed_for_paper_applications_as_of_receipt(store, make_application):
    # Received in March 2026 with incidents reported Oct 2025 - Feb 2026: inside the six months
    # before receipt, although far outside the six months before today (25 Nov 2026).
    paper = make_application(
        channel="paper",
        received="2026-03-10",
        facts={
            "incidents": [
                {"date": "2025-10-01", "reported_to": ["police"]},
                {"date": "2025-12-01", "reported_to": ["council"]},
                {"date": "2026-02-01", "reported_to": ["social_landlord"]},
            ]
        },
    )
    result = service.create_application(paper)
    assert result["decision"]["outcome"] == "apply"
    assert result["decision"]["qualifying_incidents"] == 3
    with db.transaction(write=False) as session:
        row = session.execute(select(Application)).scalar_one()
        assert row.channel == "paper"
        assert row.outcome == "apply"
        assert row.rule_set_name == "erewash"
        assert row.rule_set_version == result["decision"]["rule_set"]["version"]


def test_a_bad_case_fact_names_its_key_and_stores_nothing(store, make_application):
    bad = make_application(facts={"incidents": [{"date": "not a date", "reported_to": ["police"]}]})
    with pytest.raises(CaseworkError) as caught:
        service.create_application(bad)
    message = str(caught.value)
    assert message.startswith("facts: ") and "date" in message
    assert "\n" not in message
    assert counts() == (0, 0)


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"channel": "fax"}, "channel must be one of"),
        ({"channel": None}, "channel must be one of"),
        ({"received": "25/11/2026"}, "received must be a date"),
        ({"received": "2026-12-01"}, "lies after today"),
        ({"applicant": {"email": "a@b.org"}}, "applicant.name is required"),
        ({"applicant": {"name": "Jo"}}, "at least one way to reach them"),
        ({"applicant": {"name": "Jo", "email": "not-an-email"}}, "applicant.email is not an email address"),
        ({"applicant": {"name": "Jo", "phone": "call me"}}, "applicant.phone is not a phone number"),
        ({"applicant": {"name": "Jo", "email": "a@b.org", "age": 3}}, "applicant: unknown key 'age'"),
        ({"on_behalf": "yes"}, "on_behalf must be true or false"),
        ({"on_behalf": True, "victim": None}, "victim.name is required"),
        ({"victim": "Edna"}, "victim: only give the person affected when on_behalf is true"),
        ({"consent": True}, "consent: only applies when on_behalf is true"),
        ({"facts": []}, "facts must be a JSON object"),
        ({"facts": {"on_behalf": True}}, "facts.on_behalf disagrees"),
        ({"description": 42}, "description must be text"),
        ({"descripton": "typo"}, "unknown key 'descripton'"),
        ({"reference": "ASBCR-2026-0001"}, "looks like an exported application"),
    ],
)
def test_bad_applications_get_one_clear_line_and_store_nothing(store, make_application, changes, fragment):
    with pytest.raises(CaseworkError) as caught:
        service.create_application(make_application(**changes))
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)
    # Messages never repeat personal values back (callers may log them).
    assert "not-an-email" not in str(caught.value) and "call me" not in str(caught.value)
    assert counts() == (0, 0)


def test_not_an_object(store):
    with pytest.raises(CaseworkError, match="must be a JSON object"):
        service.create_application(["not", "an", "application"])


def test_the_same_confirmation_twice_makes_one_application(store, make_application):
    first = service.create_application(make_application(), idempotency_key="chat-42:confirm-1")
    again = service.create_application(make_application(), idempotency_key="chat-42:confirm-1")
    assert again["reference"] == first["reference"]
    assert again["token"] == first["token"]
    assert again["created"] is False and first["created"] is True
    assert counts() == (1, 1)
    other = service.create_application(make_application(), idempotency_key="chat-42:confirm-2")
    assert other["reference"] == "ASBCR-2026-0002"


def test_two_simultaneous_confirmations_make_one_application(store, make_application):
    """A double-click: both requests pass the lookup, the unique constraint decides."""
    threads_count = 6
    barrier = threading.Barrier(threads_count)
    results, errors = [], []

    def confirm():
        try:
            barrier.wait(timeout=10)
            results.append(service.create_application(make_application(), idempotency_key="double-click"))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=confirm) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == threads_count
    assert {result["reference"] for result in results} == {"ASBCR-2026-0001"}
    assert sum(result["created"] for result in results) == 1
    assert counts() == (1, 1)


def test_concurrent_different_applications_get_distinct_gapless_references(store, make_application):
    barrier = threading.Barrier(5)
    references, errors = [], []

    def create(number):
        try:
            barrier.wait(timeout=10)
            references.append(service.create_application(make_application(), idempotency_key=f"k{number}")["reference"])
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(references) == [f"ASBCR-2026-{n:04d}" for n in range(1, 6)]


def test_a_failure_mid_creation_leaves_nothing(store, make_application, monkeypatch):
    real_append = service._append_event

    def failing_append(*args, **kwargs):
        raise RuntimeError("disk full while writing the received event")

    monkeypatch.setattr(service, "_append_event", failing_append)
    with pytest.raises(RuntimeError):
        service.create_application(make_application(), idempotency_key="half")
    assert counts() == (0, 0)
    with db.transaction(write=False) as session:
        # The reference number was given back with the rollback.
        assert session.execute(select(func.coalesce(func.max(ReferenceCounter.last_number), 0))).scalar_one() == 0

    monkeypatch.setattr(service, "_append_event", real_append)
    result = service.create_application(make_application(), idempotency_key="half")
    assert result["reference"] == "ASBCR-2026-0001" and result["created"] is True
    assert counts() == (1, 1)


CRASHING_CHILD = textwrap.dedent(
    """
    import os, sys, json
    from casework import service
    real = service._append_event
    def crash(*args, **kwargs):
        real(*args, **kwargs)  # the application row is already flushed, nothing is committed
        os._exit(3)            # the process dies: no exception handlers, no rollback code runs
    service._append_event = crash
    service.create_application(json.loads(sys.argv[1]), idempotency_key="crash")
    """
)


def test_a_crash_mid_creation_leaves_nothing(store, make_application):
    db.dispose_all()
    child = subprocess.run(
        [sys.executable, "-c", CRASHING_CHILD, json.dumps(make_application())],
        env=dict(os.environ),
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 3, child.stderr
    assert counts() == (0, 0)
    # And the same confirmation, retried, works once.
    result = service.create_application(make_application(), idempotency_key="crash")
    assert result["reference"] == "ASBCR-2026-0001"
    assert counts() == (1, 1)


def test_unknown_and_malformed_references(store):
    with pytest.raises(NotFound, match="no application with reference ASBCR-2026-0099"):
        service.get_application("ASBCR-2026-0099")
    with pytest.raises(CaseworkError, match="is not an application reference"):
        service.export_json("2026-0001")
    with pytest.raises(NotFound):
        service.get_application_by_token("x" * 43)
    with pytest.raises(NotFound):
        service.get_application_by_token("../../etc/passwd")


def test_references_are_case_insensitive_and_tokens_find_the_application(store, make_application):
    result = service.create_application(make_application())
    assert service.get_application(result["reference"].lower())["reference"] == result["reference"]
    assert service.get_application_by_token(result["token"])["reference"] == result["reference"]
    assert service.get_application(result["reference"])["private_url"] == result["private_url"]


def test_list_filters_by_status_year_and_channel_newest_first(store, make_application):
    old = service.create_application(make_application(received="2026-03-31", channel="paper", facts={}))
    new = service.create_application(make_application(received="2026-04-01", facts={}))
    newer = service.create_application(make_application(received="2026-06-01", channel="phone", facts={}))
    service.record_event(newer["reference"], "threshold-not-met", "2026-06-10")

    assert [row["reference"] for row in service.list_applications()] == [
        newer["reference"],
        new["reference"],
        old["reference"],
    ]
    # --year is April to March, as in the published figures.
    assert [row["reference"] for row in service.list_applications(year=2025)] == [old["reference"]]
    assert [row["reference"] for row in service.list_applications(year=2026)] == [newer["reference"], new["reference"]]
    assert [row["reference"] for row in service.list_applications(status="threshold-not-met")] == [newer["reference"]]
    assert [row["reference"] for row in service.list_applications(status="open")] == [new["reference"], old["reference"]]
    assert [row["reference"] for row in service.list_applications(status="closed")] == [newer["reference"]]
    assert [row["reference"] for row in service.list_applications(channel="paper")] == [old["reference"]]
    assert service.list_applications(status="received", year=2026, channel="phone") == []
    with pytest.raises(CaseworkError, match="unknown status"):
        service.list_applications(status="pending")
    with pytest.raises(CaseworkError, match="unknown channel"):
        service.list_applications(channel="fax")
