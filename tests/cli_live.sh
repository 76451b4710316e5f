#!/usr/bin/env bash
# tests/cli_live.sh - `arena live` end to end against `arena feed` on 127.0.0.1.
#   bash cli_live.sh ARENA_BINARY SOURCE_DIR     (cwd: the build directory)
#
#  1. Live equals backtest: coded agents trading a replayed market file make
#     exactly the fills (time, quantity, price) and final equity of
#     `arena run` on the same file and window, on every exchange format.
#  2. A model agent whose answers take wall time: its orders become active
#     at the feed time the answer arrived and fill at a trade after it.
#  3. kill -9 while live: `arena table` reads the file at once; --resume
#     continues with positions restored (every state snapshot, before and
#     after the crash, holds exactly the sum of the fills logged before it),
#     no fill lost or repeated, order ids unique, @live = 2 after a clean stop.
#  3b. A feed with 30% injected faults (arena feed --faults): the run completes,
#     counts every kind, reconnects, records gaps; only clean ticks reach the file.
#  4. SIGINT stops cleanly (exit 0, file closed, table printed).
#  5. Config mistakes: one line, exit 2.
# Reads the files with python3-h5py (skips those checks when it is absent).
set -u
ARENA=${1:?usage: cli_live.sh ARENA_BINARY SOURCE_DIR}
SRC=${2:?}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cli_live.XXXXXX")
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT
fails=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
PY=/usr/bin/python3
have_h5py=0
"$PY" -c 'import h5py' 2>/dev/null && have_h5py=1

"$ARENA" data synth -o "$TMP/m.h5" --symbols BTC,ETH --days 1 --interval 1m --seed 3 >/dev/null 2>&1 ||
    { echo "FAIL synth"; exit 1; }

# start_feed EXCHANGE SPEED [extra...]: starts the replay server, sets $port
start_feed() {
    local ex=$1 speed=$2
    shift 2
    rm -f "$TMP/port"
    timeout --foreground -k 10 120 "$ARENA" feed "$TMP/m.h5" --exchange "$ex" --port 0 --speed "$speed" "$@" >"$TMP/port" 2>"$TMP/feed.err" &
    feed_pid=$!
    pids="$pids $feed_pid"
    for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
    port=$(head -n 1 "$TMP/port")
}

# config NAME EXCHANGE PORT START END AGENTS_JSON [EXTRA_ROOT_JSON]
config() {
    cat >"$TMP/$1.json" <<JSON
{"name": "$1", "seed": 5, "capital": 10000,
 "market": {"symbols": ["BTC", "ETH"], "mode": "perp", "start": "$4", "end": "$5"},
 "cadence": "5m",
 "live": {"exchange": "$2", "url": "ws://127.0.0.1:$3", "channels": ["trades"]},
 "execution": {"fees": {"taker_bps": 4.5, "maker_bps": 1.5}, "slippage": {"model": "fixed", "bps": 2},
               "funding": {"rate": 0.0001, "interval": "1h"}},
 "baselines": ["buy_hold", "random"],
 "agents": $6 ${7:-}}
JSON
}

SMA='[{"name": "sma", "kind": "builtin", "strategy": "sma_cross", "params": {"fast": 3, "slow": 8}},
      {"name": "mom", "kind": "builtin", "strategy": "momentum", "params": {"lookback": 20}}]'

