"""Scanned copies of real documents, made here, and how well they are read back
(``python -m eval scans``).

A text document is laid out as a Party letter is printed (:func:`layout`): the header's two
columns side by side (left: the Party committee above, the issuing body, ``*``, ``Số …``, the
``V/v …`` subject; right: ĐẢNG CỘNG SẢN VIỆT NAM and the place-date line), a centred title
when there is one, the body, and at the foot "Nơi nhận" on the left beside the signature block
on the right.  It is drawn on A4 pages at 300 dpi in DejaVu Serif (Debian ``fonts-dejavu-core``)
and degraded into the variants an office meets (:data:`VARIANTS`), each from a fixed seed:

- ``clean``: the pages as printed;
- ``office``: an office scanner: a tilt of 0.5–1.5°, grey noise and specks, a little blur,
  JPEG at quality 60;
- ``sealed``: the office scan with a red seal over the signature block and a scribbled
  signature;
- ``phone``: a phone photo: a stronger tilt and shear, light falling off across the page, blur.

The pages go into an image-only PDF (no text layer), which is read by the project's own reader
(``index.readers.documents.read_file``: OCR) and compared with the printed letter's text: character
error rate of the text, and whether the code, date, issuer and signer read from the scan are
the ones parsed from that text as from a born-digital copy.  A web copy's header (the real
documents of ``data/party-docs``: separator rules, table bars, ``Số:`` on one line and the
number on the next) is printed as the letter was (:func:`tidy_header`).

:func:`retrieval` builds an index of the sample scanned as each variant and runs the gold set
on it beside the text originals, relevance judged by the gold quotes up to OCR's errors.
"""

from __future__ import annotations

import random
import re
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.readers.metadata import DATE_LINE, SIGNER_TITLE

from .gold import squash
from .report import ranked_run

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT, BOLD = FONT_DIR / "DejaVuSerif.ttf", FONT_DIR / "DejaVuSerif-Bold.ttf"
DPI = 300
PAGE = (2480, 3508)            # A4 at 300 dpi
MARGIN = (300, 240, 200, 260)  # left, top, right, bottom
SIZE = 50                      # 12 pt at 300 dpi
HEAD_SIZE = 46                 # the header's columns, 11 pt
SMALL = 40                     # "Nơi nhận", 9.5 pt
LEADING = 68
VARIANTS = ("clean", "office", "sealed", "phone")
FIELDS = ("code", "date", "issuer", "signer")

_TITLE = re.compile(r"^(CHƯƠNG TRÌNH|KẾ HOẠCH|NGHỊ QUYẾT|KẾT LUẬN|CHỈ THỊ|QUYẾT ĐỊNH|QUY ĐỊNH|"
                    r"HƯỚNG DẪN|THÔNG BÁO|BÁO CÁO|QUY CHẾ|TỜ TRÌNH|ĐỀ ÁN)\b")


@dataclass
class Layout:
    """A document's lines by where a printed Party letter puts them."""

    left: list[str] = field(default_factory=list)        # header, left column
    right: list[str] = field(default_factory=list)       # header, right column
    title: list[str] = field(default_factory=list)       # centred title block
    body: list[str] = field(default_factory=list)        # paragraphs
    recipients: list[str] = field(default_factory=list)  # "Nơi nhận", foot left
    signature: list[str] = field(default_factory=list)   # signer block, foot right

    def text(self) -> str:
        """The text as it reads on the page, top to bottom and left to right by block: what
        an ideal reading of the scan gives (the reference of the character error rate)."""
        blocks = [self.left, self.right, self.title, self.body, self.recipients, self.signature]
        return "\n".join(line for block in blocks for line in block)


def _clean(line: str) -> str:
    return re.sub(r"\*\*|\*bx\*", "", unicodedata.normalize("NFC", line)).strip()


