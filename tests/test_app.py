"""The Streamlit app driven by AppTest: search, filters, answers, the document viewer, the
briefing basket and its export, and the document library (upload, remove)."""

import io
import os
import re
import shutil
import tempfile
from pathlib import Path

import docx
import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow


def _app(index_dir, monkeypatch, auth="off"):
    """The app on ``index_dir``; by default in single-user mode (no sign-in: the project's
    .streamlit/config.toml serves on localhost only)."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("TRACUU_INDEX", str(index_dir))
    monkeypatch.setenv("TRACUU_AUTH", auth)
    if auth == "off" and "TRACUU_USERS" not in os.environ:  # baskets of the test's own
        monkeypatch.setenv("TRACUU_USERS", str(Path(tempfile.mkdtemp()) / "users.json"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception
    return at


def _documents(at):
    """The library's table of documents."""
    return next(d.value for d in at.dataframe if "Số hiệu" in d.value.columns)


def _search(at, query):
    at.text_input[0].input(query)
    at.button[0].click().run()
    assert not at.exception
    return at


def _buttons(at, prefix):
    return [b for b in at.button if b.key and b.key.startswith(prefix)]


def _html(at) -> str:
    return " ".join(m.value for m in at.markdown)


def test_search_page_shows_cited_passages_and_the_answer(sample_index, monkeypatch):
    at = _search(_app(sample_index, monkeypatch), "thời hạn báo cáo của chi bộ")
    shown = _html(at)
    assert "1. Công văn số 683-CV/HU ngày 28/3/2017 của Huyện ủy Hớn Quản, mục 1" in shown
    assert "<mark" in shown and "text-decoration:underline" in shown  # words and answer marked
    assert "Trả lời" in shown and "Định kỳ hàng quý" in shown
    assert any("đoạn văn bản ·" in c.value and "giây" in c.value for c in at.caption)
    assert "chi bộ</mark>" in shown  # the query's words marked whole, not syllable by syllable
    why = [e for e in at.expander if e.label == "Vì sao có kết quả này?"]
    assert why and "Khớp từ khóa: báo cáo" in shown  # in words; the numbers behind a toggle
    assert "Phần từ khóa (BM25)" not in shown
    at.toggle(key=why[0].children[1].key).set_value(True).run()
    assert "Phần từ khóa (BM25)" in _html(at)
    assert at.query_params["q"] == "thời hạn báo cáo của chi bộ"  # the search is a link


def test_user_text_is_escaped(sample_index, monkeypatch):
    at = _search(_app(sample_index, monkeypatch), "<script>alert(1)</script> chi bộ")
    assert "<script>" not in _html(at)


def test_abbreviation_expansion_is_shown(sample_index, monkeypatch):
    at = _search(_app(sample_index, monkeypatch), "BTV HU yêu cầu chi bộ báo cáo gì")
    assert any("BTV HU → Ban Thường vụ Huyện ủy" in c.value for c in at.caption)


def test_obligations_panel_and_document_viewer(sample_index, monkeypatch):
    at = _search(_app(sample_index, monkeypatch), "what are the reporting deadlines for chi bộ?")
    table = next(m.value for m in at.markdown if "class='obligations'" in m.value)
    assert "<th style='text-align:left;padding:4px 8px'>Thời hạn</th>" in table
    assert "Định kỳ hàng quý, 06 tháng, một năm; thường xuyên; từ tháng 4/2017" in table
    assert ">Công văn số 683-CV/HU ngày 28/3/2017 của Huyện ủy Hớn Quản, mục 1<" in table
    first = _buttons(at, "view-")[0]
    passage_id = first.key.removeprefix("view-")
    first.click().run()
    frame = at.get("iframe")[0].proto.srcdoc
    assert "<mark id='passage'" in frame and "scrollIntoView" in frame
    assert "ĐẢNG BỘ TỈNH BÌNH PHƯỚC" in frame  # the whole document, from its header
    assert at.session_state["viewing"] == passage_id
    assert not _buttons(at, f"view-{passage_id}")  # opened in its own card
    at.button(key=f"close-{passage_id}").click().run()
    assert not at.get("iframe") and _buttons(at, f"view-{passage_id}")


def test_off_topic_question_says_there_is_no_evidence(sample_index, monkeypatch):
    at = _search(_app(sample_index, monkeypatch), "Công thức nấu phở bò Nam Định")
    assert any("Không tìm thấy căn cứ trong các văn bản đã lập chỉ mục" in w.value
               for w in at.warning)


