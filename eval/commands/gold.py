"""``python -m eval [--index DIR]``: the gold sets, the answer sets and the mixed archive,
gated."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from eval.commands import command, say_error, searcher_options

if TYPE_CHECKING:
    from eval.report import GoldResult

GATE = {"R@5": 0.90, "MRR@10": 0.75}  # hybrid on the gold set
KIND_GATE = {"english": 0.80, "mixed": 0.80}  # hybrid R@5 per kind
OFFTOPIC_GATE = 0.70  # off-topic questions not answered: at least
COPY_GAP = 0.05  # unaccented copies: R@5 at most this far under their accented sources


def parser() -> argparse.ArgumentParser:
    """The options of ``python -m eval``."""
    parser = command("", "Evaluate retrieval on the gold set; exit 1 when hybrid is under the "
                     f"gate ({', '.join(f'{k} >= {v}' for k, v in GATE.items())}). See also: "
                     "python -m eval bench --help")
    parser.add_argument("--index", type=Path, default=None,
                        help="index folder (default: the sample-corpus index)")
    parser.add_argument("--gold", type=Path, default=None,
                        help="gold set to gate on (default eval/gold.jsonl)")
    parser.add_argument("--holdout", type=Path, default=None,
                        help="second set reported beside it, never tuned on and not gated "
                             "(default eval/holdout.jsonl; 'none' to skip)")
    parser.add_argument("--modes", default="bm25,dense,hybrid")
    searcher_options(parser)
    parser.add_argument("--fixed-weights", action="store_true",
                        help="do not adapt the weights to the query")
    parser.add_argument("--no-rerank", action="store_true",
                        help="rank by the convex fusion alone, without the learned combination "
                             "(search/ranker.json)")
    parser.add_argument("--no-answers", dest="answers", action="store_false",
                        help="skip the answer sets (retrieval only)")
    parser.add_argument("--no-scale", dest="scale", action="store_false",
                        help="skip the mixed archive (python -m eval scale)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from index.stores.versions import IndexFolderError

    try:
        measured = measure(args)
    except (ValueError, IndexFolderError) as exc:
        return say_error(exc)
    failed, passed = report(measured, args)
    if args.scale and "hybrid" in measured["gold"]:
        more_failed, more_passed = scale_report()
        failed, passed = failed + more_failed, passed + more_passed
    if failed:
        print(f"GATE FAILED: {'; '.join(failed)}")
        return 1
    if passed:
        print(f"gate passed: {', '.join(passed)}")
    return 0


def measure(args) -> dict:
    """Every run the report shows: the gold and hold-out sets in each mode, the off-topic
    questions and the answer sets."""
    from eval.answers import answer_sets, from_gold, run_answers
    from eval.gold import GOLD_FILE, HOLDOUT_FILE, OFFTOPIC_FILE, load_gold, with_unaccented_copies
    from eval.report import offtopic_abstentions, run_gold
    from index.build import ensure_default_index
    from search import Searcher

    modes = args.modes.split(",")
    skip_holdout = args.holdout is not None and str(args.holdout).lower() == "none"
    holdout_path = None if skip_holdout else (args.holdout or HOLDOUT_FILE)
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
        held = held_results = None
    offtopic = offtopic_abstentions(searcher, OFFTOPIC_FILE) if "hybrid" in modes else None
    answers = {}
    if "hybrid" in modes and args.answers:
        for name, (folder, asked) in answer_sets().items():
            same = Path(folder).resolve() == index_dir.resolve()
            answers[name] = run_answers(searcher if same else Searcher.load(folder), asked)
        if held is not None:
            answers["hold-out"] = run_answers(searcher, from_gold(held))
    return {"gold": results, "questions": questions, "held": held, "held_results": held_results,
            "holdout_path": holdout_path, "offtopic": offtopic, "answers": answers}


def report(measured: dict, args) -> tuple[list[str], list[str]]:
    """Print the tables; returns the gate's (failed, passed) checks."""
    from eval.answers import ANSWER_TARGETS, answer_gate, summary_table
    from eval.gold import GOLD_FILE, OFFTOPIC_FILE
    from eval.report import gold_table

    results, questions, held = measured["gold"], measured["questions"], measured["held"]
    offtopic, answers = measured["offtopic"], measured["answers"]
    print(f"Gold set ({args.gold or GOLD_FILE.name}, gated)\n")
    print(gold_table(results, questions))
    if held is not None:
        print(f"\nHold-out set ({Path(measured['holdout_path']).name}, reported only)\n")
        print(gold_table(measured["held_results"], held))
    print()
    if "hybrid" not in results:
        return [], []
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
    return failed, passed


def gate(hybrid: GoldResult, offtopic: tuple[int, int] | None = None
         ) -> tuple[list[str], list[str]]:
    """(failed, passed) checks of the gate on the hybrid results of the gold set."""
    from eval.gold import COPY_KIND

    by_kind = hybrid.metrics
    checks = [(f"{k} {hybrid.all[k]:.3f} >= {v}", hybrid.all[k] >= v) for k, v in GATE.items()]
    checks += [(f"{kind} R@5 {by_kind[kind]['R@5']:.3f} >= {v}", by_kind[kind]["R@5"] >= v)
               for kind, v in KIND_GATE.items() if kind in by_kind]
    if COPY_KIND in by_kind:
        copy, source = by_kind[COPY_KIND]["R@5"], by_kind[f"{COPY_KIND} (their sources)"]["R@5"]
        checks.append((f"unaccented copies R@5 {copy:.3f} within {COPY_GAP} of accented "
                       f"{source:.3f}", copy >= source - COPY_GAP - 1e-9))
    if offtopic:
        rate = offtopic[0] / max(offtopic[1], 1)
        checks.append((f"off-topic not answered {rate:.3f} >= {OFFTOPIC_GATE}",
                       rate >= OFFTOPIC_GATE))
    return [c for c, ok in checks if not ok], [c for c, ok in checks if ok]


def scale_report() -> tuple[list[str], list[str]]:
    """The hybrid comparison on the mixed archive, printed and gated (skipped with a note when
    the ALQAC corpus is not on this machine)."""
    from eval.mixed import ALQAC_CORPUS, compare, mixed_index, scale_gate, scale_table

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
