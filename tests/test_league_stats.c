/* tests/test_league_stats.c - league statistics on hand-built runs: ratings
 * from per-episode outcomes, the window (cluster) bootstrap, the fallback,
 * the share beating buy_hold, PSR / DSR, Jobson-Korkie against the best
 * baseline, behaviour columns of a crafted llm agent, and determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <jansson.h>
#include "arena/league.h"
#include "arena/stats.h"
#include "arena/util.h"

static void *xcalloc(size_t n, size_t s) {
    void *p = calloc(n ? n : 1, s);
    assert_non_null(p);
    return p;
}

/* The curve of an episode with total return tr: 100 102 99 100(1+tr). */
static void curve(double tr, double *eq) {
    eq[0] = 100;
    eq[1] = 102;
    eq[2] = 99;
    eq[3] = 100 * (1 + tr);
}

static void set_agent(ar_run_agent *a, const char *name, const char *kind, int baseline, double tr) {
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", name);
    snprintf(a->kind, sizeof a->kind, "%s", kind);
    snprintf(a->detail, sizeof a->detail, "%s", name);
    a->baseline = baseline;
    a->capital = 100;
    double eq[4];
    curve(tr, eq);
    a->final_equity = eq[3];
    a->nequity = 4;
    a->equity = xcalloc(4, sizeof *a->equity);
    for (size_t k = 0; k < 4; k++) a->equity[k] = (ar_equity_rec){(int64_t)k * AR_NS_PER_DAY, eq[k], eq[k], 0};
}

static ar_run *new_run(size_t nep) {
    ar_run *r = xcalloc(1, sizeof *r);
    snprintf(r->name, sizeof r->name, "league stats");
    r->config_json = strdup("{}");
    r->manifest_json = strdup("{}");
    r->cadence = AR_NS_PER_DAY;
    r->capital = 100;
    r->mode = AR_MODE_PERP;
    r->nsym = 1;
    r->symbols = xcalloc(1, sizeof *r->symbols);
    snprintf(r->symbols[0], AR_SYM_MAX, "BTC");
    r->nepisodes = nep;
    r->episodes = xcalloc(nep, sizeof *r->episodes);
    return r;
}

/* Four agents, 2 windows x 2 seeds, total returns in %:
 *            w0s0  w0s1  w1s0  w1s1
 *   A          10     4     6     3
 *   B           5     4    -2     1     A beats B 3 times, ties once
 *   buy_hold    2     2    -1     5     (baseline)
 *   C          -3     1     8     0 */
static const char *const NAMES[4] = {"A", "B", "buy_hold", "C"};
static const double TR[4][4] = {{.10, .04, .06, .03}, {.05, .04, -.02, .01}, {.02, .02, -.01, .05}, {-.03, .01, .08, 0}};

static ar_run *make_league(void) {
    ar_run *r = new_run(4);
    for (size_t e = 0; e < 4; e++) {
        ar_run_episode *ep = &r->episodes[e];
        ep->window = (int32_t)(e / 2);
        ep->seed = e % 2;
        ep->nagents = 4;
        ep->agents = xcalloc(4, sizeof *ep->agents);
        for (size_t i = 0; i < 4; i++) set_agent(&ep->agents[i], NAMES[i], "builtin", i == 2, TR[i][e]);
    }
    return r;
}

static ar_league *compute(const ar_run *r, size_t B, uint64_t seed) {
    const ar_run *runs[1] = {r};
    ar_league *l = NULL;
    ar_errbuf eb = {{0}};
    ar_league_opts o = {.bootstrap = B, .seed = seed};
    assert_int_equal(ar_league_compute_opts(runs, 1, &o, &l, &eb), AR_OK);
    return l;
}

static const ar_league_row *row(const ar_league *l, const char *name) {
    for (size_t i = 0; i < l->nrows; i++)
        if (!strcmp(l->rows[i].agent, name)) return &l->rows[i];
    fail_msg("no row %s", name);
    return NULL;
}

