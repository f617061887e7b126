"""Header metadata of Party documents (the citation built from it: :mod:`search.citation`).

A Party document opens with the issuing body (and its parent), ``Số 683-CV/HU``, the place and
date, a ``V/v ...`` subject or a title block, and ``Kính gửi``; it closes with ``Nơi nhận`` and
the signer.  This module reads what it can and leaves out what it does not find; a document
without a header (a news report) gets its first line as title.
"""

from __future__ import annotations

import re

from index.text import canonical_code, find_codes, iter_codes

DOC_TYPES = {  # type letters in a code -> document type
    "CV": "Công văn", "KH": "Kế hoạch", "CTR": "Chương trình hành động", "NQ": "Nghị quyết",
    "KL": "Kết luận", "CT": "Chỉ thị", "QĐ": "Quyết định", "QĐI": "Quy định", "HD": "Hướng dẫn",
    "TB": "Thông báo", "BC": "Báo cáo", "TTR": "Tờ trình", "ĐA": "Đề án", "QC": "Quy chế",
}
LEVELS = {"TW": "Trung ương", "TU": "tỉnh", "TƯ": "Trung ương", "HU": "huyện", "QU": "huyện",
          "TVU": "huyện", "ĐUK": "tỉnh", "ĐU": "cơ sở", "CB": "cơ sở"}
# issuer letters of central and provincial bodies seen in codes (besides LEVELS): a code read
# from a scan is checked against them
ISSUER_LETTERS = ("BTCTW", "BTGTW", "BTGDVTW", "BDVTW", "BNCTW", "BĐNTW", "UBKTTW", "VPTW",
                  "BKTTW", "BCĐTW", "ĐUKCQTW", "ĐUKDNTW", "ĐUQSTW", "ĐUCA", "ĐUKCCQ",
                  "BTCTU", "BTGTU", "BDVTU", "UBKTTU", "VPTU", "UBKTHU", "VPHU", "BTGHU",
                  "BTCHU", "BDVHU", "ĐUK", "ĐU", "CB", "BCSĐ")

_HEADER_LINES = 25
_NUMBER = re.compile(r"^\s*(?:(Bộ luật|Luật|Pháp lệnh)\s+)?Số\s*:?\s*(.+?)\s*$", re.IGNORECASE)
_RULE = re.compile(r"\s*[-*_=–—]{3,}\s*")  # ``QUỐC HỘI --------``: a rule drawn with dashes
_REPUBLIC = re.compile(r"CỘNG H[OÒ]À XÃ HỘI CHỦ NGHĨA", re.IGNORECASE)
_LAW_CODE = re.compile(r"^\d+/\d{4}/QH\d+$")
_ENACTING = re.compile(r"ban hành\s+(Bộ luật|Luật)\s+([^.;:\n]{2,120})")
DATE_LINE = re.compile(r"^\s*([^,\n]{2,40}),\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})",
                   re.IGNORECASE | re.MULTILINE)
_SUBJECT = re.compile(r"^\s*(?:V/v|Về việc|Vì)\s+(.+)$", re.IGNORECASE)
_RECIPIENTS = re.compile(r"^\s*Kính\s+gửi\s*:?\s*(.*)$", re.IGNORECASE)
_TITLE_TYPES = ("BỘ LUẬT", "LUẬT", "CHƯƠNG TRÌNH HÀNH ĐỘNG", "KẾ HOẠCH", "NGHỊ QUYẾT", "KẾT LUẬN", "CHỈ THỊ",
                "QUYẾT ĐỊNH", "QUY ĐỊNH", "HƯỚNG DẪN", "THÔNG BÁO", "BÁO CÁO", "CÔNG VĂN",
                "CHƯƠNG TRÌNH", "TỜ TRÌNH", "ĐỀ ÁN")
_ISSUER_START = re.compile(r"^(ĐẢNG BỘ|ĐẢNG ỦY|ĐẢNG UỶ|HUYỆN ỦY|HUYỆN UỶ|TỈNH ỦY|TỈNH UỶ|THÀNH ỦY|"
                           r"QUẬN ỦY|BAN |CHI BỘ|ỦY BAN|UBND|HỘI ĐỒNG|QUỐC HỘI|CHÍNH PHỦ)")
SIGNER_TITLE = re.compile(r"^(T/M|TM[.\s]|K/T|KT[.\s]|THAY MẶT)\b.*$", re.IGNORECASE)


_UNITS = {"tỉnh", "huyện", "quận", "xã", "phường", "thị", "thành"}
SCAN_NOTE = "bản quét, cần đối chiếu"  # cited after a scanned document whose header misread


