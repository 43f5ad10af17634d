"""deploy/ agrees with the code and with itself: ports, probe paths and start-up budgets are what
each process serves (asbcr/stack.py, web/server.py, bot/actions); every environment variable is
one the code reads; the NetworkPolicies allow exactly the connections the configuration makes;
nginx's limits sit around the relay's; the images' entry point runs the supervisor's commands."""

from __future__ import annotations

import ast
import functools
import re
import urllib.parse
from pathlib import Path

import pytest

from asbcr import container as entry
from asbcr.stack import STARTUP_SECONDS, Stack
from deploy_files import NGINX_CONF, ROOT, TIERS, by_kind, compose, container, host_and_port, secret_example, workloads

COMPONENT = "app.kubernetes.io/component"
OURS = ("web", "rasa", "actions")


def env_values(tier: str) -> dict:
    """The tier's environment as the manifests give it (the Secret's example for secret values)."""
    config = by_kind("ConfigMap")["asbcr-config"]["data"]
    values = {}
    for variable in container(tier).get("env", []):
        source = variable.get("valueFrom", {})
        if "value" in variable:
            values[variable["name"]] = variable["value"]
        elif "configMapKeyRef" in source:
            values[variable["name"]] = config[source["configMapKeyRef"]["key"]]
        else:
            values[variable["name"]] = secret_example()[source["secretKeyRef"]["key"]]
    return values


def service_component(host: str) -> str:
    return by_kind("Service")[host]["spec"]["selector"][COMPONENT]


def service_port(name: str) -> int:
    (port,) = by_kind("Service")[name]["spec"]["ports"]
    return port["port"]


def container_port(tier: str) -> int:
    (port,) = container(tier)["ports"]
    return port["containerPort"]


def nginx_upstream():
    host, port = re.search(r"upstream web \{\s*server ([a-z0-9-]+):(\d+);", NGINX_CONF.read_text()).groups()
    return host, int(port)


def configured_flows() -> set:
    """(client tier, server tier, port) for every address a tier is configured to call."""
    flows = {("nginx", service_component(nginx_upstream()[0]), nginx_upstream()[1])}
    for tier in OURS:
        for name, value in env_values(tier).items():
            if name.endswith("_URL") and "://" in value and name != "ASBCR_PUBLIC_URL":
                host, port = host_and_port(value)
                flows.add((tier, service_component(host), port))
    return flows


def policy_flows(direction: str) -> set:
    flows = set()
    for name, policy in by_kind("NetworkPolicy").items():
        selector = policy["spec"]["podSelector"].get("matchLabels", {})
        if COMPONENT not in selector:
            continue
        me = selector[COMPONENT]
        for rule in policy["spec"].get(direction, []):
            peers = rule.get("from" if direction == "ingress" else "to", [])
            for peer in peers:
                other = peer["podSelector"]["matchLabels"][COMPONENT]
                for port in rule["ports"]:
                    flows.add((other, me, port["port"]) if direction == "ingress" else (me, other, port["port"]))
    return flows


def test_network_policies_allow_exactly_the_connections_the_configuration_makes():
    wanted = configured_flows()
    assert ("web", "rasa", 5005) in wanted and ("rasa", "actions", 5055) in wanted  # the configuration was read
    assert policy_flows("ingress") == wanted
    assert policy_flows("egress") == wanted
    # The back end's one exception, on purpose: the page's health check of the action server.
    assert {flow for flow in wanted if flow[1] == "actions"} == {("rasa", "actions", 5055), ("web", "actions", 5055)}


def test_compose_networks_join_exactly_the_tiers_that_talk():
    services = compose()["services"]
    for client, server, _ in configured_flows():
        assert set(services[client]["networks"]) & set(services[server]["networks"]), (client, server)
    for store in ("postgres", "redis"):
        assert services[store]["networks"] == ["data"]
    assert set(services["actions"]["networks"]).isdisjoint({"edge", "chat", "public"})
    assert set(services["rasa"]["networks"]).isdisjoint({"edge", "public"})


