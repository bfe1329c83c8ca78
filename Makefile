# Two entry points for a fresh machine: `make chat` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: chat web test lint validate eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list or the compiled part (setup.py) changes.
$(STAMP): pyproject.toml setup.py bot/core/_overlap.c | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The bot's own bytecode, as pip writes it for every installed package: an editable
# install has none, and where Python may not write it (PYTHONDONTWRITEBYTECODE, a
# read-only checkout) every command compiled bot/ from source, a tenth of its start.
# Stale files are only slower: Python compiles a changed module again itself.
BYTECODE := $(VENV)/.bytecode
$(BYTECODE): $(STAMP) $(shell find bot -name '*.py')
	$(BIN)/python -m compileall -q bot
	touch $(BYTECODE)

chat: $(BYTECODE)
	$(BIN)/helpbot chat

# axe-core for the browser accessibility test and the Teams manifest schemas, pinned in
# tests/browser/package-lock.json.
# Without npm those tests skip and say why.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/browser --no-audit --no-fund --silent && touch $(AXE); \
	else echo "npm not found: the accessibility and Teams manifest tests will be skipped"; fi

web: $(BYTECODE)
	$(BIN)/helpbot web

test: $(BYTECODE) $(AXE)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check bot tests
	$(BIN)/ruff format --check bot tests

validate: $(STAMP)
	$(BIN)/helpbot validate

eval: $(STAMP)
	$(BIN)/helpbot eval tests/data/eval.yaml

bench: $(BYTECODE)
	$(BIN)/helpbot bench

clean:
	rm -rf tests/browser/node_modules $(VENV) *.egg-info .pytest_cache .ruff_cache helpbot.db
	find bot -name __pycache__ -prune -exec rm -rf {} +