def _title_case(line: str) -> str:
    """``HUYỆN ỦY HỚN QUẢN`` -> ``Huyện ủy Hớn Quản``: lower case but for the place name."""
    words = line.lower().split()
    out, place = [], False
    for i, word in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        out.append(word.capitalize() if place or i == 0 else word)
        if word in _UNITS and nxt not in {"ủy", "uỷ", "phố", "xã", "trấn"} or word in {"ủy", "uỷ", "phố", "trấn"} and i > 0 and words[i - 1] in _UNITS | {"phố"}:
            place = True
    return " ".join(out)


def parse_code(code: str) -> dict:
    """``683-CV/HU`` -> number, type letters, document type and level where known."""
    code = canonical_code(code)
    m = re.match(r"^(\d+[a-z]?)-([^/]+)/(.+)$", code)
    if m:
        kind = m.group(2).upper()
        suffix = m.group(3).upper()
        out = {"code": code, "number": m.group(1), "type_letters": m.group(2)}
        if kind in DOC_TYPES:
            out["doc_type"] = DOC_TYPES[kind]
        if suffix in LEVELS:
            out["level"] = LEVELS[suffix]
        return out
    m = re.match(r"^(\d+)/(\d{4})/(.+)$", code)
    if m:
        return {"code": code, "number": m.group(1), "year": int(m.group(2))}
    return {"code": code}


def parse_metadata(text: str) -> dict:
    """Best-effort header metadata of ``text``; keys absent when not found."""
    meta: dict = {}
    lines = [ln.strip() for ln in text.splitlines()]
    head = [_RULE.sub(" ", ln).strip() for ln in lines[:_HEADER_LINES * 2]]
    kept = [i for i, ln in enumerate(head) if ln][:_HEADER_LINES]
    head = head[:kept[-1] + 1] if kept else []  # blank lines kept: they end a subject
    issuers, subject_lines, title_block = _read_head(head, meta)
    if "code" not in meta:
        _titled_code(meta, [x for x in head if x][:6])
    if subject_lines:
        meta["subject"] = " ".join(subject_lines).strip()
    if issuers:
        meta["issuer"] = _title_case(issuers[-1])
        if len(issuers) > 1:
            meta["parent_issuer"] = _title_case(issuers[0])
    _place_and_date(meta, lines)
    if title_block:
        meta["title_block"] = " ".join(title_block)
        for t in _TITLE_TYPES:
            if title_block[0].upper().startswith(t) and "doc_type" not in meta:
                meta["doc_type"] = t.capitalize()
    if _LAW_CODE.match(meta.get("code", "")) or meta.get("doc_type") in ("Luật", "Bộ luật"):
        _law(meta, head, text)
    meta["title"] = _title(meta, lines)
    _signature(meta, lines)
    if "subject" not in meta and "title_block" in meta:
        meta["subject"] = meta["title_block"]
    for key, found in (("recipients", _list_after(lines, _RECIPIENTS)),
                       ("distribution", _list_after(lines, _DISTRIBUTION)),
                       ("references", references(text, own=meta.get("code")))):
        if found:
            meta[key] = found
    return meta


def _read_head(head: list[str], meta: dict) -> tuple[list[str], list[str], list[str]]:
    """Read the header lines: the code (into ``meta``); returns the issuing bodies' lines,
    the subject's lines and the title block's lines."""
    issuers = []
    subject_lines: list[str] = []
    in_subject = False
    title_block: list[str] = []
    for i, line in enumerate(head):
        if not line:
            in_subject = False
            continue
        if len(line) > 200:
            break
        if (m := _NUMBER.match(line)) and "code" not in meta:
            number = m.group(2)
            if not find_codes(number):  # ``Số:`` on a line of its own, the code on the next
                number = next((x for x in head[i + 1:] if x), "")
            codes = find_codes(re.sub(r"(QH)\s+(\d)", r"\1\2", number))
            if codes:
                meta.update(parse_code(codes[0]))
                if m.group(1):
                    meta["doc_type"] = m.group(1).capitalize()
            in_subject = False
            continue
        if (m := _SUBJECT.match(line)) and "subject" not in meta:
            subject_lines = [m.group(1)]
            in_subject = True
            continue
        if _RECIPIENTS.match(line):
            in_subject = False
            continue
        if DATE_LINE.match(line):
            in_subject = False
            continue
        if (in_subject and not line.isupper() and len(subject_lines) < 6
                and not line.endswith((".", ":"))):  # a wrapped subject, not the body
            subject_lines.append(line)
            continue
        in_subject = False
        if line.upper().startswith("ĐẢNG CỘNG SẢN VIỆT NAM") or _REPUBLIC.search(line):
            continue
        if line.isupper() and _ISSUER_START.match(line) and not title_block:
            issuers.append(line)
            continue
        if any(line.upper().startswith(t) for t in _TITLE_TYPES) and line.isupper():
            title_block = [line] + [ln for ln in [x for x in head[i + 1:] if x][:4]
                                    if len(ln) < 120 and not ln.isupper()
                                    and not _NUMBER.match(ln)][:4]
    return issuers, subject_lines, title_block


