"""``python -m eval fit-answers | fit-ranker | reference-idf``: the fitted parts of the
search package, fitted again."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from eval.commands import command, listed, say_error


def fit_answers_main(argv: list[str]) -> int:
    from search.answerability import WEIGHTS_FILE

    parser = command(
        "fit-answers",
        "Re-fit the answerability model on the fitting half of the answer sets "
        "(eval/gold.jsonl, eval/unanswerable.jsonl, eval/party_docs.jsonl) and "
        f"write its weights and threshold to {WEIGHTS_FILE.name}.")
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE,
                        help=f"where to write the weights (default {WEIGHTS_FILE})")
    args = parser.parse_args(argv)

    from eval.fit import run

    try:
        weights = run(args.out)
    except ValueError as exc:
        return say_error(exc)
    print(json.dumps(weights, ensure_ascii=False, indent=1))
    print(f"wrote {args.out}")
    return 0


def fit_ranker_main(argv: list[str]) -> int:
    from eval.rank_fit import DEFAULT_FEATURES, C, run
    from search.rerank import FEATURES, RANKER_FILE

    parser = command(
        "fit-ranker",
        "Fit the learned combination of search.rerank on the development sets and "
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
        return say_error(exc)
    return 0


def reference_main(argv: list[str]) -> int:
    from eval.perf import DEFAULT_CORPUS
    from search.answerability import REFERENCE_FILE

    parser = command(
        "reference-idf",
        "Rebuild the reference word weights the answerability model reads, from "
        "a folder of Vietnamese laws (one idf per accent-free word, by article).")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="folder of .txt laws (default ../shared/corpora/vlc)")
    parser.add_argument("--out", type=Path, default=REFERENCE_FILE)
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"error: {args.corpus}: no such folder (pass --corpus DIR)", file=sys.stderr)
        return 1
    from eval.reference import write

    print(f"wrote {write(args.corpus, args.out)} words to {args.out}")
    return 0
