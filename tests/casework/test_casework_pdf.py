"""The printable application form: headings, content, escaping, pages."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from casework import service
from casework.errors import CaseworkError

HEADINGS = [
    "Anti-social Behaviour Case Review application",
    "1. Applicant",
    "2. Person affected and consent",
    "3. Incidents",
    "4. Description of the anti-social behaviour",
    "5. Impact on the person affected",
    "6. Eligibility decision and why",
    "7. Declaration",
]


def pdf_text(path_or_bytes) -> str:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else open(path_or_bytes, "rb").read()
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text)  # wrapped lines read as one


def test_the_form_has_the_council_headings_in_order_and_the_application(store, make_application, tmp_path):
    application = make_application(
        channel="paper",
        on_behalf=True,
        consent=True,
        victim={"name": "Edna Smith", "relationship": "Neighbour"},
    )
    result = service.create_application(application)
    service.record_event(result["reference"], "threshold-met", "2026-11-24")
    path = service.export_pdf(result["reference"], tmp_path / "form.pdf")
    text = pdf_text(path)

    positions = [text.find(heading) for heading in HEADINGS]
    assert -1 not in positions, [h for h, p in zip(HEADINGS, positions) if p == -1]
    assert positions == sorted(positions)
    for expected in [
        "Erewash Community Safety Partnership",
        result["reference"],
        "20 November 2026",  # received
        "27 November 2026",  # receipt confirmed by
        "Paper form",
        "Jo Bloggs",
        "jo.bloggs@example.org",
        "07700 900123",
        "12 Station Road, Ilkeston DE7 5AB",
        "Edna Smith",
        "Neighbour",
        "Given",
        "2 September 2026",
        "The police and the council",
        "DC-123",  # the partnership file's body names
        "10 October 2026",
        "A social landlord",
        "NCHA-77",
        "Loud music from number 16",
        "I cannot sleep",
        f"version {result['decision']['rule_set']['version']}",
        "Signed",  # a paper form gets signature lines
        "Threshold met",  # the case record
        "0115 907 2274",
    ]:
        assert expected in text, expected
    assert result["decision"]["outcome"] == "apply"
    assert result["decision"]["summary"] in text  # the rule set's own words for the outcome
    for reason in result["decision"]["reasons"]:
        assert reason["text"] in text


def test_a_chat_application_is_confirmed_online_instead_of_signed(store, make_application):
    reference = service.create_application(make_application(channel="chat"))["reference"]
    text = pdf_text(service.pdf_bytes(reference))
    assert "Confirmed online by the applicant on 20 November 2026" in text
    assert "Signed" not in text


def test_text_is_printed_as_typed_never_as_markup(store, make_application):
    applicant = {"name": "<b>Jo</b> & <font size=40>Bloggs</font>", "email": "jo@example.org"}
    reference = service.create_application(
        make_application(
            applicant=applicant,
            description="Shouting <script>alert(1)</script>\nand banging",
            impact="Łucja Wiśniewska cannot sleep",
        )
    )["reference"]
    text = pdf_text(service.pdf_bytes(reference))
    assert "<b>Jo</b> & <font size=40>Bloggs</font>" in text
    assert "Shouting <script>alert(1)</script>" in text
    assert "Łucja Wiśniewska cannot sleep" in text


def test_long_applications_run_over_pages_with_numbered_footers(store, make_application):
    incidents = [
        {"date": f"2026-{month:02d}-{day:02d}", "reported_to": ["police"], "reference": f"DC-{month}{day}"}
        for month in (6, 7, 8, 9, 10, 11)
        for day in (3, 9, 15, 21)
    ]
    reference = service.create_application(
        make_application(
            received="2026-11-25",
            facts={"incidents": incidents},
            description="Paragraph of detail. " * 300,
        )
    )["reference"]
    data = service.pdf_bytes(reference)
    reader = PdfReader(io.BytesIO(data))
    pages = len(reader.pages)
    assert pages >= 3
    for number, page in enumerate(reader.pages, start=1):
        assert f"Page {number} of {pages}" in page.extract_text()
        assert reference in page.extract_text()
    # Metadata names the reference, never the person.
    assert reference in reader.metadata.title
    assert "Bloggs" not in str(reader.metadata)


def test_export_pdf_to_a_folder_uses_the_reference_and_refuses_missing_folders(store, make_application, tmp_path):
    reference = service.create_application(make_application())["reference"]
    path = service.export_pdf(reference, tmp_path)
    assert path == tmp_path / f"{reference}.pdf"
    assert path.read_bytes().startswith(b"%PDF-")
    with pytest.raises(CaseworkError, match="folder does not exist"):
        service.export_pdf(reference, tmp_path / "missing" / "form.pdf")


def test_an_anonymised_application_still_prints(store, make_application, monkeypatch):
    reference = service.create_application(make_application(received="2020-05-01", facts={}))["reference"]
    service.record_event(reference, "withdrawn", "2020-05-02")
    service.apply_retention(12)
    text = pdf_text(service.pdf_bytes(reference))
    assert "Jo Bloggs" not in text and "Not given" in text


def test_the_letterhead_is_the_partnership_that_made_the_decision_and_never_a_default(store, make_application):
    """The PDF names the partnership and its contact from rules/partnerships/, for whichever
    partnership the stored decision records; a decision that names none, or one with no file,
    is refused with the reason rather than printed on someone else's letterhead."""
    from casework import pdf

    reference = service.create_application(make_application())["reference"]
    exported = service.export_json(reference)

    def decided_by(name):
        decision = dict(exported["decision"], rule_set=dict(exported["decision"]["rule_set"]))
        if name is None:
            del decision["rule_set"]["name"]
        else:
            decision["rule_set"]["name"] = name
        return dict(exported, decision=decision)

    text = pdf_text(pdf.render_application(decided_by("testshire")))
    assert "Testshire Community Safety Partnership" in text and "01632 960000" in text
    # (the reasons are still Erewash's own words: only the letterhead was changed here)
    assert "Erewash Community Safety Partnership" not in text and "0115 907 2274" not in text
    with pytest.raises(CaseworkError, match=r"rule_set\.name"):
        pdf.render_application(decided_by(None))
    with pytest.raises(CaseworkError, match="'atlantis'.*cannot be loaded"):
        pdf.render_application(decided_by("atlantis"))


