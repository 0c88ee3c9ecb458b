# Abonent: `make run` serves the demo, `make test` runs every test. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
DEMO_PASSWORD ?=

.PHONY: install run test test-sqlite test-postgres test-e2e lint typecheck messages clean

$(BIN)/abonent: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/abonent

## Serve the whole system with demo data on the embedded SQLite database.
run: install
	ABONENT_DEMO=1 $(BIN)/abonent migrate --noinput
	ABONENT_DEMO=1 $(BIN)/abonent demo $(if $(DEMO_PASSWORD),--password $(DEMO_PASSWORD))
	ABONENT_DEMO=1 $(BIN)/abonent serve --bind $(HOST)

## The whole test suite: lint, SQLite, PostgreSQL, browser.
test: install
	scripts/test

test-sqlite: install
	scripts/test sqlite

test-postgres: install
	scripts/test postgres

test-e2e: install
	scripts/test e2e

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	ABONENT_TESTING=1 $(BIN)/mypy abonent

messages: install
	scripts/messages

clean:
	rm -rf $(VENV) var test-artifacts *.egg-info
