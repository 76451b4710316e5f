#!/usr/bin/env bash
# tests/cli_data.sh ARENA_BINARY SOURCE_DIR - `arena data import|synth|info`:
# files written, exit codes, error lines, the HDF5 layout as h5dump and h5py
# see it, byte-identical synth output. Runs in the build dir.
set -u
arena=$1
src=$2
data=$src/tests/data
work=$(mktemp -d cli_data.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect_rc() { # want got what
  [ "$1" = "$2" ] || fail "$3: exit $2, expected $1"
}

# ---- import: two files into one symbol, then a second symbol ----
out=$("$arena" data import "$data/ohlcv_bybit.csv" "$data/ohlcv_next.csv" --symbol BTC -o "$work/m.h5" 2>&1)
expect_rc 0 $? "import BTC"
[ "$out" = "$work/m.h5: BTC: 6 bars (interval 1m), 0 trades from 2 files" ] || fail "import message: $out"
"$arena" data import "$data/trades_tardis.csv" --symbol BTCT -o "$work/m.h5" --kind trades >/dev/null
expect_rc 0 $? "import trades"
"$arena" data import "$data/ohlcv_daily.csv.missing" --symbol X -o "$work/m.h5" 2>"$work/err"
expect_rc 1 $? "import missing file"
grep -qx "arena data: $data/ohlcv_daily.csv.missing: cannot open: No such file or directory" "$work/err" ||
  fail "missing-file message: $(cat "$work/err")"
[ ! -e "$work/m.h5.tmp-"* ] 2>/dev/null || fail "temporary file left behind"

# ---- info ----
info=$("$arena" data info "$work/m.h5")
expect_rc 0 $? "info"
echo "$info" | grep -q '^BTC  *1m  *2025-05-30T16:39:00Z  *2025-05-30T16:45:00Z  *6  *1 2m$' || fail "info BTC line: $info"
echo "$info" | grep -q 'trades  *2020-02-22T00:00:02.111Z  *2020-02-22T00:01:01.5Z  *5$' || fail "info trades line: $info"
echo "$info" | grep -q '^symbols: 2$' || fail "info symbols: $info"

# ---- usage and data errors ----
"$arena" data import "$data/ohlcv_bybit.csv" -o "$work/x.h5" 2>"$work/err"
expect_rc 2 $? "import without --symbol"
grep -q '^arena data: --symbol SYM is required' "$work/err" || fail "usage message: $(cat "$work/err")"
"$arena" data import "$data/ohlcv_bybit.csv" --symbol A -o "$work/x.h5" --kind parquet 2>/dev/null
expect_rc 2 $? "bad --kind"
"$arena" data frobnicate 2>/dev/null
expect_rc 2 $? "unknown subcommand"
"$arena" data synth -o "$work/x.h5" --interval 5x 2>"$work/err"
expect_rc 2 $? "bad --interval"
printf 'timestamp,open,high,low,close\n2025-01-01,10,10.5,11,10.8\n' >"$work/bad.csv"
"$arena" data import "$work/bad.csv" --symbol B -o "$work/x.h5" 2>"$work/err"
expect_rc 1 $? "bad csv"
grep -qx "arena data: $work/bad.csv:2: high 10.5 < low 11 (expected high >= low)" "$work/err" || fail "bad csv message: $(cat "$work/err")"
[ ! -e "$work/x.h5" ] || fail "failed import created a file"
"$arena" data info "$work/bad.csv" 2>"$work/err"
expect_rc 1 $? "info on a CSV"
for c in import synth info; do
  "$arena" data $c --help | grep -q "^usage: arena data $c" || fail "$c --help"
done

# ---- synth: deterministic bytes ----
"$arena" data synth -o "$work/s1.h5" --symbols BTC,ETH,FOO --days 2 --interval 5m --seed 9 --funding >/dev/null
expect_rc 0 $? "synth 1"
"$arena" data synth -o "$work/s2.h5" --symbols BTC,ETH,FOO --days 2 --interval 5m --seed 9 --funding >/dev/null
cmp -s "$work/s1.h5" "$work/s2.h5" || fail "synth output differs between identical runs"
"$arena" data synth -o "$work/s3.h5" --symbols BTC,ETH,FOO --days 2 --interval 5m --seed 10 --funding >/dev/null
cmp -s "$work/s1.h5" "$work/s3.h5" && fail "different seeds gave identical files"
sinfo=$("$arena" data info "$work/s1.h5")
echo "$sinfo" | grep -q '^FOO  *5m  *2025-01-01T00:00:00Z  *2025-01-02T23:55:00Z  *576  *0 -$' || fail "synth info: $sinfo"
echo "$sinfo" | grep -q 'funding  *2025-01-01T00:00:00Z  *2025-01-02T16:00:00Z  *6$' || fail "synth funding: $sinfo"

# ---- layout as external readers see it ----
if command -v h5dump >/dev/null; then
  h5dump -H "$work/m.h5" >"$work/dump" || fail "h5dump failed"
  for f in 'H5T_STD_I64LE "t";' 'H5T_IEEE_F64LE "open";' 'H5T_IEEE_F64LE "volume";' 'H5T_STD_I8LE "side";' \
    'DATASET "BTC"' 'ATTRIBUTE "interval_ns"' 'ATTRIBUTE "format"' 'DATASET "symbols"'; do
    grep -qF "$f" "$work/dump" || fail "h5dump -H lacks $f"
  done
  h5dump -a /format "$work/m.h5" | grep -q '"arena-market"' || fail "format attribute"
else
  echo "SKIP: h5dump not installed"
fi
py=""
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import h5py, numpy' 2>/dev/null; then py=$p; break; fi
done
if [ -n "$py" ]; then
  "$py" - "$work/m.h5" <<'EOF' || fail "h5py read"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    assert f.attrs["format"] in (b"arena-market", "arena-market"), f.attrs["format"]
    assert int(f.attrs["version"]) == 1
    assert [s.decode() for s in f["symbols"][:]] == ["BTC", "BTCT"]
    b = f["bars/BTC"][:]
    assert b.dtype.names == ("t", "open", "high", "low", "close", "volume"), b.dtype.names
    assert len(b) == 6 and b["t"][0] == 1748623140 * 10**9, b["t"][0]
    assert b["open"][0] == 104217.5 and b["volume"][0] == 477.605
    assert int(f["bars/BTC"].attrs["interval_ns"]) == 60 * 10**9
    tr = f["trades/BTCT"][:]
    assert list(tr["side"]) == [1, 1, -1, -1, 0] and tr["price"][2] == 9681.99
EOF
else
  echo "SKIP: python3 with h5py not available"
fi

[ $fails -eq 0 ] && echo "cli_data: all checks passed"
exit $((fails > 0))
