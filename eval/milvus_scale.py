"""Milvus at the largest size a machine allows: ``python -m eval milvus-scale --uri URI``.

1. **Scale folder**: the law archive's base index replicated into marked copies as ``eval perf``
   makes it (:func:`eval.perf.replicate`), kept in the cache for the next run.
2. **Full write** into a new collection, streamed from the folder as ``index publish`` does
   (``MilvusStore.write``, in a process of its own): seconds, passages per second, and the
   writer's peak memory: its own (``RssAnon``, sampled) and with the pages of the folder's
   mapped files (``VmHWM``), which the system drops when it needs the memory.
3. **Queries** in a fresh process: p50 / p95 per mode on Milvus and on the folder's own arrays,
   and recall@10 of Milvus against the folder, by score (marked copies tie, so which copy comes
   back does not matter); with a filter on the partition key (a year), p50 / p95 of filtered
   searches beside the unfiltered ones.
4. **One addition** of a law of about 30 passages into the live collection, in a process of its
   own: by ``index ingest`` (the collection changed in place, no folder) and by ``index add``
   on the served folder (the collection, then the host's folder written again): seconds and
   peak memory of each.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from index.paths import cache_dir
from index.worker import peak_rss_mb

from .perf import DEFAULT_CORPUS, base_index, replicate, sample_queries, timed

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


def _child(function: str, *arguments) -> dict:
    """``eval.milvus_scale.<function>(*arguments)`` in a fresh process: its JSON result."""
    code = (f"import json, sys; from index.logs import show_progress; show_progress(); "
            f"from eval.milvus_scale import {function}; "
            f"print(json.dumps({function}(*json.loads(sys.argv[1]))))")
    child = subprocess.run([sys.executable, "-c", code, json.dumps(arguments)], cwd=ROOT,
                           capture_output=True, text=True, check=False, env={**os.environ})
    if child.returncode != 0:
        raise RuntimeError(f"{function} failed: {child.stderr.strip()[-2000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def scale_folder(corpus: Path, passages: int) -> Path:
    """The replicated index of ``passages`` passages, written once into the cache."""
    from index.stores.folder import write_index
    from index.stores.loading import load_index, unusable_reason

    base_dir = base_index(corpus)
    out = cache_dir() / "perf" / f"milvus-scale-{base_dir.name}-{passages}"
    if (out / "manifest.json").exists() and not unusable_reason(out):
        return out
    log.info(f"Writing the scale folder of {passages:,} passages to {out} ...")
    write_index(replicate(load_index(base_dir, mmap=False), passages), out)
    return out


def write_child(scale_dir: str, uri: str, collection: str, config: dict, served: str) -> dict:
    """Write the scale folder's passages into a new collection, streamed as ``index publish``
    does; the served folder is the same files (hard links) with the collection recorded."""
    import shutil

    from index.stores.folder import write_manifest
    from index.stores.loading import iter_documents, load_arrays
    from index.stores.milvus import MilvusConfig, MilvusStore

    store = MilvusStore(uri, collection, config=MilvusConfig.from_record(config))
    sampler = AnonymousPeak()
    data = load_arrays(scale_dir)
    started = time.perf_counter()
    physical, old = store.write(data, say=log.info, items=iter_documents(scale_dir))
    seconds = time.perf_counter() - started
    out = {"s": seconds, "passages": data.bm25.n_docs, "rate": data.bm25.n_docs / seconds,
           "peak_mb": peak_rss_mb(), "anon_peak_mb": sampler.stop()}
    store.drop_collection(old)
    shutil.copytree(Path(scale_dir).resolve(), served, copy_function=os.link)
    write_manifest(Path(served), backend=store.backend_record(physical))
    return out


class AnonymousPeak:
    """The highest anonymous resident memory (``RssAnon``: the process's own, not pages of
    mapped files, which the system drops when it needs them) seen by a sampling thread."""

    def __init__(self, every: float = 0.05):
        import threading

        self.peak, self._stop = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._thread.start()

    @staticmethod
    def now_mb() -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            self.peak = max(self.peak, self.now_mb())

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return max(self.peak, self.now_mb())


def _by_score(mine: dict, truth: dict, n: int = 10) -> float:
    """Share of ``mine``'s top ``n`` scoring at least the ``n``-th exact score (ties count)."""
    want = sorted(truth.values(), reverse=True)[:n]
    if not want:
        return 1.0
    got = sorted(mine.values(), reverse=True)[:n]
    return sum(s >= want[-1] - 1e-4 * max(1.0, abs(want[-1])) for s in got) / len(want)