static char *print_to_string(const ar_league *l, ar_format f) {
    FILE *tf = tmpfile();
    assert_non_null(tf);
    assert_int_equal(ar_league_print(l, f, tf), AR_OK);
    long n = ftell(tf);
    assert_true(n >= 0);
    rewind(tf);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, tf), (size_t)n);
    buf[n] = '\0';
    fclose(tf);
    return buf;
}

static void ratings_by_hand(void **state) {
    (void)state;
    ar_run *r = make_league();
    ar_league *l = compute(r, 0, 42);
    /* Outcomes per episode for every pair, agents in first-seen order. */
    ar_battle bt[24];
    size_t n = 0;
    for (size_t e = 0; e < 4; e++)
        for (int i = 0; i < 4; i++)
            for (int j = i + 1; j < 4; j++)
                bt[n++] = (ar_battle){i, j, TR[i][e] > TR[j][e] ? 1.0 : TR[i][e] < TR[j][e] ? 0.0 : 0.5};
    /* A vs B: 3 wins and the tie of w0s1. */
    assert_true(bt[0].y == 1 && bt[6].y == 0.5 && bt[12].y == 1 && bt[18].y == 1);
    double R[4];
    assert_int_equal(ar_bt_fit(bt, n, 4, R, NULL), AR_OK);
    for (int i = 0; i < 4; i++) {
        const ar_league_row *w = row(l, NAMES[i]);
        assert_float_equal(w->rating, R[i], 1e-9);
        assert_false(w->rating_fallback);
        assert_true(isnan(w->rating_ci_low) && isnan(w->rating_ci_high));
        /* Without a bootstrap the rank rule compares point ratings. */
        size_t above = 0;
        for (int j = 0; j < 4; j++) above += R[j] > R[i];
        assert_int_equal(w->rank, 1 + above);
        assert_int_equal(w->windows, 2);
        assert_int_equal(w->episodes, 4);
    }
    assert_float_equal(row(l, "A")->rating + row(l, "B")->rating + row(l, "buy_hold")->rating + row(l, "C")->rating,
                       4000, 1e-9);
    assert_false(l->rating_fallback);
    ar_league_free(l);

    /* With a bootstrap: ranks follow LMArena's rule on the intervals. */
    l = compute(r, 300, 42);
    for (size_t i = 0; i < l->nrows; i++) {
        size_t above = 0;
        for (size_t j = 0; j < l->nrows; j++) above += l->rows[j].rating_ci_low > l->rows[i].rating_ci_high;
        assert_int_equal(l->rows[i].rank, 1 + above);
        assert_true(l->rows[i].rating_ci_low <= l->rows[i].rating_ci_high);
    }
    ar_league_free(l);
    ar_run_free(r);
}

/* Three windows, k seeds each with identical results (a deterministic
 * agent replayed): the interval must not depend on k. */
static ar_run *make_replayed(size_t k) {
    static const double a[3] = {.05, -.02, .09}, b[3] = {.01, .03, -.04};
    ar_run *r = new_run(3 * k);
    for (size_t e = 0; e < 3 * k; e++) {
        ar_run_episode *ep = &r->episodes[e];
        ep->window = (int32_t)(e % 3);
        ep->seed = e / 3;
        ep->nagents = 2;
        ep->agents = xcalloc(2, sizeof *ep->agents);
        set_agent(&ep->agents[0], "det", "builtin", 0, a[e % 3]);
        set_agent(&ep->agents[1], "other", "builtin", 0, b[e % 3]);
    }
    return r;
}

