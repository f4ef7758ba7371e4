# The README's commands. Everything installs into .venv from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app wsgi
# make run is a development run: a generated secret key, links to 127.0.0.1:5000, mail and
# rate limits in this one process (production refuses to start without its settings).
DEV := EVENTHUB_CONFIG=config/development.py

.PHONY: install run test lint contracts format translations extract-messages update-messages bench clean

install: $(STAMP) translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Compiled catalogs are built, never committed.
translations: $(STAMP)
	$(BIN)/pybabel compile --statistics -d eventhub/translations

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project eventhub -o eventhub/translations/messages.pot .

update-messages: extract-messages
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i eventhub/translations/messages.pot -d eventhub/translations

# Serve the demo on http://127.0.0.1:5000 with an embedded SQLite database.
run: install
	$(DEV) $(FLASK) db upgrade
	$(DEV) $(FLASK) eventhub demo
	$(DEV) $(FLASK) run --host 127.0.0.1 --port 5000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# axe-core for the browser tests' accessibility checks, at the version the lockfile pins.
AXE := tests/browser/node_modules/axe-core/axe.min.js

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		(cd tests/browser && npm ci --no-audit --no-fund) && touch $@; \
	else \
		echo "npm not found: the browser tests' axe-core checks need Node.js and npm"; \
	fi

# The architecture's contracts (.importlinter: layers, independent formats, acyclic core) and
# the type check of core; docs/architecture.md explains them. tests/test_contracts.py runs
# the same, so a plain pytest sees them too.
contracts: $(STAMP)
	PYTHONPATH=. $(BIN)/lint-imports --no-cache
	$(BIN)/mypy

# ical.js, the calendar parser of Thunderbird and web calendar widgets, for the calendar
# conformance tests (tests/test_calendar_conformance.py), at the version its lockfile pins.
ICALJS := tests/icaljs/node_modules/ical.js/package.json

$(ICALJS): tests/icaljs/package.json tests/icaljs/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		(cd tests/icaljs && npm ci --no-audit --no-fund) && touch $@; \
	else \
		echo "npm not found: the calendar conformance tests need Node.js and npm"; \
	fi

test: install lint contracts $(AXE) $(ICALJS)
	$(BIN)/pytest

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache tests/browser/node_modules tests/icaljs/node_modules test-artifacts
