#!/usr/bin/env bash
# tests/cli_faults.sh ARENA_BINARY SOURCE_DIR - a 50-decision tournament of
# six agents (an OpenAI, an Anthropic and a Gemini LLM agent plus three
# builtin strategies) whose model server fails 30% of all requests at random:
# tests/llm_server.py's seeded fault mix (faults=0.3) draws, per request, a
# 429 (Retry-After 0), 500, 503, 529, a truncated body, bad JSON, a body
# without the answer fields, a refusal or a hang past the client's timeout.
# The run must finish (exit 0) with every call recorded: failures as their
# reasons (http_error, timeout, truncated, bad_json, refusal), retried calls
# that succeeded as such, attempts equal to the requests the server saw;
# and replaying the cassette must give a byte-identical run file.
# The Gemini agent has no retries, so every retryable fault shows as its
# final reason there; the other two retry up to 4 times.
set -u
arena=$1
src=$2
t_start=$(date +%s%N)
py=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1; then py=$p; break; fi
done
[ -n "$py" ] || { echo "SKIP: python3 not available"; exit 0; }
work=$(mktemp -d cli_faults.XXXXXX)
srv_pid=""
cleanup() { [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$py" "$src/tests/llm_server.py" 0 --log "$work/requests.jsonl" --idle 120 >"$work/port" 2>"$work/server.err" &
srv_pid=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(head -1 "$work/port")
[ -n "$port" ] || { fail "server did not start: $(cat "$work/server.err")"; exit 1; }
base="http://127.0.0.1:$port"

"$arena" data synth -o "$work/m.h5" --symbols BTC,ETH --days 1 --interval 1m --seed 5 >/dev/null || fail "synth"
enc() { "$py" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
buy=$(enc '{"actions":[{"signal":"buy_to_enter","coin":"BTC","quantity":0.001,"leverage":2,"confidence":0.6,"justification":"up"}]}')
sell=$(enc '[{"signal":"sell_to_enter","coin":"ETH","quantity":0.01,"leverage":3}]')
hold=$(enc '[{"signal":"hold"}]')
# 30% faults; hangs of 1.5 s against a 1 s timeout; no waiting on 429/503 (Retry-After: 0).
mix="faults=0.3;fseed=11;hang=1500;ra=0"
# 06:00 .. 10:05 every 5 minutes: 50 decisions
cat >"$work/cfg.json" <<JSON
{"name": "faults", "seed": 9, "capital": 10000,
 "market": {"data": "m.h5", "start": "2025-01-01T06:00:00Z", "end": "2025-01-01T10:10:00Z"},
 "cadence": "5m", "baselines": [],
 "execution": {"fees": {"taker_bps": 4.5, "maker_bps": 1.5}},
 "agents": [
  {"name": "gpt", "kind": "llm", "provider": "openai", "model": "script;id=gpt;$mix;answer=$buy",
   "base_url": "$base/v1", "api_key_env": "ARENA_TEST_KEY", "timeout_s": 1, "max_retries": 4},
  {"name": "claude", "kind": "llm", "provider": "anthropic", "model": "script;id=claude;$mix;answer=$sell",
   "base_url": "$base", "api_key_env": "ARENA_TEST_KEY", "max_tokens": 400, "timeout_s": 1, "max_retries": 4},
  {"name": "gemini", "kind": "llm", "provider": "gemini", "model": "script;id=gem;$mix;answer=$hold",
   "base_url": "$base", "api_key_env": "ARENA_TEST_KEY", "timeout_s": 1, "max_retries": 0},
  {"name": "sma", "kind": "builtin", "strategy": "sma_cross", "params": {"fast": 5, "slow": 20}},
  {"name": "momentum", "kind": "builtin", "strategy": "momentum", "params": {"lookback": 30}},
  {"name": "mean_revert", "kind": "builtin", "strategy": "mean_revert", "params": {"window": 30, "entry_z": 2}}]}
JSON
ARENA_TEST_KEY=sk-test-faults "$arena" run "$work/cfg.json" -o "$work/a.h5" --cassette "$work/c.jsonl" --record \
  --format json >"$work/a.json" 2>"$work/a.err"
rc=$?
[ $rc = 0 ] || fail "record run exit $rc: $(head -c 400 "$work/a.err")"
t_rec=$(date +%s%N)
kill "$srv_pid" 2>/dev/null
wait "$srv_pid" 2>/dev/null
srv_pid=""

# ---- replay: no server, no key, byte-identical run file and table ----
env -u ARENA_TEST_KEY "$arena" run "$work/cfg.json" -o "$work/b.h5" --cassette "$work/c.jsonl" --replay \
  --format json >"$work/b.json" 2>"$work/b.err"
[ $? = 0 ] || fail "replay run: $(head -c 400 "$work/b.err")"
cmp -s "$work/a.h5" "$work/b.h5" || fail "replayed run file differs from the recorded one"
cmp -s "$work/a.json" "$work/b.json" || fail "replayed table differs"

# ---- the run file: every call recorded with its reason ----
hp=""
for p in "$py" /usr/bin/python3; do
  if "$p" -c 'import h5py' 2>/dev/null; then hp=$p; break; fi
done
if [ -n "$hp" ] && [ -s "$work/a.h5" ]; then
  "$hp" - "$work/a.h5" "$src/include/arena/exec.h" "$work/requests.jsonl" <<'PY' || fail "run file checks"
import collections, json, re, sys, h5py
names = [n for _, n in re.findall(r'X\((\w+), "(\w+)"\)', open(sys.argv[2]).read())]
code = {n: i for i, n in enumerate(names)}
name = {i: n for n, i in code.items()}
A = h5py.File(sys.argv[1], "r")["episodes/0/agents"]
reqs = [json.loads(l) for l in open(sys.argv[3])]
sent = collections.Counter(r.get("id") for r in reqs)
faults = collections.Counter(r["step"] for r in reqs if r.get("fault"))
ids = {"gpt": "gpt", "claude": "claude", "gemini": "gem"}
ndec = 50
for a in ("gpt", "claude", "gemini", "sma", "momentum", "mean_revert"):
    assert A[a]["equity"].shape[0] == ndec + 1, (a, A[a]["equity"].shape)  # every agent played every decision
for a in ids:
    assert A[a]["decisions"].shape[0] == ndec, (a, A[a]["decisions"].shape)
reasons = collections.Counter()
retried_ok = 0
for a, i in ids.items():
    llm = A[a]["llm"][:]
    assert llm.shape[0] == ndec, (a, llm.shape)
    # every request the server saw is an attempt of a recorded call
    assert int(llm["attempts"].sum()) == sent[i], (a, int(llm["attempts"].sum()), sent[i])
    for row in llm:
        st, rs, att, http = int(row["status"]), int(row["reason"]), int(row["attempts"]), int(row["http_status"])
        assert att >= 1 and (st == 0) == (rs == 0), (a, st, rs, att)
        if st == 0:
            assert http == 200, (a, http)
            if att > 1:
                retried_ok += 1
        else:
            reasons[name[rs]] += 1
            if name[rs] == "http_error":
                assert http in (429, 500, 503, 529), (a, http)
            assert name[rs] in ("http_error", "timeout", "truncated", "bad_json", "refusal"), (a, name[rs])
    if a == "gemini":  # no retries: one request per call
        assert (llm["attempts"] == 1).all()
total = sum(sent[i] for i in ids.values())
print("  requests %d, faults injected %d (%.0f%%): %s" % (total, sum(faults.values()),
      100.0 * sum(faults.values()) / total, dict(sorted(faults.items()))))
print("  failed calls by reason: %s; calls that succeeded after a retry: %d" % (dict(sorted(reasons.items())), retried_ok))
assert 0.2 <= sum(faults.values()) / total <= 0.4, sum(faults.values()) / total
for r in ("http_error", "timeout", "bad_json", "refusal"):
    assert reasons[r] >= 1, (r, reasons)
assert retried_ok >= 5, retried_ok
# the 2 LLM agents that retry: a call fails only on a non-retryable fault or
# after 5 attempts
for a in ("gpt", "claude"):
    for row in A[a]["llm"][:]:
        if int(row["status"]) and name[int(row["reason"])] in ("http_error", "timeout", "truncated"):
            assert int(row["attempts"]) == 5, (a, int(row["attempts"]))
# builtin agents are untouched by the faults: no model calls
for a in ("sma", "momentum", "mean_revert"):
    assert A[a]["llm"].shape[0] == 0, a
PY
else
  echo "SKIP: h5py checks (python3-h5py not installed)"
fi

# ---- arena feed --faults: bad values are usage errors (the feed side is tests/test_feed_faults.c) ----
for bad in "--faults 1.5" "--faults -0.1" "--faults x" "--fault-seed 1.5" "--fault-stall-ms 0"; do
  # shellcheck disable=SC2086
  timeout --foreground -k 10 10 "$arena" feed "$work/m.h5" --exchange binance --port 0 --max-seconds 1 $bad >/dev/null 2>"$work/f.err"
  rc=$?
  { [ $rc = 2 ] && grep -q -- "${bad%% *}" "$work/f.err"; } || fail "arena feed $bad: exit $rc, $(head -n 1 "$work/f.err")"
done
timeout --foreground -k 10 10 "$arena" feed "$work/m.h5" --exchange coinbase --port 0 --max-seconds 0.5 --faults 0.3 >/dev/null 2>"$work/f.err"
grep -q "^arena feed: faults bad_json=[0-9]* unknown_symbol=[0-9]* out_of_order=[0-9]* crossed_book=[0-9]* oversized=[0-9]* stall=[0-9]* drop=[0-9]*$" \
  "$work/f.err" || fail "arena feed --faults summary line: $(cat "$work/f.err")"

t_end=$(date +%s%N)
echo "cli_faults: record $(( (t_rec - t_start) / 1000000 )) ms, total $(( (t_end - t_start) / 1000000 )) ms, $fails failed"
[ $fails = 0 ]
