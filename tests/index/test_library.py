"""Uploads saved beside the index, and what the library lists."""

import pytest

from index.library import (
    documents_table,
    filter_options,
    remove_upload,
    safe_name,
    save_uploads,
    status,
    uploads_dir,
)


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


def test_each_index_has_its_own_uploads(tmp_path):
    assert uploads_dir(tmp_path / "index") != uploads_dir(tmp_path / "party-docs-index")
    assert uploads_dir(tmp_path / "index").parent == uploads_dir(tmp_path / "other").parent


def test_an_upload_again_keeps_the_file_it_replaces(tmp_path):
    folder = tmp_path / "uploads"
    save_uploads([("bao-cao.txt", "Số 1-BC/HU bản đầu".encode())], folder)
    save_uploads([("bao-cao.txt", "Số 1-BC/HU bản sửa".encode())], folder)
    assert (folder / "bao-cao.txt").read_text(encoding="utf-8") == "Số 1-BC/HU bản sửa"
    [kept] = (folder / ".previous").iterdir()
    assert kept.name.endswith("-bao-cao.txt")
    assert kept.read_text(encoding="utf-8") == "Số 1-BC/HU bản đầu"


def test_removal_deletes_the_documents_own_file_only(tmp_path):
    index_dir = tmp_path / "index"
    saved = save_uploads([("bao-cao.txt", b"a"), ("bao-cao.v2.txt", b"b")],
                         uploads_dir(index_dir))
    assert remove_upload(str(saved.paths[0]), index_dir)
    assert not saved.paths[0].exists() and saved.paths[1].exists()  # no glob on the id
    # a source outside the index's uploads (a folder it was built from) is never deleted
    mine = tmp_path / "my-documents" / "bao-cao.txt"
    mine.parent.mkdir()
    mine.write_text("x", encoding="utf-8")
    assert not remove_upload(str(mine), index_dir) and mine.exists()
    sibling = save_uploads([("bao-cao.txt", b"c")], uploads_dir(tmp_path / "other")).paths[0]
    assert not remove_upload(str(sibling), index_dir) and sibling.exists()


@pytest.mark.slow
def test_documents_status_and_filter_options(searcher):
    rows = {r["doc_id"]: r for r in documents_table(searcher.data)}
    assert rows["2017-03-28_683-CV-HU_Hon-Quan"]["code"] == "683-CV/HU"
    assert rows["2019_tin-bai_Giong-Rieng_Kien-Giang"]["date"] == "2019"
    assert sum(r["passages"] for r in rows.values()) == len(searcher.data.passages)
    info = status(searcher.data)
    assert info.documents == 4 and info.model == "default" and info.built_at
    assert info.served_by == ""  # searched in the folder itself
    options = filter_options(searcher.data)
    # every document has a type (the news report: Tin bài); one entry per issuing body
    assert options["doc_type"] == ["Chương trình hành động", "Công văn", "Tin bài"]
    assert rows["2019_tin-bai_Giong-Rieng_Kien-Giang"]["doc_type"] == "Tin bài"
    assert options["issuer"] == ["Huyện ủy", "Đảng ủy khối các cơ quan tỉnh"]
    assert rows["2017-03-28_683-CV-HU_Hon-Quan"]["issuer"] == "Huyện ủy Hớn Quản"  # as cited
    assert options["level"] == ["tỉnh", "huyện"] and options["years"] == (2017, 2022)
    found = {h.doc_id for h in searcher.search("báo cáo", k=20, filters={"issuer": "Huyện ủy"})}
    assert found == {"2017-03-28_683-CV-HU_Hon-Quan", "2022_27-CTr-HU_thuc-hien-NQ-21-NQ-TW"}
    news = searcher.search("đảng viên", k=5, filters={"doc_type": "Tin bài"})
    assert news and {h.doc_id for h in news} == {"2019_tin-bai_Giong-Rieng_Kien-Giang"}


def test_a_change_in_a_worker_process_reports_progress_and_its_errors(sample_index, tmp_path):
    """The app indexes uploads in a process of its own (index.worker): its progress, its report
    and the user's errors come back as they would from index.build in the server's process."""
    import shutil

    from index.worker import run_change
    from search import Searcher

    index = tmp_path / "index"
    shutil.copytree(sample_index, index)
    letter = tmp_path / "cv-912.txt"
    letter.write_text("HUYỆN ỦY HỚN QUẢN\nSố 912-CV/HU\nV/v kiểm kê tài sản của chi bộ\n\n"
                      "Các chi bộ hoàn thành kiểm kê tài sản trước ngày 15 tháng 12.\n",
                      encoding="utf-8")
    heard = []
    report = run_change("add", index, lambda share, text: heard.append((share, text)),
                        sources=[str(letter)], access=["van-phong"])
    assert report.documents == 1 and report.passages >= 1 and report.skipped == []
    assert heard[-1] == (1.0, "Xong") and [s for s, _ in heard] == sorted(s for s, _ in heard)
    searcher = Searcher.load(index)
    assert searcher.data.documents["cv-912"].metadata["access"] == ["van-phong"]
    def found(groups):
        return {h.doc_id for h in searcher.search("kiểm kê tài sản chi bộ", k=5, groups=groups)}

    assert "cv-912" in found(["van-phong"]) and "cv-912" not in found([])  # restricted, as asked
    with pytest.raises(ValueError, match="not in the index: khong-co"):
        run_change("remove", index, doc_ids=["khong-co"])
    assert run_change("remove", index, doc_ids=["cv-912"]).removed == ["cv-912"]
    assert "cv-912" not in Searcher.load(index).data.documents


@pytest.mark.slow
def test_a_removal_is_undone_by_its_kept_version(tmp_path):
    from index.build import build
    from index.library import remove_document, undo_removal
    from index.stores.loading import read_documents
    from tests.conftest import SAMPLE

    index_dir = tmp_path / "index"
    build([SAMPLE], index_dir)
    doc_id = "2017-03-28_683-CV-HU_Hon-Quan"
    before = read_documents(index_dir)[doc_id]
    [(kind, text)] = undo_removal(doc_id, index_dir, "bien-tap").messages
    assert kind == "warning" and doc_id in text  # nothing kept yet: said, nothing changed
    assert remove_document(doc_id, index_dir, "bien-tap").messages[0][0] == "success"
    assert doc_id not in read_documents(index_dir)
    assert undo_removal(doc_id, index_dir, "bien-tap").messages[0][0] == "success"
    after = read_documents(index_dir)[doc_id]
    assert after.text == before.text and after.metadata["code"] == "683-CV/HU"
