/* src/stats/ratings.c - league ratings from pairwise battles: online Elo and
 * the Bradley-Terry maximum-likelihood fit (section D of
 * shared/refs/stats_ref.py, FastChat's elo_analysis conventions: base 10,
 * scale 400, a tie is half a win and half a loss).
 *
 * The fit works on counts aggregated per pair, so one Newton iteration costs
 * O(m^2 + m^3) for m models whatever the number of battles; the bootstrap in
 * `arena rank` refits a thousand times. Newton runs on the sum-zero subspace
 * (the likelihood only sees rating differences) with a backtracking line
 * search, and stops when the step is below 1e-12 Elo, as the reference does.
 *
 * The MLE exists only when the "scored against" digraph is strongly
 * connected; otherwise some rating runs off to infinity. We then fit with a
 * pseudo-count of FALLBACK_TIE of a tie between every pair of models, which
 * keeps ratings finite and in the order the data suggests, and return
 * AR_EUNDEF so the caller can say so (docs/STATS.md).
 *
 * Battles whose indices are out of range or equal, or whose outcome is not in
 * [0, 1], are ignored rather than trusted. GSL's error handler must be off
 * (house rule: main turns it off at start-up) so that a failed Cholesky step
 * is reported to us instead of aborting. No global state: thread-safe. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include "arena/stats.h"

#define ELO_SCALE 400.0
#define ELO_BASE 10.0
#define ELO_INIT 1000.0
#define FALLBACK_TIE 0.01 /* weight of the virtual tie added between every pair */
#define NEWTON_TOL 1e-12  /* Elo */
#define NEWTON_MAX_ITER 200

static int battle_ok(const ar_battle *b, size_t m) {
    return b->a >= 0 && b->b >= 0 && (size_t)b->a < m && (size_t)b->b < m && b->a != b->b &&
           b->y >= 0.0 && b->y <= 1.0;
}

void ar_elo_online(const ar_battle *bt, size_t n, size_t nmodels, double k, double *ratings) {
    for (size_t i = 0; i < nmodels; i++) ratings[i] = ELO_INIT;
    for (size_t t = 0; t < n; t++) {
        if (!battle_ok(&bt[t], nmodels)) continue;
        double ra = ratings[bt[t].a], rb = ratings[bt[t].b];
        /* Both expectations from the pre-update ratings, written as in
         * FastChat's compute_elo (not as 1 - e_a) to match it bit for bit. */
        double ea = 1.0 / (1.0 + pow(ELO_BASE, (rb - ra) / ELO_SCALE));
        double eb = 1.0 / (1.0 + pow(ELO_BASE, (ra - rb) / ELO_SCALE));
        ratings[bt[t].a] = ra + k * (bt[t].y - ea);
        ratings[bt[t].b] = rb + k * (1.0 - bt[t].y - eb);
    }
}

