# pt-tui developer entry points. The first use of any target creates .venv and installs
# the project (editable) with its dev extras.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench wheel-check clean help plugins screenshots

help:
	@echo "make demo   - open the dashboard on the bundled sample codebase (pt-tui --demo)"
	@echo "make screenshots - regenerate the dashboard SVGs in screenshots/ from the real app"
	@echo "make test   - run the test suite"
	@echo "make lint   - ruff, mypy (core, sandbox) and import-linter contracts"
	@echo "make bench  - print engine benchmark figures"
	@echo "make plugins - build the example plugins (WAT always; C and Rust when their toolchains exist)"
	@echo "make clean  - remove .venv and caches"

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pt-tui --demo

screenshots: $(STAMP)
	$(BIN)/python tools/screenshots.py

test: $(STAMP) plugins
	$(BIN)/python -m pytest -n auto

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	tools/lint-view.sh >/dev/null
	MYPYPATH=build/lint-view $(BIN)/mypy -p pt_tui.core -p pt_tui.sandbox
	cd build/lint-view && ../../$(BIN)/lint-imports --config ../../pyproject.toml --no-cache

bench: $(STAMP)
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/incremental.py
	$(BIN)/python benchmarks/snapshot.py
	$(BIN)/python benchmarks/plugins.py
	$(BIN)/python benchmarks/tui.py

# The .wasm of every example is committed (the demo needs no toolchain); this rebuilds them and
# the host .so builds of the C and Rust examples (sdk/build-plugins.sh says which toolchain it skips).
plugins: $(STAMP)
	sdk/build-plugins.sh $(BIN)/python

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
