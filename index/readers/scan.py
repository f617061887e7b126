"""Reading a scanned page as a Party letter is laid out (:func:`read_page`).

Tesseract alone reads the two columns of a letter's header (issuing body and number on the
left, the Party's name and the place-date line on the right) line by line into one, and the
foot's "Nơi nhận" into the signer's block, so the header parser saw mixed lines and cited the
wrong code or none.  Here:

1. the page is rendered in colour (PPM, no compression: a noisy page costs seconds to
   compress as PNG) and read through its **red channel**: red seal ink turns as light as the
   paper while black ink stays dark; blue ink (a signature) is dropped, and light tints and
   scanner noise are set to paper;
2. the page is **deskewed**: the angle (within ±4°, steps of 0.1°) that makes the rows of ink
   sharpest (largest variance of the row sums of a reduced, thresholded copy);
3. Tesseract (``-l vie``, page segmentation 3, one thread: pages run side by side instead) gives
   its words with their boxes (TSV);
4. the words are put back into lines (Tesseract's own, cut where a gap wider than
   :data:`COLUMN_GAP` of the page separates two columns), and each run of rows where every
   line keeps to one half of the page (a header or a foot in two columns) is read **column by
   column**: its left lines top to bottom, then its right lines.  Body lines, which cross the
   middle, are read as they come.  The header parser then sees the lines a born-digital letter
   has.

The header read, :mod:`index.readers.scan_header` reads its hard fields again and repairs
them; :mod:`index.readers.scan_regions` keeps where each line lies for the document viewer.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import numpy as np

COLUMN_GAP = 0.06   # share of the page width: a wider gap inside a line separates columns
MIDDLE_BAND = 0.03  # a line within this share of the middle still keeps to its half
MAX_SKEW = 4.0      # degrees


@dataclass
class Word:
    text: str
    left: int
    top: int
    right: int
    bottom: int
    block: int
    par: int
    line: int
    conf: float = 100.0


@dataclass
class Segment:
    """Words of one line, without a column gap between them."""

    words: list[Word]

    @property
    def left(self) -> int:
        return min(w.left for w in self.words)

    @property
    def right(self) -> int:
        return max(w.right for w in self.words)

    @property
    def top(self) -> int:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> int:
        return max(w.bottom for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


PAPER = 200  # grey levels at or above this are paper (a seal's tint, scanner noise)


def ink_image(rgb: np.ndarray) -> np.ndarray:
    """Grey page from an RGB page (uint8, H x W x 3) with only the printed ink: the red
    channel, where a red seal is as light as the paper; blue ink (a signature) dropped; light
    tints and noise set to paper."""
    if rgb.ndim == 2:
        grey = rgb.copy()
    else:
        grey = rgb[..., 0].copy()
        red, blue = rgb[..., 0].astype(np.int16), rgb[..., 2].astype(np.int16)
        grey[blue - red > 40] = 255
    grey = flatten_light(grey)
    grey[grey >= PAPER] = 255
    return grey


def flatten_light(grey: np.ndarray) -> np.ndarray:
    """Light falling off across a photographed page evened out: each pixel divided by the
    paper's brightness around it (the brightest of a coarse grid, smoothed), so that dim paper
    is not read as ink."""
    from PIL import Image, ImageFilter

    image = Image.fromarray(grey)
    small = image.reduce(16).filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(3))
    paper = np.asarray(small.resize(image.size, Image.BILINEAR), dtype=np.float32)
    out = grey.astype(np.float32) * 255.0 / np.maximum(paper, 32.0)
    return np.clip(out, 0, 255).astype(np.uint8)


def skew_angle(grey: np.ndarray) -> float:
    """The page's tilt in degrees (rotate by minus it to straighten)."""
    from PIL import Image

    small = Image.fromarray(grey).reduce(4)
    ink = (np.asarray(small) < 128).astype(np.float32)
    if ink.sum() < 50:
        return 0.0
    image = Image.fromarray((ink * 255).astype(np.uint8))

    def sharpness(angle: float) -> float:
        rows = np.asarray(image.rotate(angle, resample=Image.BILINEAR), dtype=np.float32).sum(1)
        return float(rows.var())

    coarse = max(np.arange(-MAX_SKEW, MAX_SKEW + 1e-9, 0.5), key=sharpness)
    fine = max(np.arange(coarse - 0.5, coarse + 0.5 + 1e-9, 0.1), key=sharpness)
    return -float(fine)


