# Two commands for a fresh clone (see README):  make book   |   make test
# Everything runs inside .venv, created on first use.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_VERSION ?= 2.13.0
# Extra pip arguments for the CPU torch wheel, e.g. on a laptop without a GPU:
#   make book TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
TORCH_PIP_ARGS ?=
NOTEBOOKS := $(shell find chapters -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort)
export TQDM_DISABLE ?= 1
export PYTHONHASHSEED ?= 0

.PHONY: setup book test lint unit nbval pairs build execute sync clean timed

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then \
	  echo "GPU found: torch comes from PyPI with the rest"; \
	else \
	  echo "No GPU: installing the CPU build torch==$(TORCH_VERSION) first"; \
	  $(PY) -m pip install --quiet "torch==$(TORCH_VERSION)" $(TORCH_PIP_ARGS); \
	fi
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	@touch $@

book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Website built: open $(CURDIR)/_build/html/index.html"

# ---- make test: every step timed -------------------------------------------------
test: $(STAMP)
	@start=$$(date +%s); \
	for step in lint unit nbval pairs build; do \
	  t0=$$(date +%s); echo "=== $$step ==="; \
	  $(MAKE) --no-print-directory $$step; \
	  echo "=== $$step: $$(( $$(date +%s) - t0 )) s ==="; \
	done; \
	echo "=== make test: all steps passed in $$(( $$(date +%s) - start )) s ==="

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check course_lib tests benchmarks

unit: $(STAMP)
	$(PY) -m pytest tests -q

nbval: $(STAMP)
	$(PY) -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=900 \
	  --nbval-sanitize-with chapters/nbval_sanitize.cfg \
	  --durations=0 -p no:cacheprovider $(NOTEBOOKS)

# Each notebook must have its py:percent pair, and the two must agree: sync them, then
# fail if that changed any file (the committed pair was out of date).
pairs: $(STAMP)
	@for nb in $(NOTEBOOKS); do test -f "$${nb%.ipynb}.py" || { echo "missing pair for $$nb"; exit 1; }; done
	$(BIN)/jupytext --sync --quiet $(NOTEBOOKS)
	git diff --exit-code --stat -- chapters

build: book

# Re-execute notebooks in place (all, or NB=path/to/nb.ipynb) after editing; commit the outputs.
execute: $(STAMP)
	@for nb in $(or $(NB),$(NOTEBOOKS)); do \
	  echo "executing $$nb"; t0=$$(date +%s); \
	  $(BIN)/jupytext --sync --quiet "$$nb"; \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=900 --ExecutePreprocessor.kernel_name=python3 "$$nb"; \
	  $(BIN)/jupytext --sync --quiet "$$nb"; \
	  echo "$$nb: $$(( $$(date +%s) - t0 )) s"; \
	done

# Create the .ipynb from an edited .py (or the other way round) without executing.
sync: $(STAMP)
	$(BIN)/jupytext --sync $(or $(NB),$(NOTEBOOKS))

clean:
	rm -rf _build .pytest_cache
