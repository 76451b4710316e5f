/* strategies/sma_cross.c - long-only moving-average crossover.
 *
 * SMA(n) is the arithmetic mean of the last n visible closes. A cross up at
 * decision t means fast[t] > slow[t] and, at the most recent earlier decision
 * where fast != slow, fast < slow (a cross down mirrors it). Flat on a cross
 * up: buy cash / (close x (1 + taker fee)) x (1 - 1e-9) at market; long on a
 * cross down: close the whole position. Symbols are independent; cash
 * promised to an earlier symbol in the same decision, or reserved by a
 * pending order, is not offered twice, and a symbol with an order of its
 * own pending passes its cross over.
 * O(1) per decision: rolling sums advance by the bars seen since the last,
 * and the account is asked nothing unless there is a cross. */
#include <stdlib.h>
#include "common.h"
#include "strategies.h"

/* Running sum of the last n closes: ar__roll (common.h) without the sum of
 * squares, which the crossover does not use. The sum takes exactly the same
 * steps as ar__roll's (same additions in the same order, same periodic
 * exact recomputation), so the averages are the same bits. Its count of
 * steps since the last recomputation (ar__roll's `since`) is kept as
 * upto - base: every step adds to both. */
typedef struct rsum {
    size_t n;    /* window */
    size_t base; /* upto at the last exact recomputation */
    double sum;
    double dn; /* (double)n, the divisor of the average */
} rsum;

/* ar__roll_advance from upto to nvis bars, for the sum only. */
static void rsum_advance(rsum *r, const ar_bar *b, size_t upto, size_t nvis) {
    if (nvis < upto || nvis - upto > r->n || upto - r->base > 4096) {
        r->sum = 0;
        size_t lo = nvis > r->n ? nvis - r->n : 0;
        for (size_t i = lo; i < nvis; i++) r->sum += b[i].close;
        r->base = nvis;
        return;
    }
    double sum = r->sum; /* in a local: a store through r may alias b */
    for (size_t i = upto; i < nvis; i++) {
        sum += b[i].close;
        if (i >= r->n) sum -= b[i - r->n].close;
    }
    r->sum = sum;
}

/* Both averages of a symbol advance to the same number of bars at every
 * decision, so they share upto. */
typedef struct sym_state {
    size_t upto; /* bars summed */
    size_t step_max; /* one-bar steps take the short way while upto <= this */
    rsum fast, slow;
    int last_sign; /* sign of fast - slow at the latest decision where they differed */
} sym_state;

/* sums_advance's general case: rsum_advance for each; out of line. */
static AR_NOINLINE void sums_advance_all(sym_state *st, const ar_bar *b, size_t nvis) {
    rsum_advance(&st->fast, b, st->upto, nvis);
    rsum_advance(&st->slow, b, st->upto, nvis);
    st->upto = nvis;
    /* recomputation is due when upto - base > 4096 for either */
    st->step_max = (st->fast.base < st->slow.base ? st->fast.base : st->slow.base) + 4096;
}

/* sums_advance's short way: one new bar, both windows full (fast.n <
 * slow.n), no recomputation due: rsum_advance's loop, once for each. 0, with
 * nothing changed, when the step is not that one. */
static inline int sums_step(sym_state *st, const ar_bar *b, size_t nvis, double *fs, double *ss) {
    size_t i = st->upto;
    if (!(nvis == i + 1 && i >= st->slow.n && i <= st->step_max)) return 0;
    double f = st->fast.sum + b[i].close, s = st->slow.sum + b[i].close;
    st->fast.sum = *fs = f - b[i - st->fast.n].close;
    st->slow.sum = *ss = s - b[i - st->slow.n].close;
    st->upto = nvis;
    return 1;
}

/* Advance both sums of st to nvis visible bars; *fs and *ss get them (kept
 * in registers for the averages, not read back from st). */
static inline void sums_advance(sym_state *st, const ar_bar *b, size_t nvis, double *fs, double *ss) {
    if (sums_step(st, b, nvis, fs, ss)) return;
    sums_advance_all(st, b, nvis);
    *fs = st->fast.sum;
    *ss = st->slow.sum;
}

