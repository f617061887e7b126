from index.chunking import split_document
from index.readers.documents import Document, read_file

from ..conftest import DOC_27, DOC_683, SAMPLE


def test_passages_are_exact_spans_within_limits():
    for path in sorted(SAMPLE.iterdir()):
        doc = read_file(path)
        passages = split_document(doc)
        assert passages
        for p in passages:
            assert doc.text[p.start:p.end] == p.text
            assert len(p.text) <= 1200
            assert len(p.text.split()) <= 250
        starts = [p.start for p in passages]
        assert starts == sorted(starts)
        assert all(a.end <= b.start for a, b in zip(passages, passages[1:]))


def test_section_path_follows_numbering():
    passages = split_document(read_file(DOC_27))
    sections = {p.section for p in passages}
    assert ("IV- NHIỆM VỤ, GIẢI PHÁP CHỦ YẾU › 2. Nâng cao chất lượng đội ngũ đảng viên › 2.2."
            in sections)
    rate = next(p for p in passages if "tỉ lệ kết nạp đảng viên mới hàng năm" in p.text)
    assert rate.section == "III- MỤC TIÊU › 2. Mục tiêu cụ thể"


def test_list_items_under_their_heading_and_closing_part():
    passages = split_document(read_file(DOC_683))
    quarterly = next(p for p in passages if "Định kỳ hàng quý" in p.text)
    assert quarterly.section == "1. Các chi, đảng bộ trực thuộc"
    assert passages[-1].section == "Nơi nhận"
    assert passages[0].section == "" and "683-CV/HU" in passages[0].text


def test_long_paragraph_is_cut_at_sentence_ends():
    sentence = "Chi bộ họp định kỳ hằng tháng để đánh giá tình hình và đề ra nhiệm vụ mới. "
    doc = Document("long", sentence * 60, "long.txt")
    passages = split_document(doc)
    assert len(passages) > 1
    for p in passages:
        assert len(p.text) <= 1200 and p.text.endswith(".")


def test_blank_line_inside_a_sentence_does_not_split_it():
    text = ("1. Mục một\n\n- Tiếp tục củng cố tổ chức cơ sở đảng trong các doanh nghiệp " * 1
            + "x " * 120 + "và\n\nhợp tác xã trên địa bàn huyện.")
    doc = Document("broken", text, "b.txt")
    joined = [p for p in split_document(doc) if "hợp tác xã" in p.text]
    assert joined and "doanh nghiệp" in joined[0].text
