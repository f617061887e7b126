"""Query an index folder: BM25 and dense candidates, fusion, filters, cited hits.

The pipeline of :meth:`Searcher.search` reads as its steps: check the query → tokenize it with
the index's own analyzer → BM25 scores → dense scores (query embedded with the index's model)
→ filters → fusion → top k → hits with citations and the best answering sentence.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from index.access import Groups, check_groups, visible
from index.encoders.embeddings import Embedder
from index.readers.scan import regions
from index.stores.folder import IndexData, load_index
from index.stores.milvus import MilvusStore
from index.text import (
    CODE_RE,
    code_key,
)
from search.backends import Backend, BM25Query, FolderBackend
from search.citation import citation
from search.filters import Where, passes

from . import answering
from .answerability import AnswerabilityModel
from .answering import Answer, SentenceVectors
from .answers import best_sentence
from .fusion import METHODS, method
from .query import QueryInfo, analyze, bm25_field_weights, dense_weight
from .rerank import Candidates, Features, Ranker

MODES = ("hybrid", "bm25", "dense")
FUSIONS = tuple(METHODS)  # search.fusion: convex and rrf here, milvus-*: fused by Milvus
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
    contributions: dict = field(default_factory=dict)  # hybrid: BM25 and dense parts of score

    def to_dict(self) -> dict:
        return asdict(self)


class Searcher:
    """Hybrid search over one index folder; load once, query many times."""

    def __init__(self, data: IndexData, fusion: str = "convex", dense_weight: float = 0.5,
                 rrf_k: int = 60, adaptive: bool = True, glossary: bool = True,
                 milvus_uri: str | None = None, rerank: bool = True):
        self._method = method(fusion)
        # where the passages are searched (search.backends): the folder's own BM25 arrays and
        # FAISS file, or the Milvus collection its manifest names (``milvus_uri``: another server)
        milvus = MilvusStore.for_index(data.backend, milvus_uri)
        if self._method.server and milvus is None:
            raise ValueError(f"fusion {fusion!r} needs an index on Milvus (built with "
                             "`--backend milvus`)")
        if milvus_uri and milvus is None:
            raise ValueError("milvus_uri is for an index built with `--backend milvus`; this one "
                             "is searched in its folder")
        if milvus is not None:
            try:
                milvus.check(data.passages)
            except BaseException:
                milvus.close()
                raise
        self.retrieval: Backend = milvus or FolderBackend(data)
        self.data = data
        self.fusion = fusion
        self.dense_weight = dense_weight
        self.rrf_k = rrf_k
        self.adaptive = adaptive
        self.glossary = glossary
        # the learned combination (search.rerank) re-scores the convex fusion's candidates
        self.ranker = Ranker.load() if rerank and fusion == "convex" else None
        self._features: Features | None = None
        self._embedder = None
        self._by_code, self._cited_by = _code_maps(data)
        self._restricted = any(doc.metadata.get("access") for doc in data.documents.values())
        self._group_masks: dict[frozenset, np.ndarray] = {}  # a group set's mask, no filters
        self._code_index = None
        self._rows: dict[str, int] | None = None
        self._doc_rows: dict[str, list[int]] | None = None
        self._query: tuple[str, np.ndarray] | None = None  # the last query embedded
        self._answer_model: AnswerabilityModel | None = None
        self._sentence_vectors: SentenceVectors | None = None

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

    def share_models(self, other: Searcher) -> None:
        """Take ``other``'s loaded models (query embedder, answer model, sentence vectors) when
        both indexes are of the same embedding model: a new version of an index is then ready
        at once, without a second copy of the models in memory."""
        if other.data.model == self.data.model and other._embedder is not None:
            self._embedder = other._embedder
            self._sentence_vectors = other._sentence_vectors
        self._answer_model = other._answer_model

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

    def allowed_rows(self, filters: dict | None, groups: Groups = None) -> np.ndarray | None:
        """Boolean mask of passages whose document passes ``filters`` and that a reader of
        ``groups`` may see (:func:`index.access.visible`; None: no filter, everything)."""
        groups = check_groups(groups)
        if not filters and (groups is None or not self._restricted):
            return None
        if not filters and groups in self._group_masks:  # the same readers ask again and again
            return self._group_masks[groups]
        keep_docs = {doc_id for doc_id, doc in self.data.documents.items()
                     if visible(doc.metadata, groups)
                     and (not filters or passes(doc.metadata, doc_id, filters))}
        mask = np.array([p.doc_id in keep_docs for p in self.data.passages], dtype=bool)
        if not filters and len(self._group_masks) < 256:
            self._group_masks[groups] = mask
        return mask

    def visible(self, doc_id: str, groups: Groups = None) -> bool:
        """Whether a reader of ``groups`` may see ``doc_id`` (None: the operator, who sees
        every document)."""
        doc = self.data.documents.get(doc_id)
        return doc is not None and visible(doc.metadata, check_groups(groups))

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
        if self.ranker is not None:  # the learned combination over the convex fusion
            candidates = self.candidates(query, bm25, dense)
            scores = self.ranker.score(self.features.matrix(candidates, self.ranker.features))
            return dict(zip(candidates.rows, scores.tolist()))
        return self._method.combine([bm25, dense], [1 - w, w], self.rrf_k)

    @property
    def features(self) -> Features:
        if self._features is None:
            self._features = Features(self.data)
        return self._features

    def candidates(self, query: QueryInfo, bm25: dict[int, float], dense: dict[int, float],
                   rows: list[int] | None = None) -> Candidates:
        """What the learned combination reads of the fusion's candidates (``rows``: by default
        every passage either list returned)."""
        rows = sorted(set(bm25) | set(dense)) if rows is None else rows
        return Candidates(query, bm25, dense, self.weight(query), rows)

    def contributions(self, query: QueryInfo, bm25: dict[int, float], dense: dict[int, float],
                      rows: list[int]) -> dict[int, dict]:
        """What each list gave to the fused score of ``rows``: the parts that add up to it
        (for the "why" of a result)."""
        w = self.weight(query)
        if self._method.server:  # fused on the server: the lists' own scores
            parts = [bm25, dense]
        else:
            parts = self._method.parts([bm25, dense], [1 - w, w], self.rrf_k)
        out = {r: {"fusion": self.fusion, "dense_weight": round(w, 3),
                   "bm25": parts[0].get(r, 0.0), "dense": parts[1].get(r, 0.0)} for r in rows}
        if self.ranker is not None and self.fusion == "convex" and rows:
            # the learned score's parts: the fusion's and each piece of evidence's
            X = self.features.matrix(self.candidates(query, bm25, dense, rows),
                                     self.ranker.features)
            for r, x in zip(rows, X):
                out[r]["learned"] = self.ranker.parts(x)
        return out

    # --- the pipeline ----------------------------------------------------------------------

    def search(self, query: str, k: int = 10, mode: str = "hybrid",
               filters: dict | None = None, answers: bool = True,
               groups: Groups = None) -> list[Hit]:
        """Top ``k`` passages for ``query``; ``mode`` is hybrid, bm25 or dense.  With
        ``answers``, each hit marks its sentence that best answers the query.  ``groups``: the
        reader's access groups; a document restricted to other groups is never searched
        (None: the operator, who sees everything; ``[]``: only unrestricted documents)."""
        return self.ranked(self.analyze(query), k, mode, filters, answers, groups)

    def ranked(self, info: QueryInfo, k: int = 10, mode: str = "hybrid",
               filters: dict | None = None, answers: bool = True,
               groups: Groups = None) -> list[Hit]:
        """:meth:`search` for a query already analyzed."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        groups = check_groups(groups)
        where = Where(filters, self.allowed_rows(filters, groups),
                      groups if self._restricted else None)
        n = max(CANDIDATES, k)
        vector = self.query_vector(info.rewritten) \
            if mode in ("hybrid", "dense") else None
        bm25 = self.bm25_run(info, where, n) if mode in ("hybrid", "bm25") else {}
        dense = self.dense_run(vector, where, n) if vector is not None else {}
        if mode == "hybrid" and self._method.server:
            fused = self.retrieval.hybrid(self.bm25_query(info), vector, where, n,
                                          self._method.server, self.weight(info), self.rrf_k)
        elif mode == "hybrid":
            fused = self.fuse(info, bm25, dense)
        else:
            fused = bm25 or dense
        ranked = sorted(fused, key=lambda r: (-fused[r], r))
        ranked = self.codes_first(info, ranked, where.mask)[:k]
        parts = self.contributions(info, bm25, dense, ranked) if mode == "hybrid" else {}
        # a document brought first by its code may be in neither list: it scores nothing
        hits = [self.hit(row, rank, fused.get(row, 0.0), bm25.get(row), dense.get(row),
                         info.bm25_text if answers else None, groups)
                for rank, row in enumerate(ranked, 1)]
        for hit, row in zip(hits, ranked):
            hit.contributions = parts.get(row, {})
        return hits

    def _code_rows(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """code -> rows of the documents bearing it, code -> rows of passages citing it (built on
        the first code query, once)."""
        if self._code_index is None:
            doc_rows = self.document_rows()
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
            query: str | None, groups: Groups = None) -> Hit:
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
            cited_by=self.cited_by(p.doc_id, groups),
        )

    def document_text(self, doc_id: str, groups: Groups = None) -> str:
        if not self.visible(doc_id, groups):
            raise KeyError(f"no document {doc_id!r} in this index")
        return self.data.documents[doc_id].text

    def open_passage(self, passage_id: str, groups: Groups = None) -> dict:
        """The whole document of ``passage_id`` and where the passage lies in it: what a reader
        sees on opening a citation (``text[start:end]`` is the passage); for a scanned
        document, ``regions``: where the passage lies on the scanned pages
        (:func:`index.readers.scan.regions`), else an empty list.  A passage of a document outside
        the reader's ``groups`` is not there (KeyError), as one that does not exist."""
        row = self._passage_rows().get(passage_id)
        if row is None or not self.visible(self.data.passages[row].doc_id, groups):
            raise KeyError(f"no passage {passage_id!r} in this index")
        p = self.data.passages[row]
        doc = self.data.documents[p.doc_id]
        return {"doc_id": p.doc_id, "passage_id": passage_id, "title": doc.title,
                "citation": citation(doc.metadata, p.section), "source": doc.source,
                "metadata": doc.metadata, "text": doc.text, "start": p.start, "end": p.end,
                "regions": regions(doc.metadata["scan"], p.start, p.end)
                if "scan" in doc.metadata else []}

    def query_vector(self, text: str) -> np.ndarray:
        """``text`` embedded as a query; the last one is kept, so that answering a question
        reuses the vector its search computed."""
        last = self._query
        if last is None or last[0] != text:
            last = self._query = (text, self.embedder.encode([text], "query")[0])
        return last[1]

    def document_rows(self) -> dict[str, list[int]]:
        """doc_id -> the rows of its passages, in order (built once)."""
        if self._doc_rows is None:
            rows: dict[str, list[int]] = {}
            for row, p in enumerate(self.data.passages):
                rows.setdefault(p.doc_id, []).append(row)
            self._doc_rows = rows
        return self._doc_rows

    def passage_at(self, doc_id: str, offset: int) -> int | None:
        """The row of ``doc_id``'s passage that holds the character at ``offset``."""
        return next((row for row in self.document_rows().get(doc_id, [])
                     if self.data.passages[row].start <= offset < self.data.passages[row].end),
                    None)

    def _passage_rows(self) -> dict[str, int]:
        if self._rows is None:
            self._rows = {p.passage_id: i for i, p in enumerate(self.data.passages)}
        return self._rows

    # --- answers ------------------------------------------------------------------------------

    def ask(self, query: str, k: int = 10, mode: str = "hybrid",
            filters: dict | None = None, groups: Groups = None) -> Answer:
        """Search, then answer (:mod:`search.answering`): the answering sentence with its
        citation (``outcome`` ``answer``), related passages without a direct answer
        (``related``) or :data:`NO_EVIDENCE` (``none``), and the obligations a duty question
        asks about.  ``groups`` as in :meth:`search`."""
        return answering.ask(self, query, k, mode, filters, check_groups(groups))

    @property
    def answer_model(self) -> AnswerabilityModel:
        if self._answer_model is None:
            self._answer_model = AnswerabilityModel.load()
        return self._answer_model

    @property
    def sentence_vectors(self) -> SentenceVectors:
        if self._sentence_vectors is None:
            self._sentence_vectors = SentenceVectors(self.embedder)
        return self._sentence_vectors

    @property
    def codes(self) -> dict[str, list[str]]:
        """Comparable document code (:func:`code_key`) -> the indexed documents bearing it."""
        return self._by_code

    def cited_by(self, doc_id: str, groups: Groups = None) -> list[dict]:
        """The other indexed documents whose text cites ``doc_id``'s code, that a reader of
        ``groups`` may see: their doc_id and citation."""
        return [{"doc_id": d, "citation": citation(self.data.documents[d].metadata)}
                for d in self._cited_by.get(doc_id, []) if self.visible(d, groups)]


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

