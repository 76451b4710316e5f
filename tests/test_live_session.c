/* tests/test_live_session.c - the live session (include/arena/live.h) fed
 * events directly, without a network: bars and decisions on the feed clock,
 * fills at the first trade of the next second, the run file it writes, bad
 * events counted and skipped, gap ticks, book-only prices, market.end, and
 * resuming with positions restored (and refused under another config). */
/* arena-test-deps: core llm strategies agents exec store stats market util */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "arena/config.h"
#include "arena/live.h"
#include "arena/live_store.h"
#include "arena/run.h"
#include <hdf5.h>
#include "arena/util.h"

#define T0 INT64_C(1735689600000000000) /* 2025-01-01 00:00:00 UTC */
#define S AR_NS_PER_S
#define MIN AR_NS_PER_MIN

static char path[64];

static int setup(void **state) {
    (void)state;
    snprintf(path, sizeof path, "/tmp/test_live_session.%d.h5", (int)getpid());
    return 0;
}

static int teardown(void **state) {
    (void)state;
    unlink(path);
    return 0;
}

/* buy_hold buys at the first decision; flat never trades. */
static ar_config *config(const char *extra_market, const char *channels) {
    char text[2048];
    snprintf(text, sizeof text,
             "{\"name\": \"t\", \"seed\": 3, \"capital\": 10000, \"cadence\": \"1m\","
             " \"market\": {\"symbols\": [\"BTC\", \"ETH\"], \"mode\": \"perp\"%s},"
             " \"live\": {\"exchange\": \"binance\", \"url\": \"ws://127.0.0.1:1\", \"channels\": %s},"
             " \"execution\": {\"fees\": {\"taker_bps\": 10, \"maker_bps\": 0}},"
             " \"baselines\": [\"flat\", \"buy_hold\"]}",
             extra_market, channels);
    ar_config *c = NULL;
    ar_errbuf eb = {{0}};
    if (ar_config_parse(text, "t.json", &c, &eb) != AR_OK) fail_msg("config: %s", eb.msg);
    return c;
}

/* The episode's agent called name (fails the test when there is none). */
static const ar_run_agent *agent(const ar_run *r, const char *name) {
    for (size_t a = 0; a < r->episodes[0].nagents; a++)
        if (!strcmp(r->episodes[0].agents[a].name, name)) return &r->episodes[0].agents[a];
    fail_msg("no agent %s", name);
    return NULL;
}

/* A live session of c on the test's file (resume: continuing it). */
static ar_live *open_live(const ar_config *c, int resume) {
    ar_live *L = NULL;
    ar_errbuf eb = {{0}};
    ar_live_opts o = {path, resume, NULL, NULL, NULL, NULL};
    if (ar_live_open(c, &o, &L, &eb) != AR_OK) fail_msg("ar_live_open: %s", eb.msg);
    return L;
}

static void trade(ar_live *L, int sym, int64_t t, double px) {
    ar_errbuf eb = {{0}};
    assert_int_equal(ar_live_trade(L, sym, t, px, 1.0, 1, &eb), AR_OK);
}

