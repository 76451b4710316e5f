#!/usr/bin/env bash
# tests/cli_limits.sh ARENA_BINARY SOURCE_DIR - absurd sizes get a clear
# refusal, not an allocation failure or a hang: each config below exits 2
# with one line naming the key (docs/HARDENING.md "Limits"); answers with
# a 1e308 quantity or 1e6 leverage are recorded as bad_quantity / leverage
# and the run goes on; an answer line over the 1 MiB cap is too_long.
set -u
arena=$1
work=$(mktemp -d cli_limits.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
"$arena" data synth -o "$work/m.h5" --symbols BTC --days 2 --seed 1 >/dev/null || fail "synth"

# refuse NAME PATTERN [ARGS...]: run $work/NAME.json, expect exit 2 within
# 60 s and a one-line message matching PATTERN.
refuse() {
  local name=$1 pat=$2
  shift 2
  local t0=$SECONDS
  timeout --foreground -k 10 60 "$arena" run "$work/$name.json" -o "$work/$name.h5" --quiet "$@" >"$work/$name.out" 2>"$work/$name.err"
  local rc=$?
  local lines
  lines=$(wc -l <"$work/$name.err")
  if [ "$rc" != 2 ]; then
    fail "$name: exit $rc, expected 2 ($(head -c 300 "$work/$name.err"))"
  elif [ "$lines" != 1 ]; then
    fail "$name: $lines lines on stderr, expected one: $(head -c 300 "$work/$name.err")"
  elif ! grep -Eq -- "$pat" "$work/$name.err"; then
    fail "$name: message does not match /$pat/: $(cat "$work/$name.err")"
  elif [ -e "$work/$name.h5" ]; then
    fail "$name: wrote a run file"
  else
    echo "ok: $name ($((SECONDS - t0)) s): $(cat "$work/$name.err")"
  fi
}

cfg() { # cfg NAME JSON-BODY-FIELDS: a config on m.h5 with the given extra fields
  printf '{"name": "%s", "market": {"data": "m.h5"%s}, %s}\n' "$1" "${3:-}" "$2" >"$work/$1.json"
}

cfg qty_capital '"capital": 1e308, "baselines": ["flat"]'
refuse qty_capital 'capital: .*out of range|capital: .*(at most|expected)'
cfg lev_exec '"execution": {"max_leverage": 1e6}, "baselines": ["flat"]'
refuse lev_exec 'execution\.max_leverage'
cfg lev_param '"baselines": [], "agents": [{"name": "r", "strategy": "random", "params": {"leverage": 1e6}}]'
refuse lev_param 'agents\[0\]\.params\.leverage'
cfg cadence_ns '"cadence": "1ns", "baselines": ["flat"]'
refuse cadence_ns 'cadence: .*equity samples, at most'
cfg episodes '"seeds": 100000, "cadence": "1h", "baselines": ["flat"]' ', "windows": {"count": 1000, "length": "1m"}'
refuse episodes 'market\.windows: .*episodes, at most'
cfg seeds_list '"seeds": 1e9, "baselines": ["flat"]'
refuse seeds_list 'seeds'
cfg max_tokens '"baselines": [], "agents": [{"name": "m", "kind": "llm", "provider": "openai", "model": "x", "base_url": "http://127.0.0.1:9/v1", "max_tokens": 1e12}]'
refuse max_tokens 'agents\[0\]\.max_tokens'

# 10^6 agents: refused by count before any per-agent work (the duplicate
# name check is quadratic: it used to run for hours).
awk 'BEGIN { printf "{\"name\": \"agents\", \"market\": {\"data\": \"m.h5\"}, \"baselines\": [], \"agents\": [";
             for (i = 0; i < 1000000; i++) printf "%s{\"name\":\"a%d\",\"strategy\":\"flat\"}", i ? "," : "", i;
             print "]}" }' >"$work/agents.json"
refuse agents 'agents: at most [0-9]+ agents'

