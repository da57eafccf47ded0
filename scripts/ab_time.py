#!/usr/bin/env python3
"""Paired CPU-time comparison of boilerstrip binaries: how the speed passes decide.

One run of each binary on a shared machine moves by several percent; a pass's change is often
1-3%. So the binaries run alternately, round after round, pinned to one core, and each round's
CPU time (user + system, from wait4) is divided by the first binary's in the same round: the
median of those ratios is the answer (below 1: faster than the first).

Two kinds of run:
  folder    (default) `clean DIR --out OUT --quiet --jobs 1`: a large folder's throughput.
  per-file  `clean < PAGE > /dev/null` once per file of DIR, one process each: what a
            Makefile rule pays per file (start-up, loading the rules, the page).

Usage:
  scripts/ab_time.py ROUNDS NAME=BINARY [NAME=BINARY ...] [--dir DIR] [--core N] [--per-file]
Examples:
  scripts/ab_time.py 31 old=/tmp/old-boilerstrip new=target/release/boilerstrip \\
      --dir /dev/shm/boilerstrip-peers/input         # the peers' 20.7 MB folder (peers-speed.sh)
  scripts/ab_time.py 5 old=/tmp/old new=target/release/boilerstrip --per-file \\
      --dir benches/data/shb-dev/input
Needs: Linux (`taskset`, os.wait4). Outputs go to a temporary folder under /dev/shm, removed.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time


def run_folder(binary: str, src: str, core: str, scratch: str) -> tuple[float, float]:
    """CPU and wall seconds of one `clean SRC --out ...` run."""
    out = os.path.join(scratch, "out")
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    proc = subprocess.Popen(
        ["taskset", "-c", core, binary, "clean", src, "--out", out, "--quiet", "--jobs", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{binary}: clean {src} failed (exit {os.waitstatus_to_exitcode(status)})")
    shutil.rmtree(out, ignore_errors=True)
    return usage.ru_utime + usage.ru_stime, wall


def run_per_file(binary: str, files: list[str], core: str) -> tuple[float, float]:
    """CPU and wall seconds of one process per file, summed."""
    cpu = 0.0
    start = time.perf_counter()
    for path in files:
        with open(path, "rb") as page:
            proc = subprocess.Popen(
                ["taskset", "-c", core, binary, "clean"],
                stdin=page,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{binary}: clean < {path} failed")
        cpu += usage.ru_utime + usage.ru_stime
    return cpu, time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rounds", type=int)
    ap.add_argument("binaries", nargs="+", metavar="NAME=BINARY")
    ap.add_argument("--dir", default="/dev/shm/boilerstrip-peers/input")
    ap.add_argument("--core", default="0")
    ap.add_argument("--per-file", action="store_true")
    args = ap.parse_args()

    bins = []
    for spec in args.binaries:
        name, sep, path = spec.partition("=")
        if not sep or not os.access(path, os.X_OK):
            raise SystemExit(f"{spec}: want NAME=BINARY, an executable file")
        bins.append((name, os.path.abspath(path)))
    if not os.path.isdir(args.dir):
        raise SystemExit(f"{args.dir}: not a folder (scripts/peers-speed.sh makes the default one)")
    files = sorted(os.path.join(args.dir, f) for f in os.listdir(args.dir))
    files = [f for f in files if os.path.isfile(f)]
    size = sum(os.path.getsize(f) for f in files)

    scratch = tempfile.mkdtemp(prefix="ab-time-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    try:
        def once(binary: str) -> tuple[float, float]:
            if args.per_file:
                return run_per_file(binary, files, args.core)
            return run_folder(binary, args.dir, args.core, scratch)

        for _, binary in bins:  # warm the page cache and the binaries
            once(binary)
        cpu = {name: [] for name, _ in bins}
        wall = {name: [] for name, _ in bins}
        for r in range(args.rounds):
            # The order turns each round, so no binary always runs first.
            k = r % len(bins)
            for name, binary in bins[k:] + bins[:k]:
                c, w = once(binary)
                cpu[name].append(c)
                wall[name].append(w)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    base = bins[0][0]
    kind = f"one process per file, {len(files)} files" if args.per_file else f"folder of {len(files)} files, --jobs 1"
    print(f"{kind}, {size / 1e6:.1f} MB, core {args.core}, {args.rounds} rounds")
    for name, _ in bins:
        ratio = statistics.median(c / b for c, b in zip(cpu[name], cpu[base]))
        med = statistics.median(cpu[name])
        if args.per_file:
            detail = f"{1000 * med / len(files):.2f} ms CPU per file, {1000 * statistics.median(wall[name]) / len(files):.2f} ms wall"
        else:
            detail = f"{med:.3f} s CPU, {size / med / 1e6:.1f} MB/s"
        print(f"{name:>12}  CPU time ratio {ratio:.3f}  ({detail})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
