from index.text import Analyzer
from search.query import UNACCENTED_BM25_WEIGHT, dense_weight, profile

A = Analyzer()


def test_accented_vietnamese_uses_the_accented_field_and_even_weights():
    p = profile("thời hạn báo cáo của chi bộ", A)
    assert p.accented and p.field == "bm25" and p.vietnamese_share == 1.0
    assert dense_weight(p) == 0.5


def test_unaccented_vietnamese_leans_on_the_accent_free_field():
    p = profile("thoi han bao cao cua chi bo", A)
    assert not p.accented and p.field == "folded" and "bao_cao" in p.terms
    assert dense_weight(p) == 1 - UNACCENTED_BM25_WEIGHT


def test_english_leans_on_the_dense_list():
    p = profile("how often must party cells report to the district committee?", A)
    assert p.vietnamese_share < 0.3
    assert dense_weight(p) == 1 - 0.5 * p.vietnamese_share > 0.85


def test_codes_count_as_vietnamese():
    p = profile("43-KL/TU", A)
    assert p.vietnamese_share == 1.0 and "43-kl/tu" in p.terms
