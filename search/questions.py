"""What a question asks: its type (deadline, date, signer, number ...), the form of the answer
it wants, the units it asks about, and where a sentence holds what that type asks for."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.text import CODE_RE, looks_vietnamese, normalize, strip_accents
from search.answers import _TIME, SYLLABLE


def _folded_pattern(pattern: str) -> str:
    """``ky`` also as ``ki``: the text is normalized with i for y after a consonant (kỳ → kì)."""
    return re.sub(r"\b(ch|kh|nh|ph|th|tr|ng|[bdghklmnstvx])y\b", r"\1[iy]", pattern)


# (type, what asks for it, what points to it): read on the accent-free, lower-case question.
# The question word decides (``Ai tham mưu định kỳ sơ kết?`` asks who, not how often); the
# pointers (``thời hạn``, ``tỷ lệ``) only when the question has no question word.  ``open``
# questions (``như thế nào``, ``vì sao``, ``là gì``) need no particular expression.
_ASKS: tuple[tuple[str, str, str], ...] = (
    ("signer", r"\bai ky\b|\bnguoi ky\b|\bky boi ai\b|\bwho signed\b|\bsigned by whom\b",
     r"\bsigner\b|\bnguoi ky\b"),
    ("date", r"(?<!truoc )(?<!cham nhat )(?<!han chot )\bngay nao\b|\bngay thang(?: nam)? nao\b|"
             r"\bnam nao\b|\bngay bao nhieu\b|"
             r"\b(?:ban hanh|ky|lap|gui|ra)(?: vao)? (?:ngay|thoi gian) nao\b|\bwhat date\b|"
             r"\bwhich date\b|\bwhat year\b|\bwhich year\b|\bon what date\b|\bwhen was\b.*"
             r"\b(?:issued|signed|dated|adopted|promulgated|written|drawn up|sent|founded)\b",
     r"\bngay (?:thanh lap|ky|ban hanh|ra doi)\b|^(?:thanh lap|ban hanh)\b|\bdated\b"),
    ("recipients", r"\b(?:gui|kinh gui) (?:toi |den |cho )?(?:nhung )?(?:ai|dau|co quan nao|"
                   r"don vi nao)\b|\bsent to (?:whom|who)\b|\bwho (?:are|were) the "
                   r"(?:recipients|addressees)\b",
     r"\baddressed to\b|\brecipients\b|\baddressees\b|\bkinh gui\b"),
    ("code", r"\b(?:van ban|quyet dinh|quy dinh|huong dan|nghi quyet|chi thi|ket luan|cong van|"
             r"ke hoach|quy che|thong tri|(?<!ky )luat|hien phap|nghi dinh|thong tu) "
             r"(?:nao|so may)\b|"
             r"\bwhich (?:regulation|decision|document|directive|resolution|law|guideline|"
             r"instruction|decree|constitution)\b", ""),
    ("deadline", r"\bbao lau\b|\bkhi nao\b|\bluc nao\b|\bthoi diem nao\b|\bbao nhieu ngay\b|"
                 r"\bmay ngay\b|\btruoc ngay nao\b|\bhang (?:thang|quy|nam) hay\b|"
                 r"\bdinh ky nao\b|\bhow often\b|\bhow long\b|\bby when\b|"
                 r"\bwithin how many\b|^when (?:is|are|was|were|must|should|do|does|did|will|"
                 r"can|shall|has|have)\b",
     r"\bthoi han\b|\bhan chot\b|\bcham nhat\b|\btruoc ngay\b|\bdinh ky\b|"
     r"\bdeadlines?\b|\bfrequency\b"),
    ("number", r"\bbao nhieu\b|\bmay (?:lan|nguoi|uy vien|chuong|dieu|bo|phan tram|nam|tuoi|"
               r"thang|chi bo|dang vien|cap)\b|\blan thu may\b|\b(?:do tuoi|trinh do|muc) nao\b|"
               r"\bhow many\b|\bhow much\b|\bwhat (?:share|proportion|rate|number|"
               r"percentage|minimum|age)\b",
     r"\bty le\b|\bti le\b|\bphan tram\b|\bpercentage\b|\bso luong\b"),
    ("person", r"\bai la (?:pho )?(?:bi thu|chu tich|truong ban|pho ban|giam doc|thu truong|"
               r"uy vien)\b|\b(?:pho )?(?:bi thu|chu tich|truong ban|pho ban|giam doc|"
               r"thu truong)(?: \w+){0,10} la ai\b|\b(?:dong chi|ong|ba) nao\b|\bwho is the\b",
     ""),
    ("who", r"(?:^|\s)ai(?:\s|$|\?)|\bnhung ai\b|\b(?:co quan|to chuc|ban|cap|don vi|nguoi|"
            r"bo phan|ca nhan|thanh phan) nao\b|\bwho\b|\bwhich (?:body|bodies|organ|"
            r"organization|organisation|agency|agencies|committee|commission|central body|"
            r"level|unit|official|person)\b|\bwhose\b|\bwhom\b", ""),
    ("open", r"\bnhu the nao\b|\bthe nao\b|\bra sao\b|\bla gi\b|\bvi sao\b|\btai sao\b|"
             r"\blam gi\b|\bgi\b|\bhow (?:should|do|does|did|can|is|are|to)\b|\bwhy\b", ""),
)


_ASKING = tuple((name, re.compile(_folded_pattern(asks)) if asks else None,
                 re.compile(_folded_pattern(cue)) if cue else None) for name, asks, cue in _ASKS)


# what answers each type (read on the sentence as written)
_W = r"[\wÀ-ỹ]+"


# Vietnamese capitals (the range À-Ỹ also holds small letters: đ, à, ...)
_UP = "A-Z" + "".join(ch for ch in map(chr, range(0xC0, 0x1EF9)) if ch.isupper())
_CAP = rf"[{_UP}][\wÀ-ỹ]*"  # a capitalized word


_BODY = (r"(?:HUYỆN|TỈNH|THÀNH|ĐẢNG) (?:ỦY|UỶ|BỘ)(?: [" + _UP + r"]+)*"
         r"|Ban(?:\s+" + _CAP + r")+|Bộ(?:\s+" + _CAP + r")+|[ỦU][yỷ] ban(?:\s+" + _W + r"){1,4}"
         r"|Đảng (?:đoàn|ủy|uỷ|bộ)(?:\s+" + _W + r"){0,4}|Văn phòng(?:\s+" + _W + r"){1,4}"
         r"|(?:Huyện|Tỉnh|Thành|Quận|Thị) [ủu][yỷ](?:\s+" + _CAP + r")*"
         r"|Quốc hội|Chính phủ|Công đoàn|Mặt trận(?:\s+" + _W + r"){0,4}"
         r"|(?:đồng chí|đ/c)\s+" + _CAP + r"(?:\s+" + _CAP + r")*"
         r"|(?i:(?:ban cán sự|ban chỉ đạo|ban thường vụ|ban chấp hành|thường trực|bí thư|"
         r"phó bí thư|chủ tịch|trưởng ban|thủ trưởng|người đứng đầu|cấp [ủu][yỷ]|chi bộ|"
         r"tổ chức đảng|cơ quan|đơn vị|bộ phận|giai cấp|công đoàn viên|đoàn viên|hội viên|"
         r"nhân dân|quần chúng|cán bộ|đảng viên)(?:\s+" + _W + r"){0,4})")


# a person: ``đồng chí Cao Quốc Điện``, or a name with a Vietnamese family name
_SURNAMES = ("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Đào "
             "Cao Lương Trương Mai Tô Hà Lâm Trịnh Đoàn Tạ Châu Quách Lưu Thái Kiều Văn Chu Triệu "
             "Tăng Lại Từ Hứa Khổng Phùng Vương Mạc La Thân Nông Lò Y").split()


_PERSON = (r"(?i:đồng chí|đ/c|ông|bà)\s+" + _CAP + r"(?:\s+" + _CAP + r")*"
           r"|\b(?:" + "|".join(_SURNAMES) + r")(?:\s+" + _CAP + r"){1,3}")


_DATE = (r"ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}|ngày\s+tháng\s+\d{1,2}\s+năm\s+\d{4}"
         r"|\b\d{1,2}\s*[/-]\s*\d{1,2}\s*[/-]\s*\d{4}\b")


_PERCENT = r"\d+(?:[.,]\d+)*\s*%(?:\s*[-–]\s*\d+(?:[.,]\d+)*\s*%)?"
_NUMBER = (_PERCENT + r"|(?<!\()\b\d+(?:[.,]\d+)*\b(?![)/]|\s*[/-]\s*[A-ZĐ])"
           r"|\b(?:một|hai|ba|bốn|tư|năm|sáu|bảy|tám|chín|mười|mươi|trăm|nghìn|ngàn|triệu)\s+"
           r"(?:người|lần|đồng chí|ủy viên|uỷ viên|chương|điều|năm|tháng|ngày|bộ|phần trăm|tuổi)\b"
           r"|trung học(?:\s+cơ sở|\s+phổ thông)?|đại học|cao đẳng|[IVXLC]{2,}\b")


_DEADLINE = (_TIME.pattern + r"|(?:trước|chậm nhất|hạn chót|đến|hết|từ)\s+(?:ngày|tháng|năm|quý)"
             r"\s+\d|\b\d+\s+(?:ngày|tháng|năm|tuần)(?:\s+làm việc)?\b"
             r"|(?:tại|vào)\s+thời điểm(?:\s+" + _W + r"){0,5}|khi\s+hết(?:\s+" + _W + r"){0,4}"
             r"|(?:sau|trước)\s+khi(?:\s+" + _W + r"){1,5}|kể từ(?:\s+" + _W + r"){1,5}"
             r"|hằng\s+(?:ngày|tuần|tháng|quý|năm)|hàng\s+(?:ngày|tuần|tháng|quý|năm)"
             r"|định kỳ|đột xuất|cuối\s+(?:năm|quý|tháng)|đầu\s+(?:năm|quý|tháng)|" + _DATE)


# the date line of a document's header: ``Hà Nội, ngày 04 tháng 03 năm 2013`` (the day may be
# left blank in a draft: ``Bình Dương, ngày   tháng 12 năm 2020``)
DATE_LINE = re.compile(r"^\s*[^\W\d][^,\n]{1,40},\s*ngày\s+(?:\d{1,2}\s+)?tháng\s+"
                       r"(?:\d{1,2}\s+)?năm\s+\d{4}", re.IGNORECASE)


TYPE_PATTERNS: dict[str, re.Pattern] = {
    "recipients": re.compile(r"Kính\s+gửi|Nơi\s+nhận", re.IGNORECASE),
    "deadline": re.compile(_DEADLINE, re.IGNORECASE),
    "number": re.compile(_NUMBER),
    "who": re.compile(_BODY),
    "person": re.compile(_PERSON),
    "date": re.compile(_DATE + r"|\bnăm\s+\d{4}\b", re.IGNORECASE),
    "code": re.compile(CODE_RE.pattern + r"|(?:Quyết định|Quy định|Nghị quyết|Chỉ thị|Hướng dẫn|"
                       r"Kết luận|Luật|Hiến pháp|Quy chế|Điều lệ)(?:\s+(?:số|" + _CAP + r"))"
                       r"{0,4}\s+[\w/.-]*\d|(?:Luật|Hiến pháp|Điều lệ)(?:\s+" + _CAP + r")+"),
}


# What a deadline or number question asks for exactly, when its words say so: a length of time
# (``bao lâu``, ``bao nhiêu ngày``: ``30 ngày``, not ``định kỳ hằng quý``), how often (``bao
# lâu một lần``, ``định kỳ nào``), a share (``bao nhiêu phần trăm``) or a count of something
# (``bao nhiêu đảng viên`` wants a figure before ``đảng viên``, not any figure near it).
_FREQUENCY_ASKS = re.compile(_folded_pattern(
    r"\bbao lau (?:mot|1) lan\b|\bdinh ky (?:bao lau|nao)\b|\bhow often\b|\bfrequency\b|"
    r"\bhang (?:ngay|tuan|thang|quy|nam) hay\b"))


_DURATION_ASKS = re.compile(
    r"\bbao lau\b|\bhow long\b|\b(?:bao nhieu|may) (ngay|tuan|thang|nam|gio)\b|"
    r"\b(?:within )?how many (day|week|month|year)s?\b")


_COUNT_ASKS = re.compile(r"\b(?:bao nhieu|may)\s+(\w+)")
_ENGLISH_UNITS = {"day": "ngày", "week": "tuần", "month": "tháng", "year": "năm"}


_FOLDED_UNITS = {"ngay": "ngày", "tuan": "tuần", "thang": "tháng", "nam": "năm", "gio": "giờ"}
_FIGURE = (r"(?:\d+(?:[.,]\d+)*|một|hai|ba|bốn|tư|năm|sáu|bảy|tám|chín|mười|mươi)"
           r"(?:\s*[-–]\s*\d+)?")


_FREQUENCY = re.compile(
    r"định kỳ|định kì|(?:hằng|hàng|mỗi)\s+(?:ngày|tuần|tháng|quý|năm)|\b\d+\s+tháng\b|"
    r"(?:một|1)\s+lần|thường xuyên|đột xuất", re.IGNORECASE)


_COUNTED = re.compile(r"(?<![(\w/])\d+(?:[.,/]\d+)*(?![)\w/])|(?<!\w)(?:một|hai|ba|bốn|tư|năm|sáu|"
                      r"bảy|tám|chín|mười|mươi)(?!\w)", re.IGNORECASE)


_REFERENCE_NUMBER = re.compile(r"\b(?:Điều|khoản|Khoản|điểm|Chương|Mục)\s+\d+\S*")


@dataclass(frozen=True)
class AnswerForm:
    """What exactly a deadline or number question asks for: ``duration`` (``unit``: the word of
    time it names, or any), ``frequency``, ``percent`` or ``count`` (``unit``: the first
    accent-free syllable of what is counted)."""

    kind: str
    unit: str | None = None


def answer_form(query: str) -> AnswerForm | None:
    """The :class:`AnswerForm` a question asks for, or None when it only asks its type."""
    folded = strip_accents(normalize(query))
    if _FREQUENCY_ASKS.search(folded):
        return AnswerForm("frequency")
    if m := _DURATION_ASKS.search(folded):
        unit = m.group(1) or m.group(2)
        return AnswerForm("duration", _FOLDED_UNITS.get(unit) or _ENGLISH_UNITS.get(unit))
    if (m := _COUNT_ASKS.search(folded)) and question_type(query) == "number":
        unit = m.group(1)
        if unit == "phan":
            return AnswerForm("percent")
        if unit not in QUESTION_WORDS and looks_vietnamese(unit):
            return AnswerForm("count", unit)
    return None


def _form_spans(form: AnswerForm, text: str):
    """The matches in ``text`` (codes, dates and article numbers blanked) of what ``form``
    asks for."""
    if form.kind == "frequency":  # a time expression naming a period
        yield from (m for m in TYPE_PATTERNS["deadline"].finditer(text)
                    if _FREQUENCY.search(m.group(0)))
    elif form.kind == "duration":
        unit = re.escape(form.unit) if form.unit else "ngày|tuần|tháng|năm|giờ"
        yield from re.finditer(rf"\b{_FIGURE}\s+(?:{unit})\b", text, re.IGNORECASE)
    elif form.kind == "percent":
        yield from re.finditer(_PERCENT + r"|\b\d+(?:[.,]\d+)*\s+phần trăm", text)
    else:
        for m in _COUNTED.finditer(text):
            rest = text[m.end():m.end() + 40]
            following = SYLLABLE.findall(strip_accents(normalize(rest)))
            if form.unit in following[:2] and not rest.lstrip().startswith("%"):
                yield m


def _blank(pattern: re.Pattern, text: str) -> str:
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def question_type(query: str) -> str | None:
    """What ``query`` asks for: ``signer``, ``date``, ``recipients``, ``code``, ``deadline``,
    ``number``, ``person`` (who holds a post), ``who`` (a body or person), or None (an open
    question: any sentence on its focus may answer)."""
    return _asked(query)[0]


def _asked(query: str) -> tuple[str | None, re.Match | None]:
    """The question's type and where in the accent-free question it is asked."""
    folded = strip_accents(normalize(query))
    for use in (1, 2):  # the question words first, then the pointers
        for name, asks, cue in _ASKING:
            pattern = asks if use == 1 else cue
            m = pattern.search(folded) if pattern is not None else None
            if m:
                return (None if name == "open" else name), m
    return None, None


