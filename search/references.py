"""Documents a question names: by their code alone (the document's card, :func:`document_card`)
or by type and number in a sentence (:func:`named_references`), and the dates that cite them."""

from __future__ import annotations

import re
from dataclasses import asdict

from index.text import CODE_RE, code_key, normalize, strip_accents
from search.citation import citation, format_date
from search.query import QueryInfo
from search.questions import TYPE_PATTERNS

CODE_QUERY_WORDS = 3  # a query of a code and at most this many other words asks for the document
CARD_FIELDS = (("Trích yếu", "subject"), ("Cơ quan ban hành", "issuer"), ("Ngày", "date"),
               ("Người ký", "signer"))  # what a document's card shows, in order


# a document named by its type and number: ``Quy định 181``, ``QĐ 24``, ``HD số 21``
_NAMED = re.compile(r"\b(quy dinh|quyet dinh|huong dan|cong van|ke hoach|chi thi|nghi quyet|"
                    r"ket luan|quy che|chuong trinh(?: hanh dong)?|bao cao|thong bao|qd|qdi|hd|cv|"
                    r"kh|ct|nq|kl|qc|ctr|bc|tb)\s+(?:so\s+)?(\d{1,5})\b")


_TYPE_LETTERS = {"quy dinh": {"QD", "QDI"}, "quyet dinh": {"QD"}, "huong dan": {"HD"},
                 "cong van": {"CV"}, "ke hoach": {"KH"}, "chi thi": {"CT"},
                 "nghi quyet": {"NQ"}, "ket luan": {"KL"}, "quy che": {"QC"},
                 "chuong trinh": {"CTR"}, "chuong trinh hanh dong": {"CTR"},
                 "bao cao": {"BC"}, "thong bao": {"TB"}}


def cited_date(sentence: str, refs: list[tuple[str, set[str]]]) -> tuple[int, int] | None:
    """Offsets of the date that follows a code of ``refs`` in ``sentence`` (``Công điện số
    252/CĐ-TTg, ngày 15/02/2016``)."""
    for m in CODE_RE.finditer(sentence):
        key = code_key(m.group(0))
        parts = re.match(r"(\d+)/?([A-Z]+)?", key)
        number = parts.group(1).lstrip("0") if parts else ""
        if is_named(m.group(0), refs) or any(number == n for n, _ in refs):
            date = TYPE_PATTERNS["date"].search(sentence, m.end(), m.end() + 40)
            if date:
                return date.span()
    return None


def named_references(info: QueryInfo) -> list[tuple[str, set[str]]]:
    """The documents the question names, as (number, type letters): by code (``181-QĐ/TW``
    -> ``("181", {"QD"})``) or by type and number (``Quy định 181``, ``QĐ 24``)."""
    typed = f"{info.text} {info.rewritten}"
    refs = []
    for code in CODE_RE.findall(typed):
        if m := _CODE_PARTS.match(code_key(code)):
            refs.append((m.group(1).lstrip("0"), {m.group(2)}))
    folded = strip_accents(normalize(CODE_RE.sub(" ", typed)))
    for kind, number in _NAMED.findall(folded):
        refs.append((number.lstrip("0"), _TYPE_LETTERS.get(kind, {kind.upper()})))
    return refs


_CODE_PARTS = re.compile(r"(\d+)[A-Z]?-([A-Z]+)")


def is_named(code: str, refs: list[tuple[str, set[str]]]) -> bool:
    """Whether the document ``code`` is one of ``refs`` (:func:`named_references`)."""
    m = _CODE_PARTS.match(code_key(code))
    return bool(m) and any(m.group(1).lstrip("0") == number and m.group(2) in letters
                           for number, letters in refs)


def named_documents(searcher, info: QueryInfo, groups: frozenset | None = None
                    ) -> set[str] | None:
    """The indexed documents the question names (:func:`named_references`) that a reader of
    ``groups`` may see; None when it names none of them."""
    refs = named_references(info)
    named = {d for key, docs in searcher.codes.items() if is_named(key, refs) for d in docs
             if searcher.visible(d, groups)}
    return named or None


def document_card(searcher, info: QueryInfo, kind: str | None,
                  groups: frozenset | None = None) -> dict | None:
    """The card of the indexed document a query asks for by its code alone (``683-CV/HU``,
    ``Công văn 683-CV/HU``, ``văn bản số 163-CV/ĐUK``): None for any other query, and for a
    question of ``kind`` date, signer … on that document (it is answered by its line)."""
    if kind not in (None, "code"):
        return None
    codes = CODE_RE.findall(info.text)
    if len(codes) != 1:
        return None
    docs = [d for d in searcher.codes.get(code_key(codes[0]), []) if searcher.visible(d, groups)]
    if not docs:
        return None
    rest = [w for w in re.findall(r"[^\W\d_]+", CODE_RE.sub(" ", info.text))
            if strip_accents(normalize(w)) not in _CODE_QUERY_FILLER]
    if len(rest) > CODE_QUERY_WORDS:
        return None
    doc_id = docs[0]
    meta = searcher.data.documents[doc_id].metadata
    return {"doc_id": doc_id, "code": meta.get("code", ""), "doc_type": meta.get("doc_type", ""),
            "title": searcher.data.documents[doc_id].title, "subject": meta.get("subject", ""),
            "issuer": meta.get("issuer", ""), "date": meta.get("date", ""),
            "signer": meta.get("signer", ""), "signer_title": meta.get("signer_title", ""),
            "citation": citation(meta),
            "cited_by": [asdict(c) for c in searcher.cited_by(doc_id, groups)]}


_CODE_QUERY_FILLER = frozenset(
    "so van ban cong van ke hoach nghi quyet ket luan chi thi quyet dinh quy dinh huong dan "
    "chuong trinh hanh dong bao cao thong bao to trinh quy che thong tri document letter plan "
    "resolution decision regulation directive number no".split())


def card_lines(card: dict) -> list[tuple[str, str]]:
    """The fields a document's card shows, labelled, in :data:`CARD_FIELDS`' order: its date as
    a citation writes it (``28/3/2017``; the card itself keeps ``2017-03-28``)."""
    return [(label, format_date(card[key]) if key == "date" else card[key])
            for label, key in CARD_FIELDS if card.get(key)]
