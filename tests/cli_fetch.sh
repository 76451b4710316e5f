#!/usr/bin/env bash
# tests/cli_fetch.sh ARENA_BINARY SOURCE_DIR - `arena data fetch` against
# tests/exchange_server.py on 127.0.0.1, which pages real bars from
# ../shared/market-data in Binance, Bybit and Hyperliquid response shapes
# (skipped when the data is absent). Checks: the fetched bars equal the source
# rows exactly; a 429 with Retry-After, Bybit's retCode 10006, an empty page
# in the middle and a dropped connection are survived; funding history lands
# in /funding/SYM and a perp backtest charges it; a second fetch asks only for
# what is missing; an exchange that dies mid-fetch and a SIGINT leave the
# market file untouched and a .part the next run resumes from; bad input
# gets one line quoting the exchange (exit 1) or a usage line (exit 2).
set -u
arena=$1
src=$2
shared=${ARENA_SHARED:-$src/../shared}
md=$shared/market-data
bn=$md/binance-spot_Benicio1007/1m/2024/BTCUSDT_1m.csv.gz
by=$md/bybit-linear_cobra0506/1m/BTCUSDT_1m.csv.gz
hl=$md/bybit-linear_cobra0506/1m/ETHUSDT_1m.csv.gz
if [ ! -f "$bn" ] || [ ! -f "$by" ] || [ ! -f "$hl" ]; then
  echo "SKIP: $md not found (real market data absent)"
  exit 0
fi
if ! command -v python3 >/dev/null; then
  echo "SKIP: python3 not found (needed for the local exchange server)"
  exit 0
fi
pyh5=""
for p in /usr/bin/python3 python3; do
  if "$p" -c 'import h5py' 2>/dev/null; then pyh5=$p; break; fi
done
[ -n "$pyh5" ] || echo "note: no python3 with h5py; file contents are not compared"

work=$(mktemp -d cli_fetch.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
export ARENA_FETCH_BACKOFF_MS=50

# start_server NAME ARGS...: server in the background, its port in $port
start_server() {
  local name=$1
  shift
  rm -f "$work/$name.port"
  python3 "$src/tests/exchange_server.py" --port-file "$work/$name.port" --log "$work/$name.log" --idle 300 "$@" \
    2>"$work/$name.err" &
  pids+=($!)
  for _ in $(seq 1 300); do
    [ -s "$work/$name.port" ] && break
    sleep 0.05
  done
  port=$(cat "$work/$name.port" 2>/dev/null)
  [ -n "$port" ] || { fail "server $name did not start: $(cat "$work/$name.err")"; port=1; }
}

# ms of an ISO date
ms() { echo $(($(date -u -d "$1" +%s) * 1000)); }

# check_bars FILE SYM CSV FROM TO: bars of SYM equal the CSV rows in [FROM, TO)
check_bars() {
  [ -n "$pyh5" ] || return 0
  "$pyh5" - "$@" <<'PY' || fail "bars of $2 differ from $3"
import datetime, gzip, sys, h5py
path, sym, csv, lo, hi = sys.argv[1:6]
def ms(s):
    d = datetime.datetime.fromisoformat(s)
    if d.tzinfo is None: d = d.replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp() * 1000)
lo, hi = ms(lo), ms(hi)
want = []
with gzip.open(csv, "rt") as f:
    f.readline()
    for line in f:
        c = line.strip().split(",")
        t = ms(c[0])
        if t >= hi: break
        if t >= lo: want.append((t * 1000000,) + tuple(float(x) for x in c[1:6]))
with h5py.File(path, "r") as f:
    d = f["bars/" + sym][:]
got = [tuple([int(r["t"])] + [float(r[k]) for k in ("open", "high", "low", "close", "volume")]) for r in d]
if got != want:
    print("rows: got %d want %d; first difference: %s" % (len(got), len(want),
          next(((g, w) for g, w in zip(got, want) if g != w), None)))
    sys.exit(1)
PY
}

# ---- Binance spot, with faults -----------------------------------------------
start_server bn --data "binance:BTCUSDT:$bn" --keep "$(ms 2024-02-13):$(ms 2024-02-18)" --faults
bport=$port
m=$work/m.h5
"$arena" data fetch binance BTCUSDT --interval 1m --from 2024-02-13 --to 2024-02-16 -o "$m" \
  --base-url "http://127.0.0.1:$bport" >"$work/o1" 2>"$work/e1" || fail "binance fetch: $(cat "$work/e1")"
