"""A scanned header read twice and repaired: the signer's name and the code read again on their
own (:func:`second_look`), OCR's usual misreadings of Party headers repaired
(:func:`repair_lines`), and the code and issuer checked against what they can be
(:func:`check_scanned`): a field that stays uncertain is cited with a note to check the paper."""

from __future__ import annotations

import re

from index.readers.scan import PageText, _inked

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
