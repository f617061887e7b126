"""Uploads saved beside the index, and what the library lists."""

import pytest

from index.library import documents_table, filter_options, safe_name, save_uploads, status


def test_uploads_are_saved_under_safe_names_or_refused_with_a_reason(tmp_path):
    saved = save_uploads([("../../etc/Công văn 12-CV.txt", "Số 12-CV/HU".encode()),
                          ("virus.exe", b"MZ"), ("rong.txt", b""),
                          ("lon.txt", b"x" * 2000)], tmp_path / "uploads", max_bytes=1000)
    assert [p.name for p in saved.paths] == ["Công văn 12-CV.txt"]
    assert saved.paths[0].parent == tmp_path / "uploads"
    reasons = dict(saved.refused)
    assert "không được hỗ trợ" in reasons["virus.exe"]
    assert reasons["rong.txt"] == "tệp rỗng" and "quá lớn" in reasons["lon.txt"]
    assert safe_name("..") == "van-ban" and safe_name("a/b\\c<d>.pdf") == "c_d_.pdf"


@pytest.mark.slow
def test_documents_status_and_filter_options(searcher):
    rows = {r["doc_id"]: r for r in documents_table(searcher.data)}
    assert rows["2017-03-28_683-CV-HU_Hon-Quan"]["code"] == "683-CV/HU"
    assert rows["2019_tin-bai_Giong-Rieng_Kien-Giang"]["date"] == "2019"
    assert sum(r["passages"] for r in rows.values()) == len(searcher.data.passages)
    info = status(searcher.data)
    assert info["documents"] == 4 and info["model"] == "default" and info["built_at"]
    assert info["served_by"] == ""  # searched in the folder itself
    options = filter_options(searcher.data)
    assert options["doc_type"] == ["Chương trình hành động", "Công văn"]
    assert options["level"] == ["tỉnh", "huyện"] and options["years"] == (2017, 2022)
