"""Tra cứu - the Streamlit app: search with filters, answers and cited passages, a briefing
basket exported as DOCX or Markdown, and the document library (upload, list, remove).

UI only: every step calls index/ and search/.  Run with ``streamlit run app.py``; the index of
the sample corpus is built on first use (``TRACUU_INDEX`` points to another index folder).

Sign-in is on (:mod:`index.users`): on the very first start an ``admin`` is made and its
one-time password printed in the terminal.  A reader searches and reads the documents of their
access groups, an editor also uploads, replaces and removes, an admin also manages users, reads
the audit log and restores kept versions.  ``TRACUU_AUTH=off`` is one user on a laptop, with no
sign-in: refused unless the server listens on localhost only.
"""

from __future__ import annotations

import html
import os
import time
from pathlib import Path

import streamlit as st

from index.access import parse_groups
from index.build import ensure_default_index
from index.library import (
    MAX_UPLOAD_BYTES,
    UPLOAD_SUFFIXES,
    basket_file,
    documents_table,
    filter_options,
    list_versions,
    lower_priority,
    remove_document,
    restore_version,
    status,
    upload_documents,
)
from index.paths import default_index_dir
from index.readers.documents import DocumentError
from index.stores.loading import release_freed_memory
from index.stores.milvus import MilvusUnavailable
from index.stores.versions import IndexFolderError
from index.users import (
    ROLES,
    User,
    UserError,
    UserStore,
    audit,
    audit_csv,
    first_admin_banner,
    read_audit,
    users_file,
)
from search import Searcher, briefing
from search.highlight import mark_spans, query_marks, to_html
from search.page import link_params, page_script, read_link, why
from search.references import CARD_FIELDS

MODES = {"Kết hợp": "hybrid", "Từ khóa": "bm25", "Ngữ nghĩa": "dense"}
MODE_HELP = ("Kết hợp: từ khóa (BM25) và ngữ nghĩa (mô hình nhúng) cùng xếp hạng. "
             "Từ khóa: khớp từ, tốt cho số hiệu, tên riêng. Ngữ nghĩa: khớp ý, tốt cho câu hỏi "
             "diễn đạt khác văn bản và câu hỏi tiếng Anh.")
TERM = ("<mark style='background:#fff3a3;padding:0 1px'>", "</mark>")
ANSWER = ("<span style='font-weight:600;text-decoration:underline;text-decoration-color:"
          "#c0392b;text-decoration-thickness:2px'>", "</span>")
PASSAGE = ("<mark id='passage' style='background:#ffe08a'>", "</mark>")


def block(inner_html: str) -> None:
    """Escaped HTML as one block (one line: markdown syntax inside is left alone)."""
    st.markdown(f"<div>{inner_html}</div>", unsafe_allow_html=True)


# --- index and searcher ---------------------------------------------------------------------

def load_searcher(index_dir: str, previous: Searcher | None = None) -> Searcher:
    """The searcher of the index's current version, its query model warmed up (so that the
    first search is as quick as the next ones); ``previous``, the searcher of the version
    before, lends its loaded models."""
    searcher = Searcher.load(index_dir)
    if previous is not None:
        searcher.share_models(previous)
    searcher.embedder.encode(["khởi động"], "query")
    return searcher


def index_version(index_dir: Path) -> int:
    return (index_dir / "manifest.json").stat().st_mtime_ns


RELEASE_AFTER = 10.0  # seconds from a new version's swap to releasing the previous one's memory


@st.cache_resource(show_spinner=False)
def _serving() -> dict:
    """index folder -> the version being served, its searcher, and the thread loading a newer
    one; one entry per index, so a replaced version's searcher is let go."""
    import threading

    return {"lock": threading.Lock()}


