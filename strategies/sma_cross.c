/* strategies/sma_cross.c - long-only moving-average crossover.
 *
 * SMA(n) is the arithmetic mean of the last n visible closes. A cross up at
 * decision t means fast[t] > slow[t] and, at the most recent earlier decision
 * where fast != slow, fast < slow (a cross down mirrors it). Flat on a cross
 * up: buy cash / (close x (1 + taker fee)) x (1 - 1e-9) at market; long on a
 * cross down: close the whole position. Symbols are independent; cash
 * promised to an earlier symbol in the same decision is not offered twice.
 * O(1) per decision: rolling sums advance by the bars seen since the last. */
#include <stdlib.h>
#include "common.h"
#include "strategies.h"

typedef struct sym_state {
    ar__roll fast, slow;
    int last_sign; /* sign of fast - slow at the latest decision where they differed */
} sym_state;

typedef struct sma_agent {
    ar_agent base;
    size_t nsym;
    sym_state st[];
} sma_agent;

static ar_err sma_decide(ar_agent *self, const ar_obs *o, ar_actions *out) {
    sma_agent *a = (sma_agent *)self;
    double cash = ar_account_cash(o->acct);
    double fee = ar__taker(o);
    int pending = ar_account_npending(o->acct) > 0;
    for (size_t s = 0; s < a->nsym; s++) {
        sym_state *st = &a->st[s];
        size_t nv = o->nvis[s];
        if (nv < st->slow.n) continue;
        const double *c = o->market->sym[s].bars.close;
        ar__roll_advance(&st->fast, c, nv);
        ar__roll_advance(&st->slow, c, nv);
        double f = st->fast.sum / (double)st->fast.n, sl = st->slow.sum / (double)st->slow.n;
        if (f == sl) continue;
        int sign = f > sl ? 1 : -1, prev = st->last_sign;
        st->last_sign = sign;
        if (prev == 0 || prev == sign || pending) continue;
        const ar_position *pos = ar_account_position(o->acct, (int32_t)s);
        double price = c[nv - 1];
        if (sign > 0 && pos->qty == 0 && cash > 0) {
            double q = cash / (price * (1 + fee)) * (1 - 1e-9);
            ar_order_req r = ar__market((int32_t)s, q, 1);
            ar_err e = ar_actions_push(out, &r);
            if (e) return e;
            cash -= q * price * (1 + fee);
        } else if (sign < 0 && pos->qty > 0) {
            ar_order_req r = ar__close((int32_t)s);
            ar_err e = ar_actions_push(out, &r);
            if (e) return e;
        }
    }
    return AR_OK;
}

static void sma_destroy(ar_agent *self) {
    free(self);
}

static const ar_agent_vt sma_vt = {sma_decide, sma_destroy};

ar_err ar__sma_cross_create(const ar_strategy_ctx *ctx, const double *p, ar_agent **out) {
    size_t fast = (size_t)p[0], slow = (size_t)p[1];
    if (fast >= slow) return AR_EINVAL;
    sma_agent *a = calloc(1, sizeof *a + ctx->nsym * sizeof a->st[0]);
    if (a == NULL) return AR_ENOMEM;
    a->base.vt = &sma_vt;
    a->nsym = ctx->nsym;
    for (size_t s = 0; s < ctx->nsym; s++) {
        a->st[s].fast.n = fast;
        a->st[s].slow.n = slow;
    }
    *out = &a->base;
    return AR_OK;
}
