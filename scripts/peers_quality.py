"""Score the Python peers on the same text input as `boilerstrip eval`.

Usage (normally through scripts/peers-quality.sh, which sets up the venv):
    python scripts/peers_quality.py --input benches/data/shb-dev/input \
        --gold benches/data/shb-dev/gold --out target/peers --boilerstrip target/release/boilerstrip

Each peer's output for INPUT/NAME is written to OUT/<peer>/NAME, then every folder is scored
with the benchmark's shingle metric (benches/data/README.md), reimplemented here in a few
lines. The reimplementation is checked against the Rust one before any figure is printed:
it must give the published "no cleaning" figures, and on boilerstrip's own output the same
F1 as `boilerstrip eval` to 4 decimals. Prints a markdown table on stdout.

The peer functions (text in, text out) are shared with scripts/peers_speed.py.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from benchmarks_md import splice  # noqa: E402  (scripts/ is on sys.path when run)

# ---------------------------------------------------------------------------------------
# The metric (benches/data/README.md; src/eval.rs is the Rust implementation).
# ---------------------------------------------------------------------------------------

# Python's `\w` on str: letters, numbers and `_`, as the reference's `evaluate.py` uses.
TOKEN_RE = re.compile(r"\w+")
SHINGLE_LEN = 4


def shingles(text: str) -> Counter:
    """Multiset of 4-token shingles; 1 to 3 tokens make one short shingle, none make none."""
    tokens = TOKEN_RE.findall(text)
    if not tokens:
        return Counter()
    n = max(len(tokens) - SHINGLE_LEN + 1, 1)
    return Counter(tuple(tokens[i : i + SHINGLE_LEN]) for i in range(n))


def score_doc(output: str, gold: str) -> tuple[float | None, float | None]:
    """(precision, recall) of one document; None where the document is left out of a mean."""
    out, ref = shingles(output), shingles(gold)
    tp = sum((out & ref).values())
    fp = sum(out.values()) - tp
    fn = sum(ref.values()) - tp
    # Normalising (tp, fp, fn) to sum to 1, as the reference does, leaves these ratios as they are.
    p = tp / (tp + fp) if tp + fp > 0 else None
    r = tp / (tp + fn) if tp + fn > 0 else None
    return p, r


def summarize(scores: list[tuple[float | None, float | None]]) -> dict:
    """Mean precision and recall over documents, and F1 of the two means."""
    ps = [p for p, _ in scores if p is not None]
    rs = [r for _, r in scores if r is not None]
    if not ps and not rs:
        p = r = 1.0
    else:
        p = sum(ps) / len(ps) if ps else 0.0
        r = sum(rs) / len(rs) if rs else 0.0
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return {"f1": f1, "precision": p, "recall": r, "documents": len(scores)}


def read_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def score_folder(outputs: Path, gold: Path, names: list[str]) -> dict:
    """Scores OUTPUTS/NAME against GOLD/NAME for every name (a missing output counts as empty)."""
    scores = []
    for name in names:
        out = outputs / name
        scores.append(score_doc(read_text(out) if out.exists() else "", read_text(gold / name)))
    return summarize(scores)


# ---------------------------------------------------------------------------------------
# The peers: each turns one page's text into its cleaned text.
# ---------------------------------------------------------------------------------------


def as_paragraphs_html(text: str) -> str:
    """The text as the simplest HTML page: each non-blank line one <p>."""
    body = "".join(f"<p>{html.escape(line.strip())}</p>\n" for line in text.splitlines() if line.strip())
    return f"<html><head><meta charset=\"utf-8\"></head><body>\n{body}</body></html>"


def no_cleaning(text: str) -> str:
    return text


_STOPLISTS: dict[str, frozenset] | None = None


def justext_stoplists() -> dict[str, frozenset]:
    global _STOPLISTS
    if _STOPLISTS is None:
        import justext

        _STOPLISTS = {lang: justext.get_stoplist(lang) for lang in sorted(justext.get_stoplists())}
    return _STOPLISTS


def pick_stoplist(text: str) -> str:
    """The jusText stoplist that covers the largest share of the page's words (jusText has no
    language detector of its own; this picks the page's language the way its stoplists see it)."""
    words = [w.lower() for w in TOKEN_RE.findall(text)]
    best, best_share = "English", -1.0
    for lang, stop in justext_stoplists().items():
        share = sum(w in stop for w in words) / max(len(words), 1)
        if share > best_share:
            best, best_share = lang, share
    return best


