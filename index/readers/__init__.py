"""Reading source files: ``documents`` (.txt, .docx, .pdf, .html into ``Document`` records),
``sources`` (the files of folders, a BEIR corpus), ``external`` (programs outside Python: OCR,
antiword), ``scan`` (a scanned page laid out as a Party letter; ``scan_header``: its header
read again and repaired; ``scan_regions``: where its lines lie) and ``metadata`` (the header
of a Party document)."""
