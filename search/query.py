"""From what the user typed to what each retriever searches, and how much each is trusted.

:func:`analyze` runs the steps in order:

1. cut an over-long query (with a notice);
2. expand abbreviations outside document codes (``BTV HU`` → ``Ban Thường vụ Huyện ủy``; the
   code ``38-KH/HU`` stays as it is) - the rewritten query is what both retrievers read;
3. add the Vietnamese terms of the English glossary for the English words of the query (BM25
   only: the multilingual model reads the English itself);
4. measure the query: does it carry diacritics, what share of its Vietnamese words are written
   with them, what share of its words are Vietnamese or glossary terms;
5. terms for the two BM25 fields (accented words; accent-free syllables and pairs).

:func:`bm25_field_weights` and :func:`dense_weight` turn the measures into weights:
unaccented Vietnamese leans on the accent-free field and on BM25 (the model reads it poorly);
English leans on the dense list, more so when little of it is in the glossary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.text import CODE_RE, Analyzer, has_diacritics, looks_vietnamese, strip_accents

from .abbreviations import ABBREVIATIONS
from .backends import BM25Query
from .glossary import GLOSSARY

MAX_QUERY_CHARS = 2000
UNACCENTED_BM25_WEIGHT = 0.7

_WORD = re.compile(r"[^\W_]+(?:/[^\W_]+)?")
_ABBR = re.compile(r"(?<![\w/-])(" + "|".join(sorted(map(re.escape, ABBREVIATIONS), key=len,
                                                      reverse=True)) + r")(?![\w/-])",
                   re.IGNORECASE)
_GLOSSARY = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, GLOSSARY), key=len,
                                                        reverse=True)) + r")(?![\w-])",
                       re.IGNORECASE)
_LOWER_ABBR = {k.lower(): k for k in ABBREVIATIONS}


@dataclass(frozen=True)
class QueryInfo:
    """A query ready for the retrievers, with what was done to it (shown to the user)."""

    text: str                                  # as typed (cut if too long)
    rewritten: str                             # abbreviations expanded: what is searched
    expansions: tuple[tuple[str, str], ...]    # (abbreviation, expansion), in order
    translations: tuple[tuple[str, str], ...]  # (English words, Vietnamese terms) for BM25
    notices: tuple[str, ...]
    accented: bool                             # carries Vietnamese marks
    accent_share: float                        # share of Vietnamese words with marks
    vietnamese_share: float                    # share of words Vietnamese, coded or in glossary
    terms: tuple[str, ...]                     # accented-field BM25 terms
    folded_terms: tuple[str, ...]              # accent-free-field BM25 terms

    @property
    def bm25_text(self) -> str:
        return _bm25_text(self.rewritten, self.translations)

    def to_dict(self) -> dict:
        return {"rewritten": self.rewritten,
                "expansions": [{"abbreviation": a, "expansion": e} for a, e in self.expansions],
                "translations": [{"english": en, "vietnamese": vi}
                                 for en, vi in self.translations],
                "notices": list(self.notices)}

    def explain(self) -> str:
        """``BTV HU → Ban Thường vụ Huyện ủy`` style line; empty when nothing was expanded."""
        parts = []
        if self.expansions:
            parts.append(" ".join(a for a, _ in self.expansions) + " → "
                         + " ".join(e for _, e in self.expansions))
        parts.extend(f"{en} → {vi}" for en, vi in self.translations)
        return "; ".join(parts)


def _expand_abbreviations(text: str) -> tuple[str, list[tuple[str, str]]]:
    out, expansions, pos = [], [], 0
    codes = [m.span() for m in CODE_RE.finditer(text)]

    def in_code(i: int) -> bool:
        return any(a <= i < b for a, b in codes)

    for m in _ABBR.finditer(text):
        word = m.group(1)
        if in_code(m.start()):
            continue
        key = word if word in ABBREVIATIONS else _LOWER_ABBR.get(word.lower())
        if key is None:
            continue
        if word != key and word.islower() and looks_vietnamese(word):
            continue  # "hu", "tu", "cb" typed in lower case are more likely words
        out.append(text[pos:m.start()])
        out.append(ABBREVIATIONS[key])
        expansions.append((word, ABBREVIATIONS[key]))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), expansions


_ORDINAL = re.compile(r"(?<![\w-])([1-9]\d?)(?:st|nd|rd|th)(?![\w-])", re.IGNORECASE)
_ROMAN = ((90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"),
          (1, "I"))


def roman(n: int) -> str:
    """``14`` -> ``XIV`` (1 to 99)."""
    out = []
    for value, letters in _ROMAN:
        while n >= value:
            out.append(letters)
            n -= value
    return "".join(out)


def _translate(text: str) -> list[tuple[str, str]]:
    """Glossary terms for the English words of ``text``; an English ordinal (*14th National
    Assembly*, *13th Congress*) also as Vietnamese writes it: Roman numerals for a term or a
    congress (*khóa XIV*, *Đại hội XIII*) and *thứ 14*."""
    found = []
    for m in _GLOSSARY.finditer(text):
        if has_diacritics(m.group(1)):
            continue
        found.append((m.group(1), GLOSSARY[m.group(1).lower()]))
    for m in _ORDINAL.finditer(text):
        n = int(m.group(1))
        found.append((m.group(0), f"{roman(n)} thứ {n}"))
    return found


def _bm25_text(rewritten: str, translations) -> str:
    """The rewritten query with the glossary's Vietnamese terms: what BM25 reads."""
    return " ".join([rewritten, *(vi for _, vi in translations)])


