/* include/arena/exec.h - simulated execution for one agent's account.
 *
 * An ar_account holds cash, one net position per symbol (isolated margin in
 * perp mode), pending orders, and the logs of orders, fills, round-trip
 * trades and funding payments. The engine drives it in time order:
 *
 *   for each bar of any symbol, in time order (ties: symbol order):
 *       ar_account_on_bar(acct, sym, bar_index)
 *   at each decision time t:
 *       ar_account_mark(acct, marks, ...)          -> equity
 *       agent decides; ar_account_submit(acct, t, &req) per order
 *
 * Timing (docs/ENGINE.md): an order decided at t is active from t+latency. A
 * market order fills at the open of the first bar that opens at or after
 * that, +/- slippage, plus the taker fee. Limit orders fill at the limit (or
 * the open when it gaps through) with the maker fee; stops at the stop (or
 * the gap price) plus slippage with the taker fee. Take-profit / stop-loss
 * attach to the position; a bar touching both fills the adverse one first.
 * Liquidation when margin + unrealised PnL at the bar's adverse extreme falls
 * to maintenance_margin x notional; it fills at the liquidation price (or the
 * open when the bar gaps through it) with the taker fee. Funding at UTC
 * multiples of the interval on positions open at that instant.
 *
 * One account per (episode, agent); no locking. The account never allocates
 * in on_bar except when a log grows (amortised, geometric). */
#ifndef ARENA_EXEC_H
#define ARENA_EXEC_H

#include <stdint.h>
#include <stddef.h>
#include "arena/err.h"
#include "arena/market.h"

typedef enum { AR_MODE_SPOT = 0, AR_MODE_PERP = 1 } ar_mode;
typedef enum { AR_SLIP_NONE = 0, AR_SLIP_FIXED = 1, AR_SLIP_SQRT = 2 } ar_slip_model;

typedef struct ar_exec_cfg {
    ar_mode mode;
    int64_t latency;          /* ns */
    double taker_bps, maker_bps;
    ar_slip_model slip;
    double slip_bps;          /* fixed model: half spread + impact, bps */
    double slip_k;            /* sqrt model: impact = k * sigma * sqrt(q / ADV) */
    int64_t slip_window;      /* sqrt model: trailing window for sigma and ADV (ns; default 1d) */
    double slip_noise_bps;    /* >0: extra adverse |N(0, noise)| bps from the seeded stream */
    double max_leverage;      /* perp; spot is always 1 */
    double maintenance_margin;/* rate, default 0.005 */
    double funding_rate;      /* per interval, used where the data has no funding */
    int64_t funding_interval; /* ns; 0 = no funding */
    int both_touched_favorable; /* 0 (default): adverse fills first */
} ar_exec_cfg;

/* Defaults: perp, latency 0, taker 4.5 bps, maker 1.5 bps, no slippage,
 * max_leverage 20, maintenance 0.005, no funding. */
void ar_exec_cfg_default(ar_exec_cfg *c);

typedef enum { AR_OT_MARKET = 0, AR_OT_LIMIT = 1, AR_OT_STOP = 2, AR_OT_CLOSE = 3 } ar_order_type;

/* What an agent asks for. qty is signed: > 0 buys, < 0 sells. AR_OT_CLOSE
 * closes the whole position of sym at market (qty ignored). tp / sl are
 * prices (NAN = none); on a fill that opens or adds to a position they
 * replace the position's take-profit / stop-loss. reduce_only orders never
 * open or flip a position. */
typedef struct ar_order_req {
    int32_t sym;
    int32_t type;      /* ar_order_type */
    double qty;
    double price;      /* limit / stop price; ignored for market */
    double leverage;   /* perp: 1..max_leverage; spot: must be 1 (or 0 = 1) */
    double tp, sl;
    int32_t reduce_only;
} ar_order_req;

typedef enum {
    AR_OS_PENDING = 0, AR_OS_FILLED = 1, AR_OS_REJECTED = 2,
    AR_OS_CANCELLED = 3, AR_OS_EXPIRED = 4
} ar_order_status;

/* Reason codes recorded with orders and decisions; names in ar_reason_name.
 * Append only. */
