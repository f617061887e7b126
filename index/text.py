"""Text normalization and tokenization: the one place where text becomes index terms.

Both the index build and every query go through :class:`Analyzer`, built from the settings in
the index manifest, so a document and a query are always cut into terms the same way.

Steps for BM25 terms:

1. :func:`normalize`: Unicode NFC; zero-width characters dropped; non-breaking and other
   spaces made plain; curly quotes made straight; lower case; one spelling of each variant:
   tone mark on the main vowel (``hoá`` → ``hóa``, ``uỷ`` → ``ủy``, ``thuỷ`` → ``thủy``), ``i``
   for ``y`` after a consonant (``tỷ`` → ``tỉ``, ``kỹ`` → ``kĩ``, ``lý`` → ``lí``), and ``hằng``
   → ``hàng`` before năm/quý/tháng/ngày/tuần.
2. Document codes (``683-CV/HU``, ``163 - CV/ĐUK``, ``21-NQ/TW``, ``45/2019/QH14``,
   ``10/2012/NĐ-CP``) are cut out first and kept whole, spaces removed.
3. The rest is word-segmented by underthesea (``đảng viên`` → ``đảng_viên``); punctuation is
   dropped.  With ``syllables=True`` each multi-syllable word also yields its syllables, so a
   query segmented differently from the document still meets it.

The accent-free field (:meth:`Analyzer.tokenize_folded`) serves queries typed without
diacritics: every syllable loses its marks (``đ`` → ``d``) and adjacent syllables also form
pairs (``ti_le``, ``le_ket``), which stand in for the word segmentation that unaccented text
cannot get.
"""

from __future__ import annotations

import re
import sys
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache

TEXT_VERSION = 3  # bump when normalize() or tokenize() change what they produce

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2002\u2003\u2009\u3000"), " ")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'",
                         "«": '"', "»": '"'})

# Old-style tone placement on the second vowel of an open syllable -> on the first vowel.
_TONES = "\u0301\u0300\u0309\u0303\u0323"  # sắc, huyền, hỏi, ngã, nặng (combining)
_TONE_FIXES = []
for _tone in _TONES:
    for _first, _second in (("o", "a"), ("o", "e"), ("u", "y")):
        _old = unicodedata.normalize("NFC", _first + _second + _tone)
        _new = unicodedata.normalize("NFC", _first + _tone + _second)
        _TONE_FIXES.append((_old, _new))
_TONE_MAP = dict(_TONE_FIXES)
_WORD_RE = re.compile(r"\w+")


_Y_TO_I = dict(zip("yýỳỷỹỵ", "iíìỉĩị"))
_ONSET_Y = re.compile(r"^(ch|kh|nh|ph|th|tr|ng|[bdđghklmnstvx])([yýỳỷỹỵ])$")
_HANG = re.compile(r"\bhằng (?=(năm|quý|tháng|ngày|tuần)\b)")


def _fix_word(match: re.Match) -> str:
    """One spelling per word: tone on the main vowel (hoá -> hóa), i for y after a consonant
    (tỷ -> tỉ, kỹ -> kĩ, lý -> lí)."""
    word = match.group(0)
    tail = word[-2:]
    if tail in _TONE_MAP and not (tail[0] == "u" and word[-3:-2] == "q"):
        return word[:-2] + _TONE_MAP[tail]
    m = _ONSET_Y.match(word)
    if m:
        return m.group(1) + _Y_TO_I[m.group(2)]
    return word


# Document codes: 683-CV/HU, 163 - CV/ĐUK, 21-NQ/TW, 27-CTr/HU, 45/2019/QH14, 10/2012/NĐ-CP.
_UP = "A-ZĐ"
CODE_RE = re.compile(
    r"(?<![\w/-])(?:"
    r"\d{1,5}[a-z]?\s?-\s?[" + _UP + r"][" + _UP + r"a-zđ]{0,5}\s?/\s?[" + _UP + r"][" + _UP
    + r"0-9]{0,7}(?:-[" + _UP + r"]{1,6})?"
    r"|\d{1,4}/\d{4}/[" + _UP + r"][" + _UP + r"0-9]{0,7}(?:-[" + _UP + r"]{1,6})*"
    r")(?![\w/])", re.IGNORECASE)


def normalize(text: str) -> str:
    """Canonical lower-case form of ``text`` for matching (never for display)."""
    text = unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH).translate(_SPACES)
    text = text.translate(_QUOTES).lower()
    return _HANG.sub("hàng ", _WORD_RE.sub(_fix_word, text))


