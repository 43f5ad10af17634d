"""deploy/compose.yaml against the compose specification's JSON schema (bundled with
check-jsonschema; `docker compose config` needs the compose plugin, which this machine's docker
client lacks), and the same shape as the Kubernetes manifests: the same services, images,
replicas, ports and hardening, with only nginx publishing a port."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deploy_files import COMPOSE, DEPLOY, OUR_TIERS, TIERS, compose, container, workloads

pytest.importorskip("check_jsonschema", reason="in .venv-web only (make test runs it there)")
CHECK = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")


def check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHECK, "--builtin-schema", "vendor.compose-spec", str(path)], capture_output=True, text=True, timeout=120
    )


def test_the_compose_file_is_valid_against_the_compose_spec():
    result = check(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_would_catch_a_misspelt_key(tmp_path):
    broken = compose()
    broken["services"]["web"]["enviroment"] = broken["services"]["web"].pop("environment")
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(broken))
    assert check(path).returncode != 0


def test_the_same_services_images_and_replicas_as_the_manifests():
    services = compose()["services"]
    assert set(services) == set(TIERS)
    for tier in TIERS:
        assert services[tier]["image"] == container(tier)["image"], tier
        replicas = services[tier].get("deploy", {}).get("replicas", 1)
        assert replicas == workloads()[tier]["spec"]["replicas"], tier
    for tier in OUR_TIERS:
        assert services[tier]["build"] == {"context": "..", "dockerfile": f"deploy/docker/{tier}.Dockerfile"}


def test_only_nginx_publishes_a_port_and_every_back_end_network_is_internal():
    document = compose()
    published = {name for name, service in document["services"].items() if service.get("ports")}
    assert published == {"nginx"}
    networks = document["networks"]
    assert [name for name, network in networks.items() if not (network or {}).get("internal")] == ["public"]
    assert [name for name, service in document["services"].items() if "public" in service["networks"]] == ["nginx"]


@pytest.mark.parametrize("tier", TIERS)
def test_every_service_is_hardened_and_non_root(tier):
    service = compose()["services"][tier]
    assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in service["security_opt"]
    assert int(service["user"].split(":")[0]) > 0
    assert str(workloads()[tier]["spec"]["template"]["spec"]["securityContext"]["runAsUser"]) == service["user"].split(":")[0]
    assert service.get("healthcheck", {}).get("test"), f"{tier} has no health check"


def test_secrets_come_from_deploy_env_and_the_example_names_every_one():
    text = COMPOSE.read_text()
    example = {
        line.split("=", 1)[0] for line in (DEPLOY / ".env.example").read_text().splitlines() if line and not line.startswith("#")
    }
    required = {word.split(":?")[0] for word in text.split("${")[1:] if ":?" in word.split("}")[0]}
    assert required and required <= example
    assert "deploy/.env" in (DEPLOY.parent / ".gitignore").read_text().splitlines()  # real secrets stay out of git
