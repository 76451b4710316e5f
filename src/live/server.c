/* src/live/server.c - the replay server behind `arena feed`: a market file
 * played on 127.0.0.1 in one exchange's websocket format.
 *
 * Like a real exchange it has one clock: clock = start + (wall - wall0) x
 * speed, started when the server listens. A timer tick (every 2 ms) emits
 * every event whose time has come to every connection subscribed to it, so
 * a connection - also a reconnecting one - sees the data from the current
 * clock point on, never from the beginning. Events come from one cursor per
 * symbol, merged by time: a symbol with trades plays its trades; one with
 * bars plays, per bar of interval I, trades at open (t0), the first extreme
 * (t0 + I/4), the second extreme (t0 + I/2) and the close (t0 + 3I/4), then
 * the closed kline/candle at t0 + I. The extremes follow a flat account's
 * adverse-first path of docs/ENGINE.md: low first when close >= open, else
 * high first. Each trade carries a quarter of the bar's volume.
 *
 * Each connection has its own queue of formatted frames (Coinbase sequence
 * numbers count per connection; Binance combined streams are wrapped per
 * connection); a writeable callback writes one frame. A connection that
 * falls more than QUEUE_MAX frames behind loses the newest ones (counted).
 * Subscriptions are the exchange's own messages (and, for Binance, stream
 * names in the path). One thread; the call blocks until the data is
 * exhausted (plus a linger) or max_seconds pass.
 *
 * Fault injection (fault_rate > 0, include/arena/feed.h): after each trade
 * message a connection is sent, a draw from ar_mix64(seed, connection
 * number, message number) decides whether a fault follows and which. The
 * fault frames go into the same queue, so they arrive right after the trade
 * they copy; a stall or a drop is a control entry of the queue, acted on
 * when the writer reaches it (a stalled connection writes nothing, pings
 * included, until the tick lifts the stall). Coinbase fault messages that the
 * parser reads past the envelope take a sequence number like any other, so
 * no fault shows as a sequence gap. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <libwebsockets.h>
#include "arena/dl.h"
#include "arena/feed.h"
#include "arena/util.h"
#include "live/live_int.h"

#define QUEUE_MAX 200000
#define RX_MAX 65536
#define TICK_US 2000

enum { FR_TEXT, FR_STALL, FR_DROP };

typedef struct frame {
    unsigned char *buf; /* LWS_PRE bytes of headroom, then the text; NULL for a control entry */
    size_t len;
    int kind; /* FR_* */
} frame;

typedef struct srv srv;

typedef struct conn {
    struct conn *next;
    struct lws *wsi;
    srv *s;
    uint8_t *sub_trade, *sub_kline, *sub_book;
    int wrap, heartbeats, ping_due;
    int64_t seq;
    frame *q;
    size_t qhead, qn, qcap;
    uint64_t dropped;
    char *rx;
    size_t rxlen;
    int rxdrop;
    uint64_t no, nmsg;   /* connection number; trade messages sent to it (fault draws) */
    int64_t stall_until; /* mono ns; 0: not stalled */
} conn;

typedef struct cursor {
    const ar_symbol *sym;
    int use_trades;
    int64_t interval;
    size_t i; /* bar or trade index */
    int k;    /* step within a bar: 0..4 */
    int64_t t;
    int done;
} cursor;

struct srv {
    const ar_market *m;
    ar_feed_server_opts o;
    struct lws_context *ctx;
    cursor *cur;
    conn *conns;
    int64_t clock0, wall0, exhausted_wall, hb_wall, ping_wall;
    int exhausted, done;
    int64_t hb_counter;
    uint64_t nconn, fault_id;
    uint64_t faults[AR_FEED_FAULT_COUNT];
    lws_sorted_usec_list_t sul_tick;
};

static const char *const fault_names[] = {
#define AR__FEED_FAULT_NAME(name, text) text,
    AR_FEED_FAULT_MAP(AR__FEED_FAULT_NAME)
#undef AR__FEED_FAULT_NAME
};

const char *ar_feed_fault_name(ar_feed_fault f) {
    return (unsigned)f < AR_FEED_FAULT_COUNT ? fault_names[f] : "unknown";
}

/* ---- the event source ----------------------------------------------------- */

static int bar_ok(const ar_bars *b, size_t i) {
    double o = b->row[i].open, h = b->row[i].high, l = b->row[i].low, c = b->row[i].close;
    return isfinite(o) && isfinite(h) && isfinite(l) && isfinite(c) && o > 0 && h > 0 && l > 0 && c > 0;
}

