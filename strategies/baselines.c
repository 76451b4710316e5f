/* strategies/baselines.c - the two passive baselines.
 *
 * flat: never trades (cash; the zero line every agent should beat).
 * buy_hold: at the first decision where every symbol has a price, splits
 * equity equally across the symbols and buys each with a market order sized
 * cash_i / (price x (1 + taker fee)) at leverage 1; never rebalances. */
#include <stdlib.h>
#include "common.h"
#include "strategies.h"

typedef struct flat_agent {
    ar_agent base;
} flat_agent;

static ar_err flat_decide(ar_agent *self, const ar_obs *o, ar_actions *out) {
    (void)self, (void)o, (void)out;
    return AR_OK;
}

static void plain_destroy(ar_agent *self) {
    free(self);
}

static const ar_agent_vt flat_vt = {flat_decide, plain_destroy};

ar_err ar__flat_create(const ar_strategy_ctx *ctx, const double *p, ar_agent **out) {
    (void)ctx, (void)p;
    flat_agent *a = calloc(1, sizeof *a);
    if (a == NULL) return AR_ENOMEM;
    a->base.vt = &flat_vt;
    *out = &a->base;
    return AR_OK;
}

typedef struct buy_hold_agent {
    ar_agent base;
    int bought;
} buy_hold_agent;

static ar_err buy_hold_decide(ar_agent *self, const ar_obs *o, ar_actions *out) {
    buy_hold_agent *a = (buy_hold_agent *)self;
    if (a->bought) return AR_OK;
    size_t nsym = o->market->nsym;
    /* An account that already holds something bought before: a live run
     * resumed from its file (the strategy's own memory is not in it). */
    for (size_t s = 0; s < nsym; s++)
        if (ar_account_position(o->acct, (int32_t)s)->qty != 0) {
            a->bought = 1;
            return AR_OK;
        }
    for (size_t s = 0; s < nsym; s++)
        if (!(o->marks[s] > 0)) return AR_OK; /* wait until every symbol has a price */
    double fee = ar__taker(o);
    double cash_i = ar_account_equity(o->acct, o->marks) / (double)nsym;
    for (size_t s = 0; s < nsym; s++) {
        ar_order_req r = ar__market((int32_t)s, cash_i / (o->marks[s] * (1 + fee)), 1);
        ar_err e = ar_actions_push(out, &r);
        if (e) return e;
    }
    a->bought = 1;
    return AR_OK;
}

static const ar_agent_vt buy_hold_vt = {buy_hold_decide, plain_destroy};

ar_err ar__buy_hold_create(const ar_strategy_ctx *ctx, const double *p, ar_agent **out) {
    (void)ctx, (void)p;
    buy_hold_agent *a = calloc(1, sizeof *a);
    if (a == NULL) return AR_ENOMEM;
    a->base.vt = &buy_hold_vt;
    *out = &a->base;
    return AR_OK;
}
