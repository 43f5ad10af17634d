# Two commands from a fresh clone: `make run` (the service) and `make test` (everything CI runs).
# Both bootstrap .venv with Python 3.10 and the pinned dependencies first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test shell bootstrap train nlp web-assets browser-deps bench eval clean help

help:
	@echo "make run    - install, train if needed, start the action server, Rasa and the chat page"
	@echo "make test   - install, train if needed, run the whole test suite"
	@echo "make shell  - staff chat shell in the terminal, with the decision trace"
	@echo "make bench  - benchmarks (rules, language pipeline, chat turns)"
	@echo "make eval   - the conversation scored on a blind set through the running bot (SET=first|second)"
	@echo "make audit  - pinned dependencies against a local advisory database (ADVISORY_DB=dir)"

bootstrap:
	@scripts/bootstrap.sh

# The project's own spaCy pipeline, built from data in the repo (no model download).
nlp: bootstrap
	@$(PY) -m bot.nlp.build --if-changed

# Train the Rasa model only when the training data, domain, config or pipeline changed.
train: nlp
	@scripts/train.sh

web-assets:
	@scripts/web-assets.sh

run: train web-assets
	@scripts/run.sh

shell: train
	@scripts/shell.sh

browser-deps:
	@scripts/browser-deps.sh

test: train web-assets browser-deps
	@$(PY) -m pytest $(PYTEST_ARGS)

bench: train
	@$(PY) bench/rules.py
	@$(PY) -m bot.nlp.bench
	@$(PY) bench/turns.py

# The pinned set, then what .venv holds, against a local PyPA advisory database
# (ADVISORY_DB=dir or ASBCR_ADVISORY_DB); fails on an advisory security/allowlist.yml does not cover.
.PHONY: audit
audit: bootstrap
	@$(PY) scripts/audit.py $(if $(ADVISORY_DB),--db $(ADVISORY_DB)) --explain
	@$(PY) scripts/audit.py $(if $(ADVISORY_DB),--db $(ADVISORY_DB)) --installed --quiet

# Whole conversations from tests/blind/$(SET) through the running bot, with the simulated resident.
SET ?= first
eval: train
	@$(PY) -m evaluation.blind $(SET) $(EVAL_ARGS)

clean:
	rm -rf $(VENV) var models results
