"""The document library behind the app: uploaded files kept beside the index, the list of
indexed documents, and the index's status.

Uploaded files are saved in a folder of the index's own, ``uploads/NAME/`` next to the index
(``.tracuu/uploads/index`` for the default index), under their own (cleaned) names, so the index
can always be rebuilt from its sources; then :func:`index.build.add` indexes them.  A file
uploaded again under the same name keeps the one it replaces in ``.previous/``; removing a
document deletes its own source file and nothing else (:func:`remove_upload`).
"""

from __future__ import annotations

import os
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from index.access import Groups, check_groups, parse_groups, visible
from index.readers.documents import SUFFIXES
from index.readers.metadata import document_year
from index.stores.folder import IndexData
from search.filters import filter_value

UPLOAD_SUFFIXES = sorted(SUFFIXES - {".jsonl"})
MAX_UPLOAD_BYTES = 20 * 2**20


@dataclass
class Saved:
    paths: list[Path]
    refused: list[tuple[str, str]]  # (file name, reason)


def uploads_dir(index_dir: Path | str) -> Path:
    """The uploads of the index at ``index_dir``: a folder of its own (indexes side by side
    never share one)."""
    index_dir = Path(index_dir)
    return index_dir.parent / "uploads" / index_dir.name


def basket_file(users_path: Path | str, user: str) -> Path:
    """Where ``user``'s briefing basket is kept: beside the users file (index.users), one
    file per user, its name a hash of the user's name (any name is safe on disk)."""
    import hashlib

    digest = hashlib.sha256(user.encode("utf-8")).hexdigest()[:16]
    return Path(users_path).parent / "baskets" / f"{digest}.json"


def remove_upload(source: str, index_dir: Path | str) -> bool:
    """Delete the uploaded file ``source`` (a removed document's source) when it lies in the
    uploads of ``index_dir``; a source elsewhere (a folder the index was built from) is never
    touched.  True when a file was deleted."""
    path = Path(source)
    folder = uploads_dir(index_dir).resolve()
    if path.resolve().parent != folder or not path.is_file():
        return False
    path.unlink()
    return True


def safe_name(name: str) -> str:
    """A file name that is safe on disk and keeps Vietnamese letters: no folders, no leading
    dots, nothing but letters, digits, ``-``, ``_``, ``.`` and spaces."""
    name = unicodedata.normalize("NFC", Path(name.replace("\\", "/")).name)
    name = re.sub(r"[^\w\-. ]+", "_", name).strip(" .")
    return name or "van-ban"


