"""Rows of the collections: passages (dense vector, saturated BM25 frequencies, filter
fields), BM25 statistics, and documents cut into pieces; the query's sparse vector."""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

import numpy as np

from index.readers.metadata import document_year
from index.text import normalize
from search.backends import BM25Query
from search.filters import FIELD_BYTES, FILTER_FIELDS, ID_BYTES, cut_bytes, filter_value

from .config import (
    AVGDL_KEY,
    BATCH,
    DOC_BYTES,
    EMPTY_ID,
    FLOOR_KEY,
    ID_SPACE,
    PASSAGES_KEY,
    TERM_FIELDS,
    TEXT_BYTES,
    TOTAL_KEY,
    MilvusConfig,
)


def term_id(prefix: str, term: str) -> int:
    """The sparse dimension of ``term`` in a BM25 field (``prefix`` ``a``: accented, ``f``:
    accent-free)."""
    digest = hashlib.blake2b(f"{prefix}:{term}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "little") % ID_SPACE


def passage_key(passage_id: str) -> int:
    """A passage's primary key: 63 bits of a BLAKE2b hash of its id, the same in every
    version of the collection, so a replaced document's passages overwrite their rows."""
    digest = hashlib.blake2b(passage_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & (2**63 - 1)


def saturated(tokens: list[str], prefix: str, avgdl: float, k1: float,
              b: float) -> dict[int, float]:
    """{term id: saturated frequency} of one passage's terms in one field
    (``index.stores.bm25``)."""
    counts = Counter(tokens)
    norm = k1 * (1 - b + b * len(tokens) / avgdl) if avgdl else k1
    return {term_id(prefix, t): c * (k1 + 1) / (c + norm) for t, c in counts.items()}


def idf_of(df: float, passages: float, floor: float) -> float:
    """rank-bm25's idf (``index.stores.bm25.BM25.idf``) of a term held by ``df`` of ``passages``."""
    idf = math.log(passages - df + 0.5) - math.log(df + 0.5)
    return floor if idf < 0 else idf


def query_terms(query: BM25Query) -> dict[tuple[str, int], float]:
    """{(field prefix, term id): count times the field's weight} of a query."""
    out: dict[tuple[str, int], float] = {}
    for prefix, terms, weight in (("a", query.terms, query.weight),
                                  ("f", query.folded_terms, query.folded_weight)):
        for term in terms if weight > 0 else ():
            key = (prefix, term_id(prefix, term))
            out[key] = out.get(key, 0.0) + weight
    return out


@dataclass
class TermStats:
    """Document frequencies by term id, passages, and total lengths by field: of a whole
    collection, or the difference a change makes to them."""

    df: Counter = field(default_factory=Counter)
    passages: int = 0
    totals: Counter = field(default_factory=Counter)

    def count(self, terms, lengths: dict[str, int], sign: int = 1) -> None:
        """One passage (its term ids, its length by field) in, or out with ``sign`` -1."""
        for key in terms:
            if key != EMPTY_ID:
                self.df[int(key)] += sign
        self.passages += sign
        for prefix, length in lengths.items():
            self.totals[prefix] += sign * int(length)

    def record(self) -> dict:
        """As JSON (term ids as strings)."""
        return {"df": {str(k): v for k, v in self.df.items() if v}, "passages": self.passages,
                "totals": dict(self.totals)}

    @classmethod
    def from_record(cls, record: dict) -> TermStats:
        return cls(Counter({int(k): int(v) for k, v in record["df"].items()}),
                   int(record["passages"]), Counter(record["totals"]))

    def figures(self) -> dict[int, float]:
        """The statistics rows this difference touches, keyed as the collection keys them."""
        out = {k: float(v) for k, v in self.df.items() if v}
        if self.passages:
            out[PASSAGES_KEY] = float(self.passages)
        for prefix, total in self.totals.items():
            if total:
                out[TOTAL_KEY[prefix]] = float(total)
        return out


def folder_stats(data) -> dict[int, float]:
    """The statistics rows of a full write from an index folder (``index.stores.folder.IndexData``):
    exact document frequencies, and the average lengths and idf floors of its BM25 arrays."""
    keys, dfs = [], []
    out = {PASSAGES_KEY: float(data.bm25.n_docs)}
    for prefix, attr in TERM_FIELDS:
        bm25 = getattr(data, attr)
        keys.append(_vocab_ids(bm25, prefix))
        n = np.diff(bm25.tf.indptr).astype(np.float64)
        dfs.append(n)
        total = float(bm25.tf.data.sum(dtype=np.float64))
        out[TOTAL_KEY[prefix]] = total
        out[AVGDL_KEY[prefix]] = total / bm25.n_docs if bm25.n_docs else 0.0
        raw = np.log(bm25.n_docs - n + 0.5) - np.log(n + 0.5)
        out[FLOOR_KEY[prefix]] = float(bm25.epsilon * raw.mean()) if raw.size else 0.0
    ids, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    sums = np.bincount(inverse, weights=np.concatenate(dfs))
    out.update(zip(ids.tolist(), sums.tolist()))
    return out


def _vocab_ids(bm25, prefix: str) -> np.ndarray:
    """The term id of each column of a BM25 field."""
    ids = np.empty(len(bm25.vocab), dtype=np.int64)
    for term, j in bm25.vocab.items():
        ids[j] = term_id(prefix, term)
    return ids


def folder_rows(data, items=None, size: int = BATCH) -> Iterator[tuple[list, list[dict]]]:
    """The rows of an index's passages, ``size`` at a time, with the documents each batch
    starts: ``data`` (``index.stores.folder.IndexData``) gives the BM25 arrays and vectors (the
    passage vectors are its own BM25 weights: saturated frequencies against its average length,
    turned by passage on disk first: :meth:`index.stores.bm25.BM25.by_passage`); ``items``, each
    document with its passages in the arrays' order, default to ``data``'s
    (``index.stores.folder.iter_documents`` streams them from a folder instead)."""
    import tempfile

    if items is None:
        items = ((data.documents[doc_id], list(group))
                 for doc_id, group in groupby(data.passages, key=lambda p: p.doc_id))
    with tempfile.TemporaryDirectory(prefix="tracuu-rows-") as tmp:
        fields = []
        for prefix, attr in TERM_FIELDS:
            bm25 = getattr(data, attr)
            fields.append((prefix, _vocab_ids(bm25, prefix), *bm25.by_passage(Path(tmp), prefix),
                           bm25.doc_lengths()))
        lo, docs, batch = 0, [], []
        for doc, passages in items:
            docs.append(doc)
            batch.extend((p, filter_values(doc.metadata)) for p in passages)
            if len(batch) >= size:
                yield docs, _rows(fields, data.dense, lo, batch)
                lo, docs, batch = lo + len(batch), [], []
        if docs or batch:
            yield docs, _rows(fields, data.dense, lo, batch)


def _rows(fields, dense, lo: int, batch: list) -> list[dict]:
    """Rows of passages ``lo`` .. ``lo + len(batch)`` of the arrays."""
    hi = lo + len(batch)
    vectors = dense.vectors(lo, hi)
    parts = []
    for prefix, ids, rows, columns, values, lengths in fields:
        a, b = rows[lo], rows[hi]
        parts.append((prefix, rows[lo:hi + 1] - a, ids[np.asarray(columns[a:b])],
                      np.asarray(values[a:b], dtype=np.float64), lengths[lo:hi]))
    out = []
    for i, (p, meta) in enumerate(batch):
        vector, sizes = {}, {}
        for prefix, pointers, terms, weights, lengths in parts:
            a, b = pointers[i], pointers[i + 1]
            vector.update(zip(terms[a:b].tolist(), weights[a:b].tolist()))
            sizes[prefix] = int(lengths[i])
        out.append(passage_row(p, meta, vectors[i], vector, sizes))
    return out


def passage_row(p, filter_values: dict, vector: np.ndarray, bm25: dict[int, float],
                lengths: dict[str, int]) -> dict:
    """One passage as a row of the collection."""
    return {"pid": passage_key(p.passage_id), "passage_id": cut_bytes(p.passage_id, ID_BYTES),
            "doc_id": cut_bytes(p.doc_id, ID_BYTES), "section": cut_bytes(p.section, 4096),
            "text": cut_bytes(p.text, TEXT_BYTES), "start": p.start, "end": p.end, **filter_values,
            "length_a": lengths.get("a", 0), "length_f": lengths.get("f", 0),
            "dense": np.asarray(vector, dtype=np.float32).tolist(),
            "bm25": bm25 or {EMPTY_ID: 1e-9}}


def new_rows(passages: list, documents: dict, tokens: list[list[str]],
             folded: list[list[str]], vectors: np.ndarray, avgdl: dict[str, float], k1: float,
             b: float, delta: TermStats) -> Iterator[dict]:
    """The rows of new ``passages`` (of ``documents``; their terms in both fields, their
    vectors), BM25 weights against the stored ``avgdl``; each passage counted into ``delta``."""
    meta = {doc_id: filter_values(doc.metadata) for doc_id, doc in documents.items()}
    for i, p in enumerate(passages):
        vector = {**saturated(tokens[i], "a", avgdl["a"], k1, b),
                  **saturated(folded[i], "f", avgdl["f"], k1, b)}
        lengths = {"a": len(tokens[i]), "f": len(folded[i])}
        delta.count(vector, lengths)
        yield passage_row(p, meta[p.doc_id], vectors[i], vector, lengths)


def filter_values(meta: dict) -> dict:
    """A document's filter fields as ``Searcher``'s filters compare them: normalized ``str``
    of the value, cut."""
    values = {key: cut_bytes(normalize(filter_value(meta, key)), FIELD_BYTES)
              for key in FILTER_FIELDS}
    values["year"] = document_year(meta) or 0
    access = meta.get("access") or []
    values["access"] = cut_bytes(f"|{'|'.join(access)}|", FIELD_BYTES) if access else ""
    return values


def server_manifest(data, config: MilvusConfig) -> dict:
    """What a host needs to make an index folder of the collection (:mod:`index.ingest`)."""
    manifest = data.manifest_for(data.manifest.get("chunking"))
    keep = ("format_version", "model", "analyzer", "bm25", "chunking")
    return {**{k: manifest[k] for k in keep}, "milvus": config.record()}


def document_rows(doc) -> list[dict]:
    """A document as rows of the documents collection: its record (doc_id, title, source,
    metadata, text) as JSON, cut into pieces of at most :data:`DOC_BYTES` bytes."""
    record = document_record(doc)
    raw, pieces, start = record.encode("utf-8"), [], 0
    while start < len(raw):
        end = min(len(raw), start + DOC_BYTES)
        while end < len(raw) and raw[end] & 0xC0 == 0x80:  # whole characters in each piece
            end -= 1
        pieces.append(raw[start:end].decode("utf-8"))
        start = end
    doc_id, stamp = cut_bytes(doc.doc_id, ID_BYTES), document_stamp(doc)
    return [{"key": f"d:{doc_id}#{i}", "doc_id": doc_id, "part": i, "parts": len(pieces),
             "stamp": stamp, "payload": piece, "v": [0.0, 0.0]}
            for i, piece in enumerate(pieces)]


def document_record(doc) -> str:
    """A document as the documents collection holds it: JSON of its id, title, source,
    metadata and text."""
    return json.dumps({"doc_id": doc.doc_id, "title": doc.title, "source": doc.source,
                       "metadata": doc.metadata, "text": doc.text}, ensure_ascii=False)


def document_stamp(doc) -> str:
    """What tells one version of a document from another: a hash of its record."""
    return hashlib.blake2b(document_record(doc).encode("utf-8"), digest_size=16).hexdigest()


def row_of(hit: dict) -> int:
    """The passage row of a search hit (the primary key, under its name or as ``id``)."""
    return int(hit["row"] if "row" in hit else hit["id"])


def lock_time(holder: str | None) -> float | None:
    """When a writer lock was taken: the seconds in its collection's name."""
    try:
        return float(holder.rsplit("__lock_", 1)[1].split("_")[0]) if holder else None
    except (IndexError, ValueError):
        return None
