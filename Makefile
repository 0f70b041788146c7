PYTHON ?= python3
PIP ?= $(PYTHON) -m pip

.PHONY: install install-tests demo test

install:
	$(PIP) install -q -e .

install-tests:
	$(PIP) install -q -e ".[tests]"

# The main job on generated toy data (CPU, minutes).
demo: install
	$(PYTHON) tools/demo.py

test: install-tests
	$(PYTHON) -m pytest -q tests
