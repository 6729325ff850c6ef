# pt-tui developer entry points. The first use of any target creates .venv and installs
# the project (editable) with its dev extras.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench wheel-check clean help

help:
	@echo "make demo   - run the engine demo on the bundled sample codebase"
	@echo "make test   - run the test suite"
	@echo "make lint   - ruff, mypy (core, sandbox) and import-linter contracts"
	@echo "make bench  - print engine benchmark figures"
	@echo "make clean  - remove .venv and caches"

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pt-tui demo

test: $(STAMP)
	$(BIN)/python -m pytest -n auto

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	tools/lint-view.sh >/dev/null
	MYPYPATH=build/lint-view $(BIN)/mypy -p pt_tui.core -p pt_tui.sandbox
	cd build/lint-view && ../../$(BIN)/lint-imports --config ../../pyproject.toml --no-cache

bench: $(STAMP)
	$(BIN)/python benchmarks/engine.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
