"""An index whose truth is its Milvus collection: workers feed it, search hosts pull from it.

**Ingestion workers** (``python -m index ingest SRC... --uri milvus://HOST:PORT/COLLECTION
--worker K/N``, on one machine or several): worker K reads the files whose name hashes to K of
N, prepares about :data:`index.stores.milvus.BATCH` passages at a time (segmentation, embedding)
and changes the live collection with them (:meth:`index.stores.milvus.MilvusStore.change`: rows
upserted, document frequencies merged into the statistics once a batch, under the lock held on
the server).  The first worker to find no collection creates it, under the same lock.  Memory is
a batch, whatever the corpus.  A worker run again over the same files replaces their documents:
nothing is counted twice.

*The embedding cache is per worker, with no merge step*: each machine keeps its own
(``~/.cache/tracuu/embeddings.sqlite``, SQLite, which must not be shared over a network
file system).  It only spares embedding the same text twice on that machine; the vectors
themselves are in the collection, from which :func:`pull` and ``index rebuild`` read them, so
nothing needs a merged cache.

**Search hosts** (``python -m index pull --uri milvus://HOST:PORT/COLLECTION --out DIR``): a
host's index folder made from the server: the manifest and the documents (the documents
collection), each passage's offsets, section and vector (the passages collection: nothing is
embedded again), and the BM25 terms counted again from the texts with the manifest's analyzer.
Run again (``--every SECONDS`` repeats it), it follows the changes: only documents whose
record changed are fetched, removed ones leave, and the folder is written only when something
changed; the app reloads a folder whose manifest changed.  The folder records the collection,
so the host's searches run on Milvus like any index built with ``--backend milvus``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np

from index.access import parse_groups
from index.build import (
    CHUNKING,
    BuildReport,
    _cache,
    _prepare,
    _with_access,
    extended,
    without,
)
from index.chunking import Passage
from index.encoders.embeddings import DEFAULT_MODEL, Embedder, EmbeddingCache
from index.readers.documents import Document
from index.readers.sources import find_files, read_each
from index.stores.bm25 import BM25
from index.stores.dense import FaissIndex
from index.stores.folder import IndexData, indexed_text, write_index
from index.stores.loading import load_index
from index.stores.milvus import (
    BATCH,
    MilvusStore,
    TermStats,
    document_rows,
    document_stamp,
    new_rows,
)
from index.stores.versions import writer_lock
from index.text import Analyzer
from search.filters import doc_id_filters

log = logging.getLogger(__name__)


def share_of(path: Path, workers: int) -> int:
    """The worker (0 .. workers - 1) a file goes to: by a hash of its name, so every machine
    splits a corpus the same way wherever it is mounted."""
    digest = hashlib.blake2b(Path(path).name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") % workers


def parse_worker(text: str) -> tuple[int, int]:
    """``K/N`` -> (K - 1, N): worker K of N, counted from 1."""
    k, sep, n = text.partition("/")
    if not sep or not k.isdigit() or not n.isdigit() or not 1 <= int(k) <= int(n):
        raise ValueError(f"--worker {text!r}: expected K/N with 1 <= K <= N, e.g. 2/4")
    return int(k) - 1, int(n)


def empty_index(manifest: dict) -> IndexData:
    """An index of nothing with the settings of ``manifest`` (model, analyzer, BM25)."""
    return IndexData.from_manifest(manifest, BM25.from_tokens([], **manifest["bm25"]),
                                   BM25.from_tokens([], **manifest["bm25"]),
                                   FaissIndex(manifest["model"]["dim"]))


@dataclass
class _Worker:
    """What a worker starts with: its share of the files, an empty index of its model and
    analyzer (the settings of a collection it creates), its embedder and cache, its report."""

    files: list[Path]
    base: IndexData
    embedder: Embedder
    cache: EmbeddingCache | None
    report: BuildReport


def _worker(sources, worker: int, workers: int, model: str, use_cache: bool,
            follow_links: bool) -> _Worker:
    files, skipped = find_files(sources, follow_links)
    mine = [f for f in files if share_of(f, workers) == worker]
    log.info(f"Worker {worker + 1}/{workers}: {len(mine)} of {len(files)} files.")
    embedder = Embedder(model)
    base = IndexData(documents={}, passages=[], bm25=BM25.from_tokens([]),
                     folded=BM25.from_tokens([]), dense=FaissIndex(embedder.dim),
                     analyzer=Analyzer(), model=model, manifest={"chunking": CHUNKING},
                     passage_engine=embedder.passage_engine)
    return _Worker(mine, base, embedder, _cache() if use_cache else None,
                   BuildReport(skipped=list(skipped)))


def _batches(w: _Worker, batch: int, access: list[str], skip=frozenset(),
             collection: str = ""):
    """``w``'s documents prepared (segmented, embedded) about ``batch`` passages at a time,
    read one file at a time; documents of ids in ``skip`` (already in ``collection``), files
    that cannot be read and repeated ids go to ``w.report.skipped``."""
    docs: list[Document] = []
    pending = 0  # passages the documents read so far will make, roughly (by words)
    for doc in chain(read_each(w.files, w.report.skipped), [None]):  # None: the end
        if doc is not None and doc.doc_id in skip:
            w.report.skipped.append((doc.source, f"{doc.doc_id} is already in {collection}; "
                                                 "`index ingest` replaces a document"))
            continue
        if doc is not None:
            docs.append(doc)
            pending += max(1, len(doc.text.split()) // CHUNKING["pack_words"])
        if docs and (doc is None or pending >= batch):
            new = _prepare(_with_access(docs, access), w.base.analyzer, w.embedder, w.cache)
            w.report.skipped += new.skipped
            if new.docs:
                yield new
            docs, pending = [], 0


def _tally(w: _Worker, new, where: str) -> None:
    w.report.documents += len(new.docs)
    w.report.passages += len(new.passages)
    w.report.embedded += new.embedded
    log.info(f"  {w.report.documents} documents, {w.report.passages} passages {where} so far")


def _done(w: _Worker) -> BuildReport:
    for path, reason in w.report.skipped:
        log.info(f"skipped {path}: {reason}")
    return w.report


def ingest(sources: list[str | Path], store: MilvusStore, worker: int = 0, workers: int = 1,
           model: str = DEFAULT_MODEL, use_cache: bool = True, follow_links: bool = False,
           access: list[str] | str | None = None, batch: int = BATCH) -> BuildReport:
    """Worker ``worker`` of ``workers``: its share of the files under ``sources`` into the
    live collection of ``store``, about ``batch`` passages at a time."""
    w = _worker(sources, worker, workers, model, use_cache, follow_links)
    created = False
    for new in _batches(w, batch, parse_groups(access)):
        if not created:  # the first batch makes the collection when there is none
            store.ensure(w.base)
            created = True
        store.change(new.passages, {d.doc_id: d for d in new.docs}, new.tokens, new.folded,
                     new.vectors, set(), w.base.bm25.k1, w.base.bm25.b)
        _tally(w, new, "in the collection")
    return _done(w)


def export(sources: list[str | Path], store: MilvusStore, out: Path | str, worker: int = 0,
           workers: int = 1, model: str = DEFAULT_MODEL, use_cache: bool = True,
           follow_links: bool = False, access: list[str] | str | None = None,
           batch: int = BATCH) -> BuildReport:
    """Worker ``worker`` of ``workers``: its share of the files as files for Milvus's bulk
    import into ``out`` (docs/scale-out.md): ``passages-K-of-N-NNNNN.json`` and
    ``documents-K-of-N-NNNNN.json`` (JSON lists of rows of the passages and documents
    collections) and ``statistics-K-of-N.json`` (what the rows add to the statistics, merged
    into the collection once by :func:`merge_statistics`).  The collection must hold none of
    these documents yet (bulk import inserts; ``ingest`` replaces); it is created when there is
    none, and its stored average lengths are those the passage vectors are written against."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    w = _worker(sources, worker, workers, model, use_cache, follow_links)
    physical = store.ensure(w.base)
    delta, avgdl, name = TermStats(), None, f"{worker + 1}-of-{workers}"
    batches = _batches(w, batch, parse_groups(access), set(store.stamps(physical)),
                       store.collection)
    for n, new in enumerate(batches):
        if avgdl is None:
            with store.locked():
                avgdl = store.stored_avgdl(physical, new.tokens, new.folded)
        rows = list(new_rows(new.passages, {d.doc_id: d for d in new.docs}, new.tokens,
                             new.folded, new.vectors, avgdl, w.base.bm25.k1, w.base.bm25.b,
                             delta))
        _write_json(out / f"passages-{name}-{n:05d}.json", rows)
        _write_json(out / f"documents-{name}-{n:05d}.json",
                    [row for d in new.docs for row in document_rows(d)])
        _tally(w, new, f"written to {out}")
    _write_json(out / f"statistics-{name}.json", {"collection": physical, **delta.record()})
    return _done(w)


