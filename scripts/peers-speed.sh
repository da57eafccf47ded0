#!/usr/bin/env bash
# Times boilerstrip and the Python peers (jusText, trafilatura, ftfy, datatrove's C4 filter,
# a bare C4 line rule) and `wc -w` on one core (taskset -c 0) over the same ~20 MB of text
# (shb-dev inputs tiled, on tmpfs in /dev/shm), 3 runs each, median; writes the table into
# BENCHMARKS.md ("Speed (peers)") and the chart docs/peers-speed.png.
#
#   scripts/peers-speed.sh                       # MB=20 PREFIX_MB=4 REPEATS=3 by default
#   MB=20 PREFIX_MB=20 scripts/peers-speed.sh    # every peer on the whole corpus (slow: ~20 min)
#   BOILERSTRIP=path/to/boilerstrip scripts/peers-speed.sh
#
# Idempotent: the corpus in /dev/shm/boilerstrip-peers is made once and reused.
set -euo pipefail
source "$(dirname "$0")/peers-env.sh"
"$PY" scripts/peers_speed.py --boilerstrip "$BOILERSTRIP" --data /dev/shm/boilerstrip-peers \
    --mb "${MB:-20}" --prefix-mb "${PREFIX_MB:-4}" --repeats "${REPEATS:-3}" \
    --markdown BENCHMARKS.md --chart docs/peers-speed.png
