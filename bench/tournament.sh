#!/usr/bin/env bash
# bench/tournament.sh [BUILD_DIR] - 6 agents x 8 windows x 5 seeds on the real
# Bybit 1-minute perps in ../shared/market-data (BTC ETH SOL BNB DOGE, 30 days),
# with --jobs 1 and --jobs 2; prints wall time and episodes/s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
arena=$build/arena
dir=${ARENA_SHARED:-$here/../../shared}/market-data/bybit-linear_cobra0506/1m
[ -f "$dir/BTCUSDT_1m.csv.gz" ] || { echo "SKIP: $dir not found"; exit 0; }
out=$here/out
mkdir -p "$out"
cd "$out"
if [ ! -f bybit.h5 ]; then
  for s in BTC ETH SOL BNB DOGE; do "$arena" data import "$dir/${s}USDT_1m.csv.gz" --symbol $s -o bybit.h5 >/dev/null; done
fi
cat >tour.json <<'JSON'
{"name": "bench-tournament", "seeds": 5, "capital": 10000,
 "market": {"data": "bybit.h5", "windows": {"count": 8, "length": "3d"}, "mode": "perp"},
 "cadence": "1m",
 "execution": {"fees": {"taker_bps": 5.5, "maker_bps": 2}, "slippage": {"model": "sqrt", "k": 0.1},
               "funding": {"rate": 0.0001, "interval": "8h"}},
 "baselines": ["flat", "buy_hold", "random"],
 "agents": [{"name": "sma", "strategy": "sma_cross"},
            {"name": "momentum", "strategy": "momentum"},
            {"name": "mean_revert", "strategy": "mean_revert"}]}
JSON
for j in 1 2; do
  s=$(date +%s.%N)
  /usr/bin/time -f "   peak RSS %M KB" "$arena" run tour.json -o tour$j.h5 --quiet --jobs $j --timing
  e=$(date +%s.%N)
  python3 -c "import sys; t=float(sys.argv[2])-float(sys.argv[1]); print(f'--jobs {sys.argv[3]}: {t:.2f} s wall, {40/t:.1f} episodes/s')" "$s" "$e" "$j"
done
cmp tour1.h5 tour2.h5 && echo "run files identical across --jobs"
ls -la tour1.h5 | awk '{print "   run file", $5, "bytes"}'
