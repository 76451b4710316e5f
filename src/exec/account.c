/* src/exec/account.c - one agent's simulated account: order validation, the
 * fill model over OHLCV bars, fees, slippage, isolated margin, liquidation,
 * funding and the logs (orders, fills, round trips, funding).
 *
 * The bar model (docs/ENGINE.md, "Execution"): every bar is walked as a price
 * path open -> adverse extreme -> favourable extreme -> close, where adverse
 * is relative to the position held after the open (flat: low first when the
 * bar closes at or above its open, else high first). Everything that
 * triggers at a price is an "event": the position's liquidation, stop-loss
 * and take-profit, and the symbol's active pending orders. At the open every
 * event already satisfied by the open price fills at the open (a gap); then
 * each leg of the path fills, one at a time, the event whose trigger is met
 * nearest to the leg's start, at its trigger price (or the current price when
 * it was already beyond it: an exit attached by a fill on the wrong side of
 * the price triggers at once). Ties: liquidation, stop-loss, take-profit,
 * then orders by id. Fills change the position, which changes the events, so
 * the search repeats until nothing is met before the leg's end.
 *
 * One account per (episode, agent); nothing is shared and nothing locks.
 * on_bar allocates only when a log grows (geometric). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "arena/exec.h"
#include "arena/util.h"
#include "exec/exec_int.h"

#define BPS 1e-4

/* A round trip being built: flat -> position -> flat. */
typedef struct trade_acc {
    int open, side;
    int64_t t_open;
    double maxq, in_qty, in_val, out_qty, out_val, realized, fees, funding;
} trade_acc;

typedef struct sym_state {
    trade_acc tr;
    int seen;           /* a bar of this symbol was processed */
    int64_t last_t;     /* open time of that bar: funding instants <= it are done */
    int64_t fnext;      /* with execution.funding: its first instant after last_t (note_last) */
    size_t fcur;        /* next funding-series instant to process */
    int64_t fgap;       /* config instants closer than this to a series instant are covered */
    double last_close;  /* mark fallback when the caller has none */
    ar__slip_src hist; /* sqrt slippage statistics */
} sym_state;

#define LOG_TYPE(name, T) \
    typedef struct name { T *v; size_t n, cap; } name;
LOG_TYPE(order_log, ar_order_rec)
LOG_TYPE(fill_log, ar_fill_rec)
LOG_TYPE(trade_log, ar_trade_rec)
LOG_TYPE(funding_log, ar_funding_rec)

struct ar_account {
    ar_exec_cfg cfg;
    const ar_market *m;
    size_t nsym;
    double cash, fees_paid, funding_paid;
    gsl_rng *rng; /* NULL when there is no noise to draw */
    ar_position *pos;
    sym_state *ss;
    order_log orders; /* the orders from id norders_out on (ar_account_drain_logs) */
    size_t norders_out;
    double *resv;  /* per order in orders: cash reserved while pending (margin + fee estimate) */
    size_t resv_cap;
    size_t *pend;  /* indices in orders of the pending ones, ascending */
    size_t npend, pend_cap;
    fill_log fills;
    trade_log trades;
    funding_log funding;
};

/* Geometric growth of one log; the array is replaced only on success. From
 * AR_HUGE_MIN bytes up the new block is on huge pages (src/util/mem.c): an
 * active strategy's logs reach megabytes, and on a virtual machine every
 * fresh 4 KiB page a realloc copies into costs a fault (docs/BENCHMARKS.md:
 * most of a cold 500k-bar run's engine time above the warm loop). */
static int log_grow(void **v, size_t *cap, size_t need, size_t sz) {
    if (need <= *cap) return 0;
    size_t c = *cap < 16 ? 16 : *cap;
    while (c < need) c *= 2;
    if (c > SIZE_MAX / sz) return -1;
    void *p;
    if (c * sz >= AR_HUGE_MIN) {
        if ((p = ar_alloc_huge(c * sz)) == NULL) return -1;
        if (*cap > 0) memcpy(p, *v, *cap * sz);
        free(*v);
    } else if ((p = realloc(*v, c * sz)) == NULL) {
        return -1;
    }
    *v = p;
    *cap = c;
    return 0;
}
#define LOG_PUSH(lg, rec) \
    (log_grow((void **)&(lg).v, &(lg).cap, (lg).n + 1, sizeof *(lg).v) ? -1 : ((lg).v[(lg).n++] = (rec), 0))

static double sgn(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }

/* Two quantities within a relative 1e-9 of each other are the same size:
 * selling 0.3 as three slices of 0.1 leaves 0.3 - 0.1 - 0.1 - 0.1 =
 * -2.8e-17, which must close the position, not flip it into a dust short
 * (nor, in spot, refuse the last slice). The league's replay uses the same
 * tolerance. */
static int same_size(double x, double y) {
    double ax = fabs(x), ay = fabs(y);
    return fabs(ax - ay) <= 1e-9 * (ax > ay ? ax : ay);
}

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* ---- creation ------------------------------------------------------------ */

ar_account *ar_account_create(const ar_exec_cfg *cfg, const ar_market *m, double capital,
                              uint64_t seed, ar_errbuf *eb) {
    if (cfg == NULL || m == NULL) {
        ar_errf(eb, AR_EINVAL, "exec: account needs a config and a market");
        return NULL;
    }
    if (ar__exec_cfg_check(cfg, eb) != AR_OK) return NULL;
    if (!isfinite(capital) || capital < 0) {
        ar_errf(eb, AR_ECONFIG, "exec: capital must be a finite number >= 0");
        return NULL;
    }
    ar_account *a = calloc(1, sizeof *a);
    if (a == NULL) goto nomem;
    a->cfg = *cfg;
    a->m = m;
    a->nsym = m->nsym;
    a->cash = capital;
    a->pos = calloc(a->nsym ? a->nsym : 1, sizeof *a->pos);
    a->ss = calloc(a->nsym ? a->nsym : 1, sizeof *a->ss);
    if (a->pos == NULL || a->ss == NULL) goto nomem;
    for (size_t s = 0; s < a->nsym; s++) {
        ar_position *p = &a->pos[s];
        p->tp = p->sl = p->liq = NAN;
        a->ss[s].last_close = NAN;
        /* with a funding series the config's instants only fill its gaps:
         * an instant is covered when a series instant lies within
         * max(config interval, the series' smallest step) of it */
        const ar_funding *fs = &m->sym[s].funding;
        int64_t minstep = INT64_MAX;
        for (size_t k = 1; k < fs->n; k++)
            if (fs->t[k] - fs->t[k - 1] < minstep) minstep = fs->t[k] - fs->t[k - 1];
        a->ss[s].fgap = fs->n > 1 && minstep > cfg->funding_interval ? minstep : cfg->funding_interval;
        /* sqrt slippage sums: built on the first fill that needs them, up to
         * its bar, unless a shared cache is handed over before */
    }
    if (cfg->slip_noise_bps > 0) {
        a->rng = gsl_rng_alloc(gsl_rng_mt19937);
        if (a->rng == NULL) goto nomem;
        /* mt19937 keeps only 32 bits of its seed: fold the high half in so
         * seeds differing only there still give different streams */
        gsl_rng_set(a->rng, (unsigned long)((seed ^ (seed >> 32)) & 0xffffffffu));
    }
    return a;
nomem:
    ar_account_free(a);
    ar_errf(eb, AR_ENOMEM, "exec: out of memory creating an account");
    return NULL;
}