def deskew(grey: np.ndarray) -> tuple[np.ndarray, float]:
    """The page straightened, and the turn that straightened it (degrees, PIL's ``rotate``)."""
    from PIL import Image

    angle = skew_angle(grey)
    if abs(angle) < 0.05:
        return grey, 0.0
    return np.asarray(Image.fromarray(grey).rotate(-angle, resample=Image.BICUBIC,
                                                   fillcolor=255)), -angle


def parse_tsv(tsv: str) -> list[Word]:
    words = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        # Tesseract's Vietnamese model writes Đ as the Icelandic Ð at times (``216-QÐ/TW``)
        text = (row.get("text") or "").strip().replace("Ð", "Đ").replace("ð", "đ")
        if row.get("level") != "5" or not text:
            continue
        left, top = int(row["left"]), int(row["top"])
        words.append(Word(text, left, top, left + int(row["width"]), top + int(row["height"]),
                          int(row["block_num"]), int(row["par_num"]), int(row["line_num"]),
                          float(row.get("conf") or 100)))
    return drop_specks(words)


SPECK = 0.25        # a mark smaller than this share of the usual word height, both ways
SPECK_CONF = 40     # Tesseract's confidence under which a word without letters is debris
_SPECK_IN_WORD = re.compile(r"(?<=[^\W\d_]):(?=[^\W\d_])")


def _inked(text: str) -> bool:
    """Whether ``text`` holds a letter or digit (a modifier sign such as ``ˆ`` is no letter)."""
    import unicodedata

    return any(ch.isdigit() or unicodedata.category(ch) in ("Lu", "Ll", "Lt", "Lo")
               for ch in text)


def drop_specks(words: list[Word]) -> list[Word]:
    """Scanner specks read as words taken out: a "word" without a letter or digit that is
    tiny (a ``.`` or ``:`` of 4 pixels, where a printed full stop stands against a word) or
    read with low confidence (``¬_``); a colon between two letters (``Thường:vụ``) is a speck
    in the space.  Real punctuation is kept: it sits on its word, and a list's dash is wider
    than a speck."""
    heights = [w.bottom - w.top for w in words if _inked(w.text)]
    if not heights:
        return words
    small = SPECK * float(np.median(heights))
    out = []
    for w in words:
        width, height = w.right - w.left, w.bottom - w.top
        tiny = width < small and height < small and width <= 2 * height  # a dash is wider
        if not _inked(w.text) and (w.conf < SPECK_CONF or tiny):
            continue
        w.text = _SPECK_IN_WORD.sub(" ", w.text)
        out.append(w)
    return out


def segments(words: list[Word], width: int) -> list[Segment]:
    """Tesseract's lines, cut at column gaps, in reading order of Tesseract."""
    lines: dict[tuple[int, int, int], list[Word]] = {}
    for w in words:
        lines.setdefault((w.block, w.par, w.line), []).append(w)
    out = []
    gap = COLUMN_GAP * width
    for key in lines:
        ws = sorted(lines[key], key=lambda w: w.left)
        current = [ws[0]]
        for w in ws[1:]:
            if w.left - current[-1].right > gap:
                out.append(Segment(current))
                current = [w]
            else:
                current.append(w)
        out.append(Segment(current))
    return out


def _rows(segs: list[Segment]) -> list[list[Segment]]:
    """Segments grouped into rows by vertical overlap, top to bottom, each row left to right."""
    rows: list[list[Segment]] = []
    for seg in sorted(segs, key=lambda s: (s.top + s.bottom) / 2):
        middle = (seg.top + seg.bottom) / 2
        if rows:
            last = rows[-1]
            top, bottom = min(s.top for s in last), max(s.bottom for s in last)
            if top <= middle <= bottom:
                last.append(seg)
                continue
        rows.append([seg])
    return [sorted(row, key=lambda s: s.left) for row in rows]


Box = tuple[int, int, int, int]  # left, top, right, bottom, in pixels of the page as read


def _box(segs: list[Segment]) -> Box:
    return (min(s.left for s in segs), min(s.top for s in segs),
            max(s.right for s in segs), max(s.bottom for s in segs))


