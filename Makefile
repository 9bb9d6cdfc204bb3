# Two commands from a fresh clone: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)

.PHONY: install run test test-fast lint format bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || PYTHON=$(PYTHON) VENV=$(VENV) scripts/prepare-test-machine.sh venv
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

# The whole service on the embedded default: SQLite under instance/, no Redis, demo data.
run: install
	env -u REDIS_URL -u DATABASE_URL $(BIN)/publisher db upgrade
	env -u REDIS_URL -u DATABASE_URL $(BIN)/publisher seed --demo
	env -u REDIS_URL -u DATABASE_URL $(BIN)/publisher serve --host 127.0.0.1 --port 5000

# Every test: unit, integration (real PostgreSQL and Redis), browser (Debian's chromium).
# scripts/prepare-test-machine.sh first installs and starts what is missing (as root) or
# stops with the command to run; on a ready machine it does nothing.
test:
	@PYTHON=$(PYTHON) VENV=$(VENV) scripts/prepare-test-machine.sh
	@$(MAKE) --no-print-directory install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not browser and not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/feed.py
	$(BIN)/python bench/bulletins.py
	$(BIN)/python bench/plan.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