def _write_json(path: Path, value) -> None:
    """JSON written whole or not at all (a temporary file renamed into place)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def merge_statistics(store: MilvusStore, folder: Path | str) -> int:
    """Merge the ``statistics-*.json`` of exported workers into the live collection, each
    once (a merged file is renamed ``.merged``); returns how many were merged.  A file of
    another collection (the collection was written again since) is refused."""
    merged = 0
    for path in sorted(Path(folder).glob("statistics-*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if record["collection"] != store.alias_target():
            raise ValueError(f"{path} was exported for {record['collection']}, but "
                             f"{store.collection} now serves {store.alias_target()}; export "
                             "again")
        store.merge(TermStats.from_record(record))
        os.replace(path, path.with_name(path.name + ".merged"))
        merged += 1
    return merged


@dataclass
class PullReport:
    documents: int = 0  # documents in the folder now
    passages: int = 0
    fetched: int = 0  # documents fetched from the server (new or changed)
    removed: int = 0
    written: bool = False  # False: the folder was already up to date


def pull(store: MilvusStore, out: Path | str) -> PullReport:
    """Make or bring up to date the index folder ``out`` of ``store``'s live collection."""
    out = Path(out)
    with writer_lock(out, say=log.info):
        return _pull(store, out)


def _pull(store: MilvusStore, out: Path) -> PullReport:
    physical = store.alias_target()
    if physical is None:
        raise ValueError(f"no collection {store.collection} on {store.uri}; write one with "
                         "`python -m index build ... --backend milvus` or `index ingest`")
    manifest = store.manifest(physical)
    local = load_index(out) if (out / "manifest.json").exists() else None
    if local is not None and local.backend.get("physical") != physical:
        local = None  # the collection was written again: the folder is made anew
    stamps = store.stamps(physical)
    have = {d: document_stamp(doc) for d, doc in local.documents.items()} if local else {}
    fetch = sorted(d for d, stamp in stamps.items() if have.get(d) != stamp)
    gone = set(have) - set(stamps)
    report = PullReport(fetched=len(fetch), removed=len(gone))
    if local is not None and not fetch and not gone:
        report.documents, report.passages = len(local.documents), len(local.passages)
        return report
    base = empty_index(manifest) if local is None else \
        without(local, gone | (set(fetch) & set(have)))
    docs = [Document(**record) for record in store.documents(physical, fetch)]
    passages, vectors = _passages_of(store, physical, {d.doc_id: d for d in docs},
                                     base.dense.dim)
    by_id = {d.doc_id: d for d in docs}
    texts = [indexed_text(p, by_id[p.doc_id]) for p in passages]
    tokens = [base.analyzer.tokenize(t) for t in texts]
    folded = [base.analyzer.tokenize_folded(t) for t in texts]
    data = extended(base, docs, passages, tokens, folded, vectors)
    data.backend = store.backend_record(physical)
    write_index(data, out, manifest.get("chunking"))
    report.documents, report.passages, report.written = len(data.documents), len(data.passages), \
        True
    return report


