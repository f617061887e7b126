import pytest

from search import Searcher

pytestmark = pytest.mark.slow


def test_hits_carry_citations_and_exact_offsets(searcher):
    hits = searcher.search("thời hạn báo cáo của chi bộ", k=5)
    assert len(hits) == 5 and [h.rank for h in hits] == [1, 2, 3, 4, 5]
    top = hits[0]
    assert top.doc_id == "2017-03-28_683-CV-HU_Hon-Quan"
    assert top.citation.startswith("Công văn số 683-CV/HU ngày 28/3/2017 của Huyện ủy Hớn Quản")
    for h in hits:
        assert searcher.document_text(h.doc_id)[h.start:h.end] == h.text
        if h.answer:
            assert searcher.document_text(h.doc_id)[h.answer_start:h.answer_end] == h.answer
    assert "Định kỳ" in top.answer
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_each_mode_finds_the_admission_target(searcher, mode):
    hits = searcher.search("tỉ lệ kết nạp đảng viên mới hàng năm", k=3, mode=mode)
    assert any("3% - 4%" in h.text for h in hits)


def test_english_question_finds_vietnamese_passage(searcher):
    hits = searcher.search("how often must party cells report to the district committee?", k=5)
    assert any("Định kỳ" in h.text and "báo cáo Huyện ủy" in h.text for h in hits)


def test_filters_apply_before_the_cut(searcher):
    hits = searcher.search("báo cáo định kỳ", k=5, filters={"year": (2019, 2019),
                                                            "doc_type": "Công văn"})
    assert len(hits) == 5
    assert {h.doc_id for h in hits} == {"2019-04-18_163-CV-DUK_Dong-Nai"}
    with pytest.raises(ValueError, match="unknown filter"):
        searcher.search("x", filters={"colour": "red"})
    # documents dated only by a year (a news report, a program without a dated header) count
    dated_by_year = searcher.search("chi bộ", k=20, filters={"year": (2019, 2022),
                                                              "level": "huyện"})
    assert {h.doc_id for h in dated_by_year} == {"2022_27-CTr-HU_thuc-hien-NQ-21-NQ-TW"}
    news = searcher.search("chi bộ", k=3, filters={"year": (2019, 2019)})
    assert "2019_tin-bai_Giong-Rieng_Kien-Giang" in {h.doc_id for h in news}


@pytest.mark.parametrize("query,message", [("", "empty query"), ("   \n", "empty query")])
def test_bad_queries(searcher, query, message):
    with pytest.raises(ValueError, match=message):
        searcher.search(query)


def test_bad_mode_and_k(searcher):
    with pytest.raises(ValueError, match="hybrid, bm25, dense"):
        searcher.search("chi bộ", mode="fuzzy")
    with pytest.raises(ValueError, match="positive"):
        searcher.search("chi bộ", k=0)


def test_hybrid_not_below_best_single_mode_on_a_known_question(searcher):
    query = "Ban Tổ chức Huyện ủy tham mưu sơ kết, tổng kết việc thực hiện Nghị quyết"
    ranks = {}
    for mode in ("bm25", "dense", "hybrid"):
        hits = searcher.search(query, k=10, mode=mode)
        ranks[mode] = next((h.rank for h in hits if "4. Ban Tổ chức Huyện ủy" in h.text), 99)
    assert ranks["hybrid"] <= min(ranks["bm25"], ranks["dense"])


@pytest.mark.parametrize("query", ["683-CV/HU", "Công văn 683-cv/hu yêu cầu gì?"])
def test_code_query_returns_the_document_first(searcher, query):
    hits = searcher.search(query, k=5)
    assert hits[0].doc_id == "2017-03-28_683-CV-HU_Hon-Quan"


def test_code_typed_without_d_stroke_finds_the_document(searcher):
    assert searcher.search("163-cv/duk", k=3)[0].doc_id == "2019-04-18_163-CV-DUK_Dong-Nai"


def test_code_not_indexed_brings_the_passages_citing_it_first(searcher):
    hits = searcher.search("Kế hoạch 38-KH/HU", k=3)
    assert "38-KH/HU" in hits[0].text and "38-KH/HU" in hits[1].text


