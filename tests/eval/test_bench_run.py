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


def test_queries_and_qrels_are_read_as_beir_writes_them(tmp_path):
    from eval.bench import load_qrels, load_queries

    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"_id": 7, "text": "thời hạn báo cáo"}\n\n{"_id": "q2", "text": "x"}\n',
                       encoding="utf-8")
    assert load_queries(queries) == {"7": "thời hạn báo cáo", "q2": "x"}
    queries.write_text('{"_id": "q1", "text": "a"}\n{"id": "q2"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"queries.jsonl:2: expected a JSON object"):
        load_queries(queries)
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t0\nq2\td3\t2\n",
                     encoding="utf-8")
    assert load_qrels(qrels) == {"q1": {"d1": 1}, "q2": {"d3": 2}}  # score 0: not relevant
    qrels.write_text("q1\td1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="query-id<TAB>corpus-id<TAB>score"):
        load_qrels(qrels)


def test_documents_are_ranked_by_their_best_passage(searcher):
    from eval.bench import doc_run

    query = "thời hạn báo cáo của chi bộ"
    run = doc_run(searcher, query, "hybrid", k_docs=3)
    hits = searcher.search(query, k=100, mode="hybrid", answers=False)
    best = {}
    for hit in hits:
        best[hit.doc_id] = max(best.get(hit.doc_id, float("-inf")), hit.score)
    assert list(run) == sorted(best, key=best.get, reverse=True)[:3]
    assert all(run[d] == best[d] for d in run)


def test_the_baseline_ranks_by_rank_bm25_over_syllables(tmp_path):
    import json

    from eval.bench import baseline_run

    corpus = tmp_path / "corpus.jsonl"
    rows = [{"_id": "bc", "title": "Báo cáo", "text": "Chi bộ báo cáo kết quả trước ngày 30."},
            {"_id": "kh", "title": "Kế hoạch", "text": "Kế hoạch học tập nghị quyết."},
            {"_id": "tb", "title": "Thông báo", "text": "Thông báo lịch sinh hoạt chi bộ."}]
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                      encoding="utf-8")
    scores, run = baseline_run(corpus, {"q": "CHI BỘ BÁO CÁO"}, {"q": {"bc": 1}}, k=2)
    assert list(run["q"]) == ["bc", "tb"]  # case folded; "báo cáo" only in the first
    assert scores["MRR@10"] == 1.0 and scores["R@10"] == 1.0
