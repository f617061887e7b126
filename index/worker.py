"""Index changes in a process of their own, as the app's editors make them.

An upload in the server's own process would share its interpreter lock with every reader's
question (word segmentation is Python code) and add its memory to the server's: at 100,000
passages an addition loads the index again, the passage model and the new version's arrays,
more than the server itself holds (docs/benchmarks.md).  :func:`run_change` runs
:func:`index.build.add` or :func:`index.build.remove` in a child process at lower CPU priority
instead; the server loads the new version when it is written, as it does after a change made
from the shell.

The child reads one JSON request on stdin and answers in JSON lines on stdout::

    {"progress": 0.4, "message": "Tách từ 4 đoạn"}      as the work goes
    {"report": {...}}                                   a BuildReport, at the end, with
                                                        the child's peak memory (peak_mb)
    {"error": "...", "kind": "ValueError"}              or what went wrong, and exit status 1

Anything a library writes on stdout goes to stderr, which the parent keeps for a failure's
message.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from index.build import BuildReport, Progress
from index.library import UPLOAD_NICENESS
from index.readers.documents import DocumentError
from index.stores.milvus import MilvusUnavailable
from index.stores.versions import IndexBusyError, IndexFolderError

CHANGES = ("add", "remove")
# errors that carry a message for the user; the parent raises them again as they were
ERRORS = {cls.__name__: cls for cls in (ValueError, IndexFolderError, IndexBusyError,
                                        DocumentError, MilvusUnavailable)}
ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    """This process's peak resident size, MB: the kernel's high-water mark of its memory
    (``VmHWM``).  Not ``getrusage``'s ``ru_maxrss``: Linux carries that across ``exec``, so a
    process started from a large one reports its parent's peak as its own."""
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def apply_change(change: str, index_dir: Path | str, progress: Progress | None = None,
                 **arguments) -> BuildReport:
    """``index.build.add(sources, index_dir, access=...)`` or ``index.build.remove(doc_ids,
    index_dir)`` in this process: what :func:`run_change` runs in a child."""
    from index.build import add, remove

    if change == "add":
        return add(arguments["sources"], index_dir, access=arguments.get("access"),
                   progress=progress)
    if change == "remove":
        return remove(arguments["doc_ids"], index_dir)
    raise ValueError(f"unknown change {change!r}; expected one of {', '.join(CHANGES)}")


def run_change(change: str, index_dir: Path | str, progress: Progress | None = None,
               **arguments) -> BuildReport:
    """Run ``index.build.<change>(..., index_dir, **arguments)`` in a child process and
    return its report; ``progress(share, message)`` hears the child's progress.  Errors the
    user should read (bad file, unknown id, busy index) are raised as their own types."""
    if change not in CHANGES:
        raise ValueError(f"unknown change {change!r}; expected one of {', '.join(CHANGES)}")
    request = {"change": change, "index_dir": os.path.abspath(index_dir), **arguments}
    if "sources" in request:
        request["sources"] = [os.path.abspath(p) for p in request["sources"]]
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        child = subprocess.Popen([sys.executable, "-m", "index.worker"], cwd=ROOT,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                                 text=True, encoding="utf-8")
        child.stdin.write(json.dumps(request, ensure_ascii=False))
        child.stdin.close()
        outcome: dict = {}
        for line in child.stdout:
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "progress" in message:
                if progress:
                    progress(float(message["progress"]), str(message.get("message", "")))
            else:
                outcome = message
        child.wait()
        errors.seek(0)
        said = errors.read().strip()
    if "report" in outcome and child.returncode == 0:
        report = outcome["report"]
        report["skipped"] = [tuple(s) for s in report.get("skipped", [])]
        return BuildReport(**report)
    if "error" in outcome:
        raise ERRORS.get(outcome.get("kind"), RuntimeError)(outcome["error"])
    raise RuntimeError(f"indexing stopped (exit status {child.returncode}): "
                       f"{said[-2000:] or 'no message'}")


def main() -> int:
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # what libraries print goes to stderr, not into the protocol
    sys.stdout = sys.stderr
    from index.logs import show_progress

    show_progress()  # the messages of the work, on stderr (the server's log)

    def say(message: dict) -> None:
        protocol.write(json.dumps(message, ensure_ascii=False) + "\n")
        protocol.flush()

    try:
        os.nice(UPLOAD_NICENESS)
    except OSError:
        pass
    request = json.loads(sys.stdin.read())
    try:
        report = apply_change(request.pop("change"), request.pop("index_dir"),
                              lambda share, text: say({"progress": share, "message": text}),
                              **request)
    except tuple(ERRORS.values()) as exc:
        say({"error": str(exc), "kind": type(exc).__name__})
        return 1
    report.peak_mb = peak_rss_mb()
    say({"report": asdict(report)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
