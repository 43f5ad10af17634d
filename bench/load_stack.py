"""The servers for `bench/load.py`, and the conversations its residents hold.

bench/load.py runs in .venv-load (locust cannot share Rasa 3.6's pins); this helper runs in the
project's .venv, where the stack and the conversations live. It starts one shape on free ports
and a fresh var/, prints one line of JSON (where residents send their messages, the pid of every
server, the conversations), and keeps the servers up until its standard input closes (its parent,
bench/load.py, has finished or died); then it stops them.

    .venv/bin/python bench/load_stack.py --shape run                 # make run: relay -> one Rasa
    .venv/bin/python bench/load_stack.py --shape cluster --replicas 2  # make run-cluster, via nginx
    .venv/bin/python bench/load_stack.py --conversations-only
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from asbcr.stack import Stack, StackError, free_port  # noqa: E402

TODAY = "2026-11-25"  # the day the conversations' dates were written against
# A load test comes from one address: the relay's and nginx's per-address limits would refuse it
# as a flood. The per-conversation limits stay as they are (a resident thinks 5-20 s).
OPEN_RELAY_LIMITS = "client=1000000/1000000"
OPEN_NGINX_LIMITS = "client=100000/100000,chat=100000/100000,connections=10000"  # nginx: connections below 65536
# A handful of tuned cases of the first blind set (no longer blind), of three other outcomes,
# that a resident who confirms the check takes to their decision in 5 to 9 messages.
BLIND_CASES = (
    "a-001-kirkhallam-football-door-police",
    "a-003-sandiacre-private-landlord-councillor",
    "c-027-churchwarden-foodbank-pcc-not-asked",
    "a-017-longeaton-three-different-things",
)


def conversations() -> List[Dict[str, Any]]:
    """What each simulated resident says: an opening, an answer for each question (by `ask`),
    per-incident answers for follow-ups that name an incident, and the outcome it should reach."""
    from tests.conversation_engine.chat import ANSWERS, OPENING  # the plain case of the tests

    plain = {"id": "plain", "opening": OPENING, "answers": dict(ANSWERS), "incident_answers": [], "expected_outcome": "apply"}
    cases = {
        case["id"]: case
        for path in sorted((ROOT / "tests" / "blind" / "first").glob("*.yml"))
        for case in yaml.safe_load(path.read_text())
    }
    chosen = [plain]
    for case_id in BLIND_CASES:
        case = cases[case_id]
        chosen.append(
            {
                "id": case_id,
                "opening": case["opening"],
                "answers": dict(case.get("answers") or {}),
                "incident_answers": [
                    {k: v for k, v in answer.items() if k in ("when", "reported_to")}
                    for answer in case.get("incident_answers") or []
                ],
                "expected_outcome": case["expected_outcome"],
            }
        )
    return chosen


def _env(var: Path) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        ASBCR_TODAY=TODAY, ASBCR_DATABASE_URL=f"sqlite:///{var / 'applications.db'}", ASBCR_WEB_RATE_LIMITS=OPEN_RELAY_LIMITS
    )
    return env


def start_run_shape(var: Path) -> Stack:
    env = _env(var)
    env.pop("ASBCR_TRACKER_URL", None)  # make run's own stores: SQLite tracker, in-process locks
    env.pop("ASBCR_LOCK_URL", None)
    stack = Stack(var=var, env=env, rasa_port=free_port(), actions_port=free_port(), web_port=free_port())
    return stack.start()


@contextlib.contextmanager
def tracker_database(base_url: str):
    """A PostgreSQL database of its own for this run's tracker store (the cluster creates it on
    start), dropped afterwards: a load test leaves thousands of conversations behind."""

    name = f"asbcr_load_{os.getpid()}"
    try:
        yield f"{base_url.rstrip('/')}/{name}"
    finally:
        _drop_database(base_url, name)


def _drop_database(base_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(
        f"postgresql+psycopg2://{base_url.split('://', 1)[1].rstrip('/')}/postgres", isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def start_cluster_shape(var: Path, replicas: int, tracker_url: str):
    # Asked by file, as bench/load.py's default shapes are (the bench also runs in older trees):
    # a cluster module that is there but broken must fail as itself, not read as "no cluster".
    if not (ROOT / "asbcr" / "cluster.py").exists():
        raise StackError("this tree has no cluster shape (asbcr/cluster.py, `make run-cluster`)")
    from asbcr.cluster import ACTION_SERVERS, Cluster

    env = _env(var)
    env.update(
        ASBCR_TRACKER_URL=tracker_url,
        ASBCR_CLUSTER_LIMITS=OPEN_NGINX_LIMITS,
        ASBCR_CLUSTER_HOST="127.0.0.1",
        ASBCR_LOCK_URL=os.environ.get("ASBCR_LOAD_LOCK_URL", "redis://127.0.0.1:6379/2"),
    )
    cluster = Cluster(
        replicas=replicas,
        var=var,
        env=env,
        public_port=free_port(),
        rasa_port=free_port(),
        actions_port=free_port(),
        web_port=free_port(),
        replica_ports=[free_port() for _ in range(replicas)],
        action_server_ports=[free_port() for _ in range(ACTION_SERVERS)],
    )
    return cluster.start()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", choices=("run", "cluster"), default="run")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--conversations-only", action="store_true", help="print the conversations and exit")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("ASBCR_LOAD_POSTGRES", "postgresql://postgres@127.0.0.1:5432"),
        help="the PostgreSQL server for the cluster's tracker store (a database is created and dropped)",
    )
    args = parser.parse_args()
    if args.conversations_only:
        print(json.dumps(conversations()))
        return 0

    talks = conversations()
    with tempfile.TemporaryDirectory(prefix="asbcr-load-") as tmp, contextlib.ExitStack() as cleanup:
        var = Path(tmp) / "var"
        try:
            if args.shape == "run":
                stack = start_run_shape(var)
                url = f"http://127.0.0.1:{stack.web_port}"
            else:
                tracker_url = cleanup.enter_context(tracker_database(args.postgres))
                stack = start_cluster_shape(var, args.replicas, tracker_url)
                url = f"http://127.0.0.1:{stack.public_port}"
        except StackError as error:
            # var/ goes with this process: the servers' last words to the caller's log (stderr)
            # first. Nothing a resident said is in them: no resident has come yet.
            for log in sorted((var / "run").glob("*.log")):
                print(
                    f"--- {log.name}, last lines", *log.read_text(errors="replace").splitlines()[-20:], sep="\n", file=sys.stderr
                )
            print(json.dumps({"error": str(error)}), flush=True)
            return 1
        try:
            pids = {name: process.pid for name, process in stack.processes.items()}
            print(json.dumps({"url": url, "pids": pids, "conversations": talks}), flush=True)
            sys.stdin.read()  # until bench/load.py closes it, or dies
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
