/* tests/test_stats_golden.c - the stats module against the golden vectors of
 * shared/refs/golden.json (written by shared/refs/stats_ref.py).
 *
 * The test rebuilds, from the golden inputs, a JSON tree shaped like the
 * golden "expected" tree and walks the expected tree key by key: a key the C
 * side does not produce fails, so a metric added to the reference cannot be
 * forgotten here. Reals must satisfy |got - exp| <= 1e-12 + 1e-9 |exp|,
 * integers are exact, null means NAN. It also regenerates the inputs with the
 * section-E LCG generators and requires them equal bit for bit.
 * The golden file lives outside the repository: $ARENA_SHARED, else
 * ARENA_SOURCE_DIR/../shared; when neither exists every test skips. */
/* arena-test-deps: stats util */
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <jansson.h>
#include "arena/stats.h"

#define REL_TOL 1e-9
#define ABS_TOL 1e-12

static json_t *golden;           /* whole file, NULL when absent */
static double max_rel_err;       /* over every real compared */
static char max_rel_where[256];

/* ---------------------------------------------------------------- loading */

static int group_setup(void **state) {
    (void)state;
    gsl_set_error_handler_off();
    char path[4096];
    const char *shared = getenv("ARENA_SHARED");
    if (shared && *shared)
        snprintf(path, sizeof path, "%s/refs/golden.json", shared);
    else
        snprintf(path, sizeof path, "%s/../shared/refs/golden.json", ARENA_SOURCE_DIR);
    json_error_t je;
    golden = json_load_file(path, 0, &je);
    if (golden == NULL) fprintf(stderr, "test_stats_golden: %s not loaded (%s): golden tests skip\n", path, je.text);
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    json_decref(golden);
    if (max_rel_where[0])
        fprintf(stderr, "test_stats_golden: max relative error %.3e at %s\n", max_rel_err, max_rel_where);
    return 0;
}

#define NEED_GOLDEN()                                                          \
    do {                                                                       \
        if (golden == NULL) {                                                  \
            print_message("golden.json absent (ARENA_SHARED): skipped\n");     \
            skip();                                                            \
        }                                                                      \
    } while (0)

static json_t *jpath(json_t *root, const char *a, const char *b) {
    json_t *x = json_object_get(root, a);
    return b ? json_object_get(x, b) : x;
}

/* Doubles of a JSON array; the caller frees. */
static double *jarray_doubles(json_t *arr, size_t *n) {
    *n = json_array_size(arr);
    double *v = malloc((*n ? *n : 1) * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < *n; i++) {
        json_t *x = json_array_get(arr, i);
        assert_true(json_is_number(x));
        v[i] = json_number_value(x);
    }
    return v;
}

/* ------------------------------------------------------ section E: LCG */

