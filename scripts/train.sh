#!/usr/bin/env bash
# Trains the Rasa model when its inputs changed (training data, domain, config, the spaCy
# pipeline's source data). Every model is seeded (config.yml), so a retrain is reproducible.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false  # no events or error reports leave this machine
if [ ! -f config.yml ] || [ ! -f bot/domain.yml ]; then
  echo "No bot configuration yet: nothing to train"
  exit 0
fi
inputs=$(find config.yml bot/domain.yml bot/data bot/nlp -type f \( -name '*.yml' -o -name '*.yaml' -o -name '*.json' -o -name '*.jsonl' -o -name '*.py' \) | sort)
want=$(cat $inputs | sha256sum | cut -d' ' -f1)
if [ -f models/asbcr.tar.gz ] && [ "$(cat models/.inputs 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "Training the Rasa model (inputs changed)"
start=$(date +%s)
.venv/bin/rasa train --config config.yml --domain bot/domain.yml --data bot/data \
  --out models --fixed-model-name asbcr --quiet
echo "$want" > models/.inputs
echo "Trained in $(( $(date +%s) - start ))s"
