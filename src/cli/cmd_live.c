/* src/cli/cmd_live.c - `arena live CONFIG [-o RUN.h5 | --resume RUN.h5]`:
 * paper-trade the config's agents on an exchange's websocket feed
 * (docs/LIVE.md), writing the run file as it goes.
 *
 * Two threads. The feed thread owns the websocket client and queues every
 * event with the latest feed time it has received; the main thread owns the
 * session (include/arena/live.h) and the run file, takes the queued events in
 * arrival order and flushes the file at least once a second and after every
 * fill. While the main thread waits for a model's answer the feed thread
 * keeps receiving, so the feed time when the answer is in says which trades
 * came after it. SIGINT/SIGTERM stop both cleanly: the final mark is taken
 * and the file closed (@live = 2). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "arena/config.h"
#include "arena/feed.h"
#include "arena/league.h"
#include "arena/live.h"
#include "arena/run.h"
#include "arena/util.h"
#include "cli/cli.h"

static void usage(FILE *f) {
    fprintf(f, "usage: arena live CONFIG [-o RUN.h5 | --resume RUN.h5] [--max-seconds N] [--format F] [--quiet] [--check]\n"
               "  Paper-trades CONFIG's agents on the exchange feed of its `live` section, appending\n"
               "  ticks, orders, fills, equity and decisions to RUN.h5 (default: live.h5) as they\n"
               "  happen, flushed at least every half second. --resume continues a run file left by a\n"
               "  crash or a stop (same config). Stops at market.end, after --max-seconds of wall\n"
               "  time, or on Ctrl-C, then prints the league table. --check only validates CONFIG.\n");
}

static int usage_err(const char *what, const char *arg) {
    fprintf(stderr, "arena live: %s%s%s\n", what, arg ? " " : "", arg ? arg : "");
    usage(stderr);
    return AR_EXIT_USAGE;
}

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

typedef struct queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ar_feed_event *v;
    size_t n, cap;
    int64_t latest; /* latest event time received */
    int stop, lost; /* lost: events dropped for want of memory */
    ar_feed_stats stats; /* the client's counters as of its last poll (the feed
                            thread owns the client; the status line reads this) */
} queue;

static void on_event(const ar_feed_event *ev, void *user) {
    queue *q = user;
    pthread_mutex_lock(&q->mu);
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 4096;
        ar_feed_event *v = realloc(q->v, cap * sizeof *v);
        if (v == NULL) {
            q->lost++;
            pthread_mutex_unlock(&q->mu);
            return;
        }
        q->v = v;
        q->cap = cap;
    }
    q->v[q->n++] = *ev;
    if ((ev->kind == AR_FEED_TRADE || ev->kind == AR_FEED_BOOK_TOP) && ev->t > q->latest) q->latest = ev->t;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

static int64_t feed_clock(void *ctx) {
    queue *q = ctx;
    pthread_mutex_lock(&q->mu);
    int64_t t = q->latest;
    pthread_mutex_unlock(&q->mu);
    return t;
}

typedef struct feeder {
    ar_feed_client *client;
    queue *q;
} feeder;

