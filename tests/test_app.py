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
