"""A briefing basket: passages gathered from results, each with its formal citation and a note,
exported as a Word document or as Markdown.

The basket is a plain list of :class:`BriefingItem`; the functions below never change the list
they are given, they return a new one (the app keeps the list in its session).
"""

from __future__ import annotations

import datetime as _dt
import io
from dataclasses import asdict, dataclass, replace
from pathlib import Path

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


def save(items: list[BriefingItem], path: Path | str) -> None:
    """Write the basket to ``path`` (JSON, replaced in one rename: a crash leaves the previous
    basket or this one)."""
    import json
    import os

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps([i.to_dict() for i in items], ensure_ascii=False, indent=1),
                   encoding="utf-8")
    os.replace(tmp, path)


def load(path: Path | str) -> list[BriefingItem]:
    """The basket saved at ``path``; empty when there is none.  An unreadable file is kept
    aside (``.damaged``) rather than lost, and an empty basket returned."""
    import json

    path = Path(path)
    if not path.exists():
        return []
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        return [BriefingItem(**row) for row in rows]
    except (ValueError, TypeError):
        path.replace(path.with_name(path.name + ".damaged"))
        return []


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


FONT, SIZE, LANGUAGE = "Times New Roman", 14, "vi-VN"  # as Vietnamese administrative texts


def _vietnamese_page(doc) -> None:
    """A4 with the margins of administrative documents (top and bottom 2 cm, left 3 cm, right
    2 cm); every style in Times New Roman, black, marked Vietnamese (vi-VN) so that Word checks
    the spelling as Vietnamese."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    for section in doc.sections:
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.top_margin = section.bottom_margin = Cm(2)
        section.left_margin, section.right_margin = Cm(3), Cm(2)

    def vietnamese(rpr) -> None:
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.append(fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), FONT)
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
            fonts.attrib.pop(qn(theme), None)
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        for attr in ("w:val", "w:eastAsia", "w:bidi"):
            lang.set(qn(attr), LANGUAGE)

    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        for rpr in defaults.iter(qn("w:rPr")):
            vietnamese(rpr)
    for style in doc.styles:
        if getattr(style, "font", None) is None:
            continue
        style.font.name = FONT
        style.font.color.rgb = RGBColor(0, 0, 0)
        vietnamese(style.element.get_or_add_rPr())
    doc.styles["Normal"].font.size = Pt(SIZE)
    doc.styles["Quote"].font.size = Pt(SIZE)


def to_docx(items: list[BriefingItem], title: str = DEFAULT_TITLE,
            today: _dt.date | None = None) -> bytes:
    """The briefing as a Word document (python-docx): A4, Times New Roman 14 pt, Vietnamese;
    a title, each passage under its formal citation (once) as an indented quote, its note,
    then the list of sources."""
    if not items:
        raise ValueError("the basket is empty: add passages from the results first")
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    today = today or _dt.date.today()
    doc = Document()
    _vietnamese_page(doc)
    title = title.strip() or DEFAULT_TITLE
    doc.core_properties.title = title
    doc.core_properties.language = LANGUAGE
    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = head.add_run(title.upper())
    run.bold = True
    run.font.size = Pt(SIZE + 1)
    dated = doc.add_paragraph()
    dated.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = dated.add_run(f"Ngày {today.day:02d} tháng {today.month:02d} năm {today.year} · "
                        f"{len(items)} trích dẫn")
    run.italic = True
    for n, item in enumerate(items, 1):
        cite = doc.add_paragraph()
        cite.paragraph_format.space_before = Pt(12)
        cite.add_run(f"{n}. {item.citation}").bold = True
        for block in [b for b in item.text.split("\n\n") if b.strip()]:
            quote = doc.add_paragraph(" ".join(block.split()), style="Quote")
            quote.paragraph_format.left_indent = Cm(1)
            quote.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        if item.note:
            note = doc.add_paragraph()
            note.add_run("Ghi chú: ").bold = True
            note.add_run(item.note)
    sources = doc.add_paragraph()
    sources.paragraph_format.space_before = Pt(12)
    sources.add_run("Nguồn").bold = True
    for source in _sources(items):
        doc.add_paragraph(source, style="List Number")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
