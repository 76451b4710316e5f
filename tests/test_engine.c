/* tests/test_engine.c - the engine loop: decision timing, warm-up, the exact
 * sma_cross trades on a hand-made series, buy_hold sizing, determinism, and
 * that nothing after a decision time can change that decision. */
/* arena-test-deps: core strategies agents exec store stats market util */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include "arena/config.h"
#include "arena/engine.h"
#include "arena/util.h"

#define T0 (INT64_C(1748736000) * AR_NS_PER_S) /* 2025-06-01T00:00:00Z */

/* One symbol of 1-minute bars with the given closes; each open is the
 * previous close (the first is the first close). */
static ar_market *market_from_closes(const char *name, const double *c, size_t n) {
    ar_market *m = ar_market_create();
    int s = ar_market_add_symbol(m, name);
    m->sym[s].interval = AR_NS_PER_MIN;
    for (size_t i = 0; i < n; i++) {
        double o = i ? c[i - 1] : c[0];
        ar_bars_push(&m->sym[s].bars, T0 + (int64_t)i * AR_NS_PER_MIN, o, fmax(o, c[i]), fmin(o, c[i]), c[i], 100);
    }
    return m;
}

static ar_run *run_cfg(const char *json, const ar_market *m) {
    ar_config *cfg = NULL;
    ar_errbuf eb = {{0}};
    if (ar_config_parse(json, "t.json", &cfg, &eb)) fail_msg("config: %s", eb.msg);
    if (cfg->cadence == 0) cfg->cadence = AR_NS_PER_MIN;
    ar_run *r = NULL;
    if (ar_tournament_run(cfg, m, NULL, NULL, &r, &eb)) fail_msg("run: %s", eb.msg);
    ar_config_free(cfg);
    return r;
}

static const double sma_closes[] = {10, 10, 10, 10, 9, 8, 9, 11, 12, 12, 11, 9, 8};

static void sma_cross_exact(void **state) {
    (void)state;
    ar_market *m = market_from_closes("X", sma_closes, 13);
    ar_run *r = run_cfg("{\"market\": {\"data\": \"m.h5\"}, \"capital\": 1000, \"baselines\": [],"
                        " \"execution\": {\"fees\": {\"taker_bps\": 10, \"maker_bps\": 0}},"
                        " \"agents\": [{\"name\": \"sma\", \"strategy\": \"sma_cross\","
                        "              \"params\": {\"fast\": 2, \"slow\": 3}}]}",
                        m);
    ar_run_episode *ep = &r->episodes[0];
    assert_int_equal(ep->start, T0 + AR_NS_PER_MIN);      /* first bar closed */
    assert_int_equal(ep->end, T0 + 13 * AR_NS_PER_MIN);   /* last bar's close */
    ar_run_agent *a = &ep->agents[0];
    /* decisions at T0+1m .. T0+12m, plus the final mark at end */
    assert_int_equal(a->nequity, 13);
    assert_int_equal(a->equity[0].t, T0 + AR_NS_PER_MIN);
    assert_int_equal(a->equity[12].t, T0 + 13 * AR_NS_PER_MIN);
    /* cross up at the decision seeing bar 7 (8, 9, 11): buy at bar 8's open;
     * cross down seeing bar 10 (12, 12, 11): close at bar 11's open. */
    assert_int_equal(a->nfills, 2);
    double q = 1000.0 / (11 * 1.001) * (1 - 1e-9);
    assert_int_equal(a->fills[0].t, T0 + 8 * AR_NS_PER_MIN);
    assert_true(fabs(a->fills[0].qty - q) < 1e-12);
    assert_true(a->fills[0].price == 11);
    assert_true(fabs(a->fills[0].fee - q * 11 * 0.001) < 1e-12);
    assert_int_equal(a->fills[1].t, T0 + 11 * AR_NS_PER_MIN);
    assert_true(fabs(a->fills[1].qty + q) < 1e-12);
    assert_true(a->fills[1].price == 11);
    assert_int_equal(a->orders[0].t_decision, T0 + 8 * AR_NS_PER_MIN);
    assert_int_equal(a->orders[1].t_decision, T0 + 11 * AR_NS_PER_MIN);
    assert_int_equal(a->ntrades, 1);
    double fin = 1000 - 2 * q * 11 * 0.001;
    assert_true(fabs(a->final_equity - fin) < 1e-9);
    assert_true(fabs(a->trades[0].pnl + 2 * q * 11 * 0.001) < 1e-9);
    assert_true(fabs(a->fees - 2 * q * 11 * 0.001) < 1e-12);
    /* two decisions with actions were recorded */
    assert_int_equal(a->ndecisions, 2);
    ar_run_free(r);
    ar_market_free(m);
}

