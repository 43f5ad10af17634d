"""Rules tests run as of a fixed day: 25 November 2026 (CONTRACT.md's example date)."""

import pytest

TODAY = "2026-11-25"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("ASBCR_TODAY", TODAY)
    return TODAY
