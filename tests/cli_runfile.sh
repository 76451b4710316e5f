#!/usr/bin/env bash
# tests/cli_runfile.sh ARENA_BINARY SOURCE_DIR - run files seen from outside:
# h5dump shows the documented layout (compound field names, packed types,
# chunked and unfiltered), two writes give the same bytes, h5py reads the
# equity curve, and `arena table` prints and fails as docs/CLI.md says.
# cwd is the build dir; the fixture comes from `./test_run_h5 --fixture`
# so this test does not depend on CTest running test_run_h5 first.
set -u
arena=$1
src=$2
fails=0
passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
check() { # check DESCRIPTION COMMAND...
  local d=$1; shift
  if "$@"; then ok; else bad "$d"; fi
}

work=$(mktemp -d "${TMPDIR:-/tmp}/cli_runfile.XXXXXX")
trap 'rm -rf "$work"' EXIT
fx=$work/runfile_fixture.h5

if [ ! -x ./test_run_h5 ]; then
  echo "FAIL: ./test_run_h5 not built in $(pwd)" >&2
  exit 1
fi
./test_run_h5 --fixture "$fx" || { echo "FAIL: fixture not written" >&2; exit 1; }
./test_run_h5 --fixture "$work/again.h5" || { echo "FAIL: second fixture not written" >&2; exit 1; }
check "same run twice gives identical bytes" cmp -s "$fx" "$work/again.h5"
check "no tmp file left behind" test -z "$(ls "$work" | grep tmp-)"

# ---- h5dump: layout and types ----------------------------------------------
if command -v h5dump >/dev/null; then
  h5dump -H "$fx" >"$work/header.txt" 2>&1 || bad "h5dump -H failed"
  for f in '"t_decision"' '"t_active"' '"reduce_only"' '"fill_price"' '"order_id"' '"realized_pnl"' \
           '"t_open"' '"t_close"' '"side"' '"entry"' '"exit"' '"pnl"' '"amount"' '"gross_exposure"' \
           '"n_actions"' '"n_rejected"' '"status"' '"reason"' \
           '"prompt_system"' '"prompt_user"' '"http_status"' '"attempts"' '"n_accepted"' '"cached"' \
           '"latency_ms"' '"cost_usd"' '"tokens_in"' '"tokens_out"' '"answer_off"' '"answer_len"' \
           '"actions_off"' '"actions_len"' '"offset"' '"length"'; do
    grep -q "$f" "$work/header.txt" || bad "h5dump -H: field $f missing"
  done
  ok
  grep -q pad_ "$work/header.txt" && bad "padding member pad_ reached the file"
  for d in orders fills trades funding equity decisions llm answers text index; do
    grep -q "DATASET \"$d\"" "$work/header.txt" || bad "dataset $d missing"
  done
  h5dump -p -H -d /episodes/0/agents/zeta-sma/funding "$fx" >"$work/funding.txt" 2>&1
  # 2 rows x (8 + 4 + 4 x 8) = 88 bytes: packed, no padding in the file.
  check "funding is packed (SIZE 88)" grep -q "SIZE 88" "$work/funding.txt"
  check "funding is chunked" grep -q "CHUNKED ( 2 )" "$work/funding.txt"
  check "unlimited max dims" grep -q "( 2 ) / ( H5S_UNLIMITED )" "$work/funding.txt"
  check "no compression" sh -c "grep -A1 FILTERS '$work/funding.txt' | grep -q NONE"
  check "format attribute" sh -c "h5dump -a /format '$fx' | grep -q '\"arena-run\"'"
  check "version attribute" sh -c "h5dump -a /version '$fx' | grep -q '(0): 1$'"
  check "rescored attribute" sh -c "h5dump -a /rescored '$fx' | grep -q '(0): 1$'"
  # llm: 3 rows x (8 + 9 x 4 + 8 x 8) = 324 bytes, pad_ not stored.
  h5dump -p -H -d /episodes/0/agents/alpha_llm/llm "$fx" >"$work/llm.txt" 2>&1
  check "llm is packed (SIZE 324)" grep -q "SIZE 324" "$work/llm.txt"
  check "llm unlimited" grep -q "( 3 ) / ( H5S_UNLIMITED )" "$work/llm.txt"
  h5dump -p -H -d /episodes/0/agents/zeta-sma/llm "$fx" >"$work/llm0.txt" 2>&1
  check "builtin agent: llm with 0 rows" grep -q "( 0 ) / ( H5S_UNLIMITED )" "$work/llm0.txt"
  h5dump -p -H -d /prompts/text "$fx" >"$work/text.txt" 2>&1
  check "prompts/text is uint8, unlimited" sh -c "grep -q H5T_STD_U8LE '$work/text.txt' && grep -q 'H5S_UNLIMITED' '$work/text.txt'"
  h5dump -H -d /episodes/1/agents/alpha_llm/answers "$fx" >"$work/ans.txt" 2>&1
  check "answers is uint8" grep -q H5T_STD_U8LE "$work/ans.txt"
