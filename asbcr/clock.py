"""The one place that knows what "today" is.

Staff and tests set ASBCR_TODAY=YYYY-MM-DD to replay a decision as of another day
(CONTRACT.md, Environment); everything else asks this module.
"""
from __future__ import annotations

import datetime as dt
import os

ENV_VAR = "ASBCR_TODAY"


def today() -> dt.date:
    value = os.environ.get(ENV_VAR, "").strip()
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{ENV_VAR} must be a date as YYYY-MM-DD, not {value!r}") from None