def searcher_for(index_dir: Path, wait: bool = False) -> Searcher:
    """The searcher of the index's current version.  When an editor has changed the index,
    the new version is loaded in a thread while the previous searcher goes on answering, so
    no reader waits on an upload; the first load of all is waited for, and so is the new
    version by the session that changed the index (``wait``: its editor sees the change)."""
    import threading

    version = index_version(index_dir)
    serving = _serving()
    key = str(index_dir)
    with serving["lock"]:  # one first load, however many sessions open the page at once
        current = serving.get(key)
        if current is None or current["failed"] and current["version"] != version:
            searcher = load_searcher(key)
            serving[key] = {"version": version, "searcher": searcher, "loading": None,
                            "failed": False}
            return searcher
        if current["version"] != version and current["loading"] is None:
            def load() -> None:
                lower_priority()  # the readers' questions go first
                try:
                    searcher = load_searcher(key, current["searcher"])
                except Exception:  # noqa: BLE001 - the previous version goes on serving
                    serving[key] = {**current, "loading": None, "failed": True}
                else:
                    serving[key] = {"version": version, "searcher": searcher,
                                    "loading": None, "failed": False}
                    # the previous searcher is let go once the questions it is answering
                    # are done; then its memory goes back to the system
                    threading.Timer(RELEASE_AFTER, release_freed_memory).start()

            current["loading"] = threading.Thread(target=load, daemon=True)
            current["loading"].start()
    if wait and current["version"] != version:
        if current["loading"] is not None:
            current["loading"].join()
        return serving[key]["searcher"]
    return current["searcher"]


# --- sign-in ----------------------------------------------------------------------------------

SESSION_HOURS = float(os.environ.get("TRACUU_SESSION_HOURS") or 8)
LOCAL_ADDRESSES = {"localhost", "127.0.0.1", "::1"}
OPERATOR = User("(một người dùng)", "admin")  # TRACUU_AUTH=off: sees every document


@st.cache_resource(show_spinner=False)
def first_start(users_path: str) -> bool:
    """On the very first start, an admin with a one-time password printed in the terminal
    (once per server process; never again once there are users)."""
    password = UserStore(users_path).first_admin()
    if password:
        print(first_admin_banner(password), flush=True)
    return True


def signed_in(index_dir: Path) -> tuple[User, list[str] | None]:
    """The user of this browser session and the access groups their searches keep to (None:
    every document); a sign-in form and a stop when nobody is signed in."""
    if (os.environ.get("TRACUU_AUTH") or "on").strip().lower() == "off":
        address = st.get_option("server.address") or ""
        if address not in LOCAL_ADDRESSES:
            st.error("TRACUU_AUTH=off (một người dùng, không đăng nhập) chỉ dùng được khi máy "
                     "chủ chỉ nghe trên localhost (streamlit run app.py --server.address "
                     "localhost). Hãy bỏ TRACUU_AUTH=off để bật đăng nhập.")
            st.stop()
        st.sidebar.caption("Chế độ một người dùng: không đăng nhập, thấy mọi văn bản.")
        return OPERATOR, None
    store = UserStore.for_index(index_dir)
    first_start(str(store.path))
    state = st.session_state.get("user")
    if state and time.time() - state["since"] < SESSION_HOURS * 3600:
        user = store.get(state["name"])
        if user is not None and not user.disabled:  # a change of role or groups applies now
            st.sidebar.caption(f"Đăng nhập: **{user.name}** ({ROLE_NAMES[user.role]})")
            if st.sidebar.button("Đăng xuất"):
                st.session_state.clear()
                st.rerun()
            return user, list(user.groups)
    if state:
        st.session_state.clear()
        st.info("Phiên làm việc đã hết hạn; hãy đăng nhập lại.")
    sign_in_form(store, index_dir)
    st.stop()


ROLE_NAMES = {"reader": "người đọc", "editor": "biên tập", "admin": "quản trị"}


def sign_in_form(store: UserStore, index_dir: Path) -> None:
    with st.form("sign-in"):
        st.subheader("Đăng nhập")
        name = st.text_input("Tên đăng nhập")
        password = st.text_input("Mật khẩu", type="password")
        submitted = st.form_submit_button("Đăng nhập", type="primary")
    if not submitted:
        return
    user, wait = store.verify(name, password)
    if user is None:
        audit(index_dir, name.strip()[:64], "sign-in failed")
        st.error("Sai tên đăng nhập hoặc mật khẩu." + (
            f" Hãy thử lại sau {wait:.0f} giây." if wait else ""))
        return
    audit(index_dir, user.name, "sign-in")
    st.session_state.user = {"name": user.name, "since": time.time()}
    st.rerun()


# --- search tab -----------------------------------------------------------------------------

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


def passage_html(hit, spans: list[tuple[int, int]]) -> str:
    marks = [(s, e, *TERM) for s, e in spans]
    if hit.answer_start is not None:
        marks.insert(0, (hit.answer_start - hit.start, hit.answer_end - hit.start, *ANSWER))
    return to_html(hit.text, marks)


