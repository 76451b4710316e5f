/* tests/test_league.c - league rows from hand-built runs (values worked out
 * by hand below), ordering, the four output forms, and merging runs. */
/* arena-test-deps: core stats util */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "arena/league.h"
#include "arena/stats.h"
#include "arena/util.h"

static void *xcalloc(size_t n, size_t s) {
    void *p = calloc(n ? n : 1, s);
    assert_non_null(p);
    return p;
}

/* An agent with the given equity curve (gross exposure per sample), trade
 * PnLs and decision statuses. */
static void set_agent(ar_run_agent *a, const char *name, const double *eq, const double *gross, size_t neq,
                      const double *pnl, size_t ntr, const int *status, size_t ndec, size_t nfills,
                      double fees, double funding) {
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", name);
    snprintf(a->kind, sizeof a->kind, "builtin");
    snprintf(a->detail, sizeof a->detail, "%s", name);
    a->capital = 100;
    a->final_equity = neq ? eq[neq - 1] : 100;
    a->fees = fees;
    a->funding = funding;
    a->nequity = neq;
    a->equity = xcalloc(neq, sizeof *a->equity);
    for (size_t k = 0; k < neq; k++)
        a->equity[k] = (ar_equity_rec){(int64_t)k * AR_NS_PER_DAY, eq[k], eq[k], gross ? gross[k] : 0};
    a->ntrades = ntr;
    a->trades = xcalloc(ntr, sizeof *a->trades);
    for (size_t k = 0; k < ntr; k++) a->trades[k].pnl = pnl[k];
    a->ndecisions = ndec;
    a->decisions = xcalloc(ndec, sizeof *a->decisions);
    for (size_t k = 0; k < ndec; k++) a->decisions[k].status = status[k];
    a->nfills = nfills;
    a->fills = xcalloc(nfills, sizeof *a->fills);
}

/* Episode 0 / 1 of the hand-worked run:
 *   alpha   equity 100 110 99 121  | 100 90 95
 *           total return 0.21 | -0.05            -> mean 0.08
 *           max drawdown 99/110-1 = -0.1 | 90/100-1 = -0.1 -> mean -0.1
 *           trades pnl 10, -5 | 3   -> 3 trades, win rate 2/3,
 *                                      profit factor 13/5, expectancy 8/3
 *           fees 2 | 1 -> 1.5; funding 0.25 | 0.75 -> 0.5; fills 4 + 1
 *           decisions status 0 1 0 | 1 1 -> 5 decisions, 3 invalid
 *           exposure gross/equity 0 .5 .5 0 | .5 .5 0 -> 2/7
 *   beta    flat 100 100 100 100 both episodes: return 0, Sharpe undefined,
 *           no trades: win rate undefined
 *   aaa     flat too: ties with beta on return, sorted by name first
 *   gamma   one equity sample: nothing defined, sorted last */
static ar_run *make_run(const char *config) {
    static const double a0[] = {100, 110, 99, 121}, g0[] = {0, 55, 49.5, 0};
    static const double a1[] = {100, 90, 95}, g1[] = {50, 45, 0};
    static const double p0[] = {10, -5}, p1[] = {3};
    static const int s0[] = {0, 1, 0}, s1[] = {1, 1};
    static const double flat[] = {100, 100, 100, 100}, one[] = {100};
    ar_run *r = xcalloc(1, sizeof *r);
    snprintf(r->name, sizeof r->name, "league test");
    r->config_json = strdup(config);
    r->manifest_json = strdup("{}");
    r->cadence = AR_NS_PER_DAY;
    r->capital = 100;
    r->mode = AR_MODE_PERP;
    r->nepisodes = 2;
    r->episodes = xcalloc(2, sizeof *r->episodes);
    for (int e = 0; e < 2; e++) {
        ar_run_episode *ep = &r->episodes[e];
        ep->window = e;
        ep->nagents = 4;
        ep->agents = xcalloc(4, sizeof *ep->agents);
        /* gamma first: the table order must come from the sort, not input. */
        set_agent(&ep->agents[0], "gamma", one, NULL, 1, NULL, 0, NULL, 0, 0, 0, 0);
        set_agent(&ep->agents[1], "beta", flat, NULL, 4, NULL, 0, NULL, 0, 0, 0, 0);
        if (e == 0) set_agent(&ep->agents[2], "alpha", a0, g0, 4, p0, 2, s0, 3, 4, 2.0, 0.25);
        else set_agent(&ep->agents[2], "alpha", a1, g1, 3, p1, 1, s1, 2, 1, 1.0, 0.75);
        set_agent(&ep->agents[3], "aaa", flat, NULL, 4, NULL, 0, NULL, 0, 0, 0, 0);
    }
    return r;
}

