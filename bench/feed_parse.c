/* bench/feed_parse.c - feed messages parsed per second on one core, per
 * exchange and message kind (trades of all three, Binance's bookTicker and
 * kline, Hyperliquid's l2Book and candle, Coinbase's level2 update), plus the
 * in-process tick-to-callback latency of the parser (the part of tick-to-fill
 * that the feed owns).
 *
 * usage: bench_feed_parse [MESSAGES [CASE]] [--jansson] [--wall]
 *   MESSAGES  per case (default 2,000,000); CASE: only cases whose name
 *   contains it; --jansson: every message through jansson (the fallback path,
 *   which is what every message cost before the fast path); --wall: time
 *   with the wall clock instead of the thread's CPU time.
 * Messages are distinct (time, id and price change) and pre-formatted, so
 * only parsing is timed; each case is timed 3 times and the best is shown.
 * Results go to stdout as a markdown table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "arena/feed.h"
#include "arena/util.h"

/* Private hook of src/live (feed_json.h): 0 = jansson for every message. */
void ar__feed_parser_set_fast(ar_feed_parser *p, int on);
static int use_fast = 1;

/* CPU time of this thread: "per core" on a shared machine, where wall time
 * also counts the time other processes hold the core (--wall: wall time). */
static clockid_t clock_id = CLOCK_THREAD_CPUTIME_ID;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(clock_id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t sink;
static void on_ev(const ar_feed_event *ev, void *user) {
    (void)user;
    sink += (uint64_t)ev->kind + (uint64_t)(ev->price > 0);
}

#define NMSG 4096

enum { K_TRADE, K_BOOKTICKER, K_KLINE, K_L2BOOK, K_L2DATA };

/* Message i of a case into buf; returns its length. */
static size_t make(ar_exchange ex, int kind, size_t i, char *buf, size_t cap) {
    static const char *const syms[] = {"BTC"};
    int64_t t0 = INT64_C(1700000000000) * AR_NS_PER_MS;
    ar_feed_event ev = {0};
    ev.t = t0 + (int64_t)i * AR_NS_PER_MS;
    ev.price = 64000.1 + (double)(i % 97) * 0.1;
    ev.qty = 0.005;
    ev.side = i % 2 ? 1 : -1;
    ev.seq = (int64_t)i + 1;
    switch (kind) {
    case K_TRADE:
        ev.kind = AR_FEED_TRADE;
        return ar_feed_format(ex, syms[0], &ev, (int64_t)i + 1, buf, cap);
    case K_BOOKTICKER:
        return (size_t)snprintf(buf, cap,
                                "{\"u\":%zu,\"s\":\"BTCUSDT\",\"b\":\"%.1f\",\"B\":\"1.5\",\"a\":\"%.1f\",\"A\":\"2.25\"}",
                                i + 400900217, ev.price, ev.price + 0.1);
    case K_KLINE: /* Binance kline with x = true; Hyperliquid candle (closes the previous one) */
        ev.kind = AR_FEED_KLINE_CLOSED;
        ev.seq = 1;
        ev.kline.t = ev.t;
        ev.t += AR_NS_PER_MIN;
        ev.kline.o = ev.kline.c = ev.price;
        ev.kline.h = ev.price + 1;
        ev.kline.l = ev.price - 1;
        ev.kline.v = 12.5;
        return ar_feed_format(ex, syms[0], &ev, 100, buf, cap);
    case K_L2BOOK: { /* Hyperliquid: a full snapshot, 20 levels a side */
        size_t n = (size_t)snprintf(buf, cap, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":%lld,\"levels\":[",
                                    (long long)(ev.t / AR_NS_PER_MS));
        for (int side = 0; side < 2; side++) {
            n += (size_t)snprintf(buf + n, cap - n, "%s[", side ? "," : "");
            for (int l = 0; l < 20; l++)
                n += (size_t)snprintf(buf + n, cap - n, "%s{\"px\":\"%.1f\",\"sz\":\"%.4f\",\"n\":%d}", l ? "," : "",
                                      side ? ev.price + 1 + l : ev.price - l, 0.01 * (l + 1 + (int)(i % 7)), l % 5 + 1);
            n += (size_t)snprintf(buf + n, cap - n, "]");
        }
        return n + (size_t)snprintf(buf + n, cap - n, "]}}");
    }
    default: { /* Coinbase level2 update: one bid and one offer level */
        char iso[40];
        long long s = (long long)(ev.t / AR_NS_PER_S), ns = (long long)(ev.t % AR_NS_PER_S);
        snprintf(iso, sizeof iso, "2023-11-14T22:%02lld:%02lld.%09lldZ", (s / 60) % 60, s % 60, ns);
        return (size_t)snprintf(buf, cap,
                                "{\"channel\":\"l2_data\",\"client_id\":\"\",\"timestamp\":\"%s\",\"sequence_num\":%zu,"
                                "\"events\":[{\"type\":\"update\",\"product_id\":\"BTC-USD\",\"updates\":["
                                "{\"side\":\"bid\",\"event_time\":\"%s\",\"price_level\":\"%.2f\",\"new_quantity\":\"%.8f\"},"
                                "{\"side\":\"offer\",\"event_time\":\"%s\",\"price_level\":\"%.2f\",\"new_quantity\":\"%.8f\"}]}]}",
                                iso, i + 1, iso, ev.price, 0.5 + (double)(i % 13) * 0.01, iso, ev.price + 1000,
                                (double)(i % 11) * 0.1);
    }
    }
}

static void run(const char *name, ar_exchange ex, int kind, size_t total) {
    static const char *const syms[] = {"BTC", "ETH", "SOL", "BNB", "DOGE", "XRP"};
    char **msg = malloc(NMSG * sizeof *msg);
    size_t *len = malloc(NMSG * sizeof *len);
    for (size_t i = 0; i < NMSG; i++) {
        char buf[4096];
        len[i] = make(ex, kind, i, buf, sizeof buf);
        if (len[i] == 0 || len[i] >= sizeof buf) exit(1);
        msg[i] = strdup(buf);
    }
    ar_feed_parser *p;
    if (ar_feed_parser_create(ex, syms, 6, &p) != AR_OK) exit(1);
    /* Warm up, then time; trade times restart each lap, so the
     * out-of-order check would reject: reset the parser per lap instead of
     * measuring rejects. */
    double best = 1e30;
    size_t bytes = 0;
    for (int rep = 0; rep < 3; rep++) {
        double s = now_s();
        size_t done = 0;
        while (done < total) {
            ar_feed_parser_free(p);
            ar_feed_parser_create(ex, syms, 6, &p);
            ar__feed_parser_set_fast(p, use_fast);
            for (size_t i = 0; i < NMSG && done < total; i++, done++) {
                ar_feed_parse(p, msg[i], len[i], on_ev, NULL);
                if (rep == 0) bytes += len[i];
            }
        }
        double dt = now_s() - s;
        if (dt < best) best = dt;
    }
    const ar_feed_stats *st = ar_feed_parser_stats(p);
    uint64_t rej = 0;
    for (int r = 0; r < AR_FEED_REJ_COUNT; r++) rej += st->rejected[r];
    printf("| %-22s | %4zu B | %9.0f | %6.2f | %llu |\n", name, bytes / total, (double)total / best,
           best / (double)total * 1e9, (unsigned long long)rej);
    ar_feed_parser_free(p);
    for (size_t i = 0; i < NMSG; i++) free(msg[i]);
    free(msg);
    free(len);
}

int main(int argc, char **argv) {
    size_t total = 2000000;
    const char *only = NULL;
    int pos = 0;
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--jansson")) use_fast = 0;
        else if (!strcmp(argv[a], "--wall")) clock_id = CLOCK_MONOTONIC;
        else if (pos++ == 0) total = (size_t)strtoull(argv[a], NULL, 10);
        else only = argv[a];
    }
    if (total == 0) total = 1;
    static const struct {
        const char *name;
        ar_exchange ex;
        int kind;
    } cases[] = {
        {"binance @trade", AR_EX_BINANCE, K_TRADE},
        {"binance @bookTicker", AR_EX_BINANCE, K_BOOKTICKER},
        {"binance @kline_1m", AR_EX_BINANCE, K_KLINE},
        {"hyperliquid trades", AR_EX_HYPERLIQUID, K_TRADE},
        {"hyperliquid l2Book", AR_EX_HYPERLIQUID, K_L2BOOK},
        {"hyperliquid candle", AR_EX_HYPERLIQUID, K_KLINE},
        {"coinbase market_trades", AR_EX_COINBASE, K_TRADE},
        {"coinbase l2_data", AR_EX_COINBASE, K_L2DATA},
    };
    printf("| message%s | size | msg/s (one core, %s) | ns/msg | rejected |\n|---|---|---|---|---|\n",
           use_fast ? "" : " (--jansson)", clock_id == CLOCK_MONOTONIC ? "wall" : "CPU time");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        if (only == NULL || strstr(cases[c].name, only) != NULL) run(cases[c].name, cases[c].ex, cases[c].kind, total);
    fprintf(stderr, "(sink %llu)\n", (unsigned long long)sink);
    return 0;
}
