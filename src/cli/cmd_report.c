/* src/cli/cmd_report.c - `arena report RUN.h5... -o REPORT.html`: one
 * self-contained HTML page of one run file, or of several run files of one
 * tournament (docs/REPORT.md). The page is written to a temporary name and
 * renamed when complete; errors are one line on stderr naming the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arena/err.h"
#include "arena/league.h"
#include "arena/report.h"
#include "arena/run.h"
#include "cli/cli.h"

static void usage(FILE *f) {
    fprintf(f, "usage: arena report RUN.h5... -o REPORT.html [--max-trades N] [--max-decisions N]\n"
               "  One static HTML page (no network, no script): config, manifest, league table,\n"
               "  equity and drawdown charts, trades and decision logs with answers and prompts.\n"
               "  --max-trades N     round trips listed per agent (default 500)\n"
               "  --max-decisions N  model calls listed per agent (default 200)\n");
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int parse_count(const char *opt, const char *v, size_t *out) {
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    if (end == v || *end != '\0' || n < 0) {
        fprintf(stderr, "arena report: %s: expected a count >= 0, got '%s'\n", opt, v);
        return -1;
    }
    *out = (size_t)n;
    return 0;
}


int ar_cmd_report(int argc, char **argv) {
    ar_report_opts o;
    ar_report_opts_default(&o);
    const char *out = NULL;
    char **files = calloc((size_t)(argc > 0 ? argc : 1), sizeof *files);
    const char **labels = calloc((size_t)(argc > 0 ? argc : 1), sizeof *labels);
    ar_run **runs = calloc((size_t)(argc > 0 ? argc : 1), sizeof *runs);
    int rc = AR_EXIT_OK;
    size_t nf = 0;
    if (files == NULL || labels == NULL || runs == NULL) {
        fprintf(stderr, "arena report: out of memory\n");
        rc = AR_EXIT_FAIL;
        goto done;
    }
    int only_files = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_files || a[0] != '-' || a[1] == '\0') {
            files[nf++] = argv[i];
            continue;
        }
        if (!strcmp(a, "--")) {
            only_files = 1;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            goto done;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--max-trades") ||
                   !strcmp(a, "--max-decisions")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "arena report: %s needs a value\n", a);
                rc = AR_EXIT_USAGE;
                goto done;
            }
            const char *v = argv[++i];
            if (a[1] == 'o' || !strcmp(a, "--output")) out = v;
            else if (parse_count(a, v, !strcmp(a, "--max-trades") ? &o.max_trades : &o.max_decisions)) {
                rc = AR_EXIT_USAGE;
                goto done;
            }
        } else {
            fprintf(stderr, "arena report: unknown option '%s'\n", a);
            usage(stderr);
            rc = AR_EXIT_USAGE;
            goto done;
        }
    }
    if (nf == 0 || out == NULL) {
        if (nf && out == NULL) fprintf(stderr, "arena report: -o REPORT.html is required\n");
        usage(stderr);
        rc = AR_EXIT_USAGE;
        goto done;
    }

    if (!ar__cli_files_distinct("report", files, nf)) {
        rc = AR_EXIT_USAGE;
        goto done;
    }
    ar_errbuf eb = {{0}};
    for (size_t i = 0; i < nf; i++) {
        labels[i] = base_name(files[i]);
        if (ar_run_h5_read_lean(files[i], &runs[i], &eb) != AR_OK) { /* curves and logs read in blocks */
            /* The store's messages start with the file name already. */
            fprintf(stderr, "arena report: %s\n", eb.msg);
            rc = AR_EXIT_FAIL;
            goto done;
        }
    }
    /* Refuse a merge of different tournaments before creating anything. */
    ar_league *l = NULL;
    ar_err e = ar_league_compute((const ar_run *const *)runs, nf, &l, &eb);
    ar_league_free(l);
    if (e == AR_ECONFIG && nf > 1) {
        ar__cli_run_mismatch("report", runs, files, nf);
        rc = AR_EXIT_FAIL;
        goto done;
    }
    if (e) {
        fprintf(stderr, "arena report: %s: %s\n", files[0], eb.msg);
        rc = AR_EXIT_FAIL;
        goto done;
    }
    e = ar_report_write_file(out, (const ar_run *const *)runs, labels, nf, &o, &eb);
    if (e) {
        /* Output failures name the output file; others are about the runs. */
        if (!strncmp(eb.msg, out, strlen(out))) fprintf(stderr, "arena report: %s\n", eb.msg);
        else fprintf(stderr, "arena report: %s: %s\n", files[0], eb.msg);
        rc = AR_EXIT_FAIL;
    }
done:
    for (size_t i = 0; runs && i < nf; i++) ar_run_free(runs[i]);
    free(runs);
    free(labels);
    free(files);
    return rc;
}
