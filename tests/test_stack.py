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
    parent = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(stack_module.ROOT)},
    )
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
        stack.supervise(should_stop=lambda: sum("restarting in" in line for line in supervisor_lines(stack)) >= 5, poll=0.01)
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
            stack.supervise(should_stop=lambda: sum("already in use" in line for line in supervisor_lines(stack)) >= 2, poll=0.01)
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


# --- the Notify sender ----------------------------------------------------------------

APPLICANT_EMAIL = "jo.bloggs@example.org"


def application(name: str = "Jo Bloggs") -> dict:
    """A chat application (CONTRACT.md) whose acknowledgement goes by email."""
    return {
        "received": "2026-11-20",
        "channel": "chat",
        "applicant": {
            "name": name,
            "email": APPLICANT_EMAIL,
            "phone": "07700 900123",
            "address": "12 Station Road, Ilkeston DE7 5AB",
        },
        "on_behalf": False,
        "victim": None,
        "consent": None,
        "facts": {
            "incidents": [
                {"date": "2026-09-02", "reported_to": ["police"]},
                {"date": "2026-10-10", "reported_to": ["council"]},
                {"date": "2026-11-01", "reported_to": ["social_landlord"]},
            ]
        },
        "description": "Loud music from number 16 most nights until 3am.",
        "impact": "I cannot sleep.",
    }


@pytest.fixture
def applications_store(tmp_path, monkeypatch):
    """An SQLite applications store that this test process writes and the stack's children read."""
    from casework import db

    monkeypatch.setenv("ASBCR_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'applications.db'}")
    monkeypatch.setenv("ASBCR_VAR", str(tmp_path / "var"))
    monkeypatch.setenv("ASBCR_TODAY", "2026-11-25")
    for name in (
        "ASBCR_PUBLIC_URL",
        "ASBCR_PARTNERSHIP",
        "ASBCR_NOTIFY_API_KEY",
        "ASBCR_NOTIFY_TEMPLATES",
        "ASBCR_NOTIFY_URL",
        "ASBCR_DELIVER_EVERY",
    ):
        monkeypatch.delenv(name, raising=False)
    yield tmp_path / "var"
    db.dispose_all()


def notify_env(stand_in, tmp_path, **more) -> dict:
    from tests.notify_stand_in import API_KEY, write_templates

    return {
        **os.environ,
        "ASBCR_NOTIFY_API_KEY": API_KEY,
        "ASBCR_NOTIFY_URL": stand_in.url,
        "ASBCR_NOTIFY_TEMPLATES": str(write_templates(tmp_path / "templates.yml")),
        **more,
    }


def sender_stack(var, env) -> Stack:
    """The Notify sender alone: the servers are not needed to send what the outbox holds."""
    return Stack(var=var, env=env, with_rasa=False, with_actions=False, with_web=False)


def test_an_acknowledgement_reaches_notify_through_the_supervised_sender_which_is_restarted_and_stopped(
    tmp_path, applications_store
):
    from casework import outbox, service
    from tests.notify_stand_in import TEMPLATE_IDS, NotifyStandIn

    with NotifyStandIn() as notify_api:
        with sender_stack(applications_store, notify_env(notify_api, tmp_path, ASBCR_DELIVER_EVERY="0.2")) as stack:
            assert stack.wanted() == ["deliver"]
            assert stack.processes["deliver"].args[1:] == ["-m", "asbcr.cli", "applications", "deliver", "--watch", "0.2"]
            first = service.create_application(application(), idempotency_key="chat:conversation-0001")
            # Nobody runs `deliver`: the supervised sender finds the acknowledgement in the outbox.
            [request] = notify_api.wait_for_good(1, timeout=60)
            assert request["path"] == "/v2/notifications/email"
            assert request["json"] == {
                "email_address": APPLICANT_EMAIL,
                "template_id": TEMPLATE_IDS["received"]["email"],
                "reference": f"{first['reference']}/received",
                "personalisation": {
                    "reference": first["reference"],
                    "link": first["private_url"],
                    "acknowledge_by": "27 November 2026",
                },
            }
            assert _eventually(lambda: [m["status"] for m in outbox.list_messages()] == ["sent"])

            sender = stack.processes["deliver"]
            sender.kill()
            stack.supervise(should_stop=lambda: "the Notify sender is running again" in supervisor_lines(stack), poll=0.05)
            assert supervisor_lines(stack)[0].startswith("the Notify sender stopped (killed by SIGKILL); restarting in 1s")
            restarted = stack.processes["deliver"]
            assert restarted.pid != sender.pid and restarted.poll() is None
            second = service.create_application(application("Sam Second"), idempotency_key="chat:conversation-0002")
            requests = notify_api.wait_for_good(2, timeout=60)
            assert [r["json"]["reference"] for r in requests] == [
                f"{first['reference']}/received",
                f"{second['reference']}/received",
            ]
            sent_line = f"message about received for {second['reference']} (email): sent"
            assert _eventually(lambda: sent_line in stack.log_path("deliver").read_text())
        assert stack.processes == {} and restarted.poll() is not None  # stopped with the stack
        assert not (stack.run_dir / "deliver.pid").exists()
    log = stack.log_path("deliver").read_text()
    for resident_text in (APPLICANT_EMAIL, "Jo Bloggs", "Sam Second", first["private_url"], "Station Road"):
        assert resident_text not in log


