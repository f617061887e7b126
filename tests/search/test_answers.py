"""Answering sentences, obligations, abstention and opening a cited passage."""

import pytest

from index.chunking import split_document
from index.readers.documents import read_file
from search.answers import NO_EVIDENCE, extract_obligations, intents

from ..conftest import DOC_683, SAMPLE


def _obligations(path):
    doc = read_file(path)
    found = []
    for p in split_document(doc):
        found += extract_obligations(p.text, p.start, "")
    return doc, found


def test_obligations_of_the_sample_reporting_sentences():
    doc, found = _obligations(DOC_683)
    quarterly = next(o for o in found if "hàng quý" in " ".join(o.when))
    assert quarterly.who == "bí thư đảng ủy, chi bộ trực thuộc"
    assert quarterly.when[:3] == ["Định kỳ hàng quý, 06 tháng, một năm", "thường xuyên",
                                  "từ tháng 4/2017"]
    assert quarterly.to == "Huyện ủy" and quarterly.is_report
    assert doc.text[quarterly.start:quarterly.end] == quarterly.sentence
    newspaper = next(o for o in found if o.via)
    assert newspaper.when[0] == "Định kỳ 6 tháng, một năm"
    assert newspaper.to == "Ban Thường vụ Huyện" and newspaper.via == "Ban Tuyên giáo Huyện ủy"
    pledge = next(o for o in found if "bản cam kết" in o.action)
    assert pledge.who == "cấp ủy, chi bộ" and pledge.to == "Huyện ủy"

    _, bloc = _obligations(SAMPLE / "2019-04-18_163-CV-DUK_Dong-Nai.txt")
    final = next(o for o in bloc if o.via)
    assert final.who == "cấp ủy các chi, đảng bộ cơ sở" and final.when == ["định kỳ"]
    assert final.to == "Ban Thường vụ Đảng ủy khối" and final.via == "Ban Tuyên giáo"
    on_time = next(o for o in bloc if "đúng thời gian quy định" in o.when)
    assert on_time.who == "các cấp ủy cơ sở" and not on_time.is_report
    # "Báo cáo viên" (a propagandist) is a person, not a duty to report
    assert not any(o.action.startswith("Báo cáo viên") for o in bloc)

    _, news = _obligations(SAMPLE / "2019_tin-bai_Giong-Rieng_Kien-Giang.txt")
    monthly = next(o for o in news if o.when == ["Định kỳ hằng tháng"])
    assert monthly.who == "cấp ủy, chi bộ" and monthly.to == "cấp trên"


def test_question_intents():
    assert intents("Định kỳ bao lâu phải báo cáo, báo cáo cho ai?") == ["period", "recipient"]
    assert intents("how often must party cells report?") == ["period"]
    assert intents("Ai ký Công văn 683-CV/HU?") == ["signer"]
    assert intents("Công văn 163-CV/ĐUK gửi đến những ai?") == ["recipients"]
    assert intents("tỉ lệ kết nạp đảng viên") == []


@pytest.mark.slow
def test_reporting_deadlines_question_lists_obligations_with_citations(searcher):
    for query in ("what are the reporting deadlines for chi bộ?", "thời hạn báo cáo của chi bộ"):
        answer = searcher.ask(query)
        assert not answer.abstained and answer.obligations
        assert all(o.is_report and o.citation for o in answer.obligations)
        whens = [" ".join(o.when) for o in answer.obligations]
        assert any("hàng quý" in w for w in whens) and any("hằng tháng" in w for w in whens)
        quarterly = next(o for o in answer.obligations if "hàng quý" in " ".join(o.when))
        assert quarterly.citation.startswith("Công văn số 683-CV/HU ngày 28/3/2017")
        text = searcher.document_text(quarterly.doc_id)
        assert text[quarterly.start:quarterly.end] == quarterly.sentence


@pytest.mark.slow
@pytest.mark.parametrize("query, expected", [
    ("Ai ký Công văn 683-CV/HU?", "Nguyễn Thị Kim Ngọc"),
    ("Công văn 163-CV/ĐUK ban hành ngày tháng năm nào?", "ngày 18 tháng 04 năm 2019"),
    ("Định kỳ bao lâu báo cáo kết quả đọc và làm theo báo Đảng?", "Định kỳ 6 tháng, một năm"),
])
def test_answer_sentence_holds_what_was_asked(searcher, query, expected):
    answer = searcher.ask(query, k=5)
    assert any(expected in h.answer for h in answer.hits[:3])


@pytest.mark.slow
@pytest.mark.parametrize("query", ["Công thức nấu phở bò Nam Định",
                                   "What is the capital of Australia?",
                                   "gia ve may bay di Da Nang thang sau"])
def test_off_topic_questions_are_answered_with_no_evidence(searcher, query):
    answer = searcher.ask(query)
    assert answer.abstained and answer.message == NO_EVIDENCE and answer.hits == []
    assert answer.closest  # still there for whoever asks to see them


@pytest.mark.slow
def test_opening_a_citation_gives_the_whole_document_and_the_offsets(searcher):
    hit = searcher.search("tỉ lệ kết nạp đảng viên mới hàng năm", k=1)[0]
    opened = searcher.open_passage(hit.passage_id)
    assert opened.text == searcher.document_text(hit.doc_id)
    assert opened.text[opened.start:opened.end] == hit.text
    assert opened.citation == hit.citation
    with pytest.raises(KeyError):
        searcher.open_passage("no-such-passage#0")
