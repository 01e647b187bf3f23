# The two commands of the README: `make demo` and `make test`. Both create the virtual
# environment (.venv) when needed and install the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.mecc-installed

.PHONY: demo test lint bench bench-scale clean preflight validate-haiyan screenshot

preflight:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "mecc needs Python 3.11 or newer; found " + sys.version.split()[0])'
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { echo "Python's venv module is missing: install it (Debian/Ubuntu: apt-get install python3-venv)"; exit 1; }

$(STAMP): pyproject.toml | preflight
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mecc demo --out demo-output --overwrite

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

# Dask: overhead on the bench country, and a 60,000 x 60,000 mosaic with capped workers
bench-scale: $(STAMP)
	$(BIN)/python bench/scale.py

# Typhoon Haiyan (2013) validation: census grid, wind field, run, evaluation against the
# observed totally damaged houses (validation/haiyan/README.md); needs ../shared/data.
validate-haiyan: $(STAMP)
	MECC="$(CURDIR)/$(BIN)/mecc" bash validation/haiyan/reproduce.sh ../shared/data/philippines_haiyan validation-output/haiyan
	cp validation-output/haiyan/evaluation/scatter.png validation/haiyan/scatter.png
	$(BIN)/python validation/haiyan/readme_table.py validation-output/haiyan/evaluation/evaluation.json

# The README's picture of the demo map (docs/map.png): Debian's chromium, headless,
# with the page opened from disk (the map needs no network).
CHROMIUM ?= chromium
screenshot: $(STAMP)
	$(BIN)/mecc demo --out demo-output --overwrite
	mkdir -p docs
	rm -rf demo-output/.chromium
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir=demo-output/.chromium --window-size=1200,800 --hide-scrollbars \
		--virtual-time-budget=5000 --screenshot=docs/map.png \
		"file://$(CURDIR)/demo-output/run/map.html" 2>/dev/null
	rm -rf demo-output/.chromium
	@$(PYTHON) -c 'import os, sys; size = os.path.getsize("docs/map.png"); print(f"docs/map.png: {size // 1024} KB"); sys.exit(size > 300 * 1024)'

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) demo-output validation-output build *.egg-info .pytest_cache .ruff_cache .hypothesis
