"""Fit the answerability models (``python -m eval fit-answers``) on the fitting half of the
answer sets and write ``search/answerability.json``.

1. Each question that reaches the models at query time (not a document code, not "no
   evidence") gives its candidate sentences (:func:`search.answering.sentence_candidates`);
   a candidate is positive when it holds one of the evidence quotes, so unanswerable questions
   give only negatives.
2. The sentence ranker: a conditional logit over each question's eligible candidates
   (:func:`_listwise`).  The answer model: logistic regression (scikit-learn, L2, ``C``) over
   each question's best candidate that meets the rules, classes weighted so that the
   positives, far fewer, count as much as the negatives.  Both on standardized features.
3. The threshold on a question's best candidate: the one that maximizes, on the fitting side,
   the share of unanswerable questions refused plus the share of answerable ones answered with
   a sentence holding the evidence, with false abstentions kept at or under
   :data:`MAX_FALSE_ABSTENTIONS`; when no threshold can (the rules of
   :func:`search.answerability.meets_type` already abstain that much), the lowest that adds
   fewest abstentions.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .answers import AskQuestion, holds_evidence

C = 1.0
MAX_FALSE_ABSTENTIONS = 0.08


def candidates_of(searcher, q: AskQuestion) -> list[tuple[dict, bool]] | None:
    """(features, holds the evidence) of each candidate sentence the models would read for
    ``q``; None when the question stops before them (a code's card, no evidence)."""
    from search.answering import evidence, read_question, sentence_candidates

    info = searcher.analyze(q.query)
    hits = searcher.ranked(info, 10)
    question = read_question(searcher, info)
    if question.card is not None or not hits or evidence(searcher, info, hits)["weak"]:
        return None
    passages, candidates = sentence_candidates(searcher, question, hits)
    out = []
    for c in candidates:
        hit = passages[c.hit_index]
        label = (q.answerable and hit.doc_id == q.doc and holds_evidence(
            searcher.document_text(hit.doc_id), hit.start + c.start, hit.start + c.end, q))
        out.append((c.features, label))
    return out


def _standardize(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scale of each column (a constant column keeps scale 1)."""
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    return mean, scale


def _weights(names: tuple[str, ...], coef, mean, scale, intercept: float) -> dict:
    """The JSON form :class:`search.answerability.Logistic` reads."""
    return {"coef": dict(zip(names, map(float, coef))), "mean": dict(zip(names, map(float, mean))),
            "scale": dict(zip(names, map(float, scale))), "intercept": float(intercept)}


def _logistic(X: np.ndarray, y: np.ndarray, names: tuple[str, ...]) -> dict:
    from sklearn.linear_model import LogisticRegression

    mean, scale = _standardize(X)
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000)
    model.fit((X - mean) / scale, y)
    return _weights(names, model.coef_[0], mean, scale, model.intercept_[0])


def _listwise(groups, names: tuple[str, ...], l2: float = 1.0) -> dict:
    """Weights of a ranker of each question's eligible candidates: the conditional logit
    (softmax over the candidates) that maximizes the probability of those holding the
    evidence, with an L2 penalty; questions with no such candidate say nothing about ranking.
    Fitted with L-BFGS on standardized features (no intercept: it cancels in a softmax)."""
    from scipy.optimize import minimize

    from search.answerability import eligible

    lists = []
    for _, cands in groups:
        keep = eligible([f for f, _ in cands])
        y = np.array([cands[i][1] for i in keep], dtype=bool)
        if y.any():
            lists.append((np.array([[cands[i][0][n] for n in names] for i in keep]), y))
    mean, scale = _standardize(np.vstack([x for x, _ in lists]))
    lists = [((x - mean) / scale, y) for x, y in lists]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = l2 * w @ w, 2 * l2 * w
        for z, y in lists:
            e = np.exp(z @ w - (z @ w).max())
            total -= np.log(e[y].sum() / e.sum())
            grad -= z[y].T @ (e[y] / e[y].sum()) - z.T @ (e / e.sum())
        return total, grad

    w = minimize(loss, np.zeros(len(names)), jac=True, method="L-BFGS-B").x
    return _weights(names, w, mean, scale, 0.0)


def fit(groups: list[tuple[AskQuestion, list[tuple[dict, bool]]]]) -> dict:
    """The weights (as stored in ``answerability.json``) fitted on ``groups``: the sentence
    ranker (:func:`_listwise`), then the answer model on each question's best candidate that
    meets the question's type (the others are not answers whatever the model says; positive
    when the question is answerable and that candidate holds the evidence), then the
    threshold."""
    from search.answerability import (
        ANSWER_FEATURES,
        SENTENCE_FEATURES,
        Logistic,
        answer_features,
        meets_type,
    )

    sentence = _listwise(groups, SENTENCE_FEATURES)
    ranker = Logistic(SENTENCE_FEATURES, sentence, "sentence")
    best = [b for b in (_best(cands, ranker) for _, cands in groups)
            if b is not None and meets_type(b[0])]
    rows = [answer_features(f, ranker) for f, _ in best]
    X = np.array([[r[n] for n in ANSWER_FEATURES] for r in rows])
    y = np.array([label for _, label in best], dtype=int)
    answer = _logistic(X, y, ANSWER_FEATURES)
    weights = {"sentence": sentence, "answer": answer}
    weights["threshold"] = choose_threshold(groups, weights)
    return weights


def _best(cands: list[tuple[dict, bool]], ranker) -> tuple[dict, bool] | None:
    """The candidate the sentence model picks among the eligible ones
    (:func:`search.answerability.eligible`); None when none is."""
    from search.answerability import eligible

    return max((cands[i] for i in eligible([f for f, _ in cands])),
               key=lambda c: ranker.logit(c[0]), default=None)


def best_probabilities(groups, weights: dict) -> list[tuple[AskQuestion, float, bool]]:
    """(question, answerability of its best candidate, that candidate holds the evidence)."""
    from search.answerability import AnswerabilityModel

    model = AnswerabilityModel({**weights, "threshold": 0.5})
    out = []
    for q, cands in groups:
        best = _best(cands, model.sentence)
        out.append((q, 0.0, False) if best is None else
                   (q, model.answerability(best[0]), best[1]))
    return out


def choose_threshold(groups, weights: dict) -> float:
    best = best_probabilities(groups, weights)
    yes = [(p, ok) for q, p, ok in best if q.answerable]
    no = [p for q, p, _ in best if not q.answerable]
    options = []
    for t in np.round(np.arange(0.01, 0.96, 0.01), 2):
        refused = sum(p < t for p in no) / max(len(no), 1)
        right = sum(p >= t and ok for p, ok in yes) / max(len(yes), 1)
        false = sum(p < t for p, _ in yes) / max(len(yes), 1)
        options.append((false <= MAX_FALSE_ABSTENTIONS, refused + right, -false, -t, float(t)))
    feasible = [o for o in options if o[0]]
    if not feasible:  # the rules alone abstain more: keep the model's own abstentions fewest
        return min(options, key=lambda o: (-o[2], o[4]))[4]
    return max(feasible)[4]


def collect() -> list[tuple[AskQuestion, list[tuple[dict, bool]]]]:
    """The candidates of every question of the answer sets that reaches the models."""
    from search import Searcher

    from .answers import answer_sets

    groups = []
    for _, (index_dir, questions) in answer_sets().items():
        searcher = Searcher.load(index_dir)
        for q in questions:
            cands = candidates_of(searcher, q)
            if cands:
                groups.append((q, cands))
    return groups


def run(out: Path) -> dict:
    """Collect the candidates, fit on the fitting side, write ``out``."""
    groups = collect()
    fitted = [(q, c) for q, c in groups if q.fitted]
    weights = fit(fitted)
    weights["fitted"] = {
        "command": "python -m eval fit-answers", "when": datetime.now(timezone.utc)
        .strftime("%Y-%m-%dT%H:%M:%SZ"), "C": C, "questions": len(fitted),
        "answerable": sum(q.answerable for q, _ in fitted),
        "candidates": sum(len(c) for _, c in fitted),
        "positives": sum(label for _, c in fitted for _, label in c),
        "max_false_abstentions": MAX_FALSE_ABSTENTIONS}
    Path(out).write_text(json.dumps(weights, ensure_ascii=False, indent=1) + "\n",
                         encoding="utf-8")
    return weights
