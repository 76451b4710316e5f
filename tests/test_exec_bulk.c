/* tests/test_exec_bulk.c - the account's bulk calls against the one-at-a-time
 * ones: ar_account_on_bars (a run of bars, O(1) when nothing can act on
 * them), ar_account_values (equity, cash and exposure in one call) and
 * ar_account_take_logs (the logs moved out).
 *
 * Two accounts with the same config and seed trade the same seeded random
 * orders (market, limit, stop, close, exits, reduce-only, leverage, some
 * invalid) on a market with bad rows and funding. The reference is fed
 * every bar with ar_account_on_bar, as soon as it closes; the other gets
 * runs of bars through ar_account_on_bars, and while it is flat with nothing
 * pending nothing at all until its next order, then the bars it missed,
 * symbol by symbol (what the engine does with quiet accounts); the same
 * while it holds only positions bars cannot touch (ar_account_inert: the
 * engine's idle accounts), except that it is caught up before a step with
 * a bad mark, whose fallback is the account's last close. After every
 * step both must agree bit for bit: every log, position, the pending count
 * and ar_account_values at the marks, and for an account being fed, with
 * no marks and with a missing mark, which must also equal the three single
 * queries. With sqrt
 * slippage the bulk account reads a shared ar_slip_cache and the reference
 * its own tables, so the same checks hold the cache to the same sums. */
/* arena-test-deps: exec market util */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "arena/exec.h"
#include "arena/market.h"
#include "arena/util.h"

#define NS AR_NS_PER_S
#define IV (60 * NS)

static uint64_t rng_next(uint64_t *x) {
    *x += UINT64_C(0x9e3779b97f4a7c15);
    return ar_mix64(*x);
}
static double rng_unif(uint64_t *x) { return (double)(rng_next(x) >> 11) * 0x1.0p-53; }

/* nsym symbols of n one-minute bars from t = 0: random walks with wide
 * ranges (so that exits, stops and liquidations trigger), a bad row now and
 * then (NAN, zero, infinite or negative prices), and an 8h funding series on
 * every other symbol. */
static ar_market *random_market(size_t nsym, size_t n, uint64_t seed) {
    static const char *const names[] = {"BTC", "ETH", "SOL", "XRP"};
    ar_market *m = ar_market_create();
    assert_non_null(m);
    uint64_t x = seed;
    for (size_t s = 0; s < nsym; s++) {
        assert_int_equal(ar_market_add_symbol(m, names[s]), (int)s);
        ar_symbol *y = &m->sym[s];
        y->interval = IV;
        double p = 100 * (1 + (double)s);
        for (size_t i = 0; i < n; i++) {
            double o = p * (1 + 0.01 * (rng_unif(&x) - 0.5));
            double c = o * (1 + 0.03 * (rng_unif(&x) - 0.5));
            double h = fmax(o, c) * (1 + 0.01 * rng_unif(&x)), l = fmin(o, c) * (1 - 0.01 * rng_unif(&x));
            double u = rng_unif(&x);
            if (u < 0.01) c = NAN;
            else if (u < 0.015) l = 0;
            else if (u < 0.02) h = INFINITY;
            else if (u < 0.025) o = -1;
            else p = c;
            assert_int_equal(ar_bars_push(&y->bars, (int64_t)i * IV, o, h, l, c, 10 + 100 * rng_unif(&x)), AR_OK);
        }
        if (s % 2 == 1)
            for (int64_t f = 0; f < (int64_t)n * IV; f += 8 * 3600 * NS)
                assert_int_equal(ar_funding_push(&y->funding, f + 3600 * NS, 1e-3 * (rng_unif(&x) - 0.3)), AR_OK);
    }
    return m;
}

/* Both accounts, and the other's bar cursor while it is left unfed. */
typedef struct pair {
    ar_account *ref, *bulk;
    const ar_market *m;
    int idle;     /* bulk was flat with nothing pending (1) or inert (2): not fed since fed[] */
    size_t fed[4];
} pair;

