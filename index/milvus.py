"""Milvus as the serving store of an index: the same search when one machine is not enough.

An index built with ``--backend milvus --uri URI`` is still a folder (manifest, documents,
passages, BM25 statistics: what citations, answers and the document viewer read), and its
passages are also one Milvus collection that serves the two retrievals:

=============  ==========================  ===============================================
field          type                        what
=============  ==========================  ===============================================
row            INT64, primary key          the passage's row in the folder's tables
passage_id     VARCHAR                     ``doc_id#n``
doc_id         VARCHAR
section        VARCHAR                     section path (``Chương I › Điều 3``)
start, end     INT64                       offsets of the passage in its document's text
text           VARCHAR                     the passage (cut at 65,535 bytes, Milvus's limit)
doc_type,      VARCHAR                     normalized metadata of the document, for filters
issuer, level,
code
access         VARCHAR                     the document's access groups as ``|a|b|``, "" for
                                           every reader (``index.access``)
year           INT64                       the document's year, 0 when it has none
dense          FLOAT_VECTOR (dim)          the passage embedding; HNSW, inner product
bm25           SPARSE_FLOAT_VECTOR         BM25 weights; sparse inverted index, inner product
=============  ==========================  ===============================================

**BM25 as client-side sparse vectors.**  A passage's vector holds, for each of its terms, the
term's idf times its saturated frequency (``index.bm25``), for the accented terms and, under
other ids, the accent-free ones; a query's vector holds each term's count times the weight of
its field.  Their inner product is exactly the embedded BM25 score
(``index.retrieval.EmbeddedRetrieval.bm25``), up to float32 rounding, with two exceptions too
rare to matter: term ids are the first four bytes of a BLAKE2b hash of ``field:term`` (so a
query needs no vocabulary), and two terms whose hashes collide share a dimension (about one
pair in a vocabulary of 100k terms); and postings with a negative idf, which only a tiny corpus
has, are left out (Milvus takes no negative weights).  Milvus's
built-in BM25 function was measured and not used (``python -m eval milvus``,
docs/scale-out.md): it computes its own idf and length norm over its analyzer's tokens, with
no accent-free field and no rank-bm25 idf floor, and its top 10 overlaps ours at 0.84.  The
price: idf is frozen when the collection is written, so adding documents rewrites the
collection (see :meth:`MilvusStore.write`).

**No partial writes.**  Each write goes to a new physical collection ``<name>__<stamp>``; only
when it is complete, indexed and loaded does the alias ``<name>`` move to it.  The folder is
written next, and only then is the old collection dropped: a write that fails leaves the alias
on the previous complete collection, and a folder that fails to be written still names a
collection that exists, which its searchers keep using (they search the collection the folder
names, not the alias).  A build in another process never mixes its rows with a loaded
searcher's passage list: once it drops that collection, the searcher gets an error.

**Errors.**  Every call goes through :meth:`MilvusStore._call`, which turns a lost or refused
connection into :class:`MilvusUnavailable` naming the URI and the way to start a server.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from .metadata import document_year, year_range
from .retrieval import FILTER_FIELDS, BM25Query, Where, check_filter, filter_value, wanted
from .text import normalize

ID_SPACE = 2**32 - 2  # sparse dimensions Milvus accepts: 0 .. 2**32 - 2
EMPTY_ID = ID_SPACE  # a passage without terms gets this dimension, never queried
BATCH = 512  # rows a insert call
TEXT_BYTES = 65_535
FIELD_BYTES = 500  # metadata values for filters, compared cut to this length on both sides
ID_BYTES = 2048


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
        if key == "year":
            lo, hi = year_range(want)
            parts.append(f"(year >= {lo} and year <= {hi} and year > 0)")
        elif key in FILTER_FIELDS:
            values = ", ".join(escape(_cut(normalize(str(v)), FIELD_BYTES)) for v in wanted(want))
            parts.append(f"{key} in [{values}]")
        else:  # doc_id
            parts.append(f"doc_id in [{', '.join(escape(str(v)) for v in wanted(want))}]")
    return " and ".join(parts)


def _cut(text: str, limit: int) -> str:
    raw = text.encode("utf-8")
    return text if len(raw) <= limit else raw[:limit].decode("utf-8", "ignore")


def sparse_rows(bm25, prefix: str) -> list[dict[int, float]]:
    """Per passage, {term id: idf * saturated tf} of one BM25 field (``index.bm25.BM25``)."""
    ids = np.array([term_id(prefix, t) for t in bm25.vocab], dtype=np.int64)
    tf = bm25.tf
    values = bm25.weights() * bm25.idf()[np.repeat(np.arange(tf.shape[1]), np.diff(tf.indptr))]
    from scipy import sparse

    by_row = sparse.csc_matrix((values, tf.indices, tf.indptr), shape=tf.shape).tocsr()
    out = []
    for r in range(by_row.shape[0]):
        lo, hi = by_row.indptr[r], by_row.indptr[r + 1]
        out.append({int(ids[j]): float(v) for j, v in zip(by_row.indices[lo:hi],
                                                           by_row.data[lo:hi]) if v > 0})
    return out


def query_vector(query: BM25Query) -> dict[int, float]:
    """The sparse query: each term's count times its field's weight."""
    out: dict[int, float] = {}
    for prefix, terms, weight in (("a", query.terms, query.weight),
                                  ("f", query.folded_terms, query.folded_weight)):
        for term in terms if weight > 0 else ():
            key = term_id(prefix, term)
            out[key] = out.get(key, 0.0) + weight
    return out


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

    def __post_init__(self):
        self._client = None
        self.serving: str | None = None  # the physical collection checked by check()

    @classmethod
    def for_index(cls, backend: dict, uri: str | None = None) -> MilvusStore | None:
        """The store an index folder's backend record names (``IndexData.backend``), or None
        when the folder searches itself; ``uri`` points it at another server."""
        if backend.get("name") != "milvus":
            return None
        return cls(uri or backend["uri"], backend["collection"], physical=backend.get("physical"))

    def backend_record(self, physical: str) -> dict:
        return {"name": "milvus", "uri": self.uri, "collection": self.collection,
                "physical": physical}

    # --- the connection ----------------------------------------------------------------------

    @property
    def client(self):
        if self._client is None:
            try:
                from pymilvus import MilvusClient
            except ImportError as exc:
                raise ImportError("pymilvus is not available - install it with `pip install "
                                  "pymilvus milvus-lite` to use the Milvus backend") from exc
            for name in ("pymilvus", "pymilvus.milvus_client"):  # errors are raised, not logged
                logging.getLogger(name).setLevel(logging.CRITICAL)
            self._client = self._call(MilvusClient, uri=client_uri(self.uri), token=self.token,
                                      timeout=self.timeout)
        return self._client

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ValueError, TypeError, ImportError):
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

    # --- writing -----------------------------------------------------------------------------

    def write(self, data) -> tuple[str, str | None]:
        """Write every passage of ``data`` (``index.store.IndexData``) to a new physical
        collection, then move the alias to it.  Returns (new collection, the one the alias
        left, or None); the caller drops the old one with :meth:`drop_collection` once the
        folder records the new one, so a failure in between leaves a usable index."""
        from pymilvus import DataType, MilvusClient

        physical = f"{self.collection}__{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:8]}"
        client = self.client
        if self._call(client.has_collection, physical):
            raise MilvusUnavailable(f"{physical} already exists on {self.uri}; try again")
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("row", DataType.INT64, is_primary=True)
        for name, length in (("passage_id", ID_BYTES), ("doc_id", ID_BYTES), ("section", 4096),
                             ("access", FIELD_BYTES), *((f, FIELD_BYTES) for f in FILTER_FIELDS)):
            schema.add_field(name, DataType.VARCHAR, max_length=length)
        schema.add_field("text", DataType.VARCHAR, max_length=TEXT_BYTES)
        for name in ("start", "end", "year"):
            schema.add_field(name, DataType.INT64)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=data.dense.dim)
        schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
        self._call(client.create_collection, physical, schema=schema)
        try:
            self._fill(physical, data)
            indexes = client.prepare_index_params()
            indexes.add_index(field_name="dense", index_type="HNSW", metric_type="IP",
                              params={"M": 32, "efConstruction": 200})
            indexes.add_index(field_name="bm25", index_type="SPARSE_INVERTED_INDEX",
                              metric_type="IP")
            self._call(client.create_index, physical, indexes)
            self._call(client.load_collection, physical)
            old = self.alias_target()
            if old is None:
                if self._call(client.has_collection, self.collection):
                    raise MilvusUnavailable(f"{self.collection} on {self.uri} is a collection, "
                                            "not an alias this project wrote; choose another "
                                            "--collection")
                self._call(client.create_alias, physical, self.collection)
            else:
                self._call(client.alter_alias, physical, self.collection)
        except BaseException:
            try:
                client.drop_collection(physical)
            except Exception:  # noqa: BLE001 - the server may be the thing that failed
                pass
            raise
        return physical, (old if old != physical else None)

    def drop_collection(self, name: str | None) -> None:
        """Drop a collection the alias no longer points to (quietly: a stale one is harmless)."""
        if name and name != self.alias_target():
            try:
                self.client.drop_collection(name)
            except Exception:  # noqa: BLE001
                pass

    def _fill(self, physical: str, data) -> None:
        accented, folded = sparse_rows(data.bm25, "a"), sparse_rows(data.folded, "f")
        vectors = np.asarray(data.dense.vectors(), dtype=np.float32)
        meta = {doc_id: _filter_values(doc.metadata) for doc_id, doc in data.documents.items()}
        rows = []
        for row, p in enumerate(data.passages):
            bm25 = {**accented[row], **folded[row]} or {EMPTY_ID: 1e-9}
            rows.append({"row": row, "passage_id": _cut(p.passage_id, ID_BYTES),
                         "doc_id": _cut(p.doc_id, ID_BYTES),
                         "section": _cut(p.section, 4096), "text": _cut(p.text, TEXT_BYTES),
                         "start": p.start, "end": p.end, **meta[p.doc_id],
                         "dense": vectors[row].tolist(), "bm25": bm25})
            if len(rows) == BATCH:
                self._call(self.client.insert, physical, rows)
                rows = []
        if rows:
            self._call(self.client.insert, physical, rows)
        self._call(self.client.flush, physical)

    def drop(self) -> None:
        """Remove the alias and its collection."""
        physical = self.alias_target()
        if physical is not None:
            self._call(self.client.drop_alias, self.collection)
            self._call(self.client.drop_collection, physical)

    # --- reading -----------------------------------------------------------------------------

    def alias_target(self) -> str | None:
        """The collection the alias points to, or None when there is no such alias."""
        try:
            return self.client.describe_alias(self.collection).get("collection_name")
        except Exception as exc:  # noqa: BLE001
            message = str(exc).lower()
            if "alias" in message and ("not" in message or "exist" in message):
                return None
            raise self._error(exc) from None

    def count(self) -> int:
        stats = self._call(self.client.get_collection_stats, self.serving or self.collection)
        return int(stats.get("row_count", 0))

    def check(self, passages: int) -> None:
        """Serve the collection the folder was written with (:attr:`physical`, else the
        alias's), loaded, and raise unless it holds the folder's ``passages``.  A build
        elsewhere that moves the alias does not change what this store searches."""
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
        self._call(self.client.load_collection, serving)  # a restarted server holds it released
        self.serving = serving
        rows = self.count()
        if rows != passages:
            raise MilvusUnavailable(f"{serving} on {self.uri} holds {rows} passages, the index "
                                    f"folder {passages}; rebuild it")

    def _served(self, fn, *args, **kwargs):
        """A search on the served collection; a collection the server holds released (it was
        restarted, or an operator released it) is loaded again once, then searched."""
        name = self.serving or self.collection
        try:
            return fn(name, *args, **kwargs)
        except (ValueError, TypeError, ImportError):
            raise
        except Exception as exc:  # noqa: BLE001 - pymilvus and grpc errors
            message = str(getattr(exc, "message", None) or exc).lower()
            if "not loaded" not in message and "released" not in message:
                raise self._error(exc) from None
        self._call(self.client.load_collection, name)
        return self._call(fn, name, *args, **kwargs)

    def _search(self, data, field: str, n: int, expr: str, params: dict) -> dict[int, float]:
        result = self._served(self.client.search, data=[data], anns_field=field, limit=n,
                              filter=expr, output_fields=["row"], search_params=params)
        return _scores(result[0])

    # --- the retrieval interface (index.retrieval) ---------------------------------------------

    def bm25(self, query: BM25Query, where: Where, n: int) -> dict[int, float]:
        vector = query_vector(query)
        if not vector:
            return {}
        return self._search(vector, "bm25", n, filter_expression(where.filters, where.groups),
                            {"metric_type": "IP"})

    def dense(self, vector: np.ndarray, where: Where, n: int) -> dict[int, float]:
        return self._search(np.asarray(vector, dtype=np.float32).tolist(), "dense", n,
                            filter_expression(where.filters, where.groups),
                            {"metric_type": "IP", "params": {"ef": max(128, 2 * n)}})

    def hybrid(self, query: BM25Query, dense_vector: np.ndarray, where: Where, n: int,
               ranker: str, dense_weight: float = 0.5, rrf_k: int = 60) -> dict[int, float]:
        """Fused by Milvus itself: ``ranker`` is ``rrf`` (RRFRanker) or ``weighted``
        (WeightedRanker with ``1 - dense_weight`` and ``dense_weight``, scores normalized)."""
        from pymilvus import AnnSearchRequest, RRFRanker, WeightedRanker

        sparse_vector, expr = query_vector(query), filter_expression(where.filters, where.groups)

        requests = [AnnSearchRequest([np.asarray(dense_vector, dtype=np.float32).tolist()],
                                     "dense", {"metric_type": "IP",
                                               "params": {"ef": max(128, 2 * n)}}, n,
                                     expr=expr or None)]
        weights = [dense_weight]
        if sparse_vector:
            requests.append(AnnSearchRequest([sparse_vector], "bm25", {"metric_type": "IP"}, n,
                                             expr=expr or None))
            weights.append(1 - dense_weight)
        if ranker == "rrf":
            fuse = RRFRanker(rrf_k)
        elif ranker == "weighted":
            fuse = WeightedRanker(*weights, norm_score=True)
        else:
            raise ValueError(f"unknown Milvus ranker {ranker!r}; expected rrf or weighted")
        result = self._served(self.client.hybrid_search, requests, fuse, limit=n,
                              output_fields=["row"])
        return _scores(result[0])


def row_of(hit: dict) -> int:
    """The passage row of a search hit (the primary key, under its name or as ``id``)."""
    return int(hit["row"] if "row" in hit else hit["id"])


def _scores(hits) -> dict[int, float]:
    return {row_of(hit): float(hit["distance"]) for hit in hits}


def _filter_values(meta: dict) -> dict:
    """As ``Searcher``'s filters compare them: normalized ``str`` of the value, cut."""
    values = {key: _cut(normalize(filter_value(meta, key)), FIELD_BYTES) for key in FILTER_FIELDS}
    values["year"] = document_year(meta) or 0
    access = meta.get("access") or []
    values["access"] = _cut(f"|{'|'.join(access)}|", FIELD_BYTES) if access else ""
    return values
