#!/usr/bin/env bash
# Valgrind memcheck over the engine paths (docs/HARDENING.md "Valgrind"):
# `arena data synth/import/info`, `arena run` on every examples/*.json (their
# market replaced by 6 hours of a small synthetic one; every LLM agent
# pointed at the fake provider server tests/llm_server.py with dummy keys; a
# cassette recorded and replayed; `run-jobs`: windows x seeds on two
# threads, `run-window`: the same on windowed bars, `run-spill`: with the
# logs through the spill file, `run-shard`/`run-resume`: in shards, resumed
# and merged through spills), `arena table`, `arena stats`, `arena report`, and
# the test binaries test_engine, test_exec and test_exec_bulk. Each command runs under
#   valgrind --tool=memcheck --leak-check=full --error-exitcode=99
#            --errors-for-leak-kinds=definite,indirect
# and the script fails (exit 1) when any of them reports an error or a
# definite/indirect leak, or fails by itself. A separate RelWithDebInfo gcc
# build (build-vg) keeps the line numbers. test.sh (so CI) runs it after the
# Release tests: about 2 minutes on 2 cores (plus the first build).
#
#   scripts/valgrind.sh            # everything
#   VG_ONLY="synth run" scripts/valgrind.sh   # a subset (names as printed)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
out=build-vg
jobs="$(nproc 2>/dev/null || echo 2)"
command -v valgrind >/dev/null || { echo "valgrind not installed (apt-get install valgrind)" >&2; exit 2; }
cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DARENA_TESTS=ON >/dev/null
cmake --build "$out" -j "$jobs" --target arena test_engine test_exec test_exec_bulk >/dev/null
arena="$src/$out/arena"
work=$(mktemp -d "${TMPDIR:-/tmp}/arena-vg.XXXXXX")
srv_pid=""
cleanup() { [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
logs="$out/valgrind"
mkdir -p "$logs"
rm -f "$logs"/*.log
py=python3
command -v "$py" >/dev/null || py=/usr/bin/python3

vg() { # vg NAME CMD...: run CMD under memcheck in $work, log to $logs/NAME.log
  local name=$1
  shift
  if [ -n "${VG_ONLY:-}" ] && ! grep -qw -- "${name%%-*}" <<<"$VG_ONLY"; then return 0; fi
  local t0 rc=0
  t0=$(date +%s%N)
  (cd "$work" && valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite,indirect \
     --show-leak-kinds=definite,indirect --error-exitcode=99 --track-origins=yes --num-callers=30 \
     --log-file="$src/$logs/$name.log" "$@" >"$src/$logs/$name.out" 2>&1) || rc=$?
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  local errs
  errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$src/$logs/$name.log" | tail -n 1)
  if [ "$rc" = 0 ] && [ "${errs:-x}" = 0 ]; then
    printf '%-28s ok      0 errors  %6d ms\n' "$name" "$ms"
  else
    printf '%-28s FAILED  %s errors  %6d ms  exit %s (%s)\n' "$name" "${errs:-?}" "$ms" "$rc" "$logs/$name.log"
    fail=1
  fi
}
fail=0

# ---- market data ----
vg synth "$arena" data synth -o m.h5 --symbols BTC,ETH,SOL,BNB,DOGE,XRP --days 1 --interval 1m --seed 1
vg import "$arena" data import "$src/tests/data/ohlcv_bybit.csv.gz" --symbol BTC -o imp.h5
vg import-kline "$arena" data import "$src/tests/data/kline.csv" --symbol ETH -o imp.h5
vg import-trades "$arena" data import "$src/tests/data/trades_binance.csv" --symbol SOL -o trades.h5
vg info "$arena" data info m.h5
[ -s "$work/m.h5" ] || "$arena" data synth -o "$work/m.h5" --symbols BTC,ETH,SOL,BNB,DOGE,XRP --days 1 \
  --interval 1m --seed 1 >/dev/null

# ---- the fake LLM server for the examples' LLM agents ----
"$py" "$src/tests/llm_server.py" 0 --idle 600 >"$work/port" 2>/dev/null &
srv_pid=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(head -n 1 "$work/port")

# ---- every example, on the small market: 6 hours, one window, one seed ----
export OPENAI_API_KEY=k ANTHROPIC_API_KEY=k GEMINI_API_KEY=k DEEPSEEK_API_KEY=k XAI_API_KEY=k DASHSCOPE_API_KEY=k
for ex in examples/*.json; do
  n=$(basename "$ex" .json)
  "$py" - "$ex" "$work/$n.json" "$port" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
m = c["market"]
m["data"] = "m.h5"
m.pop("windows", None)
m["start"], m["end"] = "2025-01-01T02:00:00Z", "2025-01-01T08:00:00Z"
c.pop("seeds", None)
for a in c["agents"]:  # every model answers from the fake server (keys: dummies)
    if a.get("kind") == "llm":
        base = "http://127.0.0.1:%s" % sys.argv[3]
        a["base_url"] = base + "/v1" if a.get("provider", "openai") == "openai" else base
        a["timeout_s"] = 30
json.dump(c, open(sys.argv[2], "w"))
PY
  vg "run-$n" "$arena" run "$n.json" -o "$n.h5" --quiet
done
# cassette: record then replay (no server needed) the local-model run
vg run-record "$arena" run local-models.json -o rec.h5 --cassette c.jsonl --record --quiet
kill "$srv_pid" 2>/dev/null || true
wait "$srv_pid" 2>/dev/null || true
srv_pid=""
vg run-replay "$arena" run local-models.json -o rep.h5 --cassette c.jsonl --replay --quiet
if [ -z "${VG_ONLY:-}" ] && ! cmp -s "$work/rec.h5" "$work/rep.h5"; then
  echo "run-replay: the replayed run file differs from the recorded one"
  fail=1
fi
# windows x seeds on two threads
"$py" - "$work/demo.json" "$work/demo2.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c.pop("seed", None)
c["seeds"] = 2
c["market"].pop("end", None)
c["market"]["windows"] = {"count": 2, "length": "3h"}
json.dump(c, open(sys.argv[2], "w"))
PY
vg run-jobs "$arena" run demo2.json -o demo2.h5 --jobs 2 --quiet
# the same with the bars windowed (read from the file block by block, the
# sqrt sums along; shared by the two threads): the same run file
ARENA_MARKET_MEMORY=0 vg run-window "$arena" run demo2.json -o demo2w.h5 --jobs 2 --quiet
if [ -z "${VG_ONLY:-}" ] && ! cmp -s "$work/demo2.h5" "$work/demo2w.h5"; then
  echo "run-window: the windowed run file differs from the one read whole"
  fail=1
fi
# and with every log record sent through the spill file (written by two
# threads, read back by the writer and the league): the same run file
ARENA_LOG_MEMORY=0 vg run-spill "$arena" run demo2.json -o demo2s.h5 --jobs 2 --quiet
if [ -z "${VG_ONLY:-}" ] && ! cmp -s "$work/demo2.h5" "$work/demo2s.h5"; then
  echo "run-spill: the run file with spilled logs differs from the one kept in memory"
  fail=1
fi
# in shards: some episodes, then --resume (the kept shard moved into a spill
# of its own, the rest run with curves and logs spilled, then the lean merge)
ARENA_LOG_MEMORY=0 ARENA_CURVE_MEMORY=0 vg run-shard "$arena" run demo2.json -o demo2r.h5 --episodes 0-1 --quiet
ARENA_LOG_MEMORY=0 ARENA_CURVE_MEMORY=0 vg run-resume "$arena" run demo2.json -o demo2r.h5 --resume --jobs 2 --quiet
if [ -z "${VG_ONLY:-}" ] && ! cmp -s "$work/demo2.h5" "$work/demo2r.h5"; then
  echo "run-resume: the resumed run file differs from the one run at once"
  fail=1
fi

# ---- readers ----
vg table "$arena" table demo.h5 --format md
vg table-llm "$arena" table alpha-arena.h5
vg table-json "$arena" table demo2.h5 --format json
vg stats "$arena" stats "$src/tests/data/equity_small.csv" --periods-per-year 365
vg stats-json "$arena" stats "$src/tests/data/equity_small.csv" --periods-per-year 8760 --format json
vg report "$arena" report local-models.h5 -o report.html

# ---- test binaries (cmocka, in-process) ----
vg test_engine "$src/$out/test_engine"
vg test_exec "$src/$out/test_exec"
vg test_exec_bulk "$src/$out/test_exec_bulk"

[ "$fail" = 0 ] && echo "valgrind: no errors" || echo "valgrind: FAILED (logs in $logs)"
exit "$fail"
