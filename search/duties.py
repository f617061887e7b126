"""The duties a question asks about (``what must the chi bộ report, and when?``): the obligations
of the passages found (:func:`search.answers.extract_obligations`) that hold the question's
focus, reporting duties for a question about reports, those of the bodies it names."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from index.chunking import SEPARATOR
from index.text import normalize, strip_accents
from search.answerability import share
from search.answers import Obligation, asks_about_reports, extract_obligations
from search.questions import units_of

if TYPE_CHECKING:
    from search.answering import Question

OBLIGATION_CANDIDATES = 40  # passages read for the duties a question asks about
OBLIGATION_FOCUS = 0.5  # share of the question's focus a duty's sentence must hold


_ACTORS = ("chi bo", "dang bo", "cap uy", "dang uy", "bi thu", "dang vien", "ban tuyen giao",
           "ban thuong vu", "huyen uy", "tinh uy")


def _actor_text(text: str) -> str:
    """Accent-free text for naming bodies, ``chi, đảng bộ`` read as ``chi bộ, đảng bộ``."""
    return re.sub(r"\bchi\s*,\s*dang bo", "chi bo, dang bo", strip_accents(normalize(text)))


def relevant_obligations(searcher, question: Question, pool: list) -> list[Obligation]:
    """Duties in the passages ``pool`` found for the question, in rank order, that are about
    what was asked: their sentence holds :data:`OBLIGATION_FOCUS` of the question's focus
    (question words and the words of periods left out); reporting duties only when the
    question is about reports, and those of the bodies it names (``chi bộ``) when any are
    found."""
    info, focus = question.info, question.focus
    found: list[Obligation] = []
    seen = set()
    for hit in pool:
        doc = searcher.data.documents[hit.doc_id]
        for ob in extract_obligations(hit.text, hit.start, default_actor(hit, doc)):
            if (hit.doc_id, ob.start) in seen:
                continue
            seen.add((hit.doc_id, ob.start))
            found.append(replace(ob, doc_id=hit.doc_id, citation=hit.citation))
    if asks_about_reports(info.bm25_text):
        found = [ob for ob in found if ob.is_report]
    named = [a for a in _ACTORS if a in _actor_text(info.bm25_text)]
    if named:
        about = [ob for ob in found
                 if any(a in _actor_text(f"{ob.who} {ob.sentence}") for a in named)]
        found = about or found
    if focus:
        found = [ob for ob in found
                 if share(focus, units_of(f"{ob.who} {ob.sentence}")) >= OBLIGATION_FOCUS]
    return found


def default_actor(hit, doc) -> str:
    """Who a duty falls on when its sentence names nobody: the body a section heading names
    (``1. Các chi, đảng bộ trực thuộc``, ``2. Ban Tuyên giáo Huyện ủy: …``), else the
    letter's addressees."""
    labels = hit.section.split(SEPARATOR) if hit.section else []
    lead = re.match(r"^\s*\d+(?:\.\d+)*\.?\s*([^:\n.;]{3,80}):", hit.text)
    candidates = ([lead.group(1)] if lead else []) + labels[::-1]
    for label in candidates:
        label = re.sub(r"^(?:[IVXLC]+\s?[.\-)–]|\d+(?:\.\d+)*\.?\)?)\s*|[*:]", "",
                       label).strip()
        if label and len(label.split()) <= 12 and re.search(
                r"chi bộ|đảng bộ|cấp ủy|Ban |Huyện ủy|Tỉnh ủy|đảng ủy|UBND|đoàn thể", label,
                re.IGNORECASE):
            return label
    return "; ".join(doc.metadata.get("recipients", []))
