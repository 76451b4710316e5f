/* src/cli/cmd_feed.c - `arena feed MARKET.h5 --exchange X --port P`: replay
 * a market file as an exchange's websocket feed on 127.0.0.1 (docs/LIVE.md).
 *
 * The first line on stdout is the listening port (useful with --port 0),
 * flushed at once so a script can read it; the command returns when the data
 * is exhausted or --max-seconds pass. Single-threaded. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arena/err.h"
#include "arena/feed.h"
#include "arena/market.h"
#include "arena/store.h"
#include "arena/util.h"
#include "cli/cli.h"

static void usage(FILE *f) {
    fprintf(f, "usage: arena feed MARKET.h5 --exchange binance|hyperliquid|coinbase --port P\n"
               "                  [--speed X] [--start T] [--max-seconds N] [--symbols A,B]\n"
               "                  [--faults P [--fault-seed S] [--fault-stall-ms MS]]\n"
               "  Replays MARKET.h5 on ws://127.0.0.1:P in the exchange's message format (from\n"
               "  bars: trades at open, extremes and close, then the closed kline; from trades:\n"
               "  the trades). One clock for all connections, started with the server at --start\n"
               "  (default: the file's first event) and running at X times real time (default 1).\n"
               "  --port 0 picks a free port. The first stdout line is the port.\n"
               "  --faults P: after each trade message, with probability P (0..1), a fault: a\n"
               "  malformed copy, an unknown symbol, an older trade, a crossed book, a frame over\n"
               "  1 MiB, a stall of --fault-stall-ms (default 35000) or a dropped connection;\n"
               "  drawn from --fault-seed (default 1). The counts go to stderr at the end.\n");
}

static int usage_err(const char *what, const char *arg) {
    fprintf(stderr, "arena feed: %s%s%s\n", what, arg ? " " : "", arg ? arg : "");
    usage(stderr);
    return AR_EXIT_USAGE;
}

static int parse_pos(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v) || v < 0) return -1;
    *out = v;
    return 0;
}

static void on_listen(int port, void *user) {
    (void)user;
    printf("%d\n", port);
    fflush(stdout);
}

int ar_cmd_feed(int argc, char **argv) {
    const char *path = NULL, *exch = NULL, *port_s = NULL, *syms = NULL;
    double speed = 1, maxs = 0, port = -1, faults = 0, fseed = 1, stall = 0;
    int64_t start = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return AR_EXIT_OK;
        }
        if (a[0] == '-' && a[1] == '-') {
            if (i + 1 >= argc) return usage_err("missing value after", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--exchange")) exch = v;
            else if (!strcmp(a, "--port")) port_s = v;
            else if (!strcmp(a, "--symbols")) syms = v;
            else if (!strcmp(a, "--speed")) {
                if (parse_pos(v, &speed) || speed <= 0) return usage_err("--speed: expected a number > 0, got", v);
            } else if (!strcmp(a, "--faults")) {
                if (parse_pos(v, &faults) || faults > 1) return usage_err("--faults: expected a probability 0..1, got", v);
            } else if (!strcmp(a, "--fault-seed")) {
                if (parse_pos(v, &fseed) || fseed != floor(fseed) || fseed > 9007199254740992.0)
                    return usage_err("--fault-seed: expected an integer >= 0, got", v);
            } else if (!strcmp(a, "--fault-stall-ms")) {
                if (parse_pos(v, &stall) || stall != floor(stall) || stall < 1 || stall > 86400000)
                    return usage_err("--fault-stall-ms: expected 1..86400000, got", v);
            } else if (!strcmp(a, "--max-seconds")) {
                if (parse_pos(v, &maxs)) return usage_err("--max-seconds: expected a number >= 0, got", v);
            } else if (!strcmp(a, "--start")) {
                ar_errbuf eb;
                if (ar_time_parse(v, (size_t)-1, &start, &eb) != AR_OK)
                    return usage_err("--start:", eb.msg);
            } else {
                return usage_err("unknown option", a);
            }
        } else if (path == NULL) {
            path = a;
        } else {
            return usage_err("unexpected argument", a);
        }
    }
    if (path == NULL) return usage_err("missing MARKET.h5", NULL);
    ar_feed_server_opts o;
    memset(&o, 0, sizeof o);
    if (exch == NULL || ar_exchange_parse(exch, &o.exchange) != AR_OK)
        return usage_err("--exchange: expected binance, hyperliquid or coinbase, got", exch ? exch : "nothing");
    if (port_s == NULL || parse_pos(port_s, &port) || port != floor(port) || port > 65535)
        return usage_err("--port: expected 0..65535, got", port_s ? port_s : "nothing");

    /* --symbols: a subset of the file's symbols. */
    const char *names[64];
    size_t nn = 0;
    char list[1024];
    if (syms != NULL) {
        if (strlen(syms) >= sizeof list) return usage_err("--symbols: list too long", NULL);
        strcpy(list, syms);
        for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (nn == sizeof names / sizeof names[0]) return usage_err("--symbols: at most 64 names", NULL);
            names[nn++] = t;
        }
    }
    ar_market *m = NULL;
    ar_errbuf eb;
    if (ar_market_h5_read(path, nn ? names : NULL, nn, &m, &eb) != AR_OK) {
        fprintf(stderr, "arena feed: %s\n", eb.msg);
        return AR_EXIT_FAIL;
    }
    o.port = (int)port;
    o.speed = speed;
    o.start = start;
    o.max_seconds = maxs;
    o.on_listen = on_listen;
    o.fault_rate = faults;
    o.fault_seed = (uint64_t)fseed;
    o.fault_stall_ms = (int)stall;
    uint64_t counts[AR_FEED_FAULT_COUNT];
    o.fault_counts = counts;
    ar_err e = ar_feed_server_run(m, &o, &eb);
    ar_market_free(m);
    if (e != AR_OK) {
        fprintf(stderr, "arena feed: %s\n", eb.msg);
        return e == AR_EINVAL ? AR_EXIT_USAGE : AR_EXIT_FAIL;
    }
    if (faults > 0) { /* one line: "arena feed: faults bad_json=3 unknown_symbol=1 ..." */
        fprintf(stderr, "arena feed: faults");
        for (int f = 0; f < AR_FEED_FAULT_COUNT; f++)
            fprintf(stderr, " %s=%llu", ar_feed_fault_name((ar_feed_fault)f), (unsigned long long)counts[f]);
        fprintf(stderr, "\n");
    }
    return AR_EXIT_OK;
}
