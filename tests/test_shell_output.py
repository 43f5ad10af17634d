"""`make shell` shows staff the bot, not Python's warnings (asbcr.run.drop_warnings)."""

from asbcr.run import drop_warnings

STDERR = """\
/x/pkg_resources/__init__.py:3117: DeprecationWarning: Deprecated call to `declare_namespace('ruamel')`.
Implementing implicit namespace packages (as specified in PEP 420) is preferred.
  declare_namespace(pkg)
/x/util.py:52: DeprecationWarning: jax.xla_computation is deprecated.
  from jax import xla_computation as _xla_computation
Bot loaded. Type a message and press enter (use '/stop' to exit):
Traceback (most recent call last):
  File "x.py", line 1
ValueError: a real error
"""


def test_warnings_are_dropped_and_everything_else_kept():
    kept = "".join(drop_warnings(STDERR.splitlines(keepends=True)))
    assert kept == (
        "Bot loaded. Type a message and press enter (use '/stop' to exit):\n"
        "Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: a real error\n"
    )
