"""The paths live in groundwork/paths.py. bot/nlp/build.py still imports them from here; this
name goes once it imports groundwork.paths itself."""
from groundwork.paths import ROOT, var_dir  # noqa: F401
