/* src/market/info.c - a readable summary of a market: per symbol the bar
 * interval, range, row count, gaps (steps larger than the interval) and the
 * largest step; trades and funding rows and ranges when present.
 * Read-only on the market; thread-safe as long as f is not shared. */
#include <stdio.h>
#include "arena/market.h"
#include "arena/util.h"

void ar_market_print_info(const ar_market *m, FILE *f) {
    if (m == NULL || f == NULL) return;
    fprintf(f, "source: %s\nsymbols: %zu\n", m->source[0] ? m->source : "-", m->nsym);
    fprintf(f, "%-12s %-8s %-22s %-22s %10s %6s %s\n", "symbol", "interval", "first", "last", "bars",
            "gaps", "largest gap");
    for (size_t i = 0; i < m->nsym; i++) {
        const ar_symbol *s = &m->sym[i];
        const ar_bars *b = &s->bars;
        char iv[32] = "-", first[48] = "-", last[48] = "-", big[32] = "-";
        if (s->interval > 0) ar_duration_format(s->interval, iv, sizeof iv);
        size_t gaps = 0;
        int64_t largest = 0;
        if (b->n > 0) {
            ar_time_format(b->row[0].t, first, sizeof first);
            ar_time_format(b->row[b->n - 1].t, last, sizeof last);
            for (size_t k = 1; k < b->n; k++) {
                int64_t st = b->row[k].t - b->row[k - 1].t;
                if (s->interval > 0 && st > s->interval) {
                    gaps++;
                    if (st > largest) largest = st;
                }
            }
            if (gaps) ar_duration_format(largest, big, sizeof big);
        }
        fprintf(f, "%-12s %-8s %-22s %-22s %10zu %6zu %s\n", s->name, iv, first, last, b->n, gaps, big);
        if (s->trades.n > 0) {
            ar_time_format(s->trades.t[0], first, sizeof first);
            ar_time_format(s->trades.t[s->trades.n - 1], last, sizeof last);
            fprintf(f, "%-12s %-8s %-22s %-22s %10zu\n", "", "trades", first, last, s->trades.n);
        }
        if (s->funding.n > 0) {
            ar_time_format(s->funding.t[0], first, sizeof first);
            ar_time_format(s->funding.t[s->funding.n - 1], last, sizeof last);
            fprintf(f, "%-12s %-8s %-22s %-22s %10zu\n", "", "funding", first, last, s->funding.n);
        }
    }
}