@pytest.mark.parametrize("tier", ["nginx", "web", "rasa", "actions", "postgres", "redis"])
def test_ports_agree_from_code_to_container_to_service(tier):
    port = container_port(tier)
    (service,) = by_kind("Service")[tier]["spec"]["ports"]
    assert service["targetPort"] == container(tier)["ports"][0]["name"]
    if tier in entry.PORTS:
        name, default = entry.PORTS[tier]
        assert port == default == int(env_values(tier)[name]) == service_port(tier)
        assert compose()["services"][tier]["environment"][name] == str(port)
    stack = Stack(env={"ASBCR_ACTION_CALL_KEY": "x"}, var=Path("/nonexistent"))  # the supervisor's own defaults
    assert (stack.web_port, stack.rasa_port, stack.actions_port) == (8000, 5005, 5055)
    assert nginx_upstream() == ("web", service_port("web"))
    assert f"listen {container_port('nginx')};" in NGINX_CONF.read_text()


def test_probe_paths_are_what_each_process_serves():
    from web import server

    routes = {route.resource.canonical for route in server.create_app().router.routes() if route.method == "GET"}
    web = container("web")
    assert web["readinessProbe"]["httpGet"]["path"] == "/api/health" and "/api/health" in routes
    assert web["livenessProbe"]["httpGet"]["path"] == "/" and "/" in routes
    assert web["readinessProbe"]["timeoutSeconds"] > server.HEALTH_TIMEOUT + 1  # it waits for each check
    stack = Stack(env={"ASBCR_ACTION_CALL_KEY": "x"}, var=Path("/nonexistent"))
    rasa_ready = urllib.parse.urlsplit(stack.ready_url("rasa")).path
    actions_ready = urllib.parse.urlsplit(stack.ready_url("actions")).path
    rasa, actions = container("rasa"), container("actions")
    assert rasa["startupProbe"]["httpGet"]["path"] == rasa["readinessProbe"]["httpGet"]["path"] == rasa_ready
    assert rasa["livenessProbe"]["httpGet"]["path"] == "/"  # Rasa's own "Hello from Rasa"
    assert {actions[probe]["httpGet"]["path"] for probe in ("startupProbe", "readinessProbe", "livenessProbe")} == {actions_ready}
    assert actions_ready in open_action_paths()  # answered without the action-call key
    for tier in ("rasa", "actions"):
        startup = container(tier)["startupProbe"]
        assert startup["periodSeconds"] * startup["failureThreshold"] == STARTUP_SECONDS[tier]
    services = compose()["services"]
    for tier, path in (("web", "/api/health"), ("rasa", rasa_ready), ("actions", actions_ready)):
        assert f"127.0.0.1:{container_port(tier)}{path}'" in " ".join(services[tier]["healthcheck"]["test"])