def slot_units(query: str) -> set[str]:
    """The units of the words the question asks about, next to where it asks: ``ngày thành
    lập`` -> thành lập, ``thời hạn nộp`` -> nộp, ``… ban hành ngày nào`` -> ban hành, ``bao
    nhiêu phần trăm ngân sách`` -> ngân sách, ``kết nạp bao nhiêu đảng viên`` -> nạp: the event
    or quantity an answer must speak of."""
    kind, m = _asked(query)
    if kind is None or m is None:
        return set()
    folded = strip_accents(normalize(query))
    inside = [w for w in SYLLABLE.findall(m.group(0)) if w not in QUESTION_WORDS and len(w) > 1]
    after = [w for w in SYLLABLE.findall(folded[m.end():])
             if w not in QUESTION_WORDS and not w.isdigit()]
    before = [w for w in SYLLABLE.findall(folded[:m.start()]) if w not in QUESTION_WORDS][-1:]
    form = answer_form(query) if kind == "number" else None
    if form is not None and form.kind == "percent":
        after = after[2:]  # a share of what: ``bao nhiêu phần trăm ngân sách`` -> ngân sách
    elif form is not None and form.kind == "count" and before and not before[0].isdigit():
        after = []  # the figure stands before what is counted (the form): what is done to it
    return {w for w in inside or after[:1] or before if looks_vietnamese(w)}  # English: none


