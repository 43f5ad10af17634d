"""Starts, watches and stops the three servers behind the chat (action server, Rasa, chat page)
and the Notify sender that delivers the messages to applicants.

One supervisor serves `make run`, `make shell`, the whole-conversation tests and the
benchmarks, so all of them run the stack exactly as residents meet it.

- Only the chat page is meant for the public. Rasa and the action server listen on
  127.0.0.1 alone; Rasa's HTTP API is off and its CORS closed (no origin may call it).
- A child that dies is started again after a pause that doubles with each failure in a
  row (`supervise`); the others keep serving meanwhile. Every restart is logged, with the
  child's name and exit status only.
- Every child dies with the supervisor, even a SIGKILLed one (PR_SET_PDEATHSIG), so no
  orphan keeps a port or serves without supervision.
- A port already taken stops the start at once, naming the port.
- Everything under var/ is private to the service's user: umask 077 in the children,
  directories 0700, files 0600 (see `make_private`).
- The Notify sender (`asbcr applications deliver --watch ASBCR_DELIVER_EVERY`) runs only when
  GOV.UK Notify is configured (casework/notify.py); without a key the outbox alone keeps the
  messages and `delivery_note` says so. It listens on no port: it is up while it runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

import yaml

from groundwork.keys import key_file
from asbcr.rasa_server import NO_MODEL
from groundwork.paths import ROOT, var_dir

VENV_BIN = Path(sys.executable).parent
# The public web tier runs in its own environment on current packages, without Rasa and its pins
# (scripts/bootstrap-web.sh; requirements-web.txt). ASBCR_WEB_PYTHON names another interpreter.
WEB_VENV = ROOT / ".venv-web"
DEFAULT_MODEL = ROOT / "models" / "asbcr.tar.gz"
LOOPBACK = "127.0.0.1"
PRIVATE_UMASK = 0o077

DELIVER = "deliver"
LABELS = {"actions": "the action server", "rasa": "the Rasa server", "web": "the chat page server", DELIVER: "the Notify sender"}
# How long a (re)started child may take before it answers. Rasa loads its model first. The
# Notify sender answers nothing: it counts as up once it is running.
STARTUP_SECONDS = {"actions": 90.0, "rasa": 240.0, "web": 60.0, DELIVER: 0.0}
# How often the Notify sender looks for due messages: an acknowledgement leaves within about this.
DELIVER_EVERY_ENV = "ASBCR_DELIVER_EVERY"
DEFAULT_DELIVER_SECONDS = 30.0
# Pauses before restarting a child that failed 1, 2, 3... times in a row; the last repeats.
BACKOFF_SECONDS = (1, 2, 4, 8, 16, 32, 60)
STABLE_SECONDS = 60.0  # up this long, a child's failures are forgiven and the pause starts at 1 s again

_PR_SET_PDEATHSIG = 1
try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _prctl = _libc.prctl
except (OSError, AttributeError):  # not Linux: children then die with the supervisor only when it is stopped
    _prctl = None


class StackError(RuntimeError):
    pass


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def port_in_use(port: int, host: str = LOOPBACK) -> bool:
    """Whether something already listens on host:port (as the servers bind: SO_REUSEADDR,
    so a closed connection's TIME_WAIT does not count)."""
    with contextlib.closing(socket.socket()) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def make_private(path: Path) -> None:
    """path and everything under it readable by its owner only: directories 0700, files
    without group or other bits (var/ of an older run may have been left 0755/0644)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    for folder, directories, files in os.walk(path):
        for name in directories:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(folder, name), 0o700, follow_symlinks=False)
        for name in files:
            file = os.path.join(folder, name)
            with contextlib.suppress(OSError):
                if not os.path.islink(file):
                    os.chmod(file, os.stat(file).st_mode & 0o700)


def write_private(path: Path, text: str) -> None:
    """A file only the service's user can read (endpoints.yml may carry a database password)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an older file keeps its mode through O_CREAT
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


def endpoints_config(actions_port: int, var: Path, env: Dict[str, str]) -> dict:
    """bot/endpoints.yml with the ports and stores this run uses."""
    config = yaml.safe_load((ROOT / "bot" / "endpoints.yml").read_text())
    config["action_endpoint"]["url"] = f"http://{LOOPBACK}:{actions_port}/webhook"
    # Rasa fills this in from its environment: the key is never written here (bot/actions/__init__.py).
    config["action_endpoint"]["headers"] = {"X-Asbcr-Action-Key": "${ASBCR_ACTION_CALL_KEY}"}
    tracker_url = env.get("ASBCR_TRACKER_URL")
    if tracker_url:
        url = urllib.parse.urlsplit(tracker_url)
        config["tracker_store"] = {
            "type": "SQL",
            "dialect": url.scheme.split("+")[0],
            "url": url.hostname or "localhost",
            "port": url.port or 5432,
            "db": url.path.lstrip("/"),
            "username": urllib.parse.unquote(url.username or ""),
            "password": urllib.parse.unquote(url.password or ""),
        }
    else:
        config["tracker_store"]["db"] = str(var / "tracker.db")
    lock_url = env.get("ASBCR_LOCK_URL")
    if lock_url:
        url = urllib.parse.urlsplit(lock_url)
        config["lock_store"] = {
            "type": "redis",
            "url": url.hostname or "localhost",
            "port": url.port or 6379,
            "db": int(url.path.lstrip("/") or 0),
            "password": url.password,
            "key_prefix": "asbcr",
        }
    return config


def web_python(env: Optional[Dict[str, str]] = None) -> Path:
    """The interpreter the chat page server runs on: .venv-web's, not Rasa's."""
    given = (os.environ if env is None else env).get("ASBCR_WEB_PYTHON")
    return Path(given) if given else WEB_VENV / "bin" / "python"


def deliver_every(env: Dict[str, str]) -> float:
    """ASBCR_DELIVER_EVERY's seconds (default 30); StackError when it is not a number above 0."""
    given = env.get(DELIVER_EVERY_ENV, "").strip()
    if not given:
        return DEFAULT_DELIVER_SECONDS
    try:
        seconds = float(given)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise StackError(f"{DELIVER_EVERY_ENV} must be a number of seconds above 0, not {given!r}")
    return seconds


def notify_configured(env: Dict[str, str]) -> bool:
    """Whether messages are to leave the machine, decided as `deliver` decides it."""
    from casework import notify

    return notify.api_key(env) is not None


def describe_exit(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    if code == NO_MODEL:
        return "could not load the model"
    return f"exit code {code}"


def answers(url: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status < 500
    except OSError:
        return False


def _wait_http(url: str, process: subprocess.Popen, timeout: float, name: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"{name} stopped ({describe_exit(process.returncode)}); see {log}")
        if answers(url):
            return
        time.sleep(0.25)
    raise StackError(f"{name} did not answer at {url} within {timeout:.0f}s; see {log}")


def _die_with_parent(parent: int) -> Callable[[], None]:
    """Runs in each child between fork and exec. PR_SET_PDEATHSIG fires when the thread that
    started the child ends, so children are only ever started from the supervisor's main thread."""

    def setup() -> None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the supervisor died before prctl took hold
            os._exit(1)

    return setup


@dataclass
class _Watch:
    """One child's restart state in `Stack.supervise`."""

    failures: int = 0  # failures in a row
    due: float = 0.0  # when a stopped child is started again
    starting_since: Optional[float] = None  # (re)started, not answering yet
    up_since: Optional[float] = None


class Stack:
    """The running servers. Use as a context manager, or call start() and stop();
    `supervise()` keeps them up until told to stop."""

    def __init__(
        self,
        *,
        model: Path = DEFAULT_MODEL,
        rasa_port: Optional[int] = None,
        actions_port: Optional[int] = None,
        web_port: Optional[int] = None,
        with_rasa: bool = True,
        with_actions: bool = True,
        with_web: bool = True,
        with_deliver: bool = True,
        var: Optional[Path] = None,
        env: Optional[Dict[str, str]] = None,
        quiet: bool = True,
    ) -> None:
        self.env = dict(os.environ if env is None else env)
        self.model = Path(model)
        self.rasa_port = rasa_port or int(self.env.get("ASBCR_PORT", 5005))
        self.actions_port = actions_port or int(self.env.get("ASBCR_ACTIONS_PORT", 5055))
        self.web_port = web_port or int(self.env.get("ASBCR_WEB_PORT", 8000))
        self.web_host = self.env.get("ASBCR_WEB_HOST") or LOOPBACK
        self.with_rasa, self.with_actions, self.with_web = with_rasa, with_actions, with_web
        # Asked for and configured: without a Notify key there is nothing for it to send.
        self.with_deliver = with_deliver and notify_configured(self.env)
        self.skipped_deliver = with_deliver and not self.with_deliver
        self.deliver_every = deliver_every(self.env) if self.with_deliver else DEFAULT_DELIVER_SECONDS
        self.var = Path(var) if var else var_dir()
        self.quiet = quiet
        self.processes: Dict[str, subprocess.Popen] = {}
        if not self.env.get("ASBCR_ACTION_CALL_KEY"):
            # Only Rasa may call the action server: both processes get the installation's key.
            self.var.mkdir(parents=True, exist_ok=True)
            self.env["ASBCR_ACTION_CALL_KEY"] = key_file(self.var / "action-call-key").decode()
        self.env.update(
            ASBCR_VAR=str(self.var),
            ASBCR_PORT=str(self.rasa_port),
            ASBCR_ACTIONS_PORT=str(self.actions_port),
            ASBCR_WEB_PORT=str(self.web_port),
            ASBCR_RASA_URL=f"http://{LOOPBACK}:{self.rasa_port}",
            ASBCR_ACTIONS_URL=f"http://{LOOPBACK}:{self.actions_port}",
            PYTHONPATH=str(ROOT) + os.pathsep + self.env.get("PYTHONPATH", ""),
            SQLALCHEMY_SILENCE_UBER_WARNING="1",
            TF_CPP_MIN_LOG_LEVEL="3",
            # Rasa's telemetry and its Sentry error reports would send events (with exception
            # text that can quote a resident) off this machine: off, whatever ~/.config/rasa says.
            RASA_TELEMETRY_ENABLED="false",
        )

    @property
    def rasa_url(self) -> str:
        return f"http://{LOOPBACK}:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://{LOOPBACK}:{self.actions_port}"

    @property
    def web_url(self) -> str:
        return f"http://localhost:{self.web_port}/"

    @property
    def run_dir(self) -> Path:
        path = self.var / "run"
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        return path

    # --- the children ---------------------------------------------------------------

    def actions_command(self, port: Optional[int] = None) -> List[str]:
        return [str(VENV_BIN / "rasa"), "run", "actions", "--actions", "bot.actions", "--port", str(port or self.actions_port)]

    def rasa_command(self, subcommand: str = "run", port: Optional[int] = None, endpoints: Optional[Path] = None) -> List[str]:
        # No --enable-api: its token would sit on the command line (readable in /proc) and
        # travel in query strings. No --cors: no web page may call Rasa, only the relay.
        command = [
            sys.executable,
            "-m",
            "asbcr.rasa_server",
            subcommand,
            "--model",
            str(self.model),
            "--endpoints",
            str(endpoints or self.endpoints_file()),
            "--interface",
            LOOPBACK,
        ]
        if subcommand == "run":
            command += ["--credentials", str(ROOT / "bot" / "credentials.yml"), "--port", str(port or self.rasa_port)]
        return command

    def web_command(self) -> List[str]:
        return [str(web_python(self.env)), "-m", "web.server", "--port", str(self.web_port), "--host", self.web_host]

    def deliver_command(self) -> List[str]:
        # Rasa's environment: the Notify client is installed there (casework/notify.py).
        return [sys.executable, "-m", "asbcr.cli", "applications", "deliver", "--watch", f"{self.deliver_every:g}"]

    def command(self, name: str) -> List[str]:
        return {
            "actions": self.actions_command,
            "rasa": self.rasa_command,
            "web": self.web_command,
            DELIVER: self.deliver_command,
        }[name]()

    def child_env(self, name: str) -> Dict[str, str]:
        if name == "actions":
            # rasa_sdk takes its address from SANIC_HOST only (default 0.0.0.0).
            return {**self.env, "SANIC_HOST": LOOPBACK}
        return self.env

    def ready_url(self, name: str) -> Optional[str]:
        """Where the child answers once it is ready; None for one that answers nothing (the Notify sender)."""
        return {
            "actions": f"{self.actions_url}/health",
            # Answers only once the model is loaded (asbcr.rasa_server).
            "rasa": f"{self.rasa_url}/webhooks/rest/",
            "web": self.web_url,
            DELIVER: None,
        }[name]

    def ready(self, name: str) -> bool:
        url = self.ready_url(name)
        return answers(url, timeout=1) if url else True

    def log_path(self, name: str) -> Path:
        return self.run_dir / f"{name}.log"

    def endpoints_file(self, name: str = "endpoints.yml") -> Path:
        path = self.run_dir / name
        write_private(path, yaml.safe_dump(endpoints_config(self.actions_port, self.var, self.env)))
        return path

    def _spawn(self, name: str) -> subprocess.Popen:
        command = self.command(name)
        stream = None
        if self.quiet:
            stream = os.fdopen(os.open(self.log_path(name), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab")
        try:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.child_env(name),
                stdout=stream,
                stderr=subprocess.STDOUT if stream else None,
                start_new_session=True,  # Ctrl-C reaches the supervisor, which stops them in order
                umask=PRIVATE_UMASK,
                preexec_fn=_die_with_parent(os.getpid()) if _prctl is not None else None,
            )
        finally:
            if stream is not None:
                stream.close()  # the child has its own copy
        self.processes[name] = process
        write_private(self.run_dir / f"{name}.pid", f"{process.pid}\n")
        return process

    def label(self, name: str) -> str:
        return LABELS[name]

    def startup_seconds(self, name: str) -> float:
        return STARTUP_SECONDS[name]

    def _start_and_wait(self, name: str) -> None:
        self._spawn(name)
        self._wait_ready(name)

    def _wait_ready(self, name: str) -> None:
        url, process = self.ready_url(name), self.processes[name]
        if url is None:  # up while it runs; one that dies later is restarted by `supervise`
            if process.poll() is not None:
                raise StackError(f"{self.label(name)} stopped ({describe_exit(process.returncode)}); see {self.log_path(name)}")
            return
        _wait_http(url, process, self.startup_seconds(name), self.label(name), self.log_path(name))

    def port_of(self, name: str) -> tuple:
        return {
            "actions": (LOOPBACK, self.actions_port),
            "rasa": (LOOPBACK, self.rasa_port),
            "web": (self.web_host, self.web_port),
        }[name]

    def ports_of(self, name: str) -> List[tuple]:
        """Every (host, port) the child listens on."""
        return [] if name == DELIVER else [self.port_of(name)]

    # Said when a port is taken: what else may hold it, and how to choose others.
    PORTS_TAKEN_HINT = (
        "is another `make run` still running? Stop it, or choose other ports (ASBCR_PORT, ASBCR_ACTIONS_PORT, ASBCR_WEB_PORT)."
    )

    def check_port_free(self, name: str) -> None:
        for host, port in self.ports_of(name):
            if port_in_use(port, host):
                raise StackError(f"port {port} ({self.label(name)}) is already in use on {host}: {self.PORTS_TAKEN_HINT}")

    def start_actions(self) -> None:
        self.check_port_free("actions")
        self._start_and_wait("actions")

    def start_rasa(self) -> None:
        if not self.model.exists():
            raise StackError(f"no trained model at {self.model}: run `make train`")
        self.check_port_free("rasa")
        self._start_and_wait("rasa")

    def check_web_python(self) -> None:
        if not os.access(web_python(self.env), os.X_OK):
            raise StackError(
                f"no web tier environment at {web_python(self.env)}: run scripts/bootstrap-web.sh (make run and make test do)"
            )

    def start_web(self) -> None:
        self.check_port_free("web")
        self._start_and_wait("web")

    def check_notify(self) -> None:
        """A wrong Notify configuration stops the start, said once, rather than a sender that
        fails and is restarted every minute."""
        from casework import notify
        from casework.errors import CaseworkError

        try:
            notify.check_configuration(self.env)
        except CaseworkError as error:
            raise StackError(f"messages to applicants: {error}") from None

    def start_deliver(self) -> None:
        self._start_and_wait(DELIVER)

    @property
    def delivery_note(self) -> Optional[str]:
        """What the console says once about messages to applicants (None: no sender was asked for)."""
        if self.with_deliver:
            return (
                f"Messages to applicants go through GOV.UK Notify: the Notify sender looks for due ones every "
                f"{self.deliver_every:g}s (log: {self.log_path(DELIVER)})."
            )
        if self.skipped_deliver:
            return (
                "Messages to applicants are kept in the outbox only: ASBCR_NOTIFY_API_KEY is not set, so no "
                "Notify sender was started (README, \"Messages to applicants\")."
            )
        return None

    def wanted(self) -> List[str]:
        return [
            name
            for name, wanted in (
                ("actions", self.with_actions),
                ("rasa", self.with_rasa),
                ("web", self.with_web),
                (DELIVER, self.with_deliver),
            )
            if wanted
        ]

    def start(self) -> "Stack":
        make_private(self.var)
        for name in self.wanted():  # every port first: a second `make run` says so at once
            self.check_port_free(name)
        if self.with_web:
            self.check_web_python()
        if self.with_deliver:
            self.check_notify()
        try:
            for name in self.wanted():
                {"actions": self.start_actions, "rasa": self.start_rasa, "web": self.start_web, DELIVER: self.start_deliver}[
                    name
                ]()
        except BaseException:
            self.stop()
            raise
        return self

    def stop_one(self, name: str, timeout: float = 15) -> None:
        process = self.processes.pop(name, None)
        with contextlib.suppress(OSError):
            (self.run_dir / f"{name}.pid").unlink()
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            self.stop_one(name)

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- keeping them up --------------------------------------------------------------

    def log_event(self, message: str) -> None:
        """A supervisor event, on stderr and in var/run/supervisor.log. Names and exit codes
        only: nothing a resident said ever reaches these lines."""
        line = f"{dt.datetime.now().isoformat(timespec='seconds')} supervisor: {message}"
        print(line, file=sys.stderr, flush=True)
        descriptor = os.open(self.run_dir / "supervisor.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a") as log:
            log.write(line + "\n")

    def supervise(self, should_stop: Callable[[], bool] = lambda: False, poll: float = 0.5) -> None:
        """Keeps the started children up until should_stop() (or KeyboardInterrupt): one that
        exits, or does not answer within its start-up time, is started again after a pause
        of 1, 2, 4 ... up to 60 s; the others are left alone."""
        now = time.monotonic()
        # A wanted child that is not running (stopped by hand, or not yet back) is due now.
        watches = {
            name: _Watch(up_since=now) if name in self.processes else _Watch(due=now)
            for name in dict.fromkeys([*self.wanted(), *self.processes])
        }
        while not should_stop():
            for name, watch in watches.items():
                self._watch_one(name, watch, time.monotonic())
            time.sleep(poll)

    def _watch_one(self, name: str, watch: _Watch, now: float) -> None:
        process = self.processes.get(name)
        if process is None:
            if now >= watch.due:
                try:
                    self.check_port_free(name)
                except StackError as error:  # e.g. a lingering old child: try again later
                    self._failed(name, watch, now, str(error))
                    return
                try:
                    process = self._spawn(name)
                except OSError as error:
                    self._failed(name, watch, now, f"{self.label(name)} could not be started ({error.strerror})")
                    return
                watch.starting_since = now
                self.log_event(f"{self.label(name)} starting again (pid {process.pid})")
            return
        code = process.poll()
        if code is not None:
            self.processes.pop(name, None)
            self._failed(name, watch, now, f"{self.label(name)} stopped ({describe_exit(code)})")
            return
        if watch.starting_since is not None:
            if self.ready(name):
                watch.starting_since, watch.up_since = None, now
                self.log_event(f"{self.label(name)} is {'answering' if self.ready_url(name) else 'running'} again")
            elif now - watch.starting_since > self.startup_seconds(name):
                self.stop_one(name)
                self._failed(name, watch, now, f"{self.label(name)} did not answer within {self.startup_seconds(name):.0f}s")
        elif watch.failures and watch.up_since is not None and now - watch.up_since >= STABLE_SECONDS:
            watch.failures = 0

    def _failed(self, name: str, watch: _Watch, now: float, what: str) -> None:
        watch.failures += 1
        pause = BACKOFF_SECONDS[min(watch.failures, len(BACKOFF_SECONDS)) - 1]
        watch.due, watch.starting_since, watch.up_since = now + pause, None, None
        self.log_event(
            f"{what.rstrip('.')}; restarting in {pause}s (failure {watch.failures} in a row; see {self.log_path(name)})"
        )
