# Two commands for a fresh clone (see README):  make book   |   make test
# Everything runs inside .venv, created on first use, with the versions pinned in constraints.txt
# (`make lock` rewrites it from .venv). `make test-latest` runs the unit tests against the newest
# releases instead, in .venv-latest, to find Colab-style breakage early.

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
# The known-good versions of everything but torch (written by `make lock`, used when present);
# `make setup CONSTRAINTS=` installs without them (e.g. on a Python they were not locked on).
CONSTRAINTS ?= constraints.txt
VENV_LATEST ?= .venv-latest
NOTEBOOKS := $(shell find chapters -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort)
export TQDM_DISABLE ?= 1
export PYTHONHASHSEED ?= 0
# The course's models are small: one BLAS/OpenMP thread per process avoids thread-pool spinning,
# and the test steps use both cores with two worker processes instead (pytest-xdist).
export OMP_NUM_THREADS ?= 1
WORKERS ?= 2

.PHONY: setup book test lint unit nbval pairs build execute sync clean timed lock test-latest lab
.PHONY: assignments student-notebooks colab browser browser-deps pin-colab results-page release-check

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.txt tools/pyproject.toml $(wildcard $(CONSTRAINTS))
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then \
	  echo "GPU found: torch comes from PyPI with the rest"; \
	else \
	  echo "No GPU: installing the CPU build torch==$(TORCH_VERSION) first"; \
	  $(PY) -m pip install --quiet "torch==$(TORCH_VERSION)" $(TORCH_PIP_ARGS); \
	fi
	$(PY) -m pip install --quiet $(if $(wildcard $(CONSTRAINTS)),-c $(CONSTRAINTS)) -e ".[dev]" -e ./tools
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	@touch $@

# Pin the working .venv for the next clone: every installed release but torch (installed first,
# above, as TORCH_VERSION) and the editable course_lib / course-tools. Commit constraints.txt.
# requirements.txt and pyproject.toml keep lower bounds only (what Colab needs).
lock: $(STAMP)
	@{ echo "# Known-good versions for \`make setup\` (pip install -c constraints.txt): written by \`make lock\`"; \
	  echo "# from a working .venv (Python $$($(PY) -c 'import platform; print(platform.python_version())')). torch is not here: the Makefile installs"; \
	  echo "# torch==$(TORCH_VERSION) first. Lower bounds only in requirements.txt / pyproject.toml (Colab)."; \
	  $(PY) -m pip freeze --exclude-editable | grep -viE '^(-e |torch([=@ ]|$$))'; \
	} > $(CONSTRAINTS).tmp
	@mv $(CONSTRAINTS).tmp $(CONSTRAINTS)
	@touch $(STAMP)   # .venv is exactly what the new file pins
	@echo "$(CONSTRAINTS): $$(grep -vc '^#' $(CONSTRAINTS)) pinned releases"

# The unit tests against the newest releases of every dependency (no constraints.txt), in their
# own venv: what a Colab runtime or a fresh `pip install` may meet next month. torch stays the
# CPU build TORCH_VERSION, installed first; everything else is upgraded on every run.
# LATEST_TESTS narrows the run, e.g. `make test-latest LATEST_TESTS=tests/test_audio.py`.
LATEST_TESTS ?= tests
test-latest:
	@test -x $(VENV_LATEST)/bin/python || python3 -m venv $(VENV_LATEST)
	$(VENV_LATEST)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_LATEST)/bin/python -m pip install --quiet "torch==$(TORCH_VERSION)" $(TORCH_PIP_ARGS)
	echo "torch==$(TORCH_VERSION)" > $(VENV_LATEST)/torch-pin.txt
	$(VENV_LATEST)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager \
	  -c $(VENV_LATEST)/torch-pin.txt -e ".[dev]" -e ./tools
	@echo "newest releases under test:" $$($(VENV_LATEST)/bin/python -m pip freeze --exclude-editable \
	  | grep -iE '^(torch|numpy|scipy|matplotlib|ipywidgets|scikit-learn|jupytext|pytest)==' || true)
	$(VENV_LATEST)/bin/python -m pytest $(LATEST_TESTS) -q -n $(WORKERS)

