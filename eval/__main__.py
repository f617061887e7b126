"""Command line: ``python -m eval [--index DIR]`` (the gold sets and the gate) and
``python -m eval COMMAND`` for the other measurements (``eval/commands/``)."""

from __future__ import annotations

import importlib
import signal
import sys

COMMANDS = {  # command -> module of eval.commands, function
    "bench": ("bench", "bench_main"), "scans": ("scans", "scans_main"),
    "fit-answers": ("fitting", "fit_answers_main"), "fit-ranker": ("fitting", "fit_ranker_main"),
    "reference-idf": ("fitting", "reference_main"), "scale": ("scale", "scale_main"),
    "perf": ("scale", "perf_main"), "load": ("scale", "load_main"),
    "milvus": ("scale", "milvus_main"), "milvus-scale": ("scale", "milvus_scale_main"),
    "drift": ("scale", "drift_main"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from index.logs import show_progress

    show_progress()
    module, function = COMMANDS.get(argv[0], ("gold", "main")) if argv else ("gold", "main")
    if argv and argv[0] in COMMANDS:
        argv = argv[1:]
    return getattr(importlib.import_module(f"eval.commands.{module}"), function)(argv)


if __name__ == "__main__":
    if hasattr(signal, "SIGPIPE"):  # `... | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