static void same_logs(const pair *p) {
    size_t na, nb;
    const void *a, *b;
    a = ar_account_orders(p->ref, &na), b = ar_account_orders(p->bulk, &nb);
    assert_int_equal(na, nb);
    if (na) assert_memory_equal(a, b, na * sizeof(ar_order_rec));
    a = ar_account_fills(p->ref, &na), b = ar_account_fills(p->bulk, &nb);
    assert_int_equal(na, nb);
    if (na) assert_memory_equal(a, b, na * sizeof(ar_fill_rec));
    a = ar_account_trades(p->ref, &na), b = ar_account_trades(p->bulk, &nb);
    assert_int_equal(na, nb);
    if (na) assert_memory_equal(a, b, na * sizeof(ar_trade_rec));
    a = ar_account_funding(p->ref, &na), b = ar_account_funding(p->bulk, &nb);
    assert_int_equal(na, nb);
    if (na) assert_memory_equal(a, b, na * sizeof(ar_funding_rec));
}

/* ar_account_values of a, which must be the three single queries. */
static int values(const ar_account *a, const double *marks, size_t nsym, double v[3]) {
    int quiet = ar_account_values(a, marks, &v[0], &v[1], &v[2]);
    double e = ar_account_equity(a, marks), c = ar_account_cash(a), g = ar_account_gross_exposure(a, marks);
    assert_memory_equal(&v[0], &e, sizeof e);
    assert_memory_equal(&v[1], &c, sizeof c);
    assert_memory_equal(&v[2], &g, sizeof g);
    int flat = ar_account_npending(a) == 0;
    for (size_t s = 0; s < nsym; s++) flat &= ar_account_position(a, (int32_t)s)->qty == 0;
    assert_int_equal(quiet, flat);
    return quiet;
}

static void same_state(const pair *p, const double *marks) {
    size_t nsym = p->m->nsym;
    same_logs(p);
    assert_int_equal(ar_account_inert(p->ref), ar_account_inert(p->bulk));
    assert_int_equal(ar_account_npending(p->ref), ar_account_npending(p->bulk));
    for (size_t s = 0; s < nsym; s++)
        assert_memory_equal(ar_account_position(p->ref, (int32_t)s), ar_account_position(p->bulk, (int32_t)s),
                            sizeof(ar_position));
    double va[3], vb[3], gap[4];
    assert_int_equal(values(p->ref, marks, nsym, va), values(p->bulk, marks, nsym, vb));
    assert_memory_equal(va, vb, sizeof va);
    if (p->idle == 2) return; /* its last closes are those of when it went idle */
    /* marks missing: the accounts' own last closes */
    values(p->ref, NULL, nsym, va);
    values(p->bulk, NULL, nsym, vb);
    assert_memory_equal(va, vb, sizeof va);
    memcpy(gap, marks, nsym * sizeof *gap);
    gap[nsym - 1] = NAN;
    values(p->ref, gap, nsym, va);
    values(p->bulk, gap, nsym, vb);
    assert_memory_equal(va, vb, sizeof va);
}

/* Hand bulk the bars it missed while idle: symbol by symbol. */
static void catch_up(pair *p, const size_t *ptr) {
    if (!p->idle) return;
    for (size_t s = 0; s < p->m->nsym; s++) ar_account_on_bars(p->bulk, (int32_t)s, p->fed[s], ptr[s]);
    p->idle = 0;
}

/* A random order for symbol s at mark (some invalid on purpose). */
static ar_order_req random_order(uint64_t *x, const ar_account *a, int32_t s, double mark) {
    ar_order_req r = {s, AR_OT_MARKET, 0, NAN, 1, NAN, NAN, 0};
    double u = rng_unif(x);
    r.type = u < 0.4 ? AR_OT_MARKET : u < 0.6 ? AR_OT_LIMIT : u < 0.8 ? AR_OT_STOP : AR_OT_CLOSE;
    int side = rng_unif(x) < 0.5 ? 1 : -1;
    double lev = rng_unif(x) < 0.5 ? 1 : floor(1 + 24 * rng_unif(x)); /* up to 25: some over the maximum */
    double cash = ar_account_cash(a);
    r.qty = side * (cash > 0 ? cash : 1000) * lev / mark * (0.05 + 0.6 * rng_unif(x));
    if (rng_unif(x) < 0.02) r.qty = 0;
    r.leverage = lev;
    double ref = mark;
    if (r.type == AR_OT_LIMIT) ref = r.price = mark * (1 - side * 0.01 * rng_unif(x));
    if (r.type == AR_OT_STOP) ref = r.price = mark * (1 + side * 0.01 * rng_unif(x));
    if (rng_unif(x) < 0.4) r.tp = ref * (1 + side * 0.02 * rng_unif(x));
    if (rng_unif(x) < 0.4) r.sl = ref * (1 - side * 0.02 * rng_unif(x));
    if (rng_unif(x) < 0.05) r.sl = ref * (1 + side * 0.01); /* wrong side */
    r.reduce_only = rng_unif(x) < 0.1;
    return r;
}

