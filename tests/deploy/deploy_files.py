"""deploy/ read as data: the Kubernetes manifests, the compose file, the Dockerfiles, nginx's
configuration. No image is built and no cluster or container runs here (README, "Deploying"):
these tests check what can be checked without them. The schema and lint checks need tools only
.venv-web holds (requirements-web-dev.txt); `make test` runs tests/deploy there."""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path
from typing import Dict, Iterator, List

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
DOCKER = DEPLOY / "docker"
COMPOSE = DEPLOY / "compose.yaml"
NGINX_CONF = DEPLOY / "nginx" / "nginx.conf"
TIERS = ("nginx", "web", "rasa", "actions", "postgres", "redis")
OUR_TIERS = ("nginx", "web", "rasa", "actions")  # built from deploy/docker/


def manifest_files() -> List[Path]:
    return sorted(path for path in KUBERNETES.glob("*.yaml") if path.name != "kustomization.yaml")


LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def documents(path: Path) -> Iterator[dict]:
    yield from (doc for doc in yaml.load_all(path.read_text(), Loader=LOADER) if doc)


@functools.lru_cache(maxsize=None)
def _resources() -> tuple:
    return tuple(doc for path in manifest_files() for doc in documents(path))


def resources() -> List[dict]:
    """What `kubectl apply -k deploy/kubernetes` applies, plus the Secret's example (a copy each
    time: a test may change it)."""
    return copy.deepcopy(list(_resources()))


def by_kind(kind: str) -> Dict[str, dict]:
    return {doc["metadata"]["name"]: copy.deepcopy(doc) for doc in _resources() if doc["kind"] == kind}


def workloads() -> Dict[str, dict]:
    """Each tier's Deployment or StatefulSet, by component label."""
    found = {}
    for doc in resources():
        if doc["kind"] in ("Deployment", "StatefulSet"):
            found[doc["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]] = doc
    return found


def container(tier: str) -> dict:
    (only,) = workloads()[tier]["spec"]["template"]["spec"]["containers"]
    return only


@functools.lru_cache(maxsize=None)
def _compose() -> dict:
    return yaml.load(COMPOSE.read_text(), Loader=LOADER)


def compose() -> dict:
    return copy.deepcopy(_compose())


def dockerfile(tier: str) -> Path:
    return DOCKER / f"{tier}.Dockerfile"


def secret_example() -> Dict[str, str]:
    return by_kind("Secret")["asbcr-secrets"]["stringData"]


def host_and_port(url: str):
    found = re.match(r"^[a-z0-9+]+://(?:[^@/]*@)?([A-Za-z0-9.-]+):(\d+)", url)
    assert found, url
    return found.group(1), int(found.group(2))
