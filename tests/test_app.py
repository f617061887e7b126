import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow


def _search(sample_index, monkeypatch, query):
    """The app on the sample index after typing ``query`` and pressing Tìm."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("TRACUU_INDEX", str(sample_index))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    at.text_input[0].input(query)
    at.button[0].click().run()
    assert not at.exception
    return at


def test_search_page_shows_cited_passages(sample_index, monkeypatch):
    at = _search(sample_index, monkeypatch, "thời hạn báo cáo của chi bộ")
    shown = " ".join(m.value for m in at.markdown)
    assert "683-CV/HU" in shown and "<mark>" in shown


def test_user_text_is_escaped(sample_index, monkeypatch):
    at = _search(sample_index, monkeypatch, "<script>alert(1)</script> chi bộ")
    assert "<script>" not in " ".join(m.value for m in at.markdown)


def test_abbreviation_expansion_is_shown(sample_index, monkeypatch):
    at = _search(sample_index, monkeypatch, "BTV HU yêu cầu chi bộ báo cáo gì")
    assert any("BTV HU → Ban Thường vụ Huyện ủy" in c.value for c in at.caption)


def test_obligations_and_the_opened_document_are_shown(sample_index, monkeypatch):
    at = _search(sample_index, monkeypatch, "what are the reporting deadlines for chi bộ?")
    table = at.dataframe[0].value
    assert "Định kỳ hàng quý, 06 tháng, một năm" in " ".join(table["Thời hạn"])
    assert any(c.startswith("Công văn số 683-CV/HU") for c in table["Căn cứ"])
    opened = [m.value for m in at.markdown if "<mark id='passage'>" in m.value]
    assert opened and "ĐẢNG BỘ TỈNH BÌNH PHƯỚC" in " ".join(opened)


def test_off_topic_question_says_there_is_no_evidence(sample_index, monkeypatch):
    at = _search(sample_index, monkeypatch, "Công thức nấu phở bò Nam Định")
    assert any("Không tìm thấy căn cứ" in w.value for w in at.warning)
