/* src/stats/metrics.c - performance metrics of an equity curve, per-trade
 * statistics and the type-7 quantile.
 *
 * Every formula follows section A of shared/refs/stats_ref.py (mirrored in
 * docs/STATS.md): simple returns recovered from the curve, ddof=1 standard
 * deviation, Sortino over all n periods, drawdown with E[0] as a possible
 * peak, CAGR counting periods. Sums are plain left-to-right loops; numpy's
 * pairwise sums differ by ~1e-16 relative, far inside the golden tolerance.
 * Whatever is undefined (zero variance, no losses, no drawdown...) becomes
 * NAN here rather than inf, so that writers can print null or "–" without
 * guessing. Pure functions without state: thread-safe. */
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_statistics_double.h>
#include "arena/stats.h"

static void metrics_undefined(ar_metrics *m, size_t n, double ppy) {
    m->n_returns = n;
    m->periods_per_year = ppy;
    m->mean_return = m->std_return_ddof1 = NAN;
    m->total_return = m->annualized_return_cagr = m->annualized_volatility = NAN;
    m->sharpe_per_period = m->sharpe_annualized = m->sharpe_annualized_252 = NAN;
    m->downside_deviation_per_period = m->sortino_annualized = NAN;
    m->max_drawdown = NAN;
    m->max_drawdown_duration_periods = 0;
    m->max_drawdown_trough_index = m->max_drawdown_peak_index = 0;
    m->calmar = NAN;
    m->win_rate_periods = m->profit_factor_periods = NAN;
}

/* a / b where b must be strictly positive for the ratio to mean anything;
 * otherwise NAN (never +-inf). */
static double ratio_pos(double a, double b) {
    return (b > 0.0 && isfinite(a)) ? a / b : NAN;
}

/* Element t of a strided series. */
#define AT(t) (*(const double *)(const void *)(base + (t) * stride))

ar_err ar_metrics_compute(const double *equity, size_t npoints, double ppy, ar_metrics *out) {
    return ar_metrics_compute_stride(equity, sizeof *equity, npoints, ppy, out);
}

ar_err ar_metrics_compute_stride(const double *first, size_t stride, size_t npoints, double ppy, ar_metrics *out) {
    const char *base = (const char *)first;
    size_t n = npoints > 0 ? npoints - 1 : 0;
    metrics_undefined(out, n, ppy);
    if (first == NULL || stride < sizeof(double) || npoints < 2 || !isfinite(ppy) || !(ppy > 0.0)) return AR_EINVAL;
    if (!isfinite(AT(0)) || !(AT(0) > 0.0)) return AR_EINVAL;

    /* One pass for the sums of the recovered returns and the drawdown (and
     * the check that every point is finite and positive), a second for the
     * squared deviations from the mean (no cancellation). Drawdown: the
     * running peak starts at E[0]. The peak index is the first time the
     * running maximum reached its value, which is where a strict increase
     * last moved it; equal later values do not move it, matching numpy's
     * first-index argmax in the reference. A point at or above the peak has
     * a drawdown of zero, so only points below it need the division. */
    double sum = 0.0, pos_sum = 0.0, neg_sum = 0.0, down2 = 0.0;
    size_t n_pos = 0, n_nonzero = 0;
    double peak = AT(0), mdd = 0.0;
    size_t peak_idx = 0, trough = 0, trough_peak = 0, run = 0, longest = 0;
    for (size_t t = 1; t <= n; t++) {
        double x = AT(t);
        if (!isfinite(x) || !(x > 0.0)) return AR_EINVAL;
        double r = x / AT(t - 1) - 1.0;
        sum += r;
        if (r > 0.0) {
            pos_sum += r;
            n_pos++;
        } else if (r < 0.0) {
            neg_sum += r;
            down2 += r * r;
        }
        if (r != 0.0) n_nonzero++;
        if (x > peak) {
            peak = x;
            peak_idx = t;
        }
        if (x < peak) {
            double dd = x / peak - 1.0;
            if (dd < mdd) {
                mdd = dd;
                trough = t;
                trough_peak = peak_idx;
            }
            run++;
        } else {
            run = 0;
        }
        if (run > longest) longest = run;
    }
    double mu = sum / (double)n;
    double ss = 0.0;
    for (size_t t = 1; t <= n; t++) {
        double d = (AT(t) / AT(t - 1) - 1.0) - mu;
        ss += d * d;
    }
    /* n = 1 leaves ddof=1 undefined (0/0 in numpy): NAN, not 0. */
    double s = n > 1 ? sqrt(ss / (double)(n - 1)) : NAN;
    double growth = AT(n) / AT(0);
    double cagr = pow(growth, ppy / (double)n) - 1.0;
    double sr_p = ratio_pos(mu, s);
    double dd_dev = sqrt(down2 / (double)n);

    out->mean_return = mu;
    out->std_return_ddof1 = s;
    out->total_return = growth - 1.0;
    out->annualized_return_cagr = cagr;
    out->annualized_volatility = s * sqrt(ppy);
    out->sharpe_per_period = sr_p;
    out->sharpe_annualized = sr_p * sqrt(ppy);
    out->sharpe_annualized_252 = sr_p * sqrt(252.0);
    out->downside_deviation_per_period = dd_dev;
    out->sortino_annualized = ratio_pos(mu, dd_dev) * sqrt(ppy);
    out->max_drawdown = mdd;
    out->max_drawdown_duration_periods = longest;
    out->max_drawdown_trough_index = trough;
    out->max_drawdown_peak_index = trough_peak;
    out->calmar = mdd < 0.0 ? cagr / fabs(mdd) : NAN;
    out->win_rate_periods = n_nonzero > 0 ? (double)n_pos / (double)n_nonzero : NAN;
    out->profit_factor_periods = ratio_pos(pos_sum, fabs(neg_sum));
    return AR_OK;
}

#undef AT

void ar_trade_stats_compute(const double *pnl, size_t n, ar_trade_stats *out) {
    out->n_trades = n;
    out->percent_profitable = out->profit_factor = out->expectancy = NAN;
    out->avg_win = out->avg_loss = out->win_loss_ratio = out->total_pnl = NAN;
    if (pnl == NULL || n == 0) return;
    double total = 0.0, win_sum = 0.0, loss_sum = 0.0;
    size_t n_win = 0, n_loss = 0;
    for (size_t i = 0; i < n; i++) {
        total += pnl[i];
        if (pnl[i] > 0.0) {
            win_sum += pnl[i];
            n_win++;
        } else if (pnl[i] < 0.0) {
            loss_sum += pnl[i];
            n_loss++;
        }
    }
    /* Zero-PnL trades stay in the denominator of percent_profitable and
     * expectancy (pyfolio), but are neither wins nor losses. */
    out->percent_profitable = (double)n_win / (double)n;
    out->profit_factor = ratio_pos(win_sum, fabs(loss_sum));
    out->expectancy = total / (double)n;
    out->avg_win = n_win > 0 ? win_sum / (double)n_win : NAN;
    out->avg_loss = n_loss > 0 ? loss_sum / (double)n_loss : NAN;
    out->win_loss_ratio = ratio_pos(out->avg_win, fabs(out->avg_loss));
    out->total_pnl = total;
}

double ar_quantile_sorted(const double *x, size_t n, double q) {
    if (x == NULL || n == 0 || !(q >= 0.0 && q <= 1.0)) return NAN;
    /* GSL's quantile_from_sorted_data is exactly Hyndman-Fan type 7:
     * h = (n-1) q, linear interpolation between x[floor h] and the next. */
    return gsl_stats_quantile_from_sorted_data(x, 1, n, q);
}