def reading_order(segs: list[Segment], width: int) -> list[tuple[str, Box | None]]:
    """Lines of text with their boxes: runs of two-column rows read column by column (up to
    the first blank line's gap after the last row with text on both sides), a blank line (box
    None) between blocks."""
    middle, band = width / 2, MIDDLE_BAND * width

    def side(seg: Segment) -> str | None:
        if seg.right <= middle + band:
            return "left"
        if seg.left >= middle - band:
            return "right"
        return None  # crosses the middle: a body line

    out: list[tuple[str, Box | None]] = []
    run: list[list[Segment]] = []
    paragraph = None
    for row in _rows(segs):
        if all(side(s) for s in row):
            run.append(row)
            continue
        out.extend(_read_run(run, side))
        run = []
        first = row[0].words[0]
        if paragraph is not None and (first.block, first.par) != paragraph and out and out[-1][0]:
            out.append(("", None))  # Tesseract's paragraphs stay paragraphs
        paragraph = (first.block, first.par)
        out.append(_as_line(row))
    out.extend(_read_run(run, side))
    return out


def _lines_of(segs: list[Segment]) -> list[tuple[str, Box | None]]:
    """Segments in order, a blank line where Tesseract's paragraph changes."""
    out, last = [], None
    for seg in segs:
        here = (seg.words[0].block, seg.words[0].par)
        if last is not None and here != last:
            out.append(("", None))
        out.append((seg.text, _box([seg])))
        last = here
    return out


def _as_line(row: list[Segment]) -> tuple[str, Box]:
    return " ".join(s.text for s in row), _box(row)


def _columns_end(run: list[list[Segment]], side) -> int:
    """Where a run's two columns end: at the first blank line's gap after the last row that
    has both (short lines below, a "Kính gửi" list, are read as they come, not as a column)."""
    both = [k for k, row in enumerate(run) if {side(s) for s in row} == {"left", "right"}]
    if not both:
        return 0
    height = float(np.median([s.bottom - s.top for row in run for s in row]))
    for k in range(both[-1] + 1, len(run)):
        gap = min(s.top for s in run[k]) - max(s.bottom for s in run[k - 1])
        here, above = run[k][0].words[0], run[k - 1][-1].words[-1]
        if gap > 0.9 * height and (here.block, here.par) != (above.block, above.par):
            return k  # a blank line and a new paragraph (not a lost "*" line)
    return len(run)


def _read_run(run: list[list[Segment]], side) -> list[tuple[str, Box | None]]:
    """A run of rows without a line across the middle: its columns, left then right, then
    the rows after them as lines."""
    if not run:
        return []
    end = _columns_end(run, side)
    columns, after = run[:end], run[end:]
    left = _lines_of([s for row in columns for s in row if side(s) == "left"])
    right = _lines_of([s for row in columns for s in row if side(s) == "right"])
    out: list[tuple[str, Box | None]] = []
    if left and right:
        out.extend([*left, ("", None), *right, ("", None)])
    elif left or right:
        out.extend([*left, *right, ("", None)])
    out.extend(_as_line(row) for row in after)
    if after:
        out.append(("", None))
    return out


class PageText(str):
    """A page's text read by OCR, with its lines' boxes (``lines``: text and box in pixels of
    the deskewed page), the angle the page was turned by to straighten it (``angle``, degrees,
    as PIL's ``rotate`` takes it) and the page's size in pixels (``size``)."""

    lines: list[tuple[str, Box | None]] = []
    angle: float = 0.0
    size: tuple[int, int] = (0, 0)
    doubts: set[str] = set()  # fields whose two readings disagree (:func:`second_look`)


def lay_out(tsv: str, size: tuple[int, int], angle: float = 0.0) -> PageText:
    """Text of a page from Tesseract's TSV, columns kept apart, with where each line lies."""
    lines = reading_order(segments(parse_tsv(tsv), size[0]), size[0])
    page = PageText("\n".join(text for text, _ in lines))
    page.lines, page.angle, page.size = lines, angle, size
    return page


def lay_out_text(tsv: str, width: int) -> str:
    """Text of a page from Tesseract's TSV, columns kept apart."""
    return str(lay_out(tsv, (width, 0)))
