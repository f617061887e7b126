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


def deskew(grey: np.ndarray) -> np.ndarray:
    from PIL import Image

    angle = skew_angle(grey)
    if abs(angle) < 0.05:
        return grey
    return np.asarray(Image.fromarray(grey).rotate(-angle, resample=Image.BICUBIC,
                                                   fillcolor=255))


def parse_tsv(tsv: str) -> list[Word]:
    words = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        left, top = int(row["left"]), int(row["top"])
        words.append(Word(text, left, top, left + int(row["width"]), top + int(row["height"]),
                          int(row["block_num"]), int(row["par_num"]), int(row["line_num"])))
    return words


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


def reading_order(segs: list[Segment], width: int) -> list[str]:
    """Lines of text: runs of two-column rows read column by column, with a blank line between
    blocks."""
    middle, band = width / 2, MIDDLE_BAND * width
    out: list[str] = []
    run: list[list[Segment]] = []

    def side(seg: Segment) -> str | None:
        if seg.right <= middle + band:
            return "left"
        if seg.left >= middle - band:
            return "right"
        return None  # crosses the middle: a body line

    def lines_of(segs: list[Segment]) -> list[str]:
        """Text of segments in order, a blank line where Tesseract's paragraph changes."""
        out, last = [], None
        for seg in segs:
            here = (seg.words[0].block, seg.words[0].par)
            if last is not None and here != last:
                out.append("")
            out.append(seg.text)
            last = here
        return out

    def flush():
        if not run:
            return
        left = lines_of([s for row in run for s in row if side(s) == "left"])
        right = lines_of([s for row in run for s in row if side(s) == "right"])
        if left and right:
            out.extend([*left, "", *right, ""])
        else:
            out.extend([*left, *right, ""])
        run.clear()

    paragraph = None
    for row in _rows(segs):
        if all(side(s) for s in row):
            run.append(row)
            continue
        flush()
        first = row[0].words[0]
        if paragraph is not None and (first.block, first.par) != paragraph and out and out[-1]:
            out.append("")  # Tesseract's paragraphs stay paragraphs
        paragraph = (first.block, first.par)
        out.append(" ".join(s.text for s in row))
    flush()
    return out


def lay_out_text(tsv: str, width: int) -> str:
    """Text of a page from Tesseract's TSV, columns kept apart."""
    return "\n".join(reading_order(segments(parse_tsv(tsv), width), width))


# --- checks on what was read ---------------------------------------------------------------

_SO_MISREAD = re.compile(r"^\s*(?:S[6ôóòơ0o]|3[6ố]|5ố|Sỏ|Sô)\s*[:.]?\s+(?=\d)", re.IGNORECASE)
_NAM_MISREAD = re.compile(r"(ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+)n[aâ]m(\s+\d{4})",
                          re.IGNORECASE)


# the fixed words of a header, as printed (upper case): a scan often loses their marks
HEADER_WORDS = ("ĐẢNG CỘNG SẢN VIỆT NAM", "ĐẢNG BỘ", "ĐẢNG ỦY", "HUYỆN ỦY", "TỈNH ỦY",
                "THÀNH ỦY", "QUẬN ỦY", "THỊ ỦY", "CHI BỘ", "BAN THƯỜNG VỤ", "BAN CHẤP HÀNH",
                "BAN TUYÊN GIÁO", "BAN TỔ CHỨC", "BAN DÂN VẬN", "ỦY BAN KIỂM TRA", "VĂN PHÒNG",
                "TRUNG ƯƠNG", "KHỐI", "CÁC CƠ QUAN", "DOANH NGHIỆP", "TỈNH", "HUYỆN",
                "THÀNH PHỐ", "THỊ XÃ", "THỊ TRẤN", "XÃ", "PHƯỜNG")
