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
the inner product is exactly the embedded BM25 (``search.backends.FolderBackend.bm25``) up
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

**Errors.**  Every call goes through :meth:`MilvusCollection._call`, which turns a lost or
refused connection into :class:`MilvusUnavailable` naming the URI and the way to start a server.

The package, by role: :mod:`.config` (layout, connection, errors), :mod:`.rows` (passages,
statistics and documents as rows), :mod:`.collection` (the connection and the collections),
:mod:`.writes` (full writes and changes in place), :mod:`.store` (the searches).
"""

from .collection import MilvusCollection
from .config import (
    AVGDL_KEY,
    BATCH,
    CONSISTENCY,
    DOC_BYTES,
    EMPTY_ID,
    FLOOR_KEY,
    ID_SPACE,
    INDEX_TYPES,
    INSERT,
    LOCK_STALE,
    LOCK_WAIT,
    MANIFEST_KEY,
    PARTITION_KEYS,
    PASSAGES_KEY,
    QUERY_MEMO,
    SCALAR_INDEXED,
    SCHEMA,
    TERM_FIELDS,
    TEXT_BYTES,
    TEXT_MODES,
    TLS_VARIABLES,
    TOTAL_KEY,
    MilvusBusy,
    MilvusConfig,
    MilvusUnavailable,
    client_uri,
    collection_name,
    docs_name,
    parse_index_uri,
    server_hint,
    stats_name,
    tls_options,
)
from .rows import (
    TermStats,
    document_record,
    document_rows,
    document_stamp,
    filter_values,
    folder_rows,
    folder_stats,
    idf_of,
    lock_time,
    new_rows,
    passage_key,
    passage_row,
    query_terms,
    row_of,
    saturated,
    server_manifest,
    term_id,
)
from .store import MilvusStore
from .writes import MilvusWrites

__all__ = [
    "AVGDL_KEY",
    "BATCH",
    "CONSISTENCY",
    "DOC_BYTES",
    "EMPTY_ID",
    "FLOOR_KEY",
    "ID_SPACE",
    "INDEX_TYPES",
    "INSERT",
    "LOCK_STALE",
    "LOCK_WAIT",
    "MANIFEST_KEY",
    "MilvusBusy",
    "MilvusCollection",
    "MilvusConfig",
    "MilvusStore",
    "MilvusUnavailable",
    "MilvusWrites",
    "PARTITION_KEYS",
    "PASSAGES_KEY",
    "QUERY_MEMO",
    "SCALAR_INDEXED",
    "SCHEMA",
    "TERM_FIELDS",
    "TEXT_BYTES",
    "TEXT_MODES",
    "TLS_VARIABLES",
    "TOTAL_KEY",
    "TermStats",
    "client_uri",
    "collection_name",
    "docs_name",
    "document_record",
    "document_rows",
    "document_stamp",
    "filter_values",
    "folder_rows",
    "folder_stats",
    "idf_of",
    "lock_time",
    "new_rows",
    "parse_index_uri",
    "passage_key",
    "passage_row",
    "query_terms",
    "row_of",
    "saturated",
    "server_hint",
    "server_manifest",
    "stats_name",
    "term_id",
    "tls_options",
]