else
  echo "SKIP: h5dump not installed (Debian package hdf5-tools)"
fi

# ---- arena table -------------------------------------------------------------
out=$("$arena" table "$fx" 2>"$work/err.txt")
rc=$?
check "table exits 0" test "$rc" = 0
first=$(printf '%s\n' "$out" | sed -n 2p)
check "text: first row is zeta-sma" test "${first:0:13}" = "1  zeta-sma  "
check "text: undefined shown as en dash" sh -c "printf '%s' \"\$1\" | grep -q '–'" _ "$first"
check "text: baseline footnote" sh -c "printf '%s\n' \"\$1\" | tail -1 | grep -qx '\* baseline'" _ "$out"

csvh=$("$arena" table "$fx" --format csv | head -1)
check "csv header" test "$csvh" = "position,agent,kind,detail,baseline,episodes,final_equity,total_return,cagr,volatility,sharpe,sortino,max_drawdown,max_drawdown_duration,calmar,win_rate_periods,profit_factor_periods,trades,fills,win_rate,trade_profit_factor,expectancy,fees,funding,exposure,decisions,invalid_answers,llm_calls,tokens_in,tokens_out,cost_usd,mean_latency_ms,windows,return_mean,return_median,return_ci_low,return_ci_high,return_median_ci_low,return_median_ci_high,sharpe_ci_low,sharpe_ci_high,psr,dsr,max_drawdown_worst,beat_buy_hold,rating,rating_ci_low,rating_ci_high,rating_fallback,rank,jk_z_vs_best_baseline,jk_p_vs_best_baseline,invalid_rate,avg_leverage,time_long,time_short,time_flat,avg_holding_min,brier,brier_n,exit_plan_adherence"
mdh=$("$arena" table --format=md "$fx" | head -1)
check "md header" test "$mdh" = "| # | agent | kind | eps | return | rating | rank | sharpe | sortino | max_dd | calmar | win% | trades | fills | fees | funding | final_equity | exposure | invalid | tokens_in | tokens_out | cost_usd | latency_ms | lev | long/short/flat | hold_min | brier | exit_plan |"

"$arena" table "$fx" --format json >"$work/t.json"
check "json: rows, nulls and counts" python3 - "$work/t.json" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
assert [r["agent"] for r in rows] == ["zeta-sma", "alpha_llm"], rows
z = rows[0]
for k in ("agent", "final_equity", "total_return", "sharpe", "sortino", "max_drawdown", "calmar",
          "win_rate", "trades", "fills", "fees", "funding", "kind", "episodes", "exposure",
          "decisions", "invalid_answers", "llm_calls", "tokens_in", "tokens_out", "cost_usd",
          "mean_latency_ms"):
    assert k in z, k
assert z["sortino"] is None and z["calmar"] is None, z   # no losing period: undefined
assert z["trades"] == 4 and z["fills"] == 4 and z["episodes"] == 2, z
assert z["decisions"] == 6 and z["invalid_answers"] == 2, z
assert z["fees"] == 2.0 and z["win_rate"] == 0.5, z
# final equity 10000 + 100.25 (e+1): mean over episodes 0 and 1
assert z["final_equity"] == 10150.375, z
assert z["llm_calls"] == 0 and z["tokens_in"] == 0 and z["cost_usd"] is None and z["mean_latency_ms"] is None, z
a = rows[1]   # 3 calls per episode (tests/test_run_h5.c fill_agent)
assert a["llm_calls"] == 6 and a["tokens_in"] == 3810 and a["tokens_out"] == 81, a
assert abs(a["cost_usd"] - 0.00375) < 1e-15 and a["mean_latency_ms"] == 913.0, a
EOF

# League statistics: intervals by default, null with --bootstrap 0, same bytes twice.
"$arena" table "$fx" --format json --bootstrap 0 >"$work/t0.json"
check "bootstrap 0: no intervals, ranks by rating" python3 - "$work/t0.json" "$work/t.json" <<'EOF'
import json, sys
z0 = json.load(open(sys.argv[1])); z = json.load(open(sys.argv[2]))
for r in z0:
    assert r["return_ci_low"] is None and r["rating_ci_high"] is None and r["sharpe_ci_low"] is None, r
    assert r["rank"] in (1, 2) and r["position"] in (1, 2), r
