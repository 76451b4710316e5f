/* src/cli/cmd_stats.c - `arena stats EQUITY.csv --periods-per-year N`: the
 * performance metrics of one equity curve, as JSON or as aligned text.
 *
 * The CSV has the header t,equity; t is only a label (time stamp, index,
 * anything) and rows are taken in file order. The JSON keys are exactly those
 * of golden.json's metrics_A, so a curve's output can be diffed against the
 * reference, plus the Probabilistic Sharpe Ratio against a zero benchmark.
 * Only trade-free metrics appear: an equity curve does not say where trades
 * begin and end. Undefined values are null in JSON and "–" in text, and so
 * are infinite ones in JSON (which has no inf; text prints inf) (see
 * docs/STATS.md). Single-threaded, as every subcommand. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <jansson.h>
#include "arena/err.h"
#include "arena/stats.h"
#include "arena/util.h"
#include "cli/cli.h"

/* The CSV reader lives in cmd_rank.c so both commands quote alike; its
 * prototype belongs in cli/cli.h, which this module does not own yet. */
int ar__csv_next(char **cursor, size_t *line, char **fields, size_t maxfields, size_t *nfields,
                 size_t *rec_line, const char **why);

#define STATS_MAX_FIELDS 16

static void usage(FILE *f) {
    fprintf(f, "usage: arena stats EQUITY.csv --periods-per-year N [--format json|text]\n"
               "  EQUITY.csv has the header t,equity; N is 365 for daily crypto, 252 for\n"
               "  equities, 8760 hourly. Undefined metrics print as null / \"–\".\n");
}

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "arena stats: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    usage(stderr);
    return AR_EXIT_USAGE;
}

/* Whole-field decimal parse; 0 on success. */
static int parse_double(const char *s, double *out) {
    if (s == NULL || *s == '\0') return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end != '\0' || end == s || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* Loads the curve; on failure prints one "arena stats: FILE:L: ..." line. */
static int load_equity(const char *path, double **eq, size_t *np) {
    *eq = NULL;
    *np = 0;
    ar_errbuf eb;
    char *buf;
    size_t len;
    if (ar_read_file(path, &buf, &len, &eb) != AR_OK) {
        fprintf(stderr, "arena stats: %s\n", eb.msg);
        return AR_EXIT_FAIL;
    }
    int rc = AR_EXIT_FAIL;
    double *v = NULL;
    size_t n = 0, cap = 0, line = 1, rline = 1, nf;
    char *cur = buf, *f[STATS_MAX_FIELDS];
    const char *why = NULL;
    if (strlen(buf) != len) {
        fprintf(stderr, "arena stats: %s: contains a NUL byte, expected CSV text\n", path);
        goto out;
    }
    int got = ar__csv_next(&cur, &line, f, STATS_MAX_FIELDS, &nf, &rline, &why);
    if (got < 0) {
        fprintf(stderr, "arena stats: %s:%zu: %s\n", path, rline, why);
        goto out;
    }
    if (got == 0) {
        fprintf(stderr, "arena stats: %s:1: empty file, expected the header t,equity\n", path);
        goto out;
    }
    if (nf != 2 || strcmp(f[0], "t") || strcmp(f[1], "equity")) {
        fprintf(stderr, "arena stats: %s:%zu: bad header, expected t,equity\n", path, rline);
        goto out;
    }
    for (;;) {
        got = ar__csv_next(&cur, &line, f, STATS_MAX_FIELDS, &nf, &rline, &why);
        if (got == 0) break;
        if (got < 0) {
            fprintf(stderr, "arena stats: %s:%zu: %s\n", path, rline, why);
            goto out;
        }
        if (nf != 2) {
            fprintf(stderr, "arena stats: %s:%zu: %zu fields, expected 2 (t,equity)\n", path, rline, nf);
            goto out;
        }
        double x;
        if (parse_double(f[1], &x) != 0) {
            fprintf(stderr, "arena stats: %s:%zu: equity '%s' is not a finite number\n", path, rline, f[1]);
            goto out;
        }
        if (!(x > 0.0)) {
            fprintf(stderr, "arena stats: %s:%zu: equity %s must be > 0 (returns are undefined otherwise)\n", path,
                    rline, f[1]);
            goto out;
        }
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 1024;
            double *nv = realloc(v, nc * sizeof *nv);
            if (nv == NULL) {
                fprintf(stderr, "arena stats: %s:%zu: out of memory\n", path, rline);
                goto out;
            }
            v = nv;
            cap = nc;
        }
        v[n++] = x;
    }
    if (n < 2) {
        fprintf(stderr, "arena stats: %s:%zu: %zu equity point%s, expected at least 2\n", path, rline, n,
                n == 1 ? "" : "s");
        goto out;
    }
    *eq = v;
    *np = n;
    v = NULL;
    rc = AR_EXIT_OK;
out:
    free(v);
    free(buf);
    return rc;
}

