"""acknowledge_by counts the working days the deciding partnership promises, as its file says on
the day of receipt (rules/partnerships/NAME.yml, acknowledgement_working_days); a stored
application keeps the date it was given. Also: a partnership added as a file needs no code.

Testshire (test data) promises five working days until 31 March 2026 and three from 1 April 2026;
Erewash five throughout. Dates are worked out by hand (Easter 2026: Good Friday 3 April, Easter
Monday 6 April).
"""

from __future__ import annotations

import pytest

import rules.partnership
from casework import service
from casework.errors import CaseworkError
from rules.partnership import PARTNERSHIPS_DIR

INCIDENTS = {"incidents": [{"date": "2026-01-10", "reported_to": ["police"]}]}

CASES = [
    # partnership, received, acknowledge_by, why
    ("erewash", "2026-11-20", "2026-11-27", "five: Fri 20 Nov -> Mon 23 .. Fri 27"),
    ("testshire", "2026-11-20", "2026-11-25", "three: Fri 20 Nov -> Mon 23, Tue 24, Wed 25"),
    ("erewash", "2026-04-01", "2026-04-10", "five: Thu 2, (Fri 3 to Mon 6), Tue 7, Wed 8, Thu 9, Fri 10"),
    ("testshire", "2026-04-01", "2026-04-08", "three from 1 April 2026: Thu 2, Tue 7, Wed 8"),
    ("testshire", "2026-03-31", "2026-04-09", "five until 31 March 2026: Wed 1, Thu 2, Tue 7, Wed 8, Thu 9"),
]


@pytest.mark.parametrize("partnership, received, expected, why", CASES, ids=[case[3] for case in CASES])
def test_acknowledge_by_is_the_deciding_partnerships_promise_on_the_day_of_receipt(
    store, make_application, monkeypatch, partnership, received, expected, why
):
    monkeypatch.setenv("ASBCR_PARTNERSHIP", partnership)
    result = service.create_application(make_application(received=received, facts=INCIDENTS))
    assert result["decision"]["rule_set"]["name"] == partnership
    assert result["acknowledge_by"] == expected, why
    assert service.export_json(result["reference"])["acknowledge_by"] == expected


def _newtown(folder, extra_value=""):
    """testshire.yml copied as newtown.yml: only the name line must change (it must match the file)."""
    text = (PARTNERSHIPS_DIR / "testshire.yml").read_text(encoding="utf-8")
    text = text.replace("name: testshire\n", "name: newtown\n", 1)
    if extra_value:  # a later dated value of acknowledgement_working_days, after Testshire's last one
        end = text.index("\n  rejection:\n") + 1
        text = text[:end] + extra_value + text[end:]
    (folder / "newtown.yml").write_text(text, encoding="utf-8")


def test_a_partnership_added_as_a_file_decides_and_dates_applications_with_no_code_change(
    store, make_application, monkeypatch, tmp_path
):
    folder = tmp_path / "partnerships"
    folder.mkdir()
    # A copy under another name, with its name line unchanged, is refused and says what to fix.
    (folder / "newtown.yml").write_text((PARTNERSHIPS_DIR / "testshire.yml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(rules.partnership, "PARTNERSHIPS_DIR", folder)  # where the service finds its files
    monkeypatch.setenv("ASBCR_PARTNERSHIP", "newtown")
    with pytest.raises(CaseworkError, match="name is 'testshire' but the file is called newtown.yml"):
        service.create_application(make_application(received="2026-11-20", facts=INCIDENTS))

    _newtown(folder)
    first = service.create_application(make_application(received="2026-11-20"))  # three incidents
    assert first["decision"]["rule_set"]["name"] == "newtown"
    assert first["decision"]["outcome"] == "apply"
    assert "the threshold is 2" in first["decision"]["reasons"][0]["text"]  # Testshire's policy, copied
    assert first["acknowledge_by"] == "2026-11-25"  # Newtown's three working days, as copied

    # Newtown then promises ten working days from 1 November 2026 (a new dated value, the old
    # ones kept): a new application gets ten, the one already stored keeps the three it was given.
    _newtown(
        folder,
        extra_value=(
            "      2026-11-01:\n"
            "        value: 10\n"
            "        policy: We will confirm receipt of your application within ten working days.\n"
            "        reference: 'https://newtown.example.org/asb-case-review (made up for tests)'\n"
        ),
    )
    second = service.create_application(make_application(received="2026-11-20", description="Another time."))
    assert second["acknowledge_by"] == "2026-12-04"  # Mon 23 .. Fri 27, Mon 30 .. Fri 4 Dec
    assert service.export_json(first["reference"])["acknowledge_by"] == "2026-11-25"
    assert [row["acknowledge_by"] for row in service.list_applications()] == ["2026-12-04", "2026-11-25"]
