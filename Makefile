# Kenesh: every target creates .venv on first use, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/kenesh demo
	$(BIN)/kenesh serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/python tests/run_suite.py

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

lint: $(STAMP)
	$(BIN)/ruff check server sync forms tests bench migrations
	$(BIN)/lint-imports
	$(BIN)/mypy forms sync

clean:
	rm -rf $(VENV)
