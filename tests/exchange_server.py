#!/usr/bin/env python3
"""tests/exchange_server.py - a local stand-in for the Binance, Bybit and
Hyperliquid REST endpoints that `arena data fetch` uses (python3 stdlib only).

It serves real bars from CSV files (../shared/market-data) in each exchange's
own response shape, plus a deterministic funding series, on 127.0.0.1 only,
and exits after --idle seconds without a request.

  exchange_server.py --port-file F --data EXCH:SYMBOL:CSV [--data ...]
                     [--keep FROM_MS:TO_MS] [--faults] [--die-after N]
                     [--delay S] [--log FILE] [--idle S]

--faults, counted over kline requests: the 2nd answers 429 with Retry-After: 1,
the 3rd (Bybit) retCode 10006, the 4th an empty page, the 5th drops the
connection without an answer (counted per exchange). --die-after N exits
after N kline requests
(an exchange that goes away mid-fetch). Every request is logged as one line
"METHOD PATH?QUERY BODY" to --log.
"""
import argparse
import datetime
import gzip
import json
import math
import os
import socket
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

IVS = {"1m": 60000, "3m": 180000, "5m": 300000, "15m": 900000, "30m": 1800000, "1h": 3600000}
BYBIT_IVS = {"1": 60000, "3": 180000, "5": 300000, "15": 900000, "30": 1800000, "60": 3600000}


def load_csv(path, keep):
    opener = gzip.open if path.endswith(".gz") else open
    rows = []
    with opener(path, "rt") as f:
        header = f.readline().strip().split(",")
        ix = {h.lower(): i for i, h in enumerate(header)}
        for line in f:
            c = line.strip().split(",")
            if len(c) < 6:
                continue
            d = datetime.datetime.fromisoformat(c[ix["timestamp"]])
            if d.tzinfo is None:
                d = d.replace(tzinfo=datetime.timezone.utc)
            t = int(d.timestamp() * 1000)
            if keep and t < keep[0]:
                continue
            if keep and t >= keep[1]:
                break
            rows.append((t, c[ix["open"]], c[ix["high"]], c[ix["low"]], c[ix["close"]], c[ix["volume"]]))
    return rows


def funding_series(rows, step_ms, jitter, scale):
    """Deterministic funding instants covering the bars: rate from a sine."""
    if not rows:
        return []
    out = []
    k = rows[0][0] // step_ms
    while k * step_ms <= rows[-1][0]:
        out.append((k * step_ms + (k % 7 if jitter else 0), "%.8f" % (scale * (0.0001 + 0.00007 * math.sin(k)))))
        k += 1
    return out


class State:
    def __init__(self, a):
        self.a = a
        self.data = {}  # (exch, symbol) -> rows
        self.funding = {}
        self.klines = {}  # exchange -> kline requests so far
        self.last = time.monotonic()
        self.log = open(a.log, "a") if a.log else None


