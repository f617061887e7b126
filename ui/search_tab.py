"""The search tab: the query box and its link, the filters, the answer panel, the ranked
passages with their "why", and the document viewer."""

from __future__ import annotations

import html
import time
from pathlib import Path

import streamlit as st

from index.library import filter_options
from index.stores.milvus import MilvusUnavailable
from search import Searcher, briefing
from search.highlight import mark_spans, query_marks, to_html
from search.page import link_params, read_link, why
from ui.basket_tab import add_to_basket
from ui.html import (
    PASSAGE,
    SPAN,
    block,
    document_card_html,
    obligations_table,
    passage_html,
    score_lines,
)

MODES = {"Kết hợp": "hybrid", "Từ khóa": "bm25", "Ngữ nghĩa": "dense"}
MODE_HELP = ("Kết hợp: từ khóa (BM25) và ngữ nghĩa (mô hình nhúng) cùng xếp hạng. "
             "Từ khóa: khớp từ, tốt cho số hiệu, tên riêng. Ngữ nghĩa: khớp ý, tốt cho câu hỏi "
             "diễn đạt khác văn bản và câu hỏi tiếng Anh.")


FILTER_LABELS = {"doc_type": "Loại văn bản", "issuer": "Cơ quan ban hành", "level": "Cấp"}


def follow_link(searcher: Searcher, groups: list[str] | None) -> None:
    """When the address names another search than the page shows (a link opened, a reload,
    Back or Forward), the search box, the mode and the filters take it before they are drawn
    (values the index does not have are left out)."""
    params = {key: st.query_params.get_all(key) for key in st.query_params.keys()}
    if params == st.session_state.get("link_seen"):
        return
    st.session_state.link_seen = params
    link = read_link(params)
    options = filter_options(searcher.data, groups)
    st.session_state.query = link.query
    st.session_state.query_box = link.query
    st.session_state.mode_choice = next(k for k, v in MODES.items() if v == link.mode)
    for key in FILTER_LABELS:
        st.session_state[f"filter_{key}"] = [v for v in link.filters.get(key, [])
                                             if v in options[key]]
    if options["years"]:
        lo, hi = options["years"]
        want = link.filters.get("year", (lo, hi))
        st.session_state.filter_year = (max(lo, min(want[0], hi)), min(hi, max(want[1], lo)))
    st.session_state.viewing = None


def write_link(query: str, mode: str, filters: dict) -> None:
    """Put the search shown in the address (a new history entry when it changed)."""
    params = link_params(query, mode, filters)
    as_lists = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    if as_lists != st.session_state.get("link_seen"):
        st.session_state.link_seen = as_lists
        st.query_params.from_dict(params)


def clear_filters() -> None:
    for key in FILTER_LABELS:
        st.session_state[f"filter_{key}"] = []
    st.session_state.pop("filter_year", None)


def sidebar_filters(searcher: Searcher, groups: list[str] | None) -> dict:
    options = filter_options(searcher.data, groups)
    st.sidebar.header("Bộ lọc")
    filters: dict = {}
    for key, label in FILTER_LABELS.items():
        picked = st.sidebar.multiselect(label, options[key], placeholder="Tất cả",
                                        key=f"filter_{key}")
        if picked:
            filters[key] = picked
    if options["years"]:
        lo, hi = options["years"]
        if lo < hi:
            if "filter_year" not in st.session_state:
                st.session_state.filter_year = (lo, hi)
            years = st.sidebar.slider("Năm ban hành", lo, hi, key="filter_year")
            if tuple(years) != (lo, hi):
                filters["year"] = tuple(years)
        else:
            st.sidebar.caption(f"Năm ban hành: {lo}")
    st.sidebar.caption("Bộ lọc áp dụng trước khi xếp hạng: luôn trả đủ số kết quả nếu có.")
    if filters:
        st.sidebar.button("Bỏ mọi bộ lọc", on_click=clear_filters)
    return filters


def run_search(searcher: Searcher, query: str, mode: str, k: int, filters: dict,
               groups: list[str] | None):
    """The answer for the current query, kept for reruns (buttons) until the query, the
    options, the reader's groups or the index change."""
    key = (query, mode, k, repr(sorted(filters.items())), id(searcher), repr(groups))
    if st.session_state.get("answer_key") != key:
        started = time.perf_counter()
        answer = searcher.ask(query, k=k, mode=mode, filters=filters or None, groups=groups)
        st.session_state.answer = answer
        st.session_state.answer_seconds = time.perf_counter() - started
        st.session_state.answer_key = key
    return st.session_state.answer