# a date question about a document (when it was issued, signed, drawn up), which its date line
# answers, rather than about an event (``ngày thành lập Đảng bộ tỉnh``)
_DOCUMENT_DATE = re.compile(_folded_pattern(
    r"\b(?:ban hanh|(?<!dinh )ky|(?<!thanh )lap|gui|issued|signed|dated|drawn up|written|sent|"
    r"quy dinh|quyet dinh|huong dan|cong van|ke hoach|chi thi|nghi quyet|ket luan|bao cao|"
    r"quy che|thong bao|chuong trinh|bang so sanh|van ban|regulation|decision|guideline|"
    r"letter|report|document|directive|resolution)\b"))


def asks_document_date(query: str) -> bool:
    """Whether a date question asks when a document was issued (its date line answers it)."""
    return bool(CODE_RE.search(query) or _DOCUMENT_DATE.search(strip_accents(normalize(query))))


def type_strength(kind: str | None, sentence: str, span: tuple[int, int] | None) -> float:
    """How fully ``sentence`` meets the question's type: 1; half as much for a date that is
    not a document's own date line (a question on when a document was issued wants that line,
    not the date of a document it cites); 0 when unmet."""
    if kind is None or span is None:
        return 0.0
    return 1.0 if kind != "date" or DATE_LINE.match(sentence) else 0.5


