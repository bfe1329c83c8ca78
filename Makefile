# Two entry points for a fresh machine: `make chat` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: chat test lint validate eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

chat: $(STAMP)
	$(BIN)/helpbot chat

test: $(STAMP)
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
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache helpbot.db
