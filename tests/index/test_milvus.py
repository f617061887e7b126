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
from index.build import add, build, publish, rebuild, remove
from index.readers.metadata import document_year
from index.stores.loading import load_index
from index.stores.milvus import (
    AVGDL_KEY,
    FLOOR_KEY,
    MilvusBusy,
    MilvusConfig,
    MilvusStore,
    MilvusUnavailable,
    collection_name,
    folder_stats,
    server_hint,
    stats_name,
    term_id,
)
from search import Searcher
from search.backends import FolderBackend
from search.filters import filter_expression

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
    assert filter_expression({"year": 2019}) == "year == 2019"
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
    assert isinstance(local.retrieval, FolderBackend)
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
        shared = overlap(a.run, b.run)
        assert shared >= 0.8, (mode, shared)
        for name, value in b.all.items():
            assert abs(a.all[name] - value) <= 0.05, (mode, name, a.all[name], value)


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


def _figures(store: MilvusStore) -> dict[int, float]:
    """Every statistics row of the collection the store's alias names."""
    client, name = store.client, stats_name(store.alias_target())
    keys = [int(r["key"]) for r in client.query(name, filter="key >= -100",
                                                 output_fields=["key"], limit=16_384)]
    return store.figures(keys, store.alias_target())


def test_add_remove_and_replace_change_the_collection_in_place(on_milvus, server, tmp_path):
    others = [p for p in sorted(SAMPLE.iterdir()) if p != DOC_683]
    grown = tmp_path / "grown"
    build(others, grown, milvus=MilvusStore(server, "tracuu_grown"))
    store = MilvusStore.for_index(load_index(grown).backend)
    physical = store.physical
    client = MilvusClient(uri=server.replace("milvus://", "http://"))
    collections = sorted(client.list_collections())
    before = Searcher.load(grown)
    base = _figures(store)
    add([DOC_683], grown)
    assert sorted(client.list_collections()) == collections  # no collection written anew
    assert MilvusStore.for_index(load_index(grown).backend).physical == physical
    query = "thời hạn báo cáo của chi bộ"
    # a searcher loaded before goes on; the passages it does not know are left out
    assert {h.doc_id for h in before.search(query, k=10)} <= set(before.data.documents)
    # document frequencies and the passage count are those of a fresh build of the same files;
    # the average lengths and idf floors stay those of the first build (refreshed by rebuild)
    fresh = folder_stats(load_index(on_milvus))
    grown_figures = _figures(store)
    stored = {*AVGDL_KEY.values(), *FLOOR_KEY.values()}
    assert {k: v for k, v in grown_figures.items() if k not in stored} == \
        pytest.approx({k: v for k, v in fresh.items() if k not in stored})
    assert {k: grown_figures[k] for k in stored} == {k: base[k] for k in stored}
    remote, local = Searcher.load(grown), Searcher.load(on_milvus)
    assert remote.retrieval.mismatch is None
    base_683 = [p for p in remote.data.passages if p.doc_id == DOC_683.stem]
    assert remote.search(query, k=1)[0].passage_id == local.search(query, k=1)[0].passage_id
    mine = {h.passage_id for h in remote.search(query, k=10, mode="bm25")}
    assert len(mine & {h.passage_id for h in local.search(query, k=10, mode="bm25")}) >= 8
    # replaced by a shorter version: its passages overwritten, the ones beyond deleted
    shorter = tmp_path / DOC_683.name
    shorter.write_text(DOC_683.read_text(encoding="utf-8")[:1500], encoding="utf-8")
    add([shorter], grown)
    data = load_index(grown)
    assert MilvusStore.for_index(data.backend).physical == physical
    assert store.count() == len(data.passages)
    served = client.query(physical, filter=f'doc_id == "{DOC_683.stem}"',
                          output_fields=["passage_id"])
    kept = {p.passage_id for p in data.passages if p.doc_id == DOC_683.stem}
    assert {r["passage_id"] for r in served} == kept and len(kept) < len(base_683)
    remove([DOC_683.stem], grown)
    assert _figures(store) == pytest.approx(base)  # back to where it started, exactly
    assert DOC_683.stem not in {h.doc_id for h in Searcher.load(grown).search(query, k=10)}
    store.close()


