"""`make run-cluster` (python -m asbcr.run cluster) under faults, through nginx as residents meet it:
a Rasa replica SIGKILLed mid-conversation, an action server killed mid-form, PostgreSQL and Redis
unreachable for a few seconds. In each the conversation carries on to the facts the same answers
give in-process, and no application is lost or made twice.

One cluster serves the module (its start is most of the time); the tests run in file order and
each waits for every child to answer before it begins. PostgreSQL and Redis are the machine's
shared servers, reached through TCP proxies the tests control (tests/tcp_proxy.py), with a
tracker database and an applications database of the module's own, dropped at the end."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from asbcr.cluster import NGINX
from asbcr.stack import DEFAULT_MODEL, answers, free_port, port_in_use
from groundwork.paths import ROOT
from tests.chat_client import PageResident
from tests.conversation_engine.chat import ANSWERS, OPENING, Chat
from tests.processes import EVERY_INTERFACE, LOOPBACK, alive, eventually, listeners
from tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.cluster, pytest.mark.conversation]

PG = "postgresql://postgres@127.0.0.1:{port}/{database}"
ADMIN_URL = os.environ.get("ASBCR_TEST_PG_ADMIN_URL", PG.format(port=5432, database="test"))
REDIS_PORT = 6379
START_SECONDS = 400  # two Rasa replicas load their model at once; generous on 2 shared cores
RESTART_SECONDS = 300
DETAILS = {
    "applicant_name": "Jo Bloggs",
    "applicant_email": "jo@example.org",
    "applicant_phone": "07700 900123",
    "address": "12 Station Road, Ilkeston DE7 5AB",
    "description": "Loud music from next door every weekend.",
    "impact": "I can't sleep and I'm scared to go out",
    "confirm": "yes that's right",
}
# Said by the REST channel when a turn fails (bot/channels.py NO_REPLY) and by the application
# form when its database cannot be written (utter_application_failed).
TECHNICAL_PROBLEM = "I'm having a technical problem"
NOT_SAVED = "I couldn't save your application just now"


def consecutive_free_ports(count: int) -> int:
    """A port p with p .. p+count-1 all free: the cluster puts the replicas and the action
    servers on the ports after its balancers'."""
    for _ in range(100):
        base = free_port()
        if base + count < 65536 and not any(port_in_use(base + i) for i in range(count)):
            return base
    raise RuntimeError("no run of free ports")