static void cluster_bootstrap(void **state) {
    (void)state;
    ar_run *r1 = make_replayed(1), *r4 = make_replayed(4);
    ar_league *l1 = compute(r1, 1000, 42), *l4 = compute(r4, 1000, 42);
    for (int i = 0; i < 2; i++) {
        const char *nm = i ? "other" : "det";
        const ar_league_row *x = row(l1, nm), *y = row(l4, nm);
        assert_int_equal(x->episodes * 4, y->episodes);
        assert_int_equal(x->windows, 3);
        assert_int_equal(y->windows, 3);
        /* exactly the same numbers */
        assert_true(x->return_ci_low == y->return_ci_low && x->return_ci_high == y->return_ci_high);
        assert_true(x->return_median_ci_low == y->return_median_ci_low);
        assert_true(x->return_median_ci_high == y->return_median_ci_high);
        assert_true(x->sharpe_ci_low == y->sharpe_ci_low && x->sharpe_ci_high == y->sharpe_ci_high);
        assert_true(x->return_median == y->return_median);
        assert_true(x->return_ci_low < x->return_ci_high);
    }
    /* The interval lies within the window values: det's are -2 %, 5 %, 9 %. */
    assert_true(row(l1, "det")->return_ci_low >= -0.02 - 1e-15 && row(l1, "det")->return_ci_high <= 0.09 + 1e-15);
    /* Another seed gives another (still deterministic) interval. */
    ar_league *l7 = compute(r1, 1000, 7);
    assert_true(row(l7, "det")->return_ci_low >= -0.02 - 1e-15);
    ar_league_free(l7);
    ar_league_free(l1);
    ar_league_free(l4);
    ar_run_free(r1);
    ar_run_free(r4);
}

static void fallback_marked(void **state) {
    (void)state;
    ar_run *r = make_league();
    /* A now wins every comparison: the MLE does not exist. */
    for (size_t e = 0; e < 4; e++) {
        ar_run_agent_cleanup(&r->episodes[e].agents[0]);
        set_agent(&r->episodes[e].agents[0], "A", "builtin", 0, 0.5);
    }
    ar_league *l = compute(r, 100, 42);
    assert_true(l->rating_fallback);
    const ar_league_row *a = row(l, "A");
    assert_true(a->rating_fallback);
    assert_true(a->rating > row(l, "B")->rating + 100);
    assert_int_equal(a->rank, 1);
    char *js = print_to_string(l, AR_FMT_JSON);
    json_error_t je;
    json_t *j = json_loads(js, 0, &je);
    assert_non_null(j);
    assert_true(json_is_true(json_object_get(json_array_get(j, 0), "rating_fallback")));
    json_decref(j);
    free(js);
    char *txt = print_to_string(l, AR_FMT_TEXT);
    assert_non_null(strstr(txt, "\xe2\x80\xa0  "));           /* the mark after the rating */
    assert_non_null(strstr(txt, "\n\xe2\x80\xa0 rating: ")); /* and the footnote */
    assert_non_null(strstr(txt, "\n* baseline\n"));
    free(txt);
    ar_league_free(l);
    ar_run_free(r);
}

