/* strategies/common.h - helpers shared by the built-in strategies: order
 * construction and cash-bounded sizing. Strategies only use the public
 * agent and exec headers. */
#ifndef ARENA_STRATEGIES_COMMON_H
#define ARENA_STRATEGIES_COMMON_H

#include <math.h>
#include "arena/agent.h"
#include "arena/util.h" /* AR_NOINLINE */

static inline ar_order_req ar__market(int32_t sym, double qty, double lev) {
    ar_order_req r = {sym, AR_OT_MARKET, qty, NAN, lev, NAN, NAN, 0};
    return r;
}

static inline ar_order_req ar__close(int32_t sym) {
    ar_order_req r = {sym, AR_OT_CLOSE, 0, NAN, 1, NAN, NAN, 1};
    return r;
}

static inline double ar__taker(const ar_obs *o) {
    return o->exec->taker_bps / 1e4;
}

/* Quantity for a position of `notional` at `price` with leverage lev, cut so
 * that margin plus the taker fee fit in `cash` (with 1e-9 to spare). */
static inline double ar__size(double notional, double price, double lev, double fee, double cash) {
    if (!(price > 0) || !(cash > 0) || !(notional > 0)) return 0;
    double cost_per_notional = 1.0 / lev + fee;
    double max_notional = cash / cost_per_notional;
    if (notional > max_notional) notional = max_notional;
    return notional / price * (1 - 1e-9);
}

/* Running mean of the last n closes, updated as bars become visible, with a
 * periodic exact recomputation so rounding never accumulates. */
typedef struct ar__roll {
    size_t n, upto, since;
    double sum, sum2;
} ar__roll;

static inline void ar__roll_advance(ar__roll *r, const ar_bar *b, size_t nvis) {
    if (nvis < r->upto || nvis - r->upto > r->n || r->since > 4096) {
        r->sum = r->sum2 = 0;
        size_t lo = nvis > r->n ? nvis - r->n : 0;
        for (size_t i = lo; i < nvis; i++) {
            r->sum += b[i].close;
            r->sum2 += b[i].close * b[i].close;
        }
        r->upto = nvis;
        r->since = 0;
        return;
    }
    /* in locals: stores through r could alias b, which would keep the sums
     * in memory across every step (same operations, same order) */
    double sum = r->sum, sum2 = r->sum2;
    for (size_t i = r->upto; i < nvis; i++) {
        sum += b[i].close;
        sum2 += b[i].close * b[i].close;
        if (i >= r->n) {
            double o = b[i - r->n].close;
            sum -= o;
            sum2 -= o * o;
        }
        r->since++;
    }
    r->sum = sum;
    r->sum2 = sum2;
    r->upto = nvis;
}

#endif