def test_related_passages_are_shown_without_a_direct_answer(sample_index, monkeypatch):
    at = _search(_app(sample_index, monkeypatch), "thời hạn nộp đảng phí hằng tháng")
    assert any("Không thấy câu trả lời trực tiếp" in i.value for i in at.info)
    shown = _html(at)
    assert "Trả lời" not in shown and "class='obligations'" not in shown
    text = re.sub(r"<[^>]+>", "", shown)
    assert "mức đóng đảng phí" in text and _buttons(at, "view-")  # the related passages


def test_code_query_shows_the_document_card(sample_index, monkeypatch):
    at = _search(_app(sample_index, monkeypatch), "683-CV/HU")
    card = next(m.value for m in at.markdown if "Trích yếu:" in m.value)
    assert "<b>Công văn số 683-CV/HU</b>" in card and "Người ký: Nguyễn Thị Kim Ngọc" in card
    assert "Ngày: 28/3/2017" in card and "Cơ quan ban hành: Huyện ủy Hớn Quản" in card


def test_sidebar_filters_apply(sample_index, monkeypatch):
    at = _app(sample_index, monkeypatch)
    at.sidebar.multiselect[0].select("Chương trình hành động").run()
    _search(at, "chi bộ báo cáo")
    titles = [m.value for m in at.markdown if m.value.startswith("<div><b>")]
    assert len(titles) == 10
    assert all("Chương trình hành động số 27-CTr/HU" in t for t in titles)
    at.sidebar.slider[0].set_value((2017, 2017)).run()
    at.sidebar.multiselect[0].unselect("Chương trình hành động").run()
    titles = [m.value for m in at.markdown if m.value.startswith("<div><b>")]
    assert titles and all("683-CV/HU" in t for t in titles)


def test_briefing_basket_add_reorder_note_remove_and_export(sample_index, monkeypatch,
                                                            tmp_path):
    monkeypatch.setenv("TRACUU_USERS", str(tmp_path / "users.json"))
    at = _search(_app(sample_index, monkeypatch), "tỉ lệ kết nạp đảng viên mới")
    for _ in range(3):
        free = [b for b in _buttons(at, "add-") if not b.disabled]
        free[0].click().run()
    assert at.tabs[1].label == "Tập trích dẫn (3)"
    basket = at.session_state["basket"]
    first, second = basket[0].passage_id, basket[1].passage_id
    at.button(key=f"down-{first}").click().run()
    assert [i.passage_id for i in at.session_state["basket"]][:2] == [second, first]
    at.button(key=f"remove-{second}").click().run()
    items = at.session_state["basket"]
    assert len(items) == 2 and items[0].passage_id == first
    # what was typed reaches the file of the very first click on the export button
    at.text_input(key="basket-title").input("Tư liệu sinh hoạt chi bộ tháng 6")
    at.text_area(key=f"note-{first}").input("Dùng cho phần mục tiêu")
    [b for b in at.button if b.label == "Tải về DOCX"][0].click().run()
    assert not at.exception
    export = at.session_state["export_file"]
    assert export["name"] == "tai-lieu-tham-khao.docx"
    doc = docx.Document(io.BytesIO(export["data"]))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "TƯ LIỆU SINH HOẠT CHI BỘ THÁNG 6" in text
    assert "Ghi chú: Dùng cho phần mục tiêu" in text
    for item in at.session_state["basket"]:
        assert item.citation in text
    assert [d.label for d in at.download_button][0] == "Tải lại tai-lieu-tham-khao.docx"
    # the basket is kept on disk: a new session (a reload, a restart) finds it
    again = _app(sample_index, monkeypatch)
    assert [i.passage_id for i in again.session_state["basket"]] == \
        [i.passage_id for i in at.session_state["basket"]]
    assert again.session_state["basket"][0].note == "Dùng cho phần mục tiêu"
    # emptying asks first, and can be undone
    again.button(key="clear-basket").click().run()
    assert again.session_state["basket"] == [] and again.tabs[1].label == "Tập trích dẫn (0)"
    again.button(key="undo-basket").click().run()
    assert len(again.session_state["basket"]) == 2


