/* src/stats/sharpe.c - inference on the Sharpe ratio: standard errors, the
 * Probabilistic and Deflated Sharpe Ratios, Lo's autocorrelation factor and
 * the Memmel-corrected Jobson-Korkie test, plus the normal CDF and its
 * inverse that they need.
 *
 * Formulas are sections B and C of shared/refs/stats_ref.py. The Sharpe ratio
 * in every formula is the per-period one with the ddof=1 deviation, while the
 * skewness and kurtosis are the biased (population) moments, kurtosis
 * non-excess: that mix is what Bailey and Lopez de Prado's published code
 * does, and the golden vectors follow it. Undefined results are NAN. Pure
 * functions: thread-safe. */
#include <math.h>
#include <gsl/gsl_cdf.h>
#include "arena/stats.h"

#define EULER_GAMMA 0.5772156649015329
#define SQRT_2PI 2.5066282746310002 /* M_PI is not C11 */

double ar_norm_cdf(double x) {
    return 0.5 * erfc(-x / sqrt(2.0));
}

double ar_norm_ppf(double p) {
    if (isnan(p) || p < 0.0 || p > 1.0) return NAN;
    if (p == 0.0) return -INFINITY;
    if (p == 1.0) return INFINITY;
    /* GSL implements Wichura's AS241, good to ~1e-16 relative in the central
     * region; one Halley step on Phi(x) - p with erfc removes what is left in
     * the tails. Above the median the residual is formed as (1-p) - Q(x):
     * 1-p is exact there (Sterbenz) and Q(x) = erfc(x/sqrt2)/2 keeps its
     * relative accuracy, where Phi(x) - p would cancel. */
    double x = gsl_cdf_ugaussian_Pinv(p);
    if (!isfinite(x)) return x;
    double e = x > 0.0 ? (1.0 - p) - 0.5 * erfc(x / sqrt(2.0)) : 0.5 * erfc(-x / sqrt(2.0)) - p;
    double u = e * SQRT_2PI * exp(0.5 * x * x);
    double xn = x - u / (1.0 + 0.5 * x * u);
    return isfinite(xn) ? xn : x;
}

/* ---- two-pass moments ----------------------------------------------------
 * Every function on a return series is built on these, whether the series is
 * an array (one piece) or arrives block by block: the same operations in
 * the same order give the same bits. */

void ar_moments_init(ar_moments *m) { *m = (ar_moments){0, 0, 0.0, NAN, 0.0, 0.0, 0.0}; }

void ar_moments_add1(ar_moments *m, const double *r, size_t n) {
    for (size_t i = 0; i < n; i++) m->sum += r[i];
    m->n += n;
}

void ar_moments_mid(ar_moments *m) { m->mu = m->n > 0 ? m->sum / (double)m->n : NAN; }

void ar_moments_add2(ar_moments *m, const double *r, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double d = r[i] - m->mu, d2 = d * d;
        m->ss += d2;
        m->m3 += d2 * d;
        m->m4 += d2 * d2;
    }
    m->n2 += n;
}

static ar_moments moments_of(const double *r, size_t n) {
    ar_moments m;
    ar_moments_init(&m);
    ar_moments_add1(&m, r, n);
    ar_moments_mid(&m);
    ar_moments_add2(&m, r, n);
    return m;
}

/* ddof=1 deviation; NAN for n < 2. */
static double std_m(const ar_moments *m) { return m->n > 1 ? sqrt(m->ss / (double)(m->n - 1)) : NAN; }

double ar_sharpe_pp_m(const ar_moments *m) {
    if (m->n < 2) return NAN;
    double s = std_m(m);
    return s > 0.0 ? m->mu / s : NAN;
}

double ar_sharpe_pp(const double *r, size_t n) {
    if (r == NULL || n < 2) return NAN;
    ar_moments m = moments_of(r, n);
    return ar_sharpe_pp_m(&m);
}

/* Biased skewness g3 and non-excess kurtosis g4 (scipy's defaults with
 * fisher=False). NAN when the series has no spread. */
static void shape_m(const ar_moments *mo, double *g3, double *g4) {
    *g3 = *g4 = NAN;
    if (mo->n < 1) return;
    double m2 = mo->ss / (double)mo->n, m3 = mo->m3 / (double)mo->n, m4 = mo->m4 / (double)mo->n;
    if (!(m2 > 0.0)) return;
    *g3 = m3 / pow(m2, 1.5);
    *g4 = m4 / (m2 * m2);
}

/* Radicand of the non-normal Sharpe variance (Mertens): 1 - g3 SR +
 * (g4-1)/4 SR^2. It is >= (1 - g3 SR/2)^2 >= 0 in exact arithmetic since
 * g4 - 1 >= g3^2, so the guard only catches rounding and NANs. The operation
 * order copies the reference so that values agree to the last bits. */
static double nonnormal_radicand(double sr, double g3, double g4) {
    return 1.0 - g3 * sr + (g4 - 1.0) / 4.0 * sr * sr;
}

double ar_psr_m(const ar_moments *m, double sr_star, double *z) {
    double sr = ar_sharpe_pp_m(m), g3, g4;
    shape_m(m, &g3, &g4);
    double rad = nonnormal_radicand(sr, g3, g4);
    double zz = (rad > 0.0 && m->n >= 2) ? (sr - sr_star) * sqrt((double)(m->n - 1)) / sqrt(rad) : NAN;
    if (z) *z = zz;
    return isnan(zz) ? NAN : ar_norm_cdf(zz);
}

double ar_psr(const double *r, size_t n, double sr_star, double *z) {
    ar_moments m;
    if (r == NULL) ar_moments_init(&m);
    else m = moments_of(r, n);
    return ar_psr_m(&m, sr_star, z);
}

