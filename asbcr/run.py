"""`make run` and `make shell`: start the servers, say where to go, stop everything on Ctrl-C."""
from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys

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
    stack = Stack()
    print("Starting the action server, the Rasa server and the chat page (logs in var/run/)...", flush=True)
    try:
        stack.start()  # stops whatever it started if it fails or is interrupted
    except StackError as error:
        print(f"Could not start: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(f"\nThe resident chat page is at {stack.web_url}", flush=True)
    print(f"Rasa ({stack.rasa_url}) and the action server ({stack.actions_url}) listen on this machine only. "
          "Ctrl-C stops everything.", flush=True)
    try:
        stack.supervise()  # restarts a child that dies; returns only on Ctrl-C, SIGTERM or SIGHUP
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    finally:
        stack.stop()
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
    stack = Stack(with_rasa=False, with_web=False)
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
    parser.add_argument("what", choices=["serve", "shell"])
    return serve() if parser.parse_args().what == "serve" else shell()


if __name__ == "__main__":
    sys.exit(main())
