/* include/arena/stats.h - performance metrics, Sharpe inference, ratings.
 *
 * Conventions are exactly those of shared/refs/stats_ref.py (sections A-D):
 * simple period returns from the equity curve, ddof=1 std, Sortino over all n,
 * drawdown with E[0] as a possible peak, a year of 365 days. Every value that
 * is undefined (zero variance, no trades, no losses...) is NAN; JSON writers
 * print it as null and text tables as "–". Pure functions, thread-safe. */
#ifndef ARENA_STATS_H
#define ARENA_STATS_H

#include <stddef.h>
#include <stdint.h>
#include "arena/err.h"

typedef struct ar_metrics {
    size_t n_returns;
    double periods_per_year;
    double mean_return, std_return_ddof1;
    double total_return, annualized_return_cagr, annualized_volatility;
    double sharpe_per_period, sharpe_annualized;
    double sharpe_annualized_252; /* SR_p * sqrt(252): the equities convention, for comparison */
    double downside_deviation_per_period, sortino_annualized;
    double max_drawdown; /* <= 0 */
    size_t max_drawdown_duration_periods, max_drawdown_trough_index, max_drawdown_peak_index;
    double calmar;
    double win_rate_periods, profit_factor_periods;
} ar_metrics;

/* Metrics of equity[0..n] (n+1 points, n >= 1). AR_EINVAL (and out filled
 * with NAN / 0) when n < 1, when ppy is not finite and > 0, or when an equity
 * value is not finite and > 0 (returns would be undefined). */
ar_err ar_metrics_compute(const double *equity, size_t npoints, double ppy, ar_metrics *out);
/* The same on a strided series: point t is the double at byte offset
 * t x stride from first (a field of an array of records, e.g.
 * &rec[0].equity with stride sizeof rec[0]), so callers need no copy.
 * Identical arithmetic, so identical results. */
ar_err ar_metrics_compute_stride(const double *first, size_t stride, size_t npoints, double ppy, ar_metrics *out);

/* One-pass moments of a series that arrives in pieces of any size: values
 * are buffered into fixed pieces of AR_MOMENTS_PIECE (counted from the
 * first value), each piece's mean comes from its sum kept as the values
 * arrive and its central sums from a pass over the piece in cache, as a
 * two-pass computation would, and pieces are merged into the running totals
 * with the exact pairwise update (Chan et al. for the mean and variance,
 * Pebay 2008 for the third and fourth moments). So the series is read
 * once and the results do not depend on how the caller cut it (the same
 * bits for any cuts). The mean is the plain sum over n. Accuracy is that
 * of a two-pass computation or better (docs/STATS.md). n counts every
 * value added; the other fields are internal, read through the functions
 * below. */
#define AR_MOMENTS_PIECE 512
typedef struct ar_moments {
    size_t n;                      /* values added */
    size_t nm;                     /* of which merged into the totals */
    double sum;                    /* plain sum of the values, in the order added */
    double k;                      /* shift: the first value */
    double mu, ss, m3, m4;         /* the merged values' mean less k, sums of (r - mean)^2, ^3, ^4 */
    size_t np;                     /* values waiting in piece */
    double ps;                     /* their sum less k each, in order */
    double piece[AR_MOMENTS_PIECE];
} ar_moments;
void ar_moments_init(ar_moments *m);
void ar_moments_add(ar_moments *m, const double *r, size_t n);
/* dst becomes the moments of dst's values and src's together. */
void ar_moments_merge(ar_moments *dst, const ar_moments *src);
double ar_moments_mean(const ar_moments *m);
/* Sum of squared deviations from the mean (n - 1 times the ddof=1 variance). */
double ar_moments_ss(const ar_moments *m);
double ar_sharpe_pp_m(const ar_moments *m);
double ar_psr_m(const ar_moments *m, double sr_star, double *z);
double ar_dsr_m(const ar_moments *m, double n_trials, double var_trials, double *sr0, double *z);
/* Two paired series (Memmel-JK): moments of each and the cross sum, the
 * pieces of both in step. */
typedef struct ar_comoments {
    ar_moments a, b;
    double sxy; /* cross sum of the merged pairs */
} ar_comoments;
void ar_comoments_init(ar_comoments *c);
void ar_comoments_add(ar_comoments *c, const double *r1, const double *r2, size_t n);

/* The same metrics over a curve that arrives in pieces (read from a file
 * block by block): add every point in order, in consecutive pieces of any
 * size, then finish. Returns go into an ar_moments (above), so the
 * results are the same bits whatever the pieces, and ar_metrics_compute
 * is built on this. `mo` holds the curve's returns (while no bad point
 * was seen): a caller may merge it into moments over several curves.
 * first/last/n say what was seen. */
