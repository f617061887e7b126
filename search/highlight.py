"""Marks on a text for display: the query's words, the answering sentence, a cited passage.

:func:`query_marks` reads what of a query is worth marking: its words as underthesea
segments them (*chi bộ*, *báo cáo*: whole words, so that *Bộ* of *Bộ Chính trị* or *báo* of
*đọc báo* is not marked for them), the runs of syllables of a query typed without diacritics
(its words cannot be segmented), and its document codes; never function words such as *của*,
*và*, *the*.  :func:`mark_spans` finds them in a text, with or without diacritics as the query
was typed, neighbours joined into one phrase.  :func:`to_html` escapes the text and wraps each
marked span; spans may nest or overlap.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from index.text import CODE_RE, code_key, has_diacritics, normalize, segment, strip_accents

from .answers import SYLLABLE

# function words, never marked: compared with diacritics when the query has them, without
# otherwise (so "cáo" is never taken for "các")
STOPWORDS = frozenset(["của", "và", "các", "là", "có", "được", "trong", "cho", "với", "để", "những", "một", "này", "đã", "theo", "về", "từ", "khi", "thì", "mà", "ở", "tại", "do", "trên", "đến", "như", "nào", "gì", "ai", "sao", "không", "hay", "hoặc", "cũng", "rằng", "nếu", "vào", "ra", "lên", "the", "a", "an", "of", "for", "to", "in", "on", "at", "by", "what", "are", "is", "was", "be", "how", "do", "does", "which", "who", "whom", "when", "where", "why", "and", "or", "with", "from", "that", "this", "these", "those", "it", "its", "as"])
_FOLDED_STOPWORDS = frozenset(strip_accents(w) for w in STOPWORDS)


@dataclass(frozen=True)
class QueryMarks:
    """What to mark for a query: ``phrases``, sequences of syllables (lower case, without
    diacritics unless ``accented``) matched whole; ``runs``, sequences of which any two or more
    neighbours are matched (a query typed without diacritics); ``codes``, document codes."""

    phrases: frozenset[tuple[str, ...]] = frozenset()
    runs: tuple[tuple[str, ...], ...] = ()
    accented: bool = True
    codes: frozenset[str] = frozenset()

    @cached_property
    def allowed(self) -> frozenset[tuple[str, ...]]:
        """Every sequence of syllables to mark (computed once a query, not once a passage)."""
        out = set(self.phrases)
        for run in self.runs:
            if len(run) == 1:
                out.add(run)
            for a in range(len(run)):
                for b in range(a + 2, min(len(run), a + MAX_PHRASE) + 1):
                    out.add(run[a:b])
        return frozenset(out)


MAX_PHRASE = 6  # syllables of the longest sequence matched from a run


def _form(syllable: str, accented: bool) -> str:
    syllable = normalize(syllable)
    return syllable if accented else strip_accents(syllable)


def _content(unit: tuple[str, ...], idf: Callable[[str], float]) -> bool:
    """A unit worth marking: not all function words, and some syllable the index has."""
    return (not all(strip_accents(s) in _FOLDED_STOPWORDS for s in unit)
            and any(idf(strip_accents(s)) > 0 for s in unit))


def query_marks(query: str, idf: Callable[[str], float], extra: str = "") -> QueryMarks:
    """What to mark in a passage for ``query`` (see the module docstring); ``idf`` says
    whether the index has a syllable (0: not), ``extra`` is Vietnamese text added to the query
    (the glossary's terms for its English words), segmented as words."""
    accented = has_diacritics(query)
    codes = frozenset(code_key(c) for c in CODE_RE.findall(query))
    phrases = {tuple(_form(s, accented) for s in word) for word in segment(extra)}
    runs: list[tuple[str, ...]] = []
    if accented:
        phrases |= {tuple(_form(s, True) for s in word) for word in segment(query)}
    else:  # no segmentation without diacritics: runs between function words
        run: list[str] = []
        for syllable in SYLLABLE.findall(CODE_RE.sub(" ", query)) + [""]:
            folded = _form(syllable, False)
            if not folded or folded in _FOLDED_STOPWORDS:
                if run:
                    runs.append(tuple(run))
                run = []
            else:
                run.append(folded)
    stop = STOPWORDS if accented else _FOLDED_STOPWORDS
    phrases = {p for p in phrases if p and not (len(p) == 1 and p[0] in stop)
               and _content(p, idf)}
    return QueryMarks(frozenset(phrases), tuple(r for r in runs if _content(r, idf)), accented,
                      codes)


_GAP = re.compile(r"[ \t\u00a0]*")  # what may lie between two syllables of one phrase


def mark_spans(text: str, marks: QueryMarks) -> list[tuple[int, int]]:
    """Offsets of the query's phrases and codes in ``text``, neighbouring ones joined."""
    allowed = marks.allowed
    syllables = [(m.start(), m.end(), _form(m.group(0), marks.accented))
                 for m in SYLLABLE.finditer(text)] if allowed else []
    joined = [i + 1 < len(syllables) and
              _GAP.fullmatch(text, syllables[i][1], syllables[i + 1][0]) is not None
              for i in range(len(syllables))]  # syllable i and i+1 are one phrase apart
    longest = max(map(len, allowed), default=0)
    spans = []
    i = 0
    while i < len(syllables):
        for n in range(min(longest, len(syllables) - i), 0, -1):
            if all(joined[i:i + n - 1]) and \
                    tuple(s[2] for s in syllables[i:i + n]) in allowed:
                spans.append((syllables[i][0], syllables[i + n - 1][1]))
                i += n
                break
        else:
            i += 1
    if marks.codes:
        spans += [m.span() for m in CODE_RE.finditer(text) if code_key(m.group(0)) in marks.codes]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or
                       _GAP.fullmatch(text, merged[-1][1], start) is not None):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


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