void ar_account_free(ar_account *a) {
    if (a == NULL) return;
    if (a->ss != NULL)
        for (size_t s = 0; s < a->nsym; s++) ar__slip_hist_free(&a->ss[s].hist.own);
    if (a->rng != NULL) gsl_rng_free(a->rng);
    free(a->pos);
    free(a->ss);
    free(a->orders.v);
    free(a->resv);
    free(a->pend);
    free(a->fills.v);
    free(a->trades.v);
    free(a->funding.v);
    free(a);
}

void ar_account_use_slip_cache(ar_account *a, const ar_slip_cache *c) {
    if (a == NULL) return;
    for (size_t s = 0; s < a->nsym; s++) {
        const ar__slip_hist *h = ar__slip_cache_get(c, a->m, s);
        if (h != NULL || c == NULL) a->ss[s].hist.shared = h;
    }
}

/* ---- prices ---------------------------------------------------------------- */

/* Adverse price for a taker fill of signed qty at ref in bar i of sym: fixed
 * bps or square-root impact, plus the seeded noise when configured. */
static double slipped(ar_account *a, int32_t s, size_t i, double qty, double ref) {
    double f = 0;
    if (a->cfg.slip == AR_SLIP_FIXED)
        f = a->cfg.slip_bps * BPS;
    else if (a->cfg.slip == AR_SLIP_SQRT)
        f = ar__slip_sqrt_frac(&a->ss[s].hist, &a->m->sym[s], i, qty, a->cfg.slip_k,
                               a->cfg.slip_window);
    if (a->rng != NULL) f += fabs(gsl_ran_gaussian(a->rng, a->cfg.slip_noise_bps)) * BPS;
    if (f > 0.5) f = 0.5; /* same cap as the sqrt model: prices stay positive */
    return qty > 0 ? ref * (1.0 + f) : ref * (1.0 - f);
}

static double mark_of(const ar_account *a, const double *marks, size_t s) {
    if (marks != NULL && isfinite(marks[s]) && marks[s] > 0) return marks[s];
    if (isfinite(a->ss[s].last_close)) return a->ss[s].last_close;
    return a->pos[s].entry;
}

/* Whether margin + unrealised PnL at price P is down to mm x notional. */
static int at_maintenance(const ar_position *p, double mm, double P) {
    double q = fabs(p->qty);
    double upnl = p->qty > 0 ? q * (P - p->entry) : q * (p->entry - P);
    return p->margin + upnl <= mm * q * P;
}

/* Long: margin + q(P - E) = mm q P; short: margin + q(E - P) = mm q P.
 * The closed form rounds: 221.1 / 1.005 is 220.00000000000003, and a bar
 * whose high is exactly 220 would miss the boundary. So P is moved, a few
 * ulps at most, to the least adverse price at which the condition itself
 * holds. */
static void update_liq(ar_account *a, ar_position *p) {
    p->liq = NAN;
    if (a->cfg.mode != AR_MODE_PERP || p->qty == 0) return;
    double q = fabs(p->qty), mm = a->cfg.maintenance_margin, P;
    if (p->qty > 0)
        P = (p->entry - p->margin / q) / (1.0 - mm);
    else
        P = (p->entry + p->margin / q) / (1.0 + mm);
    if (!(isfinite(P) && P > 0)) return;
    double safer = p->qty > 0 ? INFINITY : 0, worse = p->qty > 0 ? 0 : INFINITY;
    for (int k = 0; k < 8 && !at_maintenance(p, mm, P); k++) P = nextafter(P, worse);
    for (int k = 0; k < 8; k++) {
        double n = nextafter(P, safer);
        if (!at_maintenance(p, mm, n)) break;
        P = n;
    }
    if (P > 0) p->liq = P;
}

/* ---- fills ----------------------------------------------------------------- */

static void remove_pending(ar_account *a, size_t k) {
    memmove(&a->pend[k], &a->pend[k + 1], (a->npend - k - 1) * sizeof *a->pend);
    a->npend--;
}

static void finish_order(ar_account *a, size_t id, int status, int reason, int64_t t) {
    ar_order_rec *o = &a->orders.v[id];
    o->status = status;
    if (reason != AR_R_NONE) o->reason = reason;
    o->t_done = t;
    a->resv[id] = 0;
}

/* Close the round trip of sym into the trade log. */
static void trade_close(ar_account *a, int32_t s, int64_t t) {
    trade_acc *tr = &a->ss[s].tr;
    ar_trade_rec r;
    memset(&r, 0, sizeof r);
    r.t_open = tr->t_open;
    r.t_close = t;
    r.sym = s;
    r.side = tr->side;
    r.qty = tr->maxq;
    r.entry = tr->in_qty > 0 ? tr->in_val / tr->in_qty : NAN;
    r.exit = tr->out_qty > 0 ? tr->out_val / tr->out_qty : NAN;
    r.fees = tr->fees;
    r.funding = tr->funding;
    r.pnl = tr->realized - tr->fees - tr->funding;
    (void)LOG_PUSH(a->trades, r); /* ENOMEM: the trip is lost, the account stays right */
    memset(tr, 0, sizeof *tr);
}

/* What apply_fill did, for the order record. */
typedef struct fill_out {
    double qty, price; /* signed qty filled (0: nothing), price */
    int opened;        /* the opening part was > 0 */
    int clipped;       /* the opening part was cut to the cash */
} fill_out;

/* Apply a fill of signed dq at price to sym: first the part that reduces the
 * position (releases margin pro rata, realises PnL; perp losses beyond the
 * part's margin are not charged), then the part that opens or adds (pays
 * margin = notional / lev and its fee from cash, cut to what the cash allows
 * when clip_ok, refused otherwise). The fee rate applies to both parts. */
