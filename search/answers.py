"""Answers inside the passages: the answering sentence, obligations, and when to abstain.

Three pieces, each plain text processing over the hits :class:`search.Searcher` found:

- :func:`best_sentence` scores every sentence of a passage against the question: the query's
  syllables and syllable pairs it shares, weighted by idf, plus a bonus when the sentence has
  what the question asks for (a period or deadline for ``định kỳ bao lâu`` / ``how often``, a
  recipient for ``báo cáo cho ai``, the date line for ``ngày nào``, the signer for ``ai ký``…).
- :func:`extract_obligations` reads a passage for duties: who must do what, how often or by
  when, and to whom (``Định kỳ hàng quý, … chi bộ trực thuộc báo cáo Huyện ủy …``).
- :func:`coverage` measures how well the best hits cover the question; under
  :data:`ABSTAIN_SCORE` (and with a weak dense match) the answer is
  :data:`NO_EVIDENCE` instead of a ranking of noise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from index.text import has_diacritics, normalize, strip_accents

NO_EVIDENCE = "Không tìm thấy căn cứ trong các văn bản đã lập chỉ mục"

# --- sentences ------------------------------------------------------------------------------

# a sentence ends at . ! ? ; followed by a space or a line end (not inside 5.784 or 4/2017),
# and at every line end (header lines, list items)
def _sentence_pattern(ends: str) -> re.Pattern:
    """Sentences ending at one of ``ends`` followed by a space or a line end, and at line ends."""
    e = re.escape(ends)
    return re.compile(rf"(?:[^{e}\n]|[{e}]+(?=[^\s{e}]))+(?:[{e}]+|$)", re.MULTILINE)


_SENTENCE = _sentence_pattern(".!?;")
SYLLABLE = re.compile(r"[^\W_]+")


# words a line cannot end a sentence with: ``… ngày 28/12/2018 của`` / ``Ban Bí thư về việc …``
_GLUE = frozenset("của và về với các những cho theo tại số ngày trong từ đến hoặc là được bị "
                  "do để mà thì như trên dưới ban".split())


def _continues(previous: str, line: str) -> bool:
    """Whether ``line`` goes on the sentence ``previous`` broke off: it starts in lower case
    after a line that ends without punctuation (``Hà Nội, ngày 20`` / ``tháng 01 năm 2025``),
    or ``previous`` ends with a word no sentence ends with (``của``, ``về``, ``số``)."""
    previous = previous.rstrip()
    if not previous or previous.endswith(tuple(".;:!?")) or \
            line.lstrip().startswith(("-", "+", "*", "•")):
        return False
    words = previous.split()
    return line[:1].islower() or (len(words) > 2 and words[-1].lower() in _GLUE)


def sentences(text: str) -> list[tuple[int, int]]:
    """Offsets of the sentences of ``text`` (leading spaces left out, very short ones too).
    A line broken by a web page's layout goes on the same sentence (:func:`_continues`)."""
    out: list[tuple[int, int]] = []
    for m in _SENTENCE.finditer(text):
        sentence = m.group(0)
        lead = len(sentence) - len(sentence.lstrip())
        start = m.start() + lead
        if out and "\n" in text[out[-1][1]:start] and _continues(text[out[-1][0]:out[-1][1]],
                                                               text[start:m.end()]):
            out[-1] = (out[-1][0], m.end())
        elif len(sentence.strip()) >= 3:
            out.append((start, m.end()))
    return out


def _units(text: str, accented: bool) -> dict[str, str]:
    """Syllables and pairs of adjacent syllables of ``text``, mapped to their accent-free form
    (the form the idf is looked up under).  Accents are kept for matching when ``accented``."""
    words = SYLLABLE.findall(normalize(text))
    folded = [strip_accents(w) for w in words]
    shown = words if accented else folded
    units = dict(zip(shown, folded))
    units.update((f"{a}_{b}", f"{fa}_{fb}") for a, b, fa, fb
                 in zip(shown, shown[1:], folded, folded[1:]))
    return units


