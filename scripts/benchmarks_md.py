"""Writes one section of BENCHMARKS.md: the text between `<!-- KEY:begin -->` and
`<!-- KEY:end -->` (a `## TITLE` section with the markers is appended when they are
missing), so each benchmark script rewrites only its own table.

Usage: python3 scripts/benchmarks_md.py BENCHMARKS.md KEY TITLE BODY_FILE
"""

from __future__ import annotations

import sys
from pathlib import Path


def splice(path: Path, key: str, title: str, body: str) -> None:
    """Replaces the KEY section of PATH with BODY (see the module docs)."""
    begin, end = f"<!-- {key}:begin -->", f"<!-- {key}:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + f"\n\n## {title}\n\n{block}\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    md, key, title, body_file = sys.argv[1:]
    splice(Path(md), key, title, Path(body_file).read_text(encoding="utf-8"))
