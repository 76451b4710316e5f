#!/usr/bin/env bash
# tests/cli_stats.sh - `arena stats` and `arena rank` end to end.
#   bash cli_stats.sh ARENA_BINARY SOURCE_DIR     (cwd: the build directory)
# Checks exact values in the JSON output (parsed with python3's json), the
# text layout, the one-line errors and exit codes on bad files, and, when
# shared/refs/golden.json is beside the repository, that the golden curves
# and battles reproduce the reference to 1e-9 (metrics) and 1e-6 (ratings).
set -u
ARENA=${1:?usage: cli_stats.sh ARENA_BINARY SOURCE_DIR}
SRC=${2:?usage: cli_stats.sh ARENA_BINARY SOURCE_DIR}
DATA="$SRC/tests/data"
SHARED=${ARENA_SHARED:-$SRC/../shared}
GOLDEN="$SHARED/refs/golden.json"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cli_stats.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fails=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
PY=$(command -v python3 || true)

# expect_error NAME WANT_RC WANT_STDERR_LINE CMD...  (stderr's first line exactly)
expect_error() {
    local name=$1 want_rc=$2 want=$3
    shift 3
    "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    local got
    got=$(head -n 1 "$TMP/err")
    if [ "$rc" = "$want_rc" ] && [ "$got" = "$want" ] && [ ! -s "$TMP/out" ]; then
        pass "$name"
    else
        fail "$name: rc=$rc (want $want_rc) stderr='$got' want='$want'"
    fi
}

# pycheck NAME JSON_FILE PYTHON_BODY: the body sees `d` (the parsed JSON) and
# the helper close(got, exp, rel, abs); it raises/asserts on failure.
pycheck() {
    local name=$1 file=$2 body=$3
    if [ -z "$PY" ]; then
        echo "SKIP $name (no python3 to parse JSON)"
        return
    fi
    if "$PY" - "$file" "$GOLDEN" >"$TMP/py.log" 2>&1 <<EOF; then
import json, math, sys
d = json.load(open(sys.argv[1]))
def close(got, exp, rel=1e-9, abs_=1e-12):
    assert got is not None and abs(got - exp) <= abs_ + rel * abs(exp), (got, exp)
def golden():
    return json.load(open(sys.argv[2]))
$body
EOF
        pass "$name"
    else
        fail "$name: $(tail -n 3 "$TMP/py.log" | tr '\n' ' ')"
    fi
}

# ---------------------------------------------------------------- stats
"$ARENA" stats "$DATA/equity_small.csv" --periods-per-year 252 --format json >"$TMP/small.json" 2>"$TMP/err"
[ $? = 0 ] && pass "stats small exit 0" || fail "stats small exit $(cat "$TMP/err")"
# numpy on the same curve (see tests/test_stats.c hand_curve)
pycheck "stats small values" "$TMP/small.json" '
assert list(d) == ["n_returns","periods_per_year","mean_return","std_return_ddof1","total_return",
  "annualized_return_cagr","annualized_volatility","sharpe_per_period","sharpe_annualized",
  "sharpe_annualized_252","downside_deviation_per_period","sortino_annualized","max_drawdown",
  "max_drawdown_duration_periods","max_drawdown_trough_index","max_drawdown_peak_index","calmar",
  "win_rate_periods","profit_factor_periods","psr_sr0_zero","psr_zstat"], list(d)
assert d["n_returns"] == 7 and d["max_drawdown_duration_periods"] == 3
assert d["max_drawdown_trough_index"] == 5 and d["max_drawdown_peak_index"] == 4
close(d["mean_return"], 0.0088071911380182)
close(d["std_return_ddof1"], 0.13656182628689956)
close(d["sharpe_annualized"], 1.0237840896146584)
close(d["sortino_annualized"], 1.3737816428819483)
close(d["max_drawdown"], -0.25)
close(d["profit_factor_periods"], 1.176143822760364)
close(d["win_rate_periods"], 5 / 7)
close(d["calmar"], 0.0)
'

