"""Restricted documents (index.access): a document for one group never reaches a reader outside
it: not in hits, answers, obligations, code look-ups, cited_by, the viewer, the library list or
the filter lists; the operator (groups None) and the group's readers see it."""

from __future__ import annotations

import shutil

import pytest

from index.access import check_groups, parse_groups, visible
from search.filters import filter_value

from ..conftest import SAMPLE

SECRET_CODE = "99-BC/UBKTHU"
# a report of the inspection committee that cites 683-CV/HU and sets a duty with a deadline
SECRET = """ĐẢNG BỘ TỈNH BÌNH PHƯỚC
ỦY BAN KIỂM TRA HUYỆN ỦY HỚN QUẢN
*
Số 99-BC/UBKTHU
V/v kết quả kiểm tra dấu hiệu vi phạm của đảng viên

ĐẢNG CỘNG SẢN VIỆT NAM
Hớn Quản, ngày 05 tháng 6 năm 2017

BÁO CÁO

Thực hiện Công văn số 683-CV/HU ngày 28/3/2017 của Ban Thường vụ Huyện ủy, Ủy ban Kiểm tra
Huyện ủy đã kiểm tra đồng chí Trần Văn Bí mật, đảng viên chi bộ ấp Sóc Quả, về dấu hiệu vi
phạm trong kê khai tài sản và sử dụng đất rừng phòng hộ.

Chi bộ ấp Sóc Quả phải báo cáo Ủy ban Kiểm tra Huyện ủy kết quả khắc phục trước ngày
30/6/2017.

T/M ỦY BAN KIỂM TRA
CHỦ NHIỆM

Lê Văn Kín
"""
QUERY = "đảng viên vi phạm kê khai tài sản sử dụng đất rừng phòng hộ chi bộ ấp Sóc Quả"


@pytest.fixture(scope="module")
def restricted(sample_index, tmp_path_factory):
    """The sample index with the inspection report added for the group ``kiem-tra``."""
    from index.build import add

    folder = tmp_path_factory.mktemp("access")
    index = folder / "index"
    shutil.copytree(sample_index, index)
    secret = folder / "2017-06-05_99-BC-UBKTHU_kiem-tra.txt"
    secret.write_text(SECRET, encoding="utf-8")
    add([secret], index, access="Kiem-Tra")
    return index, secret.stem


@pytest.fixture(scope="module")
def searcher(restricted):
    from search import Searcher

    return Searcher.load(restricted[0])


def test_groups_are_names_and_visibility_is_their_intersection():
    assert parse_groups(" Nhân-sự, kiem-tra ,kiem-tra") == ["kiem-tra", "nhân-sự"]
    with pytest.raises(ValueError, match="bad access group"):
        parse_groups("to chuc")
    with pytest.raises(TypeError, match="not a string"):
        check_groups("kiem-tra")
    meta = {"access": ["kiem-tra"]}
    assert visible(meta, None) and visible(meta, frozenset({"kiem-tra", "x"}))
    assert not visible(meta, frozenset()) and not visible(meta, frozenset({"to-chuc"}))
    assert visible({}, frozenset())


@pytest.mark.slow
def test_readers_outside_the_group_never_meet_the_document(searcher, restricted):
    from index.library import documents_table, filter_options

    secret = restricted[1]
    assert searcher.data.documents[secret].metadata["access"] == ["kiem-tra"]
    for groups in ([], ["to-chuc"]):
        for mode in ("hybrid", "bm25", "dense"):
            hits = searcher.search(QUERY, k=20, mode=mode, groups=groups)
            assert hits and secret not in {h.doc_id for h in hits}, mode
        # looked up by its code: no card, no passage of it, and the code is no evidence
        by_code = searcher.ask(SECRET_CODE, groups=groups)
        assert by_code.document is None and secret not in {h.doc_id for h in by_code.hits}
        answer = searcher.ask("chi bộ ấp Sóc Quả phải báo cáo kết quả khắc phục trước ngày nào?",
                              groups=groups)
        assert secret not in {h.doc_id for h in answer.hits + answer.closest}
        assert SECRET_CODE not in answer.citation
        assert all(ob.doc_id != secret for ob in answer.obligations)
        assert secret not in {c.doc_id for h in searcher.search("683-CV/HU", groups=groups)
                              for c in h.cited_by}
        with pytest.raises(KeyError):
            searcher.open_passage(f"{secret}#0", groups=groups)
        with pytest.raises(KeyError):
            searcher.document_text(secret, groups=groups)
        assert secret not in {row["doc_id"] for row in documents_table(searcher.data, groups)}
        assert filter_value(searcher.data.documents[secret].metadata, "issuer") not in \
            filter_options(searcher.data, groups)["issuer"]


