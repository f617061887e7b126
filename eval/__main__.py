"""Command line: ``python -m eval [--index DIR]`` (gold set, gate) and ``python -m eval bench``."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

GATE = {"R@5": 0.90, "MRR@10": 0.75}  # hybrid on the gold set
KIND_GATE = {"english": 0.80, "mixed": 0.80}  # hybrid R@5 per kind
OFFTOPIC_GATE = 0.70  # off-topic questions not answered: at least
COPY_GAP = 0.05  # unaccented copies: R@5 at most this far under their accented sources


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"bench": bench_main, "perf": perf_main, "milvus": milvus_main,
                "fit-answers": fit_answers_main, "scans": scans_main,
                "fit-ranker": fit_ranker_main, "reference-idf": reference_main,
                "scale": scale_main, "load": load_main, "drift": drift_main,
                "milvus-scale": milvus_scale_main}
    if argv and argv[0] in commands:
        return commands[argv[0]](argv[1:])
    parser = argparse.ArgumentParser(prog="python -m eval", description="Evaluate retrieval on "
                                     "the gold set; exit 1 when hybrid is under the gate "
                                     f"({', '.join(f'{k} >= {v}' for k, v in GATE.items())}). "
                                     "See also: python -m eval bench --help")
    parser.add_argument("--index", type=Path, default=None,
                        help="index folder (default: the sample-corpus index)")
    parser.add_argument("--gold", type=Path, default=None,
                        help="gold set to gate on (default eval/gold.jsonl)")
    parser.add_argument("--holdout", type=Path, default=None,
                        help="second set reported beside it, never tuned on and not gated "
                             "(default eval/holdout.jsonl; 'none' to skip)")
    parser.add_argument("--modes", default="bm25,dense,hybrid")
    parser.add_argument("--fusion", default="convex", help="convex (default) or rrf")
    parser.add_argument("--dense-weight", type=float, default=0.5,
                        help="base weight of the dense list (default 0.5)")
    parser.add_argument("--fixed-weights", action="store_true",
                        help="do not adapt the weights to the query")
    parser.add_argument("--no-glossary", action="store_true",
                        help="do not translate English words for BM25")
    parser.add_argument("--no-rerank", action="store_true",
                        help="rank by the convex fusion alone, without the learned combination "
                             "(search/ranker.json)")
    parser.add_argument("--no-answers", dest="answers", action="store_false",
                        help="skip the answer sets (retrieval only)")
    parser.add_argument("--no-scale", dest="scale", action="store_false",
                        help="skip the mixed archive (python -m eval scale)")
    args = parser.parse_args(argv)

    from index.build import ensure_default_index
    from index.stores.folder import IndexFolderError
    from search import Searcher

    from .answers import (
        ANSWER_TARGETS,
        answer_gate,
        answer_sets,
        from_gold,
        run_answers,
        summary_table,
    )
    from .gold import (
        GOLD_FILE,
        HOLDOUT_FILE,
        OFFTOPIC_FILE,
        load_gold,
        with_unaccented_copies,
    )
    from .report import gold_table, offtopic_abstentions, run_gold

    modes = args.modes.split(",")
    skip_holdout = args.holdout is not None and str(args.holdout).lower() == "none"
    holdout_path = None if skip_holdout else (args.holdout or HOLDOUT_FILE)
    try:
        questions = with_unaccented_copies(load_gold(args.gold or GOLD_FILE))
        index_dir = Path(args.index or ensure_default_index())
        searcher = Searcher.load(index_dir, fusion=args.fusion,
                                 dense_weight=args.dense_weight,
                                 adaptive=not args.fixed_weights,
                                 glossary=not args.no_glossary, rerank=not args.no_rerank)
        results = {mode: run_gold(searcher, questions, mode) for mode in modes}
        if holdout_path is not None and Path(holdout_path).exists():
            held = with_unaccented_copies(load_gold(holdout_path))
            held_results = {mode: run_gold(searcher, held, mode) for mode in modes}
        else:
            held = None
        offtopic = offtopic_abstentions(searcher, OFFTOPIC_FILE) if "hybrid" in modes else None
        answers = {}
        if "hybrid" in modes and args.answers:
            for name, (folder, asked) in answer_sets().items():
                same = Path(folder).resolve() == index_dir.resolve()
                answers[name] = run_answers(searcher if same else Searcher.load(folder), asked)
            if held is not None:
                answers["hold-out"] = run_answers(searcher, from_gold(held))
    except (ValueError, IndexFolderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Gold set ({args.gold or GOLD_FILE.name}, gated)\n")
    print(gold_table(results, questions))
    if held is not None:
        print(f"\nHold-out set ({Path(holdout_path).name}, reported only)\n")
        print(gold_table(held_results, held))
    print()
    if "hybrid" not in results:
        return 0
    print(f"Off-topic ({OFFTOPIC_FILE.name}): not answered {offtopic[0]}/{offtopic[1]} "
          f"({offtopic[0] / offtopic[1]:.1%})\n")
    failed, passed = gate(results["hybrid"], offtopic)
    if answers:
        print("Answers (sample: eval/gold.jsonl with unaccented copies and "
              "eval/unanswerable.jsonl; party-docs: eval/party_docs.jsonl on the sample and "
              "data/party-docs; fitted / held out: the halves the answerability model was and "
              "was not fitted on)\n")
        print(summary_table(answers))
        print()
        more_failed, more_passed = answer_gate(answers)
        failed, passed = failed + more_failed, passed + more_passed
        short, _ = answer_gate(answers, ANSWER_TARGETS)
        if short:
            print(f"below the answer targets (reported, not gated): {'; '.join(short)}\n")
    if args.scale:
        more_failed, more_passed = scale_report()
        failed, passed = failed + more_failed, passed + more_passed
    if failed:
        print(f"GATE FAILED: {'; '.join(failed)}")
        return 1
    print(f"gate passed: {', '.join(passed)}")
    return 0


def listed(text: str) -> tuple[str, ...]:
    """A comma-separated option's items: ``"a, b,"`` -> ``("a", "b")``."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def scale_report() -> tuple[list[str], list[str]]:
    """The hybrid comparison on the mixed archive, printed and gated (skipped with a note when
    the ALQAC corpus is not on this machine)."""
    from .mixed import ALQAC_CORPUS, compare, mixed_index, scale_gate, scale_table

    mixed = mixed_index()
    if mixed is None:
        print(f"Mixed archive skipped: {ALQAC_CORPUS} not found\n")
        return [], []
    results = compare(mixed)
    print("Mixed archive (python -m eval scale: sample, data/party-docs, ALQAC's law "
          "articles)\n")
    print(scale_table(results, mixed))
    print()
    return scale_gate(results)


