"""A learned combination of the evidence about each fused candidate (``search/ranker.json``).

The convex fusion of :mod:`search.fusion` sees two numbers per passage, its BM25 and its dense
score.  On a large archive beside the laws it cites that is not enough: another Party document
sharing the words but not the subject, or a law article on a nearby topic, outranks the passage
asked about.  The re-ranker scores each candidate of the fusion (the union of the two lists) by
a linear function of evidence the index already holds; :data:`FEATURES` names what can be
computed, and the fitted file says which of them it weighs.

The weights are fitted by ``python -m eval fit-ranker`` (pairwise logistic regression on the
development sets, figures from a held-out split; see :mod:`eval.rank_fit`), which also measures
each feature's effect, and stored as plain JSON with each feature's standardization.  The
features that did not help both the mixed archive and the four BEIR benchmarks are kept here so
that the measurement can be repeated (``fit-ranker --ablation``); only those the file names are
computed at query time.  Without the file, or with ``Searcher(rerank=False)``, the convex fusion
ranks alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from index.readers.metadata import document_year
from index.text import CODE_RE, normalize, strip_accents

from .fusion import convex, rescale

RANKER_FILE = Path(__file__).parent / "ranker.json"

FEATURES = {
    "fused": "the convex fusion's score (the hand-tuned ranking)",
    "bm25": "BM25 score, min-max scaled over its list (0 when not in it)",
    "dense": "dense score, min-max scaled over its list (0 when not in it)",
    "cosine": "raw cosine of the dense model (the list's lowest when not in it)",
    "bm25_rank": "1 / (1 + rank / 10) in the BM25 list, 0 when not in it",
    "dense_rank": "1 / (1 + rank / 10) in the dense list, 0 when not in it",
    "words": "idf-weighted share of the question's terms (those the index holds) the passage "
             "holds, times the question's Vietnamese share",
    "syllables": "likewise for its accent-free syllables",
    "pairs": "likewise for its adjacent accent-free syllable pairs: proximity",
    "phrases": "idf-weighted share of the question's adjacent words found in order (accented)",
    "heading": "share of the question's syllables in the title, subject or section heading",
    "party": "the question is in Party vocabulary and the document is a Party document",
    "off_genre": "the question is in Party vocabulary and the document is not a Party document",
    "law": "the question is in Party vocabulary, names no law, and the document is a law or "
           "other state legal text (a law article on a nearby topic)",
    "place": "+1 when the document's issuer or place is named in the question, -1 when another is",
    "year": "1 when the question names the document's year",
    "english_dense": "(1 - the question's Vietnamese share) x dense",
    "english_bm25": "(1 - the question's Vietnamese share) x bm25",
    "unaccented_bm25": "the question is typed without marks x bm25",
}

# Party vocabulary of a question (accent-free, on what BM25 reads: translations included)
PARTY_QUERY = re.compile(
    r"\b(?:dang vien|chi bo|dang bo|cap uy|dang uy|huyen uy|tinh uy|thanh uy|quan uy|"
    r"tuyen giao|dan van|ban thuong vu|ban chap hanh|bo chinh tri|ban bi thu|ket nap|"
    r"sinh hoat|nghi quyet|chi thi|to chuc co so dang|dang phi|kiem tra dang|cong tac dang|"
    r"xay dung dang|cua dang|ve dang|vao dang)\b")
# a Party document: a Party code (683-CV/HU, 47-QĐ/TW), a Party issuer, or the Party's header
_PARTY_CODE = re.compile(r"^\d+[a-z]?-[^/]+/[^/]+$", re.IGNORECASE)
_PARTY_ISSUER = re.compile(r"\b(?:dang|chi bo|uy|ban chap hanh|ban tuyen giao|ban to chuc|"
                           r"ban thuong vu|ban bi thu|bo chinh tri)\b")
_STATE_ISSUER = re.compile(r"\b(?:uy ban nhan dan|hoi dong nhan dan|quoc hoi|chinh phu)\b")
_PARTY_HEADER = "dang cong san viet nam"
# a state legal text: its type, a title that opens with it, or a code like 45/2019/QH14
_LEGAL_TYPES = ("Bộ luật", "Luật", "Pháp lệnh", "Nghị định", "Thông tư")
_LEGAL_TITLE = re.compile(r"^(?:" + "|".join(_LEGAL_TYPES) + r")\b")
_LEGAL_CODE = re.compile(r"^\d+/\d{4}/")
# a question about the law itself (accent-free; "kỷ luật" is discipline, not a law)
LEGAL_QUERY = re.compile(r"\b(?:bo luat|nghi dinh|thong tu|phap lenh|hien phap|laws?|decrees?|"
                         r"circulars?|constitution|\d+/\d{4}/\w+)\b|(?<!ky )(?<!ki )\bluat\b")
_PLACE_WORDS = re.compile(r"^(?:dang bo|dang uy|huyen uy|tinh uy|thanh uy|quan uy|ban|chi bo|"
                          r"tinh|huyen|quan|thanh pho|xa|phuong|khoi)\s+")
_GENERIC_PLACES = {"viet nam", "trung uong", "ha noi"}
_YEAR = re.compile(r"\b(19[4-9]\d|20[0-9]\d)\b")


def _folded(text: str) -> str:
    return strip_accents(normalize(text))


def is_party_document(meta: dict, text: str) -> bool:
    """A Party document by its code, its issuer or the Party's name in its header."""
    code = meta.get("code", "")
    if code and _PARTY_CODE.match(code):
        return True
    issuer = _folded(" ".join(str(meta.get(k, "")) for k in ("issuer", "parent_issuer")))
    if issuer and _PARTY_ISSUER.search(issuer) and not _STATE_ISSUER.search(issuer):
        return True
    return _PARTY_HEADER in _folded(text[:600])


