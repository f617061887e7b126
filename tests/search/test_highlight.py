"""Marks for display: the query's whole words and phrases found with or without diacritics,
codes, nested spans, escaping.  No index is needed: ``idf`` says every syllable is known."""

from search.highlight import mark_spans, query_marks, to_html


def known(_syllable: str) -> float:
    return 1.0


TEXT = ("Định kỳ hàng quý, chi bộ trực thuộc báo cáo Huyện ủy. Bộ Chính trị yêu cầu đọc báo "
        "Nhân Dân; thực hiện Công văn số 683-CV/HU.")


def marked(query: str, text: str = TEXT) -> list[str]:
    return [text[s:e] for s, e in mark_spans(text, query_marks(query, known))]


def test_whole_words_of_the_query_are_marked_not_their_syllables_elsewhere():
    assert marked("thời hạn báo cáo của chi bộ") == ["chi bộ", "báo cáo"]
    assert marked("thoi han bao cao cua chi bo") == ["chi bộ", "báo cáo"]  # as typed
    assert marked("Bộ Chính trị") == ["Bộ Chính trị"]
    assert marked("chính trị") == ["Chính trị"]
    assert "báo" not in marked("báo cáo") and "Bộ" not in marked("chi bộ")


def test_function_words_are_never_marked_and_neighbours_join_into_one_phrase():
    assert marked("của và các") == []
    assert marked("chi bộ trực thuộc") == ["chi bộ trực thuộc"]
    assert marked("báo Nhân Dân") == ["báo", "báo Nhân Dân"]  # báo alone is a word asked


def test_codes_are_marked_however_they_are_typed():
    assert marked("công văn 683-cv/hu") == ["Công văn", "683-CV/HU"]
    assert marked("683 - CV/HU") == ["683-CV/HU"]


def test_a_syllable_the_index_does_not_have_is_not_marked():
    marks = query_marks("chi bộ xyzzy", lambda s: 0.0 if s == "xyzzy" else 1.0)
    assert [TEXT[s:e] for s, e in mark_spans(TEXT, marks)] == ["chi bộ"]
    assert ("xyzzy",) not in marks.phrases


def test_to_html_nests_and_escapes():
    text = "a <b> chi bộ\nx"
    out = to_html(text, [(0, 9, "<u>", "</u>"), (6, 9, "<mark>", "</mark>")])
    assert out == "<u>a &lt;b&gt; </u><u><mark>chi</mark></u> bộ<br>x"
