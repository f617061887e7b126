"""Precision as the archive grows (``python -m eval scale``): the development question sets on a
mixed archive beside the small indexes they were written for.

The mixed archive is the sample, the 16 real Party documents of ``data/party-docs`` and the
2,131 law articles of ALQAC 2023 (``../shared/bench/alqac23/corpus.jsonl``, not shipped with
the project: it states no licence), about 9,400 passages, built once into
``.tracuu/mixed-index`` (embeddings come from the cache after the first build: about 5 minutes
on 2 cores from an empty cache).  Without the ALQAC file the comparison is skipped with a note.

Sets: the gold set (with its unaccented copies) and the hold-out set, whose small index is the
sample's; the answerable party-docs questions, whose small index is the sample with
``data/party-docs``.
"""

from __future__ import annotations

from pathlib import Path

from index.paths import PARTY_DOCS, PROJECT_ROOT, SAMPLE_CORPUS

from .answers import PARTY_DOCS_FILE, load_ask_set
from .gold import HOLDOUT_FILE, Question, load_gold, with_unaccented_copies
from .report import run_gold

BENCH_DIR = PROJECT_ROOT.parent / "shared" / "bench"  # BEIR dev splits, not shipped
ALQAC_CORPUS = BENCH_DIR / "alqac23" / "corpus.jsonl"
MIXED_INDEX = PROJECT_ROOT / ".tracuu" / "mixed-index"
PARTY_INDEX = PROJECT_ROOT / ".tracuu" / "party-docs-index"
SCALE_MEASURES = ("R@1", "R@5", "MRR@10", "nDCG@10")
# hybrid on the mixed archive: what has been reached, so that no change goes back; the issue's
# goals (gold MRR@10 within 0.05 of the small index, party-docs MRR@10 >= 0.85, English R@5
# >= 0.85) are printed beside it
SCALE_GATE = {"gold": {"MRR@10": 0.83}, "party-docs": {"MRR@10": 0.87}}


def scale_gate(results: dict) -> tuple[list[str], list[str]]:
    """(failed, passed) checks of :data:`SCALE_GATE` on the hybrid results."""
    checks = []
    for name, limits in SCALE_GATE.items():
        if name in results:
            for measure, floor in limits.items():
                got = results[name]["mixed"]["hybrid"].all[measure]
                checks.append((f"mixed archive {name} {measure} {got:.3f} >= {floor}",
                               got >= floor))
    return [c for c, ok in checks if not ok], [c for c, ok in checks if ok]


def mixed_index(corpus: Path = ALQAC_CORPUS) -> Path | None:
    """The mixed archive's index, built on first use; None without the ALQAC corpus."""
    from index.build import ensure_index

    if not Path(corpus).is_file():
        return None
    return ensure_index(MIXED_INDEX, [SAMPLE_CORPUS, PARTY_DOCS, Path(corpus)],
                        "the mixed archive (sample, data/party-docs, ALQAC's law articles)")


def party_questions() -> list[Question]:
    """The answerable party-docs questions as retrieval questions (their evidence quotes mark
    the relevant passages)."""
    return [Question(q.qid, q.query, q.kind, q.doc, q.evidence)
            for q in load_ask_set(PARTY_DOCS_FILE) if q.answerable]


def question_sets() -> dict[str, tuple[list[Question], Path]]:
    """name -> (questions, the small index they were written for)."""
    from index.build import ensure_default_index, ensure_index

    sample = ensure_default_index()
    party = ensure_index(PARTY_INDEX, [SAMPLE_CORPUS, PARTY_DOCS],
                         "the sample and data/party-docs")
    return {"gold": (with_unaccented_copies(load_gold()), sample),
            "hold-out": (with_unaccented_copies(load_gold(HOLDOUT_FILE)), sample),
            "party-docs": (party_questions(), party)}


def compare(mixed: Path, modes: tuple[str, ...] = ("hybrid",)) -> dict:
    """{set: {"questions": [...], "small_index": folder, "small": {mode: results}, "mixed":
    {mode: results}}} with :func:`eval.report.run_gold`'s results."""
    from search import Searcher

    loaded: dict[Path, Searcher] = {}

    def searcher(folder: Path) -> Searcher:
        key = Path(folder).resolve()
        if key not in loaded:
            loaded[key] = Searcher.load(folder)
        return loaded[key]

    out = {}
    for name, (questions, small) in question_sets().items():
        out[name] = {"questions": questions, "small_index": small,
                     "small": {m: run_gold(searcher(small), questions, m) for m in modes},
                     "mixed": {m: run_gold(searcher(mixed), questions, m) for m in modes}}
    return out


def passages_of(folder: Path) -> int:
    from index.stores.folder import read_manifest

    return read_manifest(Path(folder).resolve(), Path(folder))["counts"]["passages"]


def scale_table(results: dict, mixed: Path) -> str:
    """Markdown: each set and mode on its small index and on the mixed archive."""
    lines = ["| set | n | mode | index (passages) | " + " | ".join(SCALE_MEASURES) + " |",
             "|---|---:|---|---|" + "---:|" * len(SCALE_MEASURES)]
    for name, res in results.items():
        for mode in res["small"]:
            for where, size in (("small", passages_of(res["small_index"])),
                                ("mixed", passages_of(mixed))):
                scores = res[where][mode].all
                lines.append(f"| {name} | {len(res['questions'])} | {mode} | {where} ({size:,}) "
                             "| " + " | ".join(f"{scores[m]:.3f}" for m in SCALE_MEASURES) + " |")
    return "\n".join(lines)