def query_child(served: str, scale_dir: str, queries: list[str], year: int) -> dict:
    """Latency per mode on Milvus and on the folder, recall@10 by score, filtered searches."""
    from search import Searcher
    from search.filters import Where

    remote, local = Searcher.load(served, rerank=False), Searcher.load(scale_dir, rerank=False)
    remote.embedder.encode(["khởi động"], "query")
    out: dict = {"passages": len(remote.data.passages)}

    for name, searcher in (("milvus", remote), ("folder", local)):
        for mode in ("bm25", "dense", "hybrid"):
            out[f"{name}_{mode}"] = timed(
                queries, lambda q: searcher.search(q, k=10, mode=mode, answers=False))
    recall = {"bm25": [], "dense": []}
    for q in queries:
        info = local.analyze(q)
        recall["bm25"].append(_by_score(remote.bm25_run(info, None, 10),
                                        local.bm25_run(info, None, 10)))
        vector = local.query_vector(q)
        recall["dense"].append(_by_score(remote.dense_run(vector, None, 10),
                                         local.dense_run(vector, None, 10)))
    out["recall_bm25"], out["recall_dense"] = (float(np.mean(recall[m])) for m in recall)
    filters = {"year": year}
    for mode in ("bm25", "dense"):
        out[f"filtered_{mode}"] = timed(
            queries, lambda q: remote.search(q, k=10, mode=mode, filters=filters, answers=False))
    where = Where(filters)
    out["filtered_hits"] = float(np.mean([len(remote.dense_run(local.query_vector(q), where,
                                                               10)) for q in queries[:10]]))
    out["peak_mb"] = peak_rss_mb()
    return out


def ingest_child(uri: str, collection: str, document: str) -> dict:
    """One document into the live collection, in place, no folder: seconds, peak memory."""
    from index.ingest import ingest
    from index.stores.milvus import MilvusStore

    store, sampler = MilvusStore(uri, collection), AnonymousPeak()
    started = time.perf_counter()
    report = ingest([document], store)
    return {"s": time.perf_counter() - started, "passages": report.passages,
            "peak_mb": peak_rss_mb(), "anon_peak_mb": sampler.stop()}


def add_child(served: str, document: str) -> dict:
    """One document added to the served folder: the collection, then the folder."""
    from index.build import add

    sampler = AnonymousPeak()
    started = time.perf_counter()
    report = add([document], served)
    return {"s": time.perf_counter() - started, "passages": report.passages,
            "peak_mb": peak_rss_mb(), "anon_peak_mb": sampler.stop()}


def thirty_passage_law(corpus: Path, known: set[str], lo: int = 25, hi: int = 35) -> Path:
    """A law of the corpus outside the index, of ``lo`` to ``hi`` passages (about 30)."""
    from index.build import CHUNKING
    from index.chunking import split_document
    from index.readers.documents import DocumentError, read_file

    for path in sorted(Path(corpus).iterdir(), key=lambda p: p.stat().st_size):
        if not path.is_file() or path.stem in known:
            continue
        try:
            if lo <= len(split_document(read_file(path), **CHUNKING)) <= hi:
                return path
        except DocumentError:
            continue
    raise ValueError(f"{corpus}: no document of {lo} to {hi} passages outside the index")


