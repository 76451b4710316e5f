/* include/arena/agent.h - the agent interface.
 *
 * At each decision time the engine hands every agent an observation and
 * collects a list of order requests. An observation only exposes data with
 * timestamps <= t: the bars [0, nvis[s]) of each symbol (history before the
 * window start is warm-up and may be read; nothing after t may be). Agents
 * are single-threaded objects: one per (episode, agent), never shared.
 *
 * Built-in strategies live in strategies/ and register themselves in the
 * table returned by ar_strategy_table(); the core looks names up there. */
#ifndef ARENA_AGENT_H
#define ARENA_AGENT_H

#include <stdint.h>
#include <stddef.h>
#include "arena/err.h"
#include "arena/exec.h"
#include "arena/market.h"

typedef struct ar_obs {
    int64_t t;               /* decision time */
    int64_t start, end;      /* the episode window */
    size_t decision_index;   /* 0 at the first decision */
    const ar_market *market; /* symbols of the episode, in config order */
    const size_t *nvis;      /* visible bars per symbol (close time <= t) */
    const double *marks;     /* last visible close per symbol, NAN if none */
    const ar_account *acct;  /* the agent's own account, read-only */
    const ar_exec_cfg *exec;
    double capital;
} ar_obs;

typedef struct ar_actions {
    size_t n, cap;
    ar_order_req *v;
    int32_t status; /* 0 ok; 1 the answer was invalid and is treated as hold */
    int32_t reason; /* ar_reason when status != 0 */
} ar_actions;

/* Append one request (grows the array). AR_ENOMEM on failure. */
ar_err ar_actions_push(ar_actions *a, const ar_order_req *r);
void ar_actions_clear(ar_actions *a);   /* n = 0, status/reason = 0 */
void ar_actions_cleanup(ar_actions *a); /* frees the array */

typedef struct ar_agent ar_agent;
typedef struct ar_agent_vt {
    /* Fill out with this decision's requests (out is cleared by the caller).
     * A non-OK return is recorded as an agent error and treated as hold. */
    ar_err (*decide)(ar_agent *self, const ar_obs *obs, ar_actions *out);
    void (*destroy)(ar_agent *self);
} ar_agent_vt;

/* Every agent implementation embeds this as its first member. */
struct ar_agent {
    const ar_agent_vt *vt;
};

static inline void ar_agent_free(ar_agent *a) {
    if (a != NULL) a->vt->destroy(a);
}

/* ---- built-in strategies -------------------------------------------------- */
#define AR_MAX_PARAMS 8

typedef struct ar_param_def {
    const char *name;
    double dflt, min, max;
    int integer; /* 1: must be a whole number */
    const char *doc;
} ar_param_def;

typedef struct ar_strategy_ctx {
    size_t nsym;
    double capital;
    const ar_exec_cfg *exec;
    uint64_t seed; /* derived per (episode, agent); for seeded strategies */
} ar_strategy_ctx;

typedef struct ar_strategy_def {
    const char *name;
    const char *doc;
    const ar_param_def *params; /* terminated by a NULL name */
    /* p holds one value per param in definition order (validated). */
    ar_err (*create)(const ar_strategy_ctx *ctx, const double *p, ar_agent **out);
    /* At most how many bars before the visible ones (obs->nvis) a decision
     * reads, rolling state included: older bars are never read again, so a
     * windowed market may drop them. NULL: any bar (no windowing). */
    size_t (*lookback)(const double *p);
    /* What is wrong with p taken together (each value is in its range), in
     * one phrase naming the parameters; NULL: nothing, or no such check. */
    const char *(*check)(const double *p, char *buf, size_t n);
} ar_strategy_def;

/* Table of built-in strategies, terminated by a NULL name. */
const ar_strategy_def *ar_strategy_table(void);
const ar_strategy_def *ar_strategy_find(const char *name);

#endif
