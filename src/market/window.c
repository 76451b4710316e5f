/* src/market/window.c - windowed bars: a long series read from its file in
 * blocks of AR_BARS_BLOCK rows as the engine reaches them, so that memory
 * does not grow with the length of the data (docs/ENGINE.md "Memory").
 *
 * The rows keep their indices: they are one reservation of address space
 * (PROT_NONE, no memory behind it) as long as the whole series, and so is
 * each column of the sqrt slippage sums when there are some. A
 * block is made readable and filled by the loader when it is first pinned,
 * and dropped (MADV_DONTNEED, then PROT_NONE again) when its last pin goes
 * and it is not one of the few kept for reuse. So a row outside the pinned
 * blocks is never a stale or zero value: reading it faults. Pins are counts
 * per block; the engine pins what an episode can still read (docs/ENGINE.md)
 * and unpins behind it. Threads share a window: pinning, unpinning and
 * loading hold its mutex (the loader's HDF5 calls are serialised by the
 * library itself, a thread-safe build), and the rows of a pinned block
 * never change, so they are read without a lock. */
#define _GNU_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE, madvise, mremap */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "arena/market.h"

#define KEEP 2    /* unpinned blocks kept loaded, most recent first */
#define SPARES 4 /* dropped blocks whose memory waits for the next load */

struct ar_bars_win {
    pthread_mutex_t mu;
    int mu_init;
    size_t n, nblk;
    int64_t *t0;           /* first time of each block */
    int64_t last_t;
    size_t max_bad_run;
    int64_t min_step;      /* smallest step between consecutive times (0: fewer than 2 rows) */
    ar_bars_load_fn load;
    void *ctx;
    void (*ctx_free)(void *);
    void *col[4];          /* reservations: the rows; with sums, the sqrt
                              slippage prefix sums vol, r1, r2 */
    int ncol;              /* 1, or 4 with sums */
    double *s0;            /* with sums: per block, the sums before its first row (3 each) */
    double *pc;            /* with sums: per block, the close of the row before it */
    size_t bytes[4];       /* of each reservation */
    unsigned *pins;        /* per block */
    unsigned char *loaded; /* per block */
    size_t keep[KEEP], nkeep;
    void *spare[SPARES][4]; /* a dropped full block's pages, per column */
    size_t nspare;
    size_t resident, peak; /* blocks loaded now, at most */
    ar_err err;            /* first load failure (sticky) */
    ar_errbuf eb;          /* its message */
};

/* Bytes per row of column c: the rows, then the sums. */
static size_t esize(int c) { return c == 0 ? sizeof(ar_bar) : sizeof(double); }

