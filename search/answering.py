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
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from index.chunking import SEPARATOR
from index.text import (
    CODE_RE,
    code_key,
    has_diacritics,
    looks_vietnamese,
    normalize,
    segment,
    strip_accents,
)

from .answerability import (
    QUESTION_WORDS,
    TYPE_PATTERNS,
    AnswerabilityModel,
    AnswerForm,
    Candidate,
    FocusWord,
    answer_form,
    asks_document_date,
    candidate_features,
    focus_words,
    question_type,
    reference_weights,
    share,
    slot_units,
    type_span,
    type_strength,
    units_of,
)
from .answers import (
    ABSTAIN_DENSE,
    ABSTAIN_SCORE,
    NO_EVIDENCE,
    SYLLABLE,
    Obligation,
    _units,
    asks_about_reports,
    asks_for_obligations,
    coverage,
    extract_obligations,
    sentences,
)
from .citation import citation
from .query import QueryInfo
from .records import Evidence

NO_DIRECT_ANSWER = "Không thấy câu trả lời trực tiếp trong các văn bản đã lập chỉ mục"
ANSWER_PASSAGES = 5  # hits whose sentences are candidate answers
TELLING_TERM = 6.0  # reference idf of a term an English question's answer passage must hold
OBLIGATION_CANDIDATES = 40  # passages read for the duties a question asks about
OBLIGATION_FOCUS = 0.5  # share of the question's focus a duty's sentence must hold
CODE_QUERY_WORDS = 3  # a query of a code and at most this many other words asks for the document
CARD_FIELDS = (("Trích yếu", "subject"), ("Cơ quan ban hành", "issuer"), ("Ngày", "date"),
               ("Người ký", "signer"))  # what a document's card shows, in order


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


@dataclass
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


# a document named by its type and number: ``Quy định 181``, ``QĐ 24``, ``HD số 21``
_NAMED = re.compile(r"\b(quy dinh|quyet dinh|huong dan|cong van|ke hoach|chi thi|nghi quyet|"
                    r"ket luan|quy che|chuong trinh(?: hanh dong)?|bao cao|thong bao|qd|qdi|hd|cv|"
                    r"kh|ct|nq|kl|qc|ctr|bc|tb)\s+(?:so\s+)?(\d{1,5})\b")
_TYPE_LETTERS = {"quy dinh": {"QD", "QDI"}, "quyet dinh": {"QD"}, "huong dan": {"HD"},
                 "cong van": {"CV"}, "ke hoach": {"KH"}, "chi thi": {"CT"},
                 "nghi quyet": {"NQ"}, "ket luan": {"KL"}, "quy che": {"QC"},
                 "chuong trinh": {"CTR"}, "chuong trinh hanh dong": {"CTR"},
                 "bao cao": {"BC"}, "thong bao": {"TB"}}


def cited_date(sentence: str, refs: list[tuple[str, set[str]]]) -> tuple[int, int] | None:
    """Offsets of the date that follows a code of ``refs`` in ``sentence`` (``Công điện số
    252/CĐ-TTg, ngày 15/02/2016``)."""
    for m in CODE_RE.finditer(sentence):
        key = code_key(m.group(0))
        parts = re.match(r"(\d+)/?([A-Z]+)?", key)
        number = parts.group(1).lstrip("0") if parts else ""
        if is_named(m.group(0), refs) or any(number == n for n, _ in refs):
            date = TYPE_PATTERNS["date"].search(sentence, m.end(), m.end() + 40)
            if date:
                return date.span()
    return None


def named_references(info: QueryInfo) -> list[tuple[str, set[str]]]:
    """The documents the question names, as (number, type letters): by code (``181-QĐ/TW``
    -> ``("181", {"QD"})``) or by type and number (``Quy định 181``, ``QĐ 24``)."""
    typed = f"{info.text} {info.rewritten}"
    refs = []
    for code in CODE_RE.findall(typed):
        if m := _CODE_PARTS.match(code_key(code)):
            refs.append((m.group(1).lstrip("0"), {m.group(2)}))
    folded = strip_accents(normalize(CODE_RE.sub(" ", typed)))
    for kind, number in _NAMED.findall(folded):
        refs.append((number.lstrip("0"), _TYPE_LETTERS.get(kind, {kind.upper()})))
    return refs


_CODE_PARTS = re.compile(r"(\d+)[A-Z]?-([A-Z]+)")


def is_named(code: str, refs: list[tuple[str, set[str]]]) -> bool:
    """Whether the document ``code`` is one of ``refs`` (:func:`named_references`)."""
    m = _CODE_PARTS.match(code_key(code))
    return bool(m) and any(m.group(1).lstrip("0") == number and m.group(2) in letters
                           for number, letters in refs)


def named_documents(searcher, info: QueryInfo, groups: frozenset | None = None
                    ) -> set[str] | None:
    """The indexed documents the question names (:func:`named_references`) that a reader of
    ``groups`` may see; None when it names none of them."""
    refs = named_references(info)
    named = {d for key, docs in searcher.codes.items() if is_named(key, refs) for d in docs
             if searcher.visible(d, groups)}
    return named or None


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

