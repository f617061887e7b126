"""What the app's page says and keeps beyond Streamlit's calls: searches as links, the reason
for a hit in words, and the page in Vietnamese.

- **Links.**  A search is its address: ``/?q=thời+hạn+báo+cáo&mode=bm25&doc_type=Công+văn
  &year=2017-2019``.  :func:`link_params` writes a search as query parameters and
  :func:`read_link` reads one back, so that a link sent to a colleague, a reload, Back and
  Forward all show the search they name.
- **Why this hit**: :func:`why` says in words what brought a passage (the query's words it
  holds, closeness in meaning, its code), the scores stay behind a toggle.
- **Vietnamese throughout**: Streamlit's own words (the uploader's "Drag and drop files here",
  the multiselect's "Choose an option", "Running...") are in its compiled front end;
  :data:`STREAMLIT_VI` and :func:`page_script` replace them on the page as they appear, set
  ``<html lang="vi">``, and carry the page's few style rules (the obligations as stacked
  cards on a phone, old results greyed while a search runs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

MODES = ("hybrid", "bm25", "dense")
PAGE_SCRIPT = Path(__file__).with_name("page.js")
FILTER_KEYS = ("doc_type", "issuer", "level")  # lists; the year is one value or a range


@dataclass(frozen=True)
class Link:
    """A search as its address says it."""

    query: str = ""
    mode: str = "hybrid"
    filters: dict = field(default_factory=dict)


def link_params(query: str, mode: str = "hybrid", filters: Mapping | None = None
                ) -> dict[str, str | list[str]]:
    """Query parameters of a search (defaults left out); the inverse of :func:`read_link`."""
    params: dict[str, str | list[str]] = {"q": query.strip()} if query.strip() else {}
    if mode != "hybrid":
        params["mode"] = mode
    for key, value in (filters or {}).items():
        if key in FILTER_KEYS and value:
            params[key] = [str(v) for v in value]
        elif key == "year" and value:
            lo, hi = value if isinstance(value, (tuple, list)) else (value, value)
            params["year"] = str(lo) if lo == hi else f"{lo}-{hi}"
    return params


def read_link(params: Mapping[str, list[str]]) -> Link:
    """The search that query parameters name (each key with all its values); what is not
    understood is left out, never an error: a link may be old or typed by hand."""
    def first(key: str) -> str:
        values = params.get(key) or []
        return values[0].strip() if values else ""

    mode = first("mode")
    filters: dict = {}
    for key in FILTER_KEYS:
        values = [v.strip() for v in params.get(key) or [] if v.strip()]
        if values:
            filters[key] = values
    years = re.fullmatch(r"(\d{4})(?:\s*-\s*(\d{4}))?", first("year"))
    if years:
        lo, hi = int(years.group(1)), int(years.group(2) or years.group(1))
        filters["year"] = (min(lo, hi), max(lo, hi))
    return Link(first("q"), mode if mode in MODES else "hybrid", filters)


# --- why a hit --------------------------------------------------------------------------------

CLOSE_IN_MEANING = 0.3  # the dense part's share of a hybrid score from which it is said


def why(hit, matched: list[str]) -> str:
    """Why ``hit`` is among the results, in words: the query's words and phrases it holds
    (``matched``, as marked on the page), whether it is close to the question in meaning,
    whether it holds the answer or bears the code asked for."""
    reasons = []
    words = list(dict.fromkeys(m.lower() for m in matched))
    if words:
        reasons.append("khớp từ khóa: " + ", ".join(words[:8]))
    parts = hit.contributions
    if parts is not None:
        dense, bm25 = parts.dense, parts.bm25
        close = dense >= CLOSE_IN_MEANING * max(dense + bm25, 1e-9)
    else:
        close = hit.dense_score is not None and hit.bm25_score is None
    if close:
        reasons.append("gần nghĩa với câu hỏi" + ("" if words else " (không trùng từ khóa)"))
    if hit.answer:
        reasons.append("có câu trả lời cho câu hỏi")
    if not reasons:
        reasons.append("mang số hiệu hoặc thuộc văn bản được hỏi")
    said = "; ".join(reasons)
    return said[0].upper() + said[1:] + "."


# --- the page in Vietnamese -------------------------------------------------------------------

STREAMLIT_VI = {
    "Drag and drop files here": "Kéo thả tệp vào đây",
    "Drag and drop file here": "Kéo thả tệp vào đây",
    "Upload": "Chọn tệp",
    "Select all": "Chọn tất cả",
    "Choose an option": "Chọn",
    "Choose options": "Chọn",
    "No results": "Không có mục nào",
    "Clear all": "Bỏ chọn tất cả",
    "Press Enter to apply": "Nhấn Enter để áp dụng",
    "Press Ctrl+Enter to apply": "Nhấn Ctrl+Enter để áp dụng",
    "Press ⌘+Enter to apply": "Nhấn ⌘+Enter để áp dụng",
    "Press Enter to submit form": "Nhấn Enter để gửi",
    "Press Ctrl+Enter to submit form": "Nhấn Ctrl+Enter để gửi",
    "Running...": "Đang xử lý...",
    "Stop": "Dừng",
    "Stopping...": "Đang dừng...",
    "Connecting": "Đang kết nối",
    "Please wait...": "Xin chờ...",
    "Download": "Tải về",
    "Search": "Tìm",
    "Fullscreen": "Toàn màn hình",
    "Close fullscreen": "Thoát toàn màn hình",
    "Show password text": "Hiện mật khẩu",
    "Hide password text": "Ẩn mật khẩu",
    "Main menu": "Trình đơn",
    "Print": "In",
    "Settings": "Cài đặt",
    "Rerun": "Chạy lại",
    "Open sidebar": "Mở bộ lọc",
    "Close sidebar": "Đóng bộ lọc",
    "Collapse sidebar": "Đóng bộ lọc",
    "Expand sidebar": "Mở bộ lọc",
    "Remove": "Bỏ",
    "Delete": "Xóa",
    "Copy to clipboard": "Chép",
}
# Streamlit's words with a number in them: pattern -> replacement (JavaScript syntax)
STREAMLIT_VI_PATTERNS = [
    (r"^(\d+(?:\.\d+)?)\s?MB per file", "Tối đa $1 MB mỗi tệp"),
    (r"^Limit (\d+(?:\.\d+)?)\s?MB per file", "Tối đa $1 MB mỗi tệp"),
    (r"^(\d+) matches$", "$1 mục khớp"),
]

PAGE_CSS = """
/* old results greyed while a search runs (Streamlit marks what the run has not redrawn yet) */
[data-stale="true"] { opacity: 0.35; transition: opacity 0.2s ease-in 0.15s; }
/* the sidebar's "»" says what it opens: the filters */
[data-testid="stExpandSidebarButton"]::after { content: "Bộ lọc"; margin-left: 4px;
  font-size: 0.9rem; }