typedef struct lcg { uint64_t x; } lcg;
static uint64_t lcg_next(lcg *g) {
    g->x = UINT64_C(6364136223846793005) * g->x + UINT64_C(1442695040888963407);
    return g->x;
}
static double lcg_uniform(lcg *g) {
    return (double)(lcg_next(g) >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t gen_equity(size_t n, double *ea, double *eb) {
    lcg g = {UINT64_C(20251127)};
    ea[0] = eb[0] = 10000.0;
    for (size_t t = 1; t <= n; t++) {
        double u[9];
        for (int i = 0; i < 9; i++) u[i] = lcg_uniform(&g);
        double z1 = (u[0] + u[1] + u[2] + u[3] - 2.0) * 1.7320508075688772;
        double z2 = (u[5] + u[6] + u[7] + u[8] - 2.0) * 1.7320508075688772;
        double jump = u[4] < 0.01 ? -0.04 : 0.0;
        double mu = ((t - 1) / 400) % 2 == 0 ? 0.0020 : -0.0004;
        double ra = mu + 0.012 * z1 + jump;
        double rb = 0.0004 + 0.0072 * z1 + 0.008 * z2;
        ea[t] = ea[t - 1] * (1.0 + ra);
        eb[t] = eb[t - 1] * (1.0 + rb);
    }
    return g.x;
}

static const char *const AGENTS[5] = {"agent_a", "agent_b", "agent_c", "agent_d", "agent_e"};

static void gen_battles(size_t n, int *ia, int *ib, const char **winner) {
    static const double s[5] = {8, 6, 5, 4, 3};
    static const int pairs[10][2] = {{0, 1}, {0, 2}, {0, 3}, {0, 4}, {1, 2},
                                     {1, 3}, {1, 4}, {2, 3}, {2, 4}, {3, 4}};
    lcg g = {7};
    for (size_t k = 0; k < n; k++) {
        int i = pairs[k % 10][0], j = pairs[k % 10][1];
        if ((k / 10) % 2 == 1) {
            int tmp = i;
            i = j;
            j = tmp;
        }
        double u1 = lcg_uniform(&g), u2 = lcg_uniform(&g);
        if (u1 < 0.10)
            winner[k] = "tie";
        else
            winner[k] = u2 < s[i] / (s[i] + s[j]) ? "model_a" : "model_b";
        ia[k] = i;
        ib[k] = j;
    }
}

static void generators_bit_exact(void **state) {
    (void)state;
    NEED_GOLDEN();
    json_t *in = json_object_get(golden, "inputs");
    size_t na, nb;
    double *ga = jarray_doubles(json_object_get(in, "equity_A"), &na);
    double *gb = jarray_doubles(json_object_get(in, "equity_B"), &nb);
    assert_int_equal(na, 2001);
    assert_int_equal(nb, 2001);
    double *ea = malloc(na * sizeof *ea), *eb = malloc(na * sizeof *eb);
    assert_non_null(ea);
    assert_non_null(eb);
    uint64_t final = gen_equity(na - 1, ea, eb);
    for (size_t t = 0; t < na; t++) {
        /* bit identity, not closeness: compare the representations */
        if (memcmp(&ea[t], &ga[t], sizeof(double)) != 0 || memcmp(&eb[t], &gb[t], sizeof(double)) != 0)
            fail_msg("equity differs at t=%zu: A %.17g vs %.17g, B %.17g vs %.17g", t, ea[t], ga[t], eb[t],
                     gb[t]);
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, final);
    json_t *eg = jpath(golden, "meta", "equity_generator");
    assert_string_equal(buf, json_string_value(json_object_get(eg, "lcg_state_after_curves")));
    json_t *first3 = json_object_get(eg, "lcg_first_three_u64_from_seed");
    assert_int_equal(json_array_size(first3), 3);
    lcg g = {UINT64_C(20251127)};
    for (size_t i = 0; i < 3; i++) {
        snprintf(buf, sizeof buf, "%" PRIu64, lcg_next(&g));
        assert_string_equal(buf, json_string_value(json_array_get(first3, i)));
    }

    json_t *battles = json_object_get(in, "battles");
    size_t nbat = json_array_size(battles);
    assert_int_equal(nbat, 200);
    int ia[200], ib[200];
    const char *w[200];
    gen_battles(nbat, ia, ib, w);
    for (size_t k = 0; k < nbat; k++) {
        json_t *row = json_array_get(battles, k);
        assert_string_equal(AGENTS[ia[k]], json_string_value(json_array_get(row, 0)));
        assert_string_equal(AGENTS[ib[k]], json_string_value(json_array_get(row, 1)));
        assert_string_equal(w[k], json_string_value(json_array_get(row, 2)));
    }
    free(ga);
    free(gb);
    free(ea);
    free(eb);
}

/* ------------------------------------------------ building the C results */

static json_t *jreal(double v) {
    return isnan(v) ? json_null() : json_real(v);
}

static json_t *metrics_json(const double *e, size_t np, double ppy) {
    ar_metrics m;
    assert_int_equal(ar_metrics_compute(e, np, ppy, &m), AR_OK);
    json_t *o = json_object();
    json_object_set_new(o, "n_returns", json_integer((json_int_t)m.n_returns));
    json_object_set_new(o, "periods_per_year", jreal(m.periods_per_year));
    json_object_set_new(o, "mean_return", jreal(m.mean_return));
    json_object_set_new(o, "std_return_ddof1", jreal(m.std_return_ddof1));
    json_object_set_new(o, "total_return", jreal(m.total_return));
    json_object_set_new(o, "annualized_return_cagr", jreal(m.annualized_return_cagr));
    json_object_set_new(o, "annualized_volatility", jreal(m.annualized_volatility));
    json_object_set_new(o, "sharpe_per_period", jreal(m.sharpe_per_period));
    json_object_set_new(o, "sharpe_annualized", jreal(m.sharpe_annualized));
    json_object_set_new(o, "sharpe_annualized_252", jreal(m.sharpe_annualized_252));
    json_object_set_new(o, "downside_deviation_per_period", jreal(m.downside_deviation_per_period));
    json_object_set_new(o, "sortino_annualized", jreal(m.sortino_annualized));
    json_object_set_new(o, "max_drawdown", jreal(m.max_drawdown));
    json_object_set_new(o, "max_drawdown_duration_periods", json_integer((json_int_t)m.max_drawdown_duration_periods));
    json_object_set_new(o, "max_drawdown_trough_index", json_integer((json_int_t)m.max_drawdown_trough_index));
    json_object_set_new(o, "max_drawdown_peak_index", json_integer((json_int_t)m.max_drawdown_peak_index));
    json_object_set_new(o, "calmar", jreal(m.calmar));
    json_object_set_new(o, "win_rate_periods", jreal(m.win_rate_periods));
    json_object_set_new(o, "profit_factor_periods", jreal(m.profit_factor_periods));
    return o;
}

static double *returns_of(const double *e, size_t np) {
    double *r = malloc(np * sizeof *r);
    assert_non_null(r);
    for (size_t t = 1; t < np; t++) r[t - 1] = e[t] / e[t - 1] - 1.0;
    return r;
}

static json_t *inference_json(const double *r, size_t n, double ppy, double n_trials, double var_trials) {
    ar_sharpe_inference si;
    ar_sharpe_inference_compute(r, n, ppy, &si);
    double sr0, zd, d = ar_dsr(r, n, n_trials, var_trials, &sr0, &zd);
    json_t *o = json_object();
    json_object_set_new(o, "skew_biased", jreal(si.skew_biased));
    json_object_set_new(o, "kurtosis_nonexcess_biased", jreal(si.kurtosis_nonexcess_biased));
    json_object_set_new(o, "lo_se_iid_per_period", jreal(si.lo_se_iid_per_period));
    json_object_set_new(o, "lo_se_iid_annualized", jreal(si.lo_se_iid_annualized));
    json_object_set_new(o, "se_nonnormal_per_period", jreal(si.se_nonnormal_per_period));
    json_object_set_new(o, "lo_eta_q12", jreal(ar_lo_eta(r, n, 12)));
    json_object_set_new(o, "lo_eta_q365", jreal(ar_lo_eta(r, n, 365)));
    json_object_set_new(o, "psr_sr0_zero", jreal(si.psr_sr0_zero));
    json_object_set_new(o, "psr_zstat", jreal(si.psr_zstat));
    json_object_set_new(o, "dsr_expected_max_sharpe_sr0", jreal(sr0));
    json_object_set_new(o, "dsr", jreal(d));
    json_object_set_new(o, "dsr_zstat", jreal(zd));
    return o;
}

static json_t *per_agent(json_t *agents, const double *v) {
    json_t *o = json_object();
    for (size_t i = 0; i < json_array_size(agents); i++)
        json_object_set_new(o, json_string_value(json_array_get(agents, i)), jreal(v[i]));
    return o;
}

static json_t *per_agent_int(json_t *agents, const int *v) {
    json_t *o = json_object();
    for (size_t i = 0; i < json_array_size(agents); i++)
        json_object_set_new(o, json_string_value(json_array_get(agents, i)), json_integer(v[i]));
    return o;
}

static int agent_index(json_t *agents, const char *name) {
    for (size_t i = 0; i < json_array_size(agents); i++)
        if (!strcmp(json_string_value(json_array_get(agents, i)), name)) return (int)i;
    fail_msg("unknown agent %s", name);
    return -1;
}

/* The whole "expected" tree as computed here from golden "inputs". */
static json_t *build_got(void) {
    json_t *in = json_object_get(golden, "inputs");
    double ppy = json_number_value(jpath(golden, "meta", "periods_per_year"));
    size_t npa, npb;
    double *ea = jarray_doubles(json_object_get(in, "equity_A"), &npa);
    double *eb = jarray_doubles(json_object_get(in, "equity_B"), &npb);
    assert_int_equal(npa, npb);
    double *ra = returns_of(ea, npa), *rb = returns_of(eb, npb);
    size_t n = npa - 1;
    json_t *got = json_object();

    json_t *rc = json_object(), *first5 = json_array();
    double sum = 0.0;
    for (size_t t = 0; t < n; t++) sum += ra[t];
    for (size_t t = 0; t < 5 && t < n; t++) json_array_append_new(first5, json_real(ra[t]));
    json_object_set_new(rc, "first5", first5);
    json_object_set_new(rc, "sum", json_real(sum));
    json_object_set_new(rc, "last", json_real(ra[n - 1]));
    json_object_set_new(got, "returns_A_checks", rc);

    json_object_set_new(got, "metrics_A", metrics_json(ea, npa, ppy));
    json_object_set_new(got, "metrics_B", metrics_json(eb, npb, ppy));

    json_t *dsr = json_object_get(in, "dsr");
    double nt = json_number_value(json_object_get(dsr, "n_trials"));
    double vt = json_number_value(json_object_get(dsr, "var_trial_sharpe_per_period"));
    json_object_set_new(got, "inference_A", inference_json(ra, n, ppy, nt, vt));
    json_object_set_new(got, "inference_B", inference_json(rb, n, ppy, nt, vt));

    ar_jk jk;
    ar_memmel_jk(ra, rb, n, &jk);
    json_t *j = json_object();
    json_object_set_new(j, "sharpe_1", jreal(jk.sharpe_1));
    json_object_set_new(j, "sharpe_2", jreal(jk.sharpe_2));
    json_object_set_new(j, "rho", jreal(jk.rho));
    json_object_set_new(j, "theta", jreal(jk.theta));
    json_object_set_new(j, "z", jreal(jk.z));
    json_object_set_new(j, "p_two_sided", jreal(jk.p_two_sided));
    json_object_set_new(got, "memmel_jk_A_vs_B", j);

    /* Golden trades: p_k = E[block k] - E[block (k-1)], whole blocks only. */
    size_t block = (size_t)json_integer_value(json_object_get(in, "trade_block_periods"));
    assert_true(block > 0);
    size_t ntr = n / block;
    double *pnl = malloc((ntr ? ntr : 1) * sizeof *pnl);
    assert_non_null(pnl);
    for (size_t k = 1; k <= ntr; k++) pnl[k - 1] = ea[block * k] - ea[block * (k - 1)];
    ar_trade_stats ts;
    ar_trade_stats_compute(pnl, ntr, &ts);
    json_t *tj = json_object();
    json_object_set_new(tj, "n_trades", json_integer((json_int_t)ts.n_trades));
    json_object_set_new(tj, "percent_profitable", jreal(ts.percent_profitable));
    json_object_set_new(tj, "profit_factor", jreal(ts.profit_factor));
    json_object_set_new(tj, "expectancy", jreal(ts.expectancy));
    json_object_set_new(tj, "avg_win", jreal(ts.avg_win));
    json_object_set_new(tj, "avg_loss", jreal(ts.avg_loss));
    json_object_set_new(tj, "win_loss_ratio", jreal(ts.win_loss_ratio));
    json_object_set_new(tj, "total_pnl", jreal(ts.total_pnl));
    json_object_set_new(got, "trades_A", tj);

    json_t *agents = json_object_get(in, "agents"), *battles = json_object_get(in, "battles");
    size_t m = json_array_size(agents), nb = json_array_size(battles);
    ar_battle *bt = malloc(nb * sizeof *bt);
    int *wins = calloc(m, sizeof(int)), *losses = calloc(m, sizeof(int)), *ties = calloc(m, sizeof(int));
    double *R = malloc(m * sizeof *R), *Ra = malloc(m * sizeof *Ra), *elo = malloc(m * sizeof *elo);
    assert_true(bt && wins && losses && ties && R && Ra && elo);
    for (size_t k = 0; k < nb; k++) {
        json_t *row = json_array_get(battles, k);
        int a = agent_index(agents, json_string_value(json_array_get(row, 0)));
        int b = agent_index(agents, json_string_value(json_array_get(row, 1)));
        const char *w = json_string_value(json_array_get(row, 2));
        bt[k].a = a;
        bt[k].b = b;
        if (!strcmp(w, "model_a")) {
            bt[k].y = 1.0;
            wins[a]++;
            losses[b]++;
        } else if (!strcmp(w, "model_b")) {
            bt[k].y = 0.0;
            wins[b]++;
            losses[a]++;
        } else {
            assert_string_equal(w, "tie");
            bt[k].y = 0.5;
            ties[a]++;
            ties[b]++;
        }
    }
    double ll;
    assert_int_equal(ar_bt_fit(bt, nb, m, R, &ll), AR_OK);
    json_t *anc = json_object_get(in, "bt_anchor");
    int ai = agent_index(agents, json_string_value(json_object_get(anc, "name")));
    double shift = json_number_value(json_object_get(anc, "value")) - R[ai];
    for (size_t i = 0; i < m; i++) Ra[i] = R[i] + shift;
    json_t *bj = json_object();
    json_object_set_new(bj, "ratings_mean1000", per_agent(agents, R));
    json_object_set_new(bj, "ratings_anchored", per_agent(agents, Ra));
    json_object_set_new(bj, "log_likelihood", jreal(ll));
    json_object_set_new(bj, "wins", per_agent_int(agents, wins));
    json_object_set_new(bj, "losses", per_agent_int(agents, losses));
    json_object_set_new(bj, "ties", per_agent_int(agents, ties));
    json_object_set_new(got, "bt", bj);

    double K = json_number_value(jpath(in, "online_elo", "K"));
    ar_elo_online(bt, nb, m, K, elo);
    json_object_set_new(got, "online_elo_K4", per_agent(agents, elo));

    free(ea), free(eb), free(ra), free(rb), free(pnl), free(bt);
    free(wins), free(losses), free(ties), free(R), free(Ra), free(elo);
    return got;
}

/* ------------------------------------------------------------- comparing */

/* Walks exp (the golden tree); every key of exp must be in got. Returns the
 * number of mismatches, each printed with its path. */
static int walk(json_t *exp, json_t *got, const char *path) {
    char sub[512];
    int bad = 0;
    if (json_is_object(exp)) {
        if (!json_is_object(got)) {
            print_error("%s: expected an object\n", path);
            return 1;
        }
        const char *key;
        json_t *v;
        json_object_foreach(exp, key, v) {
            snprintf(sub, sizeof sub, "%s.%s", path, key);
            json_t *g = json_object_get(got, key);
            if (g == NULL) {
                print_error("%s: not computed by the C side\n", sub);
                bad++;
            } else {
                bad += walk(v, g, sub);
            }
        }
    } else if (json_is_array(exp)) {
        if (!json_is_array(got) || json_array_size(got) != json_array_size(exp)) {
            print_error("%s: array length mismatch\n", path);
            return 1;
        }
        for (size_t i = 0; i < json_array_size(exp); i++) {
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            bad += walk(json_array_get(exp, i), json_array_get(got, i), sub);
        }
    } else if (json_is_null(exp)) {
        if (!json_is_null(got)) {
            print_error("%s: expected null (undefined)\n", path);
            bad++;
        }
    } else if (json_is_integer(exp)) {
        if (!json_is_integer(got) || json_integer_value(got) != json_integer_value(exp)) {
            print_error("%s: expected integer %" JSON_INTEGER_FORMAT "\n", path, json_integer_value(exp));
            bad++;
        }
    } else if (json_is_real(exp)) {
        double e = json_real_value(exp);
        if (!json_is_number(got)) {
            print_error("%s: expected %.17g, got a non-number\n", path, e);
            return 1;
        }
        double g = json_number_value(got), d = fabs(g - e);
        if (!(d <= ABS_TOL + REL_TOL * fabs(e))) {
            print_error("%s: got %.17g expected %.17g\n", path, g, e);
            bad++;
        }
        double rel = e != 0.0 ? d / fabs(e) : d;
        if (rel > max_rel_err || !max_rel_where[0]) {
            max_rel_err = rel;
            snprintf(max_rel_where, sizeof max_rel_where, "%s", path);
        }
    } else if (!json_equal(exp, got)) {
        print_error("%s: value differs\n", path);
        bad++;
    }
    return bad;
}

static void check_section(const char *section) {
    NEED_GOLDEN();
    json_t *exp = jpath(golden, "expected", section);
    assert_non_null(exp);
    json_t *got = build_got();
    char path[128];
    snprintf(path, sizeof path, "expected.%s", section);
    int bad = walk(exp, json_object_get(got, section), path);
    json_decref(got);
    assert_int_equal(bad, 0);
}

static void returns_checks(void **s) { (void)s; check_section("returns_A_checks"); }
static void metrics_A(void **s) { (void)s; check_section("metrics_A"); }
static void metrics_B(void **s) { (void)s; check_section("metrics_B"); }
static void inference_A(void **s) { (void)s; check_section("inference_A"); }
static void inference_B(void **s) { (void)s; check_section("inference_B"); }
static void memmel_jk(void **s) { (void)s; check_section("memmel_jk_A_vs_B"); }
static void trades_A(void **s) { (void)s; check_section("trades_A"); }
static void bradley_terry(void **s) { (void)s; check_section("bt"); }
static void online_elo(void **s) { (void)s; check_section("online_elo_K4"); }

/* Whatever section the reference grows must be named in this file. */
static void every_expected_section_checked(void **state) {
    (void)state;
    NEED_GOLDEN();
    static const char *const known[] = {"returns_A_checks", "metrics_A", "metrics_B", "inference_A",
                                        "inference_B", "memmel_jk_A_vs_B", "trades_A", "bt",
                                        "online_elo_K4"};
    json_t *got = build_got();
    int bad = walk(json_object_get(golden, "expected"), got, "expected");
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(golden, "expected"), key, v) {
        int found = 0;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) found |= !strcmp(key, known[i]);
        if (!found) {
            print_error("expected.%s: section without a test\n", key);
            bad++;
        }
    }
    json_decref(got);
    assert_int_equal(bad, 0);
}

