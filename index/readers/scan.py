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


_CODE_LINE = re.compile(r"^\S{0,3}\s*\d{1,5}\s*-\s*\S{1,6}\s*/\s*\S{1,10}$|\bS\S{0,2}:?\s*\d")
_DATE_WORDS = re.compile(r"ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+n\S{1,2}m\s+\d{4}", re.IGNORECASE)


def _trimmed(read: str) -> str:
    """A line read alone, without the specks at the crop's edges (``_``, ``|``, ``'``)."""
    words = read.split()
    while words and not _inked(words[0]):
        words.pop(0)
    while words and not _inked(words[-1]):
        words.pop()
    return " ".join(words)


def second_look(page: PageText, read_line) -> PageText:
    """``page`` with the lines a citation rests on read again on their own by
    ``read_line(box) -> text`` (Tesseract on the line alone, psm 7): the header's number line
    (``Số …``) and place-date line in the top third of the page, and the names in its right
    half (a signature block's signer).  Read with the whole page, a mark or a digit is lost
    that the line alone keeps (*Đình Tấn Hoàng* read as *Tân*, *181-QĐÐ/TW*, *năm 2018* for
    *2013*).  The second reading is taken when it is still a line of the same kind (a name of
    as many words); for the number line, the reading whose code checks (:func:`_choose_code`).
    Where two readings of the code or the date disagree, ``doubts`` names the field."""
    from index.readers.metadata import _looks_like_name

    width, height = page.size
    lines = list(page.lines)
    changed = False
    doubts: set[str] = set()

    def kind(text: str, box) -> str | None:
        if box[1] < height / 3 and _DATE_WORDS.search(text):
            return "date"
        if box[1] < height / 3 and box[2] < 0.6 * width and _CODE_LINE.search(text):
            return "code"
        if box[0] >= 0.4 * width and _looks_like_name(text):
            return f"name{len(text.split())}"
        return None

    for k, (text, box) in enumerate(lines):
        wanted = kind(text, box) if box is not None else None
        if wanted is None:
            continue
        pad = max(10, (box[3] - box[1]) // 2)
        again = _trimmed(read_line((max(0, box[0] - 3 * pad), max(0, box[1] - pad),
                                    min(width, box[2] + 3 * pad), min(height, box[3] + pad))))
        if wanted.startswith("name"):  # a name's words are capitalised (``ˆ`` is a speck)
            again = " ".join(w for w in (w.strip(":;,.'`|") for w in again.split())
                             if w[:1].isupper())
        if not again or again == text or kind(again, box) != wanted:
            continue
        if wanted == "code":
            again, doubt = _choose_code(text, again)
            if doubt:
                doubts.add("code")
        elif wanted == "date" and _DATE_WORDS.search(text).group() != _DATE_WORDS.search(
                again).group():
            doubts.add("date")  # two readings, two days: cite neither as certain
        lines[k] = (again, box)
        changed = True
    if not changed:
        return page
    out = PageText("\n".join(text for text, _ in lines))
    out.lines, out.angle, out.size, out.doubts = lines, page.angle, page.size, doubts
    return out


def _choose_code(first: str, second: str) -> tuple[str, bool]:
    """Of two readings of the number line, the one whose code passes :func:`check_code`, or
    whose issuer letters are known when both pass (``163-CV/ĐUK`` over ``163-CV/BUK``); and
    whether the choice stays in doubt (both pass, differ, and neither is known better)."""
    from index.text import find_codes

    def code(line: str) -> str | None:
        found = find_codes(_CODE_DASH.sub(r"\1-", _SO_MISREAD.sub("Số ", line)))
        return check_code(found[0]) if found else None

    a, b = code(first), code(second)
    if a == b or b is None:
        return first, False
    if a is None:
        return second, False
    a_known, b_known = issuer_known(a), issuer_known(b)
    if a_known != b_known:
        return (first if a_known else second), False
    return first, True


def lay_out_text(tsv: str, width: int) -> str:
    """Text of a page from Tesseract's TSV, columns kept apart."""
    return str(lay_out(tsv, (width, 0)))


# --- where a passage lies on the scanned page -----------------------------------------------

def locate_lines(text: str, pages: list[tuple[int, PageText]], dpi: int) -> dict:
    """The document's OCR lines found in its final ``text`` (after cleaning and the header's
    repairs), in order: ``{"dpi", "pages": [[page, angle, width, height]], "lines": [[start,
    end, page, left, top, right, bottom]]}``, boxes in pixels at ``dpi`` of the deskewed page.
    A line changed by a repair is not found and has no box; the lines around it keep theirs."""
    import unicodedata

    out_lines, cursor = [], 0
    for number, page in pages:
        for line, box in page.lines:
            line = unicodedata.normalize("NFC", line).strip()
            if not line or box is None:
                continue
            at = text.find(line, cursor, cursor + 4 * len(line) + 200)
            if at < 0:
                continue
            cursor = at + len(line)
            out_lines.append([at, cursor, number, *map(int, box)])
    return {"dpi": dpi, "lines": out_lines,
            "pages": [[n, round(p.angle, 2), *p.size] for n, p in pages]}


def regions(scan: dict, start: int, end: int) -> list[dict]:
    """Where the characters ``[start, end)`` of a scanned document lie: one box per page
    (``{"page", "box": [left, top, right, bottom]}`` as shares of the page, ``angle``: the turn
    that straightens the page), from the lines :func:`locate_lines` found."""
    sizes = {n: (angle, w, h) for n, angle, w, h in scan.get("pages", [])}
    boxes: dict[int, list[int]] = {}
    for s, e, page, left, top, right, bottom in scan.get("lines", []):
        if s < end and start < e:
            b = boxes.setdefault(page, [left, top, right, bottom])
            b[:] = [min(b[0], left), min(b[1], top), max(b[2], right), max(b[3], bottom)]
    out = []
    for page, (left, top, right, bottom) in sorted(boxes.items()):
        angle, w, h = sizes.get(page, (0.0, 0, 0))
        if w and h:
            out.append({"page": page, "angle": angle,
                        "box": [round(left / w, 4), round(top / h, 4), round(right / w, 4),
                                round(bottom / h, 4)]})
    return out


def page_image(pdf, region: dict, dpi: int = 100):
    """Page ``region["page"]`` of the scanned ``pdf`` as an RGB image at ``dpi``, turned as it
    was read, with the region's box outlined: what the viewer shows beside the text."""
    import subprocess
    import tempfile
    from pathlib import Path

    from PIL import Image, ImageDraw

    with tempfile.TemporaryDirectory(prefix="tracuu-page-") as tmp:
        out = Path(tmp) / "page"
        subprocess.run(["pdftoppm", "-r", str(dpi), "-singlefile", "-f", str(region["page"]),
                        "-l", str(region["page"]), str(pdf), str(out)], check=True,
                       capture_output=True, timeout=60)
        with Image.open(f"{out}.ppm") as rendered:
            image = rendered.convert("RGB")
    if region.get("angle"):
        image = image.rotate(-region["angle"], resample=Image.BICUBIC, fillcolor=(255, 255, 255))
    w, h = image.size
    left, top, right, bottom = region["box"]
    pad = 0.006
    ImageDraw.Draw(image).rectangle(
        ((left - pad) * w, (top - pad) * h, (right + pad) * w, (bottom + pad) * h),
        outline=(214, 120, 0), width=max(2, dpi // 40))
    return image


# --- checks on what was read ---------------------------------------------------------------

_SO_MISREAD = re.compile(r"^\s*(?:(?:S[60]|3[6ố]|5ố)\s*[:.]?\s+|S[ôóòơoổồỗỏ]\s*[:.]?\s*)(?=\d)",
                         re.IGNORECASE)
_CODE_DASH = re.compile(r"^(Số:?\s*\d{1,5}[a-z]?)\s*(?:[.,:_~–—]|-\s)\s*(?=[A-ZĐ])")
_NAM_MISREAD = re.compile(r"(ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+)n[aâ]m(\s+\d{4})",
                          re.IGNORECASE)


# the fixed words of a signature block's titles, as printed (upper case)
FOOT_WORDS = ("BAN THƯỜNG VỤ", "BAN CHẤP HÀNH", "PHÓ BÍ THƯ", "BÍ THƯ", "TRƯỞNG BAN",
              "PHÓ TRƯỞNG BAN", "CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG", "ỦY VIÊN",
              "CHỦ NHIỆM", "PHÓ CHỦ NHIỆM", "THƯỜNG TRỰC", "ĐẢNG ỦY", "HUYỆN ỦY", "TỈNH ỦY",
              "THÀNH ỦY", "CHI BỘ", "ỦY BAN KIỂM TRA", "VĂN PHÒNG")
# the fixed words of a header, as printed (upper case): a scan often loses their marks
HEADER_WORDS = ("ĐẢNG CỘNG SẢN VIỆT NAM", "BAN CHẤP HÀNH TRUNG ƯƠNG", "ĐẢNG BỘ", "ĐẢNG ỦY", "HUYỆN ỦY", "TỈNH ỦY",
                "THÀNH ỦY", "QUẬN ỦY", "THỊ ỦY", "CHI BỘ", "BAN THƯỜNG VỤ", "BAN CHẤP HÀNH",
                "BAN TUYÊN GIÁO", "BAN TỔ CHỨC", "BAN DÂN VẬN", "ỦY BAN KIỂM TRA", "VĂN PHÒNG",
                "TRUNG ƯƠNG", "KHỐI", "CÁC CƠ QUAN", "DOANH NGHIỆP", "TỈNH", "HUYỆN",
                "THÀNH PHỐ", "THỊ XÃ", "THỊ TRẤN", "XÃ", "PHƯỜNG")
_BODY_WORDS = {"VAN", "BAN", "UY", "DANG", "CHI"}  # first words of a body's name, folded
_COMMITTEES = {"HUYEN UY", "TINH UY", "THANH UY", "QUAN UY", "THI UY"}
_DEBRIS = re.compile(r"^[\s\-–—_'\".,:;`~|“”‘’]+(?=\S)")
_TRAILING = re.compile(r"[\s\-–—_'\".,:;`~|“”‘’]+$")
_PLACE_DATE = re.compile(r"^\s*([^,\n]{2,40}),\s*ngày\s+\d", re.IGNORECASE)


def _fold(text: str) -> str:
    from index.text import strip_accents

    return strip_accents(text).upper()


def _restore(line: str, words: list[str]) -> str:
    """Upper-case ``words`` put back with their marks where ``line`` has them without (or
    with others): ``HUYỆN UY HỚN QUÁN`` -> ``HUYỆN ỦY HỚN QUẢN`` given ``HỚN QUẢN``."""
    folded = _fold(line)
    if len(folded) != len(line):  # a character that does not fold one to one: leave it
        return line
    taken: list[tuple[int, int, str]] = []  # longer words first; one inside is left alone
    for word in sorted(words, key=len, reverse=True):
        # ``HỚNQUẢN`` and ``BAN.CHẤP HÀNH``, ``CHẤP-HÀNH`` (a speck in the space) too
        key = r"(?:[.,:-]?\s?)".join(re.escape(part) for part in _fold(word).split())
        for m in re.finditer(r"(?<!\w)" + key + r"(?!\w)", folded):
            if not any(a < m.end() and m.start() < b for a, b, _ in taken):
                taken.append((m.start(), m.end(), word))
    for start, end, word in sorted(taken, reverse=True):
        line = line[:start] + word + line[end:]
    return line


def repair_lines(text: str, head: int = 30) -> str:
    """Misreads of the header, repaired in its first ``head`` lines: specks before an upper-case
    line; the header's fixed words (:data:`HEADER_WORDS`) and the place named in the date line
    given back their marks on upper-case lines; ``S6`` or ``36`` for ``Số`` before a number;
    ``nam`` for ``năm`` in a date line.  In the last 20 lines, the signature block's titles
    (:data:`FOOT_WORDS`) given back their marks.  Throughout, a document code that
    :func:`check_code` repairs is written repaired (``24-QĐĐ/TW`` -> ``24-QĐ/TW``, also where
    the body cites one)."""
    lines = text.split("\n")
    top = lines[:head]
    places = [m.group(1).strip() for line in top if (m := _PLACE_DATE.match(
        _NAM_MISREAD.sub(r"\1năm\2", _DEBRIS.sub("", line))))]
    words = list(HEADER_WORDS) + [p.upper() for p in places if len(p.split()) >= 2]
    for i, line in enumerate(top):
        stripped = _DEBRIS.sub("", line)
        letters = [ch for ch in stripped if ch.isalpha()]
        if letters and all(ch.isupper() for ch in letters):
            stripped = _TRAILING.sub("", stripped)
            line = _restore(re.sub(r"(?<=\w)[“”\"'‘’`](?=\w)", "", stripped), words)
        elif (_SO_MISREAD.match(stripped) or stripped.startswith("Số")
              or _PLACE_DATE.match(_NAM_MISREAD.sub(r"\1năm\2", stripped))):
            line = stripped
        line = _SO_MISREAD.sub("Số ", line)
        line = _CODE_DASH.sub(r"\1-", line)  # ``Số 683.CV/HU``, ``Số 38- KH/HU``
        lines[i] = _NAM_MISREAD.sub(r"\1năm\2", line)
    foot = max(len(lines) - 20, head)  # the signature block's titles (``PHO BI THỰ``)
    for i in range(foot, len(lines)):
        letters = [ch for ch in lines[i] if ch.isalpha()]
        if letters and all(ch.isupper() for ch in letters):
            lines[i] = _restore(lines[i], list(FOOT_WORDS))
    # an issuing body wrapped onto a further line in its column (``... CÁC CƠ QUAN`` / ``TỈNH``,
    # ``... CÁC TRƯỜNG ĐẠI`` / ``HỌC, CAO ĐẲNG HÀ NỘI``),
    # not a body of its own under its committee (``TỈNH ỦY BÌNH DƯƠNG`` / ``VĂN PHÒNG``)
    for i in range(min(head, len(lines)) - 1, 0, -1):
        here, above = lines[i].strip(), lines[i - 1].strip()
        folded = _fold(here).split()
        if (1 <= len(folded) <= 6 and here.isupper()
                and here.replace(" ", "").replace(",", "").isalpha()
                and len(above.split()) >= 2 and above.isupper() and "CỘNG SẢN" not in above
                and "CỘNG SẢN" not in here and folded[0] not in _BODY_WORDS
                and " ".join(folded[:2]) not in _COMMITTEES):
            lines[i - 1] = f"{above} {here}"
            del lines[i]
    return _CODE_TOKEN.sub(lambda m: check_code(f"{m.group(1)}-{m.group(2)}") or m.group(),
                           "\n".join(lines))


# a code in running text; a space after its dash (``38- HD/BTCIW``) or a speck after it
_CODE_TOKEN = re.compile(r"(?<![\w/-])(\d{1,5}[a-z]?)-\s?([A-Za-zĐđ]{1,6}/[A-ZĐ][A-ZĐ0-9-]{0,9})"
                         r"_?(?![\w/])")


# letters OCR takes for one another in a code's issuer letters (``BTCIW`` for ``BTCTW``)
_CONFUSED = {("I", "T"), ("T", "I"), ("I", "L"), ("L", "I"), ("0", "O"), ("O", "0"),
             ("D", "Đ"), ("B", "Đ"), ("8", "B")}


def _known_letters() -> list[str]:
    from index.readers.metadata import ISSUER_LETTERS, LEVELS

    return list(dict.fromkeys([*LEVELS, *ISSUER_LETTERS]))


def issuer_known(code: str) -> bool:
    """Whether a code's issuer letters (after the ``/``) are among the known ones."""
    return code.rsplit("/", 1)[-1].upper() in {n.upper() for n in _known_letters()}


def check_code(code: str) -> str | None:
    """A code read from a scan as a known code (``163-CV/DUK`` -> ``163-CV/ĐUK``: Đ read as D
    repaired against the known type and issuer letters; ``38-HD/BTCIW`` -> ``38-HD/BTCTW``: one
    letter OCR confuses), or None when it does not look like one: a number, type letters from
    the known list, issuer letters.  Issuer letters not in the list are kept as read
    (:func:`issuer_known` tells)."""
    from index.readers.metadata import DOC_TYPES
    from index.text import strip_accents

    m = re.match(r"^(\d{1,5}[a-z]?)-([A-Za-zĐđ]{1,5})/([A-ZĐ0-9-]{1,10})$", code)
    if not m:
        return None
    number, kind, suffix = m.groups()

    def known(letters: str, names) -> str | None:
        if letters.upper() in {n.upper() for n in names}:
            return next(n for n in names if n.upper() == letters.upper())
        folded = [n for n in names if strip_accents(n).upper() == strip_accents(letters).upper()]
        return folded[0] if len(folded) == 1 else None

    def one_confused(letters: str, names) -> str | None:
        near = [n for n in names if len(n) == len(letters) and sum(
            a != b for a, b in zip(letters, n)) == 1 and all(
            (a, b) in _CONFUSED for a, b in zip(letters, n) if a != b)]
        return near[0] if len(near) == 1 else None

    types = [k[:-1] + "r" if k.endswith("TR") else k for k in DOC_TYPES]  # CTr, TTr
    # a speck read as a stroke inside the letters (``CTIr`` for ``CTr``), a letter read twice
    # (``QĐĐ``)
    kind_known = (known(kind, types) or known(re.sub(r"[Il1|]", "", kind), types)
                  or known(re.sub(r"(.)\1", r"\1", kind), types))
    if kind_known is None:
        return None
    names = _known_letters()
    suffix_known = known(suffix, names) or one_confused(suffix, names) or (
        suffix if re.fullmatch(r"[A-ZĐ][A-ZĐ0-9-]*", suffix) else None)
    if suffix_known is None:
        return None
    return f"{number}-{kind_known}/{suffix_known}"


def check_scanned(meta: dict, today: str | None = None, text: str = "",
                  doubts: set[str] = frozenset()) -> dict:
    """The metadata of a document read by OCR, checked: a code that does not look like one, or
    that is not on the number line of ``text`` (the document's) when it has one, is kept apart
    (``code_as_read``) and not cited, as is a code or a date in ``doubts`` (two readings of its
    line disagreed); a date must be a real day between 1930 and
    today; ``confidence`` says per field whether it passed a check (``checked``), could not be
    checked (``as read``) or failed (``uncertain``); ``scanned`` marks the document."""
    import datetime as dt

    from index.readers.metadata import parse_code

    meta = dict(meta)
    confidence = {}
    if "code" in meta:
        # read from the number line (``Số …`` with a capital), not from a subject that cites
        # another document (``số 38-KH/HU và …``) after the number line was misread
        number_line = next((ln for ln in text.split("\n")[:30]
                            if re.match(r"\s*(?:Số|SỐ)\b", ln)), None)
        fixed = check_code(meta["code"]) if "code" not in doubts and (
            number_line is None or meta["code"] in number_line) else None
        if fixed:
            meta.update(parse_code(fixed))
            confidence["code"] = "checked" if issuer_known(fixed) else "as read"
        else:
            meta["code_as_read"] = meta.pop("code")
            for key in ("number", "type_letters", "doc_type", "level"):
                meta.pop(key, None)
            confidence["code"] = "uncertain"
    if "date" in meta:
        try:
            day = dt.date.fromisoformat(meta["date"])
            ok = dt.date(1930, 1, 1) <= day <= dt.date.fromisoformat(
                today or dt.date.today().isoformat())
        except ValueError:
            ok = False
        ok = ok and "date" not in doubts
        if ok:
            confidence["date"] = "checked"
        else:
            meta["date_as_read"] = meta.pop("date")
            confidence["date"] = "uncertain"
    for key in ("issuer", "signer"):
        if key in meta:
            confidence[key] = "as read"
    meta["scanned"] = True
    meta["confidence"] = confidence
    return meta
