"""A briefing basket: passages gathered from results, each with its formal citation and a note,
exported as a Word document or as Markdown.

The basket is a plain list of :class:`BriefingItem`; the functions below never change the list
they are given, they return a new one (the app keeps the list in its session).
"""

from __future__ import annotations

import datetime as _dt
import io
from dataclasses import asdict, dataclass, replace

DEFAULT_TITLE = "Tài liệu tham khảo"


@dataclass(frozen=True)
class BriefingItem:
    """One quoted passage."""

    passage_id: str
    doc_id: str
    citation: str
    text: str
    title: str = ""
    source: str = ""
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def item_from_hit(hit) -> BriefingItem:
    return BriefingItem(passage_id=hit.passage_id, doc_id=hit.doc_id, citation=hit.citation,
                        text=hit.text, title=hit.title, source=hit.source)


def add(items: list[BriefingItem], item: BriefingItem) -> list[BriefingItem]:
    """``items`` with ``item`` at the end; a passage already there is not added twice."""
    if any(i.passage_id == item.passage_id for i in items):
        return list(items)
    return [*items, item]


def remove(items: list[BriefingItem], index: int) -> list[BriefingItem]:
    _check(items, index)
    return [item for i, item in enumerate(items) if i != index]


def move(items: list[BriefingItem], index: int, step: int) -> list[BriefingItem]:
    """``items`` with the item at ``index`` moved ``step`` places (−1 up, +1 down), kept
    within the list."""
    _check(items, index)
    target = min(max(index + step, 0), len(items) - 1)
    out = list(items)
    out.insert(target, out.pop(index))
    return out


def annotate(items: list[BriefingItem], index: int, note: str) -> list[BriefingItem]:
    _check(items, index)
    out = list(items)
    out[index] = replace(out[index], note=note.strip())
    return out


def _check(items: list, index: int) -> None:
    if not 0 <= index < len(items):
        raise IndexError(f"no item {index} in a basket of {len(items)}")


def _sources(items: list[BriefingItem]) -> list[str]:
    """One line per document quoted, in order of first quotation."""
    seen: dict[str, str] = {}
    for item in items:
        if item.doc_id not in seen:
            seen[item.doc_id] = item.title or item.citation
    return list(seen.values())


def to_markdown(items: list[BriefingItem], title: str = DEFAULT_TITLE,
                today: _dt.date | None = None) -> str:
    """The briefing as Markdown: title, each passage as a block quote followed by its citation
    (and the note), then the list of sources."""
    if not items:
        raise ValueError("the basket is empty: add passages from the results first")
    today = today or _dt.date.today()
    lines = [f"# {title.strip() or DEFAULT_TITLE}", "",
             f"Ngày lập: {today.day}/{today.month}/{today.year} · {len(items)} trích dẫn", ""]
    for n, item in enumerate(items, 1):
        lines.append(f"## {n}. {item.citation}")
        lines.append("")
        lines += ["> " + line if line.strip() else ">" for line in item.text.splitlines()]
        lines.append("")
        lines.append(f"— *{item.citation}*")
        if item.note:
            lines += ["", f"Ghi chú: {item.note}"]
        lines.append("")
    lines += ["## Nguồn", ""]
    lines += [f"{n}. {source}" for n, source in enumerate(_sources(items), 1)]
    return "\n".join(lines) + "\n"


def to_docx(items: list[BriefingItem], title: str = DEFAULT_TITLE,
            today: _dt.date | None = None) -> bytes:
    """The briefing as a Word document (python-docx): a title, each passage as an indented
    quote with its formal citation (and the note), then the list of sources."""
    if not items:
        raise ValueError("the basket is empty: add passages from the results first")
    from docx import Document
    from docx.shared import Cm, Pt

    today = today or _dt.date.today()
    doc = Document()
    doc.core_properties.title = title.strip() or DEFAULT_TITLE
    doc.add_heading(title.strip() or DEFAULT_TITLE, level=0)
    doc.add_paragraph(f"Ngày lập: {today.day}/{today.month}/{today.year} · "
                      f"{len(items)} trích dẫn")
    for n, item in enumerate(items, 1):
        doc.add_heading(f"{n}. {item.citation}", level=2)
        for block in [b for b in item.text.split("\n\n") if b.strip()]:
            quote = doc.add_paragraph(" ".join(block.split()), style="Quote")
            quote.paragraph_format.left_indent = Cm(1)
        cite = doc.add_paragraph()
        run = cite.add_run(f"({item.citation})")
        run.italic = True
        run.font.size = Pt(10)
        if item.note:
            note = doc.add_paragraph()
            note.add_run("Ghi chú: ").bold = True
            note.add_run(item.note)
    doc.add_heading("Nguồn", level=1)
    for source in _sources(items):
        doc.add_paragraph(source, style="List Number")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
