"""Does this sentence answer this question?  The question's type, focus and asked-about words,
the features of a candidate sentence, the rules it must meet, and the two fitted models.

A question is read for (:func:`question_type`, :func:`focus_words`, :func:`slot_units`):

- its **type**: a deadline or period, a number, a body, a person, a date, the signer, the
  addressees, a document (*which regulation*) - each needs its own kind of expression in the
  answering sentence (:data:`TYPE_PATTERNS`; :func:`type_span` finds it, so it can be marked);
- its **focus**: its content words (compounds whole), weighted by how telling they are in
  ordinary administrative Vietnamese (:class:`ReferenceWeights`), question words left out;
- its **slot**: the words next to where it asks (*ngày **thành lập***, *thời hạn **nộp***).

:func:`candidate_features` describes one candidate sentence; :func:`meets_type` and
:func:`eligible` are the rules; :class:`AnswerabilityModel` holds the weights fitted by
``python -m eval fit-answers`` (:mod:`eval.fit`), stored as plain JSON in
``answerability.json`` beside this file: a ranker of the sentences and the probability that
the best of them answers.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from index.text import (
    CODE_RE,
    has_diacritics,
    looks_vietnamese,
    normalize,
    strip_accents,
)

from .answers import _TIME, SYLLABLE

WEIGHTS_FILE = Path(__file__).with_name("answerability.json")
REFERENCE_FILE = Path(__file__).with_name("reference_idf.tsv")  # see eval/reference.py

# --- question types ------------------------------------------------------------------------------

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


# --- focus ---------------------------------------------------------------------------------------

# accent-free syllables that ask rather than tell (and the glue around them)
QUESTION_WORDS = frozenset("""
ai gi nao bao nhieu may la cua co duoc khong theo thi va cac nhung cho ve trong voi khi da se
hay hoac nhu the dau lau nay do tai o den tu mot nhat phai can nguoi muc nhieu it toi thieu
hoi sao vi ra lam gom nam ngay thang quy han thoi dinh ky chot cham truoc sau luc diem
what which who whom whose when where how why is are was were the a an of to in for on by
do does did must should can may be with from at as that this it its their his her
""".split())


class ReferenceWeights:
    """How telling each word is in ordinary administrative and legal Vietnamese: its idf over
    the articles of 208 laws (``reference_idf.tsv``, made by ``python -m eval reference-idf``);
    a word the laws never use weighs as the rarest one."""

    def __init__(self, path: Path = REFERENCE_FILE):
        self.idf: dict[str, float] = {}
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise ValueError(f"{path}: reference word weights missing; rebuild them with "
                             "`python -m eval reference-idf`") from None
        for lineno, line in enumerate(lines, 1):
            if not line or line.startswith("#"):
                continue
            word, sep, value = line.partition("\t")
            try:
                self.idf[word] = float(value)
            except ValueError:
                raise ValueError(f"{path}:{lineno}: expected WORD<TAB>IDF, got {line!r}; "
                                 "rebuild with `python -m eval reference-idf`") from None
        self.max = max(self.idf.values(), default=1.0)

    def __contains__(self, word: str) -> bool:
        return word in self.idf

    def __call__(self, word: str) -> float:
        """The idf of ``word`` (accent-free, syllables joined by spaces); for a compound the
        laws never use, that of its most telling part they do use (``tuyen giao huyen`` as
        ``tuyen giao``), else the largest (``dang phi``)."""
        if word in self.idf:
            return self.idf[word]
        parts = word.split()
        known = [self.idf[" ".join(parts[i:i + n])] for n in (2, 3) for i in range(len(parts))
                 if len(parts) > n and " ".join(parts[i:i + n]) in self.idf]
        return max(known, default=self.max)


@lru_cache(maxsize=1)
def reference_weights() -> ReferenceWeights:
    return ReferenceWeights()


@dataclass(frozen=True)
class FocusWord:
    """A content word of the question: its accent-free units (the syllable of a one-syllable
    word, the adjacent pairs of a compound), its weight (how telling it is in ordinary text)
    and whether the index has ever seen it."""

    text: str
    units: frozenset
    weight: float
    seen: bool = True

    def found_in(self, units: set[str]) -> bool:
        return self.units <= units


def _word_units(folded: list[str]) -> frozenset:
    """The units of one word: its syllable, or the adjacent pairs of a compound."""
    if len(folded) == 1:
        return frozenset(folded)
    return frozenset(f"{a}_{b}" for a, b in zip(folded, folded[1:]))


def focus_words(words: list[list[str]], idf: Callable[[str], float],
                reference: ReferenceWeights, split_unseen: bool = False,
                drop_unseen: bool = False, drop_unseen_unmarked: bool = False
                ) -> list[FocusWord]:
    """The question's focus from its words (each a list of syllables, as segmented, case
    kept): question words, numbers and one-letter syllables left out, a compound kept whole
    (``đảng phí``) unless it is a misjoined name (capitalized, seen neither in the index nor
    in the reference: ``ủy Giồng``).  ``idf`` tells whether the index has seen a unit.
    ``split_unseen`` reads every compound the index has not seen as its syllables (text typed
    without marks segments poorly); ``drop_unseen`` leaves out the words the index has not
    seen (the English words of an English question), ``drop_unseen_unmarked`` those of them
    typed without marks (English words in a Vietnamese question)."""
    def seen(units) -> bool:
        return all(idf(u) > 0 for u in units)

    pieces: list[list[str]] = []
    for word in words:
        folded = [strip_accents(normalize(w)) for w in word]
        if len(word) > 1 and not seen(_word_units(folded)) and (
                split_unseen or (" ".join(folded) not in reference
                                 and any(w[:1].isupper() for w in word))):
            pieces.extend([w] for w in word)
        else:
            pieces.append(word)
    out: dict[frozenset, FocusWord] = {}
    for word in pieces:
        folded = [strip_accents(normalize(w)) for w in word]
        if all(w in QUESTION_WORDS or w.isdigit() or len(w) < 2 for w in folded):
            continue  # ``bao nhiêu``, ``thời hạn``, ``là``: what is asked, not what about
        units = _word_units(folded)
        known = seen(units)
        if not known and (drop_unseen or (drop_unseen_unmarked
                                          and not has_diacritics(" ".join(word)))):
            continue
        weight = reference(" ".join(folded))
        out.setdefault(units, FocusWord(" ".join(word), units, weight, known))
    return list(out.values())


def units_of(text: str) -> set[str]:
    """Accent-free syllables and adjacent pairs of ``text``."""
    words = [strip_accents(w) for w in SYLLABLE.findall(normalize(text))]
    return set(words) | {f"{a}_{b}" for a, b in zip(words, words[1:])}


def share(focus: list[FocusWord], present: set[str]) -> float:
    """The weighted share of the ``focus`` words found in ``present`` (1 with no focus)."""
    total = sum(w.weight for w in focus)
    return sum(w.weight for w in focus if w.found_in(present)) / total if total else 1.0


def rarest_missing(focus: list[FocusWord], present: set[str], top: float) -> float:
    """Weight of the most telling focus word missing from ``present``, over ``top``."""
    return max((w.weight for w in focus if not w.found_in(present)), default=0.0) / top


TELLING = 3.0  # reference idf from which a missing word counts (a word in under 1 article in 20)


# --- features and models -------------------------------------------------------------------------

# a candidate sentence: how likely it is the one holding the answer
SENTENCE_FEATURES = ("focus_sentence", "focus_passage", "type_met", "cosine", "cosine_best_gap",
                     "lexical_best_gap", "reciprocal_rank", "english_cosine", "named_document",
                     "slot")
# the best candidate of a question: is it an answer at all
ANSWER_FEATURES = ("sentence_logit", "focus_sentence", "focus_window", "focus_passage",
                   "rarest_missing", "cosine_z", "missing_words", "unseen_words", "type_asked",
                   "type_met", "type_and_focus", "cosine", "passage_cosine", "english",
                   "english_cosine", "named_document", "slot")


@dataclass
class Candidate:
    """One sentence of one hit that may answer the question, with its features."""

    hit_index: int
    start: int  # offsets in the hit's text
    end: int
    features: dict
    probability: float = 0.0  # of holding the answer, among the question's sentences
    span: tuple[int, int] | None = None  # offsets in the sentence of what the type asks for


def candidate_features(focus: list[FocusWord], slot: set[str], sentence_units: set[str],
                       window_units: set[str],
                       passage_units: set[str], kind: str | None, strength: float,
                       cosine: float, best_cosine: float, cosine_z: float, passage_cosine: float,
                       lexical: float, best_lexical: float, rank: int,
                       english: float, named: float, says_more: bool = True,
                       terms: list[FocusWord] = ()) -> dict:
    """The features of one candidate sentence (both models read from them); ``slot`` the
    units the question asks about (:func:`slot_units`), looked for in the sentence and its
    neighbours; ``named`` is 1 when the sentence is in a document the question names, 0 when
    it names others, 0.5 when it names none; ``says_more`` whether the sentence says anything
    the question does not; ``terms`` those its passage must hold (an English question's telling
    glossary terms)."""
    focus_sentence = share(focus, sentence_units)
    missing = [w for w in focus if not w.found_in(passage_units) and w.weight >= TELLING]
    return {
        "focus_sentence": focus_sentence,
        "focus_window": share(focus, window_units),
        "focus_passage": share(focus, passage_units),
        "rarest_missing": rarest_missing(focus, passage_units, reference_weights().max),
        "missing_words": math.log1p(len(missing)),
        "unseen_words": math.log1p(sum(not w.seen for w in focus)),
        "type_asked": float(kind is not None),
        "type_met": strength,
        "type_and_focus": strength * focus_sentence,
        "cosine": cosine,
        "cosine_best_gap": cosine - best_cosine,
        "cosine_z": cosine_z,
        "passage_cosine": passage_cosine,
        "lexical_best_gap": (lexical - best_lexical) / best_lexical if best_lexical else 0.0,
        "reciprocal_rank": 1.0 / rank,
        "english": english,
        "english_cosine": english * cosine,
        "named_document": named,
        "slot": len(slot & window_units) / len(slot) if slot else 1.0,
        "says_more": float(says_more),  # not model features: what :func:`admissible` reads
        "term_missing": float(any(not w.found_in(passage_units) for w in terms)),
        "kind": kind,  # not a model feature: what :func:`meets_type` reads
    }


class Logistic:
    """``σ(b + Σ wᵢ (xᵢ − μᵢ) / sᵢ)`` over named features, from plain JSON weights."""

    def __init__(self, names: tuple[str, ...], weights: dict, what: str):
        missing = [f for f in names if f not in weights.get("coef", {})]
        if missing:
            raise ValueError(f"answerability weights ({what}) lack {', '.join(missing)}; re-fit "
                             "them with `python -m eval fit-answers`")
        self.names = names
        self.coef = weights["coef"]
        self.mean = weights["mean"]
        self.scale = weights["scale"]
        self.intercept = float(weights["intercept"])

    def logit(self, features: dict) -> float:
        return self.intercept + sum(
            self.coef[f] * (features[f] - self.mean[f]) / (self.scale[f] or 1.0)
            for f in self.names)

    def probability(self, features: dict) -> float:
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, self.logit(features)))))


class AnswerabilityModel:
    """The two fitted models: ``sentence`` ranks a question's candidate sentences, ``answer``
    says whether the best of them answers it; an answer is shown at or above ``threshold``."""

    def __init__(self, weights: dict):
        try:
            self.sentence = Logistic(SENTENCE_FEATURES, weights["sentence"], "sentence")
            self.answer = Logistic(ANSWER_FEATURES, weights["answer"], "answer")
            self.threshold = float(weights["threshold"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"answerability weights without {exc}; re-fit them with "
                             "`python -m eval fit-answers`") from None
        self.fitted = weights.get("fitted", {})

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> AnswerabilityModel:
        try:
            return cls(json.loads(Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise ValueError(f"{path}: answerability weights missing; fit them with "
                             "`python -m eval fit-answers`") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc}); re-fit with "
                             "`python -m eval fit-answers`") from None

    def rank(self, candidates: list[Candidate]) -> Candidate | None:
        """The best of ``candidates`` by the sentence model, among the :func:`eligible` ones;
        None when there are none."""
        for c in candidates:
            c.probability = self.sentence.probability(c.features)
        allowed = [candidates[i] for i in eligible([c.features for c in candidates])]
        return max(allowed, key=lambda c: (c.probability, -c.hit_index, -c.start), default=None)

    def answerability(self, features: dict) -> float:
        """The probability that the top-ranked candidate (its ``features``) answers the
        question; 0 when it breaks the rules of :func:`meets_type`."""
        if not meets_type(features):
            return 0.0
        return self.answer.probability(answer_features(features, self.sentence))


SLOT_SHARE = 0.5  # of the words the question asks about, in the sentence or its neighbours


def meets_type(features: dict) -> bool:
    """Whether a candidate says something the question does not and what its type asks for
    (always, untyped), next to the words the question asks about (:func:`slot_units`:
    ``ngày thành lập`` is not answered by a sentence with a date and no founding), unless the
    line itself is what was asked (a document's date line, its signature, its addressees)."""
    if not admissible(features):
        return False
    if not features["type_asked"]:
        return True
    if features["type_met"] <= 0:
        return False
    own_line = features["kind"] in ("signer", "recipients") or (
        features["kind"] == "date" and features["type_met"] == 1.0)
    return own_line or features["slot"] >= SLOT_SHARE


def admissible(features: dict) -> bool:
    """A candidate that says something the question does not, in a passage holding the
    question's required terms (an English question's telling glossary terms)."""
    return bool(features["says_more"]) and not features["term_missing"]


def eligible(features: list[dict]) -> list[int]:
    """Which candidates (by their features) may answer: those saying something the question
    does not (and, for an English question, in a passage holding its telling terms); among
    them, those in a document the question names, when any is (*Theo Quy định 24…* is
    answered from Quy định 24, not from the regulation it replaced); among them, those that
    meet the question's type as fully as any does (a deadline question is answered by a
    sentence with a time expression, a date question by a document's date line before any
    other date)."""
    pool = [i for i, f in enumerate(features) if admissible(f)]
    keep = [i for i in pool if features[i]["named_document"] == 1.0] or pool
    top = max((features[i]["type_met"] for i in keep), default=0.0)
    return [i for i in keep if features[i]["type_met"] == top]


def answer_features(features: dict, sentence: Logistic) -> dict:
    """What the answer model reads of the best candidate: its features and its ranker score."""
    return {**features, "sentence_logit": sentence.logit(features)}