# --- what a question asks for -----------------------------------------------------------------

_TIME = re.compile(
    r"(?:định kỳ|đinh kỳ)(?:\s+(?:hằng|hàng|mỗi)\s+(?:ngày|tuần|tháng|quý|năm)|\s+\d+\s+tháng)?"
    r"(?:\s*,\s*(?:0?\d+\s+tháng|một năm|1 năm|hằng năm|hàng năm|cuối năm))*"
    r"|(?:hằng|hàng|mỗi)\s+(?:ngày|tuần|tháng|quý|năm)"
    r"(?:\s*,\s*(?:0?\d+\s+tháng|một năm|1 năm))*"
    r"|\b0?6\s+tháng(?:\s+đầu năm)?(?:\s*,\s*(?:một|1)\s+năm)?"
    r"|thường xuyên"
    r"|từ\s+(?:tháng|ngày)\s+\d{1,2}(?:/\d{1,2}/\d{4}|/\d{4}|/\d{1,2})?(?:\s+năm\s+\d{4})?"
    r"|(?:trước|chậm nhất|muộn nhất|hạn chót)(?:\s+là)?(?:\s+vào)?\s+ngày\s+\d{1,2}"
    r"(?:[/-]\d{1,2}(?:[/-]\d{4})?|\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?)"
    r"|trong\s+(?:thời hạn|vòng)\s+\d+\s+(?:ngày|tháng)(?:\s+làm việc)?"
    r"|đúng\s+(?:thời gian|thời hạn)(?:\s+quy định)?",
    re.IGNORECASE)
_REPORT = re.compile(r"\b(?:báo cáo(?!\s+viên)|gửi)\b", re.IGNORECASE)
_DATE_LINE = re.compile(r"ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}", re.IGNORECASE)

# (asks, has): a question matching ``asks`` favours sentences matching ``has``
_INTENTS: dict[str, tuple[re.Pattern, re.Pattern | None]] = {
    "period": (re.compile(r"định kỳ|dinh ky|bao lâu|bao lau|thời hạn|thoi han|khi nào|khi nao|"
                          r"từ (?:tháng|ngày) nào|tu thang nao|hạn chót|hằng (?:tháng|quý|năm)|"
                          r"how often|deadline|when|by when|frequency|how frequently|period",
                          re.IGNORECASE), _TIME),
    "recipient": (re.compile(r"cho ai|về đâu|ve dau|lên đâu|len dau|gửi đâu|gui dau|cho cơ quan "
                             r"nào|báo cáo ai|to whom|report to|who receives|submitted to|sent to "
                             r"whom", re.IGNORECASE),
                  re.compile(r"(?:báo cáo|gửi)(?:\s+kết quả)?(?:\s+về|\s+lên|\s+cho)?\s+"
                             r"(?:Ban|Huyện ủy|Tỉnh ủy|Thành ủy|Đảng ủy|Thường trực|cấp trên)",
                             re.IGNORECASE)),
    "date": (re.compile(r"ngày nào|ngay nao|ngày tháng năm|ngay thang nam|ban hành khi|"
                        r"what date|which date|when was .* (?:issued|signed)|dated", re.IGNORECASE),
             _DATE_LINE),
    "signer": (re.compile(r"ai ký|ai ky|người ký|nguoi ky|ký bởi|who signed|signed by|signer",
                          re.IGNORECASE), None),
    "recipients": (re.compile(r"gửi (?:đến |tới |cho )?(?:những )?ai|gui (?:den |toi )?(?:nhung )?"
                              r"ai|kính gửi|kinh gui|addressed to|sent to|recipients",
                              re.IGNORECASE), re.compile(r"^\s*Kính gửi", re.IGNORECASE)),
    "subject": (re.compile(r"về việc gì|ve viec gi|v/v|trích yếu|trich yeu|what is .* about|"
                           r"subject", re.IGNORECASE), re.compile(r"^\s*(?:V/v|Về việc|Vì)\s",
                                                                  re.IGNORECASE)),
}
_CUE_BONUS = 0.6  # share of the best lexical score a matching sentence gains


