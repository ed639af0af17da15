# alertgate: `make run` starts the engine, `make test` proves it. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --quiet --disable-pip-version-check

.PHONY: install install-dev test-tools test-binaries run test check lint format typecheck bench lock cli-docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade "pip>=25.1"  # --group (PEP 735) needs pip 25.1

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install -c constraints.txt -e ".[postgres,graph]"
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -c constraints.txt -e ".[postgres,graph]" --group dev
	touch $@

install: $(VENV)/.installed          ## the engine and its runtime dependencies
install-dev: $(VENV)/.installed-dev  ## plus test, lint and type-check tools

# Binaries tests run: promtool and prometheus check /metrics and the alerting rules (Debian
# package prometheus; on a host with systemd it also enables a Prometheus server on :9090, stop
# it with `systemctl disable --now prometheus`); systemd-analyze checks alertgate.service; curl
# runs the README's examples and the migration guide's checks as written; Debian's python3 with
# venv installs alertgate as the guides do, for the unprivileged service user
# tests/ops/test_installed.py runs it as (python3-venv).
SUDO  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT   := $(SUDO) apt-get -o DPkg::Lock::Timeout=300 -y -q
NEEDS := $(shell command -v promtool >/dev/null && command -v prometheus >/dev/null || echo prometheus) \
         $(shell command -v systemd-analyze >/dev/null || echo systemd) \
         $(shell command -v curl >/dev/null || echo curl) \
         $(shell /usr/bin/python3 -c 'import ensurepip' 2>/dev/null || echo python3-venv)
test-tools: test-binaries           # prerequisites only: other tools' rules may add a recipe
test-binaries:
	@[ -z "$(strip $(NEEDS))" ] || $(APT) install --no-install-recommends $(NEEDS) \
		|| { $(APT) update && $(APT) install --no-install-recommends $(NEEDS); }

run: install                         ## serve on 127.0.0.1:5000, SQLite in ./var/
	$(BIN)/alertgate serve

test: install-dev test-tools         ## every test (needs the local PostgreSQL, see README)
	$(BIN)/pytest

test-tools: install-dev              ## Debian's prometheus-alertmanager for tests/e2e (apt, if missing)
	$(BIN)/python -m tests.support.alertmanager

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
	.lock-venv/bin/python -m pip install --quiet -e ".[postgres,graph]" --group dev
	.lock-venv/bin/python -m pip freeze --exclude-editable > constraints.txt
	rm -rf .lock-venv

cli-docs: install-dev                ## rewrite the --help blocks in docs/cli.md from the parser
	$(BIN)/python -m tests.support.cli_docs

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
