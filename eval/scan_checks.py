"""What OCR makes of the scanned copies (:mod:`eval.scans`): the character error rate of each
header field against the born-digital letter, the fields cited as read, uncertain or missed,
and retrieval with the scanned copies in place of the originals."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.gold import squash
from eval.report import ranked_run
from eval.scans import FIELDS, VARIANTS, layout, save_scan, write_scan


def _last_row(a: str, b: str, anywhere: bool = False) -> np.ndarray:
    """The last row of the edit-distance table of ``a`` against ``b``, one row at a time in
    numpy: a row's insertions are a running minimum (``D[j] = min_k (A[k] + j - k)``), so
    nothing loops over ``b``'s characters.  With ``anywhere``, ``a`` may start at any place
    of ``b`` (the first row is zeros)."""
    bb = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    cols = np.arange(len(b) + 1)
    row = np.zeros(len(b) + 1, dtype=np.int64) if anywhere else cols.copy()
    for i, ch in enumerate(a, 1):
        cost = (bb != ord(ch)).astype(np.int64)
        above = np.empty_like(row)
        above[0] = i
        above[1:] = np.minimum(row[1:] + 1, row[:-1] + cost)
        row = np.minimum.accumulate(above - cols) + cols
    return row


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    if not a or not b:
        return len(a) + len(b)
    return int(_last_row(a, b)[-1])


def cer(reference: str, read: str) -> float:
    reference, read = squash(reference), squash(read)
    return edit_distance(reference, read) / max(len(reference), 1)


@dataclass
class ScanResult:
    doc: str
    variant: str
    pages: int
    seconds: float
    cer: float
    right: dict[str, bool | None]  # field -> read as the original (None: the original has none)
    read: dict[str, str]


def check_scan(source: Path, variant: str, folder: Path, seed: int = 7) -> ScanResult:
    """Make the scan of ``source``, read it as any PDF is read, compare with the printed
    letter's text (the fields parsed from it as from a born-digital copy)."""
    from index.readers.documents import read_file
    from index.readers.metadata import parse_metadata

    page = layout(read_file(source).text)
    printed = parse_metadata(page.text())  # what the printed letter says
    pdf = folder / f"{source.stem}.{variant}.pdf"
    pages = save_scan(page, variant, pdf, seed)
    started = time.perf_counter()
    scanned = read_file(pdf)
    seconds = time.perf_counter() - started
    right, read = {}, {}
    for name in FIELDS:
        want = printed.get(name)
        got = scanned.metadata.get(name)
        read[name] = got or ""
        right[name] = None if not want else (got == want)
    return ScanResult(source.stem, variant, pages, seconds, cer(page.text(), scanned.text),
                      right, read)


