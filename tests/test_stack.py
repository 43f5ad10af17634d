"""The process supervisor's command lines and files: what `make run` and the tests start."""
import contextlib
import os
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest

from asbcr import stack as stack_module
from asbcr.stack import LOOPBACK, Stack, StackError, free_port, make_private
from tests.processes import alive


def test_rasa_gets_our_credentials_endpoints_and_port(tmp_path):
    stack = Stack(var=tmp_path, env={}, rasa_port=6123, actions_port=6124)
    command = stack.rasa_command()
    assert command[command.index("--port") + 1] == "6123"
    assert command[command.index("--credentials") + 1].endswith("bot/credentials.yml")
    endpoints = (tmp_path / "run" / "endpoints.yml").read_text()
    assert "http://127.0.0.1:6124/webhook" in endpoints and "enable_selective_domain: true" in endpoints


@pytest.mark.parametrize("subcommand", ["run", "shell"])
def test_rasa_listens_on_loopback_with_its_api_off_and_cors_closed(tmp_path, subcommand):
    command = Stack(var=tmp_path, env={}).rasa_command(subcommand)
    assert command[command.index("--interface") + 1] == "127.0.0.1"
    # The API's token would be on the command line (readable in /proc) and in query strings.
    assert not [arg for arg in command if arg.startswith(("--enable-api", "--auth-token", "-t", "--cors"))]


def test_the_action_server_listens_on_loopback(tmp_path):
    stack = Stack(var=tmp_path, env={"SANIC_HOST": "0.0.0.0"})
    assert stack.child_env("actions")["SANIC_HOST"] == "127.0.0.1"  # rasa_sdk reads only this


def test_endpoints_file_with_a_database_password_is_private(tmp_path):
    env = {"ASBCR_TRACKER_URL": "postgresql://rasa:s3cret@db:5432/tracker"}
    stack = Stack(var=tmp_path, env=env)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "endpoints.yml").write_text("old")
    os.chmod(tmp_path / "run" / "endpoints.yml", 0o644)
    path = stack.endpoints_file()
    assert "s3cret" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_make_private_closes_an_old_var_to_everyone_but_its_owner(tmp_path):
    var = tmp_path / "var"
    (var / "run").mkdir(parents=True)
    for name in ("applications.db", "run/rasa.log"):
        (var / name).write_text("x")
        os.chmod(var / name, 0o644)
    os.chmod(var, 0o755)
    os.chmod(var / "run", 0o755)
    make_private(var)
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    assert stat.S_IMODE((var / "run").stat().st_mode) == 0o700
    assert stat.S_IMODE((var / "applications.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((var / "run" / "rasa.log").stat().st_mode) == 0o600


def test_a_port_in_use_stops_the_start_at_once_naming_it(tmp_path):
    with socket.socket() as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        port = taken.getsockname()[1]
        stack = Stack(var=tmp_path, env={}, actions_port=port, rasa_port=free_port(), web_port=free_port())
        with pytest.raises(StackError, match=f"port {port} \\(the action server\\) is already in use"):
            stack.start()
    assert stack.processes == {}
    assert not (tmp_path / "run" / "actions.log").exists()  # nothing was started


def test_children_are_created_with_a_private_umask_and_die_with_their_parent(tmp_path):
    """A stand-in supervisor starts one child through Stack._spawn, then is SIGKILLed."""
    made = tmp_path / "made"
    child_code = f"import time; open({str(made)!r}, 'w').write('x'); time.sleep(600)"
    script = f"""
import sys, time
from asbcr.stack import Stack
stack = Stack(var={str(tmp_path)!r}, env={{}})
stack.command = lambda name: [sys.executable, "-c", {child_code!r}]
print(stack._spawn("actions").pid, flush=True)
time.sleep(600)
"""
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(stack_module.ROOT)})
    child = int(parent.stdout.readline())
    try:
        assert _eventually(lambda: made.exists() and made.stat().st_size > 0)
        assert stat.S_IMODE(made.stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "run" / "actions.log").stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "run" / "actions.pid").stat().st_mode) == 0o600
        parent.kill()
        parent.wait()
        assert _eventually(lambda: not alive(child)), "the child outlived its SIGKILLed supervisor"
    finally:
        parent.kill()
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


