#!/usr/bin/env bash
# Scores boilerstrip and the Python peers (jusText, trafilatura, datatrove's C4 filter) on
# the same text input, benches/data/shb-dev, with the benchmark's shingle metric, and writes
# the table into BENCHMARKS.md ("Quality").
#
#   scripts/peers-quality.sh                     # venv in target/peers-venv, outputs in target/peers/<peer>/
#   BOILERSTRIP=path/to/boilerstrip scripts/peers-quality.sh   # score that binary instead of building one
#
# Idempotent: reruns reuse the venv and overwrite the outputs and the table.
set -euo pipefail
source "$(dirname "$0")/peers-env.sh"
SHB=benches/data/shb-dev
"$PY" scripts/peers_quality.py --input $SHB/input --gold $SHB/gold --out target/peers \
    --boilerstrip "$BOILERSTRIP" --markdown BENCHMARKS.md