static void buy_hold_psr_dsr_jk(void **state) {
    (void)state;
    ar_run *r = make_league();
    ar_league *l = compute(r, 0, 42);
    assert_float_equal(row(l, "A")->beat_buy_hold, 0.75, 0);
    assert_float_equal(row(l, "B")->beat_buy_hold, 0.5, 0);
    assert_float_equal(row(l, "C")->beat_buy_hold, 0.25, 0);
    assert_true(isnan(row(l, "buy_hold")->beat_buy_hold));

    /* Per-period returns of all episodes, concatenated in episode order. */
    double ret[4][12], sr[4];
    for (int i = 0; i < 4; i++) {
        for (int e = 0; e < 4; e++) {
            double eq[4];
            curve(TR[i][e], eq);
            for (int k = 0; k < 3; k++) ret[i][3 * e + k] = eq[k + 1] / eq[k] - 1;
        }
        sr[i] = ar_sharpe_pp(ret[i], 12);
    }
    double mu = (sr[0] + sr[1] + sr[2] + sr[3]) / 4, V = 0;
    for (int i = 0; i < 4; i++) V += (sr[i] - mu) * (sr[i] - mu);
    V /= 3;
    for (int i = 0; i < 4; i++) {
        const ar_league_row *w = row(l, NAMES[i]);
        assert_float_equal(w->psr, ar_psr(ret[i], 12, 0, NULL), 1e-15);
        assert_float_equal(w->dsr, ar_dsr(ret[i], 12, 4, V, NULL, NULL), 1e-12);
        assert_false(isnan(w->dsr));
    }
    /* buy_hold is the only baseline, hence the best one. */
    assert_string_equal(l->best_baseline, "buy_hold");
    assert_true(isnan(row(l, "buy_hold")->jk_z_vs_best_baseline));
    assert_true(isnan(row(l, "buy_hold")->jk_p_vs_best_baseline));
    /* JK pairs each window's returns averaged over its seeds (running
     * mean): 2 windows x 3 periods. */
    double wret[4][6];
    for (int i = 0; i < 4; i++)
        for (int w = 0; w < 2; w++)
            for (int k = 0; k < 3; k++) {
                double m = ret[i][3 * (2 * w) + k];
                m += (ret[i][3 * (2 * w + 1) + k] - m) / 2.0;
                wret[i][3 * w + k] = m;
            }
    for (int i = 0; i < 4; i++) {
        if (i == 2) continue;
        ar_jk jk;
        ar_memmel_jk(wret[i], wret[2], 6, &jk);
        assert_float_equal(row(l, NAMES[i])->jk_z_vs_best_baseline, jk.z, 1e-15);
        assert_float_equal(row(l, NAMES[i])->jk_p_vs_best_baseline, jk.p_two_sided, 1e-15);
    }
    /* Median and worst drawdown: A's returns 3 4 6 10 -> 5 %. */
    assert_float_equal(row(l, "A")->return_median, 0.05, 1e-15);
    assert_float_equal(row(l, "A")->max_drawdown_worst, 99.0 / 102.0 - 1, 1e-15);
    ar_league_free(l);
    ar_run_free(r);
}

/* JK pairs only curves sampled at the same times: an episode whose pair is
 * not (x against the baseline, or x against the window's first x) is left
 * out of its window's average, whichever curve is off. A: its curve in
 * episode 1 is off (window 0 keeps episode 0 alone); B: the baseline's in
 * episode 3 is off for everyone (window 1 keeps episode 2 alone). */
static void jk_skips_misaligned(void **state) {
    (void)state;
    ar_run *r = make_league();
    r->episodes[1].agents[0].equity[2].t += 1;  /* A, window 0, seed 1 */
    r->episodes[3].agents[2].equity[1].t += 60; /* buy_hold, window 1, seed 1 */
    ar_league *l = compute(r, 0, 42);
    double ret[4][4][3]; /* agent, episode, period */
    for (int i = 0; i < 4; i++)
        for (int e = 0; e < 4; e++) {
            double eq[4];
            curve(TR[i][e], eq);
            for (int k = 0; k < 3; k++) ret[i][e][k] = eq[k + 1] / eq[k] - 1;
        }
    for (int i = 0; i < 4; i++) {
        if (i == 2) continue;
        double wx[6], wy[6];
        for (int w = 0; w < 2; w++)
            for (int k = 0; k < 3; k++) {
                /* window 1 keeps episode 2 alone (buy_hold's episode 3 is off);
                 * window 0 keeps episode 0 alone for A, both episodes otherwise */
                int both = w == 0 && i != 0;
                double x = ret[i][2 * w][k], y = ret[2][2 * w][k];
                if (both) {
                    x += (ret[i][1][k] - x) / 2.0;
                    y += (ret[2][1][k] - y) / 2.0;
                }
                wx[3 * w + k] = x;
                wy[3 * w + k] = y;
            }
        ar_jk jk;
        ar_memmel_jk(wx, wy, 6, &jk);
        assert_float_equal(row(l, NAMES[i])->jk_z_vs_best_baseline, jk.z, 1e-15);
        assert_float_equal(row(l, NAMES[i])->jk_p_vs_best_baseline, jk.p_two_sided, 1e-15);
    }
    ar_league_free(l);
    ar_run_free(r);
}

