"""The FAISS side of the folder: flat, then HNSW past a threshold; vectors read back mapped;
the widening search for a filter (search.backends) against exact inner products."""

from __future__ import annotations

import numpy as np
import pytest

from index.stores.dense import FILE, FaissIndex, MappedVectors


def unit(rows: int, dim: int = 16, seed: int = 3) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_flat_search_is_exact_and_keep_and_writable_copy_rows():
    vectors = unit(50)
    index = FaissIndex(16)
    index.add(vectors)
    scores, rows = index.search(vectors[7], 5)
    assert rows[0] == 7 and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert list(rows) == list(np.argsort(-(vectors @ vectors[7]), kind="stable")[:5])
    assert np.allclose(index.scores_for(vectors[7], np.array([7, 3])),
                       vectors[[7, 3]] @ vectors[7])
    kept = index.keep(np.array([3, 7, 9]))
    assert kept.count == 3 and np.allclose(kept.vectors(), vectors[[3, 7, 9]])
    copy = index.writable()
    copy.add(unit(2, seed=9))
    assert (copy.count, index.count) == (52, 50)
    assert np.allclose(index.vectors(10, 12), vectors[10:12])
    assert index.search(vectors[0], 0)[1].size == 0
    with pytest.raises(ValueError, match="dimension 16"):
        index.add(unit(2, dim=8))


def test_hnsw_past_the_threshold_keeps_every_vector(tmp_path):
    import faiss

    vectors = unit(300)
    index = FaissIndex(16, hnsw_threshold=200)
    index.add(vectors[:150])
    assert isinstance(index.index, faiss.IndexFlat)
    index.add(vectors[150:])
    assert isinstance(index.index, faiss.IndexHNSWFlat) and index.count == 300
    assert np.allclose(index.vectors(), vectors)
    found = sum(index.search(v, 1)[1][0] == i for i, v in enumerate(vectors))
    assert found >= 297  # approximate, but each vector finds itself
    index.save(tmp_path)
    mapped = MappedVectors(tmp_path / FILE, 300, 16)
    assert np.allclose(mapped.vectors(120, 130), vectors[120:130])
    with pytest.raises(ValueError, match="does not end with 301 vectors"):
        MappedVectors(tmp_path / FILE, 301, 16)
    loaded = FaissIndex.load(tmp_path, 16)
    assert loaded.count == 300
    with pytest.raises(ValueError, match="dimension 16, the manifest says 8"):
        FaissIndex.load(tmp_path, 8)


def test_the_filtered_dense_search_widens_until_enough_rows_pass(monkeypatch):
    """Above EXACT_UNDER allowed rows, the approximate search is asked for more and more until
    n allowed rows come back: the result is the exact best among the allowed rows."""
    from types import SimpleNamespace

    from search import backends
    from search.backends import FolderBackend
    from search.filters import Where

    vectors = unit(400, seed=5)
    index = FaissIndex(16)
    index.add(vectors)
    query = vectors[0]
    mask = np.zeros(400, dtype=bool)
    far = np.argsort(vectors @ query)[:40]  # the 40 rows least like the query
    mask[far] = True
    monkeypatch.setattr(backends, "EXACT_UNDER", 10)  # 40 allowed: the widening path
    store = FolderBackend(SimpleNamespace(dense=index, passages=[None] * 400))
    got = store.dense(query, Where(mask=mask), 5)
    best = far[np.argsort(-(vectors[far] @ query), kind="stable")[:5]]
    assert list(got) == list(best)
    assert np.allclose(list(got.values()), vectors[best] @ query, atol=1e-5)
    monkeypatch.setattr(backends, "EXACT_UNDER", 1000)  # the exact path gives the same
    assert list(store.dense(query, Where(mask=mask), 5)) == list(best)