/* One output line: the golden key and either a count or a real. */
typedef struct field {
    const char *key;
    int is_count;
    size_t count;
    double value;
} field;

int ar_cmd_stats(int argc, char **argv) {
    gsl_set_error_handler_off();
    const char *path = NULL, *format = "text";
    double ppy = NAN;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return AR_EXIT_OK;
        } else if (!strcmp(a, "--periods-per-year")) {
            if (++i >= argc || parse_double(argv[i], &ppy) != 0 || !(ppy > 0.0))
                return usage_error("--periods-per-year '%s': expected a number > 0", i < argc ? argv[i] : "");
        } else if (!strcmp(a, "--format")) {
            if (++i >= argc) return usage_error("%s needs a value (json or text)", a);
            format = argv[i];
            if (strcmp(format, "json") && strcmp(format, "text"))
                return usage_error("--format '%s': expected json or text", format);
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option '%s'", a);
        } else if (path == NULL) {
            path = a;
        } else {
            return usage_error("unexpected argument '%s' (one equity file)", a);
        }
    }
    if (path == NULL) return usage_error("%s", "missing EQUITY.csv");
    if (isnan(ppy)) return usage_error("%s", "--periods-per-year is required (e.g. 365 for daily crypto)");

    double *e;
    size_t np;
    int rc = load_equity(path, &e, &np);
    if (rc != AR_EXIT_OK) return rc;
    ar_metrics m;
    ar_sharpe_inference si;
    double *r = malloc((np - 1) * sizeof *r);
    if (r == NULL || ar_metrics_compute(e, np, ppy, &m) != AR_OK) {
        fprintf(stderr, "arena stats: %s: %s\n", path, r == NULL ? "out of memory" : "metrics undefined");
        free(r);
        free(e);
        return AR_EXIT_FAIL;
    }
    for (size_t t = 1; t < np; t++) r[t - 1] = e[t] / e[t - 1] - 1.0;
    ar_sharpe_inference_compute(r, np - 1, ppy, &si);
    free(r);
    free(e);

    const field fields[] = {
        {"n_returns", 1, m.n_returns, 0},
        {"periods_per_year", 0, 0, m.periods_per_year},
        {"mean_return", 0, 0, m.mean_return},
        {"std_return_ddof1", 0, 0, m.std_return_ddof1},
        {"total_return", 0, 0, m.total_return},
        {"annualized_return_cagr", 0, 0, m.annualized_return_cagr},
        {"annualized_volatility", 0, 0, m.annualized_volatility},
        {"sharpe_per_period", 0, 0, m.sharpe_per_period},
        {"sharpe_annualized", 0, 0, m.sharpe_annualized},
        {"sharpe_annualized_252", 0, 0, m.sharpe_annualized_252},
        {"downside_deviation_per_period", 0, 0, m.downside_deviation_per_period},
        {"sortino_annualized", 0, 0, m.sortino_annualized},
        {"max_drawdown", 0, 0, m.max_drawdown},
        {"max_drawdown_duration_periods", 1, m.max_drawdown_duration_periods, 0},
        {"max_drawdown_trough_index", 1, m.max_drawdown_trough_index, 0},
        {"max_drawdown_peak_index", 1, m.max_drawdown_peak_index, 0},
        {"calmar", 0, 0, m.calmar},
        {"win_rate_periods", 0, 0, m.win_rate_periods},
        {"profit_factor_periods", 0, 0, m.profit_factor_periods},
        {"psr_sr0_zero", 0, 0, si.psr_sr0_zero},
        {"psr_zstat", 0, 0, si.psr_zstat},
    };
    size_t nfields = sizeof fields / sizeof fields[0];

    if (!strcmp(format, "json")) {
        json_t *o = json_object();
        for (size_t i = 0; i < nfields; i++) {
            const field *f = &fields[i];
            json_t *v = f->is_count ? json_integer((json_int_t)f->count)
                                    : isfinite(f->value) ? json_real(f->value) : json_null(); /* JSON has no inf */
            json_object_set_new(o, f->key, v);
        }
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        json_decref(o);
        if (s == NULL) {
            fprintf(stderr, "arena stats: out of memory\n");
            return AR_EXIT_FAIL;
        }
        printf("%s\n", s);
        free(s);
    } else {
        int w = 0;
        for (size_t i = 0; i < nfields; i++)
            if ((int)strlen(fields[i].key) > w) w = (int)strlen(fields[i].key);
        for (size_t i = 0; i < nfields; i++) {
            const field *f = &fields[i];
            if (f->is_count)
                printf("%-*s  %zu\n", w, f->key, f->count);
            else if (isnan(f->value))
                printf("%-*s  –\n", w, f->key);
            else
                printf("%-*s  %.10g\n", w, f->key, f->value);
        }
    }
    return AR_EXIT_OK; /* a failed write: main's check of stdout says so */
}
