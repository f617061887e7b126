"""An index is a folder of plain files described by ``manifest.json``.

::

    manifest.json      format version, model, dimension, analyzer settings and library
                       versions, BM25 parameters, counts, build time
    documents.jsonl    one document per line: doc_id, source, title, metadata, and ``chars``,
                       the length of its text in texts.txt
    texts.txt          the documents' texts, one after the other in documents.jsonl's order
                       (all offsets refer to these texts)
    passages.jsonl     one passage per line: passage_id, doc_id, start, end, section; its text is
                       its document's text[start:end] (written out only where it is not)
    bm25_*.npy         term-major BM25 arrays (see index.stores.bm25), bm25_vocab.txt the terms
    folded_*.npy       the same for the accent-free field
    dense.faiss        FAISS index, row i = passage i

Texts are kept out of the JSON lines so that loading parses a few small fields a passage
(100k passages load in about a second, see ``python -m eval perf``).  Nothing is pickled;
``.npy`` files are read with ``allow_pickle=False`` and memory-mapped, the
FAISS file with ``IO_FLAG_MMAP``.

Versions (docs/reliability.md).  The index path is a symbolic link to one complete version,
``.NAME.versions/v-…`` beside it.  :func:`write_index` writes a new version under a name of its
own, then points the link at it with one atomic rename: a reader sees the previous version or
the new one, never a mix and never nothing, and a crash at any step leaves one of the two.  The
previous version is kept (a reader may still be loading it); older ones are removed.  Writers
take :func:`writer_lock` around their whole read-change-write; an index folder written by an
older version of this code (plain files at the path) is moved into the versions folder on its
first change.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import platform
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from index.chunking import SEPARATOR, Passage
from index.readers.documents import Document
from index.stores.bm25 import BM25
from index.stores.dense import FILE as DENSE_FILE
from index.stores.dense import FaissIndex, MappedVectors
from index.text import CODE_RE, TEXT_VERSION, Analyzer, library_versions

log = logging.getLogger(__name__)

FORMAT_VERSION = 4  # 2: reference records in metadata; 3: law fields, years, clause labels;
# 4: texts in texts.txt, passages as offsets into them


class IndexFolderError(Exception):
    """An index folder that cannot be used as it is; the message says what to do."""


class IndexBusyError(IndexFolderError):
    """Another writer holds the index longer than a writer waits."""


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def document_label(doc: Document) -> str:
    """The document as every one of its passages is indexed with: type, own code, issuer and
    subject, with the codes the subject cites left out (they belong to the passages that cite
    them, or a query for ``38-KH/HU`` would match every passage of a letter about it)."""
    meta = doc.metadata
    if "code" not in meta:
        return doc.title
    subject = CODE_RE.sub(" ", meta.get("subject") or meta.get("title_block") or "")
    parts = (meta.get("doc_type", ""), meta["code"], meta.get("issuer", ""), subject)
    return " ".join(" ".join(p.split()) for p in parts if p)


def indexed_text(passage: Passage, doc: Document) -> str:
    """What BM25 and the embedding see: document label and section path, then the passage."""
    head = " ".join(x for x in (document_label(doc), passage.section.replace(SEPARATOR, " "))
                    if x)
    return f"{head}\n{passage.text}" if head else passage.text


@dataclass
class IndexData:
    """Everything an index folder holds, in memory (large arrays memory-mapped)."""

    documents: dict[str, Document]
    passages: list[Passage]
    bm25: BM25
    folded: BM25
    dense: FaissIndex
    analyzer: Analyzer
    model: str
    manifest: dict = field(default_factory=dict)
    passage_engine: str = ""  # the engine that embedded the passages (index.encoders.embeddings)
    backend: dict = field(default_factory=dict)  # where it is also served (index.stores.milvus)

    @classmethod
    def from_manifest(cls, manifest: dict, bm25: BM25, folded: BM25, dense,
                      documents: dict | None = None, passages: list | None = None) -> IndexData:
        """The index a manifest describes, around its arrays (and its documents and passages,
        when read): the analyzer, model, passage engine and backend it records."""
        return cls(documents=documents or {}, passages=passages or [], bm25=bm25,
                   folded=folded, dense=dense,
                   analyzer=Analyzer.from_settings(manifest["analyzer"]),
                   model=manifest["model"]["name"], manifest=manifest,
                   passage_engine=manifest["model"].get("passage_engine", ""),
                   backend=manifest.get("backend") or {})

    def manifest_for(self, chunking: dict | None = None) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "tracuu_version": _version("tracuu"),
            "model": {"name": self.model, "dim": self.dense.dim,
                      "passage_engine": self.passage_engine},
            "analyzer": self.analyzer.settings(),
            "bm25": {"k1": self.bm25.k1, "b": self.bm25.b, "epsilon": self.bm25.epsilon},
            "chunking": chunking or self.manifest.get("chunking", {}),
            **({"backend": self.backend} if self.backend else {}),
            "counts": {"documents": len(self.documents), "passages": len(self.passages),
                       "terms": len(self.bm25.vocab), "folded_terms": len(self.folded.vocab)},
            "versions": {
                "python": platform.python_version(), **library_versions(),
                **{name: _version(name) for name in ("numpy", "scipy", "faiss-cpu",
                                                     "sentence-transformers", "torch")},
            },
        }


# Integrity: the manifest records the size and sha256 of every file (``files``).  Sizes are
# checked on every load; the checksums of the files a load parses whole anyway on every load,
# those of the memory-mapped arrays by ``python -m index verify`` (reading them all on each
# load would undo the mapping).
PARSED_WHOLE = ("documents.jsonl", "passages.jsonl", "texts.txt", "bm25_vocab.txt",
                "folded_vocab.txt")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def file_records(folder: Path) -> dict:
    """Size and sha256 of every file of a version folder but the manifest."""
    return {p.name: {"bytes": p.stat().st_size, "sha256": _sha256(p)}
            for p in sorted(Path(folder).iterdir()) if p.name != "manifest.json"}


def check_files(real: Path, manifest: dict, folder: Path, full: bool = False) -> None:
    """Raise :class:`IndexFolderError` naming the first file that is missing, of another size,
    or (for the files parsed whole, or all with ``full``) of another checksum than the manifest
    records.  An index written before checksums were recorded is not checked."""
    for name, record in (manifest.get("files") or {}).items():
        path = real / name
        if not path.is_file():
            raise IndexFolderError(f"{folder}: {name} is missing; the index is damaged, rebuild "
                                   "it")
        size = path.stat().st_size
        if size != record["bytes"]:
            raise IndexFolderError(f"{folder}: {name} has {size} bytes, the manifest records "
                                   f"{record['bytes']}; the index is damaged, rebuild it")
        if (full or name in PARSED_WHOLE) and _sha256(path) != record["sha256"]:
            raise IndexFolderError(f"{folder}: {name} does not match its checksum; the index is "
                                   "damaged, rebuild it")


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


KEEP_VERSIONS = 2  # the current version and the one before (a reader may still be loading it)
LOCK_WAIT = 600.0  # seconds a writer waits for another before giving up


def _beside(index_dir: Path, what: str) -> Path:
    """``.NAME.what`` next to the index at ``index_dir``: its versions, lock, new links."""
    index_dir = Path(index_dir)
    return index_dir.parent / f".{index_dir.name}.{what}"


def versions_dir(index_dir: Path) -> Path:
    """Where the versions of the index at ``index_dir`` live: beside it."""
    return _beside(index_dir, "versions")


def _new_version(store: Path) -> Path:
    """A version name of its own, in time order."""
    return store / f"v-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"


def _crash_point(step: str) -> None:
    """A named step of :func:`write_index`; the fault tests replace this to stop there."""


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())
    _fsync_dir(folder)


def is_index(folder: Path) -> bool:
    return (Path(folder) / "manifest.json").is_file()


def check_target(out: Path, sources: list[Path] = ()) -> None:
    """Refuse to write an index at ``out`` unless it is missing, an empty folder or an index:
    a build never deletes what it did not make, and never the sources it reads."""
    out = Path(out)
    target = out.resolve()
    for source in sources:
        source = Path(source).resolve()
        if target == source or source.is_relative_to(target) or target.is_relative_to(source):
            raise IndexFolderError(f"{out}: the index would be written over the documents it is "
                                   f"built from ({source}); choose another --out")
    if out.is_symlink() or not out.exists():
        if out.is_symlink() and out.exists() and not is_index(out):
            raise IndexFolderError(f"{out}: a link to something that is not an index; choose "
                                   "another --out")
        return
    if not out.is_dir():
        raise IndexFolderError(f"{out}: a file, not an index folder; choose another --out")
    if not is_index(out) and any(out.iterdir()):
        raise IndexFolderError(f"{out}: a folder with other files in it (no manifest.json); "
                               "an index is only written to a new or empty folder or over an "
                               "index, choose another --out")


@contextlib.contextmanager
def writer_lock(index_dir: Path | str, wait: float = LOCK_WAIT, say=None):
    """Hold the writer lock of ``index_dir`` (a file beside it): one writer at a time, in this
    process or another.  A second writer waits up to ``wait`` seconds (``say`` hears that it
    waits), then gives up with :class:`IndexBusyError`; readers never take it."""
    index_dir = Path(index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(_beside(index_dir, "lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise IndexBusyError(f"{index_dir}: another change to this index has run "
                                         f"for over {wait:.0f} s; try again when it ends") from None
                if say:
                    say(f"{index_dir}: another change to this index is running; waiting for "
                        "it ...")
                    say = None  # once
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _clean_leftovers(index_dir: Path, store: Path) -> None:
    """Temporary folders and links left by writers that crashed (the lock is held)."""
    for path in store.glob(".tmp-*"):
        shutil.rmtree(path, ignore_errors=True)
    for path in index_dir.parent.glob(_beside(index_dir, "link-*").name):
        path.unlink(missing_ok=True)


def _prune(index_dir: Path, store: Path) -> None:
    current = os.readlink(index_dir) if index_dir.is_symlink() else ""
    versions = sorted(p for p in store.glob("v-*") if p.is_dir())
    for old in versions[:-KEEP_VERSIONS]:
        if Path(current).name != old.name:
            shutil.rmtree(old, ignore_errors=True)


def _point(index_dir: Path, version: Path) -> None:
    """Point the link ``index_dir`` at ``version`` with one atomic rename."""
    link = _beside(index_dir, f"link-{uuid.uuid4().hex[:12]}")
    os.symlink(os.path.relpath(version, index_dir.parent), link)
    os.replace(link, index_dir)
    _fsync_dir(index_dir.parent)


def _adopt_plain_folder(index_dir: Path, store: Path) -> None:
    """An index written as plain files at the path (older versions) or an empty folder: move
    the index into the versions folder and link to it; remove the empty folder."""
    if index_dir.is_symlink() or not index_dir.exists():
        return
    if not is_index(index_dir):
        index_dir.rmdir()  # empty (check_target refused anything else)
        return
    version = _new_version(store)
    os.replace(index_dir, version)
    _crash_point("adopted")
    _point(index_dir, version)


def recover(index_dir: Path | str) -> bool:
    """After a crash between moving a plain index folder into the versions folder and linking
    to it, link to the newest complete version again; True when it did."""
    index_dir = Path(index_dir)
    store = versions_dir(index_dir)
    if index_dir.exists() or index_dir.is_symlink() or not store.is_dir():
        return False
    versions = sorted(p for p in store.glob("v-*") if is_index(p))
    if not versions:
        return False
    with writer_lock(index_dir):
        if not (index_dir.exists() or index_dir.is_symlink()):
            _point(index_dir, versions[-1])
    return True


def delete_index(index_dir: Path | str) -> None:
    """Remove the index at ``index_dir``: the link (or plain folder), its versions, its lock."""
    index_dir = Path(index_dir)
    if index_dir.is_symlink():
        index_dir.unlink()
    elif index_dir.exists():
        shutil.rmtree(index_dir)
    shutil.rmtree(versions_dir(index_dir), ignore_errors=True)
    _beside(index_dir, "lock").unlink(missing_ok=True)


def write_index(data: IndexData, out: Path, chunking: dict | None = None) -> dict:
    """Write ``data`` as a new version of the index at ``out`` and point ``out`` at it (see the
    module docstring); returns the manifest.  The caller holds :func:`writer_lock`."""
    out = Path(out)
    check_target(out)
    store = versions_dir(out)
    store.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(out, store)
    tmp = store / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        _write_texts(data, tmp)
        _crash_point("texts")
        data.bm25.save(tmp, "bm25")
        data.folded.save(tmp, "folded")
        data.dense.save(tmp)
        manifest = {**data.manifest_for(chunking), "files": file_records(tmp)}
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        _fsync_tree(tmp)
        _crash_point("written")
        _adopt_plain_folder(out, store)  # first, so that versions are named in time order
        version = _new_version(store)
        os.replace(tmp, version)
        _crash_point("versioned")
        _point(out, version)
        _crash_point("switched")
        _prune(out, store)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    data.manifest = manifest
    return manifest


def write_manifest(out: Path, **changes) -> dict:
    """A new version of the index at ``out`` whose files are the current version's (hard
    links: nothing is copied, nothing loaded) and whose manifest takes ``changes`` (the record
    of the Milvus collection that now serves it); returns the manifest.  The caller holds
    :func:`writer_lock`."""
    out = Path(out)
    store = versions_dir(out)
    store.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(out, store)
    _adopt_plain_folder(out, store)
    real = out.resolve()
    manifest = {**read_manifest(real, out), **changes}
    tmp = store / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        for path in real.iterdir():
            if path.is_file() and path.name != "manifest.json":
                try:
                    os.link(path, tmp / path.name)
                except OSError:  # a file system without hard links
                    shutil.copy2(path, tmp / path.name)
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        _fsync_tree(tmp)
        version = _new_version(store)
        os.replace(tmp, version)
        _point(out, version)
        _prune(out, store)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return manifest


def _write_texts(data: IndexData, folder: Path) -> None:
    """documents.jsonl, texts.txt and passages.jsonl (see the module docstring)."""
    with (folder / "documents.jsonl").open("w", encoding="utf-8") as docs, \
            (folder / "texts.txt").open("w", encoding="utf-8", newline="") as texts:
        for doc in data.documents.values():
            row = asdict(doc)
            texts.write(row.pop("text"))
            row["chars"] = len(doc.text)
            docs.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (folder / "passages.jsonl").open("w", encoding="utf-8") as fh:
        for p in data.passages:
            row = asdict(p)
            if row.pop("text") != data.documents[p.doc_id].text[p.start:p.end]:
                row["text"] = p.text
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _json_lines(path: Path) -> list:
    """All rows of a JSONL file, parsed in one call (several times faster than a call a line)."""
    lines = path.read_bytes().decode("utf-8").split("\n")
    return json.loads("[" + ",".join(line for line in lines if line.strip()) + "]")


def _json_rows(path: Path) -> Iterator[dict]:
    """The rows of a JSONL file, one at a time."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


class StoredPassage(Passage):
    """A passage of a loaded index.  Its text is its document's ``text[start:end]``, cut when
    asked: a slice is a copy, and 100,000 passages held their texts a second time beside their
    documents' (about 110 MB, twice while the server loads a new version beside the one it
    serves).  Only a passage whose text is not that slice (none written by this code) keeps
    its own."""

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


def read_manifest(folder: Path, named: Path | None = None) -> dict:
    """The manifest of the index at ``folder`` (``named``: the path the user gave)."""
    path = Path(folder) / "manifest.json"
    folder = named or folder
    if not path.exists():
        raise IndexFolderError(f"{folder}: no index here (no manifest.json); build one with "
                          f"`python -m index build SRC --out {folder}`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise IndexFolderError(f"{path}: unreadable manifest ({exc}); rebuild the index") from None
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexFolderError(f"{folder}: index format {manifest.get('format_version')}, this "
                          f"version reads format {FORMAT_VERSION}; rebuild the index with "
                          "`python -m index build`")
    return manifest


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
    version if the old one went away)."""
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