/* One scenario: nsym symbols, config c, feeding bulk runs of up to maxrun
 * bars (nsym == 1: in one call; else bar by bar across symbols, which is
 * time order). */
static void scenario(const ar_exec_cfg *c, size_t nsym, size_t n, uint64_t seed, size_t maxrun) {
    ar_market *m = random_market(nsym, n, seed);
    pair p = {NULL, NULL, m, 0, {0}};
    p.ref = ar_account_create(c, m, 10000, seed ^ 5, NULL);
    p.bulk = ar_account_create(c, m, 10000, seed ^ 5, NULL);
    assert_non_null(p.ref);
    assert_non_null(p.bulk);
    ar_slip_cache *sc = c->slip == AR_SLIP_SQRT ? ar_slip_cache_create(m, NULL) : NULL;
    if (c->slip == AR_SLIP_SQRT) assert_non_null(sc);
    ar_account_use_slip_cache(p.bulk, sc);
    uint64_t x = seed * 31 + 7;
    size_t ptr[4] = {0}, i = 0, nidle = 0;
    double marks[4] = {NAN, NAN, NAN, NAN};
    while (i < n) {
        size_t run = 1 + (size_t)(rng_unif(&x) * (double)maxrun);
        if (run > n - i) run = n - i;
        for (size_t j = i; j < i + run; j++)
            for (size_t s = 0; s < nsym; s++) ar_account_on_bar(p.ref, (int32_t)s, j);
        if (!p.idle) {
            if (nsym == 1)
                ar_account_on_bars(p.bulk, 0, i, i + run);
            else
                for (size_t j = i; j < i + run; j++)
                    for (size_t s = 0; s < nsym; s++) ar_account_on_bars(p.bulk, (int32_t)s, j, j + 1);
        }
        i += run;
        int good = 1;
        for (size_t s = 0; s < nsym; s++) {
            ptr[s] = i;
            marks[s] = m->sym[s].bars.row[i - 1].close;
            good &= marks[s] > 0 && marks[s] < INFINITY;
        }
        if (p.idle == 2 && !good) catch_up(&p, ptr);
        same_state(&p, marks);
        double v[3];
        if (!p.idle && values(p.bulk, marks, nsym, v)) {
            p.idle = 1;
            memcpy(p.fed, ptr, sizeof p.fed);
        } else if (!p.idle && ar_account_inert(p.bulk)) {
            p.idle = 2;
            nidle++;
            memcpy(p.fed, ptr, sizeof p.fed);
        }
        int64_t t = (int64_t)i * IV;
        /* orders, now and then an exit plan or a cancel */
        double u = rng_unif(&x);
        if (u < 0.5) {
            catch_up(&p, ptr);
            size_t k = 1 + (size_t)(rng_unif(&x) * 3);
            for (size_t q = 0; q < k; q++) {
                int32_t s = (int32_t)(rng_unif(&x) * (double)nsym);
                double mk = isfinite(marks[s]) && marks[s] > 0 ? marks[s] : 100;
                ar_order_req r = random_order(&x, p.ref, s, mk);
                ar_order_rec ra, rb;
                assert_int_equal(ar_account_submit(p.ref, t, &r, marks, &ra), AR_OK);
                assert_int_equal(ar_account_submit(p.bulk, t, &r, marks, &rb), AR_OK);
                assert_memory_equal(&ra, &rb, sizeof ra);
            }
        } else if (u < 0.6) {
            catch_up(&p, ptr);
            int32_t s = (int32_t)(rng_unif(&x) * (double)nsym);
            const ar_position *pos = ar_account_position(p.ref, s);
            double e = pos->entry, side = pos->qty > 0 ? 1 : -1;
            double tp = rng_unif(&x) < 0.5 ? NAN : e * (1 + side * 0.02), sl = rng_unif(&x) < 0.5 ? NAN : e * (1 - side * 0.02);
            assert_int_equal(ar_account_set_exit(p.ref, s, tp, sl), ar_account_set_exit(p.bulk, s, tp, sl));
        } else if (u < 0.65) {
            catch_up(&p, ptr);
            int32_t s = rng_unif(&x) < 0.5 ? -1 : (int32_t)(rng_unif(&x) * (double)nsym);
            ar_account_cancel(p.ref, t, s);
            ar_account_cancel(p.bulk, t, s);
        }
        same_state(&p, marks);
    }
    catch_up(&p, ptr);
    /* the scenarios do reach the idle state (positions without exits, not
     * liquidable at leverage 1 in spot or without funding) */
    if (c->mode == AR_MODE_SPOT || (c->funding_interval == 0 && nsym == 1)) assert_true(nidle > 0);
    ar_account_finish(p.ref, (int64_t)n * IV);
    ar_account_finish(p.bulk, (int64_t)n * IV);
    same_state(&p, marks);

    /* the logs moved out are the logs, and the account is left without */
    ar_account_logs lg;
    assert_int_equal(ar_account_take_logs(p.bulk, &lg), AR_OK);
    size_t nn;
    const void *v = ar_account_orders(p.ref, &nn);
    assert_int_equal(lg.norders, nn);
    if (nn) assert_memory_equal(lg.orders, v, nn * sizeof(ar_order_rec));
    else assert_null(lg.orders);
    v = ar_account_fills(p.ref, &nn);
    assert_int_equal(lg.nfills, nn);
    if (nn) assert_memory_equal(lg.fills, v, nn * sizeof(ar_fill_rec));
    else assert_null(lg.fills);
    v = ar_account_trades(p.ref, &nn);
    assert_int_equal(lg.ntrades, nn);
    if (nn) assert_memory_equal(lg.trades, v, nn * sizeof(ar_trade_rec));
    else assert_null(lg.trades);
    v = ar_account_funding(p.ref, &nn);
    assert_int_equal(lg.nfunding, nn);
    if (nn) assert_memory_equal(lg.funding, v, nn * sizeof(ar_funding_rec));
    else assert_null(lg.funding);
    ar_account_orders(p.bulk, &nn);
    assert_int_equal(nn, 0);
    ar_account_fills(p.bulk, &nn);
    assert_int_equal(nn, 0);
    free(lg.orders);
    free(lg.fills);
    free(lg.trades);
    free(lg.funding);
    ar_account_free(p.ref);
    ar_account_free(p.bulk);
    ar_slip_cache_free(sc);
    ar_market_free(m);
}

