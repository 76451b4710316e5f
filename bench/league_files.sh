#!/usr/bin/env bash
# bench/league_files.sh [BUILD_DIR] [FILES] - a league over many run files:
# one run of 70 40-minute windows x 5 agents (2 strategies, 3 baselines) on
# a synthetic market, copied FILES times (default 70: 4,900 episodes), then
# `arena table` and `arena report` over all copies, with peak RSS, once with
# the default descriptor limit and once under `ulimit -n 64`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
nfiles=${2:-70}
arena=$build/arena
out=$here/out/league_files
mkdir -p "$out"
cd "$out"
[ -f m.h5 ] || "$arena" data synth -o m.h5 --symbols BTC,ETH --days 4 --seed 8 >/dev/null
cat >many.json <<'JSON'
{"name": "tour", "seeds": 1, "capital": 10000,
 "market": {"data": "m.h5", "start": "2025-01-01T01:00:00Z", "end": "2025-01-04T23:00:00Z",
            "windows": {"count": 70, "length": "40m"}},
 "cadence": "5m",
 "execution": {"slippage": {"model": "sqrt", "k": 0.1, "noise_bps": 1}},
 "agents": [{"name": "sma", "strategy": "sma_cross"}, {"name": "mom", "strategy": "momentum"}]}
JSON
"$arena" run many.json -o many.h5 --quiet
rm -f c*.h5
for k in $(seq 1 "$nfiles"); do cp many.h5 "c$k.h5"; done
echo "== arena table, $nfiles files of 70 episodes"
/usr/bin/time -f "   wall %e s, peak RSS %M KB" "$arena" table c*.h5 --format json >table.json
echo "== arena report, the same files"
/usr/bin/time -f "   wall %e s, peak RSS %M KB" "$arena" report c*.h5 -o report.html
echo "== both again under ulimit -n 64 (8 files open at a time)"
(ulimit -n 64 && /usr/bin/time -f "   table: wall %e s, peak RSS %M KB" "$arena" table c*.h5 --format json >table64.json)
(ulimit -n 64 && /usr/bin/time -f "   report: wall %e s, peak RSS %M KB" "$arena" report c*.h5 -o report64.html)
cmp table.json table64.json && cmp report.html report64.html && echo "   same table and report"
echo "== the same with every table left in its file (ARENA_READ_MEMORY=0)"
ARENA_READ_MEMORY=0 /usr/bin/time -f "   table: wall %e s, peak RSS %M KB" "$arena" table c*.h5 --format json >table0.json
cmp table.json table0.json && echo "   same table"
