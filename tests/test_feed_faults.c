/* tests/test_feed_faults.c - the feed client against `arena feed --faults`,
 * for each exchange, on 127.0.0.1 with every wait bounded.
 *
 * The replay server injects faults after 30% of its trade messages
 * (malformed JSON, unknown symbols, older trades, crossed books, frames over
 * 1 MiB, stalls longer than the client's idle timeout, dropped connections;
 * docs/LIVE.md "Fault injection") and reports how many of each it sent. The
 * real client (ar_feed_client_*) must survive all of it: every message
 * fault is counted under its reject reason (at least one each, at most as
 * many as were sent), stalls end in idle timeouts and drops in reconnects,
 * no fault ever reaches the caller as data, and the trades it delivers are
 * exactly points of the file's bar paths, strictly in order per symbol (a
 * subset of what the file holds: what came while it was reconnecting is
 * missing, never invented or repeated). */
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
#include <fcntl.h>
#include <cmocka.h>
#include "arena/feed.h"
#include "arena/market.h"
#include "arena/store.h"
#include "arena/util.h"

#define MARKET "feed_faults_market.h5"
#define T0 (INT64_C(1704067200) * AR_NS_PER_S) /* 2024-01-01 */
#define NBARS 3000
#define SERVER_SECONDS "6"

