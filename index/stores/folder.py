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
from index.stores import versions
from index.stores.bm25 import BM25, params_file
from index.stores.dense import PARAMS as DENSE_PARAMS
from index.stores.dense import FaissIndex
from index.stores.versions import (
    IndexFolderError,
    adopt_plain_folder,
    check_target,
    clean_leftovers,
    fsync_tree,
    new_version,
    point,
    prune,
    versions_dir,
)
from index.text import CODE_RE, Analyzer, library_versions

log = logging.getLogger(__name__)

FORMAT_VERSION = 4  # 2: reference records in metadata; 3: law fields, years, clause labels;
# 4: texts in texts.txt, passages as offsets into them


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
            # each part's parameters beside its arrays: a part loads without this manifest
            "parts": {"bm25": params_file("bm25"), "folded": params_file("folded"),
                      "dense": DENSE_PARAMS},
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
                "folded_vocab.txt", "bm25.params.json", "folded.params.json", "dense.params.json")


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


def write_index(data: IndexData, out: Path, chunking: dict | None = None) -> dict:
    """Write ``data`` as a new version of the index at ``out`` and point ``out`` at it (see the
    module docstring); returns the manifest.  The caller holds :func:`writer_lock`."""
    out = Path(out)
    check_target(out)
    store = versions_dir(out)
    store.mkdir(parents=True, exist_ok=True)
    clean_leftovers(out, store)
    tmp = store / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        _write_texts(data, tmp)
        versions.crash_point("texts")
        data.bm25.save(tmp, "bm25")
        data.folded.save(tmp, "folded")
        data.dense.save(tmp)
        manifest = {**data.manifest_for(chunking), "files": file_records(tmp)}
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        fsync_tree(tmp)
        versions.crash_point("written")
        adopt_plain_folder(out, store)  # first, so that versions are named in time order
        version = new_version(store)
        os.replace(tmp, version)
        versions.crash_point("versioned")
        point(out, version)
        versions.crash_point("switched")
        prune(out, store)
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
    clean_leftovers(out, store)
    adopt_plain_folder(out, store)
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
        fsync_tree(tmp)
        version = new_version(store)
        os.replace(tmp, version)
        point(out, version)
        prune(out, store)
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


