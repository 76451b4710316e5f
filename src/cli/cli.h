/* src/cli/cli.h - subcommands of the arena program. Each returns an exit
 * code (AR_EXIT_*) and prints its own one-line errors to stderr. */
#ifndef ARENA_CLI_H
#define ARENA_CLI_H

#include <pthread.h>
#include <stddef.h>
#include "arena/run.h" /* AR_NAME_MAX */

int ar_cmd_run(int argc, char **argv);
int ar_cmd_table(int argc, char **argv);
int ar_cmd_stats(int argc, char **argv);
int ar_cmd_rank(int argc, char **argv);
int ar_cmd_data(int argc, char **argv);
int ar_cmd_report(int argc, char **argv);
int ar_cmd_serve(int argc, char **argv);
int ar_cmd_feed(int argc, char **argv);
int ar_cmd_live(int argc, char **argv);
int ar_cmd_merge(int argc, char **argv);

/* MPI glue (src/cli/mpi.c); without ARENA_MPI init fails and max is v. */
int ar_mpi_launched(void);    /* the environment says mpirun/srun started us */
int ar_mpi_built(void);       /* built with ARENA_MPI */
int ar_mpi_launch_size(void); /* processes the launcher started (1 if unknown) */
int ar_mpi_init(int *rank, int *size);
int ar_mpi_max(int v);        /* maximum over all ranks; also a barrier */
void ar_mpi_finalize(void);

/* Print which of files[1..n) differs from files[0] (runs that cannot be
 * merged), as one line prefixed "arena CMD: ". */
struct ar_run;
void ar__cli_run_mismatch(const char *cmd, struct ar_run *const *runs, char **files, size_t n);

/* Whether files[0..n) are n different files (a run given twice would count
 * its episodes twice); if not, one line "arena CMD: B: the same file as A". */
int ar__cli_files_distinct(const char *cmd, char **files, size_t n);

/* ar_engine_opts.on_call_fail / ar_live_opts.on_call_fail with an
 * ar__fail_notes as ctx: the first failed call of each model agent said on
 * stderr as it happens ("arena CMD: note: agent A: ERROR; ..."): a
 * provider that cannot be reached would otherwise retry through the whole
 * run in silence, every answer a hold. At most AR__NOTE_AGENTS agents. */
#define AR__NOTE_AGENTS 64
typedef struct ar__fail_notes {
    pthread_mutex_t mu;
    const char *cmd;
    int bar; /* a progress bar is on stderr: clear its line first */
    size_t n;
    char said[AR__NOTE_AGENTS][AR_NAME_MAX];
} ar__fail_notes;
void ar__cli_call_failed(void *ctx, const char *agent, const char *error);

/* A byte count from environment variable name; dflt when unset, and when
 * not a number (said in one line prefixed "arena CMD: "). */
size_t ar__cli_env_bytes(const char *cmd, const char *name, size_t dflt);

/* Whether the agents of cfg can be started: each llm agent's key variable
 * set, each exec agent's program there. If not, one line
 * "arena CMD: CONFIG: agents: ..." ending with hint (may be NULL). */
struct ar_config;
int ar__cli_agents_ready(const char *cmd, const char *cfg_path, const struct ar_config *cfg, const char *hint);

#endif
