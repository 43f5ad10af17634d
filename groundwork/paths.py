"""Where the project keeps its files: the repository root and the runtime folder var/."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def var_dir() -> Path:
    """Runtime files (SQLite databases, the built spaCy pipeline, logs). Created on demand,
    readable by its owner only: it holds residents' conversations and applications."""
    path = Path(os.environ.get("ASBCR_VAR", ROOT / "var"))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    # An older var/ (or one made under umask 022) is closed too: inside a 0700 folder no
    # other user can reach a file, whatever its own mode (`asbcr` commands included).
    if path.stat().st_mode & 0o077:
        with contextlib.suppress(PermissionError):
            os.chmod(path, 0o700)
    return path
