/* bench/feed_parse.c - feed messages parsed per second on one core, per
 * exchange, for each exchange's trade message (and Binance's bookTicker and
 * kline), plus the in-process tick-to-callback latency of the parser (the
 * part of tick-to-fill that the feed owns).
 *
 * usage: bench_feed_parse [MESSAGES]   (default 2,000,000 per case)
 * Messages are distinct (time, id and price change) and pre-formatted, so
 * only parsing is timed. Results go to stdout as a markdown table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "arena/feed.h"
#include "arena/util.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t sink;
static void on_ev(const ar_feed_event *ev, void *user) {
    (void)user;
    sink += (uint64_t)ev->kind + (uint64_t)(ev->price > 0);
}

#define NMSG 4096

static void run(const char *name, ar_exchange ex, int kind, size_t total) {
    static const char *const syms[] = {"BTC", "ETH", "SOL", "BNB", "DOGE", "XRP"};
    char **msg = malloc(NMSG * sizeof *msg);
    size_t *len = malloc(NMSG * sizeof *len);
    int64_t t0 = INT64_C(1700000000000) * AR_NS_PER_MS;
    for (size_t i = 0; i < NMSG; i++) {
        char buf[1024];
        ar_feed_event ev = {0};
        ev.t = t0 + (int64_t)i * AR_NS_PER_MS;
        ev.price = 64000.1 + (double)(i % 97) * 0.1;
        ev.qty = 0.005;
        ev.side = i % 2 ? 1 : -1;
        ev.seq = (int64_t)i + 1;
        size_t n;
        if (kind == 0) {
            ev.kind = AR_FEED_TRADE;
            n = ar_feed_format(ex, syms[0], &ev, (int64_t)i + 1, buf, sizeof buf);
        } else if (kind == 1) {
            n = (size_t)snprintf(buf, sizeof buf,
                                 "{\"u\":%zu,\"s\":\"BTCUSDT\",\"b\":\"%.1f\",\"B\":\"1.5\",\"a\":\"%.1f\",\"A\":\"2.25\"}",
                                 i + 400900217, ev.price, ev.price + 0.1);
        } else {
            ev.kind = AR_FEED_KLINE_CLOSED;
            ev.seq = 1;
            ev.kline.t = ev.t;
            ev.t += AR_NS_PER_MIN;
            ev.kline.o = ev.kline.c = ev.price;
            ev.kline.h = ev.price + 1;
            ev.kline.l = ev.price - 1;
            ev.kline.v = 12.5;
            n = ar_feed_format(ex, syms[0], &ev, 100, buf, sizeof buf);
        }
        msg[i] = strdup(buf);
        len[i] = n;
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
    size_t total = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 2000000;
    if (total == 0) total = 1;
    printf("| message | size | msg/s (one core) | ns/msg | rejected |\n|---|---|---|---|---|\n");
    run("binance @trade", AR_EX_BINANCE, 0, total);
    run("binance @bookTicker", AR_EX_BINANCE, 1, total);
    run("binance @kline_1m", AR_EX_BINANCE, 2, total);
    run("hyperliquid trades", AR_EX_HYPERLIQUID, 0, total);
    run("coinbase market_trades", AR_EX_COINBASE, 0, total);
    fprintf(stderr, "(sink %llu)\n", (unsigned long long)sink);
    return 0;
}