/* Set cu->t to the time of the cursor's current event (or done). */
static void cursor_settle(cursor *cu) {
    if (cu->use_trades) {
        const ar_trades *tr = &cu->sym->trades;
        while (cu->i < tr->n && !(tr->price[cu->i] > 0 && isfinite(tr->price[cu->i]))) cu->i++;
        if (cu->i >= tr->n) cu->done = 1;
        else cu->t = tr->t[cu->i];
        return;
    }
    const ar_bars *b = &cu->sym->bars;
    while (cu->i < b->n && !bar_ok(b, cu->i)) {
        cu->i++;
        cu->k = 0;
    }
    if (cu->i >= b->n) {
        cu->done = 1;
        return;
    }
    cu->t = b->row[cu->i].t + (cu->k == 4 ? cu->interval : cu->k * (cu->interval / 4));
}

static void cursor_next(cursor *cu) {
    if (cu->use_trades) {
        cu->i++;
    } else if (++cu->k > 4) {
        cu->k = 0;
        cu->i++;
    }
    cursor_settle(cu);
}

/* Bar i's path prices: open, first extreme, second extreme, close. */
static double bar_price(const ar_bars *b, size_t i, int k) {
    double o = b->row[i].open, c = b->row[i].close;
    double h = fmax(b->row[i].high, fmax(o, c)), l = fmin(b->row[i].low, fmin(o, c));
    int low_first = c >= o;
    switch (k) {
    case 0: return o;
    case 1: return low_first ? l : h;
    case 2: return low_first ? h : l;
    default: return c;
    }
}

/* ---- per-connection queues ------------------------------------------------ */

/* Append an entry to c's queue (text NULL: a control entry of kind). */
static void push_entry(conn *c, const char *text, size_t len, int kind) {
    if (c->qn >= QUEUE_MAX) {
        c->dropped++;
        return;
    }
    if (c->qn == c->qcap) {
        size_t cap = c->qcap ? c->qcap * 2 : 256;
        frame *q = malloc(cap * sizeof *q);
        if (q == NULL) {
            c->dropped++;
            return;
        }
        for (size_t j = 0; j < c->qn; j++) q[j] = c->q[(c->qhead + j) % c->qcap];
        free(c->q);
        c->q = q;
        c->qcap = cap;
        c->qhead = 0;
    }
    unsigned char *buf = NULL;
    if (text != NULL) {
        if ((buf = malloc(LWS_PRE + len)) == NULL) {
            c->dropped++;
            return;
        }
        memcpy(buf + LWS_PRE, text, len);
    }
    c->q[(c->qhead + c->qn) % c->qcap] = (frame){buf, len, text != NULL ? FR_TEXT : kind};
    c->qn++;
    lws_callback_on_writable(c->wsi);
}

static void push_frame(conn *c, const char *text, size_t len) {
    push_entry(c, text, len, FR_TEXT);
}

static void push_str(conn *c, const char *text) {
    push_frame(c, text, strlen(text));
}

static void conn_free(conn *c) {
    for (size_t j = 0; j < c->qn; j++) free(c->q[(c->qhead + j) % c->qcap].buf);
    free(c->q);
    free(c->sub_trade);
    free(c->sub_kline);
    free(c->sub_book);
    free(c->rx);
    free(c);
}

/* Binance stream name ("btcusdt@trade") of symbol si and a channel. */
static void stream_name(const srv *s, size_t si, const char *chan, char *out, size_t n) {
    char xs[AR_SYM_MAX + 8];
    ar_exchange_symbol(AR_EX_BINANCE, s->m->sym[si].name, xs, sizeof xs);
    for (char *q = xs; *q; q++)
        if (*q >= 'A' && *q <= 'Z') *q = (char)(*q - 'A' + 'a');
    snprintf(out, n, "%s@%s", xs, chan);
}

/* Format ev of symbol si under the name sym (NULL: the symbol's own) as
 * connection c gets it (Coinbase: the next sequence number; Binance combined
 * streams: wrapped) into out[1200]. Returns the length, 0 when it does not
 * fit. */
