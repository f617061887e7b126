"""The gold set: questions with their evidence as exact quotes from the documents.

A passage answers a question when its text contains one of the question's quotes (compared
after NFC and whitespace collapsing), so the set survives any change of chunking.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

GOLD_FILE = Path(__file__).parent / "gold.jsonl"
HOLDOUT_FILE = Path(__file__).parent / "holdout.jsonl"  # written apart, never tuned on
OFFTOPIC_FILE = Path(__file__).parent / "offtopic.jsonl"  # questions the corpus cannot answer


@dataclass(frozen=True)
class Question:
    qid: str
    query: str
    kind: str
    doc: str
    evidence: tuple[str, ...]


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def read_rows(path: Path, make, expected: str) -> list:
    """``make(row)`` for each JSON line of ``path`` (blank lines skipped); a bad line is a
    ValueError naming the file, the line and what was ``expected``."""
    out = []
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                out.append(make(json.loads(line)))
            except (json.JSONDecodeError, KeyError) as exc:
                raise ValueError(f"{path}:{lineno}: expected {expected} "
                                 f"({type(exc).__name__}: {exc})") from None
    return out


def load_gold(path: Path = GOLD_FILE) -> list[Question]:
    return read_rows(path, lambda row: Question(row["id"], row["query"], row["kind"], row["doc"],
                                                tuple(row["evidence"])),
                     "id, query, kind, doc, evidence")


ACCENTED_KINDS = ("deadline", "number", "code", "body", "paraphrase", "variant", "abbreviation")
COPY_KIND = "copy_no_diacritics"


def with_unaccented_copies(questions: list[Question]) -> list[Question]:
    """The questions plus, for each Vietnamese question written with diacritics, a copy typed
    without them (kind ``copy_no_diacritics``, id ``<id>-nd``): the same question as it is typed
    on a phone, so the two can be compared row by row."""
    from index.text import has_diacritics, strip_accents

    copies = [Question(f"{q.qid}-nd", strip_accents(q.query), COPY_KIND, q.doc, q.evidence)
              for q in questions if q.kind in ACCENTED_KINDS and has_diacritics(q.query)]
    return questions + copies


def relevant_passages(question: Question, passages) -> dict[str, int]:
    """qrels of one question: passage ids whose text holds one of its quotes."""
    quotes = [squash(q) for q in question.evidence]
    return {p.passage_id: 1 for p in passages
            if p.doc_id == question.doc and any(q in squash(p.text) for q in quotes)}
