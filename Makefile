# Two commands on a fresh Debian 12 clone: `make run` (the demo) and `make test` (the suite).
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
# Most tests wait on real processes (kiosks, servers, browsers), so workers are kept busy: one
# per core and one more, whose tests run while the others wait. On the 2-core machine the
# suite took 14 min with two workers and 12 with three (2026-12-03).
PYTEST_ARGS ?= -n $(shell echo $$(( $$(nproc) + 1 ))) --dist worksteal

.PHONY: run test lint bench soak screenshots install system-run system-test clean

run: install
	$(BIN)/dorfhub demo --serve

test: install system-test lint
	xvfb-run -a -s "-screen 0 1280x720x24 +extension GLX" $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/oplog.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/sensors.py
	xvfb-run -a -s "-screen 0 1920x1080x24 +extension GLX" $(BIN)/python bench/kiosk.py
	$(BIN)/python bench/booking.py
	$(BIN)/python bench/desk.py
	$(BIN)/python bench/cap_warnings.py

# Not part of test or bench: a 10-minute soak run that fails only on correctness (lost or
# duplicated ops, nodes apart), never on timings (bench/README.md, "Soak run").
# `make soak SOAK_ARGS=--quick` is a one-minute smoke run.
soak: install
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

# The desk's pictures in docs/screenshots (README.md), taken from a fresh demo in chromium.
screenshots: install system-test
	$(BIN)/python -m tests.desk.screenshots

install: $(STAMP)

$(STAMP): pyproject.toml | system-run
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

system-run:
	@packaging/ensure-system-packages run

system-test:
	@packaging/ensure-system-packages test

clean:
	rm -rf $(VENV) demo-data .pytest_cache .mypy_cache .ruff_cache .hypothesis