static void perp_one_symbol(void **state) {
    (void)state;
    ar_exec_cfg c;
    ar_exec_cfg_default(&c);
    for (uint64_t seed = 1; seed <= 6; seed++) scenario(&c, 1, 3000, seed, 40);
    /* sqrt slippage with noise, latency, exits favourable first, funding by
     * interval; a heavy maintenance margin for liquidations */
    c.slip = AR_SLIP_SQRT;
    c.slip_k = 0.5;
    c.slip_noise_bps = 3;
    c.latency = 90 * NS;
    c.both_touched_favorable = 1;
    c.funding_rate = 2e-4;
    c.funding_interval = 3600 * NS;
    c.maintenance_margin = 0.05;
    for (uint64_t seed = 11; seed <= 16; seed++) scenario(&c, 1, 3000, seed, 40);
}

static void perp_symbols(void **state) {
    (void)state;
    ar_exec_cfg c;
    ar_exec_cfg_default(&c);
    c.slip = AR_SLIP_FIXED;
    c.slip_bps = 2;
    for (uint64_t seed = 21; seed <= 24; seed++) scenario(&c, 3, 2000, seed, 30);
    /* config funding filling the series' gaps, and on the plain symbols */
    c.funding_rate = 1e-4;
    c.funding_interval = 3600 * NS;
    c.slip = AR_SLIP_SQRT;
    c.slip_k = 0.2;
    for (uint64_t seed = 31; seed <= 34; seed++) scenario(&c, 4, 2000, seed, 30);
}

/* The cache is read, not recomputed: volumes changed after it was built
 * move the own-table account's fills and not the cached one's; a cache of
 * another market is ignored. */
