import pytest

from index.text import Analyzer
from search.query import (
    MAX_QUERY_CHARS,
    UNACCENTED_BM25_WEIGHT,
    bm25_field_weights,
    dense_weight,
    read_query,
    roman,
)

A = Analyzer()


def test_accented_vietnamese_uses_the_accented_field_and_even_weights():
    q = read_query("thời hạn báo cáo của chi bộ", A)
    assert q.accented and q.vietnamese_share == 1.0 and "báo_cáo" in q.terms
    assert dense_weight(q) == 0.5
    accented, folded = bm25_field_weights(q)
    assert accented == 1.0 and folded == pytest.approx(1 - 6 / 7)  # "chi" carries no mark


def test_unaccented_vietnamese_leans_on_the_accent_free_field():
    q = read_query("thoi han bao cao cua chi bo", A)
    assert not q.accented and "bao_cao" in q.folded_terms and q.terms == ()
    assert bm25_field_weights(q) == (0.0, 1.0)
    assert dense_weight(q) == pytest.approx(1 - UNACCENTED_BM25_WEIGHT)


def test_partly_accented_query_uses_both_fields():
    q = read_query("ti le kết nạp", A)
    assert q.accented and q.accent_share == 0.5
    assert bm25_field_weights(q) == (1.0, 0.5)
    assert {"ti_le", "ket_nap"} <= set(q.folded_terms)


def test_english_is_translated_for_bm25_and_leans_on_dense_unless_in_party_terms():
    q = read_query("how often must party cells report to the district party committee?", A)
    assert ("party cells", "chi bộ") in q.translations
    assert ("district party committee", "Huyện ủy") in q.translations
    assert "chi_bộ" not in q.terms and "chi_bo" in q.folded_terms
    assert dense_weight(q) == 0.5  # Party terms: BM25 on them as much as the dense model
    other = read_query("what is the deadline for the report?", A)
    assert other.translations and 0.5 < dense_weight(other) < 1.0
    plain = read_query("what colour is the sky over the mountains", A)
    assert plain.translations == () and dense_weight(plain) > 0.85


def test_english_ordinals_are_searched_as_vietnamese_writes_them(searcher):
    q = read_query("what did the 4th plenum of the 13th Central Committee resolve?", A)
    assert ("13th", "XIII thứ 13") in q.translations and ("4th", "IV thứ 4") in q.translations
    assert "xiii" in q.folded_terms
    assert [roman(n) for n in (1, 4, 9, 14, 19, 40, 99)] == \
        ["I", "IV", "IX", "XIV", "XIX", "XL", "XCIX"]
    assert read_query("the 3rd-party app", A).translations == ()  # not a standalone ordinal
    # Resolution 21-NQ/TW of the 13th Central Committee ("khóa XIII") is quoted in 27-CTr/HU
    hits = searcher.search("resolution of the 13th Central Committee on grassroots party "
                           "organizations", k=3, answers=False)
    assert any("XIII" in h.text for h in hits)


def test_abbreviations_expand_but_codes_stay_codes():
    q = read_query("BTV HU yêu cầu gì theo Kế hoạch 38-KH/HU", A)
    assert q.rewritten == "Ban Thường vụ Huyện ủy yêu cầu gì theo Kế hoạch 38-KH/HU"
    assert q.expansions == (("BTV", "Ban Thường vụ"), ("HU", "Huyện ủy"))
    assert q.explain() == "BTV HU → Ban Thường vụ Huyện ủy"
    assert "38-kh/hu" in q.terms


def test_lower_case_abbreviations_only_when_not_a_word():
    q = read_query("btv hu yeu cau bao cao", A)
    assert [a for a, _ in q.expansions] == ["btv"]  # "hu" may be a word
    assert read_query("đ/c Ngọc ký", A).expansions == (("đ/c", "đồng chí"),)


def test_long_query_is_cut_with_a_notice():
    q = read_query("chi bộ " * 2000, A)
    assert len(q.text) == MAX_QUERY_CHARS and "được cắt còn 2.000 ký tự đầu" in q.notices[0]


def test_unaccented_query_with_abbreviations_stays_unaccented():
    q = read_query("btv hu de nghi gi, DUK yeu cau gi", A)
    assert not q.accented and q.terms == ()
    assert ("DUK", "Đảng ủy khối") in q.expansions
    assert "dang_uy" in q.folded_terms


def test_glossary_can_be_switched_off():
    assert read_query("reporting deadlines", A, glossary=False).translations == ()
    assert read_query("reporting deadlines", A).translations
