#!/usr/bin/env bash
# Times the whole CLI on big folders: MB/s and peak memory of `boilerstrip clean DIR --out OUT`
# with --jobs 1 and --jobs 2 on a 500+ MB folder of 10,000+ files, --jobs 2 on a 1 GB folder
# (memory must stay flat as the input grows), and once with input and output on disk.
#
# The folders are generated, never committed: the benchmark pages (benches/data/shb-dev/input)
# tiled, one page per file, each file ending in a short line of its own so no two are the same.
# They live in RAM (/dev/shm) so the disk does not set the pace, and are removed at the end.
#
# Usage: scripts/bench-batch.sh   (prints a Markdown table and writes it into BENCHMARKS.md,
#        section "Batch (CLI)", between the batch markers)
# Env:   BIN=path/to/boilerstrip (default: target/release/boilerstrip, built if missing)
#        SMALL_MB=500 LARGE_MB=1024 DISK_MB=500  WORK=/dev/shm/boilerstrip-bench
#        DISK_WORK=target/bench-batch
# Needs: python3 (to write the files quickly) and GNU time (`apt-get install -y time`).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-target/release/boilerstrip}
SMALL_MB=${SMALL_MB:-500}
LARGE_MB=${LARGE_MB:-1024}
DISK_MB=${DISK_MB:-500}
WORK=${WORK:-/dev/shm/boilerstrip-bench}
DISK_WORK=${DISK_WORK:-target/bench-batch}
SRC=benches/data/shb-dev/input

if [[ ! -x /usr/bin/time ]]; then
    echo "GNU time is missing: apt-get update && apt-get install -y time" >&2
    exit 2
fi
if [[ ! -x $BIN ]]; then
    cargo build --release --locked
fi
rm -rf "$WORK" "$DISK_WORK"
mkdir -p "$WORK" "$DISK_WORK"
trap 'rm -rf "$WORK" "$DISK_WORK"' EXIT

# generate DIR MB: the pages in a fixed order, repeated until DIR holds MB megabytes
# (2^20 bytes), 1000 files per subfolder.
generate() {
    python3 - "$SRC" "$1" "$2" <<'EOF'
import os, sys
src, out, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
pages = [open(os.path.join(src, n), "rb").read() for n in sorted(os.listdir(src)) if n.endswith(".txt")]
total, i = 0, 0
while total < mb << 20:
    if i % 1000 == 0:
        os.makedirs(os.path.join(out, f"d{i // 1000:04d}"), exist_ok=True)
    body = pages[i % len(pages)] + f"\n\nCopy {i}\n".encode()
    with open(os.path.join(out, f"d{i // 1000:04d}", f"f{i:07d}.txt"), "wb") as f:
        f.write(body)
    total += len(body)
    i += 1
EOF
}

# run LABEL IN OUT JOBS: one timed clean; prints a table row.
run() {
    local label=$1 in=$2 out=$3 jobs=$4
    local files bytes start end log
    files=$(find "$in" -type f | wc -l)
    bytes=$(du -sb --apparent-size "$in" | cut -f1)
    log=$(mktemp)
    rm -rf "$out"
    sync
    start=$(date +%s.%N)
    /usr/bin/time -v -o "$log" "$BIN" clean "$in" --out "$out" --quiet --jobs "$jobs"
    end=$(date +%s.%N)
    local written rss
    written=$(find "$out" -type f | wc -l)
    if [[ $written -ne $files ]]; then
        echo "$label: $files inputs but $written outputs" >&2
        exit 1
    fi
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    rm -f "$log"
    awk -v l="$label" -v f="$files" -v b="$bytes" -v j="$jobs" -v s="$start" -v e="$end" \
        -v r="$rss" 'BEGIN {
            t = e - s; mb = b / 1048576
            printf "| %s | %d | %.0f | %d | %.1f | %.1f | %.1f | %.0f |\n", l, f, mb, j, t, mb / t, mb / t / j, r / 1024
        }'
    rm -rf "$out"
}

# The whole report goes to stdout and, between the batch markers, into BENCHMARKS.md.
report() {
    echo "Machine: $(nproc) cores (\`nproc\`), CPU \`$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\`, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, load average at the start $(cut -d' ' -f1 /proc/loadavg) (other builds share the machine). Binary \`$BIN\`, checkout at \`$(git describe --always --dirty 2>/dev/null || echo unknown)\`, $(date -u '+%Y-%m-%d %H:%M UTC'). MB are 2^20 bytes of input; peak RSS is the maximum resident set size from \`/usr/bin/time -v\`."
    echo
    echo "| folder | files | MB | jobs | seconds | MB/s | MB/s per job | peak RSS (MB) |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"

    generate "$WORK/in" "$SMALL_MB"
    run "RAM (/dev/shm), ${SMALL_MB} MB" "$WORK/in" "$WORK/out" 1
    run "RAM (/dev/shm), ${SMALL_MB} MB" "$WORK/in" "$WORK/out" 2
    rm -rf "$WORK/in"

    # Twice the input, same memory: nothing is held per file beyond the files in flight.
    generate "$WORK/in" "$LARGE_MB"
    run "RAM (/dev/shm), ${LARGE_MB} MB" "$WORK/in" "$WORK/out" 2
    rm -rf "$WORK/in"

    # On disk, as a user runs it: the input was just written, so it is mostly in the page
    # cache; the outputs go to disk (written to a temporary file, then renamed; not synced).
    generate "$DISK_WORK/in" "$DISK_MB"
    run "disk (target/), ${DISK_MB} MB" "$DISK_WORK/in" "$DISK_WORK/out" 2
    rm -rf "$DISK_WORK/in"

    echo
    echo "Each row: \`/usr/bin/time -v $BIN clean IN --out OUT --quiet --jobs N\`."
}

table=$(mktemp)
report | tee "$table"
python3 scripts/benchmarks_md.py BENCHMARKS.md batch "Batch (CLI)" "$table"
rm -f "$table"
