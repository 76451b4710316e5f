/* src/exec/exec_int.h - internals shared by the exec module's .c files:
 * configuration checks and the square-root impact model's trailing
 * statistics. Not part of the public face (include/arena/exec.h). */
#ifndef ARENA_EXEC_INT_H
#define ARENA_EXEC_INT_H

#include <stddef.h>
#include <stdint.h>
#include "arena/exec.h"

/* AR_ECONFIG naming the bad field, or AR_OK. */
ar_err ar__exec_cfg_check(const ar_exec_cfg *c, ar_errbuf *eb);

/* Prefix sums over one symbol's bars, so that the volatility and the volume
 * of any trailing window cost O(1): vol[k], r1[k], r2[k] hold the sums over
 * bars j < k of volume, 1-bar simple return and squared return (the return of
 * bar j is close[j]/close[j-1] - 1; bar 0 has none). n = bars covered. */
typedef struct ar__slip_hist {
    size_t n, cap;
    double *vol, *r1, *r2; /* cap + 1 entries each */
} ar__slip_hist;

/* Cover bars [0, upto) of b (no-op when already covered). Grows the arrays
 * geometrically: live markets append bars after the account was created. */
ar_err ar__slip_hist_extend(ar__slip_hist *h, const ar_bars *b, size_t upto);
void ar__slip_hist_free(ar__slip_hist *h);

/* One symbol's statistics as an account reads them: its own tables, grown
 * on demand, or tables shared by every account of the market (ar_slip_cache,
 * built once and then only read, so threads may share them). ws is the
 * window start of the last query: fills come in time order per symbol, so
 * it only moves forward (amortised O(1)); it is the account's own. */
typedef struct ar__slip_src {
    ar__slip_hist own;
    const ar__slip_hist *shared; /* NULL: own */
    size_t ws;
} ar__slip_src;

/* The cache's tables for symbol s when c was built from m (and m has not
 * grown since), else NULL. */
const ar__slip_hist *ar__slip_cache_get(const ar_slip_cache *c, const ar_market *m, size_t s);

/* Square-root impact fraction for |q| filled in bar i of s:
 * k * sigma_day * sqrt(|q| / ADV) from the bars strictly before bar i that
 * open within `window` of it. 0 when fewer than 2 bars, no volume, no
 * interval, or the history cannot be extended (ENOMEM: no impact rather than
 * a crash in the bar loop). The sums are the same numbers whichever tables
 * hold them, so a shared cache changes no fill. */
double ar__slip_sqrt_frac(ar__slip_src *h, const ar_symbol *s, size_t i, double q, double k, int64_t window);

#endif