book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Website built: open $(CURDIR)/_build/html/index.html"

# ---- make test: every step timed -------------------------------------------------
test: $(STAMP)
	@start=$$(date +%s); \
	for step in lint unit nbval pairs build $(CLASSROOM_STEPS); do \
	  t0=$$(date +%s); echo "=== $$step ==="; \
	  $(MAKE) --no-print-directory $$step; \
	  echo "=== $$step: $$(( $$(date +%s) - t0 )) s ==="; \
	done; \
	echo "=== make test: all steps passed in $$(( $$(date +%s) - start )) s ==="

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check course_lib tools tests benchmarks

unit: $(STAMP)
	$(PY) -m pytest tests -q -n $(WORKERS)

# Two workers sometimes start their kernels at the same instant and one dies before it answers
# (jupyter_client: "Kernel died before replying to kernel_info"). Only then is the run repeated
# once; a notebook that fails for any other reason fails the step.
NBVAL_CMD = $(PY) -m pytest -n $(WORKERS) --dist loadscope --nbval-lax --nbval-current-env \
	  --nbval-cell-timeout=900 --nbval-sanitize-with chapters/nbval_sanitize.cfg \
	  --durations=0 -p no:cacheprovider $(NOTEBOOKS)
nbval: $(STAMP)
	@log=$$(mktemp); \
	if $(NBVAL_CMD) 2>&1 | tee $$log; then rm -f $$log; exit 0; fi; \
	if grep -q "Kernel died before replying to kernel_info" $$log; then \
	  rm -f $$log; echo "a kernel died at start-up: running the notebooks once more"; $(NBVAL_CMD); \
	else rm -f $$log; exit 1; fi

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

# ---- Classroom, Colab and website (issue 9): steps of `make test` after `build` ----------
CLASSROOM_STEPS ?= assignments colab browser
BROWSER_NPM := _build/browser/npm
# The CDN packages the built pages load, installed locally for the offline browser test.
BROWSER_NPM_PACKAGES := mathjax@3.2.2 requirejs@2.3.4 @jupyter-widgets/html-manager@1.0.6

# Student notebooks up to date; every instructor notebook 100 %, every student one 0 %
# (graded in subprocesses, exactly as `python -m tools.grading FOLDER` does for a teacher).
# The teacher tooling lives in tools/ (its own small distribution, course-tools), not in course_lib.
assignments: $(STAMP)
	$(PY) -m tools.assignments build --check
	$(PY) -m tools.assignments selftest

# Open the course (chapters, assignments) in JupyterLab, with the kernel and libraries of .venv.
# JupyterLab is installed into .venv on first use only (within constraints.txt), so that
# `make setup` and CI stay lean. Options go through LAB_ARGS, e.g. LAB_ARGS="--no-browser --port 8890".
LAB_ARGS ?=
lab: $(STAMP)
	@$(PY) -c "import jupyterlab" 2>/dev/null || { echo "installing jupyterlab into $(VENV) (first use)"; \
	  $(PY) -m pip install --quiet $(if $(wildcard $(CONSTRAINTS)),-c $(CONSTRAINTS)) jupyterlab; }
	$(BIN)/jupyter lab $(LAB_ARGS)

