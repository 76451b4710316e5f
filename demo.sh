#!/usr/bin/env bash
# Set up and run the demo: install missing Debian packages, build, generate
# a seeded synthetic market (no data is downloaded or committed), run the
# demo tournament and print its league table.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$jobs" --target arena >/dev/null
mkdir -p demo
./build/arena data synth -o demo/market.h5 --symbols BTC,ETH,SOL,BNB,DOGE,XRP --days 7 --interval 1m --seed 7
./build/arena data info demo/market.h5
./build/arena run examples/demo.json -o demo/run.h5
./build/arena report demo/run.h5 -o demo/report.html
echo
echo "Report: demo/report.html    Next: ./build/arena table demo/run.h5 --format md    (docs/ for more)"
