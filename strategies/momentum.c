/* strategies/momentum.c - time-series momentum.
 *
 * At each decision the return over the last `lookback` bars decides the
 * target side per symbol: long above +threshold_bps, short below
 * -threshold_bps (perp mode only; flat in spot), flat in between. A change of
 * side closes the old position and opens the new one sized at
 * equity x fraction / nsym x leverage. */
#include <stdlib.h>
#include "common.h"
#include "strategies.h"

typedef struct mom_agent {
    ar_agent base;
    size_t lookback;
    double thr, lev, fraction;
} mom_agent;

static int side_of(double q) {
    return (q > 0) - (q < 0);
}

ar_err ar__target_side(const ar_obs *o, size_t s, int target, double lev, double fraction,
                       double *cash, ar_actions *out) {
    const ar_position *pos = ar_account_position(o->acct, (int32_t)s);
    int cur = side_of(pos->qty);
    if (o->exec->mode == AR_MODE_SPOT && target < 0) target = 0;
    if (target == cur) return AR_OK;
    ar_err e;
    if (cur != 0) {
        ar_order_req r = ar__close((int32_t)s);
        if ((e = ar_actions_push(out, &r))) return e;
    }
    if (target != 0) {
        double price = o->marks[s];
        if (o->exec->mode == AR_MODE_SPOT) lev = 1;
        double eq = ar_account_equity(o->acct, o->marks);
        double avail = *cash + (cur != 0 ? pos->margin : 0);
        double q = ar__size(eq * fraction / (double)o->market->nsym * lev, price, lev, ar__taker(o), avail);
        if (q > 0) {
            ar_order_req r = ar__market((int32_t)s, target * q, lev);
            if ((e = ar_actions_push(out, &r))) return e;
            *cash = avail - q * price * (1.0 / lev + ar__taker(o));
        }
    }
    return AR_OK;
}

static ar_err mom_decide(ar_agent *self, const ar_obs *o, ar_actions *out) {
    mom_agent *a = (mom_agent *)self;
    double cash = ar_account_free_cash(o->acct);
    for (size_t s = 0; s < o->market->nsym; s++) {
        size_t nv = o->nvis[s];
        if (nv <= a->lookback || ar_account_npending_sym(o->acct, (int32_t)s) > 0) continue;
        const ar_bar *b = o->market->sym[s].bars.row;
        double ret = b[nv - 1].close / b[nv - 1 - a->lookback].close - 1;
        int target = ret > a->thr ? 1 : ret < -a->thr ? -1 : 0;
        ar_err e = ar__target_side(o, s, target, a->lev, a->fraction, &cash, out);
        if (e) return e;
    }
    return AR_OK;
}

static void mom_destroy(ar_agent *self) {
    free(self);
}

static const ar_agent_vt mom_vt = {mom_decide, mom_destroy};

ar_err ar__momentum_create(const ar_strategy_ctx *ctx, const double *p, ar_agent **out) {
    (void)ctx;
    mom_agent *a = calloc(1, sizeof *a);
    if (a == NULL) return AR_ENOMEM;
    a->base.vt = &mom_vt;
    a->lookback = (size_t)p[0];
    a->thr = p[1] / 1e4;
    a->lev = p[2];
    a->fraction = p[3];
    *out = &a->base;
    return AR_OK;
}
