# lanshan-aid developer commands. Everything runs from a virtual environment in .venv,
# created on first use with $(PYTHON) (3.11 or newer).
#
#   make demo              system packages, install, migrate, demo data, then web + worker + beat
#   make test              system packages, install with test extras, the whole pytest suite
#   make lint              ruff check
#   make format            ruff format (rewrites files)
#   make migrations-check  fails when a model change has no migration
#   make bench             python bench/run.py, when the project has one
#   make mutate            mutation testing of the rule core on PostgreSQL (docs/testing.md);
#                          GROUPS="calendar trail" picks groups, MUTATE_ARGS="--resume" continues
#   make clean             caches, collected static files, broker folders (keeps .venv, the demo database)
#   make distclean         clean, plus .venv and var/ (the demo database and broker folders)
#
# Variables: PYTHON (interpreter that creates .venv), PYTEST_ARGS (extra pytest arguments,
# e.g. make test PYTEST_ARGS="-m 'not browser' -x"), SKIP_SYSTEM_DEPS=1 (skip the apt step),
# GROUPS and MUTATE_ARGS (make mutate), DATABASE_URL (the PostgreSQL server make mutate uses),
# TEST_WORKERS (pytest-xdist processes for make test; default 2, 0 for one process).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
GROUPS ?=
MUTATE_ARGS ?=
# Two test processes by default (pytest-xdist), one per core of the CI machine. Each has its
# own databases, Redis keys and folders. --dist load keeps collection order: the transactional
# tests (browser journeys, live server) end by flushing the database, rows loaded by migrations
# included, so they must stay last in each process as pytest-django orders them (with
# --dist loadfile they ran mid-queue and 800 later tests failed). Measured on 2026-12-08 on the
# idle 2-core machine: 3,763 tests in 21 min with two processes (their summed times: 38 min).
# TEST_WORKERS=0 runs everything in this one process.
TEST_WORKERS ?= 2

export PIP_DISABLE_PIP_VERSION_CHECK := 1

# The editable install is redone only when pyproject.toml changes (or .venv is new): the stamp
# files carry the file's hash in their names and live inside .venv.
PYPROJECT_HASH := $(shell sha256sum pyproject.toml 2>/dev/null | cut -c1-16)
STAMP_BASE := $(VENV)/.installed-base-$(PYPROJECT_HASH)
STAMP_TEST := $(VENV)/.installed-test-$(PYPROJECT_HASH)
STAMP_MUTATION := $(VENV)/.installed-mutation-$(PYPROJECT_HASH)

.PHONY: help system-deps venv install install-test install-mutation demo test lint format \
        migrations-check bench mutate clean distclean

help:
	@sed -n 's/^#   //p' $(MAKEFILE_LIST)

system-deps:
	@bash scripts/install-system-deps.sh

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "lanshan-aid needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1)." \
	         "Run: make PYTHON=python3.11 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

venv: $(PY)

$(STAMP_BASE): | $(PY)
	@echo "Installing lanshan-aid into $(VENV) ..."
	$(PY) -m pip install --quiet --quiet -e .
	@rm -f $(VENV)/.installed-base-*
	@touch $@

$(STAMP_TEST): | $(PY)
	@echo "Installing lanshan-aid with test extras into $(VENV) ..."
	$(PY) -m pip install --quiet --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-base-* $(VENV)/.installed-test-*
	@touch $@ $(STAMP_BASE)

$(STAMP_MUTATION): | $(PY)
	@echo "Installing lanshan-aid with test and mutation extras into $(VENV) ..."
	$(PY) -m pip install --quiet --quiet -e '.[test,mutation]'
	@rm -f $(VENV)/.installed-base-* $(VENV)/.installed-test-* $(VENV)/.installed-mutation-*
	@touch $@ $(STAMP_TEST) $(STAMP_BASE)

install: system-deps $(STAMP_BASE)

install-test: system-deps $(STAMP_TEST)

install-mutation: system-deps $(STAMP_MUTATION)

demo: install
	@bash scripts/demo.sh

test: install-test
	@rc=0; $(PY) -m pytest -n $(TEST_WORKERS) --dist load $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: treating that as a failure." >&2; fi; \
	exit $$rc

lint: install-test
	$(VENV)/bin/ruff check .

format: install-test
	$(VENV)/bin/ruff format .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

bench: install-test
	@if [ -f bench/run.py ]; then $(PY) bench/run.py; else echo "No bench/run.py yet: nothing to run."; fi

# Mutants and their scratch copies of the tree go to var/mutation/<group>/ (git-ignored).
mutate: install-mutation
	$(PY) scripts/mutate.py --groups "$(GROUPS)" $(MUTATE_ARGS)

clean:
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache staticfiles var/celery-broker var/celerybeat-schedule* var/mutation

distclean: clean
	rm -rf $(VENV) var
