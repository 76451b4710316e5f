/* tests/test_prompt.c - indicators and prompt rendering (src/llm/indicators.c,
 * src/llm/prompt.c, the templates in prompts/).
 *
 * Indicators against hand-computed values on short series. Prompts on a
 * two-symbol 1-minute market of 10 days starting 2024-01-01: BTC a wave
 * with an 8-hourly funding series, ETH the straight line close = 1000 + i,
 * whose indicators are known in closed form (an EMA(p) of a line with step
 * s lags it by s (p - 1) / 2, so EMA20 = price - 28.5 at a 3-minute step).
 * Two accounts share each observation: A flat, B long 0.1 BTC with an exit
 * plan. */
/* arena-test-deps: llm agents exec market util */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "arena/indicators.h"
#include "arena/llm.h"
#include "arena/util.h"

#define NBARS 14400
#define T0 (INT64_C(1704067200) * AR_NS_PER_S) /* 2024-01-01T00:00:00Z */

/* ---- indicators ----------------------------------------------------------- */

static void expect(const double *got, const double *want, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (isnan(want[i]) ? !isnan(got[i]) : fabs(got[i] - want[i]) > 1e-12)
            fail_msg("index %zu: %.17g, want %.17g", i, got[i], want[i]);
    }
}

static void test_ema(void **state) {
    (void)state;
    /* period 3: a = 0.5, seed = mean(1,2,3) = 2; 2+0.5(4-2)=3; 3+0.5(8-3)=5.5; 5.5+0.5(0-5.5)=2.75 */
    const double x[] = {1, 2, 3, 4, 8, 0};
    double out[6];
    assert_int_equal(ar_ema(x, 6, 3, out), 2);
    expect(out, (const double[]){NAN, NAN, 2, 3, 5.5, 2.75}, 6);
    assert_int_equal(ar_ema(x, 2, 3, out), 2); /* too short: nothing */
    assert_true(isnan(out[0]) && isnan(out[1]));
    assert_int_equal(ar_ema(x, 6, 0, out), 6);
    assert_int_equal(ar_ema(x, 6, 1, out), 0);
    expect(out, x, 6);
}

static void test_macd(void **state) {
    (void)state;
    /* fast 2 (a = 2/3), slow 3 (a = 1/2) over 1,2,3,4,8:
     * EMA2: -,1.5,2.5,3.5,6.5  EMA3: -,-,2,3,5.5  MACD: -,-,0.5,0.5,1 */
    const double x[] = {1, 2, 3, 4, 8};
    double out[5], tmp[5];
    assert_int_equal(ar_macd(x, 5, 2, 3, out, tmp), 2);
    expect(out, (const double[]){NAN, NAN, 0.5, 0.5, 1}, 5);
}

static void test_rsi(void **state) {
    (void)state;
    /* period 2, changes +1, -1, +2, 0, -3:
     * first: gain (1+0)/2 = 0.5, loss (0+1)/2 = 0.5 -> 50 at index 2
     * then  g = (0.5+2)/2 = 1.25, l = 0.25 -> 100 - 100/6
     *       g = 0.625, l = 0.125 -> 100 - 100/6
     *       g = 0.3125, l = (0.125+3)/2 = 1.5625 -> 100 - 100/1.2 */
    const double x[] = {10, 11, 10, 12, 12, 9};
    double out[6];
    assert_int_equal(ar_rsi(x, 6, 2, out), 2);
    expect(out, (const double[]){NAN, NAN, 50, 100 - 100.0 / 6, 100 - 100.0 / 6, 100 - 100 / 1.2}, 6);
    const double up[] = {1, 2, 3}, flat[] = {5, 5, 5};
    ar_rsi(up, 3, 2, out);
    assert_true(out[2] == 100);
    ar_rsi(flat, 3, 2, out);
    assert_true(out[2] == 50);
}

static void test_atr(void **state) {
    (void)state;
    /* TR_1 = max(12-9, |12-10|, |9-10|) = 3; TR_2 = max(2, |15-11|, |13-11|) = 4;
     * TR_3 = max(1, |10-14|, |9-14|) = 5. ATR2 = (3+4)/2 = 3.5, then (3.5+5)/2 = 4.25 */
    const double h[] = {11, 12, 15, 10}, l[] = {9, 9, 13, 9}, c[] = {10, 11, 14, 9.5};
    double out[4];
    assert_int_equal(ar_atr(h, l, c, 4, 2, out), 2);
    expect(out, (const double[]){NAN, NAN, 3.5, 4.25}, 4);
}

