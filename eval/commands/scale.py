"""``python -m eval scale | perf | load | milvus | milvus-scale | drift``: the engine at
size, its speed and memory, and the Milvus backend against the folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from eval.commands import command, listed, say_error


def scale_main(argv: list[str]) -> int:
    from eval.mixed import ALQAC_CORPUS, compare, mixed_index, scale_table
    from eval.report import gold_table

    parser = command(
        "scale",
        "The gold, hold-out and party-docs questions on a mixed archive (the "
        "sample, data/party-docs and ALQAC's 2,131 law articles, built once into "
        ".tracuu/mixed-index) beside their small indexes.")
    parser.add_argument("--alqac", type=Path, default=ALQAC_CORPUS,
                        help="ALQAC 2023 corpus.jsonl (default ../shared/bench/alqac23)")
    parser.add_argument("--modes", default="hybrid")
    args = parser.parse_args(argv)
    mixed = mixed_index(args.alqac)
    if mixed is None:
        print(f"error: {args.alqac}: no such file (pass --alqac CORPUS.jsonl)", file=sys.stderr)
        return 1
    results = compare(mixed, listed(args.modes))
    print("Small indexes and the mixed archive\n")
    print(scale_table(results, mixed))
    for name, res in results.items():
        print(f"\n{name} on the mixed archive, by kind\n")
        print(gold_table(res["mixed"], res["questions"]))
    return 0


def perf_main(argv: list[str]) -> int:
    parser = command(
        "perf",
        "Speed and size at scale: build throughput, BM25 against rank-bm25, query "
        "latency per mode, FAISS flat / HNSW, index size, load time, peak memory.")
    parser.add_argument("--corpus", type=Path, default=None,
                        help="folder of documents for the base index (default: "
                             "../shared/corpora/vlc, the 208 laws)")
    parser.add_argument("--passages", type=int, default=100_000,
                        help="passages of the scale index, made of marked copies of the base "
                             "(default 100000)")
    parser.add_argument("--queries", type=int, default=100, help="queries per mode (default 100)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON too")
    parser.add_argument("--keep", action="store_true", help="keep the scale index in the cache")
    args = parser.parse_args(argv)

    from eval.perf import DEFAULT_CORPUS, run, table

    corpus = args.corpus or DEFAULT_CORPUS
    if not Path(corpus).is_dir():
        print(f"error: {corpus}: no such folder (pass --corpus DIR)", file=sys.stderr)
        return 1
    try:
        report = run(Path(corpus), args.passages, args.queries, keep=args.keep)
    except (ValueError, RuntimeError) as exc:
        return say_error(exc)
    print(table(report))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


def load_main(argv: list[str]) -> int:
    from eval.load import LEVELS, run, table

    parser = command(
        "load",
        "Start the app with sign-in on a copy of an index and drive it with "
        "concurrent readers over Streamlit's websocket (as browser tabs do) while "
        "an editor adds documents; print time to the answer, errors and the "
        "server's memory per number of readers.")
    parser.add_argument("--index", type=Path, default=None,
                        help="index folder (default: the sample-corpus index)")
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)),
                        help="numbers of concurrent readers (default 1,4,8,16)")
    parser.add_argument("--per-reader", type=int, default=5,
                        help="questions each reader asks, one after the other (default 5)")
    parser.add_argument("--upload-every", type=float, default=10.0,
                        help="seconds between the editor's additions (0: no editor)")
    parser.add_argument("--think", type=float, default=5.0,
                        help="seconds a reader reads an answer before the next question, on "
                             "average (default 5; 0: back to back)")
    args = parser.parse_args(argv)
    from index.build import ensure_default_index

    try:
        levels = tuple(int(n) for n in listed(args.levels))
        if not levels or min(levels) < 1:
            raise ValueError("--levels: give positive numbers of readers")
    except ValueError as exc:
        return say_error(exc)
    index = args.index or ensure_default_index()
    results = run(index, levels, args.per_reader, args.upload_every, args.think)
    print()
    print(table(results))
    return 0


def milvus_main(argv: list[str]) -> int:
    parser = command(
        "milvus",
        "The gold set on the embedded backend and on Milvus (client-side BM25, "
        "HNSW, the project's fusion, Milvus's rankers, Milvus's BM25 function): "
        "metrics, top-10 overlap, time per question.")
    parser.add_argument("--uri", required=True,
                        help="Milvus endpoint: milvus://HOST:PORT, http(s)://HOST:PORT or a "
                             "milvus-lite FILE.db")
    parser.add_argument("--index", type=Path, default=None,
                        help="index folder (default: the sample-corpus index)")
    args = parser.parse_args(argv)

    from eval.backends import compare, table
    from eval.gold import load_gold
    from index.build import ensure_default_index
    from index.stores.milvus import MilvusUnavailable

    try:
        rows = compare(args.index or ensure_default_index(), args.uri, load_gold())
    except (ValueError, MilvusUnavailable) as exc:
        return say_error(exc)
    print(table(rows))
    return 0


def milvus_scale_main(argv: list[str]) -> int:
    parser = command(
        "milvus-scale",
        "Milvus at scale (eval/milvus_scale.py): full write rate and the writer's "
        "peak memory, query p50/p95 per mode against the folder, recall@10, "
        "filters on the partition key, one addition of a 30-passage law.")
    parser.add_argument("--uri", required=True, help="Milvus endpoint, as for `eval milvus`")
    parser.add_argument("--passages", type=int, default=1_000_000,
                        help="passages of the replicated archive (default 1000000)")
    parser.add_argument("--corpus", type=Path, default=None,
                        help="folder of documents for the base index (default: the 208 laws)")
    parser.add_argument("--laws", type=Path, default=None,
                        help="where the ~30-passage law added comes from (default: the 208 "
                             "laws)")
    parser.add_argument("--queries", type=int, default=100, help="queries per mode")
    parser.add_argument("--partition-key", default="year", help="year (default) or none")
    parser.add_argument("--json", action="store_true", help="print the report as JSON too")
    args = parser.parse_args(argv)

    from eval.milvus_scale import run, table
    from eval.perf import DEFAULT_CORPUS
    from index.stores.milvus import MilvusUnavailable

    try:
        report = run(args.uri, args.corpus or DEFAULT_CORPUS, args.passages, args.queries,
                     None if args.partition_key == "none" else args.partition_key, args.laws)
    except (ValueError, RuntimeError, MilvusUnavailable) as exc:
        return say_error(exc)
    print(table(report))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return 1 if report.get("failed") else 0


def drift_main(argv: list[str]) -> int:
    parser = command(
        "drift",
        "How far BM25 on Milvus drifts from exact BM25 as documents are added in "
        "place (+10%%, +100%%), and after `index rebuild` (eval/drift.py).")
    parser.add_argument("--uri", required=True, help="Milvus endpoint, as for `eval milvus`")
    parser.add_argument("--corpus", type=Path, required=True, help="folder of documents")
    parser.add_argument("--questions", type=Path, default=None,
                        help="a JSONL file of {\"query\": ...} (default: section titles of "
                             "the corpus, as `eval perf` asks)")
    parser.add_argument("--queries", type=int, default=100, help="titles asked (default 100)")
    args = parser.parse_args(argv)

    from eval.drift import run, table
    from index.stores.milvus import MilvusUnavailable

    try:
        if args.questions:
            lines = args.questions.read_text(encoding="utf-8").splitlines()
            queries = [json.loads(line)["query"] for line in lines if line.strip()]
        else:
            queries = _title_queries(args.corpus, args.queries)
        rows = run(args.uri, args.corpus, queries)
    except (ValueError, MilvusUnavailable, OSError) as exc:
        return say_error(exc)
    print(table(rows))
    return 0


def _title_queries(corpus: Path, n: int) -> list[str]:
    from eval.perf import base_index, sample_queries
    from index.stores.loading import load_index

    return sample_queries(load_index(base_index(corpus)), n)
