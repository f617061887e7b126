"""Reading source files into :class:`Document` records.

Supported: ``.txt`` and ``.md`` (markdown emphasis markers removed, offsets refer to the cleaned
text), ``.docx`` (python-docx), ``.pdf`` (pypdf for the text layer; pages without one - scans -
through Tesseract OCR in Vietnamese), legacy ``.doc`` (antiword or LibreOffice), ``.html``/``.htm``,
and BEIR ``corpus.jsonl`` files (one document per row: ``_id``, ``title``, ``text``).  The
programs behind OCR and ``.doc`` are in :mod:`index.external`.

A file that cannot be read raises :class:`DocumentError` with the file and the reason; callers
(:func:`read_sources`) report it on one line and go on with the other files.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .metadata import parse_metadata

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
SUFFIXES = TEXT_SUFFIXES | {".docx", ".doc", ".pdf", ".html", ".htm", ".jsonl"}
_MIN_PAGE_CHARS = 20  # a page with fewer letters and digits than this has no text layer
MAX_FILE_BYTES = 200 * 1024 * 1024


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


def clean_text(text: str) -> str:
    """NFC, unified line ends, trailing spaces removed, at most one blank line in a row."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
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


def _read_text(path: Path) -> str:
    return strip_markdown(_decode(path, path.read_bytes()))


def _read_docx(path: Path) -> str:
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


def _read_pdf(path: Path) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise DocumentError(path, "pypdf is not installed - `pip install pypdf`") from exc
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise DocumentError(path, "the PDF is encrypted; save an unencrypted copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise DocumentError(path, f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # pypdf raises many kinds on damaged files
        raise DocumentError(path, f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from None
    from .external import ToolError, ocr_pdf_page

    for number, text in enumerate(pages, 1):
        if sum(ch.isalnum() for ch in text) < _MIN_PAGE_CHARS:  # a scanned page
            try:
                pages[number - 1] = ocr_pdf_page(path, number)
            except ToolError as exc:
                raise DocumentError(path, f"page {number} has no text layer (a scan) and "
                                          f"OCR is unavailable: {exc}") from None
    return "\n\n".join(p.strip() for p in pages if p.strip())


def _read_doc(path: Path) -> str:
    from .external import ToolError, read_doc

    if path.read_bytes()[:8] != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise DocumentError(path, "not a Word 97-2003 .doc file (no OLE header)")
    try:
        return read_doc(path)
    except ToolError as exc:
        raise DocumentError(path, f"cannot read .doc: {exc}") from None


def _read_html(path: Path) -> str:
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


def read_file(path: Path | str, doc_id: str | None = None) -> Document:
    """Read one file into a :class:`Document` (not for ``corpus.jsonl``: see :func:`read_beir`)."""
    path = Path(path)
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
    if size > MAX_FILE_BYTES:
        raise DocumentError(path, f"file too large ({size // 2**20} MiB > "
                                  f"{MAX_FILE_BYTES // 2**20} MiB)")
    try:
        raw = _READERS.get(suffix, _read_text)(path)
    except OSError as exc:
        raise DocumentError(path, f"cannot read ({exc.strerror})") from None
    text = clean_text(raw)
    if not any(ch.isalnum() for ch in text):
        raise DocumentError(path, "no text in the file")
    metadata = parse_metadata(text)
    if "date" not in metadata:
        metadata.update(date_from_name(path.name))
    return Document(doc_id=doc_id or doc_id_for(path), text=text, source=str(path),
                    title=metadata.get("title", ""), metadata=metadata)


def read_beir(path: Path | str) -> Iterator[Document]:
    """Documents of a BEIR ``corpus.jsonl``; a bad row raises :class:`DocumentError`."""
    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                doc_id, text = str(row["_id"]), row.get("text") or ""
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise DocumentError(path, f"line {lineno}: expected a JSON object with "
                                          f"'_id', 'title', 'text' ({type(exc).__name__})") from None
            title = (row.get("title") or "").strip()
            text = clean_text(text)
            if not text.strip():
                continue
            yield Document(doc_id=doc_id, text=text, source=f"{path}#{doc_id}", title=title,
                           metadata={"title": title} if title else {})


def find_files(sources: list[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand files and folders into readable paths; missing paths come back as skipped."""
    files, skipped = [], []
    for src in sources:
        src = Path(src)
        if src.is_dir():
            found = sorted(p for p in src.rglob("*")
                           if p.is_file() and not p.name.startswith(".")
                           and p.suffix.lower() in SUFFIXES)
            if not found:
                skipped.append((str(src), "no supported files in this folder"))
            files.extend(found)
        elif src.is_file():
            files.append(src)
        else:
            skipped.append((str(src), "no such file or folder"))
    return files, skipped


def read_sources(sources: list[str | Path]) -> tuple[list[Document], list[tuple[str, str]]]:
    """Read every file under ``sources``: (documents, [(path, reason) of skipped files])."""
    files, skipped = find_files(sources)
    docs: list[Document] = []
    for path in files:
        try:
            if path.suffix.lower() == ".jsonl":
                docs.extend(read_beir(path))
            else:
                docs.append(read_file(path))
        except DocumentError as exc:
            skipped.append((exc.path, exc.reason))
    seen: dict[str, str] = {}
    unique = []
    for doc in docs:
        if doc.doc_id in seen:
            skipped.append((doc.source, f"duplicate document id {doc.doc_id!r} "
                                        f"(already read from {seen[doc.doc_id]})"))
            continue
        seen[doc.doc_id] = doc.source
        unique.append(doc)
    return unique, skipped
