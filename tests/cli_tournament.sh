#!/usr/bin/env bash
# tests/cli_tournament.sh ARENA_BINARY SOURCE_DIR - episodes = windows x
# seeds: the windows are where the config says, --jobs 2 gives the same run
# file as --jobs 1, config mistakes are refused, and the leakage guards hide
# names, dates and price levels from agents while results stay in real units.
set -u
arena=$1
src=$2
work=$(mktemp -d cli_tour.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
hp=""
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import h5py' 2>/dev/null; then hp=$p; break; fi
done

"$arena" data synth -o "$work/m.h5" --symbols BTC,ETH --days 4 --seed 8 >/dev/null || fail "synth"
cat >"$work/t.json" <<'JSON'
{"name": "tour", "seeds": 3, "capital": 10000,
 "market": {"data": "m.h5", "start": "2025-01-01T01:00:00Z", "end": "2025-01-04T23:00:00Z",
            "windows": {"count": 4, "length": "12h"}},
 "cadence": "5m",
 "execution": {"slippage": {"model": "sqrt", "k": 0.1, "noise_bps": 1}},
 "agents": [{"name": "sma", "strategy": "sma_cross"}, {"name": "mom", "strategy": "momentum"}]}
JSON
"$arena" run "$work/t.json" -o "$work/j1.h5" --quiet || fail "run --jobs 1"
"$arena" run "$work/t.json" -o "$work/j2.h5" --quiet --jobs 2 || fail "run --jobs 2"
cmp -s "$work/j1.h5" "$work/j2.h5" || fail "--jobs 2 changed the run file"
if [ -n "$hp" ]; then
  "$hp" - "$work/j1.h5" <<'PY' || fail "episode layout"
import sys, h5py
from datetime import datetime, timezone
f = h5py.File(sys.argv[1], "r")
eps = sorted(f["episodes"].keys(), key=int)
assert len(eps) == 12, eps
ns = 10**9
t0 = int(datetime(2025, 1, 1, 1, tzinfo=timezone.utc).timestamp()) * ns
t1 = int(datetime(2025, 1, 4, 23, tzinfo=timezone.utc).timestamp()) * ns
starts = []
for k in eps:
    a = f["episodes/" + k].attrs
    assert int(a["window"]) == int(k) // 3 and int(a["seed"]) == int(k) % 3 + 1, (k, a["window"], a["seed"])
    assert int(a["end"]) - int(a["start"]) == 12 * 3600 * ns
    starts.append(int(a["start"]))
assert starts[0] == t0 and int(f["episodes/11"].attrs["end"]) == t1
assert starts[1] == starts[0] and starts[0] < starts[3] < starts[6] < starts[9]
# same window, different seed: the deterministic strategy trades identically,
# the seeded random baseline does not
g = lambda k, a: f["episodes/%d/agents/%s" % (k, a)]
assert (g(0, "sma")["fills"]["t"][:] == g(1, "sma")["fills"]["t"][:]).all()
r0, r1 = g(0, "random")["equity"]["equity"][-1], g(1, "random")["equity"]["equity"][-1]
assert r0 != r1, "seeds should change the random baseline"
PY
fi

# ---- config mistakes ----
bad() { # json-edit expected-message
  sed "$1" "$work/t.json" >"$work/bad.json"
  "$arena" run "$work/bad.json" -o "$work/bad.h5" --quiet 2>"$work/err"
  rc=$?
  [ $rc = 2 ] || fail "$2: exit $rc"
  grep -q "$2" "$work/err" || fail "message for '$2': $(cat "$work/err")"
  [ ! -e "$work/bad.h5" ] || fail "$2: left a run file"
}
bad 's/"seeds": 3,/"seeds": 3, "seed": 4,/' "seeds: give either seed or seeds"
bad 's/"count": 4, "length": "12h"/"count": 12, "length": "1d"/' "would overlap"
bad 's/"count": 4, "length": "12h"/"count": 2, "length": "9d"/' "length is longer than the data window"
bad 's/"seeds": 3,/"seeds": [1, 1],/' "seeds\[1\]: duplicate seed"

# ---- leakage guards ----
cat >"$work/a.json" <<'JSON'
{"name": "anon", "seed": 5, "market": {"data": "m.h5", "start": "2025-01-02T00:00:00Z", "end": "2025-01-02T06:00:00Z",
  "anonymize": {"symbols": true, "dates": true, "prices": true}},
 "cadence": "30m", "baselines": ["buy_hold"],
 "agents": [{"name": "spy", "kind": "exec", "command": ["sh", "-c", "while read l; do printf '%s\n' \"$l\" >> obs.log; echo '[]'; done"]}]}
JSON
sed 's/"anonymize": {"symbols": true, "dates": true, "prices": true}/"anonymize": {}/' "$work/a.json" >"$work/plain.json"
(cd "$work" && "$arena" run a.json -o anon.h5 --format json >anon.txt) || fail "anonymized run"
(cd "$work" && mv obs.log obs_anon.log && "$arena" run plain.json -o plain.h5 --format json >plain.txt) || fail "plain run"
grep -q "ASSET_" "$work/obs_anon.log" || fail "anonymized names missing"
grep -q -E "BTC|ETH" "$work/obs_anon.log" && fail "real symbol names reached the agent"
grep -q -E "2025|T[0-9][0-9]:[0-9][0-9]" "$work/obs_anon.log" && fail "dates reached the agent"
grep -q "BTC" "$work/obs.log" || fail "plain run should show names"
if [ -n "$hp" ]; then
  "$hp" - "$work" <<'PY' || fail "real units"
import json, sys, h5py
w = sys.argv[1]
a, p = h5py.File(w + "/anon.h5", "r"), h5py.File(w + "/plain.h5", "r")
fa, fp = a["episodes/0/agents/buy_hold/fills"], p["episodes/0/agents/buy_hold/fills"]
for k in ("price", "qty", "fee"):
    for x, y in zip(fa[k], fp[k]):
        assert abs(x - y) <= 1e-9 * abs(y), (k, x, y)
ea, ep = a["episodes/0/agents/buy_hold/equity"]["equity"], p["episodes/0/agents/buy_hold/equity"]["equity"]
assert max(abs(x - y) / y for x, y in zip(ea, ep)) < 1e-9
# the agent saw other price levels than the real ones
obs = [json.loads(l) for l in open(w + "/obs_anon.log")]
real = [json.loads(l) for l in open(w + "/obs.log")]
seen = sorted(v["price"] for v in obs[0]["market"].values())
true = sorted(v["price"] for v in real[0]["market"].values())
assert all(abs(s / t - 1) > 0.01 for s, t in zip(seen, true)), (seen, true)
PY
fi
# Anonymized prices with sqrt slippage: each episode sums its own scaled
# rows (from two rows before the model's window ahead of its start, past
# the first blocks of this market). The model is scale-free (volatility of
# returns, size over volume), so buy_hold's fills, back in real units, are
# the plain run's to rounding, slippage included.
"$arena" data synth -o "$work/l.h5" --symbols BTC,ETH --days 12 --seed 9 >/dev/null || fail "synth 12 days"
cat >"$work/sq.json" <<'JSON'
{"name": "sq", "seeds": 2, "market": {"data": "l.h5", "start": "2025-01-08T00:00:00Z", "windows": {"count": 3, "length": "1d"},
  "anonymize": {"prices": true}},
 "cadence": "15m", "execution": {"slippage": {"model": "sqrt", "k": 0.3}},
 "baselines": ["buy_hold"], "agents": [{"name": "sma", "strategy": "sma_cross", "params": {"fast": 4, "slow": 40}}]}
JSON
sed 's/"anonymize": {"prices": true}/"anonymize": {}/' "$work/sq.json" >"$work/sqp.json"
"$arena" run "$work/sq.json" -o "$work/sqa.h5" --quiet || fail "anonymized, sqrt"
"$arena" run "$work/sqp.json" -o "$work/sqp.h5" --quiet || fail "plain, sqrt"
if [ -n "$hp" ]; then
  "$hp" - "$work/sqa.h5" "$work/sqp.h5" "$work/l.h5" <<'PY' || fail "anonymized sqrt fills differ from the plain run's"
import sys, h5py, numpy as np
a, p, m = (h5py.File(x, "r") for x in sys.argv[1:4])
n = 0
for k in a["episodes"]:
    fa, fp = a["episodes/%s/agents/buy_hold/fills" % k][()], p["episodes/%s/agents/buy_hold/fills" % k][()]
    assert len(fa) == len(fp) == 2, (k, len(fa), len(fp))
    for x, y in zip(fa, fp):
        for f in ("price", "qty", "fee"):
            assert abs(x[f] - y[f]) <= 1e-9 * abs(y[f]), (k, f, x[f], y[f])
        bars = m["bars/" + ("BTC", "ETH")[y["sym"]]][()]
        o = bars["open"][np.searchsorted(bars["t"], y["t"])]
        assert abs(y["price"] / o - 1) > 1e-6, (k, "no slippage", y["price"], o)
        n += 1
assert n == 12, n
PY
fi
echo "cli_tournament: $fails failed"
[ $fails = 0 ]
