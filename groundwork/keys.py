"""Installation keys: random secrets that one installation's processes share.

A key comes from its environment variable when set (a deployment's secret store), or else from
a file in var/ created once with a random value and readable by the service user only, so it
survives restarts and every process on the machine agrees. Keys are never logged and never on
a command line.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from groundwork.paths import var_dir


def installation_key(name: str, env: str) -> bytes:
    given = os.environ.get(env, "").strip()
    if given:
        return given.encode()
    return key_file(var_dir() / name)


def key_file(path: Path) -> bytes:
    """The key kept in `path`, created with a random value (mode 600) by whoever needs it first."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:  # the first process to need it writes it; a racing one reads it below
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32))
    for _ in range(100):
        text = path.read_text().strip()
        if text:
            return text.encode()
        time.sleep(0.01)  # the creating process is between open and write
    raise RuntimeError(f"{path} is empty: delete it and start again")
