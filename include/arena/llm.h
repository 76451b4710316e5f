/* include/arena/llm.h - LLM agents: prompt rendering, answer parsing and
 * validation, provider wire formats, and the concurrent request pool.
 *
 * Only src/llm includes curl. Nothing here reads the wall clock except the
 * pool (latency measurement and timeouts), whose measurements are recorded
 * and replayed from cassettes, so runs stay deterministic under --replay. */
#ifndef ARENA_LLM_H
#define ARENA_LLM_H

#include <signal.h>
#include <stdint.h>
#include <stddef.h>
#include "arena/agent.h"
#include "arena/err.h"

/* ---- answers ---------------------------------------------------------------
 * The answer is a JSON list of actions (or an object with a list under
 * "actions"/"decisions", or one action object), possibly inside prose or a
 * ``` code fence. Each action: signal (buy_to_enter | sell_to_enter | hold |
 * close), coin, quantity (coins), leverage, profit_target, stop_loss,
 * invalidation_condition, confidence (0..1), risk_usd, justification. */
typedef struct ar_answer_ctx {
    size_t nsym;
    const char *const *coins; /* names the agent sees, index = symbol */
    const double *marks;      /* last price per symbol (NAN unknown) */
    const double *position;   /* signed position per symbol */
    double cash;              /* free cash */
    double max_leverage;
    int spot;                 /* 1: no shorts, leverage must be 1 */
    double taker_fee;         /* fraction, for the margin check */
    /* Optional (NULL = unknown, treated as 0): per symbol, the open
     * position's isolated margin and entry price. With them the margin check
     * counts what reducing an opposite position releases, as exec does. */
    const double *pos_margin;
    const double *pos_entry;
    /* The provider cut the answer at its token budget (finish "length"):
     * a value found inside an unfinished one, or no answer at all, is then
     * refused as truncated rather than traded in part. */
    int truncated;
} ar_answer_ctx;

typedef struct ar_answer_action {
    int32_t signal;  /* 0 hold, 1 buy_to_enter, 2 sell_to_enter, 3 close */
    int32_t sym;     /* -1 when none/unknown */
    int32_t reason;  /* ar_reason: NONE when accepted */
    double quantity, leverage, profit_target, stop_loss, confidence, risk_usd; /* NAN when absent */
} ar_answer_action;

typedef struct ar_answer {
    int32_t status;        /* 0 ok (possibly holds), 1 invalid answer: treated as hold */
    int32_t reason;        /* answer-level reason (bad_json, empty_answer, ...) or the first action's */
    size_t nactions;
    ar_answer_action *actions; /* owned; every action parsed, accepted or not */
    char *canonical_json;  /* the parsed actions as compact JSON (owned), NULL if none */
} ar_answer;

/* Parse and validate text into *ans and append accepted orders to out.
 * Never fails on bad text (that is a recorded reason); only AR_ENOMEM. */
ar_err ar_answer_parse(const char *text, size_t len, const ar_answer_ctx *ctx, ar_answer *ans, ar_actions *out);
void ar_answer_cleanup(ar_answer *ans);

/* Limits of ar_answer_parse: longer answers, or more actions, are refused
 * whole with reason too_long (docs/LLM.md "Answers"). */
#define AR_ANSWER_MAX_BYTES ((size_t)1 << 20)
#define AR_ANSWER_MAX_ACTIONS 64

/* ---- prompts ---------------------------------------------------------------
 * A growable NUL-terminated text buffer. Zero-initialise; p stays NULL until
 * the first append. An append that fails (AR_ENOMEM) leaves the old text. */