[data-testid="stExpandSidebarButton"] { width: auto !important; padding: 0 8px; }
/* the obligations: a table on a wide screen, stacked cards on a phone */
@media (max-width: 700px) {
  table.obligations, table.obligations tbody, table.obligations tr, table.obligations td {
    display: block; width: 100%; }
  table.obligations tr:first-child { display: none; }
  table.obligations tr { border: 1px solid #ddd; border-radius: 6px; margin: 0 0 8px 0;
    padding: 4px 8px; }
  table.obligations td { border: none !important; padding: 2px 0 !important; }
  table.obligations td::before { content: attr(data-label) ": "; font-weight: 600; }
}
"""


def vietnamese_shell() -> bool:
    """Mark Streamlit's page shell Vietnamese: its ``index.html`` says ``<html lang="en">``
    whatever the app's language (Streamlit has no setting for it), and the browser reads that
    before any script of the app runs (to offer a translation, to pick a screen reader's
    voice).  The installed file is changed once (``make install`` and ``make app`` call this);
    :func:`page_script` sets the same at run time where it was not.  True when it changed."""
    import streamlit

    shell = Path(streamlit.__file__).parent / "static" / "index.html"
    try:
        text = shell.read_text(encoding="utf-8")
        if '<html lang="en">' not in text:
            return False
        shell.write_text(text.replace('<html lang="en">', '<html lang="vi">', 1),
                         encoding="utf-8")
    except OSError:  # a read-only installation: the page script still sets it
        return False
    return True


@lru_cache(maxsize=1)
def page_script() -> str:
    """HTML with a script for the page (run once per browser tab): ``lang="vi"``, the page's
    style rules, and Streamlit's English replaced by :data:`STREAMLIT_VI` as it appears
    (``search/page.js``)."""
    script = PAGE_SCRIPT.read_text(encoding="utf-8")
    for name, value in (("__WORDS__", STREAMLIT_VI), ("__PATTERNS__", STREAMLIT_VI_PATTERNS),
                        ("__CSS__", PAGE_CSS)):
        script = script.replace(name, json.dumps(value, ensure_ascii=False))
    return f"<script>\n{script}</script>"