def open_action_paths() -> tuple:
    """bot/actions/__init__.py OPEN_PATHS, read without importing rasa_sdk."""
    tree = ast.parse((ROOT / "bot" / "actions" / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "OPEN_PATHS" for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError("bot/actions/__init__.py has no OPEN_PATHS")


@functools.lru_cache(maxsize=None)
def code_reads() -> str:
    return "\n".join(
        path.read_text()
        for folder in ("groundwork", "asbcr", "bot", "casework", "rules", "web")
        for path in (ROOT / folder).rglob("*.py")
    )


@pytest.mark.parametrize("tier", OURS)
def test_every_variable_given_is_one_the_code_reads_and_every_required_one_is_given(tier):
    source = code_reads()
    given = set(env_values(tier))
    composed = set(compose()["services"][tier]["environment"])
    assert given == composed, f"{tier}: the manifests and compose give different variables"
    for name in given:
        assert f'"{name}"' in source, f"{tier}: {name} is read by no code"
    assert set(entry.REQUIRED_ENV[tier]) <= given
    for name in by_kind("ConfigMap")["asbcr-config"]["data"]:
        assert f'"{name}"' in source


def test_nginx_limits_sit_around_the_relays():
    from groundwork.chat_input import MAX_BODY_BYTES
    from web import limits, server

    conf = NGINX_CONF.read_text()
    body = int(re.search(r"client_max_body_size (\d+)k;", conf).group(1)) * 1024
    assert MAX_BODY_BYTES < body <= 1024 * 1024  # the relay answers oversize messages in its own words
    rate = re.search(r"zone=chat_per_client:\d+m rate=(\d+)r/s;", conf).group(1)
    burst = re.search(r"limit_req zone=chat_per_client burst=(\d+) nodelay;", conf).group(1)
    assert (int(burst), float(rate)) == (limits.LIMITS["client"].burst, limits.LIMITS["client"].per_second)
    chat = conf[conf.index("location = /api/chat") :]
    read_timeout = int(re.search(r"proxy_read_timeout (\d+)s;", chat).group(1))
    page_timeout = int(re.search(r"REQUEST_TIMEOUT_MS = (\d+)", (ROOT / "web/static/chat.js").read_text()).group(1))
    assert server.RASA_TIMEOUT.total < read_timeout < page_timeout / 1000
    assert int(re.search(r"client_body_timeout (\d+)s;", conf).group(1)) == limits.BODY_TIMEOUT_SECONDS
    assert "access_log off;" in conf and "server_tokens off;" in conf


def test_the_containers_run_the_supervisors_commands_on_the_pods_address(tmp_path, monkeypatch):
    monkeypatch.setenv("ASBCR_VAR", str(tmp_path / "var"))
    values = {**env_values("rasa"), **env_values("actions"), **env_values("web")}
    stack = Stack(env={**values}, var=tmp_path / "stack")

    command, env = entry.prepare("web", env_values("web"))
    expected = stack.web_command()
    expected[expected.index("--host") + 1] = entry.POD_ADDRESS
    assert command[1:] == expected[1:]

    command, env = entry.prepare("actions", env_values("actions"))
    assert command == stack.actions_command() and env["SANIC_HOST"] == entry.POD_ADDRESS
    assert env["RASA_TELEMETRY_ENABLED"] == "false"

    command, env = entry.prepare("rasa", env_values("rasa"))
    expected = stack.rasa_command()
    for flag, value in (("--interface", entry.POD_ADDRESS), ("--endpoints", command[command.index("--endpoints") + 1])):
        expected[expected.index(flag) + 1] = value
    assert sorted(command) == sorted(expected)
    import yaml

    endpoints = yaml.safe_load(Path(command[command.index("--endpoints") + 1]).read_text())
    assert endpoints["action_endpoint"]["url"] == "http://actions:5055/webhook"
    assert endpoints["action_endpoint"]["headers"] == {"X-Asbcr-Action-Key": "${ASBCR_ACTION_CALL_KEY}"}  # not the key
    assert (endpoints["tracker_store"]["url"], endpoints["tracker_store"]["db"]) == ("postgres", "asbcr_tracker")
    assert (endpoints["lock_store"]["url"], endpoints["lock_store"]["port"]) == ("redis", 6379)


@pytest.mark.parametrize("tier", OURS)
def test_a_container_missing_a_required_variable_stops_naming_it(tier):
    values = env_values(tier)
    missing = entry.REQUIRED_ENV[tier][0]
    values.pop(missing)
    with pytest.raises(entry.ContainerError, match=missing):
        entry.prepare(tier, values)


def test_every_tier_has_the_same_image_in_compose_and_kubernetes():
    services = compose()["services"]
    assert {tier: services[tier]["image"] for tier in TIERS} == {tier: container(tier)["image"] for tier in TIERS}
    assert set(workloads()) == set(TIERS)


def test_compose_and_kubernetes_create_the_same_tracker_database():
    (script,) = by_kind("ConfigMap")["postgres-init"]["data"].values()
    assert script == (ROOT / "deploy/postgres/init/10-tracker-database.sql").read_text().split("\n", 2)[2]
    database = urllib.parse.urlsplit(secret_example()["ASBCR_TRACKER_URL"]).path.lstrip("/")
    assert f"CREATE DATABASE {database} OWNER asbcr;" in script
