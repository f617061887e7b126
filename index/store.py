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
    bm25_*.npy         term-major BM25 arrays (see index.bm25), bm25_vocab.txt the terms
    folded_*.npy       the same for the accent-free field
    dense.faiss        FAISS index, row i = passage i

Texts are kept out of the JSON lines so that loading parses a few small fields a passage
(100k passages load in about a second, see ``python -m eval perf``).  Nothing is pickled;
``.npy`` files are read with ``allow_pickle=False`` and memory-mapped, the
FAISS file with ``IO_FLAG_MMAP``.  :func:`write_index` writes a new folder beside the target
and swaps it in, so a failed build leaves the previous index as it was.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .bm25 import BM25
from .chunking import SEPARATOR, Passage
from .dense import FaissIndex
from .documents import Document
from .text import CODE_RE, TEXT_VERSION, Analyzer, library_versions

FORMAT_VERSION = 4  # 2: reference records in metadata; 3: law fields, years, clause labels;
# 4: texts in texts.txt, passages as offsets into them


class IndexFolderError(Exception):
    """An index folder that cannot be used as it is; the message says what to do."""


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
    passage_engine: str = ""  # the engine that embedded the passages (index.embeddings)
    backend: dict = field(default_factory=dict)  # where it is also served (index.milvus)

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


def write_index(data: IndexData, out: Path, chunking: dict | None = None) -> dict:
    """Write ``data`` to ``out`` atomically (new folder, then swap); returns the manifest."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        _write_texts(data, tmp)
        data.bm25.save(tmp, "bm25")
        data.folded.save(tmp, "folded")
        data.dense.save(tmp)
        manifest = data.manifest_for(chunking)
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        if out.exists():
            os.replace(out, old)
        os.replace(tmp, out)
        if old.exists():
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    data.manifest = manifest
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


def _read_texts(folder: Path) -> tuple[dict[str, Document], list[Passage]]:
    texts = (folder / "texts.txt").read_bytes().decode("utf-8")  # no newline translation
    documents, at = {}, 0
    for row in _json_lines(folder / "documents.jsonl"):
        chars = row.pop("chars")
        row["text"] = texts[at:at + chars]
        at += chars
        documents[row["doc_id"]] = Document(**row)
    if at != len(texts):
        raise IndexFolderError(f"{folder}: texts.txt does not match documents.jsonl; the folder "
                               "is damaged, rebuild it")
    passages, doc_text = [], {doc_id: doc.text for doc_id, doc in documents.items()}
    for row in _json_lines(folder / "passages.jsonl"):
        doc_id, start, end = row["doc_id"], row["start"], row["end"]
        text = row["text"] if "text" in row else doc_text[doc_id][start:end]
        passages.append(Passage(row["passage_id"], doc_id, text, start, end, row["section"]))
    return documents, passages


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / "manifest.json"
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


def load_index(folder: Path | str, mmap: bool = True) -> IndexData:
    folder = Path(folder)
    manifest = read_manifest(folder)
    for warning in check_compatible(manifest, folder):
        print(f"warning: {warning}", file=sys.stderr)
    documents, passages = _read_texts(folder)
    bm25 = BM25.load(folder, len(passages), "bm25", mmap=mmap, **manifest["bm25"])
    folded = BM25.load(folder, len(passages), "folded", mmap=mmap, **manifest["bm25"])
    dense = FaissIndex.load(folder, manifest["model"]["dim"], mmap=mmap)
    if dense.count != len(passages) or bm25.n_docs != len(passages):
        raise IndexFolderError(f"{folder}: {len(passages)} passages but {dense.count} vectors and "
                          f"{bm25.n_docs} BM25 rows; the folder is damaged, rebuild it")
    return IndexData(documents=documents, passages=passages, bm25=bm25, folded=folded, dense=dense,
                     analyzer=Analyzer.from_settings(manifest["analyzer"]),
                     model=manifest["model"]["name"], manifest=manifest,
                     passage_engine=manifest["model"].get("passage_engine", ""),
                     backend=manifest.get("backend") or {})