@pytest.mark.slow
def test_the_group_and_the_operator_see_it(searcher, restricted):
    from index.library import documents_table, filter_options

    secret = restricted[1]
    for groups in (None, ["kiem-tra"], ["to-chuc", "KIEM-TRA"]):
        assert searcher.search(QUERY, k=3, groups=groups)[0].doc_id == secret
        assert searcher.ask(SECRET_CODE, groups=groups).document["doc_id"] == secret
        cited = {c.doc_id for h in searcher.search("683-CV/HU", k=3, groups=groups)
                 for c in h.cited_by}
        assert secret in cited
        assert searcher.open_passage(f"{secret}#0", groups=groups).doc_id == secret
        assert secret in {row["doc_id"] for row in documents_table(searcher.data, groups)}
        assert filter_value(searcher.data.documents[secret].metadata, "issuer") in \
            filter_options(searcher.data, groups)["issuer"]


@pytest.mark.slow
def test_the_command_line_searches_as_a_reader_of_groups(restricted, capsys):
    from search.__main__ import main

    index, secret = restricted
    assert main([QUERY, "--index", str(index), "--json", "--groups", "to-chuc"]) == 0
    import json

    out = json.loads(capsys.readouterr().out)
    assert secret not in {h["doc_id"] for h in out["hits"]}
    assert main([QUERY, "--index", str(index), "--json"]) == 0  # the operator
    assert json.loads(capsys.readouterr().out)["hits"][0]["doc_id"] == secret
    assert main(["--open", f"{secret}#0", "--index", str(index), "--groups", ""]) == 1
    assert "no passage" in capsys.readouterr().err


def test_the_milvus_expression_keeps_a_reader_to_their_groups():
    from search.filters import filter_expression

    assert filter_expression(None, frozenset()) == '(access == "")'
    assert filter_expression({"year": 2017}, frozenset({"kiem-tra", "a"})) == (
        '(access == "" or access like "%|a|%" or access like "%|kiem-tra|%") and '
        "year == 2017")
    assert filter_expression(None, None) == ""


def test_an_added_document_keeps_no_group_it_was_not_given(sample_index, tmp_path):
    """Groups go to the documents of the addition that names them, and to no other: neither
    to the next addition without ``--access`` nor to the documents already indexed."""
    from index.build import add
    from index.stores.loading import load_index

    index = tmp_path / "index"
    shutil.copytree(sample_index, index)
    secret, plain = tmp_path / "bi-mat.txt", tmp_path / "cong-khai.txt"
    secret.write_text(SECRET, encoding="utf-8")
    plain.write_text(SECRET.replace(SECRET_CODE, "98-BC/UBKTHU"), encoding="utf-8")
    add([secret], index, access="kiem-tra")
    add([plain], index)
    documents = load_index(index).documents
    assert documents["bi-mat"].metadata["access"] == ["kiem-tra"]
    assert "access" not in documents["cong-khai"].metadata
    assert all("access" not in d.metadata for doc_id, d in documents.items()
               if doc_id != "bi-mat")
    assert {p.stem for p in SAMPLE.iterdir()} <= set(documents)
