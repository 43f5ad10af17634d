"""Casework: events in order, the published figures, retention of personal data, and logs.

Runs against SQLite and PostgreSQL (the `store` fixture).
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import select, text

from casework import db, service
from casework.errors import CaseworkError
from casework.models import Application, Event

D = dt.date.fromisoformat


def new(make_application, received="2026-11-20", **changes):
    return service.create_application(make_application(received=received, **changes))["reference"]


def incidents_before(received: dt.date, reported: int = 3):
    """`reported` incidents reported to the police within the six months before receipt."""
    return {
        "incidents": [
            {"date": (received - dt.timedelta(days=20 + 30 * n)).isoformat(), "reported_to": ["police"]} for n in range(reported)
        ]
    }


# --- the order of events ----------------------------------------------------------


@pytest.mark.parametrize(
    "recorded, event, problem",
    [
        ([], "review-held", "no review before a threshold decision"),
        ([], "recommendations-made", "record review-held first"),
        ([], "appeal-received", "an appeal needs a decision to appeal against"),
        (["threshold-met"], "threshold-not-met", "threshold decision has already been recorded"),
        (["threshold-met"], "threshold-met", "already been recorded"),
        (["threshold-not-met"], "review-held", "no review before a threshold decision"),
        (["threshold-met"], "appeal-received", "an appeal needs a decision to appeal against"),
        (["threshold-not-met"], "rejected", "cannot reject"),
        (["rejected vexatious"], "threshold-met", "was rejected"),
        (["rejected vexatious"], "review-held", "was rejected"),
        (["withdrawn"], "threshold-met", "withdrawn; nothing more"),
        (["threshold-not-met"], "withdrawn", "already closed"),
        (["threshold-met", "review-held", "recommendations-made"], "recommendations-made", "already been recorded"),
        (["threshold-not-met", "appeal-received"], "appeal-received", "already been recorded"),
        ([], "reviewed", "unknown event 'reviewed'"),
    ],
)
def test_events_out_of_order_are_refused(store, make_application, recorded, event, problem):
    reference = new(make_application)
    for item in recorded:
        name, _, note = item.partition(" ")
        service.record_event(reference, name, "2026-11-21", note or None)
    with pytest.raises(CaseworkError) as caught:
        service.record_event(reference, event, "2026-11-22")
    assert problem in str(caught.value)
    # Nothing was appended by the refused event.
    assert [e["event"] for e in service.export_json(reference)["events"]] == ["received"] + [
        item.split(" ")[0] for item in recorded
    ]


@pytest.mark.parametrize(
    "sequence",
    [
        ["threshold-met", "review-held", "recommendations-made", "appeal-received"],
        ["threshold-met", "review-held", "appeal-received"],
        ["threshold-not-met", "appeal-received"],
        ["threshold-met", "withdrawn"],
        ["withdrawn"],
        ["rejected malicious", "appeal-received"],
        ["threshold-met", "rejected unreasonable"],
    ],
)
def test_sensible_sequences_are_accepted(store, make_application, sequence):
    reference = new(make_application)
    for number, item in enumerate(sequence, start=1):
        name, _, note = item.partition(" ")
        result = service.record_event(reference, name, f"2026-11-{20 + number}", note or None)
        assert result["status"] == name
    application = service.get_application(reference)
    assert [event["event"] for event in application["events"]] == ["received"] + [i.split(" ")[0] for i in sequence]
    assert application["status"] == sequence[-1].split(" ")[0]


def test_rejected_needs_one_of_the_published_grounds(store, make_application):
    reference = new(make_application)
    with pytest.raises(CaseworkError, match="rejected needs its ground"):
        service.record_event(reference, "rejected")
    with pytest.raises(CaseworkError, match="prejudicial, discriminatory, malicious, unreasonable, vexatious"):
        service.record_event(reference, "rejected", note="rude to staff")
    result = service.record_event(reference, "rejected", "2026-11-23", "Vexatious: fourth application about the same hedge")
    assert result["ground"] == "vexatious"
    event = service.export_json(reference)["events"][-1]
    assert event == {
        "event": "rejected",
        "date": "2026-11-23",
        "ground": "vexatious",
        "note": "Vexatious: fourth application about the same hedge",
    }


def test_event_dates_must_follow_receipt_and_the_last_event_and_not_be_in_the_future(store, make_application):
    reference = new(make_application, received="2026-11-20")
    with pytest.raises(CaseworkError, match="before the last event \\(received on 2026-11-20\\)"):
        service.record_event(reference, "threshold-met", "2026-11-19")
    with pytest.raises(CaseworkError, match="lies after today \\(2026-11-25\\)"):
        service.record_event(reference, "threshold-met", "2026-11-26")
    with pytest.raises(CaseworkError, match="date must be a date"):
        service.record_event(reference, "threshold-met", "next week")
    service.record_event(reference, "threshold-met", "2026-11-24")
    with pytest.raises(CaseworkError, match="before the last event \\(threshold-met on 2026-11-24\\)"):
        service.record_event(reference, "review-held", "2026-11-23")
    # Without a date, the event happened today (ASBCR_TODAY).
    assert service.record_event(reference, "review-held")["date"] == "2026-11-25"


# --- published figures ------------------------------------------------------------

STATS_2022 = """From April 2022 - March 2023 there were:

