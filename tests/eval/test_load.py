"""The load driver (eval.load) speaks Streamlit's websocket as a browser tab does: it signs in
through the form and gets the answer panel; the editor's additions reach the server's index.
Figures are not asserted here (they are a benchmark: python -m eval load)."""

from __future__ import annotations

import shutil

import pytest

from eval.load import Level, Server, percentile, questions, rss, run_level


def test_percentiles_and_the_mixed_questions():
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0 and percentile([1.0, 9.0], 0.95) == 9.0
    asked = questions(30)
    assert len(asked) == 30 and len(set(asked)) == 30 and questions(30) == asked


@pytest.mark.slow
def test_a_signed_in_reader_gets_answers_while_an_editor_adds(sample_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(sample_index.resolve(), index)
    server = Server(index, 2, tmp_path)
    try:
        level = run_level(server, index, 2, 2, 1.0, tmp_path)
        assert level.errors == [] and len(level.answer) == 4 and len(level.page) == 4
        assert level.uploads >= 1 and level.peak_rss > 100 * 2**20
        assert rss(server.proc.pid) > 0
    finally:
        server.close()
    assert isinstance(level, Level)