"$ARENA" stats "$DATA/equity_flat.csv" --periods-per-year 365 --format json >"$TMP/flat.json" 2>/dev/null
pycheck "stats flat curve: undefined as null" "$TMP/flat.json" '
for k in ["sharpe_per_period","sharpe_annualized","sharpe_annualized_252","sortino_annualized",
          "calmar","win_rate_periods","profit_factor_periods","psr_sr0_zero","psr_zstat"]:
    assert d[k] is None, k
assert d["max_drawdown"] == 0 and d["std_return_ddof1"] == 0 and d["n_returns"] == 3
'

"$ARENA" stats "$DATA/equity_flat.csv" --periods-per-year 365 >"$TMP/flat.txt" 2>/dev/null
if grep -qx 'sharpe_annualized              –' "$TMP/flat.txt" &&
    grep -qx 'max_drawdown                   0' "$TMP/flat.txt" &&
    [ "$(wc -l <"$TMP/flat.txt")" -eq 21 ]; then
    pass "stats text: aligned, undefined as –"
else
    fail "stats text layout: $(head -n 10 "$TMP/flat.txt" | tr '\n' '|')"
fi

expect_error "stats missing file" 1 "arena stats: $DATA/nope.csv: No such file or directory" \
    "$ARENA" stats "$DATA/nope.csv" --periods-per-year 365
expect_error "stats bad header" 1 "arena stats: $DATA/equity_bad_header.csv:1: bad header, expected t,equity" \
    "$ARENA" stats "$DATA/equity_bad_header.csv" --periods-per-year 365
expect_error "stats negative equity" 1 \
    "arena stats: $DATA/equity_negative.csv:4: equity -5 must be > 0 (returns are undefined otherwise)" \
    "$ARENA" stats "$DATA/equity_negative.csv" --periods-per-year 365
expect_error "stats non-numeric equity" 1 \
    "arena stats: $DATA/equity_nonnumeric.csv:4: equity 'abc' is not a finite number" \
    "$ARENA" stats "$DATA/equity_nonnumeric.csv" --periods-per-year 365
expect_error "stats one point" 1 "arena stats: $DATA/equity_one_point.csv:2: 1 equity point, expected at least 2" \
    "$ARENA" stats "$DATA/equity_one_point.csv" --periods-per-year 365
expect_error "stats without --periods-per-year" 2 \
    "arena stats: --periods-per-year is required (e.g. 365 for daily crypto)" \
    "$ARENA" stats "$DATA/equity_small.csv"
expect_error "stats bad --periods-per-year" 2 "arena stats: --periods-per-year 'abc': expected a number > 0" \
    "$ARENA" stats "$DATA/equity_small.csv" --periods-per-year abc
expect_error "stats bad --format" 2 "arena stats: --format 'xml': expected json or text" \
    "$ARENA" stats "$DATA/equity_small.csv" --periods-per-year 1 --format xml

# ----------------------------------------------------------------- rank
GOLD_BT='{"agent_a": 1032.4122103267762, "agent_b": 1111.590178204527, "agent_c": 967.1842897856783,
          "agent_d": 988.947513332383, "agent_e": 899.8658083506357}'
"$ARENA" rank "$DATA/battles_golden.csv" --format json >"$TMP/rank.json" 2>"$TMP/err"
[ $? = 0 ] && pass "rank golden exit 0" || fail "rank golden: $(cat "$TMP/err")"
pycheck "rank golden battles reproduce BT ratings (1e-6)" "$TMP/rank.json" "
exp = $GOLD_BT
assert [r['model'] for r in d] == ['agent_b', 'agent_a', 'agent_d', 'agent_c', 'agent_e']
for r in d:
    assert set(r) == {'model','rating','ci_low','ci_high','rank','wins','losses','ties'}, r
    assert abs(r['rating'] - exp[r['model']]) <= 1e-6, r
    assert r['ci_low'] < r['rating'] < r['ci_high'], r
    # LMArena rule recomputed from the printed intervals
    assert r['rank'] == 1 + sum(o['ci_low'] > r['ci_high'] for o in d), r
