/* tests/test_feed_parse.c - the exchange message parsers: every message kind
 * of every exchange (shapes of /work/shared/refs/wire-formats.md sections
 * 5-7) with exact values, every reject reason counted, the replay formats
 * read back exactly, and 20k random or mangled messages without a crash; and
 * the scanner's fast path against jansson on the same messages (test_fast_*:
 * reordered keys, whitespace, escapes, exponents, -0, huge numbers, missing
 * fields, mangled messages), with numbers bit-equal to strtod's. */
/* arena-test-deps: live store market util */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "arena/feed.h"
#include "arena/util.h"
#include "live/feed_json.h"

#define MAXEV 16
typedef struct evs {
    size_t n;
    ar_feed_event e[MAXEV];
} evs;

static void collect(const ar_feed_event *ev, void *user) {
    evs *v = user;
    if (v->n < MAXEV) v->e[v->n] = *ev;
    v->n++;
}

static const char *const SYMS[] = {"BTC", "ETH"};

static ar_feed_parser *mk(ar_exchange ex) {
    ar_feed_parser *p = NULL;
    assert_int_equal(ar_feed_parser_create(ex, SYMS, 2, &p), AR_OK);
    return p;
}

static evs parse(ar_feed_parser *p, const char *msg) {
    evs v;
    memset(&v, 0, sizeof v);
    size_t n = ar_feed_parse(p, msg, strlen(msg), collect, &v);
    assert_int_equal(n, v.n);
    return v;
}

static uint64_t rej(ar_feed_parser *p, ar_feed_reject r) {
    return ar_feed_parser_stats(p)->rejected[r];
}

#define MS(x) ((int64_t)(x) * AR_NS_PER_MS)

static void test_names(void **state) {
    (void)state;
    char b[16];
    ar_exchange ex;
    assert_int_equal(ar_exchange_parse("coinbase", &ex), AR_OK);
    assert_int_equal(ex, AR_EX_COINBASE);
    assert_int_equal(ar_exchange_parse("kraken", &ex), AR_EINVAL);
    assert_int_equal(ar_exchange_symbol(AR_EX_BINANCE, "BTC", b, sizeof b), AR_OK);
    assert_string_equal(b, "BTCUSDT");
    assert_int_equal(ar_exchange_symbol(AR_EX_HYPERLIQUID, "BTC", b, sizeof b), AR_OK);
    assert_string_equal(b, "BTC");
    assert_int_equal(ar_exchange_symbol(AR_EX_COINBASE, "BTC", b, sizeof b), AR_OK);
    assert_string_equal(b, "BTC-USD");
    assert_int_equal(ar_exchange_symbol(AR_EX_COINBASE, "BTC", b, 4), AR_ELIMIT);
    assert_int_equal(ar_feed_channel_parse("book"), AR_FEED_CH_BOOK);
    assert_int_equal(ar_feed_channel_parse("depth"), 0);
    assert_string_equal(ar_feed_reject_name(AR_FEED_REJ_CROSSED_BOOK), "crossed_book");
}

static void test_binance(void **state) {
    (void)state;
    ar_feed_parser *p = mk(AR_EX_BINANCE);
    evs v = parse(p, "{\"e\":\"trade\",\"E\":1700000000123,\"s\":\"BTCUSDT\",\"t\":41,\"p\":\"64000.1\","
                     "\"q\":\"0.005\",\"T\":1700000000120,\"m\":true,\"M\":true}");
    assert_int_equal(v.n, 1);
    assert_int_equal(v.e[0].kind, AR_FEED_TRADE);
    assert_int_equal(v.e[0].sym, 0);
    assert_int_equal(v.e[0].t, MS(1700000000120));
    assert_true(v.e[0].price == 64000.1 && v.e[0].qty == 0.005);
    assert_int_equal(v.e[0].side, -1); /* m: the aggressor sold */
    assert_int_equal(v.e[0].seq, 41);
    /* aggTrade, combined-stream wrapper (jansson path) */
    v = parse(p, "{\"stream\":\"ethusdt@aggTrade\",\"data\":{\"e\":\"aggTrade\",\"E\":1700000000200,"
                 "\"s\":\"ETHUSDT\",\"a\":7,\"p\":\"3000.5\",\"q\":\"1.25\",\"f\":100,\"l\":105,"
                 "\"T\":1700000000199,\"m\":false}}");
    assert_int_equal(v.n, 1);
    assert_int_equal(v.e[0].kind, AR_FEED_TRADE);
    assert_int_equal(v.e[0].sym, 1);
    assert_int_equal(v.e[0].t, MS(1700000000199));
    assert_true(v.e[0].price == 3000.5 && v.e[0].qty == 1.25);
    assert_int_equal(v.e[0].side, 1);
    assert_int_equal(v.e[0].seq, 7);
    /* bookTicker: no "e", no time (t = 0: the client stamps the feed time) */
    v = parse(p, "{\"u\":400900217,\"s\":\"BTCUSDT\",\"b\":\"64000.0\",\"B\":\"1.5\",\"a\":\"64000.2\",\"A\":\"2.25\"}");
    assert_int_equal(v.n, 1);
    assert_int_equal(v.e[0].kind, AR_FEED_BOOK_TOP);
    assert_true(v.e[0].bid == 64000.0 && v.e[0].bid_qty == 1.5 && v.e[0].ask == 64000.2 && v.e[0].ask_qty == 2.25);
    assert_int_equal(v.e[0].t, 0);
    /* kline: open -> ignored; x true -> closed */
    const char *kl = "{\"e\":\"kline\",\"E\":1700000060001,\"s\":\"BTCUSDT\",\"k\":{\"t\":1700000000000,"
                     "\"T\":1700000059999,\"s\":\"BTCUSDT\",\"i\":\"1m\",\"o\":\"1.5\",\"c\":\"2.5\",\"h\":\"3\","
                     "\"l\":\"1\",\"v\":\"10\",\"n\":5,\"x\":%s,\"q\":\"0\",\"V\":\"0\",\"Q\":\"0\"}}";
    char buf[512];
    snprintf(buf, sizeof buf, kl, "false");
    v = parse(p, buf);
    assert_int_equal(v.e[0].kind, AR_FEED_IGNORED);
    snprintf(buf, sizeof buf, kl, "true");
    v = parse(p, buf);
    assert_int_equal(v.e[0].kind, AR_FEED_KLINE_CLOSED);
    assert_int_equal(v.e[0].t, MS(1700000060001));
    assert_int_equal(v.e[0].kline.t, MS(1700000000000));
    assert_true(v.e[0].kline.o == 1.5 && v.e[0].kline.h == 3 && v.e[0].kline.l == 1 && v.e[0].kline.c == 2.5 &&
                v.e[0].kline.v == 10);
    v = parse(p, "{\"result\":null,\"id\":1}");
    assert_int_equal(v.e[0].kind, AR_FEED_ACK);
    assert_int_equal(v.e[0].seq, 1);
    v = parse(p, "{\"error\":{\"code\":-1121,\"msg\":\"Invalid symbol.\"},\"id\":2}");
    assert_int_equal(v.e[0].kind, AR_FEED_ERROR);
    assert_int_equal(v.e[0].seq, -1121);
    v = parse(p, "{\"lastUpdateId\":160,\"bids\":[[\"1\",\"2\"]],\"asks\":[]}");
    assert_int_equal(v.e[0].kind, AR_FEED_IGNORED);
    v = parse(p, "{\"e\":\"serverShutdown\",\"E\":1}");
    assert_int_equal(v.e[0].kind, AR_FEED_IGNORED);
    /* an escaped string goes to jansson and gives the same answer */
    v = parse(p, "{\"e\":\"trade\",\"E\":1700000000300,\"s\":\"BTC\\u0055SDT\",\"t\":42,\"p\":\"64001\","
                 "\"q\":\"1\",\"T\":1700000000300,\"m\":false}");
    assert_int_equal(v.n, 1);
    assert_true(v.e[0].price == 64001 && v.e[0].sym == 0 && v.e[0].side == 1);
    const ar_feed_stats *st = ar_feed_parser_stats(p);
    for (int r = 0; r < AR_FEED_REJ_COUNT; r++) assert_int_equal(st->rejected[r], 0);
    ar_feed_parser_free(p);
}