grep -q "+4320 bars" "$work/o1" || fail "binance summary: $(cat "$work/o1")"
grep -q "rate limited" "$work/e1" || fail "binance 429 not reported: $(cat "$work/e1")"
check_bars "$m" BTC "$bn" 2024-02-13 2024-02-16
[ "$(grep -c klines "$work/bn.log")" -ge 8 ] || fail "binance: faults not exercised ($(grep -c klines "$work/bn.log") requests)"

# resume: a longer range asks only for the missing day
before=$(grep -c klines "$work/bn.log")
"$arena" data fetch binance BTCUSDT --interval 1m --from 2024-02-13 --to 2024-02-17 -o "$m" \
  --base-url "http://127.0.0.1:$bport" >"$work/o2" 2>"$work/e2" || fail "binance extend: $(cat "$work/e2")"
grep -q "+1440 bars (5760 in all" "$work/o2" || fail "binance extend summary: $(cat "$work/o2")"
check_bars "$m" BTC "$bn" 2024-02-13 2024-02-17
tail -n +$((before + 1)) "$work/bn.log" | grep klines | sed 's/.*startTime=\([0-9]*\).*/\1/' | while read -r s; do
  [ "$s" -ge "$(ms 2024-02-16)" ] || echo "refetched $s"
done | grep -q refetched && fail "extend re-downloaded bars the file had"

# ---- Bybit linear, with faults, under another name, with funding ------------
start_server by --data "bybit:BTCUSDT:$by" --data "hyperliquid:ETH:$hl" --faults
yport=$port
"$arena" data fetch bybit BTCUSDT --category linear --as BTCPERP --interval 1m --from 2025-06-01 \
  --to 2025-06-04 -o "$m" --base-url "http://127.0.0.1:$yport" >"$work/o3" 2>"$work/e3" ||
  fail "bybit fetch: $(cat "$work/e3")"
grep -q "10006 Too many visits" "$work/e3" || fail "bybit 10006 not reported: $(cat "$work/e3")"
grep -q "+9 funding" "$work/o3" || fail "bybit funding: $(cat "$work/o3")"
check_bars "$m" BTCPERP "$by" 2025-06-01 2025-06-04
# bars imported from a CSV into that symbol replace its bars and keep its funding
cp "$m" "$work/keep.h5"
out=$("$arena" data import "$src/tests/data/ohlcv_bybit.csv" --symbol BTCPERP -o "$work/keep.h5" 2>&1)
[ "$out" = "$work/keep.h5: BTCPERP: 4 bars (interval 1m), 0 trades from 1 file; its funding kept" ] ||
  fail "import over fetched funding: $out"
"$arena" data info "$work/keep.h5" | grep -q "^ *funding .* 9$" || fail "funding lost by an import: $("$arena" data info "$work/keep.h5")"
check_bars "$m" BTC "$bn" 2024-02-13 2024-02-17 # kept

# ---- Hyperliquid: two candleSnapshot pages, hourly funding -------------------
"$arena" data fetch hyperliquid ETH --interval 1m --from 2025-06-01 --to 2025-06-05 -o "$m" \
  --base-url "http://127.0.0.1:$yport" >"$work/o4" 2>"$work/e4" || fail "hyperliquid fetch: $(cat "$work/e4")"
grep -q "+5760 bars.*+96 funding" "$work/o4" || fail "hyperliquid summary: $(cat "$work/o4")"
# the test server answers one-minute bars whatever the interval: asked for
# 5m (from a server without faults), the fetch refuses to store them under
# that name, and the market file is not written
start_server hl1 --data "hyperliquid:ETH:$hl"
"$arena" data fetch hyperliquid ETH --interval 5m --from 2025-06-01 --to 2025-06-02 -o "$work/off.h5" \
  --base-url "http://127.0.0.1:$port" >/dev/null 2>"$work/e4b"
rc=$?
[ $rc = 1 ] && grep -q "ETH: hyperliquid: bars at 2025-06-01T00:00:00Z and 2025-06-01T00:01:00Z are not a whole number of 5m apart" "$work/e4b" ||
  fail "bars off the interval: rc=$rc $(cat "$work/e4b")"
