/* src/market/synth.c - the seeded synthetic market.
 *
 * Model per bar and asset i (log prices, zero drift):
 *   eps      iid Student-t(nu_i), scaled to unit variance
 *   z        = L eps, L the Cholesky factor of the correlation matrix R
 *   diff_i   = sqrt(h_i) z_i                        (GARCH(1,1) diffusion)
 *   h_i'     = omega_i + alpha_i diff_i^2 + beta_i h_i
 *   jump_i   = sum of Poisson(lambda_i) draws of N(0, jump_size_i^2)
 *   r_i      = diff_i + jump_i; close = open * exp(r_i); open = previous close
 * High and low come from a path of SUBSTEPS points per bar: a Brownian bridge
 * from 0 to diff_i with the bar's vol, plus the jump at a random sub-step.
 * Volume = mean volume x activity (|z| and the vol regime) x lognormal noise.
 *
 * Parameters are per coin, calibrated to Bybit USDT perps, 1m bars,
 * 2025-05-30 -> 2025-06-29, by scripts/calibrate.py (method and numbers in
 * docs/DATA.md). For another interval of m minutes the bar vol scales with
 * sqrt(m), the jump rate and volume with m, and the GARCH persistence p to
 * p^m per bar (alpha scaled by the same factor).
 *
 * All draws come from one gsl_rng_mt19937 seeded from ar_mix64(seed), in a
 * fixed order (bar, then asset), so the same params give the same bytes;
 * funding has its own stream so switching it on does not move prices.
 * Reentrant: no globals besides constant tables. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "arena/market.h"
#include "arena/util.h"

#define SUBSTEPS 8
#define H_CAP 16.0

typedef struct coin {
    const char *name;
    double price;     /* last close of the calibration window */
    double sigma;     /* per-minute std of log returns without jumps */
    double alpha, beta;
    double nu;        /* Student-t degrees of freedom of GARCH residuals */
    double jump_rate; /* jumps per minute */
    double jump_size; /* RMS jump, log return */
    double volume;    /* mean volume per minute, base coin */
    double logvol_sd; /* std of log volume */
} coin;

/* Output of scripts/calibrate.py on shared/market-data (Bybit linear 1m;
 * XRP from 5m scaled to 1m; its GARCH alpha/beta are the mean of the other
 * five, see calibrate.py). Keep in step with docs/DATA.md. */
static const coin coins[] = {
    {"BTC", 107458, 4.5499e-04, 0.040, 0.9580, 6.36, 8.102e-04, 2.965e-03, 55.1276, 1.247},
    {"ETH", 2432.99, 8.7838e-04, 0.060, 0.9350, 6.56, 8.102e-04, 1.037e-02, 1606.92, 1.178},
    {"SOL", 150.2, 9.6300e-04, 0.060, 0.9300, 7.30, 4.630e-04, 1.293e-02, 7713.85, 1.062},
    {"BNB", 648.4, 4.1555e-04, 0.040, 0.9550, 7.07, 6.250e-04, 2.897e-03, 37.9363, 1.783},
    {"DOGE", 0.16405, 1.0210e-03, 0.060, 0.9350, 7.44, 6.019e-04, 1.041e-02, 1.55535e+06, 1.193},
    {"XRP", 2.264, 9.8230e-04, 0.052, 0.9426, 7.85, 1.235e-04, 1.734e-02, 294300, 0.920},
};
#define NCOINS (sizeof coins / sizeof coins[0])

/* Correlation of 1m log returns, order BTC ETH SOL BNB DOGE XRP (XRP pairs:
 * 5m correlation x 0.947, the mean 1m/5m ratio of the other pairs). */
static const double coin_corr[NCOINS][NCOINS] = {
    {1.000, 0.770, 0.745, 0.653, 0.772, 0.721},
    {0.770, 1.000, 0.792, 0.658, 0.813, 0.721},
    {0.745, 0.792, 1.000, 0.642, 0.821, 0.734},
    {0.653, 0.658, 0.642, 1.000, 0.676, 0.670},
    {0.772, 0.813, 0.821, 0.676, 1.000, 0.749},
    {0.721, 0.721, 0.734, 0.670, 0.749, 1.000},
};

/* Unknown symbols: BTC's parameters; correlation 0.8 to BTC, BTC's to the
 * other coins, 0.7 between two unknowns. */
#define UNKNOWN_TO_BTC 0.8
#define UNKNOWN_PAIR 0.7

/* Known coin index for "BTC", "BTCUSDT", "BTC-PERP", ...; -1 otherwise. */
static int coin_index(const char *name) {
    static const char *const suffix[] = {"", "USDT", "USDC", "USD", "-PERP", "PERP", "-USD", "-USDT", "/USDT", NULL};
    for (size_t i = 0; i < NCOINS; i++) {
        size_t n = strlen(coins[i].name);
        if (strncmp(name, coins[i].name, n) != 0) continue;
        for (int k = 0; suffix[k]; k++)
            if (strcmp(name + n, suffix[k]) == 0) return (int)i;
    }
    return -1;
}