class RunningCluster:
    def __init__(self, tmp: Path, tracker_db: str, applications_db: str, replicas: int = 2) -> None:
        self.var = tmp / "var"
        self.replicas = replicas
        self.postgres_for_tracker = TcpProxy(5432)
        self.postgres_for_applications = TcpProxy(5432)
        self.redis = TcpProxy(REDIS_PORT)
        self.public_port, self.web_port = free_port(), free_port()
        self.rasa_port = consecutive_free_ports(replicas + 1)
        self.actions_port = consecutive_free_ports(3)
        self.applications_url = PG.format(port=5432, database=applications_db)
        self.env = {
            **os.environ,
            "ASBCR_VAR": str(self.var),
            "ASBCR_TODAY": "2026-11-25",
            "PYTHONPATH": str(ROOT),
            "ASBCR_REPLICAS": str(replicas),
            "ASBCR_CLUSTER_PORT": str(self.public_port),
            "ASBCR_PORT": str(self.rasa_port),
            "ASBCR_ACTIONS_PORT": str(self.actions_port),
            "ASBCR_WEB_PORT": str(self.web_port),
            "ASBCR_TRACKER_URL": PG.format(port=self.postgres_for_tracker.port, database=tracker_db),
            "ASBCR_DATABASE_URL": PG.format(port=self.postgres_for_applications.port, database=applications_db),
            "ASBCR_LOCK_URL": f"redis://127.0.0.1:{self.redis.port}/0",
        }
        for name in (
            "ASBCR_RASA_URL",
            "ASBCR_ACTIONS_URL",
            "ASBCR_WEB_HOST",
            "ASBCR_CLUSTER_HOST",
            "ASBCR_PUBLIC_URL",
            "ASBCR_WEB_TRUSTED_PROXIES",
            "ASBCR_WEB_RATE_LIMITS",
            "ASBCR_CLUSTER_LIMITS",
            "ASBCR_CLUSTER_TLS_CERT",
            "ASBCR_CLUSTER_TLS_KEY",
        ):
            self.env.pop(name, None)
        self.out = tmp / "cluster.out"
        with open(self.out, "wb") as stream:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "asbcr.run", "cluster"], cwd=ROOT, env=self.env, stdout=stream, stderr=subprocess.STDOUT
            )

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.public_port}"

    def children(self) -> list:
        return ["actions-1", "actions-2", "nginx", *[f"rasa-{i}" for i in range(1, self.replicas + 1)], "web"]

    def ready_urls(self) -> dict:
        urls = {f"rasa-{i}": f"http://127.0.0.1:{self.rasa_port + i}/webhooks/rest/" for i in range(1, self.replicas + 1)}
        urls.update({f"actions-{i}": f"http://127.0.0.1:{self.actions_port + i}/health" for i in (1, 2)})
        urls.update({"web": f"http://127.0.0.1:{self.web_port}/", "nginx": f"{self.public_url}/"})
        return urls

    def output(self) -> str:
        return self.out.read_text(errors="replace")

    def pid(self, name: str) -> int:
        return int((self.var / "run" / f"{name}.pid").read_text())

    def all_answering(self) -> bool:
        return all(answers(url) for url in self.ready_urls().values())

    def health(self):
        response = requests.get(f"{self.public_url}/api/health", timeout=20)
        return response.status_code, response.json()

    @contextlib.contextmanager
    def supervisor_frozen(self):
        """The supervisor stopped (SIGSTOP): a child killed meanwhile stays down until it thaws."""
        self.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGCONT)

    def kill(self, name: str) -> int:
        pid = self.pid(name)
        os.kill(pid, signal.SIGKILL)
        eventually(lambda: not alive(pid), 30, f"{name} to die")
        return pid

    def back_again(self, name: str, killed: int) -> None:
        """The supervisor has started `name` again and it answers."""
        eventually(
            lambda: self.pid(name) != killed and answers(self.ready_urls()[name]),
            RESTART_SECONDS,
            f"the supervisor to bring {name} back",
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(120)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for proxy in (self.postgres_for_tracker, self.postgres_for_applications, self.redis):
            proxy.close()


@pytest.fixture(scope="module")
def databases():
    """A tracker database and an applications database of this module's own on the shared server."""
    try:
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        pytest.skip(f"PostgreSQL is not reachable at {ADMIN_URL}: {str(error).splitlines()[0]}")
    names = [f"asbcr_cluster_{kind}_{secrets.token_hex(4)}" for kind in ("tracker", "applications")]
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield names
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, databases):
    if not DEFAULT_MODEL.exists():
        pytest.fail(f"no trained model at {DEFAULT_MODEL}: `make test` trains it first")
    if not os.access(os.environ.get("ASBCR_NGINX") or NGINX, os.X_OK):
        pytest.fail("no nginx: `make test` installs it first (scripts/nginx-deps.sh)")
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=REDIS_PORT, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable: {error}")
    running = RunningCluster(tmp_path_factory.mktemp("cluster"), *databases)
    senders = []
    running.senders = senders
    try:
        eventually(
            lambda: "chat page is at" in running.output() or running.process.poll() is not None,
            START_SECONDS,
            "the cluster to start",
        )
        assert running.process.poll() is None, running.output()
        yield running
    finally:
        running.stop()
        # Rasa deletes a conversation's lock after each turn; a replica killed mid-turn would leave one.
        client = redis.Redis(host="127.0.0.1", port=REDIS_PORT)
        for sender in senders:
            client.delete(f"asbcr:lock:{sender}")


@pytest.fixture
def resident(cluster):
    """A resident on the public page, once every child of the cluster answers."""
    eventually(cluster.all_answering, RESTART_SECONDS, "every child of the cluster to answer")
    person = PageResident(cluster.public_url)
    cluster.senders.append(person.sender)
    return person


def expected_check() -> dict:
    """The facts the same answers give, in-process (bot/conversation with no servers)."""
    return Chat().answer_until(ANSWERS, OPENING, stop="check").check


def answer(resident, until: str = "check", limit: int = 20) -> None:
    """Answers by `ask` name (the plain case's answers, then the application's) until `until` is asked."""
    for _ in range(limit):
        if resident.ask == until:
            return
        assert resident.ask in {**ANSWERS, **DETAILS}, resident.log()
        resident.say({**ANSWERS, **DETAILS}[resident.ask])
    pytest.fail(f"{until!r} was never asked:\n{resident.log()}")


def applications_of(cluster, sender: str) -> list:
    engine = create_engine(cluster.applications_url)
    try:
        with engine.connect() as connection:
            return [
                dict(row._mapping)
                for row in connection.execute(
                    text("SELECT reference, applicant_name, applicant_email FROM applications WHERE idempotency_key = :key"),
                    {"key": f"chat:{sender}"},
                )
            ]
    finally:
        engine.dispose()


