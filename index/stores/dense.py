"""The dense index behind a small interface: ``add``, ``search``, ``keep``, ``save``, ``load``.

:class:`FaissIndex` holds L2-normalized vectors in a FAISS inner-product index.  Below
``hnsw_threshold`` vectors the index is exact (``IndexFlatIP``); above it, HNSW.  Another
backend (a server engine) implements the same methods.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

FILE = "dense.faiss"
PARAMS = "dense.params.json"  # what the file holds, read without the manifest


def _faiss():
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise ImportError("FAISS is not available - install faiss-cpu to enable dense search") \
            from exc
    return faiss


class MappedVectors:
    """The vectors of a FAISS file (flat, or HNSW over flat storage) mapped from disk, without
    FAISS: the file ends with them, after their count (FAISS's own layout).  For a pass over
    an index of any size: :meth:`vectors` copies only the rows asked for."""

    def __init__(self, path: Path, count: int, dim: int):
        self.dim, self.count = dim, count
        size = Path(path).stat().st_size
        start = size - count * dim * 4
        if start < 8:
            raise ValueError(f"{path}: too small for {count} vectors of dimension {dim}")
        with open(path, "rb") as fh:
            fh.seek(start - 8)
            stored = int.from_bytes(fh.read(8), "little")
        if stored != count * dim:
            raise ValueError(f"{path}: does not end with {count} vectors of dimension {dim}")
        self._array = np.memmap(path, dtype=np.float32, mode="r", offset=start,
                                shape=(count, dim)) if count else np.zeros((0, dim), np.float32)

    def vectors(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        return np.array(self._array[start:stop], dtype=np.float32)


class FaissIndex:
    """Inner product over L2-normalized vectors, row i = passage i."""

    def __init__(self, dim: int, hnsw_threshold: int = 200_000, index=None):
        self.dim = dim
        self.hnsw_threshold = hnsw_threshold
        self.index = index if index is not None else _faiss().IndexFlatIP(dim)

    @property
    def count(self) -> int:
        return self.index.ntotal

    def add(self, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"expected vectors of dimension {self.dim}, got shape {vectors.shape}")
        faiss = _faiss()
        if (isinstance(self.index, faiss.IndexFlat)
                and self.count + len(vectors) > self.hnsw_threshold):
            old = self.vectors()
            self.index = faiss.IndexHNSWFlat(self.dim, 32, faiss.METRIC_INNER_PRODUCT)
            self.index.hnsw.efSearch = 128
            if len(old):
                self.index.add(old)
        self.index.add(vectors)

    def vectors(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """The vectors of rows ``start`` to ``stop`` (default: all)."""
        stop = self.count if stop is None else min(stop, self.count)
        if stop <= start:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.index.reconstruct_n(start, stop - start)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the ``k`` nearest passages; rows of -1 are padding."""
        k = min(k, self.count)
        if k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores, rows = self.index.search(np.ascontiguousarray(query[None, :], np.float32), k)
        keep = rows[0] >= 0
        return scores[0][keep], rows[0][keep]

    def scores_for(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact inner products of ``query`` with the passages ``rows``."""
        if len(rows) == 0:
            return np.zeros(0, np.float32)
        vectors = np.stack([self.index.reconstruct(int(r)) for r in rows])
        return vectors @ query

    def writable(self) -> FaissIndex:
        """A copy in memory that takes additions (a loaded index may be a read-only map of its
        file); the HNSW graph is copied, not built again."""
        return FaissIndex(self.dim, self.hnsw_threshold, _faiss().clone_index(self.index))

    def keep(self, rows: np.ndarray) -> FaissIndex:
        out = FaissIndex(self.dim, self.hnsw_threshold)
        out.add(self.vectors()[rows])
        return out

    def save(self, folder: Path) -> None:
        _faiss().write_index(self.index, str(folder / FILE))
        (folder / PARAMS).write_text(json.dumps(self.params(), indent=1) + "\n",
                                     encoding="utf-8")

    def params(self) -> dict:
        """What the FAISS file holds (:data:`PARAMS`): dimension, count, metric, kind."""
        return {"part": "dense", "file": FILE, "dim": self.dim, "count": self.count,
                "metric": "inner product", "normalized": True,
                "kind": type(self.index).__name__}

    @classmethod
    def load(cls, folder: Path, dim: int | None = None, mmap: bool = True) -> FaissIndex:
        """The FAISS file in ``folder``, memory-mapped (``mmap``) where FAISS can, checked to hold
        vectors of ``dim`` (the manifest's), or of the dimension its :data:`PARAMS` says.

        Returns the dense index; ValueError when its vectors are not of that dimension."""
        said = "the manifest says"
        if dim is None:
            params = Path(folder) / PARAMS
            if not params.exists():
                raise ValueError(f"{folder}: no {PARAMS} and no dimension given")
            dim, said = int(json.loads(params.read_text(encoding="utf-8"))["dim"]), \
                f"{PARAMS} says"
        faiss = _faiss()
        flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
        try:
            index = faiss.read_index(str(folder / FILE), flags)
        except RuntimeError:
            index = faiss.read_index(str(folder / FILE))
        if index.d != dim:
            raise ValueError(f"{folder / FILE}: vectors have dimension {index.d}, {said} "
                             f"{dim}; rebuild the index")
        return cls(dim, index=index)