typedef struct ar_buf {
    char *p;
    size_t n, cap;
} ar_buf;
ar_err ar_buf_append(ar_buf *b, const char *s, size_t n);
ar_err ar_buf_puts(ar_buf *b, const char *s);
ar_err ar_buf_printf(ar_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ar_buf_reset(ar_buf *b);   /* n = 0, keeps the memory */
void ar_buf_cleanup(ar_buf *b); /* frees; NULL: no-op */

/* Rendering options. Every field may be zero: coins NULL uses the market's
 * symbol names; cadence <= 0 means one bar interval; invocation 0 means
 * decision_index + 1; no equity samples gives no Sharpe ("n/a"). */
typedef struct ar_prompt_opts {
    const char *const *coins; /* names shown, index = symbol (renamed symbols) */
    int hide_dates;           /* 1: no date or clock time anywhere, only elapsed minutes */
    int64_t cadence;          /* ns between decisions: the intraday series step */
    const double *equity;     /* the agent's equity at its decisions so far, oldest first */
    size_t nequity;
    size_t invocation;
} ar_prompt_opts;

/* Market section (docs/LLM.md "Prompt"): per coin the current price, EMA20,
 * MACD, RSI7, the intraday series (last 10 points, one per cadence) and the
 * longer-interval context (240 bar intervals: 4h for 1m bars), and the
 * latest funding rate when the market has a funding series. Reads only bars
 * [0, nvis) and funding with time <= t. Appends to out; only AR_ENOMEM. The
 * first form uses one bar interval as the step. */
ar_err ar_prompt_render_market(const ar_obs *o, const char *const *coins, int hide_dates, ar_buf *out);
ar_err ar_prompt_render_market_opts(const ar_obs *o, const ar_prompt_opts *p, ar_buf *out);

/* How many bars before the visible ones the market section (and the
 * observation of exec/http agents) may read for a symbol of bar interval
 * `interval`, at decision cadence `cadence`, when the symbol's bars are at
 * least one interval apart: the intraday series' sampled points and the
 * longer-interval buckets. 0 when interval <= 0. */
size_t ar_llm_lookback(int64_t cadence, int64_t interval);

/* Account section: total return, cash, account value, positions with exit
 * plan, Sharpe of the equity samples (annualised with the cadence when it is
 * set). Appends to out; only AR_ENOMEM. */
ar_err ar_prompt_render_account(const ar_obs *o, const ar_prompt_opts *p, ar_buf *out);

/* Substitute {{market}}, {{account}}, {{minutes_elapsed}}, {{time}},
 * {{coins}}, {{max_leverage}}, {{invocation}}, {{taker_fee_bps}},
 * {{capital}}, {{cadence}} in tmpl and append the result to out. An unknown
 * or unterminated placeholder is AR_EFORMAT (eb names it) and out is left
 * as it was. ar_prompt_check does that check alone (o unused). */
ar_err ar_prompt_render(const char *tmpl, const ar_obs *o, const ar_prompt_opts *p, ar_buf *out,
                        ar_errbuf *eb);
ar_err ar_prompt_check(const char *tmpl, ar_errbuf *eb);

/* The templates in prompts/ (name without ".txt", e.g.
 * "alpha_arena_system"), embedded at build time by cmake/embed.cmake so the
 * binary works from any directory. NULL for an unknown name. Static text. */
const char *ar_prompt_builtin(const char *name);

/* ---- providers and pool ----------------------------------------------------
 * Wire formats (docs/LLM.md "Providers and the request pool"): request
 * building and response parsing are pure functions (no network, no clock),
 * so that they are tested byte for byte; the pool runs the requests of a
 * decision round concurrently on one curl multi handle. API keys come only
 * from the environment variable named in the config; they are never written
 * into any field of ar_llm_call, any error text, or any log. */
typedef enum { AR_PROV_OPENAI = 0, AR_PROV_ANTHROPIC = 1, AR_PROV_GEMINI = 2 } ar_provider;

/* "openai" | "anthropic" | "gemini" ("?" when out of range). */
const char *ar_provider_name(int p);
/* Name to enum; AR_EINVAL (and *out untouched) for an unknown name. */
/* A model id we can send: non-empty letters, digits and -._~:;=,%/@+
 * (it goes into Gemini's URL path unescaped). */
int ar_llm_model_ok(const char *model);
ar_err ar_provider_from_name(const char *s, ar_provider *out);

typedef struct ar_llm_cfg {
    ar_provider provider;
    char model[1024];         /* e.g. "gpt-4.1-mini"; Gemini: without "models/" */
    char base_url[512];       /* "" = provider default; http:// works (local servers) */
    char api_key_env[128];    /* environment variable holding the key; "" = send no key */
    double temperature; int has_temperature;
    double top_p; int has_top_p; /* anthropic: never sent together with temperature */
    int max_tokens;           /* output budget; default 1024 */
    double timeout_s;         /* per attempt; default 60 */
    int structured;           /* ask for JSON output (schema below) */
    const char *schema;       /* borrowed JSON Schema text; NULL = the built-in action list */
    int reasoning;            /* -1 auto (o1/o3/o4/gpt-5 names), 0 no, 1 yes (openai) */
    char reasoning_effort[16];/* openai reasoning models: "" = provider default */
    int disable_thinking;     /* openai-compatible Qwen: send "enable_thinking": false */
    long long seed; int has_seed;
    int max_concurrent;       /* per endpoint (provider + base URL); 0 = no limit */
    double rpm;               /* requests per minute per endpoint; 0 = no limit */
    int max_retries;          /* retries after the first attempt; default 4, at most 15 */
    double max_retry_wait_s;  /* a Retry-After longer than this fails the call; default 120 */
} ar_llm_cfg;

/* Defaults above; provider openai, model "", temperature/top_p/seed unset. */
void ar_llm_cfg_default(ar_llm_cfg *c);

/* The built-in schema used with structured = 1 and schema = NULL: an object
 * {"actions": [action...]} in the strict form OpenAI requires. */
const char *ar_llm_default_schema(void);

/* One HTTP request, built without any I/O. headers[] are "Name: value"
 * lines; at most one of them carries the key. */
typedef struct ar_llm_request {
    char *url;
    char *body;               /* compact JSON */
    size_t nheaders;
    char *headers[8];
} ar_llm_request;

/* Build the request for cfg. system may be NULL or "" (then not sent); key
 * may be NULL (no auth header). On AR_OK the caller owns *out (release with
 * ar_llm_request_cleanup); on error *out is zeroed and eb says why without
 * echoing the key: AR_EINVAL for an unusable config (model empty or with
 * characters unsafe in a URL, anthropic temperature outside 0..1,
 * max_tokens < 1, schema not JSON), AR_ENOMEM. */
ar_err ar_provider_build_request(const ar_llm_cfg *cfg, const char *system, const char *user,
                                 const char *key, ar_llm_request *out, ar_errbuf *eb);
/* Wipes the header bytes (the key) before freeing. NULL and zeroed: no-op. */
void ar_llm_request_cleanup(ar_llm_request *r);

#define AR_LLM_MAX_ATTEMPTS 16
typedef struct ar_llm_attempt {  /* one HTTP attempt, for the cassette */
    int32_t http_status;         /* 0 when no response (timeout, connection) */
    int32_t reason;              /* ar_reason of this attempt, NONE when it answered */
    int32_t curl_code;           /* CURLcode, 0 = transfer completed */
    int32_t retryable;
    double wait_ms;              /* backoff slept before this attempt */
    double latency_ms;           /* start to end of this attempt */
} ar_llm_attempt;

typedef struct ar_llm_call { /* one request's outcome, everything recordable */
    int32_t status;       /* 0: an answer text (possibly empty or cut at the budget);
                           * 1: no usable answer, reason says why */
    int32_t reason;       /* ar_reason: NONE, HTTP, TIMEOUT, TRUNCATED, BAD_JSON,
                           * REFUSAL, AGENT_ERROR (unusable config) */
    int32_t http_status;  /* of the last attempt (0 when none answered) */
    int32_t attempts;
    double latency_ms;    /* the successful (or last) attempt */
    double total_ms;      /* first start to end, backoff included */
    int64_t tokens_in, tokens_out; /* out includes reasoning tokens (all providers bill them) */
    int64_t tokens_reasoning;
    char *text;           /* answer text (owned; NULL when none); reasoning text is never kept */
    char *error;          /* one line, no secrets (owned; NULL when ok) */
    char finish[16];      /* stop | length | content_filter | refusal | other | "" */
    int32_t nlog;         /* entries in log (= attempts, at most AR_LLM_MAX_ATTEMPTS) */
    ar_llm_attempt log[AR_LLM_MAX_ATTEMPTS];
} ar_llm_call;

/* What the pool should do after one HTTP response. */
typedef struct ar_llm_verdict {
    int retry;            /* 1: worth another attempt */
    double retry_after_s; /* server-requested wait (Retry-After / Gemini retryDelay), -1 none */
} ar_llm_verdict;

/* Read one HTTP response (status, body, Retry-After header value or NULL)
 * into call: status, reason, http_status, text, error, finish, tokens. A 200
 * whose body is not JSON or lacks the answer fields is an invalid answer
 * (reason bad_json, not retried); 408/409/429/5xx are retried unless the 429
 * means an exhausted quota; every other status is final (reason
 * http_error). Replaces call->text/error (freeing old ones). Only AR_ENOMEM. */
ar_err ar_provider_parse_response(ar_provider prov, long http_status, const char *body, size_t len,
                                  const char *retry_after, ar_llm_call *call, ar_llm_verdict *v);

void ar_llm_call_cleanup(ar_llm_call *c); /* frees text and error; NULL: no-op */

/* The request pool: one curl multi handle, backoff jitter from seed, token
 * buckets per endpoint that persist across runs. Not thread-safe: one thread
 * runs it at a time. NULL on failure (eb says why). A new pool has limits of
 * its own (max_concurrent, rpm: the strictest value of each round). */
typedef struct ar_llm_pool ar_llm_pool;
ar_llm_pool *ar_llm_pool_create(uint64_t seed, ar_errbuf *eb);
void ar_llm_pool_free(ar_llm_pool *p); /* NULL: no-op */

/* Per-endpoint limits shared by several pools, e.g. every worker thread of
 * a run, so that max_concurrent and rpm hold for all of them together: one
 * concurrency count and one token bucket per endpoint (provider + base URL)
 * for every pool using it, each value the strictest any of them has been
 * asked to apply so far (values only tighten). Thread-safe (a mutex). NULL
 * when out of memory. Free it only after every pool using it is freed (or
 * switched back). */
typedef struct ar_llm_limits ar_llm_limits;
ar_llm_limits *ar_llm_limits_create(void);
void ar_llm_limits_free(ar_llm_limits *l); /* NULL: no-op */

/* Make p use l (NULL: its own limits again). Call it between runs, from the
 * thread that drives p. AR_ENOMEM (p unchanged), AR_EINVAL for p NULL. */
ar_err ar_llm_pool_set_limits(ar_llm_pool *p, ar_llm_limits *l, ar_errbuf *eb);

/* Run n requests at once (cfgs[i], system[i] (system may be NULL or hold
 * NULLs), user[i]) and return when all are done. out[0..n) are
 * overwritten (not freed first); the caller cleans each with
 * ar_llm_call_cleanup. A failed request is a recorded outcome, not an
 * error: returns AR_EINVAL for NULL arguments, AR_ENOMEM, AR_EIO when curl
 * itself fails; the calls are then still safe to clean up. */
ar_err ar_llm_pool_run(ar_llm_pool *p, const ar_llm_cfg *const *cfgs, const char *const *system,
                       const char *const *user, size_t n, ar_llm_call *out, ar_errbuf *eb);

/* Once *flag is non-zero (a signal handler's stop flag), every pool's run
 * ends within about 100 ms: calls not finished come back failed with
 * reason `interrupted` (a hung provider would otherwise hold a stopped
 * process for its timeouts and retries). NULL: none. Set it before the
 * pools run; the flag must outlive them. */
void ar_llm_pool_interrupt(volatile sig_atomic_t *flag);

#endif
