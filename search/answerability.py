"""Does this sentence answer this question?  The question's type, focus and asked-about words,
the features of a candidate sentence, the rules it must meet, and the two fitted models.

A question is read for (:func:`search.questions.question_type`, :func:`focus_words`,
:func:`search.questions.slot_units`):

- its **type** (:mod:`search.questions`): a deadline or period, a number, a body, a person,
  a date, the signer, the addressees, a document (*which regulation*) - each needs its own kind
  of expression in the answering sentence (``TYPE_PATTERNS``; ``type_span`` finds it, so it
  can be marked);
- its **focus**: its content words (compounds whole), weighted by how telling they are in
  ordinary administrative Vietnamese (:class:`ReferenceWeights`), question words left out;
- its **slot**: the words next to where it asks (*ngày **thành lập***, *thời hạn **nộp***).

:func:`candidate_features` describes one candidate sentence; :func:`meets_type` and
:func:`eligible` are the rules; :class:`AnswerabilityModel` holds the weights fitted by
``python -m eval fit-answers`` (:mod:`eval.fit`), stored as plain JSON in
``answerability.json`` beside this file: a ranker of the sentences and the probability that
the best of them answers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from index.text import has_diacritics, normalize, strip_accents
from search.questions import QUESTION_WORDS

WEIGHTS_FILE = Path(__file__).with_name("answerability.json")
REFERENCE_FILE = Path(__file__).with_name("reference_idf.tsv")  # see eval/reference.py

# --- focus ---------------------------------------------------------------------------------------


class ReferenceWeights:
    """How telling each word is in ordinary administrative and legal Vietnamese: its idf over
    the articles of 208 laws (``reference_idf.tsv``, made by ``python -m eval reference-idf``);
    a word the laws never use weighs as the rarest one."""

    def __init__(self, path: Path = REFERENCE_FILE):
        self.idf: dict[str, float] = {}
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise ValueError(f"{path}: reference word weights missing; rebuild them with "
                             "`python -m eval reference-idf`") from None
        for lineno, line in enumerate(lines, 1):
            if not line or line.startswith("#"):
                continue
            word, sep, value = line.partition("\t")
            try:
                self.idf[word] = float(value)
            except ValueError:
                raise ValueError(f"{path}:{lineno}: expected WORD<TAB>IDF, got {line!r}; "
                                 "rebuild with `python -m eval reference-idf`") from None
        self.max = max(self.idf.values(), default=1.0)

    def __contains__(self, word: str) -> bool:
        return word in self.idf

    def __call__(self, word: str) -> float:
        """The idf of ``word`` (accent-free, syllables joined by spaces); for a compound the
        laws never use, that of its most telling part they do use (``tuyen giao huyen`` as
        ``tuyen giao``), else the largest (``dang phi``)."""
        if word in self.idf:
            return self.idf[word]
        parts = word.split()
        known = [self.idf[" ".join(parts[i:i + n])] for n in (2, 3) for i in range(len(parts))
                 if len(parts) > n and " ".join(parts[i:i + n]) in self.idf]
        return max(known, default=self.max)


@lru_cache(maxsize=1)
def reference_weights() -> ReferenceWeights:
    return ReferenceWeights()


@dataclass(frozen=True)
class FocusWord:
    """A content word of the question: its accent-free units (the syllable of a one-syllable
    word, the adjacent pairs of a compound), its weight (how telling it is in ordinary text)
    and whether the index has ever seen it."""

    text: str
    units: frozenset
    weight: float
    seen: bool = True

    def found_in(self, units: set[str]) -> bool:
        return self.units <= units


def _word_units(folded: list[str]) -> frozenset:
    """The units of one word: its syllable, or the adjacent pairs of a compound."""
    if len(folded) == 1:
        return frozenset(folded)
    return frozenset(f"{a}_{b}" for a, b in zip(folded, folded[1:]))


def focus_words(words: list[list[str]], idf: Callable[[str], float],
                reference: ReferenceWeights, split_unseen: bool = False,
                drop_unseen: bool = False, drop_unseen_unmarked: bool = False
                ) -> list[FocusWord]:
    """The question's focus from its words (each a list of syllables, as segmented, case
    kept): question words, numbers and one-letter syllables left out, a compound kept whole
    (``đảng phí``) unless it is a misjoined name (capitalized, seen neither in the index nor
    in the reference: ``ủy Giồng``).  ``idf`` tells whether the index has seen a unit.
    ``split_unseen`` reads every compound the index has not seen as its syllables (text typed
    without marks segments poorly); ``drop_unseen`` leaves out the words the index has not
    seen (the English words of an English question), ``drop_unseen_unmarked`` those of them
    typed without marks (English words in a Vietnamese question)."""
    def seen(units) -> bool:
        return all(idf(u) > 0 for u in units)

    pieces: list[list[str]] = []
    for word in words:
        folded = [strip_accents(normalize(w)) for w in word]
        if len(word) > 1 and not seen(_word_units(folded)) and (
                split_unseen or (" ".join(folded) not in reference
                                 and any(w[:1].isupper() for w in word))):
            pieces.extend([w] for w in word)
        else:
            pieces.append(word)
    out: dict[frozenset, FocusWord] = {}
    for word in pieces:
        folded = [strip_accents(normalize(w)) for w in word]
        if all(w in QUESTION_WORDS or w.isdigit() or len(w) < 2 for w in folded):
            continue  # ``bao nhiêu``, ``thời hạn``, ``là``: what is asked, not what about
        units = _word_units(folded)
        known = seen(units)
        if not known and (drop_unseen or (drop_unseen_unmarked
                                          and not has_diacritics(" ".join(word)))):
            continue
        weight = reference(" ".join(folded))
        out.setdefault(units, FocusWord(" ".join(word), units, weight, known))
    return list(out.values())


def share(focus: list[FocusWord], present: set[str]) -> float:
    """The weighted share of the ``focus`` words found in ``present`` (1 with no focus)."""
    total = sum(w.weight for w in focus)
    return sum(w.weight for w in focus if w.found_in(present)) / total if total else 1.0


def rarest_missing(focus: list[FocusWord], present: set[str], top: float) -> float:
    """Weight of the most telling focus word missing from ``present``, over ``top``."""
    return max((w.weight for w in focus if not w.found_in(present)), default=0.0) / top


TELLING = 3.0  # reference idf from which a missing word counts (a word in under 1 article in 20)


# --- features and models -------------------------------------------------------------------------

# a candidate sentence: how likely it is the one holding the answer
SENTENCE_FEATURES = ("focus_sentence", "focus_passage", "type_met", "cosine", "cosine_best_gap",
                     "lexical_best_gap", "reciprocal_rank", "english_cosine", "named_document",
                     "slot")
# the best candidate of a question: is it an answer at all
ANSWER_FEATURES = ("sentence_logit", "focus_sentence", "focus_window", "focus_passage",
                   "rarest_missing", "cosine_z", "missing_words", "unseen_words", "type_asked",
                   "type_met", "type_and_focus", "cosine", "passage_cosine", "english",
                   "english_cosine", "named_document", "slot")


@dataclass
class Candidate:
    """One sentence of one hit that may answer the question, with its features."""

    hit_index: int
    start: int  # offsets in the hit's text
    end: int
    features: dict
    probability: float = 0.0  # of holding the answer, among the question's sentences
    span: tuple[int, int] | None = None  # offsets in the sentence of what the type asks for


def candidate_features(focus: list[FocusWord], slot: set[str], sentence_units: set[str],
                       window_units: set[str],
                       passage_units: set[str], kind: str | None, strength: float,
                       cosine: float, best_cosine: float, cosine_z: float, passage_cosine: float,
                       lexical: float, best_lexical: float, rank: int,
                       english: float, named: float, says_more: bool = True,
                       terms: list[FocusWord] = ()) -> dict:
    """The features of one candidate sentence (both models read from them); ``slot`` the
    units the question asks about (:func:`slot_units`), looked for in the sentence and its
    neighbours; ``named`` is 1 when the sentence is in a document the question names, 0 when
    it names others, 0.5 when it names none; ``says_more`` whether the sentence says anything
    the question does not; ``terms`` those its passage must hold (an English question's telling
    glossary terms)."""
    focus_sentence = share(focus, sentence_units)
    missing = [w for w in focus if not w.found_in(passage_units) and w.weight >= TELLING]
    return {
        "focus_sentence": focus_sentence,
        "focus_window": share(focus, window_units),
        "focus_passage": share(focus, passage_units),
        "rarest_missing": rarest_missing(focus, passage_units, reference_weights().max),
        "missing_words": math.log1p(len(missing)),
        "unseen_words": math.log1p(sum(not w.seen for w in focus)),
        "type_asked": float(kind is not None),
        "type_met": strength,
        "type_and_focus": strength * focus_sentence,
        "cosine": cosine,
        "cosine_best_gap": cosine - best_cosine,
        "cosine_z": cosine_z,
        "passage_cosine": passage_cosine,
        "lexical_best_gap": (lexical - best_lexical) / best_lexical if best_lexical else 0.0,
        "reciprocal_rank": 1.0 / rank,
        "english": english,
        "english_cosine": english * cosine,
        "named_document": named,
        "slot": len(slot & window_units) / len(slot) if slot else 1.0,
        "says_more": float(says_more),  # not model features: what :func:`admissible` reads
        "term_missing": float(any(not w.found_in(passage_units) for w in terms)),
        "kind": kind,  # not a model feature: what :func:`meets_type` reads
    }


class Logistic:
    """``σ(b + Σ wᵢ (xᵢ − μᵢ) / sᵢ)`` over named features, from plain JSON weights."""

    def __init__(self, names: tuple[str, ...], weights: dict, what: str):
        missing = [f for f in names if f not in weights.get("coef", {})]
        if missing:
            raise ValueError(f"answerability weights ({what}) lack {', '.join(missing)}; re-fit "
                             "them with `python -m eval fit-answers`")
        self.names = names
        self.coef = weights["coef"]
        self.mean = weights["mean"]
        self.scale = weights["scale"]
        self.intercept = float(weights["intercept"])

    def logit(self, features: dict) -> float:
        return self.intercept + sum(
            self.coef[f] * (features[f] - self.mean[f]) / (self.scale[f] or 1.0)
            for f in self.names)

    def probability(self, features: dict) -> float:
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, self.logit(features)))))


class AnswerabilityModel:
    """The two fitted models: ``sentence`` ranks a question's candidate sentences, ``answer``
    says whether the best of them answers it; an answer is shown at or above ``threshold``."""

    def __init__(self, weights: dict):
        try:
            self.sentence = Logistic(SENTENCE_FEATURES, weights["sentence"], "sentence")
            self.answer = Logistic(ANSWER_FEATURES, weights["answer"], "answer")
            self.threshold = float(weights["threshold"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"answerability weights without {exc}; re-fit them with "
                             "`python -m eval fit-answers`") from None
        self.fitted = weights.get("fitted", {})

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> AnswerabilityModel:
        try:
            return cls(json.loads(Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise ValueError(f"{path}: answerability weights missing; fit them with "
                             "`python -m eval fit-answers`") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc}); re-fit with "
                             "`python -m eval fit-answers`") from None

    def rank(self, candidates: list[Candidate]) -> Candidate | None:
        """The best of ``candidates`` by the sentence model, among the :func:`eligible` ones;
        None when there are none."""
        for c in candidates:
            c.probability = self.sentence.probability(c.features)
        allowed = [candidates[i] for i in eligible([c.features for c in candidates])]
        return max(allowed, key=lambda c: (c.probability, -c.hit_index, -c.start), default=None)

    def answerability(self, features: dict) -> float:
        """The probability that the top-ranked candidate (its ``features``) answers the
        question; 0 when it breaks the rules of :func:`meets_type`."""
        if not meets_type(features):
            return 0.0
        return self.answer.probability(answer_features(features, self.sentence))


SLOT_SHARE = 0.5  # of the words the question asks about, in the sentence or its neighbours


def meets_type(features: dict) -> bool:
    """Whether a candidate says something the question does not and what its type asks for
    (always, untyped), next to the words the question asks about (:func:`slot_units`:
    ``ngày thành lập`` is not answered by a sentence with a date and no founding), unless the
    line itself is what was asked (a document's date line, its signature, its addressees)."""
    if not admissible(features):
        return False
    if not features["type_asked"]:
        return True
    if features["type_met"] <= 0:
        return False
    own_line = features["kind"] in ("signer", "recipients") or (
        features["kind"] == "date" and features["type_met"] == 1.0)
    return own_line or features["slot"] >= SLOT_SHARE


def admissible(features: dict) -> bool:
    """A candidate that says something the question does not, in a passage holding the
    question's required terms (an English question's telling glossary terms)."""
    return bool(features["says_more"]) and not features["term_missing"]


def eligible(features: list[dict]) -> list[int]:
    """Which candidates (by their features) may answer: those saying something the question
    does not (and, for an English question, in a passage holding its telling terms); among
    them, those in a document the question names, when any is (*Theo Quy định 24…* is
    answered from Quy định 24, not from the regulation it replaced); among them, those that
    meet the question's type as fully as any does (a deadline question is answered by a
    sentence with a time expression, a date question by a document's date line before any
    other date)."""
    pool = [i for i, f in enumerate(features) if admissible(f)]
    keep = [i for i in pool if features[i]["named_document"] == 1.0] or pool
    top = max((features[i]["type_met"] for i in keep), default=0.0)
    return [i for i in keep if features[i]["type_met"] == top]


def answer_features(features: dict, sentence: Logistic) -> dict:
    """What the answer model reads of the best candidate: its features and its ranker score."""
    return {**features, "sentence_logit": sentence.logit(features)}
