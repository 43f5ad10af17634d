"""Entry points of the container images (deploy/): each tier's process as the supervisor starts
it (`asbcr.stack`), configured from the environment alone.

    python -m asbcr.container rasa | actions | web

In a container the process listens on the pod's (or compose network's) address, not on
loopback: the back end stays private through NetworkPolicies (deploy/kubernetes/) or internal
networks (deploy/compose.yaml), and only nginx is published. Keys and database URLs come from
the environment (a Kubernetes Secret), never from var/ files a replica would make for itself:
a missing one stops the start at once, naming it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

from asbcr.stack import DEFAULT_MODEL, PRIVATE_UMASK, VENV_BIN, endpoints_config, write_private
from groundwork.paths import ROOT, var_dir

POD_ADDRESS = "0.0.0.0"  # every interface of the container: its network is private
PORTS = {"rasa": ("ASBCR_PORT", 5005), "actions": ("ASBCR_ACTIONS_PORT", 5055), "web": ("ASBCR_WEB_PORT", 8000)}
# What each tier cannot run without in a deployment (several replicas, no shared var/).
REQUIRED_ENV = {
    "rasa": ("ASBCR_ACTION_CALL_KEY", "ASBCR_ACTIONS_URL", "ASBCR_TRACKER_URL", "ASBCR_LOCK_URL"),
    "actions": ("ASBCR_ACTION_CALL_KEY", "ASBCR_ACTION_SECRET", "ASBCR_DATABASE_URL", "ASBCR_PUBLIC_URL"),
    "web": (
        "ASBCR_RASA_URL",
        "ASBCR_ACTIONS_URL",
        "ASBCR_DATABASE_URL",
        "ASBCR_TRACKER_URL",
        "ASBCR_LOCK_URL",
        "ASBCR_PAGE_FORM_KEY",
    ),
}
# The same switches as the supervisor's children (asbcr.stack.Stack), whatever the image's config says.
FIXED_ENV = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}


class ContainerError(RuntimeError):
    pass


def port(tier: str, env: Dict[str, str]) -> str:
    name, default = PORTS[tier]
    return str(int(env.get(name) or default))


def rasa_command(env: Dict[str, str]) -> List[str]:
    """asbcr.stack's Rasa command (API off, CORS closed, our REST channel) on the pod's address,
    with endpoints.yml written from ASBCR_ACTIONS_URL, ASBCR_TRACKER_URL and ASBCR_LOCK_URL."""
    var = var_dir()
    config = endpoints_config(0, var, env)
    config["action_endpoint"]["url"] = f"{env['ASBCR_ACTIONS_URL'].rstrip('/')}/webhook"
    run = var / "run"
    run.mkdir(mode=0o700, parents=True, exist_ok=True)
    endpoints = run / "endpoints.yml"
    write_private(endpoints, yaml.safe_dump(config))  # may hold the tracker store's password
    return [
        sys.executable,
        "-m",
        "asbcr.rasa_server",
        "run",
        "--model",
        str(Path(env.get("ASBCR_MODEL") or DEFAULT_MODEL)),
        "--endpoints",
        str(endpoints),
        "--interface",
        POD_ADDRESS,
        "--credentials",
        str(ROOT / "bot" / "credentials.yml"),
        "--port",
        port("rasa", env),
    ]


def actions_command(env: Dict[str, str]) -> List[str]:
    return [str(VENV_BIN / "rasa"), "run", "actions", "--actions", "bot.actions", "--port", port("actions", env)]


def web_command(env: Dict[str, str]) -> List[str]:
    return [sys.executable, "-m", "web.server", "--port", port("web", env), "--host", POD_ADDRESS]


def prepare(tier: str, environ: Dict[str, str]) -> Tuple[List[str], Dict[str, str]]:
    if tier not in REQUIRED_ENV:
        raise ContainerError(f"unknown tier {tier!r}: one of {', '.join(REQUIRED_ENV)}")
    missing = [name for name in REQUIRED_ENV[tier] if not environ.get(name, "").strip()]
    if missing:
        raise ContainerError(f"{tier}: set {', '.join(missing)} (deploy/kubernetes/secret.example.yaml)")
    env = {**environ, **FIXED_ENV, "PYTHONPATH": str(ROOT) + os.pathsep + environ.get("PYTHONPATH", "")}
    if tier == "actions":
        env["SANIC_HOST"] = POD_ADDRESS  # rasa_sdk takes its address from SANIC_HOST only
    command = {"rasa": rasa_command, "actions": actions_command, "web": web_command}[tier](env)
    return command, env


def main(argv: List[str] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    os.umask(PRIVATE_UMASK)  # var/ and everything in it: the service's user only
    try:
        command, env = prepare(argv[0], dict(os.environ))
    except ContainerError as error:
        print(f"asbcr.container: {error}", file=sys.stderr)
        return 2
    os.chdir(ROOT)
    os.execve(command[0], command, env)  # the tier's process replaces this one (PID 1 gets the signals)
    return 0  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
