#!/usr/bin/env bash
# tests/cli_merge.sh ARENA_BINARY SOURCE_DIR - a run kept in shards without
# MPI: `arena run --episodes` keeps only some episodes in RUN.h5.shard-0,
# `--resume` runs only the missing ones and merges, `arena merge` merges
# shards offline; every way gives the run file and league table of one plain
# run, byte for byte, also with exec agents (prompt tables merged across
# shards in episode order). Stale and foreign shards are refused or dropped.
set -u
arena=$1
src=$2
work=$(mktemp -d cli_merge.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$arena" data synth -o "$work/m.h5" --symbols BTC,ETH --days 4 --seed 8 >/dev/null || fail "synth"
cat >"$work/t.json" <<'JSON'
{"name": "tour", "seeds": 3, "capital": 10000,
 "market": {"data": "m.h5", "start": "2025-01-01T01:00:00Z", "end": "2025-01-04T23:00:00Z",
            "windows": {"count": 4, "length": "12h"}},
 "cadence": "5m",
 "execution": {"slippage": {"model": "sqrt", "k": 0.1, "noise_bps": 1}},
 "agents": [{"name": "sma", "strategy": "sma_cross"}, {"name": "mom", "strategy": "momentum"}]}
JSON
"$arena" run "$work/t.json" -o "$work/full.h5" --format json >"$work/full.json" || fail "plain run"

# ---- --episodes then --resume ----
"$arena" run "$work/t.json" -o "$work/p.h5" --episodes 0-3,7 --quiet 2>"$work/err"
[ $? = 0 ] || fail "--episodes: $(cat "$work/err")"
[ -e "$work/p.h5" ] && fail "--episodes wrote the run file"
[ -e "$work/p.h5.shard-0" ] || fail "--episodes kept no shard"
grep -q "^arena run: 5 of 12 episodes are in $work/p.h5.shard-\*; --resume runs the rest" "$work/err" ||
  fail "--episodes message: $(cat "$work/err")"
"$arena" table "$work/p.h5.shard-0" --format json >/dev/null || fail "a shard is a readable run file"
"$arena" run "$work/t.json" -o "$work/p.h5" --resume --jobs 2 --format json >"$work/p.json" 2>"$work/err"
[ $? = 0 ] || fail "--resume: $(cat "$work/err")"
cmp -s "$work/full.h5" "$work/p.h5" || fail "--resume: run file differs from the plain run"
cmp -s "$work/full.json" "$work/p.json" || fail "--resume: league table differs from the plain run"
ls "$work"/p.h5.shard-* >/dev/null 2>&1 && fail "--resume left shards behind"

# a process that died leaves piece files (RUN.h5.shard-<rank>.<episode>): kept too
"$arena" run "$work/t.json" -o "$work/e.h5" --episodes 5 --quiet 2>/dev/null || fail "--episodes 5"
cp "$work/e.h5.shard-0" "$work/d.h5.shard-2.5"
"$arena" run "$work/t.json" -o "$work/d.h5" --resume --quiet --timing 2>"$work/err" || fail "resume over a piece"
cmp -s "$work/full.h5" "$work/d.h5" || fail "resume over a piece: run file differs"
ls "$work"/d.h5.shard-* >/dev/null 2>&1 && fail "resume over a piece left files behind"

# --resume with nothing left to run (all episodes in the shard) only merges
"$arena" run "$work/t.json" -o "$work/q.h5" --episodes 0-11 --quiet 2>/dev/null || fail "--episodes all"
[ -e "$work/q.h5" ] && [ ! -e "$work/q.h5.shard-0" ] || fail "--episodes of every episode should merge at once"
cmp -s "$work/full.h5" "$work/q.h5" || fail "--episodes 0-11 differs from the plain run"

# ---- arena merge: two shards from two separate partial runs ----
"$arena" run "$work/t.json" -o "$work/a.h5" --episodes 0-2,9-11 --quiet 2>/dev/null || fail "part a"
"$arena" run "$work/t.json" -o "$work/b.h5" --episodes 3-8 --quiet --jobs 3 2>/dev/null || fail "part b"
"$arena" merge "$work/b.h5.shard-0" "$work/a.h5.shard-0" -o "$work/m1.h5" --format json >"$work/m1.json" 2>"$work/err"
[ $? = 0 ] || fail "merge: $(cat "$work/err")"
cmp -s "$work/full.h5" "$work/m1.h5" || fail "merge: run file differs from the plain run"
cmp -s "$work/full.json" "$work/m1.json" || fail "merge: league table differs"
[ -e "$work/a.h5.shard-0" ] || fail "merge removed its input"
"$arena" merge "$work/a.h5.shard-0" -o "$work/m2.h5" 2>"$work/err"
[ $? = 1 ] || fail "merge with episodes missing should fail"
grep -q "^arena merge: 6 of 12 episodes are in no shard (the first: episode 3)$" "$work/err" ||
  fail "missing message: $(cat "$work/err")"
[ -e "$work/m2.h5" ] && fail "an incomplete merge wrote a file"
"$arena" merge "$work/full.h5" -o "$work/m3.h5" 2>"$work/err"
[ $? = 1 ] || fail "merge of a plain run file should fail"
grep -q 'not a shard file' "$work/err" || fail "plain file message: $(cat "$work/err")"
"$arena" merge -o "$work/m3.h5" 2>/dev/null
[ $? = 2 ] || fail "merge without shards: usage"

# ---- curves and logs through the spill (ARENA_*_MEMORY=0) ----
# Each episode's curve and records wait in a spill file until its piece and
# the shard are written: the same shard file as from memory, and the same
# merged run after --resume
"$arena" run "$work/t.json" -o "$work/u.h5" --episodes 0-3,7 --quiet 2>/dev/null || fail "shard from memory"
ARENA_LOG_MEMORY=0 ARENA_CURVE_MEMORY=0 "$arena" run "$work/t.json" -o "$work/v.h5" --episodes 0-3,7 --quiet \
  --jobs 2 2>/dev/null || fail "shard through the spill"
cmp -s "$work/u.h5.shard-0" "$work/v.h5.shard-0" || fail "a shard written through the spill differs"
ARENA_LOG_MEMORY=0 ARENA_CURVE_MEMORY=0 "$arena" run "$work/t.json" -o "$work/v.h5" --resume --format json \
  >"$work/v.json" 2>"$work/err" || fail "--resume through the spill: $(cat "$work/err")"
cmp -s "$work/full.h5" "$work/v.h5" || fail "--resume through the spill: run file differs from the plain run"
cmp -s "$work/full.json" "$work/v.json" || fail "--resume through the spill: league table differs"
ls "$work" | grep -q "arena-spill" && fail "a spill file was left behind"

# ---- many shards, few descriptors: the merge opens one shard file at a time ----
sed -e 's/"count": 4, "length": "12h"/"count": 70, "length": "40m"/' -e 's/"seeds": 3/"seeds": 1/' "$work/t.json" >"$work/many.json"
"$arena" run "$work/many.json" -o "$work/many.h5" --quiet || fail "many: plain run"
for k in $(seq 0 69); do
  "$arena" run "$work/many.json" -o "$work/s$k.h5" --episodes $k --quiet 2>/dev/null || fail "many: episode $k"
done
(ulimit -n 40 && "$arena" merge "$work"/s*.h5.shard-0 -o "$work/many2.h5" --quiet 2>"$work/err") ||
  fail "many: merge of 70 shards with 40 descriptors: $(cat "$work/err")"
cmp -s "$work/many.h5" "$work/many2.h5" || fail "many: merged run file differs from the plain run"
# a league and a report over 70 run files hold only a few open at a time
sed 's/"count": 70/"count": 1/' "$work/many.json" >"$work/one.json"
"$arena" run "$work/one.json" -o "$work/one.h5" --quiet || fail "many: one-window run"
for k in $(seq 0 69); do cp "$work/one.h5" "$work/c$k.h5"; done
"$arena" table "$work"/c*.h5 --format json >"$work/all.json" || fail "many: table of 70 files"
"$arena" report "$work"/c*.h5 -o "$work/all.html" 2>/dev/null || fail "many: report of 70 files"
(ulimit -n 40 && "$arena" table "$work"/c*.h5 --format json >"$work/all40.json" 2>"$work/err") ||
  fail "many: table of 70 files with 40 descriptors: $(cat "$work/err")"
cmp -s "$work/all.json" "$work/all40.json" || fail "many: table with 40 descriptors differs"
(ulimit -n 40 && "$arena" report "$work"/c*.h5 -o "$work/all40.html" 2>"$work/err") ||
  fail "many: report of 70 files with 40 descriptors: $(cat "$work/err")"
cmp -s "$work/all.html" "$work/all40.html" || fail "many: report with 40 descriptors differs"

# ---- shards of another config are refused on --resume and by merge ----
sed 's/"capital": 10000/"capital": 20000/' "$work/t.json" >"$work/t2.json"
"$arena" run "$work/t2.json" -o "$work/c.h5" --episodes 0-5 --quiet 2>/dev/null
"$arena" run "$work/t.json" -o "$work/z.h5" --episodes 6-11 --quiet 2>/dev/null
cp "$work/c.h5.shard-0" "$work/z.h5.shard-1"
"$arena" merge "$work/z.h5.shard-0" "$work/z.h5.shard-1" -o "$work/z.h5" 2>"$work/err"
[ $? = 1 ] || fail "merge of shards of two runs should fail"
grep -q "shards of different runs" "$work/err" || fail "foreign merge message: $(cat "$work/err")"
"$arena" run "$work/t.json" -o "$work/z.h5" --resume --quiet 2>"$work/err"
[ $? = 2 ] || fail "--resume with a foreign shard should be refused"
grep -q "z.h5.shard-1: a shard of another run" "$work/err" || fail "foreign resume message: $(cat "$work/err")"
# without --resume, old shards are dropped: a fresh run
"$arena" run "$work/t.json" -o "$work/z.h5" --quiet --episodes 0-11 2>/dev/null || fail "fresh run over stale shards"
cmp -s "$work/full.h5" "$work/z.h5" || fail "fresh run over stale shards differs"
ls "$work"/z.h5.shard-* >/dev/null 2>&1 && fail "stale shards left behind"

# ---- usage ----
for bad in 12 3-1 x 1,,2 0-99; do
  "$arena" run "$work/t.json" -o "$work/u.h5" --episodes "$bad" 2>"$work/err"
  [ $? = 2 ] || fail "--episodes $bad: expected exit 2"
  grep -q '^arena run: --episodes: ' "$work/err" || fail "--episodes $bad message: $(cat "$work/err")"
done
sed 's/"capital": 10000,/"capital": 10000, "llm": {"budget_usd": 5},/' "$work/t.json" >"$work/bud.json"
"$arena" run "$work/bud.json" -o "$work/u.h5" --episodes 0 2>"$work/err"
[ $? = 2 ] || fail "--episodes with a run budget should be refused"
grep -q 'llm.budget_usd: a run-wide budget needs the whole run in one process' "$work/err" ||
  fail "budget message: $(cat "$work/err")"

# ---- exec agents: prompt tables merged across shards in episode order ----
cat >"$work/x.json" <<'JSON'
{"name": "ext", "seeds": 2, "market": {"data": "m.h5", "start": "2025-01-01T04:00:00Z", "end": "2025-01-02T04:00:00Z",
 "windows": {"count": 2, "length": "6h"}}, "cadence": "1h", "baselines": [],
 "agents": [{"name": "garbage", "kind": "exec", "command": ["sh", "-c", "while read l; do echo 'not json'; done"],
             "timeout_s": 5},
            {"name": "holder", "kind": "exec", "command": ["sh", "-c", "while read l; do echo '[]'; done"],
             "timeout_s": 5}]}
JSON
# (latencies are recorded: the cassette makes the runs comparable)
"$arena" run "$work/x.json" -o "$work/xr.h5" --quiet --cassette "$work/c.jsonl" --record 2>"$work/err" ||
  fail "exec record: $(cat "$work/err")"
rp="--cassette $work/c.jsonl --replay --quiet"
"$arena" run "$work/x.json" -o "$work/xf.h5" $rp 2>"$work/err" || fail "exec replay: $(cat "$work/err")"
"$arena" run "$work/x.json" -o "$work/xa.h5" --episodes 3,1 $rp 2>/dev/null || fail "exec part a"
"$arena" run "$work/x.json" -o "$work/xb.h5" --episodes 2 $rp 2>/dev/null || fail "exec part b"
cp "$work/xb.h5.shard-0" "$work/xa.h5.shard-7"
"$arena" run "$work/x.json" -o "$work/xa.h5" --resume $rp 2>"$work/err" || fail "exec resume: $(cat "$work/err")"
cmp -s "$work/xf.h5" "$work/xa.h5" || fail "exec agents: resumed run file differs"

[ "$fails" = 0 ] && echo "cli_merge: ok"
exit $((fails > 0))
