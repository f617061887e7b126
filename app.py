"""Tra cứu - search page (Streamlit).  UI only: every step calls index/ and search/.

Run with ``streamlit run app.py``; the index of the sample corpus is built on first use.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import streamlit as st

from index.build import ensure_default_index
from index.paths import default_index_dir
from index.store import IndexFolderError
from search import Searcher

MODES = {"Kết hợp": "hybrid", "Từ khóa (BM25)": "bm25", "Ngữ nghĩa": "dense"}


@st.cache_resource(show_spinner=False)
def load_searcher(index_dir: str) -> Searcher:
    return Searcher.load(index_dir)


def highlighted(hit) -> str:
    """The passage, escaped, with the answering sentence marked."""
    text = hit.text
    if hit.answer_start is None:
        return html.escape(text).replace("\n", "<br>")
    a, b = hit.answer_start - hit.start, hit.answer_end - hit.start
    return (html.escape(text[:a]) + "<mark>" + html.escape(text[a:b]) + "</mark>"
            + html.escape(text[b:])).replace("\n", "<br>")


def opened_document(opened: dict) -> str:
    """The whole document, escaped, with the cited passage marked (its offsets)."""
    text, a, b = opened["text"], opened["start"], opened["end"]
    return ("<div style='white-space: pre-wrap; max-height: 32em; overflow-y: auto'>"
            + html.escape(text[:a]) + "<mark id='passage'>" + html.escape(text[a:b])
            + "</mark>" + html.escape(text[b:]) + "</div>")


def show_obligations(obligations) -> None:
    st.subheader("Nghĩa vụ, thời hạn tìm thấy")
    rows = []
    for ob in obligations:
        rows.append({"Ai": ob.who or "—", "Việc": ob.action, "Thời hạn": "; ".join(ob.when),
                     "Gửi đến": ob.to + (f" (qua {ob.via})" if ob.via else ""),
                     "Căn cứ": ob.citation})
    st.dataframe(rows, hide_index=True, use_container_width=True)


def main() -> None:
    st.set_page_config(page_title="Tra cứu văn bản Đảng", page_icon="📄", layout="wide")
    st.title("Tra cứu văn bản Đảng")
    index_dir = Path(os.environ.get("TRACUU_INDEX") or default_index_dir())
    with st.spinner("Đang chuẩn bị chỉ mục (lần đầu: lập chỉ mục bộ văn bản mẫu, khoảng 1 phút)..."):
        ensure_default_index(index_dir)
    try:
        searcher = load_searcher(str(index_dir))
    except IndexFolderError as exc:
        st.error(f"Không mở được chỉ mục: {exc}")
        st.stop()
    manifest = searcher.data.manifest
    st.caption(f"{manifest['counts']['documents']} văn bản, {manifest['counts']['passages']} "
               f"đoạn; lập chỉ mục lúc {manifest['built_at']}")

    with st.form("search"):
        query = st.text_input("Câu hỏi hoặc từ khóa",
                              placeholder="vd: thời hạn báo cáo của chi bộ")
        cols = st.columns([2, 1])
        mode = cols[0].radio("Chế độ tìm", list(MODES), horizontal=True)
        k = cols[1].number_input("Số kết quả", min_value=1, max_value=50, value=10)
        submitted = st.form_submit_button("Tìm")
    if not submitted:
        return
    if not query.strip():
        st.warning("Hãy nhập câu hỏi hoặc từ khóa.")
        return
    with st.spinner("Đang tìm..."):
        info = searcher.analyze(query)
        answer = searcher.ask(query, k=int(k), mode=MODES[mode])
    for notice in info.notices:
        st.caption(f"Lưu ý: {html.escape(notice)}")
    if info.explain():
        st.caption(f"Hiểu là: {html.escape(info.explain())}")
    if answer.abstained:
        st.warning(f"{answer.message}.")
        if answer.closest:
            with st.expander("Xem các đoạn gần nhất (độ tin cậy thấp)"):
                for hit in answer.closest:
                    st.markdown(f"**{html.escape(hit.citation)}**")
                    st.markdown(f"<div>{highlighted(hit)}</div>", unsafe_allow_html=True)
        return
    if answer.obligations:
        show_obligations(answer.obligations)
    for hit in answer.hits:
        with st.container(border=True):
            st.markdown(f"**{hit.rank}. {html.escape(hit.citation)}**")
            st.markdown(f"<div>{highlighted(hit)}</div>", unsafe_allow_html=True)
            st.caption(f"điểm {hit.score:.3f} · {html.escape(hit.doc_id)} · ký tự "
                       f"{hit.start}–{hit.end}")
            with st.expander("Mở toàn văn"):
                opened = searcher.open_passage(hit.passage_id)
                st.caption(html.escape(opened["source"]))
                st.markdown(opened_document(opened), unsafe_allow_html=True)


main()
