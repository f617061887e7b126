"""The page's HTML helpers (ui.html), tested on real answers without a page."""

import dataclasses
import html
import re

import pytest

from ui.html import (
    ANSWER,
    OBLIGATION_COLUMNS,
    TERM,
    document_card_html,
    download_script,
    obligations_table,
    passage_html,
    score_lines,
)

pytestmark = pytest.mark.slow


def test_a_passage_marks_its_answer_and_the_query_words_and_escapes_the_rest(searcher):
    [hit] = searcher.search("thời hạn báo cáo của chi bộ", k=1)
    assert hit.answer
    hit = dataclasses.replace(hit, text=hit.text + " <script>x</script>")
    words = [(m.start(), m.end()) for m in re.finditer("chi bộ", hit.text)]
    out = passage_html(hit, words)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert TERM[0] in out and ANSWER[0] in out
    assert html.unescape(re.sub(r"<[^>]+>", "", out.replace("<br>", "\n"))) == hit.text
    marked = "".join(re.findall(re.escape(ANSWER[0]) + r"(.*?)" + re.escape(ANSWER[1]), out))
    assert html.unescape(re.sub(r"<[^>]+>", " ", marked)).split() == hit.answer.split()


def test_the_obligations_table_has_a_row_per_duty_each_cell_labelled(searcher):
    answer = searcher.ask("thời hạn báo cáo của chi bộ")
    assert answer.obligations
    table = obligations_table(answer.obligations)
    assert table.count("<tr>") == len(answer.obligations) + 1  # the head, then one per duty
    assert all(f"data-label='{c}'" in table for c in OBLIGATION_COLUMNS)
    assert answer.obligations[0].citation.split(",")[0] in table


def test_a_documents_card_lists_its_fields_and_who_cites_it(searcher):
    card = searcher.ask("683-CV/HU").document
    out = document_card_html(card)
    assert out.startswith("<b>Công văn số 683-CV/HU</b>")
    assert "Cơ quan ban hành: Huyện ủy Hớn Quản" in out and "Ngày: 28/3/2017" in out


def test_the_numbers_behind_a_rank_add_up(searcher):
    hit = searcher.search("683-CV/HU", k=1)[0]
    lines = score_lines(hit)
    assert lines[0] == f"Điểm tổng hợp: {hit.score:.3f}"
    assert f"{hit.contributions.bm25:.3f}" in lines[1] and hit.contributions.fusion in lines[1]
    assert lines[2].startswith("Điểm tổng hợp gồm: ")
    bm25_only = searcher.search("683-CV/HU", k=1, mode="bm25")[0]
    assert score_lines(bm25_only)[1] == f"Điểm BM25 gốc: {bm25_only.bm25_score:.3f}"


def test_a_download_names_its_file_once():
    script = download_script("Đoạn trích".encode(), "tai-lieu.md", "text/markdown")
    assert "a.download = \"tai-lieu.md\"" in script
    assert "data:text/markdown;base64,xJBv4bqhbiB0csOtY2g=" in script
