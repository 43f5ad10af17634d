"""Fixtures for the casework tests: the same tests run against SQLite and PostgreSQL.

PostgreSQL: a throwaway database `asbcr_test_<random>` is created once per test
session from the admin URL (trust authentication on 127.0.0.1:5432) and dropped at
the end, so parallel runs never collide. Each test starts from empty tables.
"""

from __future__ import annotations

import os
import secrets

import pytest
from sqlalchemy import create_engine, text

from groundwork import private_logs
from casework import db

ADMIN_URL = os.environ.get("ASBCR_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
TODAY = "2026-11-25"  # a Wednesday; tests that need another day set ASBCR_TODAY themselves


@pytest.fixture(autouse=True)
def plain_logging():
    """Casework's own logging is what these tests read: the check that the Rasa-side modules
    install when imported (bot/channels.py, in an earlier test of the same run) is taken off."""
    private_logs.uninstall()
    yield


def _admin_engine():
    return create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)


@pytest.fixture(scope="session")
def postgres_url():
    try:
        admin = _admin_engine()
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        pytest.skip(f"PostgreSQL is not reachable at {ADMIN_URL}: {str(error).splitlines()[0]}")
    name = f"asbcr_test_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        db.dispose_all()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path, monkeypatch):
    """An empty applications store; the value is its URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'applications.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    monkeypatch.setenv("ASBCR_DATABASE_URL", url)
    monkeypatch.setenv("ASBCR_TODAY", TODAY)
    monkeypatch.setenv("ASBCR_VAR", str(tmp_path / "var"))
    # ASBCR_PARTNERSHIP too: these tests read Erewash's (the contract's default) unless they choose.
    for name in ("ASBCR_PUBLIC_URL", "ASBCR_WEB_PORT", "ASBCR_STAFF_TOKEN", "ASBCR_PARTNERSHIP"):
        monkeypatch.delenv(name, raising=False)
    engine = db.get_engine(url)
    if request.param == "postgresql":
        with engine.begin() as connection:
            connection.execute(
                text(
                    "TRUNCATE notes, assignments, outbox, events, applications, reference_counters, published_figures, staff_sessions, staff_accounts, sign_in_throttles, audit_log RESTART IDENTITY CASCADE"
                )
            )
    yield url
    db.dispose_all()


@pytest.fixture
def make_application():
    """A valid application; keyword arguments replace top-level keys."""

    def build(**changes):
        application = {
            "received": "2026-11-20",
            "channel": "chat",
            "applicant": {
                "name": "Jo Bloggs",
                "email": "jo.bloggs@example.org",
                "phone": "07700 900123",
                "address": "12 Station Road, Ilkeston DE7 5AB",
            },
            "on_behalf": False,
            "victim": None,
            "consent": None,
            "facts": {
                "incidents": [
                    {"date": "2026-09-02", "reported_to": ["police", "council"], "reference": "DC-123"},
                    {"date": "2026-10-10", "reported_to": ["council"]},
                    {"date": "2026-11-01", "reported_to": ["social_landlord"], "reference": "NCHA-77"},
                ]
            },
            "description": "Loud music from number 16 most nights until 3am.",
            "impact": "I cannot sleep and I am anxious about going out.",
        }
        application.update(changes)
        return application

    return build