/* A crafted llm agent, one episode, hourly, one symbol BTC:
 *   samples 0..5h, gross 0 50 50 0 50 0; position from fills before each
 *   sample: flat, long, long, flat, short, flat -> long 2/6, short 1/6, flat 3/6
 *   order 0 (t 0, lev 2) fills +1 @100 at 0; TP fill -1 @110 at 2h
 *   order 1 (t 3h, lev 4) fills -2 @100 at 3h; order 2 (close, t 4h) +2 @105 at 4h30
 *   trades: long 0 -> 2h pnl +10 (TP), short 3h -> 4h30 pnl -10 (close)
 *   holding (120 + 90) / 2 = 105 min; exit plan 1/2
 *   leverage by opening notional: (2 x 100 + 4 x 200) / 300 = 10/3
 *   decisions status 0 1 0 0 1 -> invalid 2/5
 *   confidences: 0.8 on the winning long, 0.3 on the losing short ("btc-perp"),
 *   0.6 on an entry at 2h that opened nothing, 0.9 on a hold:
 *   Brier ((0.8 - 1)^2 + (0.3 - 0)^2) / 2 = 0.065 over 2 entries */
static void add_call(ar_run_agent *a, int64_t t, const char *actions) {
    size_t k = a->nllm++;
    a->llm = realloc(a->llm, a->nllm * sizeof *a->llm);
    assert_non_null(a->llm);
    memset(&a->llm[k], 0, sizeof a->llm[k]);
    a->llm[k].t = t;
    a->llm[k].prompt_system = a->llm[k].prompt_user = -1;
    a->llm[k].cost_usd = NAN;
    a->llm[k].latency_ms = 100;
    size_t n = strlen(actions);
    a->answers = realloc(a->answers, a->answers_len + n);
    assert_non_null(a->answers);
    memcpy(a->answers + a->answers_len, actions, n);
    a->llm[k].actions_off = (int64_t)a->answers_len;
    a->llm[k].actions_len = (int64_t)n;
    a->answers_len += n;
}

static ar_run *make_llm(void) {
    const int64_t H = AR_NS_PER_HOUR;
    ar_run *r = new_run(1);
    r->cadence = H;
    ar_run_episode *ep = &r->episodes[0];
    ep->nagents = 2;
    ep->agents = xcalloc(2, sizeof *ep->agents);
    set_agent(&ep->agents[1], "flat", "builtin", 1, 0);
    ar_run_agent *a = &ep->agents[0];
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "llm1");
    snprintf(a->kind, sizeof a->kind, "llm");
    snprintf(a->detail, sizeof a->detail, "openai/gpt-4o");
    a->capital = 100;
    static const double eq[6] = {100, 101, 105, 108, 104, 98}, gross[6] = {0, 50, 50, 0, 50, 0};
    a->nequity = 6;
    a->equity = xcalloc(6, sizeof *a->equity);
    for (int k = 0; k < 6; k++) a->equity[k] = (ar_equity_rec){k * H, eq[k], eq[k], gross[k]};
    a->final_equity = 98;
    a->norders = 3;
    a->orders = xcalloc(3, sizeof *a->orders);
    a->orders[0] = (ar_order_rec){.t_decision = 0, .id = 0, .type = AR_OT_MARKET, .status = AR_OS_FILLED, .qty = 1,
                                  .leverage = 2, .filled_qty = 1, .fill_price = 100};
    a->orders[1] = (ar_order_rec){.t_decision = 3 * H, .id = 1, .type = AR_OT_MARKET, .status = AR_OS_FILLED,
                                  .qty = -2, .leverage = 4, .filled_qty = -2, .fill_price = 100};
    a->orders[2] = (ar_order_rec){.t_decision = 4 * H, .id = 2, .type = AR_OT_CLOSE, .status = AR_OS_FILLED,
                                  .leverage = 1, .reduce_only = 1, .filled_qty = 2, .fill_price = 105};
    a->nfills = 4;
    a->fills = xcalloc(4, sizeof *a->fills);
    a->fills[0] = (ar_fill_rec){.t = 0, .order_id = 0, .kind = AR_FK_MARKET, .qty = 1, .price = 100};
    a->fills[1] = (ar_fill_rec){.t = 2 * H, .order_id = -1, .kind = AR_FK_TP, .qty = -1, .price = 110};
    a->fills[2] = (ar_fill_rec){.t = 3 * H, .order_id = 1, .kind = AR_FK_MARKET, .qty = -2, .price = 100};
    a->fills[3] = (ar_fill_rec){.t = 4 * H + H / 2, .order_id = 2, .kind = AR_FK_CLOSE, .qty = 2, .price = 105};
    a->ntrades = 2;
    a->trades = xcalloc(2, sizeof *a->trades);
    a->trades[0] = (ar_trade_rec){.t_open = 0, .t_close = 2 * H, .sym = 0, .side = 1, .qty = 1, .pnl = 10};
    a->trades[1] = (ar_trade_rec){.t_open = 3 * H, .t_close = 4 * H + H / 2, .sym = 0, .side = -1, .qty = 2, .pnl = -10};
    static const int st[5] = {0, 1, 0, 0, 1};
    a->ndecisions = 5;
    a->decisions = xcalloc(5, sizeof *a->decisions);
    for (int k = 0; k < 5; k++) a->decisions[k] = (ar_decision_rec){.t = k * H, .status = st[k]};
    add_call(a, 0, "[{\"coin\":\"BTC\",\"confidence\":0.8,\"leverage\":2,\"quantity\":1,\"signal\":\"buy_to_enter\"}]");
    add_call(a, H, "[{\"coin\":\"BTC\",\"confidence\":0.9,\"signal\":\"hold\"}]");
    add_call(a, 2 * H, "[{\"coin\":\"BTC\",\"confidence\":0.6,\"leverage\":2,\"quantity\":1,\"signal\":\"buy_to_enter\"}]");
    add_call(a, 3 * H, "[{\"coin\":\"btc-perp\",\"confidence\":\"0.3\",\"signal\":\"sell_to_enter\"}]");
    add_call(a, 4 * H, "[{\"coin\":\"BTC\",\"confidence\":0.5,\"signal\":\"close\"}]");
    return r;
}

