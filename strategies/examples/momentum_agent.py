#!/usr/bin/env python3
"""strategies/examples/momentum_agent.py - an external arena agent.

A minimal momentum rule on the intraday series of each coin
(observation["market"][coin]["series"]["mid"], the last 10 points at the
decision cadence):

  - flat and the last mid is above the first by more than --enter-bps:
    buy_to_enter, sized to --fraction of the free cash split evenly over
    the coins (leverage 1), with a
    profit target and a stop loss around the price;
  - long and the last mid is below the first (the move turned): close;
  - otherwise hold.

Two ways to run it (Python standard library only):

  exec:  momentum_agent.py [--enter-bps B] [--fraction F]
         reads one observation JSON per line on stdin, writes one answer
         JSON line per observation on stdout (flushed), until EOF.
  http:  momentum_agent.py --http PORT [--idle S] [...]
         serves the same rule on 127.0.0.1:PORT: POST the observation, the
         response body is the answer (400 with [] when the body is not an
         observation). PORT 0 picks a free port, printed as
         the first stdout line. Exits after S idle seconds (default: never).

The protocol is described in strategies/examples/README.md. Anything this
agent wants to say goes to stderr: stdout carries answers only.
"""
import argparse
import json
import sys
import threading
import time


def decide(obs, enter_bps=5.0, fraction=0.2):
    """The answer (a list of actions) for one observation dict."""
    actions = []
    account = obs.get("account") or {}
    cash = account.get("cash") or 0.0
    held = {p.get("coin"): p.get("quantity") or 0.0 for p in account.get("positions") or []}
    coins = obs.get("coins") or []
    for coin in coins:
        m = (obs.get("market") or {}).get(coin) or {}
        mids = [x for x in ((m.get("series") or {}).get("mid") or []) if isinstance(x, (int, float))]
        price = m.get("price")
        qty = held.get(coin, 0.0)
        if len(mids) < 2 or not mids[0] or not price:
            actions.append({"signal": "hold", "coin": coin, "justification": "not enough data"})
            continue
        move_bps = (mids[-1] / mids[0] - 1.0) * 1e4
        if qty == 0 and move_bps > enter_bps and cash > 0:
            size = round(cash * fraction / len(coins) / price, 6)
            if size > 0:
                actions.append({
                    "signal": "buy_to_enter", "coin": coin, "quantity": size, "leverage": 1,
                    "profit_target": round(price * 1.03, 6), "stop_loss": round(price * 0.98, 6),
                    "confidence": 0.6, "risk_usd": round(size * price * 0.02, 2),
                    "invalidation_condition": "momentum turns negative",
                    "justification": "up %.1f bps over the series" % move_bps,
                })
                continue
        if qty > 0 and move_bps < 0:
            actions.append({"signal": "close", "coin": coin,
                            "justification": "momentum turned (%.1f bps)" % move_bps})
            continue
        actions.append({"signal": "hold", "coin": coin})
    return actions


def answer_text(line, enter_bps, fraction):
    """(ok, answer) for one observation text: the answer is one line (no
    newline); ok is False when the observation could not be read, and the
    answer is then an empty list (hold everything). Never raises."""
    try:
        obs = json.loads(line)
        if not isinstance(obs, dict):
            raise ValueError("the observation is not an object")
        return True, json.dumps(decide(obs, enter_bps, fraction), separators=(",", ":"))
    except Exception as exc:  # a bad observation: say so on stderr, hold
        print("momentum_agent: %s" % exc, file=sys.stderr)
        return False, "[]"


def run_exec(args):
    for line in sys.stdin:
        if not line.strip():
            continue
        sys.stdout.write(answer_text(line, args.enter_bps, args.fraction)[1] + "\n")
        sys.stdout.flush()


def run_http(args):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    last = [time.monotonic()]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            last[0] = time.monotonic()
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n).decode("utf-8", "replace") if n > 0 else ""
            ok, text = answer_text(body, args.enter_bps, args.fraction)
            out = text.encode()
            self.send_response(200 if ok else 400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, fmt, *a):  # quiet
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", args.http), Handler)
    srv.daemon_threads = True
    print(srv.server_address[1], flush=True)
    if args.idle > 0:
        def watchdog():
            while time.monotonic() - last[0] < args.idle:
                time.sleep(0.2)
            srv.shutdown()
        threading.Thread(target=watchdog, daemon=True).start()
    try:
        srv.serve_forever(poll_interval=0.1)
    finally:
        srv.server_close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--enter-bps", type=float, default=5.0, help="entry threshold (default 5)")
    ap.add_argument("--fraction", type=float, default=0.2,
                    help="fraction of the free cash to invest, split over the coins (default 0.2)")
    ap.add_argument("--http", type=int, metavar="PORT", help="serve over HTTP on 127.0.0.1:PORT")
    ap.add_argument("--idle", type=float, default=0, help="http: exit after this many idle seconds")
    args = ap.parse_args()
    try:
        if args.http is not None:
            run_http(args)
        else:
            run_exec(args)
    except (KeyboardInterrupt, BrokenPipeError):
        pass


if __name__ == "__main__":
    main()