def test_the_senders_log_withholds_an_address_even_when_notify_quotes_it(tmp_path, applications_store):
    from casework import outbox, service
    from tests.notify_stand_in import NotifyStandIn

    with NotifyStandIn() as notify_api:
        notify_api.fail_next(400, "BadRequestError", f"email_address {APPLICANT_EMAIL} is not on the guest list")
        with sender_stack(applications_store, notify_env(notify_api, tmp_path, ASBCR_DELIVER_EVERY="0.2")) as stack:
            created = service.create_application(application(), idempotency_key="chat:conversation-0001")
            [request] = notify_api.wait_for_good(1, timeout=60)
            assert request["status"] == 400
            assert _eventually(lambda: [m["status"] for m in outbox.list_messages()] == ["failed"])
            assert _eventually(lambda: "FAILED" in stack.log_path("deliver").read_text())
    log = stack.log_path("deliver").read_text()
    assert (
        f"message about received for {created['reference']} (email): FAILED (400 BadRequestError: "
        "email_address [withheld] is not on the guest list)" in log
    )
    assert APPLICANT_EMAIL not in log
    # Staff still see Notify's whole answer where they look after failed messages.
    assert APPLICANT_EMAIL in outbox.list_messages()[0]["last_error"]


def test_without_a_notify_key_no_sender_is_started_and_the_note_for_the_console_says_so(tmp_path, applications_store):
    stack = sender_stack(applications_store, {**os.environ, "ASBCR_DELIVER_EVERY": "not checked"})
    assert "deliver" not in stack.wanted()
    assert stack.delivery_note.startswith("Messages to applicants are kept in the outbox only: ASBCR_NOTIFY_API_KEY is not set")
    with stack:
        assert stack.processes == {}
    assert Stack(var=tmp_path, env={}, with_deliver=False).delivery_note is None  # `make shell`: nothing to say
    running = Stack(var=tmp_path, env={"ASBCR_NOTIFY_API_KEY": "x"})
    assert running.wanted()[-1] == "deliver" and running.ports_of("deliver") == []
    assert running.command("deliver")[-4:] == ["applications", "deliver", "--watch", "30"]  # the default
    assert "every 30s" in running.delivery_note


@pytest.mark.parametrize("every", ["0", "-5", "soon", "nan", "inf"])
def test_a_wrong_delivery_interval_is_named(tmp_path, every):
    with pytest.raises(StackError, match=f"ASBCR_DELIVER_EVERY must be a number of seconds above 0, not '{every}'"):
        Stack(var=tmp_path, env={"ASBCR_NOTIFY_API_KEY": "x", "ASBCR_DELIVER_EVERY": every})


def test_a_wrong_notify_configuration_stops_the_start_before_anything_runs(tmp_path, applications_store):
    from tests.notify_stand_in import API_KEY

    cases = [
        ({"ASBCR_NOTIFY_API_KEY": API_KEY}, "ASBCR_NOTIFY_TEMPLATES names no file"),
        ({"ASBCR_NOTIFY_API_KEY": API_KEY, "ASBCR_NOTIFY_TEMPLATES": str(tmp_path / "missing.yml")}, "no such file"),
        ({"ASBCR_NOTIFY_API_KEY": "not-a-key"}, "ASBCR_NOTIFY_API_KEY is not a Notify API key"),
    ]
    for settings, problem in cases:
        stack = sender_stack(applications_store, {**os.environ, **settings})
        with pytest.raises(StackError, match=f"^messages to applicants: .*{problem}"):
            stack.start()
        assert stack.processes == {} and not stack.log_path("deliver").exists()


def test_the_cluster_runs_one_sender_without_a_port(tmp_path):
    from asbcr.cluster import Cluster

    ports = dict(rasa_port=free_port(), actions_port=free_port(), web_port=free_port(), public_port=free_port())
    cluster = Cluster(
        var=tmp_path / "var", env={"PATH": os.environ["PATH"], "ASBCR_NOTIFY_API_KEY": "x", "ASBCR_DELIVER_EVERY": "5"}, **ports
    )
    assert cluster.wanted().count("deliver") == 1 and cluster.wanted()[-1] == "deliver"
    assert cluster.label("deliver") == "the Notify sender" and cluster.ports_of("deliver") == []
    assert cluster.ready_url("deliver") is None and cluster.ready("deliver")
    assert (
        cluster.command("deliver")
        == Stack(var=tmp_path / "var", env={"ASBCR_NOTIFY_API_KEY": "x", "ASBCR_DELIVER_EVERY": "5"}).deliver_command()
    )
    assert cluster.command("deliver")[-4:] == ["applications", "deliver", "--watch", "5"]
    assert "deliver" not in Cluster(var=tmp_path / "var", env={"PATH": os.environ["PATH"]}, **ports).wanted()
