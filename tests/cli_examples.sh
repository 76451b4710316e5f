#!/usr/bin/env bash
# tests/cli_examples.sh ARENA_BINARY SOURCE_DIR - every config in examples/
# is valid: checked with `arena run --check` against a small generated
# market placed where the examples expect the demo's data (7 days, as demo.sh
# makes it: --check lays out the windows too).
set -u
arena=$1
src=$2
work=$(mktemp -d cli_examples.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/examples" "$work/demo"
"$arena" data synth -o "$work/demo/market.h5" --symbols BTC,ETH,SOL,BNB,DOGE,XRP --days 7 --seed 1 >/dev/null
fails=0
# --check also insists on the API keys the config names: give it stand-ins.
export OPENAI_API_KEY=x ANTHROPIC_API_KEY=x GEMINI_API_KEY=x DEEPSEEK_API_KEY=x XAI_API_KEY=x DASHSCOPE_API_KEY=x
for f in "$src"/examples/*.json; do
  cp "$f" "$work/examples/"
  out=$("$arena" run "$work/examples/$(basename "$f")" --check 2>&1)
  case "$out" in
    *": ok: "*) ;;
    *) echo "FAIL: $(basename "$f"): $out"; fails=$((fails + 1)) ;;
  esac
done
# live configs (examples/live/): `arena live --check`
for f in "$src"/examples/live/*.json; do
  out=$("$arena" live "$f" --check 2>&1)
  case "$out" in
    *": ok: "*) ;;
    *) echo "FAIL: live/$(basename "$f"): $out"; fails=$((fails + 1)) ;;
  esac
done
echo "cli_examples: $fails failed"
[ $fails = 0 ]
