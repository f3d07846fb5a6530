# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_ENTERPRISES ?= 20000
DEMO_OUT ?= demo
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test install lint clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The editable install leaves the package's own modules uncompiled, and where PYTHONDONTWRITEBYTECODE
# is set (as on our CI machines) every command would compile them again: compile them once here.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev,spark]"
	$(BIN)/python -m compileall -q whitelist
	touch $(STAMP)

install: $(STAMP)

# The review pages' end-to-end tests drive Debian's Chromium (Playwright's own browser download
# does not work offline).
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

demo: $(STAMP)
	$(BIN)/whitelist demo --enterprises $(DEMO_ENTERPRISES) --out $(DEMO_OUT)

test: $(STAMP) $(CHROMIUM)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_generate.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .hypothesis