OBLIGATION_COLUMNS = ("Ai", "Việc", "Thời hạn", "Gửi đến", "Căn cứ")


def obligations_table(obligations) -> str:
    """An HTML table (escaped) of the obligations: lighter in the browser than a data grid."""
    cell = ("<td data-label='{}' style='vertical-align:top;padding:4px 8px;"
            "border-top:1px solid #ddd'>{}</td>")  # the label heads the cell on a phone
    head = "".join(f"<th style='text-align:left;padding:4px 8px'>{c}</th>"
                   for c in OBLIGATION_COLUMNS)
    rows = []
    for ob in obligations:
        values = (ob.who or "—", ob.action, "; ".join(ob.when),
                  ob.to + (f" (qua {ob.via})" if ob.via else ""), ob.citation)
        rows.append("<tr>" + "".join(cell.format(label, html.escape(v)) for label, v in
                                     zip(OBLIGATION_COLUMNS, values)) + "</tr>")
    return (f"<table class='obligations' style='border-collapse:collapse;font-size:0.9em'>"
            f"<tr>{head}</tr>{''.join(rows)}</table>")


SPAN = ("<span style='background:#d4edda;padding:0 2px;border-radius:3px'>", "</span>")


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


def document_card_html(card: dict) -> str:
    """The card of a document asked for by its code (escaped)."""
    rows = [f"<b>{html.escape(card['doc_type'] or 'Văn bản')} số {html.escape(card['code'])}</b>"]
    rows += [f"{label}: {html.escape(card[key])}" for label, key in CARD_FIELDS if card.get(key)]
    if card["cited_by"]:
        rows.append("Được dẫn chiếu trong: " + "; ".join(html.escape(c["citation"])
                                                         for c in card["cited_by"]))
    return "<br>".join(rows)


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


def score_lines(hit) -> list[str]:
    """The numbers behind a hit's rank, for whoever wants to check them."""
    parts = hit.contributions
    lines = [f"Điểm tổng hợp: {hit.score:.3f}"]
    if parts:
        lines.append(f"Phần từ khóa (BM25): {parts.bm25:.3f} · phần ngữ nghĩa: "
                     f"{parts.dense:.3f} (trọng số ngữ nghĩa {parts.dense_weight:.2f}, "
                     f"hợp nhất {parts.fusion})")
    if parts and parts.learned:
        lines.append("Điểm tổng hợp gồm: " + "; ".join(
            f"{EVIDENCE_LABELS.get(name, name)} {value:+.2f}"
            for name, value in parts.learned.items()))
    if hit.bm25_score is not None:
        lines.append(f"Điểm BM25 gốc: {hit.bm25_score:.3f}")
    if hit.dense_score is not None:
        lines.append(f"Độ tương đồng cosine: {hit.dense_score:.3f}")
    return lines


# what each feature of the learned combination (search/rerank.py) means, for the "why" of a hit
EVIDENCE_LABELS = {
    "fused": "khớp từ khóa và ngữ nghĩa",
    "pairs": "các cặp từ của câu hỏi có liền nhau trong đoạn",
    "law": "văn bản pháp luật, trong khi câu hỏi về công tác Đảng",
}


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


# --- basket tab -------------------------------------------------------------------------------

def open_basket(index_dir: Path, user: User) -> None:
    """The signed-in user's basket, read from disk once a session (it survives reloads and
    restarts)."""
    path = basket_file(users_file(index_dir), user.name)
    if st.session_state.get("basket_file") != path:
        st.session_state.basket_file = path
        st.session_state.basket = briefing.load(path)


def set_basket(items: list) -> None:
    st.session_state.basket = items
    briefing.save(items, st.session_state.basket_file)


def add_to_basket(item) -> None:
    set_basket(briefing.add(st.session_state.basket, item))


UNDO_SECONDS = 120  # how long an emptied basket or a removed passage can be brought back


def drop_from_basket(items: list, what: str) -> None:
    """Set ``items`` as the basket, the previous one kept for "Hoàn tác" a while."""
    st.session_state.basket_undo = (list(st.session_state.basket), what, time.time())
    set_basket(items)


def undo_basket() -> None:
    items, _, _ = st.session_state.pop("basket_undo")
    set_basket(items)


