"""Staff accounts, the sign-in lock-out, sessions and the audit log in the applications store
(casework/staff.py), and `asbcr staff add` (CONTRACT.md, `asbcr`). Times are passed in: nothing
here waits or reads the wall clock."""

from __future__ import annotations

import datetime as dt
import io
import sys

import pytest
from sqlalchemy import select

from asbcr.cli import main
from casework import service, staff
from casework.db import transaction
from casework.errors import Forbidden
from casework.models import AuditEntry, StaffAccount, StaffSession

PASSWORD = "correct horse battery staple"
T0 = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone.utc)


def asbcr(capsys, monkeypatch, stdin, *argv):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        code = main(list(argv))
    except SystemExit as exit:
        code = exit.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def accounts():
    with transaction(write=False) as session:
        return list(session.execute(select(StaffAccount).order_by(StaffAccount.id)).scalars())


def entries():
    with transaction(write=False) as session:
        return [
            (row.actor, row.action, row.reference, row.detail)
            for row in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
        ]


def test_staff_add_reads_the_password_from_stdin_and_stores_only_an_argon2id_hash(store, capsys, monkeypatch):
    code, out, err = asbcr(
        capsys,
        monkeypatch,
        PASSWORD + "\n",
        "staff",
        "add",
        "Sam Officer",
        "--email",
        "Sam.Officer@Erewash.gov.uk",
        "--role",
        "officer",
        "--password-stdin",
    )
    assert (code, out, err) == (0, "Added officer Sam Officer <sam.officer@erewash.gov.uk>\n", "")
    [row] = accounts()
    assert (row.name, row.email, row.role) == ("Sam Officer", "sam.officer@erewash.gov.uk", "officer")
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    # The line ending is not part of the password; the password is exactly the line.
    member = staff.sign_in_with_password("sam.officer@erewash.gov.uk", PASSWORD, "192.0.2.1", T0)
    assert member.role == "officer" and not member.is_admin
    with pytest.raises(staff.SignInRefused):
        staff.sign_in_with_password("sam.officer@erewash.gov.uk", PASSWORD + "\n", "192.0.2.1", T0)


@pytest.mark.parametrize(
    "stdin, argv, fragment",
    [
        (
            PASSWORD,
            ["--email", "SAM@erewash.gov.uk", "--role", "officer"],
            "a staff account with the email sam@erewash.gov.uk already exists",
        ),
        (PASSWORD, ["--email", "new@erewash.gov.uk", "--role", "boss"], "the role must be officer or admin, not 'boss'"),
        ("", ["--email", "new@erewash.gov.uk", "--role", "officer"], "the password is empty"),
        ("\n", ["--email", "new@erewash.gov.uk", "--role", "officer"], "the password is empty"),
        (
            "elevenchars\n",
            ["--email", "new@erewash.gov.uk", "--role", "admin"],
            "the password is too short: it needs at least 12",
        ),
        (PASSWORD, ["--email", "not-an-email", "--role", "officer"], "the email is not an email address"),
    ],
)
def test_staff_add_refuses_with_one_line_and_adds_nothing(store, capsys, monkeypatch, stdin, argv, fragment):
    staff.add_account("Sam", "sam@erewash.gov.uk", "officer", PASSWORD)
    code, out, err = asbcr(capsys, monkeypatch, stdin, "staff", "add", "New Person", *argv, "--password-stdin")
    assert code == 2 and out == ""
    assert err.startswith("asbcr: ") and err.count("\n") == 1 and fragment in err, err
    assert len(accounts()) == 1


def test_staff_add_never_takes_the_password_from_the_command_line(store, capsys, monkeypatch):
    code, out, err = asbcr(
        capsys, monkeypatch, PASSWORD, "staff", "add", "Sam", "--email", "sam@erewash.gov.uk", "--role", "officer"
    )
    assert code == 2 and "--password-stdin" in err and err.count("\n") == 1
    assert accounts() == []


def test_five_failures_lock_the_email_for_fifteen_minutes_and_unknown_emails_alike(store):
    staff.add_account("Sam", "sam@erewash.gov.uk", "officer", PASSWORD)
    for email in ("sam@erewash.gov.uk", "nobody@erewash.gov.uk"):
        for minute in range(4):
            with pytest.raises(staff.SignInRefused) as refused:
                staff.sign_in_with_password(email, "wrong password!", "192.0.2.1", T0 + dt.timedelta(minutes=minute))
            assert refused.value.locked_until is None
        with pytest.raises(staff.SignInRefused) as refused:
            staff.sign_in_with_password(email, "wrong password!", "192.0.2.1", T0 + dt.timedelta(minutes=4))
        assert refused.value.locked_until == T0 + dt.timedelta(minutes=4) + staff.LOCK_OUT
    # Locked: even the right password is refused, and the lock is not extended by trying.
    with pytest.raises(staff.SignInRefused) as refused:
        staff.sign_in_with_password("sam@erewash.gov.uk", PASSWORD, "192.0.2.1", T0 + dt.timedelta(minutes=18))
    assert refused.value.locked_until == T0 + dt.timedelta(minutes=19)
    # At the unlock time the right password works, and a success clears the count.
    assert (
        staff.sign_in_with_password("SAM@erewash.gov.uk ", PASSWORD, "192.0.2.1", T0 + dt.timedelta(minutes=19)).email
        == "sam@erewash.gov.uk"
    )
    with pytest.raises(staff.SignInRefused) as refused:
        staff.sign_in_with_password("sam@erewash.gov.uk", "wrong password!", "192.0.2.1", T0 + dt.timedelta(minutes=20))
    assert refused.value.locked_until is None
    assert [action for actor, action, _, _ in entries() if actor == "sam@erewash.gov.uk"] == ["sign-in-failed"] * 4 + [
        "sign-in-locked",
        "sign-in-locked",
        "sign-in",
        "sign-in-failed",
    ]
    # A failed sign-in with an unknown email never stores what was typed (it may be a password).
    assert "nobody@erewash.gov.uk" not in str(entries())


