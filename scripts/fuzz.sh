#!/usr/bin/env bash
# Build the libFuzzer targets (fuzz/fuzz_<what>.c, CMake option ARENA_FUZZ,
# clang) into build-fuzz and run each one for a fixed time, starting from its
# seed corpus fuzz/corpus/<what>/. Fails (exit 1) on any crash, leak,
# sanitizer report, timeout or out-of-memory; the input is saved as
# build-fuzz/artifacts/<what>-crash-... and the log kept next to it.
#
#   scripts/fuzz.sh [SECONDS]        # per target, default 5
#   FUZZ_TARGETS="csv rank" scripts/fuzz.sh 60
#
# New inputs found go to build-fuzz/corpus/<what> (not to the committed seed
# corpus). Long runs and the execution counts measured: docs/HARDENING.md.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"
case "$secs" in '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;; esac
targets="${FUZZ_TARGETS:-answer openai anthropic gemini config csv rank cassette feed}"
out=build-fuzz
jobs="$(nproc 2>/dev/null || echo 2)"

cmake -S . -B "$out" -DARENA_FUZZ=ON -DARENA_TESTS=OFF -DCMAKE_C_COMPILER=clang \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
build_targets=""
for t in $targets; do build_targets="$build_targets fuzz_$t"; done
# shellcheck disable=SC2086
cmake --build "$out" -j "$jobs" --target $build_targets >/dev/null

mkdir -p "$out/artifacts"
fail=0
for t in $targets; do
  corpus="$out/corpus/$t"
  mkdir -p "$corpus"
  log="$out/artifacts/$t.log"
  extra=()
  # arena rank prints one line per refused file on stderr: keep it out of
  # the log (libFuzzer and the sanitizers report on a duplicate of stderr).
  [ "$t" = rank ] && extra+=(-close_fd_mask=2)
  if "$out/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=25 -print_final_stats=1 \
       "${extra[@]}" -artifact_prefix="$out/artifacts/$t-" "$corpus" "fuzz/corpus/$t" >"$log" 2>&1; then
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
    echo "fuzz_$t: ok, ${runs:-?} executions in ${secs}s"
  else
    echo "fuzz_$t: FAILED (log: $log)" >&2
    grep -E 'ERROR|SUMMARY|runtime error|invariant failed|Test unit written' "$log" | head -n 8 >&2 || true
    fail=1
  fi
done
exit "$fail"
