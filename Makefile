# Two commands do all set-up on a fresh clone: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The JavaScript contract checks: an npm project in contract/ (Node 20, npm).
OPENAPI ?= openapi/openapi.yaml
NODE_DIR := contract
NODE_BIN := $(NODE_DIR)/node_modules/.bin
NODE_GEN := $(NODE_DIR)/generated

.PHONY: run demo test test-browser test-cluster lint typecheck layers contract pytest openapi clean \
        contract-lint contract-redocly contract-spectral contract-types contract-fuzz

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed  ## migrate, then serve on the embedded SQLite database (DEMO=1: with demo data)
	$(if $(DEMO),$(BIN)/jiebang-api seed-demo)
	$(BIN)/jiebang-api serve --host $(HOST) --port $(PORT)

demo:  ## `make run` with the demo data (seed-demo first; a second time changes nothing)
	$(MAKE) run DEMO=1

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests tests_browser tests_cluster migrations bench
	$(BIN)/ruff format --check src tests tests_browser tests_cluster migrations bench

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

layers: $(VENV)/.installed-dev
	$(BIN)/lint-imports

contract: $(VENV)/.installed-dev
	$(BIN)/jiebang-api export-openapi --check

# One worker per core, a test module to one worker (its module-scoped fixtures, and the
# fuzzer's final reach check over the whole module, stay in one process).
PYTEST_WORKERS ?= auto
pytest: $(VENV)/.installed-dev
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=25

test: lint typecheck layers contract contract-lint pytest contract-fuzz  ## everything CI runs

# Exactly the versions in contract/package-lock.json; npm ci empties node_modules first, so
# the stamp inside it goes too. --ignore-scripts: no install script ever runs (the only one
# in the tree is @scarf/scarf's telemetry postinstall); the tools need none.
$(NODE_DIR)/node_modules/.installed: $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

contract-lint: contract-redocly contract-spectral contract-types  ## the JS checks of the contract

# Redocly exits 1 on errors only; its summary line "You have N warnings." fails it too.
contract-redocly: $(NODE_DIR)/node_modules/.installed
	mkdir -p $(NODE_GEN)
	REDOCLY_TELEMETRY=off $(NODE_BIN)/redocly lint --format=stylish --max-problems=1000 \
	    $(OPENAPI) >$(NODE_GEN)/redocly.log 2>&1; status=$$?; cat $(NODE_GEN)/redocly.log; \
	  if [ $$status -ne 0 ] || grep -q '^You have [0-9]* warning' $(NODE_GEN)/redocly.log; then \
	    echo 'redocly: errors or warnings (see above)'; exit 1; fi

contract-spectral: $(NODE_DIR)/node_modules/.installed
	$(NODE_BIN)/spectral lint --ruleset .spectral.yaml --fail-severity=warn $(OPENAPI)

# Run from contract/, away from ./redocly.yaml: openapi-typescript would lint with it and refuse
# to generate on any lint error; without it, it applies Redocly's lenient `minimal` rules.
contract-types: $(NODE_DIR)/node_modules/.installed  ## generated types + contract/usage.ts, tsc --strict
	cd $(NODE_DIR) && node_modules/.bin/openapi-typescript $(abspath $(OPENAPI)) \
	    --output generated/openapi.d.ts
	$(NODE_BIN)/tsc -p $(NODE_DIR)/tsconfig.json

# schemathesis from outside: the CLI with every check against a served, production-like instance
# on PostgreSQL, anonymously and as an administrator (contract/fuzz_external.sh). A fixed seed
# keeps CI repeatable; FUZZ_STRICT=0 fails on findings, not on the refusals the in-suite run
# documents as intended. Without PostgreSQL it is skipped loudly, unless
# JIEBANG_REQUIRE_POSTGRES=1 (as in CI) makes that a failure.
FUZZ_SEED ?= 20261129
contract-fuzz: $(VENV)/.installed-dev
	@if ! $(BIN)/python -c "import asyncio, asyncpg; asyncio.run(asyncpg.connect('postgresql://postgres@127.0.0.1:5432/postgres'))" 2>/dev/null; then \
	  if [ "$$JIEBANG_REQUIRE_POSTGRES" = 1 ]; then echo 'contract-fuzz: PostgreSQL unreachable' >&2; exit 1; fi; \
	  echo '!!! contract-fuzz SKIPPED: PostgreSQL is not reachable on 127.0.0.1:5432 !!!'; exit 0; fi
	FUZZ_STRICT=0 FUZZ_SEED=$(FUZZ_SEED) contract/fuzz_external.sh

# Swagger UI and ReDoc in Debian's Chromium (`apt-get install chromium`; .ci/run installs it),
# driven by Playwright without any browser download; screenshots in tests_browser/output.
CHROMIUM ?= /usr/bin/chromium
test-browser: $(VENV)/.installed-dev  ## the docs pages in a real browser
	JIEBANG_CHROMIUM=$(CHROMIUM) $(BIN)/pytest -p no:xdist tests_browser

# Two API processes and two workers on loopback, one PostgreSQL database and the machine's
# Redis (database 8, emptied first): the invariants of a scaled-out deployment, each printed
# with its figures (docs/deployment.md).
test-cluster: $(VENV)/.installed-dev  ## the cluster on this machine
	$(BIN)/pytest -p no:xdist -p no:cacheprovider tests_cluster

openapi: $(VENV)/.installed-dev  ## regenerate the committed contract from the code
	$(BIN)/jiebang-api export-openapi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis jiebang.db*
	rm -rf $(NODE_DIR)/node_modules $(NODE_GEN)
