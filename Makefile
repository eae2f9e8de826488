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
	$(DEV) $(BIN)/python manage.py createcachetable

seed: migrate ## Load the demo data (idempotent)
	$(DEV) $(BIN)/python manage.py seed_demo

# The WeChat end in the embedded default: unless WECHAT_APP_ID is set (even to nothing, which
# keeps WeChat off), make run starts the stand-in of WeChat's servers (wechat/standin.py) on
# STANDIN_PORT and points the platform at it, with template ids so that notifications are sent.
STANDIN_PORT ?= $(shell echo $$(($(PORT) + 1)))
STANDIN := http://$(HOST):$(STANDIN_PORT)/
WECHAT_STANDIN_ENV := WECHAT_APP_ID=wx-standin WECHAT_APP_SECRET=standin-secret \
	WECHAT_TOKEN=zibo-dev-token WECHAT_API_BASE_URL=$(STANDIN) WECHAT_OPEN_BASE_URL=$(STANDIN) \
	WECHAT_TEMPLATE_ASSIGNMENT=demo-assignment WECHAT_TEMPLATE_DUE_SOON=demo-due-soon \
	WECHAT_TEMPLATE_COURSE_COMPLETED=demo-course-completed \
	WECHAT_TEMPLATE_CERTIFICATE_ISSUED=demo-certificate-issued \
	WECHAT_TEMPLATE_SUBSIDY_DECIDED=demo-subsidy-decided \
	WECHAT_TEMPLATE_CLASS_OPENED=demo-class-opened
# Background work in make run: the database task backend and its worker (db_worker), as in
# production; and a loop that plays production's timers (docs/wechat.md): re-sending WeChat
# notifications whose retry is due, and the "due in 3 days" reminders.
SEND_DUE_SECONDS ?= 60
# The fraud scan of yesterday and today (docs/integrity.md): production runs it from a timer;
# make run scans once at start and then every FRAUD_SCAN_SECONDS.
FRAUD_SCAN_SECONDS ?= 3600
# With the database task backend, make run puts back tasks whose worker died (manage.py
# tasks_recover) before the worker starts and then every TASKS_RECOVER_SECONDS.
TASKS_RECOVER_SECONDS ?= 300

run: seed ## Install, migrate, seed and serve http://127.0.0.1:8000 (HTTP and WebSockets), with a WeChat stand-in
	@pids=""; \
	trap 'kill $$pids 2>/dev/null; wait 2>/dev/null' EXIT; trap 'exit 130' INT TERM HUP; \
	export SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}"; \
	wechat="off (WECHAT_APP_ID is empty)"; \
	if [ -z "$${WECHAT_APP_ID+set}" ]; then \
	  export $(WECHAT_STANDIN_ENV); \
	  $(BIN)/python -m wechat.standin --host $(HOST) --port $(STANDIN_PORT) & pids="$$pids $$!"; \
	  wechat="the stand-in of WeChat's servers, $(STANDIN)"; \
	elif [ -n "$$WECHAT_APP_ID" ]; then wechat="$$WECHAT_APP_ID, $${WECHAT_API_BASE_URL:-WeChat}"; fi; \
	if [ -n "$$WECHAT_APP_ID" ]; then \
	  ( trap 'kill $$nap 2>/dev/null; exit 0' TERM; while :; do sleep $(SEND_DUE_SECONDS) & nap=$$!; wait $$nap; \
	    $(DEV) $(BIN)/python manage.py wechat_send_due >/dev/null || true; \
	    $(DEV) $(BIN)/python manage.py wechat_remind_due >/dev/null || true; done ) & \
	  pids="$$pids $$!"; \
	fi; \
	( trap 'kill $$nap 2>/dev/null; exit 0' TERM; while :; do \
	    $(DEV) $(BIN)/python manage.py fraud_scan >/dev/null || true; \
	    sleep $(FRAUD_SCAN_SECONDS) & nap=$$!; wait $$nap; done ) & \
	pids="$$pids $$!"; \
	export TASKS_BACKEND="$${TASKS_BACKEND:-django_tasks_db.DatabaseBackend}"; \
	case "$$TASKS_BACKEND" in *DatabaseBackend) \
	  $(DEV) $(BIN)/python manage.py tasks_recover >/dev/null || true; \
	  $(DEV) $(BIN)/python manage.py db_worker --no-reload & pids="$$pids $$!"; \
	  ( trap 'kill $$nap 2>/dev/null; exit 0' TERM; while :; do sleep $(TASKS_RECOVER_SECONDS) & nap=$$!; wait $$nap; \
	    $(DEV) $(BIN)/python manage.py tasks_recover >/dev/null || true; done ) & \
	  pids="$$pids $$!";; \
	esac; \
	echo ""; \
	echo "  Zibo Skills Online is starting on http://$(HOST):$(PORT)/"; \
	echo "    site        http://$(HOST):$(PORT)/"; \
	echo "    courses     http://$(HOST):$(PORT)/courses/"; \
	echo "    CMS admin   http://$(HOST):$(PORT)/admin/"; \
	echo "    API docs    http://$(HOST):$(PORT)/api/docs/"; \
	echo "    health      http://$(HOST):$(PORT)/healthz"; \
	echo "    五单式      http://$(HOST):$(PORT)/demand/ (提单)  /orders/offers/ (列单, bureau)  /orders/classes/ (选单)"; \
	echo "    evaluation  http://$(HOST):$(PORT)/evaluation/ (bureau)   certificates: /me/archive/ → 查验 / PDF"; \
	echo "    reports     http://$(HOST):$(PORT)/reports/ (bureau, auditor, district)   tasks: /reports/tasks/ (bureau)"; \
	echo "    review      http://$(HOST):$(PORT)/integrity/cases/ (复核队列)   失信记录: /integrity/records/   audit: /audit/?log=actions"; \
	echo "    tasks       http://$(HOST):$(PORT)/ops/tasks/ (后台任务, bureau)"; \
	echo "    WeChat      http://$(HOST):$(PORT)/wechat/simulator/  (simulator of the official account)"; \
	echo "                WeChat end: $$wechat"; \
	echo "  Logins are listed above (demo / demo12345 is the learner). Ctrl-C stops."; \
	echo ""; \
	$(DEV) $(BIN)/daphne -b $(HOST) -p $(PORT) config.asgi:application & pids="$$pids $$!"; \
	wait $$!

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

messages: install ## Update the English catalog from the sources, then compile it and the hand-kept zh_Hans one (needs GNU gettext)
	$(DEV) $(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=bench --ignore=tests --ignore=static/vendor
	$(DEV) $(BIN)/python manage.py compilemessages -l en -l zh_Hans --ignore=.venv

clean: ## Remove the virtualenv, the SQLite database and local media
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm media private staticfiles .pytest_cache .ruff_cache
