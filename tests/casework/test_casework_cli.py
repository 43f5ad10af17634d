"""`asbcr applications ...` and `asbcr stats` as staff run them."""

from __future__ import annotations

import json

import pytest

from asbcr.cli import main
from casework import service


def asbcr(capsys, *argv):
    """Run the command line in-process: (exit code, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exit:  # argparse usage errors
        code = exit.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code, out, err, fragment):
    assert code == 2
    assert out == ""
    assert err.startswith("asbcr: ") and err.count("\n") == 1, err
    assert fragment in err
    assert "Traceback" not in err


def test_new_from_a_file_prints_the_reference(store, make_application, tmp_path, capsys):
    path = tmp_path / "paper.json"
    path.write_text(json.dumps(make_application(channel="paper")), encoding="utf-8")
    code, out, err = asbcr(capsys, "applications", "new", str(path))
    assert code == 0
    assert out == "ASBCR-2026-0001\n"
    assert "acknowledge by 2026-11-27" in err and "apply" in err
    assert service.export_json("ASBCR-2026-0001")["channel"] == "paper"


def test_new_from_stdin_with_json_output(store, make_application, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(make_application(channel="phone"))))
    code, out, _ = asbcr(capsys, "applications", "new", "-", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["reference"] == "ASBCR-2026-0001"
    assert result["acknowledge_by"] == "2026-11-27"
    assert result["decision"]["outcome"] == "apply"
    assert result["private_url"].startswith("http://localhost:8000/application/")


@pytest.mark.parametrize(
    "content, fragment",
    [
        (None, "no such file"),
        ("{not json", "not valid JSON (Expecting property name enclosed in double quotes at line 1, column 2)"),
        (json.dumps({"channel": "fax"}), "channel must be one of"),
        (json.dumps([1, 2]), "an application must be a JSON object"),
    ],
)
def test_new_with_bad_input_is_one_line_and_stores_nothing(store, tmp_path, capsys, content, fragment):
    path = tmp_path / "in.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert_one_line_error(*asbcr(capsys, "applications", "new", str(path)), fragment)
    assert service.list_applications() == []


def test_list_show_and_filters(store, make_application, capsys):
    older = service.create_application(make_application(received="2026-03-02", channel="paper", facts={}))["reference"]
    newer = service.create_application(make_application())["reference"]
    service.record_event(older, "threshold-not-met", "2026-03-20")

    code, out, _ = asbcr(capsys, "applications", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["REFERENCE", "RECEIVED", "ACKNOWLEDGE", "BY", "CHANNEL", "STATUS", "ASSISTANT'S", "VIEW"]
    assert lines[1].split()[:5] == [newer, "2026-11-20", "2026-11-27", "chat", "received"]
    assert lines[2].split()[:5] == [older, "2026-03-02", "2026-03-09", "paper", "threshold-not-met"]

    code, out, _ = asbcr(capsys, "applications", "list", "--status", "closed", "--json")
    assert [row["reference"] for row in json.loads(out)] == [older]
    code, out, _ = asbcr(capsys, "applications", "list", "--year", "2025", "--json")
    assert [row["reference"] for row in json.loads(out)] == [older]
    code, out, err = asbcr(capsys, "applications", "list", "--year", "2030")
    assert (code, out, err) == (0, "", "No applications.\n")
    assert_one_line_error(*asbcr(capsys, "applications", "list", "--status", "pending"), "unknown status 'pending'")

    code, out, _ = asbcr(capsys, "applications", "show", newer.lower())
    assert code == 0
    assert out.startswith(f"{newer}  (received)\n")
    assert "Applicant:       Jo Bloggs" in out
    assert "2026-09-02  The police and the council ref DC-123" in out
    assert "Resident's link: http://localhost:8000/application/" in out
    code, out, _ = asbcr(capsys, "applications", "show", newer, "--json")
    assert json.loads(out)["status"] == "received"
    assert_one_line_error(
        *asbcr(capsys, "applications", "show", "ASBCR-2026-0042"), "no application with reference ASBCR-2026-0042"
    )
    assert_one_line_error(*asbcr(capsys, "applications", "show", "42"), "is not an application reference")


def test_export_json_and_pdf(store, make_application, capsys, tmp_path, monkeypatch):
    reference = service.create_application(make_application())["reference"]
    code, out, _ = asbcr(capsys, "applications", "export", reference, "--format", "json")
    assert code == 0 and json.loads(out) == service.export_json(reference)

    target = tmp_path / "out.json"
    code, out, _ = asbcr(capsys, "applications", "export", reference, "--format", "json", "--output", str(target))
    assert code == 0 and json.loads(target.read_text(encoding="utf-8")) == service.export_json(reference)

    target = tmp_path / "form.pdf"
    code, out, _ = asbcr(capsys, "applications", "export", reference, "--format", "pdf", "--output", str(target))
    assert (code, out) == (0, f"{target}\n")
    assert target.read_bytes().startswith(b"%PDF-")

    monkeypatch.chdir(tmp_path)
    code, out, _ = asbcr(capsys, "applications", "export", reference, "--format", "pdf")
    assert (code, out) == (0, f"{reference}.pdf\n")
    assert (tmp_path / f"{reference}.pdf").is_file()

    assert_one_line_error(
        *asbcr(capsys, "applications", "export", reference, "--format", "pdf", "--output", str(tmp_path / "nowhere" / "x.pdf")),
        "folder does not exist",
    )
    code, _, err = asbcr(capsys, "applications", "export", reference, "--format", "docx")
    assert code == 2 and "invalid choice: 'docx'" in err


def test_record_in_order_and_refusals(store, make_application, capsys):
    reference = service.create_application(make_application())["reference"]
    assert_one_line_error(
        *asbcr(capsys, "applications", "record", reference, "review-held"),
        "no review before a threshold decision: record threshold-met first",
    )
    assert_one_line_error(*asbcr(capsys, "applications", "record", reference, "rejected"), "rejected needs its ground")
    assert_one_line_error(
        *asbcr(capsys, "applications", "record", reference, "threshold-met", "--date", "24/11/2026"),
        "date must be a date as YYYY-MM-DD",
    )
    assert_one_line_error(*asbcr(capsys, "applications", "record", reference, "approved"), "unknown event 'approved'")

    code, out, _ = asbcr(capsys, "applications", "record", reference, "threshold-met", "--date", "2026-11-23")
    assert (code, out) == (0, f"{reference}: threshold-met on 2026-11-23\n")
    code, out, _ = asbcr(capsys, "applications", "record", reference, "review-held", "--note", "Panel at Ilkeston Town Hall")
    assert (code, out) == (0, f"{reference}: review-held on 2026-11-25\n")
    assert [event["event"] for event in service.export_json(reference)["events"]] == ["received", "threshold-met", "review-held"]


def test_record_a_rejection_with_its_ground(store, make_application, capsys):
    reference = service.create_application(make_application())["reference"]
    code, out, _ = asbcr(capsys, "applications", "record", reference, "rejected", "--note", "malicious")
    assert (code, out) == (0, f"{reference}: rejected (malicious) on 2026-11-25\n")


def test_stats_prints_the_council_wording(store, make_application, capsys):
    for number, received in enumerate(["2022-04-01", "2022-09-15", "2023-03-31"]):
        facts = {"incidents": [{"date": "2022-03-20", "reported_to": ["police"]}]} if number else {}
        reference = service.create_application(make_application(received=received, facts=facts))["reference"]
        if number == 0:
            service.record_event(reference, "threshold-not-met", "2022-04-10")
        elif number == 1:
            service.record_event(reference, "threshold-met", "2022-09-20")
            service.record_event(reference, "review-held", "2022-10-20")
            service.record_event(reference, "recommendations-made", "2022-10-21")
        else:
            service.record_event(reference, "threshold-met", "2023-03-31")
            service.record_event(reference, "review-held", "2023-03-31")
    code, out, _ = asbcr(capsys, "stats", "--year", "2022")
    assert code == 0
    assert out == (
        "From April 2022 - March 2023 there were:\n"
        "\n"
        "3 Applications received\n"
        "1 Times the threshold has not been met\n"
        "2 Case reviews carried out\n"
        "1 Case reviews carried out that have resulted in recommendations being made\n"
        "0 Anti-Social Behaviour Case Review appeals received\n"
    )
    code, out, _ = asbcr(capsys, "stats", "--year", "2022", "--json")
    assert json.loads(out) == {
        "year": 2022,
        "received": 3,
        "not_met": 1,
        "reviews": 2,
        "recommendations": 1,
        "appeals": 0,
        "source": "recorded",
    }
    # Without --year: the April-March year that contains today (25 November 2026).
    code, out, _ = asbcr(capsys, "stats")
    assert out.startswith("From April 2026 - March 2027 there were:")
    code, _, err = asbcr(capsys, "stats", "--year", "22")
    assert code == 2 and "'22' is not a year like 2022" in err


def test_retention_command(store, make_application, capsys, monkeypatch):
    reference = service.create_application(make_application(received="2019-05-01", facts={}))["reference"]
    service.record_event(reference, "threshold-not-met", "2019-05-10")
    code, out, _ = asbcr(capsys, "applications", "retention", "--dry-run")
    assert code == 0
    assert out == (
        f"Would remove personal details from 1 application(s) closed on or before 2020-11-25.\n  {reference}\n"
        "Would remove 0 conversation(s) that led to no application.\n"
    )
    assert service.export_json(reference)["applicant"]["name"] == "Jo Bloggs"
    code, out, _ = asbcr(capsys, "applications", "retention", "--older-than-months", "120")
    assert out.startswith("Removed personal details from 0 application(s) closed on or before 2016-11-25.")
    code, out, _ = asbcr(capsys, "applications", "retention")
    assert out.startswith("Removed personal details from 1 application(s)")
    assert service.export_json(reference)["applicant"]["name"] is None
    assert_one_line_error(*asbcr(capsys, "applications", "retention", "--older-than-months", "0"), "at least 1")


def test_migrate_reports_the_revision(store, capsys):
    code, out, _ = asbcr(capsys, "applications", "migrate")
    assert code == 0 and "revision 0005 (up to date; latest 0005)" in out
    code, out, _ = asbcr(capsys, "applications", "migrate", "--status")
    assert code == 0 and "up to date" in out


def test_migrate_status_on_a_new_database_and_unreachable_databases(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ASBCR_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    code, out, _ = asbcr(capsys, "applications", "migrate", "--status")
    assert code == 0 and "revision none (needs upgrading; latest 0005)" in out
    code, out, _ = asbcr(capsys, "applications", "migrate")
    assert code == 0 and "revision 0005 (up to date" in out

    monkeypatch.setenv("ASBCR_DATABASE_URL", "postgresql://nobody:hunter2@127.0.0.1:1/none")
    code, out, err = asbcr(capsys, "applications", "list")
    assert_one_line_error(code, out, err, "cannot open the applications database")
    assert "hunter2" not in err
    monkeypatch.setenv("ASBCR_DATABASE_URL", "not a url")
    assert_one_line_error(*asbcr(capsys, "applications", "list"), "ASBCR_DATABASE_URL is not a database URL")


def test_a_malformed_today_is_a_one_line_error(store, capsys, monkeypatch):
    monkeypatch.setenv("ASBCR_TODAY", "tomorrow")
    assert_one_line_error(*asbcr(capsys, "stats"), "ASBCR_TODAY must be a date")
