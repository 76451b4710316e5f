#!/usr/bin/env bash
# tests/cli_report.sh ARENA_BINARY SOURCE_DIR - `arena report` as a person
# would use it: a builtin tournament and a run with an exec agent that answers
# "<script>alert(1)</script>" become HTML pages that load nothing from
# elsewhere, escape the untrusted text, show the same league numbers as
# `arena table`, come out byte-identical twice, and render in headless
# Chromium (SVG paths in the DOM, no console errors). The Chromium part is
# skipped with a SKIP line when chromium is not installed (Debian package
# chromium, in scripts/deps.sh). cwd is the build dir.
set -u
arena=$1
src=$2
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
work=$(mktemp -d "$PWD/cli_report.XXXXXX")
trap 'rm -rf "$work"' EXIT
py=$(command -v python3 || true)

"$arena" data synth -o "$work/m.h5" --symbols BTC,ETH --days 2 --seed 1 >/dev/null || fail "synth"
cat >"$work/cfg.json" <<'JSON'
{"name": "report-test", "seed": 5, "market": {"data": "m.h5", "start": "2025-01-01T06:00:00Z"},
 "cadence": "5m", "execution": {"fees": {"taker_bps": 5}, "slippage": {"model": "fixed", "bps": 2}},
 "baselines": ["flat", "buy_hold", "random"],
 "agents": [{"name": "sma", "kind": "builtin", "strategy": "sma_cross", "params": {"fast": 5, "slow": 20}},
            {"name": "mom<b>&amp;", "kind": "builtin", "strategy": "momentum", "params": {"lookback": 30}}]}
JSON
"$arena" run "$work/cfg.json" -o "$work/run.h5" >/dev/null 2>"$work/run.err" || fail "run: $(cat "$work/run.err")"
cat >"$work/ext.json" <<'JSON'
{"name": "report-ext", "seed": 2, "market": {"data": "m.h5", "start": "2025-01-01T04:00:00Z", "end": "2025-01-01T10:00:00Z"},
 "cadence": "15m", "baselines": ["buy_hold"],
 "agents": [{"name": "evil", "kind": "exec", "timeout_s": 5,
             "command": ["sh", "-c", "while read l; do echo '[{\"signal\":\"hold\",\"coin\":\"BTC\",\"justification\":\"<script>alert(1)</script> & </pre>\"}]'; done"]},
            {"name": "sma", "kind": "builtin", "strategy": "sma_cross"}]}
JSON
"$arena" run "$work/ext.json" -o "$work/ext.h5" >/dev/null 2>"$work/ext.err" || fail "ext run: $(cat "$work/ext.err")"

# ---- the command ------------------------------------------------------------
"$arena" report "$work/run.h5" -o "$work/report.html" 2>"$work/rep.err" || fail "report: $(cat "$work/rep.err")"
"$arena" report "$work/run.h5" -o "$work/again.html" || fail "second report"
cmp -s "$work/report.html" "$work/again.html" || fail "two reports of one run differ"
"$arena" report "$work/ext.h5" -o "$work/ext.html" 2>"$work/rep2.err" || fail "ext report: $(cat "$work/rep2.err")"
ls "$work" | grep -q 'tmp-' && fail "tmp file left behind"
grep -q '<tr><th>seeds</th><td>5</td></tr>' "$work/report.html" || fail "report: the config's seed not shown"
# the same name in a Markdown table: shown literally by a renderer (HTML as entities)
"$arena" table "$work/run.h5" --format md | grep -qF '| mom&lt;b&gt;&amp;amp; |' || fail "md table: the name's HTML is not escaped"
# seeds as a count and as a list: shown as the run used them, not as seed 1
for spec in '2|1 to 2' '[3, 9]|3, 9'; do
  sed "s/\"seed\": 5/\"seeds\": ${spec%%|*}/" "$work/cfg.json" >"$work/seeds.json"
  "$arena" run "$work/seeds.json" -o "$work/seeds.h5" --quiet >/dev/null 2>&1 && "$arena" report "$work/seeds.h5" -o "$work/seeds.html" ||
    fail "report of seeds ${spec%%|*}"
  grep -q "<tr><th>seeds</th><td>${spec##*|}</td></tr>" "$work/seeds.html" || fail "report: seeds ${spec%%|*} not shown as ${spec##*|}"
done

for h in report ext; do
  f=$work/$h.html
  [ -s "$f" ] || { fail "$h.html empty"; continue; }
  grep -qiE '(src|href|xlink:href)[[:space:]]*=[[:space:]]*["'\'']?[[:space:]]*(https?:)?//' "$f" && fail "$h.html references a remote resource"
  grep -qiE '<script|<link|<img|<iframe|@import|url\(' "$f" && fail "$h.html has a script or external resource element"
  grep -q '<svg' "$f" || fail "$h.html has no svg"
  grep -qE '<path class="line"[^>]* d="M[0-9]' "$f" || fail "$h.html has no curve path"
done
grep -q '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;/pre&gt;' "$work/ext.html" || fail "exec answer not shown escaped"
grep -q '<script>alert' "$work/ext.html" && fail "unescaped <script>alert in the page"
grep -q 'mom&lt;b&gt;&amp;amp;' "$work/report.html" || fail "agent name with markup not escaped"
grep -q 'mom<b>' "$work/report.html" && fail "agent name with markup raw in the page"
for a in sma buy_hold flat random; do grep -q ">$a<" "$work/report.html" || fail "agent $a missing"; done
grep -q '>evil<' "$work/ext.html" || fail "exec agent missing"
grep -q 'Decision log' "$work/ext.html" || fail "no decision log for the exec agent"
grep -q '<details><summary>prompt</summary>' "$work/ext.html" || fail "no prompt details"
grep -q 'Round trips' "$work/report.html" || fail "no trades table"
grep -q '5 bps' "$work/report.html" || fail "config fees missing"
grep -q 'data_sha256' "$work/report.html" || fail "manifest missing"
grep -q '2025-01-01T06:00:00Z' "$work/report.html" || fail "window start missing"

