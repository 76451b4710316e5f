#!/usr/bin/env python3
"""tests/llm_server.py - a scripted fake of three LLM wire formats for tests.

Speaks OpenAI Chat Completions (POST .../chat/completions), Anthropic
Messages (POST .../v1/messages) and Gemini generateContent
(POST .../v1beta/models/MODEL:generateContent) on 127.0.0.1, validates the
fields the real services insist on, and behaves as scripted by the model
name, so that the C tests can exercise every retry path without a network.
Python standard library only.

    python3 tests/llm_server.py PORT [--log FILE] [--idle SECONDS]

PORT 0 picks a free port; the chosen port is printed as the first line of
stdout. The server exits by itself after --idle seconds (default 60) without
requests, so a crashed test can never leave it hanging CI.

Script = the model name: "script;key=value;key=value..." (";", "=" and ","
are safe in a URL path, so Gemini's model-in-the-path works too):
  id=NAME     attempts are counted per id (default: the whole model name)
  seq=A,B,..  behaviour of attempt 1, 2, ...; the last one repeats. Steps:
              ok, e429 (Retry-After: ra), rdelay (Gemini-style 429 with
              details[].retryDelay "<ra>s" and no header), quota (429 quota
              exhausted in the provider's own shape), e500, e503, e529
              (Anthropic overloaded_error), e400, e401, echokey (401 whose
              message echoes the key), echokeycut (the key after 290 bytes,
              where the client cuts error text), latin1 (503 whose body is
              an ISO-8859-1 page), hang (sleep `hang` ms, then answer),
              trunc (Content-Length larger than the body, then close),
              badjson (200 with a broken body), nofields (200, valid JSON
              without the answer fields), blocked (Gemini: no candidates;
              OpenAI: message.refusal; Anthropic: stop_reason refusal),
              big (200 with a 9 MiB body)
  delay=MS    sleep before answering (every step)
  answer=TXT  the answer text, percent-encoded (default {"actions":[]})
  ra=S        Retry-After seconds for e429/e503/rdelay (default 0; "none" = no header)
  tin=N tout=N tr=N  usage numbers (default: word counts, 0 reasoning)
  think=1     also return reasoning text (reasoning_content/reasoning,
              a thinking block, a thought part) that clients must ignore
  finish=F    the provider's own finish reason, verbatim
  reasoning=1 (OpenAI) reject max_tokens / temperature / top_p like o-series
  hang=MS     how long "hang" sleeps (default 10000)
  grp=NAME    count requests in flight per group: from the moment the request
              is read to just before its answer goes out (so never more than
              the client really had open); the log line gets "inflight", the
              group's count with this request included
  faults=P    random fault mix: each request independently, with probability
              P (0..1), gets a fault instead of its seq step, drawn uniformly
              from fsteps; deterministic: the draws hash (fseed, id, attempt
              number), so the same script gives the same faults on every run
              whatever the timing (attempts of one id are sequential)
  fseed=S     seed of the fault mix (default 1)
  fsteps=A,B  the faults to draw from (default e429,e500,e503,e529,trunc,
              badjson,nofields,blocked,hang; e429/e503 send Retry-After: ra,
              hang sleeps `hang` ms: set it above the client's timeout)

Every request is appended to --log as one JSON line
{"provider","method","path","headers":{...},"body":"raw text"} so tests can
check where the key went (only in the auth header) and what was sent; a
request that reached its script also has "id", "attempt" (from 1), "step"
and "fault" (true when the fault mix chose the step).
"""
import hashlib
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
COUNTS = {}
INFLIGHT = {}  # grp -> requests read and not yet answered
STATE = {"last": time.monotonic(), "active": 0, "log": None}


def parse_script(model):
    sc = {}
    if not model.startswith("script"):
        return sc
    for tok in model.split(";")[1:]:
        k, _, v = tok.partition("=")
        sc[k] = v
    return sc


