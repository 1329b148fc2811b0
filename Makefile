# Kundig's everyday commands. Needs GNU make and Python 3.11+, nothing else:
# the first target run creates .venv and installs the locked dependencies.
#
#   make demo [PORT=8000] [HOST=127.0.0.1]   try Kundig with demo data
#   make test [PYTEST_ARGS=…]                the whole test suite
#   make help                                everything else

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --no-print-directory

PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
HOST ?= 127.0.0.1
PYTEST_ARGS ?=
JOBS ?=
BENCH_ARGS ?=
SCREENSHOT_ARGS ?=
UV_VERSION ?= 0.13.9
UPGRADE ?=

BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
LOCKS := requirements/build.lock requirements/dev.lock

.PHONY: help install demo test lint bench screenshot lock clean clean-data

help: ## Show this help
	@echo "Kundig - make targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) \
	  | awk 'BEGIN {FS = ":.*## "} {printf "  make %-12s %s\n", $$1, $$2}'
	@echo
	@echo "Variables: PORT=$(PORT) HOST=$(HOST) PYTHON=$(PYTHON)" \
	  "JOBS= PYTEST_ARGS= BENCH_ARGS= SCREENSHOT_ARGS= UPGRADE= (for lock)"

# --- The virtual environment ---------------------------------------------------

$(BIN)/python:
	@if ! command -v $(PYTHON) >/dev/null 2>&1; then \
	  echo "Kundig needs Python 3.11 or newer; PYTHON=$(PYTHON) was not found." >&2; \
	  echo "Install Python 3.11+ or name one: make $(or $(MAKECMDGOALS),demo)" \
	    "PYTHON=/path/to/python3.12" >&2; \
	  exit 1; \
	elif ! $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then \
	  echo "Kundig needs Python 3.11 or newer; PYTHON=$(PYTHON) is" \
	    "$$($(PYTHON) --version 2>&1)." >&2; \
	  echo "Install Python 3.11+ or name one: make $(or $(MAKECMDGOALS),demo)" \
	    "PYTHON=/path/to/python3.12" >&2; \
	  exit 1; \
	fi
	@echo "Creating $(VENV) with $$($(PYTHON) --version) ..."
	@rm -rf $(VENV)
	@if ! $(PYTHON) -m venv $(VENV) >/dev/null 2>&1; then \
	  rm -rf $(VENV); \
	  if $(PYTHON) -m pip --version >/dev/null 2>&1; then \
	    echo "$(PYTHON) has no ensurepip; creating $(VENV) without pip and" \
	      "installing pip into it with the system's pip ..."; \
	    $(PYTHON) -m venv --without-pip $(VENV); \
	    $(PYTHON) -m pip --python $(BIN)/python install --quiet pip; \
	  else \
	    echo "Cannot create a virtual environment: $(PYTHON) lacks venv/ensurepip" \
	      "and pip. On Debian/Ubuntu: apt-get install python3-venv" >&2; \
	    exit 1; \
	  fi; \
	fi

# Reinstalls only when a lock or pyproject.toml changed since the last install.
$(INSTALLED): $(LOCKS) pyproject.toml | $(BIN)/python
	@echo "Installing the locked dependencies into $(VENV) ..."
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
	  --require-hashes --no-deps $(addprefix -r ,$(LOCKS))
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
	  --no-deps --no-build-isolation --editable .
	@touch $@

install: $(INSTALLED) ## Create .venv and install Kundig with the locked dependencies

# --- Everyday ---------------------------------------------------------------------

demo: $(INSTALLED) ## Run the demo on http://127.0.0.1:8000 (make demo PORT=8123)
	$(BIN)/kundig demo --port $(PORT) --host $(HOST)

# Serial by default. `make test JOBS=auto` runs pytest-xdist workers; it passes
# with the browser and live-server tests, but on a 2-core machine it took
# 171 s instead of 143 s on SQLite and 179 s instead of 215 s on PostgreSQL:
# not worth the extra processes there. More cores, more gain.
test: $(INSTALLED) ## Run all tests (JOBS=auto: in parallel; PostgreSQL: see README)
	$(BIN)/pytest $(if $(JOBS),-n $(JOBS)) $(PYTEST_ARGS)

lint: $(INSTALLED) ## ruff check, ruff format --check, import contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# make bench CONTACTS=100000 COMPANIES=1000 ACTIVITIES=1000000 REQUESTS=50
BENCH_SIZES = $(if $(CONTACTS),--contacts $(CONTACTS)) \
  $(if $(COMPANIES),--companies $(COMPANIES)) \
  $(if $(ACTIVITIES),--activities $(ACTIVITIES)) $(if $(REQUESTS),--requests $(REQUESTS))

bench: $(INSTALLED) ## p50/p95 of pages and API at 1M contacts (PostgreSQL; see README)
	$(BIN)/kundig bench $(strip $(BENCH_SIZES) $(BENCH_ARGS))

screenshot: $(INSTALLED) ## Take docs/screenshot.png (SCREENSHOT_ARGS="...")
	$(BIN)/python -m kundig.ops.screenshot $(SCREENSHOT_ARGS)

# --- Maintenance -------------------------------------------------------------------

# uv resolves; pip installs. uv comes into a throwaway venv, removed afterwards.
# Existing pins are kept unless UPGRADE=1.
UV_COMPILE = uv pip compile --quiet --no-header --generate-hashes --universal \
  --python-version 3.11 --override requirements/overrides.txt $(if $(UPGRADE),--upgrade)

lock: ## Re-resolve requirements/*.lock from pyproject.toml (UPGRADE=1 for newer)
	@tools=$$(mktemp -d); trap 'rm -rf "$$tools"' EXIT; \
	$(PYTHON) -m venv "$$tools"; \
	"$$tools/bin/python" -m pip install --quiet --disable-pip-version-check \
	  uv==$(UV_VERSION); \
	export PATH="$$tools/bin:$$PATH"; \
	$(UV_COMPILE) pyproject.toml -o requirements/runtime.lock; \
	$(UV_COMPILE) pyproject.toml --extra dev -o requirements/dev.lock; \
	$(UV_COMPILE) requirements/build.in -o requirements/build.lock; \
	echo "Updated requirements/*.lock; the next make target reinstalls."

clean: ## Remove .venv, caches and build output (keeps var/, the demo data)
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache test-results
	find src -name __pycache__ -type d -prune -exec rm -rf {} +

clean-data: ## Remove var/: the demo database, static files and generated secret key
	rm -rf var
