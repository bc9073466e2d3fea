# litscope: `make demo` sets up and runs the workflow on the embedded sample (offline);
# `make test` sets up and runs the tests. Everything either needs is installed here.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: demo test check compat lab site bench e2e clean help
.DEFAULT_GOAL := help

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-6s %s\n", $$1, $$2}'

# One stamp per set of extras; re-installs when pyproject.toml changes.
$(VENV)/.installed-%: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing litscope[$*] into $(VENV) ..."
	@$(PIP) --upgrade pip
	@$(PIP) -e '.[$*]'
	@touch $@

demo: $(VENV)/.installed-notebook  ## set up, then run the workflow on the embedded sample
	@test -x $(BIN)/quarto || timeout 120 $(PIP) -e '.[publish]' 2>/dev/null \
		|| echo "Quarto could not be installed (litscope[publish]); the website's pages are written, not rendered."
	@$(BIN)/litscope demo

test: $(VENV)/.installed-dev  ## set up, then run the tests (the full suite CI runs)
	@$(BIN)/python -m pytest -q

check: $(VENV)/.installed-dev  ## the fast tier of the tests: all but those marked slow (< 60 s)
	@$(BIN)/python -m pytest -q -m "not slow"

# litscope.compat's tests on every Python 3.10-3.13 found here (pyenv's or on PATH), each in
# a small venv of its own with only what litscope.compat reaches into.
COMPAT_PYTHONS ?= $(foreach v,3.10 3.11 3.12 3.13,$(firstword $(wildcard $(HOME)/.pyenv/versions/$(v).*/bin/python$(v)) $(shell command -v python$(v))))
compat:  ## test the private APIs litscope.compat uses on each Python 3.10-3.13 found
	@for py in $(COMPAT_PYTHONS); do \
		v=$$($$py -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
		test -x .venv-compat-$$v/bin/python || $$py -m venv .venv-compat-$$v; \
		.venv-compat-$$v/bin/python -m pip install --quiet --disable-pip-version-check \
			'numba>=0.60' 'pyarrow>=14' 'arxiv>=4.0' 'httpx>=0.28' 'lxml>=5' 'pytest>=8' \
		&& .venv-compat-$$v/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e . \
		&& echo "Python $$v:" && .venv-compat-$$v/bin/python -m pytest -q -p no:cacheprovider --noconftest \
			tests/test_compat.py -k "not keep_the_deadline" || exit 1; \
	done

lab: $(VENV)/.installed-notebook  ## open the notebooks in JupyterLab
	@$(BIN)/jupyter lab notebooks/

site: $(VENV)/.installed-notebook  ## render the review website with Quarto (notebooks as last saved)
	@$(BIN)/litscope publish --render

e2e: $(VENV)/.installed-dev $(VENV)/.installed-e2e  ## headless Chromium: the Explorer in JupyterLab, the rendered website
	@tests/e2e/ensure_chromium.sh
	@LITSCOPE_E2E=1 $(BIN)/python -m pytest -q tests/e2e
	@echo "Screenshots of the Explorer in JupyterLab and of the website's pages: tests/e2e/artifacts/"

bench: $(VENV)/.installed-bench $(VENV)/.installed-embeddings  ## run the benchmarks, write benchmarks/RESULTS.md
	@$(BIN)/python benchmarks/run.py

# The sentence-transformers backend for the library benchmark. PyTorch's CPU build first:
# a plain 'torch' would pull a CUDA build of several GB.
$(VENV)/.installed-embeddings: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing PyTorch (CPU) and litscope[sentence-transformers] into $(VENV) ..."
	@$(PIP) 'torch==2.13.0' && $(PIP) -e '.[sentence-transformers]' \
		|| echo "sentence-transformers could not be installed: the benchmark measures WordLlama only."
	@touch $@

clean:  ## remove the venv and generated outputs
	rm -rf $(VENV) .venv-compat-* data curated digests exports _site _freeze .quarto .pytest_cache