typedef struct asset {
    coin c;
    double sd_bar, alpha, beta, omega, h, lam, vol_bar, price;
} asset;

static ar_err gen_funding(ar_market *m, const ar_synth_params *p, int64_t end, ar_errbuf *eb) {
    /* 8h funding: AR(1) around the common 0.01% baseline, clipped to the
     * usual exchange cap of +-0.75%. Its own stream keeps prices unchanged. */
    const int64_t iv = 8 * AR_NS_PER_HOUR;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (r == NULL) return ar_errf(eb, AR_ENOMEM, "synth: out of memory");
    gsl_rng_set(r, (unsigned long)ar_mix64(p->seed ^ UINT64_C(0x66756e64696e67)));
    int64_t t0 = p->start / iv * iv;
    if (t0 < p->start) t0 += iv;
    for (size_t i = 0; i < m->nsym; i++) {
        double f = 0.0001;
        for (int64_t t = t0; t < end; t += iv) {
            f = 0.0001 + 0.7 * (f - 0.0001) + 0.00008 * gsl_ran_gaussian_ziggurat(r, 1.0);
            if (f > 0.0075) f = 0.0075;
            if (f < -0.0075) f = -0.0075;
            if (ar_funding_push(&m->sym[i].funding, t, f) != AR_OK) {
                gsl_rng_free(r);
                return ar_errf(eb, AR_ENOMEM, "synth: out of memory");
            }
        }
    }
    gsl_rng_free(r);
    return AR_OK;
}