static fill_out apply_fill(ar_account *a, int32_t s, int64_t t, double dq, double price,
                           double ref, double fee_rate, int kind, int32_t order_id, int maker,
                           double lev) {
    fill_out out = {0, price, 0, 0};
    ar_position *p = &a->pos[s];
    trade_acc *tr = &a->ss[s].tr;
    int perp = a->cfg.mode == AR_MODE_PERP;
    double q0 = p->qty;
    double c = 0, rest = fabs(dq);
    if (q0 != 0 && sgn(dq) != sgn(q0)) {
        c = fabs(dq) < fabs(q0) && !same_size(dq, q0) ? fabs(dq) : fabs(q0); /* same size: closes it */
        rest = same_size(dq, q0) ? 0 : fabs(dq) - c;
    }
    double pnl = 0, fee_c = 0, fee_o = 0;
    if (c > 0) {
        double Mc = c == fabs(q0) ? p->margin : p->margin * (c / fabs(q0));
        pnl = sgn(q0) * c * (price - p->entry);
        fee_c = c * price * fee_rate;
        double back = Mc + pnl - fee_c;
        if (perp && back < 0) {
            /* isolated margin: the account loses at most the part's margin;
             * the records show the loss and the fee actually borne */
            if (Mc + pnl > 0) {
                fee_c = Mc + pnl;
            } else {
                pnl = -Mc;
                fee_c = 0;
            }
            back = 0;
        }
        a->cash += back;
        if (c == fabs(q0)) {
            p->qty = 0;
            p->margin = 0;
        } else {
            p->qty = q0 - sgn(q0) * c;
            p->margin -= Mc;
        }
        tr->realized += pnl;
        tr->fees += fee_c;
        tr->out_qty += c;
        tr->out_val += c * price;
    }
    if (p->qty == 0 && q0 != 0) {
        trade_close(a, s, t);
        p->entry = 0;
        p->leverage = 0;
        p->tp = p->sl = NAN;
        p->t_open = 0;
    }
    if (rest > 0) {
        if (!perp) lev = 1;
        double per_unit = price * (1.0 / lev + fee_rate);
        double margin_add = 0;
        if (per_unit > 0 && rest * per_unit > a->cash) {
            double mx = a->cash > 0 ? a->cash / per_unit : 0;
            out.clipped = 1;
            if (mx > rest * 1e-9) {
                /* spend exactly the cash: the margin absorbs the rounding */
                rest = mx;
                fee_o = rest * price * fee_rate;
                margin_add = a->cash - fee_o;
                a->cash = 0;
            } else {
                rest = 0; /* nothing affordable */
            }
        } else {
            fee_o = rest * price * fee_rate;
            margin_add = rest * price / lev;
            a->cash -= margin_add + fee_o;
        }
        if (rest > 0) {
            if (p->qty == 0) {
                memset(tr, 0, sizeof *tr);
                tr->open = 1;
                tr->side = dq > 0 ? 1 : -1;
                tr->t_open = t;
                p->t_open = t;
                p->entry = price;
                p->margin = margin_add;
                p->qty = sgn(dq) * rest;
            } else {
                double aq = fabs(p->qty);
                p->entry = (aq * p->entry + rest * price) / (aq + rest);
                p->margin += margin_add;
                p->qty = sgn(dq) * (aq + rest);
            }
            p->leverage = p->margin > 0 ? fabs(p->qty) * p->entry / p->margin : 0;
            tr->in_qty += rest;
            tr->in_val += rest * price;
            tr->fees += fee_o;
            if (fabs(p->qty) > tr->maxq) tr->maxq = fabs(p->qty);
            out.opened = 1;
        }
    }
    update_liq(a, p);
    double filled = c + rest;
    if (filled > 0) {
        ar_fill_rec f;
        memset(&f, 0, sizeof f);
        f.t = t;
        f.order_id = order_id;
        f.sym = s;
        f.kind = kind;
        f.maker = maker;
        f.qty = sgn(dq) * filled;
        f.price = price;
        f.ref_price = ref;
        f.fee = fee_c + fee_o;
        f.realized_pnl = pnl;
        a->fees_paid += f.fee;
        (void)LOG_PUSH(a->fills, f); /* ENOMEM: the record is lost, the account stays right */
        out.qty = f.qty;
    }
    return out;
}

/* ---- events within a bar ----------------------------------------------------- */

enum { EV_LIQ = 0, EV_SL = 1, EV_TP = 2, EV_ORDER = 3 };

typedef struct ev {
    int kind;
    size_t k;   /* EV_ORDER: index into pend */
    double px;  /* reference price it fills at */
} ev;

/* Trigger test for one threshold. dir < 0: met when the price falls to th;
 * dir > 0: when it rises to th. The move goes from cur to target; returns 1
 * and the fill reference when met within it. */
static int met(int dir, double th, double cur, double target, double *px) {
    if (!isfinite(th)) return 0;
    if (dir < 0 && target <= cur && th >= target) {
        *px = th < cur ? th : cur;
        return 1;
    }
    if (dir > 0 && target >= cur && th <= target) {
        *px = th > cur ? th : cur;
        return 1;
    }
    return 0;
}

/* The next event on the move cur -> target in bar i of sym (at_open: the
 * open itself, where market orders also fill). Nearest to cur first; ties by
 * kind (liq, SL, TP, orders) then order id. */
static int next_event(const ar_account *a, int32_t s, int64_t t0, double cur, double target,
                      int at_open, ev *best) {
    const ar_position *p = &a->pos[s];
    int found = 0;
    double px;
#define CONSIDER(KIND, K, PX)                                                           \
    do {                                                                                \
        double d_ = fabs((PX) - cur);                                                   \
        if (!found || d_ < fabs(best->px - cur)) {                                      \
            best->kind = (KIND), best->k = (K), best->px = (PX), found = 1;             \
        }                                                                               \
    } while (0)
    if (p->qty != 0) {
        int d = p->qty > 0 ? -1 : 1; /* adverse direction */
        if (met(d, p->liq, cur, target, &px)) CONSIDER(EV_LIQ, 0, px);
        if (met(d, p->sl, cur, target, &px)) CONSIDER(EV_SL, 0, px);
        if (met(-d, p->tp, cur, target, &px)) CONSIDER(EV_TP, 0, px);
    }
    for (size_t k = 0; k < a->npend; k++) {
        const ar_order_rec *o = &a->orders.v[a->pend[k]];
        if (o->sym != s || o->t_active > t0) continue;
        switch (o->type) {
        case AR_OT_MARKET:
        case AR_OT_CLOSE:
            if (at_open) CONSIDER(EV_ORDER, k, cur);
            break;
        case AR_OT_LIMIT: /* buy: met when the price falls to the limit */
            if (met(o->qty > 0 ? -1 : 1, o->price, cur, target, &px)) CONSIDER(EV_ORDER, k, px);
            break;
        case AR_OT_STOP: /* buy: met when the price rises to the stop */
            if (met(o->qty > 0 ? 1 : -1, o->price, cur, target, &px)) CONSIDER(EV_ORDER, k, px);
            break;
        default:
            break;
        }
    }
#undef CONSIDER
    return found;
}

