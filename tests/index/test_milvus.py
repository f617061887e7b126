"""The Milvus backend against the embedded one, on a real Milvus Lite server (its standalone gRPC
mode on 127.0.0.1, started here)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from pymilvus import MilvusClient

from eval.backends import overlap
from eval.gold import load_gold
from eval.report import run_gold
from index.build import add, build, publish, remove
from index.metadata import document_year
from index.milvus import (
    MilvusStore,
    MilvusUnavailable,
    collection_name,
    filter_expression,
    server_hint,
    term_id,
)
from index.retrieval import EmbeddedRetrieval
from search import Searcher

from ..conftest import DOC_683, SAMPLE

pytestmark = pytest.mark.slow


@contextmanager
def milvus_lite_server(data_dir):
    """A Milvus Lite server on a free local port: yields its milvus:// URI."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir",
                             str(data_dir), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    uri = f"milvus://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                MilvusClient(uri=f"http://127.0.0.1:{port}", timeout=2).list_collections()
                break
            except Exception:  # noqa: BLE001 - not listening yet
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the Milvus Lite server did not start") from None
                time.sleep(0.3)
        yield uri, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with milvus_lite_server(tmp_path_factory.mktemp("milvus-data")) as (uri, _):
        yield uri


@pytest.fixture(scope="module")
def on_milvus(server, tmp_path_factory):
    out = tmp_path_factory.mktemp("milvus-index") / "sample"
    build([SAMPLE], out, milvus=MilvusStore(server, "tracuu_sample"))
    return out


def test_expressions_of_filters():
    assert filter_expression(None) == ""
    assert filter_expression({"doc_type": ["Công văn", "Kế hoạch"], "year": [2017, 2019]}) == (
        'doc_type in ["công văn", "kế hoạch"] and (year >= 2017 and year <= 2019 and year > 0)')
    assert filter_expression({"issuer": "Huyện ủy \"X\""}) == 'issuer in ["huyện ủy \\"x\\""]'
    with pytest.raises(ValueError, match="unknown filter 'colour'"):
        filter_expression({"colour": "red"})
    assert filter_expression({"year": 2019}) == "(year >= 2019 and year <= 2019 and year > 0)"
    for bad in ([], [2018, 2019, 2020], ["năm ngoái"]):
        with pytest.raises(ValueError, match="year filter"):
            filter_expression({"year": bad})
    assert collection_name(Path("/a/index")) != collection_name(Path("/b/index"))
    assert collection_name(Path("/a/văn bản")).startswith("tracuu_v_n_b_n_")
    assert term_id("a", "chi_bộ") != term_id("f", "chi_bộ")
    assert 0 <= term_id("a", "chi_bộ") < 2**32 - 2


def test_manifest_names_the_collection(on_milvus, server):
    manifest = json.loads((on_milvus / "manifest.json").read_text())
    backend = manifest["backend"]
    assert backend["name"] == "milvus" and backend["collection"] == "tracuu_sample"
    client = MilvusClient(uri=server.replace("milvus://", "http://"))
    assert client.describe_alias("tracuu_sample")["collection_name"] == backend["physical"]
    assert client.get_collection_stats("tracuu_sample")["row_count"] == \
        manifest["counts"]["passages"]


def test_bm25_on_milvus_equals_the_embedded_scores(on_milvus, sample_index):
    remote, local = Searcher.load(on_milvus), Searcher.load(sample_index)
    assert isinstance(remote.retrieval, MilvusStore)
    assert isinstance(local.retrieval, EmbeddedRetrieval)
    for query in ("thời hạn báo cáo của chi bộ", "ty le ket nap dang vien moi", "38-KH/HU",
                  "what are the reporting deadlines for chi bộ?"):
        info = local.analyze(query)
        mine, theirs = remote.bm25_run(info, None, 20), local.bm25_run(info, None, 20)
        assert list(mine) == list(theirs), query
        assert np.allclose(list(mine.values()), list(theirs.values()), rtol=1e-5), query


def test_gold_set_on_both_backends(on_milvus, sample_index):
    """Top-10 overlap at least 0.8 and every metric within 0.05 of the embedded backend."""
    questions = load_gold()
    remote, local = Searcher.load(on_milvus), Searcher.load(sample_index)
    for mode in ("hybrid", "bm25", "dense"):
        a, b = run_gold(remote, questions, mode), run_gold(local, questions, mode)
        shared = overlap(a["_run"], b["_run"])
        assert shared >= 0.8, (mode, shared)
        for name, value in b["all"].items():
            assert abs(a["all"][name] - value) <= 0.05, (mode, name, a["all"][name], value)


