"""Default locations: the project's sample corpus, its default index, and the user cache.

``TRACUU_INDEX`` points the default index elsewhere (default: ``.tracuu/index`` in the
project, git-ignored); ``TRACUU_CACHE`` moves the cache of rebuilt models and embeddings
(default: ``$XDG_CACHE_HOME/tracuu`` or ``~/.cache/tracuu``).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = PROJECT_ROOT / "data" / "sample"
PARTY_DOCS = PROJECT_ROOT / "data" / "party-docs" / "docs"  # real documents for the answer eval


def default_index_dir() -> Path:
    return Path(os.environ.get("TRACUU_INDEX") or PROJECT_ROOT / ".tracuu" / "index")


def cache_dir() -> Path:
    if os.environ.get("TRACUU_CACHE"):
        return Path(os.environ["TRACUU_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tracuu"