def test_hits_list_the_documents_citing_them(tmp_path):
    from index.build import build

    from ..conftest import DOC_683

    src = tmp_path / "src"
    src.mkdir()
    (src / DOC_683.name).write_bytes(DOC_683.read_bytes())
    (src / "bao-cao.txt").write_text(
        "HUYỆN ỦY HỚN QUẢN\n\nSố 05-BC/HU\n\nHớn Quản, ngày 10 tháng 7 năm 2017\n\n"
        "Thực hiện Công văn số 683-CV/HU ngày 28/3/2017, các chi bộ đã báo cáo định kỳ hàng quý "
        "số lượng và mức độ suy thoái tư tưởng chính trị.\n", encoding="utf-8")
    build([src], tmp_path / "idx")
    hits = Searcher.load(tmp_path / "idx").search("683-CV/HU", k=3)
    assert hits[0].doc_id == DOC_683.stem
    assert [c.doc_id for c in hits[0].cited_by] == ["bao-cao"]
    assert hits[0].cited_by[0].citation.startswith("Báo cáo số 05-BC/HU ngày 10/7/2017")
    assert hits[1].doc_id == "bao-cao"  # then the passage citing it


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_a_code_query_brings_its_document_first_even_outside_both_lists(searcher, mode,
                                                                        monkeypatch):
    import search.searcher as module

    monkeypatch.setattr(module, "CANDIDATES", 2)  # the document falls outside both top lists
    hits = searcher.search("đảng phí hằng tháng 163-CV/ĐUK", k=2, mode=mode)
    assert hits[0].doc_id == "2019-04-18_163-CV-DUK_Dong-Nai"


def test_repeated_filters_combine():
    from search.__main__ import parse_filters

    assert parse_filters(["doc_type=Công văn", "doc_type=Chương trình", "level=huyện"]) == {
        "doc_type": ["Công văn", "Chương trình"], "level": "huyện"}
    assert parse_filters(["year=2017..2019"]) == {"year": (2017, 2019)}
    with pytest.raises(ValueError, match="one --filter year"):
        parse_filters(["year=2017", "year=2019"])


def test_repeated_filters_keep_any_of_their_values(searcher):
    both = {h.doc_id for h in searcher.search(
        "chi bộ", k=30, filters={"doc_type": ["Công văn", "Chương trình hành động"]})}
    assert "2017-03-28_683-CV-HU_Hon-Quan" in both
    assert "2022_27-CTr-HU_thuc-hien-NQ-21-NQ-TW" in both


def test_hits_are_frozen_records_whose_json_keeps_its_shape(searcher):
    import dataclasses
    import json

    from search.records import CitingDocument, Contribution

    hit = searcher.search("683-CV/HU", k=3)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        hit.rank = 9
    assert isinstance(hit.contributions, Contribution)
    assert hit.contributions.bm25 + hit.contributions.dense > 0
    assert all(isinstance(c, CitingDocument) for c in hit.cited_by)
    out = json.loads(json.dumps(hit.to_dict(), ensure_ascii=False))
    assert out["contributions"]["fusion"] == "convex"
    assert set(out["contributions"]["learned"]) == set(searcher.combiner.ranker.features)
    assert out["cited_by"] == [{"doc_id": c.doc_id, "citation": c.citation} for c in hit.cited_by]
    assert out["text"] == hit.text and out["metadata"] == dict(hit.metadata)
    bm25_only = searcher.search("683-CV/HU", k=1, mode="bm25")[0]
    assert bm25_only.contributions is None and bm25_only.to_dict()["contributions"] == {}
    opened = searcher.open_passage(hit.passage_id)
    assert opened.to_dict()["text"][opened.start:opened.end] == hit.text


def test_answers_and_their_obligations_are_frozen(searcher):
    import dataclasses

    answer = searcher.ask("thời hạn báo cáo của chi bộ")
    assert answer.outcome == "answer" and answer.obligations
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.outcome = "none"
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.obligations[0].doc_id = "x"
    assert all(ob.doc_id and ob.citation for ob in answer.obligations)
    assert answer.to_dict()["evidence"] == dataclasses.asdict(answer.evidence)