def intents(query: str) -> list[str]:
    """What ``query`` asks for, among :data:`_INTENTS` (``period``, ``recipient``, …)."""
    return [name for name, (asks, _) in _INTENTS.items() if asks.search(query)]


def best_sentence(text: str, query: str, idf: Callable[[str], float],
                  signer: str = "") -> tuple[int, int] | None:
    """Offsets (in ``text``) of the sentence that best answers ``query``: shared query
    syllables and syllable pairs weighted by ``idf`` of their accent-free form, plus a bonus
    for the sentences that hold what the question asks for; None when nothing is shared."""
    accented = has_diacritics(query)
    wanted = _units(query, accented)
    asked = intents(query)
    spans = sentences(text)
    lexical = []
    for s, e in spans:
        shared = wanted.keys() & _units(text[s:e], accented).keys()
        lexical.append(sum(idf(wanted[u]) for u in shared) / (1 + 0.001 * (e - s)))
    top = max(lexical, default=0.0)
    best, best_score = None, 0.0
    for (s, e), score in zip(spans, lexical):
        sentence = text[s:e]
        for name in asked:
            has = _INTENTS[name][1]
            if (has is not None and has.search(sentence)) or (
                    name == "signer" and signer and sentence.strip() == signer):
                score += _CUE_BONUS * max(top, 1.0)
                break
        if score > best_score:
            best, best_score = (s, e), score
    return best


# --- obligations ------------------------------------------------------------------------------

_ACTOR = re.compile(r"cấp ủy|cấp uỷ|chi bộ|đảng ủy|đảng uỷ|đảng bộ|bí thư|Ban\s|Huyện ủy|Tỉnh ủy|"
                    r"Thành ủy|đảng viên|cơ quan|đơn vị|người đứng đầu|thủ trưởng|UBND|Ủy ban|"
                    r"tổ chức đảng|tổ chức cơ sở đảng|Mặt trận|đoàn thể|báo cáo viên",
                    re.IGNORECASE)
_DUTY = re.compile(r"\b(?:phải|có trách nhiệm|cần|chịu trách nhiệm)\b|(?=\bbáo cáo\b(?!\s+viên))|"
                   r"(?=\bgửi\b)|(?=\btham mưu\b)", re.IGNORECASE)
_ASSIGN = re.compile(r"\b(?:đề nghị|yêu cầu|giao|giao cho|chỉ đạo)\s+", re.IGNORECASE)
_NAME_HEAD = re.compile(r"(?:Ban|Huyện ủy|Huyện uỷ|Tỉnh ủy|Tỉnh uỷ|Thành ủy|Đảng ủy|Thường trực|"
                        r"Ủy ban|UBND|cấp ủy cấp trên|cấp trên)\b")
_NAME_TAIL = {"ủy", "uỷ", "khối", "vụ", "trực", "giáo", "chức", "tra", "vận", "huyện", "tỉnh",
              "xã", "thị", "trấn", "nhân", "dân", "các", "cơ", "quan", "trên"}
_GIVEN_TO = re.compile(r"^\s*(?:Giao(?:\s+cho)?|Đề nghị|Yêu cầu)\s+(?=[A-ZĐÀ-Ỹ])")
_VIA = re.compile(r"\(?\s*(?:thông qua|qua)\s+(?=Ban|Văn phòng|Ủy ban)", re.IGNORECASE)


@dataclass(frozen=True)
class Obligation:
    """A duty read from one sentence: who, what, how often / by when, to whom."""

    who: str
    action: str
    when: list[str]
    to: str = ""
    via: str = ""
    sentence: str = ""
    start: int = 0  # offsets of the sentence in the document
    end: int = 0
    doc_id: str = ""
    citation: str = ""
    is_report: bool = False
    tags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _name_at(text: str, pos: int) -> str:
    """The body's name starting at ``pos`` (``Ban Thường vụ Đảng ủy khối``): capitalised
    words and the lower-case words that belong in such names, up to a punctuation mark."""
    words = []
    for m in re.finditer(r"\S+", text[pos:pos + 120]):
        word = m.group(0)
        if words and word.startswith(("(", "*")):
            break
        bare = re.split(r"[(),;:.*/]", word.lstrip("(*"))[0]
        if not bare or (words and not (bare[0].isupper() or bare.lower() in _NAME_TAIL)):
            break
        words.append(bare)
        if bare != word:
            break
    while words and words[-1].lower() in {"các", "cơ", "quan"}:
        words.pop()
    return " ".join(words)


