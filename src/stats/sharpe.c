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
#include <string.h>
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

/* ---- one-pass moments ----------------------------------------------------
 * Every function on a return series is built on these, whether the series is
 * an array or arrives block by block: values are cut into the same fixed
 * pieces either way, so the same operations in the same order give the same
 * bits. Within a piece (in cache) the mean comes first and then the central
 * sums, as a two-pass computation would; pieces are merged with the exact
 * pairwise update. */

typedef struct {
    double n, mu, ss, m3, m4;
} msum;

/* Moments of the n > 0 values r (s: the sum of r[i] - k over them, in
 * order, kept as they were added) by a second pass: the mean as an offset
 * from the shift k, the values minus k being small next to the mean when k
 * is near it (k is the series' first value), so their mean is exact to the
 * spread's precision rather than the mean's, and merging pieces loses
 * nothing to a mean far from zero. */
static msum piece_sum(const double *r, size_t n, double k, double s) {
    msum p = {(double)n, s / (double)n, 0.0, 0.0, 0.0};
    for (size_t i = 0; i < n; i++) {
        double d = (r[i] - k) - p.mu, d2 = d * d;
        p.ss += d2;
        p.m3 += d2 * d;
        p.m4 += d2 * d2;
    }
    return p;
}

/* a <- a and b together (Chan, Golub and LeVeque; Pebay 2008, eq. 2.1-2.3). */
static void msum_merge(msum *a, const msum *b) {
    if (b->n == 0) return;
    if (a->n == 0) {
        *a = *b;
        return;
    }
    double na = a->n, nb = b->n, n = na + nb;
    double d = b->mu - a->mu, dn = d / n, dn2 = dn * dn;
    double t = d * dn * na * nb; /* d^2 na nb / n */
    double m4 = a->m4 + b->m4 + t * dn2 * (na * na - na * nb + nb * nb) +
                6.0 * dn2 * (na * na * b->ss + nb * nb * a->ss) + 4.0 * dn * (na * b->m3 - nb * a->m3);
    double m3 = a->m3 + b->m3 + t * dn * (na - nb) + 3.0 * dn * (na * b->ss - nb * a->ss);
    a->ss = a->ss + b->ss + t;
    a->m3 = m3;
    a->m4 = m4;
    a->mu += dn * nb;
    a->n = n;
}

static msum merged_of(const ar_moments *m) {
    return (msum){(double)m->nm, m->mu, m->ss, m->m3, m->m4};
}

static void set_merged(ar_moments *m, const msum *s) {
    m->nm = (size_t)s->n;
    m->mu = s->mu;
    m->ss = s->ss;
    m->m3 = s->m3;
    m->m4 = s->m4;
}

/* Every value of m, the waiting piece included, without changing m. */
static msum total_of(const ar_moments *m) {
    msum s = merged_of(m);
    if (m->np > 0) {
        msum p = piece_sum(m->piece, m->np, m->k, m->ps);
        msum_merge(&s, &p);
    }
    return s;
}

/* The waiting piece is in: s (its totals with it) becomes the merged part. */
static void commit(ar_moments *m, const msum *s) {
    set_merged(m, s);
    m->np = 0;
    m->ps = 0.0;
}

static void flush(ar_moments *m) {
    msum s = total_of(m);
    commit(m, &s);
}

/* k values onto the waiting piece (which has room for them), with the two
 * sums that go with them in one loop: the plain sum of every value in the
 * order added, from which the mean comes as from numpy's sum (a mean near
 * zero next to the spread, as returns have, keeps its relative precision
 * there, and would not through thousands of merge updates), and the
 * piece's sum of values less the shift, from which its mean comes. */
static void piece_append(ar_moments *m, const double *r, size_t k) {
    double s = m->sum, p = m->ps, sh = m->k, *d = m->piece + m->np;
    for (size_t i = 0; i < k; i++) {
        double x = r[i];
        d[i] = x;
        s += x;
        p += x - sh;
    }
    m->sum = s;
    m->ps = p;
    m->np += k;
    m->n += k;
}

/* The shift is the series' first value (0 when it is not finite). */
static void set_shift(ar_moments *m, double first) {
    if (m->n == 0) m->k = isfinite(first) ? first : 0.0;
}

void ar_moments_init(ar_moments *m) {
    m->n = m->nm = m->np = 0;
    m->sum = m->ps = m->k = m->mu = m->ss = m->m3 = m->m4 = 0.0;
}

void ar_moments_add(ar_moments *m, const double *r, size_t n) {
    if (n > 0) set_shift(m, r[0]);
    while (n > 0) {
        size_t k = AR_MOMENTS_PIECE - m->np;
        if (k > n) k = n;
        piece_append(m, r, k);
        r += k;
        n -= k;
        if (m->np == AR_MOMENTS_PIECE) flush(m);
    }
}

void ar_moments_merge(ar_moments *dst, const ar_moments *src) {
    if (src->n == 0) return;
    if (dst->n == 0) dst->k = src->k;
    flush(dst);
    msum s = merged_of(dst), o = total_of(src);
    o.mu += src->k - dst->k; /* into dst's frame */
    msum_merge(&s, &o);
    set_merged(dst, &s);
    dst->sum += src->sum;
    dst->n += src->n;
}