def test_filters_and_milvus_rankers(on_milvus, sample_index):
    remote, local = Searcher.load(on_milvus), Searcher.load(sample_index)
    filters = {"year": [2019, 2022], "level": "huyện"}
    for mode in ("bm25", "dense"):
        mine = {h.passage_id for h in remote.search("báo cáo định kỳ", k=5, mode=mode,
                                                      filters=filters)}
        assert mine == {h.passage_id for h in local.search("báo cáo định kỳ", k=5, mode=mode,
                                                            filters=filters)}
    allowed = {d for d, doc in local.data.documents.items() if doc.metadata.get("level") ==
               "huyện" and 2019 <= (document_year(doc.metadata) or 0) <= 2022}
    assert allowed
    for fusion in ("milvus-rrf", "milvus-weighted"):
        served = Searcher.load(on_milvus, fusion=fusion)
        hits = served.search("thời hạn báo cáo của chi bộ", k=10)
        assert len(hits) == 10 and hits[0].doc_id == "2017-03-28_683-CV-HU_Hon-Quan"
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        hits = served.search("báo cáo định kỳ", k=5, filters=filters)
        assert hits and {h.doc_id for h in hits} <= allowed
    with pytest.raises(ValueError, match="needs an index on Milvus"):
        Searcher.load(sample_index, fusion="milvus-rrf")
    with pytest.raises(ValueError, match="milvus_uri is for an index built"):
        Searcher.load(sample_index, milvus_uri="milvus://127.0.0.1:1")
    with pytest.raises(ValueError, match="year filter"):
        local.search("báo cáo", filters={"year": [2017, 2018, 2019]})


def test_add_and_remove_rewrite_the_collection(on_milvus, server, tmp_path):
    others = [p for p in sorted(SAMPLE.iterdir()) if p != DOC_683]
    grown = tmp_path / "grown"
    build(others, grown, milvus=MilvusStore(server, "tracuu_grown"))
    first = json.loads((grown / "manifest.json").read_text())["backend"]["physical"]
    before = Searcher.load(grown)
    add([DOC_683], grown)
    with pytest.raises(MilvusUnavailable):  # its collection was replaced, not mixed with new rows
        before.search("chi bộ", k=3)
    local = Searcher.load(on_milvus)
    remote = Searcher.load(grown)
    query = "thời hạn báo cáo của chi bộ"
    assert [h.passage_id for h in remote.search(query, k=5)] == \
        [h.passage_id for h in local.search(query, k=5)]
    client = MilvusClient(uri=server.replace("milvus://", "http://"))
    assert first not in client.list_collections()  # the old collection is dropped
    remove([DOC_683.stem], grown)
    assert DOC_683.stem not in {h.doc_id for h in Searcher.load(grown).search(query, k=10)}


def test_lost_server_gives_a_clear_error_and_no_partial_write(tmp_path, monkeypatch):
    with milvus_lite_server(tmp_path / "data") as (uri, proc):
        folder = tmp_path / "idx"
        build([SAMPLE], folder, milvus=MilvusStore(uri, "tracuu_loss"))
        manifest = (folder / "manifest.json").read_text()
        searcher = Searcher.load(folder)
        assert searcher.search("chi bộ", k=3)
        client = MilvusClient(uri=uri.replace("milvus://", "http://"))
        before = sorted(client.list_collections())

        def broken(self, physical, data):  # the server fails while rows go in
            raise MilvusUnavailable("connection lost while inserting")

        monkeypatch.setattr(MilvusStore, "_fill", broken)
        with pytest.raises(MilvusUnavailable, match="connection lost"):
            add([DOC_683], folder)
        monkeypatch.undo()
        assert sorted(client.list_collections()) == before  # the half-written one is gone
        assert (folder / "manifest.json").read_text() == manifest

        def disk_full(*args, **kwargs):  # Milvus written, the folder not
            raise OSError("No space left on device")

        monkeypatch.setattr("index.build.write_index", disk_full)
        with pytest.raises(OSError, match="No space"):
            add([DOC_683], folder)
        monkeypatch.undo()
        assert (folder / "manifest.json").read_text() == manifest
        assert Searcher.load(folder).search("chi bộ", k=3)  # the collection it names is kept

        proc.kill()
        proc.wait()
        with pytest.raises(MilvusUnavailable, match=r"127\.0\.0\.1.*milvus-lite server"):
            searcher.search("chi bộ", k=3)
        with pytest.raises(MilvusUnavailable):
            remove([DOC_683.stem], folder)
        assert (folder / "manifest.json").read_text() == manifest
        with pytest.raises(MilvusUnavailable):
            Searcher.load(folder)