#define AR_REASON_MAP(X)                 \
    X(NONE, "none")                      \
    X(MARGIN_SHORT, "margin_short")      \
    X(SPOT_SHORT, "spot_short")          \
    X(LEVERAGE, "leverage")              \
    X(BAD_QTY, "bad_quantity")           \
    X(BAD_PRICE, "bad_price")            \
    X(UNKNOWN_SYM, "unknown_coin")       \
    X(NO_POSITION, "no_position")        \
    X(CLIPPED, "clipped_to_cash")        \
    X(NO_DATA, "no_data")                \
    X(END, "end_of_window")              \
    X(REPLACED, "replaced")              \
    X(BAD_JSON, "bad_json")              \
    X(MISSING_FIELD, "missing_field")    \
    X(BAD_SIGNAL, "bad_signal")          \
    X(REFUSAL, "refusal")                \
    X(EMPTY, "empty_answer")             \
    X(TRUNCATED, "truncated")            \
    X(TIMEOUT, "timeout")                \
    X(HTTP, "http_error")                \
    X(BUDGET, "budget")                  \
    X(AGENT_ERROR, "agent_error")        \
    X(TOO_LONG, "too_long")              \
    X(BAD_FIELD, "bad_field")            \
    X(INTERRUPTED, "interrupted")
typedef enum {
#define AR__REASON_ENUM(n, s) AR_R_##n,
    AR_REASON_MAP(AR__REASON_ENUM)
#undef AR__REASON_ENUM
    AR_R_COUNT
} ar_reason;
const char *ar_reason_name(int r);

/* Logged records. Plain structs of fixed size so that the store can write
 * them as HDF5 compound datasets without conversion of meaning. */
typedef struct ar_order_rec {
    int64_t t_decision, t_active, t_done; /* t_done: fill/reject/cancel time, 0 pending */
    int32_t id, sym, type, status, reason, reduce_only;
    double qty, price, leverage, tp, sl;
    double filled_qty, fill_price;
} ar_order_rec;

typedef enum {
    AR_FK_MARKET = 0, AR_FK_LIMIT = 1, AR_FK_STOP = 2, AR_FK_TP = 3,
    AR_FK_SL = 4, AR_FK_LIQ = 5, AR_FK_CLOSE = 6
} ar_fill_kind;

typedef struct ar_fill_rec {
    int64_t t;
    int32_t order_id; /* -1 for TP/SL/liquidation */
    int32_t sym, kind, maker;
    double qty;       /* signed */
    double price;     /* after slippage */
    double ref_price; /* before slippage */
    double fee;       /* >= 0, paid */
    double realized_pnl; /* price PnL of the part that reduced a position, before fee */
} ar_fill_rec;

typedef struct ar_trade_rec { /* a round trip: flat -> position -> flat (or flip) */
    int64_t t_open, t_close;
    int32_t sym, side; /* +1 long, -1 short */
    double qty;        /* largest absolute size held */
    double entry, exit;/* volume-weighted prices */
    double pnl;        /* realised price PnL - fees - funding paid, over the trip */
    double fees, funding;
} ar_trade_rec;

typedef struct ar_funding_rec {
    int64_t t;
    int32_t sym, pad_;
    double rate, price, qty, amount; /* amount > 0: paid by the account */
} ar_funding_rec;

typedef struct ar_position {
    double qty;       /* signed, 0 = flat */
    double entry;     /* average entry price */
    double margin;    /* isolated margin (spot: cost basis) */
    double leverage;
    double tp, sl;    /* NAN = none */
    double liq;       /* liquidation price, NAN when none (spot, flat) */
    int64_t t_open;
} ar_position;

/* What an open position adds to ar_account_values at a good mark mk
 * (finite, > 0): to the equity and to the gross exposure, as the account
 * adds them (the engine values idle accounts with it, bit for bit). */
static inline void ar_position_terms(const ar_position *p, double mk, double *equity, double *gross) {
    *equity += p->margin + p->qty * (mk - p->entry);
    *gross += fabs(p->qty) * mk;
}

typedef struct ar_account ar_account;

