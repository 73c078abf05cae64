# make demo — set up everything, then run the main job on the bundled sample (year 2025).
# make test — set up everything, then run the test suite (SQLite and a throwaway PostgreSQL).
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
YEAR  ?= 2025
# uv trusts the system's certificate store (as pip and curl do on Debian), so a site CA just works.
export UV_NATIVE_TLS ?= 1

.PHONY: setup system-packages python-env demo test bench bench-national lock sample clean

setup: system-packages python-env

system-packages:
	@bash scripts/system-packages.sh

python-env: $(VENV)/.synced

# Re-synced whenever the lock or the project metadata changes; idempotent otherwise.
$(VENV)/.synced: requirements.lock pyproject.toml
	@UV=$$(bash scripts/ensure-uv.sh) && \
	  { [ -x $(PY) ] || $$UV venv --quiet --python 3.11 $(VENV); } && \
	  $$UV pip sync --quiet --python $(PY) requirements.lock && \
	  $$UV pip install --quiet --python $(PY) --no-deps -e . && \
	  test -x $(VENV)/bin/chanjiao && touch $@
	@echo "python environment ready: $(VENV) ($$($(PY) --version))"

demo: setup
	$(VENV)/bin/chanjiao run --year $(YEAR)

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) benchmarks/hostile_files.py
	$(PY) benchmarks/validate_summaries.py
	$(PY) benchmarks/score_province.py
	$(PY) benchmarks/render_reports.py

# A national year, 31 provinces × 50 consortia (~20 min on 2 cores): stage times, no-change re-run, overhead.
bench-national: setup
	$(PY) benchmarks/national.py --provinces 31 --per-province 50

# Re-pin after changing dependencies in pyproject.toml (no index URLs are recorded).
lock:
	@UV=$$(bash scripts/ensure-uv.sh) && \
	  $$UV pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

# Regenerate the bundled sample from its seed (tests check the committed copy matches).
sample: python-env
	$(VENV)/bin/chanjiao sample --out sample

# Everything generated: the virtualenv, the default warehouse's data (database with its -wal/-shm/-journal,
# reports, receipts, run locks, the temporary Prefect server's log), caches and build output.
clean:
	rm -rf $(VENV) warehouse/warehouse.db warehouse/warehouse.db-* warehouse/reports warehouse/receipts \
	  warehouse/locks warehouse/*.lock warehouse/prefect-server.log .pytest_cache build dist *.egg-info
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
	find . -path ./.git -prune -o -type f -name '*.py[co]' -exec rm -f {} +
