# mmsde: `make demo` trains on the bundled synthetic benchmark, `make test` runs the tests.
# Both install the environment first when needed (tools/install.sh): the light
# install (no compiled mmcv ops, no MMDetection) is enough for training, testing,
# k-fold, pictures and export; `make install-faces` adds the face tools, and
# `make test` needs them. `make docs` builds the documentation site
# (docs/en/) into docs/_build/html with warnings as errors, installing
# requirements/docs.txt into the venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mmsde-installed
FACES_STAMP := $(VENV)/.mmsde-faces-installed
DOCS_STAMP := $(VENV)/.mmsde-docs-installed
REQUIREMENTS := setup.py requirements/build.txt requirements/runtime.txt requirements/optional.txt
PYTEST_ARGS ?=

.PHONY: install install-faces demo test test-fast docs clean-venv

install: $(STAMP)

install-faces: $(FACES_STAMP)

$(STAMP): tools/install.sh $(REQUIREMENTS)
	PYTHON=$(PYTHON) VENV=$(VENV) bash tools/install.sh

$(FACES_STAMP): tools/install.sh $(REQUIREMENTS) requirements/faces.txt requirements/demo.txt requirements/tests.txt
	PYTHON=$(PYTHON) VENV=$(VENV) bash tools/install.sh --faces

demo: $(STAMP)
	$(PY) tools/demo.py

test: $(FACES_STAMP)
	$(PY) -m pytest tests $(PYTEST_ARGS)

test-fast: $(FACES_STAMP)
	$(PY) -m pytest tests -m "not slow" $(PYTEST_ARGS)

$(DOCS_STAMP): $(STAMP) requirements/docs.txt
	$(PY) -m pip install -r requirements/docs.txt
	touch $@

# -E: a fresh environment, so that warnings of unchanged pages show again
docs: $(DOCS_STAMP)
	$(PY) -m sphinx -E -W --keep-going -b html docs/en docs/_build/html

clean-venv:
	rm -rf $(VENV)
