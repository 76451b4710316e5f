#!/usr/bin/env bash
# tests/cli_serve.sh ARENA_BINARY SOURCE_DIR - live run files and `arena serve`:
# a writer (test_live_store --writer, in the build dir) appends to a live run
# file every 200 ms while `arena serve` runs; the page, loaded twice in
# headless Chromium, shows a different league table each time; the websocket
# upgrade answers 101 and pushes a snapshot; a finished run gets the same page.
# A writer killed with SIGKILL leaves a file `arena table` reads at once and
# that h5dump reads after `h5clear -s`. The Chromium part is skipped with a
# SKIP line when chromium is not installed. Everything binds 127.0.0.1 and is
# bounded by timeout. cwd is the build dir.
set -u
arena=$1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
writer=$PWD/test_live_store
[ -x "$writer" ] || { echo "SKIP: $writer not built"; exit 0; }
work=$(mktemp -d "$PWD/cli_serve.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# ---- crash: kill -9 mid-run, read at once ----------------------------------
"$writer" --writer "$work/crash.h5" 100 30 & wp=$!
sleep 1.5
kill -9 $wp; wait $wp 2>/dev/null
timeout --foreground -k 10 20 "$arena" table "$work/crash.h5" --format csv >"$work/crash.csv" 2>"$work/crash.err" || fail "table of a crashed file: $(cat "$work/crash.err")"
grep -q '^1,' "$work/crash.csv" || fail "no rows for the crashed file"
if command -v h5dump >/dev/null && command -v h5clear >/dev/null; then
  cp "$work/crash.h5" "$work/crash2.h5"
  timeout -k 5 30 h5dump -H "$work/crash2.h5" >/dev/null 2>&1 && echo "note: h5dump opened a crashed file without h5clear"
  timeout -k 5 30 h5clear -s "$work/crash2.h5" || fail "h5clear -s"
  timeout -k 5 30 h5dump -H "$work/crash2.h5" >/dev/null 2>&1 || fail "h5dump after h5clear -s"
fi

# ---- live: writer + serve ----------------------------------------------------
timeout --foreground -k 10 60 "$writer" --writer "$work/done.h5" 50 1 || fail "writer of a finished run"
"$writer" --writer "$work/live.h5" 200 90 & pids+=($!)
for _ in $(seq 50); do [ -s "$work/live.h5" ] && break; sleep 0.1; done
timeout --foreground -k 10 40 "$arena" serve "$work/live.h5" --port 0 >"$work/serve.log" 2>&1 & pids+=($!)
port=
for _ in $(seq 50); do port=$(sed -n 's/.*127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/serve.log"); [ -n "$port" ] && break; sleep 0.1; done
[ -n "$port" ] || { fail "serve did not start: $(cat "$work/serve.log")"; exit 1; }
url=http://127.0.0.1:$port/
# bound to 127.0.0.1 alone (libwebsockets binds the IPv6 wildcard for an
# IPv4 interface unless told not to): the port once, at 0100007F, listening
hex=$(printf '%04X' "$port")
where=$(awk -v h=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == h {print $2}' /proc/net/tcp /proc/net/tcp6 2>/dev/null | tr '\n' ' ')
[ "$where" = "0100007F:$hex " ] || fail "serve's listening sockets on port $port: '$where'"
# a busy port: one line, the reason, exit 1
timeout --foreground -k 10 20 "$arena" serve "$work/live.h5" --port "$port" >/dev/null 2>"$work/busy.err"
rc=$?
[ $rc = 1 ] && [ "$(wc -l <"$work/busy.err")" = 1 ] && grep -q "cannot listen on 127.0.0.1:$port: Address already in use" "$work/busy.err" ||
  fail "serve on a busy port: rc=$rc $(head -c 300 "$work/busy.err")"
curl -s --max-time 5 "$url" -o "$work/page.html" || fail "GET /"
grep -q '<table\|id="runs"' "$work/page.html" || fail "page has no runs container"
grep -q '"runs":\[{"file":"live.h5"' "$work/page.html" || fail "page has no inlined snapshot"
curl -s --max-time 5 "${url}nope" -o /dev/null -w '%{http_code}' | grep -q 404 || fail "unknown path is not 404"
# websocket: 101 and a pushed snapshot frame
curl -si -N --max-time 3 -H "Connection: Upgrade" -H "Upgrade: websocket" -H "Sec-WebSocket-Version: 13" \
  -H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" -H "Sec-WebSocket-Protocol: arena" "${url}ws" >"$work/ws.out" 2>/dev/null
head -1 "$work/ws.out" | grep -q ' 101 ' || fail "websocket upgrade: $(head -1 "$work/ws.out")"
grep -aq '"runs":\[' "$work/ws.out" || fail "no snapshot pushed over the websocket"

chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
dump() {
  timeout -k 10 40 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d "$work/chrome.XXXXXX")" --virtual-time-budget=3000 --dump-dom "$1" 2>/dev/null
}
final_cells() { grep -o '<td class="n final">[^<]*</td>' "$1" | tr '\n' ' '; }
if [ -z "$chrome" ]; then
  echo "SKIP: chromium not installed (apt-get install -y chromium): browser checks skipped"
else
  # a loaded machine can make one Chromium run fail: up to 3 tries per load
  load() { for _ in 1 2 3; do dump "$url" >"$1"; [ -n "$(final_cells "$1")" ] && return; done; }
  load "$work/dom1.html"
  sleep 2
  load "$work/dom2.html"
  a=$(final_cells "$work/dom1.html"); b=$(final_cells "$work/dom2.html")
  [ -n "$a" ] && [ -n "$b" ] || fail "no league table rendered in Chromium"
  [ "$a" != "$b" ] || fail "league table did not change while the run was written ($a)"
  grep -q '<path d="M[0-9]' "$work/dom2.html" || fail "no equity curve in Chromium"
  grep -q 'class="decisions"' "$work/dom2.html" || fail "no decisions table"
fi

# ---- the writer stops: within a few seconds the page says finished ---------
curl -s --max-time 5 "${url}snapshot.json" -o "$work/snap1.json" || fail "GET snapshot.json"
grep -q '"live":1' "$work/snap1.json" || fail "a run being written is not shown as live: $(head -c 300 "$work/snap1.json")"
kill "${pids[0]}" 2>/dev/null
for _ in $(seq 40); do # live means written in the last 3 s (whole seconds, polled each second)
  sleep 0.25
  curl -s --max-time 5 "${url}snapshot.json" -o "$work/snap2.json"
  grep -q '"live":0' "$work/snap2.json" && break
done
grep -q '"live":0' "$work/snap2.json" || fail "a run that stopped is still shown as live: $(head -c 300 "$work/snap2.json")"

# ---- finished run: same page, static ----------------------------------------
timeout --foreground -k 10 20 "$arena" table "$work/done.h5" --format csv >/dev/null || fail "table of the closed live file"
if command -v h5dump >/dev/null; then timeout -k 5 30 h5dump -H "$work/done.h5" >/dev/null 2>&1 || fail "h5dump of a cleanly closed live file"; fi
mkdir "$work/dir" && cp "$work/done.h5" "$work/dir/a.h5" && cp "$work/crash.h5" "$work/dir/b.h5" && echo x >"$work/dir/junk.h5"
timeout --foreground -k 10 20 "$arena" serve "$work/dir" --port 0 >"$work/serve2.log" 2>&1 & pids+=($!)
port=
for _ in $(seq 50); do port=$(sed -n 's/.*127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/serve2.log"); [ -n "$port" ] && break; sleep 0.1; done
curl -s --max-time 5 "http://127.0.0.1:$port/snapshot.json" -o "$work/dir.json" || fail "GET snapshot of DIR"
grep -q '"file":"a.h5"' "$work/dir.json" && grep -q '"file":"b.h5"' "$work/dir.json" || fail "DIR: runs missing"
if [ -n "$chrome" ]; then
  dump "http://127.0.0.1:$port/" >"$work/dom3.html"
  [ "$(grep -c 'class="league"' "$work/dom3.html")" -ge 1 ] || fail "finished runs: no table in Chromium"
fi
kill -INT "${pids[2]}" 2>/dev/null; wait "${pids[2]}"; rc=$?
[ $rc -eq 0 ] || fail "serve did not stop cleanly on SIGINT (exit $rc)"

# ---- a name that is HTML inside the inlined snapshot ---------------------------
# '<!--<script>' in a script element would swallow the rest of the page; every
# '<' of the snapshot is written \u003c, and the table renders with the name
"$arena" data synth -o "$work/m.h5" --symbols BTC --days 1 --seed 2 >/dev/null
cat >"$work/inj.json" <<'JSON'
{"name": "inj", "market": {"data": "m.h5"}, "cadence": "1h", "baselines": ["flat"],
 "agents": [{"name": "<!--<script>", "strategy": "sma_cross", "params": {"fast": 2, "slow": 4}}]}
JSON
timeout -k 5 60 "$arena" run "$work/inj.json" -o "$work/inj.h5" --quiet >/dev/null 2>"$work/inj.err" || fail "run inj: $(cat "$work/inj.err")"
timeout --foreground -k 10 30 "$arena" serve "$work/inj.h5" --port 0 >"$work/serve3.log" 2>&1 & sp=$!
port=
for _ in $(seq 50); do port=$(sed -n 's/.*127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/serve3.log"); [ -n "$port" ] && break; sleep 0.1; done
curl -s --max-time 5 "http://127.0.0.1:$port/" -o "$work/inj.html" || fail "GET / of inj"
grep -q '\\u003c!--\\u003cscript>' "$work/inj.html" || fail "the name is not escaped in the inlined snapshot"
grep -q '<!--<script>' "$work/inj.html" && fail "a raw '<!--<script>' in the page"
if [ -n "$chrome" ]; then
  for _ in 1 2 3; do dump "http://127.0.0.1:$port/" >"$work/dom4.html"; grep -q 'class="league"' "$work/dom4.html" && break; done
  grep -q 'class="league"' "$work/dom4.html" && grep -q '&lt;!--&lt;script&gt;' "$work/dom4.html" ||
    fail "a run with an HTML-like agent name: no table, or the name not shown as text"
fi
kill -INT $sp 2>/dev/null; wait $sp 2>/dev/null

[ $fails -eq 0 ] && echo "cli_serve: all passed"
exit $((fails > 0))
