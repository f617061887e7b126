"""Scanned PDFs through Tesseract OCR and legacy .doc files, each made by the test itself."""

import subprocess

import pytest

from index.readers.documents import DocumentError, read_file

HEADER = ["HUYỆN ỦY HỚN QUẢN", "Số 683-CV/HU", "Hớn Quản, ngày 28 tháng 3 năm 2017",
          "V/v đôn đốc triển khai thực hiện kế hoạch", "",
          "Định kỳ hằng quý, các chi bộ trực thuộc báo cáo Huyện ủy",
          "kết quả khắc phục suy thoái tư tưởng chính trị."]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _scan(path, lines):
    """An image-only PDF page (no text layer) at 300 dpi, as a scanner makes it."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, 40)
    page = Image.new("L", (2480, 1200), 255)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((150, 120 + 80 * i), line, font=font, fill=0)
    page.save(path, resolution=300)


def test_scanned_pdf_is_read_by_ocr_with_diacritics(tmp_path):
    from pypdf import PdfReader

    pdf = tmp_path / "scan.pdf"
    _scan(pdf, HEADER)
    assert not (PdfReader(str(pdf)).pages[0].extract_text() or "").strip()  # no text layer
    doc = read_file(pdf)
    assert "Hớn Quản, ngày 28 tháng 3 năm 2017" in doc.text
    assert "Định kỳ hằng quý, các chi bộ trực thuộc báo cáo Huyện ủy" in doc.text
    meta = doc.metadata
    assert meta["code"] == "683-CV/HU" and meta["issuer"] == "Huyện ủy Hớn Quản"
    assert meta["date"] == "2017-03-28"
    assert meta["subject"] == "đôn đốc triển khai thực hiện kế hoạch"


@pytest.mark.slow
def test_legacy_doc_is_read(tmp_path):
    import docx

    source = docx.Document()
    for line in HEADER:
        if line:
            source.add_paragraph(line)
    source.save(tmp_path / "cv.docx")
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--headless", "--convert-to", "doc", "--outdir", str(tmp_path),
                    str(tmp_path / "cv.docx")], check=True, capture_output=True, timeout=300)
    legacy = tmp_path / "cv.doc"
    assert legacy.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"  # an OLE2 Word 97-2003 file
    doc = read_file(legacy)
    assert "Định kỳ hằng quý, các chi bộ trực thuộc báo cáo Huyện ủy" in doc.text
    assert doc.metadata["code"] == "683-CV/HU" and doc.metadata["date"] == "2017-03-28"


def test_a_doc_that_is_not_a_word_file_is_refused_clearly(tmp_path):
    fake = tmp_path / "fake.doc"
    fake.write_text("not a Word file")
    with pytest.raises(DocumentError, match="not a Word 97-2003 .doc file"):
        read_file(fake)