assert abs(sum(r['rating'] for r in d) / 5 - 1000) < 1e-9
w = {r['model']: (r['wins'], r['losses'], r['ties']) for r in d}
assert w == {'agent_a': (40, 31, 9), 'agent_b': (51, 21, 8), 'agent_c': (33, 42, 5),
             'agent_d': (34, 37, 9), 'agent_e': (22, 49, 9)}, w
"
if [ -f "$GOLDEN" ]; then
    pycheck "rank golden vs golden.json (ratings, counts, CI widths)" "$TMP/rank.json" "
g = golden()
bt = g['expected']['bt']
bs = g['informational_rng_dependent']['bt_bootstrap']
for r in d:
    m = r['model']
    assert abs(r['rating'] - bt['ratings_mean1000'][m]) <= 1e-6
    assert (r['wins'], r['losses'], r['ties']) == (bt['wins'][m], bt['losses'][m], bt['ties'][m])
    # RNG-dependent: only the widths are compared, loosely
    ours, ref = r['ci_high'] - r['ci_low'], bs['q975'][m] - bs['q025'][m]
    assert 0.7 < ours / ref < 1.3, (m, ours, ref)
"
else
    echo "SKIP rank vs golden.json ($GOLDEN absent)"
fi

"$ARENA" rank "$DATA/battles_golden.csv" --format json >"$TMP/rank2.json" 2>/dev/null
cmp -s "$TMP/rank.json" "$TMP/rank2.json" && pass "rank is deterministic for a seed" || fail "rank not deterministic"
"$ARENA" rank "$DATA/battles_golden.csv" --format json --seed 7 --bootstrap 300 >"$TMP/rank3.json" 2>/dev/null
cmp -s "$TMP/rank.json" "$TMP/rank3.json" && fail "--seed/--bootstrap ignored" || pass "--seed changes the intervals"

"$ARENA" rank "$DATA/battles_golden.csv" >"$TMP/rank.txt" 2>/dev/null
if head -n 1 "$TMP/rank.txt" | grep -q '^rank  model  *rating  *ci_low  *ci_high  *wins  *losses  *ties$' &&
    grep -q '^   [0-9]  agent_b    1111\.59 ' "$TMP/rank.txt" && [ "$(wc -l <"$TMP/rank.txt")" -eq 6 ]; then
    pass "rank text table"
else
    fail "rank text table: $(head -n 2 "$TMP/rank.txt" | tr '\n' '|')"
fi

"$ARENA" rank "$DATA/battles_quoted.csv" --format json --bootstrap 50 >"$TMP/q.json" 2>/dev/null
pycheck "rank: quoted fields, any column order, tie (bothbad)" "$TMP/q.json" '
w = {r["model"]: (r["wins"], r["losses"], r["ties"]) for r in d}
assert w == {"alpha": (2, 1, 2), "beta, the second": (2, 1, 1), "gamma": (1, 3, 1)}, w
assert not any("fallback" in r for r in d)
'

"$ARENA" rank "$DATA/battles_disconnected.csv" --format json --bootstrap 0 >"$TMP/dc.json" 2>"$TMP/dc.err"
rc=$?
pycheck "rank: fallback flagged when the MLE does not exist" "$TMP/dc.json" '
assert [r["model"] for r in d] == ["strong", "mid", "weak"]
assert all(r["fallback"] is True and r["ci_low"] is None and r["ci_high"] is None for r in d)
assert [r["rank"] for r in d] == [1, 2, 3]
assert all(math.isfinite(r["rating"]) for r in d)
assert abs(sum(r["rating"] for r in d) / 3 - 1000) < 1e-9
'
[ $rc = 0 ] && grep -q "not strongly connected" "$TMP/dc.err" && pass "rank fallback: exit 0 with a note" ||
    fail "rank fallback rc=$rc"

