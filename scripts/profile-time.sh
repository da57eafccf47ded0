#!/usr/bin/env bash
# Where the time goes, where scripts/profile.sh says where the instructions go. Instructions
# are not time: a probe into a table that misses the cache, a branch the processor guesses
# wrong or a system call costs many cycles for few instructions, and callgrind cannot see the
# kernel. This samples the CLI's CPU with `perf record -e cpu-clock` (a software clock, so it
# works on VMs without hardware counters), one core, `--jobs 1`, over the benchmark pages tiled
# COPIES times (one file per page, like a real folder), and prints:
#   - the shares of our code, the kernel and libc;
#   - the hottest symbols;
#   - for the top few, their hottest instructions and the source lines they were inlined from.
# A sample lands on the instruction after the one that stalled (the slow load, the wrong guess).
# Shares move a few percent between runs on a shared machine; compare runs of the same day.
#
# Usage: scripts/profile-time.sh [ROWS] [HOT]   (default 25 symbols, hot lines of the top 8)
# Env:   BIN=path/to/boilerstrip (default target/release/boilerstrip, built if missing)
#        COPIES=19 (about 20 MB), WORK=/dev/shm/boilerstrip-profile-time (removed unless KEEP=1)
# Needs: perf (`apt-get install -y linux-perf`) and addr2line (binutils).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-target/release/boilerstrip}
WORK=${WORK:-/dev/shm/boilerstrip-profile-time}
COPIES=${COPIES:-19}
ROWS=${1:-25}
HOT=${2:-8}
SRC=benches/data/shb-dev/input

if ! command -v perf >/dev/null; then
    echo "perf is missing: apt-get update && apt-get install -y linux-perf" >&2
    exit 2
fi
if [[ ! -x $BIN ]]; then
    cargo build --release --locked
fi
BIN=$(realpath "$BIN")
rm -rf "$WORK"
mkdir -p "$WORK/in"
[[ -n ${KEEP:-} ]] || trap 'rm -rf "$WORK"' EXIT
for i in $(seq 1 "$COPIES"); do
    for f in "$SRC"/*.txt; do cp "$f" "$WORK/in/$i-$(basename "$f")"; done
done

perf record -q -e cpu-clock -F 10000 -o "$WORK/perf.data" -- \
    taskset -c 0 "$BIN" clean "$WORK/in" --out "$WORK/out" --quiet --jobs 1 2>/dev/null
# Reports go to files first: `head` closing a pipe early would fail the script (pipefail).
perf report -i "$WORK/perf.data" --no-children --stdio --sort dso >"$WORK/dso.txt" 2>/dev/null
perf report -i "$WORK/perf.data" --no-children --stdio --sort symbol >"$WORK/sym.txt" 2>/dev/null
echo "input: $(du -sb --apparent-size "$WORK/in" | cut -f1) bytes in $(ls "$WORK/in" | wc -l) files"
echo
echo "| where | share of samples |"
echo "| --- | ---: |"
awk '/%/ && $1 ~ /%$/ { printf "| %s | %s |\n", $2, $1 }' "$WORK/dso.txt" | sed 5q
echo
echo "| symbol (self) | share |"
echo "| --- | ---: |"
grep -E '^\s+[0-9.]+%\s+\[' "$WORK/sym.txt" | sed "${ROWS}q" |
    sed -E 's/^\s+([0-9.]+%)\s+\[(.)\]\s+(.*\S)\s+-\s+-\s*$/| `\3` [\2] | \1 |/'
echo
echo "hottest instructions of the top $HOT user symbols (share of the symbol's samples, inlined from):"
grep -E '^\s+[0-9.]+%\s+\[\.\]' "$WORK/sym.txt" | sed "${HOT}q" |
    sed -E 's/^\s+([0-9.]+%)\s+\[\.\]\s+(.*\S)\s+-\s+-\s*$/\1\t\2/' |
    while IFS=$'\t' read -r pct sym; do
        echo "$pct $sym"
        perf annotate -i "$WORK/perf.data" --stdio -s "$sym" >"$WORK/annotate.txt" 2>/dev/null || true
        grep -E '^\s+[0-9]+\.[0-9]+ :' "$WORK/annotate.txt" | sort -rn | sed 4q |
            while read -r share _ addr insn; do
                from=$(addr2line -i -e "$BIN" "${addr%:}" 2>/dev/null |
                    sed 's#.*/src/#src/#; s#.*/library/#std:#' | sed 3q | paste -sd' ' -)
                printf '    %6s%%  %-32s %s\n' "$share" "$insn" "$from"
            done
    done
