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
        hits = searcher.search(query, k=int(k), mode=MODES[mode])
    for notice in info.notices:
        st.caption(f"Lưu ý: {html.escape(notice)}")
    if info.explain():
        st.caption(f"Hiểu là: {html.escape(info.explain())}")
    if not hits:
        st.info("Không tìm thấy đoạn văn bản phù hợp.")
        return
    for hit in hits:
        with st.container(border=True):
            st.markdown(f"**{hit.rank}. {html.escape(hit.citation)}**")
            st.markdown(f"<div>{highlighted(hit)}</div>", unsafe_allow_html=True)
            st.caption(f"điểm {hit.score:.3f} · {html.escape(hit.doc_id)} · ký tự "
                       f"{hit.start}–{hit.end}")


main()
