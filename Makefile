# Two commands: `make demo` (the main job) and `make test` (the project's tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint build install clean bench mutants

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed" if sys.version_info < (3, 11) else 0)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/atomgpt demo

test: $(STAMP)
	$(BIN)/ruff check autograder tests source_lib bench
	$(BIN)/python -m pytest

build: $(STAMP)
	$(BIN)/atomgpt build

bench: $(STAMP)
	$(BIN)/python bench/autograde.py --n 200

mutants: $(STAMP)
	$(BIN)/python bench/mutants.py

clean:
	rm -rf $(VENV) course demo