_RULE = re.compile(r"^[\s|\-–—_=.]*$")          # a separator line of a web copy
_FRAGMENTS = ("BỘ", "ĐẢNG", "ĐẢNG CỘNG SẢN", "BAN CHẤP HÀNH", "Số", "Số:")
_CUT_DATE = re.compile(r"(?:ngày|tháng)(?:\s+\d{1,2})?$")


def tidy_header(lines: list[str]) -> list[str]:
    """A header as it is printed, from a web copy's header: separator rules and table bars
    dropped, a line holding both columns (a run of spaces between) split, and the pieces of
    one printed line joined again (``BAN CHẤP HÀNH`` / ``TRUNG ƯƠNG``, ``Số:`` / ``216-QĐ/TW``,
    ``Hà`` / ``Nội, ngày 01 tháng 4 năm 2009``, ``… ngày 20`` / ``tháng 01 năm 2025``)."""
    out: list[str] = []
    for line in lines:
        if not line.strip():
            out.append("")
            continue
        if _RULE.match(line):
            continue
        for part in re.split(r"\s{8,}", line.strip()):
            previous = next((k for k in range(len(out) - 1, -1, -1) if out[k]), None)
            last = out[previous] if previous is not None else ""
            joins = (last in _FRAGMENTS
                     or (len(last.split()) == 1 and last[:1].isupper() and ", ngày" in part)
                     or (_CUT_DATE.search(last) and re.match(r"(?:tháng|năm)\s", part)))
            if previous is not None and joins:
                out[previous] = f"{last} {part}"
                del out[previous + 1:]
            else:
                out.append(part)
    return out


def layout(text: str) -> Layout:
    """Split a Party document's text into the blocks of its printed page (a web copy's
    header tidied first: :func:`tidy_header`)."""
    lines = [_clean(line) for line in text.splitlines()]
    end = next((i for i, line in enumerate(lines) if line.startswith("Kính gửi")
                or _TITLE.match(line) or len(line) > 120), len(lines))
    if any("CỘNG SẢN" in line.upper() for line in lines[:end]):
        lines = tidy_header(lines[:end]) + lines[end:]
    out = Layout()
    i = 0
    while i < len(lines):  # the header: up to "Kính gửi", a title or the first paragraph
        line = lines[i]
        if line.startswith("Kính gửi") or _TITLE.match(line) or len(line) > 120:
            break
        if line:
            upper = line.upper()
            is_right = "CỘNG SẢN VIỆT NAM" in upper or DATE_LINE.match(line)
            (out.right if is_right else out.left).append(line)
        i += 1
    if i < len(lines) and _TITLE.match(lines[i]):  # up to a blank line or the first "- Căn cứ"
        while (i < len(lines) and lines[i] and len(out.title) < 6
               and not lines[i].startswith(("-", "–", "Căn cứ"))):
            out.title.append(lines[i])
            i += 1
    foot = max((j for j, line in enumerate(lines) if line.startswith("Nơi nhận")), default=None)
    end = foot if foot is not None and foot >= i else len(lines)
    out.body = [line for line in lines[i:end] if line]
    if end < len(lines):
        j = end
        out.recipients.append(lines[j])
        j += 1
        while j < len(lines) and (not lines[j] or lines[j].startswith(("-", "+"))):
            if lines[j]:
                out.recipients.append(lines[j])
            j += 1
        out.signature = [line for line in lines[j:] if line]
    if not out.signature:  # a signer block without "Nơi nhận"
        k = next((k for k, line in enumerate(out.body) if SIGNER_TITLE.match(line)), None)
        if k is not None:
            out.body, out.signature = out.body[:k], out.body[k:]
    return out


# --- drawing -------------------------------------------------------------------------------

def _wrap(draw, text: str, font, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) <= width or not line:
            line = trial
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


