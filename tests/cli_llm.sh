#!/usr/bin/env bash
# tests/cli_llm.sh ARENA_BINARY SOURCE_DIR - a tournament of LLM agents
# against our fake provider server (tests/llm_server.py, loopback only):
# all three wire formats, a flaky provider, broken answers, absurd leverage;
# every decision recorded; the cassette replays the run byte for byte with
# no server and no key; --rescore replays under other fees; the fake API key
# never reaches any output.
set -u
arena=$1
src=$2
py=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1; then py=$p; break; fi
done
[ -n "$py" ] || { echo "SKIP: python3 not available"; exit 0; }
work=$(mktemp -d cli_llm.XXXXXX)
srv_pid=""
cleanup() { [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap "kill \$srv_pid 2>/dev/null" EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$py" "$src/tests/llm_server.py" 0 --log "$work/requests.jsonl" --idle 120 >"$work/port" 2>"$work/server.err" &
srv_pid=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(head -1 "$work/port")
[ -n "$port" ] || { fail "server did not start: $(cat "$work/server.err")"; exit 1; }
base="http://127.0.0.1:$port"

"$arena" data synth -o "$work/m.h5" --symbols BTC,ETH --days 1 --interval 1m --seed 4 >/dev/null || fail "synth"
enc() { "$py" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
buy=$(enc '{"actions":[{"signal":"buy_to_enter","coin":"BTC","quantity":0.01,"leverage":2,"confidence":0.6,"justification":"up"}]}')
fenced=$(enc 'Sure! ```json
[{"signal":"sell_to_enter","coin":"eth","quantity":0.5,"leverage":3,"stop_loss":1e9}]
```')
lev=$(enc '[{"signal":"buy_to_enter","coin":"BTC","quantity":0.01,"leverage":1000}]')
hold=$(enc '[{"signal":"hold"}]')
cat >"$work/cfg.json" <<JSON
{"name": "llm", "seed": 3, "capital": 10000,
 "market": {"data": "m.h5", "start": "2025-01-01T06:00:00Z", "end": "2025-01-01T12:00:00Z"},
 "cadence": "30m", "baselines": ["buy_hold"],
 "execution": {"fees": {"taker_bps": 4.5, "maker_bps": 1.5}},
 "agents": [
  {"name": "gpt", "kind": "llm", "provider": "openai", "model": "script;id=gpt;answer=$buy",
   "base_url": "$base/v1", "api_key_env": "ARENA_TEST_KEY", "temperature": 0.2, "max_tokens": 400,
   "price": {"input_per_mtok": 1.0, "output_per_mtok": 4.0}},
  {"name": "claude", "kind": "llm", "provider": "anthropic", "model": "script;id=claude;answer=$fenced",
   "base_url": "$base", "api_key_env": "ARENA_TEST_KEY", "max_tokens": 400},
  {"name": "gemini", "kind": "llm", "provider": "gemini", "model": "script;id=gem;answer=$hold",
   "base_url": "$base", "api_key_env": "ARENA_TEST_KEY"},
  {"name": "flaky", "kind": "llm", "provider": "openai", "model": "script;id=flaky;seq=e429,e500,ok;ra=0;answer=$hold",
   "base_url": "$base/v1", "timeout_s": 5},
  {"name": "broken", "kind": "llm", "provider": "openai", "model": "script;id=broken;seq=badjson",
   "base_url": "$base/v1", "max_retries": 1},
  {"name": "yolo", "kind": "llm", "provider": "anthropic", "model": "script;id=yolo;answer=$lev",
   "base_url": "$base", "api_key_env": "ARENA_TEST_KEY"}]}
JSON
key="sk-test-SECRET-1234"
ARENA_TEST_KEY=$key "$arena" run "$work/cfg.json" -o "$work/a.h5" --cassette "$work/c.jsonl" --record \
  --format json >"$work/a.json" 2>"$work/a.err"
[ $? = 0 ] || fail "record run: $(cat "$work/a.err")"
kill "$srv_pid" 2>/dev/null
wait "$srv_pid" 2>/dev/null
srv_pid=""

# ---- the run: every decision of every llm agent recorded, reasons right ----
if "$py" -c 'import h5py' 2>/dev/null || /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
  hp=$py; "$py" -c 'import h5py' 2>/dev/null || hp=/usr/bin/python3
  "$hp" - "$work/a.h5" "$work/a.json" <<'PY' || fail "run file checks"
import json, sys, h5py
f = h5py.File(sys.argv[1], "r")
rows = {r["agent"]: r for r in json.load(open(sys.argv[2]))}
A = f["episodes/0/agents"]
ndec = 12  # 06:00 .. 11:30 every 30 minutes
for n in ("gpt", "claude", "gemini", "flaky", "broken", "yolo"):
    llm = A[n]["llm"]
    assert llm.shape[0] == ndec, (n, llm.shape)
    assert A[n]["decisions"].shape[0] == ndec, n
def reasons(n):
    return set(int(x) for x in A[n]["llm"]["reason"])
# prompts stored once: one system prompt per decision shared by all agents
nprom = f["prompts/index"].shape[0]
assert nprom <= ndec * 7, nprom
sysids = set(int(x) for x in A["gpt"]["llm"]["prompt_system"])
assert sysids == set(int(x) for x in A["yolo"]["llm"]["prompt_system"])
# gpt bought BTC on its first decision, filled at the next open
assert A["gpt"]["fills"].shape[0] >= 1 and A["gpt"]["fills"]["qty"][0] > 0
assert rows["gpt"]["tokens_in"] > 0 and rows["gpt"]["cost_usd"] is not None and rows["gpt"]["cost_usd"] > 0
assert rows["claude"]["cost_usd"] is None  # no price configured
# claude's fenced answer was parsed: a short ETH position (stop_loss 1e9 on the right side)
assert A["claude"]["fills"].shape[0] >= 1 and A["claude"]["fills"]["qty"][0] < 0
# flaky: first call needed three attempts, then it answered
assert int(A["flaky"]["llm"]["attempts"][0]) == 3 and int(A["flaky"]["llm"]["status"][0]) == 0
# broken: every answer invalid (bad JSON), treated as hold
assert all(int(s) == 1 for s in A["broken"]["llm"]["status"]), list(A["broken"]["llm"]["status"])
assert rows["broken"]["invalid_answers"] == ndec and A["broken"]["fills"].shape[0] == 0
# yolo: 1000x leverage refused every time, no fills
assert A["yolo"]["fills"].shape[0] == 0
assert rows["yolo"]["invalid_answers"] == ndec
# the prompt text of the first decision mentions both coins
text = bytes(f["prompts/text"][:]).decode()
assert "BTC" in text and "ETH" in text
PY
else
  echo "SKIP: h5py checks (python3-h5py not installed)"
fi

# ---- replay: no server, no key, byte-identical run file ----
env -u ARENA_TEST_KEY "$arena" run "$work/cfg.json" -o "$work/b.h5" --cassette "$work/c.jsonl" --replay \
  --format json >"$work/b.json" 2>"$work/b.err"
[ $? = 0 ] || fail "replay run: $(cat "$work/b.err")"
cmp -s "$work/a.h5" "$work/b.h5" || fail "replayed run file differs from the recorded one"
cmp -s "$work/a.json" "$work/b.json" || fail "replayed table differs"

# ---- replay refuses a changed prompt; rescore accepts it ----
sed 's/"taker_bps": 4.5/"taker_bps": 9/' "$work/cfg.json" >"$work/fees.json"
env -u ARENA_TEST_KEY "$arena" run "$work/fees.json" -o "$work/c.h5" --cassette "$work/c.jsonl" --replay \
  >/dev/null 2>"$work/c.err"
[ $? != 0 ] || fail "replay accepted a changed prompt"
grep -q "prompt differs" "$work/c.err" || fail "replay mismatch message: $(cat "$work/c.err")"
[ ! -e "$work/c.h5" ] || fail "failed replay left a run file"
env -u ARENA_TEST_KEY "$arena" run "$work/fees.json" -o "$work/d.h5" --cassette "$work/c.jsonl" --rescore \
  --format json >"$work/d.json" 2>"$work/d.err"
[ $? = 0 ] || fail "rescore run: $(cat "$work/d.err")"
if command -v h5dump >/dev/null; then
  h5dump -a /rescored "$work/d.h5" | grep -q "(0): 1" || fail "rescored flag not set"
fi

# ---- faults: each failure path gives its recorded reason, the run completes ----
"$py" "$src/tests/llm_server.py" 0 --log "$work/requests2.jsonl" --idle 120 >"$work/port2" 2>"$work/server2.err" &
srv_pid=$!
for _ in $(seq 1 100); do [ -s "$work/port2" ] && break; sleep 0.05; done
port=$(head -1 "$work/port2")
base="http://127.0.0.1:$port"
unk=$(enc '[{"signal":"buy_to_enter","coin":"DOGE","quantity":1,"leverage":1}]')
nanq=$(enc '[{"signal":"buy_to_enter","coin":"BTC","quantity":"NaN","leverage":1}]')
cat >"$work/faults.json" <<JSON
{"name": "faults", "seed": 3, "capital": 10000,
 "market": {"data": "m.h5", "start": "2025-01-01T06:00:00Z", "end": "2025-01-01T10:00:00Z"},
 "cadence": "1h", "baselines": [],
 "agents": [
  {"name": "overloaded", "kind": "llm", "provider": "anthropic", "model": "script;id=ov;seq=e529,ok;answer=$hold", "base_url": "$base", "api_key_env": "ARENA_TEST_KEY"},
  {"name": "hang", "kind": "llm", "provider": "openai", "model": "script;id=hang;seq=hang;hang=3000", "base_url": "$base/v1",
   "timeout_s": 0.3, "max_retries": 1},
  {"name": "trunc", "kind": "llm", "provider": "gemini", "model": "script;id=tr;seq=trunc", "base_url": "$base", "max_retries": 1,
   "api_key_env": "ARENA_TEST_KEY"},
  {"name": "nofields", "kind": "llm", "provider": "openai", "model": "script;id=nf;seq=nofields", "base_url": "$base/v1"},
  {"name": "unknown", "kind": "llm", "provider": "openai", "model": "script;id=uk;answer=$unk", "base_url": "$base/v1"},
  {"name": "nan", "kind": "llm", "provider": "gemini", "model": "script;id=nan;answer=$nanq", "base_url": "$base", "api_key_env": "ARENA_TEST_KEY"},
  {"name": "refuses", "kind": "llm", "provider": "anthropic", "model": "script;id=rf;seq=blocked", "base_url": "$base", "api_key_env": "ARENA_TEST_KEY"},
  {"name": "auth", "kind": "llm", "provider": "openai", "model": "script;id=au;seq=e401", "base_url": "$base/v1"},
  {"name": "spender", "kind": "llm", "provider": "openai", "model": "script;id=sp;answer=$hold;tin=100000;tout=1000",
   "base_url": "$base/v1", "price": {"input_per_mtok": 10, "output_per_mtok": 10}, "budget_usd": 1.5}]}
JSON
ARENA_TEST_KEY=$key "$arena" run "$work/faults.json" -o "$work/f.h5" --format json >"$work/f.json" 2>"$work/f.err"
[ $? = 0 ] || fail "faults run: $(cat "$work/f.err")"
kill "$srv_pid" 2>/dev/null
wait "$srv_pid" 2>/dev/null
srv_pid=""
if [ -n "${hp:-}" ]; then
  "$hp" - "$work/f.h5" "$src/include/arena/exec.h" <<'PY' || fail "fault reasons"
import re, sys, h5py
names = re.findall(r'X\((\w+), "(\w+)"\)', open(sys.argv[2]).read())
code = {n: i for i, (_, n) in enumerate(names)}
A = h5py.File(sys.argv[1], "r")["episodes/0/agents"]
def col(agent, field):
    return [int(x) for x in A[agent]["llm"][field]]
assert all(len(col(a, "status")) == 4 for a in A.keys()), {a: len(col(a, "status")) for a in A.keys()}
assert col("overloaded", "attempts")[0] == 2 and col("overloaded", "status") == [0, 0, 0, 0]
assert set(col("hang", "reason")) == {code["timeout"]}, col("hang", "reason")
assert set(col("trunc", "reason")) == {code["truncated"]}, col("trunc", "reason")
assert set(col("nofields", "reason")) == {code["bad_json"]}, col("nofields", "reason")
assert set(col("unknown", "reason")) == {code["unknown_coin"]}, col("unknown", "reason")
assert set(col("nan", "reason")) == {code["bad_quantity"]}, col("nan", "reason")
assert set(col("refuses", "reason")) == {code["refusal"]}, col("refuses", "reason")
assert set(col("auth", "reason")) == {code["http_error"]} and set(col("auth", "attempts")) == {1}
# 101000 tokens at $10/Mtok = $1.01 a call: two calls, then the budget holds
assert col("spender", "reason") == [0, 0, code["budget"], code["budget"]], col("spender", "reason")
for a in ("hang", "trunc", "nofields", "unknown", "nan", "refuses", "auth"):
    assert col(a, "status") == [1, 1, 1, 1], (a, col(a, "status"))
    assert A[a]["fills"].shape[0] == 0, a
PY
fi

# ---- limits hold for the whole run: --jobs 2, max_concurrent 1 per endpoint ----
# Two llm agents on one endpoint, two episodes on two worker threads (one
# request pool each). The server counts the requests it has read and not yet
# answered (grp=): with the limits shared by the pools, never more than 1.
"$py" "$src/tests/llm_server.py" 0 --log "$work/requests3.jsonl" --idle 120 >"$work/port3" 2>"$work/server3.err" &
srv_pid=$!
for _ in $(seq 1 100); do [ -s "$work/port3" ] && break; sleep 0.05; done
port=$(head -1 "$work/port3")
base="http://127.0.0.1:$port"
cat >"$work/jobs.json" <<JSON
{"name": "jobs", "seeds": [1, 2], "capital": 10000,
 "market": {"data": "m.h5", "start": "2025-01-01T06:00:00Z", "end": "2025-01-01T10:00:00Z"},
 "cadence": "1h", "baselines": [],
 "agents": [
  {"name": "one", "kind": "llm", "provider": "openai", "model": "script;id=j1;grp=jobs;delay=40;answer=$buy",
   "base_url": "$base/v1", "max_concurrent": 1},
  {"name": "two", "kind": "llm", "provider": "openai", "model": "script;id=j2;grp=jobs;delay=40;answer=$hold",
   "base_url": "$base/v1", "max_concurrent": 1}]}
JSON
"$arena" run "$work/jobs.json" -o "$work/j.h5" --jobs 2 --cassette "$work/j.jsonl" --record --quiet \
  >/dev/null 2>"$work/j.err" || fail "--jobs 2 run: $(cat "$work/j.err")"
kill "$srv_pid" 2>/dev/null
wait "$srv_pid" 2>/dev/null
srv_pid=""
"$py" - "$work/requests3.jsonl" <<'PY' || fail "max_concurrent 1 did not hold across --jobs 2"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if '"grp"' in l]
recs = [r for r in recs if r.get("grp") == "jobs"]
top = max(r["inflight"] for r in recs)
print("--jobs 2, max_concurrent 1: %d requests, at most %d in flight" % (len(recs), top))
assert len(recs) == 2 * 4 * 2, len(recs)  # episodes x decisions x agents
assert top == 1, top
PY
# the answers, not the timing, make the run: replayed on one thread, same bytes
env -u ARENA_TEST_KEY "$arena" run "$work/jobs.json" -o "$work/j1.h5" --jobs 1 --cassette "$work/j.jsonl" --replay \
  --quiet >/dev/null 2>"$work/j1.err" || fail "--jobs 1 replay: $(cat "$work/j1.err")"
cmp -s "$work/j.h5" "$work/j1.h5" || fail "--jobs 2 run and its --jobs 1 replay differ"

# ---- the key never reaches any output ----
for f in "$work"/*.h5 "$work"/*.json "$work"/*.err "$work/c.jsonl"; do
  if grep -q -a "$key" "$f"; then fail "API key found in $(basename "$f")"; fi
done
grep -c "$key" "$work/requests.jsonl" >/dev/null || fail "server log should show the key was sent"

echo "cli_llm: $fails failed"
[ $fails = 0 ]
