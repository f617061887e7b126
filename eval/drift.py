"""How far BM25 on Milvus drifts from exact BM25 as documents are added in place:
``python -m eval drift --uri URI --corpus DIR``.

A collection's passage vectors carry saturated term frequencies against the average length
stored at its last full write, and queries take the idf from the collection's statistics
(:mod:`index.stores.milvus`).  Additions keep document frequencies and the passage count exact; the
average length and the floor of negative idfs stay as they were.  This measures what that costs:

1. files of the corpus (a seeded shuffle) holding ``1 / (1 + largest step)`` of its bytes are
   built into an index served by Milvus;
2. the other files are added one by one, in place, until the index has grown by each step
   (default +10 % and +100 % of its passages);
3. after each step, and after ``index rebuild``, every query's BM25 top 10 from Milvus is
   compared with the exact BM25 of the same folder (``search.backends.FolderBackend``):
   top-10 overlap, the share of queries with the same first passage, and how far the stored
   average lengths are from the true ones.
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import replace
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

STEPS = (0.10, 1.00)


def measure(folder: Path, queries: list[str], label: str, base: int) -> dict:
    """Milvus's BM25 top 10 against the exact one of the same folder, for ``queries``."""
    from index.stores.loading import load_index
    from index.stores.milvus import AVGDL_KEY
    from search import Searcher
    from search.backends import FolderBackend
    from search.filters import Where
    from search.query import bm25_query

    data = load_index(folder)
    remote = Searcher(data, rerank=False)
    exact = FolderBackend(replace(data, backend={}))
    overlaps, firsts = [], []
    for query in queries:
        terms = bm25_query(remote.analyze(query))
        mine, truth = remote.retrieval.bm25(terms, Where(), 10), exact.bm25(terms, Where(), 10)
        if not truth:
            continue
        overlaps.append(len(set(mine) & set(truth)) / len(truth))
        firsts.append(bool(mine) and next(iter(mine)) == next(iter(truth)))
    stored = remote.retrieval.figures(AVGDL_KEY.values())
    off = {prefix: stored[AVGDL_KEY[prefix]] / getattr(data, attr).doc_lengths().mean() - 1
           for prefix, attr in (("a", "bm25"), ("f", "folded"))}
    remote.close()
    return {"step": label, "passages": len(data.passages),
            "growth": len(data.passages) / base - 1, "queries": len(overlaps),
            "overlap@10": float(np.mean(overlaps)), "same_top1": float(np.mean(firsts)),
            "avgdl_off": off["a"], "avgdl_off_folded": off["f"]}


def run(uri: str, corpus: Path, queries: list[str], steps=STEPS, seed: int = 7) -> list[dict]:
    from index.build import add, build, rebuild
    from index.stores.loading import load_index

    from .backends import scratch

    files = sorted(p for p in Path(corpus).rglob("*") if p.is_file())
    if len(files) < 4:
        raise ValueError(f"{corpus}: at least 4 files are needed, found {len(files)}")
    random.Random(seed).shuffle(files)
    share, total, cut = 1 / (1 + max(steps)), sum(p.stat().st_size for p in files), 0
    while cut < len(files) - 1 and sum(p.stat().st_size for p in files[:cut]) < share * total:
        cut += 1
    first, rest = files[:max(1, cut)], files[max(1, cut):]
    with scratch(uri, f"tracuu_drift_{uuid.uuid4().hex[:8]}") as (store, work):
        folder = work / "index"
        build(first, folder, milvus=store)
        base = len(load_index(folder).passages)
        rows = [measure(folder, queries, "full write", base)]
        for step in steps:
            while rest and len(load_index(folder).passages) < base * (1 + step):
                add([rest.pop(0)], folder)
            rows.append(measure(folder, queries, f"+{step:.0%} added in place", base))
        rebuild(folder)
        rows.append(measure(folder, queries, "after index rebuild", base))
        return rows


def table(rows: list[dict]) -> str:
    lines = ["| step | passages | growth | queries | BM25 top-10 overlap | same top 1 | "
             "stored avgdl off (accented / accent-free) |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['step']} | {r['passages']:,} | {r['growth']:+.0%} | {r['queries']} | "
                     f"{r['overlap@10']:.3f} | {r['same_top1']:.3f} | "
                     f"{r['avgdl_off']:+.1%} / {r['avgdl_off_folded']:+.1%} |")
    return "\n".join(lines)
