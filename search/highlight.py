"""Marks on a text for display: the query's words, the answering sentence, a cited passage.

:func:`query_words` picks the words of a query worth marking (those the index has, but not
function words such as *của*, *và*, *the*);
:func:`word_spans` finds them in a text, with or without diacritics as the query was typed;
:func:`to_html` escapes the text and wraps each marked span, spans may nest or overlap.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from index.text import has_diacritics, normalize, strip_accents

from .answers import SYLLABLE

# function words, never marked: compared with diacritics when the query has them, without
# otherwise (so "cáo" is never taken for "các")
STOPWORDS = frozenset(["của", "và", "các", "là", "có", "được", "trong", "cho", "với", "để", "những", "một", "này", "đã", "theo", "về", "từ", "khi", "thì", "mà", "ở", "tại", "do", "trên", "đến", "như", "nào", "gì", "ai", "sao", "không", "hay", "hoặc", "cũng", "rằng", "nếu", "vào", "ra", "lên", "the", "a", "an", "of", "for", "to", "in", "on", "at", "by", "what", "are", "is", "was", "be", "how", "do", "does", "which", "who", "whom", "when", "where", "why", "and", "or", "with", "from", "that", "this", "these", "those", "it", "its", "as"])
_FOLDED_STOPWORDS = frozenset(strip_accents(w) for w in STOPWORDS)


def query_words(query: str, idf: Callable[[str], float], extra: str = "") -> tuple[set[str], bool]:
    """(words to mark, whether to compare with diacritics).  ``extra`` is added text such as
    the Vietnamese terms the glossary gave for English words."""
    accented = has_diacritics(query)
    words = set()
    for word in SYLLABLE.findall(normalize(f"{query} {extra}")):
        folded = strip_accents(word)
        stop = word in STOPWORDS if accented else folded in _FOLDED_STOPWORDS
        if not stop and idf(folded) > 0:
            words.add(word if accented else folded)
    return words, accented


def word_spans(text: str, words: set[str], accented: bool) -> list[tuple[int, int]]:
    """Offsets of the words of ``text`` that are in ``words``."""
    if not words:
        return []
    spans = []
    for m in SYLLABLE.finditer(text):
        word = normalize(m.group(0))
        if (word if accented else strip_accents(word)) in words:
            spans.append((m.start(), m.end()))
    return spans


def to_html(text: str, marks: list[tuple[int, int, str, str]]) -> str:
    """``text`` escaped, line breaks kept, with each ``(start, end, open_tag, close_tag)``
    wrapped around its span (tags are the caller's constant markup, never user text)."""
    points = sorted({0, len(text), *(p for s, e, _, _ in marks for p in (s, e)
                                     if 0 <= p <= len(text))})
    out = []
    for a, b in zip(points, points[1:]):
        piece = html.escape(text[a:b]).replace("\n", "<br>")
        for s, e, open_tag, close_tag in reversed(marks):
            if s <= a and b <= e:
                piece = f"{open_tag}{piece}{close_tag}"
        out.append(piece)
    return "".join(out)
