"""Split a document into passages that follow its own structure.

The text is read as blocks (a line, or lines without a blank between them).  A block is a
heading (``I-``, ``II.``, ``1.``, ``1.1.``, ``a)``; for laws ``Chương``, ``Mục``, ``Điều``), a
list item (``-``, ``+``, ``•``) or a paragraph.  Headings open sections; the section path of a
passage is the chain of open headings (``IV. Nhiệm vụ, giải pháp › 2. ... › 2.2.``).  The
document header (before the first body paragraph) and the closing part from ``Nơi nhận`` are
sections of their own.

Within a section, consecutive blocks are packed together while the passage has fewer than
``pack_words`` words, up to ``max_words`` words and never more than ``max_chars`` characters; a longer block is cut at sentence ends (then at
commas, then at spaces).  A short tail is merged into the passage before it when it fits.
Every passage is the exact span ``document.text[start:end]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from index.readers.documents import Document

SEPARATOR = " › "


@dataclass
class Passage:
    """A span of a document: ``doc_text[start:end] == text``."""

    passage_id: str
    doc_id: str
    text: str
    start: int
    end: int
    section: str = ""


# rank: a heading closes every open heading of the same or a higher rank number
_HEADINGS = [
    (0, re.compile(r"^(Chương|CHƯƠNG|Phần thứ|PHẦN THỨ)\s+[IVXLC\d]+\b")),
    (1, re.compile(r"^(Mục|MỤC)\s+\d+\b")),
    (2, re.compile(r"^(Điều|ĐIỀU)\s+\d+[a-z]?\b")),
    (3, re.compile(r"^[IVXLC]{1,6}\s?[-.)–]\s")),
    (4, re.compile(r"^\d{1,2}\s?[.)]\s")),
    (5, re.compile(r"^\d{1,2}\.\d{1,2}\.?\s")),
    (6, re.compile(r"^\d{1,2}\.\d{1,2}\.\d{1,2}\.?\s")),
    (7, re.compile(r"^[a-zđ]\)\s")),
]
_LIST = re.compile(r"^[-–•+]\s")
_CLOSING = re.compile(r"^(Nơi nhận|NƠI NHẬN)\b")
_SENTENCE_END = re.compile(r"(?<=[.!?;…])[\"”)]*\s+(?=[\"“(\-–]?[A-ZĐÀ-Ỹ0-9])")
_HEADING_LABEL_CHARS = 110
_BODY_CHARS = 200


@dataclass
class _Block:
    start: int
    end: int
    rank: int | None  # heading rank, None for paragraphs and list items
    marker: str
    clause: tuple[str, str] = ("", "")  # (khoản, điểm) inside a law's article


def _blocks(text: str) -> Iterator[_Block]:
    pos = 0
    group_start = group_end = None
    for line in text.split("\n"):
        line_start, line_end = pos, pos + len(line)
        pos = line_end + 1
        stripped = line.strip()
        if not stripped:
            if group_start is not None:
                yield _Block(group_start, group_end, None, "")
                group_start = None
            continue
        lead = len(line) - len(line.lstrip())
        s, e = line_start + lead, line_start + len(line.rstrip())
        rank, marker = _heading(stripped)
        if rank is not None or _LIST.match(stripped) or _CLOSING.match(stripped):
            if group_start is not None:
                yield _Block(group_start, group_end, None, "")
                group_start = None
            yield _Block(s, e, rank, marker)
            continue
        if group_start is None:
            group_start = s
        group_end = e
    if group_start is not None:
        yield _Block(group_start, group_end, None, "")


def _joined(text: str, blocks: Iterator[_Block]) -> Iterator[_Block]:
    """Join a paragraph broken by a blank line mid-sentence (a page break in an export)."""
    prev = None
    for block in blocks:
        line = text[block.start:block.end]
        if (prev is not None and block.rank is None and not _LIST.match(line)
                and not _CLOSING.match(line) and text[prev.end - 1] not in ".:;!?…"
                and (text[block.start].islower() or prev.end - prev.start > _BODY_CHARS)):
            prev = _Block(prev.start, block.end, prev.rank, prev.marker)
            continue
        if prev is not None:
            yield prev
        prev = block
    if prev is not None:
        yield prev


def _heading(line: str) -> tuple[int | None, str]:
    for rank, pattern in _HEADINGS:
        m = pattern.match(line)
        if m:
            return rank, m.group(0).strip()
    return None, ""


def _label(line: str, marker: str) -> str:
    line = " ".join(line.split())
    if len(line) <= _HEADING_LABEL_CHARS:
        return line.rstrip(":").strip()
    return marker


_ARTICLE_RANK = 2
_KHOAN_RANK, _DIEM_RANK = 4, 7


def _sections(doc: Document) -> Iterator[tuple[tuple[str, str], list[_Block]]]:
    """Group blocks into ((part, section path), blocks) in document order.

    Inside a law's article (``Điều 5``) the numbered items are its khoản (``1.``) and điểm
    (``a)``): they stay in the article's section, each block remembering its (khoản, điểm), so
    short clauses pack together and a passage is labelled with the clauses it covers."""
    text = doc.text
    stack: list[tuple[int, str]] = []
    part = "header"
    current: list[_Block] = []
    current_key = ("header", "")
    clause = ("", "")
    for block in _joined(text, _blocks(text)):
        line = text[block.start:block.end]
        if part == "header" and (block.rank is not None or block.end - block.start > _BODY_CHARS):
            part = "body"
        if _CLOSING.match(line):
            part, stack = "closing", []
        in_article = any(rank == _ARTICLE_RANK for rank, _ in stack)
        if in_article and block.rank in (_KHOAN_RANK, _DIEM_RANK):
            number = block.marker.rstrip(".) ").strip()
            clause = (number, "") if block.rank == _KHOAN_RANK else (clause[0], number)
            block = _Block(block.start, block.end, None, block.marker)
        elif block.rank is not None and block.rank <= _ARTICLE_RANK:
            clause = ("", "")
        block.clause = clause if in_article or block.rank is None else ("", "")
        if block.rank is not None and part == "body":
            while stack and stack[-1][0] >= block.rank:
                stack.pop()
            stack.append((block.rank, _label(line, block.marker)))
        key = (part, SEPARATOR.join(label for _, label in stack) if part == "body" else
               ("Nơi nhận" if part == "closing" else ""))
        if key != current_key and current:
            yield current_key, current
            current = []
        current_key = key
        current.append(block)
    if current:
        yield current_key, current


def _word_count(text: str) -> int:
    return len(text.split())


def _cut_spans(text: str, start: int, end: int, max_chars: int, target_words: int
               ) -> list[tuple[int, int]]:
    """Cut the span [start, end) into pieces of at most max_chars at sentence ends."""
    if end - start <= max_chars and _word_count(text[start:end]) <= target_words:
        return [(start, end)]
    bounds = [start] + [start + m.end() for m in _SENTENCE_END.finditer(text[start:end])] + [end]
    pieces: list[tuple[int, int]] = []
    piece_start = start
    for i in range(1, len(bounds)):
        s, e = bounds[i - 1], bounds[i]
        if e - piece_start > max_chars or (_word_count(text[piece_start:e]) > target_words
                                           and s > piece_start):
            if s > piece_start:
                pieces.append((piece_start, s))
                piece_start = s
        while e - piece_start > max_chars:  # one sentence longer than max_chars
            window = text[piece_start:piece_start + max_chars]
            cut = max(window.rfind(", "), window.rfind("; "))
            if cut < max_chars // 2:
                cut = window.rfind(" ")
            cut = piece_start + (cut + 1 if cut > 0 else max_chars)
            pieces.append((piece_start, cut))
            piece_start = cut
    if piece_start < end:
        pieces.append((piece_start, end))
    return [(s, e) for s, e in _trim(text, pieces)]


def _trim(text: str, spans: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            yield s, e


def _clause_label(first: tuple[str, str], last: tuple[str, str]) -> str:
    """``("2", "")``, ``("3", "")`` -> ``Khoản 2–3``; ``("2", "a")``, ``("2", "c")`` ->
    ``Khoản 2 › Điểm a–c``; ``""`` outside clauses."""
    if not first[0]:
        return ""
    if first[0] != last[0]:
        return f"Khoản {first[0]}–{last[0]}"
    label = f"Khoản {first[0]}"
    if first[1]:
        span = first[1] if first[1] == last[1] or not last[1] else f"{first[1]}–{last[1]}"
        label += f"{SEPARATOR}Điểm {span}"
    return label


def _is_within(outer: tuple[str, str], inner: tuple[str, str]) -> bool:
    """True when section ``outer`` is ``inner`` or one of its ancestors (the header counts as
    the ancestor of every body section)."""
    if outer[0] == "header":
        return True
    return outer[0] == inner[0] and (inner[1] == outer[1]
                                     or inner[1].startswith(outer[1] + SEPARATOR))


def split_document(doc: Document, max_words: int = 250, min_words: int = 40,
                   max_chars: int = 1200, pack_words: int = 120) -> list[Passage]:
    """Passages of ``doc`` following its structure (see the module docstring).

    Returns the passages in document order, each the exact span ``text[start:end]``."""
    text = doc.text
    spans: list[list] = []  # [start, end, key, first clause, last clause]
    for key, blocks in _sections(doc):
        pieces: list[tuple[int, int, tuple[str, str]]] = []
        for block in blocks:
            cuts = _cut_spans(text, block.start, block.end, max_chars, max_words)
            pieces.extend((s, e, block.clause) for s, e in cuts)
        packed: list[list] = []
        for s, e, clause in pieces:
            if packed:
                ps, pe = packed[-1][:2]
                if (_word_count(text[ps:pe]) < pack_words and e - ps <= max_chars
                        and _word_count(text[ps:e]) <= max_words):
                    packed[-1][1] = e
                    packed[-1][3] = clause
                    if not packed[-1][2][0]:  # the article's opening lines, then its clauses
                        packed[-1][2] = clause
                    continue
            packed.append([s, e, clause, clause])
        if len(packed) > 1 and _word_count(text[packed[-1][0]:packed[-1][1]]) < min_words:
            if packed[-1][1] - packed[-2][0] <= max_chars:
                tail = packed.pop()
                packed[-1][1] = tail[1]
                packed[-1][3] = tail[3]
        spans.extend([s, e, key, first, last] for s, e, first, last in packed)
    # a section too short to stand alone (a bare heading, a header line) opens the next one
    # when that one lies inside it; a short sibling stays on its own, under its own label
    for i in range(len(spans) - 2, -1, -1):
        s, e, key = spans[i][:3]
        nxt = spans[i + 1]
        if (_word_count(text[s:e]) < min_words and nxt[2] != key and nxt[2][0] != "closing"
                and _is_within(key, nxt[2]) and nxt[1] - s <= max_chars):
            nxt[0] = s
            del spans[i]
    passages = []
    for s, e, (_, section), first, last in spans:
        if not any(ch.isalnum() for ch in text[s:e]):
            continue
        clauses = _clause_label(first, last)
        if clauses:
            section = f"{section}{SEPARATOR}{clauses}" if section else clauses
        passages.append(Passage(passage_id=f"{doc.doc_id}#{len(passages)}", doc_id=doc.doc_id,
                                text=text[s:e], start=s, end=e, section=section))
    return passages
