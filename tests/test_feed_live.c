/* tests/test_feed_live.c - the feed client against `arena feed`, for each
 * exchange, all on 127.0.0.1 with every wait bounded.
 *
 * Per exchange: a synthetic 1-minute market is replayed at 600x; the client
 * connects after the clock has run a while and must receive BTC trades at
 * exactly the bars' open, extremes and close, in path order, starting from
 * the clock's current point (not the file's beginning), plus closed klines
 * equal to the bars (Binance, Hyperliquid). Then the server is killed and
 * restarted later in the file: the client records a gap, reconnects,
 * resubscribes and continues from the new server's point. Then the server
 * is stopped (SIGSTOP): the client's idle timeout fires and it reconnects
 * once the server answers again. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "arena/feed.h"
#include "arena/market.h"
#include "arena/store.h"
#include "arena/util.h"

#define MARKET "feed_live_market.h5"
#define T0 (INT64_C(1704067200) * AR_NS_PER_S) /* 2024-01-01 */
#define NBARS 2000

static ar_market *mkt;

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int setup(void **state) {
    (void)state;
    ar_store_init();
    static const char *const syms[] = {"BTC", "ETH"};
    ar_synth_params p = {syms, 2, T0, AR_NS_PER_MIN, NBARS, 11, 0};
    ar_errbuf eb;
    if (ar_synth_generate(&p, &mkt, &eb) != AR_OK) return -1;
    return ar_market_h5_write(MARKET, mkt, 0, &eb) == AR_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    ar_market_free(mkt);
    remove(MARKET);
    return 0;
}

