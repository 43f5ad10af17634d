"""The clock lives in groundwork/clock.py. bot/actions and rules/partnership.py still import it
from here; this name goes once they import groundwork.clock themselves."""
from groundwork.clock import ENV_VAR, today  # noqa: F401
