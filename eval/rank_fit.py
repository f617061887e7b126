"""Fit the learned combination of :mod:`search.rerank` (``python -m eval fit-ranker``) and
measure it against the hand-tuned convex fusion on held-out questions.

1. **Candidates.** Every question of the development sets is searched as the searcher does in
   hybrid mode (BM25 and dense lists of 100, adaptive weights); each passage of the union is a
   candidate with every feature of :data:`search.rerank.FEATURES` computed.  Sets:

   - the gold set (with its unaccented copies) on the sample index and on the mixed archive;
   - the answerable party-docs questions on the sample + party-docs index and on the mixed
     archive (:mod:`eval.mixed`; without ALQAC's corpus, the small indexes only);
   - the four BEIR dev sets of ``../shared/bench`` when present: a passage is relevant when its
     document is; each set weighs as much as :data:`BENCH_WEIGHT` questions in the fit, so that
     the thousands of benchmark questions do not drown the Party ones;
   - the hold-out set, never fitted: reported with the model fitted on everything else.

2. **Model.** Pairwise logistic regression (scikit-learn, L2, ``C``, no intercept) on the
   differences of standardized features between each relevant and each other candidate of a
   question, each question weighing the same: a linear score whose order is what is learned.

3. **Held-out figures.** Three folds by question (an unaccented copy goes with its source):
   each question is ranked by the model fitted on the other two folds; MRR@10 (development
   sets, passages) and nDCG@10 (benchmarks, documents by their best passage) against the
   hand-tuned fusion on the same candidates.  The file is written only when the learned model
   is no worse held out on every set (:func:`better`), or with ``--force``.

``--ablation`` measures each feature added alone to the fusion's score, in the same way.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

C = 0.1
FOLDS = 3
BENCH_WEIGHT = 80
BENCHES = ("uit-regulations", "xquad-en-vi", "xquad-vi-vi", "alqac23")
DEFAULT_FEATURES = ("fused", "pairs", "law")
TOLERANCE = 0.001  # held-out loss on a set still counted as no worse (rounding of ties)


@dataclass
class Query:
    """One question's candidates: all features, relevance, and what its metric needs."""

    qid: str
    kind: str
    rows: list[int]
    X: np.ndarray                 # (candidates, all features), columns in FEATURES order
    relevant: np.ndarray          # bool per candidate
    docs: list[str] = field(default_factory=list)          # benchmarks: candidate documents
    grades: dict[str, int] = field(default_factory=dict)   # benchmarks: qrels of the question

    @property
    def group(self) -> str:
        return self.qid.removesuffix("-nd")


@dataclass
class QuerySet:
    name: str
    queries: list[Query]
    metric: str        # "MRR@10" (passages) or "nDCG@10" (documents)
    fitted: bool = True

    @property
    def weight(self) -> float:
        return BENCH_WEIGHT / len(self.queries) if self.metric == "nDCG@10" else 1.0


def features_of(searcher, text: str) -> tuple[list[int], np.ndarray]:
    """The hybrid candidates of ``text`` and all their features."""
    from search.rerank import FEATURES
    from search.searcher import CANDIDATES

    info = searcher.analyze(text)
    bm25 = searcher.bm25_run(info, None, CANDIDATES)
    dense = searcher.dense_run(searcher.query_vector(info.rewritten), None, CANDIDATES)
    candidates = searcher.combiner.candidates(info, bm25, dense)
    return candidates.rows, searcher.combiner.features.matrix(candidates, tuple(FEATURES))


def development_set(name: str, searcher, questions) -> QuerySet:
    from .report import gold_qrels

    qrels = gold_qrels(searcher, questions)
    queries = []
    for q in questions:
        rows, X = features_of(searcher, q.query)
        relevant = np.array([searcher.data.passages[r].passage_id in qrels[q.qid] for r in rows],
                            dtype=bool)
        queries.append(Query(q.qid, q.kind, rows, X, relevant))
    return QuerySet(name, queries, "MRR@10", fitted=not name.startswith("hold-out"))


