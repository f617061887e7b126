"""Search filters: which documents a search may return, as a mask over the folder's rows or as
a Milvus boolean expression (the same filters, one meaning, in both backends).

A filter is ``{field: value or list of values}`` over :data:`FILTERS`: ``doc_type``, ``issuer``,
``level`` and ``code`` compared as normalized text (:func:`filter_value`), ``year`` as one year
or ``[from, to]``, ``doc_id`` exactly.  A reader's access groups (:mod:`index.access`) are a
filter of their own, applied with every search.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from index.readers.metadata import document_year
from index.text import normalize

FILTER_FIELDS = ("doc_type", "issuer", "level", "code")  # compared as normalized text
FILTERS = (*FILTER_FIELDS, "year", "doc_id")  # year: one year or [from, to]
NEWS_TYPE = "Tin bài"  # the type of a document with neither a code nor a type of its own
FIELD_BYTES = 500  # metadata values for filters, compared cut to this length on both sides
ID_BYTES = 2048  # a doc_id as a Milvus collection stores it


@dataclass(frozen=True)
class Where:
    """The filters of a search, and the rows they allow (None: every row); ``groups``: the
    reader's access groups when the index has restricted documents (:mod:`index.access`; None:
    no restriction to apply), which a server-side store turns into its own filter."""

    filters: dict | None = None
    mask: np.ndarray | None = None
    groups: frozenset[str] | None = None


def filter_value(meta: dict, key: str) -> str:
    """What a filter field of ``key`` compares for a document: its metadata value, but the
    issuer as the body alone (``Huyện ủy Hớn Quản`` -> ``Huyện ủy``: one entry per body in
    the filter list, whatever place a header names or leaves out) and a type for every
    document (a news report, with no code, is a :data:`NEWS_TYPE`)."""
    value = str(meta.get(key) or "")
    if key == "issuer" and value and meta.get("place"):
        place = str(meta["place"])
        if value.lower().endswith(" " + place.lower()):
            value = value[:-len(place)].strip()
    elif key == "doc_type" and not value and not meta.get("code"):
        value = NEWS_TYPE
    return value


def wanted(want) -> list:
    """A filter's accepted values: one value or a list (set, tuple) of them."""
    return list(want) if isinstance(want, (list, set, tuple)) else [want]


def check_filter(key: str) -> None:
    """Raises ValueError for a field that is not one of :data:`FILTERS`."""
    if key not in FILTERS:
        raise ValueError(f"unknown filter {key!r}; expected {', '.join(FILTERS)}")


def year_range(want) -> tuple[int, int]:
    """The (from, to) years of a year filter: one year (``2019``) or ``[from, to]``."""
    values = list(want) if isinstance(want, (list, tuple)) else [want]
    if len(values) not in (1, 2):
        raise ValueError(f"year filter {want!r}: give one year or [from, to]")
    try:
        lo, hi = int(values[0]), int(values[-1])
    except (TypeError, ValueError):
        raise ValueError(f"year filter {want!r}: years are whole numbers") from None
    return (lo, hi) if lo <= hi else (hi, lo)


def passes(meta: dict, doc_id: str, filters: dict) -> bool:
    """Whether the document ``doc_id`` with metadata ``meta`` passes every filter."""
    for key, want in filters.items():
        check_filter(key)
        if key == "doc_id":
            ok = doc_id in wanted(want)
        elif key == "year":
            year = document_year(meta)
            lo, hi = year_range(want)
            ok = year is not None and lo <= year <= hi
        else:  # FILTER_FIELDS
            ok = normalize(filter_value(meta, key)) in {normalize(str(w)) for w in wanted(want)}
        if not ok:
            return False
    return True


def cut_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, on a character boundary."""
    raw = text.encode("utf-8")
    return text if len(raw) <= limit else raw[:limit].decode("utf-8", "ignore")


def escape(value: str) -> str:
    """A string literal of a Milvus boolean expression."""
    return json.dumps(value, ensure_ascii=False)


def filter_expression(filters: dict | None, groups: frozenset[str] | None = None) -> str:
    """The Milvus boolean expression of the search filters (as :func:`passes` reads them) and
    of a reader's access ``groups`` (:mod:`index.access`: a passage whose ``access`` field is
    empty, or names one of them)."""
    parts = []
    if groups is not None:
        parts.append("(" + " or ".join(['access == ""'] + [
            f"access like {escape(f'%|{g}|%')}" for g in sorted(groups)]) + ")")
    for key, want in (filters or {}).items():
        check_filter(key)
        if key == "year":  # one year as ==, which a partition key on year prunes by
            lo, hi = year_range(want)
            parts.append(f"year == {lo}" if lo == hi and lo > 0 else
                         f"(year >= {lo} and year <= {hi} and year > 0)")
        elif key in FILTER_FIELDS:
            values = ", ".join(escape(cut_bytes(normalize(str(v)), FIELD_BYTES))
                               for v in wanted(want))
            parts.append(f"{key} in [{values}]")
        else:  # doc_id
            parts.append(f"doc_id in [{', '.join(escape(str(v)) for v in wanted(want))}]")
    return " and ".join(parts)


def doc_id_filters(doc_ids, size: int = 100) -> Iterator[str]:
    """Filter expressions selecting the rows of ``doc_ids``, ``size`` ids an expression (as
    the collections store them: cut to :data:`ID_BYTES`)."""
    ids = sorted(doc_ids)
    for i in range(0, len(ids), size):
        yield f"doc_id in [{', '.join(escape(cut_bytes(d, ID_BYTES)) for d in ids[i:i + size])}]"
