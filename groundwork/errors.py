"""The command line's one error, here so that each area's commands (rules/cli.py,
casework/cli.py) can raise it without importing the command line that registers them."""

from __future__ import annotations


class CommandError(Exception):
    """A problem with the user's input: printed as one line on stderr, exit 2."""