static void *feed_thread(void *arg) {
    feeder *f = arg;
    for (;;) {
        pthread_mutex_lock(&f->q->mu);
        int stop = f->q->stop;
        pthread_mutex_unlock(&f->q->mu);
        if (stop) break;
        ar_feed_client_poll(f->client, 100, on_event, f->q);
        const ar_feed_stats *st = ar_feed_client_stats(f->client);
        pthread_mutex_lock(&f->q->mu);
        f->q->stats = *st;
        pthread_mutex_unlock(&f->q->mu);
    }
    return NULL;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void status_line(const ar_live *L, const ar_feed_stats *fs, int tty) {
    if (!tty) return;
    ar_live_status st;
    ar_live_get_status(L, &st);
    char when[48] = "-";
    if (st.clock) ar_time_format(st.clock, when, sizeof when);
    uint64_t rej = 0;
    for (int i = 0; i < AR_FEED_REJ_COUNT; i++) rej += fs->rejected[i];
    fprintf(stderr, "\r\033[Kfeed %s  ticks %zu  decisions %zu  fills %zu  rejected %llu  reconnects %llu",
            when, st.ticks, st.decisions, st.fills, (unsigned long long)rej, (unsigned long long)fs->reconnects);
    if (isfinite(st.best_equity)) fprintf(stderr, "  lead %s %.2f", st.best, st.best_equity);
    fflush(stderr);
}

int ar_cmd_live(int argc, char **argv) {
    const char *cfg_path = NULL, *out = NULL, *resume = NULL, *fmt_s = NULL;
    double max_s = 0;
    int quiet = 0, check = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return AR_EXIT_OK;
        }
        if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = 1;
        } else if (!strcmp(a, "--check")) {
            check = 1;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--resume") || !strcmp(a, "--max-seconds") ||
                   !strcmp(a, "--format")) {
            if (i + 1 >= argc) return usage_err("missing value after", a);
            const char *v = argv[++i];
            if (!strcmp(a, "-o")) out = v;
            else if (!strcmp(a, "--resume")) resume = v;
            else if (!strcmp(a, "--format")) fmt_s = v;
            else {
                char *end;
                max_s = strtod(v, &end);
                if (end == v || *end || !isfinite(max_s) || max_s < 0)
                    return usage_err("--max-seconds: expected a number >= 0, got", v);
            }
        } else if (a[0] == '-') {
            return usage_err("unknown option", a);
        } else if (cfg_path == NULL) {
            cfg_path = a;
        } else {
            return usage_err("unexpected argument", a);
        }
    }
    if (cfg_path == NULL) return usage_err("missing CONFIG", NULL);
    if (out && resume) return usage_err("give -o or --resume, not both", NULL);
    ar_format fmt = AR_FMT_TEXT;
    if (fmt_s && ar_format_parse(fmt_s, &fmt)) return usage_err("--format: expected text, md, csv or json, got", fmt_s);
    const char *path = resume ? resume : out ? out : "live.h5";

    ar_errbuf eb = {{0}};
    ar_config *cfg = NULL;
    ar_err e = ar_config_load(cfg_path, &cfg, &eb);
    if (e) {
        fprintf(stderr, "arena live: %s\n", eb.msg);
        return e == AR_ECONFIG ? AR_EXIT_USAGE : AR_EXIT_FAIL;
    }
    int rc = AR_EXIT_FAIL;
    ar_live *L = NULL;
    ar_feed_client *client = NULL;
    ar_run *run = NULL;
    ar_league *lg = NULL;
    queue q;
    memset(&q, 0, sizeof q);
    pthread_mutex_init(&q.mu, NULL);
    pthread_cond_init(&q.cv, NULL);
    int thread_on = 0;
    pthread_t th;
    if (!cfg->live) {
        fprintf(stderr, "arena live: %s: live: missing (expected {\"exchange\": \"binance\", ...}; "
                        "backtests run with `arena run`)\n", cfg_path);
        rc = AR_EXIT_USAGE;
        goto done;
    }
    if (cfg->cadence == 0) cfg->cadence = cfg->live_interval;
    if (!ar__cli_agents_ready("live", cfg_path, cfg, NULL)) {
        rc = AR_EXIT_USAGE;
        goto done;
    }
    ar_feed_config fc;
    memset(&fc, 0, sizeof fc);
    if (ar_exchange_parse(cfg->live_exchange, &fc.exchange)) {
        fprintf(stderr, "arena live: %s: live.exchange: unknown exchange %s\n", cfg_path, cfg->live_exchange);
        rc = AR_EXIT_USAGE;
        goto done;
    }
    fc.url = cfg->live_url[0] ? cfg->live_url : NULL;
    if (check) {
        printf("%s: ok: %zu agents (%zu model), %zu symbols on %s, cadence %lld s, bars %lld s\n", cfg_path,
               cfg->nagents, cfg->nllm, cfg->nsym, cfg->live_exchange, (long long)(cfg->cadence / AR_NS_PER_S),
               (long long)(cfg->live_interval / AR_NS_PER_S));
        rc = AR_EXIT_OK;
        goto done;
    }
    fc.channels = (cfg->live_channels & 1 ? AR_FEED_CH_TRADES : 0) | (cfg->live_channels & 2 ? AR_FEED_CH_BOOK : 0);
    const char **syms = calloc(cfg->nsym, sizeof *syms);
    if (syms == NULL) {
        fprintf(stderr, "arena live: out of memory\n");
        goto done;
    }
    for (size_t s = 0; s < cfg->nsym; s++) syms[s] = cfg->symbols[s];
    ar__fail_notes fails = {PTHREAD_MUTEX_INITIALIZER, "live", 0, 0, {{0}}};
    ar_live_opts lo = {path, resume != NULL, feed_clock, &q, ar__cli_call_failed, &fails};
    if ((e = ar_live_open(cfg, &lo, &L, &eb))) {
        free(syms);
        fprintf(stderr, "arena live: %s\n", eb.msg);
        rc = e == AR_ECONFIG ? AR_EXIT_USAGE : AR_EXIT_FAIL;
        goto done;
    }
    e = ar_feed_client_create(&fc, syms, cfg->nsym, &client, &eb);
    free(syms);
    if (e) {
        fprintf(stderr, "arena live: %s: live.url: %s\n", cfg_path, eb.msg);
        rc = e == AR_ECONFIG ? AR_EXIT_USAGE : AR_EXIT_FAIL;
        goto done;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    ar_llm_pool_interrupt(&g_stop); /* a stop ends a model call in flight (reason interrupted) */
    feeder fd = {client, &q};
    if (pthread_create(&th, NULL, feed_thread, &fd) != 0) {
        fprintf(stderr, "arena live: cannot start the feed thread\n");
        goto done;
    }
    thread_on = 1;
    int tty = !quiet && isatty(STDERR_FILENO);
    if (!quiet)
        fprintf(stderr, "arena live: %s on %s, writing %s%s\n", cfg->name, ar_feed_client_url(client), path,
                resume ? " (resumed)" : "");
    double t0 = now_s(), last_flush = t0, last_status = 0;
    ar_feed_event *batch = NULL;
    size_t bcap = 0;
    e = AR_OK;
    while (!g_stop && e == AR_OK && !ar_live_finished(L)) {
        pthread_mutex_lock(&q.mu);
        if (q.n == 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 200 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&q.cv, &q.mu, &ts);
        }
        /* take the queue: swap arrays so the feed thread appends to an empty one */
        ar_feed_event *v = q.v;
        size_t n = q.n, cap = q.cap;
        q.v = batch;
        q.cap = bcap;
        q.n = 0;
        batch = v;
        bcap = cap;
        pthread_mutex_unlock(&q.mu);
        for (size_t i = 0; i < n && e == AR_OK && !g_stop; i++) {
            const ar_feed_event *ev = &batch[i];
            if (ev->kind == AR_FEED_TRADE) e = ar_live_trade(L, ev->sym, ev->t, ev->price, ev->qty, ev->side, &eb);
            else if (ev->kind == AR_FEED_BOOK_TOP) e = ar_live_book(L, ev->sym, ev->t, ev->bid, ev->ask, &eb);
            else if (ev->kind == AR_FEED_GAP) e = ar_live_gap(L, ev->t, &eb);
            if (e == AR_OK && ar_live_unflushed_fills(L) > 0) {
                /* a fill is on disk before the next event is taken */
                e = ar_live_flush(L, &eb);
                last_flush = now_s();
            }
        }
        double now = now_s();
        if (e == AR_OK && now - last_flush >= 0.5) {
            e = ar_live_flush(L, &eb);
            last_flush = now;
        }
        if (now - last_status >= 1) {
            pthread_mutex_lock(&q.mu);
            ar_feed_stats fs = q.stats;
            pthread_mutex_unlock(&q.mu);
            status_line(L, &fs, tty);
            last_status = now;
        }
        if (max_s > 0 && now - t0 >= max_s) break;
    }
    free(batch);
    if (tty) fputc('\n', stderr);
    if (e) fprintf(stderr, "arena live: %s\n", eb.msg);
    pthread_mutex_lock(&q.mu);
    q.stop = 1;
    pthread_mutex_unlock(&q.mu);
    pthread_join(th, NULL);
    thread_on = 0;
    {
        const ar_feed_stats *fs = ar_feed_client_stats(client);
        if (!quiet) {
            fprintf(stderr, "arena live: feed: %llu messages, %llu events, %llu reconnects, %llu timeouts, %llu gaps",
                    (unsigned long long)fs->messages, (unsigned long long)fs->events,
                    (unsigned long long)fs->reconnects, (unsigned long long)fs->timeouts,
                    (unsigned long long)fs->gaps);
            for (int i = 0; i < AR_FEED_REJ_COUNT; i++)
                if (fs->rejected[i])
                    fprintf(stderr, ", %s %llu", ar_feed_reject_name((ar_feed_reject)i),
                            (unsigned long long)fs->rejected[i]);
            fputc('\n', stderr);
        }
    }
    ar_live_status fin;
    ar_live_get_status(L, &fin);
    ar_errbuf ceb = {{0}};
    ar_err ce = ar_live_close(L, &ceb);
    L = NULL;
    if (e == AR_OK && ce) {
        fprintf(stderr, "arena live: %s\n", ceb.msg);
        e = ce;
    }
    if (e) goto done;
    /* No event: no run file was written; a file already at that path (not
     * resumed) is another run's and is not this one's table. */
    int there = access(path, F_OK) == 0;
    if ((!resume && fin.clock == 0) || !there) {
        fprintf(stderr, "arena live: no market event arrived; no run file written%s\n",
                there ? " (the file already at that path is left as it was)" : "");
        rc = AR_EXIT_FAIL;
        goto done;
    }
    const ar_run *runs[1] = {NULL};
    if ((e = ar_run_h5_read(path, &run, &eb)) == AR_OK) runs[0] = run;
    if (e || (e = ar_league_compute(runs, 1, &lg, &eb))) {
        fprintf(stderr, "arena live: %s\n", eb.msg);
        goto done;
    }
    if (!quiet) {
        ar_league_print(lg, fmt, stdout);
        if (fmt == AR_FMT_TEXT) printf("run file: %s\n", path);
    }
    rc = AR_EXIT_OK;
done:
    if (thread_on) {
        pthread_mutex_lock(&q.mu);
        q.stop = 1;
        pthread_mutex_unlock(&q.mu);
        pthread_join(th, NULL);
    }
    if (L) {
        ar_errbuf tmp;
        ar_live_close(L, &tmp);
    }
    ar_feed_client_free(client);
    free(q.v);
    pthread_mutex_destroy(&q.mu);
    pthread_cond_destroy(&q.cv);
    ar_league_free(lg);
    ar_run_free(run);
    ar_config_free(cfg);
    return rc;
}
