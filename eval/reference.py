"""The reference word weights (``search/reference_idf.tsv``): how common each Vietnamese word is
in ordinary administrative and legal text, so that a question's focus leans on its telling
words (*đảng phí*, *lương hưu*, *dự bị*) and not on the common ones (*bị*, *thời gian*, *áp
dụng*), whatever a small index happens to hold.

Made by ``python -m eval reference-idf [--corpus DIR]`` from the 208 Vietnamese laws of the
project's law corpus (default ``../shared/corpora/vlc``; legal normative documents are not
protected by copyright in Viet Nam, Luật Sở hữu trí tuệ, Điều 15): every article (*Điều*) is a
unit, its words are segmented by underthesea as the index does, and each word's idf
``log(N / df)`` is written in its accent-free form, for the words seen in at least
:data:`MIN_DF` articles.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

from index.text import normalize, segment, strip_accents

MIN_DF = 3
_WORD = re.compile(r"[a-z]+(?: [a-z]+)*")  # accent-free letters: no numbers or punctuation
_ARTICLE = re.compile(r"(?m)^\s*Điều\s+\d+[a-zđ]?\s*[.:]")


def articles(text: str) -> list[str]:
    """The articles of a law (its text before the first article is one more unit)."""
    starts = [m.start() for m in _ARTICLE.finditer(text)]
    bounds = [0, *starts, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:]) if text[a:b].strip()]


def document_frequencies(corpus: Path) -> tuple[int, Counter]:
    from tqdm import tqdm

    df: Counter = Counter()
    n = 0
    files = sorted(Path(corpus).glob("*.txt"))
    for path in tqdm(files, desc="Laws", unit="law"):
        for article in articles(path.read_text(encoding="utf-8")):
            words = {strip_accents(normalize(" ".join(w))) for w in segment(article)}
            df.update(w for w in words if _WORD.fullmatch(w))
            n += 1
    return n, df


def write(corpus: Path, out: Path) -> int:
    n, df = document_frequencies(corpus)
    rows = sorted((w, c) for w, c in df.items() if c >= MIN_DF)
    with Path(out).open("w", encoding="utf-8") as fh:
        fh.write(f"# accent-free word\tidf = log(N/df); N = {n} articles of {corpus.name}; "
                 f"made by `python -m eval reference-idf`\n")
        for word, count in rows:
            fh.write(f"{word}\t{math.log(n / count):.3f}\n")
    return len(rows)
