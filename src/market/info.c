/* src/market/info.c - a readable summary of a market: per symbol the bar
 * interval, range, row count, gaps (steps larger than the interval) and the
 * largest step; trades and funding rows and ranges when present.
 * Read-only on the market; thread-safe as long as f is not shared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arena/market.h"
#include "arena/util.h"

/* A gap as a person reads it: "4h 45m", "410d 23h 27m" (the exact
 * single-unit form of ar_duration_format, "591807m", is for configs);
 * below a minute or with odd seconds, that exact form. */
static void gap_text(int64_t d, char *buf, size_t n) {
    if (d < AR_NS_PER_MIN || d % AR_NS_PER_MIN != 0) {
        ar_duration_format(d, buf, n);
        return;
    }
    long long days = d / AR_NS_PER_DAY, h = d % AR_NS_PER_DAY / AR_NS_PER_HOUR, m = d % AR_NS_PER_HOUR / AR_NS_PER_MIN;
    size_t k = 0;
    buf[0] = '\0';
    if (days) k += (size_t)snprintf(buf + k, n - k, "%lldd", days);
    if (h && k < n) k += (size_t)snprintf(buf + k, n - k, "%s%lldh", k ? " " : "", h);
    if (m && k < n) snprintf(buf + k, n - k, "%s%lldm", k ? " " : "", m);
}

/* The rows of the table, printed once the width of the time columns is
 * known (trade times carry fractions of a second). */
typedef struct {
    const char *name;
    char iv[32], first[48], last[48], big[32];
    size_t n, gaps;
    int bars;
} info_row;

void ar_market_print_info(const ar_market *m, FILE *f) {
    if (m == NULL || f == NULL) return;
    fprintf(f, "source: %s\nsymbols: %zu\n", m->source[0] ? m->source : "-", m->nsym);
    size_t cap = 3 * m->nsym, nr = 0;
    info_row *rows = calloc(cap ? cap : 1, sizeof *rows);
    if (rows == NULL) return;
    int w = 22; /* "2025-01-01T00:00:00Z" and two spaces */
    for (size_t i = 0; i < m->nsym; i++) {
        const ar_symbol *s = &m->sym[i];
        const ar_bars *b = &s->bars;
        info_row *r = &rows[nr++];
        r->name = s->name;
        r->bars = 1;
        snprintf(r->iv, sizeof r->iv, "-");
        snprintf(r->first, sizeof r->first, "-");
        snprintf(r->last, sizeof r->last, "-");
        snprintf(r->big, sizeof r->big, "-");
        if (s->interval > 0) ar_duration_format(s->interval, r->iv, sizeof r->iv);
        int64_t largest = 0;
        if (b->n > 0) {
            ar_time_format(b->row[0].t, r->first, sizeof r->first);
            ar_time_format(b->row[b->n - 1].t, r->last, sizeof r->last);
            for (size_t k = 1; k < b->n; k++) {
                int64_t st = b->row[k].t - b->row[k - 1].t;
                if (s->interval > 0 && st > s->interval) {
                    r->gaps++;
                    if (st > largest) largest = st;
                }
            }
            if (r->gaps) gap_text(largest, r->big, sizeof r->big);
        }
        r->n = b->n;
        const int64_t *tt[2] = {s->trades.n ? s->trades.t : NULL, s->funding.n ? s->funding.t : NULL};
        size_t tn[2] = {s->trades.n, s->funding.n};
        for (int j = 0; j < 2; j++) {
            if (tt[j] == NULL) continue;
            info_row *x = &rows[nr++];
            x->name = "";
            snprintf(x->iv, sizeof x->iv, "%s", j == 0 ? "trades" : "funding");
            ar_time_format(tt[j][0], x->first, sizeof x->first);
            ar_time_format(tt[j][tn[j] - 1], x->last, sizeof x->last);
            x->n = tn[j];
        }
    }
    for (size_t i = 0; i < nr; i++) {
        int a = (int)strlen(rows[i].first) + 2, b = (int)strlen(rows[i].last) + 2;
        if (a > w) w = a;
        if (b > w) w = b;
    }
    fprintf(f, "%-12s %-8s %-*s %-*s %10s %6s %s\n", "symbol", "interval", w, "first", w, "last", "bars", "gaps",
            "largest gap");
    for (size_t i = 0; i < nr; i++) {
        const info_row *r = &rows[i];
        if (r->bars)
            fprintf(f, "%-12s %-8s %-*s %-*s %10zu %6zu %s\n", r->name, r->iv, w, r->first, w, r->last, r->n, r->gaps,
                    r->big);
        else
            fprintf(f, "%-12s %-8s %-*s %-*s %10zu\n", r->name, r->iv, w, r->first, w, r->last, r->n);
    }
    free(rows);
}
