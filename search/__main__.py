"""Command line: ``python -m search "QUERY" [--index DIR] [--k 10] [--mode M] [--json]``, and
``python -m search --open PASSAGE_ID`` to read a cited passage in its whole document."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import textwrap
from pathlib import Path

from index.access import parse_groups
from index.readers.documents import CONTROL_CHARS


class _Printable:
    """stdout with control characters (but newline and tab) removed: a text indexed before
    they were removed on reading, printed in a terminal, cannot drive it (clear the screen,
    write the clipboard)."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(CONTROL_CHARS.sub("", text))

    def __getattr__(self, name):
        return getattr(self.stream, name)


def main(argv: list[str] | None = None) -> int:
    from index.logs import show_progress

    show_progress()
    with contextlib.redirect_stdout(_Printable(sys.stdout)):
        return _main(argv)


def parser() -> argparse.ArgumentParser:
    """The command line's parser."""
    parser = argparse.ArgumentParser(prog="python -m search",
                                     description="Search a Tra cứu index and print cited passages.")
    parser.add_argument("query", nargs="?", default=None)
    parser.add_argument("--open", metavar="PASSAGE_ID", default=None,
                        help="print the whole document of a hit's passage_id, the passage "
                             "marked with ⟦ ⟧ (with --json: text and offsets)")
    parser.add_argument("--index", type=Path, default=None,
                        help="index folder (default: the project's index, built from the sample "
                             "corpus on first use)")
    parser.add_argument("--k", type=int, default=10, help="number of passages (default 10)")
    parser.add_argument("--mode", default="hybrid", help="hybrid (default), bm25 or dense")
    parser.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                        help="doc_type=..., issuer=..., level=..., year=2017 or year=2017..2019")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--groups", default=None, metavar="G1,G2",
                        help="search as a reader in these access groups: documents restricted "
                             "to other groups are left out (default: the operator, who sees "
                             "every document)")
    return parser


def _main(argv: list[str] | None) -> int:
    command = parser()
    args = command.parse_args(argv)

    from index.readers.documents import DocumentError
    from index.stores.milvus import MilvusUnavailable
    from index.stores.versions import IndexFolderError

    from .searcher import MODES, Searcher

    if args.open is not None:
        return open_main(args)
    if args.query is None:
        command.error("a QUERY (or --open PASSAGE_ID) is required")
    try:
        if args.mode not in MODES:
            raise ValueError(f"unknown mode {args.mode!r}; expected one of {', '.join(MODES)}")
        if args.k < 1:
            raise ValueError(f"--k must be at least 1, got {args.k}")
        filters = parse_filters(args.filter)
        Searcher.check_query(args.query)
        if args.index is None:
            from index.build import ensure_default_index

            index_dir = ensure_default_index()
        else:
            index_dir = args.index
        searcher = Searcher.load(index_dir)
        groups = None if args.groups is None else parse_groups(args.groups)
        answer = searcher.ask(args.query, k=args.k, mode=args.mode, filters=filters,
                              groups=groups)
        info = answer.info
    except (ValueError, TypeError, IndexFolderError, DocumentError, ImportError,
            MilvusUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"query": args.query, "hits": [h.to_dict() for h in answer.hits],
                          "answer": answer.to_dict(), "query_info": info.to_dict()},
                         ensure_ascii=False, indent=2))
    else:
        print_answer(answer)
    return 0


def print_answer(answer) -> None:
    """An answer as the terminal shows it: how the query was read, the answer or the card of
    the document asked for, the obligations found, then the ranked passages."""
    info = answer.info
    for notice in info.notices:
        print(f"note: {notice}", file=sys.stderr)
    if info.explain():
        print(f"(hiểu là: {info.explain()})\n")
    if answer.outcome == "none":
        print(f"{answer.message}.")
        return
    if answer.document is not None:
        print_card(answer.document)
    elif answer.outcome == "answer":
        print(textwrap.fill("Trả lời: " + answer_text(answer), 100, subsequent_indent="  "))
        print(f"  ({answer.citation})\n")
    else:
        print(f"{answer.message}. Các đoạn liên quan nhất:\n")
    if answer.obligations:
        print("Nghĩa vụ tìm thấy:")
        for ob in answer.obligations:
            line = f"- {ob.who or '?'}: {ob.action} [{'; '.join(ob.when)}]"
            if ob.to:
                line += f" → {ob.to}" + (f" (qua {ob.via})" if ob.via else "")
            print(textwrap.fill(line, 100, subsequent_indent="  "))
            print(f"  ({ob.citation})")
        print()
    for h in answer.hits:
        print(f"{h.rank}. [{h.score:.3f}] {h.citation}")
        print(textwrap.indent(textwrap.fill(" ".join(h.text.split())[:600], 100), "   "))
        if h.answer:
            print(textwrap.indent(textwrap.fill("» " + " ".join(h.answer.split()), 100), "   "))
        print()


def answer_text(answer) -> str:
    """The answering sentence on one line, what the question asks for in it between ⟦ ⟧."""
    text = answer.text
    if answer.span and answer.start is not None:
        a, b = answer.span["start"] - answer.start, answer.span["end"] - answer.start
        text = text[:a] + "⟦" + text[a:b] + "⟧" + text[b:]
    return " ".join(text.split())


def print_card(card: dict) -> None:
    """The card of a document asked for by its code."""
    print(f"{card['doc_type'] or 'Văn bản'} số {card['code']}")
    from search.references import card_lines

    for label, value in card_lines(card):
        print(textwrap.fill(f"  {label}: {value}", 100, subsequent_indent="    "))
    if card["cited_by"]:
        print("  Được dẫn chiếu trong:")
        for ref in card["cited_by"]:
            print(f"  - {ref['citation']}")
    print()


def open_main(args) -> int:
    from index.stores.milvus import MilvusUnavailable
    from index.stores.versions import IndexFolderError

    from .searcher import Searcher

    try:
        if args.index is None:
            from index.build import ensure_default_index

            index_dir = ensure_default_index()
        else:
            index_dir = args.index
        groups = None if args.groups is None else parse_groups(args.groups)
        doc = Searcher.load(index_dir).open_passage(args.open, groups=groups)
    except (KeyError, IndexFolderError, ValueError, MilvusUnavailable) as exc:
        print(f"error: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(doc.to_dict(), ensure_ascii=False, indent=2))
        return 0
    text, a, b = doc.text, doc.start, doc.end
    print(f"{doc.citation}\n{doc.source}\n")
    print(text[:a] + "⟦" + text[a:b] + "⟧" + text[b:])
    return 0


def parse_filters(items: list[str]) -> dict:
    """``--filter KEY=VALUE`` options as the searcher's filters; one key given several times
    keeps any of its values (``doc_type=A --filter doc_type=B``: A or B)."""
    filters: dict = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not value:
            raise ValueError(f"bad --filter {item!r}: expected KEY=VALUE, e.g. year=2017..2019")
        key = key.strip()
        if key == "year":
            lo, _, hi = value.partition("..")
            if not lo.strip().isdigit() or (hi and not hi.strip().isdigit()):
                raise ValueError(f"bad year filter {value!r}: expected 2017 or 2017..2019")
            if "year" in filters:
                raise ValueError("one --filter year=… at most; give a range: year=2017..2019")
            filters["year"] = (int(lo), int(hi or lo))
        else:
            filters.setdefault(key, []).append(value.strip())
    return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in filters.items()}


if __name__ == "__main__":
    if hasattr(signal, "SIGPIPE"):  # `... | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