static void test_fills_at_next_second_and_file(void **state) {
    (void)state;
    ar_config *c = config(", \"end\": \"2025-01-01T00:05:00Z\"", "[\"trades\"]");
    ar_live *L = open_live(c, 0);
    ar_errbuf eb = {{0}};
    /* first trade at 00:00:30: first decision 00:01:00 (cadence grid) */
    trade(L, 0, T0 + 30 * S, 100);
    trade(L, 1, T0 + 31 * S, 10);
    trade(L, 0, T0 + 59 * S, 101);
    /* this trade moves the clock to 00:01:00.5: decision at 00:01:00; the
     * order is active from 00:01:00 and fills at the open of the one-second
     * bar [00:01:00, 00:01:01): this trade, at 102 */
    trade(L, 0, T0 + 60 * S + S / 2, 102);
    trade(L, 1, T0 + 60 * S + S / 2, 11);
    trade(L, 0, T0 + 62 * S, 103); /* completes the 00:01:00 bar: fills now */
    trade(L, 1, T0 + 62 * S, 12);
    assert_int_equal(ar_live_unflushed_fills(L), 2); /* buy_hold's BTC and ETH */
    ar_live_status st;
    ar_live_get_status(L, &st);
    assert_int_equal(st.decisions, 1);
    /* bad events: counted and skipped */
    assert_int_equal(ar_live_trade(L, 7, T0 + 63 * S, 100, 1, 1, &eb), AR_OK);
    assert_int_equal(ar_live_trade(L, 0, T0 + 63 * S, -5, 1, 1, &eb), AR_OK);
    assert_int_equal(ar_live_trade(L, 0, T0 + 63 * S, NAN, 1, 1, &eb), AR_OK);
    assert_int_equal(ar_live_trade(L, 0, 0, 100, 1, 1, &eb), AR_OK);
    assert_int_equal(ar_live_gap(L, T0 + 64 * S, &eb), AR_OK);
    ar_live_get_status(L, &st);
    assert_int_equal(st.skipped, 4);
    assert_int_equal(ar_live_flush(L, &eb), AR_OK);
    /* past market.end: the final mark, finished */
    trade(L, 0, T0 + 5 * MIN + S, 110);
    assert_true(ar_live_finished(L));
    assert_int_equal(ar_live_close(L, &eb), AR_OK);

    ar_run *r = NULL;
    assert_int_equal(ar_run_h5_read(path, &r, &eb), AR_OK);
    assert_int_equal(r->nepisodes, 1);
    const ar_run_episode *ep = &r->episodes[0];
    assert_true(ep->start == T0 + MIN);
    const ar_run_agent *bh = agent(r, "buy_hold");
    assert_int_equal(bh->nfills, 2);
    assert_true(bh->fills[0].t == T0 + MIN);
    assert_true(bh->fills[0].price == 102);
    assert_true(bh->fills[1].price == 11);
    /* half the equity each, cash / (price x (1 + fee)) */
    double q0 = 5000.0 / (101 * (1 + 10e-4));
    assert_true(fabs(bh->fills[0].qty - q0) < 1e-6 * q0);
    assert_true(fabs(bh->fills[0].fee - bh->fills[0].qty * 102 * 10e-4) < 1e-9);
    /* the final mark at 00:05:00 is the last completed one-second close
     * before it: BTC 103, ETH 12 */
    double eq = 10000 - bh->fees + bh->fills[0].qty * (103 - 102) + bh->fills[1].qty * (12 - 11);
    assert_true(fabs(bh->final_equity - eq) < 1e-6);
    ar_run_free(r);
    ar_config_free(c);
}

static void test_book_only_uses_mid(void **state) {
    (void)state;
    ar_config *c = config("", "[\"book\"]");
    ar_live *L = open_live(c, 0);
    ar_errbuf eb = {{0}};
    /* trades are ignored without the trades channel; crossed books skipped */
    assert_int_equal(ar_live_trade(L, 0, T0 + 10 * S, 50, 1, 1, &eb), AR_OK);
    assert_int_equal(ar_live_book(L, 0, T0 + 10 * S, 99, 101, &eb), AR_OK);
    assert_int_equal(ar_live_book(L, 1, T0 + 10 * S, 9, 11, &eb), AR_OK);
    assert_int_equal(ar_live_book(L, 0, T0 + 11 * S, 102, 101, &eb), AR_OK);
    assert_int_equal(ar_live_book(L, 0, T0 + 60 * S, 103, 105, &eb), AR_OK);
    assert_int_equal(ar_live_book(L, 1, T0 + 60 * S, 10, 12, &eb), AR_OK);
    assert_int_equal(ar_live_book(L, 0, T0 + 61 * S, 103, 105, &eb), AR_OK);
    assert_int_equal(ar_live_book(L, 1, T0 + 61 * S, 10, 12, &eb), AR_OK);
    ar_live_status st;
    ar_live_get_status(L, &st);
    assert_int_equal(st.skipped, 1);
    assert_int_equal(st.ticks, 6);
    assert_int_equal(ar_live_close(L, &eb), AR_OK);
    ar_run *r = NULL;
    assert_int_equal(ar_run_h5_read(path, &r, &eb), AR_OK);
    const ar_run_agent *g = agent(r, "buy_hold");
    assert_int_equal(g->nfills, 2);
    assert_true(g->fills[0].price == 104); /* mid of 103 / 105 */
    assert_true(g->fills[1].price == 11);
    ar_run_free(r);
    ar_config_free(c);
}