for r in z:
    assert r["return_ci_low"] is not None and r["rating"] is not None and r["windows"] == 2, r
    assert r["return_mean"] == r["total_return"], r
assert z[1]["baseline"] and z[1]["jk_p_vs_best_baseline"] is None, z[1]   # the best baseline itself
EOF
"$arena" table "$fx" --format json --bootstrap 200 --seed 7 >"$work/s1.json"
"$arena" table "$fx" --format json --bootstrap=200 --seed=7 >"$work/s2.json"
check "same seed, same bytes" cmp -s "$work/s1.json" "$work/s2.json"
"$arena" table "$fx" --bootstrap x 2>/dev/null
check "bad --bootstrap exits 2" test $? = 2
"$arena" table "$fx" --seed -1 2>/dev/null
check "bad --seed exits 2" test $? = 2

# Errors: one line naming the file; exit 1. Usage: exit 2.
"$arena" table "$work/missing.h5" 2>"$work/err.txt"
rc=$?
check "missing file exits 1" test "$rc" = 1
check "missing file message" test "$(cat "$work/err.txt")" = "arena table: $work/missing.h5: No such file or directory"
echo "plain text" >"$work/text.h5"
"$arena" table "$work/text.h5" 2>"$work/err.txt"
check "text file exits 1" test $? = 1
check "text file message" test "$(cat "$work/err.txt")" = "arena table: $work/text.h5: not an HDF5 file"
"$arena" table 2>/dev/null
check "no file: usage, exit 2" test $? = 2
"$arena" table "$fx" --format xml 2>"$work/err.txt"
check "bad format exits 2" test $? = 2
check "bad format message" grep -q "expected text, md, csv or json, got 'xml'" "$work/err.txt"
"$arena" table "$fx" --bogus 2>/dev/null
check "unknown option exits 2" test $? = 2

# ---- h5py (and whatever Python has it) ---------------------------------------
py=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c "import h5py" 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
  echo "SKIP: h5py not available (Debian package python3-h5py); h5py checks skipped"
else
  check "h5py reads the layout" "$py" - "$fx" <<'EOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
assert f.attrs["format"] == "arena-run" and f.attrs["version"] == 1
assert f.attrs["mode"] == "perp" and f.attrs["cadence_ns"] == 180 * 10**9
assert [s.decode() for s in f["symbols"][:]] == ["BTC", "ETH-PERP"]
assert list(f["episodes"]) == ["0", "1"]
assert list(f["episodes/0/agents"]) == ["zeta-sma", "alpha_llm"]  # run order, not name order
eq = f["episodes/0/agents/zeta-sma/equity"]["equity"]
assert list(eq) == [10000.0, 10003.5, 10007.0, 10010.5], list(eq)
assert f["episodes/1/agents/alpha_llm/equity"]["equity"][0] == 10110.0
fu = f["episodes/0/agents/zeta-sma/funding"]
assert fu.dtype.names == ("t", "sym", "rate", "price", "qty", "amount"), fu.dtype
assert fu.dtype.itemsize == 44
assert fu.maxshape == (None,)
g = f["episodes/1/agents/alpha_llm"]
assert g.attrs["kind"] == "llm" and g.attrs["detail"] == "openai/gpt-4o" and g.attrs["baseline"] == 1
assert f["episodes/1"].attrs["seed"] == 0xfedcba9876543211
assert f.attrs["rescored"] == 1
# As in docs/RUNFILE.md: the prompts and answer of one call.
text, index = f["prompts/text"], f["prompts/index"]
def prompt(k):
    off, n = index[k]
    return text[off:off + n].tobytes().decode()
agent = f["episodes/1/agents/alpha_llm"]
llm, answers = agent["llm"], agent["answers"]
row = llm[1]
answer = answers[row["answer_off"]:row["answer_off"] + row["answer_len"]].tobytes().decode()
actions = answers[row["actions_off"]:row["actions_off"] + row["actions_len"]].tobytes().decode()
assert prompt(row["prompt_system"]) == "You are a trader. Answer with JSON only.", prompt(row["prompt_system"])
assert prompt(row["prompt_user"]).startswith("Zweite Runde: \u00e4\u00f6\u00fc"), prompt(row["prompt_user"])
assert answer == "Kaufe \u20ac-Paar?\n{\"actions\":[]}" and actions == "[]", (answer, actions)
assert prompt(2) == "" and len(index) == 4
assert llm.dtype.names[:3] == ("t", "prompt_system", "prompt_user") and "pad_" not in llm.dtype.names
assert len(f["episodes/1/agents/zeta-sma/llm"]) == 0 and len(f["episodes/1/agents/zeta-sma/answers"]) == 0
EOF
  # A foreign HDF5 file, a future version, and a run from another config.
  "$py" - "$fx" "$work" <<'EOF'
