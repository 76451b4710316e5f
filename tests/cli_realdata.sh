#!/usr/bin/env bash
# tests/cli_realdata.sh ARENA_BINARY SOURCE_DIR - smoke test on real Bybit
# 1-minute perps from ../shared/market-data (skipped when absent): import,
# run a week with the baselines and sma_cross, and check buy_hold's final
# equity against an independent computation from the raw CSV files.
set -u
arena=$1
src=$2
shared=${ARENA_SHARED:-$src/../shared}
dir=$shared/market-data/bybit-linear_cobra0506/1m
if [ ! -f "$dir/BTCUSDT_1m.csv.gz" ]; then
  echo "SKIP: $dir not found (real market data absent)"
  exit 0
fi
work=$(mktemp -d cli_real.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$arena" data import "$dir/BTCUSDT_1m.csv.gz" --symbol BTC -o "$work/m.h5" >/dev/null || fail "import BTC"
"$arena" data import "$dir/ETHUSDT_1m.csv.gz" --symbol ETH -o "$work/m.h5" >/dev/null || fail "import ETH"
cat >"$work/cfg.json" <<'JSON'
{"name": "bybit-week", "seed": 1, "capital": 10000,
 "market": {"data": "m.h5", "symbols": ["BTC", "ETH"],
            "start": "2025-06-01T00:00:00Z", "end": "2025-06-08T00:00:00Z", "mode": "perp"},
 "cadence": "5m",
 "execution": {"fees": {"taker_bps": 5.5, "maker_bps": 2}},
 "agents": [{"name": "sma", "strategy": "sma_cross", "params": {"fast": 12, "slow": 48}}]}
JSON
"$arena" run "$work/cfg.json" -o "$work/run.h5" --format json >"$work/t.json" || fail "run"
py=""
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import json' 2>/dev/null; then py=$p; break; fi
done
"$py" - "$dir" "$work/t.json" <<'PY' || fail "buy_hold check"
import csv, gzip, json, sys
from datetime import datetime, timezone
d, table = sys.argv[1], json.load(open(sys.argv[2]))
rows = {r["agent"]: r for r in table}
def bars(sym):
    out = {}
    with gzip.open(f"{d}/{sym}USDT_1m.csv.gz", "rt") as f:
        for r in csv.DictReader(f):
            t = int(datetime.fromisoformat(r["timestamp"]).timestamp())
            out[t] = (float(r["open"]), float(r["close"]))
    return out
start = int(datetime(2025, 6, 1, tzinfo=timezone.utc).timestamp())
end = int(datetime(2025, 6, 8, tzinfo=timezone.utc).timestamp())
fee = 5.5e-4
cash, value = 10000.0, 0.0
for sym in ("BTC", "ETH"):
    b = bars(sym)
    seen = b[start - 60][1]          # last close visible at the first decision
    q = 5000.0 / (seen * (1 + fee))
    fill = b[start][0]               # next open
    cash -= q * fill * (1 + fee)
    value += q * b[end - 60][1]      # final mark: close of the last bar in the window
want = cash + value
got = rows["buy_hold"]["final_equity"]
assert abs(got - want) < 1e-6 * want, (got, want)
assert rows["flat"]["final_equity"] == 10000
assert rows["sma"]["trades"] > 0 and rows["sma"]["fills"] >= 2 * rows["sma"]["trades"]
assert rows["sma"]["fees"] > 0
print("buy_hold final equity", got, "independent", want)
PY
echo "cli_realdata: $fails failed"
[ $fails = 0 ]