static void test_hyperliquid(void **state) {
    (void)state;
    ar_feed_parser *p = mk(AR_EX_HYPERLIQUID);
    evs v = parse(p, "Websocket connection established.");
    assert_int_equal(v.e[0].kind, AR_FEED_IGNORED);
    v = parse(p, "{\"channel\":\"trades\",\"data\":[{\"coin\":\"BTC\",\"side\":\"B\",\"px\":\"64000.0\","
                 "\"sz\":\"0.01\",\"time\":1700000000100,\"hash\":\"0x1\",\"tid\":9,\"users\":[\"0xa\",\"0xb\"]},"
                 "{\"coin\":\"ETH\",\"side\":\"A\",\"px\":\"3000.25\",\"sz\":\"2\",\"time\":1700000000101,\"tid\":10}]}");
    assert_int_equal(v.n, 2);
    assert_int_equal(v.e[0].kind, AR_FEED_TRADE);
    assert_true(v.e[0].sym == 0 && v.e[0].price == 64000.0 && v.e[0].qty == 0.01 && v.e[0].side == 1);
    assert_int_equal(v.e[0].t, MS(1700000000100));
    assert_int_equal(v.e[0].seq, 9);
    assert_true(v.e[1].sym == 1 && v.e[1].price == 3000.25 && v.e[1].side == -1);
    v = parse(p, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1700000000200,\"levels\":"
                 "[[{\"px\":\"63999\",\"sz\":\"1.5\",\"n\":3},{\"px\":\"63998\",\"sz\":\"4\",\"n\":1}],"
                 "[{\"px\":\"64001\",\"sz\":\"0.5\",\"n\":2}]]}}");
    assert_int_equal(v.e[0].kind, AR_FEED_BOOK_TOP);
    assert_true(v.e[0].bid == 63999 && v.e[0].bid_qty == 1.5 && v.e[0].ask == 64001 && v.e[0].ask_qty == 0.5);
    assert_int_equal(v.e[0].t, MS(1700000000200));
    const char *cd = "{\"channel\":\"candle\",\"data\":{\"t\":%lld,\"T\":%lld,\"s\":\"BTC\",\"i\":\"1m\","
                     "\"o\":\"%s\",\"c\":\"%s\",\"h\":\"%s\",\"l\":\"%s\",\"v\":\"%s\",\"n\":3}}";
    char buf[512];
    snprintf(buf, sizeof buf, cd, 1700000000000LL, 1700000059999LL, "10", "11", "12", "9", "5");
    assert_int_equal(parse(p, buf).e[0].kind, AR_FEED_IGNORED);
    snprintf(buf, sizeof buf, cd, 1700000000000LL, 1700000059999LL, "10", "11.5", "13", "8", "6");
    assert_int_equal(parse(p, buf).e[0].kind, AR_FEED_IGNORED); /* same t: updated in place */
    snprintf(buf, sizeof buf, cd, 1700000060000LL, 1700000119999LL, "11.5", "11.5", "11.5", "11.5", "0");
    v = parse(p, buf);
    assert_int_equal(v.n, 1);
    assert_int_equal(v.e[0].kind, AR_FEED_KLINE_CLOSED);
    assert_int_equal(v.e[0].kline.t, MS(1700000000000));
    assert_int_equal(v.e[0].t, MS(1700000060000));
    assert_true(v.e[0].kline.o == 10 && v.e[0].kline.c == 11.5 && v.e[0].kline.h == 13 && v.e[0].kline.l == 8 &&
                v.e[0].kline.v == 6);
    v = parse(p, "{\"channel\":\"subscriptionResponse\",\"data\":{\"method\":\"subscribe\",\"subscription\":"
                 "{\"type\":\"trades\",\"coin\":\"BTC\"}}}");
    assert_int_equal(v.e[0].kind, AR_FEED_ACK);
    assert_int_equal(parse(p, "{\"channel\":\"pong\"}").e[0].kind, AR_FEED_HEARTBEAT);
    assert_int_equal(parse(p, "{\"channel\":\"error\",\"data\":\"bad\"}").e[0].kind, AR_FEED_ERROR);
    assert_int_equal(parse(p, "{\"channel\":\"allMids\",\"data\":{\"mids\":{\"BTC\":\"64000.5\"}}}").e[0].kind,
                     AR_FEED_IGNORED);
    const ar_feed_stats *st = ar_feed_parser_stats(p);
    for (int r = 0; r < AR_FEED_REJ_COUNT; r++) assert_int_equal(st->rejected[r], 0);
    ar_feed_parser_free(p);
}

static void test_coinbase(void **state) {
    (void)state;
    ar_feed_parser *p = mk(AR_EX_COINBASE);
    evs v = parse(p, "{\"channel\":\"subscriptions\",\"client_id\":\"\",\"timestamp\":\"2023-11-14T22:13:20.123456789Z\","
                     "\"sequence_num\":0,\"events\":[{\"subscriptions\":{\"market_trades\":[\"BTC-USD\"]}}]}");
    assert_int_equal(v.e[0].kind, AR_FEED_ACK);
    v = parse(p, "{\"channel\":\"heartbeats\",\"client_id\":\"\",\"timestamp\":\"2023-11-14T22:13:21.000000001Z\","
                 "\"sequence_num\":1,\"events\":[{\"current_time\":\"2023-11-14 22:13:21 +0000 UTC\","
                 "\"heartbeat_counter\":\"3\"}]}");
    assert_int_equal(v.e[0].kind, AR_FEED_HEARTBEAT);
    assert_int_equal(v.e[0].seq, 3);
    assert_int_equal(v.e[0].t, INT64_C(1700000001000000001));
    /* trades newest first (as snapshots come): delivered oldest first */
    v = parse(p, "{\"channel\":\"market_trades\",\"timestamp\":\"2023-11-14T22:13:22Z\",\"sequence_num\":2,"
                 "\"events\":[{\"type\":\"snapshot\",\"trades\":["
                 "{\"trade_id\":\"12\",\"product_id\":\"BTC-USD\",\"price\":\"64000.5\",\"size\":\"0.2\",\"side\":\"SELL\","
                 "\"time\":\"2023-11-14T22:13:21.500000000Z\"},"
                 "{\"trade_id\":\"11\",\"product_id\":\"BTC-USD\",\"price\":\"64000.25\",\"size\":\"0.1\",\"side\":\"BUY\","
                 "\"time\":\"2023-11-14T22:13:21.123456789Z\"}]}]}");
    assert_int_equal(v.n, 2);
    assert_true(v.e[0].kind == AR_FEED_TRADE && v.e[0].price == 64000.25 && v.e[0].qty == 0.1 && v.e[0].side == 1);
    assert_int_equal(v.e[0].t, INT64_C(1700000001123456789));
    assert_int_equal(v.e[0].seq, 11);
    assert_true(v.e[1].price == 64000.5 && v.e[1].side == -1);
    /* the same trade again: a duplicate */
    v = parse(p, "{\"channel\":\"market_trades\",\"timestamp\":\"2023-11-14T22:13:22Z\",\"sequence_num\":3,"
                 "\"events\":[{\"type\":\"update\",\"trades\":[{\"trade_id\":\"12\",\"product_id\":\"BTC-USD\","
                 "\"price\":\"64000.5\",\"size\":\"0.2\",\"side\":\"SELL\",\"time\":\"2023-11-14T22:13:21.5Z\"}]}]}");
    assert_int_equal(v.n, 0);
    assert_int_equal(rej(p, AR_FEED_REJ_DUPLICATE), 1);
    {
        /* the same id on another product is another trade (ids count per product) */
        ar_feed_parser *q = NULL;
        assert_int_equal(ar_feed_parser_create(AR_EX_COINBASE, SYMS, 2, &q), AR_OK);
        const char *m1 = "{\"channel\":\"market_trades\",\"timestamp\":\"2023-11-14T22:13:22Z\",\"sequence_num\":1,"
                         "\"events\":[{\"type\":\"update\",\"trades\":[{\"trade_id\":\"12\",\"product_id\":\"BTC-USD\","
                         "\"price\":\"64000.5\",\"size\":\"0.2\",\"side\":\"SELL\",\"time\":\"2023-11-14T22:13:21.5Z\"},"
                         "{\"trade_id\":\"12\",\"product_id\":\"ETH-USD\",\"price\":\"3000.5\",\"size\":\"2\","
                         "\"side\":\"BUY\",\"time\":\"2023-11-14T22:13:21.6Z\"}]}]}";
        assert_int_equal(ar_feed_parse(q, m1, strlen(m1), NULL, NULL), 2);
        assert_int_equal(ar_feed_parser_stats(q)->rejected[AR_FEED_REJ_DUPLICATE], 0);
        ar_feed_parser_free(q);
    }
    /* level2: snapshot then updates; the top follows */
    v = parse(p, "{\"channel\":\"l2_data\",\"timestamp\":\"2023-11-14T22:13:23Z\",\"sequence_num\":4,\"events\":["
                 "{\"type\":\"snapshot\",\"product_id\":\"ETH-USD\",\"updates\":["
                 "{\"side\":\"bid\",\"price_level\":\"2999.5\",\"new_quantity\":\"3\"},"
                 "{\"side\":\"bid\",\"price_level\":\"2999.75\",\"new_quantity\":\"1\"},"
                 "{\"side\":\"offer\",\"price_level\":\"3000.5\",\"new_quantity\":\"2\"},"
                 "{\"side\":\"offer\",\"price_level\":\"3000.25\",\"new_quantity\":\"4\"}]}]}");
    assert_int_equal(v.n, 1);
    assert_int_equal(v.e[0].kind, AR_FEED_BOOK_TOP);
    assert_int_equal(v.e[0].sym, 1);
    assert_true(v.e[0].bid == 2999.75 && v.e[0].bid_qty == 1 && v.e[0].ask == 3000.25 && v.e[0].ask_qty == 4);
    v = parse(p, "{\"channel\":\"l2_data\",\"timestamp\":\"2023-11-14T22:13:24Z\",\"sequence_num\":5,\"events\":["
                 "{\"type\":\"update\",\"product_id\":\"ETH-USD\",\"updates\":["
                 "{\"side\":\"bid\",\"price_level\":\"2999.75\",\"new_quantity\":\"0\"},"
                 "{\"side\":\"offer\",\"price_level\":\"3000.25\",\"new_quantity\":\"7\"}]}]}");
    assert_true(v.e[0].bid == 2999.5 && v.e[0].bid_qty == 3 && v.e[0].ask == 3000.25 && v.e[0].ask_qty == 7);
    /* a bid through the ask: crossed, skipped */
    v = parse(p, "{\"channel\":\"l2_data\",\"timestamp\":\"2023-11-14T22:13:25Z\",\"sequence_num\":6,\"events\":["
                 "{\"type\":\"update\",\"product_id\":\"ETH-USD\",\"updates\":["
                 "{\"side\":\"bid\",\"price_level\":\"3001\",\"new_quantity\":\"1\"}]}]}");
    assert_int_equal(v.n, 0);
    assert_int_equal(rej(p, AR_FEED_REJ_CROSSED_BOOK), 1);
    /* sequence gap: 6 -> 9 */
    v = parse(p, "{\"channel\":\"ticker\",\"timestamp\":\"2023-11-14T22:13:26Z\",\"sequence_num\":9,\"events\":[]}");
    assert_int_equal(v.n, 2);
    assert_int_equal(v.e[0].kind, AR_FEED_GAP);
    assert_int_equal(v.e[0].gap, AR_FEED_GAP_SEQUENCE);
    assert_int_equal(v.e[0].seq, 9);
    assert_int_equal(v.e[1].kind, AR_FEED_IGNORED);
    assert_int_equal(rej(p, AR_FEED_REJ_SEQUENCE_GAP), 1);
    assert_int_equal(parse(p, "{\"type\":\"error\",\"message\":\"bad\"}").e[0].kind, AR_FEED_ERROR);
    ar_feed_parser_free(p);
}

