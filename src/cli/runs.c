/* src/cli/runs.c - helpers shared by the commands that read several run
 * files (table, report), by those that start agents (run, live), and by
 * all of them for their environment. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "arena/config.h"
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

/* Whether posix_spawnp would find prog: a path (with a slash) as it is,
 * else the first executable of that name along PATH. */
static int program_found(const char *prog) {
    if (strchr(prog, '/') != NULL) return access(prog, X_OK) == 0;
    const char *path = getenv("PATH");
    if (path == NULL || *path == '\0') path = "/usr/local/bin:/usr/bin:/bin";
    char buf[4096];
    for (const char *d = path;;) {
        const char *end = strchr(d, ':');
        size_t n = end ? (size_t)(end - d) : strlen(d);
        int w = snprintf(buf, sizeof buf, "%.*s%s%s", (int)n, n ? d : ".", "/", prog);
        if (w > 0 && (size_t)w < sizeof buf && access(buf, X_OK) == 0) return 1;
        if (end == NULL) return 0;
        d = end + 1;
    }
}

int ar__cli_agents_ready(const char *cmd, const char *cfg_path, const ar_config *cfg, const char *hint) {
    for (size_t i = 0; i < cfg->nagents; i++) {
        const ar_agent_cfg *a = &cfg->agents[i];
        const char *k = a->llm.api_key_env;
        /* naming the variable, never a value (config.c refuses a value
         * that is not a variable's name) */
        if (!strcmp(a->kind, "llm") && k[0] && (getenv(k) == NULL || getenv(k)[0] == '\0')) {
            fprintf(stderr, "arena %s: %s: agents: %s needs the environment variable %s (not set)%s\n", cmd, cfg_path,
                    a->name, k, hint ? hint : "");
            return 0;
        }
        if (!strcmp(a->kind, "exec") && a->argv != NULL && a->argv[0] != NULL && !program_found(a->argv[0])) {
            fprintf(stderr, "arena %s: %s: agents: %s: command: no program %s (%s)%s\n", cmd, cfg_path, a->name,
                    a->argv[0], strchr(a->argv[0], '/') ? "not there, or not executable" : "not found along PATH",
                    hint ? hint : "");
            return 0;
        }
    }
    return 1;
}

int ar__cli_files_distinct(const char *cmd, char **files, size_t n) {
    struct stat *st = calloc(n ? n : 1, sizeof *st);
    int ok = 1;
    for (size_t i = 0; st && ok && i < n; i++) {
        if (stat(files[i], &st[i]) != 0) continue; /* the read says what is wrong */
        for (size_t j = 0; j < i && ok; j++)
            if (st[j].st_ino == st[i].st_ino && st[j].st_dev == st[i].st_dev && st[j].st_ino != 0) {
                fprintf(stderr, "arena %s: %s: the same file as %s (each run counts once)\n", cmd, files[i], files[j]);
                ok = 0;
            }
    }
    free(st);
    return ok;
}

void ar__cli_call_failed(void *ctx, const char *agent, const char *error) {
    ar__fail_notes *f = ctx;
    pthread_mutex_lock(&f->mu);
    size_t i = 0;
    while (i < f->n && strncmp(f->said[i], agent, sizeof f->said[i])) i++;
    if (i == f->n && f->n < AR__NOTE_AGENTS) {
        snprintf(f->said[f->n++], sizeof f->said[0], "%s", agent);
        fprintf(stderr, "%sarena %s: note: agent %s: %s; its answers count as holds while its calls fail (said "
                        "once per agent)\n", f->bar ? "\r\033[K" : "", f->cmd, agent, error);
    }
    pthread_mutex_unlock(&f->mu);
}
