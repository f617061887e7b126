# Set-up and the two everyday commands.  `make app` and `make test` install what they need
# into .venv on first use (Python 3.11+, CPU-only torch).
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python

.PHONY: app test install eval clean-index

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

app: $(VENV)/.installed
	$(VENV)/bin/streamlit run app.py

test: $(VENV)/.installed
	$(PY) -m pytest
	$(PY) -m eval

eval: $(VENV)/.installed
	$(PY) -m eval

clean-index:
	rm -rf .tracuu/index
