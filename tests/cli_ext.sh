#!/usr/bin/env bash
# tests/cli_ext.sh ARENA_BINARY SOURCE_DIR - exec and http agents in a
# tournament: the Python example agent once as a JSON-lines subprocess and
# once over HTTP on loopback, plus a shell agent that answers garbage (not
# even UTF-8: a cassette, JSON, must still hold it). Their
# answers trade; the garbage is recorded as invalid; the cassette replays the
# run byte for byte without starting any agent.
set -u
arena=$1
src=$2
py=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1; then py=$(command -v "$p"); break; fi
done
[ -n "$py" ] || { echo "SKIP: python3 not available"; exit 0; }
work=$(mktemp -d cli_ext.XXXXXX)
srv=""
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
agent=$src/strategies/examples/momentum_agent.py
"$py" "$agent" --http 0 --idle 120 --enter-bps 1 >"$work/port" 2>/dev/null &
srv=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(head -1 "$work/port")
"$arena" data synth -o "$work/m.h5" --symbols BTC,ETH --days 1 --seed 6 >/dev/null || fail "synth"
cat >"$work/cfg.json" <<JSON
{"name": "ext", "seed": 2, "market": {"data": "m.h5", "start": "2025-01-01T04:00:00Z", "end": "2025-01-01T10:00:00Z"},
 "cadence": "15m", "baselines": [],
 "agents": [
  {"name": "py-exec", "kind": "exec", "command": ["$py", "$agent", "--enter-bps", "1"], "timeout_s": 10},
  {"name": "py-http", "kind": "http", "url": "http://127.0.0.1:$port/", "timeout_s": 10},
  {"name": "garbage", "kind": "exec", "command": ["sh", "-c", "while read l; do printf 'not json \\\\351t\\\\351\\\\n'; done"], "timeout_s": 5}]}
JSON
"$arena" run "$work/cfg.json" -o "$work/a.h5" --cassette "$work/c.jsonl" --record --format json >"$work/a.json" 2>"$work/a.err"
[ $? = 0 ] || fail "run: $(cat "$work/a.err")"
kill $srv 2>/dev/null
srv=""
"$py" - "$work/a.json" <<'PY' || fail "table checks"
import json, sys
rows = {r["agent"]: r for r in json.load(open(sys.argv[1]))}
assert rows["py-exec"]["fills"] > 0, rows["py-exec"]
# the same rule over both transports makes the same trades
assert rows["py-exec"]["fills"] == rows["py-http"]["fills"]
assert rows["py-exec"]["final_equity"] == rows["py-http"]["final_equity"]
assert rows["garbage"]["invalid_answers"] == 24 and rows["garbage"]["fills"] == 0
assert rows["py-exec"]["invalid_answers"] == 0
PY
"$arena" run "$work/cfg.json" -o "$work/b.h5" --cassette "$work/c.jsonl" --replay --quiet 2>"$work/b.err"
[ $? = 0 ] || fail "replay: $(cat "$work/b.err")"
cmp -s "$work/a.h5" "$work/b.h5" || fail "replayed run file differs"
# a program that is not there: refused before anything starts, one line,
# exit 2, no run file (answers from a cassette need no program: --rescore runs)
sed "s|\"command\": \\[\"$py\"|\"command\": [\"$work/no-such-agent\"|" "$work/cfg.json" >"$work/gone.json"
grep -q no-such-agent "$work/gone.json" || fail "gone.json not made"
"$arena" run "$work/gone.json" -o "$work/g.h5" --quiet 2>"$work/g.err"
rc=$?
[ $rc = 2 ] && [ "$(wc -l <"$work/g.err")" = 1 ] &&
  grep -q "gone.json: agents: py-exec: command: no program .*no-such-agent (not there, or not executable)" "$work/g.err" ||
  fail "missing exec program: rc=$rc $(cat "$work/g.err")"
[ ! -e "$work/g.h5" ] || fail "missing exec program left a run file"
sed 's|"sh", "-c"|"no-such-shell-xyz", "-c"|' "$work/cfg.json" >"$work/gone2.json"
"$arena" run "$work/gone2.json" --check 2>"$work/g2.err" >/dev/null
[ $? = 2 ] && grep -q "garbage: command: no program no-such-shell-xyz (not found along PATH)" "$work/g2.err" ||
  fail "exec program not on PATH: $(cat "$work/g2.err")"
"$arena" run "$work/gone.json" -o "$work/g3.h5" --cassette "$work/c.jsonl" --rescore --quiet 2>"$work/g3.err" ||
  fail "replay of a run whose program is gone: $(cat "$work/g3.err")"
echo "cli_ext: $fails failed"
[ $fails = 0 ]
