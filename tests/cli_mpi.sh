#!/usr/bin/env bash
# tests/cli_mpi.sh ARENA_BINARY SOURCE_DIR [ARENA_MPI_BINARY] - `mpirun -n N
# arena-mpi run` on loopback (-n 1, 2 and 3, oversubscribed): rank 0 writes
# the run file and league table of the single-process `arena run`, byte for
# byte, and says `ranks: N`; no shard is left behind; a run whose ranks kept
# only some episodes (--episodes, as after a crash) is finished by `mpirun
# ... --resume` on another number of ranks; LLM limits are split across ranks
# (a max_concurrent below the rank count is refused). Also: `arena` itself
# does not link libmpi and, started by `mpirun -n 2`, refuses and names
# arena-mpi. Skips when mpirun is missing; skips the arena-mpi part when no
# ARENA_MPI_BINARY is given (CMake passes it with ARENA_MPI on).
set -u
arena=$1
src=$2
arena_mpi=${3:-}
command -v mpirun >/dev/null 2>&1 || { echo "SKIP: mpirun not installed"; exit 0; }
work=$(mktemp -d cli_mpi.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# loopback only; root in CI containers; Open MPI's own allocations are not ours
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
mpi() { # N args...
  local n=$1
  shift
  timeout -k 10 300 mpirun -n "$n" --oversubscribe --mca btl self,tcp --mca btl_tcp_if_include lo \
    --mca oob_tcp_if_include lo "$@"
}

"$arena" data synth -o "$work/m.h5" --symbols BTC,ETH --days 4 --seed 8 >/dev/null || fail "synth"
cat >"$work/t.json" <<'JSON'
{"name": "tour", "seeds": 3, "capital": 10000,
 "market": {"data": "m.h5", "start": "2025-01-01T01:00:00Z", "end": "2025-01-04T23:00:00Z",
            "windows": {"count": 4, "length": "12h"}},
 "cadence": "5m",
 "execution": {"slippage": {"model": "sqrt", "k": 0.1, "noise_bps": 1}},
 "agents": [{"name": "sma", "strategy": "sma_cross"}, {"name": "mom", "strategy": "momentum"}]}
JSON
"$arena" run "$work/t.json" -o "$work/full.h5" >"$work/full.txt" || fail "plain run"
"$arena" table "$work/full.h5" --format json >"$work/full.json"

# ---- plain arena: no libmpi, and refuses a multi-process launch ----
ldd "$arena" 2>/dev/null | grep -q libmpi && fail "arena links libmpi (only arena-mpi should)"
mpi 2 "$arena" run "$work/t.json" -o "$work/plain.h5" >/dev/null 2>"$work/plain.err"
[ $? != 0 ] || fail "arena under mpirun -n 2 should refuse"
grep -q "use arena-mpi" "$work/plain.err" || fail "refusal message: $(head -3 "$work/plain.err")"
[ -e "$work/plain.h5" ] && fail "arena under mpirun -n 2 wrote a run file"
if [ -z "$arena_mpi" ]; then
  [ "$fails" = 0 ] && echo "SKIP: no arena-mpi (ARENA_MPI off); plain arena checks ok"
  exit $((fails > 0))
fi

for n in 1 2 3; do
  mpi "$n" "$arena_mpi" run "$work/t.json" -o "$work/r$n.h5" >"$work/r$n.txt" 2>"$work/r$n.err"
  [ $? = 0 ] || { fail "mpirun -n $n: $(cat "$work/r$n.err")"; continue; }
  cmp -s "$work/full.h5" "$work/r$n.h5" || fail "mpirun -n $n: run file differs from the single-process run"
  tail -1 "$work/r$n.txt" | grep -qx "run file: $work/r$n.h5 (ranks: $n)" ||
    fail "mpirun -n $n: summary line: $(tail -1 "$work/r$n.txt")"
  # the league table itself (all but the summary line) is the single-process one
  diff <(sed '$d' "$work/full.txt") <(sed '$d' "$work/r$n.txt") >/dev/null || fail "mpirun -n $n: league table differs"
  ls "$work"/r$n.h5.shard-* >/dev/null 2>&1 && fail "mpirun -n $n: shards left behind"
done
mpi 2 "$arena_mpi" run "$work/t.json" -o "$work/j.h5" --format json --jobs 2 >"$work/j.json" 2>"$work/j.err" ||
  fail "mpirun --format json: $(cat "$work/j.err")"
cmp -s "$work/full.json" "$work/j.json" || fail "mpirun --format json: table differs"
grep -qx "run file: $work/j.h5 (ranks: 2)" "$work/j.err" || fail "json summary on stderr: $(cat "$work/j.err")"

# ---- ranks that kept only some episodes, then --resume on other ranks ----
mpi 3 "$arena_mpi" run "$work/t.json" -o "$work/p.h5" --episodes 0-4,9 --quiet 2>"$work/p.err" ||
  fail "mpirun --episodes: $(cat "$work/p.err")"
[ -e "$work/p.h5" ] && fail "a partial run wrote the run file"
n_sh=$(ls "$work"/p.h5.shard-* 2>/dev/null | wc -l)
[ "$n_sh" = 3 ] || fail "expected 3 shards, found $n_sh"
mpi 2 "$arena_mpi" run "$work/t.json" -o "$work/p.h5" --resume --quiet 2>"$work/p.err" ||
  fail "mpirun --resume: $(cat "$work/p.err")"
cmp -s "$work/full.h5" "$work/p.h5" || fail "resumed run file differs"
ls "$work"/p.h5.shard-* >/dev/null 2>&1 && fail "--resume left shards behind"
# the shards of a run can also be merged offline
mpi 2 "$arena_mpi" run "$work/t.json" -o "$work/s.h5" --episodes 0-5 --quiet 2>/dev/null
mpi 3 "$arena_mpi" run "$work/t.json" -o "$work/u.h5" --episodes 6-11 --quiet 2>/dev/null
"$arena" merge "$work"/s.h5.shard-* "$work"/u.h5.shard-* -o "$work/mg.h5" --quiet || fail "arena merge"
cmp -s "$work/full.h5" "$work/mg.h5" || fail "merged shards differ"

# ---- LLM limits are shared: max_concurrent 2 cannot go to 3 ranks ----
cat >"$work/l.json" <<'JSON'
{"name": "l", "market": {"data": "m.h5", "start": "2025-01-01T04:00:00Z", "end": "2025-01-01T06:00:00Z"},
 "cadence": "1h", "baselines": [],
 "agents": [{"name": "g", "kind": "llm", "provider": "openai", "model": "m", "base_url": "http://127.0.0.1:9/v1",
             "max_concurrent": 2, "rpm": 60, "timeout_s": 1, "max_retries": 0}]}
JSON
mpi 3 "$arena_mpi" run "$work/l.json" -o "$work/l.h5" --quiet 2>"$work/l.err"
[ $? != 0 ] || fail "max_concurrent 2 on 3 ranks should be refused"
grep -q "max_concurrent 2 cannot be shared by 3 processes" "$work/l.err" || fail "limit message: $(cat "$work/l.err")"

[ "$fails" = 0 ] && echo "cli_mpi: ok"
exit $((fails > 0))