def basket_tab() -> None:
    undo = st.session_state.get("basket_undo")
    if undo and time.time() - undo[2] < UNDO_SECONDS:
        cols = st.columns([4, 1])
        cols[0].info(undo[1])
        cols[1].button("Hoàn tác", key="undo-basket", on_click=undo_basket)
    items = st.session_state.basket
    if not items:
        st.info("Tập trích dẫn đang trống. Ở trang Tra cứu, bấm \"Thêm vào tập trích dẫn\" dưới "
                "mỗi đoạn cần dùng.")
        return
    for i, item in enumerate(items):
        with st.container(border=True):
            block(f"<b>{i + 1}. {html.escape(item.citation)}</b>")
            block(html.escape(" ".join(item.text.split())))
            if item.note:
                block(f"<i>Ghi chú: {html.escape(item.note)}</i>")
            cols = st.columns([1, 1, 1, 5])
            if cols[0].button("↑ Lên", key=f"up-{item.passage_id}", disabled=i == 0):
                set_basket(briefing.move(items, i, -1))
                st.rerun()
            if cols[1].button("↓ Xuống", key=f"down-{item.passage_id}",
                              disabled=i == len(items) - 1):
                set_basket(briefing.move(items, i, 1))
                st.rerun()
            if cols[2].button("Bỏ", key=f"remove-{item.passage_id}"):
                drop_from_basket(briefing.remove(items, i), f"Đã bỏ đoạn {i + 1} khỏi tập.")
                st.rerun()
    export_form(items)
    with st.popover("Xóa cả tập"):
        st.write(f"Xóa cả {len(items)} đoạn khỏi tập? Có thể hoàn tác trong "
                 f"{UNDO_SECONDS // 60} phút.")
        if st.button("Xóa cả tập", key="clear-basket", type="primary"):
            drop_from_basket([], f"Đã xóa cả tập ({len(items)} đoạn).")
            st.rerun()


def export_form(items: list) -> None:
    """Title and notes in one form with the export buttons: what was typed is applied before
    the file is made, then the file downloads."""
    with st.form("export"):
        title = st.text_input("Tiêu đề tài liệu", value=st.session_state.get(
            "basket_title", briefing.DEFAULT_TITLE), key="basket-title")
        notes = [st.text_area(f"Ghi chú cho đoạn {i + 1}", value=item.note,
                              key=f"note-{item.passage_id}", height=68)
                 for i, item in enumerate(items)]
        cols = st.columns(3)
        as_docx = cols[0].form_submit_button("Tải về DOCX", type="primary")
        as_markdown = cols[1].form_submit_button("Tải về Markdown")
        cols[2].form_submit_button("Lưu ghi chú")
    for i, note in enumerate(notes):
        if note.strip() != items[i].note:
            items = briefing.annotate(items, i, note)
    if items != st.session_state.basket:
        set_basket(items)
    st.session_state.basket_title = title
    if as_docx or as_markdown:
        if as_docx:
            data, name, mime = briefing.to_docx(items, title), "tai-lieu-tham-khao.docx", \
                DOCX_MIME
        else:
            data, name, mime = briefing.to_markdown(items, title).encode("utf-8"), \
                "tai-lieu-tham-khao.md", "text/markdown"
        st.session_state.export_file = {"data": data, "name": name, "mime": mime}
        st.html(download_script(data, name, mime), unsafe_allow_javascript=True)
    export = st.session_state.get("export_file")
    if export:  # if the browser did not start the download by itself
        st.download_button(f"Tải lại {export['name']}", export["data"], file_name=export["name"],
                           mime=export["mime"], key="export-again")


DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def download_script(data: bytes, name: str, mime: str) -> str:
    """A script that downloads ``data`` as ``name`` once, as soon as it is on the page."""
    import base64
    import json

    return ("<script>(() => { const a = document.createElement('a'); "
            f"a.href = 'data:{mime};base64,{base64.b64encode(data).decode()}'; "
            f"a.download = {json.dumps(name)}; document.body.appendChild(a); a.click(); "
            f"a.remove(); }})(); /* {time.time_ns()} */</script>")


# --- library tab ------------------------------------------------------------------------------

