"""Scanned copies of the sample letters, made here (eval.scans), read back by OCR
(index.readers.scan)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from eval.scan_checks import cer, edit_distance
from eval.scans import degrade, draw_pages, layout, write_scan
from index.readers.documents import read_file

from ..conftest import DOC_683, SAMPLE

DOC_163 = SAMPLE / "2019-04-18_163-CV-DUK_Dong-Nai.txt"


def test_a_letter_is_laid_out_as_it_is_printed():
    page = layout(read_file(DOC_163).text)
    assert page.left[:2] == ["ĐẢNG BỘ TỈNH ĐỒNG NAI", "ĐẢNG ỦY KHỐI CÁC CƠ QUAN TỈNH"]
    assert "Số 163 - CV/ĐUK" in page.left
    assert page.right == ["ĐẢNG CỘNG SẢN VIỆT NAM", "Đồng Nai, ngày 18 tháng 04 năm 2019"]
    assert page.recipients[0] == "Nơi nhận:" and page.signature[-1] == "Nguyễn Minh Thanh"
    assert page.body[0].startswith("Kính gửi")


def test_the_variants_are_the_same_from_the_same_seed():
    pages, signature = draw_pages(layout(read_file(DOC_683).text))
    assert len(pages) >= 2 and signature["page"] == len(pages) - 1
    a = degrade(pages[-1:], "sealed", 3, {**signature, "page": 0})
    b = degrade(pages[-1:], "sealed", 3, {**signature, "page": 0})
    c = degrade(pages[-1:], "sealed", 4, {**signature, "page": 0})
    assert np.array_equal(np.asarray(a[0]), np.asarray(b[0]))
    assert not np.array_equal(np.asarray(a[0]), np.asarray(c[0]))
    red = np.asarray(a[0]).astype(int)
    assert ((red[..., 0] - red[..., 2]) > 60).sum() > 1000  # the seal is red


def test_edit_distance_matches_the_textbook_table():
    def slow(a, b):
        row = list(range(len(b) + 1))
        for i, ca in enumerate(a, 1):
            prev, row[0] = row[0], i
            for j, cb in enumerate(b, 1):
                prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
        return row[-1]

    rng = random.Random(5)
    for _ in range(200):
        a = "".join(rng.choice("aăâbđ ") for _ in range(rng.randrange(0, 12)))
        b = "".join(rng.choice("aăâbđ ") for _ in range(rng.randrange(0, 12)))
        assert edit_distance(a, b) == slow(a, b)
    assert cer("Số 683-CV/HU", "S6 683-CV/HU") == pytest.approx(1 / 12)


def test_deskew_finds_the_tilt():
    from PIL import Image

    from index.readers.scan import skew_angle

    pages, _ = draw_pages(layout(read_file(DOC_683).text))
    grey = np.asarray(pages[0].convert("L"))
    tilted = np.asarray(Image.fromarray(grey).rotate(1.2, resample=Image.BICUBIC,
                                                     fillcolor=255))
    assert skew_angle(tilted) == pytest.approx(1.2, abs=0.25)
    assert abs(skew_angle(grey)) <= 0.1


@pytest.fixture(scope="module")
def clean_scans(tmp_path_factory):
    """The clean scans of two sample letters, read back: source -> (pdf, Document)."""
    folder = tmp_path_factory.mktemp("scans")
    out = {}
    for source in (DOC_683, DOC_163):
        pdf = write_scan(source, "clean", folder / f"{source.stem}.pdf")
        out[source] = (pdf, read_file(pdf))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("source", [DOC_683, DOC_163], ids=["683-CV/HU", "163-CV/ĐUK"])
def test_a_clean_scan_is_cited_as_the_original(clean_scans, source):
    original = read_file(source).metadata
    scanned = clean_scans[source][1].metadata
    for field in ("code", "date", "issuer", "signer"):
        assert scanned.get(field) == original[field], field


@pytest.mark.slow
def test_a_passage_of_a_scan_points_at_its_region_of_the_page(clean_scans, tmp_path):
    """The region the viewer outlines holds the passage's words: cut out of the page and read
    again, it starts as the passage does; a later passage lies lower or on a later page."""
    import subprocess

    from index.build import CHUNKING
    from index.chunking import split_document
    from index.readers.scan_regions import page_image, regions
    from index.text import strip_accents

    pdf, doc = clean_scans[DOC_683]
    scan = doc.metadata["scan"]
    assert [p[0] for p in scan["pages"]] == [1, 2] and len(scan["lines"]) > 40
    passages = [p for p in split_document(doc, **CHUNKING) if len(p.text) > 200]
    placed = [(p, regions(scan, p.start, p.end)) for p in passages]
    assert all(r for _, r in placed)
    order = [(r[0]["page"], r[0]["box"][1]) for _, r in placed]
    assert order == sorted(order)
    passage, where = placed[1]
    region = where[0]
    assert 0 <= region["box"][0] < region["box"][2] <= 1
    image = page_image(pdf, region, dpi=200)
    w, h = image.size
    left, top, right, bottom = region["box"]
    crop = tmp_path / "region.png"
    image.crop((left * w - 8, top * h - 8, right * w + 8, bottom * h + 8)).save(crop)
    read = subprocess.run(["tesseract", str(crop), "stdout", "-l", "vie"], capture_output=True,
                          text=True, check=True).stdout
    first_words = strip_accents(" ".join(passage.text.split()[:4])).lower()
    assert first_words in strip_accents(" ".join(read.split())).lower()


@pytest.mark.slow
def test_a_sealed_office_scan_keeps_code_and_date_and_names_no_one_wrongly(tmp_path):
    original = read_file(DOC_683).metadata
    scanned = read_file(write_scan(DOC_683, "sealed", tmp_path / "scan.pdf", seed=11))
    assert scanned.metadata["code"] == original["code"]
    assert scanned.metadata["date"] == original["date"]
    assert scanned.metadata.get("signer") in (None, original["signer"])
    assert "ĐẢNG ỦY" not in scanned.text.split("T/M BAN THƯỜNG VỤ")[-1]  # the seal's ink


def test_what_a_scan_says_is_checked_before_it_is_cited():
    from index.readers.metadata import SCAN_NOTE
    from index.readers.scan_header import check_code, check_scanned, repair_lines
    from search.citation import citation

    assert check_code("163-CV/DUK") == "163-CV/ĐUK"  # Đ read as D, repaired
    assert check_code("47-QD/TW") == "47-QĐ/TW" and check_code("27-CTR/HU") == "27-CTr/HU"
    assert check_code("683-CV/HU") == "683-CV/HU"
    assert check_code("12-XY/HU") is None  # no such document type
    misread = check_scanned({"code": "12-XY/HU", "doc_type": "Công văn",
                             "date": "2017-02-30", "issuer": "Huyện ủy Hớn Quản"})
    assert "code" not in misread and misread["code_as_read"] == "12-XY/HU"
    assert "date" not in misread and misread["confidence"] == {
        "code": "uncertain", "date": "uncertain", "issuer": "as read"}
    assert citation(misread).endswith(f"({SCAN_NOTE})")
    checked = check_scanned({"code": "683-CV/HU", "date": "2017-03-28"})
    assert SCAN_NOTE not in citation(checked)
    assert repair_lines("S6 683-CV/HU\nHớn Quản, ngày 28 tháng 3 nam 2017") == \
        "Số 683-CV/HU\nHớn Quản, ngày 28 tháng 3 năm 2017"
    assert repair_lines("Sổ27-CTr/HU\nSố 683.CV/HU\nBAN.CHẤP HÀNH TRUNG ƯƠNG") == \
        "Số 27-CTr/HU\nSố 683-CV/HU\nBAN CHẤP HÀNH TRUNG ƯƠNG"
    assert check_code("181-QĐĐ/TW") == "181-QĐ/TW"  # a letter read twice
    # one letter OCR confuses in known issuer letters; unknown letters kept as read, and said
    assert check_code("38-HD/BTCIW") == "38-HD/BTCTW" and check_code("12-TTR/HU") == "12-TTr/HU"
    unknown = check_scanned({"code": "5-CV/XYZ", "doc_type": "Công văn"})
    assert unknown["confidence"]["code"] == "as read" and SCAN_NOTE in citation(unknown)
    assert repair_lines("HƯỚNG DẪN SỐ 38- HD/BTCIW NGÀY 31/01/2016\nBẠN CHẤP-HÀNH TRUNG ƯƠNG\n"
                        "Quyết định số 99-QĐĐ/TW và Luật số 20/2023/QH15") == (
        "HƯỚNG DẪN SỐ 38-HD/BTCTW NGÀY 31/01/2016\nBAN CHẤP HÀNH TRUNG ƯƠNG\n"
        "Quyết định số 99-QĐ/TW và Luật số 20/2023/QH15")
    # the number line misread, a plan the subject cites is no citation of this letter
    cited = check_scanned({"code": "38-KH/HU"}, text="HUYỆN ỦY\nSố 683~CV\nsố 38-KH/HU và")
    assert "code" not in cited and cited["code_as_read"] == "38-KH/HU"


def test_specks_are_dropped_and_punctuation_kept():
    from index.readers.scan import Word, drop_specks

    def word(text, w, h, conf=90.0):
        return Word(text, 100, 100, 100 + w, 100 + h, 1, 1, 1, conf)

    words = [word("Nơi", 80, 40), word("nhận:", 110, 40), word("-", 11, 4),  # a list's dash
             word(":", 4, 4), word(".", 5, 4), word("¬_", 79, 22, conf=13),   # specks
             word("ˆ", 4, 4, conf=41),                                       # not a letter
             word("Thường:vụ", 268, 51)]
    kept = [w.text for w in drop_specks(words)]
    assert kept == ["Nơi", "nhận:", "-", "Thường vụ"]


def test_a_name_read_again_alone_replaces_the_page_reading_only_when_it_is_a_name():
    from index.readers.scan import PageText
    from index.readers.scan_header import second_look

    page = PageText("T/M HUYỆN ỦY\nĐình Tân Hoàng\nbáo cáo Huyện ủy")
    page.lines = [("T/M HUYỆN ỦY", (1540, 296, 1975, 362)),
                  ("Đình Tân Hoàng", (1554, 722, 1967, 770)),
                  ("báo cáo Huyện ủy", (300, 900, 2200, 950))]
    page.size, page.angle = (2480, 3508), 0.4
    asked = []

    def read_line(box):
        asked.append(box)
        return "ˆ Đình Tấn Hoàng _"

    again = second_look(page, read_line)
    assert str(again).split("\n")[1] == "Đình Tấn Hoàng" and again.angle == 0.4
    assert len(asked) == 1 and asked[0][0] < 1554 < 1967 < asked[0][2]  # the name line only
    assert str(second_look(page, lambda box: "Dinh Tan")) == str(page)  # not a name of 3 words


def test_a_web_copys_header_is_printed_as_one_letter():
    from index.paths import PARTY_DOCS

    source = next(PARTY_DOCS.rglob("2016-07-25_29-QD-TW*.txt"))
    page = layout(read_file(source).text)
    assert page.left == ["BAN CHẤP HÀNH TRUNG ƯƠNG", "Số: 29-QĐ/TW"]
    assert page.right == ["ĐẢNG CỘNG SẢN VIỆT NAM", "Hà Nội, ngày 25 tháng 07 năm 2016"]
    assert page.title == ["QUY ĐỊNH", "THI", "HÀNH ĐIỀU LỆ ĐẢNG"]


def test_a_quote_is_found_in_a_passage_up_to_ocr_errors():
    from eval.scan_checks import fuzzy_contains

    passage = "định kỳ hàng quý, 06 tháng, một năm, bí thư đảng ủy, chi bộ trực thuộc báo cáo"
    assert fuzzy_contains("bí thư đảng ủy, chi bộ trực thuộc", passage)
    assert fuzzy_contains("bí thư đảng uy, chi bô trực thuộc", passage)  # two marks lost
    assert not fuzzy_contains("ban thường vụ huyện ủy chỉ đạo", passage)
    assert not fuzzy_contains("chi bộ trực thuộc báo cáo hằng tháng", passage[:40])