# ---- 1. live == backtest ------------------------------------------------------
compared=0
for ex in binance hyperliquid coinbase; do
    # the feed starts at 00:00 and runs 1 h of market per 3 s; decisions from
    # 02:00 to 03:30; the client must be in before 01:35 for the 21 bars of
    # warm-up the agents need (checked below: a loaded machine can be slow)
    start_feed $ex 1200
    config "l_$ex" $ex "$port" 2025-01-01T02:00:00Z 2025-01-01T03:30:00Z "$SMA"
    timeout --foreground -k 10 60 "$ARENA" live "$TMP/l_$ex.json" -o "$TMP/l_$ex.h5" --format json >"$TMP/l_$ex.out" 2>"$TMP/l_$ex.err"
    rc=$?
    kill $feed_pid 2>/dev/null
    wait $feed_pid 2>/dev/null
    sed -e 's/"live": {[^}]*},//' -e "s#\"symbols\"#\"data\": \"$TMP/m.h5\", \"symbols\"#" "$TMP/l_$ex.json" >"$TMP/b_$ex.json"
    "$ARENA" run "$TMP/b_$ex.json" -o "$TMP/b_$ex.h5" --format json >"$TMP/b_$ex.out" 2>"$TMP/b_$ex.err"
    if [ $rc != 0 ]; then fail "$ex live rc=$rc: $(tail -n 2 "$TMP/l_$ex.err")"; continue; fi
    if [ $have_h5py = 1 ]; then
        if "$PY" - "$TMP/l_$ex.h5" "$TMP/b_$ex.h5" >"$TMP/cmp" 2>&1 <<'EOF'
import sys, h5py, math
L, B = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
assert L.attrs["live"] == 2, "live file not closed"
first = L["/episodes/0/ticks"][0]["t"]
if first > 1735695300 * 10**9:  # 01:35
    print(f"SKIP: the client connected late (first tick {first}), too little warm-up to compare")
    sys.exit(0)
bad = []
nf = 0
for a in ["sma", "mom", "buy_hold", "random"]:
    fl = L[f"/episodes/0/agents/{a}/fills"][:]
    fb = B[f"/episodes/0/agents/{a}/fills"][:]
    nf += len(fb)
    if len(fl) != len(fb):
        bad.append(f"{a}: {len(fl)} live fills, {len(fb)} backtest")
        continue
    for x, y in zip(fl, fb):
        if x["t"] != y["t"] or abs(x["qty"] - y["qty"]) > 1e-12 * abs(y["qty"]) or abs(x["price"] - y["price"]) > 1e-9 * y["price"] \
                or x["order_id"] != y["order_id"]:
            bad.append(f"{a}: fill {x} != {y}")
            break
    # orders (the live file has them in the order they became final), round
    # trips and the equity curve: the session drops from memory what the
    # file has, so ids and samples must run on across those drops
    ol = sorted(L[f"/episodes/0/agents/{a}/orders"][:], key=lambda o: o["id"])
    ob = B[f"/episodes/0/agents/{a}/orders"][:]
    if [int(o["id"]) for o in ol] != list(range(len(ol))):
        bad.append(f"{a}: live order ids {[int(o['id']) for o in ol][:20]}")
    for x, y in zip(ol, ob):
        if (x["id"], x["t_decision"], x["sym"], x["type"], x["status"]) != (y["id"], y["t_decision"], y["sym"], y["type"], y["status"]):
            bad.append(f"{a}: order {x} != {y}")
            break
    tl, tb = L[f"/episodes/0/agents/{a}/trades"][:], B[f"/episodes/0/agents/{a}/trades"][:]
    if len(tl) != len(tb) or any(x["t_open"] != y["t_open"] or x["t_close"] != y["t_close"] for x, y in zip(tl, tb)):
        bad.append(f"{a}: {len(tl)} live round trips, {len(tb)} backtest, or their times differ")
    ql, qb = L[f"/episodes/0/agents/{a}/equity"][:], B[f"/episodes/0/agents/{a}/equity"][:]
    qb = qb[qb["t"] <= ql["t"][-1]] if len(ql) else qb
    if len(ql) != len(qb) or any(x["t"] != y["t"] or abs(x["equity"] - y["equity"]) > 1e-9 * abs(y["equity"]) for x, y in zip(ql, qb)):
        bad.append(f"{a}: {len(ql)} live equity samples, {len(qb)} backtest, or their values differ")
    el = L[f"/episodes/0/agents/{a}"].attrs["final_equity"]
    eb = B[f"/episodes/0/agents/{a}"].attrs["final_equity"]
    if abs(el - eb) > 1e-9 * eb:
        bad.append(f"{a}: final equity {el} live, {eb} backtest")