def is_legal_text(meta: dict, title: str) -> bool:
    """A law, decree or circular (or an article of one): by type, title or code."""
    return (meta.get("doc_type") in _LEGAL_TYPES or bool(_LEGAL_TITLE.match(title))
            or bool(_LEGAL_CODE.match(meta.get("code", ""))))


def place_names(meta: dict) -> set[str]:
    """Accent-free names of the document's issuer and place (``Huyện ủy Hớn Quản`` ->
    ``hon quan``), at least two syllables, without the generic ones."""
    out = set()
    for key in ("issuer", "parent_issuer", "place"):
        value = _folded(str(meta.get(key, "")))
        while (stripped := _PLACE_WORDS.sub("", value)) != value:
            value = stripped
        value = re.sub(r"[^\w ]+", " ", value).strip()
        if len(value.split()) >= 2 and value not in _GENERIC_PLACES and len(value) <= 40:
            out.add(value)
    return out


def query_words(terms: tuple[str, ...]) -> list[str]:
    """The words of an accented-field query in order: a compound ``chi_bộ`` is followed in the
    terms by its syllables, which are left out here."""
    out, skip = [], 0
    for term in terms:
        if skip:
            skip -= 1
            continue
        out.append(term)
        if "_" in term:
            skip = term.count("_") + 1
    return out


def coverage(field, terms: list[str], rows: list[int]) -> np.ndarray:
    """Per row: the idf-weighted share of ``terms`` the passage holds in ``field`` (a BM25),
    counting only the terms the index holds (one no passage holds tells no passage apart).
    Each term's postings are sorted passage rows, so a row is looked up by bisection: the cost
    grows with the candidates, not with the archive."""
    cols = [field.vocab[t] for t in dict.fromkeys(terms) if t in field.vocab]
    out = np.zeros(len(rows))
    if not cols or not rows:
        return out
    idf, indptr, indices = np.asarray(field.idf()), field.tf.indptr, field.tf.indices
    wanted = np.asarray(rows)
    for j in cols:
        postings = indices[indptr[j]:indptr[j + 1]]
        at = np.minimum(np.searchsorted(postings, wanted), len(postings) - 1)
        out += idf[j] * (postings[at] == wanted)
    return out / idf[cols].sum()


@dataclass
class Candidates:
    """One query's fusion candidates and what the features read of them."""

    info: object                 # search.query.QueryInfo
    bm25: dict[int, float]
    dense: dict[int, float]
    dense_weight: float
    rows: list[int]

    def scaled(self, run: dict[int, float]) -> np.ndarray:
        scaled = rescale(run)
        return np.array([scaled.get(r, 0.0) for r in self.rows])

    def ranks(self, run: dict[int, float]) -> np.ndarray:
        order = {r: i for i, r in enumerate(sorted(run, key=lambda r: (-run[r], r)))}
        return np.array([1 / (1 + order[r] / 10) if r in order else 0.0 for r in self.rows])

    @property
    def folded(self) -> list[str]:
        return [t for t in dict.fromkeys(self.info.folded_terms) if not CODE_RE.fullmatch(t)]