static void test_resume(void **state) {
    (void)state;
    ar_config *c = config("", "[\"trades\"]");
    ar_live *L = open_live(c, 0);
    ar_errbuf eb = {{0}};
    for (int i = 0; i < 130; i++) {
        trade(L, 0, T0 + 30 * S + i * S, 100 + i * 0.1);
        trade(L, 1, T0 + 30 * S + i * S, 10 + i * 0.01);
    }
    assert_int_equal(ar_live_flush(L, &eb), AR_OK);
    assert_int_equal(ar_live_close(L, &eb), AR_OK);
    ar_live_state *s = NULL;
    assert_int_equal(ar_live_state_read(path, &s, &eb), AR_OK);
    double qty0 = NAN;
    for (size_t a = 0; a < s->nagents; a++)
        if (!strcmp(s->agents[a].name, "buy_hold")) qty0 = s->agents[a].pos[0].qty;
    assert_true(qty0 > 0);
    int64_t last = s->last_tick_t;
    ar_live_state_free(s);

    /* another config is refused */
    ar_config *c2 = config(", \"start\": \"2025-01-01T00:00:00Z\"", "[\"trades\"]");
    ar_live_opts o2 = {path, 1, NULL, NULL, NULL, NULL};
    assert_int_equal(ar_live_open(c2, &o2, &L, &eb), AR_ECONFIG);
    assert_non_null(strstr(eb.msg, "another config"));
    ar_config_free(c2);

    /* the same one continues: buy_hold keeps its position and does not buy again */
    L = open_live(c, 1);
    for (int i = 0; i < 130; i++) {
        trade(L, 0, last + S + i * S, 120 + i * 0.1);
        trade(L, 1, last + S + i * S, 12 + i * 0.01);
    }
    assert_int_equal(ar_live_close(L, &eb), AR_OK);
    ar_run *r = NULL;
    assert_int_equal(ar_run_h5_read(path, &r, &eb), AR_OK);
    {
        const ar_run_agent *g = agent(r, "buy_hold");
        assert_int_equal(g->nfills, 2); /* bought once, before the resume */
        assert_int_equal(g->norders, 2); /* and did not even try again after it */
        /* equity after the resume marks the restored position */
        assert_true(g->nequity > 3);
        /* the final mark at the clock (the last trade) is the close of the
         * last completed second: the trade before it */
        const ar_equity_rec *e = &g->equity[g->nequity - 1];
        assert_true(e->gross_exposure > 0);
        assert_true(fabs(e->gross_exposure - (qty0 * 132.8 + g->fills[1].qty * 13.28)) < 1e-6 * e->gross_exposure);
    }
    ar_run_free(r);
    ar_config_free(c);
}

/* ETH's last trade of a minute arrives after BTC's first of the next one,
 * which already closed ETH's bar: it is skipped, not made into a second
 * bar at the same time. And after --resume, trades the feed sends again
 * (at or before the last tick on file) are not taken twice. */