def _recipient(sentence: str) -> tuple[str, str]:
    """(to, via) of a reporting sentence: ``báo cáo về Ban Thường vụ Huyện thông qua Ban
    Tuyên giáo Huyện ủy`` -> (``Ban Thường vụ Huyện``, ``Ban Tuyên giáo Huyện ủy``)."""
    to = via = ""
    for m in re.finditer(r"(?:báo cáo|gửi)(?:\s+kết quả)?(?:\s+(?:về|lên|cho))?\s+", sentence,
                         re.IGNORECASE):
        head = _NAME_HEAD.match(sentence, m.end())
        if head:
            to = _name_at(sentence, m.end())
            break
    if to and (m := _VIA.search(sentence)):
        via = _name_at(sentence, m.end())
    return to, via


def _clean_actor(text: str) -> str:
    text = _TIME.sub(" ", text)
    text = re.sub(r"[*()]+", " ", text)
    text = re.sub(r"^[\s,;:\-–]+|[\s,;:\-–]+$", "", " ".join(text.split()))
    text = re.sub(r"\s+(?:quan tâm|tiếp tục|triển khai|thực hiện|và)(?:\s.*)?$", "", text)
    text = re.sub(r"\s+(?:phải|cần|có trách nhiệm|chịu trách nhiệm)$", "", text)
    if m := _ACTOR.search(text):  # ``Sau triển khai, quán triệt, các cấp ủy cơ sở``
        lead = text[:m.start()]
        if "," in lead and re.match(r"(?:Sau|Trước|Khi|Để|Trong|Từ|Qua)\s", lead):
            text = text[lead.rindex(",") + 1:].strip()
    return text


def _who(sentence: str, duty_at: int, default: str) -> str:
    before = sentence[:duty_at]
    if m := list(_ASSIGN.finditer(before)):
        before = before[m[-1].end():]
    if m := list(re.finditer(r"[.;:]\s", before)):
        before = before[m[-1].end():]
    actor = _clean_actor(before)
    if actor and _ACTOR.search(actor) and len(actor.split()) <= 14:
        return actor
    return default


def extract_obligations(text: str, offset: int = 0, default_who: str = "") -> list[Obligation]:
    """Duties in ``text`` (a passage starting at ``offset`` in its document): sentences with a
    period or deadline (``định kỳ hằng quý``, ``thường xuyên``, ``từ tháng 4/2017``, ``trước
    ngày …``, ``đúng thời gian quy định``) and a duty (``phải``, ``báo cáo``, ``có trách nhiệm``
    …).  ``default_who`` (the section's heading or the letter's addressees) stands in when
    the sentence names nobody."""
    out = []
    assigned = ""  # ``Giao Ban Tuyên giáo …``: the body the next sentences speak of
    for s, e in _obligation_sentences(text):
        sentence = text[s:e]
        if m := _GIVEN_TO.match(sentence):
            assigned = _name_at(sentence, m.end()) or assigned
        when = [" ".join(m.group(0).split()) for m in _TIME.finditer(sentence)]
        duty = _DUTY.search(sentence)
        if not when or not duty:
            continue
        report = _REPORT.search(sentence)
        anchor = report if report else duty
        to, via = _recipient(sentence) if report else ("", "")
        action = clean_action(sentence[anchor.start():])
        out.append(Obligation(
            who=_who(sentence, anchor.start(), assigned or default_who), action=action,
            when=list(dict.fromkeys(when)), to=to, via=via, sentence=sentence.strip(),
            start=offset + s, end=offset + e, is_report=bool(report),
        ))
    return out