/* Fill (or drop) pending order pend[k] at reference ref in bar i. */
static void fill_order(ar_account *a, int32_t s, size_t i, size_t k, double ref) {
    size_t id = a->pend[k];
    ar_order_rec *o = &a->orders.v[id];
    ar_position *p = &a->pos[s];
    int64_t t = a->m->sym[s].bars.row[i].t;
    int reason = AR_R_NONE;
    double dq = o->qty;
    remove_pending(a, k);
    if (o->type == AR_OT_CLOSE) {
        dq = -p->qty;
        if (dq == 0) {
            finish_order(a, id, AR_OS_CANCELLED, AR_R_NO_POSITION, t);
            return;
        }
    } else if (o->reduce_only) {
        if (p->qty == 0 || sgn(p->qty) == sgn(dq)) {
            finish_order(a, id, AR_OS_CANCELLED, AR_R_NO_POSITION, t);
            return;
        }
        if (fabs(dq) > fabs(p->qty)) dq = -p->qty;
    } else if (a->cfg.mode == AR_MODE_SPOT && dq < 0 && -dq > p->qty && !same_size(dq, p->qty)) {
        /* the position shrank since submit: sell what there is */
        if (!(p->qty > 0)) {
            finish_order(a, id, AR_OS_CANCELLED, AR_R_SPOT_SHORT, t);
            return;
        }
        dq = -p->qty;
        reason = AR_R_SPOT_SHORT;
    }
    int maker = o->type == AR_OT_LIMIT;
    int kind = o->type == AR_OT_MARKET ? AR_FK_MARKET
             : o->type == AR_OT_LIMIT  ? AR_FK_LIMIT
             : o->type == AR_OT_STOP   ? AR_FK_STOP
                                       : AR_FK_CLOSE;
    double price = maker ? ref : slipped(a, s, i, dq, ref);
    double rate = (maker ? a->cfg.maker_bps : a->cfg.taker_bps) * BPS;
    fill_out f = apply_fill(a, s, t, dq, price, ref, rate, kind, (int32_t)(a->norders_out + id), maker, o->leverage);
    if (f.qty == 0) {
        finish_order(a, id, AR_OS_REJECTED, AR_R_MARGIN_SHORT, t);
        return;
    }
    if (f.clipped) reason = AR_R_CLIPPED;
    o->filled_qty = f.qty;
    o->fill_price = f.price;
    finish_order(a, id, AR_OS_FILLED, reason, t);
    if (f.opened) {
        /* the order's exit plan replaces the position's (NAN keeps it) */
        if (isfinite(o->tp)) p->tp = o->tp;
        if (isfinite(o->sl)) p->sl = o->sl;
    }
}

static void fire(ar_account *a, int32_t s, size_t i, const ev *e) {
    ar_position *p = &a->pos[s];
    double taker = a->cfg.taker_bps * BPS;
    switch (e->kind) {
    case EV_LIQ: /* at the liquidation price (the open on a gap), no slippage */
        apply_fill(a, s, a->m->sym[s].bars.row[i].t, -p->qty, e->px, e->px, taker, AR_FK_LIQ, -1, 0, 1);
        break;
    case EV_SL: /* a stop-market order: slippage and the taker fee */
        apply_fill(a, s, a->m->sym[s].bars.row[i].t, -p->qty, slipped(a, s, i, -p->qty, e->px), e->px, taker, AR_FK_SL,
                   -1, 0, 1);
        break;
    case EV_TP: /* a resting limit order: no slippage, the maker fee */
        apply_fill(a, s, a->m->sym[s].bars.row[i].t, -p->qty, e->px, e->px, a->cfg.maker_bps * BPS, AR_FK_TP, -1, 1, 1);
        break;
    default:
        fill_order(a, s, i, e->k, e->px);
        break;
    }
}

/* Fill every event met on the move cur -> target. Each event consumes an
 * order or closes the position, so the loop ends; the bound only guards
 * against a bug turning into a hang. */
static void run_move(ar_account *a, int32_t s, size_t i, double cur, double target, int at_open) {
    int64_t t0 = a->m->sym[s].bars.row[i].t;
    size_t guard = 4 * (a->npend + 4);
    ev e = {0, 0, 0};
    while (guard-- > 0 && next_event(a, s, t0, cur, target, at_open, &e)) {
        fire(a, s, i, &e);
        cur = e.px;
    }
}

/* Funding instants in (previous bar, this bar's open], charged at this open
 * on the position held before the open's fills. */
static void charge_funding(ar_account *a, int32_t s, int64_t f, double rate, double open) {
    ar_position *p = &a->pos[s];
    if (p->qty == 0 || !isfinite(rate)) return;
    ar_funding_rec r;
    memset(&r, 0, sizeof r);
    r.t = f;
    r.sym = s;
    r.rate = rate;
    r.price = open;
    r.qty = p->qty;
    r.amount = p->qty * open * rate;
    a->cash -= r.amount;
    a->funding_paid += r.amount;
    a->ss[s].tr.funding += r.amount;
    (void)LOG_PUSH(a->funding, r);
}

/* Bar time t becomes s's last (before st->seen is set for a first bar):
 * funding instants up to it are done, and fnext moves to the config's
 * first instant after it. Bar times only increase, so while t is before
 * fnext there is still no instant in between and fnext stays: the
 * division runs once an interval, not once a bar. */
static void note_last(const ar_account *a, sym_state *st, int64_t t) {
    int64_t I = a->cfg.funding_interval;
    if (I > 0 && (!st->seen || t >= st->fnext)) {
        int64_t k = floor_div(t, I) + 1, f;
        st->fnext = __builtin_mul_overflow(k, I, &f) ? INT64_MAX : f;
    }
    st->last_t = t;
}

/* A series instant lies strictly within gap of f. */
static int funding_covered(const ar_funding *fs, int64_t f, int64_t gap) {
    size_t lo = 0, hi = fs->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (fs->t[mid] < f) lo = mid + 1;
        else hi = mid;
    }
    return (lo < fs->n && fs->t[lo] - f < gap) || (lo > 0 && f - fs->t[lo - 1] < gap);
}

