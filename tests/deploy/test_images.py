"""deploy/docker/*.Dockerfile read with Docker's own parser and linted with hadolint: base images
pinned to exact versions, every COPY source in the repository and in the build context, the
final stage running as a non-root user, each image exposing the port its tier serves on."""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploy_files import DOCKER, OUR_TIERS, ROOT, dockerfile

parser = pytest.importorskip("dockerfile", reason="in .venv-web only (make test runs it there)")
HADOLINT = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
EXACT_TAG = re.compile(r"^[a-z0-9./-]+:\d+\.\d+\.\d+(-[a-z0-9.]+)*$")  # name:1.2.3[-variant]
PORTS = {"nginx": 8080, "web": 8000, "rasa": 5005, "actions": 5055}


def commands(tier: str):
    return parser.parse_file(str(dockerfile(tier)))


def stages(tier: str):
    """[(stage name or None, [commands])] in order."""
    found = []
    for command in commands(tier):
        if command.cmd == "FROM":
            value = command.value
            found.append((value[2] if len(value) == 3 and value[1].upper() == "AS" else None, []))
        found[-1][1].append(command)
    return found


def dockerignored(path: str) -> bool:
    patterns = [
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")
    ]
    parts = Path(path).parts
    return any(
        fnmatch.fnmatch(path, pattern)
        or fnmatch.fnmatch(parts[0], pattern)
        or (pattern.startswith("**/") and any(fnmatch.fnmatch(part, pattern[3:]) for part in parts))
        for pattern in patterns
    )


def test_every_tier_we_build_has_a_dockerfile():
    assert sorted(path.name for path in DOCKER.glob("*.Dockerfile")) == sorted(f"{t}.Dockerfile" for t in OUR_TIERS)


@pytest.mark.parametrize("tier", OUR_TIERS)
def test_base_images_are_pinned_to_exact_versions(tier):
    names = {name for name, _ in stages(tier) if name}
    for name, body in stages(tier):
        image = body[0].value[0]
        if image in names:
            continue  # an earlier stage of this file
        assert EXACT_TAG.match(image), f"{tier}: base image {image!r} is not pinned to an exact version"


@pytest.mark.parametrize("tier", OUR_TIERS)
def test_every_copy_source_exists_and_is_in_the_build_context(tier):
    for _, body in stages(tier):
        for command in body:
            if command.cmd != "COPY" or any(flag.startswith("--from") for flag in command.flags):
                continue
            for source in command.value[:-1]:
                assert list(ROOT.glob(source)), f"{tier}: COPY {source} names nothing in the repository"
                assert not dockerignored(source), f"{tier}: COPY {source} is left out by .dockerignore"


@pytest.mark.parametrize("tier", OUR_TIERS)
def test_the_image_runs_as_a_non_root_user_and_exposes_its_port(tier):
    final = stages(tier)[-1][1]
    users = [command.value[0] for command in final if command.cmd == "USER"]
    assert users, f"{tier}: the final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user.isdigit() and int(user) > 0, f"{tier}: runs as {users[-1]!r}"  # numeric: runAsNonRoot can check it
    exposed = [int(port) for command in final if command.cmd == "EXPOSE" for port in command.value]
    assert exposed == [PORTS[tier]]


@pytest.mark.parametrize("tier", ["web", "rasa", "actions"])
def test_our_images_start_the_tier_through_the_container_entry_point(tier):
    (cmd,) = [command for command in stages(tier)[-1][1] if command.cmd == "CMD"]
    assert cmd.json and list(cmd.value) == ["python", "-m", "asbcr.container", tier]


def test_the_web_image_installs_the_web_tiers_pins_and_not_rasas():
    text = dockerfile("web").read_text()
    assert "requirements-web.txt" in text and "constraints.txt" not in text
    copied = {
        source.split("/")[0]
        for _, body in stages("web")
        for command in body
        if command.cmd == "COPY" and not command.flags
        for source in command.value[:-1]
    }
    assert {"groundwork", "asbcr", "casework", "rules", "web"} <= copied and "bot" not in copied
    # What the web tier is made of never reaches into bot/ (Rasa's side), so the image can leave it out.
    for package in ("groundwork", "asbcr", "casework", "rules", "web"):
        for path in (ROOT / package).rglob("*.py"):
            assert not re.search(r"^\s*(from|import) bot\b", path.read_text(), re.M), path
    for tier in ("rasa", "actions"):
        assert "-c constraints.txt" in dockerfile(tier).read_text()


@pytest.mark.parametrize("tier", OUR_TIERS)
def test_hadolint_finds_nothing(tier):
    result = subprocess.run(
        [HADOLINT, "--config", str(DOCKER / ".hadolint.yaml"), str(dockerfile(tier))], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_would_catch_an_unpinned_image_and_a_root_user(tmp_path):
    bad = tmp_path / "bad.Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install aiohttp\nUSER root\nCMD [\"python\"]\n")
    result = subprocess.run(
        [HADOLINT, "--config", str(DOCKER / ".hadolint.yaml"), str(bad)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "DL3007" in result.stdout and "DL3002" in result.stdout  # latest; last USER root