def bench_set(name: str, searcher, queries: dict[str, str], qrels: dict) -> QuerySet:
    out = []
    for qid, grades in qrels.items():
        if qid not in queries:
            continue
        rows, X = features_of(searcher, queries[qid])
        docs = [searcher.data.passages[r].doc_id for r in rows]
        out.append(Query(qid, name, rows, X, np.array([d in grades for d in docs], dtype=bool),
                         docs, grades))
    return QuerySet(name, out, "nDCG@10")


def collect(say=print) -> list[QuerySet]:
    """Every set's candidates (indexes built on first use)."""
    from index.encoders.embeddings import DEFAULT_MODEL
    from search import Searcher

    from .bench import ensure_bench_index, load_qrels, load_queries
    from .mixed import BENCH_DIR, mixed_index, question_sets

    loaded: dict[Path, Searcher] = {}  # the gold and hold-out sets share the sample's index

    def searcher_of(folder: Path | None) -> Searcher | None:
        if folder is None:
            return None
        key = Path(folder).resolve()
        if key not in loaded:
            loaded[key] = Searcher.load(folder, rerank=False)
        return loaded[key]

    out = []
    mixed = mixed_index()
    for name, (questions, small) in question_sets().items():
        for where, searcher in (("small", searcher_of(small)), ("mixed", searcher_of(mixed))):
            if searcher is not None:
                say(f"  {name} on the {where} index: {len(questions)} questions")
                out.append(development_set(f"{name} {where}", searcher, questions))
    if mixed is None:
        say("  (no mixed archive: ALQAC's corpus is missing)")
    for bench in BENCHES:
        folder = BENCH_DIR / bench
        if not (folder / "corpus.jsonl").is_file():
            say(f"  (benchmark {bench} not found under {BENCH_DIR})")
            continue
        searcher = Searcher.load(ensure_bench_index(folder / "corpus.jsonl", DEFAULT_MODEL),
                                 rerank=False)
        queries, qrels = load_queries(folder / "queries.jsonl"), load_qrels(folder / "qrels.tsv")
        say(f"  {bench}: {len(qrels)} questions")
        out.append(bench_set(bench, searcher, queries, qrels))
    return out


# --- fitting ------------------------------------------------------------------------------

def columns(names: tuple[str, ...]) -> list[int]:
    from search.rerank import FEATURES

    order = list(FEATURES)
    return [order.index(n) for n in names]


def fit(sets: list[QuerySet], names: tuple[str, ...], c: float = C):
    """The pairwise model on the questions of ``sets`` (their fitted ones): (weights, mean,
    scale) over standardized features ``names``."""
    from sklearn.linear_model import LogisticRegression

    cols = columns(names)
    chosen = [(q, s.weight) for s in sets if s.fitted for q in s.queries]
    X = np.vstack([q.X[:, cols] for q, _ in chosen])
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    diffs, weights = [], []
    for q, weight in chosen:
        if not q.relevant.any() or q.relevant.all():
            continue
        Z = (q.X[:, cols] - mean) / scale
        d = (Z[q.relevant][:, None, :] - Z[~q.relevant][None, :, :]).reshape(-1, len(cols))
        diffs.append(d)
        weights.append(np.full(len(d), weight / len(d)))
    D, w = np.vstack(diffs), np.concatenate(weights)
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=5000)
    model.fit(np.vstack([D, -D]), np.r_[np.ones(len(D)), np.zeros(len(D))],
              sample_weight=np.r_[w, w] * len(chosen))
    return model.coef_[0], mean, scale


def scorer(names: tuple[str, ...], model):
    cols = columns(names)
    weights, mean, scale = model
    return lambda q: ((q.X[:, cols] - mean) / scale) @ weights


def measure(q: Query, scores: np.ndarray) -> float:
    """MRR@10 over passages, or (benchmarks) nDCG@10 over documents by their best passage;
    ties broken by passage row as the searcher does."""
    order = np.lexsort((np.asarray(q.rows), -scores))
    if not q.docs:
        first = np.flatnonzero(q.relevant[order][:10])
        return 1.0 / (first[0] + 1) if first.size else 0.0
    ranked: list[str] = []
    for i in order:
        if q.docs[i] not in ranked:
            ranked.append(q.docs[i])
            if len(ranked) == 10:
                break
    dcg = sum(q.grades.get(d, 0) / np.log2(i + 2) for i, d in enumerate(ranked))
    ideal = sorted(q.grades.values(), reverse=True)[:10]
    return dcg / sum(g / np.log2(i + 2) for i, g in enumerate(ideal))


