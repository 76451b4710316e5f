/* src/cli/cmd_rank.c - `arena rank BATTLES.csv`: Bradley-Terry ratings of a
 * league from a battle log, with bootstrap percentile intervals and the
 * LMArena rank rule.
 *
 * The CSV needs a header naming model_a, model_b and winner (any order, other
 * columns ignored, RFC 4180 quoting allowed); winner is model_a, model_b,
 * tie or "tie (bothbad)", the last two scoring half a point each as in
 * FastChat. Ratings are the mean-1000 MLE of ar_bt_fit; when the MLE does
 * not exist the documented fallback fit is printed and flagged. The
 * bootstrap resamples whole battles with replacement from a GSL mt19937
 * stream seeded by --seed, so a given file, N and seed always print the same
 * intervals. A model's rank is 1 + the number of models whose lower bound
 * is above its upper bound: ranks say "clearly better", not "scored higher".
 *
 * This file also holds the small CSV record reader used by cmd_stats.c
 * (ar__csv_next): one reader for both commands keeps their quoting rules the
 * same. Single-threaded, as every subcommand. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <jansson.h>
#include "arena/err.h"
#include "arena/stats.h"
#include "arena/util.h"
#include "cli/cli.h"
#include "cli/rank_int.h"

/* ------------------------------------------------------------ CSV reader */

int ar__csv_next(char **cursor, size_t *line, char **fields, size_t maxfields, size_t *nfields,
                 size_t *rec_line, const char **why);

/* Reads the next record of the NUL-terminated, writable text at *cursor,
 * unquoting fields in place (so the text is consumed). Blank lines are
 * skipped. *line counts lines (1-based) and advances past the record;
 * *rec_line is where the record started. Unquoted fields are trimmed of
 * spaces and tabs; quoted ones are kept as written ("" is a quote, commas
 * and newlines allowed). Returns 1 with a record, 0 at the end, -1 on a
 * malformed record with the reason in *why. */
