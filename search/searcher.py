"""Query an index folder: BM25 and dense candidates, fusion, filters, cited hits.

The pipeline of :meth:`Searcher.search` reads as its steps: check the query → tokenize it with
the index's own analyzer → BM25 scores → dense scores (query embedded with the index's model)
→ filters → fusion → top k → hits with citations and the best answering sentence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.access import Groups, check_groups, visible
from index.encoders.embeddings import Embedder
from index.readers.scan_regions import regions
from index.stores.folder import IndexData
from index.stores.loading import load_index
from index.stores.milvus import MilvusStore
from search.backends import Backend, FolderBackend
from search.citation import citation
from search.filters import Where, passes

from . import answering
from .answerability import AnswerabilityModel
from .answering import Answer, SentenceVectors
from .answers import best_sentence
from .codes import CodeIndex
from .combine import Combiner
from .fusion import METHODS
from .query import QueryInfo, bm25_query, read_query
from .records import CitingDocument, Contribution, Hit, OpenedPassage

MODES = ("hybrid", "bm25", "dense")
FUSIONS = tuple(METHODS)  # search.fusion: convex and rrf here, milvus-*: fused by Milvus
CANDIDATES = 100


class Searcher:
    """Hybrid search over one index folder; load once, query many times."""

    def __init__(self, data: IndexData, fusion: str = "convex", dense_weight: float = 0.5,
                 rrf_k: int = 60, adaptive: bool = True, glossary: bool = True,
                 milvus_uri: str | None = None, rerank: bool = True):
        self.combiner = Combiner(data, fusion, dense_weight, rrf_k, adaptive, rerank)
        # where the passages are searched (search.backends): the folder's own BM25 arrays and
        # FAISS file, or the Milvus collection its manifest names (``milvus_uri``: another server)
        milvus = MilvusStore.for_index(data.backend, milvus_uri)
        if self.combiner.method.server and milvus is None:
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
        self.glossary = glossary
        self._embedder = None
        self.code_index = CodeIndex(data, self.document_rows)
        self._restricted = any(doc.metadata.get("access") for doc in data.documents.values())
        self._group_masks: dict[frozenset, np.ndarray] = {}  # a group set's mask, no filters
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
        return read_query(self.check_query(query), self.data.analyzer, glossary=self.glossary)

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

    def bm25_run(self, query: QueryInfo, where: Where | None, n: int) -> dict[int, float]:
        return self.retrieval.bm25(bm25_query(query), where or Where(), n)

    def dense_run(self, vector: np.ndarray, where: Where | None, n: int) -> dict[int, float]:
        return self.retrieval.dense(vector, where or Where(), n)

    # --- the pipeline ----------------------------------------------------------------------

    def search(self, query: str, k: int = 10, mode: str = "hybrid",
               filters: dict | None = None, answers: bool = True,
               groups: Groups = None) -> list[Hit]:
        """Top ``k`` passages for ``query``; ``mode`` is hybrid, bm25 or dense.  With
        ``answers``, each hit marks its sentence that best answers the query.  ``groups``: the
        reader's access groups; a document restricted to other groups is never searched
        (None: the operator, who sees everything; ``[]``: only unrestricted documents).

        Returns the hits, best first (at most ``k``; fewer when fewer passages match)."""
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
        combiner = self.combiner
        if mode == "hybrid" and combiner.method.server:
            fused = self.retrieval.hybrid(bm25_query(info), vector, where, n,
                                          combiner.method.server, combiner.weight(info),
                                          combiner.rrf_k)
        elif mode == "hybrid":
            fused = combiner.fuse(info, bm25, dense)
        else:
            fused = bm25 or dense
        ranked = sorted(fused, key=lambda r: (-fused[r], r))
        ranked = self.code_index.first(info.rewritten, ranked, where.mask)[:k]
        parts = combiner.contributions(info, bm25, dense, ranked) if mode == "hybrid" else {}
        # a document brought first by its code may be in neither list: it scores nothing
        return [self.hit(row, rank, fused.get(row, 0.0), bm25.get(row), dense.get(row),
                         info.bm25_text if answers else None, groups, parts.get(row))
                for rank, row in enumerate(ranked, 1)]

    def syllable_idf(self, syllable: str) -> float:
        folded = self.data.folded
        j = folded.vocab.get(syllable)
        return float(folded.idf()[j]) if j is not None else 0.0

    def hit(self, row: int, rank: int, score: float, bm25: float | None, dense: float | None,
            query: str | None, groups: Groups = None,
            contributions: Contribution | None = None) -> Hit:
        """The hit of passage ``row``; with ``query``, its sentence that best answers it."""
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
            cited_by=self.cited_by(p.doc_id, groups), contributions=contributions,
        )

    def document_text(self, doc_id: str, groups: Groups = None) -> str:
        if not self.visible(doc_id, groups):
            raise KeyError(f"no document {doc_id!r} in this index")
        return self.data.documents[doc_id].text

    def open_passage(self, passage_id: str, groups: Groups = None) -> OpenedPassage:
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
        return OpenedPassage(
            p.doc_id, passage_id, doc.title, citation(doc.metadata, p.section), doc.source,
            doc.metadata, doc.text, p.start, p.end,
            tuple(regions(doc.metadata["scan"], p.start, p.end)) if "scan" in doc.metadata
            else ())

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
        return self.code_index.by_code

    def cited_by(self, doc_id: str, groups: Groups = None) -> tuple[CitingDocument, ...]:
        """The other indexed documents whose text cites ``doc_id``'s code, that a reader of
        ``groups`` may see: their doc_id and citation."""
        return tuple(CitingDocument(d, citation(self.data.documents[d].metadata))
                     for d in self.code_index.citing.get(doc_id, []) if self.visible(d, groups))

