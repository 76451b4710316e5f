/* fuzz/fuzz_feed.c - the live exchange feed parsers (ar_feed_parse,
 * src/live/parse.c): one text message (or a few) of Binance, Hyperliquid or
 * Coinbase, over a parser of three symbols (BTC, ETH, SOL).
 *
 * Byte 0 selects: bits 0-1 the exchange (0 binance, 1 hyperliquid,
 * 2 coinbase, 3 binance again); bit 2 splits the rest at '\n' into several
 * messages fed in order to the same parser (so its state - last trade
 * times, Coinbase books, sequence numbers and trade ids, open Hyperliquid
 * candles - is exercised); bit 3 resets the connection state between those
 * messages, as the client does on a reconnect; bit 4 also hands the parser
 * one frame over AR_FEED_MAX_FRAME. The rest is the message text.
 *
 * Checked on every message (include/arena/feed.h, docs/LIVE.md
 * "Validation"): the return value is the number of callbacks; the stats
 * count every message and every delivered event; counters never go back; an
 * event's kind is in range and its sym is -1 or a symbol index; a trade has
 * a symbol, a finite price > 0, a finite quantity >= 0, a side in -1..1 and
 * a time not before the last delivered trade of its symbol (reconnects
 * included); a book top has a symbol, finite sizes >= 0, prices > 0 and
 * bid < ask; a closed kline has a symbol and finite values (Hyperliquid: it
 * is known closed after it opened); a gap from the parser is a sequence gap,
 * one per sequence_gap reject; an oversized frame delivers nothing and
 * counts one oversized reject and nothing else. */
#include <math.h>
#include "arena/feed.h"
#include "fuzz_util.h"

#define NSYM 3
static const char *const syms[NSYM] = {"BTC", "ETH", "SOL"};

typedef struct check {
    ar_exchange ex;
    size_t calls, gaps;
    int64_t last_trade[NSYM];
    int have_trade[NSYM];
} check;

static void on_event(const ar_feed_event *ev, void *user) {
    check *c = user;
    c->calls++;
    FUZZ_CHECK((unsigned)ev->kind <= AR_FEED_GAP);
    FUZZ_CHECK(ev->sym >= -1 && ev->sym < NSYM);
    FUZZ_CHECK(ev->kind == AR_FEED_GAP || ev->gap == AR_FEED_GAP_NONE);
    switch (ev->kind) {
    case AR_FEED_TRADE:
        FUZZ_CHECK(ev->sym >= 0);
        FUZZ_CHECK(isfinite(ev->price) && ev->price > 0);
        FUZZ_CHECK(isfinite(ev->qty) && ev->qty >= 0);
        FUZZ_CHECK(ev->side >= -1 && ev->side <= 1);
        FUZZ_CHECK(!c->have_trade[ev->sym] || ev->t >= c->last_trade[ev->sym]);
        c->have_trade[ev->sym] = 1;
        c->last_trade[ev->sym] = ev->t;
        break;
    case AR_FEED_BOOK_TOP:
        FUZZ_CHECK(ev->sym >= 0);
        FUZZ_CHECK(isfinite(ev->bid) && isfinite(ev->ask) && isfinite(ev->bid_qty) && isfinite(ev->ask_qty));
        FUZZ_CHECK(ev->bid > 0 && ev->ask > 0 && ev->bid_qty >= 0 && ev->ask_qty >= 0);
        FUZZ_CHECK(ev->bid < ev->ask); /* never crossed */
        break;
    case AR_FEED_KLINE_CLOSED:
        FUZZ_CHECK(ev->sym >= 0);
        FUZZ_CHECK(isfinite(ev->kline.o) && isfinite(ev->kline.h) && isfinite(ev->kline.l) &&
                   isfinite(ev->kline.c) && isfinite(ev->kline.v));
        if (c->ex == AR_EX_HYPERLIQUID) FUZZ_CHECK(ev->t > ev->kline.t);
        break;
    case AR_FEED_GAP:
        FUZZ_CHECK(ev->gap == AR_FEED_GAP_SEQUENCE); /* reconnect gaps come from the client */
        FUZZ_CHECK(ev->sym == -1);
        c->gaps++;
        break;
    default:
        break;
    }
}

