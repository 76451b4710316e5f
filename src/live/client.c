/* src/live/client.c - the websocket feed client (libwebsockets).
 *
 * One lws context with one client connection at a time. The state machine:
 * WAIT (a reconnect timer runs) -> CONNECTING -> OPEN (subscriptions are
 * written one message per writeable callback) -> lost -> WAIT. Every way of
 * losing the connection (connect error, close, idle timeout) goes through
 * lost(), which delivers one AR_FEED_GAP when data had been received since
 * the last gap, and schedules the next attempt after the current backoff
 * (doubling up to the cap; reset by the first data message of a
 * connection). Timers are lws "sorted usec lists" (sul): reconnect, idle
 * watchdog (re-armed on every received frame), Hyperliquid ping, and the
 * poll deadline that bounds ar_feed_client_poll.
 *
 * Events are delivered from inside the lws receive callback, which only runs
 * inside ar_feed_client_poll, so they reach the caller in arrival order on the
 * caller's thread. Fragmented messages are reassembled up to
 * AR_FEED_MAX_FRAME; a longer one is dropped and counted as oversized. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libwebsockets.h>
#include "arena/dl.h"
#include "arena/feed.h"
#include "arena/util.h"
#include "live/live_int.h"

enum { ST_WAIT, ST_CONNECTING, ST_OPEN };

struct ar_feed_client {
    ar_feed_config cfg;
    char *url;
    char host[256], path[1024], full_url[1400];
    int port, tls;
    size_t n;
    char **syms;
    ar_feed_parser *p;
    ar_feed_stats st; /* client counters; parser counters merged on query */
    ar_feed_stats merged;

    struct lws_context *ctx;
    struct lws *wsi;
    int state, closing, had_data, backoff_ms, ping_due, wake;
    lws_sorted_usec_list_t sul_reconnect, sul_idle, sul_ping, sul_wake;

    char **sub; /* subscription messages */
    size_t nsub, sub_next;

    char *rx;
    size_t rxlen, rxcap;
    int rx_drop;

    ar_feed_cb cb;
    void *user;
    size_t delivered;
    int64_t last_t;
    int pending_gap;
};

int64_t ar__wall_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * AR_NS_PER_S + ts.tv_nsec;
}

int64_t ar__mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * AR_NS_PER_S + ts.tv_nsec;
}

static void deliver(ar_feed_client *c, const ar_feed_event *ev) {
    c->delivered++;
    if (c->cb != NULL) c->cb(ev, c->user);
}

static void deliver_gap(ar_feed_client *c) {
    ar_feed_event g = {0};
    g.kind = AR_FEED_GAP;
    g.sym = -1;
    g.t = c->last_t;
    g.gap = AR_FEED_GAP_RECONNECT;
    c->st.gaps++;
    c->pending_gap = 0;
    deliver(c, &g);
}

/* Parser callback: stamp time-less events, watch for sequence gaps. */
static void on_event(const ar_feed_event *ev, void *user) {
    ar_feed_client *c = user;
    ar_feed_event e = *ev;
    if (e.t > c->last_t) c->last_t = e.t;
    if (e.t == 0) e.t = c->last_t;
    if (e.kind == AR_FEED_GAP && e.gap == AR_FEED_GAP_SEQUENCE) {
        c->st.gaps++;
        c->sub_next = 0; /* resubscribe: the exchange sends fresh snapshots */
        if (c->wsi != NULL) lws_callback_on_writable(c->wsi);
    }
    if (e.kind == AR_FEED_TRADE || e.kind == AR_FEED_BOOK_TOP || e.kind == AR_FEED_KLINE_CLOSED) {
        c->had_data = 1;
        c->backoff_ms = c->cfg.backoff_min_ms;
    }
    deliver(c, &e);
}

static void connect_now(ar_feed_client *c);

static void sul_reconnect_cb(lws_sorted_usec_list_t *sul) {
    ar_feed_client *c = lws_container_of(sul, ar_feed_client, sul_reconnect);
    if (c->state == ST_WAIT && !c->closing) connect_now(c);
}

