"""The council's published figures: `asbcr stats import-published` and how `asbcr stats` prints
them. Runs against SQLite and PostgreSQL (the `store` fixture)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from asbcr.cli import main
from casework import db, published, service
from casework.errors import CaseworkError
from casework.models import PublishedFigures

ROOT = Path(__file__).resolve().parents[2]
DATA_FILE = ROOT / "casework" / "data" / "published-figures.csv"
# The project's stored copy of the council's page (issue 11); outside the repository.
SHARED_PAGE = ROOT.parent / "shared" / "000_116a83f844e7ebb1.txt"

HEADER = "year,applications_received,threshold_not_met,reviews_carried_out,reviews_with_recommendations,appeals_received"
EN_DASH, NBSP = "\u2013", "\u00a0"

# Each year as the council's page prints it, line by line, typed from the page. The page is not
# uniform: until 2020/21 an en dash between the months, later a hyphen; a no-break space after
# the number of appeals in every year but 2017/18.
PAGE = {
    2023: [
        "From April 2023 - March 2024 there were:",
        "",
        "0 Applications received",
        "0 Times the threshold has not been met",
        "0 Case reviews carried out",
        "0 Case reviews carried out that have resulted in recommendations being made",
        f"0{NBSP}Anti-Social Behaviour Case Review appeals received",
    ],
    2022: [
        "From April 2022 - March 2023 there were:",
        "",
        "3 Applications received",
        "1 Times the threshold has not been met",
        "2 Case reviews carried out",
        "1 Case reviews carried out that have resulted in recommendations being made",
        f"0{NBSP}Anti-Social Behaviour Case Review appeals received",
    ],
    2021: [
        "From April 2021 - March 2022 there were:",
        "",
        "2 Applications received",
        "1 Times the threshold has not been met",
        "1 Case reviews carried out",
        "0 Case reviews carried out that have resulted in recommendations being made",
        f"0{NBSP}Anti-Social Behaviour Case Review appeals received",
    ],
    2020: [
        f"From April 2020 {EN_DASH} March 2021 there were:",
        "",
        "2 Applications received",
        "2 Times the threshold has not been met",
        "0 Case reviews carried out",
        "0 Case reviews carried out that have resulted in recommendations being made",
        f"0{NBSP}Anti-Social Behaviour Case Review appeals received",
    ],
    2019: [
        f"From April 2019 {EN_DASH} March 2020 there were:",
        "",
        "3 Applications received",
        "1 Times the threshold has not been met",
        "2 Case reviews carried out",
        "2 Case reviews carried out that have resulted in recommendations being made",
        f"0{NBSP}Anti-Social Behaviour Case Review appeals received",
    ],
    2018: [
        f"From April 2018 {EN_DASH} March 2019 there were:",
        "",
        "0 Applications received",
        "0 Times the threshold has not been met",
        "0 Case reviews carried out",
        "0 Case reviews carried out that have resulted in recommendations being made",
        f"0{NBSP}Anti-Social Behaviour Case Review appeals received",
    ],
    2017: [
        f"From April 2017 {EN_DASH} March 2018 there were:",
        "",
        "0 Applications received",
        "0 Times the threshold has not been met",
        "0 Case reviews carried out",
        "0 Case reviews carried out that have resulted in recommendations being made",
        "0 Anti-Social Behaviour Case Review appeals received",
    ],
    2016: [
        f"From April 2016 {EN_DASH} March 2017 there were:",
        "",
        "1 Applications received",
        "0 Times the threshold has not been met",
        "1 Case reviews carried out",
        "1 Case reviews carried out that have resulted in recommendations being made",
        f"0{NBSP}Anti-Social Behaviour Case Review appeals received",
    ],
    2015: [
        f"From April 2015 {EN_DASH} March 2016 there were:",
        "",
        "1 Applications received",
        "0 Times the threshold has not been met",
        "1 Case reviews carried out",
        "0 Case reviews carried out that have resulted in recommendations being made",
        f"1{NBSP}Anti-Social Behaviour Case Review appeals received",
    ],
}


def page_numbers(year):
    return tuple(int(line.split(None, 1)[0]) for line in PAGE[year][2:])


def asbcr(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exit:  # argparse usage errors
        code = exit.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def stored_years():
    with db.transaction(write=False) as session:
        return {
            row.year: tuple(getattr(row, column) for column in published.COUNTS)
            for row in session.execute(select(PublishedFigures)).scalars()
        }


def write(tmp_path, text, name="figures.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- the data file ----------------------------------------------------------------


def test_the_data_file_holds_the_page_figures_for_2015_to_2023_with_the_contract_header():
    text = DATA_FILE.read_text(encoding="utf-8")
    assert text.splitlines()[0] == HEADER
    rows = list(csv.DictReader(text.splitlines()))
    assert [int(row["year"]) for row in rows] == list(PAGE)  # the page's order, newest first
    for row in rows:
        year = int(row["year"])
        assert tuple(int(row[column]) for column in published.COUNTS) == page_numbers(year), year


def test_the_stored_copy_of_the_page_section_is_the_page_byte_for_byte():
    section = published.PAGE_COPY.read_text(encoding="utf-8")
    blocks = "\n\n".join("\n".join(lines) for lines in PAGE.values())
    assert section.endswith(blocks + "\n")
    if SHARED_PAGE.exists():  # the project's copy of the page, when this checkout sits beside it
        page = SHARED_PAGE.read_text(encoding="utf-8")
        assert page.endswith(section.rstrip("\n")) and page.endswith(blocks)


# --- importing and printing -------------------------------------------------------


def test_a_fresh_database_holds_no_published_figures(store, capsys):
    assert stored_years() == {}
    code, out, _ = asbcr(capsys, "stats", "--year", "2019")
    assert code == 0
    assert out.startswith("From April 2019 - March 2020 there were:\n\n0 Applications received\n")
    assert service.stats_source(2019) == "recorded"


@pytest.mark.parametrize("year", list(PAGE))
def test_each_imported_year_prints_exactly_as_the_page(store, capsys, year):
    code, out, err = asbcr(capsys, "stats", "import-published", str(DATA_FILE))
    assert (code, err) == (0, "")
    assert out.splitlines() == [f"{published.season(y)}: imported" for y in sorted(PAGE)]
    code, out, _ = asbcr(capsys, "stats", "--year", str(year))
    assert code == 0
    printed = "\n".join(PAGE[year]).replace(NBSP, " ")  # as CONTRACT.md prints 2022: an ordinary space
    assert out == printed + "\n"
    assert service.stats(year) == printed
    assert tuple(service.stats_counts(year).values()) == page_numbers(year)


def test_importing_the_same_file_again_changes_nothing(store, capsys):
    assert asbcr(capsys, "stats", "import-published", str(DATA_FILE))[0] == 0
    with db.transaction(write=False) as session:
        first = [(row.year, row.imported_at) for row in session.execute(select(PublishedFigures)).scalars()]
    code, out, err = asbcr(capsys, "stats", "import-published", str(DATA_FILE))
    assert (code, err) == (0, "")
    assert out.splitlines() == [f"{published.season(y)}: already imported, the same figures (unchanged)" for y in sorted(PAGE)]
    with db.transaction(write=False) as session:
        assert [(row.year, row.imported_at) for row in session.execute(select(PublishedFigures)).scalars()] == first
    assert stored_years() == {year: page_numbers(year) for year in PAGE}


def test_a_spreadsheet_export_with_a_byte_order_mark_and_crlf_imports_the_same(store, capsys, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + DATA_FILE.read_bytes().replace(b"\n", b"\r\n"))
    assert asbcr(capsys, "stats", "import-published", str(path))[0] == 0
    assert stored_years() == {year: page_numbers(year) for year in PAGE}


def test_json_says_where_the_figures_come_from(store, capsys):
    asbcr(capsys, "stats", "import-published", str(DATA_FILE))
    import json

    code, out, _ = asbcr(capsys, "stats", "--year", "2015", "--json")
    assert json.loads(out) == {
        "year": 2015,
        "received": 1,
        "not_met": 0,
        "reviews": 1,
        "recommendations": 0,
        "appeals": 1,
        "source": "published",
    }


def test_a_year_not_on_the_page_prints_in_the_service_wording(store, capsys, tmp_path):
    path = write(tmp_path, f"{HEADER}\n2013,4,1,2,1,0\n")
    assert asbcr(capsys, "stats", "import-published", path)[0] == 0
    assert asbcr(capsys, "stats", "--year", "2013")[1] == (
        "From April 2013 - March 2014 there were:\n\n4 Applications received\n1 Times the threshold has not been met\n"
        "2 Case reviews carried out\n1 Case reviews carried out that have resulted in recommendations being made\n"
        "0 Anti-Social Behaviour Case Review appeals received\n"
    )


# --- bad input --------------------------------------------------------------------

GOOD = "2019,3,1,2,2,0"


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("", "figures.csv is empty; it needs the header " + HEADER),
        (f"{HEADER}\n", "figures.csv has no figures after its header"),
        (f"year,received,not_met,reviews,recommendations,appeals\n{GOOD}\n", "figures.csv line 1: the header must be " + HEADER),
        (f"{HEADER.replace(',appeals_received', '')}\n2019,3,1,2,2\n", "line 1: the header must be"),
        (f"{GOOD}\n", "line 1: the header must be"),
        (f"{HEADER}\n{GOOD}\n2020,2,two,0,0,0\n", "figures.csv line 3: threshold_not_met must be a whole number, not 'two'"),
        (f"{HEADER}\n2020,2,2,0,0,1.0\n", "line 2: appeals_received must be a whole number, not '1.0'"),
        (f"{HEADER}\n2020,2,,0,0,0\n", "line 2: threshold_not_met must be a whole number, not empty"),
        (f"{HEADER}\n2020,2,2,-1,0,0\n", "line 2: reviews_carried_out cannot be negative (-1)"),
        (f"{HEADER}\n2020,2,2,0,0\n", "line 2: expected 6 values"),
        (f"{HEADER}\n2020,2,2,0,0,0,0\n", "line 2: expected 6 values"),
        (f"{HEADER}\n{GOOD}\n\n2019,3,1,2,2,0\n", "line 4: year 2019 is already on line 2; each year once"),
        (
            f"{HEADER}\n2019/20,3,1,2,2,0\n",
            "line 2: year must be the year its April falls in, like 2022 for April 2022 - March 2023, not '2019/20'",
        ),
        (f"{HEADER}\n1899,3,1,2,2,0\n", "not '1899'"),
        (f"{HEADER}\n{GOOD}\n2026,0,0,0,0,0\n", "line 3: 2026/27 has not ended yet (today is 2026-11-25)"),
        (f'{HEADER}\n"2019,3,1,2,2,0\n', "line 2: expected 6 values"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_imports_nothing(store, capsys, tmp_path, content, fragment):
    code, out, err = asbcr(capsys, "stats", "import-published", write(tmp_path, content))
    assert code == 2 and out == ""
    assert err.startswith("asbcr: ") and err.count("\n") == 1, err
    assert fragment in err, err
    assert "Traceback" not in err
    assert stored_years() == {}


def test_unreadable_files_are_one_line_errors(store, capsys, tmp_path):
    code, _, err = asbcr(capsys, "stats", "import-published", str(tmp_path / "missing.csv"))
    assert code == 2 and err == f"asbcr: {tmp_path / 'missing.csv'}: no such file\n"
    latin = tmp_path / "latin.csv"
    latin.write_bytes(f"{HEADER}\n2019,3,1,2,2,0\n".encode() + "\u00e9".encode("latin-1"))
    code, _, err = asbcr(capsys, "stats", "import-published", str(latin))
    assert code == 2 and err == f"asbcr: {latin}: not UTF-8 text\n"
    assert stored_years() == {}


def test_other_figures_for_an_imported_year_refuse_the_whole_file(store, capsys, tmp_path):
    asbcr(capsys, "stats", "import-published", str(DATA_FILE))
    path = write(tmp_path, f"{HEADER}\n2014,1,0,0,0,0\n2019,4,1,2,2,0\n")
    code, out, err = asbcr(capsys, "stats", "import-published", path)
    assert code == 2 and out == ""
    assert err == (
        "asbcr: " + path + " line 3: 2019/20 was already imported (from published-figures.csv) "
        "with other figures; nothing was imported\n"
    )
    assert 2014 not in stored_years() and stored_years()[2019] == page_numbers(2019)


# --- never added up ---------------------------------------------------------------


def test_import_refuses_a_year_that_has_recorded_applications(store, capsys, make_application):
    reference = service.create_application(make_application(received="2022-06-01", facts={}))["reference"]
    service.record_event(reference, "threshold-not-met", "2022-06-10")
    code, out, err = asbcr(capsys, "stats", "import-published", str(DATA_FILE))
    assert code == 2 and out == ""
    assert err == (
        f"asbcr: {DATA_FILE} line 3: 2022/23 already has applications recorded here (1 received, 1 threshold not met); "
        "published figures for it would count them twice, so nothing was imported "
        "(see asbcr applications list --year 2022)\n"
    )
    assert stored_years() == {}  # not even the other eight years
    assert service.stats_counts(2022)["received"] == 1


@pytest.mark.parametrize("received, refused", [("2024-03-31", True), ("2024-04-01", False)])
def test_an_application_received_in_a_published_year_blocks_it(store, capsys, make_application, received, refused):
    service.create_application(make_application(received=received, facts={}))  # 2023/24 ends on 31 March 2024
    code, _, err = asbcr(capsys, "stats", "import-published", str(DATA_FILE))
    if refused:
        assert code == 2 and "line 2: 2023/24 already has applications recorded here (1 received)" in err
        assert stored_years() == {}
    else:
        assert (code, err) == (0, "")
        assert len(stored_years()) == 9


def test_stats_refuses_a_year_with_both_and_keeps_printing_the_others(store, capsys, make_application):
    assert asbcr(capsys, "stats", "import-published", str(DATA_FILE))[0] == 0
    # A paper application from 2019 entered after the import.
    service.create_application(make_application(received="2019-05-01", channel="paper", facts={}))
    code, out, err = asbcr(capsys, "stats", "--year", "2019")
    assert code == 2 and out == ""
    assert err == (
        "asbcr: 2019/20 has the council's published figures and also applications recorded here "
        "(1 received); the two are not added up (see asbcr applications list --year 2019)\n"
    )
    assert asbcr(capsys, "stats", "--year", "2019", "--json")[0] == 2
    with pytest.raises(CaseworkError, match="not added up"):
        service.stats_counts(2019)
    assert asbcr(capsys, "stats", "--year", "2018")[1] == "\n".join(PAGE[2018]).replace(NBSP, " ") + "\n"


def test_the_schema_refuses_a_negative_count_too(store):
    with pytest.raises(Exception):
        with db.transaction() as session:
            session.add(
                PublishedFigures(
                    year=2019,
                    applications_received=-1,
                    threshold_not_met=0,
                    reviews_carried_out=0,
                    reviews_with_recommendations=0,
                    appeals_received=0,
                    source="x",
                    imported_at=func.now(),
                )
            )
    assert stored_years() == {}


CONTRACT_2022 = """From April 2022 - March 2023 there were:

3 Applications received
1 Times the threshold has not been met
2 Case reviews carried out
1 Case reviews carried out that have resulted in recommendations being made
0 Anti-Social Behaviour Case Review appeals received
"""


def test_2022_imported_prints_the_contracts_block_exactly(store, capsys):
    assert asbcr(capsys, "stats", "import-published", str(DATA_FILE))[0] == 0
    assert asbcr(capsys, "stats", "--year", "2022")[1] == CONTRACT_2022