def gate(hybrid: dict, offtopic: tuple[int, int] | None = None) -> tuple[list[str], list[str]]:
    """(failed, passed) checks of the gate on the hybrid results of the gold set."""
    from .gold import COPY_KIND

    checks = [(f"{k} {hybrid['all'][k]:.3f} >= {v}", hybrid["all"][k] >= v)
              for k, v in GATE.items()]
    checks += [(f"{kind} R@5 {hybrid[kind]['R@5']:.3f} >= {v}", hybrid[kind]["R@5"] >= v)
               for kind, v in KIND_GATE.items() if kind in hybrid]
    if COPY_KIND in hybrid:
        copy, source = hybrid[COPY_KIND]["R@5"], hybrid[f"{COPY_KIND} (their sources)"]["R@5"]
        checks.append((f"unaccented copies R@5 {copy:.3f} within {COPY_GAP} of accented "
                       f"{source:.3f}", copy >= source - COPY_GAP - 1e-9))
    if offtopic:
        rate = offtopic[0] / max(offtopic[1], 1)
        checks.append((f"off-topic not answered {rate:.3f} >= {OFFTOPIC_GATE}",
                       rate >= OFFTOPIC_GATE))
    return [c for c, ok in checks if not ok], [c for c, ok in checks if ok]


def reference_main(argv: list[str]) -> int:
    from search.answerability import REFERENCE_FILE

    from .perf import DEFAULT_CORPUS

    parser = argparse.ArgumentParser(
        prog="python -m eval reference-idf",
        description="Rebuild the reference word weights the answerability model reads, from "
                    "a folder of Vietnamese laws (one idf per accent-free word, by article).")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="folder of .txt laws (default ../shared/corpora/vlc)")
    parser.add_argument("--out", type=Path, default=REFERENCE_FILE)
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"error: {args.corpus}: no such folder (pass --corpus DIR)", file=sys.stderr)
        return 1
    from .reference import write

    print(f"wrote {write(args.corpus, args.out)} words to {args.out}")
    return 0


def fit_answers_main(argv: list[str]) -> int:
    from search.answerability import WEIGHTS_FILE

    parser = argparse.ArgumentParser(
        prog="python -m eval fit-answers",
        description="Re-fit the answerability model on the fitting half of the answer sets "
                    "(eval/gold.jsonl, eval/unanswerable.jsonl, eval/party_docs.jsonl) and "
                    f"write its weights and threshold to {WEIGHTS_FILE.name}.")
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE,
                        help=f"where to write the weights (default {WEIGHTS_FILE})")
    args = parser.parse_args(argv)

    from .fit import run

    try:
        weights = run(args.out)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(weights, ensure_ascii=False, indent=1))
    print(f"wrote {args.out}")
    return 0