[ ! -e "$work/off.h5" ] || fail "bars off the interval: a market file was written"
check_bars "$m" ETH "$hl" 2025-06-01 2025-06-05
if [ -n "$pyh5" ]; then
  "$pyh5" - "$m" <<'PY' || fail "funding series differ from the server's"
import math, sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    syms = [s.decode() for s in f["symbols"][:]]
    assert syms == ["BTC", "BTCPERP", "ETH"], syms
    assert "BTC" not in f["funding"], "spot got funding"
    for sym, step, scale in (("BTCPERP", 8 * 3600000, 1.0), ("ETH", 3600000, 0.125)):
        d = f["funding/" + sym][:]
        for r in d:
            k = int(r["t"]) // 1000000 // step
            want = float("%.8f" % (scale * (0.0001 + 0.00007 * math.sin(k))))
            assert int(r["t"]) == k * step * 1000000 and r["rate"] == want, (sym, r)
PY
fi

# ---- a perp backtest charges the fetched funding ----------------------------
cat >"$work/cfg.json" <<JSON
{"name": "fetched", "seed": 1, "capital": 10000,
 "market": {"data": "m.h5", "symbols": ["BTCPERP"], "start": "2025-06-01T00:00:00Z",
            "end": "2025-06-04T00:00:00Z", "mode": "perp"},
 "cadence": "1h", "baselines": ["buy_hold"],
 "execution": {"funding": {"rate": 0.01, "interval": "8h"}},
 "agents": []}
JSON
"$arena" run "$work/cfg.json" -o "$work/run.h5" --format json >"$work/t.json" 2>"$work/e5" ||
  fail "run: $(cat "$work/e5")"
grep -q "execution.funding is charged only in its gaps" "$work/e5" || fail "run: no funding notice: $(cat "$work/e5")"
if [ -n "$pyh5" ]; then
  "$pyh5" - "$work/run.h5" "$m" <<'PY' || fail "run did not charge the market's funding"
import sys, h5py
rates = []
with h5py.File(sys.argv[1], "r") as f:
    def visit(name, obj):
        if name.endswith("buy_hold/funding"):
            rates.extend((int(r["t"]), float(r["rate"])) for r in obj[:])
    f.visititems(visit)
with h5py.File(sys.argv[2], "r") as f:
    series = {int(r["t"]): float(r["rate"]) for r in f["funding/BTCPERP"][:]}
assert rates, "no funding rows"
for t, r in rates:
    assert series.get(t) == r, (t, r, "not from the market's series")
PY
fi

# ---- an exchange that dies mid-fetch, then resume ----------------------------
cp "$m" "$work/m.before"
start_server dead --data "bybit:BTCUSDT:$by" --die-after 2
"$arena" data fetch bybit BTCUSDT --category linear --as BTC2 --interval 1m --from 2025-06-01 --to 2025-06-04 \
  -o "$m" --base-url "http://127.0.0.1:$port" >"$work/o6" 2>"$work/e6"
rc=$?
[ "$rc" = 1 ] || fail "dead exchange: exit $rc, want 1"
[ "$(wc -l <"$work/e6")" = 1 ] || fail "dead exchange: not one line: $(cat "$work/e6")"
grep -q "2000 bars kept in .*m.h5.BTC2.part" "$work/e6" || fail "dead exchange message: $(cat "$work/e6")"
cmp -s "$m" "$work/m.before" || fail "dead exchange changed the market file"
[ -f "$m.BTC2.part" ] || fail "no checkpoint left"
before=$(grep -c kline "$work/by.log")
"$arena" data fetch bybit BTCUSDT --category linear --as BTC2 --interval 1m --from 2025-06-01 --to 2025-06-04 \
  -o "$m" --base-url "http://127.0.0.1:$yport" >"$work/o7" 2>"$work/e7" || fail "resume: $(cat "$work/e7")"
grep -q "resuming with 2000 bars" "$work/e7" || fail "resume not announced: $(cat "$work/e7")"
grep -q "+2320 bars (4320 in all" "$work/o7" || fail "resume summary: $(cat "$work/o7")"
[ -f "$m.BTC2.part" ] && fail "checkpoint not removed after the resume"
check_bars "$m" BTC2 "$by" 2025-06-01 2025-06-04
first=$(tail -n +$((before + 1)) "$work/by.log" | grep 'market/kline' | head -1 | sed 's/.*start=\([0-9]*\).*/\1/')
[ "${first:-0}" -ge $(($(ms 2025-06-01) + 2000 * 60000)) ] || fail "resume re-downloaded: first start=$first"

