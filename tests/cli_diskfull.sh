#!/usr/bin/env bash
# tests/cli_diskfull.sh ARENA_BINARY SOURCE_DIR - writes that fail part-way.
# A file size limit (ulimit -f) makes the kernel fail a write with EFBIG,
# as a full disk fails it with ENOSPC; arena ignores the limit's signal, so
# every writing command must exit 1 with one line naming the file, leave no
# temporary or spill file, and leave a finished file of the same name from
# before untouched. Covered: data synth, data import, run (curves kept,
# streamed, logs spilled), report, merge; and output printed to a file
# that cannot take it (capped, or /dev/full) exits 1.
set -u
arena=$1
work=$(mktemp -d cli_diskfull.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# limited KB NAME OUT CMD...: run CMD with files capped at KB kilobytes;
# expect exit 1, one line on stderr naming OUT, OUT as it was before, and
# nothing else new in $work.
limited() {
  local kb=$1 name=$2 out=$3
  shift 3
  local before="" after
  [ -e "$out" ] && before=$(cksum <"$out")
  ls -a "$work" | sort >"$work/.ls-before"
  # Under AddressSanitizer: HDF5 1.10 loses the file's structure when its
  # close fails (HDFFV-11052, fixed in 1.14), which LeakSanitizer reports
  # at exit; nothing of ours, so leak checks are off for these commands only.
  (ulimit -f "$kb" && ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$@" >"$work/.out" 2>"$work/.err")
  local rc=$?
  ls -a "$work" | sort >"$work/.ls-after"
  after=""
  [ -e "$out" ] && after=$(cksum <"$out")
  local lines
  lines=$(wc -l <"$work/.err")
  if [ "$rc" != 1 ]; then
    fail "$name: exit $rc, expected 1 ($(head -c 300 "$work/.err"))"
  elif [ "$lines" != 1 ]; then
    fail "$name: $lines lines on stderr, expected one: $(head -c 400 "$work/.err")"
  elif ! grep -q "$(basename "$out")" "$work/.err"; then
    fail "$name: message does not name $(basename "$out"): $(cat "$work/.err")"
  elif [ "$before" != "$after" ]; then
    fail "$name: $(basename "$out") changed or appeared"
  elif ! cmp -s <(grep -v '^\.\(out\|err\|ls-before\|ls-after\)$' "$work/.ls-before") \
                <(grep -v '^\.\(out\|err\|ls-before\|ls-after\)$' "$work/.ls-after"); then
    fail "$name: left files behind: $(diff "$work/.ls-before" "$work/.ls-after" | grep '^>' | tr '\n' ' ')"
  else
    echo "ok: $name: $(cat "$work/.err")"
  fi
}

# ---- market files ----
limited 40 "synth" "$work/s.h5" "$arena" data synth -o "$work/s.h5" --symbols BTC,ETH --days 2 --seed 1
awk 'BEGIN { print "timestamp,open,high,low,close,volume";
             for (i = 0; i < 20000; i++) printf "%d,%.2f,%.2f,%.2f,%.2f,%.3f\n", 1700000000 + 60 * i, 100 + i % 7, 101 + i % 7, 99 + i % 7, 100.5 + i % 7, 1 + i % 13 }' >"$work/bars.csv"
limited 200 "import" "$work/i.h5" "$arena" data import "$work/bars.csv" --symbol BTC -o "$work/i.h5"
# appending a symbol to a finished market file: the file keeps what it had
"$arena" data synth -o "$work/m.h5" --symbols BTC,ETH --days 2 --seed 1 >/dev/null || fail "synth"
cp "$work/m.h5" "$work/m0.h5"
msize=$(($(stat -c %s "$work/m.h5") / 1024 + 4))
limited "$msize" "import into an existing file" "$work/m.h5" "$arena" data import "$work/bars.csv" --symbol SOL -o "$work/m.h5"
cmp -s "$work/m.h5" "$work/m0.h5" || fail "import into an existing file: m.h5 changed"
"$arena" data info "$work/m.h5" >/dev/null || fail "m.h5 unreadable after a failed import"
rm -f "$work/m0.h5"

# ---- run files ----
cat >"$work/t.json" <<'JSON'
{"name": "full", "seed": 3, "market": {"data": "m.h5"}, "cadence": "1m",
 "execution": {"slippage": {"model": "fixed", "bps": 1}},
 "agents": [{"name": "sma", "strategy": "sma_cross", "params": {"fast": 3, "slow": 8}},
            {"name": "mom", "strategy": "momentum"}]}
JSON
"$arena" run "$work/t.json" -o "$work/r.h5" --quiet >/dev/null || fail "plain run"
rsize=$(($(stat -c %s "$work/r.h5") / 1024))
half=$((rsize / 2))
limited "$half" "run" "$work/r.h5" "$arena" run "$work/t.json" -o "$work/r.h5" --quiet
limited "$half" "run, curves streamed" "$work/r.h5" env ARENA_CURVE_MEMORY=0 "$arena" run "$work/t.json" -o "$work/r.h5" --quiet
limited "$half" "run, logs spilled" "$work/r.h5" env ARENA_LOG_MEMORY=0 "$arena" run "$work/t.json" -o "$work/r.h5" --quiet --jobs 2
# curves handed to the writer from worker threads (HDF5's error printing is per thread)
sed 's/"seed": 3/"seeds": 4/' "$work/t.json" >"$work/t4.json"
limited "$half" "run, curves streamed from 2 threads" "$work/r4.h5" env ARENA_CURVE_MEMORY=0 "$arena" run "$work/t4.json" -o "$work/r4.h5" --quiet --jobs 2
limited 16 "run, spill over the limit" "$work/r2.h5" env ARENA_LOG_MEMORY=0 "$arena" run "$work/t.json" -o "$work/r2.h5" --quiet
"$arena" table "$work/r.h5" >/dev/null || fail "r.h5 unreadable after failed runs"

# ---- report, merge ----
"$arena" report "$work/r.h5" -o "$work/rep.html" 2>/dev/null || fail "report"
limited $(($(stat -c %s "$work/rep.html") / 2048)) "report" "$work/rep.html" "$arena" report "$work/r.h5" -o "$work/rep.html"
sed -e 's/"cadence": "1m"/"cadence": "5m"/' -e 's/"seed": 3/"seeds": 2/' "$work/t.json" >"$work/s2.json"
"$arena" run "$work/s2.json" -o "$work/sh.h5" --episodes 0 --quiet 2>/dev/null || fail "shard 0"
"$arena" run "$work/s2.json" -o "$work/sh2.h5" --episodes 1 --quiet 2>/dev/null || fail "shard 1"
mv "$work/sh2.h5.shard-0" "$work/sh.h5.shard-1"
limited 8 "merge" "$work/merged.h5" "$arena" merge "$work/sh.h5.shard-0" "$work/sh.h5.shard-1" -o "$work/merged.h5" --quiet
"$arena" merge "$work/sh.h5.shard-0" "$work/sh.h5.shard-1" -o "$work/merged.h5" --quiet || fail "merge without a limit"

# ---- output that cannot be written is an error, not a silent short file ----
(ulimit -f 1 && "$arena" table "$work/r.h5" --format json >"$work/tab.json" 2>"$work/.err")
rc=$?
[ "$rc" = 1 ] || fail "table to a capped file: exit $rc, expected 1 ($(cat "$work/.err"))"
grep -qi "write" "$work/.err" || fail "table to a capped file: message: $(cat "$work/.err")"
if [ -w /dev/full ]; then # ENOSPC itself
  printf 't,equity\n1,100\n2,101\n3,99\n4,102\n' >"$work/eq.csv"
  printf 'model_a,model_b,winner\nx,y,model_a\ny,x,model_b\nx,y,tie\n' >"$work/battles.csv"
  for c in "run $work/t.json -o $work/r3.h5" "data info $work/m.h5" "stats --help" \
           "stats $work/eq.csv --periods-per-year 365" "rank $work/battles.csv" "table $work/r.h5"; do
    # shellcheck disable=SC2086
    "$arena" $c >/dev/full 2>"$work/.err"
    rc=$?
    [ "$rc" = 1 ] || fail "arena $c > /dev/full: exit $rc, expected 1"
    [ "$(wc -l <"$work/.err")" = 1 ] && grep -q "cannot write the output" "$work/.err" ||
      fail "arena $c > /dev/full: message: $(cat "$work/.err")"
  done
  "$arena" table "$work/r3.h5" >/dev/null || fail "the run file of a run whose table could not be printed"
fi

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all disk-full checks passed"
