# Set-up and the two everyday commands.  `make app` and `make test` install what they need
# into .venv on first use (Python 3.11+, CPU-only torch).
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
# Debian packages for scanned PDFs (OCR in Vietnamese) and legacy .doc files; the OCR test
# draws its scan with the DejaVu font; the browser test drives Debian's chromium
DEBIAN_PACKAGES = tesseract-ocr tesseract-ocr-vie poppler-utils antiword \
                  libreoffice-writer-nogui fonts-dejavu-core chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: app test install system eval clean-index

# installs the Debian packages only when one of their programs (or the Vietnamese OCR model)
# is missing
system:
	@if command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx vie \
	    && command -v pdftoppm >/dev/null && command -v antiword >/dev/null \
	    && command -v soffice >/dev/null && command -v chromium >/dev/null \
	    && [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then :; \
	elif command -v apt-get >/dev/null; then \
	    echo "Installing $(DEBIAN_PACKAGES)"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install \
	        -y -qq --no-install-recommends $(DEBIAN_PACKAGES) >/dev/null; \
	else echo "warning: install $(DEBIAN_PACKAGES) for OCR and .doc files" >&2; fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -c "from search.page import vietnamese_shell; vietnamese_shell()"  # <html lang="vi">
	touch $@

install: system $(VENV)/.installed

# sign-in is on: the very first start makes an admin and prints its one-time password
app: system $(VENV)/.installed
	@[ "$$TRACUU_AUTH" = off ] || $(PY) -m index users init
	@$(PY) -c "from search.page import vietnamese_shell; vietnamese_shell()"
	$(VENV)/bin/streamlit run app.py

test: system $(VENV)/.installed
	$(PY) -m pytest
	$(PY) -m eval

eval: $(VENV)/.installed
	$(PY) -m eval

clean-index:
	rm -rf .tracuu/index