# ---- SIGINT mid-fetch ---------------------------------------------------------
cp "$m" "$work/m.before"
start_server slow --data "binance:BTCUSDT:$bn" --keep "$(ms 2024-02-13):$(ms 2024-02-18)" --delay 0.3
"$arena" data fetch binance BTCUSDT --as BTC3 --interval 1m --from 2024-02-13 --to 2024-02-17 -o "$m" \
  --base-url "http://127.0.0.1:$port" >"$work/o8" 2>"$work/e8" &
fp=$!
for _ in $(seq 1 100); do
  [ "$(grep -c klines "$work/slow.log" 2>/dev/null)" -ge 3 ] && break
  sleep 0.05
done
kill -INT "$fp"
wait "$fp"
rc=$?
[ "$rc" = 1 ] || fail "SIGINT: exit $rc, want 1"
grep -q "interrupted; [0-9]* bars kept in" "$work/e8" || fail "SIGINT message: $(cat "$work/e8")"
cmp -s "$m" "$work/m.before" || fail "SIGINT changed the market file"
[ -f "$m.BTC3.part" ] || fail "SIGINT left no checkpoint"

# ---- bad input -------------------------------------------------------------------
cp "$m" "$work/m.before"
"$arena" data fetch binance BTCUSDX --interval 1m --from 2024-02-13 --to 2024-02-14 -o "$m" \
  --base-url "http://127.0.0.1:$bport" >/dev/null 2>"$work/e9"
rc=$?
[ "$rc" = 1 ] || fail "unknown symbol: exit $rc"
[ "$(cat "$work/e9")" = "arena data: BTCUSDX: binance: -1121 Invalid symbol." ] || fail "unknown symbol: $(cat "$work/e9")"
# a bad symbol among good ones: said, naming it; the others are still fetched; exit 1
cp "$work/m.before" "$work/m2.h5"
"$arena" data fetch binance BTCUSDX BTCUSDT --interval 1m --from 2024-02-13 --to 2024-02-14 -o "$work/m2.h5" \
  --base-url "http://127.0.0.1:$bport" >"$work/o9b" 2>"$work/e9b"
rc=$?
[ "$rc" = 1 ] && grep -q "^arena data: BTCUSDX: binance: -1121 Invalid symbol.$" "$work/e9b" && grep -q "m2.h5: BTC: +" "$work/o9b" ||
  fail "a bad symbol among good ones: rc=$rc $(cat "$work/e9b") / $(cat "$work/o9b")"
"$arena" data fetch bybit BTCUSDX --interval 1m --from 2025-06-01 --to 2025-06-02 -o "$m" \
  --base-url "http://127.0.0.1:$yport" >/dev/null 2>"$work/e10"
[ "$(cat "$work/e10")" = "arena data: BTCUSDX: bybit: 10001 params error: symbol invalid" ] || fail "bybit symbol: $(cat "$work/e10")"
"$arena" data fetch bybit BTCUSDT --interval 8h --from 2025-06-01 --to 2025-06-02 -o "$m" 2>"$work/e11"
rc=$?
[ "$rc" = 2 ] && [ "$(wc -l <"$work/e11")" = 1 ] && grep -q "bybit has no 8h interval" "$work/e11" ||
  fail "bad interval: exit $rc: $(cat "$work/e11")"
"$arena" data fetch binance BTCUSDT --interval 1m --from 2024-02-14 --to 2024-02-13 -o "$m" 2>"$work/e12"
rc=$?
[ "$rc" = 2 ] && grep -q "is not after --from" "$work/e12" || fail "--to before --from: exit $rc: $(cat "$work/e12")"
"$arena" data fetch kraken XBTUSD --interval 1m --from 2024-02-13 -o "$m" 2>/dev/null
[ "$?" = 2 ] || fail "unknown exchange not a usage error"
cmp -s "$m" "$work/m.before" || fail "bad input changed the market file"

[ "$fails" = 0 ] && echo "PASS: cli_fetch" || exit 1
