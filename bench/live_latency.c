/* bench/live_latency.c - tick-to-fill latency inside the process of
 * `arena live`: from a Binance trade frame in memory to the fill recorded in
 * the account (parse -> session -> bar -> fill), and to the fill on disk
 * (the flush `arena live` does after every fill).
 *
 * usage: bench_live_latency [HOURS] [RUN.h5]
 * Synthetic trades (10 per second per symbol, BTC and ETH, a seeded random
 * walk) are formatted as Binance trade messages (ar_feed_format), parsed by
 * the real parser and handed to a live session whose `random` agent acts at
 * every 1-minute decision (probability 1), so every decision makes fills.
 * A fill happens at the first trade of the next one-second bar: the timed
 * frame is the one that completes that bar. Prints the median and 99th
 * percentile of each latency and the frames per second of the whole path.
 * The network (websocket, TCP) is not included: the client thread delivers
 * events to the session over an in-process queue (src/cli/cmd_live.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "arena/config.h"
#include "arena/feed.h"
#include "arena/live.h"
#include "arena/util.h"

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p) {
    if (n == 0) return NAN;
    qsort(v, n, sizeof *v, cmp_d);
    size_t i = (size_t)(p * (double)(n - 1));
    return v[i];
}

typedef struct ctx {
    ar_live *L;
    ar_errbuf eb;
    int err;
} ctx;

static void on_ev(const ar_feed_event *ev, void *user) {
    ctx *c = user;
    if (ev->kind == AR_FEED_TRADE && ar_live_trade(c->L, ev->sym, ev->t, ev->price, ev->qty, ev->side, &c->eb))
        c->err = 1;
}

int main(int argc, char **argv) {
    double hours = argc > 1 ? atof(argv[1]) : 6;
    const char *path = argc > 2 ? argv[2] : "/tmp/bench_live_latency.h5";
    if (!(hours > 0)) {
        fprintf(stderr, "usage: bench_live_latency [HOURS] [RUN.h5]\n");
        return 2;
    }
    const char *text =
        "{\"name\": \"latency\", \"seed\": 1, \"capital\": 10000, \"cadence\": \"1m\", \"baselines\": [],"
        " \"market\": {\"symbols\": [\"BTC\", \"ETH\"], \"mode\": \"perp\"},"
        " \"live\": {\"exchange\": \"binance\", \"url\": \"ws://127.0.0.1:1\"},"
        " \"execution\": {\"slippage\": {\"model\": \"fixed\", \"bps\": 2}},"
        " \"agents\": [{\"name\": \"rnd\", \"kind\": \"builtin\", \"strategy\": \"random\","
        "              \"params\": {\"probability\": 1, \"leverage\": 2}}]}";
    ar_errbuf eb = {{0}};
    ar_config *cfg = NULL;
    if (ar_config_parse(text, "bench.json", &cfg, &eb)) {
        fprintf(stderr, "%s\n", eb.msg);
        return 1;
    }
    ctx c = {NULL, {{0}}, 0};
    ar_live_opts lo = {path, 0, NULL, NULL, NULL, NULL};
    if (ar_live_open(cfg, &lo, &c.L, &eb)) {
        fprintf(stderr, "%s\n", eb.msg);
        return 1;
    }
    const char *syms[2] = {"BTC", "ETH"};
    ar_feed_parser *p = NULL;
    if (ar_feed_parser_create(AR_EX_BINANCE, syms, 2, &p)) return 1;
    size_t n = (size_t)(hours * 3600 * 10) * 2;
    double *lat_fill = malloc(n * sizeof *lat_fill), *lat_disk = malloc(n * sizeof *lat_disk);
    if (!lat_fill || !lat_disk) return 1;
    size_t nf = 0;
    double px[2] = {60000, 3000};
    uint64_t x = 12345;
    int64_t t0 = INT64_C(1735689600) * AR_NS_PER_S;
    char buf[512];
    double start = now_us(), busy = 0;
    for (size_t i = 0; i < n && !c.err; i++) {
        int s = (int)(i & 1);
        x = ar_mix64(x + i);
        double u = (double)(x >> 11) * 0x1.0p-53;
        px[s] *= 1 + (u - 0.5) * 2e-4;
        ar_feed_event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = AR_FEED_TRADE;
        ev.t = t0 + (int64_t)(i / 2) * (AR_NS_PER_S / 10);
        ev.price = px[s];
        ev.qty = 0.01 + u;
        ev.side = u < 0.5 ? -1 : 1;
        size_t len = ar_feed_format(AR_EX_BINANCE, syms[s], &ev, (int64_t)i + 1, buf, sizeof buf);
        if (len == 0) return 1;
        double a = now_us();
        ar_feed_parse(p, buf, len, on_ev, &c);
        double b = now_us();
        busy += b - a;
        if (ar_live_unflushed_fills(c.L) > 0) {
            if (ar_live_flush(c.L, &c.eb)) c.err = 1;
            double d = now_us();
            lat_fill[nf] = b - a;
            lat_disk[nf++] = d - a;
            busy += d - b;
        }
    }
    double wall = now_us() - start;
    if (c.err) {
        fprintf(stderr, "%s\n", c.eb.msg);
        return 1;
    }
    ar_live_status st;
    ar_live_get_status(c.L, &st);
    if (ar_live_close(c.L, &eb)) {
        fprintf(stderr, "%s\n", eb.msg);
        return 1;
    }
    printf("| frames | decisions | fills | frames/s (whole path, incl. flushes) | frame->fill in account: median / p99 | frame->fill on disk: median / p99 |\n");
    printf("|---|---|---|---|---|---|\n");
    printf("| %zu | %zu | %zu | %.0f | %.1f / %.1f µs | %.0f / %.0f µs |\n", n, st.decisions, st.fills,
           (double)n / (wall / 1e6), pct(lat_fill, nf, 0.5), pct(lat_fill, nf, 0.99), pct(lat_disk, nf, 0.5),
           pct(lat_disk, nf, 0.99));
    (void)busy;
    ar_feed_parser_free(p);
    ar_config_free(cfg);
    free(lat_fill);
    free(lat_disk);
    unlink(path);
    return 0;
}