def show_answer_panel(answer) -> None:
    """The three outcomes, said plainly: an answer with its citation (what the question asks
    for marked), related passages without a direct answer, or no evidence."""
    if answer.outcome == "none":
        st.warning(f"{answer.message}.")
        if answer.closest:
            with st.expander("Xem các đoạn gần nhất (độ tin cậy thấp)"):
                for hit in answer.closest:
                    block(f"<b>{html.escape(hit.citation)}</b><br>"
                          f"{html.escape(' '.join(hit.text.split())[:400])}…")
        return
    if answer.outcome == "related":
        st.info(f"{answer.message}. Dưới đây là các đoạn văn bản liên quan nhất; hãy đọc và "
                "kiểm tra trước khi sử dụng.")
        return
    with st.container(border=True):
        st.markdown("**Trả lời**")
        if answer.document is not None:
            block(document_card_html(answer.document))
        else:
            marks = []
            if answer.span and answer.start is not None:
                marks.append((answer.span["start"] - answer.start,
                              answer.span["end"] - answer.start, *SPAN))
            block(f"{to_html(answer.text, marks)}<br><i>({html.escape(answer.citation)})</i>")
        if answer.obligations:
            st.markdown("**Nghĩa vụ, thời hạn tìm thấy**")
            block(obligations_table(answer.obligations))


def show_viewer(searcher: Searcher, passage_id: str, groups: list[str] | None) -> None:
    """The whole document of ``passage_id``, scrolled to the passage, highlighted; shown in
    the card that asked for it, so that closing it leaves the reader where they were."""
    try:
        opened = searcher.open_passage(passage_id, groups=groups)
    except KeyError:
        st.session_state.viewing = None
        return
    with st.container(border=True):
        cols = st.columns([6, 1])
        cols[0].markdown(f"**Toàn văn:** {html.escape(opened.citation)}")
        if cols[1].button("Đóng toàn văn", key=f"close-{passage_id}"):
            st.session_state.viewing = None
            st.rerun()
        block(f"<span style='color:#777;font-size:0.85em'>"
              f"{html.escape(Path(opened.source).name)} · đoạn: ký tự {opened.start}–"
              f"{opened.end}</span>")
        show_scanned_pages(opened)
        body = to_html(opened.text, [(opened.start, opened.end, *PASSAGE)])
        st.iframe("<html><body style='font-family:sans-serif;font-size:15px;line-height:1.5'>"
                  f"<div id='document'>{body}</div><script>document.getElementById('passage')"
                  ".scrollIntoView({block: 'center'});</script></body></html>", height=480)


@st.cache_data(max_entries=32, show_spinner=False)
def scanned_page(source: str, region: dict) -> bytes:
    """The page of a scanned PDF with the passage's region outlined, as PNG."""
    import io

    from index.readers.scan_regions import page_image

    buf = io.BytesIO()
    page_image(source, region).save(buf, "PNG")
    return buf.getvalue()


def show_scanned_pages(opened) -> None:
    """For a scanned document, the page region where the passage lies (the text beside it was
    read by OCR: the image is what to check it against)."""
    source = Path(opened.source)
    if not opened.regions or not source.is_file():
        return
    with st.expander("Bản quét: vùng của đoạn trên trang", expanded=True):
        for region in opened.regions:
            try:
                png = scanned_page(str(source), region)
            except Exception as exc:  # a moved or damaged file: the text still shows
                st.caption(f"Không hiển thị được trang {region['page']}: {exc}")
                continue
            st.image(png, caption=f"Trang {region['page']} (khung cam: đoạn được trích)")


def show_hit(searcher: Searcher, hit, marks, groups: list[str] | None) -> None:
    in_basket = any(i.passage_id == hit.passage_id for i in st.session_state.basket)
    spans = mark_spans(hit.text, marks)
    with st.container(border=True):
        block(f"<b>{hit.rank}. {html.escape(hit.citation)}</b>")
        if hit.section:
            block(f"<span style='color:#777;font-size:0.85em'>{html.escape(hit.section)}</span>")
        block(passage_html(hit, spans))
        cols = st.columns([1, 1, 3])
        viewing = st.session_state.get("viewing") == hit.passage_id
        if not viewing and cols[0].button("Xem toàn văn", key=f"view-{hit.passage_id}"):
            st.session_state.viewing = hit.passage_id
            st.rerun()
        if cols[1].button("Đã có trong tập" if in_basket else "Thêm vào tập trích dẫn",
                          key=f"add-{hit.passage_id}", disabled=in_basket):
            add_to_basket(briefing.item_from_hit(hit))
            st.rerun()
        if viewing:
            show_viewer(searcher, hit.passage_id, groups)
        with st.expander("Vì sao có kết quả này?"):
            block(html.escape(why(hit, [hit.text[s:e] for s, e in spans])))
            if hit.cited_by:
                block(html.escape("Được văn bản khác dẫn chiếu: "
                                  + "; ".join(c.citation for c in hit.cited_by)))
            if st.toggle("Xem điểm số", key=f"scores-{hit.passage_id}"):
                block("<br>".join(html.escape(line) for line in score_lines(hit)))