static size_t format_for(srv *s, conn *c, size_t si, const char *sym, ar_feed_event *ev, int64_t id,
                         char *out) {
    char body[1024];
    if (s->o.exchange == AR_EX_COINBASE) ev->seq = c->seq++;
    size_t n = ar_feed_format(s->o.exchange, sym ? sym : s->m->sym[si].name, ev, id, body, sizeof body);
    if (n == 0) return 0;
    if (s->o.exchange == AR_EX_BINANCE && c->wrap) {
        char st[AR_SYM_MAX + 32];
        stream_name(s, si, ev->kind == AR_FEED_TRADE ? "trade" : "kline_1m", st, sizeof st);
        int w = snprintf(out, 1200, "{\"stream\":\"%s\",\"data\":%s}", st, body);
        return w > 0 && w < 1200 ? (size_t)w : 0;
    }
    memcpy(out, body, n);
    return n;
}

static void send_event(srv *s, conn *c, size_t si, ar_feed_event *ev, int64_t id) {
    char out[1200];
    size_t n = format_for(s, c, si, NULL, ev, id, out);
    if (n > 0) push_frame(c, out, n);
}

/* ---- fault injection ------------------------------------------------------ */

/* A crossed book top of symbol si: the bid at the trade price ev->price, the ask 0.1% below. */
static void push_crossed(srv *s, conn *c, size_t si, const ar_feed_event *ev) {
    char xs[AR_SYM_MAX + 8], bid[32], ask[32], m[1200];
    ar_exchange ex = s->o.exchange;
    ar_exchange_symbol(ex, s->m->sym[si].name, xs, sizeof xs);
    ar__fmt_num(ev->price, bid);
    ar__fmt_num(ev->price * 0.999, ask);
    int w;
    if (ex == AR_EX_BINANCE) {
        char top[600], st[AR_SYM_MAX + 32];
        snprintf(top, sizeof top, "{\"u\":%llu,\"s\":\"%s\",\"b\":\"%s\",\"B\":\"1\",\"a\":\"%s\",\"A\":\"1\"}",
                 (unsigned long long)s->fault_id, xs, bid, ask);
        stream_name(s, si, "bookTicker", st, sizeof st);
        w = c->wrap ? snprintf(m, sizeof m, "{\"stream\":\"%s\",\"data\":%s}", st, top)
                    : snprintf(m, sizeof m, "%s", top);
    } else if (ex == AR_EX_HYPERLIQUID) {
        w = snprintf(m, sizeof m,
                     "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"%s\",\"time\":%lld,\"levels\":"
                     "[[{\"px\":\"%s\",\"sz\":\"1\",\"n\":1}],[{\"px\":\"%s\",\"sz\":\"1\",\"n\":1}]]}}",
                     xs, (long long)(ev->t / AR_NS_PER_MS), bid, ask);
    } else {
        char iso[48];
        ar__fmt_iso(ev->t, iso);
        w = snprintf(m, sizeof m,
                     "{\"channel\":\"l2_data\",\"client_id\":\"\",\"timestamp\":\"%s\",\"sequence_num\":%lld,"
                     "\"events\":[{\"type\":\"snapshot\",\"product_id\":\"%s\",\"updates\":["
                     "{\"side\":\"bid\",\"price_level\":\"%s\",\"new_quantity\":\"1\"},"
                     "{\"side\":\"offer\",\"price_level\":\"%s\",\"new_quantity\":\"1\"}]}]}",
                     iso, (long long)c->seq++, xs, bid, ask);
    }
    if (w > 0 && (size_t)w < sizeof m) push_frame(c, m, (size_t)w);
}

