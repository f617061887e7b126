"""Who may see a document: access groups.

A document may carry access groups (``metadata["access"]``, set by ``python -m index add FILE
--access GROUP[,GROUP]`` or ``build --access``, or the upload form): only readers in one of
them see it.  A document without groups is for every reader.  A reader's groups are passed to
retrieval (``Searcher.search(..., groups=[...])``), which leaves the documents they may not see
out of the candidates before the top k is taken (a mask on the folder's arrays, a filter
expression on Milvus), so a restricted document never shows in hits, answers, obligations,
code look-ups, ``cited_by``, the viewer, the library or the filter lists.

``groups=None`` is the operator (the shell user, or the app with sign-in off): every document.
``groups=[]`` is a reader in no group: only the unrestricted documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

Groups = Iterable[str] | None

_GROUP = re.compile(r"^[\w.-]{1,64}$")


def group_name(name: str) -> str:
    """A group's name as stored: stripped, lower case; letters (Vietnamese too), digits,
    ``_``, ``.``, ``-``; a ValueError otherwise."""
    clean = str(name).strip().lower()
    if not _GROUP.match(clean):
        raise ValueError(f"bad access group {name!r}: use letters, digits, '_', '.' or '-' "
                         "(at most 64), groups separated by commas")
    return clean


def parse_groups(text: str | Iterable[str] | None) -> list[str]:
    """``"nhan-su, kiem-tra"`` or a list -> ``["kiem-tra", "nhan-su"]`` (sorted, no repeats)."""
    if text is None:
        return []
    items = text.split(",") if isinstance(text, str) else list(text)
    return sorted({group_name(item) for item in items if str(item).strip()})


def check_groups(groups: Groups) -> frozenset[str] | None:
    """A reader's groups as a set (None stays None: the operator); a bare string is refused,
    as ``groups="a,b"`` would otherwise be read letter by letter."""
    if groups is None:
        return None
    if isinstance(groups, str):
        raise TypeError("groups must be a list of group names (or None), not a string")
    return frozenset(group_name(g) for g in groups)


def visible(meta: dict, groups: frozenset[str] | None) -> bool:
    """Whether a document with ``meta`` is for a reader of ``groups``."""
    access = meta.get("access") or ()
    return groups is None or not access or bool(groups.intersection(access))
