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

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.readers.metadata import DATE_LINE, SIGNER_TITLE

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
