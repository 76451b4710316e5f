#!/usr/bin/env bash
# bench/coverage.sh [BUILD_DIR] [REPS] - the full-scale "honest intervals"
# experiment behind docs/HARDENING.md: the test_coverage binary (Release
# build) run with more repetitions over a grid of windows W, seeds S and
# fees. Each line is one setting: coverage of the 95 % return and rating
# intervals (target [92 %, 98 %]) and how often a no-edge random agent is
# "significantly better than buy_hold" (target <= 5 %). Reports only: no
# band check (ARENA_COV_CHECK=0). About 2 CPU-minutes per 1000 repetitions
# at W = 30, S = 2; set GRID=small for the W sweep only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
reps=${2:-1000}
bin=$build/test_coverage
[ -x "$bin" ] || { echo "no $bin: build the tests first (cmake -DCMAKE_BUILD_TYPE=Release)"; exit 1; }
run() { # run W S FEE
  ARENA_COV_CHECK=0 ARENA_COV_REPS=$reps ARENA_COV_WINDOWS=$1 ARENA_COV_SEEDS=$2 ARENA_COV_FEE_BPS=$3 \
    ARENA_COV_SEED0=${SEED0:-100001} "$bin" 2>/dev/null | grep '^coverage:'
}
echo "== windows sweep (S = 2, fees 4.5 bps)"
for W in 5 10 20 30 60; do run "$W" 2 4.5; done
[ "${GRID:-full}" = small ] && exit 0
echo "== seeds (W = 30): zero fees is the sharpest null for the JK claim"
for S in 1 5 10; do for F in 0 4.5; do run 30 "$S" "$F"; done; done