/* Create an account trading market m (borrowed: must outlive the account)
 * with starting cash capital. seed feeds the slippage-noise stream. NULL on
 * ENOMEM or invalid config (eb says which field). */
ar_account *ar_account_create(const ar_exec_cfg *cfg, const ar_market *m, double capital,
                              uint64_t seed, ar_errbuf *eb);
void ar_account_free(ar_account *a); /* NULL: no-op */

/* The trailing volume and volatility sums the sqrt slippage model reads
 * (24 bytes per bar per symbol). Without a cache every account builds them
 * for itself up to the bars it fills in; accounts trading the same market
 * can share one cache instead, built once over every bar of m and only read
 * afterwards (threads may share it). Fills are the same either way, bit for
 * bit. m must outlive the cache, and the cache its accounts. NULL on ENOMEM
 * (eb says so). */
typedef struct ar_slip_cache ar_slip_cache;
ar_slip_cache *ar_slip_cache_create(const ar_market *m, ar_errbuf *eb);
void ar_slip_cache_free(ar_slip_cache *c); /* NULL: no-op */
/* Read the sqrt model's sums from c (NULL: the account's own again). Takes
 * effect for the symbols whose tables in c cover the account's market as it
 * is now (c built from that very market); the others keep their own. */
void ar_account_use_slip_cache(ar_account *a, const ar_slip_cache *c);

/* Process bar i of symbol sym: funding instants up to the bar's open,
 * pending orders active by its open, then TP/SL/limit/stop/liquidation
 * along the bar's path. Must be called in time order. */
void ar_account_on_bar(ar_account *a, int32_t sym, size_t i);

/* Process bars [from, to) of symbol sym: the same as ar_account_on_bar for
 * each of them in order, cheaper per bar. When nothing of the account's can
 * act on sym's bars (no order pending on sym; flat there, or a position with
 * no liquidation price, take-profit or stop-loss and no funding to settle)
 * they change only its record of the last bar seen, and the call costs O(1)
 * plus the bad rows at the end of the range. */
void ar_account_on_bars(ar_account *a, int32_t sym, size_t from, size_t to);

/* Submit an order decided at t, valued at the decision-time marks (the last
 * visible close per symbol, NAN when none). Validates at once (quantity,
 * leverage, spot shorts, margin against free cash): a rejected order is
 * logged with its reason and *rec says so. Returns the order id in rec->id. */
ar_err ar_account_submit(ar_account *a, int64_t t, const ar_order_req *req,
                         const double *marks, ar_order_rec *rec);

/* The same, but the order becomes active no earlier than `after` (live
 * runs: the feed time at which the answer arrived, so that it only fills
 * against trades that came after it). */
ar_err ar_account_submit_after(ar_account *a, int64_t t, int64_t after, const ar_order_req *req,
                               const double *marks, ar_order_rec *rec);

/* Cancel every pending order of sym (all symbols when sym < 0). */
void ar_account_cancel(ar_account *a, int64_t t, int32_t sym);

/* Set or clear (NAN) the take-profit / stop-loss of an open position. */
ar_err ar_account_set_exit(ar_account *a, int32_t sym, double tp, double sl);

/* Equity at the marks: cash + sum over positions of margin + unrealised PnL. */
double ar_account_equity(const ar_account *a, const double *marks);
double ar_account_cash(const ar_account *a);
/* Sum of |qty| x mark over positions. */
double ar_account_gross_exposure(const ar_account *a, const double *marks);
const ar_position *ar_account_position(const ar_account *a, int32_t sym);
size_t ar_account_npending(const ar_account *a);
/* Orders pending on sym alone. */
size_t ar_account_npending_sym(const ar_account *a, int32_t sym);
/* Cash less what pending orders have reserved (their margin and fee at
 * submit): what a new order can still be sized with. */
double ar_account_free_cash(const ar_account *a);

/* Equity, cash and gross exposure at the marks in one pass: the values of
 * ar_account_equity, ar_account_cash and ar_account_gross_exposure, bit for
 * bit. Returns 1 when the account is flat on every symbol with no order
 * pending (feeding it bars then changes none of its cash, positions, orders
 * or logs), else 0. */
