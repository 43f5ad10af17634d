#!/usr/bin/env bash
# Creates .venv-load, the load test's own environment (locust, py-spy), from requirements-load.txt:
# locust's pins clash with Rasa 3.6's, so it cannot live in .venv. Reinstalls only when
# requirements-load.txt changed since the last successful install.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-load
stamp=$venv/.installed
want=$(sha256sum requirements-load.txt | cut -d' ' -f1)
if [ -x $venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

if [ ! -x $venv/bin/python ] || ! $venv/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
  python310=$(scripts/find-python310.sh)
  echo "Creating $venv with $python310"
  rm -rf $venv
  "$python310" -m venv $venv
fi

echo "Installing the load test's pinned dependencies into $venv"
# As in scripts/bootstrap.sh: pip's warnings about missing local package folders are noise.
quiet_pip() { $venv/bin/python -m pip "$@" 2> >(grep -v "^WARNING: Location '" >&2); }
quiet_pip install --quiet --disable-pip-version-check "$(grep '^pip==' requirements-load.txt)"
# --no-deps: every package of the closure is pinned in the file, so nothing else comes in.
quiet_pip install --quiet --disable-pip-version-check --no-deps -r requirements-load.txt
echo "$want" > "$stamp"
