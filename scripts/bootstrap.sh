#!/usr/bin/env bash
# Creates .venv with Python 3.10 and installs the project against constraints.txt, so that
# no extra package can quietly upgrade one of Rasa 3.6.21's pins. Reinstalls only when
# pyproject.toml or constraints.txt changed since the last successful install.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=.venv/.installed
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
  python310=$(scripts/find-python310.sh)
  echo "Creating .venv with $python310"
  rm -rf .venv
  "$python310" -m venv .venv
fi

echo "Installing pinned dependencies (first time: a few minutes)"
# This machine's pip configuration may name local package folders that do not exist; pip's
# warning about each one is noise, not a problem, so it is left out of the output.
quiet_pip() { .venv/bin/python -m pip "$@" 2> >(grep -v "^WARNING: Location '" >&2); }
# pip itself first, at its pin in constraints.txt (a changed pin changes the stamp above).
quiet_pip install --quiet --disable-pip-version-check -c constraints.txt pip
quiet_pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
echo "$want" > "$stamp"
