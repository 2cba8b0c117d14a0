# The two commands of the README: `make demo` and `make test`. Each does every set-up
# step a fresh machine needs (venv, Debian packages, the local stack) and skips what
# is already done.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Go lives in /usr/local/go on the project's machines; the S3 server is built with it.
export PATH := $(PATH):/usr/local/go/bin

.PHONY: demo test unit lint types up down status venv system-deps

demo: venv system-deps up
	$(BIN)/inkstream demo

# PYTEST_ARGS: e.g. `make test PYTEST_ARGS="tests/ops -x"`.
test: venv system-deps up
	$(BIN)/pytest $(PYTEST_ARGS)

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11+ is needed (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# compat: the repository root goes on sys.path, so pytest's tests/<pkg> folders (which
	# mirror the package names) can never shadow the real packages.
	$(BIN)/pip install -q -e '.[dev]' --config-settings editable_mode=compat
	touch $@

system-deps:
	@bash ops/stack/system-deps.sh

# The tests that need no running stack (no Kafka, S3 or Prometheus): minutes, not a
# quarter of an hour; no `inkstream up`. Chromium still comes from system-deps.
unit: venv system-deps
	$(BIN)/pytest -m "not stack" $(PYTEST_ARGS)

# Static checks, no stack and no Debian packages: ruff ([tool.ruff]) and mypy ([tool.mypy],
# strict on inkstream/, schemas/, streams/runtime/), both configured in pyproject.toml.
lint: venv
	$(BIN)/ruff check .

types: venv
	$(BIN)/mypy

# `up` only when the stack is not already healthy (a running stack is left alone).
up: venv
	@$(BIN)/inkstream status >/dev/null 2>&1 || $(BIN)/inkstream up

down:
	$(BIN)/inkstream down

status:
	$(BIN)/inkstream status
