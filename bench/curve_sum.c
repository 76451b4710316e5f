/* bench/curve_sum.c - what the league table's arithmetic costs per curve
 * sample (docs/BENCHMARKS.md):
 *
 *   bench_curve_sum RUN.h5 [REPS]
 *
 * Reads the first agent's equity curve of the first episode of RUN.h5 into
 * memory, then times, best of REPS (default 30), over blocks of
 * AR_EQUITY_BLOCK samples as `arena run` hands them out:
 *   - the metrics accumulator alone (ar_metrics_acc_add), and
 *   - the whole curve summary the league takes instead of the curve
 *     (ar_curve_sum_add: metrics, exposure, runs of the book's side).
 * The curve is in memory and the blocks are walked in order, as the
 * summary thread of `arena run` walks its ring; pin with taskset for
 * steadier figures. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "arena/league.h"
#include "arena/run.h"
#include "arena/stats.h"

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_curve_sum RUN.h5 [REPS]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 30;
    if (reps < 1) reps = 1;
    ar_errbuf eb = {{0}};
    ar_run *r = NULL;
    if (ar_run_h5_read(argv[1], &r, &eb) != AR_OK) {
        fprintf(stderr, "bench_curve_sum: %s\n", eb.msg);
        return 1;
    }
    if (r->nepisodes == 0 || r->episodes[0].nagents == 0 || r->episodes[0].agents[0].nequity < 2) {
        fprintf(stderr, "bench_curve_sum: %s: no curve in episode 0\n", argv[1]);
        ar_run_free(r);
        return 1;
    }
    const ar_run_agent *ag = &r->episodes[0].agents[0];
    const ar_equity_rec *e = ag->equity;
    size_t n = ag->nequity, B = AR_EQUITY_BLOCK;
    double best_m = 1e300, best_s = 1e300, sharpe = 0.0;
    for (int k = 0; k < reps; k++) {
        double t0 = now_ms();
        ar_metrics_acc a;
        ar_metrics_acc_init(&a);
        for (size_t i = 0; i < n; i += B) ar_metrics_acc_add(&a, &e[i].equity, sizeof *e, n - i < B ? n - i : B);
        ar_metrics m;
        ar_metrics_acc_finish(&a, 365.0 * 24 * 60, &m);
        double t1 = now_ms();
        ar_curve_sum *s = ar_curve_sum_new(0);
        if (s == NULL) return 1;
        for (size_t i = 0; i < n; i += B) ar_curve_sum_add(s, e + i, n - i < B ? n - i : B);
        ar_curve_sum_free(s);
        double t2 = now_ms();
        if (t1 - t0 < best_m) best_m = t1 - t0;
        if (t2 - t1 < best_s) best_s = t2 - t1;
        sharpe = m.sharpe_per_period;
    }
    printf("%s: agent %s, %zu samples: metrics %.2f ms (%.1f ns/sample), curve summary %.2f ms "
           "(%.1f ns/sample), best of %d; sharpe per period %.17g\n",
           argv[1], ag->name, n, best_m, best_m * 1e6 / (double)n, best_s, best_s * 1e6 / (double)n, reps, sharpe);
    ar_run_free(r);
    return 0;
}
