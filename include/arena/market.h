/* include/arena/market.h - market data in memory: symbols, bars, trades,
 * funding; CSV import; the seeded synthetic market generator.
 *
 * Bars are rows (ar_bar), the layout of the market file, so a run reads them
 * in place from a mapping of the file instead of copying them; trades and
 * funding are column-wise (one array per field). A market owns everything it
 * points to; ar_market_free releases it all. No locking: a market is built by one
 * thread and then only read (readers may share it). */
#ifndef ARENA_MARKET_H
#define ARENA_MARKET_H

#include <math.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include "arena/err.h"

#define AR_SYM_MAX 32 /* symbol names are at most 31 bytes */

/* One bar: exactly the record of /bars/SYM in a market file (docs/DATA.md),
 * 48 bytes with no padding, so a market file's rows can be used where they
 * lie (a read-only mapping of the file) and written as they are. */
typedef struct ar_bar {
    int64_t t; /* bar open time, ns UTC, strictly increasing */
    double open, high, low, close, volume;
} ar_bar;

typedef struct ar_bars_win ar_bars_win;
typedef struct ar_bars {
    size_t n, cap;
    ar_bar *row;      /* n rows in time order */
    ar_bars_win *win; /* NULL: every row in memory; else a window (below) */
    void *map;        /* non-NULL: row lies in this read-only mapping of a
                         market file (map_len bytes), which ar_bars_free unmaps */
    size_t map_len;
} ar_bars;

typedef struct ar_trades {
    size_t n, cap;
    int64_t *t; /* ns UTC, non-decreasing; equal times keep file order */
    double *price, *qty;
    int8_t *side; /* +1 aggressor bought, -1 aggressor sold, 0 unknown */
} ar_trades;

typedef struct ar_funding {
    size_t n, cap;
    int64_t *t;   /* funding instant, ns UTC, strictly increasing */
    double *rate; /* rate per funding interval (longs pay when > 0) */
} ar_funding;

typedef struct ar_symbol {
    char name[AR_SYM_MAX];
    int64_t interval; /* bar interval in ns; 0 when there are no bars */
    ar_bars bars;
    ar_trades trades;
    ar_funding funding;
    /* Content hash as stored in a market file: sha256 over the hex sha256 of
     * its bars, trades and funding records (each "" when absent). Filled by
     * the market-file reader; "" for markets built in memory. */
    char sha256[65];
} ar_symbol;

typedef struct ar_market {
    size_t nsym;
    ar_symbol *sym; /* nsym entries, in the order added */
    char source[128]; /* free text ("synthetic seed=7", "import") */
} ar_market;

/* Empty market; NULL on allocation failure. */
ar_market *ar_market_create(void);
void ar_market_free(ar_market *m); /* NULL: no-op */

/* Index of the symbol named name, or -1. */
int ar_market_find(const ar_market *m, const char *name);

/* Append an empty symbol (name copied); returns its index, -1 on ENOMEM or a
 * name that is empty, too long or already present. */
int ar_market_add_symbol(ar_market *m, const char *name);

/* Append one row; the arrays grow geometrically. AR_ENOMEM on failure. No
 * ordering checks here: importers check and report lines themselves. */
ar_err ar_bars_push(ar_bars *b, int64_t t, double o, double h, double l, double c, double v);
ar_err ar_trades_push(ar_trades *tr, int64_t t, double price, double qty, int8_t side);
ar_err ar_funding_push(ar_funding *f, int64_t t, double rate);
/* Reserve room for at least n rows (exact allocation for known sizes). */
ar_err ar_bars_reserve(ar_bars *b, size_t n);
void ar_bars_free(ar_bars *b);
void ar_trades_free(ar_trades *t);
void ar_funding_free(ar_funding *f);

/* Index of the first bar with t >= x (n when none): binary search. */
size_t ar_bars_lower_bound(const ar_bars *b, int64_t x);

/* A bar whose four prices are all finite and > 0 (NAN fails both
 * comparisons): the only bars an account trades on; the others are "bad
 * rows" (src/exec/account.c), and windowed bars keep the longest run of
 * them (ar_bars_max_bad_run). */
static inline int ar_bar_prices_ok(double o, double h, double l, double c) {
    return o > 0 && o < INFINITY && h > 0 && h < INFINITY && l > 0 && l < INFINITY && c > 0 && c < INFINITY;
}

/* ---- trailing sums for the sqrt slippage model ---------------------------
 * Prefix sums over a symbol's rows: vol[j], r1[j], r2[j] = the sums over
 * rows < j of volume, 1-bar simple return and squared return. One step, from
 * row j (its volume v, its close c and the previous close cp; row 0 has no
 * return) and the sums up to it. Bad rows count as no volume and no move
 * rather than poisoning every later window with a NaN. Everything that
 * builds these sums (exec's tables, windowed bars) goes through this one
 * step, so they are the same numbers bit for bit. */
static inline void ar_sums_step(size_t j, double v, double c, double cp, const double in[3], double out[3]) {
    double r = 0;
    if (!isfinite(v) || v < 0) v = 0;
    if (j > 0 && isfinite(c) && isfinite(cp) && cp > 0) r = c / cp - 1.0;
    out[0] = in[0] + v;
    out[1] = in[1] + r;
    out[2] = in[2] + r * r;
}

/* ---- windowed bars -------------------------------------------------------
 * A series too long to hold, read from its file in blocks of AR_BARS_BLOCK
 * rows as it is needed (src/market/window.c; the market-file reader makes
 * them, ar_market_h5_read_windowed). The rows keep their indices, but
 * only rows of pinned blocks (and a few recently unpinned ones) are there:
 * reading any other row faults. Pins are counts per block; whoever reads
 * rows pins them first and unpins when done. On unwindowed bars every call
 * below is a no-op (pins succeed, nothing is released). Threads may share
 * a windowed market: pins and loads lock, and pinned rows do not change. */