def justext_clean(text: str, language: str | None = None) -> str:
    """jusText 3 with its default settings on the lines wrapped as <p>; keeps the paragraphs it
    does not classify as boilerplate. `language` None: the stoplist is picked per page."""
    import justext

    stoplist = justext_stoplists()[language or pick_stoplist(text)]
    paragraphs = justext.justext(as_paragraphs_html(text), stoplist)
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def trafilatura_clean(text: str, **options) -> str:
    """trafilatura (default settings unless OPTIONS) on the lines wrapped as <p> (None -> empty)."""
    import trafilatura

    return trafilatura.extract(as_paragraphs_html(text), **options) or ""


_C4 = {}


def c4_clean(text: str, min_num_sentences: int = 5) -> str:
    """datatrove's C4QualityFilter (English, its defaults): keeps lines that end in terminal
    punctuation and have >= 3 words, drops javascript/policy lines; a page with fewer than
    `min_num_sentences` kept sentences (or a curly bracket, or lorem ipsum) is dropped whole
    (empty output). min_num_sentences=-1 keeps the line rules only."""
    from datatrove.data import Document
    from datatrove.pipeline.filters import C4QualityFilter

    f = _C4.get(min_num_sentences)
    if f is None:
        f = _C4[min_num_sentences] = C4QualityFilter(min_num_sentences=min_num_sentences)
    doc = Document(text=text, id="doc")
    keep = f.filter(doc)
    if isinstance(keep, tuple):
        keep = keep[0]
    return doc.text if keep else ""


def c4_lines_clean(text: str) -> str:
    return c4_clean(text, min_num_sentences=-1)


C4_END_PUNCTUATION = (".", "?", "!", '"', "'")


def c4_bare_clean(text: str) -> str:
    """The C4 line rule in plain Python: a line is kept when it ends in terminal punctuation
    (not an ellipsis), has at least 3 words and does not mention javascript."""
    kept = []
    for line in text.splitlines():
        line = line.strip()
        if (
            line.endswith(C4_END_PUNCTUATION)
            and not line.endswith("...")
            and len(line.split()) >= 3
            and "javascript" not in line.lower()
        ):
            kept.append(line)
    return "\n".join(kept)


def ftfy_clean(text: str) -> str:
    import ftfy

    return ftfy.fix_text(text)


# name -> (function, what the table says)
PEERS = {
    "no-cleaning": (no_cleaning, "no cleaning (the input itself)"),
    "justext": (justext_clean, "jusText {justext}, lines as `<p>`, stoplist picked per page"),
    "justext-english": (
        lambda t: justext_clean(t, "English"),
        "jusText {justext}, lines as `<p>`, English stoplist",
    ),
    "trafilatura": (trafilatura_clean, "trafilatura {trafilatura}, lines as `<p>`, defaults"),
    "c4": (c4_clean, "datatrove {datatrove} `C4QualityFilter()` (drops pages with < 5 sentences)"),
    "c4-lines": (c4_lines_clean, "datatrove {datatrove} `C4QualityFilter(min_num_sentences=-1)` (line rules only)"),
    "c4-bare": (c4_bare_clean, "C4 line rule in plain Python (terminal punctuation, >= 3 words)"),
}


def binary_note(binary: Path) -> str:
    """Which boilerstrip was measured: its path, build time and the checkout's commit."""
    import datetime

    commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    built = datetime.datetime.fromtimestamp(binary.stat().st_mtime, datetime.timezone.utc)
    return f"boilerstrip `{binary}` built {built:%Y-%m-%d %H:%M} UTC, checkout at `{commit or 'unknown'}`"