assert nf >= 4, f"only {nf} fills: the comparison says little"
print("\n".join(bad) if bad else f"{nf} fills equal")
sys.exit(1 if bad else 0)
EOF
        then
            pass "$ex live equals backtest ($(cat "$TMP/cmp"))"
            grep -q SKIP "$TMP/cmp" || compared=$((compared + 1))
        else fail "$ex live != backtest: $(head -c 600 "$TMP/cmp")"; fi
    fi
    grep -q '"agent": "sma"' "$TMP/l_$ex.out" && pass "$ex league table printed" || fail "$ex no table: $(head -c 300 "$TMP/l_$ex.out")"
done

[ $have_h5py = 0 ] || [ $compared -gt 0 ] || fail "no exchange could be compared with the backtest"

# ---- 2. a model agent: orders wait for the answer's feed time --------------------
if [ -x "$PY" ]; then
    "$PY" "$SRC/tests/llm_server.py" 0 --idle 60 >"$TMP/llm.port" 2>"$TMP/llm.err" &
    pids="$pids $!"
    for _ in $(seq 100); do [ -s "$TMP/llm.port" ] && break; sleep 0.05; done
    lport=$(head -n 1 "$TMP/llm.port")
    buy=$("$PY" -c 'import urllib.parse; print(urllib.parse.quote("{\"actions\":[{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":0.01,\"leverage\":2}]}", safe=""))')
    start_feed binance 1200
    config llm binance "$port" 2025-01-01T00:20:00Z 2025-01-01T01:30:00Z \
        "[{\"name\": \"slow\", \"kind\": \"llm\", \"provider\": \"openai\", \"model\": \"script;id=slow;delay=400;answer=$buy\",
           \"base_url\": \"http://127.0.0.1:$lport/v1\", \"timeout_s\": 5}]"
    timeout --foreground -k 10 60 "$ARENA" live "$TMP/llm.json" -o "$TMP/llm.h5" --quiet 2>"$TMP/llm.err2"
    rc=$?
    kill $feed_pid 2>/dev/null
    wait $feed_pid 2>/dev/null
    if [ $rc != 0 ]; then
        fail "llm live rc=$rc: $(tail -n 2 "$TMP/llm.err2")"
    elif [ $have_h5py = 1 ]; then
        if "$PY" - "$TMP/llm.h5" >"$TMP/cmp" 2>&1 <<'EOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
g = f["/episodes/0/agents/slow"]
od, fl, tk = g["orders"][:], g["fills"][:], f["/episodes/0/ticks"][:]
llm = g["llm"][:]
assert len(llm) >= 5 and (llm["status"] == 0).sum() >= 5, f"llm records {llm}"
filled = od[od["status"] == 1]
assert len(filled) >= 3, f"only {len(filled)} filled orders"
lag = []
for o in filled:
    # 400 ms of wall time at 1200x is ~8 minutes of feed time
    assert o["t_active"] > o["t_decision"], f"order active at its decision time: {o}"
    lag.append((o["t_active"] - o["t_decision"]) / 60e9)
    x = fl[fl["order_id"] == o["id"]][0]
    assert x["t"] >= o["t_active"], f"filled before the answer: {x} {o}"
    # the reference price is a trade of BTC in the fill's second, after the answer
    sec = tk[(tk["sym"] == 0) & (tk["t"] >= x["t"]) & (tk["t"] < x["t"] + 10**9) & (tk["t"] >= o["t_active"])]
    assert len(sec) and sec[0]["price"] == x["ref_price"], f"fill ref {x['ref_price']} is not the first trade after the answer"
print(f"{len(filled)} orders, answer lag {min(lag):.1f}-{max(lag):.1f} feed minutes")
EOF
        then pass "llm orders fill after the answer ($(cat "$TMP/cmp"))"; else fail "llm timing: $(head -c 600 "$TMP/cmp")"; fi
    fi
