#!/usr/bin/env bash
# Every GPU check in one call, on a host prepared by bench/gpu/pack-all.sh (run from the repository
# root): check.sh (tests, the fused engine's benchmark with the host's time per realisation), then
# check-bundle.sh (the CLI: solve --batch, dtmc run of 10^6 realisations, the 16-core float64 pool).
#
#   OUT=/tmp/gpu-check bash bench/gpu/check-all.sh
set -u
export OUT=${OUT:-/tmp/gpu-check}
mkdir -p "$OUT"
bash "$(dirname "$0")/check.sh" 10000,100000,1000000
bash "$(dirname "$0")/check-bundle.sh"
