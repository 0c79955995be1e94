# make run    set up the app's packages (once) and start the app
# make test   set up (once, with the test tools), lint, type-check and run every test (unit and app tests in
#             parallel, then the browser tests one at a time)
# make test-fast  unit and app tests only, in parallel (the inner loop; no lint, no browser)
# make docs   regenerate the README's pictures in docs/ (browser tests, the paper's Figure 4)
# make bench  set up (once) and run the benchmarks
# make checkpoints  train the shipped checkpoints (needs VAE_DATA_ROOT for MNIST and Frey)

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
APP_STAMP := $(VENV)/.installed-app
DEV_STAMP := $(VENV)/.installed-dev
PIP := $(BIN)/python -m pip install --disable-pip-version-check -q
TEST_DIRS := $(wildcard tests/unit tests/app tests/e2e)

.PHONY: setup setup-app run test test-fast lint docs bench checkpoints

# setup-app: what the app needs (requirements.txt); setup: that plus the test and lint tools.
setup-app: $(APP_STAMP)
setup: $(DEV_STAMP)

$(VENV)/bin/python:
	@echo "==> Creating the virtual environment $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)

$(APP_STAMP): requirements.txt | $(VENV)/bin/python
	@echo "==> Installing the app's packages from requirements.txt into $(VENV)"
	@echo "    (the first time this downloads torch and friends, about 1 GB: a few minutes)"
	$(PIP) -r requirements.txt
	@touch $(APP_STAMP)
	@echo "==> App packages installed"

$(DEV_STAMP): requirements.txt requirements-dev.txt $(APP_STAMP)
	@echo "==> Installing the test and lint tools from requirements-dev.txt into $(VENV)"
	$(PIP) -r requirements-dev.txt
	@touch $(DEV_STAMP)
	@echo "==> Test and lint tools installed"

run: setup-app
	@echo "==> Starting the app: http://localhost:8501 (Ctrl+C stops it)"
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