fi

# ---- 3. kill -9 and --resume ------------------------------------------------------------
RND='[{"name": "rnd", "kind": "builtin", "strategy": "random", "params": {"probability": 0.5, "leverage": 3}}]'
start_feed binance 300
config crash binance "$port" 2025-01-01T00:10:00Z 2025-01-01T20:00:00Z "$RND"
"$ARENA" live "$TMP/crash.json" -o "$TMP/crash.h5" --quiet >/dev/null 2>"$TMP/crash.err" &
lpid=$!
pids="$pids $lpid"
sleep 4
kill -9 $lpid 2>/dev/null
wait $lpid 2>/dev/null
if timeout --foreground -k 10 20 "$ARENA" table "$TMP/crash.h5" --format json >"$TMP/crash.table" 2>"$TMP/crash.terr" &&
   grep -q '"agent": "rnd"' "$TMP/crash.table"; then
    pass "table reads the file left by kill -9"
else
    fail "table after kill -9: $(head -c 300 "$TMP/crash.terr")"
fi
[ $have_h5py = 1 ] && "$PY" - "$TMP/crash.h5" >"$TMP/before" 2>&1 <<'EOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r", swmr=True)
print(len(f["/episodes/0/agents/rnd/fills"]), len(f["/episodes/0/agents/rnd/state"]))
EOF
# a different config is refused
sed 's/"seed": 5/"seed": 6/' "$TMP/crash.json" >"$TMP/crash2.json"
timeout --foreground -k 10 20 "$ARENA" live "$TMP/crash2.json" --resume "$TMP/crash.h5" --quiet >/dev/null 2>"$TMP/err"
rc=$?
if [ $rc = 2 ] && grep -q "another config" "$TMP/err"; then pass "resume refuses another config"; else fail "resume other config rc=$rc: $(cat "$TMP/err")"; fi
timeout --foreground -k 10 60 "$ARENA" live "$TMP/crash.json" --resume "$TMP/crash.h5" --max-seconds 4 --format json >"$TMP/resume.out" 2>"$TMP/resume.err"
rc=$?
kill $feed_pid 2>/dev/null
wait $feed_pid 2>/dev/null
if [ $rc = 0 ]; then pass "resume runs and stops"; else fail "resume rc=$rc: $(tail -n 3 "$TMP/resume.err")"; fi
if [ $have_h5py = 1 ]; then
    if "$PY" - "$TMP/crash.h5" $(cat "$TMP/before") >"$TMP/cmp" 2>&1 <<'EOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
nf0, ns0 = int(sys.argv[2]), int(sys.argv[3])
assert f.attrs["live"] == 2, "not closed after the resumed run"
g = f["/episodes/0/agents/rnd"]
fl, st, od = g["fills"][:], g["state"][:], g["orders"][:]
assert len(fl) > nf0 and len(st) > ns0, f"nothing after the resume: fills {nf0}->{len(fl)}, state {ns0}->{len(st)}"
assert nf0 >= 2, f"only {nf0} fills before the kill"
ids = od["id"]
assert len(set(ids.tolist())) == len(ids), "order ids repeat after the resume"
# every snapshot (before and after the crash) holds the sum of the fills logged before it
checked = 0
for r in st:
    if r["seq"] == 0:
        continue
    q = fl[: r["nfills"]]
    want = q["qty"][q["sym"] == r["sym"]].sum()
    assert abs(r["qty"] - want) <= 1e-9 * max(1.0, abs(want)), f"snapshot {r['seq']} sym {r['sym']}: qty {r['qty']} != fills {want}"
    checked += 1
