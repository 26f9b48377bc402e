# The two commands of the README: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-unit test-slow typecheck setup lint format worker beat assets bench-groups bench-events bench-newsletter bench-load bench-notify bench-api bench-desk bench-checkin

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

# Embedded default: SQLite, tasks run eagerly, mail printed to the console, demo data loaded.
run: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_ma_data
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# The whole suite. On a laptop it runs on SQLite; with DATABASE_URL and REDIS_URL set it runs
# on PostgreSQL and Redis and includes the real-stack tests (see .ci/run). Two tiers: the unit
# tier in parallel (one test database per pytest-xdist worker), then the real-stack and browser
# tests one at a time (they share a Redis database, Celery workers and one Chromium). pytest
# exits 5 when a tier selects no test, so neither can pass having run nothing.
test: $(STAMP)
	@if command -v npm >/dev/null 2>&1 && [ ! -d node_modules/axe-core ]; then npm ci --no-audit --no-fund --silent || true; fi
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/mypy
	$(MAKE) --no-print-directory test-unit
	$(MAKE) --no-print-directory test-slow

TEST_WORKERS ?= 2

test-unit: $(STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not realstack and not browser"

test-slow: $(STAMP)
	$(BIN)/pytest -m "realstack or browser"

# mypy with django-stubs over services, selectors and policies ([tool.mypy] in pyproject.toml).
typecheck: $(STAMP)
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff format --check . && $(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

# `make worker` takes both queues; `make worker QUEUES=celery` and `make worker QUEUES=bulk` run
# the two kinds of worker of a deployment (see README, Deploying).
QUEUES ?= celery,bulk
worker: $(STAMP)
	$(BIN)/celery -A imc worker -Q $(QUEUES) --loglevel=INFO

beat: $(STAMP)
	$(BIN)/celery -A imc beat --loglevel=INFO

# Copies front-end assets installed from the npm registry into static/vendor (committed).
assets:
	npm ci --no-audit --no-fund
	mkdir -p static/vendor/bootstrap static/vendor/leaflet/images
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js static/vendor/bootstrap/
	cp node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/leaflet.js static/vendor/leaflet/
	cp node_modules/leaflet/dist/images/* static/vendor/leaflet/images/

# Desk benchmark: a district's desk with about 700 groups, the statewide view, the weekly digest,
# on PostgreSQL; see bench/desk/run.py.
bench-desk: $(STAMP)
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/imc_bench_desk} $(BIN)/python bench/desk/run.py

# Groups benchmark at 60 and 6,000 groups (1,000,000 members) on PostgreSQL; see bench/groups/run.py.
bench-groups: $(STAMP)
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/imc_bench_groups} $(BIN)/python bench/groups/run.py

# Events: reminder beat tick and listing at 50,000 events / 2,000,000 reminders and at 1/100.
# Needs DATABASE_URL (PostgreSQL; its events tables are emptied) and optionally REDIS_URL.
bench-events: $(STAMP)
	$(BIN)/python bench/events/run.py

# Newsletter send: the real pipeline (PostgreSQL, Redis, Celery, SMTP) against a plain smtplib loop.
bench-newsletter: $(STAMP)
	$(BIN)/python bench/newsletter/run.py

# The daily notification digest for 6,000 groups: one mail per organizer, under 60 s. Recreates the
# PostgreSQL database imc_bench_notify; publishes to (and flushes) Redis database 5.
bench-notify: $(STAMP)
	$(BIN)/python bench/notify/run.py

# An event's check-in page and attendee CSV at 20 and 2,000 RSVPs: the same query count at both,
# median under 50 ms. Recreates the PostgreSQL database imc_bench_checkin; no Redis.
bench-checkin: $(STAMP)
	$(BIN)/python bench/checkin/run.py

# Load (issues 6 and 16): gunicorn with the production settings, wrk 50 connections x 60 s, on the
# groups benchmark's national-scale database (run bench-groups first): anonymous visitors, the
# one-query baseline and 200 signed-in members; needs wrk (Debian package).
bench-load: $(STAMP)
	@command -v wrk >/dev/null || { echo "bench-load needs wrk: apt-get install wrk"; exit 1; }
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/imc_bench_groups} \
		REDIS_URL=$${BENCH_REDIS_URL:-redis://127.0.0.1:6379/8} $(BIN)/python bench/load/run.py

# The public API (issue 13): events near Lowell and the groups list at 60 and 6,000 groups, rendered
# and answered 304; fails if a goal is missed. Creates (and seeds) imc_bench_api and imc_bench_api_small.
bench-api: $(STAMP)
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/imc_bench_api} $(BIN)/python bench/api/run.py