static void warmup_and_window(void **state) {
    (void)state;
    ar_market *m = market_from_closes("X", sma_closes, 13);
    /* Start at bar 5's open: bars 0..4 are warm-up history; end before the last bar. */
    ar_run *r = run_cfg("{\"market\": {\"data\": \"m.h5\", \"start\": \"2025-06-01T00:05:00Z\","
                        " \"end\": \"2025-06-01T00:10:00Z\"}, \"capital\": 1000, \"baselines\": [],"
                        " \"execution\": {\"fees\": {\"taker_bps\": 10}},"
                        " \"agents\": [{\"name\": \"sma\", \"strategy\": \"sma_cross\","
                        "              \"params\": {\"fast\": 2, \"slow\": 3}}]}",
                        m);
    ar_run_agent *a = &r->episodes[0].agents[0];
    assert_int_equal(a->nequity, 6); /* 00:05 .. 00:09 and the mark at 00:10 */
    /* warm-up let the first decision (seeing bars 0..4) know the earlier sign,
     * so the same cross up at 00:08 happens; the close at 00:11 is out of the window */
    assert_int_equal(a->nfills, 1);
    assert_int_equal(a->fills[0].t, T0 + 8 * AR_NS_PER_MIN);
    /* final mark: bar 9 (closes 00:10) close 12 */
    double q = a->fills[0].qty;
    double cash = 1000 - q * 11 - q * 11 * 0.001;
    assert_true(fabs(a->final_equity - (cash + q * 12)) < 1e-9);
    ar_run_free(r);
    ar_market_free(m);
}

static ar_market *random_market(size_t n, uint64_t seed) {
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    ar_market *m = ar_market_create();
    const char *names[] = {"AAA", "BBB"};
    for (int s = 0; s < 2; s++) {
        int k = ar_market_add_symbol(m, names[s]);
        m->sym[k].interval = AR_NS_PER_MIN;
        double p = 100;
        for (size_t i = 0; i < n; i++) {
            double o = p;
            p *= exp(gsl_ran_gaussian(g, 0.004));
            double h = fmax(o, p) * (1 + fabs(gsl_ran_gaussian(g, 0.001)));
            double l = fmin(o, p) * (1 - fabs(gsl_ran_gaussian(g, 0.001)));
            ar_bars_push(&m->sym[k].bars, T0 + (int64_t)i * AR_NS_PER_MIN, o, h, l, p, 50 + gsl_rng_uniform(g) * 100);
        }
    }
    gsl_rng_free(g);
    return m;
}

static const char *mixed_cfg =
    "{\"market\": {\"data\": \"m.h5\"}, \"seed\": 11, \"capital\": 10000,"
    " \"execution\": {\"slippage\": {\"model\": \"sqrt\", \"k\": 0.1, \"noise_bps\": 1},"
    "                 \"funding\": {\"rate\": 0.0001, \"interval\": \"1h\"}},"
    " \"baselines\": [\"flat\", \"buy_hold\", \"random\"],"
    " \"agents\": [{\"name\": \"sma\", \"strategy\": \"sma_cross\"},"
    "   {\"name\": \"mom\", \"strategy\": \"momentum\", \"params\": {\"lookback\": 20, \"leverage\": 3}},"
    "   {\"name\": \"mr\", \"strategy\": \"mean_revert\", \"params\": {\"window\": 30, \"entry_z\": 1.5}},"
    "   {\"name\": \"rnd\", \"strategy\": \"random\", \"params\": {\"probability\": 0.1}}]}";