static AR_NOINLINE void do_funding(ar_account *a, int32_t s, int64_t t0, double open) {
    sym_state *st = &a->ss[s];
    const ar_funding *fs = &a->m->sym[s].funding;
    if (a->cfg.mode != AR_MODE_PERP) return;
    if (fs->n > 0) {
        /* series instants, and (time-ordered with them) the config's instants
         * that fall in a gap of the series */
        int64_t I = a->cfg.funding_interval;
        int cfg_on = I > 0 && st->seen;
        int64_t k = cfg_on ? floor_div(st->last_t, I) + 1 : 0, kend = cfg_on ? floor_div(t0, I) : -1;
        for (;;) {
            while (k <= kend && funding_covered(fs, k * I, st->fgap)) k++;
            int have_s = st->fcur < fs->n && fs->t[st->fcur] <= t0, have_c = k <= kend;
            if (!have_s && !have_c) break;
            if (have_s && (!have_c || fs->t[st->fcur] <= k * I)) {
                if (!st->seen || fs->t[st->fcur] > st->last_t)
                    charge_funding(a, s, fs->t[st->fcur], fs->rate[st->fcur], open);
                st->fcur++;
            } else {
                charge_funding(a, s, k * I, a->cfg.funding_rate, open);
                k++;
            }
        }
    } else if (a->cfg.funding_interval > 0 && st->seen && a->pos[s].qty != 0) {
        int64_t I = a->cfg.funding_interval;
        for (int64_t k = floor_div(st->last_t, I) + 1; k <= floor_div(t0, I); k++)
            charge_funding(a, s, k * I, a->cfg.funding_rate, open);
    }
}

/* Whether anything of the position's can trigger in a bar spanning
 * [lo, hi] (no pending orders assumed). Every path of the bar reaches lo on
 * a falling move and hi on a rising one, and met() fires a threshold that
 * the price falls to when th >= the move's target (rises to: th <= target),
 * including one already beyond the price. So a long's liquidation and
 * stop-loss can fire only when >= lo, its take-profit only when <= hi; a
 * short mirrors this; NAN (none) never fires, nor does a flat position. */
static int can_trigger(const ar_position *p, double lo, double hi) {
    if (p->qty == 0) return 0;
    if (p->qty > 0) return p->liq >= lo || p->sl >= lo || p->tp <= hi;
    return p->liq <= hi || p->sl <= hi || p->tp >= lo; /* as next_event: not long is short */
}

/* The path of a bar in which something may fill: the open, then the three
 * legs (docs/ENGINE.md). Kept out of line so that the common bar, where
 * nothing can, stays a short leaf function. */
static AR_NOINLINE void walk_bar(ar_account *a, int32_t s, size_t i, double O, double C, double lo,
                                 double hi) {
    run_move(a, s, i, O, O, 1);
    const ar_position *p = &a->pos[s];
    /* The legs stay within [lo, hi]: when nothing left can trigger there
     * (typically a market order just filled at the open, with no exits),
     * they fill nothing (can_trigger). */
    if (a->npend == 0 && !can_trigger(p, lo, hi)) {
        a->ss[s].last_close = C;
        return;
    }
    int low_first;
    if (p->qty != 0)
        low_first = (p->qty > 0) != (a->cfg.both_touched_favorable != 0);
    else
        low_first = C >= O;
    double x1 = low_first ? lo : hi, x2 = low_first ? hi : lo;
    run_move(a, s, i, O, x1, 0);
    run_move(a, s, i, x1, x2, 0);
    run_move(a, s, i, x2, C, 0);
    a->ss[s].last_close = C;
}

/* Finite and > 0, all four prices of bar i (NAN fails both comparisons). */
static inline int bar_ok(const ar_bars *b, size_t i) {
    return ar_bar_prices_ok(b->row[i].open, b->row[i].high, b->row[i].low, b->row[i].close);
}

/* Bar i < b->n of s, as ar_account_on_bar documents it. */
static inline void bar_step(ar_account *a, int32_t s, const ar_bars *b, size_t i) {
    sym_state *st = &a->ss[s];
    int64_t t0 = b->row[i].t;
    if (st->seen && t0 <= st->last_t) return; /* out of order or repeated: ignore */
    if (!bar_ok(b, i)) return; /* a bad row trades nothing; the next good bar takes over */
    double O = b->row[i].open, H = b->row[i].high, L = b->row[i].low, C = b->row[i].close;

    /* Funding is settled on a position or from a series (whose cursor must
     * advance even while flat); do_funding does nothing otherwise, nor for
     * a position when no config instant falls in (last_t, t0]. */
    const ar_position *p = &a->pos[s];
    if (a->cfg.mode == AR_MODE_PERP &&
        (a->m->sym[s].funding.n > 0 ||
         (a->cfg.funding_interval > 0 && st->seen && p->qty != 0 && t0 >= st->fnext)))
        do_funding(a, s, t0, O);
    note_last(a, st, t0);
    st->seen = 1;
    /* tolerate inconsistent rows: the extremes bound the open and the close
     * (all four are finite and > 0 here, so plain comparisons are fmax/fmin) */
    double hi = O > C ? O : C, lo = O < C ? O : C;
    if (H > hi) hi = H;
    if (L < lo) lo = L;
    if (a->npend == 0 && !can_trigger(p, lo, hi)) {
        /* Nothing can fill: the common case of a flat agent, or of a position
         * whose exits and liquidation price the bar does not reach, between
         * decisions costs only these checks. */
        st->last_close = C;
        return;
    }
    walk_bar(a, s, i, O, C, lo, hi);
}

void ar_account_on_bar(ar_account *a, int32_t s, size_t i) {
    if (a == NULL || s < 0 || (size_t)s >= a->nsym) return;
    const ar_bars *b = &a->m->sym[s].bars;
    if (i >= b->n) return;
    bar_step(a, s, b, i);
}

/* Whether bars of s can change nothing but the account's record of them
 * (seen, last_t, last_close and the funding series' cursor): no order is
 * pending on s (others' never fill in s's bars), and the position on s is
 * flat, or has neither liquidation price nor exits (met() fires only finite
 * thresholds) and nothing to pay or receive in funding (do_funding charges
 * only positions, and runs for one in perp mode only with a series or an
 * interval). */
static int inert_on(const ar_account *a, int32_t s) {
    const ar_position *p = &a->pos[s];
    if (p->qty != 0) {
        if (isfinite(p->liq) || isfinite(p->sl) || isfinite(p->tp)) return 0;
        if (a->cfg.mode == AR_MODE_PERP && (a->m->sym[s].funding.n > 0 || a->cfg.funding_interval > 0)) return 0;
    }
    for (size_t k = 0; k < a->npend; k++)
        if (a->orders.v[a->pend[k]].sym == s) return 0;
    return 1;
}

int ar_account_inert(const ar_account *a) {
    if (a == NULL || a->npend != 0) return 0;
    for (size_t s = 0; s < a->nsym; s++)
        if (a->pos[s].qty != 0 && !inert_on(a, (int32_t)s)) return 0;
    return 1;
}

