#!/usr/bin/env bash
# tests/cli_run.sh ARENA_BINARY SOURCE_DIR - `arena run` end to end: the run
# file is byte-identical across two runs, other HDF5 readers (h5dump, h5py)
# read it, `arena table` agrees with the run's own table, and bad configs
# fail with one line naming the key and leave no run file behind.
set -u
arena=$1
src=$2
work=$(mktemp -d cli_run.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$arena" data synth -o "$work/m.h5" --symbols BTC,ETH --days 2 --interval 1m --seed 3 >/dev/null || fail "synth"
cat >"$work/cfg.json" <<'JSON'
{"name": "t", "seed": 5, "capital": 10000,
 "market": {"data": "m.h5", "mode": "perp", "start": "2025-01-01T06:00:00Z"},
 "cadence": "3m",
 "execution": {"latency_ms": 500, "fees": {"taker_bps": 4.5, "maker_bps": 1.5},
               "slippage": {"model": "sqrt", "k": 0.1, "noise_bps": 0.5},
               "funding": {"rate": 0.0001, "interval": "8h"}},
 "agents": [{"name": "sma", "strategy": "sma_cross", "params": {"fast": 5, "slow": 20}},
            {"name": "mom", "strategy": "momentum", "params": {"lookback": 30, "leverage": 2}}]}
JSON

# ---- byte-identical reruns (also from another working directory) ----
"$arena" run "$work/cfg.json" -o "$work/a.h5" --quiet
[ $? = 0 ] || fail "run a"
(cd "$work" && "$arena" run cfg.json -o b.h5 --quiet) || fail "run b"
cmp -s "$work/a.h5" "$work/b.h5" || fail "run files differ between identical runs"
ls "$work" | grep -q 'tmp-' && fail "temporary file left behind"

# ---- the run's printed table equals arena table on its file ----
"$arena" run "$work/cfg.json" -o "$work/c.h5" --format json >"$work/run.json" || fail "run json"
"$arena" table "$work/c.h5" --format json >"$work/table.json" || fail "table json"
cmp -s "$work/run.json" "$work/table.json" || fail "run table and arena table differ"
cmp -s "$work/a.h5" "$work/c.h5" || fail "format flag changed the run file"

# ---- h5dump reads it ----
if command -v h5dump >/dev/null; then
  h5dump -a /format "$work/a.h5" | grep -q '"arena-run"' || fail "h5dump: format attribute"
  h5dump -H -d /episodes/0/agents/sma/fills "$work/a.h5" | grep -q 'H5T_IEEE_F64LE "price"' || fail "h5dump: fills.price"
else
  echo "SKIP: h5dump not installed"
fi

# ---- h5py reads it, and its numbers agree with the table ----
py=""
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import h5py' 2>/dev/null; then py=$p; break; fi
done
if [ -n "$py" ]; then
  "$py" - "$work/a.h5" "$work/table.json" <<'PY' || fail "h5py checks"
import json, sys, h5py
f = h5py.File(sys.argv[1], "r")
rows = {r["agent"]: r for r in json.load(open(sys.argv[2]))}
names = list(f["episodes/0/agents"].keys())
assert set(names) == {"sma", "mom", "flat", "buy_hold", "random"}, names
for n in names:
    g = f["episodes/0/agents/" + n]
    eq = g["equity"]["equity"]
    assert abs(eq[-1] - rows[n]["final_equity"]) < 1e-6, (n, eq[-1], rows[n]["final_equity"])
    assert abs(rows[n]["total_return"] - (eq[-1] / 10000.0 - 1)) < 1e-12, n
    assert g["fills"].shape[0] == rows[n]["fills"], n
    fees = float(g["fills"]["fee"].sum()) if g["fills"].shape[0] else 0.0
    assert abs(fees - rows[n]["fees"]) < 1e-6, (n, fees, rows[n]["fees"])
    t = g["equity"]["t"]
    assert all(t[i + 1] - t[i] == 180 * 10**9 for i in range(len(t) - 2)), n  # 3m cadence
assert f["episodes/0/agents/mom"]["fills"].shape[0] > 0
assert f["episodes/0/agents/flat"]["equity"]["equity"][-1] == 10000.0
cfg = json.loads(f.attrs["config"])
assert cfg["cadence"] == "3m"
man = json.loads(f.attrs["manifest"])
assert len(man["data_sha256"]) == 64 and man["seed"] == 5
# the manifest of a backtest is exactly these keys (a new key changes every run file's bytes)
assert sorted(man) == ["arena_version", "data_sha256", "format_version", "seed"], sorted(man)
PY
else
  echo "SKIP: python3 with h5py not available"
fi

# ---- curves streamed to the file in blocks (8192 samples) ----
# (ARENA_CURVE_MEMORY=0: stream whatever the size; by default runs with
# under 32 MiB of curves keep them in memory)
# 19,000 decisions per episode: each curve leaves the engine in three
# blocks and the league reads it back from the file. The file must equal
# the one written from memory (--episodes keeps whole episodes in shards),
# not depend on --jobs, and its table must equal arena table's.
"$arena" data synth -o "$work/long.h5" --symbols BTC,ETH --bars 40000 --seed 4 >/dev/null || fail "synth long"
cat >"$work/long.json" <<'JSON'
{"name": "long", "market": {"data": "long.h5", "mode": "perp",
  "windows": {"count": 2, "length": "19000m"}}, "seeds": 2, "cadence": "1m",
 "execution": {"fees": {"taker_bps": 4.5, "maker_bps": 1.5}, "funding": {"rate": 0.0001, "interval": "8h"}},
 "agents": [{"name": "sma", "strategy": "sma_cross", "params": {"fast": 10, "slow": 30}}]}
JSON
ARENA_CURVE_MEMORY=0 "$arena" run "$work/long.json" -o "$work/l1.h5" --format json --timing >"$work/l1.json" \
  2>"$work/l1.err" || fail "long run"
ARENA_CURVE_MEMORY=0 "$arena" run "$work/long.json" -o "$work/l2.h5" --format json --jobs 2 --timing \
  >"$work/l2.json" 2>"$work/l2.err" || fail "long run --jobs 2"
# the table took every curve from its summary, made on the summary thread
# (--jobs 1) or on the engine threads (--jobs 2): none read back
for f in l1 l2; do
  grep -q "the table read 0 of 16 curves back" "$work/$f.err" || fail "$f: curves read back: $(grep 'table read' "$work/$f.err")"
done
"$arena" run "$work/long.json" -o "$work/l4.h5" --format json >"$work/l4.json" || fail "long run, curves kept"
"$arena" run "$work/long.json" -o "$work/l3.h5" --format json --episodes 0-3 >/dev/null || fail "long run --episodes"
"$arena" table "$work/l1.h5" --format json >"$work/lt.json" || fail "long table"
cmp -s "$work/l1.h5" "$work/l2.h5" || fail "streamed run file depends on --jobs"
cmp -s "$work/l1.h5" "$work/l3.h5" || fail "streamed run file differs from the one written from memory"
cmp -s "$work/l1.json" "$work/lt.json" || fail "streamed run's table differs from arena table"
# (one thread summarises the curves at --jobs 1, each engine thread its own at --jobs 2)
cmp -s "$work/l1.json" "$work/l2.json" || fail "streamed run's table depends on --jobs"
cmp -s "$work/l1.h5" "$work/l4.h5" || fail "streamed and kept curves give different run files"
cmp -s "$work/l1.json" "$work/l4.json" || fail "streamed and kept curves give different tables"
# the curves above (19,000 samples) stay in memory by default; one
# episode over all 40,000 bars gives curves of 1.2 MiB each, which stream
# by default (1 MiB a curve on average), and stay with the budget set
sed 's/"windows": {"count": 2, "length": "19000m"}/"end": "2025-01-28T18:00:00Z"/' "$work/long.json" >"$work/one.json"
"$arena" run "$work/long.json" -o "$work/l6.h5" --quiet --timing 2>"$work/l6.err" || fail "long run, timing"
grep -q "equity curves went into the run file" "$work/l6.err" && fail "short curves streamed by default"
"$arena" run "$work/one.json" -o "$work/o1.h5" --quiet --timing 2>"$work/o1.err" || fail "one long episode"
grep -q "equity curves went into the run file block by block" "$work/o1.err" || fail "long curves not streamed by default"
ARENA_CURVE_MEMORY=33554432 "$arena" run "$work/one.json" -o "$work/o2.h5" --quiet --timing 2>"$work/o2.err" ||
  fail "one long episode, budget set"
grep -q "equity curves went into the run file" "$work/o2.err" && fail "long curves streamed under a budget set"
cmp -s "$work/o1.h5" "$work/o2.h5" || fail "one long episode: streamed and kept curves give different run files"
ARENA_CURVE_MEMORY=lots "$arena" run "$work/long.json" -o "$work/l5.h5" --quiet 2>"$work/cm.err" || fail "bad ARENA_CURVE_MEMORY stopped the run"
grep -q "ARENA_CURVE_MEMORY: expected a number of bytes" "$work/cm.err" || fail "bad ARENA_CURVE_MEMORY not reported"
# ---- record logs through a temporary file (ARENA_LOG_MEMORY) ----
# With 0 every settled order, fill, round trip, funding charge and decision
# leaves memory as the run goes on and the writer and the league read them
# back: the run files and tables must be those of logs kept in memory,
# with curves streamed or kept, one thread or two, and on windowed bars.
ARENA_LOG_MEMORY=0 ARENA_CURVE_MEMORY=0 "$arena" run "$work/long.json" -o "$work/g1.h5" --format json --timing \
  >"$work/g1.json" 2>"$work/g1.err" || fail "logs spilled"
grep -q "timing: [0-9]* log records went through a temporary file" "$work/g1.err" ||
  fail "logs spilled: --timing says none were: $(cat "$work/g1.err")"
cmp -s "$work/l1.h5" "$work/g1.h5" || fail "spilled logs give another run file"
cmp -s "$work/l1.json" "$work/g1.json" || fail "spilled logs give another table"
ARENA_LOG_MEMORY=0 "$arena" run "$work/long.json" -o "$work/g2.h5" --format json --jobs 2 >"$work/g2.json" ||
  fail "logs spilled, --jobs 2"
cmp -s "$work/l4.h5" "$work/g2.h5" || fail "spilled logs with --jobs 2 give another run file"
cmp -s "$work/l4.json" "$work/g2.json" || fail "spilled logs with --jobs 2 give another table"
ARENA_LOG_MEMORY=200000 "$arena" run "$work/long.json" -o "$work/g3.h5" --quiet --timing 2>"$work/g3.err" ||
  fail "logs partly spilled"
grep -q "log records went through a temporary file" "$work/g3.err" || fail "a 200 kB log budget spilled nothing"
cmp -s "$work/l4.h5" "$work/g3.h5" || fail "partly spilled logs give another run file"
"$arena" run "$work/long.json" -o "$work/g4.h5" --quiet --timing 2>"$work/g4.err" || fail "logs kept"
grep -q "log records went through" "$work/g4.err" && fail "a small run spilled its logs under the default budget"
ARENA_LOG_MEMORY=x1 "$arena" run "$work/long.json" -o "$work/g5.h5" --quiet 2>"$work/lm.err" || fail "bad ARENA_LOG_MEMORY stopped the run"
grep -q "ARENA_LOG_MEMORY: expected a number of bytes" "$work/lm.err" || fail "bad ARENA_LOG_MEMORY not reported"
ls "$work" | grep -q "arena-spill" && fail "a spill file was left behind"
# ---- bars read from the market file in blocks (8192 rows) ----
# (ARENA_MARKET_MEMORY=0: window whatever the size.) Every builtin kind,
# funding, latency, fixed slippage, several episodes, cadences that do not
# divide a block: the run files must be those of a market read whole, with
# --jobs 2 too, and --timing must say the bars were windowed.
ARENA_CURVE_MEMORY=0 ARENA_MARKET_MEMORY=0 "$arena" run "$work/long.json" -o "$work/w1.h5" --quiet --timing \
  2>"$work/w1.err" || fail "windowed run"
grep -q "bars read from the file in blocks of 8192 rows: at most [0-9]* of 10 blocks" "$work/w1.err" ||
  fail "windowed run: --timing says no window: $(cat "$work/w1.err")"
cmp -s "$work/l1.h5" "$work/w1.h5" || fail "windowed bars give another run file"
# two threads share the window, each episode pinning its own blocks
ARENA_MARKET_MEMORY=0 "$arena" run "$work/long.json" -o "$work/w2.h5" --quiet --jobs 2 --timing 2>"$work/w2.err" ||
  fail "windowed --jobs 2"
grep -q "bars read from the file in blocks" "$work/w2.err" || fail "windowed --jobs 2: not windowed"
cmp -s "$work/l4.h5" "$work/w2.h5" || fail "windowed bars with --jobs 2 give another run file"
cat >"$work/six.json" <<'JSON'
{"name": "six", "market": {"data": "long.h5", "mode": "perp", "windows": {"count": 3, "length": "9000m"}},
 "seeds": 2, "cadence": "7m",
 "execution": {"fees": {"taker_bps": 4.5, "maker_bps": 1.5}, "latency_ms": 90000,
               "slippage": {"model": "fixed", "bps": 1, "noise_bps": 2}, "funding": {"rate": 0.0001, "interval": "8h"}},
 "baselines": ["flat", "buy_hold", "random"],
 "agents": [{"name": "sma", "strategy": "sma_cross", "params": {"fast": 5, "slow": 3000}},
            {"name": "momentum", "strategy": "momentum", "params": {"lookback": 9000}},
            {"name": "mean_revert", "strategy": "mean_revert", "params": {"window": 100}}]}
JSON
"$arena" run "$work/six.json" -o "$work/s1.h5" --format csv >"$work/s1.csv" || fail "six agents, whole"
ARENA_MARKET_MEMORY=0 "$arena" run "$work/six.json" -o "$work/s3.h5" --quiet --jobs 2 || fail "six agents, windowed, --jobs 2"
cmp -s "$work/s1.h5" "$work/s3.h5" || fail "six agents: windowed bars with --jobs 2 give another run file"
ARENA_LOG_MEMORY=0 ARENA_MARKET_MEMORY=0 "$arena" run "$work/six.json" -o "$work/s4.h5" --format csv --jobs 2 \
  >"$work/s4.csv" || fail "six agents, windowed, logs spilled"
cmp -s "$work/s1.h5" "$work/s4.h5" || fail "six agents: windowed bars and spilled logs give another run file"
cmp -s "$work/s1.csv" "$work/s4.csv" || fail "six agents: windowed bars and spilled logs give another table"
"$arena" table "$work/s1.h5" --format csv >"$work/s1t.csv" || fail "six agents: arena table"
cmp -s "$work/s1.csv" "$work/s1t.csv" || fail "six agents: arena table (logs left in the file) differs from the run's table"
ARENA_MARKET_MEMORY=0 "$arena" run "$work/six.json" -o "$work/s2.h5" --format csv --timing >"$work/s2.csv" \
  2>"$work/s2.err" || fail "six agents, windowed"
grep -q "bars read from the file in blocks" "$work/s2.err" || fail "six agents: not windowed"
cmp -s "$work/s1.h5" "$work/s2.h5" || fail "six agents: windowed bars give another run file"
cmp -s "$work/s1.csv" "$work/s2.csv" || fail "six agents: windowed bars give another table"
# sqrt slippage: its trailing sums are windowed along with the bars
sed 's/"model": "fixed", "bps": 1, "noise_bps": 2/"model": "sqrt", "k": 0.3, "window": "6h"/' "$work/six.json" >"$work/sq.json"
"$arena" run "$work/sq.json" -o "$work/q1.h5" --quiet || fail "sqrt, whole"
ARENA_MARKET_MEMORY=0 "$arena" run "$work/sq.json" -o "$work/q2.h5" --quiet --jobs 2 --timing 2>"$work/q2.err" ||
  fail "sqrt, windowed"
grep -q "bars read from the file in blocks" "$work/q2.err" || fail "sqrt: not windowed"
cmp -s "$work/q1.h5" "$work/q2.h5" || fail "sqrt: windowed bars give another run file"
# anonymized prices: each episode scales the rows it reads (windowed bars
# over the market's), from bars read whole or windowed alike
sed 's/"mode": "perp",/"mode": "perp", "anonymize": {"prices": true},/' "$work/six.json" >"$work/an.json"
"$arena" run "$work/an.json" -o "$work/a2.h5" --quiet 2>"$work/a2.err" || fail "anonymized: $(tail -n 2 "$work/a2.err")"
ARENA_MARKET_MEMORY=0 "$arena" run "$work/an.json" -o "$work/a1.h5" --quiet --timing 2>"$work/a1.err" ||
  fail "anonymized, windowed: $(tail -n 2 "$work/a1.err")"
grep -q "bars read from the file in blocks" "$work/a1.err" || fail "anonymized: market not windowed"
cmp -s "$work/a1.h5" "$work/a2.h5" || fail "anonymized: windowed bars give another run file"
# their records go to the spill already in real units (each episode's
# scale undone on the way): the same run file as records kept in memory
ARENA_LOG_MEMORY=0 "$arena" run "$work/an.json" -o "$work/a3.h5" --quiet --jobs 2 --timing 2>"$work/a3.err" ||
  fail "anonymized, logs spilled: $(tail -n 2 "$work/a3.err")"
grep -q "log records went through a temporary file" "$work/a3.err" || fail "anonymized: logs not spilled"
cmp -s "$work/a2.h5" "$work/a3.h5" || fail "anonymized: spilled logs give another run file"
ARENA_MARKET_MEMORY=-1 "$arena" run "$work/long.json" -o "$work/w3.h5" --quiet 2>"$work/mm.err" || fail "bad ARENA_MARKET_MEMORY stopped the run"
grep -q "ARENA_MARKET_MEMORY: expected a number of bytes" "$work/mm.err" || fail "bad ARENA_MARKET_MEMORY not reported"
if [ -n "$py" ]; then
  # bad prices in a run longer than a block, across a block edge: the
  # accounts' catch-up looks back over them
  cp "$work/long.h5" "$work/badrows.h5"
  "$py" - "$work/badrows.h5" <<'PY' || fail "h5py: write bad rows"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r+")
d = f["bars/BTC"]; a = d[:]
a["open"][8000:17500] = 0; a["close"][30000:30005] = np.nan; a["high"][20000] = np.inf
d[...] = a
PY
  sed 's/"long.h5"/"badrows.h5"/' "$work/six.json" >"$work/sixbad.json"
  "$arena" run "$work/sixbad.json" -o "$work/b1.h5" --quiet || fail "bad rows, whole"
  ARENA_MARKET_MEMORY=0 "$arena" run "$work/sixbad.json" -o "$work/b2.h5" --quiet || fail "bad rows, windowed"
  cmp -s "$work/b1.h5" "$work/b2.h5" || fail "bad rows: windowed bars give another run file"
fi
if [ -n "$py" ]; then
  "$py" - "$work/l1.h5" <<'PY' || fail "h5py: streamed equity"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert len(f["episodes"]) == 4
for k in f["episodes"]:
    for n in f["episodes/" + k + "/agents"]:
        e = f["episodes/%s/agents/%s/equity" % (k, n)][:]
        assert len(e) == 19001, (k, n, len(e))
        assert (np.diff(e["t"]) == 60 * 10**9).all(), (k, n)
        assert np.isfinite(e["equity"]).all() and (e["equity"] > 0).all(), (k, n)
        assert e["equity"][-1] == f["episodes/%s/agents/%s" % (k, n)].attrs["final_equity"], (k, n)
PY
fi

# ---- SIGTERM (or Ctrl-C) during a run: no run file and no tmp left ----
# The run file's tmp exists from before the first episode (the writer lays
# the file out first); stopping the run must remove it.
"$arena" data synth -o "$work/big.h5" --symbols BTC,ETH --bars 1500000 --seed 9 >/dev/null || fail "synth big"
cat >"$work/big.json" <<'JSON'
{"name": "big", "market": {"data": "big.h5", "mode": "perp"}, "cadence": "1m",
 "agents": [{"name": "sma", "strategy": "sma_cross"}, {"name": "mom", "strategy": "momentum"},
            {"name": "mr", "strategy": "mean_revert"}]}
JSON
ARENA_CURVE_MEMORY=0 "$arena" run "$work/big.json" -o "$work/big_run.h5" --quiet 2>"$work/term.err" &
pid=$!
for i in $(seq 1000); do
  ls "$work"/big_run.h5.tmp-* >/dev/null 2>&1 && break
  sleep 0.01
done
kill -TERM $pid 2>/dev/null
wait $pid
rc=$?
if [ -e "$work/big_run.h5" ]; then
  echo "SKIP: the run finished before SIGTERM reached it"
else
  [ $rc = 143 ] || fail "SIGTERM: exit $rc, expected 143 (killed by the signal)"
  ls "$work"/big_run.h5.tmp-* >/dev/null 2>&1 && fail "SIGTERM left the run file's tmp behind"
  grep -q "stopped by a signal; no run file written" "$work/term.err" || fail "SIGTERM: no message"
fi
rm -f "$work/big.h5"

# ---- bad input: one line naming the key, exit 2, no file ----
sed 's/"taker_bps": 4.5/"taker_bps": "4.5"/' "$work/cfg.json" >"$work/bad.json"
"$arena" run "$work/bad.json" -o "$work/bad.h5" 2>"$work/err"
[ $? = 2 ] || fail "bad type: exit code"
[ "$(wc -l <"$work/err")" = 1 ] || fail "bad type: more than one line: $(cat "$work/err")"
grep -q "bad.json: execution.fees.taker_bps: expected a number" "$work/err" || fail "bad type message: $(cat "$work/err")"
[ ! -e "$work/bad.h5" ] || fail "bad config left a run file"

sed 's/"m.h5"/"missing.h5"/' "$work/cfg.json" >"$work/nodata.json"
"$arena" run "$work/nodata.json" -o "$work/nodata.h5" 2>"$work/err"
rc=$?
[ $rc != 0 ] || fail "missing market file accepted"
grep -q "missing.h5" "$work/err" || fail "missing data message: $(cat "$work/err")"
[ ! -e "$work/nodata.h5" ] || fail "missing data left a run file"

sed 's/"start": "2025-01-01T06:00:00Z"/"start": "2025-01-02T00:00:00Z", "end": "2025-01-02T00:00:00Z"/' "$work/cfg.json" >"$work/empty.json"
"$arena" run "$work/empty.json" -o "$work/empty.h5" 2>"$work/err"
[ $? = 2 ] || fail "empty window: exit code"
grep -q "market.end: must be after market.start" "$work/err" || fail "empty window message: $(cat "$work/err")"
# a window outside the data (2025-01-01 to 01-03) would run on frozen prices
# with funding still charged: refused, naming the key, before anything runs
for pair in 'start 2030-01-01T00:00:00Z market.start' 'start 2024-12-01T00:00:00Z market.start' \
            'end 2025-03-01T00:00:00Z market.end'; do
  set -- $pair
  sed "s/\"start\": \"2025-01-01T06:00:00Z\"/\"$1\": \"$2\"/" "$work/cfg.json" >"$work/out.json"
  "$arena" run "$work/out.json" -o "$work/out.h5" 2>"$work/err"
  rc=$?
  [ $rc = 2 ] && [ "$(wc -l <"$work/err")" = 1 ] &&
    grep -q "out.json: $3: $2 is outside the data of .*m.h5 (2025-01-01T00:00:00Z to 2025-01-03T00:00:00Z" "$work/err" ||
    fail "$1 $2 outside the data: rc=$rc $(cat "$work/err")"
  [ ! -e "$work/out.h5" ] || fail "$1 outside the data left a run file"
done
sed 's/"start": "2025-01-01T06:00:00Z"/"windows": [{"start": "2025-01-02T00:00:00Z", "end": "2025-02-01T00:00:00Z"}]/' \
  "$work/cfg.json" >"$work/win.json"
"$arena" run "$work/win.json" --check >/dev/null 2>"$work/err"
[ $? = 2 ] && grep -q "market.windows\[0\].end: 2025-02-01T00:00:00Z is outside the data" "$work/err" ||
  fail "window outside the data: $(cat "$work/err")"

"$arena" run 2>/dev/null
[ $? = 2 ] || fail "no config: exit code"

# the same run file twice (by another name too) would count its episodes twice
ln -s a.h5 "$work/a-link.h5"
for cmd in "table $work/a.h5 $work/a-link.h5" "report $work/a.h5 $work/a.h5 -o $work/twice.html"; do
  "$arena" $cmd >/dev/null 2>"$work/err"
  rc=$?
  [ $rc = 2 ] && [ "$(wc -l <"$work/err")" = 1 ] && grep -q "the same file as $work/a.h5 (each run counts once)" "$work/err" ||
    fail "$cmd: rc=$rc $(cat "$work/err")"
done
[ ! -e "$work/twice.html" ] || fail "report of a file given twice was written"

# wide characters in a name (CJK, emoji: two columns each, by Unicode's
# East Asian Width, read here by python's unicodedata): the text table's
# columns still line up on the screen
if command -v python3 >/dev/null; then
  sed 's|"name": "sma"|"name": "ünïcødé名前🚀"|' "$work/cfg.json" >"$work/wide.json"
  "$arena" run "$work/wide.json" -o "$work/wide.h5" --quiet >/dev/null 2>"$work/err" || fail "wide name run: $(cat "$work/err")"
  "$arena" table "$work/wide.h5" >"$work/wide.txt" 2>"$work/err" || fail "wide name table: $(cat "$work/err")"
  python3 - "$work/wide.txt" <<'PYW' || fail "text table with a wide name: columns do not line up: $(head -3 "$work/wide.txt")"
import sys, unicodedata
def cols(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in s)
at = set()
for line in open(sys.argv[1], encoding="utf-8"):
    i = line.find("builtin")
    if i >= 0:
        at.add(cols(line[:i]))
assert len(at) == 1, at
PYW
fi

# an llm agent whose key variable is not set: refused before the run, naming
# the variable; --check too
sed 's|"agents": \[|"agents": [{"name": "gpt", "kind": "llm", "provider": "openai", "model": "gpt-x", "api_key_env": "ARENA_TEST_UNSET_KEY"},|' \
  "$work/cfg.json" >"$work/key.json"
for args in "-o $work/key.h5 --quiet" "--check"; do
  env -u ARENA_TEST_UNSET_KEY "$arena" run "$work/key.json" $args >/dev/null 2>"$work/err"
  rc=$?
  [ $rc = 2 ] && [ "$(wc -l <"$work/err")" = 1 ] &&
    grep -q "key.json: agents: gpt needs the environment variable ARENA_TEST_UNSET_KEY (not set)" "$work/err" ||
    fail "unset key ($args): rc=$rc $(cat "$work/err")"
done
[ ! -e "$work/key.h5" ] || fail "unset key left a run file"

# a provider that cannot be reached (a closed port on loopback): the run goes
# on, every answer a hold, and says so once on stderr, naming the agent
cat >"$work/down.json" <<'JSON'
{"name": "down", "seed": 5, "market": {"data": "m.h5", "start": "2025-01-01T06:00:00Z", "end": "2025-01-01T07:00:00Z"},
 "cadence": "15m", "baselines": [],
 "agents": [{"name": "gpt", "kind": "llm", "provider": "openai", "model": "gpt-x", "api_key_env": "",
             "base_url": "http://127.0.0.1:9/v1", "max_retries": 0, "timeout_s": 5}]}
JSON
timeout -k 5 60 "$arena" run "$work/down.json" -o "$work/down.h5" --format csv --cassette "$work/down.jsonl" --record \
  >"$work/down.csv" 2>"$work/err"
rc=$?
[ $rc = 0 ] || fail "unreachable provider: rc=$rc $(cat "$work/err")"
[ "$(grep -c 'note: agent gpt: openai: connection failed' "$work/err")" = 1 ] && [ "$(wc -l <"$work/err")" = 1 ] ||
  fail "unreachable provider note: $(cat "$work/err")"
inv=$(awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i} NR == 2 {print $c["decisions"] "/" $c["invalid_answers"]}' "$work/down.csv")
[ "$inv" = "4/4" ] || fail "unreachable provider: decisions/invalid $inv, expected 4/4"
# its failures replayed from the cassette were said when recorded: not again
"$arena" run "$work/down.json" -o "$work/down2.h5" --quiet --cassette "$work/down.jsonl" --replay 2>"$work/err"
[ $? = 0 ] && [ ! -s "$work/err" ] || fail "a replayed failure was noted again: $(cat "$work/err")"
cmp -s "$work/down.h5" "$work/down2.h5" || fail "unreachable provider: the replayed run file differs"

# a prompt template that is not UTF-8 text: refused at the config, naming the
# file and the byte (it went on to fail every request as 'out of memory')
printf 'Rules {{coins}} \xff\xfe bad\n' >"$work/sys.txt"
sed 's|"agents": \[|"llm": {"prompt_system": "sys.txt"}, "agents": [{"name": "m", "kind": "llm", "provider": "openai", "model": "x", "api_key_env": "", "base_url": "http://127.0.0.1:9/v1"},|' \
  "$work/cfg.json" >"$work/tmpl.json"
"$arena" run "$work/tmpl.json" --check >/dev/null 2>"$work/err"
rc=$?
[ $rc = 2 ] && grep -q "tmpl.json: llm.prompt_system: template .*sys.txt: byte 17 is not UTF-8 text" "$work/err" ||
  fail "a template that is not UTF-8: rc=$rc $(cat "$work/err")"

# a paper-trading config (a `live` section, no market.data): pointed at arena live
"$arena" run "$src/examples/live/replay.json" -o "$work/live.h5" 2>"$work/err"
rc=$?
[ $rc = 2 ] && [ "$(wc -l <"$work/err")" = 1 ] && grep -q "replay.json: live: a paper-trading config.*arena live" "$work/err" ||
  fail "live config given to arena run: rc=$rc $(cat "$work/err")"
[ ! -e "$work/live.h5" ] || fail "live config left a run file"

echo "cli_run: $fails failed"
[ $fails = 0 ]