static void lost(ar_feed_client *c) {
    if (c->state == ST_WAIT) return;
    c->state = ST_WAIT;
    c->wsi = NULL;
    lws_sul_cancel(&c->sul_idle);
    lws_sul_cancel(&c->sul_ping);
    if (c->closing) return;
    if (c->had_data) {
        c->had_data = 0;
        if (c->cb != NULL) deliver_gap(c);
        else c->pending_gap = 1;
    }
    c->st.reconnects++;
    int d = c->backoff_ms;
    c->backoff_ms = d * 2 > c->cfg.backoff_max_ms ? c->cfg.backoff_max_ms : d * 2;
    lws_sul_schedule(c->ctx, 0, &c->sul_reconnect, sul_reconnect_cb, (lws_usec_t)d * 1000);
}

static void sul_idle_cb(lws_sorted_usec_list_t *sul) {
    ar_feed_client *c = lws_container_of(sul, ar_feed_client, sul_idle);
    if (c->state == ST_WAIT || c->wsi == NULL) return;
    c->st.timeouts++;
    /* Kill the socket without a close handshake: the peer is not answering.
     * The close callback then calls lost(). */
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void arm_idle(ar_feed_client *c) {
    lws_sul_schedule(c->ctx, 0, &c->sul_idle, sul_idle_cb, (lws_usec_t)c->cfg.idle_timeout_ms * 1000);
}

static void sul_ping_cb(lws_sorted_usec_list_t *sul) {
    ar_feed_client *c = lws_container_of(sul, ar_feed_client, sul_ping);
    if (c->state != ST_OPEN || c->wsi == NULL) return;
    c->ping_due = 1;
    lws_callback_on_writable(c->wsi);
    lws_sul_schedule(c->ctx, 0, &c->sul_ping, sul_ping_cb, (lws_usec_t)c->cfg.ping_interval_ms * 1000);
}

static void sul_wake_cb(lws_sorted_usec_list_t *sul) {
    ar_feed_client *c = lws_container_of(sul, ar_feed_client, sul_wake);
    c->wake = 1;
}

static int write_text(struct lws *wsi, const char *s) {
    size_t n = strlen(s);
    unsigned char *buf = malloc(LWS_PRE + n);
    if (buf == NULL) return -1;
    memcpy(buf + LWS_PRE, s, n);
    int w = lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT);
    free(buf);
    return w < (int)n ? -1 : 0;
}

