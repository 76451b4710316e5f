/* src/cli/cmd_merge.c - `arena merge SHARDS... -o RUN.h5`: merge the shard
 * files of one run (written by `mpirun ... arena run`, `arena run
 * --episodes`) into the run file a single process would have written, byte
 * for byte, and print its league table. The shards are left in place. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arena/err.h"
#include "arena/league.h"
#include "arena/run.h"
#include "arena/shard.h"
#include "cli/cli.h"

static void usage(FILE *f) {
    fprintf(f, "usage: arena merge SHARDS... -o RUN.h5 [--format text|md|csv|json] [--quiet]\n"
               "  Merges shard files (RUN.h5.shard-<rank>, kept by `mpirun ... arena run`\n"
               "  and `arena run --episodes`) into one run file, identical to the run file of\n"
               "  a single `arena run`, and prints its league table. Every episode of the run\n"
               "  must be in some shard; shards of different runs are refused. The shard\n"
               "  files are not removed. See docs/MPI.md.\n");
}

int ar_cmd_merge(int argc, char **argv) {
    const char *out_path = NULL, *fmt_s = "text";
    int quiet = 0;
    char **files = calloc((size_t)(argc > 0 ? argc : 1), sizeof *files);
    size_t nf = 0;
    if (files == NULL) {
        fprintf(stderr, "arena merge: out of memory\n");
        return AR_EXIT_FAIL;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            free(files);
            return AR_EXIT_OK;
        } else if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc) {
            out_path = argv[++i];
        } else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            fmt_s = argv[++i];
        } else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
            quiet = 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "arena merge: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            free(files);
            return AR_EXIT_USAGE;
        } else {
            files[nf++] = argv[i];
        }
    }
    ar_format fmt;
    if (nf == 0 || out_path == NULL) {
        usage(stderr);
        free(files);
        return AR_EXIT_USAGE;
    }
    if (ar_format_parse(fmt_s, &fmt) != AR_OK) {
        fprintf(stderr, "arena merge: --format: expected text, md, csv or json\n");
        free(files);
        return AR_EXIT_USAGE;
    }
    ar_errbuf eb = {{0}};
    ar_run *run = NULL;
    ar_league *lg = NULL;
    int rc = AR_EXIT_FAIL;
    /* written as it is merged: curves and logs go from the shards to the
     * file block by block, never all in memory */
    ar_err e = ar_shard_merge_write(files, nf, out_path, &run, NULL, &eb);
    if (e) {
        fprintf(stderr, "arena merge: %s\n", eb.msg);
        goto out;
    }
    const ar_run *runs[1] = {run};
    if ((e = ar_league_compute(runs, 1, &lg, &eb))) {
        fprintf(stderr, "arena merge: %s\n", eb.msg);
        goto out;
    }
    if (!quiet) {
        ar_league_print(lg, fmt, stdout);
        if (fmt == AR_FMT_TEXT) printf("run file: %s (%zu episodes from %zu shards)\n", out_path, run->nepisodes, nf);
    }
    rc = AR_EXIT_OK;
out:
    ar_league_free(lg);
    ar_run_free(run);
    free(files);
    return rc;
}