/* Bars [from, to) of s (to <= b->n) for an account inert on s: bar_step
 * would note each good bar after last_t, and move the funding series'
 * cursor past the instants up to it (in perp mode do_funding runs for every
 * good bar when there is a series; it charges only a position, and there is
 * none to charge). Bar times strictly increase (ar_bars), so the last bar it
 * notes is the last good bar of the range, unless that one is not after
 * last_t (then no bar of the range is). */
static void skip_bars(ar_account *a, int32_t s, const ar_bars *b, size_t from, size_t to) {
    size_t i = to;
    while (i > from && !bar_ok(b, i - 1)) i--;
    if (i == from) return;
    sym_state *st = &a->ss[s];
    int64_t t0 = b->row[i - 1].t;
    if (st->seen && t0 <= st->last_t) return;
    if (a->cfg.mode == AR_MODE_PERP) {
        const ar_funding *fs = &a->m->sym[s].funding;
        while (st->fcur < fs->n && fs->t[st->fcur] <= t0) st->fcur++;
    }
    note_last(a, st, t0);
    st->seen = 1;
    st->last_close = b->row[i - 1].close;
}

/* Bars [from, to) of s (to <= b->n), each through bar_step. Out of line, so
 * that ar_account_on_bars stays a short leaf function when s is inert. */
static AR_NOINLINE void step_bars(ar_account *a, int32_t s, const ar_bars *b, size_t from, size_t to) {
    for (size_t i = from; i < to; i++) bar_step(a, s, b, i);
}

void ar_account_on_bars(ar_account *a, int32_t s, size_t from, size_t to) {
    if (a == NULL || s < 0 || (size_t)s >= a->nsym) return;
    const ar_bars *b = &a->m->sym[s].bars;
    if (to > b->n) to = b->n;
    if (from >= to) return;
    if (inert_on(a, s))
        skip_bars(a, s, b, from, to);
    else
        step_bars(a, s, b, from, to);
}

/* ---- orders ---------------------------------------------------------------- */

static ar_err log_order(ar_account *a, ar_order_rec *o, double resv) {
    size_t id = a->orders.n;
    o->id = (int32_t)(a->norders_out + id);
    if (LOG_PUSH(a->orders, *o)) return AR_ENOMEM;
    if (log_grow((void **)&a->resv, &a->resv_cap, a->orders.n, sizeof *a->resv)) {
        a->orders.n--;
        return AR_ENOMEM;
    }
    a->resv[id] = resv;
    if (o->status == AR_OS_PENDING) {
        if (log_grow((void **)&a->pend, &a->pend_cap, a->npend + 1, sizeof *a->pend)) {
            a->orders.n--;
            return AR_ENOMEM;
        }
        a->pend[a->npend++] = id;
    }
    return AR_OK;
}

static int exit_ok(double x) { return isnan(x) || (isfinite(x) && x > 0); }

/* What the pending orders hold back from cash (their estimates at submit). */
static double reserved_total(const ar_account *a) {
    double r = 0;
    for (size_t k = 0; k < a->npend; k++) r += a->resv[a->pend[k]];
    return r;
}

/* Reason an order is refused at submit, or AR_R_NONE; fills in what the
 * record shows (effective leverage, CLOSE quantity) and the reservation. */
static int validate(ar_account *a, ar_order_rec *o, const double *marks, double *resv) {
    *resv = 0;
    if (o->sym < 0 || (size_t)o->sym >= a->nsym) return AR_R_UNKNOWN_SYM;
    if (o->type < AR_OT_MARKET || o->type > AR_OT_CLOSE) return AR_R_BAD_SIGNAL;
    double mark = marks != NULL ? marks[o->sym] : NAN;
    if (!(isfinite(mark) && mark > 0)) return AR_R_NO_DATA;
    const ar_position *p = &a->pos[o->sym];
    if (o->type == AR_OT_CLOSE) {
        if (p->qty == 0) return AR_R_NO_POSITION;
        o->qty = -p->qty;
        o->reduce_only = 1;
        o->leverage = p->leverage;
        o->tp = o->sl = NAN;
        return AR_R_NONE;
    }
    if (!isfinite(o->qty) || o->qty == 0) return AR_R_BAD_QTY;
    if (o->type == AR_OT_LIMIT || o->type == AR_OT_STOP) {
        if (!(isfinite(o->price) && o->price > 0)) return AR_R_BAD_PRICE;
    } else {
        o->price = NAN;
    }
    if (!exit_ok(o->tp) || !exit_ok(o->sl)) return AR_R_BAD_PRICE;
    /* the exit plan must lie on the profitable / protective side of the price
     * the order expects to fill at: the mark, or its own limit/stop price */
    double ref = o->type == AR_OT_MARKET ? mark : o->price;
    double side = sgn(o->qty);
    if (isfinite(o->tp) && !(side * (o->tp - ref) > 0)) return AR_R_BAD_PRICE;
    if (isfinite(o->sl) && !(side * (ref - o->sl) > 0)) return AR_R_BAD_PRICE;
    if (o->reduce_only) {
        if (p->qty == 0 || sgn(p->qty) == side) return AR_R_NO_POSITION;
        return AR_R_NONE;
    }
    double lev = o->leverage == 0 ? 1 : o->leverage;
    if (a->cfg.mode == AR_MODE_SPOT) {
        if (lev != 1) return AR_R_LEVERAGE;
        if (o->qty < 0 && -o->qty > p->qty && !same_size(o->qty, p->qty)) return AR_R_SPOT_SHORT;
    } else if (!(isfinite(lev) && lev >= 1 && lev <= a->cfg.max_leverage)) {
        return AR_R_LEVERAGE;
    }
    o->leverage = lev;
    /* margin: the opening part at the price the order expects (ref: the
     * mark, or a limit's or stop's own price; a buy limit far below the
     * market needs only what it pays there) plus the taker fee on the whole
     * order, against cash not reserved by other pending orders plus what the
     * reducing part would release at that price */
    double q = fabs(o->qty), open = q, release = 0;
    if (p->qty != 0 && sgn(p->qty) != side) {
        double c = q < fabs(p->qty) ? q : fabs(p->qty);
        open = q - c;
        release = p->margin * (c / fabs(p->qty)) + sgn(p->qty) * c * (ref - p->entry);
        if (release < 0) release = 0;
    }
    double need = open * ref / lev + q * ref * a->cfg.taker_bps * BPS;
    double reserved = reserved_total(a);
    /* A relative slack of 1e-9 absorbs rounding in "spend exactly my cash"
     * sizing (buy_hold's equal split sums to the cash only up to rounding);
     * the fill itself is still clipped to the cash actually there. */
    double avail = a->cash - reserved + release;
    if (need > avail + 1e-9 * fabs(avail)) return AR_R_MARGIN_SHORT;
    if (open > 0) *resv = need;
    return AR_R_NONE;
}

