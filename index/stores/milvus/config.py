"""The layout of an index's collections on a Milvus server, how to reach the server, and
the errors it reports."""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from search.filters import FILTER_FIELDS

SCHEMA = 2  # the collection layout written here (v1: a new collection for every change)
ID_SPACE = 2**32 - 2  # sparse dimensions Milvus accepts: 0 .. 2**32 - 2
EMPTY_ID = ID_SPACE  # a passage without terms gets this dimension, never queried
BATCH = 10_000  # passages a write step holds in memory
INSERT = 500  # rows an insert call
TEXT_BYTES = 65_535
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


class MilvusBusy(RuntimeError):
    """Another writer holds the collection's lock; the message says since when."""


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


def stats_name(physical: str) -> str:
    """The statistics collection of a physical collection."""
    return f"{physical}__stats"


def docs_name(physical: str) -> str:
    """The documents collection of a physical collection (texts, metadata, the manifest)."""
    return f"{physical}__docs"


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