/* After trade ev (id) of symbol si went to c: maybe a fault (fault_rate). */
static void maybe_fault(srv *s, conn *c, size_t si, const ar_feed_event *ev, int64_t id) {
    if (!(s->o.fault_rate > 0)) return;
    uint64_t h = ar_mix64(s->o.fault_seed ^ ar_mix64((c->no << 40) ^ c->nmsg++));
    if ((double)(h >> 11) * 0x1p-53 >= s->o.fault_rate) return;
    /* weights: 4 for each message fault, 1 for stall and drop */
    static const ar_feed_fault pick[22] = {
        AR_FEED_FAULT_BAD_JSON,     AR_FEED_FAULT_BAD_JSON,       AR_FEED_FAULT_BAD_JSON,
        AR_FEED_FAULT_BAD_JSON,     AR_FEED_FAULT_UNKNOWN_SYMBOL, AR_FEED_FAULT_UNKNOWN_SYMBOL,
        AR_FEED_FAULT_UNKNOWN_SYMBOL, AR_FEED_FAULT_UNKNOWN_SYMBOL, AR_FEED_FAULT_OUT_OF_ORDER,
        AR_FEED_FAULT_OUT_OF_ORDER, AR_FEED_FAULT_OUT_OF_ORDER,   AR_FEED_FAULT_OUT_OF_ORDER,
        AR_FEED_FAULT_CROSSED_BOOK, AR_FEED_FAULT_CROSSED_BOOK,   AR_FEED_FAULT_CROSSED_BOOK,
        AR_FEED_FAULT_CROSSED_BOOK, AR_FEED_FAULT_OVERSIZED,      AR_FEED_FAULT_OVERSIZED,
        AR_FEED_FAULT_OVERSIZED,    AR_FEED_FAULT_OVERSIZED,      AR_FEED_FAULT_STALL,
        AR_FEED_FAULT_DROP,
    };
    ar_feed_fault f = pick[ar_mix64(h) % 22];
    char m[1200];
    ar_feed_event e = *ev;
    size_t n;
    s->fault_id++;
    switch (f) {
    case AR_FEED_FAULT_BAD_JSON: {
        /* the trade again, cut in half: rejected before its sequence number is read */
        int64_t seq = c->seq;
        n = format_for(s, c, si, NULL, &e, id, m);
        c->seq = seq;
        if (n > 1) push_frame(c, m, n / 2);
        break;
    }
    case AR_FEED_FAULT_UNKNOWN_SYMBOL:
        n = format_for(s, c, si, "NOSUCHCOIN", &e, id, m);
        if (n > 0) push_frame(c, m, n);
        break;
    case AR_FEED_FAULT_OUT_OF_ORDER:
        /* 1 ms before the trade just sent, under a trade id of its own (not a duplicate) */
        e.t -= AR_NS_PER_MS;
        n = format_for(s, c, si, NULL, &e, INT64_C(1000000000000000) + (int64_t)s->fault_id, m);
        if (n > 0) push_frame(c, m, n);
        break;
    case AR_FEED_FAULT_CROSSED_BOOK:
        push_crossed(s, c, si, ev);
        break;
    case AR_FEED_FAULT_OVERSIZED: {
        size_t len = AR_FEED_MAX_FRAME + 64;
        char *big = malloc(len);
        if (big == NULL) return;
        memset(big, 'x', len);
        memcpy(big, "{\"pad\":\"", 8);
        memcpy(big + len - 2, "\"}", 2);
        push_frame(c, big, len);
        free(big);
        break;
    }
    case AR_FEED_FAULT_STALL: push_entry(c, NULL, 0, FR_STALL); break;
    default: push_entry(c, NULL, 0, FR_DROP); break;
    }
    s->faults[f]++;
}

/* The trade id of the n-th trade (from 1) of symbol si. Coinbase's parser
 * drops a trade_id it has seen, whatever the product, so there the ids of
 * all symbols are interleaved into one sequence; elsewhere they count per
 * symbol as on the exchange. */
static int64_t trade_id(const srv *s, size_t si, int64_t n) {
    return s->o.exchange == AR_EX_COINBASE ? n * (int64_t)s->m->nsym + (int64_t)si : n;
}

/* Emit the cursor's current event to every subscribed connection. */
static void emit_current(srv *s, size_t si) {
    cursor *cu = &s->cur[si];
    ar_feed_event ev = {0};
    ev.sym = (int)si;
    ev.t = cu->t;
    if (cu->use_trades) {
        const ar_trades *tr = &cu->sym->trades;
        ev.kind = AR_FEED_TRADE;
        ev.price = tr->price[cu->i];
        ev.qty = tr->qty[cu->i];
        ev.side = tr->side[cu->i] < 0 ? -1 : 1;
        for (conn *c = s->conns; c; c = c->next)
            if (c->sub_trade[si]) {
                send_event(s, c, si, &ev, trade_id(s, si, (int64_t)cu->i + 1));
                maybe_fault(s, c, si, &ev, trade_id(s, si, (int64_t)cu->i + 1));
            }
        return;
    }
    const ar_bars *b = &cu->sym->bars;
    size_t i = cu->i;
    if (cu->k < 4) {
        ev.kind = AR_FEED_TRADE;
        ev.price = bar_price(b, i, cu->k);
        double prev = cu->k > 0 ? bar_price(b, i, cu->k - 1) : (i > 0 ? b->row[i - 1].close : ev.price);
        ev.side = ev.price >= prev ? 1 : -1;
        ev.qty = isfinite(b->row[i].volume) && b->row[i].volume > 0 ? b->row[i].volume / 4 : 0;
        for (conn *c = s->conns; c; c = c->next)
            if (c->sub_trade[si]) {
                send_event(s, c, si, &ev, trade_id(s, si, (int64_t)i * 4 + cu->k + 1));
                maybe_fault(s, c, si, &ev, trade_id(s, si, (int64_t)i * 4 + cu->k + 1));
            }
        return;
    }
    if (s->o.exchange == AR_EX_COINBASE) return; /* no kline channel in this feed */
    ev.kind = AR_FEED_KLINE_CLOSED;
    ev.seq = 1; /* closed */
    ev.kline.t = b->row[i].t;
    ev.kline.o = b->row[i].open;
    ev.kline.h = fmax(b->row[i].high, fmax(b->row[i].open, b->row[i].close));
    ev.kline.l = fmin(b->row[i].low, fmin(b->row[i].open, b->row[i].close));
    ev.kline.c = b->row[i].close;
    ev.kline.v = isfinite(b->row[i].volume) ? b->row[i].volume : 0;
    ar_feed_event nx = ev;
    int have_next = s->o.exchange == AR_EX_HYPERLIQUID && i + 1 < b->n;
    if (have_next) {
        /* Hyperliquid closes a candle when one with another open time
         * arrives: open the next candle at once. */
        nx.t = b->row[i + 1].t + cu->interval;
        nx.kline.t = b->row[i + 1].t;
        nx.kline.o = nx.kline.h = nx.kline.l = nx.kline.c = b->row[i + 1].open;
        nx.kline.v = 0;
    }
    for (conn *c = s->conns; c; c = c->next) {
        if (!c->sub_kline[si]) continue;
        send_event(s, c, si, &ev, 4);
        if (have_next) send_event(s, c, si, &nx, 0);
    }
}

static void heartbeat(srv *s, int64_t clock) {
    char iso[48], m[512];
    ar__fmt_iso(clock, iso);
    s->hb_counter++;
    for (conn *c = s->conns; c; c = c->next) {
        if (!c->heartbeats) continue;
        snprintf(m, sizeof m,
                 "{\"channel\":\"heartbeats\",\"client_id\":\"\",\"timestamp\":\"%s\",\"sequence_num\":%lld,"
                 "\"events\":[{\"current_time\":\"%s\",\"heartbeat_counter\":%lld}]}",
                 iso, (long long)c->seq++, iso, (long long)s->hb_counter);
        push_str(c, m);
    }
}

static void tick(lws_sorted_usec_list_t *sul) {
    srv *s = lws_container_of(sul, srv, sul_tick);
    int64_t wall = ar__mono_ns();
    int64_t clock = s->clock0 + (int64_t)((double)(wall - s->wall0) * s->o.speed);
    size_t ns = s->m->nsym;
    for (;;) {
        size_t best = ns;
        for (size_t j = 0; j < ns; j++)
            if (!s->cur[j].done && (best == ns || s->cur[j].t < s->cur[best].t)) best = j;
        if (best == ns) {
            if (!s->exhausted) {
                s->exhausted = 1;
                s->exhausted_wall = wall;
            }
            break;
        }
        if (s->cur[best].t > clock) break;
        emit_current(s, best);
        cursor_next(&s->cur[best]);
    }
    if (s->o.exchange == AR_EX_COINBASE && wall - s->hb_wall >= AR_NS_PER_S) {
        s->hb_wall = wall;
        heartbeat(s, clock);
    }
    if (s->o.exchange == AR_EX_BINANCE && wall - s->ping_wall >= (int64_t)s->o.ping_interval_ms * AR_NS_PER_MS) {
        s->ping_wall = wall;
        for (conn *c = s->conns; c; c = c->next) {
            c->ping_due = 1;
            lws_callback_on_writable(c->wsi);
        }
    }
    for (conn *c = s->conns; c; c = c->next)
        if (c->stall_until != 0 && wall >= c->stall_until) {
            c->stall_until = 0;
            if (c->qn || c->ping_due) lws_callback_on_writable(c->wsi);
        }
    double up = (double)(wall - s->wall0) / 1e9;
    int drained = 1;
    for (conn *c = s->conns; c; c = c->next)
        if (c->qn) drained = 0;
    if ((s->exhausted && drained && (double)(wall - s->exhausted_wall) / 1e9 >= s->o.linger_seconds) ||
        (s->o.max_seconds > 0 && up >= s->o.max_seconds)) {
        s->done = 1;
        lws_cancel_service(s->ctx);
        return;
    }
    lws_sul_schedule(s->ctx, 0, &s->sul_tick, tick, TICK_US);
}

