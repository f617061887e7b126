"""``python -m eval scans``: scanned copies of the sample letters, read back by OCR."""

from __future__ import annotations

import sys
from pathlib import Path

from eval.commands import command, listed


def scans_main(argv: list[str]) -> int:
    from eval.scan_checks import (
        default_sources,
        retrieval,
        retrieval_table,
        run,
        summary,
    )
    from eval.scans import VARIANTS

    parser = command(
        "scans",
        "Render the sample's Party letters (and with --party-docs the real Party "
        "documents) as scanned PDFs in four variants, read them back by OCR, and "
        "report the character error rate and the code, date, issuer and signer "
        "read right, per variant.")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"comma-separated, of {', '.join(VARIANTS)} (default all)")
    parser.add_argument("--party-docs", action="store_true",
                        help="also the 16 documents of data/party-docs (about 20 minutes more)")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the scanned PDFs (default: a temporary folder)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--retrieval", action="store_true",
                        help="also build an index of the sample's scans per variant and run the "
                             "gold set on it beside the text originals (about 2 minutes a "
                             "variant)")
    args = parser.parse_args(argv)
    variants = listed(args.variants)
    bad = [v for v in variants if v not in VARIANTS]
    if bad:
        print(f"error: unknown variant {bad[0]!r}; expected {', '.join(VARIANTS)}",
              file=sys.stderr)
        return 1
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tracuu-scans-") as tmp:
        folder = args.out or Path(tmp)
        results = run(folder, variants, default_sources(args.party_docs), args.seed)
        found = retrieval(folder / "retrieval", variants, args.seed) if args.retrieval else None
    print()
    print(summary(results))
    if found:
        print("\nGold set, hybrid, on the sample's text originals and on its scans\n")
        print(retrieval_table(found))
    return 0