def type_span(kind: str | None, sentence: str, signer: str = "",
              asked: set[str] = frozenset(), document_date: bool = True,
              form: AnswerForm | None = None) -> tuple[int, int] | None:
    """Offsets in ``sentence`` of what a ``kind`` question asks for (the time expression, the
    figure, the body, the date, the code, a person's or the ``signer``'s name), the first one
    that says something the question does not (``asked``: the question's units); None when
    there is none.  A document's date line answers a date question only about a document
    (``document_date``: :func:`asks_document_date`); a deadline or number question that says
    what exactly it asks (``form``: :func:`answer_form`) is answered only by that."""
    if kind is None or (kind == "date" and not document_date and DATE_LINE.match(sentence)):
        return None
    if kind in ("signer", "person") and signer and (at := sentence.find(signer)) >= 0:
        return at, at + len(signer)
    if kind == "signer":
        return None
    if kind == "date" and (m := DATE_LINE.match(sentence)):
        return m.span()
    text = sentence
    if kind == "number" or form is not None:
        # figures inside codes, dates and article numbers are not the answer
        for pattern in (TYPE_PATTERNS["code"], TYPE_PATTERNS["date"], _REFERENCE_NUMBER):
            text = _blank(pattern, text)
    if form is not None:
        matches = _form_spans(form, sentence if form.kind == "frequency" else text)
    else:
        patterns = [TYPE_PATTERNS[kind]]
        if kind == "number":  # a percentage before any other figure
            patterns.insert(0, re.compile(_PERCENT))
        matches = (m for pattern in patterns for m in pattern.finditer(text))
    for m in matches:
        if not units_of(m.group(0)) <= asked:
            return m.span()
    return None


# accent-free syllables that ask rather than tell (and the glue around them)
QUESTION_WORDS = frozenset("""
ai gi nao bao nhieu may la cua co duoc khong theo thi va cac nhung cho ve trong voi khi da se
hay hoac nhu the dau lau nay do tai o den tu mot nhat phai can nguoi muc nhieu it toi thieu
hoi sao vi ra lam gom nam ngay thang quy han thoi dinh ky chot cham truoc sau luc diem
what which who whom whose when where how why is are was were the a an of to in for on by
do does did must should can may be with from at as that this it its their his her
""".split())


def units_of(text: str) -> set[str]:
    """Accent-free syllables and adjacent pairs of ``text``."""
    words = [strip_accents(w) for w in SYLLABLE.findall(normalize(text))]
    return set(words) | {f"{a}_{b}" for a, b in zip(words, words[1:])}
