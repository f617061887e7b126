"""Searching an index's collection: the retrieval interface (``search.backends``) and
Milvus's own hybrid search."""

from __future__ import annotations

import logging
import time

import numpy as np

from search.backends import BM25Query
from search.filters import Where, filter_expression

from .config import FLOOR_KEY, PASSAGES_KEY, QUERY_MEMO, MilvusUnavailable
from .rows import idf_of, passage_key, query_terms
from .writes import MilvusWrites


class MilvusStore(MilvusWrites):
    """One index's collection on a Milvus server (or milvus-lite file): searched as
    ``search.backends.Backend`` asks, written by :class:`MilvusWrites`.  ``token`` (default: the
    ``TRACUU_MILVUS_TOKEN`` variable, never written to the manifest) authenticates to a
    server that asks for it: ``user:password`` or an API key."""

    def count(self) -> int:
        """Passages in the served collection (deleted ones not counted)."""
        rows = self._served(self.client.query, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def check(self, passages: list) -> None:
        """Serve the collection the folder was written with (:attr:`physical`, else the
        alias's), loaded, and map its passage keys to the folder's rows.  A full write
        elsewhere that moves the alias does not change what this store searches.  When the
        collection and the folder hold different numbers of passages (a change whose folder
        write failed, or a folder behind another host's change), :attr:`mismatch` says so and
        searches go on: a passage the folder does not know is skipped."""
        self._check_schema()
        physical = self.physical
        serving = physical if physical and self._call(self.client.has_collection, physical) \
            else None
        if serving is None and physical and self.alias_target() is not None:
            raise MilvusUnavailable(f"{self.collection} on {self.uri} no longer holds the "
                                    f"collection the index folder names ({physical}); another "
                                    "build replaced it - reload, or rebuild the index")
        serving = serving or self.alias_target()
        if serving is None:
            raise MilvusUnavailable(f"no collection {self.collection} on {self.uri}; rebuild "
                                    "the index with `python -m index build ... --backend "
                                    "milvus`")
        self._load(serving)  # a restarted server holds it released
        self.serving = serving
        keys = np.fromiter((passage_key(p.passage_id) for p in passages), dtype=np.int64,
                           count=len(passages))
        self._rows = np.argsort(keys, kind="stable")
        self._keys = keys[self._rows]
        rows = self.count()
        self.mismatch = None
        if rows != len(passages):
            self.mismatch = (f"{serving} on {self.uri} holds {rows:,} passages, the index "
                             f"folder {len(passages):,}: a change did not finish (run the same "
                             "add or remove again) or this folder is behind the collection")
            logging.getLogger(__name__).warning(self.mismatch)

    def _served(self, fn, *args, **kwargs):
        """A call on the served collection (:meth:`_on_loaded`)."""
        return self._on_loaded(self.serving or self.collection, fn, *args, **kwargs)

    def _scores(self, hits) -> dict[int, float]:
        """{folder row: score} of search hits; a passage the folder does not hold (written
        after it was loaded) is skipped."""
        out = {}
        for hit in hits:
            key = int(hit.get("pid", hit.get("id")))
            at = int(np.searchsorted(self._keys, key)) if self._keys is not None else 0
            if self._keys is not None and at < len(self._keys) and self._keys[at] == key:
                out[int(self._rows[at])] = float(hit["distance"])
        return out

    def _search(self, data, field: str, n: int, expr: str, params: dict) -> dict[int, float]:
        result = self._served(self.client.search, data=[data], anns_field=field, limit=n,
                              filter=expr, output_fields=["pid"], search_params=params)
        return self._scores(result[0])

    def query_vector(self, query: BM25Query) -> dict[int, float]:
        """The sparse query: each term's count times its field's weight times its idf, from
        the collection's statistics as they are now.  The last query's vector is kept for
        :data:`QUERY_MEMO` seconds: one search asks for it twice (the BM25 list, then Milvus's
        own hybrid search), and the statistics are one round trip."""
        memo = self._memo
        if memo is not None and memo[0] == query and time.monotonic() - memo[1] < QUERY_MEMO:
            return memo[2]
        vector = self._query_vector(query)
        self._memo = (query, time.monotonic(), vector)
        return vector

    def _query_vector(self, query: BM25Query) -> dict[int, float]:
        terms = query_terms(query)
        if not terms:
            return {}
        figures = self.figures({key for _, key in terms} | {PASSAGES_KEY, *FLOOR_KEY.values()})
        passages, out = figures.get(PASSAGES_KEY, 0.0), {}
        for (prefix, key), weight in terms.items():
            df = figures.get(key)
            if df:
                value = weight * idf_of(df, passages, figures.get(FLOOR_KEY[prefix], 0.0))
                if value > 0:
                    out[key] = out.get(key, 0.0) + value
        return out


    def bm25(self, query: BM25Query, where: Where, n: int) -> dict[int, float]:
        vector = self.query_vector(query)
        if not vector:
            return {}
        return self._search(vector, "bm25", n, filter_expression(where.filters, where.groups),
                            {"metric_type": "IP"})

    def dense(self, vector: np.ndarray, where: Where, n: int) -> dict[int, float]:
        return self._search(np.asarray(vector, dtype=np.float32).tolist(), "dense", n,
                            filter_expression(where.filters, where.groups),
                            self.config.dense_params(n))

    def hybrid(self, query: BM25Query, dense_vector: np.ndarray, where: Where, n: int,
               ranker: str, dense_weight: float = 0.5, rrf_k: int = 60) -> dict[int, float]:
        """Fused by Milvus itself: ``ranker`` is ``rrf`` (RRFRanker) or ``weighted``
        (WeightedRanker with ``1 - dense_weight`` and ``dense_weight``, scores normalized)."""
        from pymilvus import AnnSearchRequest, RRFRanker, WeightedRanker

        if ranker not in ("rrf", "weighted"):
            raise ValueError(f"unknown Milvus ranker {ranker!r}; expected rrf or weighted")
        sparse_vector = self.query_vector(query)
        expr = filter_expression(where.filters, where.groups)
        requests = [AnnSearchRequest([np.asarray(dense_vector, dtype=np.float32).tolist()],
                                     "dense", self.config.dense_params(n), n, expr=expr or None)]
        weights = [dense_weight]
        if sparse_vector:
            requests.append(AnnSearchRequest([sparse_vector], "bm25", {"metric_type": "IP"}, n,
                                             expr=expr or None))
            weights.append(1 - dense_weight)
        fuse = RRFRanker(rrf_k) if ranker == "rrf" else WeightedRanker(*weights, norm_score=True)
        result = self._served(self.client.hybrid_search, requests, fuse, limit=n,
                              output_fields=["pid"])
        return self._scores(result[0])