/* ---- a market and two accounts -------------------------------------------- */

typedef struct fixture {
    ar_market *m;
    ar_exec_cfg cfg;
    ar_account *a, *b;
    size_t nvis[2];
    double marks[2];
} fixture;

static void build_market(fixture *f) {
    f->m = ar_market_create();
    assert_non_null(f->m);
    assert_int_equal(ar_market_add_symbol(f->m, "BTC"), 0);
    assert_int_equal(ar_market_add_symbol(f->m, "ETH"), 1);
    for (size_t s = 0; s < 2; s++) {
        ar_symbol *y = &f->m->sym[s];
        y->interval = AR_NS_PER_MIN;
        double prev = s == 0 ? 40000 : 1000;
        for (size_t i = 0; i < NBARS; i++) {
            double c = s == 0 ? 40000 + 500 * sin((double)i / 50) + 0.1 * (double)i : 1000 + (double)i;
            double w = s == 0 ? 5 : 0.5;
            double v = s == 0 ? 1 + (double)(i % 7) : 1;
            assert_int_equal(ar_bars_push(&y->bars, T0 + (int64_t)i * AR_NS_PER_MIN, prev, c + w, c - w, c, v), AR_OK);
            prev = c;
        }
    }
    for (int64_t j = 0; j < 30; j++)
        assert_int_equal(ar_funding_push(&f->m->sym[0].funding, T0 + j * 8 * AR_NS_PER_HOUR, 0.0001 * (double)(j + 1)),
                         AR_OK);
}

static void see(fixture *f, size_t nv) {
    for (size_t s = 0; s < 2; s++) {
        f->nvis[s] = nv;
        f->marks[s] = f->m->sym[s].bars.row[nv - 1].close;
    }
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    build_market(f);
    ar_exec_cfg_default(&f->cfg);
    f->a = ar_account_create(&f->cfg, f->m, 10000, 1, NULL);
    f->b = ar_account_create(&f->cfg, f->m, 10000, 2, NULL);
    assert_non_null(f->a);
    assert_non_null(f->b);
    /* B buys 0.1 BTC at the open of bar 1 with an exit plan */
    see(f, 1);
    ar_order_req r = {0, AR_OT_MARKET, 0.1, NAN, 5, 60000, 30000, 0};
    ar_order_rec rec;
    assert_int_equal(ar_account_submit(f->b, T0 + AR_NS_PER_MIN, &r, f->marks, &rec), AR_OK);
    assert_int_equal(rec.status, AR_OS_PENDING);
    ar_account_on_bar(f->b, 0, 1);
    assert_true(ar_account_position(f->b, 0)->qty == 0.1);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    ar_account_free(f->a);
    ar_account_free(f->b);
    ar_market_free(f->m);
    free(f);
    return 0;
}

static ar_obs obs_at(fixture *f, size_t nv, const ar_account *acct) {
    see(f, nv);
    int64_t t = f->m->sym[0].bars.row[nv - 1].t + AR_NS_PER_MIN; /* the close of the last visible bar */
    ar_obs o = {t, T0, T0 + NBARS * AR_NS_PER_MIN, nv - 1, f->m, f->nvis, f->marks, acct, &f->cfg, 10000};
    return o;
}

static char *template_text(const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/prompts/%s.txt", ARENA_SOURCE_DIR, name);
    char *t = NULL;
    size_t n;
    ar_errbuf eb;
    if (ar_read_file(path, &t, &n, &eb) != AR_OK) fail_msg("%s", eb.msg);
    return t;
}

static char *render(const char *tmpl, const ar_obs *o, const ar_prompt_opts *p) {
    ar_buf b = {0};
    ar_errbuf eb;
    if (ar_prompt_render(tmpl, o, p, &b, &eb) != AR_OK) fail_msg("%s", eb.msg);
    return b.p;
}

/* the prompt with its account section cut out */
static char *without(const char *prompt, const char *section) {
    const char *at = strstr(prompt, section);
    assert_non_null(at);
    size_t n = strlen(prompt), k = strlen(section), i = (size_t)(at - prompt);
    char *r = malloc(n - k + 1);
    memcpy(r, prompt, i);
    memcpy(r + i, at + k, n - i - k + 1);
    return r;
}

/* ---- prompts -------------------------------------------------------------- */

