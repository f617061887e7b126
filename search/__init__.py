"""Search an index folder: ``Searcher.load(index_dir).search(query, k, mode, filters)``."""

from .searcher import FUSIONS, MODES, Hit, Searcher

__all__ = ["FUSIONS", "MODES", "Hit", "Searcher"]