def test_one_writer_at_a_time_and_a_dead_writers_lock_is_taken_over(on_milvus, server):
    store = MilvusStore.for_index(load_index(on_milvus).backend)
    other = MilvusStore.for_index(load_index(on_milvus).backend)
    with store.locked() as taken_over:
        assert not taken_over
        with pytest.raises(MilvusBusy, match="another writer has held tracuu_sample"):
            with other.locked(wait=0.5):
                pass
        with other.locked(wait=0.5, stale=0.0) as taken_over:  # the holder taken for dead
            assert taken_over
    with other.locked(wait=0.5) as taken_over:  # released by both
        assert not taken_over
    figures = _figures(store)
    store.recount()  # what a writer taking over a dead one's lock does
    assert _figures(store) == pytest.approx(figures)
    store.close()
    other.close()


def test_lost_server_gives_a_clear_error_and_no_partial_write(tmp_path, monkeypatch):
    with milvus_lite_server(tmp_path / "data") as (uri, proc):
        folder = tmp_path / "idx"
        build([p for p in sorted(SAMPLE.iterdir()) if p != DOC_683], folder,
              milvus=MilvusStore(uri, "tracuu_loss"))
        manifest = (folder / "manifest.json").read_text()
        searcher = Searcher.load(folder)
        assert searcher.search("chi bộ", k=3)
        client = MilvusClient(uri=uri.replace("milvus://", "http://"))
        before = sorted(client.list_collections())

        def broken(self, physical, rows, upsert=False):  # the server fails while rows go in
            raise MilvusUnavailable("connection lost while inserting")

        monkeypatch.setattr(MilvusStore, "_insert", broken)
        with pytest.raises(MilvusUnavailable, match="connection lost"):
            add([DOC_683], folder)
        monkeypatch.undo()
        assert sorted(client.list_collections()) == before  # no lock nor half-written one
        assert (folder / "manifest.json").read_text() == manifest
        assert Searcher.load(folder).retrieval.mismatch is None

        def disk_full(*args, **kwargs):  # Milvus written, the folder not
            raise OSError("No space left on device")

        monkeypatch.setattr("index.build.write_index", disk_full)
        with pytest.raises(OSError, match="No space"):
            add([DOC_683], folder)
        monkeypatch.undo()
        assert (folder / "manifest.json").read_text() == manifest
        behind = Searcher.load(folder)  # the collection has the document, the folder not
        assert "run the same add or remove again" in behind.retrieval.mismatch
        assert behind.search("chi bộ", k=3)
        add([DOC_683], folder)  # running it again makes the two agree
        assert Searcher.load(folder).retrieval.mismatch is None
        manifest = (folder / "manifest.json").read_text()

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

    assert status(Searcher.load(on_milvus).data).served_by == \
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
    from search.filters import Where

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


def test_a_cluster_layout_and_a_rebuild(server, tmp_path, sample_index):
    """Shards, the dense index and its parameters, a partition key and the text left unloaded,
    as ``index build`` takes them; ``index rebuild`` writes the collection again in a new
    layout behind the alias, and drops the old one."""
    from index.__main__ import main

    folder = tmp_path / "laid-out"
    assert main(["build", str(SAMPLE), "--out", str(folder), "--backend", "milvus", "--uri",
                 f"{server}/tracuu_layout", "--shards", "2", "--index-type", "IVF_SQ8",
                 "--index-param", "nlist=8", "--search-param", "nprobe=8",
                 "--partition-key", "issuer", "--text", "unloaded"]) == 0
    backend = load_index(folder).backend
    assert backend["config"]["index_type"] == "IVF_SQ8" and backend["schema"] == 2
    assert backend["config"]["shards"] == 2  # Milvus Lite has one shard whatever it is asked
    client = MilvusClient(uri=server.replace("milvus://", "http://"))
    described = client.describe_collection(backend["physical"])
    assert [f["name"] for f in described["fields"] if f.get("is_partition_key")] == ["issuer"]
    assert client.describe_index(backend["physical"], "dense")["index_type"] == "IVF_SQ8"
    remote, local = Searcher.load(folder), Searcher.load(sample_index)
    filters = {"issuer": "Huyện ủy"}
    for mode in ("bm25", "dense"):
        assert [h.passage_id for h in remote.search("báo cáo định kỳ", k=5, mode=mode,
                                                    filters=filters)] == \
            [h.passage_id for h in local.search("báo cáo định kỳ", k=5, mode=mode,
                                                filters=filters)]
    assert main(["rebuild", "--index", str(folder), "--index-type", "HNSW"]) == 0
    rebuilt = load_index(folder).backend
    assert rebuilt["physical"] != backend["physical"]
    assert rebuilt["config"]["index_type"] == "HNSW"
    assert client.describe_alias("tracuu_layout")["collection_name"] == rebuilt["physical"]
    assert backend["physical"] not in client.list_collections()
    assert stats_name(backend["physical"]) not in client.list_collections()
    query = "thời hạn báo cáo của chi bộ"
    assert [h.passage_id for h in Searcher.load(folder).search(query, k=5)] == \
        [h.passage_id for h in local.search(query, k=5)]
    assert main(["rebuild", "--index", str(sample_index)]) == 1  # searched in its folder
    with pytest.raises(ValueError, match="unknown Milvus index type 'HSNW'"):
        MilvusConfig(index_type="HSNW")
    with pytest.raises(ValueError, match="cannot be the partition key"):
        MilvusConfig(partition_key="text")


