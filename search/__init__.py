"""Search an index folder: ``Searcher.load(index_dir).search(query, k, mode, filters)``.

What the searcher's methods return is exported beside it, as frozen records: ``Hit``
(``search``; its ``cited_by`` are ``CitingDocument``, its ``contributions`` a
``Contribution``), ``Answer`` (``ask``; its ``obligations`` are ``Obligation``, its
``evidence`` an ``Evidence``), ``OpenedPassage`` (``open_passage``) and ``QueryInfo``
(``analyze``).  The names
load on first use, so that a module of this package (``search.filters``, which the Milvus store
shares) imports without the searcher.

Modules: ``searcher`` (the pipeline), ``backends`` (where passages are searched), ``filters``,
``query`` (analysis), ``fusion``, ``rerank``, ``codes`` (document codes), ``citation``,
``answers``/``answerability``/``answering`` (the answer), ``highlight``, ``briefing``, ``page``.
"""

from __future__ import annotations

from index.lazy import lazy_names

_HOMES = {"Answer": "answering", "Obligation": "answers", "QueryInfo": "query",
          "FUSIONS": "searcher", "MODES": "searcher", "Searcher": "searcher", "Hit": "records",
          "CitingDocument": "records", "Contribution": "records", "Evidence": "records",
          "OpenedPassage": "records"}

__all__ = sorted(_HOMES)

__getattr__, __dir__ = lazy_names(__name__, _HOMES)