static void slip_cache_is_read(void **state) {
    (void)state;
    ar_exec_cfg c;
    ar_exec_cfg_default(&c);
    c.slip = AR_SLIP_SQRT;
    c.slip_k = 1;
    ar_market *m = random_market(1, 500, 77), *other = random_market(1, 500, 78);
    for (size_t i = 0; i < 500; i++) m->sym[0].bars.row[i].volume = 50.0;
    ar_slip_cache *sc = ar_slip_cache_create(m, NULL), *so = ar_slip_cache_create(other, NULL);
    assert_non_null(sc);
    assert_non_null(so);
    /* from here on the market's volumes are 100x what the cache summed */
    for (size_t i = 0; i < 500; i++) m->sym[0].bars.row[i].volume = 5000.0;
    double px[3];
    for (int k = 0; k < 3; k++) {
        ar_account *a = ar_account_create(&c, m, 1e6, 9, NULL);
        assert_non_null(a);
        ar_account_use_slip_cache(a, k == 1 ? sc : k == 2 ? so : NULL);
        size_t i0 = 0;
        while (i0 < 300 || !(m->sym[0].bars.row[i0 - 1].close > 0 && isfinite(m->sym[0].bars.row[i0 - 1].close))) i0++;
        for (size_t i = 0; i < i0; i++) ar_account_on_bar(a, 0, i);
        double marks[1] = {m->sym[0].bars.row[i0 - 1].close};
        ar_order_req r = {0, AR_OT_MARKET, 1, NAN, 1, NAN, NAN, 0};
        ar_order_rec rec;
        assert_int_equal(ar_account_submit(a, (int64_t)i0 * IV, &r, marks, &rec), AR_OK);
        assert_int_equal(rec.status, AR_OS_PENDING);
        for (size_t i = i0; i < i0 + 20; i++) ar_account_on_bar(a, 0, i);
        size_t nf;
        const ar_fill_rec *f = ar_account_fills(a, &nf);
        assert_int_equal(nf, 1);
        px[k] = f[0].price / f[0].ref_price - 1;
        assert_true(px[k] > 0); /* the impact is there */
        ar_account_free(a);
    }
    /* own tables over the volumes now; the cache over those it was built
     * from (100x less volume: 10x the impact); another market's cache
     * ignored (own tables again, the same fill) */
    assert_true(fabs(px[1] / px[0] - 10) < 1e-6);
    assert_true(px[2] == px[0]);
    ar_slip_cache_free(sc);
    ar_slip_cache_free(so);
    ar_market_free(m);
    ar_market_free(other);
}

static void spot(void **state) {
    (void)state;
    ar_exec_cfg c;
    ar_exec_cfg_default(&c);
    c.mode = AR_MODE_SPOT;
    for (uint64_t seed = 41; seed <= 44; seed++) scenario(&c, 1, 3000, seed, 60);
    for (uint64_t seed = 45; seed <= 47; seed++) scenario(&c, 2, 2000, seed, 30);
}

/* An open position with no liquidation price, exits or funding (a 1x long)
 * is fed runs of bars in O(1) and ends where bar-by-bar feeding does; with
 * a stop-loss it is walked and the stop fires inside the run. */
static int bar_good(const ar_market *m, size_t i) {
    const ar_bars *b = &m->sym[0].bars;
    double v[4] = {b->row[i].open, b->row[i].high, b->row[i].low, b->row[i].close};
    for (int k = 0; k < 4; k++)
        if (!(isfinite(v[k]) && v[k] > 0)) return 0;
    return 1;
}

static void inert_position(void **state) {
    (void)state;
    ar_market *m = random_market(1, 400, 99);
    ar_exec_cfg c;
    ar_exec_cfg_default(&c);
    for (int with_sl = 0; with_sl <= 1; with_sl++) {
        ar_account *a = ar_account_create(&c, m, 10000, 1, NULL), *b = ar_account_create(&c, m, 10000, 1, NULL);
        double mark = m->sym[0].bars.row[0].close;
        /* 8 units: margin 8p / 1 and entry - margin / 8 are exact, so the
         * liquidation price is 0: none */
        ar_order_req r = {0, AR_OT_MARKET, 8, NAN, 1, NAN, with_sl ? mark * 0.97 : NAN, 0};
        ar_order_rec rec;
        assert_int_equal(ar_account_submit(a, IV, &r, &mark, &rec), AR_OK);
        assert_int_equal(ar_account_submit(b, IV, &r, &mark, &rec), AR_OK);
        for (size_t i = 1; i < 400; i++) ar_account_on_bar(a, 0, i);
        assert_true(bar_good(m, 1));
        ar_account_on_bars(b, 0, 1, 2); /* the fill */
        assert_true(ar_account_position(b, 0)->qty > 0);
        if (!with_sl) assert_true(isnan(ar_account_position(b, 0)->liq));
        ar_account_on_bars(b, 0, 2, 200);
        ar_account_on_bars(b, 0, 200, 400);
        ar_account_on_bars(b, 0, 300, 400); /* again: nothing */
        pair p = {a, b, m, 0, {0}};
        double marks[1] = {m->sym[0].bars.row[399].close};
        same_state(&p, marks);
        ar_account_free(a);
        ar_account_free(b);
    }
    ar_market_free(m);
}

