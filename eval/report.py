"""Run the gold set through a Searcher and format the metrics table (overall and per kind)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from .gold import COPY_KIND, Question, relevant_passages
from .metrics import GOLD_MEASURES, evaluate


def gold_qrels(searcher, questions: list[Question]) -> dict[str, dict[str, int]]:
    qrels = {q.qid: relevant_passages(q, searcher.data.passages) for q in questions}
    empty = [q.qid for q in questions if not qrels[q.qid]]
    if empty:
        raise ValueError(f"gold questions whose evidence is in no indexed passage: "
                         f"{', '.join(empty)}; is the index built from the sample corpus?")
    return qrels


def groups(questions: list[Question]) -> dict[str, list[str]]:
    """Question ids per kind, plus the accented sources of the unaccented copies."""
    out: dict[str, list[str]] = {}
    for q in questions:
        out.setdefault(q.kind, []).append(q.qid)
    if COPY_KIND in out:
        sources = [qid[:-3] for qid in out[COPY_KIND]]
        out[f"{COPY_KIND} (their sources)"] = sources
    return out


def ranked_run(hits) -> dict[str, float]:
    """A run scored by rank, as a reader sees the hits: the evaluation sorts by score, and a
    hit's own score need not fall with its rank (a document named by its code comes first
    whatever its score)."""
    return {h.passage_id: float(len(hits) - rank) for rank, h in enumerate(hits)}


@dataclass(frozen=True)
class GoldResult:
    """One mode on a question set: ``metrics`` by kind of question (``all``: every question),
    how many questions each kind has, the run (question -> passage -> score by rank), and the
    time per question when it was measured."""

    metrics: Mapping[str, Mapping[str, float]]
    counts: Mapping[str, int]
    run: Mapping[str, Mapping[str, float]]
    ms: float | None = None

    @property
    def all(self) -> Mapping[str, float]:
        """The metrics over every question."""
        return self.metrics["all"]

    def timed(self, ms: float) -> GoldResult:
        return replace(self, ms=ms)


def run_gold(searcher, questions: list[Question], mode: str, k: int = 10) -> GoldResult:
    """The gold run of ``mode`` and its metrics, overall and by kind of question."""
    qrels = gold_qrels(searcher, questions)
    run = {}
    for q in questions:
        hits = searcher.search(q.query, k=k, mode=mode, answers=False)
        run[q.qid] = ranked_run(hits)
    metrics = {"all": evaluate(qrels, run)}
    counts = {}
    for kind, ids in groups(questions).items():
        metrics[kind] = evaluate({i: qrels[i] for i in ids}, run)
        counts[kind] = len(ids)
    return GoldResult(metrics, counts, run)


def gold_table(results: dict[str, GoldResult], questions: list[Question]) -> str:
    """Markdown table: one row per (kind, mode)."""
    names = list(GOLD_MEASURES)
    lines = ["| kind | n | mode | " + " | ".join(names) + " |",
             "|---|---:|---|" + "---:|" * len(names)]
    kinds = ["all"] + list(groups(questions))
    for kind in kinds:
        for mode, res in results.items():
            n = len(questions) if kind == "all" else res.counts[kind]
            vals = " | ".join(f"{res.metrics[kind][m]:.3f}" for m in names)
            lines.append(f"| {kind} | {n} | {mode} | {vals} |")
    return "\n".join(lines)


def offtopic_abstentions(searcher, path) -> tuple[int, int]:
    """(not answered, asked) over the off-topic questions in ``path`` (JSONL with ``query``)."""
    import json

    lines = Path(path).read_text(encoding="utf-8").splitlines()
    queries = [json.loads(line)["query"] for line in lines if line.strip()]
    return sum(searcher.ask(q).abstained for q in queries), len(queries)