ar_err ar_account_submit(ar_account *a, int64_t t, const ar_order_req *req, const double *marks,
                         ar_order_rec *rec) {
    return ar_account_submit_after(a, t, INT64_MIN, req, marks, rec);
}

ar_err ar_account_submit_after(ar_account *a, int64_t t, int64_t after, const ar_order_req *req,
                               const double *marks, ar_order_rec *rec) {
    if (rec != NULL) {
        memset(rec, 0, sizeof *rec);
        rec->id = -1;
    }
    if (a == NULL || req == NULL) return AR_EINVAL;
    ar_order_rec o;
    memset(&o, 0, sizeof o);
    o.t_decision = t;
    o.t_active = t + a->cfg.latency;
    if (after > o.t_active) o.t_active = after;
    o.sym = req->sym;
    o.type = req->type;
    o.qty = req->qty;
    o.price = req->price;
    o.leverage = req->leverage;
    o.tp = req->tp;
    o.sl = req->sl;
    o.reduce_only = req->reduce_only != 0;
    o.fill_price = NAN;
    if (o.type == AR_OT_MARKET || o.type == AR_OT_CLOSE) o.price = NAN;
    double resv = 0;
    o.reason = validate(a, &o, marks, &resv);
    if (o.reason != AR_R_NONE) {
        o.status = AR_OS_REJECTED;
        o.t_done = t;
    }
    ar_err e = log_order(a, &o, resv);
    if (e != AR_OK) return e;
    if (rec != NULL) *rec = o;
    return AR_OK;
}

void ar_account_cancel(ar_account *a, int64_t t, int32_t sym) {
    if (a == NULL) return;
    for (size_t k = a->npend; k-- > 0;) {
        size_t id = a->pend[k];
        if (sym >= 0 && a->orders.v[id].sym != sym) continue;
        remove_pending(a, k);
        finish_order(a, id, AR_OS_CANCELLED, AR_R_NONE, t);
    }
}

void ar_account_settle_funding(ar_account *a, int64_t t, const double *marks) {
    if (a == NULL || a->cfg.mode != AR_MODE_PERP) return;
    for (size_t s = 0; s < a->nsym; s++) {
        sym_state *st = &a->ss[s];
        /* no bar of s yet: no position; a bar opening at t - 1 or later
         * settled everything before t already */
        if (!st->seen || st->last_t >= t - 1 || a->pos[s].qty == 0) continue;
        double px = marks != NULL ? marks[s] : NAN;
        if (!(isfinite(px) && px > 0)) px = st->last_close;
        if (!(isfinite(px) && px > 0)) continue;
        do_funding(a, (int32_t)s, t - 1, px);
        note_last(a, st, t - 1);
    }
}

void ar_account_finish(ar_account *a, int64_t t) {
    if (a == NULL) return;
    for (size_t k = 0; k < a->npend; k++) finish_order(a, a->pend[k], AR_OS_EXPIRED, AR_R_END, t);
    a->npend = 0;
}

ar_err ar_account_set_exit(ar_account *a, int32_t sym, double tp, double sl) {
    if (a == NULL || sym < 0 || (size_t)sym >= a->nsym) return AR_EINVAL;
    ar_position *p = &a->pos[sym];
    if (p->qty == 0) return AR_ESTATE;
    if (!exit_ok(tp) || !exit_ok(sl)) return AR_EINVAL;
    /* without a price here only the order of the two can be checked; an exit
     * already beyond the price triggers at the next bar's open */
    if (isfinite(tp) && isfinite(sl) && !(sgn(p->qty) * (tp - sl) > 0)) return AR_EINVAL;
    p->tp = tp;
    p->sl = sl;
    return AR_OK;
}

/* ---- queries --------------------------------------------------------------- */

double ar_account_equity(const ar_account *a, const double *marks) {
    if (a == NULL) return NAN;
    double eq = a->cash;
    for (size_t s = 0; s < a->nsym; s++) {
        const ar_position *p = &a->pos[s];
        if (p->qty == 0) continue;
        eq += p->margin + p->qty * (mark_of(a, marks, s) - p->entry);
    }
    return eq;
}

double ar_account_cash(const ar_account *a) { return a != NULL ? a->cash : NAN; }

double ar_account_gross_exposure(const ar_account *a, const double *marks) {
    if (a == NULL) return NAN;
    double g = 0;
    for (size_t s = 0; s < a->nsym; s++)
        if (a->pos[s].qty != 0) g += fabs(a->pos[s].qty) * mark_of(a, marks, s);
    return g;
}

/* ar_account_values when a mark is missing: through mark_of. */
static AR_NOINLINE int values_fallback(const ar_account *a, const double *marks, double *equity, double *cash,
                                       double *gross_exposure) {
    *equity = ar_account_equity(a, marks);
    *cash = a->cash;
    *gross_exposure = ar_account_gross_exposure(a, marks);
    for (size_t s = 0; s < a->nsym; s++)
        if (a->pos[s].qty != 0) return 0;
    return a->npend == 0;
}

int ar_account_values(const ar_account *a, const double *marks, double *equity, double *cash,
                      double *gross_exposure) {
    if (a == NULL) {
        *equity = *cash = *gross_exposure = NAN;
        return 0;
    }
    /* the sums of ar_account_equity and ar_account_gross_exposure, each in
     * the same order, while every mark needed is there (mark_of's first
     * case) */
    double eq = a->cash, g = 0;
    int held = 0;
    for (size_t s = 0; s < a->nsym; s++) {
        const ar_position *p = &a->pos[s];
        if (p->qty == 0) continue;
        double mk = marks != NULL ? marks[s] : NAN;
        if (!(isfinite(mk) && mk > 0)) return values_fallback(a, marks, equity, cash, gross_exposure);
        ar_position_terms(p, mk, &eq, &g);
        held = 1;
    }
    *equity = eq;
    *cash = a->cash;
    *gross_exposure = g;
    return !held && a->npend == 0;
}

const ar_position *ar_account_position(const ar_account *a, int32_t sym) {
    if (a == NULL || sym < 0 || (size_t)sym >= a->nsym) return NULL;
    return &a->pos[sym];
}

size_t ar_account_npending(const ar_account *a) { return a != NULL ? a->npend : 0; }

size_t ar_account_npending_sym(const ar_account *a, int32_t sym) {
    size_t n = 0;
    for (size_t k = 0; a != NULL && k < a->npend; k++) n += a->orders.v[a->pend[k]].sym == sym;
    return n;
}

double ar_account_free_cash(const ar_account *a) { return a != NULL ? a->cash - reserved_total(a) : NAN; }

