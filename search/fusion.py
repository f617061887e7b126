"""Fusion of ranked lists: one function per method, and the registry of methods by name.

Each input is a mapping ``{passage_row: score}`` from one retriever (higher is better); each
output is the same kind of mapping, ready to sort.  :data:`METHODS` names every method a
``Searcher`` takes (``fusion=``): fused here (``convex``, ``rrf``) or by the server that holds
the passages (``milvus-rrf``, ``milvus-weighted``: Milvus's RRFRanker and WeightedRanker).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def rrf(runs: list[dict[int, float]], k: int = 60, weights: list[float] | None = None
        ) -> dict[int, float]:
    """Reciprocal rank fusion (Cormack et al., 2009): ``sum_i w_i / (k + rank_i(d))``,
    ranks counted from 1 within each run."""
    weights = weights or [1.0] * len(runs)
    fused: dict[int, float] = {}
    for run, weight in zip(runs, weights):
        ranked = sorted(run, key=run.__getitem__, reverse=True)
        for rank, doc in enumerate(ranked, 1):
            fused[doc] = fused.get(doc, 0.0) + weight / (k + rank)
    return fused


def rescale(run: dict[int, float], method: str = "minmax") -> dict[int, float]:
    """Scores of one run rescaled: ``minmax`` to [0, 1], ``zscore`` to mean 0 and std 1."""
    if not run:
        return {}
    values = np.fromiter(run.values(), dtype=np.float64)
    if method == "minmax":
        lo, span = values.min(), values.max() - values.min()
        scaled = (values - lo) / span if span > 0 else np.ones_like(values)
    elif method == "zscore":
        std = values.std()
        scaled = (values - values.mean()) / std if std > 0 else np.zeros_like(values)
    else:
        raise ValueError(f"unknown normalization {method!r}; expected 'minmax' or 'zscore'")
    return dict(zip(run, scaled.tolist()))


def convex(runs: list[dict[int, float]], weights: list[float], method: str = "minmax",
           missing: float = 0.0) -> dict[int, float]:
    """Normalized convex combination: ``sum_i w_i * norm_i(d)``; a document a run did not
    return gets ``missing`` from that run (0: the bottom of a min-max scaled list)."""
    if len(runs) != len(weights):
        raise ValueError(f"{len(runs)} runs but {len(weights)} weights")
    fused: dict[int, float] = {}
    docs = set().union(*runs) if runs else set()
    normed = [rescale(run, method) for run in runs]
    floor = [min(n.values()) if (n and method == "zscore") else missing for n in normed]
    for doc in docs:
        fused[doc] = sum(w * n.get(doc, f) for w, n, f in zip(weights, normed, floor))
    return fused


Run = dict[int, float]


@dataclass(frozen=True)
class Method:
    """A fusion method: ``combine(runs, weights, k)`` fuses here, and ``parts`` gives what
    each run added to a fused score (for the "why" of a result); or ``server`` names the
    ranker of the store that fuses instead (the runs' own scores are then the parts)."""

    name: str
    combine: Callable[[list[Run], list[float], int], Run] | None = None
    parts: Callable[[list[Run], list[float], int], list[Run]] | None = None
    server: str | None = None


def _convex_parts(runs: list[Run], weights: list[float], k: int) -> list[Run]:
    return [{r: w * v for r, v in rescale(run).items()} for run, w in zip(runs, weights)]


def _rrf_parts(runs: list[Run], weights: list[float], k: int) -> list[Run]:
    return [rrf([run], k=k, weights=[w]) for run, w in zip(runs, weights)]


METHODS = {m.name: m for m in (
    Method("convex", lambda runs, weights, k: convex(runs, weights), _convex_parts),
    Method("rrf", lambda runs, weights, k: rrf(runs, k=k, weights=weights), _rrf_parts),
    Method("milvus-rrf", server="rrf"),
    Method("milvus-weighted", server="weighted"),
)}


def method(name: str) -> Method:
    """The fusion method called ``name``; a ValueError names the known ones."""
    try:
        return METHODS[name]
    except KeyError:
        raise ValueError(f"unknown fusion {name!r}; expected one of "
                         f"{', '.join(METHODS)}") from None
