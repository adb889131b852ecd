# IP Handheld: `make run` serves the app with demo data; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export PICCOLO_CONF := backend.piccolo_conf
IPH_HOST ?= 127.0.0.1
IPH_PORT ?= 8000
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: install install-test install-lint run run-scale setup test test-faults test-profiles test-browser lint format messages compile-messages bench browser-deps font-deps nginx-deps clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "uv==$(UV_VERSION)"

# The venv follows the lock: each stamp is remade whenever uv.lock or pyproject.toml changes.
# `install` is what the app needs to run ([project] dependencies only); `install-test` and
# `install-lint` add their dependency groups from the same lock. --inexact: no sync removes
# what another added, so `make run` after `make test` keeps the test tools.
SYNC := UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --frozen --inexact

$(VENV)/.installed-app: uv.lock pyproject.toml | $(BIN)/uv
	$(SYNC) --no-default-groups
	touch $@

$(VENV)/.installed-test: uv.lock pyproject.toml | $(BIN)/uv
	$(SYNC) --no-default-groups --group test
	touch $@

$(VENV)/.installed-lint: uv.lock pyproject.toml | $(BIN)/uv
	$(SYNC) --only-group lint
	touch $@

install: $(VENV)/.installed-app
install-test: $(VENV)/.installed-test
install-lint: $(VENV)/.installed-lint

compile-messages: install
	$(BIN)/pybabel compile --statistics -d locales -D messages 2>&1 | tail -n 3

setup: compile-messages
	$(BIN)/litestar --app backend.app:app iph setup

run: setup font-deps
	@echo "Serving on http://$(IPH_HOST):$(IPH_PORT) (Ctrl-C to stop)"
	$(BIN)/uvicorn backend.app:app --host $(IPH_HOST) --port $(IPH_PORT) --no-access-log

# The scale profile (README "Deployment (scale profile)"): migrate, write the static files nginx
# serves, then IPH_WORKERS web workers (default: one a core) at IPH_PORT, IPH_PORT+1, … and one
# queue worker, on IPH_DATABASE_URL / IPH_REDIS_URL (default: this machine's PostgreSQL and
# Redis). Ctrl-C or SIGTERM stops them all, each finishing what it is doing.
run-scale: compile-messages font-deps
	deploy/run-scale.sh

# Debian's Chromium for the browser tests, installed when missing and we are root.
browser-deps:
	@if [ -x "$${IPH_CHROMIUM:-/usr/bin/chromium}" ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get install -y --no-install-recommends chromium || (apt-get update && apt-get install -y --no-install-recommends chromium)) >/tmp/iph-apt.log 2>&1 \
	    || { tail -n 20 /tmp/iph-apt.log; exit 1; }; \
	else echo "chromium missing and not root: browser tests will be skipped (set IPH_CHROMIUM)"; fi

# Debian's fonts-wqy-microhei (Apache-2.0): Chinese and Latin in one font, of which each
# e-certificate PDF embeds a subset (docs/decisions/certificates.md). Installed when missing and
# we are root.
CERTIFICATE_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
font-deps:
	@if [ -f "$(CERTIFICATE_FONT)" ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's fonts-wqy-microhei for the certificate PDFs"; \
	  (apt-get install -y --no-install-recommends fonts-wqy-microhei || (apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei)) >/tmp/iph-apt.log 2>&1 \
	    || { tail -n 20 /tmp/iph-apt.log; exit 1; }; \
	else echo "$(CERTIFICATE_FONT) missing and not root: certificate PDFs will fail (apt-get install fonts-wqy-microhei)"; fi

# Debian's nginx and its brotli_static module, for tests/deploy (deploy/nginx/iph.conf in front
# of two workers). Installed when missing and we are root.
NGINX_BROTLI_STATIC := /usr/lib/nginx/modules/ngx_http_brotli_static_module.so
nginx-deps:
	@if [ -x "$${IPH_NGINX:-/usr/sbin/nginx}" ] && [ -f "$(NGINX_BROTLI_STATIC)" ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's nginx and libnginx-mod-http-brotli-static for tests/deploy"; \
	  (apt-get install -y --no-install-recommends nginx libnginx-mod-http-brotli-static || (apt-get update && apt-get install -y --no-install-recommends nginx libnginx-mod-http-brotli-static)) >/tmp/iph-apt.log 2>&1 \
	    || { tail -n 20 /tmp/iph-apt.log; exit 1; }; \
	else echo "nginx or its brotli_static module missing and not root: tests/deploy will be skipped"; fi

# Default suite on SQLite + file stores, then the database/store suite on PostgreSQL + Redis,
# each in TEST_WORKERS pytest-xdist workers (each its own var dir, database, Redis namespace,
# live server and Chromium). A file's tests stay together on one worker (--dist loadfile), in
# collection order (--no-loadscope-reorder: tests/browser, the longest, is handed out first).
# TEST_WORKERS=0 runs serially; one file: .venv/bin/pytest -p no:cacheprovider -q tests/x.py
# --durations: the slowest tests in CI's log, to see what keeps it under (or over) 20 minutes.
TEST_WORKERS ?= 3
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=15
test: compile-messages install-test browser-deps font-deps nginx-deps
	$(BIN)/python -m backend.core.catalogs check
	$(BIN)/pytest -p no:cacheprovider -q $(PYTEST_PARALLEL) -m "not faults"
	IPH_TEST_DATABASE_URL=$(TEST_POSTGRES_URL) IPH_TEST_REDIS_URL=$(TEST_REDIS_URL) \
	  $(BIN)/pytest -p no:cacheprovider -q $(PYTEST_PARALLEL) -m profiles
	$(MAKE) --no-print-directory test-faults

# The scale profile under faults (tests/faults): its own PostgreSQL, Redis, web and queue
# workers on loopback, one cluster for the whole run, serially (the kills and restarts are timed).
test-faults: install-test
	$(BIN)/pytest -p no:cacheprovider -q -m faults tests/faults

lint: install-lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-lint
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ -k gettext -k ngettext:1,2 \
	  --no-location --sort-output --project "IP Handheld" -o locales/messages.pot .
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --width 100
	$(BIN)/python -m backend.core.catalogs fill
	$(MAKE) compile-messages

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache
