/* include/arena/feed.h - live exchange feeds: message parsers, the websocket
 * client with reconnects, and the replay server behind `arena feed`.
 *
 * Three layers, each usable alone:
 *  - the parser turns one text message of an exchange (Binance spot,
 *    Hyperliquid, Coinbase Advanced Trade; docs/LIVE.md) into normalized
 *    events. It does no I/O and keeps only the little state validation needs
 *    (last trade time per symbol, Coinbase books, sequence numbers, recent
 *    trade ids, open Hyperliquid candles). Bad input is counted per reason in
 *    ar_feed_stats and skipped; nothing in a message can crash it.
 *  - the client (libwebsockets; TLS for wss) connects, subscribes, keeps the
 *    connection alive, reconnects with exponential backoff and resubscribes,
 *    and delivers events from ar_feed_client_poll in arrival order. A lost
 *    connection and a Coinbase sequence gap are delivered as AR_FEED_GAP.
 *  - the replay server plays a market file in an exchange's format on
 *    127.0.0.1 with one clock for all connections.
 *
 * Symbols are the arena's names ("BTC"); each exchange maps them (binance
 * BTCUSDT, hyperliquid BTC, coinbase BTC-USD). An event's sym is the index
 * of the symbol in the list given at creation.
 *
 * Threading: a parser, a client and a server each belong to one thread; no
 * global state except libwebsockets' log level. Only src/live includes
 * libwebsockets. */
#ifndef ARENA_FEED_H
#define ARENA_FEED_H

#include <stddef.h>
#include <stdint.h>
#include "arena/err.h"
#include "arena/market.h"

#define AR_FEED_MAX_FRAME ((size_t)1 << 20) /* larger messages are rejected */

typedef enum { AR_EX_BINANCE, AR_EX_HYPERLIQUID, AR_EX_COINBASE, AR_EX_COUNT } ar_exchange;

/* "binance" | "hyperliquid" | "coinbase" -> *out; AR_EINVAL otherwise. */
ar_err ar_exchange_parse(const char *name, ar_exchange *out);
const char *ar_exchange_name(ar_exchange ex);

/* The exchange's name for an arena symbol (BTC -> BTCUSDT, BTC, BTC-USD);
 * AR_ELIMIT when it does not fit n bytes. */
ar_err ar_exchange_symbol(ar_exchange ex, const char *sym, char *out, size_t n);

typedef enum {
    AR_FEED_TRADE,        /* price, qty, side (+1 aggressor bought, -1 sold, 0 unknown) */
    AR_FEED_BOOK_TOP,     /* bid, bid_qty, ask, ask_qty (never crossed) */
    AR_FEED_KLINE_CLOSED, /* kline: a finished bar */
    AR_FEED_ACK,          /* subscription acknowledged */
    AR_FEED_HEARTBEAT,    /* heartbeat or pong */
    AR_FEED_ERROR,        /* the exchange reported an error (seq holds its code when numeric) */
    AR_FEED_IGNORED,      /* a well-formed message of a kind we do not use */
    AR_FEED_GAP           /* data may be missing: see gap */
} ar_feed_kind;

typedef enum {
    AR_FEED_GAP_NONE,
    AR_FEED_GAP_RECONNECT, /* the connection was lost (t = last event time before it) */
    AR_FEED_GAP_SEQUENCE   /* Coinbase sequence_num jumped (seq = the new number) */
} ar_feed_gap;

typedef struct ar_feed_event {
    ar_feed_kind kind;
    int sym;   /* index into the creation symbols; -1 when the message has none */
    int64_t t; /* exchange event time, ns UTC; 0 when the message has none
                  (Binance bookTicker); the client then stamps the latest feed time */
    double price, qty;
    int side;
    double bid, bid_qty, ask, ask_qty;
    struct {
        int64_t t; /* bar open time, ns */
        double o, h, l, c, v;
    } kline;
    int64_t seq; /* exchange sequence / trade id when numeric, else 0 */
    ar_feed_gap gap;
} ar_feed_event;

/* Why a message (or part of one) was skipped. */
#define AR_FEED_REJECT_MAP(X)                                         \
    X(BAD_JSON, "bad_json")             /* not JSON / not an object */ \
    X(BAD_FIELD, "bad_field")           /* a needed field missing or invalid */ \
    X(UNKNOWN_SYMBOL, "unknown_symbol") \
    X(OUT_OF_ORDER, "out_of_order")     /* trade time < last trade time of the symbol */ \
    X(CROSSED_BOOK, "crossed_book")     /* best bid >= best ask */ \
    X(OVERSIZED, "oversized")           /* frame > AR_FEED_MAX_FRAME */ \
    X(DUPLICATE, "duplicate")           /* Coinbase trade_id already seen */ \
    X(SEQUENCE_GAP, "sequence_gap")     /* Coinbase sequence_num jumped (not skipped) */

typedef enum {
#define AR__FEED_REJ(name, text) AR_FEED_REJ_##name,
    AR_FEED_REJECT_MAP(AR__FEED_REJ)
#undef AR__FEED_REJ
    AR_FEED_REJ_COUNT
} ar_feed_reject;

const char *ar_feed_reject_name(ar_feed_reject r); /* "bad_json", ... */

typedef struct ar_feed_stats {
    uint64_t messages;                      /* messages handed to the parser */
    uint64_t events;                        /* events delivered */
    uint64_t rejected[AR_FEED_REJ_COUNT];   /* per reason */
    uint64_t connects, reconnects, timeouts, gaps; /* client only */
} ar_feed_stats;

/* ---- parser -------------------------------------------------------------- */
typedef struct ar_feed_parser ar_feed_parser;
typedef void (*ar_feed_cb)(const ar_feed_event *ev, void *user);

/* Parser for ex over the arena symbols syms[0..n) (copied). On AR_OK the
 * caller owns *out (ar_feed_parser_free); AR_EINVAL on an empty or too long
 * symbol, AR_ENOMEM. */
ar_err ar_feed_parser_create(ar_exchange ex, const char *const *syms, size_t n,
                             ar_feed_parser **out);
void ar_feed_parser_free(ar_feed_parser *p); /* NULL: no-op */

/* Parse one complete text message of len bytes (need not be NUL-terminated)
 * and call cb for each event it holds, in message order. Returns the number
 * of events delivered; rejects are counted in the parser's stats. */
size_t ar_feed_parse(ar_feed_parser *p, const char *msg, size_t len, ar_feed_cb cb, void *user);

/* Count one oversized frame (the client drops it before parsing). */
void ar_feed_parser_reject(ar_feed_parser *p, ar_feed_reject r);

/* Forget per-connection state (sequence numbers, Coinbase books, open
 * candles); trade order and trade ids are kept. Called on a reconnect. */
void ar_feed_parser_reset_connection(ar_feed_parser *p);

const ar_feed_stats *ar_feed_parser_stats(const ar_feed_parser *p);

/* ---- client -------------------------------------------------------------- */
enum { AR_FEED_CH_TRADES = 1, AR_FEED_CH_BOOK = 2 };

typedef struct ar_feed_config {
    ar_exchange exchange;
    const char *url;      /* NULL: the exchange's host; else "ws[s]://host[:port]" whose
                             scheme, host and port replace the exchange's (a path is ignored) */
    unsigned channels;    /* AR_FEED_CH_* ; 0 means trades */
    int idle_timeout_ms;  /* no message for this long -> reconnect; 0: 30000 */
    int backoff_min_ms;   /* first reconnect delay; 0: 250 */
    int backoff_max_ms;   /* cap of the doubling delay; 0: 30000 */
    int ping_interval_ms; /* Hyperliquid {"method":"ping"} period; 0: 50000 */
} ar_feed_config;

/* "trades" | "book" -> AR_FEED_CH_*; 0 when unknown. */
unsigned ar_feed_channel_parse(const char *name);

typedef struct ar_feed_client ar_feed_client;

/* Create a client and start connecting (nothing is received before the
 * first poll). cfg->url is copied. On AR_OK the caller owns *out; AR_ECONFIG
 * (eb says why) on a bad url; AR_EIO when libwebsockets cannot start. */
ar_err ar_feed_client_create(const ar_feed_config *cfg, const char *const *syms, size_t n,
                             ar_feed_client **out, ar_errbuf *eb);
void ar_feed_client_free(ar_feed_client *c); /* NULL: no-op; closes the connection */

/* Service the connection for up to timeout_ms (0: only what is ready) and
 * call cb for each event, in arrival order. cb must not call back into the
 * client. Returns the number of events delivered. Never fails: every
 * network problem becomes a reconnect. */
size_t ar_feed_client_poll(ar_feed_client *c, int timeout_ms, ar_feed_cb cb, void *user);

/* 1 while a websocket connection is established and subscribed. */
int ar_feed_client_connected(const ar_feed_client *c);
const ar_feed_stats *ar_feed_client_stats(const ar_feed_client *c);
/* The full URL of the current/next connection ("wss://host:port/path"). */
const char *ar_feed_client_url(const ar_feed_client *c);

/* ---- replay server (arena feed) ------------------------------------------ */

/* Faults the replay server can inject (fault_rate > 0; docs/LIVE.md
 * "Fault injection"). Each replayed trade message of a connection is, with
 * probability fault_rate, followed by one of: a copy cut in half (bad JSON),
 * the trade under a symbol the client does not know, the trade 1 ms older
 * than the one just sent (out of order), a crossed book top of the symbol,
 * a frame over AR_FEED_MAX_FRAME, a stall (the connection goes silent for
 * fault_stall_ms: longer than the client's idle timeout, it must reconnect)
 * or a dropped connection. Connection faults (stall, drop) are drawn a
 * quarter as often as each message fault. */
#define AR_FEED_FAULT_MAP(X)                \
    X(BAD_JSON, "bad_json")                 \
    X(UNKNOWN_SYMBOL, "unknown_symbol")     \
    X(OUT_OF_ORDER, "out_of_order")         \
    X(CROSSED_BOOK, "crossed_book")         \
    X(OVERSIZED, "oversized")               \
    X(STALL, "stall")                       \
    X(DROP, "drop")

typedef enum {
#define AR__FEED_FAULT(name, text) AR_FEED_FAULT_##name,
    AR_FEED_FAULT_MAP(AR__FEED_FAULT)
#undef AR__FEED_FAULT
    AR_FEED_FAULT_COUNT
} ar_feed_fault;

const char *ar_feed_fault_name(ar_feed_fault f); /* "bad_json", ...; "unknown" out of range */

typedef struct ar_feed_server_opts {
    ar_exchange exchange;
    int port;             /* 0: pick a free port */
    double speed;         /* clock speed, > 0 (1 = real time) */
    int64_t start;        /* clock start, ns; 0: the market's first event */
    double max_seconds;   /* stop after this many wall seconds; 0: no limit */
    double linger_seconds;/* after the data ends, keep serving this long; 0: 1 s */
    int ping_interval_ms; /* Binance-style websocket pings; 0: 20000 */
    void (*on_listen)(int port, void *user); /* called once when listening */
    void *user;
    double fault_rate;    /* 0..1: probability of a fault after each trade message; 0: none */
    uint64_t fault_seed;  /* the draws are ar_mix64(seed, connection number, message number) */
    int fault_stall_ms;   /* length of a stall; 0: 35000 (over the client's default idle timeout) */
    uint64_t *fault_counts; /* NULL, or AR_FEED_FAULT_COUNT counters: the faults injected, set on return */
} ar_feed_server_opts;

/* Serve m (bars: per bar trades at open, first extreme, second extreme,
 * close then a kline/candle; trades: the trades) on 127.0.0.1 until the data
 * is exhausted (plus linger) or max_seconds pass. Blocks. AR_EIO when it
 * cannot listen (eb says why); AR_EINVAL on bad options or an empty market. */
ar_err ar_feed_server_run(const ar_market *m, const ar_feed_server_opts *o, ar_errbuf *eb);

/* Format one replay message into buf (the server's formats; exposed for the
 * tests and the benchmark) for the arena symbol sym. kind is AR_FEED_TRADE
 * (id = trade id; Coinbase's sequence_num is ev->seq) or AR_FEED_KLINE_CLOSED
 * (ev->t = close time, ev->kline the bar, ev->seq != 0 marks Binance's x;
 * none for Coinbase). Returns the length, or 0 when it does not fit n. */
size_t ar_feed_format(ar_exchange ex, const char *sym, const ar_feed_event *ev, int64_t id,
                      char *buf, size_t n);

#endif
