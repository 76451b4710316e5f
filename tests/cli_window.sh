#!/usr/bin/env bash
# tests/cli_window.sh ARENA_BINARY SOURCE_DIR - windowed bars against bars
# read whole, on seeded random configs: each of the builtin strategies with
# look-backs from 1 bar to past a block (8192 rows), cadences from 1m to 13h,
# every slippage model (sqrt with its own windows), latency, spot and perp,
# symbol subsets, windows x seeds, anonymized prices, --jobs 1 and 2. Every run file must be
# byte-identical with ARENA_MARKET_MEMORY=0 (always windowed) and with the
# default (this market is read whole), and --timing must say the bars were
# windowed. Then an exec agent (the prompt's features) on 150,000 bars,
# windowed against whole. cwd is the build dir.
set -u
arena=$1
py=$(command -v python3 || true)
[ -n "$py" ] || { echo "SKIP: python3 not installed (it writes the random configs)"; exit 0; }
work=$(mktemp -d cli_window.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$arena" data synth -o "$work/p.h5" --symbols BTC,ETH,SOL --bars 30000 --seed 11 >/dev/null || fail "synth"
"$py" - "$work" <<'PY' || fail "configs"
import json, random, sys
work = sys.argv[1]
random.seed(5)
for i in range(12):
    strat = random.choice(["sma_cross", "momentum", "mean_revert"])
    if strat == "sma_cross":
        f = random.randint(1, 50)
        p = {"fast": f, "slow": f + random.randint(1, 12000)}
    elif strat == "momentum":
        p = {"lookback": random.randint(1, 15000), "threshold_bps": random.choice([0, 5, 20])}
    else:
        p = {"window": random.randint(2, 9000), "entry_z": random.choice([1, 2, 2.5])}
    slip = random.choice([{"model": "none"}, {"model": "fixed", "bps": 2}, {"model": "sqrt", "k": 0.2},
                          {"model": "sqrt", "k": 0.5, "window": random.choice(["2h", "3d"])}])
    c = {"name": "p%d" % i, "capital": 10000, "cadence": random.choice(["1m", "2m", "7m", "17m", "1h", "13h"]),
         "market": {"data": "p.h5", "mode": random.choice(["perp", "spot"]),
                    "symbols": random.sample(["BTC", "ETH", "SOL"], random.randint(1, 3))},
         "execution": {"fees": {"taker_bps": 4.5, "maker_bps": 1.5}, "slippage": slip,
                       "latency_ms": random.choice([0, 0, 30000, 200000])},
         "baselines": random.choice([[], ["flat", "buy_hold", "random"]]),
         "agents": [{"name": "a", "strategy": strat, "params": p},
                    {"name": "b", "strategy": "random", "params": {"probability": 0.05}}]}
    # anonymized prices (their own draw: the configs above stay as they were)
    if random.Random(128 + i).random() < 0.5:
        c["market"]["anonymize"] = {"prices": True}
    if random.random() < 0.5:
        c["market"]["windows"] = {"count": random.randint(1, 4), "length": random.choice(["1d", "3d", "5d"])}
        c["seeds"] = random.randint(1, 2)
    else:
        c["seed"] = random.randint(1, 9)
    json.dump(c, open("%s/c%d.json" % (work, i), "w"))
PY
for i in $(seq 0 11); do
  j=$((i % 2 + 1))
  "$arena" run "$work/c$i.json" -o "$work/w$i.h5" --quiet --jobs $j 2>"$work/e$i" || { fail "c$i whole: $(cat "$work/e$i")"; continue; }
  # odd configs also send their logs through the spill file (ARENA_LOG_MEMORY=0)
  lm=; [ $((i % 2)) = 1 ] && lm=0
  ARENA_LOG_MEMORY=$lm ARENA_MARKET_MEMORY=0 "$arena" run "$work/c$i.json" -o "$work/x$i.h5" --quiet --jobs $j --timing 2>"$work/f$i" >/dev/null ||
    { fail "c$i windowed: $(cat "$work/f$i")"; continue; }
  grep -q "bars read from the file in blocks of 8192 rows" "$work/f$i" || fail "c$i: not windowed"
  [ -z "$lm" ] || grep -q "log records went through a temporary file" "$work/f$i" || fail "c$i: logs not spilled"
  cmp -s "$work/w$i.h5" "$work/x$i.h5" || fail "c$i ($(tr -d '\n' <"$work/c$i.json" | cut -c1-200)): windowed bars give another run file"
done
# An exec agent (strategies/examples/momentum_agent.py, the prompt's
# features as JSON) reads a fixed number of bars back (ar_llm_lookback:
# 48,002 of 1m bars): on 150,000 bars with sqrt slippage its windowed run
# must make the same decisions, orders, fills and curves. (Its call
# records hold wall-clock latencies: compared without them.)
h5py=
for p in /usr/bin/python3 "$py"; do "$p" -c "import h5py" 2>/dev/null && { h5py=$p; break; }; done
if [ -z "$h5py" ]; then
  echo "SKIP: h5py not installed: the exec agent's windowed run is not compared"
else
  "$arena" data synth -o "$work/l.h5" --symbols BTC,ETH --bars 150000 --seed 21 >/dev/null || fail "synth long"
  cat >"$work/ex.json" <<JSON
{"name": "exw", "capital": 10000, "cadence": "1h", "seed": 2,
 "market": {"data": "l.h5", "mode": "perp", "start": "2025-02-10T00:00:00Z"},
 "execution": {"fees": {"taker_bps": 4.5, "maker_bps": 1.5}, "slippage": {"model": "sqrt", "k": 0.1}},
 "baselines": ["buy_hold"],
 "agents": [{"name": "mom", "kind": "exec", "command": ["$py", "$2/strategies/examples/momentum_agent.py"], "timeout_s": 30},
            {"name": "sma", "strategy": "sma_cross", "params": {"fast": 5, "slow": 300}}]}
JSON
  "$arena" run "$work/ex.json" -o "$work/ew.h5" --format json >"$work/ew.json" || fail "exec agent, whole"
  ARENA_LOG_MEMORY=0 ARENA_MARKET_MEMORY=0 "$arena" run "$work/ex.json" -o "$work/ex.h5" --format json --timing \
    >"$work/ex.json.out" 2>"$work/ex.err" || fail "exec agent, windowed"
  grep -q "log records went through a temporary file" "$work/ex.err" || fail "exec agent: logs not spilled"
  # the league over logs in memory, spilled, and left in the file (arena
  # table) reads the same records: model calls with fills and round trips
  "$arena" table "$work/ew.h5" --format json >"$work/ewt.json" || fail "exec agent: arena table"
  cmp -s "$work/ew.json" "$work/ewt.json" || fail "exec agent: arena table differs from the run's table"
  "$arena" table "$work/ex.h5" --format json >"$work/ext.json" || fail "exec agent: arena table, spilled"
  cmp -s "$work/ex.json.out" "$work/ext.json" || fail "exec agent: spilled run's table differs from arena table"
  grep -q "bars read from the file in blocks of 8192 rows: at most [0-9]* of 38 blocks" "$work/ex.err" ||
    fail "exec agent: not windowed: $(cat "$work/ex.err")"
  # the same with anonymized prices: each episode's scaled rows, from the
  # market read whole and windowed (the agent's 48,002 bars of look-back
  # reach across blocks of the scaled copy)
  sed 's/"mode": "perp",/"mode": "perp", "anonymize": {"prices": true},/' "$work/ex.json" >"$work/exa.json"
  "$arena" run "$work/exa.json" -o "$work/eaw.h5" --quiet || fail "exec agent, anonymized, whole"
  ARENA_MARKET_MEMORY=0 "$arena" run "$work/exa.json" -o "$work/eax.h5" --quiet || fail "exec agent, anonymized, windowed"
  for pair in "ew ex" "eaw eax"; do
    "$h5py" - "$work/${pair% *}.h5" "$work/${pair#* }.h5" <<'PY' || fail "exec agent: windowed run differs ($pair)"
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
bad = []
def walk(name, x):
    if not isinstance(x, h5py.Dataset):
        return
    u, v = x[()], b[name][()]
    for f in (u.dtype.names or [None]):
        if f == "latency_ms":
            continue
        p, q = (u, v) if f is None else (u[f], v[f])
        same = np.array_equal(p, q, equal_nan=True) if getattr(p, "dtype", None) is not None and p.dtype.kind == "f" else np.array_equal(p, q)
        if not same:
            bad.append("%s %s" % (name, f or ""))
a.visititems(walk)
n = len(a["episodes/0/agents/mom/decisions"])
if bad or n < 100:
    sys.exit("differs: %s (%d decisions)" % (", ".join(bad), n))
PY
  done
fi

echo "cli_window: $fails failed"
[ $fails = 0 ]
