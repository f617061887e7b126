"""The searcher of the index's current version, one per server process: loaded once, the next
version loaded beside it while the previous one answers, its memory given back after."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from index.library import lower_priority
from index.stores.loading import release_freed_memory
from search import Searcher


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