EXAMPLES = ("thời hạn báo cáo của chi bộ", "683-CV/HU",
            "what are the reporting deadlines for chi bộ?", "BTV HU giao nhiệm vụ gì?",
            "tiêu chí đánh giá chất lượng tổ chức cơ sở đảng")


HISTORY = 8  # searches remembered in a session


def ask_for(query: str) -> None:
    """Search ``query`` (an example or a search from the history), as if typed."""
    st.session_state.query = st.session_state.query_box = query
    st.session_state.viewing = None


def search_tab(searcher: Searcher, filters: dict, groups: list[str] | None) -> None:
    with st.form("search"):
        st.text_input("Câu hỏi hoặc từ khóa", placeholder="vd: thời hạn báo cáo của chi bộ · "
                      "683-CV/HU · what are the reporting deadlines?", key="query_box",
                      help="Gõ có dấu hoặc không dấu, tiếng Việt hoặc tiếng Anh; viết tắt (BTV, "
                           "HU, UBND) và số hiệu văn bản đều được hiểu.")
        cols = st.columns([3, 1])
        cols[0].radio("Cách tìm", list(MODES), horizontal=True, help=MODE_HELP,
                      key="mode_choice")
        k = cols[1].number_input("Số kết quả", min_value=1, max_value=50, value=10)
        if st.form_submit_button("Tìm", type="primary"):
            st.session_state.query = st.session_state.query_box.strip()
            st.session_state.viewing = None
            if not st.session_state.query:
                st.warning("Hãy nhập câu hỏi hoặc từ khóa rồi bấm Tìm.")
    query = st.session_state.get("query", "")
    mode = MODES[st.session_state.mode_choice]  # set from the address, then by the radio
    write_link(query, mode, filters)
    if not query:
        empty_page()
        return
    history = [q for q in st.session_state.get("history", []) if q != query]
    st.session_state.history = [query, *history][:HISTORY]
    try:
        with st.spinner("Đang tìm..."):
            answer = run_search(searcher, query, mode, int(k), filters, groups)
    except MilvusUnavailable as exc:
        st.error(f"Máy chủ tìm kiếm Milvus không trả lời: {exc}")
        return
    info = answer.info
    for notice in info.notices:
        st.caption(f"Lưu ý: {html.escape(notice)}")
    if info.explain():
        st.caption(f"Hiểu là: {html.escape(info.explain())}")
    if filters and answer.outcome == "none":
        filtered_out(searcher, filters, groups)
        return
    show_answer_panel(answer)
    if answer.outcome == "none":
        return
    st.caption(f"{len(answer.hits)} đoạn văn bản · {st.session_state.answer_seconds:.2f} giây")
    marks = query_marks(query, searcher.syllable_idf,
                        " ".join(vi for _, vi in info.translations))
    for hit in answer.hits:
        show_hit(searcher, hit, marks, groups)


def filtered_out(searcher: Searcher, filters: dict, groups: list[str] | None) -> None:
    """No evidence with filters on: said as the filters' doing, with a way out."""
    mask = searcher.allowed_rows(filters, groups)
    if mask is not None and not mask.any():
        st.warning("Bộ lọc đang chọn không để lại văn bản nào (không có văn bản nào vừa thuộc "
                   "mọi điều kiện đã chọn).")
    else:
        st.warning("Không tìm thấy căn cứ trong các văn bản thuộc bộ lọc đang chọn; có thể các "
                   "văn bản khác có.")
    st.button("Bỏ mọi bộ lọc và tìm lại", on_click=clear_filters, type="primary")


def empty_page() -> None:
    """Before a search: what to type, examples to click, this session's last searches."""
    st.caption("Nhập câu hỏi rồi bấm Tìm. Kết quả kèm trích dẫn văn bản (số hiệu, ngày, cơ quan "
               "ban hành, mục) và câu trả lời được tô đậm. Mỗi lần tìm là một đường dẫn: chép "
               "địa chỉ trang để gửi cho đồng chí khác.")
    st.markdown("**Thử hỏi:**")
    cols = st.columns(len(EXAMPLES))
    for n, (col, example) in enumerate(zip(cols, EXAMPLES)):
        col.button(example, key=f"example-{n}", on_click=ask_for, args=(example,))
    if st.session_state.get("history"):
        st.markdown("**Tìm gần đây:**")
        for n, past in enumerate(st.session_state.history):
            st.button(past, key=f"history-{n}", on_click=ask_for, args=(past,),
                      type="tertiary")
