/* tests/test_stats_stream.c - metrics and Sharpe moments of a series handed
 * in pieces equal, bit for bit, those of the whole array: the league reads
 * streamed equity curves back from the run file block by block and its
 * table must not depend on whether the curves were in memory. Series are
 * seeded random walks (some touching zero, some flat) cut at random places,
 * with empty and one-element pieces. */
/* arena-test-deps: stats util */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "arena/stats.h"

/* Same bits (so NAN equals NAN, and 0.0 differs from -0.0). */
#define SAME(a, b)                                                                              \
    do {                                                                                        \
        double a_ = (a), b_ = (b);                                                              \
        if (memcmp(&a_, &b_, sizeof a_) != 0) fail_msg("%s = %.17g, %s = %.17g", #a, a_, #b, b_); \
    } while (0)

/* |a - b| <= tol */
#define NEAR(a, b, tol)                                                                                  \
    do {                                                                                                 \
        double a_ = (a), b_ = (b), t_ = (tol);                                                           \
        if (!(fabs(a_ - b_) <= t_)) fail_msg("%s = %.17g, %s = %.17g (tolerance %g)", #a, a_, #b, b_, t_); \
    } while (0)

/* Cut [0, n) into consecutive random pieces (lengths 0..max) into cuts
 * (room for 2n + 2); returns how many. */
static size_t cut(gsl_rng *r, size_t n, size_t max, size_t *cuts) {
    size_t k = 0, at = 0;
    while (at < n) {
        size_t len = gsl_rng_uniform_int(r, max + 1);
        if (at + len > n || k == 2 * n) len = n - at; /* the rest, before the room runs out */
        cuts[k++] = len;
        at += len;
    }
    cuts[k++] = 0; /* an empty piece at the end too */
    return k;
}

static void make_curve(gsl_rng *r, double *e, size_t n, int kind) {
    double x = 10000;
    for (size_t i = 0; i < n; i++) {
        if (kind == 1) x = 10000;                              /* flat */
        else x *= 1.0 + 0.01 * (gsl_rng_uniform(r) - 0.5);    /* walk */
        e[i] = x;
    }
    if (kind == 2 && n > 3) e[n / 2] = 0.0; /* liquidated midway */
    if (kind == 3 && n > 3) e[n - 1] = NAN;
}

static void metrics_in_pieces(void **state) {
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    const size_t sizes[] = {0, 1, 2, 3, 17, 1000, 20000};
    double *e = malloc(20000 * sizeof *e);
    size_t *c1 = malloc(40002 * sizeof *c1);
    assert_non_null(e);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (int kind = 0; kind < 4; kind++)
            for (int rep = 0; rep < 5; rep++) {
                size_t n = sizes[si];
                make_curve(r, e, n, kind);
                ar_metrics whole, parts;
                ar_err ew = ar_metrics_compute(e, n, 525600, &whole);
                ar_metrics_acc a;
                ar_metrics_acc_init(&a);
                size_t k1 = cut(r, n, rep == 0 ? 1 : rep == 1 ? 50 : 1300, c1), at = 0;
                for (size_t k = 0; k < k1; at += c1[k++]) ar_metrics_acc_add(&a, e + at, sizeof *e, c1[k]);
                ar_err ep = ar_metrics_acc_finish(&a, 525600, &parts);
                if (ew != ep) fail_msg("n %zu kind %d rep %d: whole %d, pieces %d", n, kind, rep, (int)ew, (int)ep);
                assert_int_equal(whole.n_returns, parts.n_returns);
                assert_int_equal(whole.max_drawdown_duration_periods, parts.max_drawdown_duration_periods);
                assert_int_equal(whole.max_drawdown_trough_index, parts.max_drawdown_trough_index);
                assert_int_equal(whole.max_drawdown_peak_index, parts.max_drawdown_peak_index);
                SAME(whole.mean_return, parts.mean_return);
                SAME(whole.std_return_ddof1, parts.std_return_ddof1);
                SAME(whole.total_return, parts.total_return);
                SAME(whole.annualized_return_cagr, parts.annualized_return_cagr);
                SAME(whole.sharpe_annualized, parts.sharpe_annualized);
                SAME(whole.sortino_annualized, parts.sortino_annualized);
                SAME(whole.max_drawdown, parts.max_drawdown);
                SAME(whole.calmar, parts.calmar);
                SAME(whole.win_rate_periods, parts.win_rate_periods);
                SAME(whole.profit_factor_periods, parts.profit_factor_periods);
                if (n > 0) {
                    SAME(a.first, e[0]);
                    SAME(a.last, e[n - 1]);
                }
                if (kind == 2 && n > 3) assert_int_equal(ep, AR_EINVAL); /* touches zero: no metrics */
                if (kind == 0 && n >= 3) assert_int_equal(ep, AR_OK);
            }
    free(e);
    free(c1);
    gsl_rng_free(r);
}

static void moments_in_pieces(void **state) {
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    const size_t sizes[] = {0, 1, 2, 3, 50, 5000};
    double *x = malloc(5000 * sizeof *x), *y = malloc(5000 * sizeof *y);
    size_t *c1 = malloc(10002 * sizeof *c1);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (int rep = 0; rep < 6; rep++) {
            size_t n = sizes[si];
            for (size_t i = 0; i < n; i++) {
                x[i] = 0.001 * (gsl_rng_uniform(r) - 0.48) + (rep == 5 ? 0.0 : 1e-4 * gsl_ran_ugaussian(r));
                y[i] = rep == 4 ? x[i] : 0.5 * x[i] + 0.001 * (gsl_rng_uniform(r) - 0.5);
            }
            if (rep == 3)
                for (size_t i = 0; i < n; i++) x[i] = 0.002; /* no spread */
            ar_moments m;
            ar_comoments c;
            ar_moments_init(&m);
            ar_comoments_init(&c);
            size_t k1 = cut(r, n, rep == 0 ? 1 : rep == 1 ? 40 : 1300, c1), at = 0;
            for (size_t k = 0; k < k1; at += c1[k++]) {
                ar_moments_add(&m, x + at, c1[k]);
                ar_comoments_add(&c, x + at, y + at, c1[k]);
            }
            SAME(ar_sharpe_pp(x, n), ar_sharpe_pp_m(&m));
            double z1, z2, s1, s2;
            SAME(ar_psr(x, n, 0.01, &z1), ar_psr_m(&m, 0.01, &z2));
            SAME(z1, z2);
            SAME(ar_dsr(x, n, 6, 0.002, &s1, &z1), ar_dsr_m(&m, 6, 0.002, &s2, &z2));
            SAME(s1, s2);
            SAME(z1, z2);
            ar_jk a, b;
            ar_memmel_jk(x, y, n, &a);
            ar_memmel_jk_m(&c, &b);
            SAME(a.sharpe_1, b.sharpe_1);
            SAME(a.sharpe_2, b.sharpe_2);
            SAME(a.rho, b.rho);
            SAME(a.theta, b.theta);
            SAME(a.z, b.z);
            SAME(a.p_two_sided, b.p_two_sided);
            if (n >= 50 && rep < 3) assert_true(isfinite(b.z) && isfinite(ar_psr_m(&m, 0.0, NULL)));
        }
    free(x);
    free(y);
    free(c1);
    gsl_rng_free(r);
}

/* The one-pass moments (pieces merged) against a plain two-pass computation
 * in long double, on series long enough for many merges, with a mean far
 * from zero (where a naive one-pass formula loses everything), and the
 * moments of two halves merged equal to those of the whole. */
static void moments_match_two_pass(void **state) {
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    const size_t sizes[] = {511, 512, 513, 1537, 100000};
    double *x = malloc(100000 * sizeof *x), *y = malloc(100000 * sizeof *y);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (int rep = 0; rep < 3; rep++) {
            size_t n = sizes[si];
            double off = rep == 0 ? 0.0 : rep == 1 ? 1e3 : -0.5;
            for (size_t i = 0; i < n; i++) {
                /* skewed and heavy-tailed: exponential plus a rare jump */
                x[i] = off + 1e-3 * gsl_ran_exponential(r, 1.0) + (gsl_rng_uniform(r) < 0.01 ? 0.02 : 0.0);
                y[i] = 0.3 * x[i] + 1e-3 * gsl_ran_ugaussian(r);
            }
            long double mu = 0, my = 0, m2 = 0, m3 = 0, m4 = 0, yy = 0, xy = 0;
            for (size_t i = 0; i < n; i++) {
                mu += x[i];
                my += y[i];
            }
            mu /= (long double)n;
            my /= (long double)n;
            for (size_t i = 0; i < n; i++) {
                long double d = x[i] - mu, e = y[i] - my;
                m2 += d * d;
                m3 += d * d * d;
                m4 += d * d * d * d;
                yy += e * e;
                xy += d * e;
            }
            double sd = (double)sqrtl(m2 / (long double)(n - 1));
            double sr = (double)(mu / sd);
            double g3 = (double)((m3 / n) / powl(m2 / n, 1.5L)), g4 = (double)((m4 / n) / ((m2 / n) * (m2 / n)));
            double zref = sr * sqrt((double)(n - 1)) / sqrt(1.0 - g3 * sr + (g4 - 1.0) / 4.0 * sr * sr);
            double z;
            ar_moments whole, lo, hi;
            ar_moments_init(&whole);
            ar_moments_add(&whole, x, n);
            NEAR(ar_moments_mean(&whole), (double)mu, 1e-14 * fabs((double)mu) + 1e-300);
            NEAR(ar_moments_ss(&whole), (double)m2, 1e-11 * (double)m2);
            NEAR(ar_sharpe_pp_m(&whole), sr, 1e-11 * fabs(sr));
            ar_psr_m(&whole, 0.0, &z);
            NEAR(z, zref, 1e-10 * fabs(zref));
            ar_psr(x, n, 0.0, &z);
            NEAR(z, zref, 1e-10 * fabs(zref));
            /* two halves, each with its own waiting piece, merged */
            size_t h = n / 3 + 7;
            ar_moments_init(&lo);
            ar_moments_init(&hi);
            ar_moments_add(&lo, x, h);
            ar_moments_add(&hi, x + h, n - h);
            ar_moments_merge(&lo, &hi);
            assert_int_equal(lo.n, n);
            ar_psr_m(&lo, 0.0, &z);
            NEAR(z, zref, 1e-10 * fabs(zref));
            NEAR(ar_moments_ss(&lo), (double)m2, 1e-11 * (double)m2);
            /* the correlation of the pair */
            ar_jk jk;
            ar_memmel_jk(x, y, n, &jk);
            double rho = (double)(xy / sqrtl(m2 * yy));
            NEAR(jk.rho, rho, 1e-11);
            /* a series paired with itself: exactly correlated, no test */
            ar_memmel_jk(x, x, n, &jk);
            assert_true(jk.rho == 1.0);
            assert_true(isnan(jk.z));
        }
    free(x);
    free(y);
    gsl_rng_free(r);
}

int main(void) {
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metrics_in_pieces),
        cmocka_unit_test(moments_in_pieces),
        cmocka_unit_test(moments_match_two_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
