"""Reading source files into :class:`Document` records.

Supported: ``.txt`` and ``.md`` (markdown emphasis markers removed, offsets refer to the cleaned
text), ``.docx`` (python-docx), ``.pdf`` (pypdf for the text layer; pages without one - scans -
through Tesseract OCR in Vietnamese), legacy ``.doc`` (antiword or LibreOffice), ``.html``/``.htm``,
and BEIR ``corpus.jsonl`` files (one document per row: ``_id``, ``title``, ``text``).  The
programs behind OCR and ``.doc`` are in :mod:`index.readers.external`.

A file that cannot be read raises :class:`DocumentError` with the file and the reason; callers
(:func:`read_sources`) report it on one line and go on with the other files.

Input is bounded (:class:`Limits`, each settable by an environment variable): a file over a
limit is refused on one line naming the file and the limit, before its content is read or
unpacked, so that no input (a zip bomb in a .docx, a PDF of 100,000 blank pages, a 200 MB text)
can take the memory or the hours of a build.  Control characters other than newline and tab are
removed from every text (they could rewrite a terminal that prints it); a symbolic link in a
source folder is skipped with a line unless links are followed (``--follow-links``).
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from index.readers.metadata import parse_metadata

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
SUFFIXES = TEXT_SUFFIXES | {".docx", ".doc", ".pdf", ".html", ".htm", ".jsonl"}
_MIN_PAGE_CHARS = 20  # a page with fewer letters and digits than this has no text layer
MB = 2**20


@dataclass(frozen=True)
class Limits:
    """What one source file may hold (environment variable: default)."""

    file_bytes: int = 200 * MB  # TRACUU_MAX_FILE_MB: 200, any file on disk
    text_bytes: int = 20 * MB  # TRACUU_MAX_TEXT_MB: 20, a .txt, .md or .html file
    unzipped_bytes: int = 100 * MB  # TRACUU_MAX_UNZIPPED_MB: 100, the parts of a .docx together
    pdf_pages: int = 2000  # TRACUU_MAX_PDF_PAGES: 2000
    ocr_pages: int = 100  # TRACUU_MAX_OCR_PAGES: 100 scanned pages (15-20 s each here)
    chars: int = 5_000_000  # TRACUU_MAX_CHARS: 5 million characters of text a document
    passages: int = 20_000  # TRACUU_MAX_PASSAGES: 20,000 passages a document

    ENV = {"file_bytes": ("TRACUU_MAX_FILE_MB", MB), "text_bytes": ("TRACUU_MAX_TEXT_MB", MB),
           "unzipped_bytes": ("TRACUU_MAX_UNZIPPED_MB", MB),
           "pdf_pages": ("TRACUU_MAX_PDF_PAGES", 1), "ocr_pages": ("TRACUU_MAX_OCR_PAGES", 1),
           "chars": ("TRACUU_MAX_CHARS", 1), "passages": ("TRACUU_MAX_PASSAGES", 1)}

    @classmethod
    def from_env(cls) -> Limits:
        values = {}
        for name, (variable, unit) in cls.ENV.items():
            raw = os.environ.get(variable)
            if raw is None:
                continue
            try:
                number = float(raw)
            except ValueError:
                raise ValueError(f"{variable}={raw!r}: expected a number") from None
            if number <= 0:
                raise ValueError(f"{variable}={raw!r}: expected a positive number")
            values[name] = int(number * unit)
        return cls(**values)


def _mb(n: int) -> str:
    return f"{n / MB:.0f} MB"


@dataclass
class Document:
    """One document: its cleaned text (all offsets refer to it), source and metadata."""

    doc_id: str
    text: str
    source: str
    title: str = ""
    metadata: dict = field(default_factory=dict)


class DocumentError(Exception):
    """A source file that cannot be read; the message names the file and the reason."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = str(path), reason


_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.DOTALL)
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![\w*])")
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+", re.MULTILINE)


def strip_markdown(text: str) -> str:
    """Remove emphasis markers (``**bold**``, ``*italic*``) and ``#`` heading marks."""
    text = _BOLD.sub(lambda m: m.group(2), text)
    text = _ITALIC.sub(lambda m: m.group(1), text)
    return _MD_HEADING.sub("", text)


