"""The one exception casework raises for bad input or an impossible request.

Its message is a single line a member of staff can act on; it never quotes personal
data back, because callers (the CLI, the web server, the bot) may log it.
"""

from __future__ import annotations

from typing import Optional


class CaseworkError(ValueError):
    """Bad input or a request the casework rules do not allow. `field`, when known, names the
    input at fault ("date", "note"), so a form can put the message beside it; the command line
    prints the message alone."""

    def __init__(self, message: str = "", *, field: Optional[str] = None):
        super().__init__(message)
        self.field = field


class NotFound(CaseworkError):
    """No application has that reference (or that private link)."""


class StoreUnavailable(CaseworkError):
    """The applications database cannot be reached: nothing was written, try again later."""


class Forbidden(CaseworkError):
    """The member of staff asking may not see or do this (e.g. the audit log is for admins)."""
