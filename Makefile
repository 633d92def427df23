# Two commands do all the set-up on a fresh machine:
#   make demo   - virtual environment, install, verify a shipped example
#   make test   - the same set-up plus FRR/nftables, Chromium and Graphviz, then lint, type check
#                 and the test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TESTDEPS := $(VENV)/share/erplan-test

.PHONY: demo test setup sysdeps azure-cli testdeps lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/erplan validate examples/g000-fig17-per-circuit-pools.yaml
	$(BIN)/erplan verify examples/g000-fig17-per-circuit-pools.yaml

# FRR, nftables and conntrack for the emulation tests, Chromium and its driver for the report's
# browser tests, Graphviz for the DOT output (root only; those tests are skipped otherwise).
sysdeps:
	@bash scripts/install-sysdeps.sh

# The real azure-cli, in its own environment (.venv-azure): the tests parse the generated az
# command lines with it.
azure-cli:
	@bash scripts/install-azure-cli.sh $(PY)

# Mermaid's parser (its own browser bundle, pinned) for the Mermaid output's test.
testdeps: setup
	@bash scripts/install-mermaid.sh $(TESTDEPS)

lint: setup
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: setup
	$(BIN)/mypy src

pytest: setup
	$(BIN)/pytest -q

test: setup sysdeps azure-cli testdeps lint typecheck pytest

bench: setup
	$(BIN)/python bench/bench_verify.py

clean:
	rm -rf $(VENV) .venv-azure build *.egg-info .pytest_cache .mypy_cache .ruff_cache
