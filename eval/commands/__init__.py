"""The command line of ``python -m eval``, one module per family of commands (they print;
the measuring itself is in the modules of ``eval``)."""

from __future__ import annotations

import argparse
import sys


def listed(text: str) -> tuple[str, ...]:
    """A comma-separated option's items: ``"a, b,"`` -> ``("a", "b")``."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def command(name: str, description: str) -> argparse.ArgumentParser:
    """The parser of ``python -m eval NAME``."""
    return argparse.ArgumentParser(prog=f"python -m eval {name}".rstrip(),
                                   description=description)


def searcher_options(parser: argparse.ArgumentParser) -> None:
    """The options that set up the searcher a measurement runs: fusion, the dense list's
    weight, the glossary."""
    parser.add_argument("--fusion", default="convex", help="convex (default) or rrf")
    parser.add_argument("--dense-weight", type=float, default=0.5,
                        help="base weight of the dense list (default 0.5)")
    parser.add_argument("--no-glossary", action="store_true",
                        help="do not translate English words for BM25")


def say_error(exc: Exception) -> int:
    """Say what went wrong on stderr, in one line; the command's exit status."""
    print(f"error: {exc}", file=sys.stderr)
    return 1