# C0 and C1 control characters but tab and newline (\r is a line end, made \n before)
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """NFC, unified line ends, control characters (but newline and tab) removed, trailing
    spaces removed, at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", CONTROL_CHARS.sub("", text))
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n ")


def _decode(path: Path, data: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig",):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(path, f"not valid UTF-8 (byte {exc.start}); save the file as UTF-8 "
                                  "(Vietnamese text in legacy encodings such as TCVN3/VNI is not "
                                  "supported)") from None
    raise DocumentError(path, "cannot decode the text")


def _read_text(path: Path, limits: Limits) -> str:
    return strip_markdown(_decode(path, path.read_bytes()))


def _check_zip(path: Path, limits: Limits) -> None:
    """Refuse a .docx whose parts unpack to more than the limit, from its zip directory (the
    sizes it declares bound what can be read), before anything is unpacked."""
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DocumentError(path, f"corrupt .docx file ({type(exc).__name__}: {exc})") from None
    if total > limits.unzipped_bytes:
        raise DocumentError(path, f"unpacks to {_mb(total)}, over the limit of "
                                  f"{_mb(limits.unzipped_bytes)} (TRACUU_MAX_UNZIPPED_MB)")


def _read_docx(path: Path, limits: Limits) -> str:
    _check_zip(path, limits)
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise DocumentError(path, "python-docx is not installed - `pip install python-docx`") from exc
    try:
        doc = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise DocumentError(path, f"not a readable .docx file ({type(exc).__name__})") from None
    except Exception as exc:  # zipfile.BadZipFile, lxml errors: corrupt package
        raise DocumentError(path, f"corrupt .docx file ({type(exc).__name__}: {exc})") from None
    blocks = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            cells = []
            for cell in row.cells:
                if cell.text.strip() and cell.text not in cells:
                    cells.append(cell.text)
            blocks.append(" | ".join(cells))
    return "\n\n".join(b for b in blocks if b.strip())


def _read_pdf(path: Path, limits: Limits) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise DocumentError(path, "pypdf is not installed - `pip install pypdf`") from exc
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise DocumentError(path, "the PDF is encrypted; save an unencrypted copy")
        if len(reader.pages) > limits.pdf_pages:
            raise DocumentError(path, f"{len(reader.pages)} pages, over the limit of "
                                      f"{limits.pdf_pages} (TRACUU_MAX_PDF_PAGES)")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise DocumentError(path, f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # pypdf raises many kinds on damaged files
        raise DocumentError(path, f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from None
    from index.readers.external import ToolError, ocr_pdf_page

    scanned = [n for n, text in enumerate(pages, 1)
               if sum(ch.isalnum() for ch in text) < _MIN_PAGE_CHARS]
    if len(scanned) > limits.ocr_pages:
        raise DocumentError(path, f"{len(scanned)} pages without a text layer to read by OCR, "
                                  f"over the limit of {limits.ocr_pages} "
                                  "(TRACUU_MAX_OCR_PAGES)")
    # one Tesseract process per page, as many at once as there are cores; a bar with the
    # time a page takes when there are several
    from concurrent.futures import ThreadPoolExecutor, as_completed

    with ThreadPoolExecutor(max_workers=max(1, min(len(scanned), os.cpu_count() or 1))) as pool:
        futures = {pool.submit(ocr_pdf_page, path, number): number for number in scanned}
        finished = as_completed(futures)
        if len(scanned) >= 2:
            from tqdm import tqdm

            finished = tqdm(finished, total=len(futures), desc=f"OCR {path.name}", unit="page",
                            file=sys.stderr, leave=False)
        for future in finished:
            number = futures[future]
            try:
                pages[number - 1] = future.result()
            except ToolError as exc:
                pool.shutdown(cancel_futures=True)
                raise DocumentError(path, f"page {number} has no text layer (a scan) and "
                                          f"OCR is unavailable: {exc}") from None
    text = ScannedText("\n\n".join(p.strip() for p in pages if p.strip()))
    text.ocr_pages = len(scanned)
    text.read_pages = [(n, pages[n - 1]) for n in scanned]
    text.doubts = set().union(*(getattr(pages[n - 1], "doubts", set()) for n in scanned))
    return text


class ScannedText(str):
    """A PDF's text with how many of its pages were read by OCR (``ocr_pages``) and those
    pages' texts with their lines' boxes (``read_pages``: page number, :class:`PageText`)."""

    ocr_pages: int = 0
    read_pages: list = []
    doubts: set = set()  # fields two OCR readings disagreed on (index.readers.scan.second_look)


def _read_doc(path: Path, limits: Limits) -> str:
    from index.readers.external import ToolError, read_doc

    if path.read_bytes()[:8] != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise DocumentError(path, "not a Word 97-2003 .doc file (no OLE header)")
    try:
        return read_doc(path)
    except ToolError as exc:
        raise DocumentError(path, f"cannot read .doc: {exc}") from None


def _read_html(path: Path, limits: Limits) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(path, path.read_bytes()), "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    lines = (line.strip() for line in soup.get_text("\n").splitlines())
    return "\n\n".join(line for line in lines if line)


_READERS = {".docx": _read_docx, ".doc": _read_doc, ".pdf": _read_pdf, ".html": _read_html,
            ".htm": _read_html}


_NAME_DATE = re.compile(r"^((?:19|20)\d\d)(?:-(\d\d)-(\d\d))?(?=[_\-. ])")


def date_from_name(name: str) -> dict:
    """A headerless document (a news report) dated by its file name: ``2019-05-02_...`` ->
    ``{"date": "2019-05-02"}``, ``2019_...`` -> ``{"year": 2019}``."""
    m = _NAME_DATE.match(name)
    if not m:
        return {}
    if m.group(2) and 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 31:
        return {"date": f"{m.group(1)}-{m.group(2)}-{m.group(3)}"}
    return {"year": int(m.group(1))}


def doc_id_for(path: Path) -> str:
    """Readable, stable document id: the file name without its extension."""
    return path.stem


def read_file(path: Path | str, doc_id: str | None = None,
              limits: Limits | None = None) -> Document:
    """Read one file into a :class:`Document` (not for ``corpus.jsonl``: see :func:`read_beir`),
    within ``limits`` (default: :meth:`Limits.from_env`).

    Returns the document; DocumentError (with the reason) when it cannot be read."""
    path = Path(path)
    limits = limits or Limits.from_env()
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES or suffix == ".jsonl":
        raise DocumentError(path, f"unsupported file type {suffix or '(none)'!r}; supported: "
                                  + ", ".join(sorted(SUFFIXES - {'.jsonl'})) + ", corpus.jsonl")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(path, f"cannot read ({exc.strerror})") from None
    if size == 0:
        raise DocumentError(path, "empty file")
    if size > limits.file_bytes:
        raise DocumentError(path, f"file too large ({_mb(size)}, over the limit of "
                                  f"{_mb(limits.file_bytes)}: TRACUU_MAX_FILE_MB)")
    if suffix in TEXT_SUFFIXES | {".html", ".htm"} and size > limits.text_bytes:
        raise DocumentError(path, f"text file too large ({_mb(size)}, over the limit of "
                                  f"{_mb(limits.text_bytes)}: TRACUU_MAX_TEXT_MB)")
    try:
        raw = _READERS.get(suffix, _read_text)(path, limits)
    except OSError as exc:
        raise DocumentError(path, f"cannot read ({exc.strerror})") from None
    text = clean_text(raw)
    _check_chars(path, text, limits)
    if not any(ch.isalnum() for ch in text):
        raise DocumentError(path, "no text in the file")
    scanned = getattr(raw, "ocr_pages", 0) > 0
    if scanned:  # the header read from a scan: fixed words repaired, fields checked
        from index.readers.external import OCR_DPI
        from index.readers.scan_header import check_scanned, repair_lines
        from index.readers.scan_regions import locate_lines

        text = repair_lines(text)
    metadata = parse_metadata(text)
    if scanned:  # and where each line lies on its page (the viewer shows the region)
        metadata = check_scanned(metadata, text=text, doubts=raw.doubts)
        metadata["scan"] = locate_lines(text, raw.read_pages, OCR_DPI)
    if "date" not in metadata:
        metadata.update(date_from_name(path.name))
    return Document(doc_id=doc_id or doc_id_for(path), text=text, source=str(path),
                    title=metadata.get("title", ""), metadata=metadata)


def _check_chars(path, text: str, limits: Limits) -> None:
    if len(text) > limits.chars:
        raise DocumentError(path, f"{len(text):,} characters of text, over the limit of "
                                  f"{limits.chars:,} (TRACUU_MAX_CHARS)")


