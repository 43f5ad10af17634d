#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 supports 3.8-3.10 only).
# Looks on PATH first, then in pyenv's versions; explains how to get one if none is found.
set -u
for candidate in python3.10 "$(command -v pyenv >/dev/null 2>&1 && pyenv root)/versions"/3.10*/bin/python3.10 \
                 "$HOME/.pyenv/versions"/3.10*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
  [ -n "$candidate" ] || continue
  # A pyenv shim answers on PATH even when 3.10 is not selected, so run it to be sure.
  if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
    "$candidate" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
cat >&2 <<'MSG'
No Python 3.10 found. Rasa 3.6 (the last open-source Rasa) runs on Python 3.8-3.10 only.
Install one, then run make again:
  - with pyenv:   pyenv install 3.10      (https://github.com/pyenv/pyenv)
  - on Debian/Ubuntu: apt-get install python3.10 python3.10-venv  (deadsnakes PPA on Ubuntu)
MSG
exit 1