def test_the_decision_section_says_the_decisions_own_words_for_its_defaults(store, make_application, tmp_path):
    result = service.create_application(make_application())
    decision = result["decision"]
    # The facts gave no report dates: each incident's `reported_on` was assumed.
    assert {"incidents[0].reported_on", "incidents[2].reported_on"} <= set(decision["assumed"])
    text = pdf_text(service.export_pdf(result["reference"], tmp_path / "form.pdf"))
    sentence = decision["words"]["assumed"]["incidents[0].reported_on"]
    assert f"{sentence} (incidents 1 to 3)" in text
    for key in decision["assumed"]:
        assert decision["words"]["assumed"][key] in text


def test_a_decision_stored_before_it_carried_words_gets_them_from_its_partnership():
    from casework import labels
    from rules import load_partnership

    stored = {
        "outcome": "threshold_not_met",
        "assumed": ["asb_ongoing", "incidents[1].reported_on"],
        "rule_set": {"name": "testshire", "version": "old"},
    }
    testshire = load_partnership("testshire")
    assert labels.outcome(stored) == testshire.texts.titles["threshold_not_met"]
    assert labels.assumed(stored) == [
        testshire.texts.assumed["asb_ongoing"],
        testshire.texts.assumed["reported_on"] + " (incident 2)",
    ]
    # Words the decision carries win over the file's.
    carried = dict(
        stored, words={"title": "Not yet", "assumed": {"asb_ongoing": "it goes on", "incidents[1].reported_on": "same day"}}
    )
    assert labels.outcome(carried) == "Not yet"
    assert labels.assumed(carried) == ["it goes on", "same day (incident 2)"]


def test_the_bodies_an_incident_was_reported_to_are_named_as_the_decision_names_them():
    from casework import labels
    from rules import load_partnership

    stored = {"outcome": "apply", "rule_set": {"name": "testshire", "version": "old"}}
    bodies = load_partnership("testshire").bodies
    said = labels.reported_to(["police", "council"], stored)
    assert said == (bodies["police"] + " and " + bodies["council"]).capitalize()
    carried = dict(stored, words={"bodies": {"police": "the constabulary", "council": "the borough", "health": "the surgery"}})
    assert labels.reported_to(["health", "police", "council"], carried) == "The surgery, the constabulary and the borough"
    assert labels.reported_to("council", carried) == "The borough"
    # A code the decision has no words for shows as the code; no bodies at all is said so.
    assert labels.reported_to(["police", "fire_service"], carried) == "The constabulary and fire_service"
    assert labels.reported_to([], carried) == "Not recorded"