/* One message: the return value, the stats and the events agree. */
static void one(ar_feed_parser *p, check *c, const char *msg, size_t len) {
    ar_feed_stats before = *ar_feed_parser_stats(p);
    c->calls = c->gaps = 0;
    size_t n = ar_feed_parse(p, msg, len, on_event, c);
    const ar_feed_stats *st = ar_feed_parser_stats(p);
    FUZZ_CHECK(n == c->calls);
    FUZZ_CHECK(st->messages == before.messages + 1);
    FUZZ_CHECK(st->events == before.events + n);
    for (int r = 0; r < AR_FEED_REJ_COUNT; r++) FUZZ_CHECK(st->rejected[r] >= before.rejected[r]);
    FUZZ_CHECK(st->rejected[AR_FEED_REJ_SEQUENCE_GAP] - before.rejected[AR_FEED_REJ_SEQUENCE_GAP] == c->gaps);
    FUZZ_CHECK(st->rejected[AR_FEED_REJ_OVERSIZED] == before.rejected[AR_FEED_REJ_OVERSIZED]);
    /* the parser never touches the client's counters */
    FUZZ_CHECK(st->connects == 0 && st->reconnects == 0 && st->timeouts == 0 && st->gaps == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    unsigned sel = data[0];
    check c;
    memset(&c, 0, sizeof c);
    c.ex = (sel & 3) == 3 ? AR_EX_BINANCE : (ar_exchange)(sel & 3);
    ar_feed_parser *p = NULL;
    if (ar_feed_parser_create(c.ex, syms, NSYM, &p) != AR_OK) return 0; /* out of memory */
    /* a heap copy of exactly the message bytes: ASan sees any overread */
    char *text = size > 1 ? malloc(size - 1) : NULL;
    if (size > 1 && text == NULL) {
        ar_feed_parser_free(p);
        return 0;
    }
    if (size > 1) memcpy(text, data + 1, size - 1);
    size_t len = size - 1, nmsg = 0;
    if (sel & 4) {
        size_t at = 0;
        while (at <= len) {
            const char *nl = len > at ? memchr(text + at, '\n', len - at) : NULL;
            size_t end = nl ? (size_t)(nl - text) : len;
            /* each message in its own exact-size buffer */
            char *m = end > at ? malloc(end - at) : NULL;
            if (end > at && m == NULL) break;
            if (end > at) memcpy(m, text + at, end - at);
            if (nmsg > 0 && (sel & 8)) ar_feed_parser_reset_connection(p);
            one(p, &c, m, end - at);
            free(m);
            nmsg++;
            at = end + 1;
        }
    } else {
        one(p, &c, text, len);
        nmsg = 1;
    }
    if (sel & 16) {
        /* A frame over the limit: refused before it is read. */
        static char *huge;
        if (huge == NULL) huge = calloc(1, AR_FEED_MAX_FRAME + 1);
        if (huge != NULL) {
            ar_feed_stats before = *ar_feed_parser_stats(p);
            c.calls = 0;
            size_t n = ar_feed_parse(p, huge, AR_FEED_MAX_FRAME + 1, on_event, &c);
            const ar_feed_stats *st = ar_feed_parser_stats(p);
            FUZZ_CHECK(n == 0 && c.calls == 0);
            FUZZ_CHECK(st->rejected[AR_FEED_REJ_OVERSIZED] == before.rejected[AR_FEED_REJ_OVERSIZED] + 1);
            FUZZ_CHECK(st->messages == before.messages + 1 && st->events == before.events);
            for (int r = 0; r < AR_FEED_REJ_COUNT; r++)
                if (r != AR_FEED_REJ_OVERSIZED) FUZZ_CHECK(st->rejected[r] == before.rejected[r]);
            nmsg++;
        }
    }
    FUZZ_CHECK(ar_feed_parser_stats(p)->messages == nmsg);
    for (int r = 0; r < AR_FEED_REJ_COUNT; r++) FUZZ_CHECK(ar_feed_reject_name((ar_feed_reject)r)[0] != '\0');
    free(text);
    ar_feed_parser_free(p);
    return 0;
}
