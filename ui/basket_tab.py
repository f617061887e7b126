"""The briefing basket: passages kept with their citations and notes, saved per user, undone
for a while, exported as DOCX or Markdown."""

from __future__ import annotations

import html
import time
from pathlib import Path

import streamlit as st

from index.library import basket_file
from index.users import User, users_file
from search import briefing
from ui.html import DOCX_MIME, block, download_script


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