const ar_order_rec *ar_account_orders(const ar_account *a, size_t *n) {
    if (n != NULL) *n = a != NULL ? a->orders.n : 0;
    return a != NULL ? a->orders.v : NULL;
}
const ar_fill_rec *ar_account_fills(const ar_account *a, size_t *n) {
    if (n != NULL) *n = a != NULL ? a->fills.n : 0;
    return a != NULL ? a->fills.v : NULL;
}
const ar_trade_rec *ar_account_trades(const ar_account *a, size_t *n) {
    if (n != NULL) *n = a != NULL ? a->trades.n : 0;
    return a != NULL ? a->trades.v : NULL;
}
const ar_funding_rec *ar_account_funding(const ar_account *a, size_t *n) {
    if (n != NULL) *n = a != NULL ? a->funding.n : 0;
    return a != NULL ? a->funding.v : NULL;
}
double ar_account_fees_paid(const ar_account *a) { return a != NULL ? a->fees_paid : 0; }
double ar_account_funding_paid(const ar_account *a) { return a != NULL ? a->funding_paid : 0; }

/* The first k records of a log go; the rest move to the front. */
static void drop_front(void *v, size_t *n, size_t k, size_t sz) {
    if (k < *n) memmove(v, (char *)v + k * sz, (*n - k) * sz);
    *n -= k;
}

ar_err ar_account_drain_logs(ar_account *a, size_t min_rows, ar_log_sink sink, void *ctx) {
    if (a == NULL || sink == NULL) return AR_EINVAL;
    if (min_rows == 0) min_rows = 1;
    ar_err e;
    /* orders: up to the first pending one (pend is ascending) */
    size_t k = a->npend ? a->pend[0] : a->orders.n;
    if (k >= min_rows) {
        if ((e = sink(ctx, AR_LOG_ORDERS, a->orders.v, k, sizeof *a->orders.v))) return e;
        drop_front(a->orders.v, &a->orders.n, k, sizeof *a->orders.v);
        size_t nr = a->orders.n + k;
        drop_front(a->resv, &nr, k, sizeof *a->resv);
        for (size_t i = 0; i < a->npend; i++) a->pend[i] -= k;
        a->norders_out += k;
    }
    if (a->fills.n >= min_rows) {
        if ((e = sink(ctx, AR_LOG_FILLS, a->fills.v, a->fills.n, sizeof *a->fills.v))) return e;
        a->fills.n = 0;
    }
    if (a->trades.n >= min_rows) {
        if ((e = sink(ctx, AR_LOG_TRADES, a->trades.v, a->trades.n, sizeof *a->trades.v))) return e;
        a->trades.n = 0;
    }
    if (a->funding.n >= min_rows) {
        if ((e = sink(ctx, AR_LOG_FUNDING, a->funding.v, a->funding.n, sizeof *a->funding.v))) return e;
        a->funding.n = 0;
    }
    return AR_OK;
}

size_t ar_account_orders_out(const ar_account *a) { return a != NULL ? a->norders_out : 0; }

/* The records of a log, handed over at their size (NULL when there are none;
 * a failed shrink keeps the larger block). */
static void *take_log(void **v, size_t *n, size_t *cap, size_t sz, size_t *nout) {
    void *p = *v;
    *nout = *n;
    if (*n == 0) {
        free(p);
        p = NULL;
    } else if (*n < *cap) {
        void *q = realloc(p, *n * sz);
        if (q != NULL) p = q;
    }
    *v = NULL;
    *n = *cap = 0;
    return p;
}

ar_err ar_account_take_logs(ar_account *a, ar_account_logs *out) {
    memset(out, 0, sizeof *out);
    if (a == NULL) return AR_EINVAL;
    if (a->npend != 0) return AR_ESTATE;
    out->orders = take_log((void **)&a->orders.v, &a->orders.n, &a->orders.cap, sizeof *a->orders.v, &out->norders);
    out->fills = take_log((void **)&a->fills.v, &a->fills.n, &a->fills.cap, sizeof *a->fills.v, &out->nfills);
    out->trades = take_log((void **)&a->trades.v, &a->trades.n, &a->trades.cap, sizeof *a->trades.v, &out->ntrades);
    out->funding =
        take_log((void **)&a->funding.v, &a->funding.n, &a->funding.cap, sizeof *a->funding.v, &out->nfunding);
    return AR_OK;
}

/* ---- restoring (live resume) ------------------------------------------------ */

ar_err ar_account_restore(ar_account *a, double cash, double fees_paid, double funding_paid,
                          const ar_position *pos) {
    if (a == NULL || pos == NULL || !isfinite(cash)) return AR_EINVAL;
    if (a->orders.n || a->norders_out || a->fills.n || a->npend) return AR_ESTATE;
    a->cash = cash;
    a->fees_paid = isfinite(fees_paid) ? fees_paid : 0;
    a->funding_paid = isfinite(funding_paid) ? funding_paid : 0;
    for (size_t s = 0; s < a->nsym; s++) {
        ar_position p = pos[s];
        if (!isfinite(p.qty) || p.qty == 0 || !(isfinite(p.entry) && p.entry > 0) || !isfinite(p.margin)) {
            memset(&p, 0, sizeof p);
            p.tp = p.sl = NAN;
        } else {
            if (!exit_ok(p.tp)) p.tp = NAN;
            if (!exit_ok(p.sl)) p.sl = NAN;
            /* the round trip restarts here: its PnL before the resume is in
             * the trades of the file up to the crash, not in this account */
            trade_acc *tr = &a->ss[s].tr;
            memset(tr, 0, sizeof *tr);
            tr->open = 1;
            tr->side = p.qty > 0 ? 1 : -1;
            tr->t_open = p.t_open;
            tr->in_qty = fabs(p.qty);
            tr->in_val = fabs(p.qty) * p.entry;
            tr->maxq = fabs(p.qty);
        }
        a->pos[s] = p;
        update_liq(a, &a->pos[s]);
    }
    return AR_OK;
}

ar_err ar_account_replay_fill(ar_account *a, const ar_fill_rec *f, double leverage) {
    if (a == NULL || f == NULL || f->sym < 0 || (size_t)f->sym >= a->nsym) return AR_EINVAL;
    if (!(isfinite(f->qty) && f->qty != 0 && isfinite(f->price) && f->price > 0 && isfinite(f->fee)))
        return AR_EINVAL;
    double rate = f->fee / (fabs(f->qty) * f->price);
    if (!(isfinite(leverage) && leverage >= 1)) leverage = 1;
    size_t n0 = a->fills.n;
    apply_fill(a, f->sym, f->t, f->qty, f->price, f->ref_price, rate, f->kind, f->order_id, f->maker, leverage);
    /* the fill is on disk already: keep it out of this account's log */
    a->fills.n = n0;
    return AR_OK;
}