3 Applications received
1 Times the threshold has not been met
2 Case reviews carried out
1 Case reviews carried out that have resulted in recommendations being made
0 Anti-Social Behaviour Case Review appeals received"""

# (received, threshold not met, reviews carried out, with recommendations, appeals)
# The council's published figures for 2015/16 to 2023/24, from its page (casework/data/README.md;
# the same numbers as casework/data/published-figures.csv). Entered here as applications and
# events, they must come out of the service's own counting unchanged; how the imported figures
# print is tests/casework/test_published_figures.py.
PUBLISHED = {
    2015: (1, 0, 1, 0, 1),
    2016: (1, 0, 1, 1, 0),
    2017: (0, 0, 0, 0, 0),
    2018: (0, 0, 0, 0, 0),
    2019: (3, 1, 2, 2, 0),
    2020: (2, 2, 0, 0, 0),
    2021: (2, 1, 1, 0, 0),
    2022: (3, 1, 2, 1, 0),
    2023: (0, 0, 0, 0, 0),
}


def test_the_table_is_the_published_data_file():
    from casework.published import DATA, parse_csv

    data_file = DATA / "published-figures.csv"
    rows = parse_csv(data_file.read_text(encoding="utf-8"), data_file.name)
    assert {row.year: row.counts for row in rows} == PUBLISHED


def enter_year(make_application, year, figures):
    """Enter applications and events, as staff would, that yield one year's figures.

    Applications are received from 1 April onwards; decisions follow receipt by two
    weeks, reviews by six weeks. Applications not needed for a figure are rejected,
    withdrawn or left open, in turn, and the last of them arrives on 31 March, so the
    year's first and last days are both counted.
    """
    received, not_met, reviews, recommendations, appeals = figures
    assert not_met + reviews <= received and recommendations <= reviews and appeals <= not_met + reviews
    start = dt.date(year, 4, 1)
    plan = ["not_met"] * not_met + ["review"] * reviews + ["other"] * (received - not_met - reviews)
    appeals_left, recommendations_left = appeals, recommendations
    for index, role in enumerate(plan):
        day = start + dt.timedelta(days=21 * index)
        if role == "other" and index == len(plan) - 1:
            day = dt.date(year + 1, 3, 31)
        facts = incidents_before(day, reported=2 if role == "not_met" else 3)
        channel = ("chat", "paper", "phone", "email")[index % 4]
        reference = service.create_application(make_application(received=day.isoformat(), channel=channel, facts=facts))[
            "reference"
        ]
        later = lambda days: (day + dt.timedelta(days=days)).isoformat()  # noqa: E731
        if role == "not_met":
            service.record_event(reference, "threshold-not-met", later(14))
            if appeals_left:
                service.record_event(reference, "appeal-received", later(30))
                appeals_left -= 1
        elif role == "review":
            service.record_event(reference, "threshold-met", later(14))
            service.record_event(reference, "review-held", later(42))
            if recommendations_left:
                service.record_event(reference, "recommendations-made", later(43))
                recommendations_left -= 1
            if appeals_left:
                service.record_event(reference, "appeal-received", later(60))
                appeals_left -= 1
        else:
            kind = index % 3
            if kind == 0:
                service.record_event(reference, "rejected", later(0), "vexatious")
            elif kind == 1:
                service.record_event(reference, "withdrawn", later(0))
    assert appeals_left == 0 and recommendations_left == 0


def expected_text(year, figures):
    received, not_met, reviews, recommendations, appeals = figures
    return (
        f"From April {year} - March {year + 1} there were:\n\n"
        f"{received} Applications received\n"
        f"{not_met} Times the threshold has not been met\n"
        f"{reviews} Case reviews carried out\n"
        f"{recommendations} Case reviews carried out that have resulted in recommendations being made\n"
        f"{appeals} Anti-Social Behaviour Case Review appeals received"
    )


def test_stats_2022_prints_exactly_the_council_wording(store, make_application):
    enter_year(make_application, 2022, PUBLISHED[2022])
    assert service.stats(2022) == STATS_2022


def test_every_published_year_is_reproduced(store, make_application):
    for year, figures in PUBLISHED.items():
        enter_year(make_application, year, figures)
    for year, figures in PUBLISHED.items():
        assert service.stats(year) == expected_text(year, figures), year
    assert service.stats(2014) == expected_text(2014, (0, 0, 0, 0, 0))


def test_rejected_withdrawn_and_open_applications_and_both_kinds_of_appeal(store, make_application):
    # The published years have none of these (the page's figures are small), so a year of our own:
    # an appeal after threshold-not-met and one after a review; three applications that count
    # only as received (rejected, withdrawn, still open), the last received on 31 March.
    figures = (5, 1, 1, 1, 2)
    enter_year(make_application, 2024, figures)
    assert service.stats(2024) == expected_text(2024, figures)
    assert {row["status"] for row in service.list_applications(year=2024)} == {
        "appeal-received",
        "received",
        "rejected",
        "withdrawn",
    }
    assert service.list_applications(year=2024)[0]["received"] == "2025-03-31"


def test_figures_count_each_event_in_the_year_it_happened(store, make_application):
    # Received on 31 March 2023 (2022/23); threshold met and review held in April 2023 (2023/24);
    # recommendations on 1 April 2024 (2024/25).
    reference = new(make_application, received="2023-03-31", facts=incidents_before(D("2023-03-31")))
    service.record_event(reference, "threshold-met", "2023-04-01")
    service.record_event(reference, "review-held", "2024-03-31")
    service.record_event(reference, "recommendations-made", "2024-04-01")
    assert service.stats_counts(2022) == {"received": 1, "not_met": 0, "reviews": 0, "recommendations": 0, "appeals": 0}
    assert service.stats_counts(2023) == {"received": 0, "not_met": 0, "reviews": 1, "recommendations": 0, "appeals": 0}
    assert service.stats_counts(2024) == {"received": 0, "not_met": 0, "reviews": 0, "recommendations": 1, "appeals": 0}


def test_stats_rejects_a_silly_year(store):
    with pytest.raises(CaseworkError, match="year must be a year like 2022"):
        service.stats("twenty")
    with pytest.raises(CaseworkError, match="year must be a year like 2022"):
        service.stats(1066)


# --- retention --------------------------------------------------------------------

PERSONAL = [
    "Jo Bloggs",
    "jo.bloggs@example.org",
    "07700 900123",
    "12 Station Road",
    "Edna Smith",
    "14 Station Road",
    "edna@example.org",
    "Loud music from number 16",
    "I cannot sleep",
    "Mr Angry at number 16",
    "DC-123",
    "NCHA-77",
]


def dump_rows(references):
    """Every stored column of these applications and their events, as one string."""
    with db.transaction(write=False) as session:
        rows = session.execute(select(Application).where(Application.reference.in_(references))).scalars().all()
        ids = [row.id for row in rows]
        text_parts = [repr({column.name: getattr(row, column.name) for column in Application.__table__.columns}) for row in rows]
        for event in session.execute(select(Event).where(Event.application_id.in_(ids))).scalars():
            text_parts.append(repr({column.name: getattr(event, column.name) for column in Event.__table__.columns}))
    return "\n".join(text_parts)


def full_application(make_application, received):
    return make_application(
        received=received,
        on_behalf=True,
        consent=True,
        victim={"name": "Edna Smith", "address": "14 Station Road", "email": "edna@example.org"},
        facts={
            "incidents": [
                {"date": (D(received) - dt.timedelta(days=40)).isoformat(), "reported_to": ["police"], "reference": "DC-123"},
                {"date": (D(received) - dt.timedelta(days=30)).isoformat(), "reported_to": ["council"]},
                {
                    "date": (D(received) - dt.timedelta(days=20)).isoformat(),
                    "reported_to": ["social_landlord"],
                    "reference": "NCHA-77",
                },
            ]
        },
    )


def test_retention_removes_personal_details_and_keeps_the_figures(store, make_application, monkeypatch):
    monkeypatch.setenv("ASBCR_TODAY", "2024-06-01")
    closed_long_ago = service.create_application(full_application(make_application, "2021-05-10"))
    service.record_event(closed_long_ago["reference"], "threshold-met", "2021-05-20", "Spoke to Mr Angry at number 16")
    service.record_event(closed_long_ago["reference"], "review-held", "2021-06-30")
    service.record_event(closed_long_ago["reference"], "recommendations-made", "2021-07-01")
    rejected = new(make_application, received="2021-08-01", facts={})
    service.record_event(rejected, "rejected", "2021-08-02", "vexatious - Jo Bloggs again")
    not_met_then_appeal = new(make_application, received="2021-09-01", facts={})
    service.record_event(not_met_then_appeal, "threshold-not-met", "2021-09-10")
    service.record_event(not_met_then_appeal, "appeal-received", "2023-09-01")  # appeal restarts the clock
    still_open = new(make_application, received="2021-10-01", facts=incidents_before(D("2021-10-01")))
    service.record_event(still_open, "threshold-met", "2021-10-10")
    closed_recently = new(make_application, received="2024-01-10", facts={})
    service.record_event(closed_recently, "withdrawn", "2024-02-01")

    years = range(2020, 2025)
    figures_before = {year: service.stats(year) for year in years}
    listing_before = {row["reference"]: (row["received"], row["status"], row["outcome"]) for row in service.list_applications()}

    preview = service.apply_retention(24, dry_run=True)
    assert preview["references"] == [closed_long_ago["reference"], rejected]
    assert preview["cutoff"] == "2022-06-01"
    assert "Jo Bloggs" in dump_rows([closed_long_ago["reference"]])  # a dry run changes nothing

    result = service.apply_retention(24)
    assert result["references"] == [closed_long_ago["reference"], rejected]
    assert {year: service.stats(year) for year in years} == figures_before
    assert {
        row["reference"]: (row["received"], row["status"], row["outcome"]) for row in service.list_applications()
    } == listing_before

    stored = dump_rows([closed_long_ago["reference"], rejected])
    for value in PERSONAL:
        assert value not in stored, value
    exported = service.export_json(closed_long_ago["reference"])
    assert exported["applicant"] == {"name": None, "email": None, "phone": None, "address": None}
    assert exported["victim"] is None and exported["description"] is None and exported["impact"] is None
    assert all("reference" not in incident for incident in exported["facts"]["incidents"])
    assert [incident["date"] for incident in exported["facts"]["incidents"]] == ["2021-03-31", "2021-04-10", "2021-04-20"]
    assert [event["event"] for event in exported["events"]] == [
        "received",
        "threshold-met",
        "review-held",
        "recommendations-made",
    ]
    assert all(event["note"] is None for event in exported["events"])
    assert service.export_json(rejected)["events"][-1]["ground"] == "vexatious"
    assert service.get_application(rejected)["anonymised_on"] == "2024-06-01"
    # The resident's link no longer opens anything.
    with pytest.raises(service.NotFound):
        service.get_application_by_token(closed_long_ago["token"])
    # The others keep their details.
    for reference in (not_met_then_appeal, still_open, closed_recently):
        assert service.export_json(reference)["applicant"]["name"] == "Jo Bloggs"
    # Running it again finds nothing new.
    assert service.apply_retention(24)["references"] == []
    # And nothing can be added to an anonymised application (a note would bring personal data back).
    with pytest.raises(CaseworkError, match="personal details were removed on 2024-06-01"):
        service.record_event(rejected, "appeal-received", note="Jo Bloggs phoned")


@pytest.mark.parametrize(
    "today, months, cutoff",
    [
        ("2026-08-31", 6, "2026-02-28"),  # a month back from a day the shorter month lacks: its last day
        ("2028-08-31", 6, "2028-02-29"),
        ("2027-03-31", 1, "2027-02-28"),
        ("2026-11-25", 72, "2020-11-25"),
    ],
)
def test_retention_cutoff_is_calendar_months_as_the_window_counts_them(store, monkeypatch, today, months, cutoff):
    monkeypatch.setenv("ASBCR_TODAY", today)
    assert service.apply_retention(months, dry_run=True)["cutoff"] == cutoff


def test_retention_period_must_be_whole_months(store):
    for bad in (0, -3, 1.5, "12", True):
        with pytest.raises(CaseworkError, match="whole number of months"):
            service.apply_retention(bad)


# --- logs -------------------------------------------------------------------------


def test_logs_never_contain_personal_data(store, make_application, caplog):
    caplog.set_level(logging.DEBUG)  # everything, including SQLAlchemy's SQL log
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    try:
        result = service.create_application(full_application(make_application, "2026-11-20"), idempotency_key="k")
        service.create_application(full_application(make_application, "2026-11-20"), idempotency_key="k")
        reference = result["reference"]
        with pytest.raises(CaseworkError):
            service.create_application(make_application(applicant={"name": "Jo Bloggs", "email": "jo.bloggs@"}))
        service.record_event(reference, "threshold-met", note="Mr Angry at number 16 was visited by Jo Bloggs")
        with pytest.raises(CaseworkError):
            service.record_event(reference, "threshold-met")
        service.get_application(reference)
        service.export_json(reference)
        service.list_applications()
        service.stats(2026)
        service.record_event(reference, "withdrawn", note="Jo Bloggs moved to 14 Station Road")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("ASBCR_TODAY", "2033-01-01")
            service.apply_retention(12)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.NOTSET)
    assert reference in caplog.text  # the logs do say what happened
    assert "SELECT" in caplog.text or "INSERT" in caplog.text  # and SQL logging really was on
    for value in PERSONAL:
        assert value not in caplog.text, value
    assert "jo.bloggs@" not in caplog.text


def test_events_are_append_only(store, make_application):
    reference = new(make_application)
    service.record_event(reference, "threshold-met", "2026-11-21")
    with db.transaction(write=False) as session:
        before = [(e.id, e.sequence, e.name, e.date) for e in session.execute(select(Event).order_by(Event.id)).scalars()]
    service.record_event(reference, "review-held", "2026-11-22")
    with db.transaction(write=False) as session:
        after = [(e.id, e.sequence, e.name, e.date) for e in session.execute(select(Event).order_by(Event.id)).scalars()]
    assert after[:2] == before
    assert after[2][1:] == (3, "review-held", D("2026-11-22"))
    # The database itself refuses two events in the same place of one history.
    with pytest.raises(Exception):
        with db.transaction() as session:
            session.execute(
                text(
                    "INSERT INTO events (application_id, sequence, name, date, recorded_at) "
                    "VALUES (1, 3, 'withdrawn', '2026-11-23', '2026-11-23 10:00:00+00')"
                )
            )
