"""The public web tier in its own environment (.venv-web): the page's server as the supervisor
starts it runs on .venv-web's Python 3.12 and its pinned aiohttp, serves every route without
importing Rasa, and that environment holds exactly requirements-web.txt (+ its test tools)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Dict

import pytest
from packaging.version import Version

from asbcr.stack import ROOT, Stack, free_port, web_python

RUNTIME_PINS = ROOT / "requirements-web.txt"
DEV_PINS = ROOT / "requirements-web-dev.txt"
# Rasa's world: none of these may be imported by the page's server.
RASA_SIDE = {"rasa", "rasa_sdk", "sanic", "tensorflow", "keras", "spacy", "bot"}


def pins(*paths: Path) -> Dict[str, str]:
    found = {}
    for path in paths:
        for line in path.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                name, version = line.split("==")
                found[re.sub(r"[-_.]+", "-", name).lower()] = version
    return found


def in_web_env(code: str) -> str:
    # -P: not the working directory on the path, where the main environment's editable install
    # leaves asb_case_review.egg-info (a fresh clone's root), which is not in this environment
    return subprocess.run([str(web_python()), "-P", "-c", code], capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.fixture(scope="module")
def web_env() -> Path:
    if not os.access(web_python(), os.X_OK):
        pytest.fail(f"no {web_python()}: run scripts/bootstrap-web.sh (make test does)")
    return web_python()


def test_the_web_environment_holds_exactly_its_pinned_set_and_no_rasa(web_env):
    installed = json.loads(
        in_web_env(
            "import importlib.metadata as m, json, re;"
            "print(json.dumps({re.sub(r'[-_.]+', '-', d.metadata['Name']).lower(): d.version for d in m.distributions()}))"
        )
    )
    assert installed == pins(RUNTIME_PINS, DEV_PINS)
    assert in_web_env("import importlib.util; print(importlib.util.find_spec('rasa'))").strip() == "None"
    assert in_web_env("import sys; print(sys.version_info[:2])").strip() == "(3, 12)"


def test_the_web_tiers_aiohttp_is_past_every_fix_the_audit_found_in_rasas():
    audit = max(ROOT.glob("security/audit-*.txt"))
    fixes = [
        Version(v)
        for line in audit.read_text().splitlines()
        if (found := re.match(r"PYSEC-\S+\s+aiohttp \S+\s+fixed in (.+?)\s{2}", line))
        for v in found.group(1).split(", ")
    ]
    assert len(fixes) >= 31  # Rasa's aiohttp 3.9.5: 31 advisories on 2 December 2026
    assert Version(pins(RUNTIME_PINS)["aiohttp"]) >= max(fixes)


def _get(url: str, data: bytes = None, headers: Dict[str, str] = None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_the_page_runs_on_the_web_environment_and_serves_every_route_without_rasa(web_env, tmp_path, monkeypatch):
    """Started by the supervisor as `make run` does, with Python's import log on: the page, the
    relay (Rasa down), the health check, a resident's private page, its PDF and "forget me"."""
    from casework import db, service

    monkeypatch.setenv("ASBCR_DATABASE_URL", f"sqlite:///{tmp_path / 'applications.db'}")
    monkeypatch.setenv("ASBCR_VAR", str(tmp_path / "var"))
    monkeypatch.setenv("ASBCR_TODAY", "2026-11-25")
    for name in ("ASBCR_TRACKER_URL", "ASBCR_LOCK_URL", "ASBCR_WEB_PYTHON"):
        monkeypatch.delenv(name, raising=False)
    try:
        created = service.create_application(
            {
                "received": "2026-11-20",
                "channel": "chat",
                "applicant": {"name": "Jo Bloggs", "email": "jo@example.org", "address": "12 Station Road, Ilkeston"},
                "on_behalf": False,
                "victim": None,
                "consent": None,
                "facts": {
                    "incidents": [
                        {"date": "2026-09-02", "reported_to": ["police"]},
                        {"date": "2026-10-10", "reported_to": ["council"]},
                        {"date": "2026-11-01", "reported_to": ["council"]},
                    ]
                },
                "description": "Loud music most nights.",
                "impact": "I cannot sleep.",
            }
        )
    finally:
        db.dispose_all()
    env = dict(os.environ, PYTHONPROFILEIMPORTTIME="1")  # every module the server imports, in its log

    stack = Stack(
        with_rasa=False,
        with_actions=False,
        rasa_port=free_port(),
        actions_port=free_port(),
        web_port=free_port(),
        var=tmp_path / "var",
        env=env,
    )
    with stack:
        pid = stack.processes["web"].pid
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        base = f"http://127.0.0.1:{stack.web_port}"
        page = _get(base + "/")
        chat = _get(
            base + "/api/chat",
            json.dumps({"sender": "web-env-1", "message": "hello"}).encode(),
            {"Content-Type": "application/json"},
        )
        health = _get(base + "/api/health")
        private = _get(f"{base}/application/{created['token']}")
        pdf = _get(f"{base}/application/{created['token']}/application.pdf")
        form_token = re.search(r'name="form_token" value="([0-9a-f]+)"', private[2].decode()).group(1)
        forget = _get(
            f"{base}/application/{created['token']}/forget",
            urllib.parse.urlencode({"form_token": form_token}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Origin": base, "Sec-Fetch-Site": "same-origin"},
        )
        after = _get(f"{base}/application/{created['token']}")
    log = stack.log_path("web").read_text(errors="replace")

    assert command[0].decode() == str(web_python())
    aiohttp = pins(RUNTIME_PINS)["aiohttp"]
    assert page[0] == 200 and page[1]["Server"] == f"Python/3.12 aiohttp/{aiohttp}"
    assert chat[0] == 503 and json.loads(chat[2])["error"] == "bot_unreachable"
    assert health[0] == 503 and json.loads(health[2])["down"] == ["rasa", "action_server"]
    assert private[0] == 200 and created["reference"].encode() in private[2]
    assert b"0115 907 2274" in private[2]  # the partnership's contact, read through rules/
    assert pdf[0] == 200 and pdf[2].startswith(b"%PDF")
    assert forget[0] == 200 and after[0] == 404

    imported = {line.rsplit("|", 1)[1].strip() for line in log.splitlines() if line.startswith("import time:")}
    assert {
        "aiohttp.web",
        "sqlalchemy",
        "alembic",
        "reportlab",
        "durable_rules_engine",
        "jinja2",
        "web.applications",
        "casework.conversations",
    } <= imported  # the import log saw the routes run
    assert not sorted(name for name in imported if name.split(".")[0] in RASA_SIDE)