def scale_main(argv: list[str]) -> int:
    from .mixed import ALQAC_CORPUS, compare, mixed_index, scale_table
    from .report import gold_table

    parser = argparse.ArgumentParser(
        prog="python -m eval scale",
        description="The gold, hold-out and party-docs questions on a mixed archive (the "
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
    parser = argparse.ArgumentParser(
        prog="python -m eval perf",
        description="Speed and size at scale: build throughput, BM25 against rank-bm25, query "
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

    from .perf import DEFAULT_CORPUS, run, table

    corpus = args.corpus or DEFAULT_CORPUS
    if not Path(corpus).is_dir():
        print(f"error: {corpus}: no such folder (pass --corpus DIR)", file=sys.stderr)
        return 1
    try:
        report = run(Path(corpus), args.passages, args.queries, keep=args.keep)
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(table(report))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


def milvus_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval milvus",
        description="The gold set on the embedded backend and on Milvus (client-side BM25, "
                    "HNSW, the project's fusion, Milvus's rankers, Milvus's BM25 function): "
                    "metrics, top-10 overlap, time per question.")
    parser.add_argument("--uri", required=True,
                        help="Milvus endpoint: milvus://HOST:PORT, http(s)://HOST:PORT or a "
                             "milvus-lite FILE.db")
    parser.add_argument("--index", type=Path, default=None,
                        help="index folder (default: the sample-corpus index)")
    args = parser.parse_args(argv)

    from index.build import ensure_default_index
    from index.stores.milvus import MilvusUnavailable

    from .backends import compare, table
    from .gold import load_gold

    try:
        rows = compare(args.index or ensure_default_index(), args.uri, load_gold())
    except (ValueError, MilvusUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(table(rows))
    return 0


def milvus_scale_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval milvus-scale",
        description="Milvus at scale (eval/milvus_scale.py): full write rate and the writer's "
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

    from index.stores.milvus import MilvusUnavailable

    from .milvus_scale import run, table
    from .perf import DEFAULT_CORPUS

    try:
        report = run(args.uri, args.corpus or DEFAULT_CORPUS, args.passages, args.queries,
                     None if args.partition_key == "none" else args.partition_key, args.laws)
    except (ValueError, RuntimeError, MilvusUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(table(report))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return 1 if report.get("failed") else 0


def drift_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval drift",
        description="How far BM25 on Milvus drifts from exact BM25 as documents are added in "
                    "place (+10%%, +100%%), and after `index rebuild` (eval/drift.py).")
    parser.add_argument("--uri", required=True, help="Milvus endpoint, as for `eval milvus`")
    parser.add_argument("--corpus", type=Path, required=True, help="folder of documents")
    parser.add_argument("--questions", type=Path, default=None,
                        help="a JSONL file of {\"query\": ...} (default: section titles of "
                             "the corpus, as `eval perf` asks)")
    parser.add_argument("--queries", type=int, default=100, help="titles asked (default 100)")
    args = parser.parse_args(argv)

    from index.stores.milvus import MilvusUnavailable

    from .drift import run, table

    try:
        if args.questions:
            lines = args.questions.read_text(encoding="utf-8").splitlines()
            queries = [json.loads(line)["query"] for line in lines if line.strip()]
        else:
            queries = _title_queries(args.corpus, args.queries)
        rows = run(args.uri, args.corpus, queries)
    except (ValueError, MilvusUnavailable, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(table(rows))
    return 0


def _title_queries(corpus: Path, n: int) -> list[str]:
    from index.stores.folder import load_index

    from .perf import base_index, sample_queries

    return sample_queries(load_index(base_index(corpus)), n)


def scans_main(argv: list[str]) -> int:
    from .scans import (
        VARIANTS,
        default_sources,
        retrieval,
        retrieval_table,
        run,
        summary,
    )

    parser = argparse.ArgumentParser(
        prog="python -m eval scans",
        description="Render the sample's Party letters (and with --party-docs the real Party "
                    "documents) as scanned PDFs in four variants, read them back by OCR, and "
                    "report the character error rate and the code, date, issuer and signer "
                    "read right, per variant.")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"comma-separated, of {', '.join(VARIANTS)} (default all)")
    parser.add_argument("--party-docs", action="store_true",
                        help="also the 16 documents of data/party-docs (about 20 minutes more)")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the scanned PDFs (default: a temporary folder)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--retrieval", action="store_true",
                        help="also build an index of the sample's scans per variant and run the "
                             "gold set on it beside the text originals (about 2 minutes a "
                             "variant)")
    args = parser.parse_args(argv)
    variants = listed(args.variants)
    bad = [v for v in variants if v not in VARIANTS]
    if bad:
        print(f"error: unknown variant {bad[0]!r}; expected {', '.join(VARIANTS)}",
              file=sys.stderr)
        return 1
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tracuu-scans-") as tmp:
        folder = args.out or Path(tmp)
        results = run(folder, variants, default_sources(args.party_docs), args.seed)
        found = retrieval(folder / "retrieval", variants, args.seed) if args.retrieval else None
    print()
    print(summary(results))
    if found:
        print("\nGold set, hybrid, on the sample's text originals and on its scans\n")
        print(retrieval_table(found))
    return 0


def load_main(argv: list[str]) -> int:
    from .load import LEVELS, run, table

    parser = argparse.ArgumentParser(
        prog="python -m eval load",
        description="Start the app with sign-in on a copy of an index and drive it with "
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
        print(f"error: {exc}", file=sys.stderr)
        return 1
    index = args.index or ensure_default_index()
    results = run(index, levels, args.per_reader, args.upload_every, args.think)
    print()
    print(table(results))
    return 0


def fit_ranker_main(argv: list[str]) -> int:
    from search.rerank import FEATURES, RANKER_FILE

    from .rank_fit import DEFAULT_FEATURES, C, run

    parser = argparse.ArgumentParser(
        prog="python -m eval fit-ranker",
        description="Fit the learned combination of search.rerank on the development sets and "
                    "the BEIR dev sets, compare it held out with the hand-tuned fusion, and "
                    "write it when no set is worse.")
    parser.add_argument("--features", default=",".join(DEFAULT_FEATURES),
                        help=f"comma-separated, of: {', '.join(FEATURES)} "
                             f"(default {','.join(DEFAULT_FEATURES)})")
    parser.add_argument("--C", type=float, default=C, dest="c",
                        help=f"inverse L2 strength (default {C})")
    parser.add_argument("--out", type=Path, default=RANKER_FILE,
                        help="where to write the model (default search/ranker.json)")
    parser.add_argument("--ablation", action="store_true",
                        help="also measure each feature added alone to the fusion")
    parser.add_argument("--force", action="store_true",
                        help="write the model even when it is worse held out on some set")
    args = parser.parse_args(argv)
    try:
        run(args.out, listed(args.features), args.c, args.force, args.ablation)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def bench_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval bench",
                                     description="Run a BEIR-layout benchmark.")
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--qrels", type=Path, required=True)
    parser.add_argument("--mode", default="bm25,dense,hybrid",
                        help="one mode or a comma-separated list (default: all three)")
    parser.add_argument("--model", default="default")
    parser.add_argument("--fusion", default="convex", help="convex (default) or rrf")
    parser.add_argument("--dense-weight", type=float, default=0.5,
                        help="base weight of the dense list (default 0.5)")
    parser.add_argument("--no-glossary", action="store_true",
                        help="do not translate English words for BM25")
    parser.add_argument("--index", type=Path, default=None,
                        help="index folder to build or reuse (default: in the user cache)")
    parser.add_argument("--run-out", type=Path, default=None,
                        help="TREC run file (with several modes, MODE is added to the name)")
    args = parser.parse_args(argv)

    from search import MODES, Searcher

    from .bench import (
        baseline_run,
        ensure_bench_index,
        load_qrels,
        load_queries,
        run_bench,
        write_trec_run,
    )

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
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.corpus.parent.name}: {len(searcher.data.documents)} documents, "
          f"{len(searcher.data.passages)} passages, {len(qrels)} queries with judgements")
    print(f"{'mode':<8} {'nDCG@10':>8} {'MRR@10':>8} {'R@10':>8}")
    for mode in modes:
        scores, run = run_bench(searcher, queries, qrels, mode)
        print(f"{mode:<8} {scores['nDCG@10']:>8.3f} {scores['MRR@10']:>8.3f} {scores['R@10']:>8.3f}")
        if args.run_out:
            out = args.run_out if len(modes) == 1 else \
                args.run_out.with_name(f"{args.run_out.stem}.{mode}{args.run_out.suffix}")
            if rewritten := write_trec_run(run, out, f"tracuu-{mode}"):
                print(f"{out}: {rewritten} ids held spaces, written with _; {out}.ids.tsv "
                      "maps them back")
    scores, _ = baseline_run(args.corpus, queries, qrels)
    print(f"{'baseline':<8} {scores['nDCG@10']:>8.3f} {scores['MRR@10']:>8.3f} "
          f"{scores['R@10']:>8.3f}   (rank-bm25 on lower-case syllables, same run)")
    return 0


if __name__ == "__main__":
    if hasattr(signal, "SIGPIPE"):  # `... | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
