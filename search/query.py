"""What a query is made of, so each retriever gets the weight its evidence deserves.

BM25 on English words over Vietnamese text is noise, and the embedding model reads Vietnamese
typed without diacritics poorly.  :func:`profile` measures the query: does it carry diacritics,
and what share of its words can be Vietnamese syllables (or document codes).  The searcher uses
the accent-free BM25 field for queries without diacritics, and :func:`dense_weight` to weigh the
two lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.text import CODE_RE, Analyzer, has_diacritics, looks_vietnamese

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class QueryProfile:
    accented: bool            # carries Vietnamese marks
    vietnamese_share: float   # share of words that can be Vietnamese (codes count as such)
    field: str                # BM25 field to use: "bm25" (accented) or "folded"
    terms: tuple[str, ...]    # BM25 terms of the query in that field


def profile(query: str, analyzer: Analyzer) -> QueryProfile:
    codes = CODE_RE.findall(query)
    words = _WORD.findall(CODE_RE.sub(" ", query))
    vietnamese = sum(looks_vietnamese(w) for w in words) + len(codes)
    share = vietnamese / (len(words) + len(codes)) if (words or codes) else 0.0
    accented = has_diacritics(query)
    if accented:
        return QueryProfile(True, share, "bm25", tuple(analyzer.tokenize(query)))
    return QueryProfile(False, share, "folded", tuple(analyzer.tokenize_folded(query)))


def dense_weight(p: QueryProfile, base: float = 0.5) -> float:
    """Weight of the dense list in the convex fusion (BM25 gets the rest).

    Vietnamese typed without diacritics leans on the accent-free BM25 field (the model reads it
    poorly); the more of a query is English, the more it leans on the multilingual model.
    """
    if not p.accented and p.vietnamese_share >= 0.8:
        return 1 - UNACCENTED_BM25_WEIGHT
    return 1 - (1 - base) * p.vietnamese_share


UNACCENTED_BM25_WEIGHT = 0.7
