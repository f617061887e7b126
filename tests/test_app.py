import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow


def test_search_page_shows_cited_passages(sample_index, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("TRACUU_INDEX", str(sample_index))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    at.text_input[0].input("thời hạn báo cáo của chi bộ")
    at.button[0].click().run()
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert "683-CV/HU" in shown and "<mark>" in shown


def test_user_text_is_escaped(sample_index, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("TRACUU_INDEX", str(sample_index))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.text_input[0].input("<script>alert(1)</script> chi bộ")
    at.button[0].click().run()
    assert not at.exception
    assert "<script>" not in " ".join(m.value for m in at.markdown)


def test_abbreviation_expansion_is_shown(sample_index, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("TRACUU_INDEX", str(sample_index))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.text_input[0].input("BTV HU yêu cầu chi bộ báo cáo gì")
    at.button[0].click().run()
    assert not at.exception
    assert any("BTV HU → Ban Thường vụ Huyện ủy" in c.value for c in at.caption)