typedef struct sma_agent {
    ar_agent base;
    size_t nsym;
    sym_state st[];
} sma_agent;

/* The account as this decision finds it, asked at the first cross only (it
 * does not change during a decision: asking first would give the same). */
typedef struct sma_acct {
    int asked;
    double cash, fee;
} sma_acct;

/* A cross of symbol s (sign > 0: up) at the last visible close. Out of line:
 * crosses are rare, and the loop over decisions stays short without it. */
static AR_NOINLINE ar_err on_cross(const ar_obs *o, sma_acct *k, size_t s, int sign, double price,
                                   ar_actions *out) {
    if (!k->asked) {
        k->cash = ar_account_free_cash(o->acct);
        k->fee = ar__taker(o);
        k->asked = 1;
    }
    /* its own order still pending (latency, a gap, the symbol's data at an
     * end): this cross is passed over; other symbols trade on */
    if (ar_account_npending_sym(o->acct, (int32_t)s) > 0) return AR_OK;
    const ar_position *pos = ar_account_position(o->acct, (int32_t)s);
    double fee = k->fee;
    if (sign > 0 && pos->qty == 0 && k->cash > 0) {
        double q = k->cash / (price * (1 + fee)) * (1 - 1e-9);
        ar_order_req r = ar__market((int32_t)s, q, 1);
        ar_err e = ar_actions_push(out, &r);
        if (e) return e;
        k->cash -= q * price * (1 + fee);
    } else if (sign < 0 && pos->qty > 0) {
        ar_order_req r = ar__close((int32_t)s);
        ar_err e = ar_actions_push(out, &r);
        if (e) return e;
    }
    return AR_OK;
}

/* A decision from symbol s on, in full: every symbol's sums advanced
 * (sums_advance) and its cross acted on; when sign != 0, symbol s has
 * already been advanced and has crossed (sign, at price). Out of line:
 * sma_decide comes here only for a cross or a step its short way does not
 * take, so its own loop makes no call and keeps nothing in saved registers. */
static AR_NOINLINE ar_err sma_from(sma_agent *a, const ar_obs *o, ar_actions *out, size_t s, int sign, double price) {
    sma_acct k = {0, 0, 0};
    ar_err e = AR_OK;
    if (sign != 0) e = on_cross(o, &k, s++, sign, price, out);
    for (; e == AR_OK && s < a->nsym; s++) {
        sym_state *st = &a->st[s];
        size_t nv = o->nvis[s];
        if (nv < st->slow.n) continue;
        const ar_bar *b = o->market->sym[s].bars.row;
        double fs, ss;
        sums_advance(st, b, nv, &fs, &ss);
        double f = fs / st->fast.dn, sl = ss / st->slow.dn;
        if (f == sl) continue;
        int sg = f > sl ? 1 : -1, prev = st->last_sign;
        st->last_sign = sg;
        if (prev == 0 || prev == sg) continue;
        e = on_cross(o, &k, s, sg, b[nv - 1].close, out);
    }
    return e;
}

/* sma_from's loop for the common step (sums_step); anything else, and a
 * cross, goes to sma_from. */
static ar_err sma_decide(ar_agent *self, const ar_obs *o, ar_actions *out) {
    sma_agent *a = (sma_agent *)self;
    for (size_t s = 0; s < a->nsym; s++) {
        sym_state *st = &a->st[s];
        size_t nv = o->nvis[s];
        if (nv < st->slow.n) continue;
        const ar_bar *b = o->market->sym[s].bars.row;
        double fs, ss;
        if (!sums_step(st, b, nv, &fs, &ss)) return sma_from(a, o, out, s, 0, 0);
        double f = fs / st->fast.dn, sl = ss / st->slow.dn;
        if (f == sl) continue;
        int sign = f > sl ? 1 : -1, prev = st->last_sign;
        st->last_sign = sign;
        if (prev == 0 || prev == sign) continue;
        return sma_from(a, o, out, s, sign, b[nv - 1].close);
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
        a->st[s].fast.dn = (double)fast;
        a->st[s].slow.dn = (double)slow;
    }
    *out = &a->base;
    return AR_OK;
}
