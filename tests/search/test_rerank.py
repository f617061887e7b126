"""The learned combination (search.rerank, search/ranker.json) on real indexes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eval.gold import load_gold, relevant_passages
from index.stores.folder import indexed_text
from index.text import strip_accents
from search import Searcher
from search.rerank import FEATURES, LEGAL_QUERY, Candidates, Ranker, is_legal_text

from ..conftest import DOC_683, ROOT, SAMPLE

IRRIGATION = ROOT / "data" / "laws" / "Luat-Thuy-loi-08-2017-QH14.txt"


@pytest.fixture(scope="module")
def beside_a_law(tmp_path_factory):
    """The sample documents with a law beside them, as in an office archive."""
    from index.build import build

    out = tmp_path_factory.mktemp("rerank") / "sample-and-law"
    build([SAMPLE, IRRIGATION], out)
    return out


def law_ranks(searcher: Searcher, query: str) -> list[int]:
    return [h.rank for h in searcher.search(query, k=20, answers=False)
            if h.doc_id == IRRIGATION.stem]


def test_the_shipped_model_is_one_this_code_computes():
    ranker = Ranker.load()
    assert ranker is not None, "search/ranker.json is missing: python -m eval fit-ranker"
    assert set(ranker.features) <= set(FEATURES) and "fused" in ranker.features
    assert np.isfinite(ranker.weights).all() and (ranker.scale > 0).all()
    held = ranker.info["held_out"]
    assert held["learned"].keys() == held["hand_tuned"].keys()


def test_a_model_naming_an_unknown_feature_is_refused(tmp_path):
    raw = Ranker.load().to_dict()
    raw["features"] = ["fused", "page_rank"]
    path = tmp_path / "ranker.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ValueError, match="page_rank"):
        Ranker.load(path)
    assert Ranker.load(tmp_path / "missing.json") is None


def test_a_party_question_is_not_answered_by_a_law_on_the_same_words(beside_a_law):
    convex = Searcher.load(beside_a_law, rerank=False)
    learned = Searcher.load(beside_a_law)
    query = "thoi han bao cao cua chi bo"
    # the fusion alone puts an article of the irrigation law (its reporting clauses) on top
    assert law_ranks(convex, query)[:1] == [1]
    hits = learned.search(query, k=10, answers=False)
    assert all(h.doc_id != IRRIGATION.stem for h in hits)
    # the gold set's evidence for this question: 683-CV/HU's report dates
    gold = next(q for q in load_gold() if q.qid == "q065")
    assert strip_accents(gold.query) == query
    evidence = relevant_passages(gold, learned.data.passages)
    assert any(h.passage_id in evidence for h in hits[:5])
    # a question about the law itself still finds the law first
    named = "Luật Thủy lợi quy định trách nhiệm kiểm tra của cấp ủy thế nào"
    assert law_ranks(learned, named)[:1] == [1]


def test_legal_texts_and_questions_about_them():
    from index.readers.documents import read_file

    law = read_file(IRRIGATION)
    assert is_legal_text(law.metadata, law.title)
    letter = read_file(DOC_683)
    assert not is_legal_text(letter.metadata, letter.title)
    assert LEGAL_QUERY.search("luat thuy loi quy dinh gi")
    assert not LEGAL_QUERY.search("ki luat dang vien vi pham")  # kỷ luật: discipline


def test_proximity_is_the_share_of_the_question_pairs_the_passage_holds(searcher):
    phrase = "báo cáo Huyện ủy"
    info = searcher.analyze(phrase)
    # what BM25 indexed: the document label and section, then the passage
    texts = [" ".join(indexed_text(p, searcher.data.documents[p.doc_id]).lower().split())
             for p in searcher.data.passages]
    whole = next(r for r, t in enumerate(texts) if phrase.lower() in t)
    part = next(r for r, t in enumerate(texts) if "báo cáo" in t and "huyện ủy" not in t)
    rows = [whole, part]
    pairs = searcher.combiner.features.matrix(Candidates(info, {}, {}, 0.5, rows), ("pairs",))[:, 0]
    assert pairs[0] == pytest.approx(1.0) and 0 < pairs[1] < 1
    # an English question's pairs count as much as its words are Vietnamese
    english = searcher.analyze(f"which reports go to the {phrase}")
    scaled = searcher.combiner.features.matrix(Candidates(english, {}, {}, 0.5, rows), ("pairs",))
    assert 0 < english.vietnamese_share < 1
    assert scaled[0, 0] <= english.vietnamese_share + 1e-9


def test_the_why_of_a_result_adds_up_to_its_score(searcher, sample_index):
    hits = searcher.search("thời hạn báo cáo của chi bộ", k=5, answers=False)
    for hit in hits:
        parts = hit.contributions.learned
        assert set(parts) == set(searcher.combiner.ranker.features)
        assert sum(parts.values()) == pytest.approx(hit.score, abs=1e-9)
    plain = Searcher.load(sample_index, rerank=False)
    assert plain.combiner.ranker is None
    assert all(h.contributions.learned is None
               for h in plain.search("thời hạn báo cáo của chi bộ", k=5, answers=False))

