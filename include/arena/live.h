/* include/arena/live.h - the engine on the live clock (`arena live`).
 *
 * A live session runs the agents of a config with a `live` section
 * (docs/LIVE.md) on market events handed to it in arrival order: trades
 * (and top-of-book quotes), each with the exchange's event time. The feed's
 * event time is the clock: a feed replayed faster decides faster.
 *
 *  - Bars: every symbol gets bars of live.interval (default 1m) that agents
 *    see, exactly like the bars of a market file in a backtest, and
 *    one-second bars that accounts fill against. A bar is complete once the
 *    clock has passed its close.
 *  - Decisions at every cadence boundary (multiples of the cadence since the
 *    epoch, or since market.start when given) from the first event on;
 *    events before market.start are warm-up. At market.end the final mark is
 *    taken and the session is finished.
 *  - Orders of coded agents are active from the decision time (+ latency);
 *    orders of model, exec and http agents no earlier than the feed time at
 *    which their answer arrived (opts.feed_clock), so they fill only against
 *    trades that came after the answer: a market order at the open of the
 *    first one-second bar that opens at or after that, +/- slippage, with the
 *    fee.
 *  - Every tick, final order, fill, trade, funding payment, equity sample,
 *    decision and model call is appended to a live run file
 *    (include/arena/live_store.h); ar_live_flush puts it on disk.
 *
 * Not thread-safe: one thread makes every call. */
#ifndef ARENA_LIVE_H
#define ARENA_LIVE_H

#include <stddef.h>
#include <stdint.h>
#include "arena/config.h"
#include "arena/engine.h"
#include "arena/err.h"

typedef struct ar_live ar_live;

typedef struct ar_live_opts {
    const char *path; /* the run file */
    int resume;       /* 1: continue path, written earlier by this config (positions, cash,
                         exit plans restored; pending orders of the crashed run are gone) */
    /* The time of the latest feed event received so far, read when a model's
     * answer is in; NULL: the clock of the events handed in. */
    int64_t (*feed_clock)(void *ctx);
    void *clock_ctx;
    /* NULL: none. Else told of each model call that fails (engine.h). */
    ar_call_fail_fn on_call_fail;
    void *on_call_fail_ctx;
} ar_live_opts;

/* Open a session for cfg (cfg->live must be set; cfg must outlive it). With
 * opts->resume the file's config must equal cfg (AR_ECONFIG otherwise). The
 * run file is created at the first event (its start is the first decision
 * time); a resumed file is reopened at once. */
ar_err ar_live_open(const ar_config *cfg, const ar_live_opts *opts, ar_live **out, ar_errbuf *eb);

/* Market events for symbol index sym (cfg->symbols order) at exchange time t
 * (ns). side: +1 buyer-initiated, -1 seller-initiated, 0 unknown. Events may
 * run decisions (and so model calls) before they return. Bad values (price
 * not > 0, qty < 0, t <= 0) are counted and skipped. */
ar_err ar_live_trade(ar_live *L, int sym, int64_t t, double price, double qty, int side, ar_errbuf *eb);
/* Top of book; used for prices only when the trades channel is off. */
ar_err ar_live_book(ar_live *L, int sym, int64_t t, double bid, double ask, ar_errbuf *eb);
/* The feed lost data (reconnect, sequence gap): recorded as a gap tick. */
ar_err ar_live_gap(ar_live *L, int64_t t, ar_errbuf *eb);

/* Append what happened since the last call and flush the file (call at
 * least once a second, and after fills: ar_live_unflushed_fills). */
ar_err ar_live_flush(ar_live *L, ar_errbuf *eb);
size_t ar_live_unflushed_fills(const ar_live *L);

/* 1 once market.end has passed (the final mark is taken). */
int ar_live_finished(const ar_live *L);

typedef struct ar_live_status {
    int64_t clock;        /* latest event time, 0 before the first */
    size_t decisions;     /* decision times run by this session */
    size_t ticks, skipped;/* events taken, events refused */
    size_t fills;         /* over all agents, this session */
    double best_equity;   /* highest equity of any agent at the last sample */
    char best[64];        /* its name */
} ar_live_status;
void ar_live_get_status(const ar_live *L, ar_live_status *st);

/* Take the final mark at the clock (unless finished), write everything, mark
 * the file closed (@live = 2) and free L (also on error). L NULL: no-op. A
 * session that never saw an event leaves no file (resumed: the file as it was). */
ar_err ar_live_close(ar_live *L, ar_errbuf *eb);

#endif