_DEBRIS = re.compile(r"^[\s\-–—_'\".,:;`~|“”‘’]+(?=\S)")
_TRAILING = re.compile(r"[\s\-–—_'\".,:;`~|“”‘’]+$")
_PLACE_DATE = re.compile(r"^\s*([^,\n]{2,40}),\s*ngày\s+\d", re.IGNORECASE)


def _fold(text: str) -> str:
    from .text import strip_accents

    return strip_accents(text).upper()


def _restore(line: str, words: list[str]) -> str:
    """Upper-case ``words`` put back with their marks where ``line`` has them without (or
    with others): ``HUYỆN UY HỚN QUÁN`` -> ``HUYỆN ỦY HỚN QUẢN`` given ``HỚN QUẢN``."""
    folded = _fold(line)
    if len(folded) != len(line):  # a character that does not fold one to one: leave it
        return line
    taken: list[tuple[int, int, str]] = []  # longer words first; one inside is left alone
    for word in sorted(words, key=len, reverse=True):
        key = r"\s?".join(re.escape(part) for part in _fold(word).split())  # ``HỚNQUẢN`` too
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
    ``nam`` for ``năm`` in a date line."""
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
        lines[i] = _NAM_MISREAD.sub(r"\1năm\2", line)
    # an issuing body wrapped onto a second line in its column (``... CÁC CƠ QUAN`` / ``TỈNH``)
    for i in range(min(head, len(lines)) - 1, 0, -1):
        here, above = lines[i].strip(), lines[i - 1].strip()
        if (1 <= len(here.split()) <= 2 and here.isupper() and here.replace(" ", "").isalpha()
                and len(above.split()) >= 2 and above.isupper() and "CỘNG SẢN" not in above
                and "CỘNG SẢN" not in here):
            lines[i - 1] = f"{above} {here}"
            del lines[i]
    return "\n".join(lines)


def check_code(code: str) -> str | None:
    """A code read from a scan as a known code (``163-CV/DUK`` -> ``163-CV/ĐUK``: Đ read as D
    repaired against the known type and issuer letters), or None when it does not look like
    one: a number, type letters from the known list, issuer letters."""
    from .metadata import DOC_TYPES, LEVELS
    from .text import strip_accents

    m = re.match(r"^(\d{1,5}[a-z]?)-([A-Za-zĐđ]{1,5})/([A-ZĐ0-9-]{1,10})$", code)
    if not m:
        return None
    number, kind, suffix = m.groups()

    def known(letters: str, names) -> str | None:
        if letters.upper() in {n.upper() for n in names}:
            return next(n for n in names if n.upper() == letters.upper())
        folded = [n for n in names if strip_accents(n).upper() == strip_accents(letters).upper()]
        return folded[0] if len(folded) == 1 else None

    types = [k if k != "CTR" else "CTr" for k in DOC_TYPES]
    # a speck read as a stroke inside the letters (``CTIr`` for ``CTr``)
    kind_known = known(kind, types) or known(re.sub(r"[Il1|]", "", kind), types)
    if kind_known is None:
        return None
    suffix_known = known(suffix, list(LEVELS)) or (
        suffix if re.fullmatch(r"[A-ZĐ][A-ZĐ0-9-]*", suffix) else None)
    if suffix_known is None:
        return None
    return f"{number}-{kind_known}/{suffix_known}"


def check_scanned(meta: dict, today: str | None = None) -> dict:
    """The metadata of a document read by OCR, checked: a code that does not look like one is
    kept apart (``code_as_read``) and not cited; a date must be a real day between 1930 and
    today; ``confidence`` says per field whether it passed a check (``checked``), could not be
    checked (``as read``) or failed (``uncertain``); ``scanned`` marks the document."""
    import datetime as dt

    from .metadata import parse_code

    meta = dict(meta)
    confidence = {}
    if "code" in meta:
        fixed = check_code(meta["code"])
        if fixed:
            meta.update(parse_code(fixed))
            confidence["code"] = "checked"
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