typedef struct ar_metrics_acc {
    size_t n;                 /* points seen */
    double first, last;       /* first and last point */
    int bad;                  /* a point not finite or <= 0 was seen */
    double pos_sum, neg_sum, down2, peak, mdd, prev;
    size_t n_pos, n_nonzero, peak_idx, trough, trough_peak, run, longest;
    ar_moments mo;            /* the returns */
} ar_metrics_acc;
void ar_metrics_acc_init(ar_metrics_acc *a);
void ar_metrics_acc_add(ar_metrics_acc *a, const double *first, size_t stride, size_t n);
ar_err ar_metrics_acc_finish(const ar_metrics_acc *a, double ppy, ar_metrics *out);

typedef struct ar_trade_stats {
    size_t n_trades;
    double percent_profitable, profit_factor, expectancy;
    double avg_win, avg_loss, win_loss_ratio, total_pnl;
} ar_trade_stats;

/* Per-trade statistics of a PnL list (pyfolio round trips). n = 0 gives
 * n_trades 0 and NAN everywhere else. */
void ar_trade_stats_compute(const double *pnl, size_t n, ar_trade_stats *out);
/* The same one trade at a time, in the same order of additions (so the
 * same bits): for PnL that is never held in one array. */
typedef struct ar_trade_acc {
    size_t n, n_win, n_loss;
    double total, win_sum, loss_sum;
} ar_trade_acc;
void ar_trade_acc_init(ar_trade_acc *a);
void ar_trade_acc_add(ar_trade_acc *a, double pnl);
void ar_trade_acc_finish(const ar_trade_acc *a, ar_trade_stats *out);

/* ---- Sharpe inference (section B/C) ---- */
typedef struct ar_sharpe_inference {
    double skew_biased, kurtosis_nonexcess_biased;
    double lo_se_iid_per_period, lo_se_iid_annualized, se_nonnormal_per_period;
    double psr_sr0_zero, psr_zstat;
} ar_sharpe_inference;
void ar_sharpe_inference_compute(const double *r, size_t n, double ppy, ar_sharpe_inference *out);
double ar_sharpe_pp(const double *r, size_t n);
double ar_lo_eta(const double *r, size_t n, int q); /* NAN if radicand <= 0 */
/* PSR of returns r against benchmark per-period Sharpe sr_star; z in *z. */
double ar_psr(const double *r, size_t n, double sr_star, double *z);
double ar_expected_max_sharpe(double n_trials, double var_trials);
double ar_dsr(const double *r, size_t n, double n_trials, double var_trials, double *sr0, double *z);
typedef struct ar_jk { double sharpe_1, sharpe_2, rho, theta, z, p_two_sided; } ar_jk;
void ar_memmel_jk(const double *r1, const double *r2, size_t n, ar_jk *out);
void ar_memmel_jk_m(const ar_comoments *c, ar_jk *out);
double ar_norm_cdf(double x);
double ar_norm_ppf(double p); /* inverse normal CDF, ~1e-15 accurate */

/* ---- ratings (section D) ---- */
typedef struct ar_battle {
    int a, b;  /* model indices */
    double y;  /* 1 a won, 0 b won, 0.5 tie */
} ar_battle;

/* Online Elo in battle order (K, scale 400, base 10, init 1000). */
void ar_elo_online(const ar_battle *bt, size_t n, size_t nmodels, double k, double *ratings);

/* Bradley-Terry MLE, ratings with mean 1000 (scale 400, base 10). Returns
 * AR_EUNDEF when the MLE does not exist (the comparison graph, ties counted
 * both ways, is not strongly connected); then ratings hold the documented
 * fallback: a lightly regularised fit (see docs/STATS.md). *loglik may be NULL.
 * Battles with out-of-range or equal indices, or y outside [0,1], are ignored.
 * AR_EINVAL when nmodels is 0, AR_ELIMIT past 46340 models, AR_ENOMEM on
 * allocation failure. Expects GSL's error handler off
 * (gsl_set_error_handler_off() at start-up). */
ar_err ar_bt_fit(const ar_battle *bt, size_t n, size_t nmodels, double *ratings, double *loglik);
/* LMArena's rank rule, one comparison: whether a rating (or interval) whose
 * lower end is lo lies clearly above one whose upper end is hi. "Clearly":
 * by more than AR_RATING_EPS Elo, since ratings are fitted to about 1e-9
 * Elo and equal ratings (tied models, or intervals shrunk to a point) would
 * otherwise rank apart on their rounding. */
#define AR_RATING_EPS 1e-6
static inline int ar_rating_above(double lo, double hi) { return lo > hi + AR_RATING_EPS; }

/* Percentile (Hyndman-Fan type 7, numpy default) of sorted x[0..n-1]. */
double ar_quantile_sorted(const double *x, size_t n, double q);

#endif
