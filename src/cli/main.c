/* src/cli/main.c - the arena command: dispatch to subcommands. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "arena/err.h"
#include "arena/run.h"
#include "arena/store.h"
#include "cli/cli.h"

#ifndef ARENA_VERSION
#define ARENA_VERSION "0.1.0"
#endif

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} cmds[] = {
    {"run", ar_cmd_run, "run CONFIG [-o RUN.h5]          run a tournament, print the league table"},
    {"table", ar_cmd_table, "table RUN.h5... [--format F]    league table of run files (text|md|csv|json)"},
    {"stats", ar_cmd_stats, "stats EQUITY.csv --periods-per-year N [--format json]   metrics of an equity curve"},
    {"rank", ar_cmd_rank, "rank BATTLES.csv [--format json|text]   Bradley-Terry ratings from battles"},
    {"data", ar_cmd_data, "data import|synth|info|fetch ... market files"},
    {"merge", ar_cmd_merge, "merge SHARDS... -o RUN.h5          merge shard files (mpirun, --episodes) into one run file"},
    {"report", ar_cmd_report, "report RUN.h5... -o REPORT.html   static HTML report: league, charts, trades, decisions"},
    {"serve", ar_cmd_serve, "serve RUN.h5|DIR [--port P]      web page: league, equity curves, decisions; live over a websocket"},
    {"live", ar_cmd_live, "live CONFIG [-o RUN.h5 | --resume RUN.h5]   paper-trade on an exchange feed, writing the run file live"},
    {"feed", ar_cmd_feed, "feed MARKET.h5 --exchange X --port P   replay a market as an exchange websocket feed"},
};

static void usage(FILE *f) {
    fprintf(f, "usage: arena COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) fprintf(f, "  %s\n", cmds[i].help);
    fprintf(f, "\n'arena COMMAND --help' for a command's options. Exit codes: 0 ok, 1 failure, 2 usage or config error.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return AR_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return AR_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("arena %s\n", ARENA_VERSION);
        return AR_EXIT_OK;
    }
    /* Past a file size limit (ulimit -f) a write fails with EFBIG, as on a
     * full disk, and the command says so and removes its temporary file;
     * the signal's default would kill it and leave the temporary behind. */
    signal(SIGXFSZ, SIG_IGN);
    ar_store_init();
    /* every command that reads run files lazily (table, report, serve,
     * merge, run --resume) keeps their small tables within this */
    ar_run_read_memory(ar__cli_env_bytes(argv[1], "ARENA_READ_MEMORY", AR_READ_MEMORY_DEFAULT));
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name)) {
            int rc = cmds[i].fn(argc - 1, argv + 1);
            /* A table printed to a full disk (or a closed pipe's file) must
             * not end as a short file and exit 0. */
            int bad = ferror(stdout), fl = fflush(stdout);
            if (rc == 0 && (fl != 0 || bad)) { /* a failed command has said why */
                /* errno says why only when the flush itself failed */
                fprintf(stderr, "arena %s: cannot write the output%s%s\n", argv[1], fl ? ": " : "",
                        fl ? strerror(errno) : "");
                return AR_EXIT_FAIL;
            }
            return rc;
        }
    fprintf(stderr, "arena: unknown command '%s' (try 'arena --help')\n", argv[1]);
    return AR_EXIT_USAGE;
}
