"""Marks for display: query words found with or without diacritics, nested spans, escaping."""

import pytest

from search.highlight import query_words, to_html, word_spans

pytestmark = pytest.mark.slow


def test_query_words_skip_common_syllables_and_match_as_typed(searcher):
    words, accented = query_words("thời hạn báo cáo của chi bộ", searcher.syllable_idf)
    assert accented and {"báo", "cáo", "chi", "bộ"} <= words and "của" not in words
    text = "Định kỳ hàng quý, chi bộ trực thuộc báo cáo Huyện ủy"
    marked = {text[s:e] for s, e in word_spans(text, words, accented)}
    assert {"chi", "bộ", "báo", "cáo"} <= marked and "Huyện" not in marked
    bare, accented = query_words("bao cao chi bo", searcher.syllable_idf)
    assert not accented
    assert {text[s:e] for s, e in word_spans(text, bare, accented)} >= {"báo", "cáo", "bộ"}


def test_to_html_nests_and_escapes():
    text = "a <b> chi bộ\nx"
    out = to_html(text, [(0, 9, "<u>", "</u>"), (6, 9, "<mark>", "</mark>")])
    assert out == "<u>a &lt;b&gt; </u><u><mark>chi</mark></u> bộ<br>x"
