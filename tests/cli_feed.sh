#!/usr/bin/env bash
# tests/cli_feed.sh - `arena feed` end to end.
#   bash cli_feed.sh ARENA_BINARY SOURCE_DIR     (cwd: the build directory)
# For each exchange: the server prints its port first, accepts connections,
# and returns by itself when --max-seconds pass and when the data runs out;
# bad command lines exit 2 with one line. The client side (trades equal to
# the bars' path, reconnects, gaps, idle timeouts) is tests/test_feed_live.c,
# which drives this same command. Every wait is bounded (timeout).
set -u
ARENA=${1:?usage: cli_feed.sh ARENA_BINARY SOURCE_DIR}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cli_feed.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fails=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }

"$ARENA" data synth -o "$TMP/m.h5" --symbols BTC,ETH --bars 30 --seed 3 >/dev/null 2>&1 || { echo "FAIL synth"; exit 1; }

for ex in binance hyperliquid coinbase; do
    # --max-seconds bounds a long file; the first line is the port.
    start=$(date +%s%N)
    timeout --foreground -k 10 10 "$ARENA" feed "$TMP/m.h5" --exchange $ex --port 0 --speed 1 --max-seconds 1 >"$TMP/out" 2>"$TMP/err"
    rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    port=$(head -n 1 "$TMP/out")
    if [ $rc = 0 ] && [ "$port" -gt 0 ] 2>/dev/null && [ $ms -lt 5000 ] && [ ! -s "$TMP/err" ]; then
        pass "$ex max-seconds (port $port, ${ms} ms)"
    else
        fail "$ex max-seconds rc=$rc port='$port' ms=$ms err=$(head -c 200 "$TMP/err")"
    fi
    # 30 bars at 3600x are 0.5 s of clock: the server ends by itself.
    timeout --foreground -k 10 10 "$ARENA" feed "$TMP/m.h5" --exchange $ex --port 0 --speed 3600 >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ $rc = 0 ]; then pass "$ex exits when the data ends"; else fail "$ex data end rc=$rc"; fi
done

# A fixed port, and the port is taken while it runs.
timeout --foreground -k 10 10 "$ARENA" feed "$TMP/m.h5" --exchange binance --port 0 --max-seconds 3 >"$TMP/p1" 2>/dev/null &
pid=$!
for _ in $(seq 50); do [ -s "$TMP/p1" ] && break; sleep 0.1; done
p1=$(head -n 1 "$TMP/p1")
timeout --foreground -k 10 10 "$ARENA" feed "$TMP/m.h5" --exchange binance --port "$p1" --max-seconds 1 >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ $rc = 1 ] && grep -q "cannot listen on 127.0.0.1:$p1: Address already in use" "$TMP/err" && [ "$(wc -l <"$TMP/err")" = 1 ]; then
    pass "busy port fails with one line"
else
    fail "busy port rc=$rc: $(head -c 300 "$TMP/err")"
fi
# Bound to 127.0.0.1 alone: the kernel's table of listening sockets (state
# 0A) has the port once, at 0100007F, in neither IPv6 nor the wildcard.
hex=$(printf '%04X' "$p1")
where=$(awk -v h=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == h {print $2}' /proc/net/tcp /proc/net/tcp6 2>/dev/null | tr '\n' ' ')
if [ "$where" = "0100007F:$hex " ]; then pass "listens on 127.0.0.1 only"; else fail "listening sockets of port $p1: '$where'"; fi
kill $pid 2>/dev/null
wait $pid 2>/dev/null

# Usage errors: exit 2, one line naming the problem.
expect_usage() {
    local name=$1 want=$2
    shift 2
    timeout --foreground -k 10 10 "$ARENA" feed "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ $rc = 2 ] && grep -q -- "$want" "$TMP/err"; then pass "$name"; else fail "$name rc=$rc: $(head -n 1 "$TMP/err")"; fi
}
expect_usage "no file" "missing MARKET.h5" --exchange binance --port 0
expect_usage "bad exchange" "expected binance, hyperliquid or coinbase" "$TMP/m.h5" --exchange kraken --port 0
expect_usage "no port" "--port" "$TMP/m.h5" --exchange binance
expect_usage "bad speed" "--speed" "$TMP/m.h5" --exchange binance --port 0 --speed 0
expect_usage "bad start" "--start" "$TMP/m.h5" --exchange binance --port 0 --start yesterday
timeout --foreground -k 10 10 "$ARENA" feed "$TMP/nope.h5" --exchange binance --port 0 >/dev/null 2>"$TMP/err"
if [ $? = 1 ] && [ "$(wc -l <"$TMP/err")" = 1 ]; then pass "missing file"; else fail "missing file"; fi
"$ARENA" feed --help | grep -q "usage: arena feed" && pass "help" || fail "help"

[ $fails = 0 ] && echo "cli_feed: all passed" || echo "cli_feed: $fails failed"
[ $fails = 0 ]
