"""Scanned copies of the sample letters, made here (eval.scans), read back by OCR (index.scan)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from eval.scans import cer, degrade, draw_pages, edit_distance, layout, write_scan
from index.documents import read_file

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

    from index.scan import skew_angle

    pages, _ = draw_pages(layout(read_file(DOC_683).text))
    grey = np.asarray(pages[0].convert("L"))
    tilted = np.asarray(Image.fromarray(grey).rotate(1.2, resample=Image.BICUBIC,
                                                     fillcolor=255))
    assert skew_angle(tilted) == pytest.approx(1.2, abs=0.25)
    assert abs(skew_angle(grey)) <= 0.1


@pytest.mark.slow
@pytest.mark.parametrize("source", [DOC_683, DOC_163], ids=["683-CV/HU", "163-CV/ĐUK"])
def test_a_clean_scan_is_cited_as_the_original(tmp_path, source):
    original = read_file(source).metadata
    scanned = read_file(write_scan(source, "clean", tmp_path / "scan.pdf")).metadata
    for field in ("code", "date", "issuer", "signer"):
        assert scanned.get(field) == original[field], field


@pytest.mark.slow
def test_a_sealed_office_scan_keeps_code_and_date_and_names_no_one_wrongly(tmp_path):
    original = read_file(DOC_683).metadata
    scanned = read_file(write_scan(DOC_683, "sealed", tmp_path / "scan.pdf", seed=11))
    assert scanned.metadata["code"] == original["code"]
    assert scanned.metadata["date"] == original["date"]
    assert scanned.metadata.get("signer") in (None, original["signer"])
    assert "ĐẢNG ỦY" not in scanned.text.split("T/M BAN THƯỜNG VỤ")[-1]  # the seal's ink


def test_what_a_scan_says_is_checked_before_it_is_cited():
    from index.metadata import SCAN_NOTE, citation
    from index.scan import check_code, check_scanned, repair_lines

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
