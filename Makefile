# One task runner for the project: setup, run, test, lint, benchmarks.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Sets everything up, then runs the Onca server on its embedded defaults, with demo data flowing.
run: setup
	$(BIN)/onca serve --demo

test: setup
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check src tests benchmarks

bench: setup
	$(BIN)/python benchmarks/ingest.py

# Regenerates the generated documentation.
docs: setup
	$(BIN)/onca logtypes --markdown > docs/logtypes.md

clean:
	rm -rf $(VENV) onca-data .pytest_cache
