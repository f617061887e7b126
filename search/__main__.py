"""Command line: ``python -m search "QUERY" [--index DIR] [--k 10] [--mode M] [--json]``."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import textwrap
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m search",
                                     description="Search a Tra cứu index and print cited passages.")
    parser.add_argument("query")
    parser.add_argument("--index", type=Path, default=None,
                        help="index folder (default: the project's index, built from the sample "
                             "corpus on first use)")
    parser.add_argument("--k", type=int, default=10, help="number of passages (default 10)")
    parser.add_argument("--mode", default="hybrid", help="hybrid (default), bm25 or dense")
    parser.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                        help="doc_type=..., issuer=..., level=..., year=2017 or year=2017..2019")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)

    from index.documents import DocumentError
    from index.store import IndexFolderError

    from .searcher import MODES, Searcher

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
        info = searcher.analyze(args.query)
        hits = searcher.search(args.query, k=args.k, mode=args.mode, filters=filters)
    except (ValueError, TypeError, IndexFolderError, DocumentError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    answer = next((h.answer for h in hits if h.answer), "")
    if args.json:
        print(json.dumps({"query": args.query, "hits": [h.to_dict() for h in hits],
                          "answer": answer, "query_info": info.to_dict()},
                         ensure_ascii=False, indent=2))
        return 0
    for notice in info.notices:
        print(f"note: {notice}", file=sys.stderr)
    if info.explain():
        print(f"(hiểu là: {info.explain()})\n")
    if not hits:
        print("Không tìm thấy đoạn văn bản phù hợp.")
        return 0
    for h in hits:
        print(f"{h.rank}. [{h.score:.3f}] {h.citation}")
        print(textwrap.indent(textwrap.fill(" ".join(h.text.split())[:600], 100), "   "))
        if h.answer:
            print(textwrap.indent(textwrap.fill("» " + " ".join(h.answer.split()), 100), "   "))
        print()
    return 0


def parse_filters(items: list[str]) -> dict:
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
            filters["year"] = (int(lo), int(hi or lo))
        else:
            filters[key] = value.strip()
    return filters


if __name__ == "__main__":
    if hasattr(signal, "SIGPIPE"):  # `... | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