def run(uri: str, corpus: Path, passages: int, n_queries: int,
        partition_key: str | None = "year", law_corpus: Path | None = None) -> dict:
    from collections import Counter

    from index.readers.metadata import document_year
    from index.stores.loading import load_index
    from index.stores.milvus import MilvusConfig, MilvusStore
    from index.stores.versions import delete_index

    scale_dir = scale_folder(corpus, passages)
    data = load_index(scale_dir)
    queries = sample_queries(data, n_queries)
    years = Counter(document_year(d.metadata) for d in data.documents.values()
                    if document_year(d.metadata))
    year = years.most_common(1)[0][0] if years else 2020
    law = thirty_passage_law(law_corpus or DEFAULT_CORPUS,
                             {d.split("~")[0] for d in data.documents})
    del data
    collection = f"tracuu_scale_{passages}"
    config = MilvusConfig(partition_key=partition_key)
    report = {"passages": passages, "queries": len(queries), "partition_key": partition_key,
              "year": year, "law": law.name}
    with tempfile.TemporaryDirectory() as tmp:
        served = Path(tmp) / "served"
        store = MilvusStore(uri, collection)
        steps = [("write", f"Writing {passages:,} passages into Milvus ({uri}) ...",
                  ("write_child", str(scale_dir), uri, collection, config.record(),
                   str(served))),
                 ("query", "Queries ...",
                  ("query_child", str(served), str(scale_dir), queries, year)),
                 ("ingest", f"One law of about 30 passages ({law.name}) in place ...",
                  ("ingest_child", uri, collection, str(law))),
                 ("add", "... and through the folder ...", ("add_child", str(served), str(law)))]
        try:
            for name, message, call in steps:  # a step that fails keeps the figures before it
                log.info(message)
                try:
                    report[name] = _child(*call)
                except RuntimeError as exc:
                    report["failed"] = f"{name}: {str(exc).strip().splitlines()[-1][:300]}"
                    break
                log.info(json.dumps(report[name]))
        finally:
            store.drop()
            store.close()
            if (served / "manifest.json").exists():
                delete_index(served)
    return report


def table(r: dict) -> str:
    w, q = r.get("write"), r.get("query")
    lines = [f"Milvus at {r['passages']:,} passages ({r['queries']} queries; partition key "
             f"{r['partition_key'] or 'none'})", "", "| step | figure |", "|---|---:|"]
    if w:
        lines += [f"| full write | {w['s']:.0f} s, {w['rate']:,.0f} passages/s |",
                  f"| writer peak memory: own (RssAnon) / with mapped files (VmHWM) | "
                  f"{w['anon_peak_mb']:,.0f} MB / {w['peak_mb']:,.0f} MB |"]
    if q:
        for mode in ("bm25", "dense", "hybrid"):
            m, f = q[f"milvus_{mode}"], q[f"folder_{mode}"]
            lines.append(f"| {mode} p50 / p95: Milvus, folder | {m[0]:.0f} / {m[1]:.0f} ms, "
                         f"{f[0]:.0f} / {f[1]:.0f} ms |")
        lines.append(f"| recall@10 against the folder (bm25, dense) | {q['recall_bm25']:.3f}, "
                     f"{q['recall_dense']:.3f} |")
        for mode in ("bm25", "dense"):
            m = q[f"filtered_{mode}"]
            lines.append(f"| {mode} filtered on year {r['year']} p50 / p95 | {m[0]:.0f} / "
                         f"{m[1]:.0f} ms |")
    for name, label in (("ingest", "index ingest (in place, no folder)"),
                        ("add", "index add (collection, then the folder)")):
        if name in r:
            a = r[name]
            lines.append(f"| one law of {a['passages']} passages, {label} | {a['s']:.1f} s, "
                         f"peak {a['anon_peak_mb']:,.0f} MB own / {a['peak_mb']:,.0f} MB |")
    if q:
        lines.append(f"| search process peak memory (both backends loaded) | "
                     f"{q['peak_mb']:,.0f} MB |")
    if r.get("failed"):
        lines.append(f"| failed | {r['failed']} |")
    return "\n".join(lines)