def apply_to_confirm(resident) -> None:
    """From the start to the application's summary, waiting for "yes, that's right"."""
    resident.say(OPENING)
    answer(resident, "check")
    resident.say(ANSWERS["check"])
    assert resident.decision and resident.decision["outcome"] == "apply", resident.log()
    resident.say("yes please")
    answer(resident, "confirm")


# --- the shape ---------------------------------------------------------------------------


def test_only_nginx_listens_beyond_loopback_and_health_sees_every_store(cluster):
    eventually(cluster.all_answering, RESTART_SECONDS, "every child of the cluster to answer")
    found = listeners()
    assert found[cluster.public_port] == [EVERY_INTERFACE], found.get(cluster.public_port)
    back_ends = [
        cluster.web_port,
        cluster.rasa_port,
        cluster.actions_port,
        *[cluster.rasa_port + i for i in range(1, cluster.replicas + 1)],
        cluster.actions_port + 1,
        cluster.actions_port + 2,
    ]
    assert {port: found.get(port) for port in back_ends} == {port: [LOOPBACK] for port in back_ends}
    status, body = cluster.health()
    assert (status, body["checks"]) == (
        200,
        {
            "page": "ok",
            "rasa": "ok",
            "action_server": "ok",
            "applications_database": "ok",
            "tracker_store": "ok",
            "lock_store": "ok",
        },
    ), body
    config = cluster.var / "nginx" / "nginx.conf"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE((cluster.var / "nginx").stat().st_mode) == 0o700


def test_the_action_servers_answer_only_with_the_key_through_their_balancer(cluster):
    forged = {"next_action": "action_submit_application", "sender_id": "forged-call-1", "tracker": {}}
    response = requests.post(f"http://127.0.0.1:{cluster.actions_port}/webhook", json=forged, timeout=30)
    assert response.status_code in (401, 403), response.text


