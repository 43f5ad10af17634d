"""Rasa's own checks: the training data validates, and `rasa test` predicts every test
story (tests/stories) without a single wrong intent or action."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from asbcr.stack import DEFAULT_MODEL
from groundwork.paths import ROOT

RASA = str(Path(sys.executable).parent / "rasa")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "ASBCR_TODAY": "2026-11-25"}


def test_rasa_data_validate_is_clean():
    result = subprocess.run(
        [RASA, "data", "validate", "--domain", "bot/domain.yml", "--data", "bot/data", "--config", "config.yml"],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_rasa_test_predicts_every_story(tmp_path):
    if not DEFAULT_MODEL.exists():
        pytest.fail("no trained model: `make test` trains it first")
    result = subprocess.run(
        [
            RASA,
            "test",
            "core",
            "--model",
            str(DEFAULT_MODEL),
            "--stories",
            "tests/stories",
            "--endpoints",
            "bot/endpoints.yml",
            "--fail-on-prediction-errors",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=900,
    )
    failed = tmp_path / "failed_test_stories.yml"
    detail = failed.read_text()[:4000] if failed.exists() else ""
    assert result.returncode == 0, detail + result.stdout[-2000:] + result.stderr[-2000:]
    assert not failed.exists() or "story:" not in failed.read_text(), detail
