"""Which files a build reads: the supported files of folders (links followed only when asked),
in a stable order, read one at a time; and a BEIR corpus.jsonl as documents."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from index.readers.documents import (
    SUFFIXES,
    Document,
    DocumentError,
    Limits,
    _check_chars,
    clean_text,
    read_file,
)


def read_beir(path: Path | str, limits: Limits | None = None) -> Iterator[Document]:
    """Documents of a BEIR ``corpus.jsonl``; a bad row raises :class:`DocumentError`."""
    path = Path(path)
    limits = limits or Limits.from_env()
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                doc_id, text = str(row["_id"]), row.get("text") or ""
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise DocumentError(path, f"line {lineno}: expected a JSON object with "
                                          f"'_id', 'title', 'text' ({type(exc).__name__})") from None
            title = (row.get("title") or "").strip()
            text = clean_text(text)
            _check_chars(f"{path}#{doc_id}", text, limits)
            if not text.strip():
                continue
            yield Document(doc_id=doc_id, text=text, source=f"{path}#{doc_id}", title=title,
                           metadata={"title": title} if title else {})


def find_files(sources: list[str | Path], follow_links: bool = False
               ) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand files and folders into readable paths; missing paths come back as skipped, and
    symbolic links inside a folder too unless ``follow_links`` (a link to ``/etc/passwd`` in
    a shared folder is not a document; a path given itself is read as given)."""
    files, skipped = [], []
    for src in sources:
        src = Path(src)
        if src.is_dir():
            found = sorted(p for p in src.rglob("*")
                           if p.is_file() and not p.name.startswith(".")
                           and p.suffix.lower() in SUFFIXES)
            links = [p for p in found if not follow_links and _linked(p, src)]
            skipped += [(str(p), "a symbolic link (follow links with --follow-links)")
                        for p in links]
            found = [p for p in found if p not in links]
            if not found and not links:
                skipped.append((str(src), "no supported files in this folder"))
            files.extend(found)
        elif src.is_file():
            files.append(src)
        else:
            skipped.append((str(src), "no such file or folder"))
    return files, skipped


def _linked(path: Path, root: Path) -> bool:
    """Whether ``path`` or a folder between it and ``root`` is a symbolic link."""
    while path != root and path != path.parent:
        if path.is_symlink():
            return True
        path = path.parent
    return False


def read_sources(sources: list[str | Path], follow_links: bool = False,
                 limits: Limits | None = None
                 ) -> tuple[list[Document], list[tuple[str, str]]]:
    """Read every file under ``sources``: (documents, [(path, reason) of skipped files])."""
    files, skipped = find_files(sources, follow_links)
    return list(read_each(files, skipped, limits)), skipped


def read_each(files: list[Path], skipped: list[tuple[str, str]],
              limits: Limits | None = None) -> Iterator[Document]:
    """The documents of ``files`` one file at a time (a BEIR ``corpus.jsonl`` gives many); a
    file that cannot be read, and a document whose id was already read, go to ``skipped`` as
    (path, reason)."""
    limits = limits or Limits.from_env()
    seen: dict[str, str] = {}
    for path in files:
        try:
            docs = list(read_beir(path, limits)) if path.suffix.lower() == ".jsonl" else \
                [read_file(path, limits=limits)]
        except DocumentError as exc:
            skipped.append((exc.path, exc.reason))
            continue
        for doc in docs:
            if doc.doc_id in seen:
                skipped.append((doc.source, f"duplicate document id {doc.doc_id!r} "
                                            f"(already read from {seen[doc.doc_id]})"))
                continue
            seen[doc.doc_id] = doc.source
            yield doc
