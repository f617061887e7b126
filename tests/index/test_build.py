import json
import shutil

import numpy as np
import pytest

from index.build import add, build, remove
from index.encoders.embeddings import Embedder, EmbeddingCache
from index.stores.folder import FORMAT_VERSION, write_index
from index.stores.loading import load_index
from index.stores.versions import IndexFolderError
from index.text import Analyzer
from search import Searcher

from ..conftest import DOC_683, SAMPLE

pytestmark = pytest.mark.slow


def test_manifest_records_settings_and_versions(sample_index):
    manifest = json.loads((sample_index / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"] == {"name": "default", "dim": 384, "passage_engine": "onnx"}
    assert manifest["analyzer"] == Analyzer().settings()  # what queries are tokenized with
    assert manifest["bm25"] == {"k1": 1.5, "b": 0.75, "epsilon": 0.25}
    assert manifest["counts"]["documents"] == 4
    assert manifest["versions"]["underthesea"]
    assert not list(sample_index.glob("*.pkl"))


def test_load_refuses_other_text_processing(sample_index, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(sample_index, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["analyzer"]["version"] = 999
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexFolderError, match="text processing version 999"):
        load_index(copy)
    with pytest.raises(IndexFolderError, match="no index here"):
        load_index(tmp_path / "nothing")


def test_texts_round_trip_exactly(sample_index, tmp_path):
    """Texts live in texts.txt and passages as offsets into them; carriage returns, passages
    whose text is not their document's slice, and a damaged texts file are all handled."""
    data = load_index(sample_index, mmap=False)
    assert not any('"text"' in line for line in
                   (sample_index / "passages.jsonl").read_text(encoding="utf-8").splitlines())
    first = next(iter(data.documents.values()))
    first.text = first.text.replace("\n", "\r\n", 3)  # offsets of its passages now shift
    data.passages[0].text = "a text of its own"
    copy = tmp_path / "copy"
    write_index(data, copy)
    again = load_index(copy, mmap=False)
    assert [d.text for d in again.documents.values()] == [d.text for d in data.documents.values()]
    assert [p.text for p in again.passages] == [p.text for p in data.passages]
    assert again.passages[0].text == "a text of its own"
    with (copy / "texts.txt").open("a", encoding="utf-8") as fh:
        fh.write("extra")
    with pytest.raises(IndexFolderError, match="texts.txt"):  # its size no longer matches
        load_index(copy)


def _results(index_dir, queries):
    s = Searcher.load(index_dir)
    return {q: [(h.passage_id, h.score) for h in s.search(q, k=8)] for q in queries}


def _same_results(a: dict, b: dict) -> bool:
    """The same passages in the same order with the same scores, up to float summation order
    (BM25 sums its terms in another order after an add; the learned score scales that)."""
    return all([p for p, _ in a[q]] == [p for p, _ in b[q]]
               and [s for _, s in a[q]] == pytest.approx([s for _, s in b[q]], abs=1e-4)
               for q in a) and a.keys() == b.keys()


def test_add_and_remove_equal_a_fresh_build(sample_index, tmp_path):
    queries = ["thời hạn báo cáo của chi bộ", "tỉ lệ kết nạp đảng viên mới", "Kế hoạch 38-KH/HU"]
    others = [p for p in sorted(SAMPLE.iterdir()) if p != DOC_683]
    grown = tmp_path / "grown"
    build(others, grown)
    add([DOC_683], grown)
    assert _same_results(_results(grown, queries), _results(sample_index, queries))

    shrunk = tmp_path / "shrunk"
    shutil.copytree(sample_index, shrunk)
    remove([DOC_683.stem], shrunk)
    fresh = tmp_path / "fresh"
    build(others, fresh)
    assert _same_results(_results(shrunk, queries), _results(fresh, queries))
    with pytest.raises(ValueError, match="not in the index"):
        remove(["no-such-doc"], shrunk)


def test_failed_build_leaves_previous_index(sample_index, tmp_path, monkeypatch):
    target = tmp_path / "idx"
    shutil.copytree(sample_index, target)
    before = (target / "manifest.json").read_text()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    with pytest.raises(ValueError, match="no readable documents"):
        build([bad], target)
    assert (target / "manifest.json").read_text() == before

    def lost(step):  # the new version is written whole; the swap to it fails
        if step == "versioned":
            raise OSError("No space left on device")

    monkeypatch.setattr("index.stores.versions.crash_point", lost)
    with pytest.raises(OSError, match="No space"):
        build([DOC_683], target)
    monkeypatch.undo()
    assert (target / "manifest.json").read_text() == before
    searcher = Searcher.load(target)
    assert len(searcher.data.documents) == 4  # not the one-document index that was building
    assert len(searcher.search("chi bộ", k=3)) == 3


def test_build_skips_bad_files_and_reports_them(tmp_path, caplog):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(DOC_683, src)
    (src / "broken.pdf").write_bytes(b"%PDF-1.4 nothing")
    caplog.set_level("INFO", logger="index")
    report = build([src], tmp_path / "idx")
    assert report.documents == 1 and len(report.skipped) == 1
    assert any("broken.pdf" in r.getMessage() and r.name == "index.build"
               for r in caplog.records)


def test_embedding_cache_only_embeds_new_text(tmp_path):
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    embedder = Embedder("default")
    first, n1 = embedder.encode_cached(["chi bộ họp", "đảng viên mới"], cache, progress=False)
    second, n2 = embedder.encode_cached(["chi bộ họp", "đảng viên mới", "báo cáo quý"], cache,
                                        progress=False)
    assert (n1, n2) == (2, 1)
    np.testing.assert_allclose(second[:2], first, atol=1e-6)
    assert np.allclose(np.linalg.norm(second, axis=1), 1.0, atol=1e-5)


def test_a_pass_over_the_folder_reads_what_a_load_reads(sample_index, tmp_path):
    """``iter_documents`` streams each document with its passages in the arrays' order, and
    ``write_manifest`` makes a version of the same files (linked, not copied) with a new
    manifest: what serving an index from Milvus in place writes."""
    from index.stores.folder import write_manifest
    from index.stores.loading import iter_documents, load_arrays, verify_index

    data = load_index(sample_index)
    streamed = list(iter_documents(sample_index))
    assert [d.doc_id for d, _ in streamed] == list(data.documents)
    assert [(p.passage_id, p.text, p.start, p.end, p.section) for _, ps in streamed
            for p in ps] == [(p.passage_id, p.text, p.start, p.end, p.section)
                             for p in data.passages]
    assert all(d.text == data.documents[d.doc_id].text for d, _ in streamed)
    arrays = load_arrays(sample_index)
    assert (arrays.passages, arrays.bm25.n_docs) == ([], len(data.passages))
    copy = tmp_path / "copy"
    shutil.copytree(sample_index.resolve(), copy)
    write_manifest(copy, backend={"name": "first"})
    before = copy.resolve()
    write_manifest(copy, backend={"name": "test"})
    assert copy.resolve() != before
    assert (copy / "bm25_tf.npy").stat().st_ino == (before / "bm25_tf.npy").stat().st_ino
    assert load_index(copy).backend == {"name": "test"}
    assert verify_index(copy) == json.loads((sample_index / "manifest.json").read_text())["counts"]


@pytest.mark.slow
def test_each_part_loads_from_its_own_parameters(sample_index, tmp_path):
    import json

    import numpy as np

    from index.stores.bm25 import BM25
    from index.stores.dense import FaissIndex
    from index.stores.loading import load_index

    real = sample_index.resolve()
    manifest = json.loads((real / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parts"] == {"bm25": "bm25.params.json", "folded": "folded.params.json",
                                 "dense": "dense.params.json"}
    full = load_index(sample_index)
    bm25 = BM25.load(real, prefix="bm25")  # neither the manifest nor the passage count
    assert (bm25.k1, bm25.b, bm25.epsilon) == tuple(manifest["bm25"][k]
                                                    for k in ("k1", "b", "epsilon"))
    assert bm25.n_docs == len(full.passages)
    terms = full.analyzer.tokenize("thời hạn báo cáo của chi bộ")
    np.testing.assert_array_equal(bm25.scores(terms), full.bm25.scores(terms))
    dense = FaissIndex.load(real)
    assert (dense.dim, dense.count) == (manifest["model"]["dim"], len(full.passages))
    # a folder written before the parameters files loads through its manifest
    old = tmp_path / "old"
    old.mkdir()
    for path in real.iterdir():
        if not path.name.endswith(".params.json"):
            (old / path.name).write_bytes(path.read_bytes())
    for name in manifest.pop("parts").values():
        manifest["files"].pop(name)
    (old / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    again = load_index(old)
    np.testing.assert_array_equal(again.bm25.scores(terms), full.bm25.scores(terms))
    assert again.dense.dim == dense.dim