import sys, shutil, h5py, json
fx, w = sys.argv[1], sys.argv[2]
with h5py.File(w + "/other.h5", "w") as f:
    f.attrs["format"] = "something-else"
shutil.copy(fx, w + "/v2.h5")
with h5py.File(w + "/v2.h5", "r+") as f:
    f.attrs["version"] = 2
shutil.copy(fx, w + "/fees.h5")
with h5py.File(w + "/fees.h5", "r+") as f:
    c = json.loads(f.attrs["config"])
    c["execution"]["fees"]["taker_bps"] = 2.0
    c["seeds"] = [3]
    f.attrs["config"] = json.dumps(c)
shutil.copy(fx, w + "/nofee.h5")
with h5py.File(w + "/nofee.h5", "r+") as f:
    g = f["episodes/1/agents/alpha_llm"]
    old = g["fills"][:]
    keep = [n for n in old.dtype.names if n != "fee"]
    del g["fills"]
    g.create_dataset("fills", data=old[keep].astype([(n, old.dtype[n]) for n in keep]))
# A file from a writer before /prompts, llm, answers and @rescored.
shutil.copy(fx, w + "/old.h5")
with h5py.File(w + "/old.h5", "r+") as f:
    del f["prompts"]
    del f.attrs["rescored"]
    for k in f["episodes"]:
        for a in f["episodes"][k]["agents"].values():
            del a["llm"], a["answers"]
EOF
  "$arena" table "$work/old.h5" --format csv >"$work/old.csv" 2>"$work/err.txt"
  check "file without llm parts reads" test $? = 0
  check "file without llm parts: no calls, same rows" "$py" - "$work/old.csv" "$fx" "$arena" <<'EOF'
import csv, subprocess, sys
old = list(csv.DictReader(open(sys.argv[1])))
new = list(csv.DictReader(subprocess.run([sys.argv[3], "table", sys.argv[2], "--format", "csv"],
                                         capture_output=True, text=True, check=True).stdout.splitlines()))
assert [r["agent"] for r in old] == ["zeta-sma", "alpha_llm"], old
for o, n in zip(old, new):
    assert o["llm_calls"] == "0" and o["cost_usd"] == "" and o["mean_latency_ms"] == "", o
    for k in ("total_return", "sharpe", "fees", "trades", "invalid_answers"):
        assert o[k] == n[k], (k, o[k], n[k])
EOF
  "$arena" table "$work/nofee.h5" 2>"$work/err.txt"
  check "missing field exits 1" test $? = 1
  check "missing field named" test "$(cat "$work/err.txt")" = "arena table: $work/nofee.h5: /episodes/1/agents/alpha_llm/fills: field fee missing"
  "$arena" table "$work/other.h5" 2>"$work/err.txt"
  check "foreign file exits 1" test $? = 1
  check "foreign file message" test "$(cat "$work/err.txt")" = "arena table: $work/other.h5: format: not an arena run file (no format=\"arena-run\")"
  "$arena" table "$work/v2.h5" 2>"$work/err.txt"
  check "future version exits 1" test $? = 1
  check "future version message" grep -q "v2.h5: version: unknown run file version 2" "$work/err.txt"
  "$arena" table "$fx" "$work/fees.h5" 2>"$work/err.txt"
  check "different fees exit 1" test $? = 1
  check "different fees named" test "$(cat "$work/err.txt")" = "arena table: $work/fees.h5: runs differ in: execution.fees.taker_bps (compared with $fx)"
  # Same config, two files: merges, episodes double. The same file twice
  # is refused (it would count each episode twice by mistake).
  cp "$fx" "$work/fx-copy.h5"
  eps=$("$arena" table "$fx" "$work/fx-copy.h5" --format csv | sed -n 2p | cut -d, -f6)
  check "merge doubles episodes" test "$eps" = 4
  "$arena" table "$fx" "$fx" --format csv >/dev/null 2>"$work/err.txt"
  check "same file twice exits 2" test $? = 2
  check "same file twice named" test "$(cat "$work/err.txt")" = "arena table: $fx: the same file as $fx (each run counts once)"
fi

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