def test_upload_then_remove_a_document(sample_index, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    shutil.copytree(sample_index, index_dir)
    letter = docx.Document()
    for line in ["HUYỆN ỦY HỚN QUẢN", "Số 701-CV/HU", "Hớn Quản, ngày 5 tháng 4 năm 2017",
                 "V/v báo cáo công tác tuyên giáo quý II",
                 "Các chi bộ trực thuộc gửi báo cáo công tác tuyên giáo quý II về Ban Tuyên "
                 "giáo Huyện ủy trước ngày 20 tháng 6 năm 2017."]:
        letter.add_paragraph(line)
    buffer = io.BytesIO()
    letter.save(buffer)
    at = _app(index_dir, monkeypatch)
    at.file_uploader[0].set_value([
        ("cv-701.docx", buffer.getvalue(),
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("hong.pdf", b"%PDF-1.4 broken", "application/pdf")])
    [b for b in at.button if b.label == "Lập chỉ mục các tệp đã chọn"][0].click().run()
    assert not at.exception
    assert any("Đã thêm 1 văn bản" in s.value for s in at.success)
    assert any(e.value.startswith("hong.pdf:") for e in at.error)  # the bad file, named
    listed = _documents(at)
    assert "701-CV/HU" in list(listed["Số hiệu"])
    assert (index_dir.parent / "uploads" / "index" / "cv-701.docx").exists()
    _search(at, "hạn gửi báo cáo công tác tuyên giáo quý II")
    assert "Công văn số 701-CV/HU ngày 5/4/2017" in _html(at)
    removal = next(b for b in at.selectbox if b.label == "Gỡ văn bản khỏi chỉ mục")
    assert removal.value is None  # nothing chosen beforehand; listed by title
    assert removal.format_func("cv-701") == \
        "Công văn số 701-CV/HU: báo cáo công tác tuyên giáo quý II"
    removal.set_value("cv-701")  # inside the form: sent with the submit button
    [b for b in at.button if b.label == "Gỡ"][0].click().run()
    assert any("xác nhận" in w.value for w in at.warning)  # not without the confirmation
    assert "701-CV/HU" in list(_documents(at)["Số hiệu"])
    next(b for b in at.selectbox if b.label == "Gỡ văn bản khỏi chỉ mục").set_value("cv-701")
    next(c for c in at.checkbox if c.label.startswith("Tôi hiểu")).check()
    [b for b in at.button if b.label == "Gỡ"][0].click().run()
    assert any("Đã gỡ cv-701" in s.value for s in at.success)
    assert "701-CV/HU" not in list(_documents(at)["Số hiệu"])
    assert not (index_dir.parent / "uploads" / "index" / "cv-701.docx").exists()
    at.button(key="undo-removal").click().run()  # undone: the kept version is put back
    assert not at.exception
    assert "701-CV/HU" in list(_documents(at)["Số hiệu"])


def _sign_in(at, name, password):
    boxes = {t.label: t for t in at.text_input}
    boxes["Tên đăng nhập"].input(name)
    boxes["Mật khẩu"].input(password)
    [b for b in at.button if b.label == "Đăng nhập"][0].click().run()
    assert not at.exception
    return at


def test_sign_in_roles_and_groups(sample_index, tmp_path, monkeypatch):
    """Sign-in is on by default: nothing but the form until a user signs in; a wrong password
    is refused and audited; a reader sees no upload form and not the documents of a group
    they are not in; an editor of that group sees both."""
    from index.build import add
    from index.users import UserStore, read_audit

    index_dir = tmp_path / "index"
    shutil.copytree(sample_index, index_dir)
    secret = tmp_path / "bao-cao-kiem-tra.txt"
    secret.write_text("ỦY BAN KIỂM TRA HUYỆN ỦY\nSố 98-BC/UBKTHU\nKết quả kiểm tra tài sản "
                      "của đồng chí Trần Văn Kín.", encoding="utf-8")
    add([secret], index_dir, access="kiem-tra")
    store = UserStore(tmp_path / "users.json")
    store.add("lan", "mật khẩu của Lan", "reader", "to-chuc")
    store.add("maria", "mật khẩu của Maria", "editor", "kiem-tra")
    at = _app(index_dir, monkeypatch, auth="on")
    assert [t.label for t in at.text_input] == ["Tên đăng nhập", "Mật khẩu"]
    assert not at.tabs  # nothing else before signing in
    _sign_in(at, "lan", "sai mật khẩu")
    assert any("Sai tên đăng nhập hoặc mật khẩu" in e.value for e in at.error)
    _sign_in(at, "lan", "mật khẩu của Lan")
    assert any("lan" in c.value and "người đọc" in c.value for c in at.sidebar.caption)
    assert "bao-cao-kiem-tra" not in list(_documents(at)["Mã"])
    assert not at.file_uploader and not [b for b in at.button if b.label == "Gỡ"]
    _search(at, "kiểm tra tài sản của đồng chí Trần Văn Kín")
    assert "98-BC/UBKTHU" not in _html(at)
    [b for b in at.sidebar.button if b.label == "Đăng xuất"][0].click().run()
    assert [t.label for t in at.text_input] == ["Tên đăng nhập", "Mật khẩu"]
    _sign_in(at, "maria", "mật khẩu của Maria")
    assert "bao-cao-kiem-tra" in list(_documents(at)["Mã"]) and at.file_uploader
    _search(at, "kiểm tra tài sản của đồng chí Trần Văn Kín")
    assert "98-BC/UBKTHU" in _html(at)
    assert [(r["user"], r["action"]) for r in read_audit(index_dir)] == [
        ("lan", "sign-in failed"), ("lan", "sign-in"), ("maria", "sign-in")]


def test_single_user_mode_is_refused_off_localhost(sample_index, monkeypatch):
    import streamlit as st

    real = st.get_option
    monkeypatch.setattr(st, "get_option", lambda key: "0.0.0.0" if key == "server.address"
                        else real(key))
    at = _app(sample_index, monkeypatch)
    assert any("chỉ dùng được khi máy chủ chỉ nghe trên localhost" in e.value for e in at.error)
    assert not at.text_input


def test_a_link_opens_its_search_with_its_mode_and_filters(sample_index, monkeypatch):
    """Every search is an address: /?q=… runs the search, with the mode and filters it names
    (values the index does not have are left out); a new search changes the address."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("TRACUU_INDEX", str(sample_index))
    monkeypatch.setenv("TRACUU_AUTH", "off")
    monkeypatch.setenv("TRACUU_USERS", str(Path(tempfile.mkdtemp()) / "users.json"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["q"] = "thoi han bao cao cua chi bo"
    at.query_params["mode"] = "bm25"
    at.query_params["doc_type"] = ["Công văn", "Không có loại này"]
    at.run()
    assert not at.exception
    assert at.text_input(key="query_box").value == "thoi han bao cao cua chi bo"
    assert at.radio(key="mode_choice").value == "Từ khóa"
    assert at.sidebar.multiselect(key="filter_doc_type").value == ["Công văn"]
    cards = re.findall(r"<b>\d+\. ([^<]+)</b>", _html(at))
    assert cards and all(c.startswith("Công văn") for c in cards)
    assert any("683-CV/HU" in c for c in cards)
    _search(at, "683-CV/HU")
    assert at.query_params["q"] == "683-CV/HU" and at.query_params["mode"] == "bm25"


def test_filters_that_leave_nothing_say_so_and_clear(sample_index, monkeypatch):
    at = _app(sample_index, monkeypatch)
    at.sidebar.multiselect(key="filter_doc_type").set_value(["Chương trình hành động"])
    at.sidebar.multiselect(key="filter_issuer").set_value(["Đảng ủy khối các cơ quan tỉnh"])
    at.run()
    _search(at, "thời hạn báo cáo của chi bộ")
    assert any("Bộ lọc đang chọn không để lại văn bản nào" in w.value for w in at.warning)
    assert not any("văn bản đã lập chỉ mục" in w.value for w in at.warning)
    [b for b in at.button if b.label == "Bỏ mọi bộ lọc và tìm lại"][0].click().run()
    assert at.sidebar.multiselect(key="filter_doc_type").value == []
    assert "1. Công văn số 683-CV/HU" in _html(at)


def test_the_empty_page_offers_examples_and_the_sessions_searches(sample_index, monkeypatch):
    at = _app(sample_index, monkeypatch)
    examples = _buttons(at, "example-")
    assert len(examples) >= 3 and any(b.label == "683-CV/HU" for b in examples)
    next(b for b in examples if b.label == "683-CV/HU").click().run()
    assert at.text_input(key="query_box").value == "683-CV/HU"
    assert "683-CV/HU" in _html(at) and at.query_params["q"] == "683-CV/HU"
    at.text_input(key="query_box").input("")
    at.button[0].click().run()
    assert any("Hãy nhập câu hỏi" in w.value for w in at.warning)  # an empty Tìm says so
    assert [b.label for b in _buttons(at, "history-")] == ["683-CV/HU"]
