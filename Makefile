# alertgate: `make run` starts the engine, `make test` proves it. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --quiet --disable-pip-version-check

.PHONY: install install-dev run test check lint format typecheck bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade "pip>=25.1"  # --group (PEP 735) needs pip 25.1

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install -c constraints.txt -e ".[postgres]"
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -c constraints.txt -e ".[postgres]" --group dev
	touch $@

install: $(VENV)/.installed          ## the engine and its runtime dependencies
install-dev: $(VENV)/.installed-dev  ## plus test, lint and type-check tools

run: install                         ## serve on 127.0.0.1:5000, SQLite in ./var/
	$(BIN)/alertgate serve

test: install-dev                    ## every test (needs the local PostgreSQL, see README)
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

typecheck: install-dev
	$(BIN)/mypy

check: lint typecheck test           ## what a change must pass: ruff, import rules, mypy, tests

bench: install-dev                   ## benchmarks (minutes; installs wrk, Alertmanager); writes docs/benchmarks.md
	$(BIN)/python -m benchmarks

lock:                                ## re-pin constraints.txt from a fresh environment
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade "pip>=25.1"
	.lock-venv/bin/python -m pip install --quiet -e ".[postgres]" --group dev
	.lock-venv/bin/python -m pip freeze --exclude-editable > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