class Features:
    """Computes the named :data:`FEATURES` for the candidates of a query on one index."""

    def __init__(self, data):
        self.data = data
        self._heading: dict[int, frozenset[str]] = {}

    def matrix(self, c: Candidates, names: tuple[str, ...]) -> np.ndarray:
        """(len(c.rows), len(names)) feature matrix."""
        if not c.rows:
            return np.zeros((0, len(names)))
        return np.stack([np.asarray(getattr(self, f"f_{name}")(c), dtype=np.float64)
                         * np.ones(len(c.rows)) for name in names], axis=1)

    # --- the two lists -------------------------------------------------------------------

    def f_bm25(self, c: Candidates):
        return c.scaled(c.bm25)

    def f_dense(self, c: Candidates):
        return c.scaled(c.dense)

    def f_fused(self, c: Candidates):
        fused = convex([c.bm25, c.dense], [1 - c.dense_weight, c.dense_weight])
        return np.array([fused.get(r, 0.0) for r in c.rows])

    def f_cosine(self, c: Candidates):
        floor = min(c.dense.values()) if c.dense else 0.0
        return np.array([c.dense.get(r, floor) for r in c.rows])

    def f_bm25_rank(self, c: Candidates):
        return c.ranks(c.bm25)

    def f_dense_rank(self, c: Candidates):
        return c.ranks(c.dense)

    def f_english_dense(self, c: Candidates):
        return (1 - c.info.vietnamese_share) * self.f_dense(c)

    def f_english_bm25(self, c: Candidates):
        return (1 - c.info.vietnamese_share) * self.f_bm25(c)

    def f_unaccented_bm25(self, c: Candidates):
        return (not c.info.accented) * self.f_bm25(c)

    # --- how much of the question the passage holds ---------------------------------------
    # weighted by the question's Vietnamese share: the words of an English question are not
    # in a Vietnamese passage, whatever it says

    def f_words(self, c: Candidates):
        if c.info.accented:
            held = coverage(self.data.bm25, list(dict.fromkeys(c.info.terms)), c.rows)
        else:
            held = coverage(self.data.folded, [t for t in c.folded if "_" not in t], c.rows)
        return c.info.vietnamese_share * held

    def f_syllables(self, c: Candidates):
        syllables = [t for t in c.folded if "_" not in t]
        return c.info.vietnamese_share * coverage(self.data.folded, syllables, c.rows)

    def f_pairs(self, c: Candidates):
        pairs = [t for t in c.folded if "_" in t]
        return c.info.vietnamese_share * coverage(self.data.folded, pairs, c.rows)

    def f_phrases(self, c: Candidates):
        if not c.info.accented:
            return 0.0
        words = query_words(c.info.terms)
        idf, vocab = self.data.bm25.idf(), self.data.bm25.vocab
        pairs = [(f"{a} {b}".replace("_", " "), float(idf[vocab[a]] + idf[vocab[b]]))
                 for a, b in zip(words, words[1:]) if a in vocab and b in vocab]
        total = sum(w for _, w in pairs)
        if not total:
            return 0.0
        texts = (" ".join(normalize(self.data.passages[r].text).split()) for r in c.rows)
        return np.array([sum(w for phrase, w in pairs if phrase in text) / total
                         for text in texts])

    def f_heading(self, c: Candidates):
        idf, vocab = self.data.folded.idf(), self.data.folded.vocab
        weights = {t: float(idf[vocab[t]]) for t in c.folded if "_" not in t and t in vocab}
        total = sum(weights.values())
        if not total:
            return 0.0
        return np.array([sum(w for t, w in weights.items() if t in self.heading_syllables(r))
                         / total for r in c.rows])

    def heading_syllables(self, row: int) -> frozenset[str]:
        got = self._heading.get(row)
        if got is None:
            p = self.data.passages[row]
            doc = self.data.documents[p.doc_id]
            text = " ".join([doc.title, str(doc.metadata.get("subject", "")),
                             p.section.replace("›", " ")])
            got = frozenset(t for t in self.data.analyzer.tokenize_folded(text) if "_" not in t)
            self._heading[row] = got
        return got

    # --- the document against the question ------------------------------------------------

    # what is known of each document (in the order of ``data.documents``), computed on the
    # first query that needs it: the shipped model reads only the documents' rows and kinds

    @cached_property
    def _doc_of_row(self) -> np.ndarray:
        position = {d: i for i, d in enumerate(self.data.documents)}
        return np.array([position[p.doc_id] for p in self.data.passages], dtype=np.int64)

    @cached_property
    def _party_docs(self) -> np.ndarray:
        return np.array([is_party_document(doc.metadata, doc.text[:600])
                         for doc in self.data.documents.values()], dtype=bool)

    @cached_property
    def _legal_docs(self) -> np.ndarray:
        return np.array([is_legal_text(doc.metadata, doc.title)
                         for doc in self.data.documents.values()], dtype=bool)

    @cached_property
    def _places(self) -> list[set[str]]:
        return [place_names(doc.metadata) for doc in self.data.documents.values()]

    @cached_property
    def _all_places(self) -> set[str]:
        return set().union(*self._places)

    @cached_property
    def _years(self) -> list[int | None]:
        return [document_year(doc.metadata) for doc in self.data.documents.values()]

    def _doc_rows(self, c: Candidates) -> np.ndarray:
        return self._doc_of_row[np.asarray(c.rows)]

    def _party_question(self, c: Candidates) -> bool:
        return bool(PARTY_QUERY.search(_folded(c.info.bm25_text)))

    def f_party(self, c: Candidates):
        return self._party_question(c) & self._party_docs[self._doc_rows(c)]

    def f_off_genre(self, c: Candidates):
        return self._party_question(c) & ~self._party_docs[self._doc_rows(c)]

    def f_law(self, c: Candidates):
        if LEGAL_QUERY.search(_folded(c.info.bm25_text)):
            return 0.0
        return self._party_question(c) & self._legal_docs[self._doc_rows(c)]

    def f_place(self, c: Candidates):
        query = " " + re.sub(r"[^\w ]+", " ", _folded(c.info.rewritten)) + " "
        named = {name for name in self._all_places if f" {name} " in query}
        if not named:
            return 0.0
        return np.array([1.0 if self._places[d] & named else -1.0
                         for d in self._doc_rows(c)])

    def f_year(self, c: Candidates):
        named = {int(y) for y in _YEAR.findall(c.info.rewritten)}
        if not named:
            return 0.0
        return np.array([self._years[d] in named for d in self._doc_rows(c)], dtype=float)


