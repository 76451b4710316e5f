/* src/exec/slip.c - trailing volatility and volume for the square-root impact
 * model: impact fraction = k * sigma * sqrt(|q| / ADV).
 *
 * sigma is the population standard deviation of 1-bar simple close-to-close
 * returns inside the window, scaled to a day by sqrt(1d / interval); ADV is
 * the mean volume per bar inside the window times bars per day. The window is
 * the bars strictly before the fill bar that open at or after
 * t_fill - window, so a fill never sees its own bar (no look-ahead). Prefix
 * sums make each query O(1). The sums over a market's bars are the same for
 * every account trading it: a tournament builds them once (ar_slip_cache)
 * and its accounts only read them; an account without a cache (live runs,
 * library callers) grows tables of its own as bars arrive. */
#include <math.h>
#include <stdlib.h>
#include "arena/util.h"
#include "exec/exec_int.h"

struct ar_slip_cache {
    const ar_market *m;
    size_t nsym;
    ar__slip_hist *h;    /* per symbol, covering every bar */
    unsigned char *own;  /* per symbol: h's arrays are ours (else a window's columns) */
};

/* An impact above half the price makes the model meaningless (a sell could
 * fill at a negative price); the cap keeps fills positive whatever k is. */
#define SLIP_MAX_FRAC 0.5

static int grow(double **p, size_t cap) {
    double *q = realloc(*p, (cap + 1) * sizeof *q);
    if (q == NULL) return -1;
    *p = q;
    return 0;
}

ar_err ar__slip_hist_extend(ar__slip_hist *h, const ar_bars *b, size_t upto) {
    if (upto > b->n) upto = b->n;
    if (h->vol != NULL && upto <= h->n) return AR_OK;
    if (h->vol == NULL || upto > h->cap) {
        size_t cap = h->cap < 64 ? 64 : h->cap;
        while (cap < upto) cap *= 2;
        if (grow(&h->vol, cap) || grow(&h->r1, cap) || grow(&h->r2, cap)) return AR_ENOMEM;
        if (h->cap == 0) h->vol[0] = h->r1[0] = h->r2[0] = 0;
        h->cap = cap;
    }
    for (size_t j = h->n; j < upto; j++) {
        double in[3] = {h->vol[j], h->r1[j], h->r2[j]}, out[3];
        ar_sums_step(j, b->row[j].volume, b->row[j].close, j > 0 ? b->row[j - 1].close : 0, in, out);
        h->vol[j + 1] = out[0];
        h->r1[j + 1] = out[1];
        h->r2[j + 1] = out[2];
    }
    h->n = upto;
    return AR_OK;
}

void ar__slip_hist_free(ar__slip_hist *h) {
    if (h == NULL) return;
    free(h->vol);
    free(h->r1);
    free(h->r2);
    h->vol = h->r1 = h->r2 = NULL;
    h->n = h->cap = 0;
}

ar_slip_cache *ar_slip_cache_create(const ar_market *m, ar_errbuf *eb) {
    ar_slip_cache *c = m ? calloc(1, sizeof *c) : NULL;
    if (c == NULL || (c->h = calloc(m->nsym ? m->nsym : 1, sizeof *c->h)) == NULL) {
        free(c);
        ar_errf(eb, m ? AR_ENOMEM : AR_EINVAL, "exec: %s", m ? "out of memory for slippage statistics" : "no market");
        return NULL;
    }
    c->m = m;
    c->nsym = m->nsym;
    if ((c->own = calloc(m->nsym ? m->nsym : 1, 1)) == NULL) {
        ar_slip_cache_free(c);
        ar_errf(eb, AR_ENOMEM, "exec: out of memory for slippage statistics");
        return NULL;
    }
    for (size_t s = 0; s < m->nsym; s++) {
        const ar_bars *b = &m->sym[s].bars;
        if (ar_bars_windowed(b)) {
            /* windowed bars bring their sums along, block by block: read
             * where the bars are pinned (the engine's margin covers the
             * model's window) */
            if (ar_bars_window_sum(b, 0) == NULL) {
                ar_slip_cache_free(c);
                ar_errf(eb, AR_EINVAL, "exec: %s: windowed bars without the slippage sums", m->sym[s].name);
                return NULL;
            }
            c->h[s] = (ar__slip_hist){b->n, 0, (double *)ar_bars_window_sum(b, 0), (double *)ar_bars_window_sum(b, 1),
                                      (double *)ar_bars_window_sum(b, 2)};
            continue;
        }
        c->own[s] = 1;
        if (ar__slip_hist_extend(&c->h[s], b, b->n) != AR_OK) {
            ar_slip_cache_free(c);
            ar_errf(eb, AR_ENOMEM, "exec: out of memory for slippage statistics");
            return NULL;
        }
    }
    return c;
}

void ar_slip_cache_free(ar_slip_cache *c) {
    if (c == NULL) return;
    for (size_t s = 0; c->own && s < c->nsym; s++)
        if (c->own[s]) ar__slip_hist_free(&c->h[s]);
    free(c->own);
    free(c->h);
    free(c);
}

const ar__slip_hist *ar__slip_cache_get(const ar_slip_cache *c, const ar_market *m, size_t s) {
    if (c == NULL || c->m != m || s >= c->nsym || c->h[s].n != m->sym[s].bars.n) return NULL;
    return &c->h[s];
}

double ar__slip_sqrt_frac(ar__slip_src *src, const ar_symbol *s, size_t i, double q, double k, int64_t window) {
    const ar_bars *b = &s->bars;
    if (i >= b->n || s->interval <= 0 || !(k > 0) || !(fabs(q) > 0)) return 0;
    const ar__slip_hist *h = src->shared;
    if (h == NULL || h->n < i) {
        if (ar__slip_hist_extend(&src->own, b, i) != AR_OK) return 0;
        h = &src->own;
    }
    int64_t from = b->row[i].t - window;
    /* ws only moves forward while fills come in time order; when it is far
     * behind (the first fill, a long quiet spell) or ahead (a query out of
     * order), a binary search finds where the scan would stop: no earlier
     * window start can lie at or after `from`, so the result is the same,
     * and windowed bars are not read outside the model's window */
    if (src->ws > i || i - src->ws > 64) src->ws = ar_bars_lower_bound(b, from);
    if (src->ws > i) src->ws = i;
    while (src->ws < i && b->row[src->ws].t < from) src->ws++;
    size_t j0 = src->ws, nb = i - j0;
    if (nb < 2) return 0;
    double vsum = h->vol[i] - h->vol[j0];
    if (!(vsum > 0)) return 0;
    /* returns inside the window: bars j0+1 .. i-1 (bar j0's return reaches
     * back to a bar outside the window) */
    double nr = (double)(nb - 1);
    double mean = (h->r1[i] - h->r1[j0 + 1]) / nr;
    double var = (h->r2[i] - h->r2[j0 + 1]) / nr - mean * mean;
    if (!(var > 0)) var = 0;
    double per_day = (double)AR_NS_PER_DAY / (double)s->interval;
    double sigma_day = sqrt(var) * sqrt(per_day);
    double adv = vsum / (double)nb * per_day;
    double f = k * sigma_day * sqrt(fabs(q) / adv);
    if (!isfinite(f) || f < 0) return 0;
    return f > SLIP_MAX_FRAC ? SLIP_MAX_FRAC : f;
}
