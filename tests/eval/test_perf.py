"""The pieces of ``python -m eval perf`` on the sample index (the figures themselves are printed
by the command, never asserted: they depend on the machine)."""

import numpy as np
import pytest

from eval.perf import bm25_vs_rank_bm25, replicate, sample_queries
from index.stores.loading import load_index

pytestmark = pytest.mark.slow


def test_marked_copies_keep_scores_and_ids_apart(sample_index):
    base = load_index(sample_index, mmap=False)
    n = len(base.passages)
    scale = replicate(base, 2 * n + 1)  # two whole copies and the first passage of a third
    assert len(scale.passages) == 2 * n + 1 == scale.bm25.n_docs == scale.dense.count
    assert len(scale.documents) == 2 * len(base.documents) + 1
    assert scale.passages[-1].doc_id == f"{base.passages[0].doc_id}~3"
    first, copy = scale.passages[0], scale.passages[n]
    assert copy.text == first.text and copy.doc_id == f"{first.doc_id}~2"
    assert copy.passage_id == first.passage_id.replace("#", "~2#", 1)
    assert len({p.passage_id for p in scale.passages}) == 2 * n + 1
    tokens = base.analyzer.tokenize("thời hạn báo cáo của chi bộ")
    scores = scale.bm25.scores(tokens)
    assert np.allclose(scores[:n], scores[n:2 * n]) and scores.max() > 0
    assert np.isclose(scores[2 * n], scores[0])
    vectors = scale.dense.vectors()
    cosines = (vectors[:n] * vectors[n:2 * n]).sum(1)
    assert cosines.min() > 0.999 and not np.array_equal(vectors[:n], vectors[n:2 * n])


def test_bm25_reference_agrees_and_queries_are_titles(sample_index):
    base = load_index(sample_index, mmap=False)
    queries = sample_queries(base, 5)
    assert len(queries) == 5 and all(3 <= len(q.split()) <= 14 for q in queries)
    report = bm25_vs_rank_bm25(base, queries, n=5)
    assert report["max_abs_diff"] < 1e-6
    assert set(report) == {"ours_ms", "rank_bm25_ms", "max_abs_diff", "rank_bm25_build_s"}