def test_a_collection_of_the_earlier_layout_asks_for_a_rebuild(server):
    old = MilvusStore(server, "tracuu_sample", schema=1)
    with pytest.raises(MilvusUnavailable, match="earlier version.*index rebuild"):
        old.check([])


def test_bm25_drift_as_documents_are_added_in_place(server):
    """``eval drift`` on the sample corpus: exact after a full write and after a rebuild;
    documents added in place move only the stored average lengths."""
    from eval.drift import run, table

    queries = [q.query for q in load_gold()]
    rows = run(server, SAMPLE, queries, steps=(1.0,))
    assert [r["step"] for r in rows] == ["full write", "+100% added in place",
                                         "after index rebuild"]
    first, added, rebuilt = rows
    assert first["overlap@10"] == rebuilt["overlap@10"] == 1.0
    assert first["avgdl_off"] == rebuilt["avgdl_off"] == pytest.approx(0.0, abs=1e-9)
    assert added["passages"] > first["passages"] and added["avgdl_off"] != 0.0
    assert 0.8 <= added["overlap@10"] <= 1.0
    assert "| after index rebuild |" in table(rows)


def test_workers_feed_one_collection_and_hosts_pull_their_folders(server, sample_index,
                                                                   tmp_path):
    """Two ingestion workers at once (each its share of the files, statistics merged under the
    server's lock) make the collection; a search host pulls its folder from the server, follows
    a removal made through another host, and after a rebuild searches exactly as the
    embedded index of the same files."""
    from index.__main__ import main
    from index.ingest import pull

    from ..conftest import ROOT

    uri = f"{server}/tracuu_workers"
    workers = [subprocess.Popen([sys.executable, "-m", "index", "ingest", str(SAMPLE), "--uri",
                                 uri, "--worker", f"{k}/2"], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for k in (1, 2)]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    shares = [int(out.split(": ")[1].split(" documents")[0]) for out, _ in outputs]
    assert sum(shares) == 4 and min(shares) >= 1  # each worker took a share of the files
    store = MilvusStore(server, "tracuu_workers")
    host_a, host_b = tmp_path / "host-a", tmp_path / "host-b"
    first = pull(store, host_a)
    assert (first.documents, first.written) == (4, True)
    assert pull(store, host_a).written is False  # nothing changed on the server
    local = Searcher.load(sample_index)
    assert first.passages == len(local.data.passages)
    assert main(["pull", "--uri", uri, "--out", str(host_b)]) == 0
    remove([DOC_683.stem], host_a)  # through host A: the collection, then A's folder
    followed = pull(store, host_b)
    assert (followed.removed, followed.fetched, followed.documents) == (1, 0, 3)
    assert DOC_683.stem not in Searcher.load(host_b).data.documents
    add([DOC_683], host_a)
    rebuild(host_a)  # the average lengths of the first batch give way to the true ones
    assert pull(store, host_b).fetched == 4  # a collection written again: the folder anew
    remote = Searcher.load(host_b)
    assert remote.retrieval.mismatch is None
    for query in ("thời hạn báo cáo của chi bộ", "ty le ket nap dang vien moi", "38-KH/HU"):
        info = local.analyze(query)
        mine, theirs = remote.bm25_run(info, None, 20), local.bm25_run(info, None, 20)
        assert list(mine) and [remote.data.passages[r].passage_id for r in mine] == \
            [local.data.passages[r].passage_id for r in theirs], query
        assert np.allclose(list(mine.values()), list(theirs.values()), rtol=1e-5), query
    store.close()


def test_a_long_document_is_kept_on_the_server_in_pieces():
    from index.readers.documents import Document
    from index.stores.milvus import DOC_BYTES, document_record, document_rows

    doc = Document("dài", "Điều 1. Phạm vi điều chỉnh. " * 6000, "dai.txt", "Luật dài",
                   {"code": "01/2024/QH15"})
    rows = document_rows(doc)
    assert len(rows) > 2 and all(len(r["payload"].encode()) <= DOC_BYTES for r in rows)
    assert {r["parts"] for r in rows} == {len(rows)} and len({r["stamp"] for r in rows}) == 1
    assert "".join(r["payload"] for r in rows) == document_record(doc)


def test_workers_export_files_for_bulk_import_and_statistics_merge_once(server, sample_index,
                                                                        tmp_path):
    """``ingest --to-files``: rows in the collections' own layout (inserted here as Milvus's
    bulk import would), and statistics that ``merge-stats`` adds once: the same figures as a
    full write of the same files."""
    from index.__main__ import main
    from index.stores.milvus import docs_name

    uri, files = f"{server}/tracuu_bulk", tmp_path / "bulk"
    for k in (1, 2):
        assert main(["ingest", str(SAMPLE), "--uri", uri, "--worker", f"{k}/2",
                     "--to-files", str(files)]) == 0
    store = MilvusStore(server, "tracuu_bulk")
    physical = store.alias_target()
    client = store.client
    assert client.query(physical, filter="", output_fields=["count(*)"])[0]["count(*)"] == 0
    for path in sorted(files.glob("*-of-2-*.json")):  # the bulk import, row files as they are
        rows = json.loads(path.read_text(encoding="utf-8"))
        for row in rows:
            if "bm25" in row:
                row["bm25"] = {int(k): v for k, v in row["bm25"].items()}
        target = physical if path.name.startswith("passages-") else docs_name(physical)
        client.insert(target, rows)
    assert main(["merge-stats", str(files), "--uri", uri]) == 0
    assert main(["merge-stats", str(files), "--uri", uri]) == 0  # nothing merged twice
    assert sorted(p.name for p in files.glob("statistics-*")) == \
        ["statistics-1-of-2.json.merged", "statistics-2-of-2.json.merged"]
    fresh = folder_stats(load_index(sample_index))
    stored = {*AVGDL_KEY.values(), *FLOOR_KEY.values()}
    figures = _figures(store)
    assert {k: v for k, v in figures.items() if k not in stored} == \
        pytest.approx({k: v for k, v in fresh.items() if k not in stored})
    host = tmp_path / "host"
    assert main(["pull", "--uri", uri, "--out", str(host)]) == 0
    assert len(load_index(host).passages) == len(load_index(sample_index).passages)
    assert main(["recount", "--uri", uri]) == 0
    assert _figures(store) == pytest.approx(figures)
    store.close()


def test_tls_options_come_from_the_environment(tmp_path, monkeypatch):
    from index.stores.milvus import tls_options

    assert tls_options() == {}
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("TRACUU_MILVUS_CA", str(ca))
    monkeypatch.setenv("TRACUU_MILVUS_SERVER_NAME", "milvus.tinh-uy.vn")
    assert tls_options() == {"server_pem_path": str(ca), "server_name": "milvus.tinh-uy.vn",
                             "secure": True}
    monkeypatch.setenv("TRACUU_MILVUS_CLIENT_CERT", str(ca))
    monkeypatch.setenv("TRACUU_MILVUS_CLIENT_KEY", str(tmp_path / "missing.key"))
    with pytest.raises(ValueError, match="TRACUU_MILVUS_CLIENT_KEY=.*no such file"):
        tls_options()
