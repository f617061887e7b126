"""Reading source files: ``documents`` (.txt, .docx, .pdf, .html and the corpus formats into
``Document`` records), ``external`` (programs outside Python: OCR, antiword), ``scan`` (a
scanned page laid out as a Party letter) and ``metadata`` (the header of a Party document)."""
