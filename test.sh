#!/usr/bin/env bash
# Build and run every test: a Release build with gcc, then a valgrind
# memcheck pass, each libFuzzer target for a few seconds, then the whole suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer (clang). Installs missing
# Debian packages first when run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")"
./scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$jobs"
(cd build && ctest --output-on-failure -j "$jobs")
# Valgrind memcheck over the engine paths, the commands and the exec tests
# (docs/HARDENING.md "Valgrind"; about 2 minutes plus its own build).
if [ "${ARENA_SKIP_VALGRIND:-0}" != 1 ]; then
  ./scripts/valgrind.sh
fi
# Every libFuzzer target for a short fixed time (long runs: docs/HARDENING.md).
if [ "${ARENA_SKIP_FUZZ:-0}" != 1 ]; then
  ./scripts/fuzz.sh "${ARENA_FUZZ_SECONDS:-3}"
fi
if [ "${ARENA_SKIP_SANITIZE:-0}" != 1 ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DARENA_SANITIZE=ON -DCMAKE_C_COMPILER=clang >/dev/null
  cmake --build build-asan -j "$jobs"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j "$jobs")
fi
