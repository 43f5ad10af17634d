# Two commands from a fresh clone: `make run` (the service) and `make test` (everything CI runs).
# Both bootstrap .venv with Python 3.10 and the pinned dependencies first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# The public web tier's own environment (Python 3.12, no Rasa): scripts/bootstrap-web.sh.
WEB_PY := .venv-web/bin/python
# The web tier's own tests, run a second time in .venv-web on the packages it serves with, and the
# checks of deploy/ (their validators live there; the rest of the suite needs Rasa).
WEB_TESTS := tests/test_web_limits.py tests/test_health.py tests/test_web_site.py tests/casework/test_application_pages.py tests/casework/test_resident_progress.py \
	tests/casework/test_casework_pdf.py tests/test_groundwork.py \
	tests/casework/test_staff_accounts.py tests/casework/test_staff_sign_in.py tests/casework/test_staff_console.py \
	tests/deploy

.PHONY: run run-cluster test lint shell bootstrap web-env train nlp web-assets browser-deps nginx-deps bench bench-load load-env eval clean help

help:
	@echo "make run    - install, train if needed, start the action server, Rasa and the chat page"
	@echo "make run-cluster - the production shape: nginx, Rasa replicas, two action servers, PostgreSQL, Redis"
	@echo "make test   - install, train if needed, lint, run the whole test suite"
	@echo "make lint   - ruff's checks and its formatter check (.venv-web/bin/ruff format . to fix)"
	@echo "make shell  - staff chat shell in the terminal, with the decision trace"
	@echo "make bench  - benchmarks (rules, language pipeline, chat turns, then bench-load)"
	@echo "make bench-load - many residents at once through the relay, stage by stage (LOAD_ARGS=...)"
	@echo "make eval   - the conversation scored on a blind set through the running bot (SET=first|second)"
	@echo "make audit  - both environments' pinned dependencies against a local advisory database (ADVISORY_DB=dir)"

bootstrap:
	@scripts/bootstrap.sh

web-env:
	@scripts/bootstrap-web.sh

# The project's own spaCy pipeline, built from data in the repo (no model download).
nlp: bootstrap
	@$(PY) -m bot.nlp.build --if-changed

# Train the Rasa model only when the training data, domain, config or pipeline changed.
train: nlp
	@scripts/train.sh

web-assets:
	@scripts/web-assets.sh

run: train web-assets web-env
	@scripts/run.sh

# nginx in front, ASBCR_REPLICAS Rasa replicas, two action servers, PostgreSQL and Redis.
run-cluster: train web-assets web-env nginx-deps
	@scripts/run-cluster.sh

shell: train
	@scripts/shell.sh

browser-deps:
	@scripts/browser-deps.sh

nginx-deps:
	@scripts/nginx-deps.sh

# The load test's own environment (locust's pins clash with Rasa's): see requirements-load.txt.
load-env:
	@scripts/bootstrap-load.sh

test: lint train web-assets browser-deps web-env nginx-deps load-env
	@$(PY) -m pytest $(PYTEST_ARGS)
	@$(WEB_PY) -m pytest -q -p no:cacheprovider $(WEB_TESTS)

# ruff (pinned in requirements-web-dev.txt, configured in pyproject.toml): real mistakes
# (syntax errors, undefined and unused names), then the formatter's check. `ruff format .` fixes the second.
lint: web-env
	@.venv-web/bin/ruff check --quiet .
	@.venv-web/bin/ruff format --check --quiet . || { echo "make lint: run '.venv-web/bin/ruff format .'"; exit 1; }

bench: train
	@$(PY) bench/rules.py
	@$(PY) -m bot.nlp.bench
	@$(PY) bench/turns.py
	@$(MAKE) --no-print-directory bench-load

# Whole conversations, many residents at once: through the relay (`make run`'s shape), then
# through nginx with one and with two Rasa replicas (`make run-cluster`'s shape). About 10 minutes
# a shape; LOAD_ARGS="--shapes run --stages 25,50 --window 30" for a short look.
LOAD_ARGS ?=
bench-load: train web-env nginx-deps load-env
	@.venv-load/bin/python bench/load.py $(LOAD_ARGS)

# Both environments against a local PyPA advisory database (ADVISORY_DB=dir or ASBCR_ADVISORY_DB):
# Rasa's pinned set and what .venv holds (allow-list security/allowlist.yml), then the web tier's
# pinned set and what .venv-web holds (security/allowlist-web.yml). Fails on any advisory not covered.
.PHONY: audit
AUDIT_DB = $(if $(ADVISORY_DB),--db $(ADVISORY_DB))
audit: bootstrap web-env
	@$(PY) scripts/audit.py $(AUDIT_DB) --explain
	@$(PY) scripts/audit.py $(AUDIT_DB) --installed --quiet
	@$(WEB_PY) scripts/audit.py $(AUDIT_DB) --pins requirements-web.txt requirements-web-dev.txt \
		--allowlist security/allowlist-web.yml --explain
	@$(WEB_PY) scripts/audit.py $(AUDIT_DB) --installed --allowlist security/allowlist-web.yml --quiet

# Whole conversations from tests/blind/$(SET) through the running bot, with the simulated resident.
SET ?= first
eval: train
	@$(PY) -m evaluation.blind $(SET) $(EVAL_ARGS)

clean:
	rm -rf $(VENV) .venv-web var models results