def strip_accents(text: str) -> str:
    """``Tỉ lệ kết nạp Đảng`` -> ``Ti le ket nap Dang``."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(ch for ch in text
                                                 if not unicodedata.combining(ch)))


def has_diacritics(text: str) -> bool:
    """True when ``text`` carries Vietnamese marks (or other accents)."""
    return strip_accents(text) != unicodedata.normalize("NFC", text)


# An unaccented Vietnamese syllable: onset, vowel nucleus, final consonant.
_VI_SYLLABLE = re.compile(r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
                          r"(uye|uya|ieu|yeu|uoi|oai|oay|uay|uou|oeo|[aeiouy]{1,2})"
                          r"(ch|ng|nh|[cmnpt]|[iouy])?$")


def looks_vietnamese(word: str) -> bool:
    """Whether ``word`` can be a Vietnamese syllable (accented, or unaccented but well-formed)."""
    word = normalize(word)
    if has_diacritics(word):
        return True
    return bool(_VI_SYLLABLE.match(word))


def canonical_code(code: str) -> str:
    """``163 - CV/ĐUK`` -> ``163-CV/ĐUK`` (spaces dropped, case kept)."""
    return re.sub(r"\s+", "", code)


def code_key(code: str) -> str:
    """Comparable form of a document code: ``163 - CV/ĐUK``, ``163-cv/duk`` -> ``163-CV/DUK``."""
    return strip_accents(canonical_code(code)).upper()


def iter_codes(text: str) -> Iterator[tuple[str, int]]:
    """(canonical code, end offset) of every document code in NFC ``text``, repeats included."""
    for m in CODE_RE.finditer(text):
        code = canonical_code(m.group(0))
        if any(ch.isalpha() for ch in code):
            yield code, m.end()


def find_codes(text: str) -> list[str]:
    """Document codes cited in ``text``, canonical, in order of appearance, without repeats."""
    return list(dict.fromkeys(code for code, _ in iter_codes(unicodedata.normalize("NFC", text))))


_SEGMENTER_LOCK = threading.Lock()

# underthesea's package __init__ imports its optional pipelines, and translation brings in
# transformers and torch (memory and seconds: docs/benchmarks.md, "Figures behind choices in
# the code"), in every process that only segments words (the server among them).  They are
# kept out while underthesea is imported; ``underthesea.translate`` and the others are then
# None, as when their extras are missing.
UNUSED_PIPELINES = ("underthesea.pipeline.classification", "underthesea.pipeline.sentiment",
                    "underthesea.pipeline.lang_detect", "underthesea.pipeline.dependency_parse",
                    "underthesea.pipeline.translate", "underthesea.agent", "underthesea.address")


def _import_word_tokenize():
    if "underthesea" in sys.modules:  # imported whole already, by someone else
        from underthesea import word_tokenize
        return word_tokenize
    blocked = [name for name in UNUSED_PIPELINES if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # an import of it raises ImportError, which underthesea skips
    try:
        from underthesea import word_tokenize
    finally:
        for name in blocked:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
    return word_tokenize


@lru_cache(maxsize=1)
def _segmenter():
    """underthesea's word segmentation, safe from several threads (the app's sessions):
    underthesea loads its CRF model into a global on first use, and a second thread arriving
    meanwhile found it half made (``'NoneType' object has no attribute 'process'``); and a CRF
    tagger is not made to be used by two threads at once.  Calls are serialized (a passage
    takes about a millisecond)."""
    word_tokenize = _import_word_tokenize()

    def segment(text: str) -> list[str]:
        with _SEGMENTER_LOCK:
            return word_tokenize(text)

    return segment


def _is_word(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


@dataclass(frozen=True)
class Analyzer:
    """Turns text into BM25 terms; its settings are stored in and rebuilt from the manifest."""

    syllables: bool = True
    version: int = TEXT_VERSION

    def settings(self) -> dict:
        return asdict(self)

    @classmethod
    def from_settings(cls, settings: dict) -> Analyzer:
        unknown = set(settings) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown analyzer settings {sorted(unknown)}; "
                             f"known: {sorted(cls.__dataclass_fields__)}")
        return cls(**settings)

    def tokenize(self, text: str) -> list[str]:
        """BM25 terms of ``text``: codes whole, words joined by ``_``, punctuation dropped."""
        text = normalize(text)
        terms: list[str] = []
        pos = 0
        for m in CODE_RE.finditer(text):
            terms.extend(self._words(text[pos:m.start()]))
            terms.append(canonical_code(m.group(0)))
            pos = m.end()
        terms.extend(self._words(text[pos:]))
        return terms

    def tokenize_folded(self, text: str) -> list[str]:
        """Accent-free terms: codes whole, syllables, and pairs of adjacent syllables."""
        text = strip_accents(normalize(text))
        terms: list[str] = []
        pos = 0
        for m in CODE_RE.finditer(text):
            terms.extend(_syllables_and_pairs(text[pos:m.start()]))
            terms.append(canonical_code(m.group(0)))
            pos = m.end()
        terms.extend(_syllables_and_pairs(text[pos:]))
        return terms

    def _words(self, text: str) -> list[str]:
        if not text.strip():
            return []
        out = []
        for word in _segmenter()(text):
            if not _is_word(word):
                continue
            parts = word.split()
            out.append("_".join(parts))
            if self.syllables and len(parts) > 1:
                out.extend(p for p in parts if _is_word(p))
        return out


def segment(text: str) -> list[list[str]]:
    """The words of ``text`` (codes left out) as underthesea segments them, each a list of
    its syllables, case kept: ``Đảng phí hằng tháng`` -> ``[["Đảng", "phí"], ["hằng", "tháng"]]``."""
    text = CODE_RE.sub(" ", unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH)
                       .translate(_SPACES))
    if not text.strip():
        return []
    return [word.split() for word in _segmenter()(text) if _is_word(word)]


_PHRASE = re.compile(r"[^\W_]+(?:[ \t]+[^\W_]+)*")


def _syllables_and_pairs(text: str) -> list[str]:
    out = []
    for phrase in _PHRASE.findall(text):
        syllables = phrase.split()
        out.extend(syllables)
        out.extend(f"{a}_{b}" for a, b in zip(syllables, syllables[1:]))
    return out


def library_versions() -> dict:
    """Versions of the libraries whose behaviour changes the terms."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("underthesea", "underthesea_core"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    out["unicodedata"] = unicodedata.unidata_version
    return out
