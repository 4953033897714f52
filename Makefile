# Wekeza Enterprise Brain — every task has one entry point here; CI calls `make test`.
.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

VENV   := .venv
BIN    := $(VENV)/bin
UV     := python3 -m uv
STAMP  := $(VENV)/.synced-$(shell cat uv.lock pyproject.toml | sha1sum | cut -c1-12)
PYTEST_ARGS ?=

help: ## List the tasks
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml uv.lock
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check 'uv>=0.5'
	$(UV) sync --locked --all-groups
	@rm -f $(VENV)/.synced-*; touch $@

venv: $(STAMP) ## Create .venv from the lock file (all dependency groups)

run: venv ## Run the brain on the embedded default (no servers): simulate, process, serve on :3000
	$(BIN)/brain run

infra-up: venv ## Install if missing and start Kafka, Redis, PostgreSQL (idempotent)
	bash infra/up.sh

infra-down: ## Stop Kafka, Redis, PostgreSQL
	bash infra/down.sh

lint: venv ## ruff check + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: venv ## mypy --strict
	$(BIN)/mypy kernel identity feature_repo customer360 features pipelines models bento_service cli infra bench tests

lock-check: venv ## The lock file matches pyproject.toml
	$(UV) lock --check

feast-plan: venv ## `feast plan` on the embedded feature repo (the plain CLI, no environment variable)
	mkdir -p .run/embedded && cd feature_repo && env -u EB_RUN_DIR -u EB_PROFILE ../$(BIN)/feast plan

schemas: venv ## Export the event JSON Schemas to docs/schemas
	$(BIN)/brain schemas export --out docs/schemas

check: lint types lock-check ## Static checks

test-unit: venv ## Unit tests only (no servers)
	$(BIN)/pytest -m unit $(PYTEST_ARGS)

test-integration: infra-up ## Integration tests against real Kafka, Redis, PostgreSQL
	$(BIN)/pytest -m integration $(PYTEST_ARGS)

test: venv check feast-plan infra-up ## Everything: static checks, feast plan, services, the whole test suite
	$(BIN)/pytest $(PYTEST_ARGS)

clean: ## Remove the run directory (data of the local services and embedded stores)
	bash infra/down.sh || true
	rm -rf .run

.PHONY: bento
bento: venv ## Build the Bento of the API (bentofile.yaml; models stay in the MLflow registry)
	mkdir -p build
	$(UV) export --frozen --no-dev --no-hashes --no-emit-project --format requirements-txt -o build/bento-requirements.txt >/dev/null
	$(BIN)/bentoml build

.PHONY: bench-decisions help venv run infra-up infra-down lint types lock-check feast-plan schemas check test-unit test-integration test clean

bench-decisions: infra-up ## Decision endpoint vs BentoML no-op vs feast serve, open-model rates
	$(BIN)/python -m bench.decisions

.PHONY: bench-decisions-profile
bench-decisions-profile: infra-up ## Where one decision's CPU goes (in process, real PG/Redis, cProfile)
	$(BIN)/python -m bench.decisions_profile

.PHONY: identity-settings
identity-settings: venv ## Re-train the shipped identity weights (identity/settings/wekeza_default.json) on the simulator
	$(BIN)/brain identity train-default --output identity/settings/wekeza_default.json

.PHONY: bench-identity
bench-identity: venv ## Identity: F1 on ../shared/data/er (online and bulk), then 1 M online latency and bulk time
	$(BIN)/python bench/identity_eval.py
	$(BIN)/python bench/identity_latency.py --n 1000000 --probe 10000

.PHONY: bench-customer360
bench-customer360: infra-up ## Customer 360: freshness at 1k/5k ev/s; reads at 1 M customers / 20 M txns (loaded once, ~8 min, then reused)
	$(BIN)/python -m bench.customer360_freshness --rates 200 1000 5000 --seconds 15 --workers 1
	$(BIN)/python -m bench.customer360_reads --customers 1000000 --transactions 20000000 --seconds 10 --workers 4 --concurrency 1 2 4 16

.PHONY: bench-customer360-kill
bench-customer360-kill: infra-up ## Customer 360: kill -9 of the worker during 100k events, tables compared with a clean run (~6 min)
	$(BIN)/python -m bench.customer360_kill --events 100000

.PHONY: bench-connectors
bench-connectors: infra-up ## Connectors: CDC throughput (rows/s into Kafka) and capture lag p99 per mode (pg_logical, mysql_binlog, watermark_poll)
	$(BIN)/python -m bench.connectors_cdc --rows 20000 --rate 200 --seconds 10

.PHONY: bench-features
bench-features: infra-up ## Features: event -> online visible (Redis, embedded), EvalML fraud data through the feature pipeline + training
	$(BIN)/python -m bench.features_freshness --profile services --events 2000
	$(BIN)/python -m bench.features_freshness --profile embedded --events 500
	$(BIN)/python -m bench.fraud_external
