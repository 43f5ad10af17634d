"""`make run`, `make run-cluster` and `make shell`: start the servers, say where to go, stop everything on Ctrl-C."""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time

from asbcr.stack import PRIVATE_UMASK, Stack, StackError


def _stop(*_: object) -> None:
    raise KeyboardInterrupt


def _stop_on_hangup_or_term() -> None:
    """A closed terminal (SIGHUP) or a kill (SIGTERM) stops everything, like Ctrl-C: the
    servers run in sessions of their own and would otherwise be left behind."""
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)


def serve() -> int:
    _stop_on_hangup_or_term()
    os.umask(PRIVATE_UMASK)  # var/ and everything in it: the service's user only
    try:
        stack = Stack()
    except StackError as error:  # e.g. ASBCR_DELIVER_EVERY is not a number
        print(f"Could not start: {error}", file=sys.stderr)
        return 1
    rest = ", the chat page and the Notify sender" if stack.with_deliver else " and the chat page"
    print(f"Starting the action server, the Rasa server{rest} (logs in var/run/)...", flush=True)
    try:
        stack.start()  # stops whatever it started if it fails or is interrupted
    except StackError as error:
        print(f"Could not start: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(f"\nThe resident chat page is at {stack.web_url}", flush=True)
    print(
        f"Rasa ({stack.rasa_url}) and the action server ({stack.actions_url}) listen on this machine only. "
        "Ctrl-C stops everything.",
        flush=True,
    )
    print(stack.delivery_note, flush=True)
    try:
        stack.supervise()  # restarts a child that dies; returns only on Ctrl-C, SIGTERM or SIGHUP
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    finally:
        stack.stop()
    return 0


def serve_cluster() -> int:
    """`make run-cluster`: nginx in front, Rasa replicas, two action servers, the web server."""
    from asbcr.cluster import Cluster, shown

    _stop_on_hangup_or_term()
    os.umask(PRIVATE_UMASK)
    try:
        cluster = Cluster()
    except StackError as error:
        print(f"Could not start: {error}", file=sys.stderr)
        return 1
    rest = ", the chat page server and the Notify sender" if cluster.with_deliver else " and the chat page server"
    print(
        f"Starting nginx, {cluster.replicas} Rasa replicas, {len(cluster.action_server_ports)} action servers{rest} "
        "(logs in var/run/)...",
        flush=True,
    )
    started = time.monotonic()
    try:
        cluster.start()
    except StackError as error:
        print(f"Could not start: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    cluster.log_event(f"the cluster answered {time.monotonic() - started:.0f}s after the start")
    print(
        f"\nThe resident chat page is at {cluster.public_url} (nginx, on {cluster.public_host}: the only "
        "listener meant for the public).",
        flush=True,
    )
    print(
        f"Behind it, on 127.0.0.1 only: the chat page server ({cluster.web_port}), the Rasa replicas "
        f"({', '.join(map(str, cluster.replica_ports))}, through nginx at {cluster.rasa_port}) and the action servers "
        f"({', '.join(map(str, cluster.action_server_ports))}, through nginx at {cluster.actions_port}). "
        "Ctrl-C stops everything.",
        flush=True,
    )
    print(
        f"Conversations: {shown(cluster.env['ASBCR_TRACKER_URL'])}; locks: {shown(cluster.env['ASBCR_LOCK_URL'])}; "
        f"applications: {shown(cluster.env['ASBCR_DATABASE_URL'])} (set the same ASBCR_TRACKER_URL and "
        "ASBCR_DATABASE_URL for `asbcr` commands on this cluster).",
        flush=True,
    )
    print(cluster.delivery_note, flush=True)
    try:
        cluster.supervise()
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    finally:
        cluster.stop()
    return 0


WARNING_LINE = re.compile(r"^\S+\.py:\d+: \w*Warning\b")


def drop_warnings(lines):
    """The lines of a stream without Python's warnings: `file.py:12: XWarning: ...`, any more
    lines of its message, up to and including the indented source line that ends it."""
    skipping = False
    for line in lines:
        if WARNING_LINE.match(line):
            skipping = True
            continue
        if skipping:
            skipping = not line.startswith("  ")
            continue
        yield line


def shell() -> int:
    """Rasa's own chat shell for staff, with the action server running; the bot shows its
    decision trace after each decision on this channel."""
    _stop_on_hangup_or_term()
    os.umask(PRIVATE_UMASK)
    stack = Stack(with_rasa=False, with_web=False, with_deliver=False)  # `make run` sends messages, not the staff shell
    try:
        stack.start()
    except StackError as error:
        print(f"Could not start the action server: {error}", file=sys.stderr)
        return 1
    try:
        # Staff see the bot, not a screen of library deprecation warnings before it loads: Rasa
        # resets Python's warning filters, so the warnings are dropped from its error stream.
        quiet = {**stack.env, "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "3", "LOG_LEVEL_LIBRARIES": "ERROR"}
        process = subprocess.Popen(stack.rasa_command("shell") + ["--quiet"], env=quiet, stderr=subprocess.PIPE, text=True)
        for line in drop_warnings(process.stderr):
            sys.stderr.write(line)
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["serve", "shell", "cluster"])
    return {"serve": serve, "shell": shell, "cluster": serve_cluster}[parser.parse_args().what]()


if __name__ == "__main__":
    sys.exit(main())
