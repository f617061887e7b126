"""BEIR-layout benchmarks: corpus.jsonl, queries.jsonl, qrels.tsv.

Documents are split into passages like any other document; a document's score for a query is
the best score among its passages (max-passage), and documents are ranked by it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import numpy as np

from index.paths import cache_dir

from .metrics import BENCH_MEASURES, evaluate


def load_queries(path: Path) -> dict[str, str]:
    out = {}
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                try:
                    row = json.loads(line)
                    out[str(row["_id"])] = row["text"]
                except (json.JSONDecodeError, KeyError) as exc:
                    raise ValueError(f"{path}:{lineno}: expected a JSON object with '_id' and "
                                     f"'text' ({type(exc).__name__})") from None
    return out


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with Path(path).open(encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if not row or row[0] in ("query-id", "query_id", "qid"):
                continue
            if len(row) < 3:
                raise ValueError(f"{path}: expected 'query-id<TAB>corpus-id<TAB>score' rows, "
                                 f"got {row!r}")
            if int(row[2]) > 0:
                qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return qrels


def bench_index_dir(corpus: Path, model: str) -> Path:
    digest = hashlib.sha256(Path(corpus).read_bytes()).hexdigest()[:16]
    from index.encoders.embeddings import Embedder

    tag = hashlib.sha256(Embedder(model).cache_key.encode()).hexdigest()[:8]
    return cache_dir() / "bench" / f"{Path(corpus).parent.name}-{digest}-{tag}"


def ensure_bench_index(corpus: Path, model: str, index_dir: Path | None = None) -> Path:
    """The index of a benchmark corpus: reused from the cache, (re)built when missing or made
    by another version of the text processing."""
    from index.build import build
    from index.stores.loading import unusable_reason

    index_dir = Path(index_dir or bench_index_dir(corpus, model))
    if unusable_reason(index_dir):
        build([corpus], index_dir, model=model)
    return index_dir


def doc_run(searcher, query: str, mode: str, k_docs: int = 10, k_passages: int = 100
            ) -> dict[str, float]:
    """Documents ranked by their best passage."""
    best: dict[str, float] = {}
    for hit in searcher.search(query, k=k_passages, mode=mode, answers=False):
        if hit.doc_id not in best:
            best[hit.doc_id] = hit.score
    top = sorted(best, key=best.__getitem__, reverse=True)[:k_docs]
    return {d: best[d] for d in top}


def run_bench(searcher, queries: dict[str, str], qrels: dict[str, dict[str, int]], mode: str
              ) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    run = {qid: doc_run(searcher, queries[qid], mode) for qid in qrels if qid in queries}
    return evaluate({q: qrels[q] for q in run}, run, BENCH_MEASURES), run


_SYLLABLE = re.compile(r"[^\W_]+")


def baseline_run(corpus: Path, queries: dict[str, str], qrels: dict[str, dict[str, int]],
                 k: int = 10) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """The plain baseline, computed in the same run: rank-bm25's ``BM25Okapi`` over the
    lower-case syllables of each document's title and text (no passages, no segmentation)."""
    from rank_bm25 import BM25Okapi

    ids, docs = [], []
    with Path(corpus).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                ids.append(str(row["_id"]))
                docs.append(_SYLLABLE.findall(f"{row.get('title') or ''} {row['text']}".lower()))
    bm25 = BM25Okapi(docs)
    run = {}
    for qid in qrels:
        if qid not in queries:
            continue
        scores = bm25.get_scores(_SYLLABLE.findall(queries[qid].lower()))
        top = np.argsort(-scores, kind="stable")[:k]
        run[qid] = {ids[i]: float(scores[i]) for i in top}
    return evaluate({q: qrels[q] for q in run}, run, BENCH_MEASURES), run


def write_trec_run(run: dict[str, dict[str, float]], path: Path, tag: str) -> int:
    """Write ``run`` in TREC format.  A TREC line is split on whitespace, so an id holding
    any (ALQAC's ``Luật Hôn nhân và gia đình@31``) is written with ``_`` in its place, and
    ``PATH.ids.tsv`` maps each id so written back to the original (qrels must be mapped the
    same way); an id that would then collide with another is refused.  Returns how many ids
    were rewritten."""
    ids = {i for qid, docs in run.items() for i in (qid, *docs)}
    written = {i: re.sub(r"\s", "_", i) for i in ids}
    changed = {i: w for i, w in written.items() if w != i}
    clash = next((i for i, w in changed.items() if w in ids or
                  sum(v == w for v in changed.values()) > 1), None)
    if clash is not None:
        raise ValueError(f"id {clash!r} would be written as {changed[clash]!r}, which another "
                         "id already is; the run cannot be written in TREC format")
    with Path(path).open("w", encoding="utf-8") as fh:
        for qid, docs in run.items():
            ranked = sorted(docs, key=docs.__getitem__, reverse=True)
            fh.writelines(f"{written[qid]} Q0 {written[doc]} {rank} {docs[doc]:.6f} {tag}\n"
                          for rank, doc in enumerate(ranked, 1))
    if changed:
        mapping = Path(f"{path}.ids.tsv")
        mapping.write_text("".join(f"{w}\t{i}\n" for i, w in sorted(changed.items())),
                           encoding="utf-8")
    return len(changed)