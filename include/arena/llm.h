/* include/arena/llm.h - LLM agents: prompt rendering, answer parsing and
 * validation, provider wire formats, and the concurrent request pool.
 *
 * Only src/llm includes curl. Nothing here reads the wall clock except the
 * pool (latency measurement and timeouts), whose measurements are recorded
 * and replayed from cassettes, so runs stay deterministic under --replay. */
#ifndef ARENA_LLM_H
#define ARENA_LLM_H

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

#endif