# Regenerate the student notebooks after editing an instructor notebook (assignments/*.py).
student-notebooks: $(STAMP)
	$(BIN)/jupytext --sync --quiet assignments/*.ipynb
	$(PY) -m tools.assignments build

# A Colab-like venv in this clone's $(COLAB_VENV) (git-ignored; rebuilt when Colab's pinned list,
# pyproject.toml or the Python changes) runs every notebook of _toc.yml after its first cell
# installed course_lib, downloading FSDD, checkpoints and result tables from a local HTTP server
# (see tests/test_colab.py). COLAB_FULL=1 runs every notebook to the end (longer than 8 min).
COLAB_VENV ?= .venv-colab
COLAB_FULL ?=
colab: $(STAMP)
	COURSE_COLAB_SIM=1 COURSE_COLAB_VENV="$(COLAB_VENV)" COURSE_COLAB_FULL="$(COLAB_FULL)" \
	  TORCH_PIP_ARGS="$(TORCH_PIP_ARGS)" \
	  $(PY) -m pytest tests/test_colab.py -k simulation -q -s -p no:cacheprovider

# Regenerate the Results appendix from benchmarks/results/*.md (a unit test checks it is current).
results-page: $(STAMP)
	$(PY) -m tools.results

# Rewrite the Colab install line of every notebook to course_lib/release.py's INSTALL_SPEC (and,
# in the assignments, the course-tools line to its TOOLS_INSTALL_SPEC; in the teacher's guide,
# the Colab links to its tag), then rebuild the student notebooks from the re-pinned instructor
# notebooks.
pin-colab: $(STAMP)
	$(PY) -m tools.assignments pin-colab
	$(PY) -m tools.assignments build

# Before publishing a release: the tag v<VERSION> of course_lib/release.py must exist and point
# at HEAD, with nothing uncommitted and every notebook pinned to it. Never creates or moves a tag.
RELEASE_PIN_CHECK ?= $(PY) -m tools.assignments pin-colab --check
release-check:
	@version=$$($(PY) -c 'from course_lib.release import VERSION; print(VERSION)'); tag="v$$version"; \
	head=$$(git rev-parse HEAD); \
	if ! git diff --quiet HEAD --; then \
	  echo "release-check: uncommitted changes; commit them first: the tag $$tag must hold what is published"; exit 1; \
	fi; \
	if ! $(RELEASE_PIN_CHECK) >/dev/null; then \
	  echo "release-check: some notebooks are not pinned to $$tag: run \`make pin-colab\` and commit"; exit 1; \
	fi; \
	if ! target=$$(git rev-parse -q --verify "refs/tags/$$tag^{commit}"); then \
	  echo "release-check: tag $$tag does not exist. Create it on the commit being published (HEAD) and push it:"; \
	  echo "  git tag -a $$tag -m 'Release $$version' && git push origin $$tag"; exit 1; \
	fi; \
	if [ "$$target" != "$$head" ]; then \
	  echo "release-check: tag $$tag points at $$target, not at HEAD ($$head)."; \
	  echo "  A published tag is never moved: set a new VERSION in course_lib/release.py (and tools/__init__.py),"; \
	  echo "  run \`make pin-colab\`, commit, then: git tag -a v<new version> -m 'Release <new version>' && git push origin v<new version>"; \
	  exit 1; \
	fi; \
	echo "release-check: tag $$tag points at HEAD ($$head); every notebook installs course_lib from it"

# Headless Chromium over the built site (run `make build` first). Installs Debian's chromium
# and chromium-driver when missing (needs root and apt-get), and the CDN packages from npm.
browser-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium and chromium-driver (Debian)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  fi; \
	fi
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v npm >/dev/null \
	  && [ ! -f $(BROWSER_NPM)/.installed ]; then \
	  mkdir -p $(BROWSER_NPM)/node_modules && cd $(BROWSER_NPM) && \
	  for p in $(BROWSER_NPM_PACKAGES); do \
	    tgz=$$(npm pack --silent "$$p" 2>/dev/null | tail -1); name=$${p%@*}; \
	    mkdir -p "node_modules/$$name" && tar -xzf "$$tgz" -C "node_modules/$$name" --strip-components=1 && rm "$$tgz"; \
	  done && touch .installed; \
	fi

browser: $(STAMP) browser-deps
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v npm >/dev/null; then \
	  echo "SKIPPED browser test: chromium, chromium-driver or npm missing and apt-get unavailable (not root?)"; \
	else \
	  test -f _build/html/index.html || $(MAKE) --no-print-directory build; \
	  COURSE_BROWSER_TEST=1 $(PY) -m pytest tests/test_website.py -q -p no:cacheprovider; \
	  echo "screenshots: $(CURDIR)/_build/browser/screenshots/"; \
	fi