static void behaviour_llm(void **state) {
    (void)state;
    ar_run *r = make_llm();
    ar_league *l = compute(r, 50, 42);
    const ar_league_row *a = row(l, "llm1");
    assert_float_equal(a->invalid_rate, 0.4, 1e-15);
    assert_float_equal(a->avg_holding_min, 105, 0);
    assert_float_equal(a->exit_plan_adherence, 0.5, 0);
    assert_float_equal(a->avg_leverage, 10.0 / 3.0, 1e-15);
    assert_float_equal(a->time_long, 2.0 / 6.0, 1e-15);
    assert_float_equal(a->time_short, 1.0 / 6.0, 1e-15);
    assert_float_equal(a->time_flat, 3.0 / 6.0, 1e-15);
    assert_int_equal(a->brier_n, 2);
    assert_float_equal(a->brier, (0.04 + 0.09) / 2, 1e-15);
    const ar_league_row *f = row(l, "flat");
    assert_true(isnan(f->brier) && isnan(f->avg_leverage) && isnan(f->avg_holding_min));
    assert_float_equal(f->time_flat, 1, 0);
    assert_true(isnan(f->beat_buy_hold)); /* no buy_hold row */
    char *txt = print_to_string(l, AR_FMT_TEXT);
    assert_non_null(strstr(txt, "lev  long/short/flat  hold_min  brier  exit_plan\n"));
    assert_non_null(strstr(txt, "3.3x         33/17/50       105  0.065        50%\n"));
    free(txt);
    ar_league_free(l);
    ar_run_free(r);
}

/* 200 round trips, one an hour apart: long +1 at 2iH, out at (2i+1)H by
 * take-profit when i % 4 == 0, else by a close. Trade 12's record comes
 * last, out of order: its closing (a take-profit at 25H) waits unmatched
 * while hundreds of later closings are matched and dropped, and the
 * restart must still find it. Exit plan 50/200, holding 60 min. */