def _passages_of(store: MilvusStore, physical: str, docs: dict[str, Document], dim: int
                 ) -> tuple[list[Passage], np.ndarray]:
    """The passages of ``docs`` on the server, in document and passage order, with vectors."""
    rows = [row for expr in doc_id_filters(docs)
            for row in store.rows_where(physical, expr, ["passage_id", "doc_id", "section",
                                                         "start", "end", "dense"])]
    order = {doc_id: n for n, doc_id in enumerate(docs)}
    rows.sort(key=lambda r: (order[r["doc_id"]], int(r["passage_id"].rsplit("#", 1)[1])))
    passages = [Passage(r["passage_id"], r["doc_id"], docs[r["doc_id"]].text[r["start"]:r["end"]],
                        r["start"], r["end"], r["section"]) for r in rows]
    vectors = np.asarray([r["dense"] for r in rows], dtype=np.float32).reshape(len(rows), dim)
    return passages, vectors


def follow(store: MilvusStore, out: Path | str, every: float) -> None:
    """:func:`pull` every ``every`` seconds, until interrupted."""
    while True:
        report = pull(store, out)
        if report.written:
            log.info(f"{time.strftime('%H:%M:%S')} {out}: {report.fetched} documents fetched, "
                 f"{report.removed} removed; {report.documents} documents, {report.passages} "
                 "passages")
        time.sleep(every)