def _place_and_date(meta: dict, lines: list[str]) -> None:
    """The place and date of the ``<place>, ngày … tháng … năm …`` line, into ``meta``."""
    if m := DATE_LINE.search("\n".join(lines[:_HEADER_LINES * 2])):
        meta["place"] = m.group(1).strip()
        day, month, year = int(m.group(2)), int(m.group(3)), int(m.group(4))
        if 1 <= month <= 12 and 1 <= day <= 31:
            meta["date"] = f"{year:04d}-{month:02d}-{day:02d}"


def _signature(meta: dict, lines: list[str]) -> None:
    """The signer and their title, into ``meta``; the issuer from ``T/M <body>`` when the
    header named none."""
    signer = _signer(lines)
    if signer:
        meta.update(signer)
        on_behalf = re.match(r"^(?:T/M|TM\.|THAY MẶT)\s*(.+)$", signer.pop("_first_title", ""))
        if "issuer" not in meta and on_behalf and _ISSUER_START.match(on_behalf.group(1)):
            meta["issuer"] = _title_case(on_behalf.group(1))


# a title line naming the document by its type and code: ``Quy định số 24-QĐ/TW, ngày 30/7/2021
# của …``, ``HƯỚNG DẪN SỐ 38-HD/BTCTW NGÀY 31/01/2016``
_TITLED = re.compile(r"^(quy định|quyết định|hướng dẫn|công văn|kế hoạch|chỉ thị|nghị quyết|"
                     r"kết luận|báo cáo|thông báo|quy chế|chương trình hành động|thông tri)\s+số\s+"
                     r"(\S+?)[,;]?(?:\s+ngày\s+(\d{1,2})[/-](\d{1,2})[/-](\d{4}))?(?:\s|$)",
                     re.IGNORECASE)


def _titled_code(meta: dict, lines: list[str]) -> None:
    """The code (type, date) of a document that names itself in a title line instead of a
    ``Số:`` line, when the code's type letters agree with the title's type."""
    for line in lines:
        m = _TITLED.match(line)
        codes = find_codes(m.group(2)) if m else []
        if not codes:
            continue
        parsed = parse_code(codes[0])
        kind = m.group(1).lower()
        letters = parsed.get("type_letters", "").upper()
        agree = ("QĐ", "QĐI") if kind == "quy định" else \
            [k for k, v in DOC_TYPES.items() if v.lower() == kind]
        if letters not in agree:  # the title names another document (a cited one)
            continue
        meta.update(parsed)
        meta["doc_type"] = m.group(1).capitalize()
        if m.group(3) and "date" not in meta:
            day, month, year = int(m.group(3)), int(m.group(4)), int(m.group(5))
            if 1 <= month <= 12 and 1 <= day <= 31:
                meta["date"] = f"{year:04d}-{month:02d}-{day:02d}"
        return


_DISTRIBUTION = re.compile(r"^\s*Nơi\s+nhận\s*:?\s*(.*)$", re.IGNORECASE)
_REF_DATE = re.compile(r"^[,\s]*(?:ngày\s+)?(\d{1,2})[/-](\d{1,2})[/-](\d{4})")


def _list_after(lines: list[str], start: re.Pattern) -> list[str]:
    """Items of a ``Kính gửi`` / ``Nơi nhận`` list: the rest of its line and the ``-`` lines
    that follow it (blank lines between them allowed)."""
    for i, line in enumerate(lines):
        m = start.match(line)
        if not m:
            continue
        items = [m.group(1)] if m.group(1).strip() else []
        for nxt in lines[i + 1:]:
            if not nxt.strip():
                continue
            if not nxt.lstrip().startswith(("-", "+", "•")):
                break
            items.append(nxt)
        cleaned = [re.sub(r"^[\s\-+•]+|[\s;,.]+$", "", item) for item in items]
        return [c for c in cleaned if c]
    return []