def summary(results: list[ScanResult]) -> str:
    """Markdown: per variant, the character error rate and each field's share read right."""
    lines = ["| variant | documents | pages | s / page | character error rate | "
             + " | ".join(FIELDS) + " |", "|---|---:|---:|---:|---:|" + "---:|" * len(FIELDS)]
    for variant in VARIANTS:
        rows = [r for r in results if r.variant == variant]
        if not rows:
            continue
        pages = sum(r.pages for r in rows)
        cells = []
        for name in FIELDS:
            known = [r.right[name] for r in rows if r.right[name] is not None]
            cells.append(f"{sum(known)}/{len(known)}" if known else "—")
        lines.append(f"| {variant} | {len(rows)} | {pages} | "
                     f"{sum(r.seconds for r in rows) / pages:.1f} | "
                     f"{np.mean([r.cer for r in rows]):.1%} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def default_sources(with_party_docs: bool = False) -> list[Path]:
    """The sample's Party letters (the news report has no header to read) and, optionally, the
    real Party documents of ``data/party-docs``."""
    from index.paths import PARTY_DOCS, SAMPLE_CORPUS

    sources = [p for p in sorted(Path(SAMPLE_CORPUS).glob("*.txt")) if "tin-bai" not in p.name]
    if with_party_docs:
        sources += sorted(Path(PARTY_DOCS).rglob("*.txt"))
    return sources


def run(folder: Path, variants: tuple[str, ...] = VARIANTS, sources: list[Path] | None = None,
        seed: int = 7, say=print) -> list[ScanResult]:
    results = []
    sources = sources or default_sources()
    rng = random.Random(seed)
    for source in sources:
        for variant in variants:
            result = check_scan(source, variant, folder, rng.randrange(1 << 30))
            say(f"  {source.stem} {variant}: {result.pages} pages, {result.seconds:.0f} s, "
                f"CER {result.cer:.1%}, " + ", ".join(
                    f"{k} {'ok' if v else ('—' if v is None else repr(result.read[k]))}"
                    for k, v in result.right.items()))
            results.append(result)
    return results


def fuzzy_contains(pattern: str, text: str, tolerance: float = 0.1) -> bool:
    """Whether ``text`` holds ``pattern`` with at most ``tolerance`` of its characters
    wrong (edit distance of the pattern against the best substring of ``text``): a gold
    quote found in a passage read by OCR."""
    if not pattern:
        return True
    if len(text) < len(pattern) * (1 - tolerance):
        return False
    return int(_last_row(pattern, text, anywhere=True).min()) <= tolerance * len(pattern)


def scanned_qrels(questions, passages) -> dict[str, dict[str, int]]:
    """Gold relevance on an index of scans: a passage of the question's document whose text
    holds one of its quotes, up to OCR's errors (:func:`fuzzy_contains`)."""
    out = {}
    for q in questions:
        quotes = [squash(e).lower() for e in q.evidence]
        out[q.qid] = {p.passage_id: 1 for p in passages if p.doc_id == q.doc
                      and any(fuzzy_contains(quote, squash(p.text).lower()) for quote in quotes)}
    return out


def retrieval(folder: Path, variants: tuple[str, ...] = VARIANTS, seed: int = 7, k: int = 10,
              say=print) -> list[dict]:
    """The gold set (with its unaccented copies) on the sample's text originals and on
    indexes of the sample scanned as each variant; a row per corpus with the gold measures of
    hybrid search, relevance judged by :func:`scanned_qrels` on both (a question whose quote
    is found in no passage counts as missed)."""
    from index.build import build
    from index.paths import SAMPLE_CORPUS
    from search import Searcher

    from .gold import load_gold, with_unaccented_copies
    from .metrics import evaluate

    questions = with_unaccented_copies(load_gold())
    sources = sorted(Path(SAMPLE_CORPUS).glob("*.txt"))

    def measure(name: str, index: Path) -> dict:
        searcher = Searcher.load(index)
        qrels = scanned_qrels(questions, searcher.data.passages)
        run = {q.qid: ranked_run(searcher.search(q.query, k=k, mode="hybrid", answers=False))
               for q in questions}
        # a question whose quote OCR garbled beyond the tolerance counts as missed
        found = evaluate({q: r or {"(quote not found)": 1} for q, r in qrels.items()}, run)
        row = {"corpus": name, "questions": len(questions),
               "judged": sum(bool(r) for r in qrels.values()), **found}
        say(f"  {name}: R@5 {row['R@5']:.3f}, MRR@10 {row['MRR@10']:.3f}, "
            f"{row['judged']}/{row['questions']} questions with their quote found")
        return row

    rows = []
    text_index = Path(folder) / "text" / "index"
    build([str(s) for s in sources], text_index)
    rows.append(measure("text", text_index))
    rng = random.Random(seed)
    for variant in variants:
        scans = Path(folder) / variant
        for source in sources:
            write_scan(source, variant, scans / f"{source.stem}.pdf", rng.randrange(1 << 30))
        index = Path(folder) / f"{variant}-index"
        build([str(scans)], index)
        rows.append(measure(variant, index))
    return rows


def retrieval_table(rows: list[dict]) -> str:
    """Markdown: per corpus, the gold measures and R@5's distance from the text originals."""
    from .metrics import GOLD_MEASURES

    names = list(GOLD_MEASURES)
    base = rows[0]["R@5"]
    lines = ["| corpus | quotes found | " + " | ".join(names) + " | R@5 − text |",
             "|---|---:|" + "---:|" * (len(names) + 1)]
    for row in rows:
        lines.append(f"| {row['corpus']} | {row['judged']}/{row['questions']} | "
                     + " | ".join(f"{row[n]:.3f}" for n in names)
                     + f" | {row['R@5'] - base:+.3f} |")
    return "\n".join(lines)
