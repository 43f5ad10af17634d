"""`make run`'s supervisor (python -m asbcr.run serve) as an operator and a fault meet it: what
listens where, a child killed or crashed comes back and answers while the others carry on, a
second start says which port is taken, the health endpoint names what is down, var/ is
private, and a SIGKILLed supervisor leaves nothing serving.

The tests share one running supervisor and run in file order; the last one kills it."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from asbcr.stack import DEFAULT_MODEL, free_port
from groundwork.paths import ROOT
from tests.chat_client import Resident
from tests.processes import alive, eventually, listeners

pytestmark = pytest.mark.conversation

START_SECONDS = 400  # Rasa loads its model before it answers; generous on 2 shared cores
CHILDREN = ("actions", "rasa", "web")


class Supervisor:
    def __init__(self, tmp: Path) -> None:
        self.var = tmp / "var"
        self.ports = {"rasa": free_port(), "actions": free_port(), "web": free_port()}
        self.env = {
            **os.environ,
            "ASBCR_VAR": str(self.var),
            "ASBCR_TODAY": "2026-11-25",
            "ASBCR_DATABASE_URL": f"sqlite:///{self.var / 'applications.db'}",
            "ASBCR_PORT": str(self.ports["rasa"]),
            "ASBCR_ACTIONS_PORT": str(self.ports["actions"]),
            "ASBCR_WEB_PORT": str(self.ports["web"]),
            "PYTHONPATH": str(ROOT),
        }
        for name in ("ASBCR_TRACKER_URL", "ASBCR_LOCK_URL", "ASBCR_RASA_URL", "ASBCR_ACTIONS_URL", "ASBCR_WEB_HOST"):
            self.env.pop(name, None)
        self.out = tmp / "supervisor.out"
        self.process = self.launch(self.env, self.out)

    @staticmethod
    def launch(env, out: Path) -> subprocess.Popen:
        with open(out, "wb") as stream:
            return subprocess.Popen(
                [sys.executable, "-m", "asbcr.run", "serve"], cwd=ROOT, env=env, stdout=stream, stderr=subprocess.STDOUT
            )

    def output(self) -> str:
        return self.out.read_text(errors="replace")

    def pid(self, name: str) -> int:
        return int((self.var / "run" / f"{name}.pid").read_text())

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['rasa']}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['web']}"

    def health(self):
        response = requests.get(f"{self.web_url}/api/health", timeout=15)
        return response.status_code, response.json()


@pytest.fixture(scope="module")
def supervisor(tmp_path_factory):
    if not DEFAULT_MODEL.exists():
        pytest.fail(f"no trained model at {DEFAULT_MODEL}: `make test` trains it first")
    running = Supervisor(tmp_path_factory.mktemp("supervised"))
    try:
        eventually(
            lambda: "chat page is at" in running.output() or running.process.poll() is not None,
            START_SECONDS,
            "the supervisor to start the stack",
        )
        assert running.process.poll() is None, running.output()
        yield running
    finally:
        if running.process.poll() is None:
            running.process.send_signal(signal.SIGTERM)
            running.process.wait(60)


def say_until_answered(url: str, sender: str, text: str) -> list:
    try:
        response = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    except requests.RequestException:
        return []
    return response.json() if response.status_code == 200 else []


def test_rasa_and_the_action_server_listen_on_loopback_only(supervisor):
    found = listeners()
    loopback = "0100007F"  # 127.0.0.1, as /proc/net/tcp writes it
    assert found[supervisor.ports["rasa"]] == [loopback], found.get(supervisor.ports["rasa"])
    assert found[supervisor.ports["actions"]] == [loopback], found.get(supervisor.ports["actions"])


def test_rasa_has_no_http_api_and_answers_no_other_origin(supervisor):
    assert requests.get(f"{supervisor.rasa_url}/status", timeout=10).status_code == 404
    assert requests.get(f"{supervisor.rasa_url}/conversations/someone-else/tracker", timeout=10).status_code == 404
    response = requests.post(
        f"{supervisor.rasa_url}/webhooks/rest/webhook",
        timeout=60,
        headers={"Origin": "https://evil.example"},
        json={"sender": "cors-check-1", "message": "hello"},
    )
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = requests.options(
        f"{supervisor.rasa_url}/webhooks/rest/webhook",
        timeout=10,
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_the_process_command_lines_carry_no_token(supervisor):
    for name in CHILDREN:
        command = Path(f"/proc/{supervisor.pid(name)}/cmdline").read_bytes().split(b"\0")
        assert not [arg for arg in command if b"token" in arg.lower()], (name, command)


def test_health_is_ok_then_names_a_hung_action_server(supervisor):
    status, body = eventually(lambda: (lambda s, b: (s, b) if s == 200 else None)(*supervisor.health()), 60, "health to say ok")
    assert body["checks"] == {"page": "ok", "rasa": "ok", "action_server": "ok", "applications_database": "ok"}
    actions = supervisor.pid("actions")
    os.kill(actions, signal.SIGSTOP)  # alive but answering nothing: the supervisor leaves it be
    try:
        status, body = supervisor.health()
        assert (status, body["down"]) == (503, ["action_server"]), body
    finally:
        os.kill(actions, signal.SIGCONT)
    eventually(lambda: supervisor.health()[0] == 200, 60, "health to recover with the action server")


def test_a_sigkilled_action_server_is_named_by_health_then_restarted(supervisor):
    before = supervisor.pid("actions")
    supervisor.process.send_signal(signal.SIGSTOP)  # frozen, it cannot restart the child before health looks
    try:
        os.kill(before, signal.SIGKILL)
        eventually(lambda: not alive(before), 30, "the action server to die")
        status, body = supervisor.health()
        assert (status, body["down"]) == (503, ["action_server"]), body
    finally:
        supervisor.process.send_signal(signal.SIGCONT)
    eventually(
        lambda: supervisor.pid("actions") != before and supervisor.health()[0] == 200, 120, "the action server to come back"
    )
    assert "the action server stopped (killed by SIGKILL); restarting in 1s" in supervisor.output()


def test_a_sigkilled_rasa_comes_back_and_the_conversation_carries_on(supervisor):
    resident = Resident(supervisor.rasa_url)
    resident.say("my neighbours are making my life hell, reported it to the police 3 times")
    others = {name: supervisor.pid(name) for name in ("actions", "web")}
    before = supervisor.pid("rasa")
    os.kill(before, signal.SIGKILL)
    eventually(lambda: supervisor.pid("rasa") != before, 30, "a new Rasa to be started")
    replies = eventually(
        lambda: say_until_answered(supervisor.rasa_url, resident.sender, "summary"), START_SECONDS, "the restarted Rasa to answer"
    )
    assert "the police" in " ".join(m.get("text", "") for m in replies), replies
    assert {name: supervisor.pid(name) for name in others} == others  # the others never stopped
    assert "the Rasa server stopped (killed by SIGKILL)" in supervisor.output()
    # The supervisor logs it when its own check next sees Rasa answer, which may come a moment
    # after the resident's message got through.
    eventually(
        lambda: "the Rasa server is answering again" in supervisor.output(), 30, "the supervisor to log that Rasa answers again"
    )


def test_a_lone_surrogate_sender_does_not_keep_rasa_down(supervisor):
    """Rasa's SQL tracker store exits the whole server on such a sender id; whether or not the
    channel now refuses it, the supervisor must have Rasa answering again."""
    body = b'{"sender": "\\ud800", "message": "hello"}'
    try:
        requests.post(
            f"{supervisor.rasa_url}/webhooks/rest/webhook", data=body, timeout=60, headers={"Content-Type": "application/json"}
        )
    except requests.RequestException:
        pass  # the connection dies with the server
    eventually(
        lambda: say_until_answered(supervisor.rasa_url, "after-surrogate-1", "hello"),
        START_SECONDS,
        "Rasa to answer after a lone-surrogate sender",
    )
    assert supervisor.process.poll() is None, supervisor.output()


def test_a_second_start_while_the_ports_are_taken_says_which_at_once(supervisor, tmp_path):
    env = {**supervisor.env, "ASBCR_VAR": str(tmp_path / "var2")}
    second = Supervisor.launch(env, tmp_path / "second.out")
    try:
        code = second.wait(60)  # a hang guard only: it must not try to start anything
    except subprocess.TimeoutExpired:
        second.kill()
        pytest.fail("the second start did not stop at once")
    output = (tmp_path / "second.out").read_text()
    assert code == 1, output
    assert f"port {supervisor.ports['actions']} (the action server) is already in use" in output
    assert not list((tmp_path / "var2").glob("run/*.log"))  # no child was started


def test_every_file_in_var_is_private(supervisor):
    assert (supervisor.var / "tracker.db").exists() and (supervisor.var / "applications.db").exists()
    assert stat.S_IMODE(supervisor.var.stat().st_mode) == 0o700
    for folder, directories, files in os.walk(supervisor.var):
        for name in directories:
            assert stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode) == 0o700, name
        for name in files:
            mode = stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode)
            assert mode & 0o077 == 0, f"{name} is {oct(mode)}"


def test_a_sigkilled_supervisor_leaves_no_child_serving(supervisor):
    pids = {name: supervisor.pid(name) for name in CHILDREN}
    supervisor.process.kill()
    supervisor.process.wait()

    def all_gone():
        return not [name for name, pid in pids.items() if alive(pid)]

    eventually(all_gone, 30, f"the children {pids} to die with the supervisor")
    # A port closes when the last process holding its socket has gone, which can be a moment after
    # the child itself (its own workers die with it): wait for that, a bound, not a measure.
    eventually(
        lambda: not [port for port in supervisor.ports.values() if port in listeners()],
        30,
        f"the ports {supervisor.ports} to close",
    )
