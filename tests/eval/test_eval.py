import pytest

from eval.gold import GOLD_FILE, HOLDOUT_FILE, load_gold, squash
from eval.metrics import evaluate

from ..conftest import SAMPLE


@pytest.mark.parametrize("path", [GOLD_FILE, HOLDOUT_FILE])
def test_gold_sets_are_grounded_in_the_sample_corpus(path):
    questions = load_gold(path)
    assert len(questions) >= 40
    texts = {p.stem: squash(p.read_text(encoding="utf-8").replace("**", ""))
             for p in SAMPLE.iterdir()}
    for q in questions:
        assert q.doc in texts, q.qid
        assert any(squash(e) in texts[q.doc] for e in q.evidence), q.qid
    kinds = {q.kind for q in questions}
    assert {"deadline", "number", "code", "body", "paraphrase", "no_diacritics", "english",
            "mixed"} <= kinds
    assert len({q.qid for q in questions}) == len(questions)


def test_metrics_by_hand():
    qrels = {"q1": {"a": 1}, "q2": {"b": 1, "c": 1}}
    run = {"q1": {"x": 3.0, "a": 2.0}, "q2": {"c": 5.0}}
    m = evaluate(qrels, run)
    assert m["R@1"] == pytest.approx((0 + 1) / 2)
    assert m["R@5"] == pytest.approx(1.0)
    assert m["MRR@10"] == pytest.approx((1 / 2 + 1) / 2)


def test_question_without_hits_counts_as_zero():
    m = evaluate({"q1": {"a": 1}, "q2": {"b": 1}}, {"q1": {"a": 1.0}, "q2": {}})
    assert m["R@5"] == pytest.approx(0.5) and m["MRR@10"] == pytest.approx(0.5)


@pytest.mark.slow
def test_gold_run_on_the_sample_index(searcher):
    from eval.report import gold_qrels, run_gold

    questions = load_gold()
    res = run_gold(searcher, questions, "hybrid")
    assert set(res.counts) >= {"deadline", "english"}
    # the run's metrics are those of its own ranked lists, scored again here by hand
    qrels = gold_qrels(searcher, questions)
    found = [next((rank for rank, pid in enumerate(res.run[q.qid], 1)
                   if pid in qrels[q.qid]), None) for q in questions]
    assert res.all["R@1"] == pytest.approx(sum(r == 1 for r in found) / len(found))
    assert res.all["MRR@10"] == pytest.approx(sum(1 / r for r in found if r and r <= 10)
                                                 / len(found))


def test_party_docs_questions_and_the_scale_gate():
    from eval.mixed import SCALE_GATE, party_questions, scale_gate
    from eval.report import GoldResult

    questions = party_questions()
    assert len(questions) == 79 and all(q.doc and q.evidence for q in questions)
    at = {name: {"mixed": {"hybrid": GoldResult({"all": {"MRR@10": floor["MRR@10"] - 0.01}},
                                                {}, {})}}
          for name, floor in SCALE_GATE.items()}
    failed, passed = scale_gate(at)
    assert len(failed) == len(SCALE_GATE) and not passed
