"""Build an index from source files, and change one without a full rebuild.

``build``: read → split into passages → tokenize → BM25 arrays → embed (cached) → FAISS →
write the folder.  ``add`` and ``remove`` start from an existing folder: unchanged passages
keep their terms and vectors; only new passages are tokenized and embedded; BM25 statistics
are recomputed over the whole collection, so the result equals a fresh build.  An index served
by Milvus (:mod:`index.stores.milvus`) takes the change in place in its collection first (the folder
next), and ``rebuild`` writes its collection again, whole.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.access import parse_groups
from index.chunking import Passage, split_document
from index.encoders.embeddings import DEFAULT_MODEL, Embedder, EmbeddingCache
from index.paths import cache_dir
from index.readers.documents import Document, Limits
from index.readers.sources import read_sources
from index.stores.bm25 import BM25
from index.stores.dense import FaissIndex
from index.stores.folder import IndexData, indexed_text, write_index, write_manifest
from index.stores.loading import iter_documents, load_arrays, load_index
from index.stores.milvus import MilvusConfig, MilvusStore
from index.stores.versions import IndexFolderError, check_target, recover, writer_lock
from index.text import Analyzer

log = logging.getLogger(__name__)
_say = log.info  # a message of the work in progress (index.logs)
CHUNKING = {"max_words": 250, "min_words": 40, "max_chars": 1200, "pack_words": 120}


@dataclass
class BuildReport:
    documents: int = 0
    passages: int = 0
    embedded: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    peak_mb: float | None = None  # the indexing process's peak memory (index.worker), MB


def _progress(items, desc: str, total: int):
    if total < 2000:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, total=total, unit="passage", file=sys.stderr)


@dataclass
class _Prepared:
    docs: list[Document]  # those within the passage limit
    passages: list[Passage]
    tokens: list[list[str]]
    folded: list[list[str]]
    vectors: np.ndarray
    embedded: int
    skipped: list[tuple[str, str]]  # documents over the passage limit


Progress = Callable[[float, str], None]  # (share done, what is being done) for a UI


def _prepare(docs: list[Document], analyzer: Analyzer, embedder: Embedder,
             cache: EmbeddingCache | None, progress: Progress | None = None) -> _Prepared:
    """Passages of ``docs`` with their BM25 terms (both fields) and vectors; a document of
    more passages than the limit (:class:`index.readers.documents.Limits`) is left out, with why."""
    limit = Limits.from_env().passages
    kept: list[Document] = []
    passages: list[Passage] = []
    texts: list[str] = []
    skipped: list[tuple[str, str]] = []
    for doc in docs:
        pieces = split_document(doc, **CHUNKING)
        if len(pieces) > limit:
            skipped.append((doc.source, f"{len(pieces):,} passages, over the limit of "
                                        f"{limit:,} (TRACUU_MAX_PASSAGES)"))
            continue
        kept.append(doc)
        for p in pieces:
            passages.append(p)
            texts.append(indexed_text(p, doc))
    if progress:
        progress(0.1, f"Tách từ {len(texts)} đoạn ({len(kept)} văn bản)")
    tokens = [analyzer.tokenize(t) for t in _progress(texts, "Tokenizing", len(texts))]
    folded = [analyzer.tokenize_folded(t) for t in texts]

    def on_batch(done: int, total: int) -> None:
        if progress and done == 0:
            progress(0.2, f"Nạp mô hình nhúng để nhúng {total} đoạn mới")
        elif progress:
            progress(0.2 + 0.7 * done / total, f"Nhúng vector: {done}/{total} đoạn mới")

    _report_skipped(skipped)
    vectors, embedded = embedder.encode_cached(texts, cache, on_batch=on_batch)
    return _Prepared(kept, passages, tokens, folded, vectors, embedded, skipped)


def _cache() -> EmbeddingCache | None:
    try:
        return EmbeddingCache(cache_dir() / "embeddings.sqlite")
    except Exception as exc:  # a read-only home must not stop a build
        log.warning(f"embedding cache unavailable ({exc}); every passage will be embedded")
        return None


def _report_skipped(skipped: list[tuple[str, str]]) -> None:
    for path, reason in skipped:
        _say(f"skipped {path}: {reason}")


def build(sources: list[str | Path], out: Path | str, model: str = DEFAULT_MODEL,
          analyzer: Analyzer | None = None, use_cache: bool = True,
          milvus: MilvusStore | None = None, follow_links: bool = False,
          access: list[str] | str | None = None) -> BuildReport:
    """Build a new index at ``out`` from files, folders and BEIR ``corpus.jsonl`` files; with
    ``milvus``, its passages are also written to that Milvus collection, which then serves
    the searches (see :mod:`index.stores.milvus`).  Symbolic links in source folders are followed
    only with ``follow_links``.  ``access``: the groups the documents are restricted to
    (:mod:`index.access`; none: every reader).

    Returns the report: documents, passages, how many were embedded, files skipped and why."""
    access = parse_groups(access)
    check_target(Path(out), [Path(s) for s in sources])
    with writer_lock(out, say=_say):
        return _build(sources, Path(out), model, analyzer, use_cache, milvus, follow_links,
                      access)


def _with_access(docs: list, access: list[str]) -> list:
    """``docs`` restricted to the ``access`` groups (unchanged when there are none)."""
    for doc in docs:
        if access:
            doc.metadata["access"] = list(access)
    return docs


def _build(sources, out: Path, model: str, analyzer: Analyzer | None, use_cache: bool,
           milvus: MilvusStore | None, follow_links: bool, access: list[str]) -> BuildReport:
    analyzer = analyzer or Analyzer()
    docs, skipped = read_sources(sources, follow_links)
    docs = _with_access(docs, access)
    _report_skipped(skipped)
    if not docs:
        raise ValueError(f"no readable documents in {', '.join(map(str, sources))} "
                         f"({len(skipped)} skipped); nothing was written")
    _say(f"Read {len(docs)} documents ({len(skipped)} skipped).")
    embedder = Embedder(model)
    cache = _cache() if use_cache else None
    new = _prepare(docs, analyzer, embedder, cache)
    if not new.docs:
        raise ValueError(f"no document within the limits in {', '.join(map(str, sources))}; "
                         "nothing was written")
    dense = FaissIndex(new.vectors.shape[1])
    dense.add(new.vectors)
    data = IndexData(documents={d.doc_id: d for d in new.docs}, passages=new.passages,
                     bm25=BM25.from_tokens(new.tokens), folded=BM25.from_tokens(new.folded),
                     dense=dense, analyzer=analyzer, model=model,
                     passage_engine=embedder.passage_engine)
    _save(data, Path(out), CHUNKING, milvus)
    return BuildReport(len(new.docs), len(new.passages), new.embedded, skipped + new.skipped)


def extended(data: IndexData, docs: list[Document], passages: list[Passage],
             tokens: list[list[str]], folded: list[list[str]], vectors: np.ndarray) -> IndexData:
    """``data`` with ``docs`` and their ``passages`` (BM25 terms of both fields, vectors)
    appended; the BM25 statistics recomputed over the whole."""
    dense = data.dense.writable()
    dense.add(vectors)
    return IndexData(documents={**data.documents, **{d.doc_id: d for d in docs}},
                     passages=data.passages + passages, bm25=data.bm25.extend(tokens),
                     folded=data.folded.extend(folded), dense=dense, analyzer=data.analyzer,
                     model=data.model, manifest=data.manifest,
                     passage_engine=data.passage_engine, backend=data.backend)


def without(data: IndexData, doc_ids: set[str]) -> IndexData:
    """``data`` without the documents ``doc_ids`` and their passages."""
    rows = np.array([i for i, p in enumerate(data.passages) if p.doc_id not in doc_ids],
                    dtype=np.int64)
    return IndexData(documents={k: v for k, v in data.documents.items() if k not in doc_ids},
                     passages=[data.passages[i] for i in rows], bm25=data.bm25.keep(rows),
                     folded=data.folded.keep(rows), dense=data.dense.keep(rows),
                     analyzer=data.analyzer, model=data.model, manifest=data.manifest,
                     passage_engine=data.passage_engine, backend=data.backend)


def _save(data: IndexData, out: Path, chunking: dict | None = None,
          milvus: MilvusStore | None = None) -> None:
    """Write the folder; first, when the index is served by Milvus, its collection (a new one,
    swapped in whole: a failure on either side leaves the previous index as it was)."""
    milvus = milvus or MilvusStore.for_index(data.backend)
    if milvus is None:
        write_index(data, out, chunking)
        return

    def record(backend: dict) -> None:
        data.backend = backend
        write_index(data, out, chunking)

    _to_milvus(milvus, data, record)


def _to_milvus(milvus: MilvusStore, data: IndexData, record, items=None) -> None:
    """Write ``data``'s passages (``items``: streamed, see ``index.stores.milvus.folder_rows``) to a
    new collection, ``record(backend)`` it in the folder, then drop the collection it
    replaces: a failure before the folder names the new one leaves the old one serving."""
    _say(f"Writing {data.bm25.n_docs:,} passages to Milvus ({milvus.uri}, collection "
         f"{milvus.collection}) ...")
    physical, old = milvus.write(data, say=_say, items=items)
    record(milvus.backend_record(physical))
    milvus.drop_collection(old)  # the folder names the new one now
    milvus.close()


def _embedder_like(data: IndexData) -> Embedder:
    """An embedder for new passages of ``data``: the engine its passages were embedded with,
    when this machine has it."""
    try:
        return Embedder(data.model, engine=data.passage_engine or None)
    except ValueError as exc:
        log.warning(f"{exc}; new passages are embedded with the default engine")
        return Embedder(data.model)


def add(sources: list[str | Path], index_dir: Path | str, use_cache: bool = True,
        progress: Progress | None = None, follow_links: bool = False,
        access: list[str] | str | None = None) -> BuildReport:
    """Add (or replace, by doc_id) documents in an existing index.  ``progress(share,
    message)``, when given, hears how far the work is (for a progress bar).  ``access``: the
    groups the added documents are restricted to (:mod:`index.access`; none: every reader).

    Returns the report of the change (documents and passages now in the index)."""
    access = parse_groups(access)
    index_dir = Path(index_dir)
    with writer_lock(index_dir, say=_say):
        return _add(sources, index_dir, use_cache, progress, follow_links, access)


def _add(sources, index_dir: Path, use_cache: bool, progress: Progress | None,
         follow_links: bool, access: list[str]) -> BuildReport:
    if progress:
        progress(0.0, "Đọc văn bản")
    # the arrays are mapped, not read: the new version is built from them (a copy each), and
    # the mapped version stays on disk until a later change prunes it
    data = load_index(index_dir)
    docs, skipped = read_sources(sources, follow_links)
    docs = _with_access(docs, access)
    _report_skipped(skipped)
    if not docs:
        raise ValueError(f"no readable documents in {', '.join(map(str, sources))} "
                         f"({len(skipped)} skipped); the index is unchanged")
    embedder = _embedder_like(data)
    new = _prepare(docs, data.analyzer, embedder, _cache() if use_cache else None, progress)
    if not new.docs:
        raise ValueError(f"no document within the limits in {', '.join(map(str, sources))}; "
                         "the index is unchanged")
    replaced = {d.doc_id for d in new.docs} & set(data.documents)
    if replaced:  # only by documents that are indexed in their place
        _say(f"Replacing {len(replaced)} documents already in the index: "
             + ", ".join(sorted(replaced)))
        data = without(data, replaced)
    if progress:
        progress(0.95, "Ghi chỉ mục")
    merged = extended(data, new.docs, new.passages, new.tokens, new.folded, new.vectors)
    _write_change(merged, index_dir, gone=replaced, passages=new.passages,
                  documents={d.doc_id: d for d in new.docs}, tokens=new.tokens,
                  folded=new.folded, vectors=new.vectors)
    if progress:
        progress(1.0, "Xong")
    return BuildReport(len(new.docs), len(new.passages), new.embedded, skipped + new.skipped)


def remove(doc_ids: list[str], index_dir: Path | str) -> BuildReport:
    """Remove documents by id; unknown ids are an error and nothing changes.

    Returns the report: the ids removed, documents and passages that remain."""
    index_dir = Path(index_dir)
    with writer_lock(index_dir, say=_say):
        return _remove(doc_ids, index_dir)


def _remove(doc_ids: list[str], index_dir: Path) -> BuildReport:
    data = load_index(index_dir)  # mapped, as for an addition
    unknown = [d for d in doc_ids if d not in data.documents]
    if unknown:
        known = ", ".join(sorted(data.documents)[:10])
        raise ValueError(f"not in the index: {', '.join(unknown)} (ids look like: {known}); "
                         "nothing was removed")
    if len(set(doc_ids)) == len(data.documents):
        raise ValueError("removing every document would leave an empty index; build a new one "
                         "instead")
    kept = without(data, set(doc_ids))
    _write_change(kept, index_dir, gone=set(doc_ids))
    return BuildReport(len(kept.documents), len(kept.passages), 0, removed=list(doc_ids))


def _write_change(data: IndexData, out: Path, gone: set[str],
                  passages: list[Passage] | None = None, documents: dict | None = None,
                  tokens: list[list[str]] | None = None, folded: list[list[str]] | None = None,
                  vectors: np.ndarray | None = None) -> None:
    """Write ``data``, an index changed by the documents ``gone`` out and ``passages`` (of
    ``documents``, with their BM25 terms and vectors) in.  An index served
    by Milvus takes the change in place first (:meth:`index.stores.milvus.MilvusStore.change`), then
    the folder is written; when the folder fails, running the same change again is safe (the
    collection's rows and statistics are recomputed from what it holds)."""
    milvus = MilvusStore.for_index(data.backend)
    if milvus is not None:
        _say(f"Changing the Milvus collection {milvus.collection} ({milvus.uri}) in place: "
             f"{len(gone)} documents out, {len(passages or [])} passages in ...")
        try:
            milvus.change(passages or [], documents or {}, tokens or [], folded or [],
                          vectors if vectors is not None else np.zeros((0, data.dense.dim)),
                          gone, data.bm25.k1, data.bm25.b)
        finally:
            milvus.close()
    write_index(data, out)


def rebuild(index_dir: Path | str, config: MilvusConfig | None = None) -> Path:
    """Write the collection of an index served by Milvus again, whole, from its folder: a new
    physical collection (the BM25 average lengths and idf floors refreshed; ``config``, when
    given, its new layout), then the alias moves to it; searches go on from the old one until
    then.  Nothing is embedded again.  Returns the index folder."""
    index_dir = Path(index_dir)
    with writer_lock(index_dir, say=_say):
        milvus = MilvusStore.for_index(load_arrays(index_dir).backend)
        if milvus is None:
            raise ValueError(f"{index_dir} is searched in its folder, not on Milvus; `python -m "
                             "index publish` serves it from a Milvus collection")
        if config is not None:
            milvus.config = config
        _serve_in_place(index_dir, milvus)
    return index_dir


def publish(index_dir: Path | str, milvus: MilvusStore, out: Path | str | None = None) -> Path:
    """Serve an existing index from Milvus without rebuilding it: its passages, vectors and BM25
    weights go to ``milvus``'s collection, and the folder (``out``, a copy, when given) records
    it.  Returns the folder."""
    index_dir, target = Path(index_dir), Path(out or index_dir)
    check_target(target)
    with writer_lock(target, say=_say):
        if target.resolve() == index_dir.resolve():
            _serve_in_place(index_dir, milvus)
        else:
            data = load_index(index_dir)
            _save(data, target, data.manifest.get("chunking"), milvus)
    return target


def _serve_in_place(index_dir: Path, milvus: MilvusStore) -> None:
    """Write the folder's passages to a new collection of ``milvus``, streamed a batch at a
    time (memory bounded by a batch, whatever the index's size), then record it in a new
    manifest beside the same files; the collection it replaces is dropped after."""
    _to_milvus(milvus, load_arrays(index_dir),
               lambda backend: write_manifest(index_dir, backend=backend),
               iter_documents(index_dir))


def ensure_default_index(index_dir: Path | str | None = None) -> Path:
    """The default index folder, built from the sample corpus on first use.  The project's own
    sample index (``.tracuu/index``) is also rebuilt when another version of the text processing
    made it; an index elsewhere is never overwritten (loading it says to rebuild)."""
    from index.paths import PROJECT_ROOT, SAMPLE_CORPUS, default_index_dir

    index_dir = Path(index_dir or default_index_dir())
    own = index_dir.resolve() == (PROJECT_ROOT / ".tracuu" / "index").resolve()
    return ensure_index(index_dir, [SAMPLE_CORPUS], "the sample corpus", rebuild=own)


def ensure_index(index_dir: Path, sources: list[Path], label: str, rebuild: bool = True) -> Path:
    """``index_dir``, built from ``sources`` when it holds no index, and (with ``rebuild``)
    when it was made by another version of the text processing."""
    from index.stores.loading import unusable_reason

    index_dir = Path(index_dir)
    recover(index_dir)
    if not (index_dir / "manifest.json").exists():
        _say(f"No index at {index_dir}: building it from {label} ...")
        build(sources, index_dir)
        return index_dir
    reason = unusable_reason(index_dir) if rebuild else None
    if reason:
        _say(f"{reason}\nRebuilding the index of {label} ...")
        build(sources, index_dir)
    return index_dir


__all__ = ["BuildReport", "IndexFolderError", "add", "build", "ensure_default_index",
           "ensure_index", "publish", "rebuild", "remove"]