/* ---- subscriptions -------------------------------------------------------- */

static int sym_index(const srv *s, ar_exchange ex, const char *xname, int lower) {
    char xs[AR_SYM_MAX + 8];
    for (size_t i = 0; i < s->m->nsym; i++) {
        ar_exchange_symbol(ex, s->m->sym[i].name, xs, sizeof xs);
        if (lower)
            for (char *q = xs; *q; q++)
                if (*q >= 'A' && *q <= 'Z') *q = (char)(*q - 'A' + 'a');
        if (!strcmp(xs, xname)) return (int)i;
    }
    return -1;
}

/* "btcusdt@trade" -> subscription flags of conn c (on = 1 subscribe). */
static void binance_stream(conn *c, const char *name, int on) {
    const char *at = strchr(name, '@');
    if (at == NULL || (size_t)(at - name) > AR_SYM_MAX + 6) return;
    char xs[AR_SYM_MAX + 8];
    memcpy(xs, name, (size_t)(at - name));
    xs[at - name] = '\0';
    int si = sym_index(c->s, AR_EX_BINANCE, xs, 1);
    if (si < 0) return;
    const char *ch = at + 1;
    if (!strcmp(ch, "trade") || !strcmp(ch, "aggTrade")) c->sub_trade[si] = (uint8_t)on;
    else if (!strncmp(ch, "kline_", 6)) c->sub_kline[si] = (uint8_t)on;
    else if (!strcmp(ch, "bookTicker")) c->sub_book[si] = (uint8_t)on;
}

static void on_request(conn *c, const char *msg, size_t len) {
    srv *s = c->s;
    json_t *root = json_loadb(msg, len, 0, NULL);
    char out[1024];
    if (!json_is_object(root)) {
        if (s->o.exchange == AR_EX_BINANCE)
            push_str(c, "{\"error\":{\"code\":3,\"msg\":\"Invalid JSON\"},\"id\":null}");
        json_decref(root);
        return;
    }
    if (s->o.exchange == AR_EX_BINANCE) {
        const char *method = json_string_value(json_object_get(root, "method"));
        json_t *params = json_object_get(root, "params");
        long long id = (long long)json_integer_value(json_object_get(root, "id"));
        int on = method && !strcmp(method, "SUBSCRIBE"), off = method && !strcmp(method, "UNSUBSCRIBE");
        if ((on || off) && json_is_array(params)) {
            size_t i;
            json_t *p;
            json_array_foreach(params, i, p) if (json_is_string(p)) binance_stream(c, json_string_value(p), on);
            snprintf(out, sizeof out, "{\"result\":null,\"id\":%lld}", id);
        } else {
            snprintf(out, sizeof out, "{\"error\":{\"code\":2,\"msg\":\"Invalid request\"},\"id\":%lld}", id);
        }
        push_str(c, out);
    } else if (s->o.exchange == AR_EX_HYPERLIQUID) {
        const char *method = json_string_value(json_object_get(root, "method"));
        json_t *sub = json_object_get(root, "subscription");
        if (method && !strcmp(method, "ping")) {
            push_str(c, "{\"channel\":\"pong\"}");
        } else if (method && (!strcmp(method, "subscribe") || !strcmp(method, "unsubscribe")) &&
                   json_is_object(sub)) {
            int on = !strcmp(method, "subscribe");
            const char *type = json_string_value(json_object_get(sub, "type"));
            const char *coin = json_string_value(json_object_get(sub, "coin"));
            int si = coin ? sym_index(s, AR_EX_HYPERLIQUID, coin, 0) : -1;
            if (si >= 0 && type) {
                if (!strcmp(type, "trades")) c->sub_trade[si] = (uint8_t)on;
                else if (!strcmp(type, "candle")) c->sub_kline[si] = (uint8_t)on;
                else if (!strcmp(type, "l2Book")) c->sub_book[si] = (uint8_t)on;
            }
            char *echo = json_dumps(sub, JSON_COMPACT);
            snprintf(out, sizeof out,
                     "{\"channel\":\"subscriptionResponse\",\"data\":{\"method\":\"%s\",\"subscription\":%s}}",
                     method, echo ? echo : "{}");
            free(echo);
            push_str(c, out);
        } else {
            push_str(c, "{\"channel\":\"error\",\"data\":\"Invalid request\"}");
        }
    } else {
        const char *type = json_string_value(json_object_get(root, "type"));
        const char *ch = json_string_value(json_object_get(root, "channel"));
        json_t *ids = json_object_get(root, "product_ids");
        if (type && ch && (!strcmp(type, "subscribe") || !strcmp(type, "unsubscribe"))) {
            int on = !strcmp(type, "subscribe");
            if (!strcmp(ch, "heartbeats")) c->heartbeats = on;
            size_t i;
            json_t *p;
            json_array_foreach(ids, i, p) {
                int si = json_is_string(p) ? sym_index(s, AR_EX_COINBASE, json_string_value(p), 0) : -1;
                if (si < 0) continue;
                if (!strcmp(ch, "market_trades")) c->sub_trade[si] = (uint8_t)on;
                else if (!strcmp(ch, "level2")) c->sub_book[si] = (uint8_t)on;
            }
            char iso[48];
            ar__fmt_iso(s->clock0 + (int64_t)((double)(ar__mono_ns() - s->wall0) * s->o.speed), iso);
            snprintf(out, sizeof out,
                     "{\"channel\":\"subscriptions\",\"client_id\":\"\",\"timestamp\":\"%s\","
                     "\"sequence_num\":%lld,\"events\":[{\"subscriptions\":{}}]}",
                     iso, (long long)c->seq++);
            push_str(c, out);
        } else {
            push_str(c, "{\"type\":\"error\",\"message\":\"invalid request\"}");
        }
    }
    json_decref(root);
}

