"""Answering a question from the hits: an answer with its citation, related passages with no
direct answer, or no evidence.  :meth:`search.Searcher.ask` is the entry point; the pipeline of
:func:`ask` reads as its steps:

1. retrieve once (the top k are the hits, a wider pool holds the duties a question asks about);
2. a question that is a document code is answered by the document's card (code, type,
   subject, issuer, date, signer, the documents citing it);
3. no evidence at all (the best hits cover too little of the question, the dense match is
   weak) → ``none``;
4. every sentence of the best hits is a candidate; the answerability model
   (:mod:`search.answerability`) scores each, and the best one is the answer when its score
   reaches the fitted threshold, with the exact span marked for deadline, number, who, date
   and signer questions → ``answer``;
5. otherwise → ``related``: *Không thấy câu trả lời trực tiếp* with the closest passages;
6. the obligations table for duty questions, keeping only rows about what was asked.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np

from index.text import (
    CODE_RE,
    code_key,
    has_diacritics,
    looks_vietnamese,
    normalize,
    segment,
    strip_accents,
)
from search.answerability import (
    AnswerabilityModel,
    Candidate,
    FocusWord,
    candidate_features,
    focus_words,
    reference_weights,
)
from search.duties import OBLIGATION_CANDIDATES, relevant_obligations
from search.questions import (
    QUESTION_WORDS,
    TYPE_PATTERNS,
    AnswerForm,
    answer_form,
    asks_document_date,
    question_type,
    slot_units,
    type_span,
    type_strength,
    units_of,
)
from search.references import cited_date, document_card, is_named, named_documents, named_references

from .answers import (
    ABSTAIN_DENSE,
    ABSTAIN_SCORE,
    NO_EVIDENCE,
    SYLLABLE,
    Obligation,
    _units,
    asks_for_obligations,
    coverage,
    sentences,
)
from .query import QueryInfo
from .records import Evidence

NO_DIRECT_ANSWER = "Không thấy câu trả lời trực tiếp trong các văn bản đã lập chỉ mục"
ANSWER_PASSAGES = 5  # hits whose sentences are candidate answers
TELLING_TERM = 6.0  # reference idf of a term an English question's answer passage must hold


@dataclass(frozen=True)
class Question:
    """A question as the answering steps read it, worked out once: its type
    (:func:`question_type`), focus words, the words it asks about, the documents it names
    (as references, and those of them indexed), whether it asks a document's date, the card
    of the document it asks for by its code, what exactly a deadline or number question asks
    for (:func:`answer_form`), and the terms an answer's passage must hold (an English
    question's meaning is in the glossary terms its words became: a passage without the
    telling ones, *đảng phí* for *dues*, is about another thing)."""

    info: QueryInfo
    kind: str | None
    focus: list
    slot: frozenset
    refs: list
    named: frozenset | None
    document_date: bool
    card: dict | None
    form: AnswerForm | None = None
    terms: tuple = ()
    groups: frozenset | None = None  # the reader's access groups (index.access)


def read_question(searcher, info: QueryInfo, groups: frozenset | None = None) -> Question:
    kind = question_type(info.bm25_text)
    named = named_documents(searcher, info, groups)
    vietnamese = info.vietnamese_share >= 0.6
    focus = question_focus(searcher, info)
    return Question(
        info=info, kind=kind, focus=focus,
        slot=frozenset(slot_units(info.rewritten) if vietnamese else ()),
        refs=named_references(info), named=None if named is None else frozenset(named),
        document_date=asks_document_date(info.bm25_text),
        card=document_card(searcher, info, kind, groups),
        form=answer_form(info.bm25_text) if kind in ("deadline", "number") else None,
        terms=() if vietnamese else tuple(w for w in focus
                                           if w.seen and w.weight >= TELLING_TERM),
        groups=groups)


@dataclass(frozen=True)
class Answer:
    """What :meth:`Searcher.ask` returns.  ``outcome`` is ``answer`` (``text`` is the answering
    sentence, ``span`` what the question asks for in it), ``related`` (no direct answer; the
    hits are the closest passages) or ``none`` (no evidence; ``closest`` holds what was found);
    ``abstained`` is true for the last two."""

    query: str
    hits: list
    outcome: str = "answer"
    text: str = ""
    citation: str = ""
    passage_id: str = ""
    start: int | None = None  # offsets of the sentence in its document's text
    end: int | None = None
    span: dict | None = None  # {"kind", "text", "start", "end"}: the marked part, in the document
    confidence: float | None = None  # the answerability model's probability
    question_type: str | None = None
    obligations: list[Obligation] = field(default_factory=list)
    document: dict | None = None  # the card of a document asked for by its code
    abstained: bool = False
    message: str = ""
    evidence: Evidence | None = None
    closest: list = field(default_factory=list)  # shown on request when there is no evidence
    info: QueryInfo | None = None  # the query as analyzed (expansions, notices)

    def to_dict(self) -> dict:
        """The JSON ``answer`` object (hits are listed beside it, not inside)."""
        return {"outcome": self.outcome, "text": self.text, "citation": self.citation,
                "passage_id": self.passage_id, "start": self.start, "end": self.end,
                "span": self.span, "confidence": self.confidence,
                "question_type": self.question_type, "abstained": self.abstained,
                "message": self.message,
                "evidence": self.evidence.to_dict() if self.evidence else {},
                "document": self.document,
                "obligations": [ob.to_dict() for ob in self.obligations]}


class SentenceVectors:
    """Sentence vectors under the index's model, kept in memory by text (bounded)."""

    def __init__(self, embedder, limit: int = 50_000):
        import threading

        self.embedder = embedder
        self.limit = limit
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # the app's sessions share one searcher

    def __call__(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        found = dict(zip(missing, self.embedder.encode(missing, "sentence"))) if missing else {}
        with self._lock:
            self._vectors.update(found)
            out = np.stack([self._vectors[t] if t in self._vectors else found[t]
                            for t in texts])
            for text in texts:
                if text in self._vectors:
                    self._vectors.move_to_end(text)
            while len(self._vectors) > self.limit:
                self._vectors.popitem(last=False)
        return out


def ask(searcher, query: str, k: int = 10, mode: str = "hybrid", filters: dict | None = None,
        groups: frozenset | None = None, model: AnswerabilityModel | None = None) -> Answer:
    """The answer to ``query`` from ``searcher``'s index (see the module's steps), from the
    documents a reader of ``groups`` may see (:mod:`index.access`)."""
    info = searcher.analyze(query)
    duties = asks_for_obligations(info.bm25_text)
    pool = searcher.ranked(info, max(k, OBLIGATION_CANDIDATES) if duties else k, mode, filters,
                           groups=groups)
    hits = pool[:k]
    question = read_question(searcher, info, groups)
    kind = question.kind
    strength = evidence(searcher, info, hits, groups)
    if (card := question.card) is not None:
        return Answer(query=query, hits=hits, outcome="answer", text=card["subject"] or
                      card["title"], citation=card["citation"], question_type="code",
                      document=card, evidence=strength, info=info)
    if not hits or strength.weak:
        return Answer(query=query, hits=[], outcome="none", abstained=True, message=NO_EVIDENCE,
                      evidence=strength, closest=hits, info=info, question_type=kind)
    model = model or searcher.answer_model
    passages, candidates = sentence_candidates(searcher, question, hits)
    best = model.rank(candidates)
    confidence = model.answerability(best.features) if best is not None else 0.0
    if best is None or confidence < model.threshold:
        return Answer(query=query, hits=hits, outcome="related", abstained=True,
                      message=NO_DIRECT_ANSWER, evidence=strength, info=info,
                      question_type=kind, confidence=round(confidence, 3))
    hit = passages[best.hit_index]
    shown = next((h for h in hits if h.passage_id == hit.passage_id), None)
    if shown is not hit:  # the document's header, brought in for a date or signer question:
        hit = shown or hit  # first, and once (it may be among the hits further down)
        hits = [hit] + [h for h in hits if h is not hit][:k - 1]
    hit = hit.with_answer(best.start, best.end)
    hits = [replace(hit if h.passage_id == hit.passage_id else h, rank=rank)
            for rank, h in enumerate(hits, 1)]
    span = None
    if best.span is not None:
        a, b = best.span
        s = hit.start + best.start
        span = {"kind": kind, "text": hit.text[best.start + a:best.start + b],
                "start": s + a, "end": s + b}
    obligations = relevant_obligations(searcher, question, pool) if duties else []
    return Answer(query=query, hits=hits, outcome="answer", text=hit.answer,
                  citation=hit.citation, passage_id=hit.passage_id, start=hit.answer_start,
                  end=hit.answer_end, span=span, confidence=round(confidence, 3),
                  question_type=kind, obligations=obligations, evidence=strength, info=info)


def sentence_candidates(searcher, question: Question, hits: list) -> tuple[list, list[Candidate]]:
    """The passages read for an answer (:func:`answer_passages`) and their candidate
    sentences with features (:func:`candidate_sentences`)."""
    passages = answer_passages(searcher, question, hits)
    return passages, candidate_sentences(searcher, question, passages)


def header_passage(searcher, hits: list, kind: str | None,
                   groups: frozenset | None = None) -> list:
    """For a date or signer question: the passage holding the date line or the signature of
    the best hit's document, when none of the candidate passages holds it (else nothing)."""
    if kind not in ("date", "signer") or not hits:
        return []
    doc = searcher.data.documents[hits[0].doc_id]
    if kind == "date":
        m = TYPE_PATTERNS["date"].search(doc.text[:2000])
        at = m.start() if m else -1
    else:
        signer = doc.metadata.get("signer")
        at = doc.text.rfind(signer) if signer else -1
    row = searcher.passage_at(hits[0].doc_id, at) if at >= 0 else None
    if row is None or any(h.passage_id == searcher.data.passages[row].passage_id
                          for h in hits[:ANSWER_PASSAGES]):
        return []
    return [searcher.hit(row, ANSWER_PASSAGES + 1, 0.0, None, None, None, groups)]


def lexical_question(info: QueryInfo) -> tuple[str, bool]:
    """(text, Vietnamese): the question as the documents would word it - the question itself
    when most of its words are Vietnamese, else its Vietnamese words and the glossary's terms
    (the English words of a question say nothing to the accent-free field)."""
    words = re.findall(r"[^\W\d_]+", CODE_RE.sub(" ", info.rewritten))
    if not words or sum(map(looks_vietnamese, words)) / len(words) >= 0.6:
        return info.rewritten, True
    return " ".join([w for w in words if has_diacritics(w)]
                    + [vi for _, vi in info.translations]), False


def question_focus(searcher, info: QueryInfo) -> list[FocusWord]:
    """The content words of the question (:func:`search.answerability.focus_words`) in its
    :func:`lexical_question` form."""
    text, vietnamese = lexical_question(info)
    if vietnamese:
        return focus_words(segment(text), searcher.syllable_idf, reference_weights(),
                           split_unseen=not info.accented, drop_unseen_unmarked=info.accented)
    return focus_words(segment(text), searcher.syllable_idf, reference_weights(),
                       drop_unseen=True)


def answer_passages(searcher, question: Question, hits: list) -> list:
    """The passages whose sentences are candidate answers: the best :data:`ANSWER_PASSAGES`
    hits, the other hits from a document the question names, and for a date or signer
    question the passage with the best document's date line or signature
    (:func:`header_passage`)."""
    named = question.named or frozenset()
    passages = hits[:ANSWER_PASSAGES] + [h for h in hits[ANSWER_PASSAGES:] if h.doc_id in named]
    return passages + header_passage(searcher, hits, question.kind, question.groups)


def candidate_sentences(searcher, question: Question, passages: list) -> list[Candidate]:
    """Every sentence of ``passages`` (the best hits, in rank order), with its features."""
    info, kind, named, refs = question.info, question.kind, question.named, question.refs
    english = 1.0 - info.vietnamese_share
    pieces = []  # (passage index, start, end, sentence)
    for i, hit in enumerate(passages):
        text = hit.text
        pieces.extend((i, s, e, text[s:e]) for s, e in sentences(text))
    if not pieces:
        return []
    query_vector = searcher.query_vector(info.rewritten)
    vectors = searcher.sentence_vectors([" ".join(p[3].split()) for p in pieces])
    cosines = vectors @ query_vector
    passage_units = [units_of(f"{h.title}\n{h.section}\n{h.text}") for h in passages]
    accented = has_diacritics(info.rewritten)
    wanted = _units(info.bm25_text, accented)
    lexical = [sum(searcher.syllable_idf(wanted[u]) for u in
                   wanted.keys() & _units(p[3], accented).keys()) for p in pieces]
    best_cosine, best_lexical = float(cosines.max()), max(lexical)
    spread = float(cosines.std()) or 1.0
    asked = units_of(info.bm25_text)
    slot = question.slot if kind not in ("signer", "recipients") else frozenset()
    units = [units_of(p[3]) for p in pieces]
    out = []
    for j, ((i, s, e, sentence), cosine, lex) in enumerate(zip(pieces, cosines, lexical)):
        window = set().union(*(units[n] for n in (j - 1, j, j + 1)
                               if 0 <= n < len(pieces) and pieces[n][0] == i))
        hit = passages[i]
        signer = searcher.data.documents[hit.doc_id].metadata.get("signer", "") \
            if kind in ("signer", "person") else ""
        span = type_span(kind, sentence, signer, asked, question.document_date, question.form)
        strength = type_strength(kind, sentence, span)
        if kind == "date" and refs and not is_named(hit.metadata.get("code", ""), refs):
            # the date of a document the question names and this one cites: next to its code
            cited = cited_date(sentence, refs)
            span, strength = (cited, 1.0) if cited else (span, min(strength, 0.5))
        elif kind == "date" and refs and question.document_date and strength < 1.0:
            span, strength = None, 0.0  # in the document asked about, only its date line
        if kind == "code" and span is None and hit.metadata.get("code"):
            strength = 0.5  # "which document …": this one, cited with its code
        passage_cosine = hit.dense_score if hit.dense_score is not None else float(cosine)
        features = candidate_features(
            question.focus, slot, units[j], window, passage_units[i], kind, strength,
            float(cosine), best_cosine, (float(cosine) - float(cosines.mean())) / spread,
            float(passage_cosine), lex, best_lexical, i + 1, english,
            0.5 if named is None else float(hit.doc_id in named),
            says_more(sentence, asked), question.terms)
        out.append(Candidate(i, s, e, features, span=span))
    return out


def says_more(sentence: str, asked: set[str]) -> bool:
    """Whether ``sentence`` says anything the question (``asked``: its units) does not: a
    sentence made of the question's own words (the signer's name to *what post did X hold*)
    answers nothing."""
    words = SYLLABLE.findall(strip_accents(normalize(sentence)))
    return any(w not in asked and w not in QUESTION_WORDS for w in words)


def evidence(searcher, info: QueryInfo, hits: list, groups: frozenset | None = None
             ) -> Evidence:
    """How well the top three hits cover the question: the evidence score of
    :func:`search.answers.coverage` (for an English question, over its accented words and
    glossary terms) and the best dense cosine.  Weak when both are under their thresholds
    (in a BM25-only search, when the score is); never for an indexed document's code."""
    top = hits[:3]
    asked, strict = lexical_question(info)
    cover = coverage(asked, [f"{h.title}\n{h.section}\n{h.text}" for h in top],
                     searcher.syllable_idf, unknown_missing=strict)
    dense = max((h.dense_score for h in top if h.dense_score is not None), default=None)
    weak = cover < ABSTAIN_SCORE and (dense is None or dense < ABSTAIN_DENSE)
    if any(any(searcher.visible(d, groups) for d in searcher.codes.get(code_key(c), ()))
           for c in CODE_RE.findall(info.rewritten)):
        weak = False  # an indexed document's own code is evidence enough
    return Evidence(round(cover, 3), None if dense is None else round(dense, 3), weak)


# --- documents asked for by their code ----------------------------------------------------------


# --- obligations ---------------------------------------------------------------------------------


