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
from index.metadata import citation
from index.store import IndexData, load_index
from index.text import CODE_RE, canonical_code, has_diacritics, normalize, strip_accents

from .fusion import convex, rrf
from .query import QueryInfo, analyze, bm25_field_weights, dense_weight

MODES = ("hybrid", "bm25", "dense")
FUSIONS = ("convex", "rrf")
CANDIDATES = 100


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

    def to_dict(self) -> dict:
        return asdict(self)


def section_citation(section: str) -> str:
    """``IV- NHIỆM VỤ › 2. Nâng cao ... › 2.2.`` -> ``IV, 2.2`` (the markers a reader cites)."""
    if not section:
        return ""
    markers = []
    for label in section.split(SEPARATOR):
        m = re.match(r"^((?:Chương|Mục|Điều|Phần thứ)\s+\S+|[IVXLC]+|\d+(?:\.\d+)*|[a-zđ]\))", label,
                     re.IGNORECASE)
        if not m:
            markers.append(label)
            continue
        marker = m.group(1).rstrip(".")
        if markers and marker.startswith(markers[-1] + "."):
            markers[-1] = marker
        else:
            markers.append(marker)
    return ", ".join(markers)


_SENTENCE = re.compile(r"[^.!?;\n]+(?:[.!?;]+|$)")
_SYLLABLE = re.compile(r"[^\W_]+")


def _units(text: str, accented: bool) -> dict[str, str]:
    """Syllables and pairs of adjacent syllables of ``text``, mapped to their accent-free form
    (the form the idf is looked up under).  Accents are kept for matching when ``accented``."""
    words = _SYLLABLE.findall(normalize(text))
    folded = [strip_accents(w) for w in words]
    shown = words if accented else folded
    units = dict(zip(shown, folded))
    units.update((f"{a}_{b}", f"{fa}_{fb}") for a, b, fa, fb
                 in zip(shown, shown[1:], folded, folded[1:]))
    return units


def best_sentence(text: str, query: str, idf) -> tuple[int, int] | None:
    """Offsets (in ``text``) of the sentence sharing the most query syllables and syllable
    pairs, each weighted by ``idf`` of its accent-free form; None when none is shared."""
    accented = has_diacritics(query)
    wanted = _units(query, accented)
    best, best_score = None, 0.0
    for m in _SENTENCE.finditer(text):
        sentence = m.group(0)
        if len(sentence.strip()) < 8:
            continue
        shared = wanted.keys() & _units(sentence, accented).keys()
        score = sum(idf(wanted[u]) for u in shared) / (1 + 0.001 * len(sentence))
        if score > best_score:
            lead = len(sentence) - len(sentence.lstrip())
            best, best_score = (m.start() + lead, m.end()), score
    return best


class Searcher:
    """Hybrid search over one index folder; load once, query many times."""

    def __init__(self, data: IndexData, fusion: str = "convex", dense_weight: float = 0.5,
                 rrf_k: int = 60, adaptive: bool = True, glossary: bool = True):
        if fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {fusion!r}; expected one of {', '.join(FUSIONS)}")
        self.data = data
        self.fusion = fusion
        self.dense_weight = dense_weight
        self.rrf_k = rrf_k
        self.adaptive = adaptive
        self.glossary = glossary
        self._embedder = None
        self._by_code, self._cited_by = _code_maps(data)
        self._code_index = None

    @classmethod
    def load(cls, index_dir: str | Path, **options) -> "Searcher":
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

    def bm25_run(self, query: QueryInfo, mask: np.ndarray | None, n: int) -> dict[int, float]:
        accented, folded = bm25_field_weights(query)
        scores = np.zeros(len(self.data.passages))
        if accented and query.terms:
            scores += accented * self.data.bm25.scores(list(query.terms))
        if folded and query.folded_terms:
            scores += folded * self.data.folded.scores(list(query.folded_terms))
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        rows = np.flatnonzero(scores > 0)
        top = rows[np.argsort(-scores[rows], kind="stable")[:n]]
        return {int(r): float(scores[r]) for r in top}

    def dense_run(self, query: str, mask: np.ndarray | None, n: int) -> dict[int, float]:
        vector = self.embedder.encode([query], "query")[0]
        dense = self.data.dense
        if mask is None:
            scores, rows = dense.search(vector, n)
            return {int(r): float(s) for s, r in zip(scores, rows)}
        allowed = np.flatnonzero(mask)
        if len(allowed) <= 20_000:  # exact scores over the allowed passages
            scores = dense.scores_for(vector, allowed)
            order = np.argsort(-scores, kind="stable")[:n]
            return {int(allowed[i]): float(scores[i]) for i in order}
        want = n * 4
        while True:  # widen the search until enough allowed passages come back
            scores, rows = dense.search(vector, want)
            run = {int(r): float(s) for s, r in zip(scores, rows) if mask[r]}
            if len(run) >= n or want >= dense.count:
                return dict(list(run.items())[:n])
            want *= 4

    def fuse(self, query: QueryInfo, bm25: dict[int, float], dense: dict[int, float]
             ) -> dict[int, float]:
        w = dense_weight(query, self.dense_weight) if self.adaptive else self.dense_weight
        if self.fusion == "rrf":
            return rrf([bm25, dense], k=self.rrf_k, weights=[1 - w, w])
        return convex([bm25, dense], weights=[1 - w, w])

    # --- the pipeline ----------------------------------------------------------------------

    def search(self, query: str, k: int = 10, mode: str = "hybrid",
               filters: dict | None = None, answers: bool = True) -> list[Hit]:
        """Top ``k`` passages for ``query``; ``mode`` is hybrid, bm25 or dense.  With
        ``answers``, each hit marks its sentence that best answers the query."""
        info = self.analyze(query)
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        mask = self.allowed_rows(filters)
        n = max(CANDIDATES, k)
        bm25 = self.bm25_run(info, mask, n) if mode in ("hybrid", "bm25") else {}
        dense = self.dense_run(info.rewritten, mask, n) if mode in ("hybrid", "dense") else {}
        if mode == "hybrid":
            fused = self.fuse(info, bm25, dense)
        else:
            fused = bm25 or dense
        ranked = sorted(fused, key=lambda r: (-fused[r], r))
        ranked = self.codes_first(info, ranked, mask)[:k]
        return [self.hit(row, rank, fused[row], bm25.get(row), dense.get(row),
                         info.bm25_text if answers else None)
                for rank, row in enumerate(ranked, 1)]

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
        answer = best_sentence(p.text, query, self.syllable_idf) if query else None
        return Hit(
            doc_id=p.doc_id, passage_id=p.passage_id, title=doc.title,
            citation=citation(meta, section_citation(p.section)), section=p.section,
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
        if key == "doc_id":
            ok = doc_id in (want if isinstance(want, (list, set, tuple)) else [want])
        elif key == "year":
            year = int(meta["date"][:4]) if meta.get("date") else None
            lo, hi = (want if isinstance(want, (list, tuple)) else (want, want))
            ok = year is not None and int(lo) <= year <= int(hi)
        elif key in ("doc_type", "issuer", "level", "code"):
            ok = normalize(str(meta.get(key, ""))) == normalize(str(want))
        else:
            raise ValueError(f"unknown filter {key!r}; expected doc_type, issuer, level, year, "
                             "code or doc_id")
        if not ok:
            return False
    return True
