"""Loading an index folder: the current version's manifest checked against this code and its
libraries, its documents and passages read, its BM25 arrays and FAISS file mapped; a damaged
or incompatible folder refused with what to do (docs/reliability.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from index.chunking import Passage
from index.readers.documents import Document
from index.stores.bm25 import BM25
from index.stores.dense import FILE as DENSE_FILE
from index.stores.dense import FaissIndex, MappedVectors
from index.stores.folder import (
    IndexData,
    _json_lines,
    _json_rows,
    check_files,
    log,
    read_manifest,
)
from index.stores.versions import (
    IndexFolderError,
    recover,
)
from index.text import TEXT_VERSION, library_versions


def verify_index(folder: Path | str) -> dict:
    """Check every file of the index at ``folder`` against its checksum (and that it loads);
    returns the manifest's counts.  Raises :class:`IndexFolderError` on damage."""
    folder = Path(folder)
    real = folder.resolve()
    manifest = read_manifest(real, folder)
    if not manifest.get("files"):
        raise IndexFolderError(f"{folder}: written before checksums were recorded; rebuild it "
                               "to be able to verify it")
    check_files(real, manifest, folder, full=True)
    load_index(folder)
    return manifest["counts"]


class StoredPassage(Passage):
    """A passage of a loaded index.  Its text is its document's ``text[start:end]``, cut when
    asked: a slice is a copy, and every passage held its text a second time beside its
    document's (twice while the server loads a new version beside the one it serves;
    docs/benchmarks.md, "Figures behind choices in the code").  Only a passage whose text is
    not that slice (none written by this code) keeps its own."""

    def __init__(self, passage_id: str, doc_id: str, text: str | None, start: int, end: int,
                 section: str = "", document: Document | None = None):
        self.passage_id, self.doc_id, self.start, self.end = passage_id, doc_id, start, end
        self.section = section
        self._own, self._document = text, document

    @property
    def text(self) -> str:
        if self._own is not None:
            return self._own
        return self._document.text[self.start:self.end]

    @text.setter
    def text(self, value: str) -> None:
        self._own = value

    def __eq__(self, other):  # as a Passage: by fields, whichever class holds them
        if not isinstance(other, Passage):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in
                   ("passage_id", "doc_id", "start", "end", "section", "text"))

    __hash__ = None


def _read_texts(real: Path, folder: Path) -> tuple[dict[str, Document], list[Passage]]:
    documents = {}
    # each document's text read on its own (no newline translation), not the whole file and
    # then a slice of it: at 100k passages that held the texts three times over while loading
    with (real / "texts.txt").open(encoding="utf-8", newline="") as texts:
        for row in _json_lines(real / "documents.jsonl"):
            chars = row.pop("chars")
            row["text"] = texts.read(chars)
            if len(row["text"]) != chars:
                damaged = True  # texts.txt ends early
                break
            documents[row["doc_id"]] = Document(**row)
        else:
            damaged = texts.read(1) != ""  # or goes on past the last document
    if damaged:
        raise IndexFolderError(f"{folder}: texts.txt does not match documents.jsonl; the folder "
                               "is damaged, rebuild it")
    passages, sections = [], {}
    for row in _json_lines(real / "passages.jsonl"):
        doc, start, end = documents.get(row["doc_id"]), row["start"], row["end"]
        if doc is None or not 0 <= start <= end <= len(doc.text):
            raise IndexFolderError(f"{folder}: passage {row['passage_id']} points outside the "
                                   "documents; the index is damaged, rebuild it")
        section = sections.setdefault(row["section"], row["section"])  # one string each
        passages.append(StoredPassage(row["passage_id"], doc.doc_id, row.get("text"), start, end,
                                      section, doc))
    return documents, passages


def read_documents(folder: Path | str) -> dict[str, Document]:
    """The current version's documents without their texts (``text`` empty): id, source,
    title and metadata, for what needs to know which documents there are (an upload's plan, a
    kept version) without loading passages, BM25 arrays and vectors."""
    real = Path(folder).resolve()
    documents = {}
    for row in _json_lines(real / "documents.jsonl"):
        row.pop("chars", None)
        documents[row["doc_id"]] = Document(**{**row, "text": ""})
    return documents


def load_arrays(folder: Path | str) -> IndexData:
    """The index at ``folder`` without its documents and passages (``documents`` and
    ``passages`` empty): the manifest, and the BM25 arrays and vectors memory-mapped.  With
    :func:`iter_documents`, a pass over an index of any size in bounded memory (the writer of a
    Milvus collection)."""
    folder = Path(folder)
    real = folder.resolve()
    manifest = read_manifest(real, folder)
    check_files(real, manifest, folder)
    n = manifest["counts"]["passages"]
    bm25 = BM25.load(real, n, "bm25", **manifest["bm25"])
    folded = BM25.load(real, n, "folded", **manifest["bm25"])
    try:  # the vectors mapped as they lie in the file; FAISS reads some kinds whole
        dense = MappedVectors(real / DENSE_FILE, n, manifest["model"]["dim"])
    except ValueError:
        dense = FaissIndex.load(real, manifest["model"]["dim"])
    return IndexData.from_manifest(manifest, bm25, folded, dense)


