"""deploy/kubernetes/ against the Kubernetes schemas bundled with kubernetes-validate (strict: an
unknown field fails), and the rules every workload keeps: non-root, no privilege escalation, a
read-only root, resource requests, probes, secrets by reference, only nginx reachable from outside."""

from __future__ import annotations

import copy

import pytest
import yaml

from deploy_files import KUBERNETES, TIERS, by_kind, container, manifest_files, resources, secret_example, workloads

kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="in .venv-web only (make test runs it there)")
KUBERNETES_VERSION = "1.37.0"  # the newest the pinned kubernetes-validate bundles


def validate(document: dict) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("document", resources(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_every_manifest_is_valid_against_the_kubernetes_schema(document):
    validate(document)


def test_the_schema_check_would_catch_a_misspelt_field_or_a_wrong_type():
    deployment = copy.deepcopy(workloads()["web"])
    probe = deployment["spec"]["template"]["spec"]["containers"][0].pop("readinessProbe")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = probe
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)
    deployment = copy.deepcopy(workloads()["rasa"])
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)


def test_the_kustomization_applies_every_manifest_but_the_secrets_example():
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    assert listed == {path.name for path in manifest_files()} - {"secret.example.yaml"}
    assert {image["name"] for image in kustomization["images"]} == {
        container(tier)["image"].split(":")[0] for tier in ("nginx", "web", "rasa", "actions")
    }
    assert all(doc["metadata"].get("namespace") == "asbcr" for doc in resources() if doc["kind"] != "Namespace")


def test_the_topology_is_the_clusters():
    """As `make run-cluster` (CONTRACT.md): nginx, the web tier, 2+ Rasa replicas, two action
    servers, PostgreSQL and Redis."""
    running = workloads()
    assert set(running) == set(TIERS)
    assert running["rasa"]["spec"]["replicas"] >= 2
    assert running["actions"]["spec"]["replicas"] == 2
    assert running["postgres"]["kind"] == "StatefulSet"


@pytest.mark.parametrize("tier", TIERS)
def test_every_workload_runs_as_a_non_root_user_without_privileges(tier):
    pod = workloads()[tier]["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False  # no pod talks to the Kubernetes API
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    context = container(tier)["securityContext"]
    assert context == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
    namespace = by_kind("Namespace")["asbcr"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("tier", TIERS)
def test_every_workload_requests_resources_and_has_both_probes(tier):
    spec = container(tier)
    assert {"cpu", "memory"} <= set(spec["resources"]["requests"])
    assert {"cpu", "memory"} <= set(spec["resources"]["limits"])
    assert "readinessProbe" in spec and "livenessProbe" in spec


@pytest.mark.parametrize("tier", TIERS)
def test_secrets_reach_a_pod_only_by_reference_and_the_example_holds_no_real_one(tier):
    for variable in container(tier).get("env", []):
        name = variable["name"]
        if any(word in name for word in ("KEY", "SECRET", "TOKEN", "PASSWORD", "DATABASE_URL", "TRACKER_URL", "LOCK_URL")):
            assert "value" not in variable, f"{tier}: {name} is written in the manifest"
            reference = variable["valueFrom"]["secretKeyRef"]
            assert reference["name"] == "asbcr-secrets" and reference["key"] in secret_example()
    assert all("CHANGE-ME" in value for value in secret_example().values())


def test_only_nginx_is_reachable_from_outside_the_cluster():
    services = by_kind("Service")
    assert {name: service["spec"]["type"] for name, service in services.items()} == {
        "nginx": "LoadBalancer",
        "web": "ClusterIP",
        "rasa": "ClusterIP",
        "actions": "ClusterIP",
        "postgres": "ClusterIP",
        "redis": "ClusterIP",
    }
    assert not by_kind("Ingress")
    policies = by_kind("NetworkPolicy")
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    open_to_all = [name for name, policy in policies.items() for rule in policy["spec"].get("ingress", []) if "from" not in rule]
    assert open_to_all == ["nginx"]
