"""Search an index folder: ``Searcher.load(index_dir).search(query, k, mode, filters)``.

What the searcher's methods return is exported beside it: ``Hit`` (``search``), ``Answer``
(``ask``; its ``obligations`` are ``Obligation``) and ``QueryInfo`` (``analyze``)."""

from .answering import Answer
from .answers import Obligation
from .query import QueryInfo
from .searcher import FUSIONS, MODES, Hit, Searcher

__all__ = ["FUSIONS", "MODES", "Answer", "Hit", "Obligation", "QueryInfo", "Searcher"]