class _Pages:
    """Pages being drawn, with a cursor that moves to a new page at the foot."""

    def __init__(self):
        from PIL import ImageFont

        self.font = ImageFont.truetype(str(FONT), SIZE)
        self.bold = ImageFont.truetype(str(BOLD), SIZE)
        self.head = ImageFont.truetype(str(FONT), HEAD_SIZE)
        self.head_bold = ImageFont.truetype(str(BOLD), HEAD_SIZE)
        self.small = ImageFont.truetype(str(FONT), SMALL)
        self.pages: list = []
        self.boxes: list[dict] = []  # where the signature block is (for the seal)
        self.new_page()

    def new_page(self):
        from PIL import Image, ImageDraw

        self.pages.append(Image.new("RGB", PAGE, (255, 255, 255)))
        self.draw = ImageDraw.Draw(self.pages[-1])
        self.y = MARGIN[1]

    def room(self, lines: int) -> None:
        if self.y + lines * LEADING > PAGE[1] - MARGIN[3]:
            self.new_page()

    def column(self, lines: list[str], x0: int, x1: int, y: int, bold_upper: bool = True,
               head: bool = False) -> int:
        """Lines centred in [x0, x1] from ``y``; returns the y below them."""
        for text in lines:
            plain, bold = (self.head, self.head_bold) if head else (self.font, self.bold)
            font = bold if bold_upper and text.isupper() else plain
            for part in _wrap(self.draw, text, font, x1 - x0):
                w = self.draw.textlength(part, font=font)
                self.draw.text((x0 + (x1 - x0 - w) / 2, y), part, font=font, fill=(0, 0, 0))
                y += LEADING
        return y


def draw_pages(doc: Layout) -> tuple[list, dict]:
    """The printed pages of ``doc`` (RGB images) and the signature block's box
    ``{"page", "box"}`` on its page."""
    p = _Pages()
    left, right = MARGIN[0], PAGE[0] - MARGIN[2]
    middle = left + (right - left) * 9 // 20
    bottom = max(p.column(doc.left, left - 100, middle, p.y, head=True),
                 p.column(doc.right, middle + 60, right + 80, p.y, head=True))
    p.y = bottom + LEADING
    if doc.title:
        p.y = p.column(doc.title, left, right, p.y) + LEADING // 2
    for paragraph in doc.body:
        lines = _wrap(p.draw, paragraph, p.font, right - left - 80)
        for k, line in enumerate(lines):
            p.room(1)
            p.draw.text((left + (80 if k == 0 else 0), p.y), line, font=p.font, fill=(0, 0, 0))
            p.y += LEADING
        p.y += LEADING // 4
    foot = max(len(doc.recipients), len(doc.signature) + 3)
    p.room(foot + 1)
    top = p.y + LEADING
    y = top
    for line in doc.recipients:  # small, within the left column
        for k, part in enumerate(_wrap(p.draw, line, p.small, middle - left)):
            p.draw.text((left + (30 if k else 0), y), part, font=p.small, fill=(0, 0, 0))
            y += LEADING * SMALL // SIZE
    x0 = middle + 60
    sig_top = top
    heads = [s for s in doc.signature if s.isupper() or SIGNER_TITLE.match(s)]
    rest = [s for s in doc.signature if s not in heads]
    y = p.column(heads, x0, right, sig_top)
    y += 3 * LEADING  # room for the signature and the seal
    y = p.column(rest, x0, right, y, bold_upper=False)
    box = {"page": len(p.pages) - 1, "box": (x0, sig_top, right, y)}
    return p.pages, box


# --- the variants --------------------------------------------------------------------------