after = st[st["seq"] > st[:ns0]["seq"].max()]
assert len(after) > 0
# fill times never go back
assert (np.diff(fl["t"]) >= 0).all(), "fill times go back"
tk = f["/episodes/0/ticks"][:]
gaps = (tk["side"] == 2).sum()
print(f"fills {nf0}->{len(fl)}, {checked} snapshot rows consistent, {len(tk)} ticks")
EOF
    then pass "kill -9 and resume: $(cat "$TMP/cmp")"; else fail "resume state: $(head -c 800 "$TMP/cmp")"; fi
fi

# ---- 3b. a faulty feed (30%: malformed, unknown symbols, stale trades, crossed books,
#      oversized frames, stalls, dropped connections): the run goes on, counts them,
#      reconnects and records the gaps
start_feed binance 600 --faults 0.3 --fault-seed 7 --fault-stall-ms 300
config faulty binance "$port" 2025-01-01T00:10:00Z 2025-01-02T00:00:00Z "$RND"
timeout --foreground -k 10 60 "$ARENA" live "$TMP/faulty.json" -o "$TMP/faulty.h5" --max-seconds 8 --format json >"$TMP/faulty.out" 2>"$TMP/faulty.err"
rc=$?
kill $feed_pid 2>/dev/null
wait $feed_pid 2>/dev/null
summary=$(grep "arena live: feed:" "$TMP/faulty.err")
if [ $rc = 0 ] && echo "$summary" | grep -q "bad_json" && echo "$summary" | grep -q "unknown_symbol" &&
   ! echo "$summary" | grep -q " 0 reconnects"; then
    pass "faulty feed: run completes ($summary)"
else
    fail "faulty feed rc=$rc: $summary $(tail -n 2 "$TMP/faulty.err")"
fi
if [ $have_h5py = 1 ] && [ $rc = 0 ]; then
    if "$PY" - "$TMP/faulty.h5" >"$TMP/cmp" 2>&1 <<'EOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
tk = f["/episodes/0/ticks"][:]
gap = tk["side"] == 2
assert gap.sum() >= 1, "no gap recorded after reconnects"
t = tk[~gap]
assert len(t) > 50 and (t["sym"] >= 0).all() and (t["sym"] < 2).all(), "ticks with a bad symbol"
assert np.isfinite(t["price"]).all() and (t["price"] > 0).all(), "ticks with a bad price"
for s in (0, 1):
    ts = t["t"][t["sym"] == s]
    assert (np.diff(ts) >= 0).all(), "out-of-order trades reached the run file"
g = f["/episodes/0/agents/rnd"]
fl, st = g["fills"][:], g["state"][:]
for r in st:
    q = fl[: r["nfills"]]
    want = q["qty"][q["sym"] == r["sym"]].sum()
    assert abs(r["qty"] - want) <= 1e-9 * max(1.0, abs(want))
print(f"{len(t)} ticks, {gap.sum()} gaps, {len(fl)} fills")
EOF
    then pass "faulty feed: clean ticks and gaps in the file ($(cat "$TMP/cmp"))"; else fail "faulty feed file: $(head -c 600 "$TMP/cmp")"; fi
fi

# ---- 4. SIGINT -------------------------------------------------------------------------
start_feed binance 600
config sig binance "$port" 2025-01-01T00:10:00Z 2025-01-02T00:00:00Z "$SMA"
"$ARENA" live "$TMP/sig.json" -o "$TMP/sig.h5" --format json >"$TMP/sig.out" 2>"$TMP/sig.err" &
lpid=$!
sleep 3
kill -INT $lpid
for _ in $(seq 100); do kill -0 $lpid 2>/dev/null || break; sleep 0.1; done
wait $lpid
rc=$?
kill $feed_pid 2>/dev/null
wait $feed_pid 2>/dev/null
if [ $rc = 0 ] && grep -q '"agent": "sma"' "$TMP/sig.out"; then pass "SIGINT stops cleanly"; else fail "SIGINT rc=$rc $(tail -n 2 "$TMP/sig.err")"; fi
if [ $have_h5py = 1 ]; then
    "$PY" -c 'import sys, h5py; f = h5py.File(sys.argv[1], "r"); sys.exit(0 if f.attrs["live"] == 2 else 1)' "$TMP/sig.h5" &&
        pass "SIGINT leaves a closed file" || fail "SIGINT file not closed"