def _eventually(condition, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def stand_in_stack(tmp_path) -> Stack:
    """A stack whose action server and page are small HTTP servers, to watch the supervisor work."""
    stack = Stack(var=tmp_path, env=dict(os.environ), actions_port=free_port(), web_port=free_port(), with_rasa=False)
    ports = {"actions": stack.actions_port, "web": stack.web_port}
    stack.command = lambda name: [sys.executable, "-m", "http.server", str(ports[name]), "--bind", LOOPBACK]
    stack.ready_url = lambda name: f"http://{LOOPBACK}:{ports[name]}/"
    return stack


def supervisor_lines(stack: Stack) -> list:
    path = stack.run_dir / "supervisor.log"
    return [line.split("supervisor: ", 1)[1] for line in path.read_text().splitlines()] if path.exists() else []


def test_a_dead_child_is_restarted_and_logged_while_the_other_keeps_serving(tmp_path):
    with stand_in_stack(tmp_path) as stack:
        page = stack.processes["web"]
        old = stack.processes["actions"]
        old.kill()
        stack.supervise(should_stop=lambda: "the action server is answering again" in supervisor_lines(stack), poll=0.05)
        assert stack.processes["actions"].pid != old.pid and stack.processes["actions"].poll() is None
        assert stack.processes["web"] is page and page.poll() is None
        assert supervisor_lines(stack) == [
            f"the action server stopped (killed by SIGKILL); restarting in 1s (failure 1 in a row; "
            f"see {stack.log_path('actions')})",
            f"the action server starting again (pid {stack.processes['actions'].pid})",
            "the action server is answering again",
        ]


def test_a_child_that_keeps_failing_waits_longer_each_time(tmp_path, monkeypatch):
    monkeypatch.setattr(stack_module, "BACKOFF_SECONDS", (0.01, 0.02, 0.04, 0.08))
    with stand_in_stack(tmp_path) as stack:
        serving = stack.command
        stack.command = lambda name: [sys.executable, "-c", "raise SystemExit(3)"] if name == "actions" else serving(name)
        stack.processes["actions"].kill()
        stack.supervise(should_stop=lambda: sum("restarting in" in line for line in supervisor_lines(stack)) >= 5,
                        poll=0.01)
        pauses = [line.split("restarting in ")[1].split("s ")[0] for line in supervisor_lines(stack) if "restarting in" in line]
        assert pauses == ["0.01", "0.02", "0.04", "0.08", "0.08"]
        assert stack.processes["web"].poll() is None  # one child failing never stops the others


def test_a_restart_onto_a_taken_port_is_a_failure_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setattr(stack_module, "BACKOFF_SECONDS", (0.01,))
    with stand_in_stack(tmp_path) as stack:
        stack.processes["actions"].kill()
        stack.processes["actions"].wait()
        with socket.socket() as squatter:
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind((LOOPBACK, stack.actions_port))
            squatter.listen()
            stack.supervise(should_stop=lambda: sum("already in use" in line for line in supervisor_lines(stack)) >= 2,
                            poll=0.01)
        stack.supervise(should_stop=lambda: "the action server is answering again" in supervisor_lines(stack), poll=0.05)
        assert stack.processes["actions"].poll() is None


def test_any_process_that_uses_var_closes_it(tmp_path, monkeypatch):
    var = tmp_path / "var"
    var.mkdir()
    os.chmod(var, 0o755)  # as `make train` under umask 022 leaves it
    monkeypatch.setenv("ASBCR_VAR", str(var))
    from groundwork.paths import var_dir
    assert var_dir() == var
    assert stat.S_IMODE(var.stat().st_mode) == 0o700


def test_rasa_telemetry_and_error_reports_are_off_for_every_child(tmp_path):
    # Rasa reads ~/.config/rasa/global.yml, which may say yes: the environment must say no.
    stack = Stack(var=tmp_path, env={"RASA_TELEMETRY_ENABLED": "true"})
    assert stack.env["RASA_TELEMETRY_ENABLED"] == "false"
