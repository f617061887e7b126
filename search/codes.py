"""Document codes in an index: which documents bear a code, which passages cite it, and a code
query's order (the document itself first, then the passages that cite it)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from index.text import CODE_RE, code_key


class CodeIndex:
    """The codes of an index's documents (``index.stores.folder.IndexData``); the rows of the
    passages that bear or cite each code are counted on the first code query, once."""

    def __init__(self, data, document_rows: Callable[[], dict[str, list[int]]]):
        self.data = data
        self._document_rows = document_rows
        self.by_code: dict[str, list[str]] = {}  # code_key -> documents bearing it
        for doc_id, doc in data.documents.items():
            if doc.metadata.get("code"):
                self.by_code.setdefault(code_key(doc.metadata["code"]), []).append(doc_id)
        self.citing: dict[str, list[str]] = {}  # doc_id -> other documents citing its code
        for doc_id, doc in data.documents.items():
            for ref in doc.metadata.get("references", []):
                for target in self.by_code.get(code_key(ref["code"]), []):
                    if target != doc_id:
                        self.citing.setdefault(target, []).append(doc_id)
        self._rows: tuple[dict[str, list[int]], dict[str, list[int]]] | None = None

    def rows(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """code -> rows of the documents bearing it, code -> rows of passages citing it."""
        if self._rows is None:
            doc_rows = self._document_rows()
            own = {code: [r for d in docs for r in doc_rows.get(d, [])]
                   for code, docs in self.by_code.items()}
            citing: dict[str, list[int]] = {}
            for row, p in enumerate(self.data.passages):
                for code in {code_key(c) for c in CODE_RE.findall(p.text)}:
                    if p.doc_id not in self.by_code.get(code, ()):
                        citing.setdefault(code, []).append(row)
            self._rows = (own, citing)
        return self._rows

    def first(self, query: str, ranked: list[int], mask: np.ndarray | None) -> list[int]:
        """For a query that is or contains document codes: the best passage of each document
        with that code first, then the passages that cite the code, then the rest of
        ``ranked``; rows outside ``mask`` are never brought in."""
        codes = [code_key(c) for c in CODE_RE.findall(query)]
        if not codes:
            return ranked
        own_rows, citing_rows = self.rows()
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