double ar_moments_mean(const ar_moments *m) { return m->n > 0 ? m->sum / (double)m->n : NAN; }

double ar_moments_ss(const ar_moments *m) { return total_of(m).ss; }

static ar_moments moments_of(const double *r, size_t n) {
    ar_moments m;
    ar_moments_init(&m);
    ar_moments_add(&m, r, n);
    return m;
}

/* ddof=1 deviation; NAN for n < 2. */
static double std_s(const msum *s) { return s->n > 1 ? sqrt(s->ss / (s->n - 1.0)) : NAN; }

/* Every value of m, with the plain mean */
static msum total_abs(const ar_moments *m) {
    msum s = total_of(m);
    s.mu = ar_moments_mean(m);
    return s;
}

static double sharpe_s(const msum *s) {
    if (s->n < 2) return NAN;
    double sd = std_s(s);
    return sd > 0.0 ? s->mu / sd : NAN;
}

double ar_sharpe_pp_m(const ar_moments *m) {
    msum s = total_abs(m);
    return sharpe_s(&s);
}

double ar_sharpe_pp(const double *r, size_t n) {
    if (r == NULL || n < 2) return NAN;
    ar_moments m = moments_of(r, n);
    return ar_sharpe_pp_m(&m);
}

/* Biased skewness g3 and non-excess kurtosis g4 (scipy's defaults with
 * fisher=False). NAN when the series has no spread. */
static void shape_s(const msum *mo, double *g3, double *g4) {
    *g3 = *g4 = NAN;
    if (mo->n < 1) return;
    double m2 = mo->ss / mo->n, m3 = mo->m3 / mo->n, m4 = mo->m4 / mo->n;
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
    msum s = total_abs(m);
    double sr = sharpe_s(&s), g3, g4;
    shape_s(&s, &g3, &g4);
    double rad = nonnormal_radicand(sr, g3, g4);
    double zz = (rad > 0.0 && s.n >= 2) ? (sr - sr_star) * sqrt(s.n - 1.0) / sqrt(rad) : NAN;
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
    msum ms = total_abs(&m);
    double sr = r == NULL ? NAN : sharpe_s(&ms), g3, g4;
    shape_s(&ms, &g3, &g4);
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
    ar_moments mo = moments_of(r, n);
    double mu = ar_moments_mean(&mo);
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

/* The totals of both series and their cross sum, the waiting pieces
 * (always of the same length) included, without changing c. The cross sum
 * takes the operations of the squared sums, so a series paired with
 * itself gives sxy equal to ss bit for bit. */
static void co_total(const ar_comoments *c, msum *A, msum *B, double *sxy) {
    *A = merged_of(&c->a);
    *B = merged_of(&c->b);
    *sxy = c->sxy;
    size_t np = c->a.np;
    if (np == 0) return;
    double ka = c->a.k, kb = c->b.k;
    msum pa = piece_sum(c->a.piece, np, ka, c->a.ps), pb = piece_sum(c->b.piece, np, kb, c->b.ps);
    double cp = 0.0;
    for (size_t i = 0; i < np; i++) cp += ((c->a.piece[i] - ka) - pa.mu) * ((c->b.piece[i] - kb) - pb.mu);
    if (A->n > 0) {
        double na = A->n, nb = pa.n, n = na + nb;
        double dx = pa.mu - A->mu, dy = pb.mu - B->mu;
        cp = *sxy + cp + dx * (dy / n) * na * nb;
    }
    *sxy = cp;
    msum_merge(A, &pa);
    msum_merge(B, &pb);
}

void ar_comoments_add(ar_comoments *c, const double *r1, const double *r2, size_t n) {
    if (n > 0) {
        set_shift(&c->a, r1[0]);
        set_shift(&c->b, r2[0]);
    }
    while (n > 0) {
        size_t k = AR_MOMENTS_PIECE - c->a.np;
        if (k > n) k = n;
        piece_append(&c->a, r1, k);
        piece_append(&c->b, r2, k);
        r1 += k;
        r2 += k;
        n -= k;
        if (c->a.np == AR_MOMENTS_PIECE) {
            msum A, B;
            co_total(c, &A, &B, &c->sxy);
            commit(&c->a, &A);
            commit(&c->b, &B);
        }
    }
}

void ar_memmel_jk_m(const ar_comoments *c, ar_jk *out) {
    size_t n = c->a.n;
    msum A, B;
    double sxy;
    co_total(c, &A, &B, &sxy);
    A.mu = ar_moments_mean(&c->a);
    B.mu = ar_moments_mean(&c->b);
    out->sharpe_1 = sharpe_s(&A);
    out->sharpe_2 = sharpe_s(&B);
    out->rho = out->theta = out->z = out->p_two_sided = NAN;
    if (n < 2 || c->b.n != n) return;
    double sxx = A.ss, syy = B.ss;
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
    ar_comoments_add(&c, r1, r2, n);
    ar_memmel_jk_m(&c, out);
}
