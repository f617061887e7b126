"""Where a passage lies on the scanned pages: each line of a scanned document's text placed on
its page when it is read (:func:`locate_lines`), the boxes of a passage's characters
(:func:`regions`), and a page drawn with them (:func:`page_image`) for the document viewer."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.readers.scan import PageText


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