def _noise(image, rng: np.random.Generator, sigma: float, specks: int):
    from PIL import Image

    a = np.asarray(image, dtype=np.float32)
    a = a + rng.normal(0, sigma, a.shape[:2])[..., None]
    h, w = a.shape[:2]
    ys, xs = rng.integers(0, h, specks), rng.integers(0, w, specks)
    for y, x in zip(ys, xs):
        a[max(0, y - 2):y + 2, max(0, x - 2):x + 2] = rng.uniform(0, 90)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def _jpeg(image, quality: int):
    import io

    from PIL import Image

    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _seal(image, box: tuple, rng: np.random.Generator):
    """A red round seal over the left of the signature block, and a scribbled signature."""
    from PIL import Image, ImageDraw, ImageFont

    x0, y0, x1, y1 = box
    cx, cy, r = x0 + (x1 - x0) * 0.35, y0 + (y1 - y0) * 0.55, 190
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    red = (205, 30, 40, 150)
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=red, width=14)
    d.ellipse((cx - r + 40, cy - r + 40, cx + r - 40, cy + r - 40), outline=red, width=6)
    font = ImageFont.truetype(str(BOLD), 46)
    d.text((cx - 75, cy - 25), "ĐẢNG ỦY", font=font, fill=red)
    ink = (20, 30, 120, 230)
    sx, sy = x0 + (x1 - x0) * 0.45, y1 - 2.6 * LEADING
    points = [(sx + 40 * k + rng.uniform(-10, 10), sy + rng.uniform(-60, 60)) for k in range(12)]
    d.line(points, fill=ink, width=6, joint="curve")
    out = image.convert("RGBA")
    out.alpha_composite(layer)
    return out.convert("RGB")


def degrade(pages: list, variant: str, seed: int, signature: dict) -> list:
    """``pages`` as the ``variant`` makes them (same seed, same pixels)."""
    from PIL import Image, ImageFilter

    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {', '.join(VARIANTS)}")
    if variant == "clean":
        return pages
    rng = np.random.default_rng(seed)
    out = []
    for n, page in enumerate(pages):
        if variant == "sealed" and n == signature["page"]:
            page = _seal(page, signature["box"], rng)
        if variant == "phone":
            angle = rng.uniform(1.5, 3.0) * rng.choice([-1, 1])
            page = page.rotate(angle, resample=Image.BICUBIC, fillcolor=(200, 200, 200))
            shear = rng.uniform(0.01, 0.025)
            page = page.transform(page.size, Image.AFFINE, (1, shear, -shear * PAGE[1] / 2,
                                                            0, 1, 0),
                                  resample=Image.BICUBIC, fillcolor=(200, 200, 200))
            a = np.asarray(page, dtype=np.float32)
            gx = np.linspace(rng.uniform(0.55, 0.7), 1.0, a.shape[1])[None, :, None]
            gy = np.linspace(1.0, rng.uniform(0.75, 0.9), a.shape[0])[:, None, None]
            page = Image.fromarray(np.clip(a * gx * gy, 0, 255).astype(np.uint8))
            page = page.filter(ImageFilter.GaussianBlur(1.2))
            page = _noise(page, rng, 6, 0)
            page = _jpeg(page, 70)
        else:
            angle = rng.uniform(0.5, 1.5) * rng.choice([-1, 1])
            page = page.rotate(angle, resample=Image.BICUBIC, fillcolor=(255, 255, 255))
            page = page.filter(ImageFilter.GaussianBlur(0.8))
            page = _noise(page, rng, 12, 400)
            page = _jpeg(page, 60)
        out.append(page)
    return out


def save_scan(doc: Layout, variant: str, out: Path, seed: int = 7) -> int:
    """``doc`` printed, degraded as ``variant`` and saved as an image-only PDF at ``out``;
    returns its number of pages."""
    pages, signature = draw_pages(doc)
    pages = degrade(pages, variant, seed, signature)
    out.parent.mkdir(parents=True, exist_ok=True)
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=DPI,
                  quality=75)
    return len(pages)


def write_scan(source: Path, variant: str, out: Path, seed: int = 7) -> Path:
    """An image-only PDF of ``source`` (a text document) as ``variant``; returns ``out``."""
    from index.readers.documents import read_file

    save_scan(layout(read_file(source).text), variant, out, seed)
    return out


# --- the report ----------------------------------------------------------------------------

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


# --- retrieval on scanned copies -----------------------------------------------------------

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
