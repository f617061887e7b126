"""Messages of long work (what is read, embedded, written) and warnings go through
:mod:`logging`, under the loggers ``index``, ``search`` and ``eval``; the library prints
nothing.  A command line shows them with :func:`show_progress`: plain lines on stderr."""

from __future__ import annotations

import logging
import sys

PACKAGES = ("index", "search", "eval")


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes (a redirected one too): a
    message as it is, a warning or an error after ``warning:`` or ``error:``."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            message = f"{record.levelname.lower()}: {message}"
        return message

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def show_progress(level: int = logging.INFO) -> None:
    """Show the project's log records of ``level`` and above on stderr, as plain lines (once
    per process; calling it again only changes the level)."""
    for name in PACKAGES:
        logger = logging.getLogger(name)
        if not any(isinstance(h, _Stderr) for h in logger.handlers):
            logger.addHandler(_Stderr())
        logger.setLevel(level)