static void test_late_and_resent_events(void **state) {
    (void)state;
    ar_config *c = config("", "[\"trades\"]");
    ar_live *L = open_live(c, 0);
    ar_errbuf eb = {{0}};
    for (int m = 0; m < 4; m++) {
        trade(L, 0, T0 + m * MIN + S / 5, 100 + m);            /* BTC at :00.200 */
        trade(L, 1, T0 + m * MIN - S / 10, 50 + m);            /* ETH at :59.900 of the minute before: late */
        trade(L, 1, T0 + m * MIN + 3 * S / 10, 60 + m);        /* ETH at :00.300 */
    }
    ar_live_status st;
    ar_live_get_status(L, &st);
    assert_int_equal(st.skipped, 3); /* minutes 1-3; minute 0's came before any bar closed */
    int64_t last = T0 + 3 * MIN + 3 * S / 10;
    assert_int_equal(ar_live_flush(L, &eb), AR_OK);
    assert_int_equal(ar_live_close(L, &eb), AR_OK);
    L = open_live(c, 1);
    trade(L, 0, last - S, 99);  /* resent: before the last tick on file */
    trade(L, 1, last, 99);      /* resent: the last tick itself */
    trade(L, 0, last + S, 104); /* new */
    ar_live_get_status(L, &st);
    assert_int_equal(st.skipped, 2);
    assert_int_equal(ar_live_close(L, &eb), AR_OK);
    ar_run *r = NULL;
    assert_int_equal(ar_run_h5_read(path, &r, &eb), AR_OK);
    ar_run_free(r);
    /* the ticks: BTC 4, ETH 5 (minute 0's late one came before any bar
     * closed, so it was on time), BTC 1 after the resume; per symbol,
     * times never go backwards */
    typedef struct {
        int64_t t;
        int32_t sym;
    } tk;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), d = H5Dopen2(f, "/episodes/0/ticks", H5P_DEFAULT);
    hid_t sp = H5Dget_space(d), mt = H5Tcreate(H5T_COMPOUND, sizeof(tk));
    H5Tinsert(mt, "t", HOFFSET(tk, t), H5T_NATIVE_INT64);
    H5Tinsert(mt, "sym", HOFFSET(tk, sym), H5T_NATIVE_INT32);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    assert_int_equal(n, 10);
    tk v[10];
    assert_true(H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    int64_t prev[2] = {0, 0};
    for (int k = 0; k < 10; k++) {
        assert_true(v[k].sym == 0 || v[k].sym == 1);
        assert_true(v[k].t >= prev[v[k].sym]);
        prev[v[k].sym] = v[k].t;
    }
    H5Tclose(mt);
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
    ar_config_free(c);
}

/* One trade stamped two days ahead is skipped; the clock stays, and the
 * next trades go on. Two in a row (a real jump, after an outage) are taken. */
static void test_time_jump(void **state) {
    (void)state;
    ar_config *c = config("", "[\"trades\"]");
    ar_live *L = open_live(c, 0);
    ar_errbuf eb = {{0}};
    for (int i = 0; i < 5; i++) trade(L, 0, T0 + i * 10 * S, 100 + i);
    trade(L, 1, T0 + 2 * AR_NS_PER_DAY, 50); /* a wrong timestamp */
    ar_live_status st;
    ar_live_get_status(L, &st);
    assert_int_equal(st.skipped, 1);
    assert_true(st.clock == T0 + 40 * S);
    for (int i = 5; i < 10; i++) trade(L, 1, T0 + i * 10 * S, 50 + i);
    ar_live_get_status(L, &st);
    assert_int_equal(st.skipped, 1);
    assert_true(st.clock == T0 + 90 * S);
    size_t d0 = st.decisions;
    trade(L, 0, T0 + 3 * 3600 * S, 120); /* an outage of three hours: skipped once */
    trade(L, 1, T0 + 3 * 3600 * S + S, 60); /* confirmed: taken */
    ar_live_get_status(L, &st);
    assert_int_equal(st.skipped, 2);
    assert_true(st.clock == T0 + 3 * 3600 * S + S);
    assert_true(st.decisions > d0);
    assert_int_equal(ar_live_close(L, &eb), AR_OK);
    ar_config_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fills_at_next_second_and_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_book_only_uses_mid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_and_resent_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_jump, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
