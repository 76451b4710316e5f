/* src/stats/metrics.c - performance metrics of an equity curve, per-trade
 * statistics and the type-7 quantile.
 *
 * Every formula follows section A of shared/refs/stats_ref.py (mirrored in
 * docs/STATS.md): simple returns recovered from the curve, ddof=1 standard
 * deviation, Sortino over all n periods, drawdown with E[0] as a possible
 * peak, CAGR counting periods. Sums are plain left-to-right loops; numpy's
 * pairwise sums differ by ~1e-16 relative, far inside the golden tolerance.
 * The deviation comes from one-pass moments (ar_moments, sharpe.c), so a
 * curve is read once.
 * Whatever is undefined (zero variance, no losses, no drawdown...) becomes
 * NAN here rather than inf, so that writers can print null or "–" without
 * guessing. Pure functions without state: thread-safe. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

/* r when r < 0, else +0.0, without a branch: the sign of returns is a coin
 * toss while a position is open, and a branch on it (which compilers make
 * of the ternary, to skip the square below) mispredicts half the time. */
static inline double neg_part(double r) {
    uint64_t u;
    memcpy(&u, &r, sizeof u);
    u &= -(uint64_t)(r < 0.0);
    memcpy(&r, &u, sizeof r);
    return r;
}

/* Element t of a strided series. */
#define AT(t) (*(const double *)(const void *)(base + (t) * stride))

ar_err ar_metrics_compute(const double *equity, size_t npoints, double ppy, ar_metrics *out) {
    return ar_metrics_compute_stride(equity, sizeof *equity, npoints, ppy, out);
}

ar_err ar_metrics_compute_stride(const double *first, size_t stride, size_t npoints, double ppy, ar_metrics *out) {
    if (first == NULL || stride < sizeof(double)) {
        metrics_undefined(out, npoints > 0 ? npoints - 1 : 0, ppy);
        return AR_EINVAL;
    }
    ar_metrics_acc a;
    ar_metrics_acc_init(&a);
    ar_metrics_acc_add(&a, first, stride, npoints);
    return ar_metrics_acc_finish(&a, ppy, out);
}

void ar_metrics_acc_init(ar_metrics_acc *a) {
    memset(a, 0, offsetof(ar_metrics_acc, mo));
    ar_moments_init(&a->mo);
}

/* Only a point below this can deepen the drawdown mdd under the peak: the
 * margin of 1e-9 is far above the rounding of the exact test
 * x / peak - 1 < mdd, so the division is done for those points only. Near
 * a total loss the margin would shrink to the rounding: every point then. */
static double deeper_below(double peak, double mdd) {
    return 1.0 + mdd > 1e-6 ? peak * (1.0 + mdd) * (1.0 + 1e-9) : INFINITY;
}

/* One pass: the recovered returns (into the moments, which give the mean
 * and the deviation, and into the sums of gains and losses) and the
 * drawdown, with the check that every point is finite and positive.
 * Drawdown: the running peak starts at E[0]. The peak index is the first
 * time the running maximum reached its value, which is where a strict
 * increase last moved it; equal later values do not move it, matching
 * numpy's first-index argmax in the reference. A point at or above the
 * peak has a drawdown of zero, so only points below it need the division.
 * Once a bad point is seen nothing more is computed: the curve has no
 * metrics. The returns of a stretch are worked out first, then summed
 * without branches on their signs (adding 0.0 changes no sum). */
void ar_metrics_acc_add(ar_metrics_acc *a, const double *first, size_t stride, size_t n) {
    const char *base = (const char *)first;
    double r[256];
    size_t i = 0;
    if (n > 0 && a->n == 0) {
        double x = AT(0);
        a->n = 1;
        a->first = a->peak = a->prev = a->last = x;
        if (!isfinite(x) || !(x > 0.0)) a->bad = 1;
        i = 1;
    }
    while (i < n) {
        size_t k = 0, lim = n - i < 256 ? n - i : 256;
        /* the running values in locals, written back once per stretch
         * (the compiler cannot keep a's doubles in registers: the curve's
         * doubles, read through base, might be them) */
        double prev = a->prev, peak = a->peak, mdd = a->mdd;
        double deep = deeper_below(peak, mdd);
        double pos = a->pos_sum, neg = a->neg_sum, down2 = a->down2;
        size_t npos = a->n_pos, nnz = a->n_nonzero, t0 = a->n;
        size_t peak_idx = a->peak_idx, run = a->run, longest = a->longest;
        int bad = a->bad;
        for (; k < lim && !bad; k++) {
            double x = AT(i + k);
            if (!isfinite(x) || !(x > 0.0)) {
                bad = 1;
                break;
            }
            double ret = x / prev - 1.0, up = ret > 0.0 ? ret : 0.0, dn = neg_part(ret);
            r[k] = ret;
            pos += up;
            neg += dn;
            down2 += dn * dn;
            npos += ret > 0.0;
            nnz += ret != 0.0;
            prev = x;
            if (x > peak) {
                peak = x;
                peak_idx = t0 + k;
                deep = deeper_below(peak, mdd);
            }
            if (x < peak) {
                double dd = x < deep ? x / peak - 1.0 : 0.0;
                if (dd < mdd) {
                    mdd = dd;
                    a->trough = t0 + k;
                    a->trough_peak = peak_idx;
                    deep = deeper_below(peak, mdd);
                }
                run++;
                if (run > longest) longest = run;
            } else {
                run = 0;
            }
        }
        a->prev = prev;
        a->peak = peak;
        a->mdd = mdd;
        a->pos_sum = pos;
        a->neg_sum = neg;
        a->down2 = down2;
        a->n_pos = npos;
        a->n_nonzero = nnz;
        a->peak_idx = peak_idx;
        a->run = run;
        a->longest = longest;
        a->bad = bad;
        ar_moments_add(&a->mo, r, k);
        /* past a bad point only the count and the last point move on */
        a->n += lim;
        a->last = AT(i + lim - 1);
        i += lim;
    }
}

