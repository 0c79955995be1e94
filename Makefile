# make run    set up (once) and start the app
# make test   set up (once), lint, type-check and run every test (unit and app tests in
#             parallel, then the browser tests one at a time)
# make test-fast  unit and app tests only, in parallel (the inner loop; no lint, no browser)
# make docs   regenerate the README's pictures in docs/ (browser tests, the paper's Figure 4)
# make bench  set up (once) and run the benchmarks
# make checkpoints  train the shipped checkpoints (needs VAE_DATA_ROOT for MNIST and Frey)

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_DIRS := $(wildcard tests/unit tests/app tests/e2e)

.PHONY: setup run test test-fast lint docs bench checkpoints

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $(STAMP)

run: setup
	$(BIN)/streamlit run app.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -n auto $(filter-out tests/e2e,$(TEST_DIRS))
	$(BIN)/python -m pytest $(filter tests/e2e,$(TEST_DIRS))

test-fast: setup
	$(BIN)/python -m pytest -n auto tests/unit tests/app

docs: setup
	VAE_WRITE_DOCS=1 $(BIN)/python -m pytest -m docs tests/e2e
	$(BIN)/python scripts/reproduce_paper.py figure4

bench: setup
	$(BIN)/python -m bench

checkpoints: setup
	PYTHON=$(BIN)/python bash scripts/train_checkpoints.sh
