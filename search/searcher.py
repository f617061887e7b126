"""Query an index folder: BM25 and dense candidates, fusion, filters, cited hits.

The pipeline of :meth:`Searcher.search` reads as its steps: check the query → tokenize it with
the index's own analyzer → BM25 scores → dense scores (query embedded with the index's model)
→ filters → fusion → top k → hits with citations and the best answering sentence.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from index.chunking import SEPARATOR
from index.embeddings import Embedder
from index.metadata import citation, document_year, year_range
from index.milvus import MilvusStore
from index.retrieval import (
    BM25Query,
    EmbeddedRetrieval,
    Retrieval,
    Where,
    check_filter,
    wanted,
)
from index.store import IndexData, load_index
from index.text import (
    CODE_RE,
    canonical_code,
    has_diacritics,
    looks_vietnamese,
    normalize,
    strip_accents,
)

from .answers import (
    ABSTAIN_DENSE,
    ABSTAIN_SCORE,
    NO_EVIDENCE,
    Obligation,
    asks_about_reports,
    asks_for_obligations,
    best_sentence,
    coverage,
    extract_obligations,
)
from .fusion import convex, rrf
from .fusion import normalize as normalize_run
from .query import QueryInfo, analyze, bm25_field_weights, dense_weight

MODES = ("hybrid", "bm25", "dense")
FUSIONS = ("convex", "rrf", "milvus-rrf", "milvus-weighted")  # milvus-*: fused by Milvus
CANDIDATES = 100
OBLIGATION_CANDIDATES = 40  # passages read for the duties a question asks about


@dataclass
class Hit:
    """One ranked passage with what a reader needs to cite and open it."""

    doc_id: str
    passage_id: str
    title: str
    citation: str
    section: str
    text: str
    start: int
    end: int
    score: float
    rank: int = 0
    source: str = ""
    bm25_score: float | None = None
    dense_score: float | None = None
    answer: str = ""
    answer_start: int | None = None  # offsets of the answering sentence in the document
    answer_end: int | None = None
    metadata: dict = field(default_factory=dict)
    cited_by: list[dict] = field(default_factory=list)  # other indexed documents citing this one
    contributions: dict = field(default_factory=dict)  # hybrid: BM25 and dense parts of score

    def to_dict(self) -> dict:
        return asdict(self)


_ACTORS = ("chi bo", "dang bo", "cap uy", "dang uy", "bi thu", "dang vien", "ban tuyen giao",
           "ban thuong vu", "huyen uy", "tinh uy")


def _actor_text(text: str) -> str:
    """Accent-free text for naming bodies, ``chi, đảng bộ`` read as ``chi bộ, đảng bộ``."""
    return re.sub(r"\bchi\s*,\s*dang bo", "chi bo, dang bo", strip_accents(normalize(text)))


@dataclass
class Answer:
    """What :meth:`Searcher.ask` returns: the hits, the answering sentence of the best one and
    its citation, the obligations a duty question asks for - or an abstention."""

    query: str
    hits: list[Hit]
    text: str = ""
    citation: str = ""
    passage_id: str = ""
    start: int | None = None
    end: int | None = None
    obligations: list[Obligation] = field(default_factory=list)
    abstained: bool = False
    message: str = ""
    evidence: dict = field(default_factory=dict)
    closest: list[Hit] = field(default_factory=list)  # shown on request when abstaining
    info: QueryInfo | None = None  # the query as analyzed (expansions, notices)

    def to_dict(self) -> dict:
        """The JSON ``answer`` object (hits are listed beside it, not inside)."""
        out = {"text": self.text, "citation": self.citation, "passage_id": self.passage_id,
               "start": self.start, "end": self.end, "abstained": self.abstained,
               "message": self.message, "evidence": self.evidence,
               "obligations": [ob.to_dict() for ob in self.obligations]}
        return out


class Searcher:
    """Hybrid search over one index folder; load once, query many times."""

    def __init__(self, data: IndexData, fusion: str = "convex", dense_weight: float = 0.5,
                 rrf_k: int = 60, adaptive: bool = True, glossary: bool = True,
                 milvus_uri: str | None = None):
        if fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {fusion!r}; expected one of {', '.join(FUSIONS)}")
        # where the passages are searched (index.retrieval): the folder's own BM25 arrays and
        # FAISS file, or the Milvus collection its manifest names (``milvus_uri``: another server)
        milvus = MilvusStore.for_index(data.backend, milvus_uri)
        if fusion.startswith("milvus-") and milvus is None:
            raise ValueError(f"fusion {fusion!r} needs an index on Milvus (built with "
                             "`--backend milvus`)")
        if milvus_uri and milvus is None:
            raise ValueError("milvus_uri is for an index built with `--backend milvus`; this one "
                             "is searched in its folder")
        if milvus is not None:
            try:
                milvus.check(len(data.passages))
            except BaseException:
                milvus.close()
                raise
        self.retrieval: Retrieval = milvus or EmbeddedRetrieval(data)
        self.data = data
        self.fusion = fusion
        self.dense_weight = dense_weight
        self.rrf_k = rrf_k
        self.adaptive = adaptive
        self.glossary = glossary
        self._embedder = None
        self._by_code, self._cited_by = _code_maps(data)
        self._code_index = None
        self._rows: dict[str, int] | None = None

    def close(self) -> None:
        """Close the connection to the server that serves the passages, if any."""
        close = getattr(self.retrieval, "close", None)
        if close:
            close()

    @classmethod
    def load(cls, index_dir: str | Path, **options) -> Searcher:
        """The searcher of an index folder; when the folder was built with ``--backend milvus``
        its passages are searched on the Milvus server its manifest names, or on
        ``milvus_uri=...`` when given."""
        return cls(load_index(index_dir), **options)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = Embedder(self.data.model)
        return self._embedder

    # --- steps ---------------------------------------------------------------------------

    @staticmethod
    def check_query(query: str) -> str:
        if not isinstance(query, str):
            raise TypeError(f"query must be a string, not {type(query).__name__}")
        query = query.strip()
        if not query:
            raise ValueError("empty query: type a question or keywords")
        return query

    def analyze(self, query: str) -> QueryInfo:
        """What will be searched for ``query``: expansions, translations, notices, terms."""
        return analyze(self.check_query(query), self.data.analyzer, glossary=self.glossary)

    def allowed_rows(self, filters: dict | None) -> np.ndarray | None:
        """Boolean mask of passages whose document passes ``filters`` (None: no filter)."""
        if not filters:
            return None
        keep_docs = {doc_id for doc_id, doc in self.data.documents.items()
                     if _passes(doc.metadata, doc_id, filters)}
        return np.array([p.doc_id in keep_docs for p in self.data.passages], dtype=bool)

    @staticmethod
    def bm25_query(query: QueryInfo) -> BM25Query:
        """The query's terms in both BM25 fields, with each field's weight for it."""
        accented, folded = bm25_field_weights(query)
        return BM25Query(tuple(query.terms), tuple(query.folded_terms), accented, folded)

    def bm25_run(self, query: QueryInfo, where: Where | None, n: int) -> dict[int, float]:
        return self.retrieval.bm25(self.bm25_query(query), where or Where(), n)

    def dense_run(self, vector: np.ndarray, where: Where | None, n: int) -> dict[int, float]:
        return self.retrieval.dense(vector, where or Where(), n)

    def weight(self, query: QueryInfo) -> float:
        """Weight of the dense list for ``query`` (that of BM25 is one minus it)."""
        return dense_weight(query, self.dense_weight) if self.adaptive else self.dense_weight

    def fuse(self, query: QueryInfo, bm25: dict[int, float], dense: dict[int, float]
             ) -> dict[int, float]:
        w = self.weight(query)
        if self.fusion == "rrf":
            return rrf([bm25, dense], k=self.rrf_k, weights=[1 - w, w])
        return convex([bm25, dense], weights=[1 - w, w])

    def contributions(self, query: QueryInfo, bm25: dict[int, float], dense: dict[int, float],
                      rows: list[int]) -> dict[int, dict]:
        """What each list gave to the fused score of ``rows``: the parts that add up to it
        (for the "why" of a result)."""
        w = self.weight(query)
        if self.fusion.startswith("milvus-"):  # fused on the server: the lists' own scores
            return {r: {"fusion": self.fusion, "dense_weight": round(w, 3),
                        "bm25": bm25.get(r, 0.0), "dense": dense.get(r, 0.0)} for r in rows}
        if self.fusion == "rrf":
            parts = [rrf([run], k=self.rrf_k, weights=[weight])
                     for run, weight in ((bm25, 1 - w), (dense, w))]
        else:
            parts = [{r: weight * v for r, v in normalize_run(run).items()}
                     for run, weight in ((bm25, 1 - w), (dense, w))]
        return {r: {"fusion": self.fusion, "dense_weight": round(w, 3),
                    "bm25": parts[0].get(r, 0.0), "dense": parts[1].get(r, 0.0)} for r in rows}

    # --- the pipeline ----------------------------------------------------------------------

    def search(self, query: str, k: int = 10, mode: str = "hybrid",
               filters: dict | None = None, answers: bool = True) -> list[Hit]:
        """Top ``k`` passages for ``query``; ``mode`` is hybrid, bm25 or dense.  With
        ``answers``, each hit marks its sentence that best answers the query."""
        return self.ranked(self.analyze(query), k, mode, filters, answers)

    def ranked(self, info: QueryInfo, k: int = 10, mode: str = "hybrid",
               filters: dict | None = None, answers: bool = True) -> list[Hit]:
        """:meth:`search` for a query already analyzed."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        where = Where(filters, self.allowed_rows(filters))
        n = max(CANDIDATES, k)
        vector = self.embedder.encode([info.rewritten], "query")[0] \
            if mode in ("hybrid", "dense") else None
        bm25 = self.bm25_run(info, where, n) if mode in ("hybrid", "bm25") else {}
        dense = self.dense_run(vector, where, n) if vector is not None else {}
        if mode == "hybrid" and self.fusion.startswith("milvus-"):
            fused = self.retrieval.hybrid(self.bm25_query(info), vector, where, n,
                                          self.fusion.removeprefix("milvus-"),
                                          self.weight(info), self.rrf_k)
        elif mode == "hybrid":
            fused = self.fuse(info, bm25, dense)
        else:
            fused = bm25 or dense
        ranked = sorted(fused, key=lambda r: (-fused[r], r))
        ranked = self.codes_first(info, ranked, where.mask)[:k]
        parts = self.contributions(info, bm25, dense, ranked) if mode == "hybrid" else {}
        hits = [self.hit(row, rank, fused[row], bm25.get(row), dense.get(row),
                         info.bm25_text if answers else None)
                for rank, row in enumerate(ranked, 1)]
        for hit, row in zip(hits, ranked):
            hit.contributions = parts.get(row, {})
        return hits

    def _code_rows(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """code -> rows of the documents bearing it, code -> rows of passages citing it (built on
        the first code query, once)."""
        if self._code_index is None:
            doc_rows: dict[str, list[int]] = {}
            for row, p in enumerate(self.data.passages):
                doc_rows.setdefault(p.doc_id, []).append(row)
            own = {code: [r for d in docs for r in doc_rows.get(d, [])]
                   for code, docs in self._by_code.items()}
            citing: dict[str, list[int]] = {}
            for row, p in enumerate(self.data.passages):
                for code in {code_key(c) for c in CODE_RE.findall(p.text)}:
                    if p.doc_id not in self._by_code.get(code, ()):
                        citing.setdefault(code, []).append(row)
            self._code_index = (own, citing)
        return self._code_index

    def codes_first(self, info: QueryInfo, ranked: list[int], mask: np.ndarray | None
                    ) -> list[int]:
        """For a query that is or contains document codes: the best passage of each document
        with that code first, then the passages that cite the code, then the rest."""
        codes = [code_key(c) for c in CODE_RE.findall(info.rewritten)]
        if not codes:
            return ranked
        own_rows, citing_rows = self._code_rows()
        order = {r: i for i, r in enumerate(ranked)}

        def rank(r: int) -> int:
            return order.get(r, len(order) + r)

        def allowed(rows: list[int]) -> list[int]:
            return rows if mask is None else [r for r in rows if mask[r]]

        own, citing = [], []
        for code in codes:
            rows = allowed(own_rows.get(code, []))
            if rows:
                own.append(min(rows, key=rank))
            citing.extend(sorted(allowed(citing_rows.get(code, [])), key=rank))
        first = list(dict.fromkeys(own + citing))
        seen = set(first)
        return first + [r for r in ranked if r not in seen]

    def syllable_idf(self, syllable: str) -> float:
        folded = self.data.folded
        j = folded.vocab.get(syllable)
        return float(folded.idf()[j]) if j is not None else 0.0

    def hit(self, row: int, rank: int, score: float, bm25: float | None, dense: float | None,
            query: str | None) -> Hit:
        p = self.data.passages[row]
        doc = self.data.documents[p.doc_id]
        meta = doc.metadata
        answer = (best_sentence(p.text, query, self.syllable_idf, meta.get("signer", ""))
                  if query else None)
        return Hit(
            doc_id=p.doc_id, passage_id=p.passage_id, title=doc.title,
            citation=citation(meta, p.section), section=p.section,
            text=p.text, start=p.start, end=p.end, score=float(score), rank=rank,
            source=doc.source, bm25_score=bm25, dense_score=dense,
            answer=p.text[answer[0]:answer[1]] if answer else "",
            answer_start=p.start + answer[0] if answer else None,
            answer_end=p.start + answer[1] if answer else None,
            metadata={k: v for k, v in meta.items()
                      if k in ("code", "doc_type", "issuer", "date", "level", "place")},
            cited_by=[{"doc_id": d, "citation": citation(self.data.documents[d].metadata)}
                      for d in self._cited_by.get(p.doc_id, [])],
        )

    def document_text(self, doc_id: str) -> str:
        return self.data.documents[doc_id].text

    def open_passage(self, passage_id: str) -> dict:
        """The whole document of ``passage_id`` and where the passage lies in it: what a reader
        sees on opening a citation (``text[start:end]`` is the passage)."""
        row = self._passage_rows().get(passage_id)
        if row is None:
            raise KeyError(f"no passage {passage_id!r} in this index")
        p = self.data.passages[row]
        doc = self.data.documents[p.doc_id]
        return {"doc_id": p.doc_id, "passage_id": passage_id, "title": doc.title,
                "citation": citation(doc.metadata, p.section), "source": doc.source,
                "metadata": doc.metadata, "text": doc.text, "start": p.start, "end": p.end}

    def _passage_rows(self) -> dict[str, int]:
        if self._rows is None:
            self._rows = {p.passage_id: i for i, p in enumerate(self.data.passages)}
        return self._rows

    # --- answers ------------------------------------------------------------------------------

    def ask(self, query: str, k: int = 10, mode: str = "hybrid",
            filters: dict | None = None) -> Answer:
        """Search, then answer: the hits with their answering sentences, the obligations the
        question asks for, or :data:`NO_EVIDENCE` when the best hits do not cover it."""
        info = self.analyze(query)
        duties = asks_for_obligations(info.bm25_text)
        # one retrieval serves both: the top k are the hits, the wider pool holds the duties
        pool = self.ranked(info, max(k, OBLIGATION_CANDIDATES) if duties else k, mode, filters)
        hits = pool[:k]
        strength = self.evidence(info, hits)
        if not hits or strength["weak"]:
            return Answer(query=query, hits=[], abstained=True, message=NO_EVIDENCE,
                          evidence=strength, closest=hits, info=info)
        best = next((h for h in hits if h.answer), hits[0])
        obligations = self.obligations(info, pool) if duties else []
        return Answer(query=query, hits=hits, text=best.answer, citation=best.citation,
                      passage_id=best.passage_id, start=best.answer_start,
                      end=best.answer_end, obligations=obligations, evidence=strength,
                      info=info)

    def evidence(self, info: QueryInfo, hits: list[Hit]) -> dict:
        """How well the top three hits cover the question: the evidence score of
        :func:`search.answers.coverage` (for an English question, over its accented words and
        glossary terms) and the best dense cosine.  Weak when both are under their thresholds
        (in a BM25-only search, when the score is); never for an indexed document's code."""
        top = hits[:3]
        words = re.findall(r"[^\W\d_]+", CODE_RE.sub(" ", info.rewritten))
        share = sum(map(looks_vietnamese, words)) / len(words) if words else 1.0
        if share >= 0.6:
            asked, strict = info.rewritten, True
        else:  # English or mostly English: the Vietnamese words and what the glossary made
            vietnamese = " ".join(w for w in words if has_diacritics(w))
            asked = " ".join([vietnamese] + [vi for _, vi in info.translations])
            strict = False
        cover = coverage(asked, [f"{h.title}\n{h.section}\n{h.text}" for h in top],
                         self.syllable_idf, unknown_missing=strict)
        dense = max((h.dense_score for h in top if h.dense_score is not None), default=None)
        weak = cover < ABSTAIN_SCORE and (dense is None or dense < ABSTAIN_DENSE)
        if any(code_key(c) in self._by_code for c in CODE_RE.findall(info.rewritten)):
            weak = False  # an indexed document's own code is evidence enough
        return {"coverage": round(cover, 3), "dense": None if dense is None else round(dense, 3),
                "weak": weak}

    def obligations(self, info: QueryInfo, rows: list[Hit]) -> list[Obligation]:
        """Duties in the passages ``rows`` found for the question, in rank order: reporting
        duties only when the question is about reports, and those of the bodies it names
        (``chi bộ``) when any are found."""
        found: list[Obligation] = []
        seen = set()
        for hit in rows:
            doc = self.data.documents[hit.doc_id]
            for ob in extract_obligations(hit.text, hit.start, self.default_actor(hit, doc)):
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
        return found

    @staticmethod
    def default_actor(hit: Hit, doc) -> str:
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


def code_key(code: str) -> str:
    """Comparable form of a document code: ``163 - CV/ĐUK``, ``163-cv/duk`` -> ``163-CV/DUK``."""
    return strip_accents(canonical_code(code)).upper()


def _code_maps(data: IndexData) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """code -> documents bearing it, and doc_id -> other documents whose text cites its code."""
    by_code: dict[str, list[str]] = {}
    for doc_id, doc in data.documents.items():
        if doc.metadata.get("code"):
            by_code.setdefault(code_key(doc.metadata["code"]), []).append(doc_id)
    cited_by: dict[str, list[str]] = {}
    for doc_id, doc in data.documents.items():
        for ref in doc.metadata.get("references", []):
            for target in by_code.get(code_key(ref["code"]), []):
                if target != doc_id:
                    cited_by.setdefault(target, []).append(doc_id)
    return by_code, cited_by


def _passes(meta: dict, doc_id: str, filters: dict) -> bool:
    for key, want in filters.items():
        check_filter(key)
        if key == "doc_id":
            ok = doc_id in wanted(want)
        elif key == "year":
            year = document_year(meta)
            lo, hi = year_range(want)
            ok = year is not None and lo <= year <= hi
        else:  # FILTER_FIELDS
            ok = normalize(str(meta.get(key, ""))) in {normalize(str(w)) for w in wanted(want)}
        if not ok:
            return False
    return True
