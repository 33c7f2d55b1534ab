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
# which the benchmark may wipe); each prints its figures, appends its goal rows to
# var/bench/rows.jsonl, and bench/table.py prints them last as one table (docs/benchmarks.md).
# BENCH_QUICK=1 runs every row in a few minutes with smaller sizes (docs/benchmarks.md says
# which); the values below apply only where the variable is not already set.
BENCH_PG ?= postgres://postgres@127.0.0.1:5432
BENCHES ?= run catalogue dossiers dossiers_queue documents feedback payments_ipn mixed_api signin datastore_offer dvcqg_sync ioc_index
BENCH_QUICK_SIZES := BENCH_ROUNDS=40 BENCH_LOOKUP_SECONDS=4 BENCH_SUBMISSIONS=80 \
	BENCH_LOOKUP_DOSSIERS=200 BENCH_DOSSIERS=50000 BENCH_QUEUE_ROUNDS=100 BENCH_RECEPTIONS=10 \
	BENCH_DOCUMENTS=5000 BENCH_REPORTS=10000 BENCH_POSTS=50
bench: install
	@pg=0; pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && pg=1; \
	if [ "$$BENCH_QUICK" = 1 ]; then \
	  for kv in $(BENCH_QUICK_SIZES); do n=$${kv%%=*}; [ -n "$${!n}" ] || export "$$kv"; done; \
	fi; \
	mkdir -p var/bench; rm -f var/bench/rows.jsonl; \
	for b in $(BENCHES); do \
	  echo "== bench/$$b.py ($$(uptime | sed 's/.*load/load/'))"; \
	  if [ $$pg = 0 ] && { [ $$b = dossiers_queue ] || [ $$b = payments_ipn ]; }; then echo "skipped: PostgreSQL only"; continue; fi; \
	  if [ $$pg = 1 ]; then export BENCH_DATABASE_URL=$(BENCH_PG)/tinhso_bench_$$b; fi; \
	  $(BIN)/python bench/$$b.py || exit 1; \
	done; \
	$(BIN)/python bench/table.py

# Re-pin after changing dependencies in pyproject.toml.
lock: install
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^tinhso' > requirements/constraints.txt

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