fi

# ---- 4b. SIGINT while a model call hangs: the call ends with it ------------------------
# the provider sleeps 60 s on every request and the agent waits up to 30 s
# (and would retry): a stop must not wait for that
if [ -x "$PY" ]; then
    "$PY" "$SRC/tests/llm_server.py" 0 --idle 60 >"$TMP/llm2.port" 2>"$TMP/llm2.err" &
    pids="$pids $!"
    for _ in $(seq 100); do [ -s "$TMP/llm2.port" ] && break; sleep 0.05; done
    lport=$(head -n 1 "$TMP/llm2.port")
    start_feed binance 600
    config hang binance "$port" 2025-01-01T00:10:00Z 2025-01-02T00:00:00Z \
        "[{\"name\": \"stuck\", \"kind\": \"llm\", \"provider\": \"openai\", \"model\": \"script;id=hang;seq=hang;hang=60000\",
           \"base_url\": \"http://127.0.0.1:$lport/v1\", \"timeout_s\": 30}]"
    "$ARENA" live "$TMP/hang.json" -o "$TMP/hang.h5" --quiet >/dev/null 2>"$TMP/hang.err" &
    lpid=$!
    for _ in $(seq 100); do grep -q '"id": *"hang"\|hang' "$TMP/llm2.err" 2>/dev/null && break; sleep 0.1; done
    sleep 2
    kill -INT $lpid
    t0=$(date +%s%N)
    for _ in $(seq 100); do kill -0 $lpid 2>/dev/null || break; sleep 0.05; done
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    kill -0 $lpid 2>/dev/null && { kill -9 $lpid; fail "SIGINT during a hung model call: still running after 5 s"; }
    wait $lpid
    rc=$?
    kill $feed_pid 2>/dev/null
    wait $feed_pid 2>/dev/null
    if [ $rc = 0 ] && [ $ms -lt 3000 ]; then pass "SIGINT ends a hung model call (${ms} ms)"; else fail "SIGINT during a hung call: rc=$rc after ${ms} ms: $(tail -n 2 "$TMP/hang.err")"; fi
    if [ $have_h5py = 1 ]; then
        "$PY" - "$TMP/hang.h5" <<'PYX' && pass "the interrupted call is recorded (reason interrupted)" || fail "no interrupted call in the file"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
llm = f["/episodes/0/agents/stuck/llm"][:]
assert len(llm) >= 1 and llm["status"][-1] == 1 and llm["reason"][-1] == 24, llm  # 24: interrupted
PYX
    fi
fi

# ---- 5. the web page follows a live run (headless Chromium) -------------------------------
chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$chrome" ]; then
    echo "SKIP: chromium not installed: the live page check is skipped"