def save_uploads(files: list[tuple[str, bytes]], folder: Path | str,
                 max_bytes: int = MAX_UPLOAD_BYTES) -> Saved:
    """Write ``(name, content)`` pairs into ``folder``; files of another type, empty or over
    ``max_bytes`` are refused with a reason, the others saved (a name already there is
    replaced, it is the same document again; the file it replaces is kept in ``.previous/``
    with the time it was replaced)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths, refused = [], []
    for name, content in files:
        clean = safe_name(name)
        suffix = Path(clean).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            refused.append((name, f"loại tệp {suffix or '(không có)'} không được hỗ trợ; "
                                  f"chấp nhận: {', '.join(UPLOAD_SUFFIXES)}"))
        elif not content:
            refused.append((name, "tệp rỗng"))
        elif len(content) > max_bytes:
            refused.append((name, f"tệp quá lớn ({len(content) / 2**20:.1f} MB > "
                                  f"{max_bytes / 2**20:.0f} MB)"))
        else:
            path = folder / clean
            if path.exists():
                previous = folder / ".previous"
                previous.mkdir(exist_ok=True)
                path.replace(previous / f"{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns()}-"
                                        f"{clean}")
            path.write_bytes(content)
            paths.append(path)
    return Saved(paths, refused)


def documents_table(data: IndexData, groups: Groups = None) -> list[dict]:
    """One row per indexed document a reader of ``groups`` may see (:mod:`index.access`): id,
    type, code, issuer, date, title, passages, source, access groups."""
    groups = check_groups(groups)
    counts: dict[str, int] = {}
    for p in data.passages:
        counts[p.doc_id] = counts.get(p.doc_id, 0) + 1
    rows = []
    for doc_id, doc in sorted(data.documents.items()):
        meta = doc.metadata
        if not visible(meta, groups):
            continue
        rows.append({"doc_id": doc_id, "doc_type": filter_value(meta, "doc_type"),
                     "code": meta.get("code", ""), "issuer": meta.get("issuer", ""),
                     "date": meta.get("date") or str(meta.get("year", "")),
                     "title": doc.title, "passages": counts.get(doc_id, 0),
                     "source": Path(doc.source).name,
                     "access": ", ".join(meta.get("access") or [])})
    return rows


@dataclass(frozen=True)
class IndexStatus:
    """What the page says of an index: its documents and passages, its embedding model, when
    it was built, and the server its passages are searched on (``served_by``: empty for the
    folder itself)."""

    documents: int
    passages: int
    model: str
    built_at: str
    served_by: str = ""


def status(data: IndexData) -> IndexStatus:
    """The :class:`IndexStatus` of a loaded index, from its manifest."""
    manifest = data.manifest
    backend = data.backend
    served_by = (f"Milvus {backend['uri']} ({backend['collection']})"
                 if backend.get("name") == "milvus" else "")
    return IndexStatus(len(data.documents), len(data.passages),
                       manifest.get("model", {}).get("name", data.model),
                       manifest.get("built_at", ""), served_by)


def filter_options(data: IndexData, groups: Groups = None) -> dict:
    """The values the search filters can take in this index, over the documents a reader of
    ``groups`` may see: document types, issuers, levels (in their own order) and the range of
    years."""
    groups = check_groups(groups)
    types, issuers, levels, years = set(), set(), set(), set()
    for doc in data.documents.values():
        meta = doc.metadata
        if not visible(meta, groups):
            continue
        types.update([t] if (t := filter_value(meta, "doc_type")) else [])
        issuers.update([i] if (i := filter_value(meta, "issuer")) else [])
        levels.update([meta["level"]] if meta.get("level") else [])
        year = document_year(meta)
        if year:
            years.add(year)
    order = ["Trung ương", "tỉnh", "huyện", "cơ sở"]
    return {"doc_type": sorted(types), "issuer": sorted(issuers),
            "level": sorted(levels, key=lambda v: order.index(v) if v in order else 9),
            "years": (min(years), max(years)) if years else None}


# --- replacing a document: the previous version kept, restorable ------------------------------

def kept_versions_dir(index_dir: Path | str) -> Path:
    """Where the replaced versions of the index's documents are kept: ``versions/NAME/`` next
    to the index, one folder per document and replacement."""
    index_dir = Path(index_dir)
    return index_dir.parent / "versions" / index_dir.name


@dataclass
class Planned:
    """What an upload would do to one file: add a new document, replace one (to confirm), or
    nothing (refused: a document the uploader may not see has that id)."""

    name: str
    doc_id: str
    replaces: bool
    refused: str = ""


def plan_uploads(names: list[str], documents: dict, groups: Groups = None) -> list[Planned]:
    """For each uploaded file name: the document it becomes (its id is the cleaned name
    without extension), whether it replaces an indexed one, and a refusal when that one is
    restricted to groups the uploader is not in (it could otherwise be overwritten by someone
    who cannot read it)."""
    groups = check_groups(groups)
    out = []
    for name in names:
        doc_id = Path(safe_name(name)).stem
        doc = documents.get(doc_id)
        refused = ""
        if doc is not None and not visible(doc.metadata, groups):
            refused = "một văn bản cùng mã đã có và bạn không có quyền xem nó, nên không thay được"
        out.append(Planned(name, doc_id, doc is not None, refused))
    return out


def keep_version(documents: dict, doc_id: str, index_dir: Path | str, user: str) -> Path:
    """Copy what an indexed document is now (its source file when it still exists, its
    metadata and title) into :func:`kept_versions_dir` before it is replaced; returns the folder."""
    import json
    import shutil

    doc = documents[doc_id]
    stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**9:09d}"
    folder = kept_versions_dir(index_dir) / doc_id / stamp
    folder.mkdir(parents=True)
    source = Path(doc.source)
    kept = ""
    if source.is_file():
        shutil.copy2(source, folder / source.name)
        kept = source.name
    (folder / "record.json").write_text(json.dumps(
        {"doc_id": doc_id, "title": doc.title, "source": doc.source, "file": kept,
         "metadata": doc.metadata, "replaced_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
         "replaced_by": user}, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder


def list_versions(index_dir: Path | str) -> list[dict]:
    """The kept versions, newest first: doc_id, stamp, title, file, replaced_at, replaced_by,
    access, folder."""
    import json

    out = []
    root = kept_versions_dir(index_dir)
    for record in sorted(root.glob("*/*/record.json"), reverse=True):
        row = json.loads(record.read_text(encoding="utf-8"))
        out.append({"doc_id": row["doc_id"], "stamp": record.parent.name, "title": row["title"],
                    "file": row["file"], "replaced_at": row["replaced_at"],
                    "replaced_by": row["replaced_by"],
                    "access": row["metadata"].get("access") or [], "folder": str(record.parent)})
    return sorted(out, key=lambda r: r["stamp"], reverse=True)


def version_file(version: dict) -> Path:
    """The kept file of a version (a ValueError when it was not kept: a source outside the
    uploads that had gone by then)."""
    if not version["file"]:
        raise ValueError(f"the version of {version['doc_id']} of {version['replaced_at']} has "
                         "no file kept; it cannot be restored")
    return Path(version["folder"]) / version["file"]


# --- what the app's editors and admins do, with the audit log ---------------------------------

UPLOAD_NICENESS = 10  # an upload's CPU priority below the readers' (index.worker's process)


def lower_priority() -> None:
    """Lower the CPU priority of the calling thread (and of the threads it starts, such as the
    embedding model's) by :data:`UPLOAD_NICENESS`: indexing an upload takes seconds of CPU,
    and on a small server the readers' questions go first.  Linux only; elsewhere, or when the
    system refuses, nothing changes.  A thread cannot raise its priority back: call this in a
    thread that ends with the work (the app runs each page in a thread of its own)."""
    import threading

    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(),
                       min(19, os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
                           + UPLOAD_NICENESS))
    except (AttributeError, OSError):
        pass


def _change(change: str, index_dir: Path, worker: bool, progress=None, **arguments):
    """``index.build.add`` or ``remove`` here, or with ``worker`` in a process of its own
    (:mod:`index.worker`); the report."""
    from index.worker import apply_change, run_change

    return (run_change if worker else apply_change)(change, index_dir, progress, **arguments)


@dataclass
class Outcome:
    """Messages for the page: ``(kind, text)`` with kind ``success``, ``warning`` or ``error``."""

    messages: list[tuple[str, str]]


def upload_documents(files: list[tuple[str, bytes]], index_dir: Path | str, user: str,
                     groups: Groups = None, access: list[str] | str | None = None,
                     confirmed: set[str] = frozenset(), progress=None,
                     worker: bool = False) -> Outcome:
    """Add uploaded files to the index for ``user`` (an editor of ``groups``): a file whose
    document exists replaces it only when its id is in ``confirmed``, after the previous
    version is kept (:func:`keep_version`); one the uploader may not see is refused.  Every
    addition and replacement goes to the audit log with the file's hash.  ``access``: the
    groups the new documents are restricted to.  ``worker``: index in a process of its own at
    lower CPU priority (:mod:`index.worker`; the app's uploads)."""
    from index.stores.loading import read_documents
    from index.users import audit

    index_dir = Path(index_dir)
    documents = read_documents(index_dir)
    messages: list[tuple[str, str]] = []
    keep: list[tuple[str, bytes]] = []
    replacing: list[str] = []
    for (name, content), plan in zip(files, plan_uploads([n for n, _ in files], documents, groups)):
        if plan.refused:
            messages.append(("error", f"{name}: {plan.refused}"))
        elif plan.replaces and plan.doc_id not in confirmed:
            messages.append(("warning", f"{name}: văn bản {plan.doc_id} đã có; chưa thay vì "
                                        "chưa được xác nhận"))
        else:
            keep.append((name, content))
            if plan.replaces:
                replacing.append(plan.doc_id)
    saved = save_uploads(keep, uploads_dir(index_dir))
    messages += [("error", f"{name}: {reason}") for name, reason in saved.refused]
    if not saved.paths:
        return Outcome(messages)
    for doc_id in replacing:
        if any(p.stem == doc_id for p in saved.paths):
            keep_version(documents, doc_id, index_dir, user)
    report = _change("add", index_dir, worker, progress, sources=[str(p) for p in saved.paths],
                     access=parse_groups(access))
    skipped = {Path(p).resolve() for p, _ in report.skipped}
    messages += [("error", f"{Path(p).name}: {reason}") for p, reason in report.skipped]
    for path in saved.paths:
        if path.resolve() in skipped:
            path.unlink(missing_ok=True)
            continue
        audit(index_dir, user, "replace" if path.stem in replacing else "upload", path.stem,
              path, detail=",".join(parse_groups(access)))
    messages.append(("success", f"Đã thêm {report.documents} văn bản ({report.passages} đoạn)"
                                + (f", thay {len(replacing)} văn bản cũ (bản cũ được lưu lại)"
                                   if replacing else "") + "."))
    return Outcome(messages)


def remove_document(doc_id: str, index_dir: Path | str, user: str,
                    groups: Groups = None, worker: bool = False) -> Outcome:
    """Remove ``doc_id`` for ``user`` (an editor of ``groups``): its version kept first, so an
    admin can restore it; its own uploaded file deleted; the removal audited.  ``worker``: as
    for :func:`upload_documents`."""
    from index.stores.loading import read_documents
    from index.users import audit

    index_dir = Path(index_dir)
    documents = read_documents(index_dir)
    doc = documents.get(doc_id)
    if doc is None or not visible(doc.metadata, check_groups(groups)):
        return Outcome([("error", f"Không có văn bản {doc_id}.")])
    folder = keep_version(documents, doc_id, index_dir, user)
    _change("remove", index_dir, worker, doc_ids=[doc_id])
    kept = next((p for p in folder.iterdir() if p.name != "record.json"), None)
    audit(index_dir, user, "remove", doc_id, kept)
    remove_upload(doc.source, index_dir)
    return Outcome([("success", f"Đã gỡ {doc_id} (bản cũ được lưu lại, quản trị viên có thể "
                                "khôi phục).")])


def restore_version(version: dict, index_dir: Path | str, user: str, progress=None,
                    worker: bool = False) -> Outcome:
    """Put a kept version back in the index (the current one, if any, kept in turn), with the
    access groups it had; audited.  ``worker``: as for :func:`upload_documents`."""
    import shutil

    from index.stores.loading import read_documents
    from index.users import audit

    index_dir = Path(index_dir)
    source = version_file(version)
    documents = read_documents(index_dir)
    if version["doc_id"] in documents:
        keep_version(documents, version["doc_id"], index_dir, user)
    folder = uploads_dir(index_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{version['doc_id']}{source.suffix}"
    shutil.copy2(source, target)
    _change("add", index_dir, worker, progress, sources=[str(target)],
            access=parse_groups(version["access"] or None))
    audit(index_dir, user, "restore", version["doc_id"], target,
          detail=f"version of {version['replaced_at']}")
    return Outcome([("success", f"Đã khôi phục {version['doc_id']} (bản của "
                                f"{version['replaced_at']}).")])


def undo_removal(doc_id: str, index_dir: Path | str, user: str, worker: bool = False
                 ) -> Outcome:
    """Put back a document a removal took out: its latest kept version (a removal keeps one),
    with its access groups; a warning when no version of it is kept."""
    kept = [v for v in list_versions(index_dir) if v["doc_id"] == doc_id]
    if not kept:
        return Outcome([("warning", f"Không còn bản lưu của {doc_id} để khôi phục.")])
    return restore_version(kept[0], index_dir, user, worker=worker)
