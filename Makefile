# coopld: `make run` builds and serves, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run build test check lint typecheck bench golden clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: install, build the dataset into dist/ and serve it on http://127.0.0.1:5000/
run: $(STAMP)
	$(BIN)/coopld serve --build

build: $(STAMP)
	$(BIN)/coopld build

## browser: Debian's Chromium for the browser tests (needs root or sudo; never downloads a browser)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

## test: install everything the tests need, then run the whole suite
test: $(STAMP) browser
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

## bench: the benchmark (bench/README.md); installs Debian's wrk as its load generator when it
## can, else the Python one is used. Options: make bench BENCH_ARGS="--scale 100000 --duration 5"
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null; fi; } \
	  || echo "wrk is not installed: the benchmark uses its Python load generator"
	$(BIN)/python -m bench $(BENCH_ARGS)

golden: $(STAMP)
	$(BIN)/python -m tests.regenerate_golden

clean:
	rm -rf dist build .pytest_cache .mypy_cache .ruff_cache