static void on_frame(ar_feed_client *c, const char *in, size_t len, int final) {
    if (!c->rx_drop) {
        if (c->rxlen + len > AR_FEED_MAX_FRAME) {
            c->rx_drop = 1;
        } else {
            if (c->rxlen + len > c->rxcap) {
                size_t cap = c->rxcap ? c->rxcap : 4096;
                while (cap < c->rxlen + len) cap *= 2;
                char *r = realloc(c->rx, cap);
                if (r == NULL) {
                    c->rx_drop = 1;
                } else {
                    c->rx = r;
                    c->rxcap = cap;
                }
            }
            if (!c->rx_drop) {
                memcpy(c->rx + c->rxlen, in, len);
                c->rxlen += len;
            }
        }
    }
    if (!final) return;
    if (c->rx_drop) ar_feed_parser_reject(c->p, AR_FEED_REJ_OVERSIZED);
    else ar_feed_parse(c->p, c->rx, c->rxlen, on_event, c);
    c->rxlen = 0;
    c->rx_drop = 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    (void)user;
    struct lws_context *ctx = lws_get_context(wsi);
    ar_feed_client *c = ctx ? lws_context_user(ctx) : NULL;
    if (c == NULL) return 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (wsi != c->wsi) return -1;
        c->state = ST_OPEN;
        c->st.connects++;
        c->sub_next = 0;
        c->rxlen = 0;
        c->rx_drop = 0;
        ar_feed_parser_reset_connection(c->p);
        arm_idle(c);
        if (c->cfg.exchange == AR_EX_HYPERLIQUID)
            lws_sul_schedule(c->ctx, 0, &c->sul_ping, sul_ping_cb,
                             (lws_usec_t)c->cfg.ping_interval_ms * 1000);
        lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (wsi != c->wsi) return -1;
        arm_idle(c);
        on_frame(c, in, len, lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        if (wsi == c->wsi) arm_idle(c);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (wsi != c->wsi || c->state != ST_OPEN) return 0;
        if (c->sub_next < c->nsub) {
            if (write_text(wsi, c->sub[c->sub_next++]) != 0) return -1;
            if (c->sub_next < c->nsub || c->ping_due) lws_callback_on_writable(wsi);
        } else if (c->ping_due) {
            c->ping_due = 0;
            if (write_text(wsi, "{\"method\":\"ping\"}") != 0) return -1;
        }
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (wsi == c->wsi) lost(c);
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"arena-feed", callback, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void connect_now(ar_feed_client *c) {
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = c->ctx;
    ci.address = c->host;
    ci.port = c->port;
    ci.ssl_connection = c->tls ? LCCSCF_USE_SSL : 0;
    ci.path = c->path;
    ci.host = c->host;
    ci.origin = c->host;
    ci.ietf_version_or_minus_one = -1;
    ci.local_protocol_name = protocols[0].name;
    c->state = ST_CONNECTING;
    c->wsi = NULL;
    struct lws *w = lws_client_connect_via_info(&ci);
    if (c->state != ST_CONNECTING) return; /* failed synchronously: lost() ran */
    if (w == NULL) {
        c->state = ST_OPEN; /* make lost() act */
        lost(c);
        return;
    }
    c->wsi = w;
    arm_idle(c); /* also bounds a connect that never completes */
}

/* ---- URL and subscriptions ------------------------------------------------ */

static ar_err parse_url(ar_feed_client *c, const char *url, ar_errbuf *eb) {
    static const struct {
        const char *host, *path;
        int port;
    } def[AR_EX_COUNT] = {
        {"stream.binance.com", "/ws", 9443},
        {"api.hyperliquid.xyz", "/ws", 443},
        {"advanced-trade-ws.coinbase.com", "/", 443},
    };
    ar_exchange ex = c->cfg.exchange;
    snprintf(c->path, sizeof c->path, "%s", def[ex].path);
    if (url == NULL) {
        snprintf(c->host, sizeof c->host, "%s", def[ex].host);
        c->port = def[ex].port;
        c->tls = 1;
    } else {
        const char *p;
        if (!strncmp(url, "wss://", 6)) {
            c->tls = 1;
            p = url + 6;
        } else if (!strncmp(url, "ws://", 5)) {
            c->tls = 0;
            p = url + 5;
        } else {
            return ar_errf(eb, AR_ECONFIG, "live.url: expected ws://HOST[:PORT] or wss://HOST[:PORT], got '%s'", url);
        }
        size_t hl = strcspn(p, ":/?");
        if (hl == 0 || hl >= sizeof c->host)
            return ar_errf(eb, AR_ECONFIG, "live.url: no host in '%s'", url);
        memcpy(c->host, p, hl);
        c->host[hl] = '\0';
        c->port = c->tls ? 443 : 80;
        if (p[hl] == ':') {
            char *end;
            long port = strtol(p + hl + 1, &end, 10);
            if (end == p + hl + 1 || port <= 0 || port > 65535 || (*end != '\0' && *end != '/' && *end != '?'))
                return ar_errf(eb, AR_ECONFIG, "live.url: bad port in '%s'", url);
            c->port = (int)port;
        }
    }
    snprintf(c->full_url, sizeof c->full_url, "%s://%s:%d%s", c->tls ? "wss" : "ws", c->host, c->port, c->path);
    return AR_OK;
}

static int add_sub(ar_feed_client *c, const char *msg) {
    char **s = realloc(c->sub, (c->nsub + 1) * sizeof *s);
    if (s == NULL) return -1;
    c->sub = s;
    if ((c->sub[c->nsub] = strdup(msg)) == NULL) return -1;
    c->nsub++;
    return 0;
}

static int build_subs(ar_feed_client *c) {
    unsigned ch = c->cfg.channels;
    char xs[AR_SYM_MAX + 8], m[512];
    if (c->cfg.exchange == AR_EX_BINANCE) {
        size_t cap = 64 + c->n * 3 * 64, len = 0;
        char *b = malloc(cap);
        if (b == NULL) return -1;
        len += (size_t)snprintf(b, cap, "{\"method\":\"SUBSCRIBE\",\"params\":[");
        for (size_t i = 0; i < c->n; i++) {
            ar_exchange_symbol(AR_EX_BINANCE, c->syms[i], xs, sizeof xs);
            for (char *q = xs; *q; q++)
                if (*q >= 'A' && *q <= 'Z') *q = (char)(*q - 'A' + 'a');
            /* bookTicker carries no time: with the book alone, the trade
             * stream still comes, as the clock its events are stamped with
             * (the run takes its prices from the book all the same) */
            if (ch & AR_FEED_CH_TRADES)
                len += (size_t)snprintf(b + len, cap - len, "%s\"%s@trade\",\"%s@kline_1m\"",
                                        len > 40 ? "," : "", xs, xs);
            else if (ch & AR_FEED_CH_BOOK)
                len += (size_t)snprintf(b + len, cap - len, "%s\"%s@trade\"", len > 40 ? "," : "", xs);
            if (ch & AR_FEED_CH_BOOK)
                len += (size_t)snprintf(b + len, cap - len, "%s\"%s@bookTicker\"", len > 40 ? "," : "", xs);
        }
        snprintf(b + len, cap - len, "],\"id\":1}");
        int rc = add_sub(c, b);
        free(b);
        return rc;
    }
    if (c->cfg.exchange == AR_EX_HYPERLIQUID) {
        for (size_t i = 0; i < c->n; i++) {
            ar_exchange_symbol(AR_EX_HYPERLIQUID, c->syms[i], xs, sizeof xs);
            static const char *const fmt =
                "{\"method\":\"subscribe\",\"subscription\":{\"type\":\"%s\",\"coin\":\"%s\"%s}}";
            if (ch & AR_FEED_CH_TRADES) {
                snprintf(m, sizeof m, fmt, "trades", xs, "");
                if (add_sub(c, m)) return -1;
                snprintf(m, sizeof m, fmt, "candle", xs, ",\"interval\":\"1m\"");
                if (add_sub(c, m)) return -1;
            }
            if (ch & AR_FEED_CH_BOOK) {
                snprintf(m, sizeof m, fmt, "l2Book", xs, "");
                if (add_sub(c, m)) return -1;
            }
        }
        return 0;
    }
    /* Coinbase: one channel per message, plus heartbeats. */
    size_t cap = 32 + c->n * 48, len = 0;
    char *ids = malloc(cap);
    if (ids == NULL) return -1;
    ids[0] = '\0';
    for (size_t i = 0; i < c->n; i++) {
        ar_exchange_symbol(AR_EX_COINBASE, c->syms[i], xs, sizeof xs);
        len += (size_t)snprintf(ids + len, cap - len, "%s\"%s\"", i ? "," : "", xs);
    }
    static const char *const chans[2] = {"market_trades", "level2"};
    int rc = 0;
    for (int k = 0; k < 2 && rc == 0; k++) {
        if (!(ch & (k == 0 ? AR_FEED_CH_TRADES : AR_FEED_CH_BOOK))) continue;
        size_t mcap = len + 128;
        char *b = malloc(mcap);
        if (b == NULL) {
            rc = -1;
            break;
        }
        snprintf(b, mcap, "{\"type\":\"subscribe\",\"product_ids\":[%s],\"channel\":\"%s\"}", ids, chans[k]);
        rc = add_sub(c, b);
        free(b);
    }
    free(ids);
    return rc ? rc : add_sub(c, "{\"type\":\"subscribe\",\"channel\":\"heartbeats\"}");
}

/* ---- public --------------------------------------------------------------- */

ar_err ar_feed_client_create(const ar_feed_config *cfg, const char *const *syms, size_t n,
                             ar_feed_client **out, ar_errbuf *eb) {
    *out = NULL;
    if (cfg == NULL || (unsigned)cfg->exchange >= AR_EX_COUNT || n == 0 || syms == NULL)
        return ar_errf(eb, AR_EINVAL, "live: need an exchange and at least one symbol");
    ar_feed_client *c = calloc(1, sizeof *c);
    if (c == NULL) return ar_errf(eb, AR_ENOMEM, "live: out of memory");
    c->cfg = *cfg;
    c->cfg.url = NULL;
    if (c->cfg.channels == 0) c->cfg.channels = AR_FEED_CH_TRADES;
    if (c->cfg.idle_timeout_ms <= 0) c->cfg.idle_timeout_ms = 30000;
    if (c->cfg.backoff_min_ms <= 0) c->cfg.backoff_min_ms = 250;
    if (c->cfg.backoff_max_ms <= 0) c->cfg.backoff_max_ms = 30000;
    if (c->cfg.backoff_max_ms < c->cfg.backoff_min_ms) c->cfg.backoff_max_ms = c->cfg.backoff_min_ms;
    if (c->cfg.ping_interval_ms <= 0) c->cfg.ping_interval_ms = 50000;
    c->backoff_ms = c->cfg.backoff_min_ms;
    c->state = ST_WAIT;
    ar_err e = AR_OK;
    if (cfg->url != NULL && (c->url = strdup(cfg->url)) == NULL) e = ar_errf(eb, AR_ENOMEM, "live: out of memory");
    c->cfg.url = c->url;
    if (e == AR_OK) e = parse_url(c, cfg->url, eb);
    if (e == AR_OK) {
        c->syms = calloc(n, sizeof *c->syms);
        c->n = n;
        if (c->syms == NULL) e = ar_errf(eb, AR_ENOMEM, "live: out of memory");
        for (size_t i = 0; e == AR_OK && i < n; i++)
            if (syms[i] == NULL || (c->syms[i] = strdup(syms[i])) == NULL)
                e = ar_errf(eb, AR_EINVAL, "live: bad symbol");
    }
    if (e == AR_OK && ar_feed_parser_create(cfg->exchange, (const char *const *)c->syms, n, &c->p) != AR_OK)
        e = ar_errf(eb, AR_ECONFIG, "live: bad symbol list (empty or longer than %d bytes)", AR_SYM_MAX - 1);
    if (e == AR_OK && build_subs(c) != 0) e = ar_errf(eb, AR_ENOMEM, "live: out of memory");
    if (e == AR_OK) e = ar_lws_load(eb);
    if (e == AR_OK) {
        lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
        struct lws_context_creation_info info;
        memset(&info, 0, sizeof info);
        info.port = CONTEXT_PORT_NO_LISTEN;
        info.protocols = protocols;
        info.gid = -1;
        info.uid = -1;
        info.user = c;
        info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.connect_timeout_secs = (unsigned)(c->cfg.idle_timeout_ms + 999) / 1000;
        c->ctx = lws_create_context(&info);
        if (c->ctx == NULL) e = ar_errf(eb, AR_EIO, "live: cannot create the libwebsockets context");
    }
    if (e != AR_OK) {
        ar_feed_client_free(c);
        return e;
    }
    connect_now(c);
    *out = c;
    return AR_OK;
}

void ar_feed_client_free(ar_feed_client *c) {
    if (c == NULL) return;
    c->closing = 1;
    c->cb = NULL;
    if (c->ctx != NULL) lws_context_destroy(c->ctx);
    for (size_t i = 0; i < c->nsub; i++) free(c->sub[i]);
    free(c->sub);
    for (size_t i = 0; c->syms != NULL && i < c->n; i++) free(c->syms[i]);
    free(c->syms);
    ar_feed_parser_free(c->p);
    free(c->rx);
    free(c->url);
    free(c);
}

size_t ar_feed_client_poll(ar_feed_client *c, int timeout_ms, ar_feed_cb cb, void *user) {
    c->cb = cb;
    c->user = user;
    c->delivered = 0;
    if (c->pending_gap) deliver_gap(c);
    if (timeout_ms <= 0) {
        lws_service(c->ctx, -1);
    } else {
        c->wake = 0;
        lws_sul_schedule(c->ctx, 0, &c->sul_wake, sul_wake_cb, (lws_usec_t)timeout_ms * 1000);
        while (!c->wake && c->delivered == 0)
            if (lws_service(c->ctx, 0) < 0) break;
        lws_sul_cancel(&c->sul_wake);
    }
    c->cb = NULL;
    c->user = NULL;
    return c->delivered;
}

int ar_feed_client_connected(const ar_feed_client *c) {
    return c->state == ST_OPEN && c->sub_next >= c->nsub;
}

const ar_feed_stats *ar_feed_client_stats(const ar_feed_client *c) {
    ar_feed_client *m = (ar_feed_client *)c; /* merged view is a cache */
    m->merged = *ar_feed_parser_stats(c->p);
    m->merged.events = c->merged.events;
    m->merged.connects = c->st.connects;
    m->merged.reconnects = c->st.reconnects;
    m->merged.timeouts = c->st.timeouts;
    m->merged.gaps = c->st.gaps;
    return &m->merged;
}

const char *ar_feed_client_url(const ar_feed_client *c) {
    return c->full_url;
}