ar_err ar_synth_generate(const ar_synth_params *p, ar_market **out, ar_errbuf *eb) {
    if (out) *out = NULL;
    if (p == NULL || out == NULL) return ar_errf(eb, AR_EINVAL, "synth: NULL argument");
    if (p->nsym == 0 || p->symbols == NULL) return ar_errf(eb, AR_EINVAL, "synth: no symbols (expected at least one)");
    if (p->interval <= 0) return ar_errf(eb, AR_EINVAL, "synth: interval must be > 0");
    if (p->nbars == 0) return ar_errf(eb, AR_EINVAL, "synth: nbars must be > 0");
    if (p->nbars > (size_t)((INT64_MAX - (p->start > 0 ? p->start : 0)) / p->interval))
        return ar_errf(eb, AR_ERANGE, "synth: start + nbars x interval overflows the time range");
    size_t n = p->nsym;
    ar_market *m = ar_market_create();
    asset *a = calloc(n, sizeof *a);
    double *eps = calloc(n, sizeof *eps), *z = calloc(n, sizeof *z);
    int *idx = calloc(n, sizeof *idx);
    gsl_matrix *L = gsl_matrix_alloc(n, n);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    ar_err err = AR_OK;
    if (m == NULL || a == NULL || idx == NULL || eps == NULL || z == NULL || L == NULL || rng == NULL) {
        err = ar_errf(eb, AR_ENOMEM, "synth: out of memory");
        goto done;
    }
    gsl_rng_set(rng, (unsigned long)ar_mix64(p->seed));
    double mins = (double)p->interval / (double)AR_NS_PER_MIN;
    for (size_t i = 0; i < n; i++) {
        if (p->symbols[i] == NULL || ar_market_add_symbol(m, p->symbols[i]) < 0) {
            err = ar_errf(eb, AR_EINVAL, "synth: symbol '%s' is empty, longer than %d bytes or repeated",
                          p->symbols[i] ? p->symbols[i] : "(null)", AR_SYM_MAX - 1);
            goto done;
        }
        int k = coin_index(p->symbols[i]);
        idx[i] = k;
        a[i].c = coins[k >= 0 ? k : 0];
        double pers = a[i].c.alpha + a[i].c.beta, pb = pow(pers, mins);
        a[i].sd_bar = a[i].c.sigma * sqrt(mins);
        a[i].alpha = a[i].c.alpha * pb / pers;
        a[i].beta = pb - a[i].alpha;
        a[i].omega = a[i].sd_bar * a[i].sd_bar * (1.0 - pb);
        a[i].h = a[i].sd_bar * a[i].sd_bar;
        a[i].lam = a[i].c.jump_rate * mins;
        a[i].vol_bar = a[i].c.volume * mins;
        a[i].price = a[i].c.price;
        if (ar_bars_reserve(&m->sym[i].bars, p->nbars) != AR_OK) {
            err = ar_errf(eb, AR_ENOMEM, "synth: out of memory for %zu bars", p->nbars);
            goto done;
        }
        m->sym[i].interval = p->interval;
    }
    /* Correlation matrix; shrink towards I until it is positive definite
     * (only ever needed when unknown symbols are mixed in). */
    for (double shrink = 1.0;; shrink *= 0.9) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                double r;
                int ki = idx[i], kj = idx[j];
                if (i == j) r = 1.0;
                else if (ki >= 0 && kj >= 0) r = ki == kj ? 0.95 : coin_corr[ki][kj];
                else if (ki < 0 && kj < 0) r = UNKNOWN_PAIR;
                else r = (ki < 0 ? kj : ki) == 0 ? UNKNOWN_TO_BTC : coin_corr[0][ki < 0 ? kj : ki];
                gsl_matrix_set(L, i, j, i == j ? 1.0 : r * shrink);
            }
        gsl_error_handler_t *old = gsl_set_error_handler_off();
        int st = gsl_linalg_cholesky_decomp1(L);
        gsl_set_error_handler(old);
        if (st == GSL_SUCCESS) break;
        if (shrink < 1e-3) {
            err = ar_errf(eb, AR_EUNDEF, "synth: correlation matrix is not positive definite");
            goto done;
        }
    }
    const double K = SUBSTEPS;
    for (size_t b = 0; b < p->nbars; b++) {
        int64_t t = p->start + (int64_t)b * p->interval;
        for (size_t i = 0; i < n; i++) {
            double nu = a[i].c.nu;
            eps[i] = gsl_ran_tdist(rng, nu) * sqrt((nu - 2.0) / nu);
        }
        for (size_t i = 0; i < n; i++) { /* z = L eps, L lower triangular */
            double s = 0;
            for (size_t j = 0; j <= i; j++) s += gsl_matrix_get(L, i, j) * eps[j];
            z[i] = s;
        }
        for (size_t i = 0; i < n; i++) {
            asset *x = &a[i];
            double sd = sqrt(x->h);
            double diff = sd * z[i];
            x->h = x->omega + x->alpha * diff * diff + x->beta * x->h;
            /* Near-integrated GARCH with Student-t shocks has no finite fourth
             * moment: a rare run of shocks can lift the vol for days. Cap the
             * variance at H_CAP x its long-run level (vol at most 4x). */
            if (x->h > H_CAP * x->sd_bar * x->sd_bar) x->h = H_CAP * x->sd_bar * x->sd_bar;
            unsigned nj = x->lam > 0 ? gsl_ran_poisson(rng, x->lam) : 0;
            double jump = 0;
            for (unsigned k = 0; k < nj; k++) jump += gsl_ran_gaussian_ziggurat(rng, x->c.jump_size);
            int jstep = nj ? 1 + (int)gsl_rng_uniform_int(rng, SUBSTEPS) : SUBSTEPS + 1;
            /* Brownian bridge 0 -> diff over SUBSTEPS steps of variance h/K */
            double w[SUBSTEPS + 1];
            w[0] = 0;
            for (int k = 1; k <= SUBSTEPS; k++) w[k] = w[k - 1] + gsl_ran_gaussian_ziggurat(rng, sd / sqrt(K));
            double hi = 0, lo = 0;
            for (int k = 1; k <= SUBSTEPS; k++) {
                double xk = w[k] - (k / K) * (w[SUBSTEPS] - diff) + (k >= jstep ? jump : 0);
                if (xk > hi) hi = xk;
                if (xk < lo) lo = xk;
            }
            double r = diff + jump;
            double o = x->price; /* open = previous close, exactly */
            double c = o * exp(r);
            x->price = c;
            double h = o * exp(hi), l = o * exp(lo);
            /* exp() rounding must not break the OHLC invariants */
            if (h < c) h = c;
            if (l > c) l = c;
            if (h < o) h = o;
            if (l > o) l = o;
            /* activity: |z| (mean 1 under N(0,1)) and the vol regime; the
             * lognormal noise carries 60% of the observed log-volume spread */
            double act = (0.5 + 0.5 * fabs(z[i]) / 0.7978845608) * (sd / x->sd_bar);
            if (nj) act *= 1.0 + fabs(jump) / x->sd_bar * 0.25;
            double s = 0.6 * x->c.logvol_sd;
            double v = x->vol_bar * act * exp(s * gsl_ran_gaussian_ziggurat(rng, 1.0) - 0.5 * s * s);
            ar_bars_push(&m->sym[i].bars, t, o, h, l, c, v); /* reserved: cannot fail */
        }
    }
    snprintf(m->source, sizeof m->source, "synthetic seed=%llu", (unsigned long long)p->seed);
    if (p->funding) err = gen_funding(m, p, p->start + (int64_t)p->nbars * p->interval, eb);
done:
    gsl_rng_free(rng);
    gsl_matrix_free(L);
    free(eps);
    free(idx);
    free(z);
    free(a);
    if (err != AR_OK) {
        ar_market_free(m);
        return err;
    }
    *out = m;
    return AR_OK;
}
