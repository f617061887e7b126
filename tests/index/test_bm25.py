import numpy as np
from rank_bm25 import BM25Okapi

from index.chunking import split_document
from index.readers.documents import read_file
from index.stores.bm25 import BM25
from index.text import Analyzer

from ..conftest import SAMPLE


def _sample_tokens():
    analyzer = Analyzer()
    docs = [read_file(p) for p in sorted(SAMPLE.iterdir())]
    return analyzer, [analyzer.tokenize(p.text) for d in docs for p in split_document(d)]


QUERIES = ["thời hạn báo cáo của chi bộ", "Định kỳ hàng quý báo cáo Huyện ủy",
           "tỉ lệ kết nạp đảng viên mới", "Kế hoạch 38-KH/HU", "chi bộ chi bộ đảng viên",
           "từ không có trong kho xyz"]


def test_scores_equal_rank_bm25():
    analyzer, corpus = _sample_tokens()
    ours, reference = BM25.from_tokens(corpus), BM25Okapi(corpus)
    for query in QUERIES:
        terms = analyzer.tokenize(query)
        np.testing.assert_allclose(ours.scores(terms), reference.get_scores(terms),
                                   rtol=0, atol=1e-6)


def test_saved_and_loaded_scores_are_the_same(tmp_path):
    analyzer, corpus = _sample_tokens()
    ours = BM25.from_tokens(corpus)
    ours.save(tmp_path)
    loaded = BM25.load(tmp_path, len(corpus))
    terms = analyzer.tokenize(QUERIES[0])
    np.testing.assert_array_equal(loaded.scores(terms), ours.scores(terms))


def test_keep_and_extend_equal_a_fresh_build():
    analyzer, corpus = _sample_tokens()
    first, second = corpus[:30], corpus[30:]
    grown = BM25.from_tokens(first).extend(second)
    shrunk = BM25.from_tokens(corpus).keep(np.arange(30))
    for query in QUERIES:
        terms = analyzer.tokenize(query)
        np.testing.assert_allclose(grown.scores(terms), BM25Okapi(corpus).get_scores(terms),
                                   atol=1e-9)
        np.testing.assert_allclose(shrunk.scores(terms), BM25Okapi(first).get_scores(terms),
                                   atol=1e-9)


def test_tiny_corpus_by_hand():
    # two documents, "a" in one of them: idf = log(2 - 1 + .5) - log(1 + .5) = 0, floored only
    # when negative; "b" in both: idf = log(.5) - log(2.5) < 0 -> epsilon * mean idf
    bm25 = BM25.from_tokens([["a", "b"], ["b"]])
    idf_b = 0.25 * np.mean([0.0, np.log(0.5) - np.log(2.5)])
    avgdl = 1.5
    w = 1 * 2.5 / (1 + 1.5 * (1 - 0.75 + 0.75 * 2 / avgdl))
    assert np.isclose(bm25.scores(["b"])[0], idf_b * w)
    assert bm25.scores([]).tolist() == [0.0, 0.0]
