# Zibo Skills Online — make help lists the targets.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# The embedded default: DEBUG on, SQLite, in-memory cache and channel layer, local media/.
DEV := DJANGO_DEBUG=$${DJANGO_DEBUG:-1}
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install run serve migrate seed test test-fast lint format check messages clean fuzz

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $@

install: $(BIN)/.installed ## Create .venv and install the pinned dependencies

migrate: install ## Apply database migrations
	$(DEV) $(BIN)/python manage.py migrate --noinput

seed: migrate ## Load the demo data (idempotent)
	$(DEV) $(BIN)/python manage.py seed_demo

run: seed ## Install, migrate, seed and serve http://127.0.0.1:8000 (HTTP and WebSockets)
	@echo ""
	@echo "  Zibo Skills Online is starting on http://$(HOST):$(PORT)/"
	@echo "    site        http://$(HOST):$(PORT)/"
	@echo "    courses     http://$(HOST):$(PORT)/courses/"
	@echo "    CMS admin   http://$(HOST):$(PORT)/admin/"
	@echo "    API docs    http://$(HOST):$(PORT)/api/docs/"
	@echo "    health      http://$(HOST):$(PORT)/healthz"
	@echo "  Logins are listed above (demo / demo12345 is the learner). Ctrl-C stops."
	@echo ""
	$(DEV) $(BIN)/daphne -b $(HOST) -p $(PORT) config.asgi:application

test: install ## Run the test suite (SQLite and in-memory parts unless DATABASE_URL / REDIS_URL are set)
	@# pytest exits 5 when it collected no test: that is a failure here, never a pass.
	@$(DEV) $(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "make test: pytest ran no test; failing." >&2; fi; exit $$rc

lint: install ## ruff check and format check, and the import layers (import-linter, docs/architecture.md)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install ## Fix what ruff can fix and format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install ## Django system checks, missing migrations, and a valid OpenAPI schema
	$(DEV) $(BIN)/python manage.py check --fail-level WARNING
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(DEV) $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

# The long fuzz run: every operation of /api/schema/ as learner, institution, auditor and anonymous,
# on a throwaway demo database (tests/fuzz/run.py). FUZZ_ARGS adds options, e.g. --seed 42 --keep.
FUZZ_EXAMPLES ?= 100
fuzz: install ## Fuzz the API with schemathesis (4 passes, at least 10,000 cases; fails on a 5xx or a schema violation)
	$(BIN)/python tests/fuzz/run.py --max-examples $(FUZZ_EXAMPLES) --min-cases 10000 --timeout 3600 $(FUZZ_ARGS)

messages: install ## Update the English catalog from the sources, then compile it (needs GNU gettext)
	$(DEV) $(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=bench --ignore=tests --ignore=static/vendor
	$(DEV) $(BIN)/python manage.py compilemessages -l en --ignore=.venv

clean: ## Remove the virtualenv, the SQLite database and local media
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm media staticfiles .pytest_cache .ruff_cache