static void test_two_agents(void **state) {
    fixture *f = *state;
    char *tmpl = template_text("alpha_arena_user");
    ar_obs oa = obs_at(f, 9000, f->a), ob = obs_at(f, 9000, f->b);
    const double eqa[] = {10000, 10010, 10005}, eqb[] = {10000, 9990};
    ar_prompt_opts pa = {NULL, 0, 3 * AR_NS_PER_MIN, eqa, 3, 0}, pb = {NULL, 0, 3 * AR_NS_PER_MIN, eqb, 2, 0};
    char *ra = render(tmpl, &oa, &pa), *rb = render(tmpl, &ob, &pb);
    assert_string_not_equal(ra, rb);
    ar_buf acc_a = {0}, acc_b = {0};
    assert_int_equal(ar_prompt_render_account(&oa, &pa, &acc_a), AR_OK);
    assert_int_equal(ar_prompt_render_account(&ob, &pb, &acc_b), AR_OK);
    char *ca = without(ra, acc_a.p), *cb = without(rb, acc_b.p);
    assert_string_equal(ca, cb);
    /* the account sections say what each account holds */
    assert_non_null(strstr(acc_a.p, "Current Total Return (percent): 0%\nAvailable Cash: 10000\n"
                                    "Current Account Value: 10000\nCurrent live positions & performance:\nnone\n"
                                    "Pending orders: 0\nSharpe Ratio: "));
    assert_non_null(strstr(acc_b.p, "- BTC: quantity 0.1, entry_price "));
    assert_non_null(strstr(acc_b.p, ", leverage 5, margin "));
    assert_non_null(strstr(acc_b.p, "exit_plan: profit_target 60000, stop_loss 30000\n"));
    assert_non_null(strstr(acc_b.p, "Sharpe Ratio: n/a\n")); /* one return only */
    assert_non_null(strstr(ra, "you have been invoked 9000 times"));
    assert_non_null(strstr(ra, "It has been 9000 minutes since you started trading."));
    assert_non_null(strstr(ra, "The current time is 2024-01-07T06:00:00Z"));
    free(ca), free(cb), free(ra), free(rb), free(tmpl);
    ar_buf_cleanup(&acc_a);
    ar_buf_cleanup(&acc_b);
}

static void test_sharpe(void **state) {
    fixture *f = *state;
    ar_obs o = obs_at(f, 100, f->a);
    /* returns 0.01 and 0.02: mean 0.015, sd 0.00707107 -> 2.12132 (not annualised) */
    const double eq[] = {100, 101, 103.02};
    ar_prompt_opts p = {NULL, 0, 0, eq, 3, 0};
    ar_buf b = {0};
    assert_int_equal(ar_prompt_render_account(&o, &p, &b), AR_OK);
    assert_non_null(strstr(b.p, "Sharpe Ratio: 2.12132\n"));
    /* with a one-day cadence: times sqrt(365) */
    ar_buf_reset(&b);
    p.cadence = AR_NS_PER_DAY;
    assert_int_equal(ar_prompt_render_account(&o, &p, &b), AR_OK);
    assert_non_null(strstr(b.p, "Sharpe Ratio: 40.52777\n"));
    ar_buf_cleanup(&b);
}

static void test_no_lookahead(void **state) {
    fixture *f = *state;
    char *tmpl = template_text("alpha_arena_user");
    size_t nv = 10001;
    ar_obs o = obs_at(f, nv, f->b);
    ar_prompt_opts p = {NULL, 0, 3 * AR_NS_PER_MIN, NULL, 0, 0};
    char *before = render(tmpl, &o, &p);
    /* t = start + 10001 min = 166.7 h: the latest funding is the 21st (t = 160 h) */
    assert_non_null(strstr(before, "### BTC\ncurrent_price = "));
    assert_non_null(strstr(before, "Funding rate (latest, per funding interval): 0.0021\n"));
    /* scribble over everything after t */
    for (size_t s = 0; s < 2; s++) {
        ar_bars *b = &f->m->sym[s].bars;
        for (size_t i = nv; i < b->n; i++) {
            b->row[i].close *= 3;
            b->row[i].high *= 4;
            b->row[i].low /= 2;
            b->row[i].volume += 1000;
        }
    }
    ar_funding *fu = &f->m->sym[0].funding;
    for (size_t j = 0; j < fu->n; j++)
        if (fu->t[j] > o.t) fu->rate[j] = -1;
    o = obs_at(f, nv, f->b);
    char *after = render(tmpl, &o, &p);
    assert_string_equal(before, after);
    /* while the last visible bar does count */
    f->m->sym[1].bars.row[nv - 1].close += 1;
    o = obs_at(f, nv, f->b);
    char *changed = render(tmpl, &o, &p);
    assert_string_not_equal(before, changed);
    free(before), free(after), free(changed), free(tmpl);
}