/* Binance: streams named in the path (/ws/a@trade/b@kline_1m or
 * /stream?streams=a@trade/b@trade; the latter also wraps messages). */
static void path_streams(conn *c, struct lws *wsi) {
    char uri[2048], arg[2048];
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0) return;
    const char *list = NULL;
    if (!strncmp(uri, "/ws/", 4)) {
        list = uri + 4;
    } else if (!strncmp(uri, "/stream", 7)) {
        c->wrap = 1;
        if (lws_get_urlarg_by_name(wsi, "streams=", arg, (int)sizeof arg) != NULL) {
            const char *eq = strchr(arg, '=');
            list = eq ? eq + 1 : arg;
        }
    }
    if (list == NULL) return;
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save))
        binance_stream(c, tok, 1);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    struct lws_context *ctx = lws_get_context(wsi);
    srv *s = ctx ? lws_context_user(ctx) : NULL;
    conn **pc = user;
    if (s == NULL) return 0;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED: {
        size_t ns = s->m->nsym;
        conn *c = calloc(1, sizeof *c);
        if (c == NULL) return -1;
        c->wsi = wsi;
        c->s = s;
        c->seq = 0;
        c->no = s->nconn++;
        c->sub_trade = calloc(ns, 1);
        c->sub_kline = calloc(ns, 1);
        c->sub_book = calloc(ns, 1);
        if (!c->sub_trade || !c->sub_kline || !c->sub_book) {
            conn_free(c);
            return -1;
        }
        *pc = c;
        c->next = s->conns;
        s->conns = c;
        if (s->o.exchange == AR_EX_BINANCE) path_streams(c, wsi);
        break;
    }
    case LWS_CALLBACK_RECEIVE: {
        conn *c = *pc;
        if (c == NULL) return -1;
        if (!c->rxdrop && c->rxlen + len <= RX_MAX) {
            if (c->rx == NULL && (c->rx = malloc(RX_MAX)) == NULL) return -1;
            memcpy(c->rx + c->rxlen, in, len);
            c->rxlen += len;
        } else {
            c->rxdrop = 1;
        }
        if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
            if (!c->rxdrop) on_request(c, c->rx, c->rxlen);
            c->rxlen = 0;
            c->rxdrop = 0;
        }
        break;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: {
        conn *c = *pc;
        if (c == NULL) return 0;
        if (c->stall_until != 0) return 0; /* silent; the tick wakes it */
        if (c->qn && c->q[c->qhead].kind != FR_TEXT) {
            frame f = c->q[c->qhead];
            c->qhead = (c->qhead + 1) % c->qcap;
            c->qn--;
            if (f.kind == FR_DROP) return -1; /* lws closes the connection */
            c->stall_until = ar__mono_ns() + (int64_t)s->o.fault_stall_ms * AR_NS_PER_MS;
            return 0;
        }
        if (c->ping_due) {
            unsigned char pb[LWS_PRE + 1];
            c->ping_due = 0;
            if (lws_write(wsi, pb + LWS_PRE, 0, LWS_WRITE_PING) < 0) return -1;
        } else if (c->qn) {
            frame f = c->q[c->qhead];
            c->qhead = (c->qhead + 1) % c->qcap;
            c->qn--;
            int w = lws_write(wsi, f.buf + LWS_PRE, f.len, LWS_WRITE_TEXT);
            free(f.buf);
            if (w < (int)f.len) return -1;
        }
        if (c->qn || c->ping_due) lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_CLOSED: {
        conn *c = *pc;
        if (c == NULL) break;
        for (conn **pp = &s->conns; *pp; pp = &(*pp)->next)
            if (*pp == c) {
                *pp = c->next;
                break;
            }
        conn_free(c);
        *pc = NULL;
        break;
    }
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"arena-feed-replay", callback, sizeof(conn *), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

ar_err ar_feed_server_run(const ar_market *m, const ar_feed_server_opts *o, ar_errbuf *eb) {
    if (m == NULL || o == NULL || (unsigned)o->exchange >= AR_EX_COUNT || o->port < 0 || o->port > 65535 ||
        !(o->speed > 0) || !isfinite(o->speed) || o->max_seconds < 0 || !(o->fault_rate >= 0 && o->fault_rate <= 1) ||
        o->fault_stall_ms < 0)
        return ar_errf(eb, AR_EINVAL, "feed: bad options (speed must be > 0, port 0..65535, fault rate 0..1)");
    if (o->fault_counts != NULL) memset(o->fault_counts, 0, AR_FEED_FAULT_COUNT * sizeof *o->fault_counts);
    srv s;
    memset(&s, 0, sizeof s);
    s.m = m;
    s.o = *o;
    if (s.o.linger_seconds <= 0) s.o.linger_seconds = 1;
    if (s.o.ping_interval_ms <= 0) s.o.ping_interval_ms = 20000;
    if (s.o.fault_stall_ms <= 0) s.o.fault_stall_ms = 35000;
    s.cur = calloc(m->nsym ? m->nsym : 1, sizeof *s.cur);
    if (s.cur == NULL) return ar_errf(eb, AR_ENOMEM, "feed: out of memory");
    int64_t first = INT64_MAX;
    for (size_t j = 0; j < m->nsym; j++) {
        cursor *cu = &s.cur[j];
        cu->sym = &m->sym[j];
        cu->use_trades = cu->sym->trades.n > 0;
        cu->interval = cu->sym->interval > 0 ? cu->sym->interval : AR_NS_PER_MIN;
        cursor_settle(cu);
        if (!cu->done && cu->t < first) first = cu->t;
    }
    if (first == INT64_MAX) {
        free(s.cur);
        return ar_errf(eb, AR_EINVAL, "feed: the market has no bars or trades");
    }
    s.clock0 = o->start ? o->start : first;
    for (size_t j = 0; j < m->nsym; j++) /* the clock starts at clock0: skip what came before */
        while (!s.cur[j].done && s.cur[j].t < s.clock0) cursor_next(&s.cur[j]);

    if (ar_lws_load(eb) != AR_OK) {
        free(s.cur);
        return AR_EIO;
    }
    lws_set_log_level(0, NULL); /* its bind errors: the one line below says them */
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = o->port;
    info.iface = "127.0.0.1";
    info.protocols = protocols;
    info.gid = -1;
    info.uid = -1;
    info.user = &s;
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DISABLE_IPV6; /* listen.c */
    s.ctx = lws_create_context(&info);
    struct lws_vhost *vh = s.ctx ? lws_create_vhost(s.ctx, &info) : NULL;
    if (vh == NULL) {
        if (s.ctx) lws_context_destroy(s.ctx);
        free(s.cur);
        return ar_errf(eb, AR_EIO, "feed: cannot listen on 127.0.0.1:%d: %s", o->port,
                       ar__listen_why("127.0.0.1", o->port));
    }
    int port = lws_get_vhost_listen_port(vh);
    s.wall0 = s.hb_wall = s.ping_wall = ar__mono_ns();
    if (o->on_listen) o->on_listen(port, o->user);
    lws_sul_schedule(s.ctx, 0, &s.sul_tick, tick, 1);
    while (!s.done)
        if (lws_service(s.ctx, 0) < 0) break;
    lws_context_destroy(s.ctx); /* closes every connection: CLOSED frees them */
    while (s.conns) {
        conn *c = s.conns;
        s.conns = c->next;
        conn_free(c);
    }
    free(s.cur);
    if (o->fault_counts != NULL) memcpy(o->fault_counts, s.faults, sizeof s.faults);
    return AR_OK;
}