ar_err ar_metrics_acc_finish(const ar_metrics_acc *a, double ppy, ar_metrics *out) {
    size_t n = a->n > 0 ? a->n - 1 : 0;
    metrics_undefined(out, n, ppy);
    if (a->n < 2 || !isfinite(ppy) || !(ppy > 0.0) || a->bad) return AR_EINVAL;
    double mu = ar_moments_mean(&a->mo);
    /* n = 1 leaves ddof=1 undefined (0/0 in numpy): NAN, not 0. */
    double s = n > 1 ? sqrt(ar_moments_ss(&a->mo) / (double)(n - 1)) : NAN;
    double growth = a->last / a->first;
    double cagr = pow(growth, ppy / (double)n) - 1.0;
    double sr_p = ratio_pos(mu, s);
    double dd_dev = sqrt(a->down2 / (double)n);
    double mdd = a->mdd;

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
    out->max_drawdown_duration_periods = a->longest;
    out->max_drawdown_trough_index = a->trough;
    out->max_drawdown_peak_index = a->trough_peak;
    out->calmar = mdd < 0.0 ? cagr / fabs(mdd) : NAN;
    out->win_rate_periods = a->n_nonzero > 0 ? (double)a->n_pos / (double)a->n_nonzero : NAN;
    out->profit_factor_periods = ratio_pos(a->pos_sum, fabs(a->neg_sum));
    return AR_OK;
}

#undef AT

void ar_trade_acc_init(ar_trade_acc *a) { memset(a, 0, sizeof *a); }

void ar_trade_acc_add(ar_trade_acc *a, double pnl) {
    a->n++;
    a->total += pnl;
    if (pnl > 0.0) {
        a->win_sum += pnl;
        a->n_win++;
    } else if (pnl < 0.0) {
        a->loss_sum += pnl;
        a->n_loss++;
    }
}

void ar_trade_acc_finish(const ar_trade_acc *a, ar_trade_stats *out) {
    size_t n = a->n;
    out->n_trades = n;
    out->percent_profitable = out->profit_factor = out->expectancy = NAN;
    out->avg_win = out->avg_loss = out->win_loss_ratio = out->total_pnl = NAN;
    if (n == 0) return;
    /* Zero-PnL trades stay in the denominator of percent_profitable and
     * expectancy (pyfolio), but are neither wins nor losses. */
    out->percent_profitable = (double)a->n_win / (double)n;
    out->profit_factor = ratio_pos(a->win_sum, fabs(a->loss_sum));
    out->expectancy = a->total / (double)n;
    out->avg_win = a->n_win > 0 ? a->win_sum / (double)a->n_win : NAN;
    out->avg_loss = a->n_loss > 0 ? a->loss_sum / (double)a->n_loss : NAN;
    out->win_loss_ratio = ratio_pos(out->avg_win, fabs(out->avg_loss));
    out->total_pnl = a->total;
}

void ar_trade_stats_compute(const double *pnl, size_t n, ar_trade_stats *out) {
    ar_trade_acc a;
    ar_trade_acc_init(&a);
    for (size_t i = 0; pnl != NULL && i < n; i++) ar_trade_acc_add(&a, pnl[i]);
    ar_trade_acc_finish(&a, out);
    out->n_trades = n;
}

double ar_quantile_sorted(const double *x, size_t n, double q) {
    if (x == NULL || n == 0 || !(q >= 0.0 && q <= 1.0)) return NAN;
    /* GSL's quantile_from_sorted_data is exactly Hyndman-Fan type 7:
     * h = (n-1) q, linear interpolation between x[floor h] and the next. */
    return gsl_stats_quantile_from_sorted_data(x, 1, n, q);
}