def fold(q: Query) -> int:
    return zlib.crc32(q.group.encode()) % FOLDS


def held_out(sets: list[QuerySet], names: tuple[str, ...], c: float = C) -> dict[str, float]:
    """Per set: the mean measure, each fitted question ranked by the model fitted without its
    fold, the hold-out set by the model fitted on everything."""
    totals: dict[str, list[float]] = {s.name: [] for s in sets}
    for k in range(FOLDS):
        train = [QuerySet(s.name, [q for q in s.queries if fold(q) != k], s.metric, s.fitted)
                 for s in sets]
        score = scorer(names, fit(train, names, c))
        for s in sets:
            if s.fitted:
                totals[s.name] += [measure(q, score(q)) for q in s.queries if fold(q) == k]
    score = scorer(names, fit(sets, names, c))
    for s in sets:
        if not s.fitted:
            totals[s.name] = [measure(q, score(q)) for q in s.queries]
    return {name: float(np.mean(v)) for name, v in totals.items()}


def hand_tuned(sets: list[QuerySet]) -> dict[str, float]:
    col = columns(("fused",))[0]
    return {s.name: float(np.mean([measure(q, q.X[:, col]) for q in s.queries])) for s in sets}


def better(learned: dict[str, float], fused: dict[str, float]) -> bool:
    return all(learned[name] >= fused[name] - TOLERANCE for name in fused)


def table(rows: dict[str, dict[str, float]], sets: list[QuerySet]) -> str:
    names = [s.name for s in sets]
    head = "| ranking | " + " | ".join(f"{n} ({s.metric})" for n, s in zip(names, sets)) + " |"
    lines = [head, "|---|" + "---:|" * len(names)]
    for label, values in rows.items():
        lines.append(f"| {label} | " + " | ".join(f"{values[n]:.3f}" for n in names) + " |")
    return "\n".join(lines)


def run(out: Path, names: tuple[str, ...] = DEFAULT_FEATURES, c: float = C,
        force: bool = False, ablation: bool = False, say=print) -> dict:
    """Collect, measure held out, fit on everything fitted, write ``out`` when better."""
    from search.rerank import FEATURES, Ranker

    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise ValueError(f"unknown features {unknown}; known: {', '.join(FEATURES)}")
    say("collecting candidates")
    sets = collect(say)
    fused = hand_tuned(sets)
    rows = {"hand-tuned fusion": fused}
    if ablation:
        for extra in FEATURES:
            if extra != "fused":
                say(f"  + {extra}")
                rows[f"fusion + {extra}"] = held_out(sets, ("fused", extra), c)
    learned = held_out(sets, names, c)
    rows[f"learned: {' + '.join(names)}"] = learned
    say("\nheld out (3 folds by question; hold-out set: never fitted)\n")
    say(table(rows, sets))
    weights, mean, scale = fit(sets, names, c)
    ranker = Ranker(tuple(names), weights, mean, scale, {
        "fitted": {"command": "python -m eval fit-ranker", "when": datetime.now(timezone.utc)
                   .strftime("%Y-%m-%dT%H:%M:%SZ"), "C": c, "bench_weight": BENCH_WEIGHT,
                   "sets": {s.name: len(s.queries) for s in sets if s.fitted}},
        "held_out": {label: {k: round(v, 4) for k, v in values.items()}
                     for label, values in (("learned", learned), ("hand_tuned", fused))}})
    ok = better(learned, fused)
    if ok or force:
        ranker.save(out)
        say(f"\nwrote {out}: " + ", ".join(f"{n} {w:+.3f}" for n, w in zip(names, weights)))
    else:
        say(f"\nnot written: the learned model is worse held out than the hand-tuned fusion on "
            f"{', '.join(n for n in fused if learned[n] < fused[n] - TOLERANCE)} "
            "(--force writes it anyway)")
    return {"rows": rows, "written": ok or force, "ranker": ranker.to_dict()}
