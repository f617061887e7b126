"""The connection to Milvus and the collections of one index: alias, creation, loading,
rows in and out, statistics rows."""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from search.backends import BM25Query
from search.filters import FIELD_BYTES, FILTER_FIELDS, ID_BYTES

from .config import (
    FLOOR_KEY,
    INSERT,
    SCALAR_INDEXED,
    SCHEMA,
    TEXT_BYTES,
    MilvusBusy,
    MilvusConfig,
    MilvusUnavailable,
    client_uri,
    docs_name,
    server_hint,
    stats_name,
    tls_options,
)


@dataclass
class MilvusCollection:
    """The collections of one index on a Milvus server (or milvus-lite file), and the
    connection to it."""

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
    def for_index(cls, backend: dict, uri: str | None = None) -> MilvusCollection | None:
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

    def _new_physical(self) -> str:
        """A name for a new physical collection behind the alias; refused when the alias's
        name is a collection this project did not write."""
        if self.alias_target() is None and self._call(self.client.has_collection,
                                                      self.collection):
            raise MilvusUnavailable(f"{self.collection} on {self.uri} is a collection, not an "
                                    "alias this project wrote; choose another --collection")
        return f"{self.collection}__{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:8]}"

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

    def _insert(self, physical: str, rows: list[dict], upsert: bool = False,
                size: int = INSERT) -> None:
        write = self.client.upsert if upsert else self.client.insert
        for i in range(0, len(rows), size):
            self._call(write, physical, rows[i:i + size])

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