def references(text: str, own: str | None = None) -> list[dict]:
    """Every document code cited in ``text`` (not ``own``), with its type and, where written
    right after it, its date: ``{"code": "38-KH/HU", "doc_type": "Kế hoạch",
    "date": "2016-09-23"}``."""
    out: dict[str, dict] = {}
    for code, end in iter_codes(text):
        if code == own:
            continue
        ref = out.setdefault(code, {"code": code})
        kind = parse_code(code).get("doc_type")
        if kind:
            ref.setdefault("doc_type", kind)
        d = _REF_DATE.match(text[end:end + 20])
        if d and "date" not in ref:
            day, month, year = int(d.group(1)), int(d.group(2)), int(d.group(3))
            if 1 <= day <= 31 and 1 <= month <= 12:
                ref["date"] = f"{year:04d}-{month:02d}-{day:02d}"
    return list(out.values())


def _law(meta: dict, head: list[str], text: str) -> None:
    """A law: ``Luật số: 08/2017/QH14`` issued by the Quốc hội; its name from the enacting
    line (``Quốc hội ban hành Luật Thủy lợi.``) or from the title block (``LUẬT`` /
    ``THỦY LỢI``)."""
    meta["issuer"] = "Quốc hội"
    meta["level"] = "Trung ương"
    meta.pop("parent_issuer", None)
    head = [ln for ln in head if ln]
    name = ""
    if m := _ENACTING.search(text[:6000]):
        name = f"{m.group(1)} {m.group(2).strip()}"
    else:
        for i, line in enumerate(head[:-1]):
            if line in ("LUẬT", "BỘ LUẬT") and head[i + 1].isupper():
                rest = head[i + 1].lower()
                name = f"{line.capitalize()} {rest[:1].upper()}{rest[1:]}"
                break
    if name:
        kind = "Bộ luật" if name.startswith("Bộ") else "Luật"
        rest = " ".join(name.split()[2 if kind == "Bộ luật" else 1:])
        name = f"{kind} {rest[:1].upper()}{rest[1:]}"
        meta["law_name"] = name
        meta["subject"] = name
        meta.setdefault("doc_type", "Bộ luật" if name.startswith("Bộ luật") else "Luật")
        if meta["doc_type"] not in ("Luật", "Bộ luật"):
            meta["doc_type"] = "Bộ luật" if name.startswith("Bộ luật") else "Luật"
    meta.pop("title_block", None)


def is_law(meta: dict) -> bool:
    return meta.get("doc_type") in ("Luật", "Bộ luật") and "code" in meta


def _title(meta: dict, lines: list[str]) -> str:
    if is_law(meta) and "law_name" in meta:
        return f"{meta['law_name']} số {meta['code']}"
    if "code" in meta:
        label = f"{meta.get('doc_type', 'Văn bản')} số {meta['code']}"
        if meta.get("subject"):
            return f"{label}: {meta['subject']}"
        block = meta.get("title_block", "")
        for t in _TITLE_TYPES:
            if block.upper().startswith(t):
                block = block[len(t):].strip()
                break
        return f"{label} {block}".strip()
    if "title_block" in meta:
        return meta["title_block"]
    first = next((ln for ln in lines if ln and any(ch.isalpha() for ch in ln)), "")
    return first[:200]


def _looks_like_name(line: str) -> bool:
    """``Nguyễn Thị Kim Ngọc``: two to six words, each a capital and small letters.  What else
    sits under a signature (``(Đã ký)``, a scan's specks and seal fragments) is no name, and a
    citation names nobody rather than a misread."""
    words = line.split()
    return 2 <= len(words) <= 6 and all(
        w.isalpha() and w[0].isupper() and (len(w) == 1 or w[1:].islower()) for w in words)


def _signer(lines: list[str]) -> dict:
    # specks a scan leaves around the block (``—T/M``, ``' Nguyễn …``) are not part of it
    tail = [s for ln in lines[-15:] if (s := ln.strip(" -–—_.,:;'\"|~`„"))]
    for i, line in enumerate(tail):
        if SIGNER_TITLE.match(line):
            titles = [line]
            rest = tail[i + 1:]
            while rest and rest[0].isupper() and len(rest[0]) > 2:  # not a speck's letter
                titles.append(rest.pop(0))
            # a speck stuck to a name on a scan (``Nguyễn: Minh Thanh``) is not part of it
            names = [n for ln in rest
                     if _looks_like_name(n := " ".join(w.strip(":;,.'`") for w in ln.split()))]
            out = {"signer_title": " ".join(titles), "_first_title": line}
            if names:
                out["signer"] = names[-1]
            return out
    return {}


def document_year(meta: dict) -> int | None:
    """The year a document is dated: from its date, else its year alone (a news report dated
    by its file name), else None."""
    if meta.get("date"):
        return int(meta["date"][:4])
    return int(meta["year"]) if meta.get("year") else None
