"""Formats read through programs outside Python: scanned PDF pages and legacy Word ``.doc``.

- A PDF page without a text layer (a scan) is rendered at :data:`OCR_DPI` by ``pdftoppm``
  (Debian ``poppler-utils``) and read by Tesseract with its Vietnamese model (Debian
  ``tesseract-ocr`` and ``tesseract-ocr-vie``), which keeps the diacritics; the page is
  prepared and its words put in reading order by :mod:`index.readers.scan` (red seal ink dropped,
  deskew, the header's two columns read apart).
- A ``.doc`` file is read by ``antiword`` (Debian ``antiword``); when antiword cannot read it
  (a file saved by a newer Word, or not a Word 97-2003 file), by LibreOffice headless
  (``soffice --convert-to txt``, Debian ``libreoffice-writer-nogui``).

``make install`` (and so ``make app`` / ``make test``) installs these packages.  When a program
is missing the reader says which package to install; nothing is downloaded at run time.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.readers.scan import PageText

OCR_DPI = 300
OCR_LANGUAGES = "vie"  # vie+eng lost marks and header fields on every variant measured
TIMEOUT = 300  # seconds for one page or one file

PACKAGES = {"pdftoppm": "poppler-utils", "tesseract": "tesseract-ocr tesseract-ocr-vie",
            "antiword": "antiword", "soffice": "libreoffice-writer-nogui"}


class ToolError(Exception):
    """A program needed for a format is missing or failed; the message says what to do."""


def _need(program: str) -> str:
    found = shutil.which(program)
    if not found:
        raise ToolError(f"{program} is not installed (Debian: apt-get install "
                        f"{PACKAGES[program]}; `make install` does it)")
    return found


def _run(args: list[str], what: str, env: dict | None = None) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(args, capture_output=True, timeout=TIMEOUT, check=False,
                              env={**os.environ, **env} if env else None)
    except subprocess.TimeoutExpired:
        raise ToolError(f"{what} took longer than {TIMEOUT} s") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ToolError(f"{what} failed: {message[-1] if message else done.returncode}")
    return done


@functools.cache
def ocr_languages() -> frozenset[str]:
    """Tesseract's installed models, asked once per process (not once per page)."""
    done = _run([_need("tesseract"), "--list-langs"], "tesseract --list-langs")
    return frozenset(line.strip() for line in done.stdout.decode().splitlines()[1:]
                     if line.strip())


def ocr_pdf_page(path: Path, page: int) -> PageText:
    """Text of page ``page`` (1-based) of the PDF at ``path``, read by OCR
    (:mod:`index.readers.scan`: red channel, deskew, columns read apart).  Tesseract runs on one
    thread: the pages of a document are read side by side instead
    (:func:`index.readers.documents._read_pdf`).  The text carries its lines' boxes
    (:class:`index.readers.scan.PageText`); a signer's name is read a second time on its own
    (:func:`index.readers.scan.second_look`)."""
    import numpy as np
    from PIL import Image

    from index.readers.scan import deskew, ink_image, lay_out
    from index.readers.scan_header import second_look

    pdftoppm, tesseract = _need("pdftoppm"), _need("tesseract")
    if "vie" not in ocr_languages():
        raise ToolError("Tesseract has no Vietnamese model (Debian: apt-get install "
                        "tesseract-ocr-vie)")
    with tempfile.TemporaryDirectory(prefix="tracuu-ocr-") as tmp:
        image = Path(tmp) / "page"
        _run([pdftoppm, "-r", str(OCR_DPI), "-singlefile", "-f", str(page), "-l", str(page),
              str(path), str(image)], f"pdftoppm (page {page})")
        with Image.open(f"{image}.ppm") as rendered:
            grey, angle = deskew(ink_image(np.asarray(rendered.convert("RGB"))))
        prepared = Path(tmp) / "prepared.pgm"
        Image.fromarray(grey).save(prepared)
        done = _run([tesseract, str(prepared), "stdout", "-l", OCR_LANGUAGES, "--psm", "3",
                     "tsv"], f"tesseract (page {page})", env={"OMP_THREAD_LIMIT": "1"})
        text = lay_out(done.stdout.decode("utf-8", "replace"), (grey.shape[1], grey.shape[0]),
                       angle)

        def read_line(box: tuple[int, int, int, int]) -> str:
            crop = Path(tmp) / "line.pgm"
            Image.fromarray(grey).crop(box).save(crop)
            return _run([tesseract, str(crop), "stdout", "-l", OCR_LANGUAGES, "--psm", "7"],
                        f"tesseract (page {page}, a line)", env={"OMP_THREAD_LIMIT": "1"}
                        ).stdout.decode("utf-8", "replace").strip()

        return second_look(text, read_line)


def read_doc(path: Path) -> str:
    """Text of a legacy Word ``.doc`` file: antiword, else LibreOffice headless."""
    errors = []
    if shutil.which("antiword"):
        try:
            done = _run(["antiword", "-w", "0", "-m", "UTF-8.txt", str(path)], "antiword")
            text = done.stdout.decode("utf-8", "replace")
            if text.strip():
                return text
        except ToolError as exc:
            errors.append(str(exc))
    if shutil.which("soffice"):
        with tempfile.TemporaryDirectory(prefix="tracuu-doc-") as tmp:
            _run(["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                  "--convert-to", "txt:Text (encoded):UTF8", "--outdir", tmp, str(path)],
                 "LibreOffice")
            out = Path(tmp) / f"{path.stem}.txt"
            if out.exists():
                return out.read_text(encoding="utf-8-sig", errors="replace")
            errors.append("LibreOffice wrote no text")
    if not errors:
        raise ToolError("no .doc reader installed (Debian: apt-get install antiword, or "
                        "libreoffice-writer-nogui)")
    raise ToolError("; ".join(errors))
