"""The briefing basket and its DOCX / Markdown exports (read back with python-docx)."""

import datetime as dt
import io

import docx
import pytest

from search import briefing
from search.briefing import BriefingItem

from ..conftest import DOC_683

TEXT = DOC_683.read_text(encoding="utf-8")
A = BriefingItem("683#3", "683", "Công văn số 683-CV/HU ngày 28/3/2017 của Huyện ủy Hớn Quản, "
                 "mục 1", "Định kỳ hàng quý, 06 tháng, một năm, bí thư đảng ủy, chi bộ trực "
                 "thuộc báo cáo Huyện ủy.\n\nĐoạn thứ hai.", title="Công văn số 683-CV/HU")
B = BriefingItem("27#5", "27", "Chương trình hành động số 27-CTr/HU năm 2022 của Huyện ủy, mục "
                 "III, 2", "Phấn đấu tỉ lệ kết nạp đảng viên mới hàng năm đạt từ 3% - 4%.",
                 title="Chương trình hành động số 27-CTr/HU")
C = BriefingItem("683#4", "683", A.citation.replace("mục 1", "mục 2"), "Ban Tuyên giáo Huyện ủy "
                 "tăng cường theo dõi, đôn đốc.", title=A.title)


def test_basket_operations_return_new_lists():
    items = briefing.add(briefing.add([], A), B)
    assert briefing.add(items, A) == items  # the same passage is not added twice
    items = briefing.add(items, C)
    assert [i.passage_id for i in briefing.move(items, 2, -1)] == ["683#3", "683#4", "27#5"]
    assert briefing.move(items, 0, -1) == items  # stays within the list
    assert [i.passage_id for i in briefing.remove(items, 1)] == ["683#3", "683#4"]
    noted = briefing.annotate(items, 1, "  dùng cho phần mục tiêu  ")
    assert noted[1].note == "dùng cho phần mục tiêu" and items[1].note == ""
    with pytest.raises(IndexError):
        briefing.remove(items, 3)


def test_docx_export_reads_back_with_citations_notes_and_sources():
    items = briefing.annotate([A, B, C], 1, "Số liệu cho bài nói chuyện")
    data = briefing.to_docx(items, "Tài liệu sinh hoạt chi bộ tháng 5", dt.date(2024, 5, 2))
    doc = docx.Document(io.BytesIO(data))
    paragraphs = [p.text for p in doc.paragraphs]
    text = "\n".join(paragraphs)
    assert paragraphs[0] == "TÀI LIỆU SINH HOẠT CHI BỘ THÁNG 5"
    assert "Ngày 02 tháng 05 năm 2024 · 3 trích dẫn" in text
    for n, item in enumerate(items, 1):  # each citation once, numbered
        assert [p for p in paragraphs if item.citation in p] == [f"{n}. {item.citation}"]
    quotes = [p.text for p in doc.paragraphs if p.style.name == "Quote"]
    assert quotes[:2] == ["Định kỳ hàng quý, 06 tháng, một năm, bí thư đảng ủy, chi bộ trực "
                          "thuộc báo cáo Huyện ủy.", "Đoạn thứ hai."]
    assert "Ghi chú: Số liệu cho bài nói chuyện" in paragraphs
    sources = paragraphs[paragraphs.index("Nguồn") + 1:]
    assert sources == ["Công văn số 683-CV/HU", "Chương trình hành động số 27-CTr/HU"]


def test_docx_is_a4_times_new_roman_and_vietnamese():
    """As the samples are set: A4, Times New Roman 13-14 pt, and marked Vietnamese, so that
    Word does not flag every word as an English misspelling."""
    doc = docx.Document(io.BytesIO(briefing.to_docx([A, B])))
    section = doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    normal = doc.styles["Normal"]
    assert normal.font.name == "Times New Roman" and 13 <= normal.font.size.pt <= 14
    styles = doc.styles.element.xml
    assert 'w:val="vi-VN"' in styles and 'w:val="en-US"' not in styles
    for paragraph in doc.paragraphs:
        style = paragraph.style
        while style is not None and style.font.name is None:
            style = style.base_style
        assert style is not None and style.font.name == "Times New Roman"


def test_markdown_export():
    md = briefing.to_markdown([A, B], today=dt.date(2024, 5, 2))
    assert md.startswith(f"# {briefing.DEFAULT_TITLE}\n")
    assert f"## 1. {A.citation}" in md and f"— *{B.citation}*" in md
    assert "> Định kỳ hàng quý" in md and ">\n> Đoạn thứ hai." in md
    assert md.rstrip().endswith("2. Chương trình hành động số 27-CTr/HU")
    with pytest.raises(ValueError, match="empty"):
        briefing.to_markdown([])