def library_tab(searcher: Searcher, index_dir: Path, user: User,
                groups: list[str] | None) -> None:
    info = status(searcher.data)
    cols = st.columns(4)
    cols[0].metric("Văn bản", info["documents"])
    cols[1].metric("Đoạn", info["passages"])
    cols[2].metric("Mô hình", info["model"])
    cols[3].metric("Lập chỉ mục lúc", info["built_at"][:16].replace("T", " "))
    for line in st.session_state.pop("library_messages", []):
        getattr(st, line[0])(line[1])
    if user.can("editor"):
        upload_form(index_dir, user, groups)
    st.subheader("Văn bản đã lập chỉ mục")
    rows = documents_table(searcher.data, groups)
    st.dataframe([{"Mã": r["doc_id"], "Loại": r["doc_type"], "Số hiệu": r["code"],
                   "Cơ quan": r["issuer"], "Ngày": r["date"], "Tiêu đề": r["title"],
                   "Số đoạn": r["passages"], "Nhóm được xem": r["access"] or "mọi người"}
                  for r in rows], hide_index=True, width="stretch")
    if user.can("editor"):
        removal_form(rows, index_dir, user, groups)
    if user.can("admin"):
        admin_section(index_dir, user)


def removal_form(rows: list[dict], index_dir: Path, user: User,
                 groups: list[str] | None) -> None:
    """Remove a document: chosen by its title (nothing chosen beforehand), confirmed, and
    undone for a while by putting its kept version back."""
    undo = st.session_state.get("removal_undo")
    if undo and time.time() - undo["at"] < UNDO_SECONDS:
        cols = st.columns([4, 1])
        cols[0].info(f"Đã gỡ {undo['doc_id']}.")
        if cols[1].button("Hoàn tác", key="undo-removal"):
            del st.session_state.removal_undo
            kept = [v for v in list_versions(index_dir) if v["doc_id"] == undo["doc_id"]]
            if kept:
                act(lambda: restore_version(kept[0], index_dir, user.name, worker=True))
    titles = {r["doc_id"]: r["title"] if r["code"] and r["code"] in r["title"]
              else f"{r['title']} ({r['code'] or r['doc_id']})" for r in rows}
    with st.form("remove"):
        doc_id = st.selectbox("Gỡ văn bản khỏi chỉ mục", list(titles), index=None,
                              format_func=titles.get, placeholder="Chọn văn bản cần gỡ")
        sure = st.checkbox("Tôi hiểu: văn bản sẽ không còn trong kết quả của mọi người (bản "
                           "cũ được lưu lại, quản trị viên có thể khôi phục)")
        submitted = st.form_submit_button("Gỡ")
    if submitted and doc_id and not sure:
        st.warning("Hãy đánh dấu ô xác nhận trước khi gỡ.")
    elif submitted and doc_id:
        st.session_state.removal_undo = {"doc_id": doc_id, "at": time.time()}
        act(lambda: remove_document(doc_id, index_dir, user.name, groups, worker=True))


def act(step) -> None:
    """Run a library step, keep its messages for the next run, and rerun."""
    try:
        outcome = step()
    except (ValueError, OSError, RuntimeError, DocumentError, IndexFolderError) as exc:
        st.session_state.library_messages = [("error", f"Không thực hiện được: {exc}")]
    else:
        st.session_state.library_messages = outcome.messages
        st.session_state.index_changed = True  # this session waits for the new version
    st.rerun()


def upload_form(index_dir: Path, user: User, groups: list[str] | None) -> None:
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader(
            "Thêm văn bản vào chỉ mục", accept_multiple_files=True,
            type=[s.lstrip(".") for s in UPLOAD_SUFFIXES],
            help=f"Nhiều tệp một lúc, mỗi tệp tối đa {MAX_UPLOAD_BYTES // 2**20} MB. Bản quét "
                 "PDF được nhận dạng chữ (OCR).")
        access = st.text_input("Chỉ cho các nhóm xem (tùy chọn)", placeholder="vd: to-chuc, "
                               "kiem-tra · để trống: mọi người đọc đều xem được")
        replace = st.checkbox("Thay văn bản cùng mã nếu đã có (bản cũ được lưu lại để khôi "
                              "phục)")
        submitted = st.form_submit_button("Lập chỉ mục các tệp đã chọn")
    if submitted and files:
        bar = st.progress(0.0, text="Đang lập chỉ mục...")
        uploads = [(f.name, f.getvalue()) for f in files]
        act(lambda: upload_documents(
            uploads, index_dir, user.name, groups, parse_groups(access),
            confirmed={Path(name).stem for name, _ in uploads} if replace else set(),
            progress=lambda share, text: bar.progress(share, text=text), worker=True))