def versions() -> dict:
    from importlib.metadata import version

    return {p: version(p) for p in ("justext", "trafilatura", "datatrove", "ftfy")}


# ---------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--input", type=Path, required=True)
    ap.add_argument("--gold", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--boilerstrip", type=Path, required=True)
    ap.add_argument("--peers", default=",".join(PEERS))
    ap.add_argument("--markdown", type=Path, help="write the table into this file's Quality section")
    args = ap.parse_args()

    names = sorted(p.name for p in args.input.iterdir() if p.is_file())
    rows = []

    # boilerstrip: its own output, scored here, must equal what `boilerstrip eval` says.
    bs_out = args.out / "boilerstrip"
    subprocess.run(
        [str(args.boilerstrip), "clean", str(args.input), "--out", str(bs_out), "--quiet"], check=True
    )
    bs_eval = json.loads(
        subprocess.run(
            [str(args.boilerstrip), "eval", "--input", str(args.input), "--gold", str(args.gold), "--json"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    bs = score_folder(bs_out, args.gold, names)
    for key in ("f1", "precision", "recall"):
        if round(bs[key], 4) != round(bs_eval[key], 4):
            sys.exit(f"metric check failed: boilerstrip {key} here {bs[key]:.5f}, eval says {bs_eval[key]:.5f}")
    print(f"check: boilerstrip scored here F1 {bs['f1']:.4f} = boilerstrip eval {bs_eval['f1']:.4f}", file=sys.stderr)

    v = versions()
    for peer in args.peers.split(","):
        fn, label = PEERS[peer]
        folder = args.out / peer
        folder.mkdir(parents=True, exist_ok=True)
        for name in names:
            (folder / name).write_text(fn(read_text(args.input / name)), encoding="utf-8")
        s = score_folder(folder, args.gold, names)
        if peer == "no-cleaning":
            got = (round(s["f1"], 3), round(s["precision"], 3), round(s["recall"], 3))
            if got != (0.658, 0.491, 0.994):
                sys.exit(f"metric check failed: no cleaning gives {got}, published (0.658, 0.491, 0.994)")
            print("check: no cleaning gives the published F1 0.658, P 0.491, R 0.994", file=sys.stderr)
        print(f"{peer}: F1 {s['f1']:.4f} P {s['precision']:.4f} R {s['recall']:.4f}", file=sys.stderr)
        rows.append((label.format(**v), s))
    rows.append(("**boilerstrip** (`boilerstrip clean`, model in `models/`, in-sample)", bs))
    # The gold leaves the headline out; --no-headline writes what it holds (body only).
    body_out = args.out / "boilerstrip-no-headline"
    subprocess.run(
        [str(args.boilerstrip), "clean", "--no-headline", str(args.input), "--out", str(body_out), "--quiet"],
        check=True,
    )
    body = score_folder(body_out, args.gold, names)
    print(f"boilerstrip --no-headline: F1 {body['f1']:.4f} P {body['precision']:.4f} R {body['recall']:.4f}", file=sys.stderr)
    rows.append(("**boilerstrip** `--no-headline` (body only, as the gold; in-sample)", body))

    langs = Counter(pick_stoplist(read_text(args.input / n)) for n in names)
    out = [
        f"{len(names)} pages of `{args.input}` against `{args.gold}`; {binary_note(args.boilerstrip)}. "
        "Stoplists picked per page for jusText: "
        + ", ".join(f"{lang} {n}" for lang, n in langs.most_common())
        + ".",
        "",
        "| system | input | F1 | precision | recall |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, s in sorted(rows, key=lambda r: r[1]["f1"]):
        out.append(f"| {label} | text | {s['f1']:.3f} | {s['precision']:.3f} | {s['recall']:.3f} |")
    print("\n".join(out))
    if args.markdown:
        splice(args.markdown, "peers-quality", "Quality", "\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
