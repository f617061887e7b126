"""Fitting the learned combination (eval.rank_fit) on real candidates of the sample index."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from eval.gold import load_gold, with_unaccented_copies
from eval.rank_fit import (
    Query,
    QuerySet,
    columns,
    development_set,
    fit,
    fold,
    hand_tuned,
    held_out,
    measure,
    scorer,
)

from ..conftest import ROOT


@pytest.fixture(scope="module")
def gold_candidates(searcher):
    questions = with_unaccented_copies(load_gold())
    questions = [q for q in questions if q.kind not in ("code",)][:120]
    return development_set("gold small", searcher, questions)


def test_candidates_mark_the_evidence_passages(searcher, sample_index, gold_candidates):
    assert len(gold_candidates.queries) == 120
    found = [q for q in gold_candidates.queries if q.relevant.any()]
    assert len(found) >= 0.95 * len(gold_candidates.queries)
    for q in found[:20]:
        row = q.rows[int(np.flatnonzero(q.relevant)[0])]
        assert searcher.data.passages[row].passage_id  # a real passage of the index
    # the fusion's score is a feature as the searcher computes it: its order is the order
    # of the searcher without the learned combination
    from search import Searcher

    plain = Searcher.load(sample_index, rerank=False)
    question = next(q for q in load_gold() if q.qid == gold_candidates.queries[0].qid)
    first = gold_candidates.queries[0]
    fused = first.X[:, columns(("fused",))[0]]
    order = [first.rows[i] for i in np.lexsort((np.asarray(first.rows), -fused))[:5]]
    rows = plain._passage_rows()
    assert order == [rows[h.passage_id]
                     for h in plain.search(question.query, k=5, answers=False)]


def test_an_unaccented_copy_is_held_out_with_its_source(gold_candidates):
    by_id = {q.qid: q for q in gold_candidates.queries}
    copies = [q for q in gold_candidates.queries if q.qid.endswith("-nd")]
    assert copies
    for copy in copies:
        source = by_id.get(copy.qid.removesuffix("-nd"))
        if source is not None:
            assert fold(copy) == fold(source)


def test_mrr_and_ndcg_of_a_ranking():
    q = Query("q", "k", [5, 6, 7], np.zeros((3, 1)), np.array([False, True, False]))
    assert measure(q, np.array([3.0, 2.0, 1.0])) == pytest.approx(0.5)
    assert measure(q, np.array([1.0, 3.0, 2.0])) == pytest.approx(1.0)
    assert measure(q, np.array([1.0, 1.0, 1.0])) == pytest.approx(0.5)  # ties: by row
    bench = Query("b", "k", [1, 2, 3], np.zeros((3, 1)), np.array([True, True, False]),
                  docs=["d1", "d1", "d2"], grades={"d1": 1})
    assert measure(bench, np.array([1.0, 2.0, 3.0])) == pytest.approx(1 / np.log2(3))


def test_proximity_earns_a_positive_weight_and_holds_up_held_out(gold_candidates):
    sets = [gold_candidates]
    names = ("fused", "pairs")
    weights, mean, scale = fit(sets, names)
    assert np.isfinite(weights).all() and weights[1] > 0
    learned = held_out(sets, names)["gold small"]
    fused = hand_tuned(sets)["gold small"]
    assert learned >= fused - 0.02
    score = scorer(names, (weights, mean, scale))
    in_sample = np.mean([measure(q, score(q)) for q in gold_candidates.queries])
    assert in_sample >= fused
    assert columns(("fused",)) == [0]


def test_a_hold_out_set_is_never_fitted(gold_candidates):
    half = len(gold_candidates.queries) // 2
    fitted = QuerySet("a", gold_candidates.queries[:half], "MRR@10")
    apart = QuerySet("hold-out b", gold_candidates.queries[half:], "MRR@10", fitted=False)
    with_apart = fit([fitted, apart], ("fused", "pairs"))
    alone = fit([fitted], ("fused", "pairs"))
    for a, b in zip(with_apart, alone):
        assert np.allclose(a, b)


def test_unknown_features_are_an_error_before_any_work(tmp_path):
    out = tmp_path / "ranker.json"
    run = subprocess.run([sys.executable, "-m", "eval", "fit-ranker", "--features",
                          "fused,page_rank", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "page_rank" in run.stderr and "pairs" in run.stderr
    assert not out.exists()
