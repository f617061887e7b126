import unicodedata

from index.text import Analyzer, find_codes, normalize


def test_tone_placement_is_unified():
    assert normalize("Hoá học, hoà bình, thuỷ lợi, Uỷ ban") == "hóa học, hòa bình, thủy lợi, ủy ban"
    # tone already on the main vowel, or followed by a final consonant: unchanged
    assert normalize("hoàng quý khuya") == "hoàng quý khuya"


def test_decomposed_input_zero_width_and_odd_spaces():
    nfd = unicodedata.normalize("NFD", "đảng viên")
    assert normalize(nfd) == "đảng viên"
    assert normalize("chi\u200b bộ\u00a0huyện “x”") == 'chi bộ huyện "x"'


def test_document_codes_stay_single_tokens():
    tokens = Analyzer().tokenize("Số 163 - CV/ĐUK theo 21-NQ/TW, 83-KH/ĐUK và Luật 45/2019/QH14")
    for code in ("163-cv/đuk", "21-nq/tw", "83-kh/đuk", "45/2019/qh14"):
        assert code in tokens
    assert "/" not in [t for t in tokens if "-" not in t and "/" not in t]


def test_find_codes_ignores_dates_and_ranges():
    assert find_codes("ngày 10/3/2017, giai đoạn 2020 - 2025, Số 683-CV/HU") == ["683-CV/HU"]


def test_words_are_segmented_and_syllables_kept():
    tokens = Analyzer().tokenize("Đảng viên báo cáo chi bộ.")
    assert "đảng_viên" in tokens and "báo_cáo" in tokens and "chi_bộ" in tokens
    assert "đảng" in tokens and "viên" in tokens
    assert "." not in tokens
    assert Analyzer(syllables=False).tokenize("Đảng viên") == ["đảng_viên"]


def test_settings_round_trip_and_reject_unknown():
    a = Analyzer(syllables=False)
    assert Analyzer.from_settings(a.settings()) == a
    try:
        Analyzer.from_settings({"stemmer": "x"})
    except ValueError as exc:
        assert "stemmer" in str(exc)
    else:
        raise AssertionError("unknown setting accepted")


def test_accent_free_field_meets_unaccented_queries():
    a = Analyzer()
    doc = a.tokenize_folded("Tỉ lệ kết nạp đảng viên mới, theo 163-CV/ĐUK")
    query = a.tokenize_folded("ty le ket nap dang vien moi")
    assert set(query) <= set(doc)  # tỉ/tỷ -> ti, pairs keep the phrase
    assert "ket_nap" in doc and "163-cv/duk" in doc


def test_vietnamese_syllables_and_english_words():
    from index.text import has_diacritics, looks_vietnamese

    for word in ("chi", "bo", "nghieng", "truong", "khuya", "Đảng", "quy"):
        assert looks_vietnamese(word), word
    for word in ("what", "reporting", "deadlines", "party", "cells", "district", "often"):
        assert not looks_vietnamese(word), word
    assert has_diacritics("chi bộ") and not has_diacritics("chi bo")


def test_spelling_variants_meet():
    a = Analyzer()
    assert a.tokenize("tỷ lệ kỹ năng lý luận hằng quý") == a.tokenize("tỉ lệ kĩ năng lí luận hàng quý")
    assert a.tokenize("Uỷ ban, chuyển hoá, thuỷ lợi") == a.tokenize("Ủy ban, chuyển hóa, thủy lợi")
    assert normalize("hằng số") == "hằng số"  # only before năm/quý/tháng/ngày/tuần
    assert normalize("y tế") == "y tế"


def test_word_segmentation_is_safe_from_many_threads_at_first_use():
    """The app's sessions segment queries in their own threads; underthesea's model is loaded
    on first use, and threads arriving meanwhile used to find it half made."""
    import subprocess
    import sys

    from ..conftest import ROOT

    code = ("import threading\nfrom index.text import Analyzer\na = Analyzer()\nout = []\n"
            "def go(i):\n    out.append(a.tokenize(f'thời hạn báo cáo của chi bộ {i}'))\n"
            "ts = [threading.Thread(target=go, args=(i,)) for i in range(12)]\n"
            "[t.start() for t in ts]; [t.join() for t in ts]\n"
            "assert len(out) == 12 and all('chi_bộ' in t for t in out), out\nprint('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
