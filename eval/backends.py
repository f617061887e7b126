"""The gold set on both backends: ``python -m eval milvus --uri URI``.

The index folder (default: the sample index) is published to a Milvus collection (a copy of the
folder records it; nothing is re-embedded), then each way of ranking runs the gold set on both
and is compared with the embedded backend: the metrics, the mean overlap of the top 10, and the
median time a query.  Rows:

- ``embedded`` (BM25 arrays + FAISS in the folder) for bm25, dense and hybrid;
- ``milvus`` for the same modes: BM25 as client-side sparse vectors, HNSW for dense, the
  project's own fusion over the two lists;
- ``milvus-rrf`` / ``milvus-weighted``: hybrid fused by Milvus's RRFRanker / WeightedRanker;
- ``milvus BM25 function``: Milvus's own BM25 over the project's segmented words (accented and
  accent-free terms in one analyzed text field), the alternative to client-side sparse vectors.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .report import GoldResult, run_gold


def overlap(a: dict[str, dict[str, float]], b: dict[str, dict[str, float]], k: int = 10) -> float:
    """Mean share of ``b``'s top ``k`` that ``a``'s top ``k`` also holds, over ``b``'s queries."""
    shares = []
    for qid, run in b.items():
        want = list(run)[:k]
        if want:
            shares.append(len(set(list(a.get(qid, {}))[:k]) & set(want)) / len(want))
    return float(np.mean(shares)) if shares else 0.0


def _timed_gold(searcher, questions, mode: str) -> GoldResult:
    started = time.perf_counter()
    out = run_gold(searcher, questions, mode)
    return out.timed(1000 * (time.perf_counter() - started) / max(1, len(questions)))


def bm25_function_run(searcher, questions, milvus, n: int = 10) -> tuple[dict, float]:
    """The gold run of Milvus's built-in BM25 over the index's analyzed terms."""
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    from index.stores.milvus import row_of

    client, name = milvus.client, f"{milvus.collection}_bm25fn"
    if client.has_collection(name):
        client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("row", DataType.INT64, is_primary=True)
    schema.add_field("terms", DataType.VARCHAR, max_length=65_535, enable_analyzer=True,
                     analyzer_params={"tokenizer": _tokenizer(client)})
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                 input_field_names=["terms"], output_field_names=["sparse"]))
    client.create_collection(name, schema=schema)
    try:
        data = searcher.data
        rows = []
        for row, (terms, folded) in enumerate(zip(_row_terms(data.bm25), _row_terms(data.folded))):
            text = " ".join(terms + folded)
            rows.append({"row": row, "terms": text.encode()[:65_535].decode("utf-8", "ignore")})
        for i in range(0, len(rows), 512):
            client.insert(name, rows[i:i + 512])
        indexes = client.prepare_index_params()
        indexes.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX",
                          metric_type="BM25")
        client.create_index(name, indexes)
        client.load_collection(name)
        run, started = {}, time.perf_counter()
        for q in questions:
            info = searcher.analyze(q.query)
            query = " ".join(list(info.terms) + list(info.folded_terms))
            hits = client.search(name, data=[query], anns_field="sparse", limit=n,
                                 output_fields=["row"], search_params={"metric_type": "BM25"})
            # ranked as returned (Milvus Lite gives BM25 as a negative distance, Milvus as a
            # positive score)
            run[q.qid] = {data.passages[row_of(h)].passage_id: 1 / (rank + 1)
                          for rank, h in enumerate(hits[0])}
        return run, 1000 * (time.perf_counter() - started) / max(1, len(questions))
    finally:
        client.drop_collection(name)


def _row_terms(bm25) -> list[list[str]]:
    """Each passage's terms as the index counted them (repeats kept; order does not matter to
    BM25), read from the term-frequency matrix instead of segmenting the texts again."""
    terms = list(bm25.vocab)
    by_row = bm25.tf.tocsr()
    return [[terms[j] for j, count in zip(by_row.indices[lo:hi], by_row.data[lo:hi])
             for _ in range(int(count))]
            for lo, hi in zip(by_row.indptr[:-1], by_row.indptr[1:])]


def _tokenizer(client) -> str:
    """Milvus's whitespace tokenizer (the project's terms are already segmented); Milvus Lite
    has only ``standard`` (``\\w+``: keeps ``chi_bộ`` whole, splits codes at ``-`` and ``/``)."""
    version = str(client.get_server_version() or "")
    return "standard" if "lite" in version.lower() or not version[:1].isdigit() else "whitespace"


def compare(index_dir: Path, uri: str, questions) -> list[dict]:
    """Rows of the comparison (see the module docstring)."""
    from index.build import publish
    from search import Searcher

    from .metrics import evaluate
    from .report import gold_qrels

    with scratch(uri, "tracuu_eval_backends") as (milvus, work):
        served_dir = publish(index_dir, milvus, work / "index")
        embedded = Searcher.load(index_dir)
        rows, reference = [], {}
        for mode in ("bm25", "dense", "hybrid"):
            reference[mode] = _timed_gold(embedded, questions, mode)
            rows.append(_row("embedded", mode, reference[mode], reference[mode]))
        served = Searcher.load(served_dir)
        for mode in ("bm25", "dense", "hybrid"):
            rows.append(_row("milvus", mode, _timed_gold(served, questions, mode),
                             reference[mode]))
        for fusion in ("milvus-rrf", "milvus-weighted"):
            fused = Searcher.load(served_dir, fusion=fusion)
            rows.append(_row(fusion, "hybrid", _timed_gold(fused, questions, "hybrid"),
                             reference["hybrid"]))
        run, ms = bm25_function_run(embedded, questions, milvus)
        result = GoldResult({"all": evaluate(gold_qrels(embedded, questions), run)}, {}, run, ms)
        rows.append(_row("milvus BM25 function", "bm25", result, reference["bm25"]))
        return rows


@contextmanager
def scratch(uri: str, collection: str) -> Iterator[tuple]:
    """A Milvus collection and a work folder for one measurement, both removed afterwards."""
    from index.stores.milvus import MilvusStore

    work = Path(tempfile.mkdtemp(prefix="tracuu-milvus-"))
    milvus = MilvusStore(uri, collection)
    try:
        yield milvus, work
    finally:
        try:
            milvus.drop()
        finally:
            milvus.close()
            shutil.rmtree(work, ignore_errors=True)


def _row(backend: str, mode: str, result: dict, reference: dict) -> dict:
    return {"backend": backend, "mode": mode, **result.all,
            "overlap@10": overlap(result.run, reference.run), "ms": result.ms}


def table(rows: list[dict]) -> str:
    names = ["R@5", "MRR@10", "nDCG@10", "overlap@10"]
    lines = ["| backend | mode | " + " | ".join(names) + " | ms / query |",
             "|---|---|" + "---:|" * (len(names) + 1)]
    for r in rows:
        lines.append(f"| {r['backend']} | {r['mode']} | "
                     + " | ".join(f"{r[n]:.3f}" for n in names) + f" | {r['ms']:.0f} |")
    return "\n".join(lines)
