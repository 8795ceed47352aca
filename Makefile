# kapcare: `make run` brings up the demo clinic, `make test` runs every test.
VENV := .venv
PY := $(VENV)/bin/python
KAPCARE := $(VENV)/bin/kapcare
PYTHON ?= $(shell bin/find-python)
ADDRESS ?= 127.0.0.1:8000

.PHONY: run test test-fast bench lint venv clean

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { bin/find-python; exit 1; }
	@echo "Creating $(VENV) with $(PYTHON)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

run: venv
	@KAPCARE_DEMO_MODE=true $(KAPCARE) migrate --no-input -v 0
	@KAPCARE_DEMO_MODE=true $(KAPCARE) demo
	@KAPCARE_DEMO_MODE=true $(KAPCARE) serve $(ADDRESS)

test: venv
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-fast: venv
	$(PY) -m pytest -q -m "not e2e" $(PYTEST_ARGS)

bench: venv
	$(PY) -m bench

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) var
