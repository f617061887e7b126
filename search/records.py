"""What the searcher returns, as frozen records: a ranked :class:`Hit` with the documents
citing it and the parts of its score, the :class:`Evidence` an answer rests on, and the
:class:`OpenedPassage` a reader sees on opening a citation.  ``to_dict`` gives the JSON of
``python -m search --json``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace

__all__ = ["CitingDocument", "Contribution", "Evidence", "Hit", "OpenedPassage"]


@dataclass(frozen=True)
class CitingDocument:
    """An indexed document whose text cites a hit's document by its code."""

    doc_id: str
    citation: str


@dataclass(frozen=True)
class Contribution:
    """What each list gave to a hybrid hit's fused score: the BM25 and dense parts that add up
    to it (the lists' own scores when the server fused them), and with the learned combination
    (``search.rerank``) each feature's part of the final score."""

    fusion: str
    dense_weight: float
    bm25: float
    dense: float
    learned: Mapping[str, float] | None = None

    def to_dict(self) -> dict:
        out = {"fusion": self.fusion, "dense_weight": self.dense_weight, "bm25": self.bm25,
               "dense": self.dense}
        if self.learned is not None:
            out["learned"] = dict(self.learned)
        return out


@dataclass(frozen=True)
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
    metadata: Mapping[str, str] = field(default_factory=dict)
    cited_by: tuple[CitingDocument, ...] = ()  # other indexed documents citing this one
    contributions: Contribution | None = None  # hybrid: the parts of the score

    def with_answer(self, start: int, end: int) -> Hit:
        """This hit showing ``text[start:end]`` (offsets in the passage) as its answer."""
        return replace(self, answer=self.text[start:end], answer_start=self.start + start,
                       answer_end=self.start + end)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["metadata"] = dict(self.metadata)
        out["cited_by"] = [asdict(c) for c in self.cited_by]
        out["contributions"] = self.contributions.to_dict() if self.contributions else {}
        return out


@dataclass(frozen=True)
class Evidence:
    """How well the top hits cover a question (:func:`search.answering.evidence`): the
    evidence score, the best dense cosine, and whether both are too weak to answer from."""

    coverage: float
    dense: float | None
    weak: bool

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class OpenedPassage:
    """A cited passage opened in its whole document: ``text[start:end]`` is the passage;
    ``regions``: where it lies on a scanned document's pages (empty for any other)."""

    doc_id: str
    passage_id: str
    title: str
    citation: str
    source: str
    metadata: Mapping
    text: str
    start: int
    end: int
    regions: tuple = ()

    def to_dict(self) -> dict:
        out = asdict(self)
        out["metadata"], out["regions"] = dict(self.metadata), list(self.regions)
        return out
