/* tests/test_feed_parse.c - the exchange message parsers: every message kind
 * of every exchange (shapes of /work/shared/refs/wire-formats.md sections
 * 5-7) with exact values, every reject reason counted, the replay formats
 * read back exactly, and 20k random or mangled messages without a crash. */
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),      cmocka_unit_test(test_binance),   cmocka_unit_test(test_hyperliquid),
        cmocka_unit_test(test_coinbase),   cmocka_unit_test(test_rejects),   cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
