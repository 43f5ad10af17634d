"""What the chat page says about who runs it: the website's settings from web/site.yml, the
partnership's name and contacts from its own file under rules/partnerships/, chosen by
ASBCR_PARTNERSHIP (CONTRACT.md, Environment). Runs in both environments (Makefile: WEB_TESTS)."""

from __future__ import annotations

from pathlib import Path

import pytest

from web import server, site

EREWASH_WORDS = ("Erewash", "0115 907 2274", "Ilkeston")


def test_the_page_shows_the_chosen_partnerships_name_and_contacts_and_no_other(monkeypatch):
    monkeypatch.setenv("ASBCR_PARTNERSHIP", "testshire")
    shown = server.load_site()
    html = server.render_page(shown, "2026-11-25")
    assert shown["council"] == "Testshire Borough Council"
    assert shown["contact"] == {
        "role": "Community Safety Officer",
        "phone": "01632 960000",
        "address": ["Testshire Community Safety Partnership", "Testshire Town Hall", "Testham TE1 1ST"],
    }
    assert "<title>Ask for an anti-social behaviour case review - Testshire Borough Council</title>" in html
    assert 'href="tel:01632960000">01632 960000</a>' in html
    assert "Community Safety Officer<br>Testshire Community Safety Partnership<br>Testshire Town Hall" in html
    assert "Run by Testshire Community Safety Partnership (test data)." in html  # its full_name
    assert 'href="https://testshire.example.org" class="govuk-generic-header__homepage-link"' in html
    # (the two council pages site.yml still keeps name erewash.gov.uk: they are not words or contacts)
    assert not [word for word in EREWASH_WORDS if word in html]


def test_without_a_choice_the_partnership_is_erewash_read_from_its_file(monkeypatch):
    monkeypatch.delenv("ASBCR_PARTNERSHIP", raising=False)
    shown = server.load_site()
    assert (shown["council"], shown["partnership"], shown["contact"]["phone"]) == (
        "Erewash Borough Council",
        "Erewash Community Safety Partnership",
        "0115 907 2274",
    )


def test_an_unknown_partnership_stops_the_page_with_its_name(monkeypatch):
    monkeypatch.setenv("ASBCR_PARTNERSHIP", "atlantis")
    with pytest.raises(site.SiteError, match="ASBCR_PARTNERSHIP=atlantis: .*unknown partnership 'atlantis'"):
        server.create_app(rasa_url="http://127.0.0.1:9")


def test_a_site_file_that_still_carries_the_partnerships_details_is_refused(tmp_path: Path):
    """They are the partnership file's now: an old copy's values would otherwise be ignored unseen."""
    old = tmp_path / "site.yml"
    old.write_text(site.DEFAULT_SITE.read_text() + "council: Somewhere Council\ncontact: {phone: '01234 567890'}\n")
    with pytest.raises(site.SiteError, match="has council, contact: .*rules/partnerships/"):
        site.load_site(old)
