# Calmline: `make run` and `make test` are all a new user needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export FLASK_APP := wsgi

.PHONY: run test install setup bench lint clean

run: setup  ## install, migrate, sync articles, seed demo users, serve on :8000
	@echo ""
	@echo "  Calmline is starting at http://127.0.0.1:$(PORT)"
	@$(BIN)/flask seed demo
	@echo ""
	PORT=$(PORT) $(BIN)/honcho start -f Procfile

test: install  ## the whole suite on SQLite, and again on PostgreSQL when TEST_DATABASE_URL is set
	@bash scripts/ensure-chromium
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL: $$TEST_DATABASE_URL"; \
		$(BIN)/python -m pytest; \
	fi

install: $(VENV)/.installed  ## create .venv and install pinned dependencies (idempotent)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: install
	$(BIN)/flask db upgrade
	$(BIN)/flask kb sync
	$(BIN)/flask search reindex

bench: install  ## benchmarks -> bench/results.json
	$(BIN)/python bench/run.py

lint: install
	$(BIN)/ruff check portal tests bench

clean:
	rm -rf $(VENV) .pytest_cache bench/.work
