"""Laws (number, name, Chương/Điều/khoản sections, citations) and headerless news reports."""

from index.chunking import split_document
from index.readers.documents import read_file
from search.citation import citation, law_position

from ..conftest import ROOT, SAMPLE

LAWS = ROOT / "data" / "laws"
LABOUR_CODE = LAWS / "Bo-luat-Lao-dong-45-2019-QH14.txt"
IRRIGATION = LAWS / "Luat-Thuy-loi-08-2017-QH14.txt"


def test_law_header():
    meta = read_file(LABOUR_CODE).metadata
    assert meta["code"] == "45/2019/QH14" and meta["doc_type"] == "Bộ luật"
    assert meta["law_name"] == "Bộ luật Lao động"
    assert meta["title"] == "Bộ luật Lao động số 45/2019/QH14"
    assert meta["issuer"] == "Quốc hội" and meta["level"] == "Trung ương"
    assert meta["date"] == "2019-11-20" and meta["place"] == "Hà Nội"
    irrigation = read_file(IRRIGATION).metadata
    assert irrigation["code"] == "08/2017/QH14" and irrigation["doc_type"] == "Luật"
    assert irrigation["law_name"] == "Luật Thủy lợi" and irrigation["date"] == "2017-06-19"


def test_law_passages_follow_articles_and_clauses():
    doc = read_file(LABOUR_CODE)
    passages = split_document(doc)
    for p in passages:
        assert doc.text[p.start:p.end] == p.text
    by_section = {p.section: p for p in passages}
    article_3 = [s for s in by_section if " › Điều 3. Giải thích từ ngữ" in s]
    assert article_3 and all(s.startswith("Chương I › ") for s in article_3)
    clause = next(p for p in passages if "Điều 3. Giải thích từ ngữ › Khoản" in p.section
                  and "2. Người sử dụng lao động là" in p.text)
    first, _, last = clause.section.rsplit("Khoản ", 1)[1].partition("–")
    assert int(first) <= 2 <= int(last or first)
    # every passage inside an article cites its article, and clauses when it holds them
    assert law_position("Chương I › Điều 3. Giải thích từ ngữ › Khoản 2") == "Điều 3 khoản 2"
    assert citation(doc.metadata, "Chương I › Điều 3. Giải thích từ ngữ › Khoản 2") == (
        "Điều 3 khoản 2, Bộ luật Lao động số 45/2019/QH14")
    assert citation(doc.metadata, clause.section).startswith("Điều 3 khoản ")
    # an article's section never carries a label from the article after it
    for p in passages:
        if "Điều 4." in p.text.split("\n", 1)[0]:
            assert "Điều 4." in p.section


def test_clause_points_are_labelled():
    doc = read_file(LABOUR_CODE)
    labels = [p.section for p in split_document(doc) if "Điểm " in p.section]
    assert labels, "long clauses with lettered points are split and labelled by point"
    assert all(" › Khoản " in s for s in labels)


def test_news_report_is_cited_by_title_and_year():
    doc = read_file(SAMPLE / "2019_tin-bai_Giong-Rieng_Kien-Giang.txt")
    assert doc.metadata["year"] == 2019 and "date" not in doc.metadata
    cite = citation(doc.metadata, "")
    assert cite == f"“{doc.metadata['title']}”, năm 2019"


def test_program_without_dated_header_gets_issuer_from_signature():
    meta = read_file(SAMPLE / "2022_27-CTr-HU_thuc-hien-NQ-21-NQ-TW.txt").metadata
    assert meta["issuer"] == "Huyện ủy" and meta["year"] == 2022
    assert citation(meta, "IV- NHIỆM VỤ › 2. X › 2.2. Y") == (
        "Chương trình hành động số 27-CTr/HU năm 2022 của Huyện ủy, mục IV, 2.2")