def make_handler(st):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = st.a.idle

        def log_message(self, *args):
            pass

        def reply(self, code, obj, headers=()):
            body = (obj if isinstance(obj, str) else json.dumps(obj)).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def fault(self, exch):
            """Apply the scripted faults to kline request number st.klines.
            Returns True when the request has been answered (or dropped)."""
            n = st.klines[exch] = st.klines.get(exch, 0) + 1
            if st.a.die_after and n > st.a.die_after:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                os._exit(0)
            if st.a.delay:
                time.sleep(st.a.delay)
            if not st.a.faults:
                return False
            if n == 2:
                msg = {"code": -1003, "msg": "Too many requests."} if exch == "binance" else "Too many requests"
                self.reply(429, msg, [("Retry-After", "1")])
                return True
            if n == 3 and exch == "bybit":
                self.reply(200, {"retCode": 10006, "retMsg": "Too many visits!", "result": {}, "time": 0})
                return True
            if n == 4:
                self.reply(200, {"retCode": 0, "retMsg": "OK", "result": {"category": "linear", "list": []}}
                           if exch == "bybit" else [])
                return True
            if n == 5:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return True
            return False

        def do_GET(self):
            st.last = time.monotonic()
            u = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(u.query))
            if st.log:
                st.log.write("GET %s\n" % self.path)
                st.log.flush()
            if u.path in ("/api/v3/klines", "/fapi/v1/klines"):
                return self.binance_klines(q)
            if u.path == "/fapi/v1/fundingRate":
                return self.binance_funding(q)
            if u.path == "/v5/market/kline":
                return self.bybit_klines(q)
            if u.path == "/v5/market/funding/history":
                return self.bybit_funding(q)
            self.reply(404, {"code": -1, "msg": "no such path"})

        def do_POST(self):
            st.last = time.monotonic()
            n = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(n).decode()
            if st.log:
                st.log.write("POST %s %s\n" % (self.path, raw))
                st.log.flush()
            try:
                req = json.loads(raw)
            except ValueError:
                return self.reply(422, "Failed to deserialize the JSON body into the target type")
            if self.path != "/info":
                return self.reply(404, "not found")
            if req.get("type") == "candleSnapshot":
                return self.hl_candles(req.get("req", {}))
            if req.get("type") == "fundingHistory":
                return self.hl_funding(req)
            self.reply(422, "Failed to deserialize the JSON body into the target type")

        def binance_klines(self, q):
            rows = st.data.get(("binance", q.get("symbol")))
            if rows is None:
                return self.reply(400, {"code": -1121, "msg": "Invalid symbol."})
            if IVS.get(q.get("interval")) != 60000:
                return self.reply(400, {"code": -1120, "msg": "Invalid interval."})
            if self.fault("binance"):
                return
            lim = min(int(q.get("limit", 500)), 1000)
            s, e = int(q.get("startTime", 0)), int(q.get("endTime", 1 << 62))
            out = [[r[0], r[1], r[2], r[3], r[4], r[5], r[0] + 59999, "0", 0, "0", "0", "0"]
                   for r in rows if s <= r[0] <= e][:lim]
            self.reply(200, out, [("X-MBX-USED-WEIGHT-1M", str(2 * st.klines.get("binance", 0)))])

        def binance_funding(self, q):
            rows = st.funding.get(("binance", q.get("symbol")))
            if rows is None:
                return self.reply(400, {"code": -1121, "msg": "Invalid symbol."})
            lim = min(int(q.get("limit", 100)), 1000)
            s, e = int(q.get("startTime", 0)), int(q.get("endTime", 1 << 62))
            out = [{"symbol": q["symbol"], "fundingTime": t, "fundingRate": r, "markPrice": "1.0"}
                   for t, r in rows if s <= t <= e][:lim]
            self.reply(200, out)

        def bybit_klines(self, q):
            rows = st.data.get(("bybit", q.get("symbol")))
            if rows is None:
                return self.reply(200, {"retCode": 10001, "retMsg": "params error: symbol invalid", "result": {}})
            if BYBIT_IVS.get(q.get("interval")) != 60000:
                return self.reply(200, {"retCode": 10001, "retMsg": "Invalid period!", "result": {}})
            if self.fault("bybit"):
                return
            lim = min(int(q.get("limit", 200)), 1000)
            s, e = int(q.get("start", 0)), int(q.get("end", 1 << 62))
            sel = [r for r in rows if s <= r[0] <= e][-lim:]
            out = [[str(r[0]), r[1], r[2], r[3], r[4], r[5], "0"] for r in reversed(sel)]
            self.reply(200, {"retCode": 0, "retMsg": "OK",
                             "result": {"category": q.get("category"), "symbol": q["symbol"], "list": out},
                             "retExtInfo": {}, "time": 0},
                       [("X-Bapi-Limit-Status", "599"), ("X-Bapi-Limit-Reset-Timestamp", "0")])

        def bybit_funding(self, q):
            rows = st.funding.get(("bybit", q.get("symbol")))
            if rows is None:
                return self.reply(200, {"retCode": 10001, "retMsg": "params error: symbol invalid", "result": {}})
            lim = min(int(q.get("limit", 200)), 200)
            s, e = int(q.get("startTime", 0)), int(q.get("endTime", 1 << 62))
            sel = [x for x in rows if s <= x[0] <= e][-lim:]
            out = [{"symbol": q["symbol"], "fundingRate": r, "fundingRateTimestamp": str(t)} for t, r in reversed(sel)]
            self.reply(200, {"retCode": 0, "retMsg": "OK", "result": {"category": "linear", "list": out}})

        def hl_candles(self, r):
            rows = st.data.get(("hyperliquid", r.get("coin")))
            if r.get("interval") not in IVS:
                return self.reply(422, "Failed to deserialize the JSON body into the target type")
            if rows is None:
                return self.reply(200, [])
            if self.fault("hyperliquid"):
                return
            s, e = int(r.get("startTime", 0)), int(r.get("endTime", 1 << 62))
            out = [{"t": x[0], "T": x[0] + 59999, "s": r["coin"], "i": r["interval"], "o": x[1], "c": x[4],
                    "h": x[2], "l": x[3], "v": x[5], "n": 1} for x in rows if s <= x[0] <= e][:5000]
            self.reply(200, out)

        def hl_funding(self, r):
            rows = st.funding.get(("hyperliquid", r.get("coin")), [])
            s, e = int(r.get("startTime", 0)), int(r.get("endTime", 1 << 62))
            out = [{"coin": r["coin"], "fundingRate": x[1], "premium": "0", "time": x[0]}
                   for x in rows if s <= x[0] <= e][:500]
            self.reply(200, out)

    return H


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--data", action="append", default=[])
    p.add_argument("--keep", default="")
    p.add_argument("--faults", action="store_true")
    p.add_argument("--die-after", type=int, default=0)
    p.add_argument("--delay", type=float, default=0)
    p.add_argument("--log", default="")
    p.add_argument("--idle", type=float, default=30)
    a = p.parse_args()
    st = State(a)
    keep = tuple(int(x) for x in a.keep.split(":")) if a.keep else None
    for d in a.data:
        exch, sym, path = d.split(":", 2)
        rows = load_csv(path, keep)
        st.data[(exch, sym)] = rows
        if exch == "hyperliquid":
            st.funding[(exch, sym)] = funding_series(rows, 3600000, False, 0.125)
        else:
            st.funding[(exch, sym)] = funding_series(rows, 8 * 3600000, exch == "binance", 1.0)
    srv = HTTPServer(("127.0.0.1", 0), make_handler(st))
    srv.timeout = 0.5
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(tmp, a.port_file)
    while time.monotonic() - st.last < a.idle:
        srv.handle_request()
    sys.exit(0)


if __name__ == "__main__":
    main()
