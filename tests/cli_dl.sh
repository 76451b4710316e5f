#!/usr/bin/env bash
# tests/cli_dl.sh ARENA_BINARY SOURCE_DIR - libcurl and libwebsockets are
# opened on first use (include/arena/dl.h). Checks: arena does not link them
# (nor libmpi); commands that never touch the network (data synth/info, run
# with coded agents, table, stats, rank, report, merge) never load them
# (LD_DEBUG=files); and when they cannot be loaded (an empty file of that
# soname first on LD_LIBRARY_PATH), every command that needs one (data fetch,
# run with an llm or http agent, serve, feed, live) exits 1 with one line
# naming the library, without crashing. That the libraries work once loaded
# is what cli_fetch, cli_llm, cli_ext, cli_serve, cli_feed, cli_live and the
# C tests check, through the same forwarders.
set -u
arena=$1
src=$2
curl_so=${ARENA_CURL_SONAME:-libcurl.so.4}
lws_so=${ARENA_LWS_SONAME:-libwebsockets.so.17}
work=$(mktemp -d cli_dl.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

deps=$(ldd "$arena" 2>/dev/null)
echo "$deps" | grep -q "libwebsockets" && fail "arena links libwebsockets"
echo "$deps" | grep -q "libmpi" && fail "arena links libmpi"
# HDF5 linked as a shared library (ARENA_STATIC_DEPS off) may bring libcurl
# itself (Debian's does): then libcurl is there from the start
curl_at_start=0
if echo "$deps" | grep -q "libcurl"; then
  if echo "$deps" | grep -q "libhdf5"; then
    curl_at_start=1
    echo "note: the shared libhdf5 brings libcurl at start-up; libcurl checks skipped"
  else
    fail "arena links libcurl"
  fi
fi

# ---- no network, no library ----
loaded() { # LOG_PREFIX: the network libraries the process opened
  cat "$1".* 2>/dev/null | grep -oE "file=(libcurl|libwebsockets)[^ ]*" | sort -u | tr '\n' ' '
  rm -f "$1".*
}
quiet() { # NAME CMD...: run CMD with LD_DEBUG=files; no network library may appear
  local name=$1
  shift
  LD_DEBUG=files LD_DEBUG_OUTPUT="$work/ld" "$@" >"$work/out" 2>"$work/err" || fail "$name: $(head -3 "$work/err")"
  local l
  l=$(loaded "$work/ld")
  [ "$curl_at_start" = 1 ] && l=$(echo "$l" | sed 's/file=libcurl[^ ]* //g')
  [ -z "$l" ] || fail "$name loaded $l"
}
quiet "data synth" "$arena" data synth -o "$work/m.h5" --symbols BTC,ETH --days 2 --seed 3
quiet "data info" "$arena" data info "$work/m.h5"
cat >"$work/b.json" <<'JSON'
{"name": "b", "seeds": 2, "market": {"data": "m.h5", "start": "2025-01-01T04:00:00Z", "end": "2025-01-02T20:00:00Z"},
 "cadence": "1h", "agents": [{"name": "sma", "kind": "builtin", "strategy": "sma_cross"}]}
JSON
quiet "run" "$arena" run "$work/b.json" -o "$work/b.h5" --quiet --jobs 2
quiet "table" "$arena" table "$work/b.h5" --format json
quiet "report" "$arena" report "$work/b.h5" -o "$work/b.html"
quiet "stats" "$arena" stats "$src/tests/data/equity_small.csv" --periods-per-year 365
quiet "rank" "$arena" rank "$src/tests/data/battles_golden.csv"
quiet "run --episodes 0" "$arena" run "$work/b.json" -o "$work/s.h5" --episodes 0 --quiet
quiet "run --episodes 1" "$arena" run "$work/b.json" -o "$work/u.h5" --episodes 1 --quiet
quiet "merge" "$arena" merge "$work"/s.h5.shard-* "$work"/u.h5.shard-* -o "$work/mg.h5" --quiet
cmp -s "$work/b.h5" "$work/mg.h5" || fail "merged shards differ from the run"

# ---- the library cannot be loaded: one line naming it, exit 1 ----
mkdir -p "$work/bogus"
: >"$work/bogus/$lws_so"
[ "$curl_at_start" = 1 ] || : >"$work/bogus/$curl_so"
refused() { # NAME SONAME CMD...: exit 1, one line on stderr naming SONAME
  local name=$1 so=$2
  shift 2
  LD_LIBRARY_PATH="$work/bogus${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" timeout --foreground -k 10 30 "$@" >/dev/null 2>"$work/err"
  local rc=$?
  [ "$rc" = 1 ] || fail "$name without $so: exit $rc, expected 1: $(head -3 "$work/err")"
  [ "$(wc -l <"$work/err")" = 1 ] || fail "$name without $so: expected one line, got: $(cat "$work/err")"
  grep -qF "$so cannot be loaded" "$work/err" || fail "$name without $so: $(head -3 "$work/err")"
}
if [ "$curl_at_start" = 0 ]; then
  refused "data fetch" "$curl_so" "$arena" data fetch binance BTCUSDT --interval 1m --from 2024-01-01 \
    --to 2024-01-02 -o "$work/f.h5" --base-url http://127.0.0.1:9
  [ -e "$work/f.h5" ] && fail "data fetch without $curl_so wrote a market file"
  cat >"$work/l.json" <<'JSON'
{"name": "l", "seeds": 2, "market": {"data": "m.h5", "start": "2025-01-01T04:00:00Z", "end": "2025-01-01T08:00:00Z"},
 "cadence": "1h", "baselines": [],
 "agents": [{"name": "g", "kind": "llm", "provider": "openai", "model": "m", "base_url": "http://127.0.0.1:9/v1",
             "timeout_s": 1, "max_retries": 0}]}
JSON
  refused "run (llm agent)" "$curl_so" "$arena" run "$work/l.json" -o "$work/l.h5" --quiet --jobs 2
  cat >"$work/h.json" <<'JSON'
{"name": "h", "market": {"data": "m.h5", "start": "2025-01-01T04:00:00Z", "end": "2025-01-01T08:00:00Z"},
 "cadence": "1h", "baselines": [],
 "agents": [{"name": "svc", "kind": "http", "url": "http://127.0.0.1:9/decide", "timeout_s": 1}]}
JSON
  refused "run (http agent)" "$curl_so" "$arena" run "$work/h.json" -o "$work/h.h5" --quiet
  [ -e "$work/l.h5" ] || [ -e "$work/h.h5" ] && fail "a run without $curl_so wrote a run file"
fi
refused "serve" "$lws_so" "$arena" serve "$work/b.h5" --port 0
refused "feed" "$lws_so" "$arena" feed "$work/m.h5" --exchange binance --port 0
cat >"$work/live.json" <<'JSON'
{"name": "lv", "seed": 7, "capital": 10000, "cadence": "5m",
 "market": {"symbols": ["BTC"], "mode": "perp", "start": "2025-01-01T01:00:00Z", "end": "2025-01-01T02:00:00Z"},
 "live": {"exchange": "binance", "url": "ws://127.0.0.1:9"},
 "agents": [{"name": "sma", "kind": "builtin", "strategy": "sma_cross"}]}
JSON
refused "live" "$lws_so" "$arena" live "$work/live.json" -o "$work/lv.h5"

[ "$fails" = 0 ] && echo "cli_dl: ok"
exit $((fails > 0))
