"""Time boilerstrip and the Python peers on one core, over the same tiled text corpus.

Usage (normally through scripts/peers-speed.sh, which sets up the venv and the binary):
    python scripts/peers_speed.py --boilerstrip target/release/boilerstrip \
        [--data /dev/shm/boilerstrip-peers] [--mb 20] [--prefix-mb 4] [--repeats 3] \
        [--markdown BENCHMARKS.md] [--chart docs/peers-speed.png]

The corpus: the 123 shb-dev inputs tiled (whole copies, in name order) until it holds at
least --mb MB (10^6 bytes), written once under --data (tmpfs), as a folder of files and as
one concatenated file. Every run is pinned to CPU 0 (`taskset -c 0`) and run --repeats
times, round robin so that load from elsewhere hits every system alike; the median time
counts. Python peers run in a fresh interpreter each time and are timed around their loop
(read, clean, write each file) after a warm-up document, so their start-up and imports are
not counted; commands (boilerstrip, wc) are timed as whole processes. Peers slower than
--prefix-mb allows get the corpus's first files up to --prefix-mb MB (whole copies of the
same pages, so the same mix); the table says which input each row had.

`run-peer` is the inner command the orchestrator starts for each Python peer.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers_quality as pq  # noqa: E402

MB = 1e6

# Python peers: name -> (function of the text, label). Slow ones run on the prefix.
PY_PEERS = {
    "justext": (lambda t: pq.justext_clean(t, "English"), "jusText {justext} (lines as `<p>`, English stoplist)", True),
    "trafilatura": (pq.trafilatura_clean, "trafilatura {trafilatura} (lines as `<p>`, defaults)", True),
    "ftfy": (pq.ftfy_clean, "ftfy {ftfy} `fix_text`", True),
    "datatrove-c4": (pq.c4_clean, "datatrove {datatrove} `C4QualityFilter()`", True),
    "c4-bare": (pq.c4_bare_clean, "C4 line rule, plain Python", False),
}


# Names on the chart.
SHORT = {
    "boilerstrip-files": "boilerstrip (folder)",
    "boilerstrip-stream": "boilerstrip (stdin)",
    "wc": "wc -w",
    "justext": "jusText {justext}",
    "trafilatura": "trafilatura {trafilatura}",
    "ftfy": "ftfy.fix_text {ftfy}",
    "datatrove-c4": "datatrove C4 filter {datatrove}",
    "c4-bare": "C4 line rule (Python)",
}


# How each row was run, for the table's notes.
COMMANDS = {
    "boilerstrip-files": "boilerstrip clean --jobs 1 --quiet {data}/input --out {data}/out/bs-files",
    "boilerstrip-stream": "boilerstrip clean --jobs 1 --quiet < {data}/all.txt > /dev/null",
    "wc": "wc -w {data}/all.txt",
}
for _peer in ("justext", "trafilatura", "ftfy", "datatrove-c4", "c4-bare"):
    COMMANDS[_peer] = "PY scripts/peers_speed.py run-peer " + _peer + " {data}/{key}.list {data}/out/" + _peer


def prepare(src: Path, data: Path, mb: float) -> tuple[list[Path], Path]:
    """Writes the tiled corpus under DATA once (idempotent: reused when the manifest matches)."""
    names = sorted(p.name for p in src.iterdir() if p.is_file())
    blobs = [(n, (src / n).read_bytes()) for n in names]
    size = sum(len(b) for _, b in blobs)
    copies = max(1, -(-int(mb * MB) // size))
    manifest = {"source": str(src.resolve()), "files": len(names), "bytes_per_copy": size, "copies": copies}
    files_dir, stream = data / "input", data / "all.txt"
    stamp = data / "manifest.json"
    files = [files_dir / f"{c:02d}_{n}" for c in range(copies) for n in names]
    if stamp.exists() and json.loads(stamp.read_text()) == manifest and stream.exists():
        return files, stream
    files_dir.mkdir(parents=True, exist_ok=True)
    with open(stream, "wb") as out:
        for c in range(copies):
            for n, b in blobs:
                (files_dir / f"{c:02d}_{n}").write_bytes(b)
                out.write(b if b.endswith(b"\n") else b + b"\n")
    stamp.write_text(json.dumps(manifest))
    return files, stream


def run_peer(peer: str, list_file: Path, out_dir: Path) -> None:
    """Inner command: clean every file listed, print {"bytes", "wall", "cpu"} as JSON."""
    fn = PY_PEERS[peer][0]
    files = [Path(line) for line in list_file.read_text().splitlines() if line]
    fn(files[0].read_bytes().decode("utf-8", errors="replace"))  # warm-up: lazy imports, caches
    out_dir.mkdir(parents=True, exist_ok=True)
    n = 0
    w0, c0 = time.perf_counter(), time.process_time()
    for f in files:
        raw = f.read_bytes()
        n += len(raw)
        (out_dir / f.name).write_text(fn(raw.decode("utf-8", errors="replace")), encoding="utf-8")
    print(json.dumps({"bytes": n, "wall": time.perf_counter() - w0, "cpu": time.process_time() - c0}))


def timed(cmd: list[str], stdin: Path | None = None) -> tuple[float, float]:
    """Wall and CPU (user + sys) seconds of one command, output discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as inp:
        subprocess.run(cmd, stdin=inp, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def chart(rows: list[dict], path: Path, repeats: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(rows, key=lambda r: r["mbps"])
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(rows) + 1.1), dpi=100)
    colors = ["#d9480f" if r["ours"] else "#868e96" for r in rows]
    ax.barh([r["short"] for r in rows], [r["mbps"] for r in rows], color=colors)
    ax.set_xscale("log")
    ax.set_xlabel(f"MB of input text per CPU second, one core (log scale; median of {repeats})")
    for i, r in enumerate(rows):
        ax.text(r["mbps"] * 1.08, i, f"{r['mbps']:.3g}", va="center", fontsize=8)
    ax.set_xlim(right=max(r["mbps"] for r in rows) * 4)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("Cleaning speed on the same scraped text (shb-dev pages, tiled)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, pil_kwargs={"optimize": True})
    plt.close(fig)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd")
    rp = sub.add_parser("run-peer")
    rp.add_argument("peer")
    rp.add_argument("list_file", type=Path)
    rp.add_argument("out_dir", type=Path)
    ap.add_argument("--boilerstrip", type=Path)
    ap.add_argument("--input", type=Path, default=Path("benches/data/shb-dev/input"))
    ap.add_argument("--data", type=Path, default=Path("/dev/shm/boilerstrip-peers"))
    ap.add_argument("--mb", type=float, default=20)
    ap.add_argument("--prefix-mb", type=float, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--chart", type=Path)
    ap.add_argument("--markdown", type=Path, help="write the table into this file's Speed (peers) section")
    args = ap.parse_args()
    if args.cmd == "run-peer":
        run_peer(args.peer, args.list_file, args.out_dir)
        return 0
    if not args.boilerstrip:
        ap.error("--boilerstrip is required")

    load_at_start = os.getloadavg()[0]
    files, stream = prepare(args.input, args.data, args.mb)
    total = sum(f.stat().st_size for f in files)
    prefix, acc = [], 0
    for f in files:
        if acc >= args.prefix_mb * MB:
            break
        prefix.append(f)
        acc += f.stat().st_size
    lists = {}
    for key, chosen in (("full", files), ("prefix", prefix)):
        lists[key] = args.data / f"{key}.list"
        lists[key].write_text("".join(f"{f}\n" for f in chosen))
    out = args.data / "out"
    pin = ["taskset", "-c", "0"]
    bs = str(args.boilerstrip.resolve())

    # name -> (label, input key, thunk returning (bytes, wall, cpu))
    def py(peer: str, key: str):
        def go():
            r = subprocess.run(
                pin + [sys.executable, __file__, "run-peer", peer, str(lists[key]), str(out / peer)],
                check=True,
                capture_output=True,
                text=True,
            )
            d = json.loads(r.stdout.strip().splitlines()[-1])
            return d["bytes"], d["wall"], d["cpu"]

        return go

    def cmd(argv: list[str], stdin: Path | None = None):
        def go():
            w, c = timed(pin + argv, stdin)
            return total, w, c

        return go

    v = pq.versions()
    systems = {
        "boilerstrip-files": (
            "**boilerstrip** `clean --jobs 1 DIR --out OUT` (folder of files)",
            "full",
            cmd([bs, "clean", "--jobs", "1", "--quiet", str(args.data / "input"), "--out", str(out / "bs-files")]),
        ),
        "boilerstrip-stream": (
            "**boilerstrip** `clean --jobs 1 < all.txt` (one stdin stream)",
            "full",
            cmd([bs, "clean", "--jobs", "1", "--quiet"], stream),
        ),
        "wc": ("`wc -w all.txt` (coreutils)", "full", cmd(["wc", "-w", str(stream)])),
    }
    for peer, (_, label, slow) in PY_PEERS.items():
        key = "prefix" if slow else "full"
        systems[peer] = (label.format(**v), key, py(peer, key))

    results: dict[str, list[tuple[int, float, float]]] = {k: [] for k in systems}
    for rep in range(args.repeats):
        for name, (_, _, go) in systems.items():
            results[name].append(go())
            b, w, c = results[name][-1]
            print(f"run {rep + 1}/{args.repeats} {name}: {b / MB:.1f} MB in {w:.2f} s wall, {c:.2f} s CPU", file=sys.stderr)

    med = {}
    for name, runs in results.items():
        b = runs[0][0]
        med[name] = (b, statistics.median(r[1] for r in runs), statistics.median(r[2] for r in runs))
    ref_w = med["boilerstrip-files"][0] / med["boilerstrip-files"][1]
    ref_c = med["boilerstrip-files"][0] / med["boilerstrip-files"][2]

    lines = [
        f"Machine: {os.cpu_count()} cores (`nproc` {os.cpu_count()}), CPU `{cpu_model()}`, "
        f"Linux {platform.release()}, Python {platform.python_version()}; load average at the start "
        f"{load_at_start:.1f} (other builds share the machine); locale `{os.environ.get('LC_ALL') or os.environ.get('LANG') or 'C'}`. Corpus: {total / MB:.1f} MB in {len(files)} files on tmpfs "
        f"(`{args.data}`); prefix: the first {len(prefix)} files, {acc / MB:.1f} MB; "
        f"{pq.binary_note(args.boilerstrip)}.",
        "",
        "| system | input | MB/s (wall) | MB/s (CPU time) | boilerstrip files / this (wall) | (CPU) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    chart_rows = []
    for name, (label, key, _) in sorted(systems.items(), key=lambda kv: -med[kv[0]][0] / med[kv[0]][1]):
        b, w, c = med[name]
        what = f"{b / MB:.1f} MB" + (" (prefix)" if key == "prefix" else "")
        mw, mc = b / MB / w, b / MB / c if c > 0 else float("inf")
        lines.append(
            f"| {label} | {what} | {mw:.3g} | {mc:.3g} | {ref_w / (b / w):.3g}x | {ref_c / (b / c) if c > 0 else 0:.3g}x |"
        )
        short = SHORT.get(name, name).format(**v)
        chart_rows.append({"short": short, "mbps": mc, "ours": name.startswith("boilerstrip")})
    lines += ["", "Commands (each prefixed with `taskset -c 0`; `PY` is `target/peers-venv/bin/python`):", ""]
    for name, (_, key, _) in systems.items():
        lines.append(f"- {name}: `{COMMANDS[name].format(data=args.data, key=key)}`")
    print("\n".join(lines))
    if args.markdown:
        pq.splice(args.markdown, "peers-speed", "Speed (peers)", "\n".join(lines))
    if args.chart:
        chart(chart_rows, args.chart, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
