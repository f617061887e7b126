"""Versions of an index folder: each write goes to a new version folder beside the index, made
durable (fsync), then one symbolic link is switched to it; a writer lock keeps writers apart;
a crash at any step leaves the previous version or the new one, and the next writer clears
what was left (docs/reliability.md)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
import uuid
from pathlib import Path


class IndexFolderError(Exception):
    """An index folder that cannot be used as it is; the message says what to do."""


class IndexBusyError(IndexFolderError):
    """Another writer holds the index longer than a writer waits."""


KEEP_VERSIONS = 2  # the current version and the one before (a reader may still be loading it)
LOCK_WAIT = 600.0  # seconds a writer waits for another before giving up


def _beside(index_dir: Path, what: str) -> Path:
    """``.NAME.what`` next to the index at ``index_dir``: its versions, lock, new links."""
    index_dir = Path(index_dir)
    return index_dir.parent / f".{index_dir.name}.{what}"


def versions_dir(index_dir: Path) -> Path:
    """Where the versions of the index at ``index_dir`` live: beside it."""
    return _beside(index_dir, "versions")


def new_version(store: Path) -> Path:
    """A version name of its own, in time order."""
    return store / f"v-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"


def crash_point(step: str) -> None:
    """A named step of :func:`write_index`; the fault tests replace this to stop there."""


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())
    fsync_dir(folder)


def is_index(folder: Path) -> bool:
    return (Path(folder) / "manifest.json").is_file()


def check_target(out: Path, sources: list[Path] = ()) -> None:
    """Refuse to write an index at ``out`` unless it is missing, an empty folder or an index:
    a build never deletes what it did not make, and never the sources it reads."""
    out = Path(out)
    target = out.resolve()
    for source in sources:
        source = Path(source).resolve()
        if target == source or source.is_relative_to(target) or target.is_relative_to(source):
            raise IndexFolderError(f"{out}: the index would be written over the documents it is "
                                   f"built from ({source}); choose another --out")
    if out.is_symlink() or not out.exists():
        if out.is_symlink() and out.exists() and not is_index(out):
            raise IndexFolderError(f"{out}: a link to something that is not an index; choose "
                                   "another --out")
        return
    if not out.is_dir():
        raise IndexFolderError(f"{out}: a file, not an index folder; choose another --out")
    if not is_index(out) and any(out.iterdir()):
        raise IndexFolderError(f"{out}: a folder with other files in it (no manifest.json); "
                               "an index is only written to a new or empty folder or over an "
                               "index, choose another --out")


@contextlib.contextmanager
def writer_lock(index_dir: Path | str, wait: float = LOCK_WAIT, say=None):
    """Hold the writer lock of ``index_dir`` (a file beside it): one writer at a time, in this
    process or another.  A second writer waits up to ``wait`` seconds (``say`` hears that it
    waits), then gives up with :class:`IndexBusyError`; readers never take it."""
    index_dir = Path(index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(_beside(index_dir, "lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise IndexBusyError(f"{index_dir}: another change to this index has run "
                                         f"for over {wait:.0f} s; try again when it ends") from None
                if say:
                    say(f"{index_dir}: another change to this index is running; waiting for "
                        "it ...")
                    say = None  # once
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def clean_leftovers(index_dir: Path, store: Path) -> None:
    """Temporary folders and links left by writers that crashed (the lock is held)."""
    for path in store.glob(".tmp-*"):
        shutil.rmtree(path, ignore_errors=True)
    for path in index_dir.parent.glob(_beside(index_dir, "link-*").name):
        path.unlink(missing_ok=True)


def prune(index_dir: Path, store: Path) -> None:
    current = os.readlink(index_dir) if index_dir.is_symlink() else ""
    versions = sorted(p for p in store.glob("v-*") if p.is_dir())
    for old in versions[:-KEEP_VERSIONS]:
        if Path(current).name != old.name:
            shutil.rmtree(old, ignore_errors=True)


def point(index_dir: Path, version: Path) -> None:
    """Point the link ``index_dir`` at ``version`` with one atomic rename."""
    link = _beside(index_dir, f"link-{uuid.uuid4().hex[:12]}")
    os.symlink(os.path.relpath(version, index_dir.parent), link)
    os.replace(link, index_dir)
    fsync_dir(index_dir.parent)


def adopt_plain_folder(index_dir: Path, store: Path) -> None:
    """An index written as plain files at the path (older versions) or an empty folder: move
    the index into the versions folder and link to it; remove the empty folder."""
    if index_dir.is_symlink() or not index_dir.exists():
        return
    if not is_index(index_dir):
        index_dir.rmdir()  # empty (check_target refused anything else)
        return
    version = new_version(store)
    os.replace(index_dir, version)
    crash_point("adopted")
    point(index_dir, version)


def recover(index_dir: Path | str) -> bool:
    """After a crash between moving a plain index folder into the versions folder and linking
    to it, link to the newest complete version again; True when it did."""
    index_dir = Path(index_dir)
    store = versions_dir(index_dir)
    if index_dir.exists() or index_dir.is_symlink() or not store.is_dir():
        return False
    versions = sorted(p for p in store.glob("v-*") if is_index(p))
    if not versions:
        return False
    with writer_lock(index_dir):
        if not (index_dir.exists() or index_dir.is_symlink()):
            point(index_dir, versions[-1])
    return True


def delete_index(index_dir: Path | str) -> None:
    """Remove the index at ``index_dir``: the link (or plain folder), its versions, its lock."""
    index_dir = Path(index_dir)
    if index_dir.is_symlink():
        index_dir.unlink()
    elif index_dir.exists():
        shutil.rmtree(index_dir)
    shutil.rmtree(versions_dir(index_dir), ignore_errors=True)
    _beside(index_dir, "lock").unlink(missing_ok=True)