#define AR_BARS_BLOCK 8192
/* Fill rows [from, from + n) of b (the block is writable then). */
typedef ar_err (*ar_bars_load_fn)(void *ctx, size_t from, size_t n, ar_bars *b, ar_errbuf *eb);
/* Make an empty b a window over n rows: block_t0 holds the first time of
 * each block (ceil(n / AR_BARS_BLOCK) entries, copied), last_t the last
 * row's, max_bad_run the longest run of rows with a bad price (the
 * account's catch-up looks back over such a run). ctx_free(ctx) runs when
 * b is freed; when this fails, ctx is still the caller's. */
ar_err ar_bars_window(ar_bars *b, size_t n, const int64_t *block_t0, int64_t last_t, size_t max_bad_run,
                      ar_bars_load_fn load, void *ctx, void (*ctx_free)(void *), ar_errbuf *eb);
int ar_bars_windowed(const ar_bars *b);
/* Give a windowed b (nothing loaded yet) the sqrt slippage sums as three
 * more windowed columns, filled as each block loads: start holds, per
 * block, the sums over the rows before it (3 values, ar_sums_step order),
 * prev_close the close of the row before it. Both copied. */
ar_err ar_bars_window_sums(ar_bars *b, const double *start, const double *prev_close, ar_errbuf *eb);
/* Column which (0 vol, 1 r1, 2 r2) of those sums: row j holds the sums over
 * rows < j, readable where the bars are; NULL without sums. */
const double *ar_bars_window_sum(const ar_bars *b, int which);
/* Pin blocks [k0, k1) (loading those not there) / rows [lo, hi). On a
 * failed load nothing stays pinned, eb says why, and the failure sticks
 * (ar_bars_window_error). */
ar_err ar_bars_pin_blocks(const ar_bars *b, size_t k0, size_t k1, ar_errbuf *eb);
void ar_bars_unpin_blocks(const ar_bars *b, size_t k0, size_t k1);
ar_err ar_bars_pin(const ar_bars *b, size_t lo, size_t hi, ar_errbuf *eb);
void ar_bars_unpin(const ar_bars *b, size_t lo, size_t hi);
/* The first load failure of a windowed b (AR_OK: none). */
ar_err ar_bars_window_error(const ar_bars *b, ar_errbuf *eb);
size_t ar_bars_max_bad_run(const ar_bars *b); /* 0 when unwindowed */
/* The smallest step between consecutive times of a windowed b (the reader
 * sets it; 0 when unwindowed or under 2 rows): model agents' look-back in
 * bars holds only when bars are at least an interval apart. */
void ar_bars_window_set_min_step(ar_bars *b, int64_t step);
int64_t ar_bars_min_step(const ar_bars *b);
/* Blocks loaded now and at most so far (0 when unwindowed). */
void ar_bars_window_stats(const ar_bars *b, size_t *resident, size_t *peak);
/* Blocks of a windowed b (0 when unwindowed) and the first time of block k. */
size_t ar_bars_nblocks(const ar_bars *b);
int64_t ar_bars_block_time(const ar_bars *b, size_t k);
/* Time of row i < n, pinned or not (INT64_MIN when its block cannot be
 * loaded: the failure sticks). */
int64_t ar_bars_time(const ar_bars *b, size_t i);

/* ---- CSV import ----------------------------------------------------------
 * kinds: AR_CSV_AUTO looks at the first line: a header naming a time column
 * and open/high/low/close is OHLCV; one naming price and amount/qty/size is
 * trades; 12 numeric columns and no header is a Binance kline file. Files
 * ending in .gz are read through zlib. Rows are appended to sym (bars or
 * trades); sym->interval is set from the most common bar step when it was 0
 * and must agree with it otherwise. Errors name the file and the line:
 * "data.csv:17: high 10.5 < low 11.0". */
typedef enum { AR_CSV_AUTO, AR_CSV_OHLCV, AR_CSV_KLINE, AR_CSV_TRADES } ar_csv_kind;
ar_err ar_csv_import(const char *path, ar_csv_kind kind, ar_symbol *sym, ar_errbuf *eb);

/* Aggregate trades into bars of the given interval (open time aligned to a
 * multiple of interval since the epoch). Empty intervals produce no bar. */
ar_err ar_bars_from_trades(const ar_trades *tr, int64_t interval, ar_bars *out);

/* ---- synthetic market ----------------------------------------------------
 * A seeded multi-asset model: correlated Student-t innovations through a
 * Cholesky factor, GARCH(1,1) volatility per asset, compound-Poisson jumps,
 * volume that follows volatility. Parameters are calibrated to real Bybit
 * 1-minute perps (docs/DATA.md says how). Same params => identical output. */
typedef struct ar_synth_params {
    const char *const *symbols; /* known names (BTC, ETH, SOL, BNB, DOGE, XRP) get
                                   calibrated parameters; others get BTC-like ones */
    size_t nsym;
    int64_t start;     /* first bar open time, ns UTC */
    int64_t interval;  /* bar interval, ns */
    size_t nbars;      /* bars per symbol */
    uint64_t seed;
    int funding;       /* also write a synthetic 8h funding series */
} ar_synth_params;
ar_err ar_synth_generate(const ar_synth_params *p, ar_market **out, ar_errbuf *eb);

/* ---- info ---------------------------------------------------------------
 * Print symbols, intervals, ranges, row counts and gaps (steps larger than the
 * interval) of m to f in a readable table. */
void ar_market_print_info(const ar_market *m, FILE *f);

#endif
