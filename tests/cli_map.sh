#!/usr/bin/env bash
# tests/cli_map.sh ARENA_BINARY SOURCE_DIR - bars used in place from a
# mapping of the market file (docs/DATA.md "Measured speed"): runs of builtin
# strategies map them, runs with a model agent read them, both give the same
# run file; a market file truncated under a mapped run ends it with one line,
# exit 1 and no run file (not a crash). Runs in the build dir.
set -u
arena=$1
work=$(cd "$(mktemp -d cli_map.XXXXXX)" && pwd)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$arena" data synth -o "$work/m.h5" --symbols BTC,ETH --bars 20000 --seed 5 >/dev/null || fail "synth"

# ---- builtin strategies: mapped; ARENA_NO_MAP reads them; same file ----
cat >"$work/coded.json" <<EOF
{"name": "map", "seed": 3, "market": {"data": "$work/m.h5"}, "cadence": "5m",
 "agents": [{"name": "sma", "strategy": "sma_cross", "params": {"fast": 5, "slow": 20}}]}
EOF
"$arena" run "$work/coded.json" -o "$work/a.h5" --quiet --timing 2>"$work/t1" || fail "mapped run: $(cat "$work/t1")"
grep -qx "timing: bars of 2 of 2 symbols used in place from a mapping of the market file" "$work/t1" ||
  fail "coded run did not map its bars: $(cat "$work/t1")"
ARENA_NO_MAP=1 "$arena" run "$work/coded.json" -o "$work/b.h5" --quiet --timing 2>"$work/t2" || fail "read run"
grep -q "used in place" "$work/t2" && fail "ARENA_NO_MAP=1 still mapped"
cmp -s "$work/a.h5" "$work/b.h5" || fail "mapped and read bars gave different run files"
fills=$("$arena" table "$work/a.h5" --format csv | awk -F, 'NR == 2 {print $0}')
[ -n "$fills" ] || fail "no table row"

# ---- a model agent (exec) reads the bars: the run may last hours ----
cat >"$work/hold.sh" <<'EOF'
while read -r l; do echo '{"actions": []}'; done
EOF
cat >"$work/exec.json" <<EOF
{"name": "map", "seed": 3, "market": {"data": "$work/m.h5", "start": "2025-01-01T10:00:00Z",
 "end": "2025-01-01T11:00:00Z"}, "cadence": "15m", "baselines": ["flat"],
 "agents": [{"name": "hold", "kind": "exec", "command": ["sh", "$work/hold.sh"], "timeout_s": 10}]}
EOF
"$arena" run "$work/exec.json" -o "$work/e.h5" --quiet --timing 2>"$work/t3" || fail "exec run: $(cat "$work/t3")"
grep -q "used in place" "$work/t3" && fail "a run with an exec agent mapped its bars"

# ---- the market file changed under a run ----
cat >"$work/big.json" <<EOF
{"name": "cut", "seed": 1, "market": {"data": "$work/big.h5"}, "cadence": "1m",
 "agents": [{"name": "sma", "strategy": "sma_cross"}, {"name": "momentum", "strategy": "momentum"},
            {"name": "mean_revert", "strategy": "mean_revert"}]}
EOF
"$arena" data synth -o "$work/other.h5" --symbols BTC --bars 1500000 --seed 3 >/dev/null || fail "synth other"
# under_run NAME ACTION...: a fresh big.h5 (seed 2); `arena run big.json -o NAME.h5` in the
# background, its bars whole (ARENA_MARKET_MEMORY above their 72 MB: mapped unless
# ARENA_NO_MAP is set); ACTION once the engine has started (the run file's temporary
# exists). rc is the run's exit status, err its stderr.
under_run() {
  local name=$1 pid
  shift
  "$arena" data synth -o "$work/big.h5" --symbols BTC --bars 1500000 --seed 2 >/dev/null || fail "synth big"
  rm -f "$work/$name".h5*
  ARENA_MARKET_MEMORY=1000000000 "$arena" run "$work/big.json" -o "$work/$name.h5" --quiet 2>"$work/err" &
  pid=$!
  for _ in $(seq 1 500); do
    ls "$work/$name".h5.tmp-* >/dev/null 2>&1 && break
    sleep 0.01
  done
  "$@"
  wait $pid
  rc=$?
}
# refused NAME LINE: exit 1, that one line, neither the run file nor its temporary left
refused() {
  [ $rc = 1 ] || fail "$1: exit $rc, expected 1 ($(cat "$work/err"))"
  grep -qxF "$2" "$work/err" || fail "$1: message: $(cat "$work/err")"
  [ "$(wc -l <"$work/err")" = 1 ] || fail "$1: more than one line: $(cat "$work/err")"
  [ ! -e "$work/$1.h5" ] || fail "$1: a run file was written"
  ls "$work/$1".h5.tmp-* >/dev/null 2>&1 && fail "$1: temporary run file left behind"
}
write_over() { dd if="$work/other.h5" of="$work/big.h5" conv=notrunc status=none; }

# truncated (cp over it, say): the rows go (SIGBUS), caught
under_run cut truncate -s 0 "$work/big.h5"
if [ $rc = 0 ]; then
  echo "note: the run ended before the file was cut (a very fast machine); nothing to check"
else
  refused cut "arena run: $work/big.h5: the market file was truncated during the run; no run file written"
fi
# written over in place, same size (no fault): noticed at the end
under_run over write_over
[ "$(stat -c %s "$work/big.h5")" = "$(stat -c %s "$work/other.h5")" ] || fail "the two markets differ in size"
if [ $rc = 0 ]; then
  echo "note: the run ended before the file was written over (a very fast machine); nothing to check"
else
  refused over "arena run: $work/big.h5: the market file was written in place during the run (its bars were read where they lie); no run file written"
fi
# bars read into memory (ARENA_NO_MAP) are safe from the same write: the run completes
ARENA_NO_MAP=1 under_run read write_over
[ $rc = 0 ] || fail "a run that read its bars failed after a write in place: $(cat "$work/err")"
[ -e "$work/read.h5" ] || fail "no run file from bars read into memory"
# replaced by rename (what arena's writers do): the mapped rows stay as they were
under_run ren "$arena" data synth -o "$work/big.h5" --symbols BTC --bars 1500000 --seed 3
[ $rc = 0 ] || fail "a run whose market was replaced by rename failed: $(cat "$work/err")"
[ -e "$work/ren.h5" ] || fail "no run file after a rename over the market"

[ $fails = 0 ] && echo "cli_map: ok"
exit $((fails > 0))