static void deterministic(void **state) {
    (void)state;
    ar_market *m = random_market(3000, 5);
    ar_run *a = run_cfg(mixed_cfg, m), *b = run_cfg(mixed_cfg, m);
    for (size_t i = 0; i < a->episodes[0].nagents; i++) {
        ar_run_agent *x = &a->episodes[0].agents[i], *y = &b->episodes[0].agents[i];
        assert_int_equal(x->nfills, y->nfills);
        assert_int_equal(x->nequity, y->nequity);
        assert_memory_equal(x->equity, y->equity, x->nequity * sizeof *x->equity);
        if (x->nfills) assert_memory_equal(x->fills, y->fills, x->nfills * sizeof *x->fills);
    }
    /* the active strategies actually traded, and buy_hold bought both */
    assert_true(a->episodes[0].agents[1].nfills > 10);  /* mom */
    assert_true(a->episodes[0].agents[3].nfills > 10);  /* rnd */
    assert_int_equal(a->episodes[0].agents[5].nfills, 2); /* buy_hold */
    assert_int_equal(a->episodes[0].agents[4].nfills, 0); /* flat */
    assert_true(a->episodes[0].agents[4].final_equity == 10000);
    ar_run_free(a);
    ar_run_free(b);
    ar_market_free(m);
}

static void buy_hold_sizing(void **state) {
    (void)state;
    ar_market *m = random_market(50, 9);
    ar_run *r = run_cfg("{\"market\": {\"data\": \"m.h5\"}, \"capital\": 10000, \"baselines\": [\"buy_hold\"],"
                        " \"execution\": {\"fees\": {\"taker_bps\": 5}}}",
                        m);
    ar_run_agent *a = &r->episodes[0].agents[0];
    assert_int_equal(a->nfills, 2);
    for (int s = 0; s < 2; s++) {
        double close0 = m->sym[s].bars.row[0].close;
        assert_true(fabs(a->orders[s].qty - 5000 / (close0 * 1.0005)) < 1e-9);
        assert_true(a->fills[s].price == m->sym[s].bars.row[1].open); /* next open, no slippage */
    }
    ar_run_free(r);
    ar_market_free(m);
}

/* Funding instants inside the last bar of a run: no bar of the run opens
 * after them, so the end settles them, at the final mark, before the final
 * equity sample. 10-hour bars at 100, then 110 in the last; funding every
 * 8 h from T0 (a multiple of 8 h); buy_hold's long from the first decision. */
static void funding_inside_last_bar(void **state) {
    (void)state;
    ar_market *m = ar_market_create();
    int s = ar_market_add_symbol(m, "X");
    int64_t H = 3600 * AR_NS_PER_S;
    m->sym[s].interval = 10 * H;
    ar_bars_push(&m->sym[s].bars, T0, 100, 100, 100, 100, 10);
    ar_bars_push(&m->sym[s].bars, T0 + 10 * H, 100, 100, 100, 100, 10);
    ar_bars_push(&m->sym[s].bars, T0 + 20 * H, 100, 110, 100, 110, 10);
    ar_run *r = run_cfg("{\"market\": {\"data\": \"m.h5\"}, \"capital\": 1000, \"cadence\": \"10h\","
                        " \"baselines\": [\"buy_hold\"],"
                        " \"execution\": {\"fees\": {\"taker_bps\": 0},"
                        "                 \"funding\": {\"rate\": 0.001, \"interval\": \"8h\"}}}",
                        m);
    ar_run_episode *ep = &r->episodes[0];
    assert_int_equal(ep->end, T0 + 30 * H);
    ar_run_agent *a = &ep->agents[0];
    assert_int_equal(a->nfills, 1); /* at bar 1's open, 100 */
    double q = a->fills[0].qty;
    assert_true(a->fills[0].price == 100);
    /* 16h: inside bar 1, settled at bar 2's open (100); 24h: inside the last
     * bar, settled at the end at its close (110); 32h is after the end */
    assert_int_equal(a->nfunding, 2);
    assert_int_equal(a->funding_log[0].t, T0 + 16 * H);
    assert_true(a->funding_log[0].price == 100);
    assert_int_equal(a->funding_log[1].t, T0 + 24 * H);
    assert_true(a->funding_log[1].price == 110);
    double paid = q * 100 * 0.001 + q * 110 * 0.001;
    assert_true(fabs(a->funding - paid) < 1e-9);
    /* the final sample includes it: cash + margin + pnl */
    double fin = 1000 - paid + q * 10;
    assert_true(fabs(a->final_equity - fin) < 1e-9);
    assert_true(fabs(a->equity[a->nequity - 1].equity - fin) < 1e-9);
    ar_run_free(r);
    ar_market_free(m);
}

