/* src/cli/cmd_table.c - `arena table RUN.h5... [--format text|md|csv|json]
 * [--bootstrap N] [--seed S]`:
 * the league table of one run file, or of several run files of the same
 * tournament (same config apart from seeds and windows) merged. The table
 * goes to stdout; errors are one line on stderr naming the file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "arena/err.h"
#include "arena/league.h"
#include "arena/run.h"
#include "cli/cli.h"

static void usage(FILE *f) {
    fprintf(f, "usage: arena table RUN.h5... [--format text|md|csv|json] [--bootstrap N] [--seed S]\n"
               "  League table of one or more run files (runs of one tournament merge).\n"
               "  N resamples of windows (default 1000, 0 = no intervals) give 95%% intervals;\n"
               "  S seeds the resampling (default 42). See docs/STATS.md \"League statistics\".\n"
               "  Undefined values: '\xe2\x80\x93' in text and md, empty in csv, null in json.\n");
}


/* Whole-string unsigned decimal; 0 on success. */
static int parse_u(const char *s, unsigned long long max, unsigned long long *out) {
    if (s == NULL || *s < '0' || *s > '9') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != '\0' || v > max) return -1;
    *out = v;
    return 0;
}

int ar_cmd_table(int argc, char **argv) {
    gsl_set_error_handler_off();
    ar_format fmt = AR_FMT_TEXT;
    ar_league_opts opts;
    ar_league_opts_default(&opts);
    char **files = calloc((size_t)(argc > 0 ? argc : 1), sizeof *files);
    if (files == NULL) {
        fprintf(stderr, "arena table: out of memory\n");
        return AR_EXIT_FAIL;
    }
    size_t nf = 0;
    int only_files = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        if (only_files || a[0] != '-' || a[1] == '\0') {
            files[nf++] = argv[i];
            continue;
        }
        if (!strcmp(a, "--")) {
            only_files = 1;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            free(files);
            return AR_EXIT_OK;
        } else if (!strcmp(a, "--format") || !strcmp(a, "-f")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "arena table: %s needs a value (text, md, csv or json)\n", a);
                free(files);
                return AR_EXIT_USAGE;
            }
            val = argv[++i];
        } else if (!strncmp(a, "--format=", 9)) {
            val = a + 9;
        } else if (!strcmp(a, "--bootstrap") || !strncmp(a, "--bootstrap=", 12) || !strcmp(a, "--seed") ||
                   !strncmp(a, "--seed=", 7)) {
            int boot = !strncmp(a, "--bootstrap", 11);
            const char *eq = strchr(a, '='), *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            unsigned long long x, max = boot ? AR_LEAGUE_BOOTSTRAP_MAX : 0xFFFFFFFFull;
            if (parse_u(v, max, &x)) {
                fprintf(stderr, "arena table: %s: expected an integer from 0 to %llu, got '%s'\n",
                        boot ? "--bootstrap" : "--seed", max, v ? v : "");
                free(files);
                return AR_EXIT_USAGE;
            }
            if (boot) opts.bootstrap = (size_t)x;
            else opts.seed = x;
        } else {
            fprintf(stderr, "arena table: unknown option '%s'\n", a);
            usage(stderr);
            free(files);
            return AR_EXIT_USAGE;
        }
        if (val && ar_format_parse(val, &fmt) != AR_OK) {
            fprintf(stderr, "arena table: --format: expected text, md, csv or json, got '%s'\n", val);
            free(files);
            return AR_EXIT_USAGE;
        }
    }
    if (nf == 0) {
        usage(stderr);
        free(files);
        return AR_EXIT_USAGE;
    }

    int rc = AR_EXIT_OK;
    ar_run **runs = calloc(nf, sizeof *runs);
    ar_league *l = NULL;
    ar_errbuf eb = {{0}};
    if (runs == NULL) {
        fprintf(stderr, "arena table: out of memory\n");
        rc = AR_EXIT_FAIL;
        goto done;
    }
    if (!ar__cli_files_distinct("table", files, nf)) {
        rc = AR_EXIT_USAGE;
        goto done;
    }
    for (size_t i = 0; i < nf; i++)
        /* curves and logs stay in the files: the league reads them block by block */
        if (ar_run_h5_read_lean(files[i], &runs[i], &eb) != AR_OK) {
            /* The store's messages start with the file name already. */
            fprintf(stderr, "arena table: %s\n", eb.msg);
            rc = AR_EXIT_FAIL;
            goto done;
        }
    ar_err e = ar_league_compute_opts((const ar_run *const *)runs, nf, &opts, &l, &eb);
    if (e == AR_ECONFIG && nf > 1) {
        ar__cli_run_mismatch("table", runs, files, nf);
        rc = AR_EXIT_FAIL;
        goto done;
    }
    if (e) {
        fprintf(stderr, "arena table: %s: %s\n", files[0], eb.msg);
        rc = AR_EXIT_FAIL;
        goto done;
    }
    ar_league_print(l, fmt, stdout); /* a failed write: main's check of stdout says so */
done:
    ar_league_free(l);
    for (size_t i = 0; runs && i < nf; i++) ar_run_free(runs[i]);
    free(runs);
    free(files);
    return rc;
}
