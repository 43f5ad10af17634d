#!/usr/bin/env bash
# make run-cluster: nginx in front, Rasa replicas, two action servers and the chat page, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m asbcr.run cluster
