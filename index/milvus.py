"""Milvus as the serving store of an index: the same search when one machine is not enough.

An index built with ``--backend milvus --uri URI`` is still a folder (manifest, documents,
passages, BM25 statistics: what citations, answers and the document viewer read), and its
passages are also one Milvus collection that serves the two retrievals and takes ``add`` and
``remove`` in place:

=============  ==========================  ===============================================
field          type                        what
=============  ==========================  ===============================================
pid            INT64, primary key          63 bits of a hash of ``passage_id`` (stable:
                                           a replaced document's passages overwrite theirs)
passage_id     VARCHAR                     ``doc_id#n``
doc_id         VARCHAR                     scalar index
section        VARCHAR                     section path (``Chương I › Điều 3``)
start, end     INT64                       offsets of the passage in its document's text
text           VARCHAR                     the passage (cut at 65,535 bytes, Milvus's
                                           limit); memory-mapped, or not loaded at all
doc_type,      VARCHAR                     normalized metadata of the document, for
issuer, level,                             filters; scalar indexes; one of them (or year)
code                                       may be the partition key
access         VARCHAR                     the document's access groups as ``|a|b|``, "" for
                                           every reader (``index.access``)
year           INT64                       the document's year, 0 when it has none
length_a,      INT64                       the passage's BM25 length in each field (what
length_f                                   the statistics need when it is deleted)
dense          FLOAT_VECTOR (dim)          the passage embedding (HNSW, IVF_SQ8, DiskANN ...,
                                           inner product: :class:`MilvusConfig`)
bm25           SPARSE_FLOAT_VECTOR         saturated term frequencies; sparse inverted index
=============  ==========================  ===============================================

**BM25 that survives inserts.**  A passage's sparse vector holds only what depends on the
passage: for each of its terms (accented, and under other ids accent-free) the saturated
frequency ``tf (k1 + 1) / (tf + k1 (1 - b + b |d| / avgdl))`` against an average length
*stored* with the collection.  The idf is on the query side: a query's vector holds each term's
count times its field's weight times its idf, computed from the statistics collection
``<physical>__stats`` (term id -> passages holding it; under negative keys the passage count,
total lengths, and the stored average lengths and idf floors).  On a fresh build or a rebuild
the inner product is exactly the embedded BM25 (``index.retrieval.EmbeddedRetrieval.bm25``) up
to float32 rounding, with two exceptions too rare to matter: term ids are the first four bytes
of a BLAKE2b hash of ``field:term`` (a query needs no vocabulary; two terms whose hashes
collide share a dimension, about one pair in 100k terms), and a term whose idf is negative
after the floor (only a tiny corpus has one) is left out of the query (Milvus takes no negative
weights).  After ``add`` and ``remove`` the document frequencies and the passage count stay
exact; only the average length and the floor of negative idfs (epsilon times the mean idf)
keep their values from the last full write, until ``python -m index rebuild`` refreshes them
(docs/scale-out.md measures the drift).  Milvus's built-in BM25 function was measured and not
used (``python -m eval milvus``): it computes its own idf and length norm over its analyzer's
tokens, with no accent-free field and no rank-bm25 idf floor, and its top 10 overlaps ours at
0.84.

**Changes in place.**  :meth:`MilvusStore.change` upserts a document's passages, deletes its
old passages beyond the new count (or all of a removed document's), and adds the change's
difference of document frequencies to the statistics, all under the collection's writer lock
on the server (:meth:`MilvusStore.locked`: the alias ``<collection>__lock``, which only one
writer can create).  A lock older than :data:`LOCK_STALE` is taken over and the statistics are
counted again from the rows, since its writer died mid-change.  Searchers loaded before a change
keep searching: a passage key their folder does not know is skipped.

**Full writes** (``build``, ``publish``, ``rebuild``, a new model) go to a new physical
collection ``<collection>__<stamp>``, filled :data:`BATCH` passages at a time (the writer's
memory is bounded by a batch, not the corpus), then the alias ``<collection>`` moves to it.
The folder is written next, and only then is the old collection dropped: a write that fails
leaves the alias on the previous complete collection.

**Errors.**  Every call goes through :meth:`MilvusStore._call`, which turns a lost or refused
connection into :class:`MilvusUnavailable` naming the URI and the way to start a server.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from itertools import groupby
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from .metadata import document_year, year_range
from .retrieval import FILTER_FIELDS, BM25Query, Where, check_filter, filter_value, wanted
from .text import normalize

SCHEMA = 2  # the collection layout written here (v1: a new collection for every change)
ID_SPACE = 2**32 - 2  # sparse dimensions Milvus accepts: 0 .. 2**32 - 2
EMPTY_ID = ID_SPACE  # a passage without terms gets this dimension, never queried
BATCH = 10_000  # passages a write step holds in memory
INSERT = 500  # rows an insert call
TEXT_BYTES = 65_535
FIELD_BYTES = 500  # metadata values for filters, compared cut to this length on both sides
ID_BYTES = 2048
DOC_BYTES = 60_000  # bytes of a document record a row of the documents collection holds
MANIFEST_KEY = "m:manifest"  # the documents collection's row of the index manifest
LOCK_STALE = 6 * 3600.0  # seconds after which a writer lock is taken to be a dead writer's
LOCK_WAIT = 120.0  # seconds a writer waits for another one's lock
QUERY_MEMO = 2.0  # seconds a query's sparse vector is reused (MilvusStore.query_vector)

TERM_FIELDS = (("a", "bm25"), ("f", "folded"))  # sparse id prefix, IndexData attribute
PASSAGES_KEY = -1  # statistics keys below 0: the collection's own figures
TOTAL_KEY = {"a": -2, "f": -3}  # terms of all passages, per field
AVGDL_KEY = {"a": -4, "f": -5}  # the average length the passage vectors were written with
FLOOR_KEY = {"a": -6, "f": -7}  # the idf given to terms whose idf is negative

# dense index types: (build parameters, search parameters) by default
INDEX_TYPES = {"HNSW": ({"M": 32, "efConstruction": 200}, {"ef": 128}),
               "IVF_FLAT": ({"nlist": 1024}, {"nprobe": 32}),
               "IVF_SQ8": ({"nlist": 1024}, {"nprobe": 32}),
               "DISKANN": ({}, {"search_list": 100}),
               "FLAT": ({}, {}),
               "AUTOINDEX": ({}, {})}
CONSISTENCY = ("Strong", "Bounded", "Session", "Eventually")
PARTITION_KEYS = ("issuer", "year", "doc_type", "level")
TEXT_MODES = ("mmap", "unloaded", "memory")
SCALAR_INDEXED = ("doc_id", *FILTER_FIELDS, "year")


def server_hint(uri: str) -> str:
    """What to do when the Milvus at ``uri`` does not answer, naming that address."""
    parsed = urlparse(uri)
    if parsed.scheme in ("milvus", "http") and parsed.hostname in ("127.0.0.1", "localhost",
                                                                   "::1"):
        return (f"start one with `milvus-lite server --data-dir DIR --host {parsed.hostname} "
                f"--port {parsed.port or 19530}`, or point --uri at your Milvus Standalone or "
                "Distributed endpoint")
    if parsed.scheme in ("milvus", "http", "https", "tcp", "unix"):
        return (f"check that the Milvus server at {parsed.netloc or uri} is up and reachable "
                "from this machine, or point --uri at another endpoint")
    return f"check that the milvus-lite file {uri} exists and is not open in another process"


TLS_VARIABLES = {"TRACUU_MILVUS_CA": "ca_pem_path",  # a private CA, for https:// servers
                 "TRACUU_MILVUS_SERVER_NAME": "server_name",  # the name in its certificate
                 "TRACUU_MILVUS_CLIENT_CERT": "client_pem_path",  # for mutual TLS
                 "TRACUU_MILVUS_CLIENT_KEY": "client_key_path"}


def tls_options() -> dict:
    """pymilvus's TLS options from the environment (:data:`TLS_VARIABLES`): a server whose
    certificate a private CA signed, and a client certificate when the server asks for one
    (Milvus's ``tlsMode`` 2).  A file that does not exist is an error here, not a handshake
    failure later."""
    out = {}
    for variable, option in TLS_VARIABLES.items():
        value = os.environ.get(variable, "")
        if not value:
            continue
        if option != "server_name" and not Path(value).is_file():
            raise ValueError(f"{variable}={value}: no such file")
        out[option] = value
    if "ca_pem_path" in out and "client_pem_path" not in out:
        out["server_pem_path"] = out.pop("ca_pem_path")  # one-way TLS: the server's CA alone
    if out:
        out["secure"] = True
    return out


class MilvusUnavailable(RuntimeError):
    """Milvus did not answer, or refused a request; the message names the URI and the fix."""


def term_id(prefix: str, term: str) -> int:
    """The sparse dimension of ``term`` in a BM25 field (``prefix`` ``a``: accented, ``f``:
    accent-free)."""
    digest = hashlib.blake2b(f"{prefix}:{term}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "little") % ID_SPACE


def client_uri(uri: str) -> str:
    """What pymilvus connects to: ``milvus://host:port`` becomes ``http://host:port``; http(s)
    endpoints and local milvus-lite ``.db`` files pass as they are."""
    parsed = urlparse(uri)
    if parsed.scheme == "milvus":
        return f"http://{parsed.netloc}"
    if parsed.scheme in ("http", "https", "tcp", "unix"):
        return uri
    if uri.endswith(".db"):
        return str(Path(uri).expanduser().resolve())
    raise ValueError(f"{uri!r} is not a Milvus URI; expected milvus://HOST:PORT, "
                     "http://HOST:PORT, https://HOST:PORT or a local milvus-lite FILE.db")


def parse_index_uri(uri: str) -> tuple[str, str | None]:
    """``milvus://HOST:PORT/COLLECTION`` -> (``milvus://HOST:PORT``, ``COLLECTION``)."""
    parsed = urlparse(uri)
    if parsed.scheme not in ("milvus", "http", "https"):
        return uri, None
    return f"{parsed.scheme}://{parsed.netloc}", parsed.path.strip("/") or None


def collection_name(folder: Path) -> str:
    """A default collection name for an index folder: ``tracuu_``, the folder's name (ASCII
    letters, digits, ``_``) and a short hash of its full path, so two folders of the same name
    never share a collection."""
    name = "".join(c if c.isalnum() and c.isascii() else "_" for c in Path(folder).name)
    digest = hashlib.blake2b(str(Path(folder).resolve()).encode(), digest_size=4).hexdigest()
    return f"tracuu_{name[:150]}_{digest}"


def escape(value: str) -> str:
    """A string literal of a Milvus boolean expression."""
    return json.dumps(value, ensure_ascii=False)


def filter_expression(filters: dict | None, groups: frozenset[str] | None = None) -> str:
    """The Milvus boolean expression of the search filters ``Searcher`` takes (doc_type,
    issuer, level, code: one value or a list; year: one year or [from, to]; doc_id) and of a
    reader's access ``groups`` (:mod:`index.access`: a passage whose ``access`` field is empty,
    or names one of them)."""
    parts = []
    if groups is not None:
        parts.append("(" + " or ".join(['access == ""'] + [
            f"access like {escape(f'%|{g}|%')}" for g in sorted(groups)]) + ")")
    for key, want in (filters or {}).items():
        check_filter(key)
        if key == "year":  # one year as ==, which a partition key on year prunes by
            lo, hi = year_range(want)
            parts.append(f"year == {lo}" if lo == hi and lo > 0 else
                         f"(year >= {lo} and year <= {hi} and year > 0)")
        elif key in FILTER_FIELDS:
            values = ", ".join(escape(_cut(normalize(str(v)), FIELD_BYTES)) for v in wanted(want))
            parts.append(f"{key} in [{values}]")
        else:  # doc_id
            parts.append(f"doc_id in [{', '.join(escape(str(v)) for v in wanted(want))}]")
    return " and ".join(parts)


def doc_id_filters(doc_ids, size: int = 100) -> Iterator[str]:
    """Filter expressions selecting the rows of ``doc_ids``, ``size`` ids an expression (as
    the collections store them: cut to :data:`ID_BYTES`)."""
    ids = sorted(doc_ids)
    for i in range(0, len(ids), size):
        yield f"doc_id in [{', '.join(escape(_cut(d, ID_BYTES)) for d in ids[i:i + size])}]"


def _cut(text: str, limit: int) -> str:
    raw = text.encode("utf-8")
    return text if len(raw) <= limit else raw[:limit].decode("utf-8", "ignore")


def passage_key(passage_id: str) -> int:
    """A passage's primary key: 63 bits of a BLAKE2b hash of its id, the same in every
    version of the collection, so a replaced document's passages overwrite their rows."""
    digest = hashlib.blake2b(passage_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & (2**63 - 1)


def saturated(tokens: list[str], prefix: str, avgdl: float, k1: float,
              b: float) -> dict[int, float]:
    """{term id: saturated frequency} of one passage's terms in one field (``index.bm25``)."""
    counts = Counter(tokens)
    norm = k1 * (1 - b + b * len(tokens) / avgdl) if avgdl else k1
    return {term_id(prefix, t): c * (k1 + 1) / (c + norm) for t, c in counts.items()}


@dataclass
class MilvusConfig:
    """How the collection is laid out on a cluster (``python -m index build --help`` names the
    flags).  ``index_params`` and ``search_params`` go over the defaults of ``index_type``
    (:data:`INDEX_TYPES`); ``consistency`` is the collection's default level (Strong: a search
    sees every finished write; Bounded is faster on a cluster); ``partition_key``: a filter
    field Milvus partitions by, so a filter on it reads one partition; ``text``: ``mmap`` keeps
    the passage text out of query-node memory (read from disk when asked), ``unloaded`` does
    not load it at all, ``memory`` loads it.  Recorded in the index manifest."""

    shards: int = 1
    replicas: int = 1
    index_type: str = "HNSW"
    index_params: dict = field(default_factory=dict)
    search_params: dict = field(default_factory=dict)
    consistency: str = "Strong"
    partition_key: str | None = None
    partitions: int = 16
    text: str = "mmap"

    def __post_init__(self):
        self.index_type = str(self.index_type).upper()
        for name, value, choices in (("index type", self.index_type, INDEX_TYPES),
                                     ("consistency level", self.consistency, CONSISTENCY),
                                     ("text mode", self.text, TEXT_MODES)):
            if value not in choices:
                raise ValueError(f"unknown Milvus {name} {value!r}; expected one of "
                                 f"{', '.join(choices)}")
        if self.partition_key not in (None, *PARTITION_KEYS):
            raise ValueError(f"{self.partition_key!r} cannot be the partition key; expected one "
                             f"of {', '.join(PARTITION_KEYS)}")
        for name in ("shards", "replicas", "partitions"):
            if not 1 <= int(getattr(self, name)) <= 1024:
                raise ValueError(f"Milvus {name} must be between 1 and 1024, not "
                                 f"{getattr(self, name)}")

    def build_params(self) -> dict:
        return {**INDEX_TYPES[self.index_type][0], **self.index_params}

    def dense_params(self, n: int) -> dict:
        """Search parameters for ``n`` results (HNSW's ef and DiskANN's list at least 2n)."""
        params = {**INDEX_TYPES[self.index_type][1], **self.search_params}
        for key in ("ef", "search_list"):
            if key in params:
                params[key] = max(int(params[key]), 2 * n)
        return {"metric_type": "IP", "params": params}

    def record(self) -> dict:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict | None) -> MilvusConfig:
        return cls(**(record or {}))


@dataclass
class TermStats:
    """Document frequencies by term id, passages, and total lengths by field: of a whole
    collection, or the difference a change makes to them."""

    df: Counter = field(default_factory=Counter)
    passages: int = 0
    totals: Counter = field(default_factory=Counter)

    def count(self, terms, lengths: dict[str, int], sign: int = 1) -> None:
        """One passage (its term ids, its length by field) in, or out with ``sign`` -1."""
        for key in terms:
            if key != EMPTY_ID:
                self.df[int(key)] += sign
        self.passages += sign
        for prefix, length in lengths.items():
            self.totals[prefix] += sign * int(length)

    def record(self) -> dict:
        """As JSON (term ids as strings)."""
        return {"df": {str(k): v for k, v in self.df.items() if v}, "passages": self.passages,
                "totals": dict(self.totals)}

    @classmethod
    def from_record(cls, record: dict) -> TermStats:
        return cls(Counter({int(k): int(v) for k, v in record["df"].items()}),
                   int(record["passages"]), Counter(record["totals"]))

    def figures(self) -> dict[int, float]:
        """The statistics rows this difference touches, keyed as the collection keys them."""
        out = {k: float(v) for k, v in self.df.items() if v}
        if self.passages:
            out[PASSAGES_KEY] = float(self.passages)
        for prefix, total in self.totals.items():
            if total:
                out[TOTAL_KEY[prefix]] = float(total)
        return out


def folder_stats(data) -> dict[int, float]:
    """The statistics rows of a full write from an index folder (``index.store.IndexData``):
    exact document frequencies, and the average lengths and idf floors of its BM25 arrays."""
    keys, dfs = [], []
    out = {PASSAGES_KEY: float(data.bm25.n_docs)}
    for prefix, attr in TERM_FIELDS:
        bm25 = getattr(data, attr)
        keys.append(_vocab_ids(bm25, prefix))
        n = np.diff(bm25.tf.indptr).astype(np.float64)
        dfs.append(n)
        total = float(bm25.tf.data.sum(dtype=np.float64))
        out[TOTAL_KEY[prefix]] = total
        out[AVGDL_KEY[prefix]] = total / bm25.n_docs if bm25.n_docs else 0.0
        raw = np.log(bm25.n_docs - n + 0.5) - np.log(n + 0.5)
        out[FLOOR_KEY[prefix]] = float(bm25.epsilon * raw.mean()) if raw.size else 0.0
    ids, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    sums = np.bincount(inverse, weights=np.concatenate(dfs))
    out.update(zip(ids.tolist(), sums.tolist()))
    return out


def _vocab_ids(bm25, prefix: str) -> np.ndarray:
    """The term id of each column of a BM25 field."""
    ids = np.empty(len(bm25.vocab), dtype=np.int64)
    for term, j in bm25.vocab.items():
        ids[j] = term_id(prefix, term)
    return ids


def folder_rows(data, items=None, size: int = BATCH) -> Iterator[tuple[list, list[dict]]]:
    """The rows of an index's passages, ``size`` at a time, with the documents each batch
    starts: ``data`` (``index.store.IndexData``) gives the BM25 arrays and vectors (the passage
    vectors are its own BM25 weights: saturated frequencies against its average length, turned
    by passage on disk first: :meth:`index.bm25.BM25.by_passage`); ``items``, each document
    with its passages in the arrays' order, default to ``data``'s
    (``index.store.iter_documents`` streams them from a folder instead)."""
    import tempfile

    if items is None:
        items = ((data.documents[doc_id], list(group))
                 for doc_id, group in groupby(data.passages, key=lambda p: p.doc_id))
    with tempfile.TemporaryDirectory(prefix="tracuu-rows-") as tmp:
        fields = []
        for prefix, attr in TERM_FIELDS:
            bm25 = getattr(data, attr)
            fields.append((prefix, _vocab_ids(bm25, prefix), *bm25.by_passage(Path(tmp), prefix),
                           bm25.doc_lengths()))
        lo, docs, batch = 0, [], []
        for doc, passages in items:
            docs.append(doc)
            batch.extend((p, _filter_values(doc.metadata)) for p in passages)
            if len(batch) >= size:
                yield docs, _rows(fields, data.dense, lo, batch)
                lo, docs, batch = lo + len(batch), [], []
        if docs or batch:
            yield docs, _rows(fields, data.dense, lo, batch)


def _rows(fields, dense, lo: int, batch: list) -> list[dict]:
    """Rows of passages ``lo`` .. ``lo + len(batch)`` of the arrays."""
    hi = lo + len(batch)
    vectors = dense.vectors(lo, hi)
    parts = []
    for prefix, ids, rows, columns, values, lengths in fields:
        a, b = rows[lo], rows[hi]
        parts.append((prefix, rows[lo:hi + 1] - a, ids[np.asarray(columns[a:b])],
                      np.asarray(values[a:b], dtype=np.float64), lengths[lo:hi]))
    out = []
    for i, (p, meta) in enumerate(batch):
        vector, sizes = {}, {}
        for prefix, pointers, terms, weights, lengths in parts:
            a, b = pointers[i], pointers[i + 1]
            vector.update(zip(terms[a:b].tolist(), weights[a:b].tolist()))
            sizes[prefix] = int(lengths[i])
        out.append(passage_row(p, meta, vectors[i], vector, sizes))
    return out


def passage_row(p, filter_values: dict, vector: np.ndarray, bm25: dict[int, float],
                lengths: dict[str, int]) -> dict:
    """One passage as a row of the collection."""
    return {"pid": passage_key(p.passage_id), "passage_id": _cut(p.passage_id, ID_BYTES),
            "doc_id": _cut(p.doc_id, ID_BYTES), "section": _cut(p.section, 4096),
            "text": _cut(p.text, TEXT_BYTES), "start": p.start, "end": p.end, **filter_values,
            "length_a": lengths.get("a", 0), "length_f": lengths.get("f", 0),
            "dense": np.asarray(vector, dtype=np.float32).tolist(),
            "bm25": bm25 or {EMPTY_ID: 1e-9}}


def new_rows(passages: list, documents: dict, tokens: list[list[str]],
             folded: list[list[str]], vectors: np.ndarray, avgdl: dict[str, float], k1: float,
             b: float, delta: TermStats) -> Iterator[dict]:
    """The rows of new ``passages`` (of ``documents``; their terms in both fields, their
    vectors), BM25 weights against the stored ``avgdl``; each passage counted into ``delta``."""
    meta = {doc_id: _filter_values(doc.metadata) for doc_id, doc in documents.items()}
    for i, p in enumerate(passages):
        vector = {**saturated(tokens[i], "a", avgdl["a"], k1, b),
                  **saturated(folded[i], "f", avgdl["f"], k1, b)}
        lengths = {"a": len(tokens[i]), "f": len(folded[i])}
        delta.count(vector, lengths)
        yield passage_row(p, meta[p.doc_id], vectors[i], vector, lengths)


def idf_of(df: float, passages: float, floor: float) -> float:
    """rank-bm25's idf (``index.bm25.BM25.idf``) of a term held by ``df`` of ``passages``."""
    idf = math.log(passages - df + 0.5) - math.log(df + 0.5)
    return floor if idf < 0 else idf


def query_terms(query: BM25Query) -> dict[tuple[str, int], float]:
    """{(field prefix, term id): count times the field's weight} of a query."""
    out: dict[tuple[str, int], float] = {}
    for prefix, terms, weight in (("a", query.terms, query.weight),
                                  ("f", query.folded_terms, query.folded_weight)):
        for term in terms if weight > 0 else ():
            key = (prefix, term_id(prefix, term))
            out[key] = out.get(key, 0.0) + weight
    return out


class MilvusBusy(RuntimeError):
    """Another writer holds the collection's lock; the message says since when."""


@dataclass
class MilvusStore:
    """One index's collection on a Milvus server (or milvus-lite file).  ``token`` (default:
    the ``TRACUU_MILVUS_TOKEN`` variable, never written to the manifest) authenticates to a
    server that asks for it: ``user:password`` or an API key."""

    uri: str
    collection: str
    token: str = field(default_factory=lambda: os.environ.get("TRACUU_MILVUS_TOKEN", ""))
    timeout: float = 30.0
    physical: str | None = None  # the collection the index folder was written with
    config: MilvusConfig = field(default_factory=MilvusConfig)
    schema: int = SCHEMA  # the layout of ``physical`` (an older one must be written again)

    def __post_init__(self):
        self._client = None
        self.serving: str | None = None  # the physical collection checked by check()
        self._keys = self._rows = None  # passage keys sorted, and the folder row of each
        self.mismatch: str | None = None  # what check() found different from the folder
        self._memo: tuple[BM25Query, float, dict] | None = None  # (query, when, its vector)

    @classmethod
    def for_index(cls, backend: dict, uri: str | None = None) -> MilvusStore | None:
        """The store an index folder's backend record names (``IndexData.backend``), or None
        when the folder searches itself; ``uri`` points it at another server."""
        if backend.get("name") != "milvus":
            return None
        return cls(uri or backend["uri"], backend["collection"], physical=backend.get("physical"),
                   config=MilvusConfig.from_record(backend.get("config")),
                   schema=int(backend.get("schema", 1)))

    def backend_record(self, physical: str) -> dict:
        return {"name": "milvus", "uri": self.uri, "collection": self.collection,
                "physical": physical, "schema": SCHEMA, "config": self.config.record()}

    # --- the connection ----------------------------------------------------------------------

    @property
    def client(self):
        if self._client is None:
            try:
                from pymilvus import MilvusClient
            except ImportError as exc:
                raise ImportError("pymilvus is not available - install it with `pip install "
                                  "pymilvus milvus-lite` to use the Milvus backend") from exc
            for name in ("pymilvus", "pymilvus.milvus_client", "pymilvus.decorators"):
                logging.getLogger(name).setLevel(logging.CRITICAL)  # raised, not logged
            self._client = self._call(MilvusClient, uri=client_uri(self.uri), token=self.token,
                                      timeout=self.timeout, **tls_options())
        return self._client

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ValueError, TypeError, ImportError, MilvusUnavailable, MilvusBusy):
            raise
        except Exception as exc:  # pymilvus and grpc errors
            raise self._error(exc) from None

    def _error(self, exc: Exception) -> MilvusUnavailable:
        lines = str(getattr(exc, "message", None) or exc).strip().splitlines()
        message = (lines or [type(exc).__name__])[0]
        lost = any(w in message.lower() for w in ("connect", "unavailable", "deadline",
                                                  "closed", "timeout", "refused"))
        hint = f" Is the server running? {server_hint(self.uri)}" if lost else ""
        return MilvusUnavailable(f"Milvus at {self.uri} (collection {self.collection}): "
                                 f"{message.rstrip('.')}.{hint}")

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            except Exception:  # noqa: BLE001 - closing a dead connection
                pass
            self._client = None

    # --- full writes -------------------------------------------------------------------------

    def write(self, data, say=None, items=None) -> tuple[str, str | None]:
        """Write every passage of ``data`` (``index.store.IndexData``; ``items``: its
        documents with their passages, streamed, see :func:`folder_rows`) to a new physical
        collection, :data:`BATCH` passages at a time, then move the alias to it.  Returns (new
        collection, the one the alias left, or None); the caller drops the old one with
        :meth:`drop_collection` once the folder records the new one, so a failure in between
        leaves a usable index.  ``say`` hears the progress."""
        client = self.client
        old = self.alias_target()
        physical = self._new_physical()
        try:
            self._create(physical, data.dense.dim)
            self._put_figures(physical, folder_stats(data))
            self.put_manifest(physical, server_manifest(data, self.config))
            done, started, total = 0, time.monotonic(), data.bm25.n_docs
            for docs, rows in folder_rows(data, items):
                self._put_documents(physical, docs, fresh=True)
                self._insert(physical, rows)
                done += len(rows)
                if say and total > BATCH:
                    say(f"  {done:,}/{total:,} passages written "
                        f"({done / max(1e-9, time.monotonic() - started):,.0f}/s)")
            for name in (physical, stats_name(physical), docs_name(physical)):
                self._call(client.flush, name)
            if old is None:
                self._call(client.create_alias, physical, self.collection)
            else:
                self._call(client.alter_alias, physical, self.collection)
        except BaseException:
            self._drop_quietly(physical)
            raise
        return physical, (old if old != physical else None)

    def _create(self, physical: str, dim: int) -> None:
        """A new, empty, indexed and loaded collection with its statistics collection."""
        from pymilvus import DataType, MilvusClient

        config, client = self.config, self.client
        if self._call(client.has_collection, physical):
            raise MilvusUnavailable(f"{physical} already exists on {self.uri}; try again")
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("pid", DataType.INT64, is_primary=True)
        for name, length in (("passage_id", ID_BYTES), ("doc_id", ID_BYTES), ("section", 4096),
                             ("access", FIELD_BYTES), *((f, FIELD_BYTES) for f in FILTER_FIELDS)):
            schema.add_field(name, DataType.VARCHAR, max_length=length,
                             is_partition_key=config.partition_key == name)
        schema.add_field("text", DataType.VARCHAR, max_length=TEXT_BYTES,
                         **({"mmap_enabled": True} if config.text == "mmap" else {}))
        for name in ("start", "end", "year", "length_a", "length_f"):
            schema.add_field(name, DataType.INT64, is_partition_key=config.partition_key == name)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
        options = {"num_shards": config.shards, "consistency_level": config.consistency}
        if config.partition_key:
            options["num_partitions"] = config.partitions
        self._call(client.create_collection, physical, schema=schema, **options)
        try:
            indexes = client.prepare_index_params()
            indexes.add_index(field_name="dense", index_type=config.index_type, metric_type="IP",
                              params=config.build_params())
            indexes.add_index(field_name="bm25", index_type="SPARSE_INVERTED_INDEX",
                              metric_type="IP")
            for name in SCALAR_INDEXED:  # filters read an index, not every row
                indexes.add_index(field_name=name, index_type="INVERTED")
            self._call(client.create_index, physical, indexes)
            self._load(physical)
            self._create_side(stats_name(physical), "key", DataType.INT64,
                              {"value": DataType.DOUBLE})
            self._create_side(docs_name(physical), "key", DataType.VARCHAR,
                              {"doc_id": DataType.VARCHAR, "part": DataType.INT64,
                               "parts": DataType.INT64, "stamp": DataType.VARCHAR,
                               "payload": DataType.VARCHAR})
        except BaseException:
            self._drop_quietly(physical)
            raise

    def _create_side(self, name: str, key: str, key_type, fields: dict) -> None:
        """A small collection beside the passages' (statistics, documents): a key, ``fields``,
        and the vector field Milvus asks of every collection (unused)."""
        from pymilvus import DataType, MilvusClient

        client = self.client
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        lengths = {"key": ID_BYTES + 32, "doc_id": ID_BYTES, "stamp": 64, "payload": TEXT_BYTES}
        for field_name, kind in {key: key_type, **fields}.items():
            extra = {"max_length": lengths[field_name]} if kind == DataType.VARCHAR else {}
            schema.add_field(field_name, kind, is_primary=field_name == key, **extra)
        schema.add_field("v", DataType.FLOAT_VECTOR, dim=2)
        self._call(client.create_collection, name, schema=schema, consistency_level="Strong")
        indexes = client.prepare_index_params()
        indexes.add_index(field_name="v", index_type="FLAT", metric_type="L2")
        self._call(client.create_index, name, indexes)
        self._load(name)

    def _load(self, name: str) -> None:
        """Load a collection: the passages' as configured (its replicas, the text left out
        when asked), the statistics and documents beside it whole."""
        options = {}
        if not name.endswith(("__stats", "__docs")):
            if self.config.replicas > 1:
                options["replica_number"] = self.config.replicas
            if self.config.text == "unloaded":
                options["load_fields"] = ["pid", "passage_id", "doc_id", "section", "access",
                                          *FILTER_FIELDS, "start", "end", "year", "length_a",
                                          "length_f", "dense", "bm25"]
                options["skip_load_dynamic_field"] = True
        self._call(self.client.load_collection, name, **options)

    def _insert(self, physical: str, rows: list[dict], upsert: bool = False,
                size: int = INSERT) -> None:
        write = self.client.upsert if upsert else self.client.insert
        for i in range(0, len(rows), size):
            self._call(write, physical, rows[i:i + size])

    def _put_figures(self, physical: str, figures: dict[int, float]) -> None:
        """Write statistics rows (a value of 0 or less deletes the row)."""
        name = stats_name(physical)
        items = list(figures.items())
        for i in range(0, len(items), 5 * INSERT):
            chunk = items[i:i + 5 * INSERT]
            keep = [{"key": int(k), "value": float(v), "v": [0.0, 0.0]} for k, v in chunk
                    if v > 0 or k in FLOOR_KEY.values()]  # a floor may be negative
            gone = [int(k) for k, v in chunk if not (v > 0 or k in FLOOR_KEY.values())]
            if keep:
                self._call(self.client.upsert, name, keep)
            if gone:
                self._call(self.client.delete, name, ids=gone)

    def figures(self, keys, physical: str | None = None) -> dict[int, float]:
        """Statistics rows by key (absent keys: not in the result)."""
        name, keys, out = stats_name(physical or self.serving or self._target()), list(keys), {}
        for i in range(0, len(keys), 5 * INSERT):
            rows = self._on_loaded(name, self.client.get, ids=keys[i:i + 5 * INSERT],
                                   output_fields=["value"])
            out.update({int(r["key"]): float(r["value"]) for r in rows})
        return out

    def drop_collection(self, name: str | None) -> None:
        """Drop a collection the alias no longer points to, with its statistics (quietly: a
        stale one is harmless)."""
        if name and name != self.alias_target():
            self._drop_quietly(name)

    def _drop_quietly(self, physical: str) -> None:
        for name in (physical, stats_name(physical), docs_name(physical)):
            try:
                self.client.drop_collection(name)
            except Exception:  # noqa: BLE001 - the server may be the thing that failed
                pass

    def drop(self) -> None:
        """Remove the alias, its collection and statistics."""
        physical = self.alias_target()
        if physical is not None:
            self._call(self.client.drop_alias, self.collection)
            for name in (physical, stats_name(physical), docs_name(physical)):
                self._call(self.client.drop_collection, name)

    # --- documents and manifest on the server ------------------------------------------------

    def put_manifest(self, physical: str, manifest: dict) -> None:
        """The index manifest (model, analyzer, BM25 and chunking settings, layout) on the
        server, where :mod:`index.ingest` reads it."""
        payload = json.dumps(manifest, ensure_ascii=False)
        self._call(self.client.upsert, docs_name(physical),
                   [{"key": MANIFEST_KEY, "doc_id": "", "part": 0, "parts": 1, "stamp": "",
                     "payload": payload, "v": [0.0, 0.0]}])

    def manifest(self, physical: str | None = None) -> dict:
        rows = self._on_loaded(docs_name(physical or self._target()), self.client.get,
                               ids=[MANIFEST_KEY], output_fields=["payload"])
        if not rows:
            raise MilvusUnavailable(f"{self.collection} on {self.uri} has no manifest (written "
                                    "by an earlier version); write it again with `python -m "
                                    "index rebuild INDEX`")
        return json.loads(rows[0]["payload"])

    def _put_documents(self, physical: str, documents, fresh: bool = False) -> None:
        """Upsert documents (text, title, source, metadata), each as rows of at most
        :data:`DOC_BYTES`; the rows of an earlier, longer version are deleted (none in a
        ``fresh`` collection)."""
        rows, keys = [], set()
        for doc in documents:
            parts = document_rows(doc)
            rows.extend(parts)
            keys.update(r["key"] for r in parts)
            if len(rows) >= 64:
                self._insert(docs_name(physical), rows, upsert=True, size=64)
                rows = []
        self._insert(docs_name(physical), rows, upsert=True, size=64)
        if fresh:
            return
        ids = sorted({r.rsplit("#", 1)[0][2:] for r in keys})
        stale = [k for k in self._document_keys(physical, ids) if k not in keys]
        if stale:
            self._call(self.client.delete, docs_name(physical), ids=stale)

    def _document_keys(self, physical: str, doc_ids: list[str]) -> list[str]:
        return [r["key"] for expr in doc_id_filters(doc_ids)
                for r in self.rows_where(docs_name(physical), expr, [], key="key")]

    def stamps(self, physical: str | None = None) -> dict[str, str]:
        """{doc_id: stamp} of every document on the server (:func:`document_stamp`)."""
        rows = self.rows_where(docs_name(physical or self._target()),
                                'doc_id != "" and part == 0', ["doc_id", "stamp"], key="key")
        return {row["doc_id"]: row["stamp"] for row in rows}

    def documents(self, physical: str | None = None, doc_ids: list[str] | None = None
                  ) -> Iterator[dict]:
        """The documents on the server (all, or ``doc_ids``), as the records of
        :func:`document_rows`: doc_id, title, source, metadata, text."""
        name = docs_name(physical or self._target())
        exprs = ['doc_id != ""'] if doc_ids is None else doc_id_filters(doc_ids)
        pending: dict[str, dict[int, str]] = {}
        for expr in exprs:
            for row in self.rows_where(name, expr, ["doc_id", "part", "parts", "payload"],
                                        key="key"):
                parts = pending.setdefault(row["doc_id"], {})
                parts[int(row["part"])] = row["payload"]
                if len(parts) == int(row["parts"]):
                    del pending[row["doc_id"]]
                    yield json.loads("".join(parts[i] for i in range(len(parts))))
        if pending:
            raise MilvusUnavailable(f"{self.collection} on {self.uri}: documents "
                                    f"{', '.join(sorted(pending)[:5])} are incomplete on the "
                                    "server (a change did not finish); run it again")

    # --- changes in place --------------------------------------------------------------------

    @contextmanager
    def locked(self, wait: float = LOCK_WAIT, stale: float = LOCK_STALE):
        """The collection's writer lock, held on the server: the alias ``<collection>__lock``
        names a small collection of this writer, named with the time it was taken; creating an
        alias that exists fails, so one writer at a time holds it.  Waits up to ``wait``
        seconds for another writer; a lock older than ``stale`` is taken over.  Yields True
        when it was (the statistics may be half-changed: :meth:`recount`)."""
        from pymilvus import DataType, MilvusClient

        alias, client = f"{self.collection}__lock", self.client
        mine = f"{self.collection}__lock_{int(time.time())}_{uuid.uuid4().hex[:8]}"
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("v", DataType.FLOAT_VECTOR, dim=2)
        self._call(client.create_collection, mine, schema=schema)
        deadline, taken_over = time.monotonic() + wait, False
        try:
            while True:
                try:
                    client.create_alias(mine, alias)
                    break
                except Exception as exc:  # noqa: BLE001
                    if "exist" not in str(exc).lower():
                        raise self._error(exc) from None
                holder = self._alias(alias)
                since = _lock_time(holder)
                if holder and since is not None and time.time() - since > stale:
                    self._call(client.alter_alias, mine, alias)
                    self._drop_quietly(holder)
                    taken_over = True
                    break
                if time.monotonic() > deadline:
                    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(since or 0))
                    raise MilvusBusy(f"another writer has held {self.collection} on {self.uri} "
                                     f"since {when}; try again when it is done (a lock older "
                                     f"than {stale / 3600:g} h is taken to be a dead "
                                     "writer's and taken over)")
                time.sleep(min(1.0, wait))
            yield taken_over
        finally:
            try:
                if self._alias(alias) == mine:
                    client.drop_alias(alias)
            except Exception:  # noqa: BLE001 - a lost server: the lock goes stale
                pass
            self._drop_quietly(mine)

    @contextmanager
    def _changing(self):
        """The live collection, under :meth:`locked`; its statistics counted again first when
        the lock was a dead writer's."""
        with self.locked() as taken_over:
            physical = self._target()
            if taken_over:
                self.recount(physical)
            yield physical

    def _new_physical(self) -> str:
        """A name for a new physical collection behind the alias; refused when the alias's
        name is a collection this project did not write."""
        if self.alias_target() is None and self._call(self.client.has_collection,
                                                      self.collection):
            raise MilvusUnavailable(f"{self.collection} on {self.uri} is a collection, not an "
                                    "alias this project wrote; choose another --collection")
        return f"{self.collection}__{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:8]}"

    def ensure(self, data) -> str:
        """The live collection, created empty (with the manifest of ``data``, an empty
        ``index.store.IndexData`` of the model and analyzer) when there is none: for workers
        that start together (:mod:`index.ingest`), under the lock, so one creates it."""
        with self.locked():
            physical = self.alias_target()
            if physical is not None:
                return physical
            physical = self._new_physical()
            try:
                self._create(physical, data.dense.dim)
                self.put_manifest(physical, server_manifest(data, self.config))
                self._call(self.client.create_alias, physical, self.collection)
            except BaseException:
                self._drop_quietly(physical)
                raise
            return physical

    def change(self, passages: list, documents: dict, tokens: list[list[str]],
               folded: list[list[str]], vectors: np.ndarray, gone: set[str], k1: float,
               b: float) -> None:
        """Change the live collection in place: the documents ``gone`` (removed, or replaced
        by those in ``documents``) lose their passages, and ``passages`` (of ``documents``,
        with their BM25 terms of both fields and their vectors) are upserted; the statistics
        take the difference.  Under :meth:`locked`; the collection must be the one the folder
        names (else a rebuild elsewhere replaced it)."""
        with self._changing() as physical:
            avgdl = self.stored_avgdl(physical, tokens, folded)
            delta = TermStats()
            old = self._passages_of(physical, set(gone) | set(documents), delta)
            rows, new = [], set()
            for row in new_rows(passages, documents, tokens, folded, vectors, avgdl, k1, b,
                                delta):
                rows.append(row)
                new.add(row["pid"])
                if len(rows) == BATCH:
                    self._insert(physical, rows, upsert=True)
                    rows = []
            self._insert(physical, rows, upsert=True)
            stale_keys = sorted(old - new)
            for i in range(0, len(stale_keys), 5 * INSERT):
                self._call(self.client.delete, physical, ids=stale_keys[i:i + 5 * INSERT])
            self._add_figures(physical, delta)
            self._put_documents(physical, documents.values())
            for expr in doc_id_filters(set(gone) - set(documents)):
                self._call(self.client.delete, docs_name(physical), filter=expr)
            for name in (physical, docs_name(physical)):
                self._call(self.client.flush, name)

    def stored_avgdl(self, physical: str, tokens: list[list[str]], folded: list[list[str]]
                     ) -> dict[str, float]:
        """The average lengths the collection's passage vectors are written against; an empty
        collection takes those of the passages given (``tokens``, ``folded``: their terms),
        until a rebuild.  Called under :meth:`locked`."""
        stored = self.figures(list(AVGDL_KEY.values()), physical)
        avgdl = {p: stored.get(AVGDL_KEY[p], 0.0) for p, _ in TERM_FIELDS}
        if tokens and not all(avgdl.values()):
            avgdl = {"a": float(np.mean([len(t) for t in tokens])) or 1.0,
                     "f": float(np.mean([len(t) for t in folded])) or 1.0}
            self._put_figures(physical, {AVGDL_KEY[p]: v for p, v in avgdl.items()})
        return avgdl

    def merge(self, delta: TermStats) -> None:
        """Add a difference of statistics made elsewhere (a worker's exported files) to the
        live collection's, under the lock."""
        with self._changing() as physical:
            self._add_figures(physical, delta)
            self._call(self.client.flush, stats_name(physical))

    def _passages_of(self, physical: str, doc_ids: set[str], delta: TermStats) -> set[int]:
        """The keys of the passages of ``doc_ids`` in the collection, each counted out of
        ``delta``."""
        keys: set[int] = set()
        for expr in doc_id_filters(doc_ids):
            keys |= self._counted(physical, expr, delta, -1)
        return keys

    def _counted(self, physical: str, expr: str, stats: TermStats, sign: int = 1) -> set[int]:
        """Count the passages that match ``expr`` into ``stats`` (or out, ``sign`` -1);
        returns their keys."""
        keys = set()
        for row in self.rows_where(physical, expr, ["bm25", "length_a", "length_f"]):
            keys.add(int(row["pid"]))
            stats.count(row["bm25"], {"a": row["length_a"], "f": row["length_f"]}, sign)
        return keys

    def rows_where(self, physical: str, expr: str, fields: list[str], key: str = "pid",
                   batch: int = INSERT * 2) -> Iterator[dict]:
        """The rows of a collection that match ``expr``: their ``key`` and ``fields``."""
        iterator = self._call(self.client.query_iterator, physical, batch_size=batch,
                              filter=expr, output_fields=[key, *fields])
        try:
            while True:
                batch = self._call(iterator.next)
                if not batch:
                    return
                yield from batch
        finally:
            iterator.close()

    def _add_figures(self, physical: str, delta: TermStats) -> None:
        change = delta.figures()
        if not change:
            return
        current = self.figures(change, physical)
        self._put_figures(physical, {k: current.get(k, 0.0) + v for k, v in change.items()})

    def recount(self, physical: str | None = None) -> TermStats:
        """Count the statistics again from the collection's rows (document frequencies, the
        passage count, total lengths; the stored average lengths and floors stay), and write
        them in place of the old ones.  For a lock taken over from a writer that died
        mid-change."""
        physical = physical or self._target()
        stats = TermStats()
        self._counted(physical, "", stats)
        figures = stats.figures()
        figures.setdefault(PASSAGES_KEY, 0.0)
        stale = [int(r["key"]) for r in self.rows_where(stats_name(physical), "key >= 0", [],
                                                        key="key", batch=5 * INSERT)
                 if int(r["key"]) not in figures]  # terms no row holds any more
        self._put_figures(physical, {**figures, **dict.fromkeys(stale, 0.0)})
        return stats

    # --- reading -----------------------------------------------------------------------------

    def _alias(self, alias: str) -> str | None:
        try:
            return self.client.describe_alias(alias).get("collection_name")
        except Exception as exc:  # noqa: BLE001
            message = str(exc).lower()
            if "alias" in message and ("not" in message or "exist" in message):
                return None
            raise self._error(exc) from None

    def alias_target(self) -> str | None:
        """The collection the alias points to, or None when there is no such alias."""
        return self._alias(self.collection)

    def _target(self) -> str:
        """The collection a change goes to: the alias's, which must be the folder's."""
        self._check_schema()
        target = self.alias_target()
        if target is None:
            raise MilvusUnavailable(f"no collection {self.collection} on {self.uri}; rebuild "
                                    "the index with `python -m index rebuild INDEX`")
        if self.physical and target != self.physical:
            raise MilvusUnavailable(f"{self.collection} on {self.uri} now serves {target}, not "
                                    f"the collection the index folder names ({self.physical}); "
                                    "another build replaced it - nothing was changed")
        return target

    def _check_schema(self) -> None:
        if self.schema != SCHEMA:
            raise MilvusUnavailable(f"the collection {self.physical or self.collection} on "
                                    f"{self.uri} was written by an earlier version (one "
                                    "collection per change); write it again with `python -m "
                                    "index rebuild INDEX`")

    def count(self) -> int:
        """Passages in the served collection (deleted ones not counted)."""
        rows = self._served(self.client.query, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def check(self, passages: list) -> None:
        """Serve the collection the folder was written with (:attr:`physical`, else the
        alias's), loaded, and map its passage keys to the folder's rows.  A full write
        elsewhere that moves the alias does not change what this store searches.  When the
        collection and the folder hold different numbers of passages (a change whose folder
        write failed, or a folder behind another host's change), :attr:`mismatch` says so and
        searches go on: a passage the folder does not know is skipped."""
        self._check_schema()
        physical = self.physical
        serving = physical if physical and self._call(self.client.has_collection, physical) \
            else None
        if serving is None and physical and self.alias_target() is not None:
            raise MilvusUnavailable(f"{self.collection} on {self.uri} no longer holds the "
                                    f"collection the index folder names ({physical}); another "
                                    "build replaced it - reload, or rebuild the index")
        serving = serving or self.alias_target()
        if serving is None:
            raise MilvusUnavailable(f"no collection {self.collection} on {self.uri}; rebuild "
                                    "the index with `python -m index build ... --backend "
                                    "milvus`")
        self._load(serving)  # a restarted server holds it released
        self.serving = serving
        keys = np.fromiter((passage_key(p.passage_id) for p in passages), dtype=np.int64,
                           count=len(passages))
        self._rows = np.argsort(keys, kind="stable")
        self._keys = keys[self._rows]
        rows = self.count()
        self.mismatch = None
        if rows != len(passages):
            self.mismatch = (f"{serving} on {self.uri} holds {rows:,} passages, the index "
                             f"folder {len(passages):,}: a change did not finish (run the same "
                             "add or remove again) or this folder is behind the collection")
            logging.getLogger(__name__).warning(self.mismatch)

    def _served(self, fn, *args, **kwargs):
        """A call on the served collection (:meth:`_on_loaded`)."""
        return self._on_loaded(self.serving or self.collection, fn, *args, **kwargs)

    def _on_loaded(self, name: str, fn, *args, **kwargs):
        """``fn(name, ...)``; a collection the server holds released (it was restarted, or an
        operator released it) is loaded again once, then called again."""
        try:
            return fn(name, *args, **kwargs)
        except (ValueError, TypeError, ImportError):
            raise
        except Exception as exc:  # noqa: BLE001 - pymilvus and grpc errors
            message = str(getattr(exc, "message", None) or exc).lower()
            if "not loaded" not in message and "released" not in message:
                raise self._error(exc) from None
        self._load(name)
        return self._call(fn, name, *args, **kwargs)

    def _scores(self, hits) -> dict[int, float]:
        """{folder row: score} of search hits; a passage the folder does not hold (written
        after it was loaded) is skipped."""
        out = {}
        for hit in hits:
            key = int(hit.get("pid", hit.get("id")))
            at = int(np.searchsorted(self._keys, key)) if self._keys is not None else 0
            if self._keys is not None and at < len(self._keys) and self._keys[at] == key:
                out[int(self._rows[at])] = float(hit["distance"])
        return out

    def _search(self, data, field: str, n: int, expr: str, params: dict) -> dict[int, float]:
        result = self._served(self.client.search, data=[data], anns_field=field, limit=n,
                              filter=expr, output_fields=["pid"], search_params=params)
        return self._scores(result[0])

    def query_vector(self, query: BM25Query) -> dict[int, float]:
        """The sparse query: each term's count times its field's weight times its idf, from
        the collection's statistics as they are now.  The last query's vector is kept for
        :data:`QUERY_MEMO` seconds: one search asks for it twice (the BM25 list, then Milvus's
        own hybrid search), and the statistics are one round trip."""
        memo = self._memo
        if memo is not None and memo[0] == query and time.monotonic() - memo[1] < QUERY_MEMO:
            return memo[2]
        vector = self._query_vector(query)
        self._memo = (query, time.monotonic(), vector)
        return vector

    def _query_vector(self, query: BM25Query) -> dict[int, float]:
        terms = query_terms(query)
        if not terms:
            return {}
        figures = self.figures({key for _, key in terms} | {PASSAGES_KEY, *FLOOR_KEY.values()})
        passages, out = figures.get(PASSAGES_KEY, 0.0), {}
        for (prefix, key), weight in terms.items():
            df = figures.get(key)
            if df:
                value = weight * idf_of(df, passages, figures.get(FLOOR_KEY[prefix], 0.0))
                if value > 0:
                    out[key] = out.get(key, 0.0) + value
        return out

    # --- the retrieval interface (index.retrieval) ---------------------------------------------

    def bm25(self, query: BM25Query, where: Where, n: int) -> dict[int, float]:
        vector = self.query_vector(query)
        if not vector:
            return {}
        return self._search(vector, "bm25", n, filter_expression(where.filters, where.groups),
                            {"metric_type": "IP"})

    def dense(self, vector: np.ndarray, where: Where, n: int) -> dict[int, float]:
        return self._search(np.asarray(vector, dtype=np.float32).tolist(), "dense", n,
                            filter_expression(where.filters, where.groups),
                            self.config.dense_params(n))

    def hybrid(self, query: BM25Query, dense_vector: np.ndarray, where: Where, n: int,
               ranker: str, dense_weight: float = 0.5, rrf_k: int = 60) -> dict[int, float]:
        """Fused by Milvus itself: ``ranker`` is ``rrf`` (RRFRanker) or ``weighted``
        (WeightedRanker with ``1 - dense_weight`` and ``dense_weight``, scores normalized)."""
        from pymilvus import AnnSearchRequest, RRFRanker, WeightedRanker

        if ranker not in ("rrf", "weighted"):
            raise ValueError(f"unknown Milvus ranker {ranker!r}; expected rrf or weighted")
        sparse_vector = self.query_vector(query)
        expr = filter_expression(where.filters, where.groups)
        requests = [AnnSearchRequest([np.asarray(dense_vector, dtype=np.float32).tolist()],
                                     "dense", self.config.dense_params(n), n, expr=expr or None)]
        weights = [dense_weight]
        if sparse_vector:
            requests.append(AnnSearchRequest([sparse_vector], "bm25", {"metric_type": "IP"}, n,
                                             expr=expr or None))
            weights.append(1 - dense_weight)
        fuse = RRFRanker(rrf_k) if ranker == "rrf" else WeightedRanker(*weights, norm_score=True)
        result = self._served(self.client.hybrid_search, requests, fuse, limit=n,
                              output_fields=["pid"])
        return self._scores(result[0])


def stats_name(physical: str) -> str:
    """The statistics collection of a physical collection."""
    return f"{physical}__stats"


def docs_name(physical: str) -> str:
    """The documents collection of a physical collection (texts, metadata, the manifest)."""
    return f"{physical}__docs"


def server_manifest(data, config: MilvusConfig) -> dict:
    """What a host needs to make an index folder of the collection (:mod:`index.ingest`)."""
    manifest = data.manifest_for(data.manifest.get("chunking"))
    keep = ("format_version", "model", "analyzer", "bm25", "chunking")
    return {**{k: manifest[k] for k in keep}, "milvus": config.record()}


def document_rows(doc) -> list[dict]:
    """A document as rows of the documents collection: its record (doc_id, title, source,
    metadata, text) as JSON, cut into pieces of at most :data:`DOC_BYTES` bytes."""
    record = document_record(doc)
    raw, pieces, start = record.encode("utf-8"), [], 0
    while start < len(raw):
        end = min(len(raw), start + DOC_BYTES)
        while end < len(raw) and raw[end] & 0xC0 == 0x80:  # whole characters in each piece
            end -= 1
        pieces.append(raw[start:end].decode("utf-8"))
        start = end
    doc_id, stamp = _cut(doc.doc_id, ID_BYTES), document_stamp(doc)
    return [{"key": f"d:{doc_id}#{i}", "doc_id": doc_id, "part": i, "parts": len(pieces),
             "stamp": stamp, "payload": piece, "v": [0.0, 0.0]}
            for i, piece in enumerate(pieces)]


def document_record(doc) -> str:
    """A document as the documents collection holds it: JSON of its id, title, source,
    metadata and text."""
    return json.dumps({"doc_id": doc.doc_id, "title": doc.title, "source": doc.source,
                       "metadata": doc.metadata, "text": doc.text}, ensure_ascii=False)


def document_stamp(doc) -> str:
    """What tells one version of a document from another: a hash of its record."""
    return hashlib.blake2b(document_record(doc).encode("utf-8"), digest_size=16).hexdigest()


def _lock_time(holder: str | None) -> float | None:
    """When a writer lock was taken: the seconds in its collection's name."""
    try:
        return float(holder.rsplit("__lock_", 1)[1].split("_")[0]) if holder else None
    except (IndexError, ValueError):
        return None


def row_of(hit: dict) -> int:
    """The passage row of a search hit (the primary key, under its name or as ``id``)."""
    return int(hit["row"] if "row" in hit else hit["id"])


def _filter_values(meta: dict) -> dict:
    """As ``Searcher``'s filters compare them: normalized ``str`` of the value, cut."""
    values = {key: _cut(normalize(filter_value(meta, key)), FIELD_BYTES) for key in FILTER_FIELDS}
    values["year"] = document_year(meta) or 0
    access = meta.get("access") or []
    values["access"] = _cut(f"|{'|'.join(access)}|", FIELD_BYTES) if access else ""
    return values