int ar_account_values(const ar_account *a, const double *marks, double *equity, double *cash,
                      double *gross_exposure);

/* 1 when bars can change nothing of the account but its record of the
 * last bar seen per symbol: no order pending, and every open position has
 * no liquidation price, no exits and no funding to pay (spot, or perp with
 * neither a funding series nor an interval). Stays so until an order is
 * submitted; ar_account_on_bars over the bars missed meanwhile then leaves
 * the account as feeding them one by one would have (O(1) per symbol).
 * Its values at good marks (finite, > 0) do not depend on bars fed. */
int ar_account_inert(const ar_account *a);

/* At the end t of a run, before its final mark: the funding instants after
 * the last bar's open and before t (no bar of the run opens at or after
 * them, so none settles them) are settled on the positions held, at
 * marks[s], the price at t. Perp only; call once. */
void ar_account_settle_funding(ar_account *a, int64_t t, const double *marks);

/* Mark every still-pending order expired at t (end of window). */
void ar_account_finish(ar_account *a, int64_t t);

/* Live resume: set cash, totals and positions (nsym entries: qty, entry,
 * margin, leverage, tp, sl, t_open; liq is recomputed) of a fresh account
 * (AR_ESTATE when it has orders or fills). A restored open position starts
 * a new round trip at its entry. */
ar_err ar_account_restore(ar_account *a, double cash, double fees_paid, double funding_paid,
                          const ar_position *pos);
/* Apply a fill already logged elsewhere (a run file) to the position and
 * cash, as the original fill did, without logging it again. leverage is
 * that of the order for an opening part (1 when unknown). */
ar_err ar_account_replay_fill(ar_account *a, const ar_fill_rec *f, double leverage);

/* An agent's record logs, numbered as its datasets in a run file (equity,
 * 4, is not a log; decisions are the engine's, not an account's). */
typedef enum {
    AR_LOG_ORDERS = 0, AR_LOG_FILLS = 1, AR_LOG_TRADES = 2, AR_LOG_FUNDING = 3, AR_LOG_DECISIONS = 5
} ar_log;
#define AR_LOG_SLOTS 6 /* arrays indexed by ar_log */

/* Where ar_account_drain_logs sends records: n of size bytes of log `log`.
 * A non-zero return keeps them in the account. */
typedef ar_err (*ar_log_sink)(void *ctx, ar_log log, const void *recs, size_t n, size_t size);

/* Hand settled records to sink and drop them from memory: of each log
 * holding at least min_rows settled ones, every fill, round trip and
 * funding record, and the orders before the first one still pending. Order
 * ids keep counting from where they were, so fills still name their order
 * by its place in the whole log. The getters below then return only the
 * records logged since (ar_account_orders from id ar_account_orders_out).
 * Returns the first error of sink (that log keeps its records). */
ar_err ar_account_drain_logs(ar_account *a, size_t min_rows, ar_log_sink sink, void *ctx);
size_t ar_account_orders_out(const ar_account *a); /* orders drained so far */

/* Logs, valid until the account is freed. */
const ar_order_rec *ar_account_orders(const ar_account *a, size_t *n);
const ar_fill_rec *ar_account_fills(const ar_account *a, size_t *n);
const ar_trade_rec *ar_account_trades(const ar_account *a, size_t *n);
const ar_funding_rec *ar_account_funding(const ar_account *a, size_t *n);
double ar_account_fees_paid(const ar_account *a);
double ar_account_funding_paid(const ar_account *a);

/* The four logs, moved out of an account (ar_account_take_logs). */
typedef struct ar_account_logs {
    ar_order_rec *orders;
    ar_fill_rec *fills;
    ar_trade_rec *trades;
    ar_funding_rec *funding;
    size_t norders, nfills, ntrades, nfunding;
} ar_account_logs;

/* Hand the logs over instead of copying them: each array is sized to its
 * records (NULL when empty) and belongs to the caller (free()); the
 * account's logs are left empty. Only with no order pending (AR_ESTATE
 * otherwise: pending orders live in the order log), e.g. after
 * ar_account_finish. */
ar_err ar_account_take_logs(ar_account *a, ar_account_logs *out);

#endif
