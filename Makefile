# tinhso: `make run` serves the platform, `make test` runs the suite (see README.md).
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install setup run test test-packages lint bench lock clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "tinhso needs Python 3.11 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml requirements/constraints.txt package-lock.json | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[dev]"
	@# axe-core for the accessibility tests; the platform itself runs without Node.
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --silent; \
	else echo "npm not found: the browser tests skip (they need axe-core)"; fi
	@touch $(STAMP)

install: $(STAMP)

# `make run` needs only Python >= 3.11 and the base system (fontconfig, DejaVu fonts): the
# optional tools (deploy/debian-packages.txt) say in Vietnamese that they are missing.
RUN_ARGS ?=
setup: install
	$(BIN)/tinhso migrate --noinput
	$(BIN)/tinhso collectstatic --noinput --verbosity 0
	$(BIN)/tinhso demo load

run: setup
	$(BIN)/tinhso run $(RUN_ARGS)

# The Debian packages the tests use: installed when `make test` runs as root with apt-get;
# otherwise named, and the tests that need them skip naming the tool (under CI they fail).
test-packages:
	@bash deploy/debian-packages --best-effort base runtime tests

# pytest exits 5 when it collected no test: for us that is a failure, said plainly.
test: install test-packages
	@$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: no tests were collected"; fi; exit $$rc

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/tinhso makemigrations --check --dry-run

# Each benchmark also runs on PostgreSQL when the local server answers (its own database,
# which the benchmark may wipe); figures go to docs/benchmarks.md by hand, with the machine.
BENCH_PG ?= postgres://postgres@127.0.0.1:5432
BENCHES ?= run catalogue dossiers dossiers_queue documents feedback payments_ipn
bench: install
	@pg=0; pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && pg=1; \
	for b in $(BENCHES); do \
	  echo "== bench/$$b.py"; \
	  if [ $$pg = 0 ] && { [ $$b = dossiers_queue ] || [ $$b = payments_ipn ]; }; then echo "skipped: PostgreSQL only"; continue; fi; \
	  if [ $$pg = 1 ]; then export BENCH_DATABASE_URL=$(BENCH_PG)/tinhso_bench_$$b; fi; \
	  $(BIN)/python bench/$$b.py || exit 1; \
	done

# Re-pin after changing dependencies in pyproject.toml.
lock: install
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^tinhso' > requirements/constraints.txt

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