def read_query(query: str, analyzer: Analyzer, glossary: bool = True) -> QueryInfo:
    """What will be searched for ``query``: the text with abbreviations expanded, English words
    translated for BM25 (with ``glossary``), how Vietnamese and how accented it is, and the
    terms of both BM25 fields by ``analyzer``.

    Returns the :class:`QueryInfo`."""
    notices = []
    if len(query) > MAX_QUERY_CHARS:
        notices.append(f"câu hỏi được cắt còn {MAX_QUERY_CHARS:,} ký tự đầu (câu hỏi dài "
                       f"{len(query):,} ký tự)".replace(",", "."))
        query = query[:MAX_QUERY_CHARS]
    rewritten, expansions = _expand_abbreviations(query)
    codes = CODE_RE.findall(rewritten)
    words = _WORD.findall(CODE_RE.sub(" ", rewritten))
    is_vietnamese = {w: looks_vietnamese(w) for w in words}
    vietnamese = [w for w in words if is_vietnamese[w]]
    english = [w for w in words if not is_vietnamese[w]]
    translations = _translate(rewritten) if english and glossary else []
    covered = {w.lower() for en, _ in translations for w in en.split()}
    known = len(vietnamese) + len(codes) + sum(1 for w in english if w.lower() in covered)
    total = len(words) + len(codes)
    marked = sum(1 for w in vietnamese if has_diacritics(w))
    info_text = _bm25_text(rewritten, translations)
    accented = has_diacritics(query)  # the user's own words; expansions are ours
    return QueryInfo(
        text=query, rewritten=rewritten, expansions=tuple(expansions),
        translations=tuple(translations), notices=tuple(notices), accented=accented,
        accent_share=marked / len(vietnamese) if vietnamese else 0.0,
        vietnamese_share=known / total if total else 0.0,
        terms=tuple(analyzer.tokenize(info_text)) if accented else (),
        folded_terms=tuple(analyzer.tokenize_folded(info_text)))


def bm25_field_weights(q: QueryInfo) -> tuple[float, float]:
    """Weights of the accented and the accent-free BM25 fields for ``q``."""
    if not q.accented:
        return 0.0, 1.0
    return 1.0, max(0.0, 1.0 - q.accent_share)


# Party vocabulary among the glossary's terms for an English question (accent-free)
_PARTY_TERMS = re.compile(r"\b(?:dang|chi bo|cap uy|huyen uy|tinh uy|tuyen giao|ban thuong vu|"
                          r"bo chinh tri|ban bi thu)\b")


def dense_weight(q: QueryInfo, base: float = 0.5) -> float:
    """Weight of the dense list in the convex fusion (BM25 gets the rest): more the less of the
    question is Vietnamese, except for an English question (no Vietnamese marks) the glossary put
    into Party terms
    (*party cells* → *chi bộ*), which gets the base weight: in an archive beside laws, the dense
    model takes such a question to law articles on a nearby topic, while BM25 on its Party terms
    finds the Party document (docs/benchmarks.md, the mixed archive)."""
    if not q.accented and not q.translations and q.vietnamese_share >= 0.8:
        return 1 - UNACCENTED_BM25_WEIGHT
    if not q.accented and q.translations and _PARTY_TERMS.search(
            strip_accents(" ".join(vi for _, vi in q.translations).lower())):
        return base
    return 1 - (1 - base) * q.vietnamese_share


def bm25_query(query: QueryInfo) -> BM25Query:
    """The query's terms in both BM25 fields, with each field's weight for it."""
    accented, folded = bm25_field_weights(query)
    return BM25Query(tuple(query.terms), tuple(query.folded_terms), accented, folded)
