/* src/live/format.c - the replay server's messages, in each exchange's
 * format (the shapes the parsers in parse.c read; docs/LIVE.md).
 *
 * Prices and sizes are written as the shortest decimal that reads back to
 * the same double, so a replayed trade parses to exactly the file's value.
 * Pure functions; no state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arena/feed.h"
#include "arena/util.h"
#include "live/live_int.h"

void ar__fmt_num(double v, char out[32]) {
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, 32, "%.*g", prec, v);
        if (strtod(out, NULL) == v) return;
    }
}

void ar__fmt_iso(int64_t t, char out[48]) {
    /* 9 fractional digits, as Coinbase writes them. */
    int64_t s = t / AR_NS_PER_S, ns = t % AR_NS_PER_S;
    if (ns < 0) {
        ns += AR_NS_PER_S;
        s--;
    }
    char buf[48];
    ar_time_format(s * AR_NS_PER_S, buf, sizeof buf); /* YYYY-MM-DDTHH:MM:SSZ */
    size_t n = strnlen(buf, 24);
    if (n > 0 && buf[n - 1] == 'Z') n--;
    snprintf(out, 48, "%.*s.%09lldZ", (int)n, buf, (long long)ns);
}

static size_t fit(int w, size_t n) {
    return (w < 0 || (size_t)w >= n) ? 0 : (size_t)w;
}

size_t ar_feed_format(ar_exchange ex, const char *sym, const ar_feed_event *ev, int64_t id,
                      char *buf, size_t n) {
    char xs[AR_SYM_MAX + 8], px[32], qty[32];
    if (ar_exchange_symbol(ex, sym, xs, sizeof xs) != AR_OK) return 0;
    long long ms = (long long)(ev->t / AR_NS_PER_MS);
    if (ev->kind == AR_FEED_TRADE) {
        ar__fmt_num(ev->price, px);
        ar__fmt_num(ev->qty, qty);
        switch (ex) {
        case AR_EX_BINANCE:
            return fit(snprintf(buf, n,
                                "{\"e\":\"trade\",\"E\":%lld,\"s\":\"%s\",\"t\":%lld,\"p\":\"%s\","
                                "\"q\":\"%s\",\"T\":%lld,\"m\":%s,\"M\":true}",
                                ms, xs, (long long)id, px, qty, ms, ev->side < 0 ? "true" : "false"),
                       n);
        case AR_EX_HYPERLIQUID:
            return fit(snprintf(buf, n,
                                "{\"channel\":\"trades\",\"data\":[{\"coin\":\"%s\",\"side\":\"%s\","
                                "\"px\":\"%s\",\"sz\":\"%s\",\"time\":%lld,\"hash\":\"0x0\","
                                "\"tid\":%lld,\"users\":[\"0x0\",\"0x0\"]}]}",
                                xs, ev->side < 0 ? "A" : "B", px, qty, ms, (long long)id),
                       n);
        default: {
            char iso[48];
            ar__fmt_iso(ev->t, iso);
            return fit(snprintf(buf, n,
                                "{\"channel\":\"market_trades\",\"client_id\":\"\",\"timestamp\":\"%s\","
                                "\"sequence_num\":%lld,\"events\":[{\"type\":\"update\",\"trades\":"
                                "[{\"trade_id\":\"%lld\",\"product_id\":\"%s\",\"price\":\"%s\","
                                "\"size\":\"%s\",\"side\":\"%s\",\"time\":\"%s\"}]}]}",
                                iso, (long long)ev->seq, (long long)id, xs, px, qty,
                                ev->side < 0 ? "SELL" : "BUY", iso),
                       n);
        }
        }
    }
    if (ev->kind == AR_FEED_KLINE_CLOSED && ex != AR_EX_COINBASE) {
        char o[32], h[32], l[32], c[32], v[32], iv[16];
        ar__fmt_num(ev->kline.o, o);
        ar__fmt_num(ev->kline.h, h);
        ar__fmt_num(ev->kline.l, l);
        ar__fmt_num(ev->kline.c, c);
        ar__fmt_num(ev->kline.v, v);
        int64_t len = ev->t - ev->kline.t; /* the bar's interval */
        ar_duration_format(len > 0 ? len : AR_NS_PER_MIN, iv, sizeof iv);
        long long t0 = (long long)(ev->kline.t / AR_NS_PER_MS);
        long long t1 = (long long)(ev->t / AR_NS_PER_MS) - 1;
        if (ex == AR_EX_BINANCE)
            return fit(snprintf(buf, n,
                                "{\"e\":\"kline\",\"E\":%lld,\"s\":\"%s\",\"k\":{\"t\":%lld,\"T\":%lld,"
                                "\"s\":\"%s\",\"i\":\"%s\",\"f\":0,\"L\":0,\"o\":\"%s\",\"c\":\"%s\","
                                "\"h\":\"%s\",\"l\":\"%s\",\"v\":\"%s\",\"n\":%lld,\"x\":%s,"
                                "\"q\":\"0\",\"V\":\"0\",\"Q\":\"0\",\"B\":\"0\"}}",
                                ms, xs, t0, t1, xs, iv, o, c, h, l, v, (long long)id,
                                ev->seq ? "true" : "false"),
                       n);
        return fit(snprintf(buf, n,
                            "{\"channel\":\"candle\",\"data\":{\"t\":%lld,\"T\":%lld,\"s\":\"%s\","
                            "\"i\":\"%s\",\"o\":\"%s\",\"c\":\"%s\",\"h\":\"%s\",\"l\":\"%s\","
                            "\"v\":\"%s\",\"n\":%lld}}",
                            t0, t1, xs, iv, o, c, h, l, v, (long long)id),
                   n);
    }
    return 0;
}