int ar__csv_next(char **cursor, size_t *line, char **fields, size_t maxfields, size_t *nfields,
                 size_t *rec_line, const char **why) {
    char *p = *cursor;
    *nfields = 0;
    for (;;) { /* skip blank lines */
        char *q = p;
        while (*q == ' ' || *q == '\t') q++;
        if (*q == '\n') {
            p = q + 1;
            (*line)++;
        } else if (*q == '\r' && q[1] == '\n') {
            p = q + 2;
            (*line)++;
        } else if (*q == '\0' || (*q == '\r' && q[1] == '\0')) {
            p = q + (*q != '\0');
            break;
        } else {
            break;
        }
    }
    if (*p == '\0') {
        *cursor = p;
        return 0;
    }
    *rec_line = *line;
    for (;;) {
        if (*nfields == maxfields) {
            *why = "too many fields";
            return -1;
        }
        char *start = p, *field, *end;
        while (*start == ' ' || *start == '\t') start++;
        int quoted = *start == '"';
        if (quoted) {
            /* Unquote in place: the output never overtakes the input since
             * the opening quote is dropped. */
            p = start + 1;
            field = end = start;
            for (;;) {
                if (*p == '\0') {
                    *why = "unterminated quoted field";
                    return -1;
                }
                if (*p == '"') {
                    if (p[1] == '"') {
                        *end++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (*p == '\n') (*line)++;
                *end++ = *p++;
            }
            while (*p == ' ' || *p == '\t') p++;
        } else {
            p = start;
            while (*p != '\0' && *p != ',' && *p != '\n' && *p != '\r') p++;
            field = start;
            end = p;
            while (end > field && (end[-1] == ' ' || end[-1] == '\t')) end--;
        }
        char delim = *p;
        if (delim == '\r' && (p[1] == '\n' || p[1] == '\0')) {
            p++;
            delim = *p;
        }
        if (delim != ',' && delim != '\n' && delim != '\0') {
            *why = quoted ? "unexpected text after a closing quote" : "stray carriage return";
            return -1;
        }
        *end = '\0'; /* end <= p: the delimiter is already saved */
        fields[(*nfields)++] = field;
        if (delim != '\0') p++;
        if (delim == ',') continue;
        if (delim == '\n') (*line)++;
        *cursor = p;
        return 1;
    }
}

/* ------------------------------------------------------------- the data */

#define RANK_MAX_FIELDS 256
#define RANK_MAX_BOOTSTRAP 100000

typedef struct league {
    char **names; /* owned copies, index = model id in first-seen order */
    size_t m, cap;
    ar_battle *bt;
    size_t n, bcap;
} league;

static void league_free(league *L) {
    for (size_t i = 0; i < L->m; i++) free(L->names[i]);
    free(L->names);
    free(L->bt);
}

/* Model id of name, added on first sight; -1 when out of memory. Linear
 * search: leagues have tens of models, not thousands. */
static int league_model(league *L, const char *name) {
    for (size_t i = 0; i < L->m; i++)
        if (!strcmp(L->names[i], name)) return (int)i;
    if (L->m == L->cap) {
        size_t nc = L->cap ? 2 * L->cap : 16;
        char **nn = realloc(L->names, nc * sizeof *nn);
        if (nn == NULL) return -1;
        L->names = nn;
        L->cap = nc;
    }
    char *copy = strdup(name);
    if (copy == NULL) return -1;
    L->names[L->m] = copy;
    return (int)L->m++;
}

static int league_add(league *L, int a, int b, double y) {
    if (L->n == L->bcap) {
        size_t nc = L->bcap ? 2 * L->bcap : 256;
        ar_battle *nb = realloc(L->bt, nc * sizeof *nb);
        if (nb == NULL) return -1;
        L->bt = nb;
        L->bcap = nc;
    }
    L->bt[L->n++] = (ar_battle){a, b, y};
    return 0;
}

static int find_column(char **f, size_t nf, const char *name) {
    for (size_t i = 0; i < nf; i++)
        if (!strcmp(f[i], name)) return (int)i;
    return -1;
}

/* Parses the battle CSV text buf (len bytes plus a NUL, writable: consumed)
 * read from path into L. On failure prints one "arena rank: FILE:LINE: ..."
 * line and returns AR_EXIT_FAIL. Does not free buf. */
static int parse_battles(const char *path, char *buf, size_t len, league *L) {
    int rc = AR_EXIT_FAIL;
    char *cur = buf, *f[RANK_MAX_FIELDS];
    size_t line = 1, rline = 1, nf;
    const char *why = NULL;
    if (strlen(buf) != len) {
        fprintf(stderr, "arena rank: %s: contains a NUL byte, expected CSV text\n", path);
        goto out;
    }
    int got = ar__csv_next(&cur, &line, f, RANK_MAX_FIELDS, &nf, &rline, &why);
    if (got < 0) {
        fprintf(stderr, "arena rank: %s:%zu: %s\n", path, rline, why);
        goto out;
    }
    if (got == 0) {
        fprintf(stderr, "arena rank: %s:1: empty file, expected a header with model_a, model_b, winner\n", path);
        goto out;
    }
    static const char *const cols[3] = {"model_a", "model_b", "winner"};
    int ci[3];
    for (int k = 0; k < 3; k++) {
        ci[k] = find_column(f, nf, cols[k]);
        if (ci[k] < 0) {
            fprintf(stderr, "arena rank: %s:%zu: header has no '%s' column (need model_a, model_b, winner)\n", path,
                    rline, cols[k]);
            goto out;
        }
    }
    size_t need = 0;
    for (int k = 0; k < 3; k++)
        if ((size_t)ci[k] + 1 > need) need = (size_t)ci[k] + 1;
    for (;;) {
        got = ar__csv_next(&cur, &line, f, RANK_MAX_FIELDS, &nf, &rline, &why);
        if (got == 0) break;
        if (got < 0) {
            fprintf(stderr, "arena rank: %s:%zu: %s\n", path, rline, why);
            goto out;
        }
        if (nf < need) {
            fprintf(stderr, "arena rank: %s:%zu: %zu fields, expected at least %zu as in the header\n", path, rline,
                    nf, need);
            goto out;
        }
        const char *a = f[ci[0]], *b = f[ci[1]], *w = f[ci[2]];
        if (!*a || !*b) {
            fprintf(stderr, "arena rank: %s:%zu: empty model name\n", path, rline);
            goto out;
        }
        if (!strcmp(a, b)) {
            fprintf(stderr, "arena rank: %s:%zu: model '%s' on both sides, expected two different models\n", path,
                    rline, a);
            goto out;
        }
        double y;
        if (!strcmp(w, "model_a"))
            y = 1.0;
        else if (!strcmp(w, "model_b"))
            y = 0.0;
        else if (!strcmp(w, "tie") || !strcmp(w, "tie (bothbad)"))
            y = 0.5;
        else {
            fprintf(stderr,
                    "arena rank: %s:%zu: unknown winner '%s', expected model_a, model_b, tie or tie (bothbad)\n",
                    path, rline, w);
            goto out;
        }
        int ia = league_model(L, a), ib = league_model(L, b);
        if (ia < 0 || ib < 0 || league_add(L, ia, ib, y) != 0) {
            fprintf(stderr, "arena rank: %s:%zu: out of memory\n", path, rline);
            goto out;
        }
    }
    if (L->n == 0) {
        fprintf(stderr, "arena rank: %s:%zu: no battles after the header\n", path, line);
        goto out;
    }
    if (L->m < 2) { /* unreachable while same-model rows are refused; kept as a guard */
        fprintf(stderr, "arena rank: %s:%zu: a single model, ratings need at least two\n", path, line);
        goto out;
    }
    rc = AR_EXIT_OK;
out:
    return rc;
}

/* Reads path into L. On failure prints one "arena rank: FILE:LINE: ..." line
 * and returns AR_EXIT_FAIL. */
static int load_battles(const char *path, league *L) {
    ar_errbuf eb;
    char *buf;
    size_t len;
    if (ar_read_file(path, &buf, &len, &eb) != AR_OK) {
        fprintf(stderr, "arena rank: %s\n", eb.msg);
        return AR_EXIT_FAIL;
    }
    int rc = parse_battles(path, buf, len, L);
    free(buf);
    return rc;
}

/* rank_int.h: the battle parser over a buffer, for the fuzz target. */
int ar__rank_parse(const char *name, char *text, size_t len, size_t *nmodels, size_t *nbattles) {
    league L = {0};
    int rc = parse_battles(name, text, len, &L);
    if (nmodels) *nmodels = L.m;
    if (nbattles) *nbattles = L.n;
    league_free(&L);
    return rc;
}

/* ------------------------------------------------------------ the command */

typedef struct row {
    size_t id;
    double rating, lo, hi;
    int rank, wins, losses, ties;
} row;

static const char *const *sort_names; /* for cmp_row; the command is single-threaded */

static int cmp_row(const void *x, const void *y) {
    const row *a = x, *b = y;
    if (a->rating != b->rating) return a->rating > b->rating ? -1 : 1;
    return strcmp(sort_names[a->id], sort_names[b->id]);
}

static void usage(FILE *f) {
    fprintf(f, "usage: arena rank BATTLES.csv [--format json|text] [--bootstrap N] [--seed S]\n"
               "  CSV columns model_a, model_b, winner (model_a|model_b|tie|tie (bothbad)).\n"
               "  Bradley-Terry ratings (scale 400, mean 1000); N bootstrap resamples (default 1000,\n"
               "  0 = none) give 95%% percentile intervals; see docs/STATS.md.\n");
}

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "arena rank: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    usage(stderr);
    return AR_EXIT_USAGE;
}

/* Whole-string unsigned parse; 0 on success. */
static int parse_ulong(const char *s, unsigned long long max, unsigned long long *out) {
    if (s == NULL || *s == '\0' || *s == '-' || *s == '+') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != '\0' || v > max) return -1;
    *out = v;
    return 0;
}

