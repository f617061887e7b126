"""Retrieval metrics through ir-measures (pytrec_eval underneath).

``R@k`` is answer recall: the share of questions with at least one evidence passage in the top
k (ir-measures ``Success@k``); ``MRR@10`` is ``RR@10``; ``nDCG@10`` uses every evidence passage.
"""

from __future__ import annotations

import ir_measures
from ir_measures import RR, R, Success, nDCG

GOLD_MEASURES = {"R@1": Success @ 1, "R@5": Success @ 5, "R@10": Success @ 10,
                 "MRR@10": RR @ 10, "nDCG@10": nDCG @ 10}
BENCH_MEASURES = {"nDCG@10": nDCG @ 10, "MRR@10": RR @ 10, "R@10": R @ 10}


def evaluate(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]],
             measures: dict = GOLD_MEASURES) -> dict[str, float]:
    """Mean of each measure over the questions of ``qrels`` (a question with no hits scores 0)."""
    if not qrels:
        return {name: 0.0 for name in measures}
    run = {qid: run[qid] for qid in qrels if run.get(qid)}
    if not run:
        return {name: 0.0 for name in measures}
    values = ir_measures.calc_aggregate(list(measures.values()), qrels, run)
    return {name: float(values.get(m, 0.0)) for name, m in measures.items()}
