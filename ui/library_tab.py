"""The document library: what the index holds, uploads and removals by editors (run by
:mod:`index.library` in a process of their own), users, the audit log and kept versions for
admins."""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from index.access import parse_groups
from index.library import (
    MAX_UPLOAD_BYTES,
    UPLOAD_SUFFIXES,
    documents_table,
    list_versions,
    remove_document,
    restore_version,
    status,
    undo_removal,
    upload_documents,
)
from index.readers.documents import DocumentError
from index.stores.versions import IndexFolderError
from index.users import ROLES, User, UserError, UserStore, audit, audit_csv, read_audit
from search import Searcher
from ui.basket_tab import UNDO_SECONDS
from ui.signin import ROLE_NAMES


def library_tab(searcher: Searcher, index_dir: Path, user: User,
                groups: list[str] | None) -> None:
    info = status(searcher.data)
    cols = st.columns(4)
    cols[0].metric("Văn bản", info.documents)
    cols[1].metric("Đoạn", info.passages)
    cols[2].metric("Mô hình", info.model)
    cols[3].metric("Lập chỉ mục lúc", info.built_at[:16].replace("T", " "))
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
            act(lambda: undo_removal(undo["doc_id"], index_dir, user.name, worker=True))
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
