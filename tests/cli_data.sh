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

# ---- trades into a symbol that has bars keep the bars, and bars the trades ----
cp "$work/m.h5" "$work/both.h5"
out=$("$arena" data import "$data/trades_tardis.csv" --symbol BTC -o "$work/both.h5" --kind trades 2>&1)
expect_rc 0 $? "trades into BTC"
[ "$out" = "$work/both.h5: BTC: 6 bars (interval 1m), 5 trades from 1 file; its bars kept" ] || fail "trades into BTC: $out"
out=$("$arena" data import "$data/ohlcv_bybit.csv" --symbol BTC -o "$work/both.h5" 2>&1)
expect_rc 0 $? "bars into BTC again"
case "$out" in *"BTC: "*" bars (interval 1m), 5 trades from 1 file; its trades kept") ;; *) fail "bars into BTC again: $out" ;; esac
"$arena" data info "$work/both.h5" | grep -q 'trades  *2020-02-22T00:00:02.111Z  *2020-02-22T00:01:01.5Z  *5$' ||
  fail "trades lost: $("$arena" data info "$work/both.h5")"

# ---- a market file cut short (a copy that did not finish): said so ----
"$arena" data synth -o "$work/big.h5" --symbols BTC --days 2 --seed 4 >/dev/null
size=$(stat -c %s "$work/big.h5")
head -c $((size / 3)) "$work/big.h5" >"$work/cut.h5"
"$arena" data info "$work/cut.h5" >/dev/null 2>"$work/err"
expect_rc 1 $? "info of a cut file"
grep -qx "arena data: $work/cut.h5: cannot open: the file is cut short ($((size / 3)) of the $size bytes it says it has; a copy or write that did not finish?)" "$work/err" ||
  fail "cut market message: $(cat "$work/err")"

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
  # A market file written with h5py's defaults (str attributes and a list of
  # str: variable-length UTF-8), once with interval_ns, once with only the
  # interval string, once with neither (a run must refuse it: a bar would
  # count as closed at its open).
  "$py" - "$work" <<'EOF' || fail "h5py writes a market file"
import sys, h5py, numpy as np
dt = np.dtype([("t", "<i8"), ("open", "<f8"), ("high", "<f8"), ("low", "<f8"), ("close", "<f8"), ("volume", "<f8")])
rows = np.zeros(40, dt)
rows["t"] = 1735689600 * 10**9 + np.arange(40) * 60 * 10**9
rows["open"] = rows["close"] = 100 + np.arange(40) % 7
rows["high"] = rows["close"] + 1
rows["low"] = rows["close"] - 1
rows["volume"] = 5
for name, attrs in (("py.h5", {"interval_ns": np.int64(60 * 10**9), "interval": "1m"}),
                    ("py_str.h5", {"interval": "1m"}), ("py_none.h5", {})):
    with h5py.File(sys.argv[1] + "/" + name, "w") as f:
        f.attrs["format"] = "arena-market"
        f.attrs["version"] = np.int32(1)
        f.attrs["source"] = "h5py"
        f["symbols"] = ["ABC"]
        for g in ("bars", "trades", "funding"):
            f.create_group(g)
        d = f["bars"].create_dataset("ABC", data=rows)
        for k, v in attrs.items():
            d.attrs[k] = v
EOF
  # --verify: m.h5 (bars and trades) and a synthetic market with funding
  # match their stored hashes; edit one row in place and it must say so
  "$arena" data synth -o "$work/v.h5" --symbols AAA,BBB --days 1 --seed 2 --funding >/dev/null
  for m in m v; do
    "$arena" data info "$work/$m.h5" --verify >"$work/$m.verify" 2>&1 || fail "$m.h5: --verify: $(cat "$work/$m.verify")"
    grep -qx "sha256: every dataset matches the hash stored with it" "$work/$m.verify" || fail "$m.h5: --verify output"
  done
  "$py" -c 'import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    d = f["funding/BBB"]; r = d[1]; r["rate"] *= 2; d[1] = r' "$work/v.h5" || fail "h5py edit"
  rc=0
  "$arena" data info "$work/v.h5" --verify >/dev/null 2>"$work/v.err" || rc=$?
  [ $rc -eq 1 ] || fail "--verify on an edited file: exit $rc, expected 1"
  grep -qF "v.h5: /funding/BBB: the rows do not match their sha256 attribute" "$work/v.err" || fail "--verify: $(cat "$work/v.err")"
  for m in py py_str; do
    "$arena" data info "$work/$m.h5" >"$work/$m.info" 2>&1 || fail "$m.h5: data info: $(cat "$work/$m.info")"
    grep -q "^ABC  *1m .* 40 " "$work/$m.info" || fail "$m.h5: info: $(cat "$work/$m.info")"
    echo "{\"market\": {\"data\": \"$m.h5\"}, \"baselines\": [\"buy_hold\"]}" >"$work/$m.json"
    "$arena" run "$work/$m.json" -o "$work/$m-run.h5" --quiet >/dev/null 2>"$work/$m.err" ||
      fail "$m.h5: run: $(cat "$work/$m.err")"
  done
  echo '{"market": {"data": "py_none.h5"}, "baselines": ["buy_hold"]}' >"$work/py_none.json"
  rc=0
  "$arena" run "$work/py_none.json" -o "$work/py_none-run.h5" --quiet >/dev/null 2>"$work/py_none.err" || rc=$?
  [ $rc -eq 1 ] || fail "py_none.h5: exit $rc, expected 1"
  grep -qF 'py_none.h5: /bars/ABC has no bar interval (expected an attribute interval_ns > 0, or interval such as "1m")' \
    "$work/py_none.err" || fail "py_none.h5: $(cat "$work/py_none.err")"
  [ ! -e "$work/py_none-run.h5" ] || fail "py_none.h5: a run file was left"
else
  echo "SKIP: python3 with h5py not available"
fi

[ $fails -eq 0 ] && echo "cli_data: all checks passed"
exit $((fails > 0))