# league numbers as `arena table` shows them, and structure
if [ -n "$py" ]; then
  "$arena" table "$work/run.h5" --format json >"$work/table.json" || fail "table json"
  "$py" "$src/tests/report_check.py" "$work/report.html" "$work/table.json" || fail "report_check run.h5"
  "$arena" table "$work/ext.h5" --format json >"$work/table2.json" || fail "table json ext"
  "$py" "$src/tests/report_check.py" "$work/ext.html" "$work/table2.json" || fail "report_check ext.h5"
else
  echo "SKIP: python3 not available, structure checks skipped"
fi

# ---- errors -------------------------------------------------------------------
"$arena" report >/dev/null 2>&1; [ $? = 2 ] || fail "no arguments: exit 2"
"$arena" report "$work/run.h5" >/dev/null 2>&1; [ $? = 2 ] || fail "no -o: exit 2"
"$arena" report "$work/run.h5" -o "$work/x.html" --bogus >/dev/null 2>&1; [ $? = 2 ] || fail "unknown option: exit 2"
"$arena" report --help | grep -q 'usage: arena report' || fail "--help"
"$arena" report "$work/nope.h5" -o "$work/x.html" 2>"$work/e1"; rc=$?
[ $rc = 1 ] || fail "missing run file: exit $rc"
grep -q "^arena report: $work/nope.h5" "$work/e1" || fail "missing run file message: $(cat "$work/e1")"
[ "$(wc -l <"$work/e1")" = 1 ] || fail "error is not one line"
"$arena" report "$work/run.h5" -o "$work/no/such/dir/r.html" 2>"$work/e2"; rc=$?
[ $rc = 1 ] || fail "unwritable output: exit $rc"
grep -q "^arena report: $work/no/such/dir/r.html: " "$work/e2" || fail "unwritable output message: $(cat "$work/e2")"
"$arena" report "$work/run.h5" "$work/ext.h5" -o "$work/x.html" 2>"$work/e3"; rc=$?
[ $rc = 1 ] || fail "runs of different tournaments: exit $rc"
grep -q "^arena report: $work/ext.h5: runs differ in" "$work/e3" || fail "mismatch message: $(cat "$work/e3")"
[ -e "$work/x.html" ] && fail "a failed report left a file"

# ---- headless Chromium --------------------------------------------------------
chrome=""
for c in chromium chromium-browser; do
  if command -v "$c" >/dev/null 2>&1; then chrome=$(command -v "$c"); break; fi
done
if [ -z "$chrome" ]; then
  echo "SKIP: chromium not installed (Debian package chromium); browser checks skipped"
else
  flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
         --disable-component-update --disable-sync --disable-extensions --host-resolver-rules="MAP * ~NOTFOUND"
         --enable-logging=stderr --v=0)
  for h in report ext; do
    prof=$(mktemp -d "$work/prof.XXXXXX")
    timeout -k 10 60 "$chrome" "${flags[@]}" --user-data-dir="$prof" --dump-dom "file://$work/$h.html" \
      >"$work/$h.dom" 2>"$work/$h.chrome.err"
    rc=$?
    [ $rc = 0 ] || fail "chromium --dump-dom $h: exit $rc: $(tail -3 "$work/$h.chrome.err")"
    n=$(grep -o '<path [^>]*d="M[0-9][^"]*"' "$work/$h.dom" | wc -l)
    [ "$n" -gt 0 ] || fail "$h: no rendered svg path with a d attribute in the DOM"
    grep -q '<path[^>]* d=""' "$work/$h.dom" && fail "$h: an svg path with an empty d"
    grep -qiE 'Uncaught|CONSOLE|Content Security Policy|Refused to' "$work/$h.chrome.err" \
      && fail "$h: console errors: $(grep -iE 'Uncaught|CONSOLE|Content Security Policy|Refused to' "$work/$h.chrome.err" | head -3)"
    grep -qi '<script' "$work/$h.dom" && fail "$h: a script element in the rendered DOM"
  done
  grep -q '&lt;script&gt;alert(1)' "$work/ext.dom" || fail "ext: escaped answer not in the rendered DOM"
  prof=$(mktemp -d "$work/prof.XXXXXX")
  timeout -k 10 60 "$chrome" "${flags[@]}" --user-data-dir="$prof" --hide-scrollbars --window-size=1400,2000 \
    --screenshot="$work/shot.png" "file://$work/report.html" >/dev/null 2>"$work/shot.err"
  rc=$?
  [ $rc = 0 ] && [ -s "$work/shot.png" ] || fail "screenshot: exit $rc: $(tail -3 "$work/shot.err")"
  # Keep the picture for people (the lead looks at it); not part of the result.
  if [ -n "${ARENA_REPORT_SHOT:-}" ] && [ -s "$work/shot.png" ]; then cp "$work/shot.png" "$ARENA_REPORT_SHOT"; fi
  if [ -n "${ARENA_REPORT_KEEP:-}" ]; then cp "$work/report.html" "$work/ext.html" "$ARENA_REPORT_KEEP"/; fi
fi

if [ $fails -gt 0 ]; then
  echo "cli_report: $fails failure(s)"
  exit 1
fi
echo "cli_report: ok"
