# Cast gateway. `make run` needs only Python 3.11+; `make test` also installs the servers the tests start.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
CONFIG ?= config/local.toml
UPSTREAM_PORT ?= 8081

.PHONY: run venv test test-deps bench clean

$(RUN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(TEST_STAMP): $(RUN_STAMP)
	$(PY) -m pip install -q -e '.[test]'
	touch $@

venv: $(RUN_STAMP)

run: $(RUN_STAMP)
	$(VENV)/bin/cast-gateway --config $(CONFIG) demo --upstream-port $(UPSTREAM_PORT)

test-deps:
	bash scripts/install-test-deps.sh

# pytest exits 5 when it collected no tests: that must fail, not pass quietly.
test: $(TEST_STAMP) test-deps
	$(PY) -m pytest -q -ra; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc

bench: $(TEST_STAMP)
	$(PY) bench/gateway_call.py

clean:
	rm -rf $(VENV) var build *.egg-info