def document_card(searcher, info: QueryInfo, kind: str | None,
                  groups: frozenset | None = None) -> dict | None:
    """The card of the indexed document a query asks for by its code alone (``683-CV/HU``,
    ``Công văn 683-CV/HU``, ``văn bản số 163-CV/ĐUK``): None for any other query, and for a
    question of ``kind`` date, signer … on that document (it is answered by its line)."""
    if kind not in (None, "code"):
        return None
    codes = CODE_RE.findall(info.text)
    if len(codes) != 1:
        return None
    docs = [d for d in searcher.codes.get(code_key(codes[0]), []) if searcher.visible(d, groups)]
    if not docs:
        return None
    rest = [w for w in re.findall(r"[^\W\d_]+", CODE_RE.sub(" ", info.text))
            if strip_accents(normalize(w)) not in _CODE_QUERY_FILLER]
    if len(rest) > CODE_QUERY_WORDS:
        return None
    doc_id = docs[0]
    meta = searcher.data.documents[doc_id].metadata
    return {"doc_id": doc_id, "code": meta.get("code", ""), "doc_type": meta.get("doc_type", ""),
            "title": searcher.data.documents[doc_id].title, "subject": meta.get("subject", ""),
            "issuer": meta.get("issuer", ""), "date": meta.get("date", ""),
            "signer": meta.get("signer", ""), "signer_title": meta.get("signer_title", ""),
            "citation": citation(meta),
            "cited_by": [asdict(c) for c in searcher.cited_by(doc_id, groups)]}


_CODE_QUERY_FILLER = frozenset(
    "so van ban cong van ke hoach nghi quyet ket luan chi thi quyet dinh quy dinh huong dan "
    "chuong trinh hanh dong bao cao thong bao to trinh quy che thong tri document letter plan "
    "resolution decision regulation directive number no".split())


# --- obligations ---------------------------------------------------------------------------------

_ACTORS = ("chi bo", "dang bo", "cap uy", "dang uy", "bi thu", "dang vien", "ban tuyen giao",
           "ban thuong vu", "huyen uy", "tinh uy")


def _actor_text(text: str) -> str:
    """Accent-free text for naming bodies, ``chi, đảng bộ`` read as ``chi bộ, đảng bộ``."""
    return re.sub(r"\bchi\s*,\s*dang bo", "chi bo, dang bo", strip_accents(normalize(text)))


def relevant_obligations(searcher, question: Question, pool: list) -> list[Obligation]:
    """Duties in the passages ``pool`` found for the question, in rank order, that are about
    what was asked: their sentence holds :data:`OBLIGATION_FOCUS` of the question's focus
    (question words and the words of periods left out); reporting duties only when the
    question is about reports, and those of the bodies it names (``chi bộ``) when any are
    found."""
    info, focus = question.info, question.focus
    found: list[Obligation] = []
    seen = set()
    for hit in pool:
        doc = searcher.data.documents[hit.doc_id]
        for ob in extract_obligations(hit.text, hit.start, default_actor(hit, doc)):
            if (hit.doc_id, ob.start) in seen:
                continue
            seen.add((hit.doc_id, ob.start))
            ob.doc_id = hit.doc_id
            ob.citation = hit.citation
            found.append(ob)
    if asks_about_reports(info.bm25_text):
        found = [ob for ob in found if ob.is_report]
    named = [a for a in _ACTORS if a in _actor_text(info.bm25_text)]
    if named:
        about = [ob for ob in found
                 if any(a in _actor_text(f"{ob.who} {ob.sentence}") for a in named)]
        found = about or found
    if focus:
        found = [ob for ob in found
                 if share(focus, units_of(f"{ob.who} {ob.sentence}")) >= OBLIGATION_FOCUS]
    return found


def default_actor(hit, doc) -> str:
    """Who a duty falls on when its sentence names nobody: the body a section heading names
    (``1. Các chi, đảng bộ trực thuộc``, ``2. Ban Tuyên giáo Huyện ủy: …``), else the
    letter's addressees."""
    labels = hit.section.split(SEPARATOR) if hit.section else []
    lead = re.match(r"^\s*\d+(?:\.\d+)*\.?\s*([^:\n.;]{3,80}):", hit.text)
    candidates = ([lead.group(1)] if lead else []) + labels[::-1]
    for label in candidates:
        label = re.sub(r"^(?:[IVXLC]+\s?[.\-)–]|\d+(?:\.\d+)*\.?\)?)\s*|[*:]", "",
                       label).strip()
        if label and len(label.split()) <= 12 and re.search(
                r"chi bộ|đảng bộ|cấp ủy|Ban |Huyện ủy|Tỉnh ủy|đảng ủy|UBND|đoàn thể", label,
                re.IGNORECASE):
            return label
    return "; ".join(doc.metadata.get("recipients", []))