static int has_date_or_time(const char *s) {
    for (size_t i = 0; s[i]; i++) {
        int d4 = 1;
        for (int k = 0; k < 4; k++)
            if (s[i + k] < '0' || s[i + k] > '9') {
                d4 = 0;
                break;
            }
        if (d4 && s[i + 4] == '-') return 1;
        if (s[i] >= '0' && s[i] <= '9' && s[i + 1] >= '0' && s[i + 1] <= '9' && s[i + 2] == ':' && s[i + 3] >= '0' &&
            s[i + 3] <= '9')
            return 1;
    }
    return strstr(s, "2024") != NULL || strstr(s, "Jan") != NULL;
}

static void test_hide_dates(void **state) {
    fixture *f = *state;
    char *user = template_text("alpha_arena_user"), *sys = template_text("alpha_arena_system");
    ar_obs o = obs_at(f, 12345, f->b);
    ar_prompt_opts p = {NULL, 1, 3 * AR_NS_PER_MIN, NULL, 0, 0};
    char *r = render(user, &o, &p), *s = render(sys, &o, &p);
    assert_false(has_date_or_time(r));
    assert_false(has_date_or_time(s));
    assert_non_null(strstr(r, "The current time is T+12345min and"));
    p.hide_dates = 0;
    char *shown = render(user, &o, &p);
    assert_true(has_date_or_time(shown));
    free(r), free(s), free(shown), free(user), free(sys);
}

static void test_indicator_values(void **state) {
    fixture *f = *state;
    ar_obs o = obs_at(f, NBARS, f->a);
    ar_prompt_opts p = {NULL, 0, 3 * AR_NS_PER_MIN, NULL, 0, 0};
    ar_buf b = {0};
    assert_int_equal(ar_prompt_render_market_opts(&o, &p, &b), AR_OK);
    const char *eth = strstr(b.p, "### ETH\n");
    assert_non_null(eth);
    assert_string_equal(eth,
                        "### ETH\n"
                        "current_price = 15399, current_ema20 = 15370.5, current_macd = 21, current_rsi (7 period) = 100\n"
                        "Intraday series (3m intervals, oldest → latest):\n"
                        "Mid prices: [15372, 15375, 15378, 15381, 15384, 15387, 15390, 15393, 15396, 15399]\n"
                        "EMA indicators (20-period): [15343.5, 15346.5, 15349.5, 15352.5, 15355.5, 15358.5, 15361.5, "
                        "15364.5, 15367.5, 15370.5]\n"
                        "MACD indicators: [21, 21, 21, 21, 21, 21, 21, 21, 21, 21]\n"
                        "RSI indicators (7-period): [100, 100, 100, 100, 100, 100, 100, 100, 100, 100]\n"
                        "RSI indicators (14-period): [100, 100, 100, 100, 100, 100, 100, 100, 100, 100]\n"
                        "Longer-term context (4h timeframe):\n"
                        "20-Period EMA: 13119 vs. 50-Period EMA: 9519\n"
                        "3-Period ATR: 240.5 vs. 14-Period ATR: 240.5\n"
                        "Current Volume: 240 vs. Average Volume: 240\n"
                        "MACD indicators: [1680, 1680, 1680, 1680, 1680, 1680, 1680, 1680, 1680, 1680]\n"
                        "RSI indicators (14-period): [100, 100, 100, 100, 100, 100, 100, 100, 100, 100]\n\n");
    /* the short form: one bar per point; renamed coins */
    ar_buf_reset(&b);
    const char *const names[] = {"AAA", "BBB"};
    assert_int_equal(ar_prompt_render_market(&o, names, 1, &b), AR_OK);
    assert_null(strstr(b.p, "BTC"));
    assert_non_null(strstr(b.p, "### BBB\ncurrent_price = 15399, current_ema20 = 15389.5,"));
    assert_non_null(strstr(b.p, "Intraday series (1m intervals, oldest → latest):\n"
                                "Mid prices: [15390, 15391, 15392, 15393, 15394, 15395, 15396, 15397, 15398, 15399]\n"));
    /* early on, indicators without enough history say so */
    ar_buf_reset(&b);
    o = obs_at(f, 5, f->a);
    assert_int_equal(ar_prompt_render_market(&o, NULL, 0, &b), AR_OK);
    assert_non_null(strstr(b.p, "### ETH\ncurrent_price = 1004, current_ema20 = n/a, current_macd = n/a, "
                                "current_rsi (7 period) = n/a\n"));
    assert_non_null(strstr(b.p, "Mid prices: [1000, 1001, 1002, 1003, 1004]\n"));
    ar_buf_cleanup(&b);
}

