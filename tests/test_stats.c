/* tests/test_stats.c - the stats module on small hand-checked inputs: the
 * undefined cases (flat curve, one period, no trades, no losses), drawdown
 * bookkeeping, Lo's eta, PSR/DSR/JK edge cases, Elo and Bradley-Terry on
 * tiny leagues with closed-form answers, the non-existent-MLE fallback, and
 * the type-7 quantile. Expected numbers come from numpy on the same inputs
 * or from algebra noted next to them. */
/* arena-test-deps: stats util */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include "arena/stats.h"

#define NEAR(got, exp)                                                                        \
    do {                                                                                      \
        double g_ = (got), e_ = (exp);                                                        \
        if (!(fabs(g_ - e_) <= 1e-12 + 1e-9 * fabs(e_)))                                      \
            fail_msg("%s = %.17g, expected %.17g", #got, g_, e_);                             \
    } while (0)
#define UNDEF(x) assert_true(isnan(x))

static void flat_equity_is_undefined(void **state) {
    (void)state;
    const double e[] = {100, 100, 100, 100};
    ar_metrics m;
    assert_int_equal(ar_metrics_compute(e, 4, 365, &m), AR_OK);
    assert_int_equal(m.n_returns, 3);
    NEAR(m.mean_return, 0.0);
    NEAR(m.std_return_ddof1, 0.0);
    NEAR(m.total_return, 0.0);
    NEAR(m.annualized_return_cagr, 0.0);
    UNDEF(m.sharpe_per_period); /* zero variance */
    UNDEF(m.sharpe_annualized);
    UNDEF(m.sharpe_annualized_252);
    NEAR(m.downside_deviation_per_period, 0.0);
    UNDEF(m.sortino_annualized);
    NEAR(m.max_drawdown, 0.0);
    UNDEF(m.calmar); /* no drawdown */
    assert_int_equal(m.max_drawdown_duration_periods, 0);
    assert_int_equal(m.max_drawdown_trough_index, 0);
    assert_int_equal(m.max_drawdown_peak_index, 0);
    UNDEF(m.win_rate_periods); /* no non-zero return */
    UNDEF(m.profit_factor_periods);

    const double r[] = {0.001, 0.001, 0.001};
    ar_sharpe_inference si;
    ar_sharpe_inference_compute(r, 3, 365, &si);
    UNDEF(si.skew_biased);
    UNDEF(si.kurtosis_nonexcess_biased);
    UNDEF(si.psr_sr0_zero);
    UNDEF(si.psr_zstat);
    UNDEF(ar_sharpe_pp(r, 3));
    UNDEF(ar_lo_eta(r, 3, 2));
}

static void single_period(void **state) {
    (void)state;
    const double e[] = {100, 110};
    ar_metrics m;
    assert_int_equal(ar_metrics_compute(e, 2, 12, &m), AR_OK);
    assert_int_equal(m.n_returns, 1);
    NEAR(m.mean_return, 0.1);
    UNDEF(m.std_return_ddof1); /* ddof = 1 with one return */
    UNDEF(m.sharpe_annualized);
    UNDEF(m.annualized_volatility);
    NEAR(m.total_return, 0.1);
    NEAR(m.annualized_return_cagr, 2.138428376721003); /* 1.1^12 - 1 */
    UNDEF(m.sortino_annualized);                       /* no downside */
    UNDEF(m.calmar);
    NEAR(m.win_rate_periods, 1.0);
    UNDEF(m.profit_factor_periods); /* no losing period */
    NEAR(m.periods_per_year, 12.0);
}

static void invalid_curves_rejected(void **state) {
    (void)state;
    ar_metrics m;
    const double one[] = {100};
    assert_int_equal(ar_metrics_compute(one, 1, 365, &m), AR_EINVAL);
    UNDEF(m.sharpe_annualized);
    const double neg[] = {100, -5, 10};
    assert_int_equal(ar_metrics_compute(neg, 3, 365, &m), AR_EINVAL);
    const double zero[] = {100, 0, 10};
    assert_int_equal(ar_metrics_compute(zero, 3, 365, &m), AR_EINVAL);
    const double nan_[] = {100, NAN, 10};
    assert_int_equal(ar_metrics_compute(nan_, 3, 365, &m), AR_EINVAL);
    const double ok[] = {100, 101};
    assert_int_equal(ar_metrics_compute(ok, 2, 0.0, &m), AR_EINVAL);
    assert_int_equal(ar_metrics_compute(ok, 2, NAN, &m), AR_EINVAL);
}

/* numpy on the same curve: r = E[1:]/E[:-1]-1, std ddof=1, etc. */
static void hand_curve(void **state) {
    (void)state;
    const double e[] = {100, 110, 99, 105, 120, 90, 95, 100};
    ar_metrics m;
    assert_int_equal(ar_metrics_compute(e, 8, 252, &m), AR_OK);
    assert_int_equal(m.n_returns, 7);
    NEAR(m.mean_return, 0.0088071911380182);
    NEAR(m.std_return_ddof1, 0.13656182628689956);
    NEAR(m.sharpe_annualized, 1.0237840896146584);
    NEAR(m.sharpe_annualized_252, 1.0237840896146584);
    NEAR(m.downside_deviation_per_period, 0.10177004891982147);
    NEAR(m.sortino_annualized, 1.3737816428819483);
    NEAR(m.max_drawdown, -0.25);
    assert_int_equal(m.max_drawdown_trough_index, 5);
    assert_int_equal(m.max_drawdown_peak_index, 4);
    assert_int_equal(m.max_drawdown_duration_periods, 3); /* t = 5, 6, 7, unrecovered */
    NEAR(m.annualized_return_cagr, 0.0);
    NEAR(m.calmar, 0.0); /* defined: a drawdown exists, the return is zero */
    NEAR(m.win_rate_periods, 5.0 / 7.0);
    NEAR(m.profit_factor_periods, 1.176143822760364);

    double r[7];
    for (int t = 1; t < 8; t++) r[t - 1] = e[t] / e[t - 1] - 1.0;
    ar_sharpe_inference si;
    ar_sharpe_inference_compute(r, 7, 252, &si);
    NEAR(si.skew_biased, -1.0695442639597972);
    NEAR(si.kurtosis_nonexcess_biased, 2.814637335198853);
    double sr = ar_sharpe_pp(r, 7);
    NEAR(si.lo_se_iid_per_period, sqrt((1.0 + 0.5 * sr * sr) / 7.0));
    NEAR(si.lo_se_iid_annualized, si.lo_se_iid_per_period * sqrt(252.0));
    /* PSR(0) = Phi(SR / SE_nonnormal): ties C2 and C4 together */
    NEAR(si.psr_sr0_zero, ar_norm_cdf(sr / si.se_nonnormal_per_period));
    double z;
    NEAR(ar_psr(r, 7, sr, &z), 0.5); /* benchmark equal to the estimate */
    NEAR(z, 0.0);
}

/* The first period's loss counts: E[0] is a peak. */
static void drawdown_from_first_point(void **state) {
    (void)state;
    const double e[] = {100, 90, 95, 101};
    ar_metrics m;
    assert_int_equal(ar_metrics_compute(e, 4, 12, &m), AR_OK);
    NEAR(m.max_drawdown, -0.1);
    assert_int_equal(m.max_drawdown_trough_index, 1);
    assert_int_equal(m.max_drawdown_peak_index, 0);
    assert_int_equal(m.max_drawdown_duration_periods, 2);
    NEAR(m.annualized_return_cagr, pow(1.01, 4.0) - 1.0);
    NEAR(m.calmar, (pow(1.01, 4.0) - 1.0) / 0.1);
}

/* The strided form reads a field of records in place and must give the same
 * bits as the plain form on a copy; an invalid point anywhere (here the
 * last, checked in the same pass as the sums) is still rejected. */
static void strided_equals_plain(void **state) {
    (void)state;
    struct rec { long long t; double eq, other; } rec[9];
    const double e[9] = {100, 104, 101, 101, 97.5, 99, 103, 102.5, 108};
    for (int i = 0; i < 9; i++) rec[i] = (struct rec){i, e[i], -1.0};
    ar_metrics a, b;
    assert_int_equal(ar_metrics_compute(e, 9, 365, &a), AR_OK);
    assert_int_equal(ar_metrics_compute_stride(&rec[0].eq, sizeof rec[0], 9, 365, &b), AR_OK);
    assert_memory_equal(&a, &b, sizeof a);
    NEAR(b.max_drawdown, 97.5 / 104 - 1);
    assert_int_equal(b.max_drawdown_peak_index, 1);
    assert_int_equal(b.max_drawdown_trough_index, 4);
    assert_int_equal(b.max_drawdown_duration_periods, 6); /* below 104 from t=2 to t=7 */
    rec[8].eq = 0.0;
    assert_int_equal(ar_metrics_compute_stride(&rec[0].eq, sizeof rec[0], 9, 365, &b), AR_EINVAL);
    UNDEF(b.sharpe_annualized);
    assert_int_equal(ar_metrics_compute_stride(&rec[0].eq, 4, 9, 365, &b), AR_EINVAL); /* stride < a double */
}

static void trade_stats_cases(void **state) {
    (void)state;
    ar_trade_stats ts;
    ar_trade_stats_compute(NULL, 0, &ts);
    assert_int_equal(ts.n_trades, 0);
    UNDEF(ts.percent_profitable);
    UNDEF(ts.profit_factor);
    UNDEF(ts.expectancy);
    UNDEF(ts.avg_win);
    UNDEF(ts.avg_loss);
    UNDEF(ts.win_loss_ratio);
    UNDEF(ts.total_pnl);

    const double p[] = {10, -5, 0, 20, -10};
    ar_trade_stats_compute(p, 5, &ts);
    assert_int_equal(ts.n_trades, 5);
    NEAR(ts.percent_profitable, 0.4); /* the zero trade stays in N */
    NEAR(ts.profit_factor, 2.0);
    NEAR(ts.expectancy, 3.0);
    NEAR(ts.avg_win, 15.0);
    NEAR(ts.avg_loss, -7.5);
    NEAR(ts.win_loss_ratio, 2.0);
    NEAR(ts.total_pnl, 15.0);

    const double w[] = {1, 2};
    ar_trade_stats_compute(w, 2, &ts);
    NEAR(ts.percent_profitable, 1.0);
    UNDEF(ts.profit_factor); /* no losing trade */
    UNDEF(ts.avg_loss);
    UNDEF(ts.win_loss_ratio);

    /* one trade at a time (the league's pooled PnL over episodes, added
     * episode by episode): the hand values above, the empty accumulator
     * undefined */
    ar_trade_acc acc;
    ar_trade_stats one;
    ar_trade_acc_init(&acc);
    ar_trade_acc_finish(&acc, &one);
    assert_int_equal(one.n_trades, 0);
    UNDEF(one.expectancy);
    UNDEF(one.percent_profitable);
    ar_trade_acc_add(&acc, p[0]);
    ar_trade_acc_add(&acc, p[1]); /* first episode */
    for (size_t i = 2; i < 5; i++) ar_trade_acc_add(&acc, p[i]);
    ar_trade_acc_finish(&acc, &one);
    assert_int_equal(one.n_trades, 5);
    NEAR(one.percent_profitable, 0.4);
    NEAR(one.profit_factor, 2.0);
    NEAR(one.expectancy, 3.0);
    NEAR(one.avg_win, 15.0);
    NEAR(one.avg_loss, -7.5);
    NEAR(one.total_pnl, 15.0);
    /* and the same bits as the array function, on values whose sums round */
    const double q[] = {0.1, -0.7, 1e-3, 0.30000000000000004, -2.5, 0, 7.25};
    ar_trade_acc_init(&acc);
    for (size_t i = 0; i < 7; i++) ar_trade_acc_add(&acc, q[i]);
    ar_trade_acc_finish(&acc, &one);
    ar_trade_stats_compute(q, 7, &ts);
    assert_memory_equal(&one, &ts, sizeof ts);
}

static void lo_eta_by_hand(void **state) {
    (void)state;
    /* d = r; sum d^2 = 4; rho1 = -3/4, rho2 = 1/2.
     * q=2: 2/sqrt(2 + 2(-3/4)) = 2/sqrt(0.5); q=3: 3/sqrt(3 + 2(2(-3/4) + 1/2)) = 3. */
    const double r[] = {1, -1, 1, -1};
    NEAR(ar_lo_eta(r, 4, 1), 1.0);
    NEAR(ar_lo_eta(r, 4, 2), 2.0 / sqrt(0.5));
    NEAR(ar_lo_eta(r, 4, 3), 3.0);
    UNDEF(ar_lo_eta(r, 4, 0));
}

static void dsr_and_jk_edges(void **state) {
    (void)state;
    const double r[] = {0.01, -0.02, 0.015, 0.003, -0.004, 0.02};
    double sr0, z;
    UNDEF(ar_expected_max_sharpe(1.0, 1e-4)); /* one trial: Phi^-1(0) = -inf */
    UNDEF(ar_dsr(r, 6, 1.0, 1e-4, &sr0, &z));
    UNDEF(sr0);
    /* Zero variance across trials: SR0 = 0, so DSR reduces to PSR(0). */
    NEAR(ar_dsr(r, 6, 10.0, 0.0, &sr0, &z), ar_psr(r, 6, 0.0, NULL));
    NEAR(sr0, 0.0);

    ar_jk jk;
    ar_memmel_jk(r, r, 6, &jk);
    NEAR(jk.rho, 1.0);
    UNDEF(jk.z); /* theta = 0: identical series cannot be tested */
    UNDEF(jk.p_two_sided);
    const double r2[] = {0.002, 0.01, -0.01, 0.004, 0.001, 0.003};
    ar_jk ab, ba;
    ar_memmel_jk(r, r2, 6, &ab);
    ar_memmel_jk(r2, r, 6, &ba);
    NEAR(ab.z, -ba.z);
    NEAR(ab.p_two_sided, ba.p_two_sided);
    NEAR(ab.p_two_sided, 2.0 * (1.0 - ar_norm_cdf(fabs(ab.z))));
}

static void elo_one_battle(void **state) {
    (void)state;
    const ar_battle b[] = {{0, 1, 1.0}, {0, 0, 1.0} /* ignored: same model */, {0, 7, 1.0} /* ignored */};
    double R[2];
    ar_elo_online(b, 3, 2, 4.0, R);
    NEAR(R[0], 1002.0);
    NEAR(R[1], 998.0);
}

/* Two models, 3 wins to 1: P = 3/4, so the gap is 400 log10(3). */
static void bt_two_models_closed_form(void **state) {
    (void)state;
    const ar_battle b[] = {{0, 1, 1.0}, {1, 0, 0.0}, {0, 1, 1.0}, {0, 1, 0.0}};
    double R[2], ll;
    assert_int_equal(ar_bt_fit(b, 4, 2, R, &ll), AR_OK);
    NEAR(R[0] - R[1], 400.0 * log10(3.0));
    NEAR(R[0] + R[1], 2000.0);
    NEAR(ll, 3.0 * log(0.75) + log(0.25));

    /* A win each plus two ties: all even. */
    const ar_battle t[] = {{0, 1, 1.0}, {0, 1, 0.0}, {0, 1, 0.5}, {1, 0, 0.5}};
    assert_int_equal(ar_bt_fit(t, 4, 2, R, NULL), AR_OK);
    NEAR(R[0], 1000.0);
    NEAR(R[1], 1000.0);

    /* One model, or none. */
    assert_int_equal(ar_bt_fit(NULL, 0, 1, R, &ll), AR_OK);
    NEAR(R[0], 1000.0);
    assert_int_equal(ar_bt_fit(NULL, 0, 0, R, &ll), AR_EINVAL);
}

/* 0 beats 1 and 2, 1 beats 2, nobody beats 0: no MLE. The fallback must
 * be finite, centred and keep the evident order 0 > 1 > 2. */
static void bt_fallback_not_strongly_connected(void **state) {
    (void)state;
    const ar_battle b[] = {{0, 1, 1.0}, {1, 0, 0.0}, {0, 2, 1.0}, {1, 2, 1.0}, {2, 1, 0.0}, {0, 1, 1.0}};
    double R[3], ll;
    assert_int_equal(ar_bt_fit(b, 6, 3, R, &ll), AR_EUNDEF);
    for (int i = 0; i < 3; i++) assert_true(isfinite(R[i]));
    assert_true(R[0] > R[1] && R[1] > R[2]);
    NEAR((R[0] + R[1] + R[2]) / 3.0, 1000.0);
    assert_true(isfinite(ll) && ll < 0.0);

    /* Two islands {0,1} and {2,3} with ties inside each: weakly disconnected.
     * Ratings stay finite; within an island the winner is ahead. */
    const ar_battle c[] = {{0, 1, 1.0}, {0, 1, 0.5}, {1, 0, 1.0}, {0, 1, 1.0},
                           {2, 3, 0.5}, {3, 2, 1.0}, {3, 2, 0.0}, {2, 3, 1.0}, {2, 3, 1.0}};
    double S[4];
    assert_int_equal(ar_bt_fit(c, 9, 4, S, NULL), AR_EUNDEF);
    for (int i = 0; i < 4; i++) assert_true(isfinite(S[i]));
    assert_true(S[0] > S[1]);
    assert_true(S[2] > S[3]);
    NEAR((S[0] + S[1] + S[2] + S[3]) / 4.0, 1000.0);

    /* A model that never played also means no MLE. */
    const ar_battle d[] = {{0, 1, 1.0}, {1, 0, 1.0}};
    assert_int_equal(ar_bt_fit(d, 2, 3, R, NULL), AR_EUNDEF);
    NEAR(R[0], R[1]);
    for (int i = 0; i < 3; i++) assert_true(isfinite(R[i]));
}

/* Tied models rank together: their fitted ratings agree only to rounding
 * (1766.7770135356946 against ...943 in a league of eight seen in a
 * differential run), and the rank rule must not split them on it; a
 * thousandth of an Elo is a real difference. */
static void bt_ties_share_a_rank(void **state) {
    (void)state;
    assert_false(ar_rating_above(1766.7770135356946, 1766.7770135356943));
    assert_false(ar_rating_above(1766.7770135356943, 1766.7770135356946));
    assert_true(ar_rating_above(1000.001, 1000.0));
    assert_false(ar_rating_above(1000.0, 1000.001));
    assert_false(ar_rating_above(NAN, 1000.0));
    /* model 0 beats everyone; 1-4 tie with one another in every pairing */
    ar_battle b[64];
    size_t n = 0;
    for (int j = 1; j < 5; j++) {
        b[n++] = (ar_battle){0, j, 1.0};
        b[n++] = (ar_battle){j, 0, 1.0}; /* and lose once, so the MLE exists */
        b[n++] = (ar_battle){0, j, 1.0};
        for (int k = j + 1; k < 5; k++) b[n++] = (ar_battle){j, k, 0.5};
    }
    double R[5];
    assert_int_equal(ar_bt_fit(b, n, 5, R, NULL), AR_OK);
    for (int j = 1; j < 5; j++) {
        assert_true(fabs(R[j] - R[1]) < 1e-9);
        assert_true(ar_rating_above(R[0], R[j]));
        for (int k = 1; k < 5; k++) assert_false(ar_rating_above(R[k], R[j]));
    }
}

/* Score equations at the optimum: each model's points equal its expected
 * points, on a 4-model league with a cycle. */
static void bt_score_equations(void **state) {
    (void)state;
    const ar_battle b[] = {{0, 1, 1.0}, {1, 2, 1.0}, {2, 3, 1.0}, {3, 0, 1.0}, {0, 2, 1.0},
                           {1, 3, 0.5}, {0, 1, 1.0}, {2, 0, 0.0}, {1, 0, 1.0}, {3, 1, 0.0}};
    double R[4];
    assert_int_equal(ar_bt_fit(b, 10, 4, R, NULL), AR_OK);
    double obs[4] = {0}, exp_[4] = {0};
    for (int k = 0; k < 10; k++) {
        double p = 1.0 / (1.0 + pow(10.0, (R[b[k].b] - R[b[k].a]) / 400.0));
        obs[b[k].a] += b[k].y;
        obs[b[k].b] += 1.0 - b[k].y;
        exp_[b[k].a] += p;
        exp_[b[k].b] += 1.0 - p;
    }
    for (int i = 0; i < 4; i++) assert_true(fabs(obs[i] - exp_[i]) < 1e-9);
}

static void quantile_type7(void **state) {
    (void)state;
    const double x[] = {1, 2, 3, 4};
    /* numpy.percentile([1,2,3,4], [0,25,50,2.5,97.5,100]) */
    NEAR(ar_quantile_sorted(x, 4, 0.0), 1.0);
    NEAR(ar_quantile_sorted(x, 4, 0.25), 1.75);
    NEAR(ar_quantile_sorted(x, 4, 0.5), 2.5);
    NEAR(ar_quantile_sorted(x, 4, 0.025), 1.075);
    NEAR(ar_quantile_sorted(x, 4, 0.975), 3.925);
    NEAR(ar_quantile_sorted(x, 4, 1.0), 4.0);
    const double one[] = {7};
    NEAR(ar_quantile_sorted(one, 1, 0.975), 7.0);
    UNDEF(ar_quantile_sorted(x, 0, 0.5));
    UNDEF(ar_quantile_sorted(x, 4, 1.5));
    UNDEF(ar_quantile_sorted(x, 4, NAN));
}

int main(void) {
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bt_ties_share_a_rank),
        cmocka_unit_test(flat_equity_is_undefined),
        cmocka_unit_test(single_period),
        cmocka_unit_test(invalid_curves_rejected),
        cmocka_unit_test(hand_curve),
        cmocka_unit_test(drawdown_from_first_point),
        cmocka_unit_test(strided_equals_plain),
        cmocka_unit_test(trade_stats_cases),
        cmocka_unit_test(lo_eta_by_hand),
        cmocka_unit_test(dsr_and_jk_edges),
        cmocka_unit_test(elo_one_battle),
        cmocka_unit_test(bt_two_models_closed_form),
        cmocka_unit_test(bt_fallback_not_strongly_connected),
        cmocka_unit_test(bt_score_equations),
        cmocka_unit_test(quantile_type7),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
