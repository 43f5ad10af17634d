#!/usr/bin/env bash
# make shell: Rasa's chat shell for staff, with the action server running.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false  # no events or error reports leave this machine
exec .venv/bin/python -m asbcr.run shell