/* A trade sent again (a proxy, a replay, Hyperliquid's recent trades on
 * every subscribe) is one trade: the second copy is a duplicate. Another
 * trade at the same time is not. */
static void test_duplicates(void **state) {
    (void)state;
    ar_feed_parser *p = mk(AR_EX_BINANCE);
    const char *m = "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":77,\"p\":\"2\",\"q\":\"1\",\"T\":5000,\"m\":true}";
    assert_int_equal(parse(p, m).n, 1);
    assert_int_equal(parse(p, m).n, 0);
    assert_int_equal(rej(p, AR_FEED_REJ_DUPLICATE), 1);
    assert_int_equal(
        parse(p, "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":78,\"p\":\"2\",\"q\":\"1\",\"T\":5000,\"m\":true}").n,
        1);
    ar_feed_parser_free(p);
    p = mk(AR_EX_HYPERLIQUID);
    const char *h = "{\"channel\":\"trades\",\"data\":[{\"coin\":\"BTC\",\"side\":\"B\",\"px\":\"64000.0\","
                    "\"sz\":\"0.01\",\"time\":1700000000100,\"tid\":9},"
                    "{\"coin\":\"ETH\",\"side\":\"A\",\"px\":\"3000.25\",\"sz\":\"2\",\"time\":1700000000101,\"tid\":10}]}";
    assert_int_equal(parse(p, h).n, 2);
    assert_int_equal(parse(p, h).n, 0); /* resent after a reconnect */
    assert_int_equal(rej(p, AR_FEED_REJ_DUPLICATE), 2);
    ar_feed_parser_free(p);
}

static void test_rejects(void **state) {
    (void)state;
    ar_feed_parser *p = mk(AR_EX_BINANCE);
    assert_int_equal(parse(p, "{\"e\":\"trade\",\"s\":").n, 0);
    assert_int_equal(parse(p, "[1,2]").n, 0);
    assert_int_equal(parse(p, "").n, 0);
    assert_int_equal(rej(p, AR_FEED_REJ_BAD_JSON), 3);
    parse(p, "{\"e\":\"trade\",\"E\":1,\"s\":\"XRPUSDT\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"T\":1,\"m\":true}");
    assert_int_equal(rej(p, AR_FEED_REJ_UNKNOWN_SYMBOL), 1);
    parse(p, "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"abc\",\"q\":\"1\",\"T\":1,\"m\":true}");
    parse(p, "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"-5\",\"q\":\"1\",\"T\":1,\"m\":true}");
    parse(p, "{\"e\":\"trade\",\"s\":\"BTCUSDT\",\"p\":\"5\",\"q\":\"1\",\"m\":true}");
    assert_int_equal(rej(p, AR_FEED_REJ_BAD_FIELD), 3);
    assert_int_equal(parse(p, "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"2\",\"q\":\"1\",\"T\":2000,\"m\":true}").n, 1);
    assert_int_equal(parse(p, "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"2\",\"q\":\"1\",\"T\":1999,\"m\":true}").n, 0);
    assert_int_equal(rej(p, AR_FEED_REJ_OUT_OF_ORDER), 1);
    assert_int_equal(parse(p, "{\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"10\",\"B\":\"1\",\"a\":\"10\",\"A\":\"1\"}").n, 0);
    assert_int_equal(rej(p, AR_FEED_REJ_CROSSED_BOOK), 1);
    size_t big = AR_FEED_MAX_FRAME + 1;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    assert_int_equal(ar_feed_parse(p, huge, big, collect, NULL), 0);
    free(huge);
    assert_int_equal(rej(p, AR_FEED_REJ_OVERSIZED), 1);
    ar_feed_parser_reject(p, AR_FEED_REJ_OVERSIZED);
    assert_int_equal(rej(p, AR_FEED_REJ_OVERSIZED), 2);
    /* after a reset (reconnect) trade order is still enforced */
    ar_feed_parser_reset_connection(p);
    parse(p, "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"2\",\"q\":\"1\",\"T\":1000,\"m\":true}");
    assert_int_equal(rej(p, AR_FEED_REJ_OUT_OF_ORDER), 2);
    ar_feed_parser_free(p);
    /* Hyperliquid out-of-order candle, unknown coin, crossed snapshot */
    p = mk(AR_EX_HYPERLIQUID);
    parse(p, "{\"channel\":\"trades\",\"data\":[{\"coin\":\"DOGE\",\"side\":\"B\",\"px\":\"1\",\"sz\":\"1\",\"time\":1}]}");
    assert_int_equal(rej(p, AR_FEED_REJ_UNKNOWN_SYMBOL), 1);
    parse(p, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1,\"levels\":[[{\"px\":\"5\",\"sz\":\"1\"}],"
             "[{\"px\":\"4\",\"sz\":\"1\"}]]}}");
    assert_int_equal(rej(p, AR_FEED_REJ_CROSSED_BOOK), 1);
    parse(p, "{\"channel\":\"trades\",\"data\":{}}");
    assert_int_equal(rej(p, AR_FEED_REJ_BAD_FIELD), 1);
    ar_feed_parser_free(p);
}

/* The replay server's formats read back to the same values. */
static void test_roundtrip(void **state) {
    (void)state;
    for (int ex = 0; ex < AR_EX_COUNT; ex++) {
        ar_feed_parser *p = mk((ar_exchange)ex);
        ar_feed_event e = {0};
        e.kind = AR_FEED_TRADE;
        e.t = MS(1700000000123);
        e.price = 0.1 + 0.2; /* needs 17 digits */
        e.qty = 1e-7;
        e.side = -1;
        e.seq = 5;
        char buf[1024];
        size_t n = ar_feed_format((ar_exchange)ex, "ETH", &e, 77, buf, sizeof buf);
        assert_true(n > 0);
        evs v;
        memset(&v, 0, sizeof v);
        ar_feed_parse(p, buf, n, collect, &v);
        assert_int_equal(v.n, 1);
        assert_int_equal(v.e[0].kind, AR_FEED_TRADE);
        assert_int_equal(v.e[0].sym, 1);
        assert_int_equal(v.e[0].t, e.t);
        assert_true(v.e[0].price == e.price && v.e[0].qty == e.qty && v.e[0].side == -1);
        assert_int_equal(v.e[0].seq, 77);
        assert_int_equal(ar_feed_format((ar_exchange)ex, "ETH", &e, 77, buf, 20), 0);
        ar_feed_parser_free(p);
    }
}