/* Percentile intervals of B bootstrap fits. samples is B x m, row-major. */
static int bootstrap(const league *L, size_t B, unsigned long seed, double *lo, double *hi) {
    size_t m = L->m, n = L->n;
    double *samples = malloc(B * m * sizeof *samples);
    double *col = malloc(B * sizeof *col);
    ar_battle *rs = malloc(n * sizeof *rs);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    int rc = -1;
    if (samples == NULL || col == NULL || rs == NULL || rng == NULL) goto out;
    gsl_rng_set(rng, seed);
    for (size_t b = 0; b < B; b++) {
        for (size_t k = 0; k < n; k++) rs[k] = L->bt[gsl_rng_uniform_int(rng, n)];
        /* A resample may lose a model or a cycle: the fallback fit is used
         * as is, the same way a degenerate resample enters any bootstrap. */
        if (ar_bt_fit(rs, n, m, samples + b * m, NULL) == AR_ENOMEM) goto out;
    }
    for (size_t i = 0; i < m; i++) {
        for (size_t b = 0; b < B; b++) col[b] = samples[b * m + i];
        gsl_sort(col, 1, B);
        lo[i] = ar_quantile_sorted(col, B, 0.025);
        hi[i] = ar_quantile_sorted(col, B, 0.975);
    }
    rc = 0;
out:
    free(samples);
    free(col);
    free(rs);
    gsl_rng_free(rng);
    return rc;
}