/* Start `arena feed`; returns its pid and sets *port from its first line. */
static pid_t start_server(const char *ex, int port_in, int64_t start, int *port) {
    int fd[2];
    if (pipe(fd) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        char ps[16], ss[32];
        snprintf(ps, sizeof ps, "%d", port_in);
        snprintf(ss, sizeof ss, "%lld", (long long)(start / AR_NS_PER_MS));
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execl(ARENA_BINARY, ARENA_BINARY, "feed", MARKET, "--exchange", ex, "--port", ps, "--speed", "600",
              "--max-seconds", "40", "--start", ss, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    char line[32] = {0};
    size_t n = 0;
    while (n < sizeof line - 1) {
        ssize_t r = read(fd[0], line + n, 1);
        if (r <= 0 || line[n] == '\n') break;
        n++;
    }
    close(fd[0]);
    *port = atoi(line);
    return pid;
}

static void stop_server(pid_t pid) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

typedef struct got {
    size_t ntrades, nklines, ngaps, nacks, bad;
    int64_t first_t, last_t;
    long last_step; /* bar * 4 + k of the last BTC trade; -1 none */
    int expect_contiguous;
} got;

/* The bar path position of a trade at t, or -1 when t is not on one. */
static long step_of(int64_t t) {
    int64_t d = t - T0;
    if (d < 0 || d % (15 * AR_NS_PER_S) != 0) return -1;
    long q = (long)(d / (15 * AR_NS_PER_S));
    return q; /* bar * 4 + k, k in 0..3 (3 is the close) */
}

static double path_price(const ar_bars *b, size_t i, int k) {
    double o = b->row[i].open, c = b->row[i].close;
    int low_first = c >= o;
    return k == 0 ? o : k == 3 ? c : (k == 1) == low_first ? b->row[i].low : b->row[i].high;
}

static void on_ev(const ar_feed_event *ev, void *user) {
    got *g = user;
    const ar_bars *b = &mkt->sym[0].bars;
    if (ev->kind == AR_FEED_GAP) {
        g->ngaps++;
        g->last_step = -1;
        return;
    }
    if (ev->kind == AR_FEED_ACK) g->nacks++;
    if (ev->sym != 0) return;
    if (ev->kind == AR_FEED_TRADE) {
        long st = step_of(ev->t);
        size_t i = st >= 0 ? (size_t)(st / 4) : 0;
        int k = (int)(st % 4);
        if (st < 0 || i >= b->n || ev->price != path_price(b, i, k)) {
            g->bad++;
            return;
        }
        if (g->last_step >= 0 && st != g->last_step + 1) g->bad++;
        g->last_step = st;
        if (g->ntrades == 0) g->first_t = ev->t;
        g->last_t = ev->t;
        g->ntrades++;
    } else if (ev->kind == AR_FEED_KLINE_CLOSED) {
        size_t i = (size_t)((ev->kline.t - T0) / AR_NS_PER_MIN);
        if (i >= b->n || ev->kline.o != b->row[i].open || ev->kline.h != b->row[i].high || ev->kline.l != b->row[i].low ||
            ev->kline.c != b->row[i].close || ev->kline.v != b->row[i].volume)
            g->bad++;
        g->nklines++;
    }
}

/* Poll until cond or the deadline. */
#define POLL_UNTIL(c, g, cond, ms)                                                   \
    do {                                                                             \
        int64_t dl_ = mono_ms() + (ms);                                              \
        while (!(cond) && mono_ms() < dl_) ar_feed_client_poll((c), 50, on_ev, (g)); \
    } while (0)

/* A replay server of exname from T0 and a client of BTC and ETH on it
 * (channels 0: the client's default), after wait_ms of market clock. */
static ar_feed_client *connect_feed(const char *exname, unsigned channels, long wait_ms, pid_t *srv, int *port,
                                    ar_feed_config *cfg, char url[64]) {
    *cfg = (ar_feed_config){0};
    assert_int_equal(ar_exchange_parse(exname, &cfg->exchange), AR_OK);
    cfg->channels = channels;
    *port = 0;
    *srv = start_server(exname, 0, T0, port);
    assert_true(*srv > 0 && *port > 0);
    if (wait_ms > 0) sleep_ms(wait_ms);
    snprintf(url, 64, "ws://127.0.0.1:%d", *port);
    cfg->url = url;
    cfg->idle_timeout_ms = 1500;
    cfg->backoff_min_ms = 100;
    cfg->backoff_max_ms = 400;
    static const char *const syms[] = {"BTC", "ETH"};
    ar_feed_client *c = NULL;
    ar_errbuf eb;
    assert_int_equal(ar_feed_client_create(cfg, syms, 2, &c, &eb), AR_OK);
    return c;
}

static void run_exchange(const char *exname) {
    ar_feed_config cfg;
    char url[64];
    int port;
    pid_t srv;
    /* the clock runs 300 ms first: ~3 minutes of market time */
    ar_feed_client *c = connect_feed(exname, 0, 300, &srv, &port, &cfg, url);
    got g = {0};
    g.last_step = -1;
    int klines = cfg.exchange != AR_EX_COINBASE;
    POLL_UNTIL(c, &g, g.ntrades >= 40 && (!klines || g.nklines >= 5), 10000);
    assert_true(g.ntrades >= 40);
    if (klines) assert_true(g.nklines >= 5);
    assert_int_equal(g.bad, 0);
    assert_true(g.nacks >= 1);
    /* From the current point, not the beginning: at 600x, 0.3 s is 3 minutes. */
    assert_true(g.first_t >= T0 + 2 * AR_NS_PER_MIN);

    /* Kill and restart later in the file: gap, reconnect, resubscribe. */
    stop_server(srv);
    int64_t restart = g.last_t - g.last_t % AR_NS_PER_MIN + 60 * AR_NS_PER_MIN;
    sleep_ms(300);
    int port2 = 0;
    srv = start_server(exname, port, restart, &port2);
    assert_int_equal(port2, port);
    size_t before = g.ntrades;
    POLL_UNTIL(c, &g, g.ngaps >= 1 && g.ntrades >= before + 20, 10000);
    const ar_feed_stats *st = ar_feed_client_stats(c);
    assert_true(g.ngaps >= 1);
    assert_true(st->reconnects >= 1 && st->connects >= 2);
    assert_true(g.ntrades >= before + 20);
    assert_true(g.last_t >= restart);
    assert_int_equal(g.bad, 0);

    /* A server that stops answering: the idle timeout reconnects. */
    kill(srv, SIGSTOP);
    uint64_t to0 = ar_feed_client_stats(c)->timeouts;
    POLL_UNTIL(c, &g, ar_feed_client_stats(c)->timeouts > to0, 6000);
    assert_true(ar_feed_client_stats(c)->timeouts > to0);
    kill(srv, SIGCONT);
    before = g.ntrades;
    POLL_UNTIL(c, &g, g.ntrades >= before + 10, 10000);
    assert_true(g.ntrades >= before + 10);
    st = ar_feed_client_stats(c);
    assert_true(st->rejected[AR_FEED_REJ_BAD_JSON] == 0);
    ar_feed_client_free(c);
    stop_server(srv);
}

static void test_binance(void **state) {
    (void)state;
    run_exchange("binance");
}
static void test_hyperliquid(void **state) {
    (void)state;
    run_exchange("hyperliquid");
}
static void test_coinbase(void **state) {
    (void)state;
    run_exchange("coinbase");
}

/* Binance with the book channel alone: bookTicker has no time, so the
 * client subscribes to the trades too, as the clock (they arrive). */
static void test_binance_book_clock(void **state) {
    (void)state;
    ar_feed_config cfg;
    char url[64];
    int port;
    pid_t srv;
    ar_feed_client *c = connect_feed("binance", AR_FEED_CH_BOOK, 0, &srv, &port, &cfg, url);
    got g = {0};
    g.last_step = -1;
    POLL_UNTIL(c, &g, g.ntrades >= 10, 10000);
    assert_true(g.ntrades >= 10);
    assert_int_equal(g.nklines, 0); /* the trades alone, not the klines */
    ar_feed_client_free(c);
    stop_server(srv);
}

/* Nothing listens: the client keeps retrying with backoff, never fails. */
static void test_refused(void **state) {
    (void)state;
    ar_feed_config cfg = {0};
    cfg.exchange = AR_EX_BINANCE;
    cfg.url = "ws://127.0.0.1:1";
    cfg.backoff_min_ms = 50;
    cfg.backoff_max_ms = 100;
    static const char *const syms[] = {"BTC"};
    ar_feed_client *c = NULL;
    ar_errbuf eb;
    assert_int_equal(ar_feed_client_create(&cfg, syms, 1, &c, &eb), AR_OK);
    assert_string_equal(ar_feed_client_url(c), "ws://127.0.0.1:1/ws");
    got g = {0};
    int64_t dl = mono_ms() + 1000;
    while (mono_ms() < dl) ar_feed_client_poll(c, 50, on_ev, &g);
    assert_true(ar_feed_client_stats(c)->reconnects >= 3);
    assert_int_equal(g.ngaps, 0); /* no data was ever received: nothing missing */
    assert_false(ar_feed_client_connected(c));
    ar_feed_client_free(c);
    cfg.url = "http://x";
    assert_int_equal(ar_feed_client_create(&cfg, syms, 1, &c, &eb), AR_ECONFIG);
    assert_null(c);
    cfg.url = "wss://example.com:99999";
    assert_int_equal(ar_feed_client_create(&cfg, syms, 1, &c, &eb), AR_ECONFIG);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_binance),
        cmocka_unit_test(test_hyperliquid),
        cmocka_unit_test(test_coinbase),
        cmocka_unit_test(test_binance_book_clock),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
