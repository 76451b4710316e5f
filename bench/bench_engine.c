/* bench/bench_engine.c - time the engine loop alone, in one process.
 *
 *   bench_engine CONFIG [REPS] [--stream]
 *
 * Loads the config and its market once (the bars mapped from the file where
 * it allows, as `arena run` of builtin strategies does), then runs the
 * tournament REPS times (default 5) and prints each run's wall time and
 * bars/s. With --stream the equity curves leave in blocks of
 * AR_EQUITY_BLOCK samples, as `arena run` hands long curves to the run
 * file, here to a sink that only counts them: the loop as `arena run` runs
 * it, without the file. Without, each curve is kept whole in memory. glibc is told to
 * keep freed memory, so from the second repetition on the loop runs on
 * memory that is already mapped: the first line shows the cost of first
 * touch of fresh pages (large on virtual machines), the best line the loop
 * itself. Not a test: numbers go to docs/BENCHMARKS.md. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "arena/config.h"
#include "arena/engine.h"
#include "arena/store.h"
#include "arena/util.h"

static double clock_ms(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
static double now_ms(void) { return clock_ms(CLOCK_MONOTONIC); }

/* --stream: the equity blocks, counted and dropped. */
static ar_err count_rows(void *ctx, size_t ep, size_t agent, size_t off, const ar_equity_rec *recs, size_t n,
                         ar_errbuf *eb) {
    (void)ep, (void)agent, (void)off, (void)recs, (void)eb;
    *(size_t *)ctx += n;
    return AR_OK;
}
/* CPU time of this thread: on a shared machine less disturbed by other
 * processes than the wall time (the engine runs on the calling thread
 * with --jobs 1). */
static double cpu_ms(void) { return clock_ms(CLOCK_THREAD_CPUTIME_ID); }

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_engine CONFIG [REPS]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    int stream = argc > 3 && strcmp(argv[3], "--stream") == 0;
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    ar_store_init();
    ar_errbuf eb = {{0}};
    ar_config *cfg = NULL;
    ar_market *m = NULL;
    if (ar_config_load(argv[1], &cfg, &eb) || ar_market_h5_read_mapped(cfg->data, NULL, 0, &m, &eb)) {
        fprintf(stderr, "bench_engine: %s\n", eb.msg);
        return 1;
    }
    if (cfg->cadence == 0) cfg->cadence = m->sym[0].interval;
    size_t bars = 0;
    for (size_t s = 0; s < m->nsym; s++) bars += m->sym[s].bars.n;
    double best = 1e300, best_cpu = 1e300;
    for (int r = 0; r < reps; r++) {
        ar_run *run = NULL;
        size_t rows = 0;
        ar_engine_opts o = {0};
        o.jobs = 1;
        o.on_equity = count_rows;
        o.on_equity_ctx = &rows;
        double t0 = now_ms(), c0 = cpu_ms();
        if (ar_tournament_run(cfg, m, NULL, stream ? &o : NULL, &run, &eb)) {
            fprintf(stderr, "bench_engine: %s\n", eb.msg);
            return 1;
        }
        double dt = now_ms() - t0, dc = cpu_ms() - c0;
        if (dt < best) best = dt;
        if (dc < best_cpu) best_cpu = dc;
        printf("rep %d: %.2f ms (cpu %.2f ms), %.1f M bars/s (%zu bars x %zu agents)\n", r, dt, dc,
               (double)bars / dt / 1e3, bars, cfg->nagents);
        ar_run_free(run);
    }
    printf("best: %.2f ms, %.1f M bars/s, %.1f M agent-bars/s (best cpu time %.2f ms)\n", best,
           (double)bars / best / 1e3, (double)bars * (double)cfg->nagents / best / 1e3, best_cpu);
    ar_market_free(m);
    ar_config_free(cfg);
    return 0;
}
