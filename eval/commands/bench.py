"""``python -m eval bench``: a BEIR-layout benchmark, with a plain rank-bm25 baseline run
beside it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eval.commands import command, say_error, searcher_options


def parser() -> argparse.ArgumentParser:
    """The options of ``python -m eval bench``."""
    parser = command(
        "bench",
        "Run a BEIR-layout benchmark.")
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--qrels", type=Path, required=True)
    parser.add_argument("--mode", default="bm25,dense,hybrid",
                        help="one mode or a comma-separated list (default: all three)")
    parser.add_argument("--model", default="default")
    searcher_options(parser)
    parser.add_argument("--index", type=Path, default=None,
                        help="index folder to build or reuse (default: in the user cache)")
    parser.add_argument("--run-out", type=Path, default=None,
                        help="TREC run file (with several modes, MODE is added to the name)")
    return parser


def bench_main(argv: list[str]) -> int:
    args = parser().parse_args(argv)

    from eval.bench import baseline_run, ensure_bench_index, load_qrels, load_queries, run_bench
    from search import MODES, Searcher

    modes = args.mode.split(",")
    bad = [m for m in modes if m not in MODES]
    if bad:
        print(f"error: unknown mode {bad[0]!r}; expected {', '.join(MODES)}", file=sys.stderr)
        return 1
    for path in (args.corpus, args.queries, args.qrels):
        if not path.is_file():
            print(f"error: {path}: no such file", file=sys.stderr)
            return 1
    try:
        queries, qrels = load_queries(args.queries), load_qrels(args.qrels)
        index_dir = ensure_bench_index(args.corpus, args.model, args.index)
        searcher = Searcher.load(index_dir, fusion=args.fusion, dense_weight=args.dense_weight,
                                 glossary=not args.no_glossary)
    except ValueError as exc:
        return say_error(exc)
    print(f"{args.corpus.parent.name}: {len(searcher.data.documents)} documents, "
          f"{len(searcher.data.passages)} passages, {len(qrels)} queries with judgements")
    print(f"{'mode':<8} {'nDCG@10':>8} {'MRR@10':>8} {'R@10':>8}")
    for mode in modes:
        scores, run = run_bench(searcher, queries, qrels, mode)
        print(_row(mode, scores))
        if args.run_out:
            _write_run(run, args.run_out, mode, len(modes) > 1)
    scores, _ = baseline_run(args.corpus, queries, qrels)
    print(_row("baseline", scores) + "   (rank-bm25 on lower-case syllables, same run)")
    return 0


def _row(name: str, scores: dict) -> str:
    return f"{name:<8} {scores['nDCG@10']:>8.3f} {scores['MRR@10']:>8.3f} {scores['R@10']:>8.3f}"


def _write_run(run: dict, path: Path, mode: str, several: bool) -> None:
    """The TREC run of ``mode`` (its name added to ``path`` when ``several`` modes run)."""
    from eval.bench import write_trec_run

    out = path.with_name(f"{path.stem}.{mode}{path.suffix}") if several else path
    if rewritten := write_trec_run(run, out, f"tracuu-{mode}"):
        print(f"{out}: {rewritten} ids held spaces, written with _; {out}.ids.tsv maps them back")
