# `make run` serves the site, `make test` runs lint and the suite; both set everything up first.
PYTHON ?= python3
PORT ?= 8000
# runserver and the worker build absolute links from it when SITE_URL is unset (coalition/links.py).
export PORT
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# axe-core for the browser tests' accessibility checks, pinned in package-lock.json.
AXE := node_modules/axe-core/axe.min.js

.PHONY: run test setup system-deps lint format clean browser-deps bench bench-quick faults stack

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

# The letter's PDF (coalition/letter.py) is laid out by WeasyPrint, which needs Pango from the
# system (and HarfBuzz's subsetter, to embed only the letters used), and its names in Greek, Cyrillic or Arabic need a font that has them (DejaVu Sans).
# Debian's packages are installed where they are missing and we are root; otherwise we say what
# to install (the site runs without them, and its PDF answers 503 saying so).
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
# The pictures (the wall's PNG, the share card: coalition/images/fonts.py) draw in DejaVu too,
# Indic, Thai, Burmese and Ethiopic names in Noto, Chinese, Japanese and Korean names in Droid Sans
# Fallback, emoji in Noto Color Emoji.
PICTURE_FONTS := fonts-noto-core fonts-droid-fallback fonts-noto-color-emoji

system-deps:
	@missing=""; \
	libraries=$$( (ldconfig -p || /sbin/ldconfig -p) 2>/dev/null ); \
	echo "$$libraries" | grep -q 'libpango-1\.0\.so\.0' || missing="$$missing libpango-1.0-0"; \
	echo "$$libraries" | grep -q 'libpangoft2-1\.0\.so\.0' || missing="$$missing libpangoft2-1.0-0"; \
	echo "$$libraries" | grep -q 'libharfbuzz-subset\.so\.0' || missing="$$missing libharfbuzz-subset0"; \
	{ fc-list 2>/dev/null | grep -q 'DejaVuSans\.ttf' || [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; } \
		|| missing="$$missing fonts-dejavu-core"; \
	[ -f /usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf ] || missing="$$missing fonts-noto-core"; \
	[ -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] || missing="$$missing fonts-droid-fallback"; \
	[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing="$$missing fonts-noto-color-emoji"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing$$missing for the letter's PDF (WeasyPrint) and the pictures' names"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_PACKAGES) $(PICTURE_FONTS); \
	else \
		echo "NOTE: the letter's PDF and the pictures need$$missing (WeasyPrint's Pango, fonts for" \
			"Greek, Cyrillic, Arabic, Indic, Thai, Chinese names and emoji). On Debian or Ubuntu:" \
			"sudo apt-get install $(PDF_PACKAGES) $(PICTURE_FONTS)."; \
		echo "      Until then /campaigns/<slug>/letter.pdf answers 503 and its tests fail."; \
	fi

setup: $(STAMP) system-deps
	$(PY) manage.py compile_catalogs
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_reference_data
	$(PY) manage.py seed_demo
	$(PY) manage.py ensure_superuser
	$(PY) manage.py signing_key create

# The worker sends the mail (and does the other background work) beside the web server and
# stops with it: on Ctrl-C, on a signal, or when runserver cannot start.
run: setup
	@echo ""
	@echo "  Site:  http://127.0.0.1:$(PORT)/"
	@echo "  Admin: http://127.0.0.1:$(PORT)/admin/"
	@echo ""
	@# Without Redis, runserver and the worker share a cache in files (CACHE_DIR), so that what
	@# the worker changes (a launch, an import) shows on the pages runserver has cached.
	if [ -z "$$REDIS_URL" ]; then export CACHE_DIR="$${CACHE_DIR:-$(CURDIR)/var/cache}"; fi; \
	$(PY) manage.py worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; trap 'exit 130' INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# The production topology on this machine (deploy/stack.sh): Varnish on PORT in front of gunicorn
# (on PORT + 1) and the worker, against DATABASE_URL and REDIS_URL when set, else SQLite. Needs
# Debian's varnish and varnish-modules.
stack: setup
	PY=$(PY) deploy/stack.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

$(AXE): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --ignore-scripts --no-audit --no-fund && touch $(AXE); \
	else \
		echo "NOTE: npm not found: the accessibility (axe) browser tests will be skipped."; \
	fi

browser-deps: $(AXE)
	@test -x "$${CHROMIUM:-/usr/bin/chromium}" || echo "NOTE: no Chromium at $${CHROMIUM:-/usr/bin/chromium}: the browser tests will be skipped (apt-get install chromium)."

test: setup lint browser-deps
	$(VENV)/bin/pytest

# Load benchmark through Varnish and straight from gunicorn: starts (and stops) its own PostgreSQL,
# Redis, gunicorn, worker, Varnish and nginx on 127.0.0.1; installs wrk, varnish, varnish-modules
# and nginx with apt-get when missing. bench: every figure (~10 min); bench-quick: CI's gate.
bench: $(STAMP)
	$(PY) -m bench

bench-quick: $(STAMP)
	$(PY) -m bench --quick

# Fault and load tests: private PostgreSQL, Redis and gunicorn, broken on purpose.
faults: $(STAMP)
	FAULT_TESTS=1 $(VENV)/bin/pytest tests/stack/test_faults.py tests/stack/test_load.py

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles .pytest_cache .ruff_cache node_modules
