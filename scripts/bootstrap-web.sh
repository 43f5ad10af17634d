#!/usr/bin/env bash
# Creates .venv-web, the public web tier's own environment (Python 3.12, no Rasa), and installs
# requirements-web-dev.txt into it: the page's server on current, patched packages instead of
# Rasa 3.6's old pins (README, "Dependencies and advisories"). The supervisor starts the page
# with .venv-web/bin/python (asbcr/stack.py). Reinstalls only when a requirements file changed
# since the last successful install.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-web
stamp=$venv/.installed
want=$(cat requirements-web.txt requirements-web-dev.txt | sha256sum | cut -d' ' -f1)
if [ -x $venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

if [ ! -x $venv/bin/python ] || ! $venv/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
  python312=$(scripts/find-python.sh 3.12 "The public web tier runs on Python 3.12 (supported until October 2028), apart from Rasa's 3.10.")
  echo "Creating $venv with $python312"
  rm -rf $venv
  "$python312" -m venv $venv
fi

echo "Installing the web tier's pinned dependencies into $venv"
# As in scripts/bootstrap.sh: this machine's pip configuration may name local package folders
# that do not exist; pip's warning about each one is noise.
quiet_pip() { $venv/bin/python -m pip "$@" 2> >(grep -v "^WARNING: Location '" >&2); }
quiet_pip install --quiet --disable-pip-version-check "$(grep '^pip==' requirements-web.txt)"
# Every package of the closure is pinned in the files; an exact set, so nothing else comes in
# (tests/test_web_env.py checks the venv against them).
quiet_pip install --quiet --disable-pip-version-check -r requirements-web-dev.txt
echo "$want" > "$stamp"
