#!/usr/bin/env bash
# Where the instructions go, per byte of input, once start-up is paid: callgrind counts of two
# whole CLI runs (`--jobs 1`), over the benchmark pages once (1x) and tiled four times (4x),
# and their difference divided by the three extra copies. Start-up (compiling the rules, the
# lazy DFAs' first states, the model) is in both runs and cancels out, so the "marginal"
# column is what a large folder pays per copy of the pages, and marginal / bytes is the
# steady-state cost per input byte. Instruction counts repeat exactly on a shared machine,
# where times do not.
#
# Usage: scripts/profile.sh [N]   (N rows of the table, default 40; about a minute)
# Env:   BIN=path/to/boilerstrip (default: target/release/boilerstrip, built if missing)
#        WORK=/dev/shm/boilerstrip-profile (the folders and callgrind files; removed at the end
#        unless KEEP=1)
# Needs: valgrind (`apt-get install -y valgrind`).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-target/release/boilerstrip}
WORK=${WORK:-/dev/shm/boilerstrip-profile}
ROWS=${1:-40}
SRC=benches/data/shb-dev/input

if ! command -v valgrind >/dev/null; then
    echo "valgrind is missing: apt-get update && apt-get install -y valgrind" >&2
    exit 2
fi
if [[ ! -x $BIN ]]; then
    cargo build --release --locked
fi
BIN=$(realpath "$BIN")
rm -rf "$WORK"
mkdir -p "$WORK/x1" "$WORK/x4"
[[ -n ${KEEP:-} ]] || trap 'rm -rf "$WORK"' EXIT
cp "$SRC"/*.txt "$WORK/x1/"
for i in 1 2 3 4; do
    for f in "$SRC"/*.txt; do cp "$f" "$WORK/x4/$i-$(basename "$f")"; done
done

for n in x1 x4; do
    rm -rf "$WORK/out"
    valgrind --tool=callgrind --callgrind-out-file="$WORK/$n.cg" \
        "$BIN" clean "$WORK/$n" --out "$WORK/out" --quiet --jobs 1 2>/dev/null
    callgrind_annotate --inclusive=yes --threshold=100 "$WORK/$n.cg" >"$WORK/$n.inc" 2>/dev/null
done

python3 - "$WORK" "$ROWS" "$(du -sb --apparent-size "$WORK/x1" | cut -f1)" <<'EOF'
import re, sys
work, rows, copy_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def inclusive(name):
    """Inclusive cost by function (the last `path:function` field of each row)."""
    costs, total = {}, 0
    for line in open(f"{work}/{name}.inc"):
        m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(\S+?):(\S+)", line)
        if m:
            cost = int(m.group(1).replace(",", ""))
            fn = m.group(3)
            costs[fn] = max(costs.get(fn, 0), cost)
        m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+PROGRAM TOTALS", line)
        if m:
            total = int(m.group(1).replace(",", ""))
    return costs, total

one, one_total = inclusive("x1")
four, four_total = inclusive("x4")
marginal = (four_total - one_total) / 3
print(f"1x: {one_total / 1e6:,.1f}M instructions, 4x: {four_total / 1e6:,.1f}M "
      f"(one copy of the pages: {copy_bytes:,} bytes)")
print(f"start-up and warm-up (1x minus one copy): {(one_total - marginal) / 1e6:,.1f}M")
print(f"per copy once started: {marginal / 1e6:,.1f}M = {marginal / copy_bytes:.0f} instructions per input byte")
print()
print("| function (inclusive) | per copy (M) | share | 1x (M) | 4x (M) |")
print("| --- | ---: | ---: | ---: | ---: |")
ours = [f for f in four if "boilerstrip::" in f and "{{closure}}" not in f]
ours.sort(key=lambda f: four[f] - one.get(f, 0), reverse=True)
for f in ours[:rows]:
    per = (four[f] - one.get(f, 0)) / 3
    print(f"| `{f.replace('boilerstrip::', '')}` | {per / 1e6:.1f} | {per / marginal:.0%} "
          f"| {one.get(f, 0) / 1e6:.1f} | {four[f] / 1e6:.1f} |")
EOF