def test_a_local_milvus_lite_file_serves_a_published_index(sample_index, tmp_path):
    """``publish`` moves an existing index without re-embedding; a ``.db`` URI is a local
    Milvus Lite database, reopened (and its collection loaded again) by each searcher."""
    served = publish(sample_index, MilvusStore(str(tmp_path / "local.db"), "tracuu_file"),
                     tmp_path / "served")
    assert json.loads((sample_index / "manifest.json").read_text()).get("backend") is None
    query = "tỉ lệ kết nạp đảng viên mới"
    want = [h.passage_id for h in Searcher.load(sample_index).search(query, k=3)]
    for _ in range(2):
        searcher = Searcher.load(served)
        assert [h.passage_id for h in searcher.search(query, k=3)] == want
        searcher.retrieval.close()


def test_the_app_searches_on_milvus_and_says_so(on_milvus, server, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from index.library import status

    from ..conftest import ROOT

    assert status(Searcher.load(on_milvus).data)["served_by"] == \
        f"Milvus {server} (tracuu_sample)"
    monkeypatch.setenv("TRACUU_INDEX", str(on_milvus))
    monkeypatch.setenv("TRACUU_AUTH", "off")  # single-user mode (the config serves localhost)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception
    at.text_input[0].input("thời hạn báo cáo của chi bộ")
    at.button[0].click().run()
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert "1. Công văn số 683-CV/HU ngày 28/3/2017 của Huyện ủy Hớn Quản, mục 1" in shown
    assert any(f"tìm trên Milvus {server}" in c.value for c in at.sidebar.caption)


def test_a_restricted_document_is_filtered_on_the_server(server, tmp_path):
    """The reader's groups are a filter expression on the collection: a restricted passage is
    never among the candidates Milvus returns (not hidden from them afterwards)."""
    from ..search.test_access import QUERY, SECRET

    secret = tmp_path / "2017-06-05_99-BC-UBKTHU_kiem-tra.txt"
    secret.write_text(SECRET, encoding="utf-8")
    index = tmp_path / "restricted"
    build([SAMPLE], index, milvus=MilvusStore(server, "tracuu_restricted"))
    add([secret], index, access="kiem-tra")
    searcher = Searcher.load(index)
    assert searcher.search(QUERY, k=3, groups=["kiem-tra"])[0].doc_id == secret.stem
    assert searcher.search(QUERY, k=3)[0].doc_id == secret.stem  # the operator
    for mode in ("bm25", "dense"):  # each list as the server returns it, before any fusion
        rows = (searcher.bm25_run(searcher.analyze(QUERY), _where(searcher, []), 50)
                if mode == "bm25" else
                searcher.dense_run(searcher.query_vector(QUERY), _where(searcher, []), 50))
        assert rows and secret.stem not in {searcher.data.passages[r].doc_id for r in rows}
    hits = searcher.search(QUERY, k=20, groups=["to-chuc"], mode="hybrid")
    assert hits and secret.stem not in {h.doc_id for h in hits}


def _where(searcher, groups):
    """What a search of a reader of ``groups`` asks of the store, without the folder's mask."""
    from index.access import check_groups
    from index.retrieval import Where

    return Where(None, None, check_groups(groups))  # no mask: the server's filter alone


def test_a_released_collection_is_loaded_again_by_the_searcher(on_milvus, server):
    """A server restarted, or an operator's release, leaves the collection released: the
    searcher loaded before loads it again on its next search instead of failing."""
    searcher = Searcher.load(on_milvus)
    before = [h.passage_id for h in searcher.search("thời hạn báo cáo của chi bộ", k=5)]
    client = MilvusClient(uri=server.replace("milvus://", "http://"))
    fused = Searcher.load(on_milvus, fusion="milvus-rrf")  # Milvus's own hybrid search too
    expected = [h.passage_id for h in fused.search("chi bộ", k=3)]
    for loaded in (searcher, fused):
        client.release_collection(loaded.retrieval.serving)
        assert "NotLoad" in str(client.get_load_state(loaded.retrieval.serving)["state"])
        query = "thời hạn báo cáo của chi bộ" if loaded is searcher else "chi bộ"
        assert [h.passage_id for h in loaded.search(query, k=5 if loaded is searcher else 3)] \
            == (before if loaded is searcher else expected)
        assert "Loaded" in str(client.get_load_state(loaded.retrieval.serving)["state"])


def test_the_hint_for_a_silent_server_names_its_address():
    assert "--host 127.0.0.1 --port 19777" in server_hint("milvus://127.0.0.1:19777")
    assert "19530" not in server_hint("milvus://127.0.0.1:19777")
    remote = server_hint("https://milvus.tinh-uy.vn:443")
    assert "milvus.tinh-uy.vn:443" in remote and "milvus-lite server" not in remote
    assert "the milvus-lite file /srv/tracuu.db" in server_hint("/srv/tracuu.db")
