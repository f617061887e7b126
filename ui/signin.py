"""Who is using the page: sign-in against the index's users file (:mod:`index.users`), the
session's expiry, and the one-user mode on localhost (``TRACUU_AUTH=off``)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import streamlit as st

from index.users import User, UserStore, audit, first_admin_banner

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