static void test_templates(void **state) {
    fixture *f = *state;
    ar_obs o = obs_at(f, 100, f->a);
    ar_buf b = {0};
    ar_errbuf eb;
    assert_int_equal(ar_buf_puts(&b, "keep"), AR_OK);
    assert_int_equal(ar_prompt_render("x {{nope}} y", &o, NULL, &b, &eb), AR_EFORMAT);
    assert_string_equal(eb.msg, "template: unknown placeholder {{nope}} at byte 2");
    assert_int_equal(ar_prompt_render("x {{market", &o, NULL, &b, &eb), AR_EFORMAT);
    assert_string_equal(eb.msg, "template: unterminated placeholder at byte 2");
    assert_string_equal(b.p, "keep"); /* untouched on error */
    assert_int_equal(ar_prompt_check("{{coins}}{{ market}}", &eb), AR_EFORMAT);
    ar_buf_reset(&b);
    assert_int_equal(ar_prompt_render("{{coins}}|{{max_leverage}}|{{taker_fee_bps}}|{{capital}}|{{cadence}}|"
                                      "{{invocation}}|{{minutes_elapsed}}|{ {x} }|{{",
                                      &o, NULL, &b, &eb),
                     AR_EFORMAT);
    assert_int_equal(ar_prompt_render("{{coins}}|{{max_leverage}}|{{taker_fee_bps}}|{{capital}}|{{cadence}}|"
                                      "{{invocation}}|{{minutes_elapsed}}|{ {x} }|}}",
                                      &o, NULL, &b, &eb),
                     AR_OK);
    assert_string_equal(b.p, "BTC, ETH|20|4.5|10000|1m|100|100|{ {x} }|}}");
    char *sys = template_text("alpha_arena_system");
    ar_buf_reset(&b);
    assert_int_equal(ar_prompt_render(sys, &o, NULL, &b, &eb), AR_OK);
    assert_non_null(strstr(b.p, "Leverage: a number from 1 to 20."));
    assert_non_null(strstr(b.p, "Fees: 4.5 basis points"));
    assert_null(strstr(b.p, "{{"));
    /* the perp text exactly as it always was (recorded cassettes hash it) */
    assert_non_null(strstr(b.p, "You trade perpetual futures on these coins: BTC, ETH.\n"));
    assert_non_null(strstr(b.p, "- Instruments: perpetual futures with isolated margin, one net position per coin. "
                                "You may go long (buy_to_enter) or short (sell_to_enter).\n"));
    /* spot: no perps, no shorts, leverage 1 */
    ar_exec_cfg spot = *o.exec;
    spot.mode = AR_MODE_SPOT;
    o.exec = &spot;
    ar_buf_reset(&b);
    assert_int_equal(ar_prompt_render(sys, &o, NULL, &b, &eb), AR_OK);
    assert_non_null(strstr(b.p, "You trade spot on these coins: BTC, ETH.\n"));
    assert_non_null(strstr(b.p, "no short selling (sell_to_enter is refused)"));
    assert_non_null(strstr(b.p, "Leverage: a number from 1 to 1."));
    assert_null(strstr(b.p, "perpetual"));
    ar_buf_cleanup(&b);
    ar_buf_cleanup(&b); /* twice: no-op */
    ar_buf_cleanup(NULL);
#ifdef ARENA_HAVE_EMBEDDED_PROMPTS
    assert_string_equal(ar_prompt_builtin("alpha_arena_system"), sys);
    char *user = template_text("alpha_arena_user");
    assert_string_equal(ar_prompt_builtin("alpha_arena_user"), user);
    free(user);
    assert_null(ar_prompt_builtin("nope"));
    assert_null(ar_prompt_builtin(NULL));
#endif
    free(sys);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ema),
        cmocka_unit_test(test_macd),
        cmocka_unit_test(test_rsi),
        cmocka_unit_test(test_atr),
        cmocka_unit_test_setup_teardown(test_two_agents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sharpe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_lookahead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hide_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_indicator_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_templates, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
