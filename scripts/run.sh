#!/usr/bin/env bash
# make run: the action server, Rasa and the chat page, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m asbcr.run serve