/* An order that can never fill (its symbol's data ended) stays pending to
 * the end; it must hold back only its own symbol. AAA alternates 100/101,
 * so momentum(1) flips it at every decision; BBB rises for 9 bars and
 * drops at its 10th and last, so at 10m momentum orders BBB short, an
 * order no bar of BBB will ever fill. */
static void pending_order_holds_only_its_symbol(void **state) {
    (void)state;
    ar_market *m = ar_market_create();
    int a = ar_market_add_symbol(m, "AAA"), b = ar_market_add_symbol(m, "BBB");
    m->sym[a].interval = m->sym[b].interval = AR_NS_PER_MIN;
    for (int i = 0; i < 60; i++) {
        double c = i % 2 ? 101 : 100;
        ar_bars_push(&m->sym[a].bars, T0 + i * AR_NS_PER_MIN, c, c, c, c, 100);
    }
    for (int i = 0; i < 10; i++) {
        double c = i < 9 ? 50 + i : 40;
        ar_bars_push(&m->sym[b].bars, T0 + i * AR_NS_PER_MIN, c, c, c, c, 100);
    }
    ar_run *r = run_cfg("{\"market\": {\"data\": \"m.h5\"}, \"capital\": 10000, \"baselines\": [],"
                        " \"agents\": [{\"name\": \"mom\", \"strategy\": \"momentum\","
                        "              \"params\": {\"lookback\": 1, \"leverage\": 1, \"fraction\": 0.5}}]}",
                        m);
    ar_run_agent *g = &r->episodes[0].agents[0];
    size_t late_a = 0, pending_b = 0;
    for (size_t k = 0; k < g->nfills; k++)
        if (g->fills[k].sym == a && g->fills[k].t >= T0 + 20 * AR_NS_PER_MIN) late_a++;
    for (size_t k = 0; k < g->norders; k++)
        if (g->orders[k].sym == b && g->orders[k].reason == AR_R_END) pending_b++;
    assert_true(pending_b > 0);  /* BBB's orders from 10m on expired at the end */
    assert_true(late_a >= 38);   /* AAA flipped at every decision from 20m to 59m */
    ar_run_free(r);
    ar_market_free(m);
}

/* Decisions taken at or before a cutoff must not change when every bar that
 * closes after the cutoff is replaced by other numbers. */
static void no_lookahead(void **state) {
    (void)state;
    size_t n = 2000, cut = 1200; /* bars [0, cut) close by T0 + cut min */
    ar_market *a = random_market(n, 21), *b = random_market(n, 21);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    for (size_t s = 0; s < 2; s++)
        for (size_t i = cut; i < n; i++) {
            ar_bars *bb = &b->sym[s].bars;
            double k = 0.5 + gsl_rng_uniform(g);
            bb->row[i].open *= k, bb->row[i].high *= k * 1.01, bb->row[i].low *= k * 0.99, bb->row[i].close *= k;
            bb->row[i].volume *= 3;
        }
    gsl_rng_free(g);
    ar_run *ra = run_cfg(mixed_cfg, a), *rb = run_cfg(mixed_cfg, b);
    int64_t cutoff = T0 + (int64_t)cut * AR_NS_PER_MIN;
    size_t compared = 0;
    for (size_t i = 0; i < ra->episodes[0].nagents; i++) {
        ar_run_agent *x = &ra->episodes[0].agents[i], *y = &rb->episodes[0].agents[i];
        for (size_t k = 0; k < x->norders && x->orders[k].t_decision <= cutoff; k++) {
            assert_true(k < y->norders);
            assert_int_equal(x->orders[k].t_decision, y->orders[k].t_decision);
            assert_int_equal(x->orders[k].sym, y->orders[k].sym);
            assert_true(x->orders[k].qty == y->orders[k].qty);
            compared++;
        }
        for (size_t k = 0; k < x->nequity && x->equity[k].t <= cutoff; k++)
            assert_true(x->equity[k].equity == y->equity[k].equity);
    }
    assert_true(compared > 20);
    ar_run_free(ra);
    ar_run_free(rb);
    ar_market_free(a);
    ar_market_free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sma_cross_exact),
        cmocka_unit_test(warmup_and_window),
        cmocka_unit_test(deterministic),
        cmocka_unit_test(buy_hold_sizing),
        cmocka_unit_test(no_lookahead),
        cmocka_unit_test(funding_inside_last_bar),
        cmocka_unit_test(pending_order_holds_only_its_symbol),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
