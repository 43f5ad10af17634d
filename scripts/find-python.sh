#!/usr/bin/env bash
# Prints the path of a Python X.Y interpreter: scripts/find-python.sh 3.12 ["why this version"].
# Looks on PATH first, then in pyenv's versions; explains how to get one if none is found.
set -u
want=${1:?usage: find-python.sh X.Y [why]}
why=${2:-}
major=${want%%.*}
minor=${want#*.}
for candidate in "python$want" "$(command -v pyenv >/dev/null 2>&1 && pyenv root)/versions/$want".*/bin/"python$want" \
                 "$HOME/.pyenv/versions/$want".*/bin/"python$want" "/usr/bin/python$want" "/usr/local/bin/python$want"; do
  [ -n "$candidate" ] || continue
  # A pyenv shim answers on PATH even when that version is not selected, so run it to be sure.
  if "$candidate" -c "import sys; assert sys.version_info[:2] == ($major, $minor)" >/dev/null 2>&1; then
    "$candidate" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
cat >&2 <<MSG
No Python $want found.${why:+ $why}
Install one, then run make again:
  - with pyenv:   pyenv install $want      (https://github.com/pyenv/pyenv)
  - on Debian/Ubuntu: apt-get install python$want python$want-venv  (deadsnakes PPA on Ubuntu)
MSG
exit 1
