"""Bounded input: files over a limit are refused on one line, before they are unpacked or read,
and the rest of the build goes on (docs/reliability.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from index.build import build
from index.readers.documents import DocumentError, Limits, clean_text, read_file
from index.readers.sources import read_sources
from index.stores.loading import load_index
from tests.conftest import ROOT

LETTER = "Số 9-CV/HU\nV/v báo cáo quý\nĐịnh kỳ hằng quý, chi bộ báo cáo Huyện ủy kết quả học tập."


def _zip_bomb(path: Path, unpacked_mb: int) -> None:
    """A .docx whose document.xml unpacks to ``unpacked_mb`` MB (a few hundred KB on disk)."""
    chunk = b"<w:t>a</w:t>" * (2**20 // 12)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as fh:
            for _ in range(unpacked_mb):
                fh.write(chunk)


def test_a_zip_bomb_is_refused_from_its_directory_in_little_memory(tmp_path):
    bomb = tmp_path / "bom.docx"
    _zip_bomb(bomb, 300)
    assert bomb.stat().st_size < 2 * 2**20
    script = ("import sys\n"
              "from index.worker import peak_rss_mb\n"
              "from index.readers.documents import read_file, DocumentError\n"
              "try:\n    read_file(sys.argv[1])\nexcept DocumentError as exc:\n    print(exc)\n"
              "print(peak_rss_mb())\n")
    result = subprocess.run([sys.executable, "-c", script, str(bomb)], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    message, peak_mb = result.stdout.strip().splitlines()
    assert "unpacks to 300 MB, over the limit of 100 MB (TRACUU_MAX_UNZIPPED_MB)" in message
    assert str(bomb) in message
    assert float(peak_mb) < 200  # under the 300 MB it unpacks to: nothing was unpacked


def _blank_pdf(path: Path, pages: int) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    with path.open("wb") as fh:
        writer.write(fh)


def test_a_pdf_of_too_many_pages_is_refused_before_any_is_read(tmp_path):
    pdf = tmp_path / "trang-trang.pdf"
    _blank_pdf(pdf, 2500)
    with pytest.raises(DocumentError, match=r"2500 pages, over the limit of 2000 "
                                            r"\(TRACUU_MAX_PDF_PAGES\)"):
        read_file(pdf)


def test_scanned_pages_over_the_ocr_limit_are_refused_before_ocr(tmp_path):
    pdf = tmp_path / "scan.pdf"
    _blank_pdf(pdf, 5)  # blank pages have no text layer: each would go to OCR
    with pytest.raises(DocumentError, match="5 pages without a text layer .* limit of 2"):
        read_file(pdf, limits=Limits(ocr_pages=2))


def test_text_over_its_limits_is_refused_without_reading_it(tmp_path):
    huge = tmp_path / "lon.txt"
    with huge.open("wb") as fh:  # sparse: 210 MB that take no room and are never read
        fh.truncate(210 * 2**20)
    with pytest.raises(DocumentError, match="over the limit of 200 MB"):
        read_file(huge)
    big = tmp_path / "dai.txt"
    with big.open("wb") as fh:
        fh.truncate(25 * 2**20)
    with pytest.raises(DocumentError, match="TRACUU_MAX_TEXT_MB"):
        read_file(big)
    long = tmp_path / "nhieu-chu.txt"
    long.write_text(LETTER * 10, encoding="utf-8")
    with pytest.raises(DocumentError, match="over the limit of 100 "):
        read_file(long, limits=Limits(chars=100))


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("TRACUU_MAX_UNZIPPED_MB", "5")
    monkeypatch.setenv("TRACUU_MAX_PASSAGES", "30")
    limits = Limits.from_env()
    assert limits.unzipped_bytes == 5 * 2**20 and limits.passages == 30
    monkeypatch.setenv("TRACUU_MAX_CHARS", "nhiều")
    with pytest.raises(ValueError, match="TRACUU_MAX_CHARS"):
        Limits.from_env()


def test_control_characters_never_reach_the_index():
    hostile = "Số 1-CV/HU\x1b]52;c;ZXZpbA==\x07 báo cáo\x1b[2J\x00 quý\tII\r\nhết"
    text = clean_text(hostile)
    assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in text)
    assert "\x7f" not in text and text.endswith("quý\tII\nhết")


def test_symbolic_links_in_a_folder_are_skipped_unless_followed(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "cv-9.txt").write_text(LETTER, encoding="utf-8")
    secret = tmp_path / "outside" / "passwd.txt"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:root:/root:/bin/bash", encoding="utf-8")
    os.symlink(secret, src / "passwd.txt")
    os.symlink(secret.parent, src / "linked-folder")
    docs, skipped = read_sources([src])
    assert [d.doc_id for d in docs] == ["cv-9"]
    assert str(src / "passwd.txt") in {p for p, _ in skipped}
    assert all(Path(p).name == "passwd.txt" and "--follow-links" in reason
               for p, reason in skipped)
    docs, _ = read_sources([src], follow_links=True)
    assert {d.doc_id for d in docs} == {"cv-9", "passwd"}


def test_a_build_goes_on_past_refused_files(tmp_path, monkeypatch, caplog):
    src = tmp_path / "src"
    src.mkdir()
    (src / "cv-9.txt").write_text(LETTER, encoding="utf-8")
    _zip_bomb(src / "bom.docx", 120)
    (src / "dai.txt").write_text("\n\n".join([LETTER * 8] * 40), encoding="utf-8")
    monkeypatch.setenv("TRACUU_MAX_PASSAGES", "5")
    caplog.set_level("INFO", logger="index")
    report = build([src], tmp_path / "idx")
    assert report.documents == 1 and set(load_index(tmp_path / "idx").documents) == {"cv-9"}
    reasons = {Path(p).name: r for p, r in report.skipped}
    assert "TRACUU_MAX_UNZIPPED_MB" in reasons["bom.docx"]
    assert "TRACUU_MAX_PASSAGES" in reasons["dai.txt"]
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("skipped")]
    assert len(lines) == 2  # one line each


def test_search_prints_no_control_characters_from_an_older_index(sample_index, tmp_path):
    import shutil

    from index.stores.folder import IndexData, write_index

    copy = tmp_path / "older"
    shutil.copytree(sample_index, copy)
    data: IndexData = load_index(copy, mmap=False)
    doc = data.documents["2017-03-28_683-CV-HU_Hon-Quan"]
    at = doc.text.index("Định kỳ hàng quý")
    doc.text = doc.text[:at] + "\x1b]52;c;ZXZpbA==\x07\x1b[2J" + doc.text[at + 18:]  # same length
    for p in data.passages:
        if p.doc_id == doc.doc_id:
            p.text = doc.text[p.start:p.end]
    write_index(data, copy)
    result = subprocess.run([sys.executable, "-m", "search", "thời hạn báo cáo của chi bộ",
                             "--index", str(copy)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "]52;c;ZXZpbA==" in result.stdout  # the rest of the text is shown as it is