def test_failures_spread_beyond_the_window_do_not_lock(store):
    staff.add_account("Sam", "sam@erewash.gov.uk", "officer", PASSWORD)
    for step in range(8):
        with pytest.raises(staff.SignInRefused) as refused:
            staff.sign_in_with_password(
                "sam@erewash.gov.uk",
                "typo typo typo",
                "192.0.2.1",
                T0 + step * (staff.FAILURE_WINDOW / 4 + dt.timedelta(minutes=1)),
            )
        assert refused.value.locked_until is None, step


def test_one_address_trying_many_emails_is_locked_out(store):
    staff.add_account("Sam", "sam@erewash.gov.uk", "officer", PASSWORD)
    for number in range(staff.ADDRESS_FAILURES_BEFORE_LOCK - 1):
        with pytest.raises(staff.SignInRefused) as refused:
            staff.sign_in_with_password(f"guess{number}@erewash.gov.uk", "guess guess guess", "198.51.100.7", T0)
        assert refused.value.locked_until is None
    with pytest.raises(staff.SignInRefused) as refused:
        staff.sign_in_with_password("guess-last@erewash.gov.uk", "guess guess guess", "198.51.100.7", T0)
    assert refused.value.locked_until == T0 + staff.LOCK_OUT
    with pytest.raises(staff.SignInRefused):  # from that address, even the right account and password
        staff.sign_in_with_password("sam@erewash.gov.uk", PASSWORD, "198.51.100.7", T0 + dt.timedelta(minutes=1))
    # From another address the officer signs in as usual.
    assert staff.sign_in_with_password("sam@erewash.gov.uk", PASSWORD, "192.0.2.1", T0 + dt.timedelta(minutes=1))


def test_sessions_keep_only_the_hash_and_expire_idle_and_absolute(store):
    member = staff.add_account("Sam", "sam@erewash.gov.uk", "officer", PASSWORD)
    session_id, csrf_token = staff.open_session(member, T0)
    with transaction(write=False) as session:
        [row] = session.execute(select(StaffSession)).scalars()
    assert session_id not in (row.id_hash, row.csrf_token) and len(row.id_hash) == 64
    # Used every 29 minutes it lives on, until 10 hours after sign-in.
    moment = T0
    while moment + dt.timedelta(minutes=29) < T0 + staff.ABSOLUTE_TIMEOUT:
        moment += dt.timedelta(minutes=29)
        assert staff.session_member(session_id, moment) == (member, csrf_token), moment
    assert staff.session_member(session_id, T0 + staff.ABSOLUTE_TIMEOUT) is None
    # Left alone for 30 minutes it ends.
    other, _ = staff.open_session(member, T0)
    assert staff.session_member(other, T0 + staff.IDLE_TIMEOUT - dt.timedelta(seconds=1)) is not None
    assert staff.session_member(other, T0 + 2 * staff.IDLE_TIMEOUT - dt.timedelta(seconds=1)) is None
    assert staff.session_member("not a session id", T0) is None
    third, _ = staff.open_session(member, T0)
    staff.close_session(third)
    assert staff.session_member(third, T0) is None


def test_the_audit_log_is_for_admins_and_survives_retention(store, make_application, monkeypatch):
    officer = staff.add_account("Sam", "sam@erewash.gov.uk", "officer", PASSWORD)
    admin = staff.add_account("Alex", "alex@erewash.gov.uk", "admin", PASSWORD)
    monkeypatch.setenv("ASBCR_TODAY", "2019-05-20")
    reference = service.create_application(make_application(received="2019-05-01", facts={}))["reference"]
    service.record_event(reference, "threshold-not-met", "2019-05-10")
    staff.audit(officer, "viewed", reference=reference, now=T0)
    staff.audit(officer, "recorded-event", reference=reference, detail="threshold-not-met", now=T0)
    staff.audit(staff.MACHINE_ACTOR, "viewed", reference=reference, now=T0)
    before = staff.audit_log(admin)

    monkeypatch.setenv("ASBCR_TODAY", "2026-11-25")
    assert service.apply_retention(12)["references"] == [reference]
    assert service.export_json(reference)["applicant"]["name"] is None  # retention did run
    assert staff.audit_log(admin) == before
    assert [(entry["actor"], entry["action"], entry["reference"], entry["detail"]) for entry in before] == [
        ("casework system", "viewed", reference, None),
        ("sam@erewash.gov.uk", "recorded-event", reference, "threshold-not-met"),
        ("sam@erewash.gov.uk", "viewed", reference, None),
    ]
    assert staff.audit_log(admin, reference="ASBCR-2019-0099") == []
    with pytest.raises(Forbidden):
        staff.audit_log(officer)