static void print_num(char *buf, size_t n, double v) {
    if (isnan(v))
        snprintf(buf, n, "–");
    else
        snprintf(buf, n, "%.2f", v);
}

/* printf's widths count bytes; "–" is three bytes but one column. */
static void pad_right(const char *s, int width) {
    int cols = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) cols += (*p & 0xC0) != 0x80;
    printf("%*s%s", width - cols > 0 ? width - cols : 0, "", s);
}

int ar_cmd_rank(int argc, char **argv) {
    gsl_set_error_handler_off();
    const char *path = NULL, *format = "text";
    unsigned long long B = 1000, seed = 42;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return AR_EXIT_OK;
        } else if (!strcmp(a, "--format")) {
            if (++i >= argc) return usage_error("%s needs a value (json or text)", a);
            format = argv[i];
            if (strcmp(format, "json") && strcmp(format, "text"))
                return usage_error("--format '%s': expected json or text", format);
        } else if (!strcmp(a, "--bootstrap")) {
            if (++i >= argc || parse_ulong(argv[i], RANK_MAX_BOOTSTRAP, &B))
                return usage_error("--bootstrap '%s': expected an integer from 0 to 100000",
                                   i < argc ? argv[i] : "");
        } else if (!strcmp(a, "--seed")) {
            if (++i >= argc || parse_ulong(argv[i], 0xFFFFFFFFull, &seed))
                return usage_error("--seed '%s': expected an integer from 0 to 4294967295", i < argc ? argv[i] : "");
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option '%s'", a);
        } else if (path == NULL) {
            path = a;
        } else {
            return usage_error("unexpected argument '%s' (one battle file)", a);
        }
    }
    if (path == NULL) return usage_error("%s", "missing BATTLES.csv");

    league L = {0};
    int rc = load_battles(path, &L);
    if (rc != AR_EXIT_OK) {
        league_free(&L);
        return rc;
    }
    size_t m = L.m;
    double *R = malloc(m * sizeof *R), *lo = malloc(m * sizeof *lo), *hi = malloc(m * sizeof *hi);
    row *rows = calloc(m, sizeof *rows);
    rc = AR_EXIT_FAIL;
    if (R == NULL || lo == NULL || hi == NULL || rows == NULL) {
        fprintf(stderr, "arena rank: %s: out of memory\n", path);
        goto out;
    }
    ar_err fit = ar_bt_fit(L.bt, L.n, m, R, NULL);
    if (fit != AR_OK && fit != AR_EUNDEF) {
        fprintf(stderr, "arena rank: %s: rating fit failed: %s\n", path, ar_strerror(fit));
        goto out;
    }
    int fallback = fit == AR_EUNDEF;
    if (fallback)
        fprintf(stderr,
                "arena rank: %s: note: the win graph is not strongly connected, so the maximum-likelihood "
                "ratings do not exist; printing the regularised fallback (docs/STATS.md)\n",
                path);
    if (B > 0) {
        if (bootstrap(&L, (size_t)B, (unsigned long)seed, lo, hi) != 0) {
            fprintf(stderr, "arena rank: %s: out of memory in the bootstrap\n", path);
            goto out;
        }
    } else {
        for (size_t i = 0; i < m; i++) lo[i] = hi[i] = NAN;
    }
    for (size_t i = 0; i < m; i++) {
        rows[i].id = i;
        rows[i].rating = R[i];
        rows[i].lo = lo[i];
        rows[i].hi = hi[i];
        /* LMArena: count the models clearly above. Without a bootstrap the
         * intervals shrink to points and the rule compares ratings. */
        int above = 0;
        for (size_t j = 0; j < m; j++)
            above += B > 0 ? ar_rating_above(lo[j], hi[i]) : ar_rating_above(R[j], R[i]);
        rows[i].rank = 1 + above;
    }
    for (size_t k = 0; k < L.n; k++) {
        const ar_battle *b = &L.bt[k];
        if (b->y == 0.5) {
            rows[b->a].ties++;
            rows[b->b].ties++;
        } else {
            rows[b->y == 1.0 ? b->a : b->b].wins++;
            rows[b->y == 1.0 ? b->b : b->a].losses++;
        }
    }
    sort_names = (const char *const *)L.names;
    qsort(rows, m, sizeof *rows, cmp_row);

    if (!strcmp(format, "json")) {
        json_t *arr = json_array();
        for (size_t i = 0; i < m; i++) {
            json_t *o = json_object();
            json_object_set_new(o, "model", json_string(L.names[rows[i].id]));
            json_object_set_new(o, "rating", isfinite(rows[i].rating) ? json_real(rows[i].rating) : json_null());
            json_object_set_new(o, "ci_low", isfinite(rows[i].lo) ? json_real(rows[i].lo) : json_null());
            json_object_set_new(o, "ci_high", isfinite(rows[i].hi) ? json_real(rows[i].hi) : json_null());
            json_object_set_new(o, "rank", json_integer(rows[i].rank));
            json_object_set_new(o, "wins", json_integer(rows[i].wins));
            json_object_set_new(o, "losses", json_integer(rows[i].losses));
            json_object_set_new(o, "ties", json_integer(rows[i].ties));
            if (fallback) json_object_set_new(o, "fallback", json_true());
            json_array_append_new(arr, o);
        }
        char *s = json_dumps(arr, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        json_decref(arr);
        if (s == NULL) {
            fprintf(stderr, "arena rank: out of memory\n");
            goto out;
        }
        printf("%s\n", s);
        free(s);
    } else {
        int w = 5;
        for (size_t i = 0; i < m; i++) {
            int l = (int)strlen(L.names[i]);
            if (l > w) w = l;
        }
        printf("%4s  %-*s  %9s  %9s  %9s  %6s  %6s  %6s\n", "rank", w, "model", "rating", "ci_low", "ci_high", "wins",
               "losses", "ties");
        for (size_t i = 0; i < m; i++) {
            char r[32], l[32], h[32];
            print_num(r, sizeof r, rows[i].rating);
            print_num(l, sizeof l, rows[i].lo);
            print_num(h, sizeof h, rows[i].hi);
            printf("%4d  %-*s  ", rows[i].rank, w, L.names[rows[i].id]);
            pad_right(r, 9);
            printf("  ");
            pad_right(l, 9);
            printf("  ");
            pad_right(h, 9);
            printf("  %6d  %6d  %6d\n", rows[i].wins, rows[i].losses, rows[i].ties);
        }
        if (fallback) printf("(fallback ratings: the maximum-likelihood fit does not exist for these battles)\n");
    }
    rc = AR_EXIT_OK; /* a failed write: main's check of stdout says so */
out:
    free(R);
    free(lo);
    free(hi);
    free(rows);
    league_free(&L);
    return rc;
}