else
    start_feed binance 300
    config web binance "$port" 2025-01-01T00:10:00Z 2025-01-02T00:00:00Z "$RND"
    "$ARENA" live "$TMP/web.json" -o "$TMP/web.h5" --quiet >/dev/null 2>"$TMP/web.err" &
    lpid=$!
    pids="$pids $lpid"
    for _ in $(seq 100); do [ -s "$TMP/web.h5" ] && break; sleep 0.1; done
    sleep 1
    timeout --foreground -k 10 60 "$ARENA" serve "$TMP/web.h5" --port 0 >"$TMP/serve.log" 2>&1 &
    spid=$!
    pids="$pids $spid"
    sport=
    for _ in $(seq 50); do sport=$(sed -n 's/.*127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$TMP/serve.log"); [ -n "$sport" ] && break; sleep 0.1; done
    dump() {
        timeout -k 10 40 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
            --disable-background-networking --disable-component-update --disable-sync \
            --user-data-dir="$(mktemp -d "$TMP/chrome.XXXXXX")" --virtual-time-budget=3000 --dump-dom "$1" 2>/dev/null
    }
    cells() { grep -o '<td class="n final">[^<]*</td>' "$1" | tr '\n' ' '; }
    load() { for _ in 1 2 3; do dump "http://127.0.0.1:$sport/" >"$1"; [ -n "$(cells "$1")" ] && return; done; }
    load "$TMP/dom1.html"
    sleep 3
    load "$TMP/dom2.html"
    a=$(cells "$TMP/dom1.html")
    b=$(cells "$TMP/dom2.html")
    if [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]; then
        pass "served page follows the live run ($a -> $b)"
    else
        fail "served page did not change during the live run: '$a' '$b' $(tail -n 2 "$TMP/serve.log")"
    fi
    kill -INT $lpid 2>/dev/null
    wait $lpid 2>/dev/null
    kill $spid $feed_pid 2>/dev/null
    wait $spid $feed_pid 2>/dev/null
fi

# ---- 6. config mistakes ---------------------------------------------------------------
expect_usage() {
    local name=$1 want=$2
    shift 2
    timeout --foreground -k 10 10 "$ARENA" live "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ $rc = 2 ] && grep -q -- "$want" "$TMP/err"; then pass "$name"; else fail "$name rc=$rc: $(head -n 2 "$TMP/err")"; fi
}
cat >"$TMP/bad1.json" <<'JSON'
{"market": {"data": "m.h5", "symbols": ["BTC"]}, "live": {"exchange": "binance"}}
JSON
cat >"$TMP/bad2.json" <<'JSON'
{"market": {"symbols": ["BTC"]}, "live": {"exchange": "kraken"}}
JSON
cat >"$TMP/bad3.json" <<'JSON'
{"market": {"data": "m.h5"}}
JSON
cat >"$TMP/bad4.json" <<'JSON'
{"market": {"symbols": ["BTC"]}, "live": {"exchange": "coinbase", "channels": ["trades", "candles"]}}
JSON
cat >"$TMP/bad5.json" <<'JSON'
{"market": {}, "live": {"exchange": "binance"}}
JSON
expect_usage "market.data with live" "market.data: a live run takes its data from the feed" "$TMP/bad1.json"
expect_usage "unknown exchange" "live.exchange: expected" "$TMP/bad2.json"
expect_usage "no live section" "live: missing" "$TMP/bad3.json"
expect_usage "bad channel" "live.channels\[1\]: expected" "$TMP/bad4.json"
expect_usage "no symbols" "market.symbols: missing" "$TMP/bad5.json"
expect_usage "-o and --resume" "not both" "$TMP/bad5.json" -o a.h5 --resume b.h5

# No event at all, -o onto another run's file: no table printed as if it were
# this run's, exit 1, and that file left byte for byte as it was.
cat >"$TMP/silent.json" <<'JSON'
{"market": {"symbols": ["BTC"]}, "cadence": "1m", "live": {"exchange": "binance", "url": "ws://127.0.0.1:9"},
 "baselines": ["flat"]}
JSON
cp "$TMP/crash.h5" "$TMP/other.h5"
timeout --foreground -k 10 30 "$ARENA" live "$TMP/silent.json" -o "$TMP/other.h5" --max-seconds 1 >"$TMP/silent.out" 2>"$TMP/silent.err"
rc=$?
if [ $rc = 1 ] && [ ! -s "$TMP/silent.out" ] && grep -q "no market event arrived; no run file written (the file already at that path is left as it was)" "$TMP/silent.err" &&
   cmp -s "$TMP/crash.h5" "$TMP/other.h5"; then
    pass "no event: another run's file is left alone and its table not printed"
else
    fail "no event onto another file: rc=$rc out=$(head -c 200 "$TMP/silent.out") err=$(tail -n 2 "$TMP/silent.err")"
fi

[ $fails = 0 ] && echo "ALL PASS" || echo "$fails FAILED"
exit $fails
