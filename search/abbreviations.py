"""Abbreviations of Party and state administration, expanded at query time.

Written for this project from the usage in Party documents (headers, ``Nơi nhận`` lists and
body text).  An abbreviation is expanded when it is written as in documents (upper case, or its
usual mixed case such as ``CTr``, ``đ/c``), or in lower case when it cannot be read as a
Vietnamese syllable (``btv``, ``ubnd``; not ``hu`` or ``tu``).  Abbreviations inside a document
code (``38-KH/HU``) are never touched: the code stays a code.
"""

from __future__ import annotations

ABBREVIATIONS: dict[str, str] = {
    # Party bodies
    "TW": "Trung ương", "TƯ": "Trung ương", "BCHTW": "Ban Chấp hành Trung ương",
    "BCT": "Bộ Chính trị", "BBT": "Ban Bí thư",
    "TU": "Tỉnh ủy", "TƯU": "Thành ủy", "HU": "Huyện ủy", "QU": "Quận ủy", "TXU": "Thị xã ủy",
    "ĐU": "Đảng ủy", "ĐUK": "Đảng ủy khối", "ĐB": "Đảng bộ", "CB": "Chi bộ",
    "BCH": "Ban Chấp hành", "BTV": "Ban Thường vụ", "UVBTV": "Ủy viên Ban Thường vụ",
    "UVBCH": "Ủy viên Ban Chấp hành", "BTG": "Ban Tuyên giáo", "BTC": "Ban Tổ chức",
    "BDV": "Ban Dân vận", "BNC": "Ban Nội chính", "UBKT": "Ủy ban Kiểm tra",
    "VPHU": "Văn phòng Huyện ủy", "VPTU": "Văn phòng Tỉnh ủy", "VP": "Văn phòng",
    "LĐVP": "Lãnh đạo Văn phòng", "BCĐ": "Ban Chỉ đạo",
    "TCCSĐ": "tổ chức cơ sở đảng", "CSĐ": "cơ sở đảng", "ĐV": "đảng viên",
    "BCV": "báo cáo viên", "HTCT": "hệ thống chính trị", "đ/c": "đồng chí", "Đ/c": "đồng chí",
    # State and mass organizations
    "UBND": "Ủy ban nhân dân", "HĐND": "Hội đồng nhân dân", "MTTQ": "Mặt trận Tổ quốc",
    "UBMTTQ": "Ủy ban Mặt trận Tổ quốc", "UBMTTQVN": "Ủy ban Mặt trận Tổ quốc Việt Nam",
    "MTTQVN": "Mặt trận Tổ quốc Việt Nam", "CT-XH": "chính trị - xã hội",
    "KT-XH": "kinh tế - xã hội", "QP-AN": "quốc phòng - an ninh", "ANQP": "an ninh quốc phòng",
    "ĐTN": "Đoàn Thanh niên", "HLHPN": "Hội Liên hiệp Phụ nữ", "HND": "Hội Nông dân",
    "HCCB": "Hội Cựu chiến binh", "LĐLĐ": "Liên đoàn Lao động", "QH": "Quốc hội",
    "CP": "Chính phủ", "NĐ": "Nghị định",
    # Document types
    "NQ": "Nghị quyết", "KL": "Kết luận", "CT": "Chỉ thị", "KH": "Kế hoạch", "CV": "Công văn",
    "CTr": "Chương trình", "CTHĐ": "Chương trình hành động", "QĐ": "Quyết định",
    "QĐi": "Quy định", "HD": "Hướng dẫn", "BC": "Báo cáo", "TB": "Thông báo", "TTr": "Tờ trình",
}


def _with_unaccented_keys(table: dict[str, str]) -> dict[str, str]:
    """``ĐUK`` is also typed ``DUK`` on keyboards without Vietnamese input; add those forms
    (unless the plain form is an abbreviation of its own, as ``TU`` is for ``TƯ``)."""
    from index.text import strip_accents

    out = dict(table)
    for key, value in table.items():
        plain = strip_accents(key)
        out.setdefault(plain, value)
    return out


ABBREVIATIONS = _with_unaccented_keys(ABBREVIATIONS)