static ar_market *mkt;

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int setup(void **state) {
    (void)state;
    ar_store_init();
    static const char *const syms[] = {"BTC", "ETH"};
    ar_synth_params p = {syms, 2, T0, AR_NS_PER_MIN, NBARS, 17, 0};
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

/* `arena feed ... --faults 0.3`; stderr to errpath; *port from its first line. */
static pid_t start_server(const char *ex, const char *errpath, int *port) {
    int fd[2];
    if (pipe(fd) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        int e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (e >= 0) dup2(e, 2);
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execl(ARENA_BINARY, ARENA_BINARY, "feed", MARKET, "--exchange", ex, "--port", "0", "--speed", "600",
              "--max-seconds", SERVER_SECONDS, "--faults", "0.3", "--fault-seed", "7", "--fault-stall-ms", "900",
              (char *)NULL);
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

typedef struct got {
    size_t ntrades[2], nklines, ngaps, bad, other_sym;
    long last_step[2]; /* bar * 4 + k of the symbol's last trade; -1: none */
} got;

static double path_price(const ar_bars *b, size_t i, int k) {
    double o = b->row[i].open, c = b->row[i].close;
    int low_first = c >= o;
    return k == 0 ? o : k == 3 ? c : (k == 1) == low_first ? b->row[i].low : b->row[i].high;
}

static void on_ev(const ar_feed_event *ev, void *user) {
    got *g = user;
    switch (ev->kind) {
    case AR_FEED_GAP:
        g->ngaps++;
        return;
    case AR_FEED_BOOK_TOP: /* the only book tops the server sends are crossed faults */
        g->bad++;
        return;
    case AR_FEED_TRADE: break;
    case AR_FEED_KLINE_CLOSED: {
        if (ev->sym < 0 || ev->sym > 1) {
            g->bad++;
            return;
        }
        const ar_bars *b = &mkt->sym[ev->sym].bars;
        int64_t d = ev->kline.t - T0;
        size_t i = (size_t)(d / AR_NS_PER_MIN);
        if (d < 0 || d % AR_NS_PER_MIN || i >= b->n || ev->kline.o != b->row[i].open || ev->kline.c != b->row[i].close)
            g->bad++;
        g->nklines++;
        return;
    }
    default: return;
    }
    if (ev->sym < 0 || ev->sym > 1) {
        g->other_sym++;
        return;
    }
    const ar_bars *b = &mkt->sym[ev->sym].bars;
    int64_t d = ev->t - T0;
    if (d < 0 || d % (15 * AR_NS_PER_S) != 0) { /* not a point of a bar path (an older copy is 1 ms off) */
        g->bad++;
        return;
    }
    long st = (long)(d / (15 * AR_NS_PER_S));
    size_t i = (size_t)(st / 4);
    if (i >= b->n || ev->price != path_price(b, i, (int)(st % 4))) {
        g->bad++;
        return;
    }
    if (st <= g->last_step[ev->sym]) g->bad++; /* in order, never repeated */
    g->last_step[ev->sym] = st;
    g->ntrades[ev->sym]++;
}

/* "arena feed: faults bad_json=3 unknown_symbol=1 ..." -> counts. */
static int read_faults(const char *path, uint64_t out[AR_FEED_FAULT_COUNT]) {
    FILE *f = fopen(path, "r");
    if (f == NULL) return -1;
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "arena feed: faults ", 19)) {
            found = 1;
            for (int k = 0; k < AR_FEED_FAULT_COUNT; k++) {
                char key[40];
                snprintf(key, sizeof key, " %s=", ar_feed_fault_name((ar_feed_fault)k));
                const char *at = strstr(line, key);
                if (at == NULL) found = 0;
                else out[k] = strtoull(at + strlen(key), NULL, 10);
            }
        }
    fclose(f);
    return found ? 0 : -1;
}

static void run_exchange(const char *exname) {
    ar_feed_config cfg = {0};
    assert_int_equal(ar_exchange_parse(exname, &cfg.exchange), AR_OK);
    char errpath[64];
    snprintf(errpath, sizeof errpath, "feed_faults_%s.err", exname);
    int port = 0;
    pid_t srv = start_server(exname, errpath, &port);
    assert_true(srv > 0 && port > 0);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d", port);
    cfg.url = url;
    cfg.idle_timeout_ms = 400; /* < the 900 ms stalls */
    cfg.backoff_min_ms = 50;
    cfg.backoff_max_ms = 200;
    static const char *const syms[] = {"BTC", "ETH"};
    ar_feed_client *c = NULL;
    ar_errbuf eb;
    assert_int_equal(ar_feed_client_create(&cfg, syms, 2, &c, &eb), AR_OK);
    got g;
    memset(&g, 0, sizeof g);
    g.last_step[0] = g.last_step[1] = -1;
    /* Poll until the server has ended by itself (--max-seconds), bounded. */
    int status = -1, exited = 0;
    int64_t dl = mono_ms() + 20000;
    while (mono_ms() < dl) {
        ar_feed_client_poll(c, 50, on_ev, &g);
        if (waitpid(srv, &status, WNOHANG) == srv) {
            exited = 1;
            break;
        }
    }
    if (!exited) {
        kill(srv, SIGKILL);
        waitpid(srv, &status, 0);
    }
    assert_true(exited);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    uint64_t sent[AR_FEED_FAULT_COUNT] = {0};
    assert_int_equal(read_faults(errpath, sent), 0);
    remove(errpath);
    const ar_feed_stats *st = ar_feed_client_stats(c);
    printf("  %s: trades %zu+%zu, klines %zu, gaps %zu; client: connects %llu reconnects %llu timeouts %llu\n",
           exname, g.ntrades[0], g.ntrades[1], g.nklines, g.ngaps, (unsigned long long)st->connects,
           (unsigned long long)st->reconnects, (unsigned long long)st->timeouts);
    printf("  %s: fault sent/rejected:", exname);
    for (int k = 0; k < AR_FEED_FAULT_COUNT; k++) printf(" %s %llu", ar_feed_fault_name((ar_feed_fault)k),
                                                         (unsigned long long)sent[k]);
    printf("\n  %s: rejected:", exname);
    for (int r = 0; r < AR_FEED_REJ_COUNT; r++)
        printf(" %s %llu", ar_feed_reject_name((ar_feed_reject)r), (unsigned long long)st->rejected[r]);
    printf("\n");

    /* No fault reached the caller as data; what did arrive is the file's, in order. */
    assert_int_equal(g.bad, 0);
    assert_int_equal(g.other_sym, 0);
    assert_true(g.ntrades[0] >= 50 && g.ntrades[1] >= 50);
    if (cfg.exchange != AR_EX_COINBASE) assert_true(g.nklines >= 10);
    /* Every kind of fault was sent, and each message fault was counted under
     * its reason, never more often than it was sent. */
    for (int k = 0; k < AR_FEED_FAULT_COUNT; k++) assert_true(sent[k] >= 1);
    static const struct {
        ar_feed_fault f;
        ar_feed_reject r;
    } pair[] = {
        {AR_FEED_FAULT_BAD_JSON, AR_FEED_REJ_BAD_JSON},
        {AR_FEED_FAULT_UNKNOWN_SYMBOL, AR_FEED_REJ_UNKNOWN_SYMBOL},
        {AR_FEED_FAULT_OUT_OF_ORDER, AR_FEED_REJ_OUT_OF_ORDER},
        {AR_FEED_FAULT_CROSSED_BOOK, AR_FEED_REJ_CROSSED_BOOK},
        {AR_FEED_FAULT_OVERSIZED, AR_FEED_REJ_OVERSIZED},
    };
    for (size_t k = 0; k < sizeof pair / sizeof pair[0]; k++) {
        assert_true(st->rejected[pair[k].r] >= 1);
        assert_true(st->rejected[pair[k].r] <= sent[pair[k].f]);
    }
    assert_int_equal(st->rejected[AR_FEED_REJ_BAD_FIELD], 0);
    assert_int_equal(st->rejected[AR_FEED_REJ_DUPLICATE], 0);
    assert_int_equal(st->rejected[AR_FEED_REJ_SEQUENCE_GAP], 0);
    /* stalls end in idle timeouts, drops and timeouts in reconnects with a gap */
    assert_true(st->timeouts >= 1);
    assert_true(st->reconnects >= 2 && st->connects >= 3);
    assert_true(g.ngaps >= 1);
    ar_feed_client_free(c);
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

/* Fault options out of range are refused before anything listens. */
static void test_options(void **state) {
    (void)state;
    ar_feed_server_opts o;
    memset(&o, 0, sizeof o);
    o.exchange = AR_EX_BINANCE;
    o.speed = 1;
    o.fault_rate = 1.5;
    ar_errbuf eb;
    assert_int_equal(ar_feed_server_run(mkt, &o, &eb), AR_EINVAL);
    o.fault_rate = -0.1;
    assert_int_equal(ar_feed_server_run(mkt, &o, &eb), AR_EINVAL);
    assert_string_equal(ar_feed_fault_name(AR_FEED_FAULT_STALL), "stall");
    assert_string_equal(ar_feed_fault_name(AR_FEED_FAULT_COUNT), "unknown");
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_binance),
        cmocka_unit_test(test_hyperliquid),
        cmocka_unit_test(test_coinbase),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
