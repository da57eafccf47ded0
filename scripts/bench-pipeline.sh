#!/usr/bin/env bash
# Runs the criterion benches (benches/pipeline.rs) and writes their throughput table into
# BENCHMARKS.md, section "Throughput (criterion)", between the throughput markers.
#
# Usage: scripts/bench-pipeline.sh [criterion filter]   (a few minutes on 2 cores)
# The table is read from criterion's saved estimates ($CARGO_TARGET_DIR/criterion, default
# target/criterion), so `SKIP_RUN=1 scripts/bench-pipeline.sh` re-tabulates the last run.
set -euo pipefail
cd "$(dirname "$0")/.."

load=$(cut -d' ' -f1 /proc/loadavg)
if [[ -z ${SKIP_RUN:-} ]]; then
    cargo bench --locked --bench pipeline -- "$@"
fi
criterion_dir=${CRITERION_HOME:-${CARGO_TARGET_DIR:-target}/criterion}

table=$(mktemp)
{
    echo "Machine: $(nproc) cores (\`nproc\`), CPU \`$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\`, load average at the start $load (other builds share the machine); checkout at \`$(git describe --always --dirty 2>/dev/null || echo unknown)\`, $(date -u '+%Y-%m-%d %H:%M UTC'). MB/s are 2^20 bytes of *raw input* per second (criterion's mean, with its 95% interval), one thread unless the group says otherwise."
    echo
    python3 - "$criterion_dir" <<'EOF'
import json, os, sys
root = sys.argv[1]
rows = []
for dirpath, _, files in os.walk(root):
    if os.path.basename(dirpath) != "new" or "estimates.json" not in files:
        continue
    bench = json.load(open(os.path.join(dirpath, "benchmark.json")))
    est = json.load(open(os.path.join(dirpath, "estimates.json")))["mean"]
    nbytes = (bench.get("throughput") or {}).get("Bytes")
    if not nbytes:
        continue
    rate = lambda ns: nbytes / (ns / 1e9) / 2**20
    rows.append((bench["group_id"], bench["function_id"] or "", nbytes, est["point_estimate"],
                 rate(est["confidence_interval"]["upper_bound"]),
                 rate(est["point_estimate"]),
                 rate(est["confidence_interval"]["lower_bound"])))
order = ["stage", "clean/utf8", "clean/legacy", "clean/mojibake", "corpus"]
benches = ["decode", "normalize", "segment", "classify", "assemble", "clean", "decode+normalize"]
key = lambda r: (next((i for i, o in enumerate(order) if r[0].startswith(o)), 99), r[0],
                 benches.index(r[1]) if r[1] in benches else 99)
print("| group | bench | input per iteration (MB) | time per iteration | MB/s | 95% interval |")
print("| --- | --- | ---: | ---: | ---: | --- |")
for g, f, n, ns, lo, mid, hi in sorted(rows, key=key):
    t = f"{ns / 1e6:.1f} ms" if ns < 1e9 else f"{ns / 1e9:.2f} s"
    print(f"| {g} | {f} | {n / 2**20:.2f} | {t} | **{mid:.1f}** | {lo:.1f} – {hi:.1f} |")
EOF
    echo
    echo "Command: \`scripts/bench-pipeline.sh\` (\`cargo bench --locked --bench pipeline\`, then this table from \`$criterion_dir\`)."
} > "$table"
cat "$table"

python3 scripts/benchmarks_md.py BENCHMARKS.md throughput "Throughput (criterion)" "$table"
rm -f "$table"
