# Two entry points for a fresh machine: `make chat` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: chat web test lint validate eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

chat: $(STAMP)
	$(BIN)/helpbot chat

# axe-core for the browser accessibility test and the Teams manifest schemas, pinned in
# tests/browser/package-lock.json.
# Without npm those tests skip and say why.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/browser --no-audit --no-fund --silent && touch $(AXE); \
	else echo "npm not found: the accessibility and Teams manifest tests will be skipped"; fi

web: $(STAMP)
	$(BIN)/helpbot web

test: $(STAMP) $(AXE)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check bot tests
	$(BIN)/ruff format --check bot tests

validate: $(STAMP)
	$(BIN)/helpbot validate

eval: $(STAMP)
	$(BIN)/helpbot eval tests/data/eval.yaml

bench: $(STAMP)
	$(BIN)/helpbot bench

clean:
	rm -rf tests/browser/node_modules $(VENV) *.egg-info .pytest_cache .ruff_cache helpbot.db
