"""Where passages are searched: the small interface both backends implement.

``Searcher`` asks a backend for two candidate lists and fuses them itself:

- ``bm25(query, where, n)``: the ``n`` best passage rows by BM25 (``query``: the analyzed terms
  of both fields and their weights), as {row: score}, positive scores only;
- ``dense(vector, where, n)``: the ``n`` nearest passage rows to a query vector by inner
  product, as {row: score};
- ``count()``: passages served.

``where`` carries the search filters twice: as given (a server turns them into its own
expression) and as a boolean mask over the rows (what the folder applies).  Two backends:
:class:`EmbeddedRetrieval` (the folder's BM25 arrays and FAISS file) and
``index.milvus.MilvusStore`` (a Milvus collection), which adds ``hybrid`` with Milvus's own
rankers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class BM25Query:
    """A query's BM25 terms in both fields (repeats count) and each field's weight."""

    terms: tuple[str, ...]
    folded_terms: tuple[str, ...]
    weight: float
    folded_weight: float


FILTER_FIELDS = ("doc_type", "issuer", "level", "code")  # compared as normalized text
FILTERS = (*FILTER_FIELDS, "year", "doc_id")  # year: one year or [from, to]
NEWS_TYPE = "Tin bài"  # the type of a document with neither a code nor a type of its own


def filter_value(meta: dict, key: str) -> str:
    """What a filter field of ``key`` compares for a document: its metadata value, but the
    issuer as the body alone (``Huyện ủy Hớn Quản`` -> ``Huyện ủy``: one entry per body in
    the filter list, whatever place a header names or leaves out) and a type for every
    document (a news report, with no code, is a :data:`NEWS_TYPE`)."""
    value = str(meta.get(key) or "")
    if key == "issuer" and value and meta.get("place"):
        place = str(meta["place"])
        if value.lower().endswith(" " + place.lower()):
            value = value[:-len(place)].strip()
    elif key == "doc_type" and not value and not meta.get("code"):
        value = NEWS_TYPE
    return value


def wanted(want) -> list:
    """A filter's accepted values: one value or a list (set, tuple) of them."""
    return list(want) if isinstance(want, (list, set, tuple)) else [want]


def check_filter(key: str) -> None:
    if key not in FILTERS:
        raise ValueError(f"unknown filter {key!r}; expected {', '.join(FILTERS)}")


@dataclass(frozen=True)
class Where:
    """The filters of a search, and the rows they allow (None: every row); ``groups``: the
    reader's access groups when the index has restricted documents (:mod:`index.access`; None:
    no restriction to apply), which a server-side store turns into its own filter."""

    filters: dict | None = None
    mask: np.ndarray | None = None
    groups: frozenset[str] | None = None


class Retrieval(Protocol):
    def bm25(self, query: BM25Query, where: Where, n: int) -> dict[int, float]: ...

    def dense(self, vector: np.ndarray, where: Where, n: int) -> dict[int, float]: ...

    def count(self) -> int: ...


EXACT_UNDER = 20_000  # allowed passages scored exactly rather than searched approximately


class EmbeddedRetrieval:
    """The index folder's own BM25 arrays and FAISS file (``index.store.IndexData``)."""

    def __init__(self, data):
        self.data = data

    def count(self) -> int:
        return len(self.data.passages)

    def bm25(self, query: BM25Query, where: Where, n: int) -> dict[int, float]:
        scores = np.zeros(self.count())
        if query.weight and query.terms:
            scores += query.weight * self.data.bm25.scores(list(query.terms))
        if query.folded_weight and query.folded_terms:
            scores += query.folded_weight * self.data.folded.scores(list(query.folded_terms))
        if where.mask is not None:
            scores = np.where(where.mask, scores, 0.0)
        rows = np.flatnonzero(scores > 0)
        top = rows[np.argsort(-scores[rows], kind="stable")[:n]]
        return {int(r): float(scores[r]) for r in top}

    def dense(self, vector: np.ndarray, where: Where, n: int) -> dict[int, float]:
        dense, mask = self.data.dense, where.mask
        if mask is None:
            scores, rows = dense.search(vector, n)
            return {int(r): float(s) for s, r in zip(scores, rows)}
        allowed = np.flatnonzero(mask)
        if len(allowed) <= EXACT_UNDER:
            scores = dense.scores_for(vector, allowed)
            order = np.argsort(-scores, kind="stable")[:n]
            return {int(allowed[i]): float(scores[i]) for i in order}
        want = n * 4
        while True:  # widen the search until enough allowed passages come back
            scores, rows = dense.search(vector, want)
            run = {int(r): float(s) for s, r in zip(scores, rows) if mask[r]}
            if len(run) >= n or want >= dense.count:
                return dict(list(run.items())[:n])
            want *= 4