ACTION_CHARS = 240


def clean_action(text: str) -> str:
    """What a duty asks, as shown in the table: without the trailing bold note
    (``(**Thực hiện thường xuyên**)``), the closing mark of a letter and what a web page left
    after it (``./.*bx*``), markdown asterisks and line breaks; a long one is cut at a word,
    with an ellipsis."""
    text = re.sub(r"\s*\(\*\*.*$", "", text.strip(), flags=re.DOTALL)
    text = re.sub(r"\s*\.?/\.\S*$", "", text)
    text = " ".join(text.replace("*", "").split())
    text = re.sub(r"\s*[.;]+$", "", text)
    if len(text) > ACTION_CHARS:
        cut = text.rfind(" ", 0, ACTION_CHARS)
        text = text[:cut if cut > 0 else ACTION_CHARS].rstrip(" ,;:") + "…"
    return text


_OBLIGATION_SENTENCE = _sentence_pattern(".!?")


def _obligation_sentences(text: str) -> list[tuple[int, int]]:
    """Sentences for obligations: like :func:`sentences` but a ``;`` does not end one (the
    recipient often follows the period: ``Định kỳ 6 tháng …; báo cáo về …``), and a trailing
    ``(**Thực hiện từ tháng 4/2017**)`` note stays with its sentence."""
    out = []
    for m in _OBLIGATION_SENTENCE.finditer(text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        if out and (re.match(r"^\(?\*\*", text[s:e]) or (
                text[s:s + 1].islower() and text[out[-1][1] - 1] not in ".!?:")):
            out[-1] = (out[-1][0], e)  # a note in bold, or a sentence cut by a page break
            continue
        if e - s >= 3:
            out.append((s, e))
    return out


_REPORTING_QUESTION = re.compile(r"báo cáo|bao cao|report|reporting", re.IGNORECASE)
_OBLIGATION_QUESTION = re.compile(
    r"thời hạn|thoi han|định kỳ|dinh ky|bao lâu|bao lau|nghĩa vụ|trách nhiệm|phải làm|"
    r"deadline|how often|obligation|must|duty|duties|required to|responsib", re.IGNORECASE)


def asks_for_obligations(query: str) -> bool:
    """A question about duties, periods or deadlines (``thời hạn báo cáo của chi bộ``,
    ``what are the reporting deadlines for chi bộ?``)."""
    return bool(_OBLIGATION_QUESTION.search(query))


def asks_about_reports(query: str) -> bool:
    return bool(_REPORTING_QUESTION.search(query))


# --- evidence ------------------------------------------------------------------------------------

ABSTAIN_SCORE = 0.45  # evidence score (syllable + pair coverage, 0..2) under which to abstain
ABSTAIN_DENSE = 0.85  # ... unless the best dense match (e5-small cosine) is at least this


def coverage(query: str, texts: list[str], idf: Callable[[str], float],
             unknown_missing: bool = True) -> float:
    """Evidence score of ``texts`` for ``query``, from 0 to 2: the share of the idf mass of
    the query's accent-free syllables found in the best text, plus the same share for its
    syllable pairs.  With ``unknown_missing``, units the index has never seen count as
    missing (syllables weigh 2, pairs 2); otherwise they are left out.  Off-topic questions
    share a few common syllables with the corpus but hardly any pairs."""
    wanted = _units(query, accented=False)
    weights: dict[str, float] = {}
    for unit in wanted:
        w = idf(unit)
        if w > 0:
            weights[unit] = w
        elif unknown_missing and not unit.isdigit():
            weights[unit] = 2.0
    found = [_units(text, accented=False) for text in texts]
    score = 0.0
    for is_pair in (False, True):
        part = {u: w for u, w in weights.items() if ("_" in u) == is_pair}
        total = sum(part.values())
        if total:
            score += max((sum(w for u, w in part.items() if u in present) / total
                          for present in found), default=0.0)
    return score
