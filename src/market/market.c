/* src/market/market.c - the in-memory market: symbols and their series
 * (bars as rows, trades and funding column-wise), growth, search and trade
 * aggregation.
 *
 * Arrays grow geometrically (doubling, at least 1024 rows) so that importers
 * can push row by row in amortised O(1). A market is built by one thread and
 * then only read; nothing here locks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "arena/market.h"
#include "arena/util.h"

ar_market *ar_market_create(void) {
    return calloc(1, sizeof(ar_market));
}

void ar_market_free(ar_market *m) {
    if (m == NULL) return;
    for (size_t i = 0; i < m->nsym; i++) {
        ar_bars_free(&m->sym[i].bars);
        ar_trades_free(&m->sym[i].trades);
        ar_funding_free(&m->sym[i].funding);
    }
    free(m->sym);
    free(m);
}

int ar_market_find(const ar_market *m, const char *name) {
    if (m == NULL || name == NULL) return -1;
    for (size_t i = 0; i < m->nsym; i++)
        if (strcmp(m->sym[i].name, name) == 0) return (int)i;
    return -1;
}

int ar_market_add_symbol(ar_market *m, const char *name) {
    if (m == NULL || name == NULL) return -1;
    size_t len = strlen(name);
    if (len == 0 || len >= AR_SYM_MAX || ar_market_find(m, name) >= 0) return -1;
    /* exact growth: markets hold a handful of symbols */
    ar_symbol *ns = realloc(m->sym, (m->nsym + 1) * sizeof *ns);
    if (ns == NULL) return -1;
    m->sym = ns;
    ar_symbol *s = &m->sym[m->nsym];
    memset(s, 0, sizeof *s);
    memcpy(s->name, name, len + 1);
    return (int)m->nsym++;
}

/* Grow one column to cap elements of size sz. A new column of AR_HUGE_MIN
 * and more goes on transparent huge pages (ar_alloc_huge): a market is
 * written once, front to back, and then scanned (docs/BENCHMARKS.md: one
 * fault per 2 MiB cut the load of 500k bars from ~100 to ~20 ms). It stays a
 * plain heap block: free() and realloc() take it. The pointer is replaced
 * only on success, so a failure leaves the old (still valid) array. */
static int grow(void *pp, size_t cap, size_t sz) {
    void **p = pp;
    if (cap > SIZE_MAX / sz) return -1;
    size_t bytes = cap * sz;
    void *q = *p == NULL ? ar_alloc_huge(bytes) : realloc(*p, bytes);
    if (q == NULL) return -1;
    ar_advise_huge(q, bytes); /* a block grown by realloc too */
    *p = q;
    return 0;
}

static size_t next_cap(size_t cap, size_t need) {
    size_t c = cap < 1024 ? 1024 : cap;
    while (c < need) c *= 2;
    return c;
}

ar_err ar_bars_reserve(ar_bars *b, size_t n) {
    if (b->win != NULL || b->map != NULL) return AR_EINVAL; /* rows of a file: read-only */
    if (n <= b->cap) return AR_OK;
    if (grow(&b->row, n, sizeof *b->row)) return AR_ENOMEM;
    b->cap = n;
    return AR_OK;
}

ar_err ar_bars_push(ar_bars *b, int64_t t, double o, double h, double l, double c, double v) {
    if (b->win != NULL || b->map != NULL) return AR_EINVAL;
    if (b->n == b->cap) {
        ar_err e = ar_bars_reserve(b, next_cap(b->cap, b->n + 1));
        if (e != AR_OK) return e;
    }
    b->row[b->n++] = (ar_bar){t, o, h, l, c, v};
    return AR_OK;
}

ar_err ar_trades_push(ar_trades *tr, int64_t t, double price, double qty, int8_t side) {
    if (tr->n == tr->cap) {
        size_t c = next_cap(tr->cap, tr->n + 1);
        if (grow(&tr->t, c, sizeof *tr->t) || grow(&tr->price, c, sizeof *tr->price) ||
            grow(&tr->qty, c, sizeof *tr->qty) || grow(&tr->side, c, sizeof *tr->side))
            return AR_ENOMEM;
        tr->cap = c;
    }
    size_t i = tr->n++;
    tr->t[i] = t;
    tr->price[i] = price;
    tr->qty[i] = qty;
    tr->side[i] = side;
    return AR_OK;
}

ar_err ar_funding_push(ar_funding *f, int64_t t, double rate) {
    if (f->n == f->cap) {
        size_t c = next_cap(f->cap, f->n + 1);
        if (grow(&f->t, c, sizeof *f->t) || grow(&f->rate, c, sizeof *f->rate)) return AR_ENOMEM;
        f->cap = c;
    }
    f->t[f->n] = t;
    f->rate[f->n] = rate;
    f->n++;
    return AR_OK;
}

void ar__bars_window_free(ar_bars *b); /* window.c */
size_t ar__bars_window_lower_bound(const ar_bars *b, int64_t x);

void ar_bars_free(ar_bars *b) {
    if (b == NULL) return;
    if (b->win != NULL) {
        ar__bars_window_free(b);
        return;
    }
    if (b->map != NULL) munmap(b->map, b->map_len);
    else free(b->row);
    memset(b, 0, sizeof *b);
}

void ar_trades_free(ar_trades *t) {
    if (t == NULL) return;
    free(t->t);
    free(t->price);
    free(t->qty);
    free(t->side);
    memset(t, 0, sizeof *t);
}

void ar_funding_free(ar_funding *f) {
    if (f == NULL) return;
    free(f->t);
    free(f->rate);
    memset(f, 0, sizeof *f);
}

size_t ar_bars_lower_bound(const ar_bars *b, int64_t x) {
    if (b->win != NULL) return ar__bars_window_lower_bound(b, x);
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->row[mid].t < x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

ar_err ar_bars_from_trades(const ar_trades *tr, int64_t interval, ar_bars *out) {
    if (tr == NULL || out == NULL || interval <= 0) return AR_EINVAL;
    int64_t cur = 0;
    int have = 0;
    double o = 0, h = 0, l = 0, c = 0, v = 0;
    for (size_t i = 0; i < tr->n; i++) {
        /* floor, not truncation, so bars before 1970 align too */
        int64_t k = tr->t[i] / interval;
        if (tr->t[i] % interval < 0) k--;
        int64_t open_t = k * interval;
        if (have && open_t < cur) return AR_EINVAL; /* trades out of order */
        if (!have || open_t != cur) {
            if (have) {
                ar_err e = ar_bars_push(out, cur, o, h, l, c, v);
                if (e != AR_OK) return e;
            }
            cur = open_t;
            have = 1;
            o = h = l = c = tr->price[i];
            v = 0;
        }
        double p = tr->price[i];
        if (p > h) h = p;
        if (p < l) l = p;
        c = p;
        v += tr->qty[i];
    }
    if (have) return ar_bars_push(out, cur, o, h, l, c, v);
    return AR_OK;
}
