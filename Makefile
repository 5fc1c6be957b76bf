# Two commands do all set-up on a fresh clone: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck layers contract pytest openapi clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed  ## migrate, then serve on the embedded SQLite database
	$(BIN)/jiebang-api serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

layers: $(VENV)/.installed-dev
	$(BIN)/lint-imports

contract: $(VENV)/.installed-dev
	$(BIN)/jiebang-api export-openapi --check

pytest: $(VENV)/.installed-dev
	$(BIN)/pytest

test: lint typecheck layers contract pytest  ## everything CI runs

openapi: $(VENV)/.installed-dev  ## regenerate the committed contract from the code
	$(BIN)/jiebang-api export-openapi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis jiebang.db*
