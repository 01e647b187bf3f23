# The two commands of the README: `make demo` and `make test`. Both create the virtual
# environment (.venv) when needed and install the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.mecc-installed

.PHONY: demo test lint bench bench-scale clean preflight validate-haiyan validate-irma screenshot wheelhouse wheelhouse-check

# Preflight (run before the first install): one clear line when Python is missing, too
# old, or lacks its venv module. The checks run in the Python being tested and use only
# syntax old Pythons understand.
PYTHON_FOUND = $(shell $(PYTHON) -c 'import sys; v = sys.version_info; print("%s %d.%d.%d" % ("ok" if v >= (3, 11) else "old", v[0], v[1], v[2]))' 2>/dev/null || echo missing)
VENV_FOUND = $(shell $(PYTHON) -c 'import venv, ensurepip; print("ok")' 2>/dev/null)
NO_PYTHON = mecc needs Python 3.11 or newer: '$(PYTHON)' was not found; install Python or run make PYTHON=/path/to/python3
OLD_PYTHON = mecc needs Python 3.11 or newer: $(PYTHON) is Python $(word 2,$(PYTHON_FOUND)); install a newer one or run make PYTHON=python3.12
NO_VENV = Python's venv module is missing in $(PYTHON): install it (Debian/Ubuntu: apt-get install python3-venv) or use another Python

preflight:
	$(if $(filter missing,$(PYTHON_FOUND)),$(error $(NO_PYTHON)))
	$(if $(filter old,$(firstword $(PYTHON_FOUND))),$(error $(OLD_PYTHON)))
	$(if $(VENV_FOUND),,$(error $(NO_VENV)))
	@echo "preflight: Python $(word 2,$(PYTHON_FOUND)) with venv ($(PYTHON)): ok"

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

# Hurricane Irma (2017): the cyclone generator's peak wind from pressure against the best
# track, and why no choice of Holland's B meets issue 4's 10 % (validation/irma/README.md).
validate-irma: $(STAMP)
	$(BIN)/python validation/irma/irma_check.py ../shared/data/tracks/irma_2017.csv validation-output/irma

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

# Installing without internet (a workshop venue, a USB stick): `make wheelhouse` puts every
# wheel mecc needs into wheelhouse/ (mecc itself and its runtime dependencies, for this
# platform and Python); on the target machine:
#   python -m venv .venv && .venv/bin/python -m pip install --no-index --find-links wheelhouse mecc
# For another platform or Python, e.g. Windows laptops with Python 3.12:
#   make wheelhouse WHEEL_PLATFORM=win_amd64 WHEEL_PYTHON=3.12
WHEELHOUSE ?= wheelhouse
WHEEL_PLATFORM ?=
WHEEL_PYTHON ?=
wheelhouse: $(STAMP)
	rm -rf $(WHEELHOUSE)
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir $(WHEELHOUSE) .
ifeq ($(WHEEL_PLATFORM),)
	$(BIN)/python -m pip wheel --quiet --wheel-dir $(WHEELHOUSE) --find-links $(WHEELHOUSE) $(WHEELHOUSE)/mecc-*.whl
else
	$(BIN)/python -m pip download --quiet --only-binary=:all: --platform $(WHEEL_PLATFORM) \
		$(if $(WHEEL_PYTHON),--python-version $(WHEEL_PYTHON)) --dest $(WHEELHOUSE) $(WHEELHOUSE)/mecc-*.whl
endif
	@echo "$(WHEELHOUSE)/: $$(ls $(WHEELHOUSE) | wc -l) wheels, $$(du -sh $(WHEELHOUSE) | cut -f1)"

# Proves the wheelhouse is complete: a fresh venv installs mecc from it with no index
# (and no pip configuration, so no other wheel source), then runs the demo elsewhere.
CHECK_VENV := build/wheelhouse-venv
wheelhouse-check: wheelhouse preflight
	rm -rf $(CHECK_VENV) build/wheelhouse-demo
	$(PYTHON) -m venv $(CHECK_VENV)
	env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
		$(CHECK_VENV)/bin/python -m pip install --quiet --no-index --find-links $(WHEELHOUSE) mecc
	cd build && ./wheelhouse-venv/bin/mecc --show-versions
	cd build && ./wheelhouse-venv/bin/python -m mecc demo --out wheelhouse-demo
	rm -rf build/wheelhouse-demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) demo-output validation-output build wheelhouse *.egg-info .pytest_cache .ruff_cache .hypothesis
