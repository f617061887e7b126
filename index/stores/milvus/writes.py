"""Writing an index's collections: full writes behind the alias, changes in place under the
server-side writer lock, the documents and manifest on the server, statistics counted again."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from search.filters import doc_id_filters

from .collection import MilvusCollection
from .config import (
    AVGDL_KEY,
    BATCH,
    INSERT,
    LOCK_STALE,
    LOCK_WAIT,
    MANIFEST_KEY,
    PASSAGES_KEY,
    TERM_FIELDS,
    MilvusBusy,
    MilvusUnavailable,
    docs_name,
    stats_name,
)
from .rows import (
    TermStats,
    document_rows,
    folder_rows,
    folder_stats,
    lock_time,
    new_rows,
    server_manifest,
)


class MilvusWrites(MilvusCollection):
    """Full writes and changes in place (:class:`MilvusCollection` underneath)."""


    def write(self, data, say=None, items=None) -> tuple[str, str | None]:
        """Write every passage of ``data`` (``index.stores.folder.IndexData``; ``items``: its
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
                since = lock_time(holder)
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

    def ensure(self, data) -> str:
        """The live collection, created empty (with the manifest of ``data``, an empty
        ``index.stores.folder.IndexData`` of the model and analyzer) when there is none: for workers
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
