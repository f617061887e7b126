"""The citation a reader checks: ``Công văn số 683-CV/HU ngày 28/3/2017 của Huyện ủy Hớn
Quản, mục 1``, built from a document's header metadata (:mod:`index.readers.metadata`) and the
section path of a passage."""

from __future__ import annotations

import re

from index.readers.metadata import SCAN_NOTE, is_law


def format_date(iso: str) -> str:
    """``2017-03-28`` -> ``28/3/2017``."""
    year, month, day = iso.split("-")
    return f"{int(day)}/{int(month)}/{year}"


_ARTICLE = re.compile(r"^Điều\s+(\d+[a-z]?)", re.IGNORECASE)
_CLAUSE = re.compile(r"^(Khoản|Điểm)\s+(.+)$")


def law_position(section: str) -> str:
    """``Chương I › Điều 3. Giải thích từ ngữ › Khoản 2`` -> ``Điều 3 khoản 2``; ``""`` when
    the section is not inside an article."""
    parts = section.split(" › ") if section else []
    out = []
    for part in parts:
        if m := _ARTICLE.match(part):
            out = [f"Điều {m.group(1)}"]
        elif out and (m := _CLAUSE.match(part)):
            out.append(f"{m.group(1).lower()} {m.group(2)}")
    return " ".join(out)


def section_markers(section: str) -> str:
    """``IV- NHIỆM VỤ › 2. Nâng cao ... › 2.2.`` -> ``IV, 2.2`` (the markers a reader cites)."""
    if not section:
        return ""
    markers: list[str] = []
    for label in section.split(" › "):
        m = re.match(r"^((?:Chương|Mục|Điều|Phần thứ|Khoản|Điểm)\s+\S+|[IVXLC]+|\d+(?:\.\d+)*"
                     r"|[a-zđ]\))", label, re.IGNORECASE)
        if not m:
            markers.append(label)
            continue
        marker = m.group(1).rstrip(".")
        if markers and marker.startswith(markers[-1] + "."):
            markers[-1] = marker
        else:
            markers.append(marker)
    return ", ".join(markers)


def citation(meta: dict, section: str = "") -> str:
    """Vietnamese administrative citation, e.g. ``Công văn số 683-CV/HU ngày 28/3/2017 của
    Huyện ủy Hớn Quản, mục 1. Các chi, đảng bộ trực thuộc``; for a law ``Điều 3 khoản 2,
    Bộ luật Lao động số 45/2019/QH14``; for a document without a header (a news report) its
    title in quotes and its date (or year) where known."""
    if is_law(meta):
        name = f"{meta.get('law_name') or meta['doc_type']} số {meta['code']}"
        where = law_position(section)
        if where:
            return f"{where}, {name}"
        return f"{name}, {section_markers(section)}" if section else name
    if "code" in meta:
        head, sep = f"{meta.get('doc_type', 'Văn bản')} số {meta['code']}", " "
    elif meta.get("title"):
        head, sep = f"“{meta['title']}”", ", "  # a quoted title is set off by a comma
    else:
        head, sep = "Văn bản", " "
    rest = []
    if "date" in meta:
        rest.append(f"ngày {format_date(meta['date'])}")
    elif "year" in meta:
        rest.append(f"năm {meta['year']}")
    if "issuer" in meta:
        rest.append(f"của {meta['issuer']}")
    out = head + (sep + " ".join(rest) if rest else "")
    confidence = meta.get("confidence", {})
    if meta.get("scanned") and ("code" not in meta or "uncertain" in confidence.values()
                                or confidence.get("code") == "as read"):
        out += f" ({SCAN_NOTE})"  # a field misread, unread or unchecked: check the paper
    if section == "Nơi nhận":
        out += ", phần Nơi nhận"
    elif section:
        out += f", mục {section_markers(section)}"
    return out
