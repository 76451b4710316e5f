/* src/cli/runs.c - helpers shared by the commands that read several run
 * files (table, report), and by all of them for their environment. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "arena/league.h"
#include "cli/cli.h"

void ar__cli_run_mismatch(const char *cmd, ar_run *const *runs, char **files, size_t n) {
    /* The merged check says what differs; compare pairwise to say which file. */
    for (size_t i = 1; i < n; i++) {
        const ar_run *pair[2] = {runs[0], runs[i]};
        ar_league *l = NULL;
        ar_errbuf eb = {{0}};
        ar_err e = ar_league_compute(pair, 2, &l, &eb);
        ar_league_free(l);
        if (e) {
            fprintf(stderr, "arena %s: %s: %s (compared with %s)\n", cmd, files[i], eb.msg, files[0]);
            return;
        }
    }
    fprintf(stderr, "arena %s: %s: runs differ\n", cmd, files[0]);
}

size_t ar__cli_env_bytes(const char *cmd, const char *name, size_t dflt) {
    const char *v = getenv(name);
    char *end = NULL;
    if (v == NULL || *v == '\0') return dflt;
    unsigned long long x = strtoull(v, &end, 10);
    if (*end != '\0' || v[0] == '-') {
        fprintf(stderr, "arena %s: %s: expected a number of bytes, got '%s' (using %zu)\n", cmd, name, v, dflt);
        return dflt;
    }
    return x > SIZE_MAX ? SIZE_MAX : (size_t)x;
}
