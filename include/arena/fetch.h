/* include/arena/fetch.h - historical bars and funding from exchange REST APIs
 * (Binance, Bybit, Hyperliquid) into an in-memory symbol.
 *
 * The fetcher pages through the exchange's klines endpoint (and, for perps,
 * its funding history) with libcurl, asking only for what the symbol does not
 * already hold inside [from, to): the caller loads the bars the market file
 * (and an interrupted fetch's checkpoint) already has, and gets back the
 * merged series. It never invents a bar: steps larger than the interval in
 * what the exchange returned are reported through the notice callback.
 * Rate limits are respected (Binance used-weight header, 429 Retry-After and
 * 418 bans; Bybit retCode 10006 and its limit-status headers; Hyperliquid's
 * per-minute weight budget), transient failures are retried with exponential
 * backoff. Wire details: docs/DATA.md "Fetching from exchanges".
 *
 * Single-threaded; blocks while it sleeps and downloads. Uses the wall clock
 * (only to drop unfinished bars and to pace requests); nothing it measures
 * reaches a run file. */
#ifndef ARENA_FETCH_H
#define ARENA_FETCH_H

#include <signal.h>
#include <stdint.h>
#include "arena/err.h"
#include "arena/market.h"

typedef enum { AR_FETCH_BINANCE, AR_FETCH_BYBIT, AR_FETCH_HYPERLIQUID } ar_fetch_ex;

/* "binance", "bybit", "hyperliquid" -> 0 and *ex; -1 for anything else. */
int ar_fetch_exchange_parse(const char *name, ar_fetch_ex *ex);
const char *ar_fetch_exchange_name(ar_fetch_ex ex);

/* The exchange's own name of a bar interval in ns ("1m" on Binance and
 * Hyperliquid, "1" on Bybit); NULL when the exchange has no such interval. */
const char *ar_fetch_interval_name(ar_fetch_ex ex, int64_t interval);

/* Comma-separated list of the intervals ex supports, in arena notation. */
const char *ar_fetch_intervals(ar_fetch_ex ex);

/* The arena name of an exchange symbol: the quote currency stripped
 * (BTCUSDT -> BTC; USDT, USDC, FDUSD, BUSD, TUSD, USD, PERP), the name itself on
 * Hyperliquid. AR_EINVAL (eb says why) when the result would not be a valid
 * arena name (empty, >= 32 bytes, or containing '/'). */
ar_err ar_fetch_arena_name(ar_fetch_ex ex, const char *exsym, char out[AR_SYM_MAX], ar_errbuf *eb);

typedef struct ar_fetch_req {
    ar_fetch_ex ex;
    const char *symbol;   /* the exchange's name: BTCUSDT, BTC */
    int linear;           /* perps: futures klines on Binance, category=linear on Bybit, and funding */
    int64_t interval;     /* ns; must have an ar_fetch_interval_name */
    int64_t from, to;     /* bars with open time in [from, to), ns UTC */
    int64_t now;          /* ns; bars closing after it are unfinished and dropped */
    const char *base_url; /* NULL: the exchange's own; else replaces scheme, host and port */
    unsigned backoff_ms;  /* first retry delay, doubled per attempt (0: 500) */
    int max_attempts;     /* per request, transient failures (0: 6) */
    volatile sig_atomic_t *stop; /* non-NULL and set: stop at the next chance (AR_ESTATE) */
    /* Called with the merged symbol every few pages and once when the fetch
     * stops early with new bars (an error or stop): save it to resume later.
     * May be NULL. An error from it ends the fetch. */
    ar_err (*checkpoint)(void *ud, const ar_symbol *sym, ar_errbuf *eb);
    /* Progress: done of total requested nanoseconds, bars received so far. */
    void (*progress)(void *ud, int64_t done, int64_t total, size_t bars);
    /* One line of information (a gap, a pause for a rate limit), no newline. */
    void (*notice)(void *ud, const char *line);
    void *ud;
} ar_fetch_req;

typedef struct ar_fetch_stats {
    size_t requests, retries;   /* HTTP requests made, of which repeated */
    size_t bars_new, funding_new;
    size_t gaps;                /* steps larger than the interval inside [from, to) */
    size_t gap_bars;            /* bars missing in those steps */
} ar_fetch_stats;

/* Fetch what sym lacks of r's range and merge it in. On entry sym holds what
 * is already known (its interval must be r->interval or 0; bars and funding
 * sorted); on AR_OK it holds the union (existing rows win on equal times) and
 * st (may be NULL) the counts. On error eb quotes the exchange's own message
 * ("binance: -1121 Invalid symbol."), sym is unchanged, and the checkpoint
 * callback has been given what was fetched. AR_ENOTFOUND when the exchange
 * returned no bar at all for the range and sym had none there either. */
ar_err ar_fetch_symbol(const ar_fetch_req *r, ar_symbol *sym, ar_fetch_stats *st, ar_errbuf *eb);

/* Merge src's bars and funding into dst (dst wins on equal times; both
 * sorted). Used to resume from a checkpoint. AR_EINVAL when both have bars of
 * different intervals, AR_ENOMEM; dst unchanged on error. */
ar_err ar_fetch_merge(ar_symbol *dst, const ar_symbol *src, ar_errbuf *eb);

#endif
