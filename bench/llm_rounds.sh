#!/usr/bin/env bash
# bench/llm_rounds.sh [BUILD_DIR] - six LLM agents against the fake provider
# server (tests/llm_server.py, loopback) with answer latencies spread over
# 50-400 ms, 200 decisions: prints the mean round time against the slowest
# answer (400 ms). A round should cost the slowest answer, not the sum.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
arena=$build/arena
out=$here/out
mkdir -p "$out"
cd "$out"
python3 "$here/../tests/llm_server.py" 0 --idle 300 >port &
srv=$!
trap 'kill $srv 2>/dev/null' EXIT
for _ in $(seq 1 100); do [ -s port ] && break; sleep 0.05; done
base="http://127.0.0.1:$(head -1 port)/v1"
[ -f m_llm.h5 ] || "$arena" data synth -o m_llm.h5 --symbols BTC,ETH --days 2 --seed 9 >/dev/null
hold='%5B%7B%22signal%22%3A%22hold%22%7D%5D'
agents=""
for d in 50 120 190 260 330 400; do
  agents="$agents{\"name\": \"m$d\", \"kind\": \"llm\", \"provider\": \"openai\", \"model\": \"script;delay=$d;answer=$hold\", \"base_url\": \"$base\"},"
done
cat >llm.json <<JSON
{"name": "llm-rounds", "market": {"data": "m_llm.h5", "start": "2025-01-01T06:00:00Z"},
 "cadence": "1m", "baselines": [], "agents": [${agents%,}]}
JSON
# 200 decisions: end = start + 200 minutes
sed -i 's/"start": "2025-01-01T06:00:00Z"/"start": "2025-01-01T06:00:00Z", "end": "2025-01-01T09:20:00Z"/' llm.json
t0=$(date +%s.%N)
"$arena" run llm.json -o llm.h5 --quiet
t1=$(date +%s.%N)
python3 - "$t0" "$t1" <<'PY'
import sys
t = float(sys.argv[2]) - float(sys.argv[1])
r = t / 200 * 1000
print(f"200 rounds in {t:.2f} s: {r:.1f} ms per round; slowest answer 400 ms; "
      f"ratio {r / 400:.3f} (sum of the six delays would be 1350 ms)")
PY
