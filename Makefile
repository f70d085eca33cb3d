# mmsde: `make demo` trains on the bundled synthetic benchmark, `make test` runs the tests.
# Both install the environment first when needed (tools/install.sh).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mmsde-installed
PYTEST_ARGS ?=

.PHONY: install demo test test-fast clean-venv

install: $(STAMP)

$(STAMP): tools/install.sh setup.py requirements/build.txt requirements/runtime.txt requirements/optional.txt requirements/tests.txt
	PYTHON=$(PYTHON) VENV=$(VENV) bash tools/install.sh

demo: $(STAMP)
	$(PY) tools/demo.py

test: $(STAMP)
	$(PY) -m pytest tests $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest tests -m "not slow" $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)
