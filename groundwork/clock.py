"""The one place that knows what "today" is.

Staff and tests set ASBCR_TODAY=YYYY-MM-DD to replay a decision as of another day
(CONTRACT.md, Environment); everything else asks this module.
"""

from __future__ import annotations

import datetime as dt
import os

from .dates import iso_date

ENV_VAR = "ASBCR_TODAY"


def today() -> dt.date:
    value = os.environ.get(ENV_VAR, "").strip()
    if not value:
        return dt.date.today()
    return iso_date(value, ENV_VAR)