static size_t page_size(void) {
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

ar_err ar_bars_window(ar_bars *b, size_t n, const int64_t *block_t0, int64_t last_t, size_t max_bad_run,
                      ar_bars_load_fn load, void *ctx, void (*ctx_free)(void *), ar_errbuf *eb) {
    if (b == NULL || b->cap != 0 || b->win != NULL || n == 0 || block_t0 == NULL || load == NULL)
        return ar_errf(eb, AR_EINVAL, "ar_bars_window: bad arguments");
    size_t B = AR_BARS_BLOCK, pg = page_size();
    if ((B * sizeof(double)) % pg != 0 || (B * sizeof(ar_bar)) % pg != 0)
        return ar_errf(eb, AR_EINVAL, "ar_bars_window: block not page aligned");
    ar_bars_win *w = calloc(1, sizeof *w);
    if (w == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
    w->n = n;
    w->nblk = (n + B - 1) / B;
    w->last_t = last_t;
    w->max_bad_run = max_bad_run;
    w->load = load;
    w->ctx = ctx;
    w->ctx_free = ctx_free;
    w->bytes[0] = (n * sizeof(ar_bar) + pg - 1) / pg * pg;
    for (int c = 1; c < 4; c++) w->bytes[c] = (n * sizeof(double) + pg - 1) / pg * pg;
    w->t0 = malloc(w->nblk * sizeof *w->t0);
    w->pins = calloc(w->nblk, sizeof *w->pins);
    w->loaded = calloc(w->nblk, 1);
    int ok = w->t0 && w->pins && w->loaded;
    w->col[0] = ok ? mmap(NULL, w->bytes[0], PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) : MAP_FAILED;
    if (w->col[0] == MAP_FAILED) {
        w->col[0] = NULL;
        ok = 0;
    }
    if (!ok) {
        w->ctx_free = NULL; /* the caller still owns ctx */
        b->win = w;
        ar_bars_free(b);
        return ar_errf(eb, AR_ENOMEM, "out of memory (address space for %zu bars)", n);
    }
    memcpy(w->t0, block_t0, w->nblk * sizeof *w->t0);
    w->ncol = 1;
    pthread_mutex_init(&w->mu, NULL);
    w->mu_init = 1;
    b->win = w;
    b->n = b->cap = n;
    b->row = w->col[0];
    return AR_OK;
}

ar_err ar_bars_window_sums(ar_bars *b, const double *start, const double *prev_close, ar_errbuf *eb) {
    ar_bars_win *w = b ? b->win : NULL;
    if (w == NULL || w->ncol != 1 || w->resident != 0 || start == NULL || prev_close == NULL)
        return ar_errf(eb, AR_EINVAL, "ar_bars_window_sums: bad arguments");
    w->s0 = malloc(3 * w->nblk * sizeof *w->s0);
    w->pc = malloc(w->nblk * sizeof *w->pc);
    if (w->s0 == NULL || w->pc == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
    for (int c = 1; c < 4; c++) {
        w->col[c] = mmap(NULL, w->bytes[c], PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (w->col[c] == MAP_FAILED) {
            w->col[c] = NULL;
            return ar_errf(eb, AR_ENOMEM, "out of memory (address space for %zu bars)", w->n);
        }
    }
    memcpy(w->s0, start, 3 * w->nblk * sizeof *w->s0);
    memcpy(w->pc, prev_close, w->nblk * sizeof *w->pc);
    w->ncol = 4;
    return AR_OK;
}

const double *ar_bars_window_sum(const ar_bars *b, int which) {
    const ar_bars_win *w = b ? b->win : NULL;
    return w && w->ncol == 4 && which >= 0 && which < 3 ? w->col[1 + which] : NULL;
}

void ar__bars_window_free(ar_bars *b) {
    ar_bars_win *w = b->win;
    if (w == NULL) return;
    for (int c = 0; c < 4; c++)
        if (w->col[c]) munmap(w->col[c], w->bytes[c]);
    for (size_t i = 0; i < w->nspare; i++)
        for (int c = 0; c < w->ncol; c++) munmap(w->spare[i][c], AR_BARS_BLOCK * esize(c));
    free(w->s0);
    free(w->pc);
    if (w->ctx_free) w->ctx_free(w->ctx);
    if (w->mu_init) pthread_mutex_destroy(&w->mu);
    free(w->t0);
    free(w->pins);
    free(w->loaded);
    free(w);
    memset(b, 0, sizeof *b);
}

int ar_bars_windowed(const ar_bars *b) { return b != NULL && b->win != NULL; }

/* The byte range of block k in column c: [off, off + len). */
static void span(const ar_bars_win *w, int c, size_t k, size_t *off, size_t *len) {
    size_t B = AR_BARS_BLOCK * esize(c);
    *off = k * B;
    *len = *off + B > w->bytes[c] ? w->bytes[c] - *off : B;
}

/* Block k holds AR_BARS_BLOCK rows (all but maybe the last). */
static int whole(const ar_bars_win *w, size_t k) { return (k + 1) * AR_BARS_BLOCK <= w->n; }

/* Block k leaves memory. A full block's pages are moved out whole to a
 * mapping of their own, to wait for the next load, which moves them in at
 * its own place: the memory is reused instead of given back and faulted in
 * again (on a guest whose fresh pages are dear, docs/BENCHMARKS.md, that is
 * most of the cost). The move keeps the block's own mapping in place
 * (MREMAP_DONTUNMAP), so the reservation never has a hole another thread's
 * mmap could land in; then it is closed again (PROT_NONE). A block that is
 * not full, or a move that fails, gives its memory back. */
static void drop(ar_bars_win *w, size_t k) {
    size_t off, len;
    int moved = 0;
#ifdef MREMAP_DONTUNMAP
    if (whole(w, k) && w->nspare < SPARES) {
        void **sp = w->spare[w->nspare];
        for (moved = 0; moved < w->ncol; moved++) {
            span(w, moved, k, &off, &len);
            char *at = (char *)w->col[moved] + off;
            void *q = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (q == MAP_FAILED) break;
            if (mremap(at, len, len, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, q) == MAP_FAILED) {
                munmap(q, len);
                break;
            }
            sp[moved] = q;
        }
        if (moved == w->ncol) {
            w->nspare++;
        } else {
            for (int c = 0; c < moved; c++) munmap(sp[c], AR_BARS_BLOCK * esize(c)); /* simply given back */
            moved = 0;
        }
    }
#endif
    for (int c = 0; c < w->ncol; c++) {
        span(w, c, k, &off, &len);
        if (!moved) madvise((char *)w->col[c] + off, len, MADV_DONTNEED);
        mprotect((char *)w->col[c] + off, len, PROT_NONE);
    }
    w->loaded[k] = 0;
    w->resident--;
}

/* Make block k's rows writable memory: a spare block's pages moved in, or
 * the reservation opened. */
static int open_block(ar_bars_win *w, size_t k) {
    size_t off, len;
    int c = 0;
    if (whole(w, k) && w->nspare > 0) {
        void **sp = w->spare[w->nspare - 1];
        for (; c < w->ncol; c++) {
            span(w, c, k, &off, &len);
            if (mremap(sp[c], len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (char *)w->col[c] + off) == MAP_FAILED) break;
        }
        w->nspare--;
        /* a failed move: the columns moved so far keep their pages; the
         * rest of this spare is given back, the rest of the block opened */
        for (int j = c; j < w->ncol; j++) munmap(sp[j], AR_BARS_BLOCK * esize(j));
    }
    for (; c < w->ncol; c++) {
        span(w, c, k, &off, &len);
        if (mprotect((char *)w->col[c] + off, len, PROT_READ | PROT_WRITE) != 0) return -1;
    }
    return 0;
}

static ar_err load(const ar_bars *b, ar_bars_win *w, size_t k) {
    if (w->loaded[k]) {
        for (size_t i = 0; i < w->nkeep; i++)
            if (w->keep[i] == k) { /* back in use: out of the kept list */
                memmove(&w->keep[i], &w->keep[i + 1], (w->nkeep - i - 1) * sizeof *w->keep);
                w->nkeep--;
                break;
            }
        return AR_OK;
    }
    if (w->err) return w->err;
    if (open_block(w, k) != 0)
        return w->err = ar_errf(&w->eb, AR_ENOMEM, "out of memory loading bars from row %zu", k * AR_BARS_BLOCK);
    size_t from = k * AR_BARS_BLOCK, cnt = w->n - from < AR_BARS_BLOCK ? w->n - from : AR_BARS_BLOCK;
    ar_err e = w->load(w->ctx, from, cnt, (ar_bars *)b, &w->eb);
    if (e == AR_OK && w->ncol == 4) {
        /* the sums over rows < j for j in the block: from the block's start
         * values, one ar_sums_step per row, as the sequential pass that
         * found those start values made them */
        const ar_bar *r = b->row;
        double *vol = w->col[1], *r1 = w->col[2], *r2 = w->col[3], acc[3];
        memcpy(acc, &w->s0[3 * k], sizeof acc);
        for (size_t i = 0; i < cnt; i++) {
            size_t j = from + i;
            vol[j] = acc[0];
            r1[j] = acc[1];
            r2[j] = acc[2];
            if (i + 1 < cnt) ar_sums_step(j, r[j].volume, r[j].close, i ? r[j - 1].close : w->pc[k], acc, acc);
        }
    }
    if (e) {
        for (int c = 0; c < w->ncol; c++) {
            size_t off, len;
            span(w, c, k, &off, &len);
            mprotect((char *)w->col[c] + off, len, PROT_NONE);
        }
        return w->err = e;
    }
    w->loaded[k] = 1;
    if (++w->resident > w->peak) w->peak = w->resident;
    return AR_OK;
}

static void unpin_locked(ar_bars_win *w, size_t k0, size_t k1);

ar_err ar_bars_pin_blocks(const ar_bars *b, size_t k0, size_t k1, ar_errbuf *eb) {
    ar_bars_win *w = b ? b->win : NULL;
    if (w == NULL) return AR_OK;
    pthread_mutex_lock(&w->mu);
    if (k1 > w->nblk) k1 = w->nblk;
    for (size_t k = k0; k < k1; k++) {
        ar_err e = load(b, w, k);
        if (e) {
            unpin_locked(w, k0, k);
            ar_errf(eb, e, "%s", w->eb.msg);
            pthread_mutex_unlock(&w->mu);
            return e;
        }
        w->pins[k]++;
    }
    pthread_mutex_unlock(&w->mu);
    return AR_OK;
}

void ar_bars_unpin_blocks(const ar_bars *b, size_t k0, size_t k1) {
    ar_bars_win *w = b ? b->win : NULL;
    if (w == NULL) return;
    pthread_mutex_lock(&w->mu);
    unpin_locked(w, k0, k1);
    pthread_mutex_unlock(&w->mu);
}

static void unpin_locked(ar_bars_win *w, size_t k0, size_t k1) {
    if (k1 > w->nblk) k1 = w->nblk;
    for (size_t k = k0; k < k1; k++) {
        if (w->pins[k] == 0 || --w->pins[k] > 0) continue;
        /* unpinned: keep it for a while (an episode pinning it again soon,
         * a transient look-up), dropping the oldest kept one */
        if (w->nkeep == KEEP) {
            size_t old = w->keep[KEEP - 1];
            w->nkeep--;
            if (w->pins[old] == 0 && w->loaded[old]) drop(w, old);
        }
        memmove(&w->keep[1], &w->keep[0], w->nkeep * sizeof *w->keep);
        w->keep[0] = k;
        w->nkeep++;
    }
}

ar_err ar_bars_pin(const ar_bars *b, size_t lo, size_t hi, ar_errbuf *eb) {
    if (b == NULL || b->win == NULL || lo >= hi) return AR_OK;
    return ar_bars_pin_blocks(b, lo / AR_BARS_BLOCK, (hi - 1) / AR_BARS_BLOCK + 1, eb);
}

void ar_bars_unpin(const ar_bars *b, size_t lo, size_t hi) {
    if (b == NULL || b->win == NULL || lo >= hi) return;
    ar_bars_unpin_blocks(b, lo / AR_BARS_BLOCK, (hi - 1) / AR_BARS_BLOCK + 1);
}

ar_err ar_bars_window_error(const ar_bars *b, ar_errbuf *eb) {
    ar_bars_win *w = b ? b->win : NULL;
    if (w == NULL) return AR_OK;
    pthread_mutex_lock(&w->mu);
    ar_err e = w->err ? ar_errf(eb, w->err, "%s", w->eb.msg) : AR_OK;
    pthread_mutex_unlock(&w->mu);
    return e;
}

size_t ar_bars_max_bad_run(const ar_bars *b) { return b && b->win ? b->win->max_bad_run : 0; }

void ar_bars_window_set_min_step(ar_bars *b, int64_t step) {
    if (b && b->win) b->win->min_step = step;
}

int64_t ar_bars_min_step(const ar_bars *b) { return b && b->win ? b->win->min_step : 0; }

void ar_bars_window_stats(const ar_bars *b, size_t *resident, size_t *peak) {
    ar_bars_win *w = b ? b->win : NULL;
    if (w) pthread_mutex_lock(&w->mu);
    if (resident) *resident = w ? w->resident : 0;
    if (peak) *peak = w ? w->peak : 0;
    if (w) pthread_mutex_unlock(&w->mu);
}

size_t ar_bars_nblocks(const ar_bars *b) { return b && b->win ? b->win->nblk : 0; }

int64_t ar_bars_block_time(const ar_bars *b, size_t k) { return b->win->t0[k]; }

int64_t ar_bars_time(const ar_bars *b, size_t i) {
    if (b->win == NULL) return b->row[i].t;
    const ar_bars_win *w = b->win;
    if (i == w->n - 1) return w->last_t;
    if (i % AR_BARS_BLOCK == 0) return w->t0[i / AR_BARS_BLOCK];
    if (ar_bars_pin(b, i, i + 1, NULL) != AR_OK) return INT64_MIN;
    int64_t t = b->row[i].t;
    ar_bars_unpin(b, i, i + 1);
    return t;
}

/* Windowed lower bound: the block from the block times, then inside it. */
size_t ar__bars_window_lower_bound(const ar_bars *b, int64_t x) {
    const ar_bars_win *w = b->win;
    if (x <= w->t0[0]) return 0;
    if (x > w->last_t) return w->n;
    size_t lo = 0, hi = w->nblk; /* the last block whose first time is < x */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->t0[mid] < x) lo = mid;
        else hi = mid;
    }
    size_t from = lo * AR_BARS_BLOCK, to = from + AR_BARS_BLOCK < w->n ? from + AR_BARS_BLOCK : w->n;
    if (ar_bars_pin(b, from, to, NULL) != AR_OK) return w->n; /* sticky error: the caller checks */
    size_t a = from, z = to;
    while (a < z) {
        size_t mid = a + (z - a) / 2;
        if (b->row[mid].t < x) a = mid + 1;
        else z = mid;
    }
    ar_bars_unpin(b, from, to);
    return a;
}