static const char *CONFIG =
    "{\"name\":\"t\",\"seed\":1,\"execution\":{\"fees\":{\"taker_bps\":4.5,\"maker_bps\":1.5}},"
    "\"market\":{\"file\":\"m.h5\",\"start\":\"2024-01-01\",\"end\":\"2024-02-01\"},"
    "\"agents\":[{\"name\":\"a\",\"model\":\"x\"},{\"name\":\"b\",\"model\":\"y\",\"seed\":3}]}";

/* Without the bootstrap: these tests pin the plain columns and cells; the
 * intervals are tests/test_league_stats.c's business. */
static ar_league *compute1(ar_run *r) {
    const ar_run *runs[1] = {r};
    ar_league *l = NULL;
    ar_errbuf eb = {{0}};
    ar_league_opts o = {.bootstrap = 0, .seed = AR_LEAGUE_SEED_DEFAULT};
    assert_int_equal(ar_league_compute_opts(runs, 1, &o, &l, &eb), AR_OK);
    return l;
}

static void rows_by_hand(void **state) {
    (void)state;
    ar_run *r = make_run(CONFIG);
    ar_league *l = compute1(r);
    assert_int_equal(l->nrows, 4);
    assert_string_equal(l->rows[0].agent, "alpha");
    assert_string_equal(l->rows[1].agent, "aaa");
    assert_string_equal(l->rows[2].agent, "beta");
    assert_string_equal(l->rows[3].agent, "gamma");

    const ar_league_row *a = &l->rows[0];
    assert_int_equal(a->episodes, 2);
    assert_float_equal(a->total_return, (0.21 + -0.05) / 2, 1e-12);
    assert_float_equal(a->max_drawdown, -0.1, 1e-12);
    assert_float_equal(a->final_equity, (121 + 95) / 2.0, 0);
    assert_int_equal(a->trades, 3);
    assert_float_equal(a->win_rate, 2.0 / 3.0, 1e-12);
    assert_float_equal(a->trade_profit_factor, 13.0 / 5.0, 1e-12);
    assert_float_equal(a->expectancy, 8.0 / 3.0, 1e-12);
    assert_float_equal(a->fees, 1.5, 0);
    assert_float_equal(a->funding, 0.5, 0);
    assert_int_equal(a->fills, 5);
    assert_int_equal(a->decisions, 5);
    assert_int_equal(a->invalid_answers, 3);
    assert_float_equal(a->exposure, 2.0 / 7.0, 1e-12);
    /* The mean of the per-episode annualised Sharpe (ppy = 365 for a daily
     * cadence), not a Sharpe of pooled returns. */
    ar_metrics m0, m1;
    assert_int_equal(ar_metrics_compute((const double[]){100, 110, 99, 121}, 4, 365, &m0), AR_OK);
    assert_int_equal(ar_metrics_compute((const double[]){100, 90, 95}, 3, 365, &m1), AR_OK);
    assert_float_equal(a->sharpe, (m0.sharpe_annualized + m1.sharpe_annualized) / 2, 1e-12);

    const ar_league_row *b = &l->rows[2];
    assert_float_equal(b->total_return, 0, 0);
    assert_true(isnan(b->sharpe));
    assert_int_equal(b->trades, 0);
    assert_true(isnan(b->win_rate));
    assert_true(isnan(l->rows[3].total_return));
    assert_int_equal(l->rows[3].episodes, 2);
    ar_league_free(l);
    ar_run_free(r);
}

