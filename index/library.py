"""The document library behind the app: uploaded files kept beside the index, the list of
indexed documents, and the index's status.

Uploaded files are saved in a folder of the index's own, ``uploads/NAME/`` next to the index
(``.tracuu/uploads/index`` for the default index), under their own (cleaned) names, so the index
can always be rebuilt from its sources; then :func:`index.build.add` indexes them.  A file
uploaded again under the same name keeps the one it replaces in ``.previous/``; removing a
document deletes its own source file and nothing else (:func:`remove_upload`).
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .access import Groups, check_groups, visible
from .documents import SUFFIXES
from .metadata import document_year
from .store import IndexData

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
        rows.append({"doc_id": doc_id, "doc_type": meta.get("doc_type", ""),
                     "code": meta.get("code", ""), "issuer": meta.get("issuer", ""),
                     "date": meta.get("date") or str(meta.get("year", "")),
                     "title": doc.title, "passages": counts.get(doc_id, 0),
                     "source": Path(doc.source).name,
                     "access": ", ".join(meta.get("access") or [])})
    return rows


def status(data: IndexData) -> dict:
    """Documents, passages, model, build time and the server the passages are searched on
    (``served_by``: empty for the folder itself), from the manifest."""
    manifest = data.manifest
    backend = data.backend
    served_by = (f"Milvus {backend['uri']} ({backend['collection']})"
                 if backend.get("name") == "milvus" else "")
    return {"documents": len(data.documents), "passages": len(data.passages),
            "model": manifest.get("model", {}).get("name", data.model),
            "built_at": manifest.get("built_at", ""), "served_by": served_by}


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
        types.update([meta["doc_type"]] if meta.get("doc_type") else [])
        issuers.update([meta["issuer"]] if meta.get("issuer") else [])
        levels.update([meta["level"]] if meta.get("level") else [])
        year = document_year(meta)
        if year:
            years.add(year)
    order = ["Trung ương", "tỉnh", "huyện", "cơ sở"]
    return {"doc_type": sorted(types), "issuer": sorted(issuers),
            "level": sorted(levels, key=lambda v: order.index(v) if v in order else 9),
            "years": (min(years), max(years)) if years else None}
