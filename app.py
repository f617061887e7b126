"""Tra cứu - the Streamlit app: search with filters, answers and cited passages, a briefing
basket exported as DOCX or Markdown, and the document library (upload, list, remove).

UI only: every step calls index/ and search/; the parts of the page are in ``ui/`` (this file
puts them together).  Run with ``streamlit run app.py``; the index of the sample corpus is
built on first use (``TRACUU_INDEX`` points to another index folder).

Sign-in is on (:mod:`index.users`): on the very first start an ``admin`` is made and its
one-time password printed in the terminal.  A reader searches and reads the documents of their
access groups, an editor also uploads, replaces and removes, an admin also manages users, reads
the audit log and restores kept versions.  ``TRACUU_AUTH=off`` is one user on a laptop, with no
sign-in: refused unless the server listens on localhost only.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from index.build import ensure_default_index
from index.library import status
from index.paths import default_index_dir
from index.stores.milvus import MilvusUnavailable
from index.stores.versions import IndexFolderError
from search.page import page_script
from ui.basket_tab import basket_tab, open_basket
from ui.library_tab import library_tab
from ui.search_tab import follow_link, search_tab, sidebar_filters
from ui.serving import searcher_for
from ui.signin import signed_in


def main() -> None:
    st.set_page_config(page_title="Tra cứu văn bản Đảng", page_icon="📄", layout="wide")
    st.title("Tra cứu văn bản Đảng")
    st.html(page_script(), unsafe_allow_javascript=True)  # lang="vi", Streamlit's words
    index_dir = Path(os.environ.get("TRACUU_INDEX") or default_index_dir())
    user, groups = signed_in(index_dir)
    open_basket(index_dir, user)
    with st.spinner("Đang chuẩn bị chỉ mục (lần đầu: lập chỉ mục bộ văn bản mẫu, khoảng 1 "
                    "phút)..."):
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
    st.sidebar.caption(f"Chỉ mục: {info.documents} văn bản, {info.passages} đoạn"
                       + (f", tìm trên {info.served_by}." if info.served_by else "."))
    tabs = st.tabs(["Tra cứu", f"Tập trích dẫn ({len(st.session_state.basket)})",
                    "Thư viện văn bản"])
    with tabs[0]:
        search_tab(searcher, filters, groups)
    with tabs[1]:
        basket_tab()
    with tabs[2]:
        library_tab(searcher, index_dir, user, groups)


if __name__ == "__main__":  # streamlit run app.py
    main()
