"""Where passages are searched: the small interface both backends implement.

``Searcher`` asks a backend for two candidate lists and fuses them itself:

- ``bm25(query, where, n)``: the ``n`` best passage rows by BM25 (``query``: the analyzed terms
  of both fields and their weights), as {row: score}, positive scores only;
- ``dense(vector, where, n)``: the ``n`` nearest passage rows to a query vector by inner
  product, as {row: score};
- ``count()``: passages served.

``where`` (:class:`search.filters.Where`) carries the search filters twice: as given (a server
turns them into its own expression) and as a boolean mask over the rows (what the folder
applies).  Two backends:
:class:`FolderBackend` (the folder's BM25 arrays and FAISS file) and
``index.stores.milvus.MilvusStore`` (a Milvus collection), which adds ``hybrid`` with Milvus's own
rankers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from search.filters import Where


@dataclass(frozen=True)
class BM25Query:
    """A query's BM25 terms in both fields (repeats count) and each field's weight."""

    terms: tuple[str, ...]
    folded_terms: tuple[str, ...]
    weight: float
    folded_weight: float


class Backend(Protocol):
    """What a store that serves passages answers: the two candidate lists and its size."""

    def bm25(self, query: BM25Query, where: Where, n: int) -> dict[int, float]: ...

    def dense(self, vector: np.ndarray, where: Where, n: int) -> dict[int, float]: ...

    def count(self) -> int: ...


EXACT_UNDER = 20_000  # allowed passages scored exactly rather than searched approximately


class FolderBackend:
    """The index folder's own BM25 arrays and FAISS file (``index.stores.folder.IndexData``),
    searched in this process."""

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
