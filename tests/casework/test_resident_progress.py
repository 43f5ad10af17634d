"""The resident's private page tells where the application is as officers record events
(web/templates/progress.html), and the web tier's staff API writes the resident's message to the
outbox without sending anything itself. Runs in .venv and in the web tier's .venv-web (WEB_TESTS)."""

from __future__ import annotations

import re

import pytest

from casework import outbox, service
from tests.casework.test_application_pages import STAFF_TOKEN, _decided_by, run, staff


def page(created):
    async def scenario(client):
        response = await client.get(f"/application/{created['token']}")
        assert response.status == 200
        return await response.text()

    return run(scenario)


def steps(html):
    """Each step of the task list as (name, status), in order."""
    items = re.findall(
        r'<div>([^<]+)</div>\s*<div class="govuk-task-list__hint">[^<]*</div>\s*</div>\s*'
        r'<div class="govuk-task-list__status[^"]*">\s*(?:<strong[^>]*>)?([^<]+?)\s*(?:</strong>)?\s*</div>',
        html,
    )
    return [(name, status.strip()) for name, status in items]


@pytest.mark.parametrize(
    "events, expected",
    [
        (
            [],
            [
                ("Application received", "Done"),
                ("Threshold decision", "Waiting"),
                ("Case review", "Cannot start yet"),
                ("Outcome", "Cannot start yet"),
                ("Appeal", "Cannot start yet"),
            ],
        ),
        (
            ["threshold-met"],
            [
                ("Application received", "Done"),
                ("Threshold decision", "Met"),
                ("Case review", "Being arranged"),
                ("Outcome", "Cannot start yet"),
                ("Appeal", "Cannot start yet"),
            ],
        ),
        (
            ["threshold-met", "review-held", "recommendations-made"],
            [
                ("Application received", "Done"),
                ("Threshold decision", "Met"),
                ("Case review", "Held"),
                ("Outcome", "Recommendations made"),
                ("Appeal", "You can appeal"),
            ],
        ),
        (
            ["threshold-not-met"],
            [
                ("Application received", "Done"),
                ("Threshold decision", "Not met"),
                ("Case review", "None"),
                ("Outcome", "None"),
                ("Appeal", "You can appeal"),
            ],
        ),
        (
            ["threshold-not-met", "appeal-received"],
            [
                ("Application received", "Done"),
                ("Threshold decision", "Not met"),
                ("Case review", "None"),
                ("Outcome", "None"),
                ("Appeal", "Received"),
            ],
        ),
        (
            ["rejected"],
            [
                ("Application received", "Done"),
                ("Threshold decision", "Not accepted"),
                ("Case review", "None"),
                ("Outcome", "None"),
                ("Appeal", "You can appeal"),
            ],
        ),
        (
            ["withdrawn"],
            [
                ("Application received", "Done"),
                ("Threshold decision", "Not made"),
                ("Case review", "None"),
                ("Outcome", "None"),
                ("Appeal", "Cannot start yet"),
            ],
        ),
    ],
)
def test_the_page_shows_each_step_as_officers_record_it(store, make_application, events, expected):
    created = service.create_application(make_application())
    for event in events:
        service.record_event(
            created["reference"], event, note="vexatious: the fourth about the hedge" if event == "rejected" else None
        )
    html = page(created)
    assert steps(html) == expected
    assert "govuk-task-list" in html and "<script" not in html
    assert "hedge" not in html and "vexatious" not in html  # staff notes and grounds stay with staff
    appeal_route = "You can appeal to the Office of the Police and Crime Commissioner for Derbyshire"
    assert (appeal_route in html) == (expected[-1][1] == "You can appeal")
    assert ("This application was withdrawn on 25 November 2026" in html) == ("withdrawn" in events)


def test_the_words_say_what_a_decision_means_with_its_date(store, make_application):
    created = service.create_application(make_application())
    assert "We received it on 20 November 2026 and will confirm that we have it by 27 November 2026." in page(created)
    service.record_event(created["reference"], "threshold-not-met", date="2026-11-24")
    html = page(created)
    assert (
        "On 24 November 2026 the partnership decided that the threshold for a case review is not met. "
        "There will be no case review for these incidents."
    ) in html
    assert '(<a class="govuk-link" href="https://www.derbyshire-pcc.gov.uk" rel="noreferrer">' in html
    assert f"(reference {created['reference']})" in html


def test_the_appeal_route_is_the_deciding_partnerships_own(store, make_application):
    created = service.create_application(make_application())
    service.record_event(created["reference"], "threshold-not-met")
    _decided_by(created["reference"], "testshire")
    progress = page(created).split('id="progress"')[1].split("Your application</h2>")[0]
    assert "You can appeal to the Office of the Police and Crime Commissioner for Testshire" in progress
    assert "Derbyshire" not in progress and "Erewash" not in progress  # (the stored reasons quote Erewash's file)


def test_an_event_recorded_through_the_staff_api_writes_the_residents_message_and_sends_nothing(
    store, make_application, monkeypatch
):
    monkeypatch.setenv("ASBCR_STAFF_TOKEN", STAFF_TOKEN)
    created = service.create_application(make_application())

    async def scenario(client):
        response = await client.post(
            f"/staff/api/applications/{created['reference']}/events", json={"event": "threshold-met"}, headers=staff()
        )
        return response.status

    assert run(scenario) == 201
    assert [(m["event"], m["status"]) for m in outbox.list_messages()] == [("received", "pending"), ("threshold-met", "pending")]
    assert steps(page(created))[1] == ("Threshold decision", "Met")
