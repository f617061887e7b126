"""How the searcher combines its two candidate lists into one score: the fusion method of
:mod:`search.fusion` (or the server's ranker), the weight of the dense list for a query, the
learned combination of :mod:`search.rerank` over the convex fusion, and the parts each score
is made of (the "why" of a result)."""

from __future__ import annotations

from .fusion import method
from .query import QueryInfo, dense_weight
from .records import Contribution
from .rerank import Candidates, Features, Ranker


class Combiner:
    """The fusion of one searcher; ``rerank``: the learned combination re-scores the convex
    fusion's candidates (``search/ranker.json``)."""

    def __init__(self, data, fusion: str = "convex", dense_weight: float = 0.5,
                 rrf_k: int = 60, adaptive: bool = True, rerank: bool = True):
        self.method = method(fusion)
        self.data = data
        self.fusion = fusion
        self.dense_weight = dense_weight
        self.rrf_k = rrf_k
        self.adaptive = adaptive
        self.ranker = Ranker.load() if rerank and fusion == "convex" else None
        self._features: Features | None = None

    def weight(self, query: QueryInfo) -> float:
        """Weight of the dense list for ``query`` (that of BM25 is one minus it)."""
        return dense_weight(query, self.dense_weight) if self.adaptive else self.dense_weight

    def fuse(self, query: QueryInfo, bm25: dict[int, float], dense: dict[int, float]
             ) -> dict[int, float]:
        """{row: fused score} of the rows either list holds."""
        w = self.weight(query)
        if self.ranker is not None:  # the learned combination over the convex fusion
            candidates = self.candidates(query, bm25, dense)
            scores = self.ranker.score(self.features.matrix(candidates, self.ranker.features))
            return dict(zip(candidates.rows, scores.tolist()))
        return self.method.combine([bm25, dense], [1 - w, w], self.rrf_k)

    @property
    def features(self) -> Features:
        if self._features is None:
            self._features = Features(self.data)
        return self._features

    def candidates(self, query: QueryInfo, bm25: dict[int, float], dense: dict[int, float],
                   rows: list[int] | None = None) -> Candidates:
        """What the learned combination reads of the fusion's candidates (``rows``: by default
        every passage either list returned)."""
        rows = sorted(set(bm25) | set(dense)) if rows is None else rows
        return Candidates(query, bm25, dense, self.weight(query), rows)

    def contributions(self, query: QueryInfo, bm25: dict[int, float], dense: dict[int, float],
                      rows: list[int]) -> dict[int, Contribution]:
        """What each list gave to the fused score of ``rows``: the parts that add up to it."""
        w = self.weight(query)
        if self.method.server:  # fused on the server: the lists' own scores
            parts = [bm25, dense]
        else:
            parts = self.method.parts([bm25, dense], [1 - w, w], self.rrf_k)
        learned = dict.fromkeys(rows)
        if self.ranker is not None and rows:
            # the learned score's parts: the fusion's and each piece of evidence's
            X = self.features.matrix(self.candidates(query, bm25, dense, rows),
                                     self.ranker.features)
            learned = {r: self.ranker.parts(x) for r, x in zip(rows, X)}
        return {r: Contribution(self.fusion, round(w, 3), parts[0].get(r, 0.0),
                                parts[1].get(r, 0.0), learned[r]) for r in rows}