/* 20k random and mangled messages: counted, never a crash. */
static void test_garbage(void **state) {
    (void)state;
    static const char *const seeds[] = {
        "{\"e\":\"trade\",\"E\":1700000000123,\"s\":\"BTCUSDT\",\"t\":41,\"p\":\"64000.1\",\"q\":\"0.005\",\"T\":1700000000120,\"m\":true}",
        "{\"u\":400900217,\"s\":\"BTCUSDT\",\"b\":\"64000.0\",\"B\":\"1.5\",\"a\":\"64000.2\",\"A\":\"2.25\"}",
        "{\"stream\":\"x\",\"data\":{\"e\":\"kline\",\"s\":\"BTCUSDT\",\"k\":{\"t\":1,\"o\":\"1\",\"c\":\"1\",\"h\":\"1\",\"l\":\"1\",\"v\":\"1\",\"x\":true}}}",
        "{\"channel\":\"trades\",\"data\":[{\"coin\":\"BTC\",\"side\":\"B\",\"px\":\"64000.0\",\"sz\":\"0.01\",\"time\":1700000000100,\"tid\":9}]}",
        "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1,\"levels\":[[{\"px\":\"1\",\"sz\":\"1\"}],[{\"px\":\"2\",\"sz\":\"1\"}]]}}",
        "{\"channel\":\"candle\",\"data\":{\"t\":1,\"T\":2,\"s\":\"BTC\",\"o\":\"1\",\"c\":\"1\",\"h\":\"1\",\"l\":\"1\",\"v\":\"1\"}}",
        "{\"channel\":\"l2_data\",\"timestamp\":\"2023-11-14T22:13:23Z\",\"sequence_num\":4,\"events\":[{\"type\":\"snapshot\",\"product_id\":\"BTC-USD\",\"updates\":[{\"side\":\"bid\",\"price_level\":\"1\",\"new_quantity\":\"3\"},{\"side\":\"offer\",\"price_level\":\"2\",\"new_quantity\":\"3\"}]}]}",
        "{\"channel\":\"market_trades\",\"sequence_num\":2,\"events\":[{\"type\":\"update\",\"trades\":[{\"trade_id\":\"1\",\"product_id\":\"BTC-USD\",\"price\":\"1\",\"size\":\"1\",\"side\":\"BUY\",\"time\":\"2023-11-14T22:13:21Z\"}]}]}",
    };
    ar_feed_parser *ps[AR_EX_COUNT];
    for (int ex = 0; ex < AR_EX_COUNT; ex++) ps[ex] = mk((ar_exchange)ex);
    uint64_t x = 12345;
    char buf[600];
    for (int it = 0; it < 20000; it++) {
        x = ar_mix64(x + (uint64_t)it);
        size_t n;
        if (it % 4 == 0) { /* random bytes */
            n = x % sizeof buf;
            for (size_t i = 0; i < n; i++) {
                x = ar_mix64(x);
                buf[i] = (char)(x & 0xff);
            }
        } else { /* a real message, mangled: flips, cuts, inserted JSON bytes */
            const char *s = seeds[x % (sizeof seeds / sizeof seeds[0])];
            n = strlen(s);
            memcpy(buf, s, n);
            int edits = 1 + (int)((x >> 8) % 4);
            for (int k = 0; k < edits; k++) {
                x = ar_mix64(x);
                size_t at = (size_t)(x % n);
                static const char junk[] = "{}[]\",:0123456789.-eE \\tfn\x80";
                switch ((x >> 16) % 3) {
                case 0: buf[at] = junk[(x >> 24) % (sizeof junk - 1)]; break;
                case 1: n = at; break;
                default:
                    if (n + 1 < sizeof buf) {
                        memmove(buf + at + 1, buf + at, n - at);
                        buf[at] = junk[(x >> 24) % (sizeof junk - 1)];
                        n++;
                    }
                }
                if (n == 0) break;
            }
        }
        evs v;
        memset(&v, 0, sizeof v);
        ar_feed_parse(ps[it % AR_EX_COUNT], buf, n, collect, &v);
        for (size_t i = 0; i < v.n && i < MAXEV; i++) {
            const ar_feed_event *e = &v.e[i];
            if (e->kind == AR_FEED_BOOK_TOP) assert_true(e->bid < e->ask);
            if (e->kind == AR_FEED_TRADE) assert_true(e->price > 0 && e->sym >= 0 && e->sym < 2);
        }
    }
    uint64_t total = 0;
    for (int ex = 0; ex < AR_EX_COUNT; ex++) {
        const ar_feed_stats *st = ar_feed_parser_stats(ps[ex]);
        total += st->messages;
        assert_true(st->rejected[AR_FEED_REJ_BAD_JSON] > 0);
        ar_feed_parser_free(ps[ex]);
    }
    assert_int_equal(total, 20000);
}

/* ---- fast path against jansson ---------------------------------------------
 * The same messages go to a parser with the scanner (the default) and to one
 * that sends everything through jansson (the reference). Events must agree
 * field by field and bit for bit (so -0 and +0 differ), and so must every
 * counter, message after message (state such as trade order, Coinbase
 * sequence numbers, ids and books, and open candles carries over). */