FAULT_STEPS = "e429,e500,e503,e529,trunc,badjson,nofields,blocked,hang"


def fault_step(sc, key, k):
    """The fault mix's step for attempt k (0-based) of id key, or None."""
    p = float(sc.get("faults", "0") or 0)
    if p <= 0:
        return None
    h = hashlib.sha256(("%s|%s|%d" % (sc.get("fseed", "1"), key, k)).encode()).digest()
    if int.from_bytes(h[:8], "big") / 2.0 ** 64 >= p:
        return None
    steps = (sc.get("fsteps") or FAULT_STEPS).split(",")
    return steps[int.from_bytes(h[8:16], "big") % len(steps)]


def words(s):
    return len(s.split()) if isinstance(s, str) else 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-llm/1"

    def setup(self):
        super().setup()
        # Headers and body go out in two writes; without this, Nagle plus the
        # client's delayed ACK adds 40 ms to every answer on a reused connection.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    # ---- plumbing ----
    def leave(self):
        """This request stops counting in its group (before any answer byte goes out)."""
        grp = getattr(self, "grp", None)
        if grp is not None:
            self.grp = None
            with LOCK:
                INFLIGHT[grp] -= 1

    def send_json(self, status, obj, extra=None, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.leave()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            pass

    def error(self, prov, status, message, kind, extra=None, details=None):
        if prov == "openai":
            obj = {"error": {"message": message, "type": kind, "param": None,
                             "code": kind if kind in ("insufficient_quota", "rate_limit_exceeded") else None}}
        elif prov == "anthropic":
            obj = {"type": "error", "error": {"type": kind, "message": message},
                   "request_id": "req_test"}
        else:
            obj = {"error": {"code": status, "message": message, "status": kind}}
            if details is not None:
                obj["error"]["details"] = details
        self.send_json(status, obj, extra)

    def do_GET(self):
        self.send_json(404, {"error": {"message": "POST only", "type": "not_found"}})

    def do_POST(self):
        with LOCK:
            STATE["active"] += 1
            STATE["last"] = time.monotonic()
        self.grp = None
        try:
            self.handle_post()
        finally:
            self.leave()
            with LOCK:
                STATE["active"] -= 1
                STATE["last"] = time.monotonic()

    def handle_post(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        path = self.path.split("?", 1)[0]
        if path.endswith("/chat/completions"):
            prov, model = "openai", None
        elif path.endswith("/v1/messages"):
            prov, model = "anthropic", None
        elif "/v1beta/models/" in path and path.endswith(":generateContent"):
            prov = "gemini"
            model = path.split("/v1beta/models/", 1)[1][: -len(":generateContent")]
        else:
            prov, model = "unknown", None
        rec = {"provider": prov, "method": self.command, "path": self.path,
               "headers": {k: v for k, v in self.headers.items()},
               "body": raw.decode("utf-8", "replace")}
        self.handle_request(prov, model, raw, rec)

    @staticmethod
    def record_request(rec):
        """Append rec to --log (before the answer goes out, as a hang may never end)."""
        with LOCK:
            if STATE["log"]:
                with open(STATE["log"], "a", encoding="utf-8") as f:
                    f.write(json.dumps(rec) + "\n")

    def handle_request(self, prov, model, raw, rec):
        if prov == "unknown":
            self.record_request(rec)
            self.send_json(404, {"error": {"message": "no such endpoint", "type": "not_found"}})
            return
        try:
            req = json.loads(raw)
            if not isinstance(req, dict):
                raise ValueError("not an object")
        except ValueError:
            self.record_request(rec)
            self.error(prov, 400, "request body is not valid JSON", "invalid_request_error"
                       if prov != "gemini" else "INVALID_ARGUMENT")
            return
        if model is None:
            model = req.get("model") if isinstance(req.get("model"), str) else ""
        sc = parse_script(model)
        problem = self.validate(prov, req, sc)
        if problem:
            self.record_request(rec)
            self.error(prov, 400, problem, "invalid_request_error" if prov != "gemini" else "INVALID_ARGUMENT")
            return
        key = sc.get("id", model)
        with LOCK:
            k = COUNTS.get(key, 0)
            COUNTS[key] = k + 1
        seq = (sc.get("seq") or "ok").split(",")
        step = seq[min(k, len(seq) - 1)]
        fault = fault_step(sc, key, k)
        if fault is not None:
            step = fault
        rec.update({"id": key, "attempt": k + 1, "step": step, "fault": fault is not None})
        if sc.get("grp"):
            with LOCK:
                self.grp = sc["grp"]
                INFLIGHT[self.grp] = INFLIGHT.get(self.grp, 0) + 1
                rec.update({"grp": self.grp, "inflight": INFLIGHT[self.grp]})
        self.record_request(rec)
        delay = float(sc.get("delay", "0") or 0) / 1000.0
        if delay > 0:
            time.sleep(delay)
        self.run_step(prov, step, req, sc)

    # ---- validation like the real services ----
    def validate(self, prov, req, sc):
        if prov == "openai":
            msgs = req.get("messages")
            if not isinstance(req.get("model"), str) or not isinstance(msgs, list) or not msgs:
                return "model and messages are required"
            for m in msgs:
                if not isinstance(m, dict) or m.get("role") not in ("system", "developer", "user", "assistant"):
                    return "bad message role"
                if not isinstance(m.get("content"), str):
                    return "message content must be a string"
                if "reasoning_content" in m:
                    return "reasoning_content must not be sent back"
            if "max_tokens" in req and "max_completion_tokens" in req:
                return "max_tokens and max_completion_tokens are mutually exclusive"
            if sc.get("reasoning") == "1":
                for f in ("max_tokens", "temperature", "top_p"):
                    if f in req:
                        return "Unsupported parameter: '%s' is not supported with this model." % f
            rf = req.get("response_format")
            if rf is not None and (not isinstance(rf, dict) or rf.get("type") not in ("json_schema", "json_object", "text")):
                return "bad response_format"
        elif prov == "anthropic":
            if self.headers.get("anthropic-version") != "2023-06-01":
                return "anthropic-version header is required"
            if not self.headers.get("x-api-key"):
                return "x-api-key header is required"
            if not isinstance(req.get("max_tokens"), int) or req["max_tokens"] < 1:
                return "max_tokens: Field required"
            msgs = req.get("messages")
            if not isinstance(msgs, list) or not msgs or not isinstance(msgs[0], dict) or msgs[0].get("role") != "user":
                return "messages: first message must use the user role"
            if any(not isinstance(m, dict) or m.get("role") not in ("user", "assistant") for m in msgs):
                return "messages: roles must be user or assistant (system is top-level)"
            if "temperature" in req and "top_p" in req:
                return "temperature and top_p cannot both be specified for this model"
            t = req.get("temperature")
            if t is not None and not (isinstance(t, (int, float)) and 0 <= t <= 1):
                return "temperature: range 0..1"
        else:
            if not self.headers.get("x-goog-api-key"):
                return "API key not valid. Please pass a valid API key."
            known = {"contents", "systemInstruction", "generationConfig", "safetySettings", "tools", "toolConfig"}
            extra = set(req) - known
            if extra:
                return "Invalid JSON payload received. Unknown name \"%s\"" % sorted(extra)[0]
            cont = req.get("contents")
            if not isinstance(cont, list) or not cont:
                return "contents is not specified"
            for c in cont:
                if not isinstance(c, dict) or c.get("role") not in ("user", "model") or not isinstance(c.get("parts"), list):
                    return "contents: role must be user or model, parts a list"
            gc = req.get("generationConfig", {})
            okg = {"temperature", "topP", "topK", "maxOutputTokens", "seed", "responseMimeType",
                   "responseSchema", "responseJsonSchema", "thinkingConfig", "stopSequences", "candidateCount"}
            if not isinstance(gc, dict) or set(gc) - okg:
                return "generationConfig: unknown field"
            if "responseSchema" in gc and "responseJsonSchema" in gc:
                return "responseSchema and responseJsonSchema are mutually exclusive"
        return None

    # ---- behaviours ----
    def run_step(self, prov, step, req, sc):
        ra = sc.get("ra", "0")
        rah = {} if ra == "none" else {"Retry-After": ra}
        gem = prov == "gemini"
        if step == "e429":
            self.error(prov, 429, "Rate limit reached, slow down", "RESOURCE_EXHAUSTED" if gem else
                       ("rate_limit_error" if prov == "anthropic" else "rate_limit_exceeded"), rah)
        elif step == "rdelay":
            self.error("gemini", 429, "Quota exceeded for requests per minute", "RESOURCE_EXHAUSTED", None,
                       [{"@type": "type.googleapis.com/google.rpc.QuotaFailure",
                         "violations": [{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel"}]},
                        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "%ss" % ("0" if ra == "none" else ra)}])
        elif step == "quota":
            if prov == "openai":
                self.error(prov, 429, "You exceeded your current quota, please check your plan and billing details.",
                           "insufficient_quota", rah)
            elif prov == "anthropic":
                self.error(prov, 429, "enforced_spend_limit_reached: your workspace spend limit is reached",
                           "rate_limit_error", rah)
            else:
                self.error(prov, 429, "Quota exceeded for metric generate_content requests per day", "RESOURCE_EXHAUSTED", rah,
                           [{"@type": "type.googleapis.com/google.rpc.QuotaFailure",
                             "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]},
                            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0s"}])
        elif step in ("e500", "e503"):
            st = int(step[1:])
            self.error(prov, st, "The server had an error", "INTERNAL" if gem else "api_error",
                       rah if st == 503 else None)
        elif step == "e529":
            self.error(prov, 529, "Overloaded", "overloaded_error")
        elif step == "e400":
            self.error(prov, 400, "Invalid request", "INVALID_ARGUMENT" if gem else "invalid_request_error")
        elif step in ("e401", "echokey", "echokeycut"):
            msg = "Incorrect API key provided"
            if step != "e401":
                h = self.headers
                k = h.get("x-api-key") or h.get("x-goog-api-key") or (h.get("Authorization") or "").replace("Bearer ", "")
                msg = "Incorrect API key provided: %s. You can find your key at ..." % k
                if step == "echokeycut":  # the client's 300-byte cut lands inside the key
                    msg = "x" * 290 + k + " (end)"
            self.error(prov, 401, msg, "UNAUTHENTICATED" if gem else "authentication_error")
        elif step == "latin1":  # a proxy's error page, not JSON and not UTF-8
            body = "Service indisponible: réessayez plus tard. Été".encode("latin-1")
            self.send_response(503)
            self.send_header("Content-Type", "text/html; charset=iso-8859-1")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif step == "hang":
            time.sleep(float(sc.get("hang", "10000")) / 1000.0)
            self.answer(prov, req, sc)
        elif step == "trunc":
            body = json.dumps(self.answer_obj(prov, req, sc)).encode()
            self.leave()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) + 100))
            self.end_headers()
            try:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
            except OSError:
                pass
            self.close_connection = True
        elif step == "badjson":
            self.send_json(200, None, raw=b'{"choices": [{"message": {"content": "x"')
        elif step == "nofields":
            self.send_json(200, {"id": "x", "object": "nothing here"})
        elif step == "big":
            self.send_json(200, None, raw=b'{"pad":"' + b"x" * (9 << 20) + b'"}')
        elif step == "blocked":
            if gem:
                self.send_json(200, {"promptFeedback": {"blockReason": "SAFETY"},
                                     "usageMetadata": {"promptTokenCount": 5, "totalTokenCount": 5}})
            else:
                self.answer(prov, req, sc, blocked=True)
        else:
            self.answer(prov, req, sc)

    def prompt_words(self, prov, req):
        if prov == "openai":
            return sum(words(m.get("content")) for m in req["messages"])
        if prov == "anthropic":
            return words(req.get("system")) + sum(words(m.get("content")) for m in req["messages"])
        n = sum(words(p.get("text")) for c in req["contents"] for p in c.get("parts", []))
        si = req.get("systemInstruction") or {}
        return n + sum(words(p.get("text")) for p in si.get("parts", []))

    def answer_obj(self, prov, req, sc, blocked=False):
        text = urllib.parse.unquote(sc.get("answer", "")) if "answer" in sc else '{"actions":[]}'
        tin = int(sc.get("tin", self.prompt_words(prov, req)))
        tout = int(sc.get("tout", words(text)))
        tr = int(sc.get("tr", "0"))
        think = sc.get("think") == "1"
        half = len(text) // 2
        model = req.get("model", "gemini")
        if prov == "openai":
            msg = {"role": "assistant", "content": text}
            if think:
                msg["reasoning_content"] = "THOUGHTS-NOT-ANSWER"
                msg["reasoning"] = "THOUGHTS-NOT-ANSWER"
            if blocked:
                msg = {"role": "assistant", "content": None, "refusal": "I can't help with that."}
            return {"id": "chatcmpl-test", "object": "chat.completion", "created": 1700000000, "model": model,
                    "system_fingerprint": None,
                    "choices": [{"index": 0, "message": msg, "logprobs": None,
                                 "finish_reason": sc.get("finish", "stop")}],
                    "usage": {"prompt_tokens": tin, "completion_tokens": tout, "total_tokens": tin + tout,
                              "completion_tokens_details": {"reasoning_tokens": tr}}}
        if prov == "anthropic":
            blocks = []
            if think:
                blocks.append({"type": "thinking", "thinking": "THOUGHTS-NOT-ANSWER", "signature": "sig"})
            blocks += [{"type": "text", "text": text[:half]}, {"type": "text", "text": text[half:]}]
            return {"id": "msg_test", "type": "message", "role": "assistant", "model": model,
                    "content": [] if blocked else blocks,
                    "stop_reason": "refusal" if blocked else sc.get("finish", "end_turn"), "stop_sequence": None,
                    "usage": {"input_tokens": tin, "output_tokens": tout}}
        parts = []
        if think:
            parts.append({"text": "THOUGHTS-NOT-ANSWER", "thought": True})
        parts += [{"text": text[:half]}, {"text": text[half:]}]
        return {"candidates": [{"content": {"role": "model", "parts": parts},
                                "finishReason": sc.get("finish", "STOP"), "index": 0}],
                "usageMetadata": {"promptTokenCount": tin, "candidatesTokenCount": tout,
                                  "thoughtsTokenCount": tr, "totalTokenCount": tin + tout + tr},
                "modelVersion": "fake"}

    def answer(self, prov, req, sc, blocked=False):
        self.send_json(200, self.answer_obj(prov, req, sc, blocked))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        # Clients hang up on purpose (timeouts, oversized bodies): not news.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    port = int(args[0])
    idle = 60.0
    i = 1
    while i < len(args):
        if args[i] == "--log" and i + 1 < len(args):
            STATE["log"] = args[i + 1]
            i += 2
        elif args[i] == "--idle" and i + 1 < len(args):
            idle = float(args[i + 1])
            i += 2
        else:
            print("unknown argument %s" % args[i], file=sys.stderr)
            return 2
    srv = Server(("127.0.0.1", port), Handler)
    print(srv.server_address[1], flush=True)

    def watchdog():
        while True:
            time.sleep(0.2)
            with LOCK:
                quiet = STATE["active"] == 0 and time.monotonic() - STATE["last"] > idle
            if quiet:
                os._exit(0)

    threading.Thread(target=watchdog, daemon=True).start()
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