def test_nginx_refuses_an_oversized_body_and_a_flood_in_the_relays_own_words(cluster):
    response = requests.post(
        f"{cluster.public_url}/api/chat", data=b"x" * (300 * 1024), timeout=30, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413 and response.json()["error"] == "too_large", response.text
    # 250 requests at once from one address: past nginx's burst of 200, the rest are refused.
    statuses = [requests.get(f"{cluster.public_url}/no-such-page", timeout=30) for _ in range(250)]
    refused = [r for r in statuses if r.status_code == 429]
    assert refused and refused[0].json()["error"] == "too_many_requests", {r.status_code for r in statuses}
    assert refused[0].headers["Retry-After"] == "5"


# --- faults ------------------------------------------------------------------------------


def test_an_action_server_killed_mid_form_is_restarted_and_the_form_carries_on(cluster, resident):
    resident.say(OPENING)
    answer(resident, "check")
    resident.say(ANSWERS["check"])
    resident.say("yes please")
    answer(resident, "applicant_email")
    with cluster.supervisor_frozen():
        killed = cluster.kill("actions-1")
        resident.say(DETAILS["applicant_email"])  # action server 2 answers
        assert resident.ask == "applicant_phone", resident.log()
    cluster.back_again("actions-1", killed)
    assert "action server 1 stopped (killed by SIGKILL); restarting in 1s" in cluster.output()
    with cluster.supervisor_frozen():  # the restarted action server 1 now holds the form alone
        cluster.kill("actions-2")
        answer(resident, "confirm")
        resident.say(DETAILS["confirm"])
    application = resident.application
    assert application and application["reference"].startswith("ASBCR-2026-"), resident.log()
    assert applications_of(cluster, resident.sender) == [
        {"reference": application["reference"], "applicant_name": "Jo Bloggs", "applicant_email": "jo@example.org"}
    ]


def test_postgresql_unreachable_at_the_confirmation(cluster, resident):
    apply_to_confirm(resident)
    pids = {name: cluster.pid(name) for name in cluster.children()}
    cluster.postgres_for_tracker.cut()
    cluster.postgres_for_applications.cut()
    try:
        resident.say(DETAILS["confirm"])
        assert TECHNICAL_PROBLEM in resident.text() and not resident.application, resident.log()
        status, body = cluster.health()
        assert status == 503 and {"tracker_store", "applications_database"} <= set(body["down"]), body
        assert requests.get(f"{cluster.public_url}/", timeout=30).status_code == 200  # the page still loads
    finally:
        cluster.postgres_for_tracker.restore()
        cluster.postgres_for_applications.restore()
    # Back by itself: the resident's next try is answered, nothing they said was lost.
    resident.say(DETAILS["confirm"])
    application = resident.application
    assert application, resident.log()
    assert applications_of(cluster, resident.sender) == [
        {"reference": application["reference"], "applicant_name": "Jo Bloggs", "applicant_email": "jo@example.org"}
    ]
    resident.say("summary")
    assert "3 October 2026: told the police" in resident.text(), resident.log()
    assert {name: cluster.pid(name) for name in pids} == pids  # nothing had to be restarted
    eventually(lambda: cluster.health()[0] == 200, 60, "health to say ok again")


def test_the_applications_database_unreachable_as_the_application_is_saved(cluster, resident):
    apply_to_confirm(resident)
    cluster.postgres_for_applications.cut()
    try:
        resident.say(DETAILS["confirm"])
        assert NOT_SAVED in resident.text() and not resident.application, resident.log()
    finally:
        cluster.postgres_for_applications.restore()
    assert applications_of(cluster, resident.sender) == []
    # The resident says yes again; the bot shows the summary once more, and yes sends it.
    resident.say(DETAILS["confirm"])
    answer(resident, "confirm", limit=3)
    resident.say(DETAILS["confirm"])
    application = resident.application
    assert application, resident.log()
    resident.say(DETAILS["confirm"])  # a confirmation too many makes no second application
    assert applications_of(cluster, resident.sender) == [
        {"reference": application["reference"], "applicant_name": "Jo Bloggs", "applicant_email": "jo@example.org"}
    ]


def test_redis_unreachable_holds_every_message_until_it_is_back(cluster, resident):
    resident.say(OPENING)
    resident.say(ANSWERS[resident.ask])
    asked = resident.ask
    pids = {name: cluster.pid(name) for name in cluster.children()}
    cluster.redis.cut()
    try:
        resident.say(ANSWERS[asked])
        assert TECHNICAL_PROBLEM in resident.text() and not resident.ask, resident.log()
        status, body = cluster.health()
        assert (status, body["down"]) == (503, ["lock_store"]), body
    finally:
        cluster.redis.restore()
    resident.say(ANSWERS[asked])  # the same answer again, now that Redis is back
    assert resident.ask != asked, resident.log()
    answer(resident, "check")
    assert resident.latest("check") == expected_check(), resident.log()
    assert {name: cluster.pid(name) for name in pids} == pids


def test_a_killed_nginx_is_started_again_and_the_conversation_carries_on(cluster, resident):
    resident.say(OPENING)
    with cluster.supervisor_frozen():
        killed = cluster.kill("nginx")
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{cluster.public_url}/", timeout=10)
    cluster.back_again("nginx", killed)
    resident.say(ANSWERS[resident.ask])
    assert resident.ask == "reported_to", resident.log()
    assert "nginx stopped (killed by SIGKILL); restarting in 1s" in cluster.output()


def test_a_sigkilled_replica_mid_conversation(cluster, resident):
    """Near the end: the replica killed last is still coming back when the module ends."""
    resident.say(OPENING)
    resident.say(ANSWERS[resident.ask])
    with cluster.supervisor_frozen():  # so replica 1 stays down while the resident carries on
        killed = cluster.kill("rasa-1")
        # The next messages go to replica 2, which reads the conversation from the tracker store.
        resident.say(ANSWERS[resident.ask])
        resident.say(ANSWERS[resident.ask])
    assert "Rasa replica 1 stopped (killed by SIGKILL)" in eventually(
        lambda: "Rasa replica 1 stopped" in cluster.output() and cluster.output(), 30, "the supervisor to see it"
    )
    cluster.back_again("rasa-1", killed)
    with cluster.supervisor_frozen():  # now replica 2 dies and the restarted replica 1 carries on
        cluster.kill("rasa-2")
        answer(resident, "check")
    assert resident.latest("check") == expected_check(), resident.log()
    resident.say(ANSWERS["check"])
    assert resident.decision["outcome"] == "apply", resident.log()


def test_a_sigkilled_supervisor_leaves_no_child_serving(cluster):
    """Last: nginx too dies with the supervisor (one process, master_process off)."""
    pids = {name: cluster.pid(name) for name in cluster.children()}
    cluster.process.kill()
    cluster.process.wait()
    eventually(
        lambda: not [name for name, pid in pids.items() if alive(pid)], 30, f"the children {pids} to die with the supervisor"
    )
    ports = [cluster.public_port, cluster.web_port, cluster.rasa_port, cluster.actions_port]
    eventually(lambda: not [port for port in ports if port in listeners()], 30, f"the ports {ports} to close")