static void take_logs_needs_nothing_pending(void **state) {
    (void)state;
    ar_market *m = random_market(1, 10, 3);
    ar_exec_cfg c;
    ar_exec_cfg_default(&c);
    ar_account *a = ar_account_create(&c, m, 10000, 1, NULL);
    ar_account_logs lg;
    assert_int_equal(ar_account_take_logs(a, &lg), AR_OK); /* nothing yet */
    assert_null(lg.orders);
    assert_int_equal(lg.norders, 0);
    double mark = 100;
    ar_order_req r = {0, AR_OT_LIMIT, 1, 50, 1, NAN, NAN, 0};
    ar_order_rec rec;
    assert_int_equal(ar_account_submit(a, IV, &r, &mark, &rec), AR_OK);
    assert_int_equal(rec.status, AR_OS_PENDING);
    assert_int_equal(ar_account_take_logs(a, &lg), AR_ESTATE);
    assert_null(lg.orders);
    ar_account_finish(a, 10 * IV);
    assert_int_equal(ar_account_take_logs(a, &lg), AR_OK);
    assert_int_equal(lg.norders, 1);
    assert_int_equal(lg.orders[0].status, AR_OS_EXPIRED);
    free(lg.orders);
    assert_int_equal(ar_account_take_logs(NULL, &lg), AR_EINVAL);
    ar_account_free(a);
    ar_market_free(m);
}

/* An account's logs past AR_HUGE_MIN bytes move to huge pages (log_grow):
 * 30,000 pending limit orders (3 MB of order records, plus the pending and
 * reservation arrays) must come back whole and in order. */
static void big_logs_stay_whole(void **state) {
    (void)state;
    ar_market *m = random_market(1, 10, 4);
    ar_exec_cfg c;
    ar_exec_cfg_default(&c);
    ar_account *a = ar_account_create(&c, m, 1e9, 1, NULL);
    double mark = 100;
    enum { N = 30000 };
    for (int i = 0; i < N; i++) {
        ar_order_req r = {0, AR_OT_LIMIT, 0.001 * (1 + i % 97), 50 - 0.0001 * i, 1, NAN, NAN, 0};
        ar_order_rec rec;
        assert_int_equal(ar_account_submit(a, IV, &r, &mark, &rec), AR_OK);
        assert_int_equal(rec.status, AR_OS_PENDING);
    }
    ar_account_finish(a, 10 * IV);
    ar_account_logs lg;
    assert_int_equal(ar_account_take_logs(a, &lg), AR_OK);
    assert_int_equal(lg.norders, N);
    assert_true(lg.norders * sizeof *lg.orders > AR_HUGE_MIN);
    for (int i = 0; i < N; i++) {
        assert_int_equal(lg.orders[i].id, i);
        assert_int_equal(lg.orders[i].status, AR_OS_EXPIRED);
        assert_true(lg.orders[i].qty == 0.001 * (1 + i % 97));
        assert_true(lg.orders[i].price == 50 - 0.0001 * i);
    }
    free(lg.orders);
    free(lg.fills);
    free(lg.trades);
    free(lg.funding);
    ar_account_free(a);
    ar_market_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(perp_one_symbol), cmocka_unit_test(perp_symbols), cmocka_unit_test(slip_cache_is_read),
        cmocka_unit_test(spot),
        cmocka_unit_test(inert_position), cmocka_unit_test(take_logs_needs_nothing_pending),
        cmocka_unit_test(big_logs_stay_whole),
    };
    return cmocka_run_group_tests_name("exec_bulk", tests, NULL, NULL);
}
