# The README's two commands are `make site` (or `make serve`) and `make test`; each sets up what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed
export NO_MKDOCS_2_WARNING := 1

.PHONY: site serve test test-fast lint bench clean browser check

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

$(NODE_INSTALLED): package.json package-lock.json
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	touch $@

site: $(INSTALLED)
	$(BIN)/mkdocs build --strict --site-dir site
	@echo "site built: site/index.html"

serve: $(INSTALLED)
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

check: $(INSTALLED)
	$(BIN)/opsbook check

browser:
	@command -v chromium >/dev/null 2>&1 || scripts/install-chromium.sh

test: $(INSTALLED) $(NODE_INSTALLED) browser
	$(BIN)/python -m pytest

test-fast: $(INSTALLED)
	$(BIN)/python -m pytest --ignore=tests/site

lint: $(INSTALLED)
	$(BIN)/ruff check tooling tests scripts
	$(BIN)/ruff format --check tooling tests scripts
	$(BIN)/mypy

$(VENV)/.bench-installed: $(INSTALLED)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	touch $@

bench: $(VENV)/.bench-installed
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python scripts/bench.py

clean:
	rm -rf site build reports .cache .pytest_cache .mypy_cache .ruff_cache