/* log(1 + e^x) without overflow (numpy's logaddexp(0, x)). */
static double softplus(double x) {
    return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

static double sigmoid(double x) {
    if (x >= 0.0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

/* Pair data: N[i*m+j] = number (weight) of battles between i and j,
 * S[i*m+j] = points i scored against j; S_ij + S_ji = N_ij. */
typedef struct bt_pairs {
    size_t m;
    double *N, *S;
} bt_pairs;

static double bt_loglik(const bt_pairs *P, const double *R) {
    const double alpha = log(ELO_BASE) / ELO_SCALE;
    size_t m = P->m;
    double ll = 0.0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++) {
            if (P->N[i * m + j] == 0.0) continue;
            double x = alpha * (R[i] - R[j]);
            ll -= P->S[i * m + j] * softplus(-x) + P->S[j * m + i] * softplus(x);
        }
    return ll;
}

/* Edge i -> j when i scored against j; strongly connected iff every model is
 * reachable from model 0 both forwards and backwards. */
static int strongly_connected(const bt_pairs *P) {
    size_t m = P->m;
    unsigned char *seen = malloc(m);
    size_t *stack = malloc(m * sizeof *stack);
    int ok = seen != NULL && stack != NULL;
    for (int dir = 0; ok && dir < 2; dir++) {
        memset(seen, 0, m);
        size_t top = 0, count = 1;
        seen[0] = 1;
        stack[top++] = 0;
        while (top > 0) {
            size_t u = stack[--top];
            for (size_t v = 0; v < m; v++) {
                double s = dir == 0 ? P->S[u * m + v] : P->S[v * m + u];
                if (!seen[v] && s > 0.0) {
                    seen[v] = 1;
                    count++;
                    stack[top++] = v;
                }
            }
        }
        ok = count == m;
    }
    free(seen);
    free(stack);
    return ok;
}

/* Damped Newton from R (mean ELO_INIT) to the maximum of bt_loglik. Returns
 * AR_OK on convergence, AR_EUNDEF when a Newton system is not positive
 * definite or the iteration stalls. */
static ar_err bt_newton(const bt_pairs *P, double *R) {
    const double alpha = log(ELO_BASE) / ELO_SCALE;
    size_t m = P->m, k = m - 1;
    ar_err rc = AR_EUNDEF;
    double *g = calloc(m, sizeof *g), *step = calloc(m, sizeof *step), *Rn = calloc(m, sizeof *Rn);
    gsl_matrix *H = gsl_matrix_alloc(k, k);
    if (g == NULL || step == NULL || Rn == NULL || H == NULL) {
        rc = AR_ENOMEM;
        goto done;
    }
    double ll = bt_loglik(P, R), last = INFINITY;
    for (int it = 0; it < NEWTON_MAX_ITER; it++) {
        memset(g, 0, m * sizeof *g);
        gsl_matrix_set_zero(H);
        int degenerate = 0;
        for (size_t i = 0; i < m; i++)
            for (size_t j = i + 1; j < m; j++) {
                double nij = P->N[i * m + j];
                if (nij == 0.0) continue;
                double p = sigmoid(alpha * (R[i] - R[j]));
                double gi = alpha * (P->S[i * m + j] - nij * p);
                double w = alpha * alpha * nij * p * (1.0 - p);
                if (!(w > 0.0)) degenerate = 1;
                g[i] += gi;
                g[j] -= gi;
                /* The negative Hessian is the weighted graph Laplacian; the
                 * gauge is fixed by dropping the last coordinate. */
                if (i < k) *gsl_matrix_ptr(H, i, i) += w;
                if (j < k) *gsl_matrix_ptr(H, j, j) += w;
                if (i < k && j < k) {
                    *gsl_matrix_ptr(H, i, j) -= w;
                    *gsl_matrix_ptr(H, j, i) -= w;
                }
            }
        if (degenerate) goto done;
        gsl_vector_view gv = gsl_vector_view_array(g, k);
        gsl_vector_view sv = gsl_vector_view_array(step, k);
        if (gsl_linalg_cholesky_decomp1(H) != GSL_SUCCESS ||
            gsl_linalg_cholesky_solve(H, &gv.vector, &sv.vector) != GSL_SUCCESS)
            goto done;
        step[k] = 0.0;
        double smean = 0.0;
        for (size_t i = 0; i < m; i++) smean += step[i];
        smean /= (double)m;
        for (size_t i = 0; i < m; i++) step[i] -= smean;

        double t = 1.0, lln;
        for (;;) {
            for (size_t i = 0; i < m; i++) Rn[i] = R[i] + t * step[i];
            lln = bt_loglik(P, Rn);
            if (lln >= ll - 1e-12 * fabs(ll) || t < 1e-8) break;
            t *= 0.5;
        }
        double rmean = 0.0, smax = 0.0;
        for (size_t i = 0; i < m; i++) rmean += Rn[i];
        rmean /= (double)m;
        for (size_t i = 0; i < m; i++) {
            R[i] = Rn[i] - rmean + ELO_INIT;
            if (fabs(t * step[i]) > smax) smax = fabs(t * step[i]);
        }
        ll = lln;
        if (!isfinite(smax)) goto done;
        /* Converged below the tolerance, or where rounding holds the step
         * a few ulps of 1000 above it: below 1e-9 Elo a step that no longer
         * shrinks is rounding (Newton's steps shrink quadratically until
         * then). Without the second test such fits ran all NEWTON_MAX_ITER
         * iterations: 140 a fit over a tournament's 1,000 resamples. */
        if (smax < NEWTON_TOL || (smax < 1e-9 && smax >= last)) {
            rc = AR_OK;
            goto done;
        }
        last = smax;
    }
    /* anything below 1e-9 Elo is converged for every purpose we have */
    if (last < 1e-9) rc = AR_OK;
done:
    free(g);
    free(step);
    free(Rn);
    gsl_matrix_free(H);
    return rc;
}

ar_err ar_bt_fit(const ar_battle *bt, size_t n, size_t nmodels, double *ratings, double *loglik) {
    if (loglik) *loglik = NAN;
    if (nmodels == 0 || ratings == NULL || (bt == NULL && n > 0)) return AR_EINVAL;
    for (size_t i = 0; i < nmodels; i++) ratings[i] = ELO_INIT;
    if (nmodels > 46340) return AR_ELIMIT; /* m*m pairs must stay addressable */
    size_t m = nmodels;
    bt_pairs P = {m, calloc(m * m, sizeof(double)), calloc(m * m, sizeof(double))};
    if (P.N == NULL || P.S == NULL) {
        free(P.N);
        free(P.S);
        return AR_ENOMEM;
    }
    for (size_t t = 0; t < n; t++) {
        if (!battle_ok(&bt[t], m)) continue;
        size_t a = (size_t)bt[t].a, b = (size_t)bt[t].b;
        P.N[a * m + b] += 1.0;
        P.N[b * m + a] += 1.0;
        P.S[a * m + b] += bt[t].y;
        P.S[b * m + a] += 1.0 - bt[t].y;
    }
    ar_err rc = AR_OK;
    if (m > 1) {
        int exists = strongly_connected(&P);
        rc = exists ? bt_newton(&P, ratings) : AR_EUNDEF;
        if (rc == AR_EUNDEF) {
            /* Fallback: the same fit on the data plus a light symmetric prior,
             * a FALLBACK_TIE-weighted tie between every pair. The loglik
             * reported below is still that of the real battles. */
            bt_pairs Q = {m, malloc(m * m * sizeof(double)), malloc(m * m * sizeof(double))};
            if (Q.N == NULL || Q.S == NULL) {
                rc = AR_ENOMEM;
            } else {
                for (size_t i = 0; i < m * m; i++) {
                    int off = i / m != i % m;
                    Q.N[i] = P.N[i] + (off ? FALLBACK_TIE : 0.0);
                    Q.S[i] = P.S[i] + (off ? 0.5 * FALLBACK_TIE : 0.0);
                }
                for (size_t i = 0; i < m; i++) ratings[i] = ELO_INIT;
                ar_err frc = bt_newton(&Q, ratings);
                if (frc == AR_ENOMEM) rc = AR_ENOMEM;
            }
            free(Q.N);
            free(Q.S);
        }
    }
    if (loglik && rc != AR_ENOMEM) *loglik = bt_loglik(&P, ratings);
    free(P.N);
    free(P.S);
    return rc;
}