static int same_bits(double a, double b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

static int ev_same(const ar_feed_event *a, const ar_feed_event *b) {
    return a->kind == b->kind && a->sym == b->sym && a->t == b->t && same_bits(a->price, b->price) &&
           same_bits(a->qty, b->qty) && a->side == b->side && same_bits(a->bid, b->bid) &&
           same_bits(a->bid_qty, b->bid_qty) && same_bits(a->ask, b->ask) && same_bits(a->ask_qty, b->ask_qty) &&
           a->kline.t == b->kline.t && same_bits(a->kline.o, b->kline.o) && same_bits(a->kline.h, b->kline.h) &&
           same_bits(a->kline.l, b->kline.l) && same_bits(a->kline.c, b->kline.c) &&
           same_bits(a->kline.v, b->kline.v) && a->seq == b->seq && a->gap == b->gap;
}

typedef struct duo {
    ar_feed_parser *fast, *ref;
} duo;

static duo mk_duo(ar_exchange ex) {
    duo d = {mk(ex), mk(ex)};
    ar__feed_parser_set_fast(d.ref, 0);
    return d;
}

static void free_duo(duo d) {
    ar_feed_parser_free(d.fast);
    ar_feed_parser_free(d.ref);
}

/* Parse msg[0..len) with both; fail unless they agree. 1 when the scanner
 * handled it, 0 when it went to jansson. */
static int both_ev(duo d, const char *msg, size_t len, evs *out) {
    evs a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    uint64_t before = ar__feed_parser_fast_count(d.fast);
    size_t na = ar_feed_parse(d.fast, msg, len, collect, &a);
    size_t nb = ar_feed_parse(d.ref, msg, len, collect, &b);
    int ok = na == nb && a.n == b.n;
    for (size_t i = 0; ok && i < a.n && i < MAXEV; i++) ok = ev_same(&a.e[i], &b.e[i]);
    const ar_feed_stats *sa = ar_feed_parser_stats(d.fast), *sb = ar_feed_parser_stats(d.ref);
    ok = ok && sa->messages == sb->messages && sa->events == sb->events;
    for (int r = 0; ok && r < AR_FEED_REJ_COUNT; r++) ok = sa->rejected[r] == sb->rejected[r];
    if (!ok) {
        print_error("fast path and jansson differ (%zu vs %zu events) on: %.*s\n", na, nb, (int)len, msg);
        fail();
    }
    if (out != NULL) *out = a;
    return ar__feed_parser_fast_count(d.fast) > before;
}

static int both(duo d, const char *msg, size_t len) {
    return both_ev(d, msg, len, NULL);
}

/* Expected path: F the scanner, J jansson, A either. */
enum { F = 1, J = 0, A = -1 };
typedef struct vcase {
    int path;
    const char *msg;
} vcase;

static void run_cases(ar_exchange ex, const vcase *c, size_t n) {
    duo d = mk_duo(ex);
    for (size_t i = 0; i < n; i++) {
        int fast = both(d, c[i].msg, strlen(c[i].msg));
        if (c[i].path != A && fast != c[i].path) {
            print_error("expected the %s path for: %s\n", c[i].path ? "fast" : "jansson", c[i].msg);
            fail();
        }
    }
    free_duo(d);
}

#define BT(fields) "{\"e\":\"trade\",\"E\":1700000000123,\"s\":\"BTCUSDT\",\"t\":41," fields "}"

static void test_fast_binance(void **state) {
    (void)state;
    static const vcase c[] = {
        {F, BT("\"p\":\"64000.1\",\"q\":\"0.005\",\"T\":1700000000120,\"m\":true")},
        /* keys in another order, whitespace everywhere */
        {F, " {\n\t\"m\" : false , \"q\":\"1.5\",\"T\" :1700000000121,\"p\":\"64000.2\", \"s\":\"ETHUSDT\",\r\n"
            "\"E\":1,\"e\":\"trade\",\"t\":42 } \n"},
        {F, BT("\"p\":\"1\",\"p\":\"64000.3\",\"q\":\"1\",\"T\":1700000000122,\"m\":true")}, /* last duplicate wins */
        {J, "{\"e\":\"trade\",\"E\":1,\"s\":\"BTC\\u0055SDT\",\"t\":43,\"p\":\"2\",\"q\":\"1\",\"T\":1700000000123,\"m\":true}"},
        {J, BT("\"p\":\"64000\\u002e5\",\"q\":\"1\",\"T\":1700000000123,\"m\":true")}, /* escape in a number string */
        /* numbers: exponents, JSON numbers, -0, huge, odd strings */
        {F, BT("\"p\":\"6.4e4\",\"q\":\"1E-7\",\"T\":1700000000124,\"m\":true")},
        {F, BT("\"p\":64000.5,\"q\":2,\"T\":1700000000125,\"m\":false")},
        {J, BT("\"p\":6.4e4,\"q\":2,\"T\":1700000000126,\"m\":false")},
        {J, BT("\"p\":6.4E+4,\"q\":2e-400,\"T\":1700000000126,\"m\":false")},
        {F, BT("\"p\":\"7\",\"q\":\"-0\",\"T\":1700000000127,\"m\":false")},   /* qty -0.0 */
        {F, BT("\"p\":\"7\",\"q\":-0,\"T\":1700000000127,\"m\":false")},       /* integer -0: +0.0 */
        {F, BT("\"p\":\"7\",\"q\":-0.0,\"T\":1700000000127,\"m\":false")},     /* real -0.0 */
        {F, BT("\"p\":\"7\",\"q\":\"-0.000\",\"T\":1700000000127,\"m\":false")},
        {F, BT("\"p\":\"-0\",\"q\":\"1\",\"T\":1700000000127,\"m\":false")},   /* price -0: bad_field */
        {J, "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":99999999999999999999,\"p\":\"2\",\"q\":\"1\",\"T\":1700000000128,\"m\":true}"},
        {J, "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":-9223372036854775809,\"p\":\"2\",\"q\":\"1\",\"T\":1700000000128,\"m\":true}"},
        {J, "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":9223372036854775807,\"p\":\"2\",\"q\":\"1\",\"T\":1700000000128,\"m\":true}"},
        {F, "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":999999999999999999,\"p\":\"2\",\"q\":\"1\",\"T\":1700000000128,\"m\":true}"},
        {F, "{\"e\":\"trade\",\"E\":1700000000129,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"2\",\"q\":\"1\",\"T\":999999999999999999,\"m\":true}"},
        {F, "{\"e\":\"trade\",\"E\":1700000000129,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"2\",\"q\":\"1\",\"T\":\"99999999999999999999\",\"m\":true}"},
        {J, BT("\"p\":\"2\",\"q\":\"1\",\"T\":1700000000130,\"m\":true,\"x\":1e999")},
        {J, BT("\"p\":\"2\",\"q\":\"1\",\"T\":1700000000130,\"m\":true,\"x\":-1e999")},
        {F, BT("\"p\":\"2\",\"q\":\"1\",\"T\":\" 1700000000131\",\"m\":true")},  /* strtoll skips the space */
        {F, BT("\"p\":\"2\",\"q\":\"1\",\"T\":\"+1700000000132\",\"m\":true")},
        {F, BT("\"p\":\"2\",\"q\":\"1\",\"T\":\"1700000000133.5\",\"m\":true")}, /* T bad: E is used */
        {F, BT("\"p\":\"2\",\"q\":\"1\",\"T\":1700000000133.5,\"m\":true")},
        {F, BT("\"p\":\"1e400\",\"q\":\"1\",\"T\":1700000000134,\"m\":true")},
        {F, BT("\"p\":\"nan\",\"q\":\"1\",\"T\":1700000000134,\"m\":true")},
        {F, BT("\"p\":\"inf\",\"q\":\"1\",\"T\":1700000000134,\"m\":true")},
        {F, BT("\"p\":\"0x1p4\",\"q\":\"1\",\"T\":1700000000134,\"m\":true")},
        {F, BT("\"p\":\" 5\",\"q\":\"1\",\"T\":1700000000135,\"m\":true")},
        {F, BT("\"p\":\"5 \",\"q\":\"1\",\"T\":1700000000135,\"m\":true")},
        {F, BT("\"p\":\"5.\",\"q\":\".5\",\"T\":1700000000135,\"m\":true")},
        {F, BT("\"p\":\"00012.50\",\"q\":\"1\",\"T\":1700000000135,\"m\":true")},
        {F, BT("\"p\":\"0.1000000000000000055511151231257827\",\"q\":\"1\",\"T\":1700000000135,\"m\":true")},
        {F, BT("\"p\":\"9007199254740993\",\"q\":\"9007199254740992\",\"T\":1700000000135,\"m\":true")},
        {F, BT("\"p\":\"0.30000000000000004\",\"q\":\"2.2250738585072011e-308\",\"T\":1700000000135,\"m\":true")},
        {F, BT("\"p\":\"1.7976931348623157e308\",\"q\":\"4.9e-324\",\"T\":1700000000135,\"m\":true")},
        {F, BT("\"p\":123456789012345678,\"q\":0.1,\"T\":1700000000135,\"m\":true")},
        {F, BT("\"p\":\"\",\"q\":\"1\",\"T\":1700000000135,\"m\":true")},
        /* wrong types and missing fields */
        {F, BT("\"p\":\"2\",\"q\":\"1\",\"T\":1700000000136,\"m\":\"true\"")},
        {F, BT("\"p\":\"2\",\"q\":\"1\",\"T\":1700000000136")},
        {F, BT("\"p\":null,\"q\":\"1\",\"T\":1700000000136,\"m\":true")},
        {F, BT("\"p\":[\"2\"],\"q\":\"1\",\"T\":1700000000136,\"m\":true")},
        {F, BT("\"p\":{},\"q\":\"1\",\"T\":1700000000136,\"m\":true")},
        {F, "{\"e\":\"trade\",\"p\":\"2\",\"q\":\"1\",\"T\":1700000000136,\"m\":true}"},
        {F, "{\"e\":\"trade\",\"s\":\"DOGEUSDT\",\"p\":\"2\",\"q\":\"1\",\"T\":1700000000136,\"m\":true}"},
        {F, "{\"e\":\"trade\",\"s\":\"btcusdt\",\"p\":\"2\",\"q\":\"1\",\"T\":1700000000136,\"m\":true}"},
        {F, "{\"e\":\"trade\",\"s\":\"BTCUSD\",\"p\":\"2\",\"q\":\"1\",\"T\":1700000000136,\"m\":true}"},
        {F, "{\"e\":\"trade\",\"s\":\"BTCUSDTX\",\"p\":\"2\",\"q\":\"1\",\"T\":1700000000136,\"m\":true}"},
        {F, "{\"e\":7,\"s\":\"BTCUSDT\",\"p\":\"2\",\"q\":\"1\",\"T\":1700000000136,\"m\":true}"},
        {F, BT("\"p\":\"2\",\"q\":\"1\",\"T\":1700000000000,\"m\":true")}, /* out of order */
        /* what the scanner leaves to jansson */
        {J, BT("\"p\":\"2\",\"q\":\"1\",\"T\":1700000000137,\"m\":true,\"x\":\"\xc3\xa9\"")},
        {J, BT("\"p\":\"2\",\"q\":\"1\",\"T\":1700000000137,\"m\":true,\"x\":\"\xff\"")},
        {J, BT("\"p\":\"2\",\"q\":\"1\",\"T\":1700000000137,\"m\":true,\"x\":\"a\tb\"")},
        {J, BT("\"p\":\"2\",\"q\":\"1\",\"T\":1700000000137,\"m\":true,\"x\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]")},
        {J, BT("\"p\":\"2\",\"q\":\"1\",\"T\":1700000000137,\"m\":true} x")},
        {J, BT("\"p\":\"2\",\"q\":\"1\",\"T\":1700000000137,\"m\":true,}")},
        {J, BT("\"p\":\"2\",\"q\":\"1\",\"T\":1700000000137,\"m\":tru")},
        {J, BT("\"p\":\"2\",\"q\":\"1\",\"T\":1700000000137,\"m\":truex")},
        {J, BT("\"p\":\"2\",\"q\":\"1\",\"T\":01700000000137,\"m\":true")},
        {J, BT("\"p\":\"2\",\"q\":\"1\",\"T\":-,\"m\":true")},
        {J, BT("\"p\":\"2\",\"q\":1.,\"T\":1,\"m\":true")},
        {J, BT("\"p\":\"2\",\"q\":.5,\"T\":1,\"m\":true")},
        {J, BT("\"p\":\"2\",\"q\":+5,\"T\":1,\"m\":true")},
        {J, BT("\"p\":\"2\" \"q\":\"1\",\"T\":1,\"m\":true")},
        {J, "[1,2]"},
        {J, "\"trade\""},
        {J, ""},
        {J, "{\"e\":\"trade\""},
        {F, "{}"},
        {F, " { } "},
        /* the other Binance messages */
        {F, "{\"u\":400900217,\"s\":\"BTCUSDT\",\"b\":\"64000.0\",\"B\":\"1.5\",\"a\":\"64000.2\",\"A\":\"2.25\"}"},
        {F, "{\"A\":\"2.25\",\"a\":\"64000.2\",\"B\":\"1.5\",\"b\":\"64000.0\",\"s\":\"ETHUSDT\",\"u\":1,\"E\":1700000000200}"},
        {F, "{\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"64000.2\",\"B\":\"1.5\",\"a\":\"64000.2\",\"A\":\"2.25\"}"},
        {F, "{\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"64000\",\"B\":\"-1\",\"a\":\"64000.2\",\"A\":\"2.25\"}"},
        {F, "{\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"64000\",\"a\":\"64000.2\",\"A\":\"2.25\"}"},
        {F, "{\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"64000\",\"B\":\"1\",\"a\":\"64000.2\",\"A\":\"2\",\"E\":\"x\"}"},
        {F, "{\"stream\":\"ethusdt@aggTrade\",\"data\":{\"e\":\"aggTrade\",\"E\":1700000000200,\"s\":\"ETHUSDT\","
            "\"a\":7,\"p\":\"3000.5\",\"q\":\"1.25\",\"f\":100,\"l\":105,\"T\":1700000000199,\"m\":false}}"},
        {F, "{\"stream\":7,\"data\":{\"e\":\"aggTrade\",\"s\":\"ETHUSDT\",\"p\":\"3000.5\",\"q\":\"1\",\"T\":1700000000300,\"m\":false}}"},
        {F, "{\"e\":\"kline\",\"E\":1700000060001,\"s\":\"BTCUSDT\",\"k\":{\"t\":1700000000000,\"T\":1700000059999,"
            "\"s\":\"BTCUSDT\",\"i\":\"1m\",\"o\":\"1.5\",\"c\":\"2.5\",\"h\":\"3\",\"l\":\"1\",\"v\":\"10\",\"n\":5,\"x\":true}}"},
        {F, "{\"e\":\"kline\",\"k\":{\"x\":false,\"t\":1700000000000,\"s\":\"ETHUSDT\",\"o\":\"1.5\",\"c\":\"2.5\",\"h\":\"3\","
            "\"l\":\"1\",\"v\":\"10\"}}"},
        {F, "{\"e\":\"kline\",\"k\":{\"x\":true,\"T\":1700000059999,\"t\":1700000000000,\"s\":\"ETHUSDT\",\"o\":\"1.5\","
            "\"c\":\"2.5\",\"h\":\"3\",\"l\":\"1\",\"v\":\"10\"}}"},
        {F, "{\"e\":\"kline\",\"k\":{\"x\":true,\"t\":1700000000000,\"s\":\"ETHUSDT\",\"o\":\"1.5\",\"c\":\"2.5\",\"h\":\"3\","
            "\"l\":\"1\"}}"},
        {F, "{\"e\":\"kline\",\"s\":\"BTCUSDT\",\"k\":[]}"},
        {F, "{\"result\":null,\"id\":1}"},
        {F, "{\"id\":\"17\",\"result\":[]}"},
        {F, "{\"error\":{\"code\":-1121,\"msg\":\"Invalid symbol.\"},\"id\":2}"},
        {F, "{\"error\":{\"code\":\"-5\"}}"},
        {F, "{\"error\":\"x\",\"id\":3}"},
        {F, "{\"lastUpdateId\":160,\"bids\":[[\"1\",\"2\"]],\"asks\":[]}"},
        {F, "{\"e\":\"serverShutdown\",\"E\":1}"},
    };
    run_cases(AR_EX_BINANCE, c, sizeof c / sizeof c[0]);
    /* a NUL byte in the frame: jansson rejects it wherever it is */
    duo d = mk_duo(AR_EX_BINANCE);
    static const char nul[] = "{\"e\":\"trade\",\"s\":\"BTC\0USDT\",\"p\":\"2\",\"q\":\"1\",\"T\":1,\"m\":true}";
    assert_int_equal(both(d, nul, sizeof nul - 1), 0);
    static const char nul2[] = "{\"e\":\"trade\"}\0";
    assert_int_equal(both(d, nul2, sizeof nul2 - 1), 0);
    /* strings at the scanner's length limit and just over it */
    for (int n = AR_FT_MAX_STR - 2; n <= AR_FT_MAX_STR + 2; n++) {
        char buf[600];
        int w = snprintf(buf, sizeof buf, "{\"e\":\"x\",\"k\":\"%0*d\"}", n, 7);
        assert_int_equal(both(d, buf, (size_t)w), n <= AR_FT_MAX_STR);
    }
    free_duo(d);
}

static void test_fast_hyperliquid(void **state) {
    (void)state;
    static const vcase c[] = {
        {A, "Websocket connection established."},
        {F, "{\"channel\":\"trades\",\"data\":[{\"coin\":\"BTC\",\"side\":\"B\",\"px\":\"64000.0\",\"sz\":\"0.01\","
            "\"time\":1700000000100,\"hash\":\"0x1\",\"tid\":9,\"users\":[\"0xa\",\"0xb\"]},"
            "{\"coin\":\"ETH\",\"side\":\"A\",\"px\":\"3000.25\",\"sz\":\"2\",\"time\":1700000000101,\"tid\":10}]}"},
        {F, "{ \"data\" : [ { \"tid\" : \"11\" , \"time\" : \"1700000000102\" , \"sz\" : 0.5 , \"px\" : 64001 ,"
            " \"side\" : \"X\" , \"coin\" : \"BTC\" } ] , \"channel\" : \"trades\" }"},
        {F, "{\"channel\":\"trades\",\"data\":[{\"coin\":\"BTC\",\"side\":\"B\",\"px\":\"6.4e4\",\"sz\":\"-0\",\"time\":1700000000103}]}"},
        {J, "{\"channel\":\"trades\",\"data\":[{\"coin\":\"BTC\",\"side\":\"B\",\"px\":6.4e4,\"sz\":\"1\",\"time\":1700000000103}]}"},
        {J, "{\"channel\":\"trades\",\"data\":[{\"coin\":\"\\u0042TC\",\"side\":\"B\",\"px\":\"1\",\"sz\":\"1\",\"time\":1700000000104}]}"},
        {F, "{\"channel\":\"trades\",\"data\":[{\"coin\":\"BTC\",\"side\":\"B\",\"px\":\"1\",\"sz\":\"1\",\"time\":1700000000000}]}"},
        {F, "{\"channel\":\"trades\",\"data\":[{\"coin\":\"BTC\",\"side\":\"B\",\"px\":\"1\",\"sz\":\"1\"},"
            "{\"coin\":\"DOGE\",\"side\":\"B\",\"px\":\"1\",\"sz\":\"1\",\"time\":1700000000105},"
            "{\"coin\":\"BTC\",\"px\":\"1\",\"sz\":\"1\",\"time\":1700000000105},1,\"x\",null,[],"
            "{\"coin\":\"BTC\",\"side\":\"A\",\"px\":\"0\",\"sz\":\"1\",\"time\":1700000000105},"
            "{\"coin\":\"BTC\",\"side\":\"A\",\"px\":\"2\",\"sz\":\"1\",\"time\":1700000000106,\"tid\":-999999999999999999}]}"},
        {J, "{\"channel\":\"trades\",\"data\":[{\"coin\":\"BTC\",\"side\":\"A\",\"px\":\"2\",\"sz\":\"1\",\"time\":1700000000106,"
            "\"tid\":99999999999999999999}]}"},
        {F, "{\"channel\":\"trades\",\"data\":{}}"},
        {F, "{\"channel\":\"trades\",\"data\":[]}"},
        {F, "{\"channel\":\"trades\"}"},
        {F, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1700000000200,\"levels\":"
            "[[{\"px\":\"63999\",\"sz\":\"1.5\",\"n\":3},{\"px\":\"63998\",\"sz\":\"4\",\"n\":1}],"
            "[{\"px\":\"64001\",\"sz\":\"0.5\",\"n\":2}]]}}"},
        {F, "{\"channel\":\"l2Book\",\"data\":{\"levels\":[[{\"sz\":\"1.5\",\"px\":\"63999\"}],[{\"n\":1,\"sz\":\"0.5\","
            "\"px\":\"64001\"}]],\"time\":\"1700000000201\",\"coin\":\"ETH\"}}"},
        {F, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1700000000202,\"levels\":[[],[{\"px\":\"1\",\"sz\":\"1\"}]]}}"},
        {F, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1700000000202,\"levels\":[[{\"px\":\"5\",\"sz\":\"1\"}],"
            "[{\"px\":\"4\",\"sz\":\"1\"}]]}}"},
        {F, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1700000000202,\"levels\":[[{\"px\":\"5\",\"sz\":\"1\"}],"
            "[{\"px\":\"6\",\"sz\":\"1\"}],[]]}}"},
        {F, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1700000000202,\"levels\":[[\"5\"],[{\"px\":\"6\"}]]}}"},
        {F, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"levels\":[[{\"px\":\"5\",\"sz\":\"1\"}],[{\"px\":\"6\",\"sz\":\"1\"}]]}}"},
        {F, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1,\"levels\":{}}}"},
        {F, "{\"channel\":\"l2Book\",\"data\":[]}"},
        {F, "{\"channel\":\"candle\",\"data\":{\"t\":1700000000000,\"T\":1700000059999,\"s\":\"BTC\",\"i\":\"1m\","
            "\"o\":\"10\",\"c\":\"11\",\"h\":\"12\",\"l\":\"9\",\"v\":\"5\",\"n\":3}}"},
        {F, "{\"channel\":\"candle\",\"data\":{\"n\":3,\"v\":\"6\",\"l\":\"8\",\"h\":\"13\",\"c\":\"11.5\",\"o\":\"10\","
            "\"i\":\"1m\",\"s\":\"BTC\",\"T\":1700000059999,\"t\":1700000000000}}"},
        {F, "{\"channel\":\"candle\",\"data\":{\"t\":1700000060000,\"s\":\"BTC\",\"o\":\"11.5\",\"c\":\"11.5\",\"h\":\"11.5\","
            "\"l\":\"11.5\",\"v\":\"0\"}}"},
        {F, "{\"channel\":\"candle\",\"data\":{\"t\":1699999940000,\"s\":\"BTC\",\"o\":\"1\",\"c\":\"1\",\"h\":\"1\",\"l\":\"1\",\"v\":\"0\"}}"},
        {F, "{\"channel\":\"candle\",\"data\":{\"t\":1700000120000,\"s\":\"BTC\",\"o\":\"1\",\"c\":\"1\",\"h\":\"1\",\"l\":\"1\"}}"},
        {F, "{\"channel\":\"candle\",\"data\":{\"t\":1700000120000,\"s\":\"SOL\",\"o\":\"1\",\"c\":\"1\",\"h\":\"1\",\"l\":\"1\",\"v\":\"1\"}}"},
        {F, "{\"channel\":\"subscriptionResponse\",\"data\":{\"method\":\"subscribe\",\"subscription\":{\"type\":\"trades\",\"coin\":\"BTC\"}}}"},
        {F, "{\"channel\":\"pong\"}"},
        {F, "{\"channel\":\"error\",\"data\":\"bad\"}"},
        {F, "{\"channel\":\"allMids\",\"data\":{\"mids\":{\"BTC\":\"64000.5\"}}}"},
        {F, "{\"channel\":5}"},
        {F, "{\"data\":[]}"},
        {J, "{\"channel\":\"pong\"}}"},
        {J, "[\"trades\"]"},
    };
    run_cases(AR_EX_HYPERLIQUID, c, sizeof c / sizeof c[0]);
    /* more tokens than the scanner keeps: jansson, same answer */
    duo d = mk_duo(AR_EX_HYPERLIQUID);
    size_t cap = 64 * 1024, n = 0;
    char *big = malloc(cap);
    n += (size_t)snprintf(big + n, cap - n, "{\"channel\":\"trades\",\"data\":[");
    for (int i = 0; i < 150; i++)
        n += (size_t)snprintf(big + n, cap - n, "%s{\"coin\":\"%s\",\"side\":\"B\",\"px\":\"%d.5\",\"sz\":\"1\",\"time\":%d,\"tid\":%d}",
                              i ? "," : "", i % 2 ? "ETH" : "BTC", 100 + i, 1700000001 + i, i);
    n += (size_t)snprintf(big + n, cap - n, "]}");
    assert_int_equal(both(d, big, n), 0);
    free(big);
    free_duo(d);
}

#define CB_TRADE(seq, id, px, t) \
    "{\"channel\":\"market_trades\",\"timestamp\":\"2023-11-14T22:13:22Z\",\"sequence_num\":" seq ",\"events\":" \
    "[{\"type\":\"update\",\"trades\":[{\"trade_id\":\"" id "\",\"product_id\":\"BTC-USD\",\"price\":\"" px "\"," \
    "\"size\":\"0.1\",\"side\":\"BUY\",\"time\":\"" t "\"}]}]}"

static void test_fast_coinbase(void **state) {
    (void)state;
    static const vcase c[] = {
        {F, "{\"channel\":\"subscriptions\",\"client_id\":\"\",\"timestamp\":\"2023-11-14T22:13:20.123456789Z\","
            "\"sequence_num\":0,\"events\":[{\"subscriptions\":{\"market_trades\":[\"BTC-USD\"]}}]}"},
        {F, "{\"channel\":\"heartbeats\",\"timestamp\":\"2023-11-14T22:13:21.000000001Z\",\"sequence_num\":1,"
            "\"events\":[{\"current_time\":\"2023-11-14 22:13:21 +0000 UTC\",\"heartbeat_counter\":\"3\"}]}"},
        {F, "{\"channel\":\"heartbeats\",\"sequence_num\":2,\"events\":[{\"heartbeat_counter\":4}]}"},
        {F, "{\"channel\":\"heartbeats\",\"sequence_num\":3,\"events\":{}}"},
        {F, CB_TRADE("4", "11", "64000.25", "2023-11-14T22:13:21.123456789Z")},
        {F, "{\"events\":[{\"trades\":[{\"time\":\"2023-11-14T22:13:21.2Z\",\"side\":\"SELL\",\"size\":\"2\","
            "\"price\":\"64000.5\",\"product_id\":\"ETH-USD\",\"trade_id\":\"12\"}],\"type\":\"update\"}],"
            "\"sequence_num\":5,\"timestamp\":\"2023-11-14T22:13:22.5Z\",\"channel\":\"market_trades\"}"},
        {F, CB_TRADE("6", "11", "64000.25", "2023-11-14T22:13:21.3Z")},           /* duplicate id */
        {F, CB_TRADE("7", "13", "64000.25", "2023-11-14T22:13:20Z")},             /* out of order */
        {F, CB_TRADE("9", "14", "6.4e4", "2023-11-14T22:13:23Z")},                /* sequence gap */
        {F, CB_TRADE("10", "15", "-0", "2023-11-14T22:13:23Z")},
        {F, CB_TRADE("11", "16", "1", "2023-11-14 22:13:23+01:00")},
        {F, CB_TRADE("12", "17", "1", "1700000000")},
        {F, CB_TRADE("13", "x-18", "1", "2023-11-14T22:13:24Z")},                 /* id not numeric: seq 0 */
        {F, CB_TRADE("14", "", "1", "2023-11-14T22:13:24Z")},
        {F, CB_TRADE("\"15\"", "19", "1", "2023-11-14T22:13:24Z")},               /* sequence_num as a string */
        {F, CB_TRADE("16.5", "20", "1", "2023-11-14T22:13:24Z")},                 /* not an integer: ignored */
        {J, CB_TRADE("17", "21", "1", "2023-11-14T22:13:24\\u005a")},
        {J, CB_TRADE("18", "22", "1", "2023-11-14T22:13:24Z\\/")},
        {F, CB_TRADE("19", "23", "1", "2023-13-14T22:13:24Z")},
        /* newest first: walked backwards */
        {F, "{\"channel\":\"market_trades\",\"sequence_num\":20,\"events\":[{\"type\":\"snapshot\",\"trades\":["
            "{\"trade_id\":\"32\",\"product_id\":\"BTC-USD\",\"price\":\"64000.5\",\"size\":\"0.2\",\"side\":\"SELL\",\"time\":\"2023-11-14T22:14:21.5Z\"},"
            "{\"trade_id\":\"31\",\"product_id\":\"ETH-USD\",\"price\":\"3000\",\"size\":\"0.2\",\"side\":\"sell\",\"time\":\"2023-11-14T22:14:21.4Z\"},"
            "{\"trade_id\":\"30\",\"product_id\":\"BTC-USD\",\"price\":\"64000.25\",\"size\":\"0.1\",\"side\":\"BUY\",\"time\":\"2023-11-14T22:14:21.1Z\"}]}]}"},
        {F, "{\"channel\":\"market_trades\",\"sequence_num\":21,\"events\":[{\"trades\":[{\"trade_id\":33,\"product_id\":\"BTC-USD\","
            "\"price\":\"1\",\"size\":\"1\",\"side\":\"BUY\",\"time\":\"2023-11-14T22:15:00Z\"},{\"product_id\":\"BTC-USD\"},"
            "{\"trade_id\":\"34\",\"product_id\":\"SOL-USD\"},7,{\"trade_id\":\"35\",\"product_id\":\"BTC-USD\",\"price\":\"1\","
            "\"size\":\"1\",\"side\":\"BUY\"}]},{\"trades\":{}},{}]}"},
        {F, "{\"channel\":\"market_trades\",\"sequence_num\":22,\"events\":{}}"},
        {F, "{\"channel\":\"market_trades\",\"sequence_num\":23}"},
        /* level2 */
        {F, "{\"channel\":\"l2_data\",\"timestamp\":\"2023-11-14T22:13:23Z\",\"sequence_num\":24,\"events\":["
            "{\"type\":\"snapshot\",\"product_id\":\"ETH-USD\",\"updates\":["
            "{\"side\":\"bid\",\"price_level\":\"2999.5\",\"new_quantity\":\"3\"},"
            "{\"side\":\"bid\",\"price_level\":\"2999.75\",\"new_quantity\":\"1\"},"
            "{\"side\":\"offer\",\"price_level\":\"3000.5\",\"new_quantity\":\"2\"},"
            "{\"side\":\"offer\",\"price_level\":\"3000.25\",\"new_quantity\":\"4\"}]}]}"},
        {F, "{\"channel\":\"l2_data\",\"timestamp\":\"2023-11-14T22:13:24Z\",\"sequence_num\":25,\"events\":["
            "{\"updates\":[{\"new_quantity\":\"0\",\"price_level\":\"2999.75\",\"side\":\"bid\"},"
            "{\"side\":\"offer\",\"price_level\":\"3000.25\",\"new_quantity\":\"7\"},"
            "{\"side\":\"offer\",\"price_level\":\"3000.25\",\"new_quantity\":\"-1\"},"
            "{\"side\":\"ask\",\"price_level\":\"3000.75\",\"new_quantity\":\"1\"},"
            "{\"side\":\"bid\",\"price_level\":\"0\",\"new_quantity\":\"1\"},"
            "{\"side\":\"bid\",\"price_level\":\"2999\",\"new_quantity\":\"-0\"}],"
            "\"product_id\":\"ETH-USD\",\"type\":\"update\"}]}"},
        {F, "{\"channel\":\"l2_data\",\"timestamp\":\"2023-11-14T22:13:25Z\",\"sequence_num\":26,\"events\":["
            "{\"type\":\"update\",\"product_id\":\"ETH-USD\",\"updates\":[{\"side\":\"bid\",\"price_level\":\"3001\",\"new_quantity\":\"1\"}]}]}"},
        {F, "{\"channel\":\"l2_data\",\"sequence_num\":27,\"events\":[{\"type\":\"update\",\"product_id\":\"ETH-USD\",\"updates\":{}},"
            "{\"product_id\":\"ETH-USD\",\"updates\":[]},{\"type\":\"snapshot\",\"product_id\":\"BTC-USD\",\"updates\":[]},"
            "{\"type\":\"update\",\"product_id\":\"XRP-USD\",\"updates\":[]}]}"},
        {F, "{\"channel\":\"ticker\",\"timestamp\":\"2023-11-14T22:13:26Z\",\"sequence_num\":30,\"events\":[]}"},
        {F, "{\"type\":\"error\",\"message\":\"bad\"}"},
        {F, "{\"type\":\"subscribe\"}"},
        {F, "{\"channel\":null,\"sequence_num\":31}"},
        {J, "{\"channel\":\"heartbeats\",\"sequence_num\":31,\"events\":[{\"heartbeat_counter\":1e3}]}"},
        {F, "{\"channel\":\"heartbeats\",\"sequence_num\":-9223372036854775,\"events\":[]}"},
        {F, "{\"channel\":\"heartbeats\",\"sequence_num\":\"9223372036854775807\",\"events\":[]}"},
        {F, "{\"channel\":\"heartbeats\",\"sequence_num\":\"-9223372036854775808\",\"events\":[]}"},
    };
    run_cases(AR_EX_COINBASE, c, sizeof c / sizeof c[0]);
}

/* Decimal strings (prices as exchanges send them and odd ones) read exactly
 * as strtod reads them, on both paths. */
static void test_fast_numbers(void **state) {
    (void)state;
    duo d = mk_duo(AR_EX_BINANCE);
    uint64_t x = 99;
    char num[64], msg[256];
    for (int it = 0; it < 40000; it++) {
        x = ar_mix64(x + (uint64_t)it);
        size_t n = 0;
        int ni = (int)(x % 21), nf = (int)((x >> 8) % 26), point = (x >> 16) % 4 != 0;
        if ((x >> 20) % 5 == 0) num[n++] = '0'; /* a leading zero */
        for (int i = 0; i < ni; i++) num[n++] = (char)('0' + (ar_mix64(x + (uint64_t)i) >> 7) % 10);
        if (point) {
            num[n++] = '.';
            for (int i = 0; i < nf; i++) num[n++] = (char)('0' + (ar_mix64(x ^ (uint64_t)(i + 99)) >> 9) % 10);
        }
        if ((x >> 24) % 7 == 0) n += (size_t)snprintf(num + n, sizeof num - n, "e%d", (int)((x >> 28) % 40) - 20);
        num[n] = '\0';
        /* a trade id of its own: the same numbers again would be the same
         * trade sent twice (a duplicate) */
        int w = snprintf(msg, sizeof msg,
                         "{\"e\":\"trade\",\"E\":1700000000123,\"s\":\"BTCUSDT\",\"t\":%d,\"p\":\"%s\",\"q\":\"%s\","
                         "\"T\":1700000000000,\"m\":true}",
                         it + 1000, num, num);
        evs a;
        both_ev(d, msg, (size_t)w, &a); /* the same answer on both paths */
        char *end;
        double want = strtod(num, &end);
        if (*end == '\0' && end != num && want > 0 && want <= 1.7976931348623157e308) {
            assert_int_equal(a.n, 1);
            if (!same_bits(a.e[0].price, want) || !same_bits(a.e[0].qty, want)) {
                print_error("%s: %.17g, strtod %.17g\n", num, a.e[0].price, want);
                fail();
            }
        }
    }
    assert_int_equal(ar__feed_parser_fast_count(d.fast), 40000); /* all plain strings */
    free_duo(d);
}

/* Mangled messages of every kind: both paths agree on all of them, and the
 * scanner takes a fair share (so the comparison is not vacuous). */
static void test_fast_fuzz(void **state) {
    (void)state;
    static const char *const seeds[AR_EX_COUNT][4] = {
        {"{\"e\":\"trade\",\"E\":1700000000123,\"s\":\"BTCUSDT\",\"t\":41,\"p\":\"64000.1\",\"q\":\"0.005\",\"T\":1700000000120,\"m\":true}",
         "{\"u\":400900217,\"s\":\"ETHUSDT\",\"b\":\"64000.0\",\"B\":\"1.5\",\"a\":\"64000.2\",\"A\":\"2.25\"}",
         "{\"stream\":\"x\",\"data\":{\"e\":\"kline\",\"s\":\"BTCUSDT\",\"k\":{\"t\":1,\"o\":\"1\",\"c\":\"1\",\"h\":\"1\",\"l\":\"1\",\"v\":\"1\",\"x\":true}}}",
         "{\"result\":null,\"id\":1}"},
        {"{\"channel\":\"trades\",\"data\":[{\"coin\":\"BTC\",\"side\":\"B\",\"px\":\"64000.0\",\"sz\":\"0.01\",\"time\":1700000000100,\"tid\":9},"
         "{\"coin\":\"ETH\",\"side\":\"A\",\"px\":\"1e3\",\"sz\":\"-0\",\"time\":\"1700000000100\",\"tid\":\"10\"}]}",
         "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1,\"levels\":[[{\"px\":\"1\",\"sz\":\"1\",\"n\":1}],[{\"px\":\"2\",\"sz\":\"1\"}]]}}",
         "{\"channel\":\"candle\",\"data\":{\"t\":1,\"T\":2,\"s\":\"BTC\",\"o\":\"1\",\"c\":\"1\",\"h\":\"1\",\"l\":\"1\",\"v\":\"1\"}}",
         "{\"channel\":\"pong\"}"},
        {"{\"channel\":\"l2_data\",\"timestamp\":\"2023-11-14T22:13:23Z\",\"sequence_num\":4,\"events\":[{\"type\":\"snapshot\",\"product_id\":\"BTC-USD\","
         "\"updates\":[{\"side\":\"bid\",\"price_level\":\"1\",\"new_quantity\":\"3\"},{\"side\":\"offer\",\"price_level\":\"2\",\"new_quantity\":\"3\"}]}]}",
         "{\"channel\":\"market_trades\",\"sequence_num\":2,\"events\":[{\"type\":\"update\",\"trades\":[{\"trade_id\":\"1\",\"product_id\":\"BTC-USD\","
         "\"price\":\"1\",\"size\":\"1\",\"side\":\"BUY\",\"time\":\"2023-11-14T22:13:21Z\"},{\"trade_id\":\"2\",\"product_id\":\"ETH-USD\","
         "\"price\":\"1.5\",\"size\":\"1\",\"side\":\"SELL\",\"time\":\"2023-11-14T22:13:20Z\"}]}]}",
         "{\"channel\":\"heartbeats\",\"sequence_num\":3,\"events\":[{\"heartbeat_counter\":\"3\"}]}",
         "{\"channel\":\"subscriptions\",\"sequence_num\":0,\"events\":[]}"},
    };
    static const char junk[] = "{}[]\",:0123456789.-+eE \t\n\\u/tfnrl\x80\x01";
    uint64_t x = 4242;
    char buf[700];
    for (int ex = 0; ex < AR_EX_COUNT; ex++) {
        duo d = mk_duo((ar_exchange)ex);
        int fast = 0, total = 6000;
        for (int it = 0; it < total; it++) {
            x = ar_mix64(x + (uint64_t)it);
            const char *s = seeds[ex][x % 4];
            size_t n = strlen(s);
            memcpy(buf, s, n);
            int edits = (int)((x >> 8) % 4); /* 0: the message as is */
            for (int k = 0; k < edits && n > 0; k++) {
                x = ar_mix64(x);
                size_t at = (size_t)(x % n);
                char ch = junk[(x >> 24) % (sizeof junk - 1)];
                switch ((x >> 16) % 4) {
                case 0: buf[at] = ch; break;
                case 1: n = at; break;
                case 2: /* a digit changed: numbers, times, ids */
                    if (buf[at] >= '0' && buf[at] <= '9') buf[at] = (char)('0' + (x >> 32) % 10);
                    break;
                default:
                    if (n + 1 < sizeof buf) {
                        memmove(buf + at + 1, buf + at, n - at);
                        buf[at] = ch;
                        n++;
                    }
                }
            }
            fast += both(d, buf, n);
        }
        assert_true(fast > total / 4);
        free_duo(d);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),       cmocka_unit_test(test_binance),        cmocka_unit_test(test_hyperliquid),
        cmocka_unit_test(test_coinbase),    cmocka_unit_test(test_rejects), cmocka_unit_test(test_duplicates),        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_garbage),     cmocka_unit_test(test_fast_binance),   cmocka_unit_test(test_fast_hyperliquid),
        cmocka_unit_test(test_fast_coinbase), cmocka_unit_test(test_fast_numbers), cmocka_unit_test(test_fast_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