def admin_section(index_dir: Path, user: User) -> None:
    """Users, the audit log and the kept versions (admins only)."""
    store = UserStore.for_index(index_dir)
    with st.expander("Người dùng"):
        st.dataframe([{"Tên": u.name, "Vai trò": ROLE_NAMES[u.role],
                       "Nhóm": ", ".join(u.groups), "Khóa": "có" if u.disabled else ""}
                      for u in store.users()], hide_index=True, width="stretch")
        with st.form("user", clear_on_submit=True):
            cols = st.columns(4)
            name = cols[0].text_input("Tên đăng nhập")
            role = cols[1].selectbox("Vai trò", ROLES, format_func=ROLE_NAMES.get)
            groups = cols[2].text_input("Nhóm", placeholder="to-chuc, kiem-tra")
            password = cols[3].text_input("Mật khẩu mới", type="password",
                                          help="Để trống khi chỉ đổi vai trò, nhóm.")
            cols = st.columns(3)
            add = cols[0].form_submit_button("Thêm người dùng")
            change = cols[1].form_submit_button("Đổi vai trò, nhóm, mật khẩu")
            lock = cols[2].form_submit_button("Khóa / mở khóa")
        if add or change or lock:
            try:
                if add:
                    store.add(name, password, role, groups)
                elif change:
                    store.set_role(name, role)
                    store.set_groups(name, groups)
                    if password:
                        store.set_password(name, password)
                else:
                    target = store.get(name)
                    if target is None:
                        raise UserError(f"no user {name!r}")
                    store.set_disabled(name, not target.disabled)
            except UserError as exc:
                st.error(f"Không thực hiện được: {exc}")
            else:
                action = "user add" if add else "user set" if change else "user disable"
                audit(index_dir, user.name, action, detail=name)
                st.rerun()
    with st.expander("Nhật ký thao tác"):
        rows = read_audit(index_dir)
        st.dataframe(rows[::-1][:500], hide_index=True, width="stretch")
        st.download_button("Tải nhật ký (CSV)", audit_csv(rows), file_name="nhat-ky.csv",
                           mime="text/csv")
    with st.expander("Bản cũ đã lưu (khôi phục)"):
        versions = list_versions(index_dir)
        if not versions:
            st.caption("Chưa có bản cũ nào.")
            return
        labels = {f"{v['doc_id']} · {v['replaced_at']} · {v['replaced_by']}": v
                  for v in versions}
        with st.form("restore"):
            picked = st.selectbox("Bản cũ", list(labels))
            if st.form_submit_button("Khôi phục bản này"):
                act(lambda: restore_version(labels[picked], index_dir, user.name, worker=True))


# --- page -------------------------------------------------------------------------------------

def main() -> None:
    st.set_page_config(page_title="Tra cứu văn bản Đảng", page_icon="📄", layout="wide")
    st.title("Tra cứu văn bản Đảng")
    st.html(page_script(), unsafe_allow_javascript=True)  # lang="vi", Streamlit's words
    index_dir = Path(os.environ.get("TRACUU_INDEX") or default_index_dir())
    user, groups = signed_in(index_dir)
    open_basket(index_dir, user)
    with st.spinner("Đang chuẩn bị chỉ mục (lần đầu: lập chỉ mục bộ văn bản mẫu, khoảng 1 phút)..."):
        ensure_default_index(index_dir)
    try:
        with st.spinner("Đang nạp chỉ mục và mô hình..."):
            searcher = searcher_for(index_dir, st.session_state.pop("index_changed", False))
    except (IndexFolderError, OSError, MilvusUnavailable) as exc:
        st.error(f"Không mở được chỉ mục: {exc}")
        st.stop()
    follow_link(searcher, groups)
    filters = sidebar_filters(searcher, groups)
    info = status(searcher.data)
    st.sidebar.caption(f"Chỉ mục: {info['documents']} văn bản, {info['passages']} đoạn"
                       + (f", tìm trên {info['served_by']}." if info["served_by"] else "."))
    tabs = st.tabs(["Tra cứu", f"Tập trích dẫn ({len(st.session_state.basket)})",
                    "Thư viện văn bản"])
    with tabs[0]:
        search_tab(searcher, filters, groups)
    with tabs[1]:
        basket_tab()
    with tabs[2]:
        library_tab(searcher, index_dir, user, groups)


main()