def iter_documents(folder: Path | str) -> Iterator[tuple[Document, list[Passage]]]:
    """Each document of the index at ``folder`` with its passages, in the folder's order, read
    one at a time (the rows of the BM25 arrays and vectors follow the same order)."""
    folder = Path(folder)
    real = folder.resolve()
    passages = _json_rows(real / "passages.jsonl")
    pending = next(passages, None)
    with (real / "texts.txt").open(encoding="utf-8", newline="") as texts:
        for row in _json_rows(real / "documents.jsonl"):
            chars = row.pop("chars")
            doc = Document(**{**row, "text": texts.read(chars)})
            own = []
            while pending is not None and pending["doc_id"] == doc.doc_id:
                start, end = pending["start"], pending["end"]
                own.append(Passage(pending["passage_id"], doc.doc_id,
                                   pending.get("text") or doc.text[start:end], start, end,
                                   pending["section"]))
                pending = next(passages, None)
            yield doc, own
    if pending is not None:
        raise IndexFolderError(f"{folder}: passage {pending['passage_id']} is out of its "
                               "document's order; rebuild the index")


def check_compatible(manifest: dict, folder: Path) -> list[str]:
    """Raise if the index's text processing differs from this code; return soft warnings."""
    analyzer = manifest.get("analyzer", {})
    if analyzer.get("version") != TEXT_VERSION:
        raise IndexFolderError(f"{folder}: built with text processing version "
                          f"{analyzer.get('version')}, this code uses {TEXT_VERSION}; queries "
                          "would be tokenized differently from the index. Rebuild it with "
                          "`python -m index build`")
    warnings = []
    built = manifest.get("versions", {})
    for name, now in library_versions().items():
        if built.get(name) != now:
            warnings.append(f"{folder}: built with {name} {built.get(name)}, running {now}; "
                            "word segmentation may differ - rebuild the index to be sure")
    return warnings


def unusable_reason(folder: Path) -> str | None:
    """Why ``folder`` cannot be loaded by this code (missing, old format, other text
    processing), or None when it can."""
    try:
        check_compatible(read_manifest(folder), folder)
    except IndexFolderError as exc:
        return str(exc)
    return None


def release_freed_memory() -> None:
    """Give the memory of a let-go index version back to the system.  Python's objects are
    freed when the last reference goes, but the C allocator keeps the freed blocks for reuse,
    and a server that loads a new version beside the one it serves after every upload grew by
    one index a time (docs/benchmarks.md); ``malloc_trim`` returns what is free.  glibc only;
    elsewhere, nothing happens."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def load_index(folder: Path | str, mmap: bool = True) -> IndexData:
    """The index at ``folder``: one consistent version, read through the link once (a writer
    switching versions meanwhile is not seen half-way; the load is tried again on the new
    version if the old one went away).

    Returns the loaded index; IndexFolderError when it is missing, damaged or incompatible."""
    folder = Path(folder)
    if not folder.exists():
        recover(folder)
    real = folder.resolve()
    try:
        return _load_version(folder, real, mmap)
    except (FileNotFoundError, IndexFolderError) as exc:
        if folder.resolve() != real:
            pass  # a writer switched versions meanwhile: read the current one
        elif isinstance(exc, FileNotFoundError):
            name = Path(exc.filename).name if exc.filename else "a file"
            raise IndexFolderError(f"{folder}: {name} is missing; the index is damaged, "
                                   "rebuild it") from None
        else:
            raise
    return _load_version(folder, folder.resolve(), mmap)


def _load_version(folder: Path, real: Path, mmap: bool) -> IndexData:
    manifest = read_manifest(real, folder)
    check_files(real, manifest, folder)
    try:
        return _read_version(folder, real, manifest, mmap)
    except (KeyError, TypeError, ValueError, RuntimeError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise  # a version removed while it was read: load_index tries the current one
        what = f"no {exc}" if isinstance(exc, KeyError) else str(exc).splitlines()[0][:200]
        raise IndexFolderError(f"{folder}: the index is damaged ({type(exc).__name__}: "
                               f"{what}); rebuild it") from None


def _read_version(folder: Path, real: Path, manifest: dict, mmap: bool) -> IndexData:
    for warning in check_compatible(manifest, folder):
        log.warning(warning)
    documents, passages = _read_texts(real, folder)
    bm25 = BM25.load(real, len(passages), "bm25", mmap=mmap, **manifest["bm25"])
    folded = BM25.load(real, len(passages), "folded", mmap=mmap, **manifest["bm25"])
    dense = FaissIndex.load(real, manifest["model"]["dim"], mmap=mmap)
    if dense.count != len(passages) or bm25.n_docs != len(passages):
        raise IndexFolderError(f"{folder}: {len(passages)} passages but {dense.count} vectors and "
                          f"{bm25.n_docs} BM25 rows; the folder is damaged, rebuild it")
    return IndexData.from_manifest(manifest, bm25, folded, dense, documents, passages)
