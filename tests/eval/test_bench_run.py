"""TREC run files that trec_eval and ir-measures can read, whatever the corpus's ids."""

from __future__ import annotations

import pytest

from eval.bench import write_trec_run


def test_ids_with_spaces_are_written_readably_with_a_map_back(tmp_path):
    run = {"q 1": {"Luật Hôn nhân và gia đình@31": 2.5, "plain@1": 1.0}}
    out = tmp_path / "run.trec"
    assert write_trec_run(run, out, "tracuu-hybrid") == 2
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [len(line.split()) for line in lines] == [6, 6]  # the TREC columns, no more
    assert lines[0].split()[:3] == ["q_1", "Q0", "Luật_Hôn_nhân_và_gia_đình@31"]
    back = dict(line.split("\t") for line in
                (tmp_path / "run.trec.ids.tsv").read_text(encoding="utf-8").splitlines())
    assert back == {"q_1": "q 1", "Luật_Hôn_nhân_và_gia_đình@31": "Luật Hôn nhân và gia đình@31"}


def test_plain_ids_need_no_map(tmp_path):
    out = tmp_path / "run.trec"
    assert write_trec_run({"q1": {"d1": 1.0}}, out, "t") == 0
    assert out.read_text(encoding="utf-8") == "q1 Q0 d1 1 1.000000 t\n"
    assert not (tmp_path / "run.trec.ids.tsv").exists()


def test_ids_that_would_collide_are_refused(tmp_path):
    with pytest.raises(ValueError, match="another id"):
        write_trec_run({"q1": {"a b": 1.0, "a_b": 0.5}}, tmp_path / "run.trec", "t")