static void behaviour_many_closings(void **state) {
    (void)state;
    const int64_t H = AR_NS_PER_HOUR;
    enum { N = 200 };
    ar_run *r = new_run(1);
    r->cadence = H;
    ar_run_episode *ep = &r->episodes[0];
    ep->nagents = 1;
    ep->agents = xcalloc(1, sizeof *ep->agents);
    ar_run_agent *a = &ep->agents[0];
    set_agent(a, "trader", "builtin", 0, 0);
    free(a->equity);
    a->nequity = 2 * N + 1;
    a->equity = xcalloc(a->nequity, sizeof *a->equity);
    for (size_t k = 0; k < a->nequity; k++)
        a->equity[k] = (ar_equity_rec){(int64_t)k * H, 100 + (double)(k % 3), 100, k % 2 ? 0 : 100};
    a->final_equity = a->equity[a->nequity - 1].equity;
    a->norders = N;
    a->orders = xcalloc(N, sizeof *a->orders);
    a->nfills = 2 * N;
    a->fills = xcalloc(2 * N, sizeof *a->fills);
    a->ntrades = N;
    a->trades = xcalloc(N, sizeof *a->trades);
    for (int i = 0, k = 0; i < N; i++) {
        int tp = i % 4 == 0;
        a->orders[i] = (ar_order_rec){.t_decision = 2 * i * H, .id = i, .type = AR_OT_MARKET, .status = AR_OS_FILLED,
                                      .qty = 1, .leverage = 1, .filled_qty = 1, .fill_price = 100};
        a->fills[2 * i] = (ar_fill_rec){.t = 2 * i * H, .order_id = i, .kind = AR_FK_MARKET, .qty = 1, .price = 100};
        a->fills[2 * i + 1] = (ar_fill_rec){.t = (2 * i + 1) * H, .order_id = -1, .kind = tp ? AR_FK_TP : AR_FK_CLOSE,
                                            .qty = -1, .price = 101};
        ar_trade_rec t = {.t_open = 2 * i * H, .t_close = (2 * i + 1) * H, .side = 1, .qty = 1, .pnl = 1};
        if (i == 12) {
            a->trades[N - 1] = t;
        } else {
            a->trades[k++] = t;
        }
    }
    ar_league *l = compute(r, 50, 42);
    const ar_league_row *w = row(l, "trader");
    assert_float_equal(w->exit_plan_adherence, 50.0 / N, 1e-15);
    assert_float_equal(w->avg_holding_min, 60, 0);
    ar_league_free(l);
    ar_run_free(r);
}

static void deterministic_bytes(void **state) {
    (void)state;
    ar_run *r1 = make_league(), *r2 = make_league();
    ar_league *a = compute(r1, 500, 42), *b = compute(r1, 500, 42), *c = compute(r2, 500, 42);
    char *ja = print_to_string(a, AR_FMT_JSON), *jb = print_to_string(b, AR_FMT_JSON),
         *jc = print_to_string(c, AR_FMT_JSON);
    assert_string_equal(ja, jb);
    assert_string_equal(ja, jc);
    char *ta = print_to_string(a, AR_FMT_TEXT), *ca = print_to_string(a, AR_FMT_CSV);
    assert_non_null(strstr(ta, "+5.75% [")); /* A: mean return with its interval */
    assert_non_null(strstr(ta, "[lo, hi]: 95% bootstrap intervals, 500 resamples of 2 windows, seed 42\n"));
    free(ta);
    free(ca);
    free(ja);
    free(jb);
    free(jc);
    ar_league_free(a);
    ar_league_free(b);
    ar_league_free(c);
    ar_run_free(r1);
    ar_run_free(r2);
}

int main(void) {
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ratings_by_hand),   cmocka_unit_test(cluster_bootstrap),
        cmocka_unit_test(fallback_marked),   cmocka_unit_test(buy_hold_psr_dsr_jk), cmocka_unit_test(jk_skips_misaligned),
        cmocka_unit_test(behaviour_llm),     cmocka_unit_test(behaviour_many_closings),
        cmocka_unit_test(deterministic_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
