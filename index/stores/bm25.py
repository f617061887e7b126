"""BM25 (Okapi) stored as sparse arrays, scoring exactly like ``rank_bm25.BM25Okapi``.

rank-bm25 computes, for a query of terms q (repeats counted) and a document d::

    score(d) = sum_q idf(q) * tf(q, d) * (k1 + 1) / (tf(q, d) + k1 * (1 - b + b * |d| / avgdl))
    idf(t)   = log(N - n(t) + 0.5) - log(n(t) + 0.5),
               and every negative idf replaced by epsilon * mean(idf over the vocabulary)

The term-frequency matrix is kept term-major (CSC: for each term, the passages that hold it and
how often); :meth:`BM25.weights` turns it into per-posting BM25 weights once, so a query adds up
one slice per term instead of looping over documents.  Adding or removing passages changes N,
avgdl and the idf of every term: the weights are recomputed from the stored frequencies, which
is cheap; nothing is re-tokenized.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

K1, B, EPSILON = 1.5, 0.75, 0.25


# numpy parses an .npy header with ast.literal_eval, which CPython 3.11 does not run safely in
# two threads at once ("AST constructor recursion depth mismatch"): the app's sessions and a
# writer load indexes in threads of one process, so headers are read one at a time
_NPY_HEADER_LOCK = threading.Lock()


@dataclass
class BM25:
    """Sparse BM25 over passages: ``tf`` is (passages x terms) in CSC layout."""

    vocab: dict[str, int]
    tf: sparse.csc_matrix
    k1: float = K1
    b: float = B
    epsilon: float = EPSILON

    def __post_init__(self):
        self._weights = None
        self._idf = None

    @classmethod
    def from_tokens(cls, docs: list[list[str]], vocab: dict[str, int] | None = None,
                    **params) -> BM25:
        vocab = dict(vocab or {})
        rows, cols, vals = [], [], []
        for i, tokens in enumerate(docs):
            for term, count in Counter(tokens).items():
                j = vocab.setdefault(term, len(vocab))
                rows.append(i)
                cols.append(j)
                vals.append(count)
        tf = sparse.csc_matrix((np.asarray(vals, dtype=np.float64), (rows, cols)),
                               shape=(len(docs), len(vocab)))
        tf.sort_indices()
        return cls(vocab=vocab, tf=tf, **params)

    @property
    def n_docs(self) -> int:
        return self.tf.shape[0]

    def doc_lengths(self, chunk: int = 4_000_000) -> np.ndarray:
        """Terms in each passage, summed a slice of the arrays at a time (they may be mapped
        files far larger than memory)."""
        out = np.zeros(self.n_docs, dtype=np.float64)
        for a in range(0, len(self.tf.data), chunk):
            out += np.bincount(self.tf.indices[a:a + chunk], minlength=self.n_docs,
                               weights=self.tf.data[a:a + chunk])
        return out

    def idf(self) -> np.ndarray:
        if self._idf is None:
            n = np.diff(self.tf.indptr).astype(np.float64)  # passages holding each term
            idf = np.log(self.n_docs - n + 0.5) - np.log(n + 0.5)
            if idf.size:
                idf[idf < 0] = self.epsilon * idf.mean()
            self._idf = idf
        return self._idf

    def weights(self) -> np.ndarray:
        """BM25 weight of every posting, aligned with ``tf.data``."""
        if self._weights is None:
            lengths = self.doc_lengths()
            avgdl = lengths.mean() if lengths.size else 0.0
            norm = self.k1 * (1 - self.b + self.b * lengths / avgdl) if avgdl else \
                np.full(lengths.shape, self.k1)
            tf = self.tf.data
            self._weights = tf * (self.k1 + 1) / (tf + norm[self.tf.indices])
        return self._weights

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every passage for the query ``terms`` (repeats count, as in rank-bm25)."""
        out = np.zeros(self.n_docs, dtype=np.float64)
        if not self.n_docs:
            return out
        idf, weights, indptr, indices = self.idf(), self.weights(), self.tf.indptr, self.tf.indices
        for term, count in Counter(terms).items():
            j = self.vocab.get(term)
            if j is None:
                continue
            lo, hi = indptr[j], indptr[j + 1]
            out[indices[lo:hi]] += count * idf[j] * weights[lo:hi]
        return out

    def matched_terms(self, terms: list[str]) -> list[str]:
        return [t for t in dict.fromkeys(terms) if t in self.vocab]

    def by_passage(self, folder: Path, prefix: str, chunk: int = 4_000_000
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The BM25 weights by passage (CSR: row pointers, term columns, weights), the
        columns and weights written to ``.npy`` files in ``folder`` and mapped, so that a pass
        over passages reads each batch's rows as one slice.  Memory: the row pointers and one
        ``chunk`` of postings, whatever the index's size."""
        n, nnz = self.n_docs, len(self.tf.data)
        indices, indptr, weights = self.tf.indices, self.tf.indptr, self.weights()
        counts = np.zeros(n, dtype=np.int64)
        for a in range(0, nnz, chunk):
            counts += np.bincount(indices[a:a + chunk], minlength=n)
        rows = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=rows[1:])
        del counts
        columns = np.lib.format.open_memmap(folder / f"{prefix}_columns.npy", mode="w+",
                                            dtype=np.int32, shape=(nnz,))
        values = np.lib.format.open_memmap(folder / f"{prefix}_values.npy", mode="w+",
                                           dtype=np.float32, shape=(nnz,))
        free = rows[:-1].copy()  # the next free place in each passage's row
        for a in range(0, nnz, chunk):
            b = min(nnz, a + chunk)
            row = np.asarray(indices[a:b])
            order = np.argsort(row, kind="stable")  # by passage, terms kept in column order
            row = row[order]
            starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
            sizes = np.diff(np.r_[starts, b - a])
            place = free[row] + (np.arange(b - a) - np.repeat(starts, sizes))
            column = np.searchsorted(indptr, np.arange(a, b), side="right") - 1
            columns[place] = column[order]
            values[place] = np.asarray(weights[a:b])[order]
            free[row[starts]] += sizes
        columns.flush()
        values.flush()
        return rows, columns, values

    # --- changes -------------------------------------------------------------------------

    def keep(self, rows: np.ndarray) -> BM25:
        """A new BM25 over the passages ``rows`` only (terms no passage holds are dropped)."""
        tf = self.tf.tocsr()[rows].tocsc()
        used = np.flatnonzero(np.diff(tf.indptr))
        tf = tf[:, used]
        terms = list(self.vocab)
        vocab = {terms[j]: k for k, j in enumerate(used)}
        tf.sort_indices()
        return BM25(vocab=vocab, tf=tf, k1=self.k1, b=self.b, epsilon=self.epsilon)

    def extend(self, docs: list[list[str]]) -> BM25:
        """A new BM25 with passages ``docs`` appended."""
        new = BM25.from_tokens(docs, vocab=self.vocab, k1=self.k1, b=self.b, epsilon=self.epsilon)
        old = self.tf
        extra = len(new.vocab) - old.shape[1]  # new terms: empty columns in the old rows
        indptr = np.concatenate([old.indptr, np.full(extra, old.indptr[-1])])
        old = sparse.csc_matrix((old.data, old.indices, indptr),
                                shape=(old.shape[0], len(new.vocab)))
        tf = sparse.vstack([old, new.tf], format="csc")
        tf.sort_indices()
        return BM25(vocab=new.vocab, tf=tf, k1=self.k1, b=self.b, epsilon=self.epsilon)

    # --- files ---------------------------------------------------------------------------

    def save(self, folder: Path, prefix: str = "bm25") -> None:
        arrays = {"indptr": self.tf.indptr.astype(np.int64),
                  "indices": self.tf.indices.astype(np.int32),
                  "tf": self.tf.data.astype(np.float32), "weights": self.weights(),
                  "idf": self.idf()}
        for name, array in arrays.items():
            np.save(folder / f"{prefix}_{name}.npy", array, allow_pickle=False)
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        (folder / f"{prefix}_vocab.txt").write_text("\n".join(terms) + "\n", encoding="utf-8")
        (folder / params_file(prefix)).write_text(json.dumps(self.params(), indent=1) + "\n",
                                                   encoding="utf-8")

    def params(self) -> dict:
        """What this part's arrays need to be read and scored (:func:`params_file`)."""
        return {"part": "bm25", "k1": self.k1, "b": self.b, "epsilon": self.epsilon,
                "documents": self.n_docs, "terms": len(self.vocab)}

    @classmethod
    def load(cls, folder: Path, n_docs: int | None = None, prefix: str = "bm25",
             mmap: bool = True, **params) -> BM25:
        """The arrays of ``prefix`` in ``folder``, memory-mapped (``mmap``), with the k1, b and
        epsilon of their own :func:`params_file`; ``n_docs`` and ``params`` are for a folder
        written before those files (0.1), whose manifest holds them.

        Returns the BM25 of that field."""
        saved = _read_params(folder, prefix)
        if saved is not None:
            params = {key: saved[key] for key in ("k1", "b", "epsilon")}
            n_docs = int(saved["documents"]) if n_docs is None else n_docs
        if n_docs is None:
            raise ValueError(f"{folder}: no {params_file(prefix)} and no passage count given")
        mode = "r" if mmap else None

        def array(name):
            with _NPY_HEADER_LOCK:
                return np.load(folder / f"{prefix}_{name}.npy", mmap_mode=mode,
                               allow_pickle=False)

        indptr, indices, tf = array("indptr"), array("indices"), array("tf")
        terms = (folder / f"{prefix}_vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
        matrix = sparse.csc_matrix((n_docs, len(terms)))
        matrix.data, matrix.indices, matrix.indptr = tf, indices, indptr  # no copy of the arrays
        bm25 = cls(vocab={t: i for i, t in enumerate(terms)}, tf=matrix, **params)
        bm25._weights, bm25._idf = array("weights"), array("idf")
        return bm25


def params_file(prefix: str) -> str:
    """The name of a BM25 part's parameters file, beside its arrays (``bm25.params.json``)."""
    return f"{prefix}.params.json"


def _read_params(folder: Path, prefix: str) -> dict | None:
    path = Path(folder) / params_file(prefix)
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