expect_error "rank unknown winner" 1 \
    "arena rank: $DATA/battles_bad_winner.csv:3: unknown winner 'draw', expected model_a, model_b, tie or tie (bothbad)" \
    "$ARENA" rank "$DATA/battles_bad_winner.csv"
expect_error "rank missing column" 1 \
    "arena rank: $DATA/battles_missing_column.csv:1: header has no 'model_b' column (need model_a, model_b, winner)" \
    "$ARENA" rank "$DATA/battles_missing_column.csv"
expect_error "rank empty file" 1 \
    "arena rank: $DATA/battles_empty.csv:1: empty file, expected a header with model_a, model_b, winner" \
    "$ARENA" rank "$DATA/battles_empty.csv"
expect_error "rank header only" 1 "arena rank: $DATA/battles_header_only.csv:2: no battles after the header" \
    "$ARENA" rank "$DATA/battles_header_only.csv"
expect_error "rank same model on both sides" 1 \
    "arena rank: $DATA/battles_same_model.csv:4: model 'z' on both sides, expected two different models" \
    "$ARENA" rank "$DATA/battles_same_model.csv"
printf 'model_a,model_b,winner\nx,"y,model_a\n' >"$TMP/unterminated.csv"
expect_error "rank unterminated quote" 1 "arena rank: $TMP/unterminated.csv:2: unterminated quoted field" \
    "$ARENA" rank "$TMP/unterminated.csv"
expect_error "rank missing file" 1 "arena rank: $DATA/nope.csv: No such file or directory" \
    "$ARENA" rank "$DATA/nope.csv"
expect_error "rank bad --bootstrap" 2 "arena rank: --bootstrap '-3': expected an integer from 0 to 100000" \
    "$ARENA" rank "$DATA/battles_golden.csv" --bootstrap -3
expect_error "rank without a file" 2 "arena rank: missing BATTLES.csv" "$ARENA" rank

# ---------------------------------------- golden curves through the CLI
if [ -f "$GOLDEN" ] && [ -n "$PY" ]; then
    for s in A B; do
        "$PY" - "$GOLDEN" "$s" >"$TMP/eq_$s.csv" <<'EOF'
import json, sys
g = json.load(open(sys.argv[1]))
print("t,equity")
for t, v in enumerate(g["inputs"]["equity_" + sys.argv[2]]):
    print("%d,%r" % (t, v))
EOF
        "$ARENA" stats "$TMP/eq_$s.csv" --periods-per-year 365 --format json >"$TMP/eq_$s.json" 2>"$TMP/err"
        pycheck "stats golden equity_$s: every metrics_$s key to 1e-9, psr" "$TMP/eq_$s.json" "
g = golden()['expected']
exp = g['metrics_$s']
assert set(d) == set(exp) | {'psr_sr0_zero', 'psr_zstat'}, set(d) ^ set(exp)
for k, v in exp.items():
    if isinstance(v, int):
        assert d[k] == v, k
    else:
        close(d[k], v)
close(d['psr_sr0_zero'], g['inference_$s']['psr_sr0_zero'])
close(d['psr_zstat'], g['inference_$s']['psr_zstat'])
"
    done
else
    echo "SKIP golden curves through the CLI ($GOLDEN or python3 absent)"
fi

# a CAGR too large for a double (three one-minute points a year apart in
# periods): inf, which JSON cannot hold: the key is there, null
printf 't,equity\n0,101\n1,99\n2,102\n' >"$TMP/inf.csv"
"$ARENA" stats "$TMP/inf.csv" --periods-per-year 525600 --format json >"$TMP/inf.json" 2>"$TMP/err" || fail "stats inf: $(cat "$TMP/err")"
pycheck "stats: an infinite metric is null in JSON, its key kept" "$TMP/inf.json" "
assert 'annualized_return_cagr' in d and d['annualized_return_cagr'] is None, d
assert 'calmar' in d and d['calmar'] is None, d
"

echo "cli_stats: $fails failure(s)"
[ "$fails" -eq 0 ]