# A prompt template over 1 MiB is refused at load (a 10 GB prompt cannot be
# produced in a test; the guard is the same). Sparse file: no disk used.
truncate -s 2M "$work/big.txt"
cfg template '"baselines": [], "agents": [{"name": "m", "kind": "llm", "provider": "openai", "model": "x", "base_url": "http://127.0.0.1:9/v1"}], "llm": {"prompt_user": "big.txt"}'
refuse template 'llm\.prompt_user: template .* bytes, at most'
# A config file over 64 MiB: refused before it is read.
cp "$work/cadence_ns.json" "$work/huge.json"
truncate -s 100M "$work/huge.json"
refuse huge 'config file is [0-9]+ bytes, at most'

# --jobs 1e9
cfg jobs '"baselines": ["flat"]'
refuse jobs '--jobs' --jobs 1000000000

# Answers: 1e308 quantity -> bad_quantity (4), 1e6 leverage -> leverage (3),
# an answer line of 2 MiB -> too_long (the decision is invalid, the run goes on).
dir=$(cd "$work" && pwd)
cat >"$dir/qty.sh" <<'SH'
while read -r l; do echo '[{"signal":"buy_to_enter","coin":"BTC","quantity":1e308,"leverage":2}]'; done
SH
cat >"$dir/lev.sh" <<'SH'
while read -r l; do echo '[{"signal":"buy_to_enter","coin":"BTC","quantity":0.01,"leverage":1e6}]'; done
SH
cat >"$dir/long.sh" <<'SH'
while read -r l; do head -c 2097152 /dev/zero | tr '\0' x; echo; done
SH
cat >"$work/answers.json" <<JSON
{"name": "answers", "seed": 1, "market": {"data": "m.h5", "start": "2025-01-01T02:00:00Z", "end": "2025-01-01T04:00:00Z"},
 "cadence": "30m", "baselines": [],
 "agents": [
  {"name": "qty", "kind": "exec", "command": ["sh", "$dir/qty.sh"], "timeout_s": 10},
  {"name": "lev", "kind": "exec", "command": ["sh", "$dir/lev.sh"], "timeout_s": 10},
  {"name": "long", "kind": "exec", "command": ["sh", "$dir/long.sh"], "timeout_s": 10}]}
JSON
timeout --foreground -k 10 120 "$arena" run "$work/answers.json" -o "$work/answers.h5" --quiet 2>"$work/answers.err"
rc=$?
[ $rc = 0 ] && "$arena" table "$work/answers.h5" --format json >"$work/answers.out"
if [ $rc != 0 ]; then
  fail "answers: exit $rc: $(head -c 300 "$work/answers.err")"
elif command -v h5dump >/dev/null 2>&1; then
  # reason codes of every decision, per agent (docs/RUNFILE.md)
  # 4 bad_quantity, 3 leverage, 22 too_long (ar_reason_name)
  for spec in qty:4 lev:3 long:22; do
    a=${spec%%:*} want=${spec##*:}
    got=$(h5dump -d "/episodes/0/agents/$a/decisions" "$work/answers.h5" 2>/dev/null |
          tr -d ' \n' | grep -o '[0-9-]*,[0-9-]*,[0-9-]*,[0-9-]*,[0-9-]*,[0-9.e+-]*}' | awk -F, '{print $5}' | sort -u | tr '\n' ' ')
    [ "$got" = "$want " ] || fail "answers: agent $a: decision reasons '$got', expected '$want'"
  done
  echo "ok: answers (1e308 quantity -> bad_quantity, 1e6 leverage -> leverage, 2 MiB line -> too_long)"
else
  echo "SKIP: answers reasons (h5dump not available)"
fi
if [ -s "$work/answers.out" ]; then
  python3 - "$work/answers.out" <<'PY' 2>/dev/null || fail "answers: every decision of qty, lev and long must be invalid"
import json, sys
rows = {r["agent"]: r for r in json.load(open(sys.argv[1]))}
for a in ("qty", "lev", "long"):
    r = rows[a]
    assert r["decisions"] > 0 and r["invalid_answers"] == r["decisions"], r
    assert r["fills"] == 0, r
PY
fi

[ $fails = 0 ] && echo "cli_limits: all passed"
exit $((fails > 0))
