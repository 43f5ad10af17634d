"""Starts and stops the three servers behind the chat: action server, Rasa, chat page.

One supervisor serves `make run`, `make shell`, the whole-conversation tests and the
benchmarks, so all of them run the stack exactly as residents meet it.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from asbcr.keys import key_file
from asbcr.paths import ROOT, var_dir

VENV_BIN = Path(sys.executable).parent
DEFAULT_MODEL = ROOT / "models" / "asbcr.tar.gz"


class StackError(RuntimeError):
    pass


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def endpoints_config(actions_port: int, var: Path, env: Dict[str, str]) -> dict:
    """bot/endpoints.yml with the ports and stores this run uses."""
    config = yaml.safe_load((ROOT / "bot" / "endpoints.yml").read_text())
    config["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
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


def _wait_http(url: str, process: subprocess.Popen, timeout: float, name: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"{name} exited with code {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise StackError(f"{name} did not answer at {url} within {timeout:.0f}s; see {log}")


class Stack:
    """The running servers. Use as a context manager, or call start() and stop()."""

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
        var: Optional[Path] = None,
        env: Optional[Dict[str, str]] = None,
        quiet: bool = True,
    ) -> None:
        self.env = dict(os.environ if env is None else env)
        self.model = Path(model)
        self.rasa_port = rasa_port or int(self.env.get("ASBCR_PORT", 5005))
        self.actions_port = actions_port or 5055
        self.web_port = web_port or int(self.env.get("ASBCR_WEB_PORT", 8000))
        self.with_rasa, self.with_actions, self.with_web = with_rasa, with_actions, with_web
        self.var = Path(var) if var else var_dir()
        self.quiet = quiet
        self.processes: Dict[str, subprocess.Popen] = {}
        # Rasa's HTTP API is on only so the supervisor can ask whether the model loaded;
        # a fresh random token per run keeps it closed to everyone else.
        self.api_token = secrets.token_hex(24)  # hex: a token starting with "-" reads as an option
        if not self.env.get("ASBCR_ACTION_CALL_KEY"):
            # Only Rasa may call the action server: both processes get the installation's key.
            self.var.mkdir(parents=True, exist_ok=True)
            self.env["ASBCR_ACTION_CALL_KEY"] = key_file(self.var / "action-call-key").decode()
        self.env.update(
            ASBCR_VAR=str(self.var),
            ASBCR_PORT=str(self.rasa_port),
            ASBCR_WEB_PORT=str(self.web_port),
            ASBCR_RASA_URL=f"http://127.0.0.1:{self.rasa_port}",
            PYTHONPATH=str(ROOT) + os.pathsep + self.env.get("PYTHONPATH", ""),
            SQLALCHEMY_SILENCE_UBER_WARNING="1",
            TF_CPP_MIN_LOG_LEVEL="3",
        )

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def web_url(self) -> str:
        return f"http://localhost:{self.web_port}/"

    @property
    def run_dir(self) -> Path:
        path = self.var / "run"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _spawn(self, name: str, command: List[str]) -> subprocess.Popen:
        log = self.run_dir / f"{name}.log"
        stream = open(log, "ab") if self.quiet else None
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=stream, stderr=subprocess.STDOUT if stream else None,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def endpoints_file(self) -> Path:
        path = self.run_dir / "endpoints.yml"
        path.write_text(yaml.safe_dump(endpoints_config(self.actions_port, self.var, self.env)))
        return path

    def start_actions(self) -> None:
        process = self._spawn("actions", [str(VENV_BIN / "rasa"), "run", "actions", "--actions", "bot.actions",
                                          "--port", str(self.actions_port)])
        _wait_http(f"http://127.0.0.1:{self.actions_port}/health", process, 90, "action server",
                   self.run_dir / "actions.log")

    def rasa_command(self, subcommand: str = "run") -> List[str]:
        command = [str(VENV_BIN / "rasa"), subcommand, "--model", str(self.model),
                   "--endpoints", str(self.endpoints_file())]
        if subcommand == "run":
            command += ["--credentials", str(ROOT / "bot" / "credentials.yml"),
                        "--port", str(self.rasa_port), "--cors", "*",
                        "--enable-api", f"--auth-token={self.api_token}"]
        return command

    def start_rasa(self) -> None:
        if not self.model.exists():
            raise StackError(f"no trained model at {self.model}: run `make train`")
        process = self._spawn("rasa", self.rasa_command())
        log = self.run_dir / "rasa.log"
        _wait_http(f"{self.rasa_url}/webhooks/rest/", process, 240, "Rasa server", log)
        self._wait_model_loaded(process, log)

    def _wait_model_loaded(self, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
        """Rasa answers HTTP even when its model failed to load: ask /status until it has one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.rasa_url}/status?token={self.api_token}", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if process.poll() is not None:
                break
            failure = next((line for line in log.read_text(errors="replace").splitlines()[::-1]
                            if "Could not load model" in line), None) if log.exists() else None
            if failure:
                raise StackError(f"Rasa could not load {self.model.name}: {failure.strip()} (see {log})")
            time.sleep(0.5)
        raise StackError(f"Rasa did not load a model within {timeout:.0f}s; see {log}")

    def start_web(self) -> None:
        process = self._spawn("web", [sys.executable, "-m", "web.server", "--port", str(self.web_port)])
        _wait_http(self.web_url, process, 60, "chat page server", self.run_dir / "web.log")

    def start(self) -> "Stack":
        try:
            if self.with_actions:
                self.start_actions()
            if self.with_rasa:
                self.start_rasa()
            if self.with_web:
                self.start_web()
        except BaseException:
            self.stop()
            raise
        return self

    def stop_one(self, name: str, timeout: float = 15) -> None:
        process = self.processes.pop(name, None)
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