/* The bootstrap is RNG-dependent and not matched, but the golden CI must
 * contain our point estimate: a cheap check that the fits agree in kind. */
static void bootstrap_ci_contains_estimate(void **state) {
    (void)state;
    NEED_GOLDEN();
    json_t *got = build_got();
    json_t *bs = jpath(golden, "informational_rng_dependent", "bt_bootstrap");
    json_t *lo = json_object_get(bs, "q025"), *hi = json_object_get(bs, "q975");
    json_t *r = jpath(got, "bt", "ratings_mean1000");
    const char *key;
    json_t *v;
    json_object_foreach(r, key, v) {
        double x = json_real_value(v);
        assert_true(json_real_value(json_object_get(lo, key)) < x);
        assert_true(x < json_real_value(json_object_get(hi, key)));
    }
    json_decref(got);
}

/* Phi^-1 to ~1e-15: values from mpmath at 50 digits, rounded to doubles. */
static void norm_ppf_accuracy(void **state) {
    (void)state;
    static const struct { double p, x; } cases[] = {
        {0.975, 1.9599639845400538},
        {0.96, 1.7506860712521695},
        {0.5, 0.0},
        {0.025, -1.9599639845400543},
        {0.3, -0.5244005127080408},
        {1e-5, -4.264890793922825},
        {1e-10, -6.361340902404057},
        {1e-300, -37.0470962993612},
        {0.9999999, 5.199337582290661},
        {0.9852848223531423 /* 1 - 1/(25 e) */, 2.1776734716326387},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double x = ar_norm_ppf(cases[i].p);
        double tol = 2e-15 * fabs(cases[i].x) + 1e-300;
        if (!(fabs(x - cases[i].x) <= tol)) fail_msg("ppf(%.17g) = %.17g, want %.17g", cases[i].p, x, cases[i].x);
    }
    assert_true(isinf(ar_norm_ppf(0.0)) && ar_norm_ppf(0.0) < 0);
    assert_true(isinf(ar_norm_ppf(1.0)) && ar_norm_ppf(1.0) > 0);
    assert_true(isnan(ar_norm_ppf(1.5)));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generators_bit_exact),
        cmocka_unit_test(returns_checks),
        cmocka_unit_test(metrics_A),
        cmocka_unit_test(metrics_B),
        cmocka_unit_test(inference_A),
        cmocka_unit_test(inference_B),
        cmocka_unit_test(memmel_jk),
        cmocka_unit_test(trades_A),
        cmocka_unit_test(bradley_terry),
        cmocka_unit_test(online_elo),
        cmocka_unit_test(every_expected_section_checked),
        cmocka_unit_test(bootstrap_ci_contains_estimate),
        cmocka_unit_test(norm_ppf_accuracy),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