@dataclass(frozen=True)
class Ranker:
    """A linear scorer over standardized features: ``sum_i w_i (x_i - mean_i) / scale_i``."""

    features: tuple[str, ...]
    weights: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    info: dict

    def score(self, X: np.ndarray) -> np.ndarray:
        return ((X - self.mean) / self.scale) @ self.weights

    def parts(self, x: np.ndarray) -> dict[str, float]:
        """Each feature's part of one candidate's score (for the "why" of a result)."""
        return {name: float(v) for name, v in
                zip(self.features, (x - self.mean) / self.scale * self.weights)}

    def to_dict(self) -> dict:
        def rounded(a: np.ndarray) -> list[float]:
            return [round(float(v), 6) for v in a]

        return {"features": list(self.features), "weights": rounded(self.weights),
                "mean": rounded(self.mean), "scale": rounded(self.scale), **self.info}

    def save(self, path: Path = RANKER_FILE) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n",
                              encoding="utf-8")

    @classmethod
    def load(cls, path: Path = RANKER_FILE) -> Ranker | None:
        """The fitted ranker, or None when there is no file; a file naming a feature this code
        cannot compute is an error (it was fitted by another version)."""
        path = Path(path)
        if not path.is_file():
            return None
        raw = json.loads(path.read_text(encoding="utf-8"))
        unknown = [f for f in raw["features"] if f not in FEATURES]
        if unknown:
            raise ValueError(f"{path}: unknown features {unknown}; re-fit it with "
                             "`python -m eval fit-ranker`")
        info = {k: v for k, v in raw.items() if k not in ("features", "weights", "mean", "scale")}
        return cls(tuple(raw["features"]), np.array(raw["weights"], dtype=np.float64),
                   np.array(raw["mean"], dtype=np.float64),
                   np.array(raw["scale"], dtype=np.float64), info)