static char *print_to_string(const ar_league *l, ar_format f) {
    /* tmpfile rather than open_memstream: gcc -O2 cannot see that fclose
     * writes the buffer pointer and warns about a dangling pointer. */
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

static void json_output(void **state) {
    (void)state;
    ar_run *r = make_run(CONFIG);
    ar_league *l = compute1(r);
    char *s = print_to_string(l, AR_FMT_JSON);
    json_error_t je;
    json_t *j = json_loads(s, 0, &je);
    assert_non_null(j);
    assert_true(json_is_array(j));
    assert_int_equal(json_array_size(j), 4);
    static const char *const keys[] = {"agent", "final_equity", "total_return", "sharpe", "sortino",
                                       "max_drawdown", "calmar", "win_rate", "trades", "fills", "fees",
                                       "funding", "kind", "episodes", "exposure", "decisions",
                                       "invalid_answers"};
    for (size_t i = 0; i < 4; i++)
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            assert_non_null(json_object_get(json_array_get(j, i), keys[k]));
    json_t *a = json_array_get(j, 0), *b = json_array_get(j, 2), *g = json_array_get(j, 3);
    assert_string_equal(json_string_value(json_object_get(a, "agent")), "alpha");
    /* Full precision: the printed number is the row's double exactly. */
    assert_true(json_real_value(json_object_get(a, "total_return")) == l->rows[0].total_return);
    assert_true(json_real_value(json_object_get(a, "sharpe")) == l->rows[0].sharpe);
    assert_int_equal(json_integer_value(json_object_get(a, "trades")), 3);
    assert_int_equal(json_integer_value(json_object_get(a, "invalid_answers")), 3);
    assert_true(json_is_null(json_object_get(b, "sharpe")));
    assert_true(json_is_null(json_object_get(b, "win_rate")));
    assert_true(json_is_real(json_object_get(b, "total_return")));
    assert_true(json_is_null(json_object_get(g, "total_return")));
    assert_true(json_is_null(json_object_get(g, "max_drawdown")));
    json_decref(j);
    free(s);
    ar_league_free(l);
    ar_run_free(r);
}

/* Field i (0-based) of a CSV line without quoted fields, into out. */
static void csv_field(const char *line, int i, char *out, size_t n) {
    const char *p = line;
    for (int k = 0; k < i; k++) {
        p = strchr(p, ',');
        assert_non_null(p);
        p++;
    }
    size_t len = strcspn(p, ",\n");
    assert_true(len < n);
    memcpy(out, p, len);
    out[len] = '\0';
}

static void csv_md_text_output(void **state) {
    (void)state;
    ar_run *r = make_run(CONFIG);
    ar_league *l = compute1(r);

    char *csv = print_to_string(l, AR_FMT_CSV);
    const char *header =
        "position,agent,kind,detail,baseline,episodes,final_equity,total_return,cagr,volatility,sharpe,sortino,"
        "max_drawdown,max_drawdown_duration,calmar,win_rate_periods,profit_factor_periods,trades,fills,"
        "win_rate,trade_profit_factor,expectancy,fees,funding,exposure,decisions,invalid_answers,llm_calls,"
        "tokens_in,tokens_out,cost_usd,mean_latency_ms,windows,return_mean,return_median,return_ci_low,"
        "return_ci_high,return_median_ci_low,return_median_ci_high,sharpe_ci_low,sharpe_ci_high,psr,dsr,"
        "max_drawdown_worst,beat_buy_hold,rating,rating_ci_low,rating_ci_high,rating_fallback,rank,"
        "jk_z_vs_best_baseline,jk_p_vs_best_baseline,invalid_rate,avg_leverage,time_long,time_short,time_flat,"
        "avg_holding_min,brier,brier_n,exit_plan_adherence\n";
    assert_memory_equal(csv, header, strlen(header));
    const char *row1 = csv + strlen(header), *row3 = strchr(strchr(row1, '\n') + 1, '\n') + 1;
    char f[64];
    csv_field(row1, 1, f, sizeof f);
    assert_string_equal(f, "alpha");
    csv_field(row1, 17, f, sizeof f);
    assert_string_equal(f, "3");
    csv_field(row1, 22, f, sizeof f);
    assert_string_equal(f, "1.5");
    csv_field(row3, 1, f, sizeof f);
    assert_string_equal(f, "beta");
    csv_field(row3, 10, f, sizeof f); /* sharpe undefined: empty */
    assert_string_equal(f, "");
    csv_field(row3, 19, f, sizeof f); /* win_rate undefined: empty */
    assert_string_equal(f, "");
    csv_field(row3, 7, f, sizeof f);
    assert_string_equal(f, "0");
    free(csv);

    char *md = print_to_string(l, AR_FMT_MD);
    const char *mdhead = "| # | agent | kind | eps | return | rating | rank | sharpe | sortino | max_dd | calmar | "
                         "win% | trades | fills | fees | funding | final_equity | exposure | invalid |\n"
                         "|---:|:---|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
                         "---:|\n"
                         "| 1 | alpha | builtin | 2 | +8.00% | ";
    assert_memory_equal(md, mdhead, strlen(mdhead));
    assert_non_null(strstr(md, "| -10.00% |"));
    assert_non_null(strstr(md, "| 66.7% | 3 | 5 | 1.50 | 0.50 | 108.00 | 0.29x | 3/5 |\n"));
    assert_non_null(strstr(md, "| 3 | beta | builtin | 2 | +0.00% | 1000 | 1 | \xe2\x80\x93 |"));
    assert_non_null(strstr(md, "| 4 | gamma | builtin | 2 | \xe2\x80\x93 | \xe2\x80\x93 | \xe2\x80\x93 |"));
    assert_null(strstr(md, "lev")); /* no llm/exec/http agent: no behaviour columns */
    assert_null(strstr(md, "tokens_in")); /* no model calls: no model columns */
    free(md);

    char *txt = print_to_string(l, AR_FMT_TEXT);
    /* Every line has the same display width (the last column is right-
     * aligned) and undefined cells show as an en dash. */
    size_t w0 = 0, lines = 0;
    for (char *p = txt; *p; lines++) {
        char *e = strchr(p, '\n');
        assert_non_null(e);
        size_t w = 0;
        for (char *q = p; q < e; q++)
            if (((unsigned char)*q & 0xC0) != 0x80) w++;
        if (lines == 0) w0 = w;
        assert_int_equal(w, w0);
        p = e + 1;
    }
    assert_int_equal(lines, 5);
    assert_memory_equal(txt, "#  agent  kind     eps", 22);
    char *beta = strstr(txt, "\n3  beta ");
    assert_non_null(beta);
    assert_non_null(strstr(beta, "\xe2\x80\x93"));
    assert_non_null(strstr(txt, "+8.00%"));
    assert_null(strstr(txt, "tokens_in"));
    free(txt);
    ar_league_free(l);
    ar_run_free(r);
}

/* Model calls (tokens_in, tokens_out, latency_ms, cost_usd; NAN: no price):
 *   alpha  e0: (100, 20, 200, .01) (150, 30, 400, .02) | e1: (250, 50, 900, .03)
 *          tokens per episode 250 | 250 -> 250; out 50 | 50 -> 50
 *          cost .03 | .03 -> .03; latency (200+400+900)/3 = 500; 3 calls
 *   aaa    e0: none | e1: (40, 4, 60, .5)
 *          tokens 0 | 40 -> 20; out 0 | 4 -> 2; cost 0 | .5 -> .25 (an
 *          episode without calls costs nothing); latency 60; 1 call
 *   beta   e0: (10, 5, 100, NAN) | e1: none
 *          tokens 5, out 2.5, cost undefined (no price), latency 100
 *   gamma  no calls: tokens 0, cost and latency undefined */
static void add_calls(ar_run_agent *a, const double (*c)[4], size_t n) {
    a->nllm = n;
    a->llm = xcalloc(n, sizeof *a->llm);
    for (size_t k = 0; k < n; k++) {
        a->llm[k].tokens_in = (int64_t)c[k][0];
        a->llm[k].tokens_out = (int64_t)c[k][1];
        a->llm[k].latency_ms = c[k][2];
        a->llm[k].cost_usd = c[k][3];
        a->llm[k].prompt_system = a->llm[k].prompt_user = -1;
        a->llm[k].attempts = 1;
    }
}

/* A hold because the budget is spent: a record with no request (attempts
 * 0, latency 0) and its decision (status 1, reason budget). Neither a call
 * nor a decision asked nor an invalid answer. */
static void add_budget_hold(ar_run_agent *a) {
    a->llm = realloc(a->llm, (a->nllm + 1) * sizeof *a->llm);
    assert_non_null(a->llm);
    a->llm[a->nllm] = (ar_llm_rec){0};
    a->llm[a->nllm].status = 1;
    a->llm[a->nllm].reason = AR_R_BUDGET;
    a->llm[a->nllm].cost_usd = NAN;
    a->llm[a->nllm].prompt_system = a->llm[a->nllm].prompt_user = -1;
    a->nllm++;
    a->decisions = realloc(a->decisions, (a->ndecisions + 1) * sizeof *a->decisions);
    assert_non_null(a->decisions);
    a->decisions[a->ndecisions] = (ar_decision_rec){0};
    a->decisions[a->ndecisions].status = 1;
    a->decisions[a->ndecisions].reason = AR_R_BUDGET;
    a->ndecisions++;
}

static ar_run *make_llm_run(void) {
    ar_run *r = make_run(CONFIG);
    /* agents: 0 gamma, 1 beta, 2 alpha, 3 aaa */
    add_calls(&r->episodes[0].agents[2], (const double[][4]){{100, 20, 200, .01}, {150, 30, 400, .02}}, 2);
    add_calls(&r->episodes[1].agents[2], (const double[][4]){{250, 50, 900, .03}}, 1);
    add_calls(&r->episodes[1].agents[3], (const double[][4]){{40, 4, 60, .5}}, 1);
    add_calls(&r->episodes[0].agents[1], (const double[][4]){{10, 5, 100, NAN}}, 1);
    add_budget_hold(&r->episodes[1].agents[2]);
    return r;
}

static void llm_columns(void **state) {
    (void)state;
    ar_run *r = make_llm_run();
    ar_league *l = compute1(r);
    const ar_league_row *a = &l->rows[0], *aa = &l->rows[1], *b = &l->rows[2], *g = &l->rows[3];
    assert_string_equal(a->agent, "alpha");
    assert_string_equal(aa->agent, "aaa");
    assert_string_equal(b->agent, "beta");
    assert_string_equal(g->agent, "gamma");
    assert_int_equal(a->llm_calls, 3);
    assert_float_equal(a->tokens_in, 250, 0);
    assert_float_equal(a->tokens_out, 50, 0);
    assert_float_equal(a->cost_usd, 0.03, 1e-15);
    assert_float_equal(a->mean_latency_ms, 500, 1e-12);
    assert_int_equal(aa->llm_calls, 1);
    assert_float_equal(aa->tokens_in, 20, 0);
    assert_float_equal(aa->tokens_out, 2, 0);
    assert_float_equal(aa->cost_usd, 0.25, 0);
    assert_float_equal(aa->mean_latency_ms, 60, 0);
    assert_int_equal(b->llm_calls, 1);
    assert_float_equal(b->tokens_in, 5, 0);
    assert_float_equal(b->tokens_out, 2.5, 0);
    assert_true(isnan(b->cost_usd));
    assert_float_equal(b->mean_latency_ms, 100, 0);
    assert_int_equal(g->llm_calls, 0);
    assert_float_equal(g->tokens_in, 0, 0);
    assert_float_equal(g->tokens_out, 0, 0);
    assert_true(isnan(g->cost_usd));
    assert_true(isnan(g->mean_latency_ms));
    /* The other columns do not move: alpha's budget hold in e1 is neither
     * a call (3, latency 500 above) nor a decision asked nor invalid. */
    assert_int_equal(a->invalid_answers, 3);
    assert_int_equal(a->decisions, 5);
    assert_float_equal(a->fees, 1.5, 0);

    char *s = print_to_string(l, AR_FMT_JSON);
    json_error_t je;
    json_t *j = json_loads(s, 0, &je);
    assert_non_null(j);
    json_t *ja = json_array_get(j, 0), *jb = json_array_get(j, 2), *jg = json_array_get(j, 3);
    assert_int_equal(json_integer_value(json_object_get(ja, "llm_calls")), 3);
    assert_int_equal(json_integer_value(json_object_get(ja, "invalid_answers")), 3);
    assert_true(json_number_value(json_object_get(ja, "tokens_in")) == 250);
    assert_true(json_number_value(json_object_get(ja, "tokens_out")) == 50);
    assert_true(json_number_value(json_object_get(ja, "cost_usd")) == a->cost_usd);
    assert_true(json_number_value(json_object_get(ja, "mean_latency_ms")) == 500);
    assert_true(json_is_null(json_object_get(jb, "cost_usd")));
    assert_true(json_number_value(json_object_get(jb, "mean_latency_ms")) == 100);
    assert_true(json_is_null(json_object_get(jg, "cost_usd")));
    assert_true(json_is_null(json_object_get(jg, "mean_latency_ms")));
    assert_true(json_number_value(json_object_get(jg, "tokens_in")) == 0);
    json_decref(j);
    free(s);

    /* CSV: the five columns after invalid_answers (fields 26..31). */
    char *csv = print_to_string(l, AR_FMT_CSV);
    const char *row1 = strchr(csv, '\n') + 1, *row3 = strchr(strchr(row1, '\n') + 1, '\n') + 1;
    char f[64];
    csv_field(row1, 27, f, sizeof f);
    assert_string_equal(f, "3");
    csv_field(row1, 28, f, sizeof f);
    assert_string_equal(f, "250");
    csv_field(row1, 31, f, sizeof f);
    assert_string_equal(f, "500");
    csv_field(row3, 30, f, sizeof f); /* beta: no price */
    assert_string_equal(f, "");
    csv_field(row3, 29, f, sizeof f);
    assert_string_equal(f, "2.5");
    free(csv);

    char *md = print_to_string(l, AR_FMT_MD);
    assert_non_null(strstr(md, "| exposure | invalid | tokens_in | tokens_out | cost_usd | latency_ms |\n"
                               "|---:|:---|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
                               "---:|---:|---:|---:|---:|---:|\n"));
    assert_non_null(strstr(md, "| 3/5 | 250 | 50 | 0.0300 | 500 |\n"));
    assert_non_null(strstr(md, "| 2 | aaa | builtin |"));
    assert_non_null(strstr(md, "| 0/0 | 20 | 2 | 0.2500 | 60 |\n"));
    assert_non_null(strstr(md, "| 0/0 | 5 | 2 | \xe2\x80\x93 | 100 |\n")); /* 2.5 rounds to even */
    assert_non_null(strstr(md, "| 0/0 | 0 | 0 | \xe2\x80\x93 | \xe2\x80\x93 |\n"));
    free(md);

    char *txt = print_to_string(l, AR_FMT_TEXT);
    size_t w0 = 0, lines = 0;
    for (char *p = txt; *p; lines++) {
        char *e = strchr(p, '\n');
        assert_non_null(e);
        size_t w = 0;
        for (char *q = p; q < e; q++)
            if (((unsigned char)*q & 0xC0) != 0x80) w++;
        if (lines == 0) w0 = w;
        assert_int_equal(w, w0);
        p = e + 1;
    }
    assert_int_equal(lines, 5);
    char *nl = strchr(txt, '\n');
    *nl = '\0';
    assert_non_null(strstr(txt, "invalid  tokens_in  tokens_out  cost_usd  latency_ms"));
    *nl = '\n';
    assert_non_null(strstr(txt, "3/5        250          50    0.0300         500\n"));
    free(txt);
    ar_league_free(l);
    ar_run_free(r);
}

static void merge_checks_configs(void **state) {
    (void)state;
    /* Same tournament, other seeds and windows: merges. */
    const char *cfg2 =
        "{\"name\":\"t2\",\"seed\":9,\"execution\":{\"fees\":{\"taker_bps\":4.5,\"maker_bps\":1.5}},"
        "\"market\":{\"file\":\"m.h5\",\"start\":\"2024-03-01\",\"end\":\"2024-04-01\",\"windows\":4},"
        "\"agents\":[{\"name\":\"a\",\"model\":\"x\"},{\"name\":\"b\",\"model\":\"y\",\"seed\":4}]}";
    ar_run *r1 = make_run(CONFIG), *r2 = make_run(cfg2);
    const ar_run *runs[2] = {r1, r2};
    ar_league *l = NULL;
    ar_errbuf eb = {{0}};
    assert_int_equal(ar_league_compute(runs, 2, &l, &eb), AR_OK);
    assert_string_equal(l->rows[0].agent, "alpha");
    assert_int_equal(l->rows[0].episodes, 4);
    assert_int_equal(l->rows[0].trades, 6);
    assert_int_equal(l->rows[0].invalid_answers, 6);
    assert_float_equal(l->rows[0].total_return, 0.08, 1e-12);
    ar_league_free(l);
    ar_run_free(r2);

    /* Other fees (4.5 written as 5) and another model: both key paths named. */
    const char *cfg3 =
        "{\"name\":\"t\",\"seed\":1,\"execution\":{\"fees\":{\"taker_bps\":5,\"maker_bps\":1.5}},"
        "\"market\":{\"file\":\"m.h5\",\"start\":\"2024-01-01\",\"end\":\"2024-02-01\"},"
        "\"agents\":[{\"name\":\"a\",\"model\":\"x\"},{\"name\":\"b\",\"model\":\"z\",\"seed\":3}]}";
    r2 = make_run(cfg3);
    runs[1] = r2;
    l = (ar_league *)&eb; /* must be reset to NULL */
    assert_int_equal(ar_league_compute(runs, 2, &l, &eb), AR_ECONFIG);
    assert_null(l);
    assert_string_equal(eb.msg, "runs differ in: agents[1].model, execution.fees.taker_bps");
    ar_run_free(r2);

    /* 4.5 vs 4.50: numbers compare by value. A key only on one side counts. */
    r2 = make_run("{\"name\":\"t\",\"seed\":1,\"execution\":{\"fees\":{\"taker_bps\":4.50,\"maker_bps\":1.5},"
                  "\"latency\":\"1s\"},\"market\":{\"file\":\"m.h5\"},"
                  "\"agents\":[{\"name\":\"a\",\"model\":\"x\"},{\"name\":\"b\",\"model\":\"y\"}]}");
    runs[1] = r2;
    assert_int_equal(ar_league_compute(runs, 2, &l, &eb), AR_ECONFIG);
    assert_string_equal(eb.msg, "runs differ in: execution.latency");
    ar_run_free(r2);

    r2 = make_run("{not json");
    runs[1] = r2;
    assert_int_equal(ar_league_compute(runs, 2, &l, &eb), AR_EFORMAT);
    assert_non_null(strstr(eb.msg, "run 2 (league test): config: invalid JSON"));
    ar_run_free(r2);
    ar_run_free(r1);
}

static void formats_parse(void **state) {
    (void)state;
    ar_format f = AR_FMT_JSON;
    assert_int_equal(ar_format_parse("text", &f), AR_OK);
    assert_int_equal(f, AR_FMT_TEXT);
    assert_int_equal(ar_format_parse("md", &f), AR_OK);
    assert_int_equal(f, AR_FMT_MD);
    assert_int_equal(ar_format_parse("csv", &f), AR_OK);
    assert_int_equal(f, AR_FMT_CSV);
    assert_int_equal(ar_format_parse("json", &f), AR_OK);
    assert_int_equal(f, AR_FMT_JSON);
    assert_int_equal(ar_format_parse("html", &f), AR_EINVAL);
    assert_int_equal(ar_format_parse("", &f), AR_EINVAL);
    assert_int_equal(f, AR_FMT_JSON);
}


/* ---- curve summaries (ar_curve_sum) ------------------------------------ */

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void) { /* xorshift64: the same cases on every machine */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static double unif(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

/* A random episode of n samples: times on a one-minute step with jumps
 * (probability jump) and repeats (jump / 2) and an off-step final mark;
 * stretches flat, exposed and (now and
 * then) with an exposure that is not finite, or every sample another side
 * (flip); fills on two symbols going long, short, both and flat at sample
 * times and between them, from orders of leverage 1-5 or from exits; round
 * trips closing at some of those fills. */
static void random_agent(ar_run_agent *a, const char *name, size_t n, int flip, double jump) {
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", name);
    snprintf(a->kind, sizeof a->kind, "builtin");
    a->capital = 1000;
    a->nequity = n;
    a->equity = xcalloc(n, sizeof *a->equity);
    int64_t t = 1700000000LL * AR_NS_PER_S;
    double eq = 1000;
    int cls = 0;
    for (size_t k = 0; k < n; k++) {
        double u = unif();
        if (k > 0) t += u < jump ? 60 * AR_NS_PER_S * (int64_t)(2 + rnd() % 50) : u < jump * 1.5 ? 0 : 60 * AR_NS_PER_S;
        if (k + 1 == n) t += 7 * AR_NS_PER_S; /* the final mark, off the step */
        eq *= 1 + (unif() - 0.5) * 0.01;
        if (flip) cls = k % 2 ? 3 : 0;
        else if (unif() < 0.02) cls = (int)(rnd() % 7); /* 0-2 flat, 3-5 exposed, 6 not finite */
        double g = cls < 3 ? 0 : cls < 6 ? eq * (0.5 + unif()) : NAN;
        a->equity[k] = (ar_equity_rec){t, eq, eq * 0.3, g};
    }
    a->final_equity = eq;
    size_t nf = n / 20 + 3, no = nf;
    a->orders = xcalloc(no, sizeof *a->orders);
    a->norders = no;
    for (size_t k = 0; k < no; k++) a->orders[k] = (ar_order_rec){.id = (int32_t)k, .leverage = 1 + (double)(rnd() % 5)};
    a->fills = xcalloc(nf, sizeof *a->fills);
    a->trades = xcalloc(nf, sizeof *a->trades);
    int64_t t0 = a->equity[0].t, span = a->equity[n - 1].t - t0 + 1, ft = t0;
    size_t js = 0;
    for (size_t k = 0; k < nf; k++) {
        ft += (int64_t)(rnd() % (uint64_t)(2 * span / (int64_t)nf + 1));
        if (rnd() % 3 == 0) { /* on the next sample's time */
            while (js < n && a->equity[js].t < ft) js++;
            if (js < n) ft = a->equity[js].t;
        }
        int exit = rnd() % 4 == 0;
        a->fills[k] = (ar_fill_rec){.t = ft, .order_id = exit ? -1 : (int32_t)(rnd() % no), .sym = rnd() % 8 == 0,
                                    .kind = exit ? AR_FK_TP + (int32_t)(rnd() % 3) : AR_FK_MARKET,
                                    .qty = (double)((int)(rnd() % 5) - 2), .price = 100 + unif()};
        a->nfills++;
        if (rnd() % 2 == 0) {
            int64_t open = ft - (int64_t)(rnd() % (uint64_t)(span / 4 + 1));
            a->trades[a->ntrades++] = (ar_trade_rec){.t_open = open, .t_close = ft, .sym = a->fills[k].sym,
                                                     .side = rnd() % 2 ? 1 : -1, .pnl = unif() - 0.5};
        }
    }
}

/* Every number of two rows, bit for bit (NAN equal to NAN). */
static void rows_same(const ar_league_row *x, const ar_league_row *y) {
    assert_string_equal(x->agent, y->agent);
#define SAME(f) assert_memory_equal(&x->f, &y->f, sizeof x->f)
    SAME(episodes); SAME(final_equity); SAME(total_return); SAME(cagr); SAME(volatility); SAME(sharpe);
    SAME(sortino); SAME(max_drawdown); SAME(max_drawdown_duration); SAME(calmar); SAME(win_rate_periods);
    SAME(profit_factor_periods); SAME(trades); SAME(fills); SAME(win_rate); SAME(exposure); SAME(psr);
    SAME(dsr); SAME(return_median); SAME(max_drawdown_worst); SAME(avg_leverage); SAME(time_long);
    SAME(time_short); SAME(time_flat); SAME(avg_holding_min); SAME(exit_plan_adherence); SAME(rating);
#undef SAME
}

static ar_league *compute_sums(ar_run *r, ar_curve_sum **sums, size_t nsums) {
    const ar_run *runs[1] = {r};
    ar_league *l = NULL;
    ar_errbuf eb = {{0}};
    ar_league_opts o;
    ar_league_opts_default(&o);
    o.bootstrap = 0;
    o.sums = (const ar_curve_sum *const *)sums;
    o.nsums = nsums;
    assert_int_equal(ar_league_compute_opts(runs, 1, &o, &l, &eb), AR_OK);
    return l;
}

/* The league from summaries made block by block (blocks of any size, as
 * the engine hands them out) equals the league from reading the curves:
 * metrics, exposure and the behaviour replay over the runs of samples,
 * including a curve with more runs than a summary keeps (its behaviour
 * then reads the curve), summaries with little room for runs, and
 * summaries that are not of the whole curve (ignored). */
static void summaries_match_curves(void **state) {
    (void)state;
    static const size_t len[] = {1, 2, 3, 500, 20000, 70000};
    ar_run *r = make_run(CONFIG);
    r->nsym = 2;
    r->symbols = xcalloc(2, sizeof *r->symbols);
    snprintf(r->symbols[0], sizeof r->symbols[0], "BTC");
    snprintf(r->symbols[1], sizeof r->symbols[1], "ETH");
    for (size_t e = 0; e < r->nepisodes; e++) {
        ar_run_episode *ep = &r->episodes[e];
        for (size_t i = 0; i < ep->nagents; i++) ar_run_agent_cleanup(&ep->agents[i]);
        free(ep->agents);
        ep->nagents = 6;
        ep->agents = xcalloc(ep->nagents, sizeof *ep->agents);
        for (size_t i = 0; i < ep->nagents; i++) {
            char nm[8] = {'a', (char)('0' + i), 0};
            /* the last agent flips between flat and exposed every sample:
             * more runs than a summary keeps */
            /* and a4's steps jump at a fifth of its samples, repeat at a tenth */
            random_agent(&ep->agents[i], nm, len[(i + e) % 6] + e * 7, i == 5, i == 4 ? 0.2 : 0.01);
        }
    }
    size_t nsums = 12;
    ar_curve_sum *sums[12];
    for (int pass = 0; pass < 3; pass++) {
        for (size_t e = 0, c = 0; e < 2; e++)
            for (size_t i = 0; i < 6; i++, c++) {
                const ar_run_agent *ag = &r->episodes[e].agents[i];
                /* pass 2: room for 100 bytes of runs, so most keep none */
                assert_non_null(sums[c] = ar_curve_sum_new(pass == 2 ? 100 : 0));
                /* pass 1: every other summary misses the last sample */
                size_t end = pass == 1 && c % 2 == 0 && ag->nequity > 0 ? ag->nequity - 1 : ag->nequity;
                for (size_t k = 0; k < end;) {
                    size_t b = 1 + rnd() % 9000;
                    if (b > end - k) b = end - k;
                    ar_curve_sum_add(sums[c], ag->equity + k, b);
                    k += b;
                }
            }
        ar_league *want = compute1(r), *got = compute_sums(r, sums, nsums);
        assert_int_equal(want->nrows, got->nrows);
        assert_int_equal(want->nrows, 6);
        size_t lopsided = 0;
        for (size_t i = 0; i < want->nrows; i++) {
            rows_same(&want->rows[i], &got->rows[i]);
            /* the cases are not trivial: long, short and mixed all occur */
            if (want->rows[i].time_flat < 1) {
                assert_true(want->rows[i].time_long > 0 && want->rows[i].time_short > 0);
                lopsided += want->rows[i].time_long != want->rows[i].time_short;
            }
        }
        assert_true(lopsided >= 2);
        ar_league_free(want);
        ar_league_free(got);
        for (size_t c = 0; c < nsums; c++) ar_curve_sum_free(sums[c]);
    }
    ar_run_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(summaries_match_curves),
        cmocka_unit_test(rows_by_hand),
        cmocka_unit_test(json_output),
        cmocka_unit_test(csv_md_text_output),
        cmocka_unit_test(llm_columns),
        cmocka_unit_test(merge_checks_configs),
        cmocka_unit_test(formats_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