void ar_sharpe_inference_compute(const double *r, size_t n, double ppy, ar_sharpe_inference *out) {
    ar_moments m;
    if (r == NULL) ar_moments_init(&m);
    else m = moments_of(r, n);
    double sr = r == NULL ? NAN : ar_sharpe_pp_m(&m), g3, g4;
    shape_m(&m, &g3, &g4);
    out->skew_biased = g3;
    out->kurtosis_nonexcess_biased = g4;
    out->lo_se_iid_per_period = n > 0 ? sqrt((1.0 + 0.5 * sr * sr) / (double)n) : NAN;
    out->lo_se_iid_annualized = out->lo_se_iid_per_period * sqrt(ppy);
    double rad = nonnormal_radicand(sr, g3, g4);
    out->se_nonnormal_per_period = (rad >= 0.0 && n >= 2) ? sqrt(rad / (double)(n - 1)) : NAN;
    out->psr_sr0_zero = ar_psr_m(&m, 0.0, &out->psr_zstat);
}

double ar_lo_eta(const double *r, size_t n, int q) {
    if (r == NULL || n < 1 || q < 1) return NAN;
    double mu = moments_of(r, n).mu;
    double den = 0.0;
    for (size_t t = 0; t < n; t++) den += (r[t] - mu) * (r[t] - mu);
    if (!(den > 0.0)) return NAN;
    /* Lags at or beyond n have no pairs: their autocorrelation is 0. */
    double acc = 0.0;
    for (size_t k = 1; k < (size_t)q && k < n; k++) {
        double num = 0.0;
        for (size_t t = 0; t + k < n; t++) num += (r[t] - mu) * (r[t + k] - mu);
        acc += (double)((size_t)q - k) * (num / den);
    }
    double rad = (double)q + 2.0 * acc;
    return rad > 0.0 ? (double)q / sqrt(rad) : NAN;
}

double ar_expected_max_sharpe(double n_trials, double var_trials) {
    /* With one trial (or fewer) the inverse normal at 1 - 1/N is -inf: the
     * "expected maximum" formula does not apply, so report undefined. */
    if (!(n_trials > 1.0) || !(var_trials >= 0.0) || !isfinite(n_trials) || !isfinite(var_trials))
        return NAN;
    double a = ar_norm_ppf(1.0 - 1.0 / n_trials);
    double b = ar_norm_ppf(1.0 - 1.0 / (n_trials * exp(1.0)));
    return sqrt(var_trials) * ((1.0 - EULER_GAMMA) * a + EULER_GAMMA * b);
}

double ar_dsr_m(const ar_moments *m, double n_trials, double var_trials, double *sr0, double *z) {
    double s0 = ar_expected_max_sharpe(n_trials, var_trials);
    if (sr0) *sr0 = s0;
    if (isnan(s0)) {
        if (z) *z = NAN;
        return NAN;
    }
    return ar_psr_m(m, s0, z);
}

double ar_dsr(const double *r, size_t n, double n_trials, double var_trials, double *sr0, double *z) {
    ar_moments m;
    if (r == NULL) ar_moments_init(&m);
    else m = moments_of(r, n);
    return ar_dsr_m(&m, n_trials, var_trials, sr0, z);
}

void ar_comoments_init(ar_comoments *c) {
    ar_moments_init(&c->a);
    ar_moments_init(&c->b);
    c->sxy = 0.0;
}

void ar_comoments_add1(ar_comoments *c, const double *r1, const double *r2, size_t n) {
    ar_moments_add1(&c->a, r1, n);
    ar_moments_add1(&c->b, r2, n);
}

void ar_comoments_mid(ar_comoments *c) {
    ar_moments_mid(&c->a);
    ar_moments_mid(&c->b);
}

void ar_comoments_add2(ar_comoments *c, const double *r1, const double *r2, size_t n) {
    ar_moments_add2(&c->a, r1, n);
    ar_moments_add2(&c->b, r2, n);
    for (size_t i = 0; i < n; i++) c->sxy += (r1[i] - c->a.mu) * (r2[i] - c->b.mu);
}

void ar_memmel_jk_m(const ar_comoments *c, ar_jk *out) {
    size_t n = c->a.n;
    out->sharpe_1 = ar_sharpe_pp_m(&c->a);
    out->sharpe_2 = ar_sharpe_pp_m(&c->b);
    out->rho = out->theta = out->z = out->p_two_sided = NAN;
    if (n < 2 || c->b.n != n) return;
    double sxx = c->a.ss, syy = c->b.ss, sxy = c->sxy;
    if (!(sxx > 0.0 && syy > 0.0)) return;
    double rho = sxy / sqrt(sxx * syy);
    double a = out->sharpe_1, b = out->sharpe_2;
    double theta = (2.0 - 2.0 * rho + 0.5 * (a * a + b * b) - a * b * rho * rho) / (double)n;
    out->rho = rho;
    out->theta = theta;
    if (!(theta > 0.0)) return; /* identical series: no test */
    out->z = (a - b) / sqrt(theta);
    out->p_two_sided = erfc(fabs(out->z) / sqrt(2.0));
}

void ar_memmel_jk(const double *r1, const double *r2, size_t n, ar_jk *out) {
    if (r1 == NULL || r2 == NULL) {
        out->sharpe_1 = ar_sharpe_pp(r1, n);
        out->sharpe_2 = ar_sharpe_pp(r2, n);
        out->rho = out->theta = out->z = out->p_two_sided = NAN;
        return;
    }
    ar_comoments c;
    ar_comoments_init(&c);
    ar_comoments_add1(&c, r1, r2, n);
    ar_comoments_mid(&c);
    ar_comoments_add2(&c, r1, r2, n);
    ar_memmel_jk_m(&c, out);
}
