/* src/cli/cli.h - subcommands of the arena program. Each returns an exit
 * code (AR_EXIT_*) and prints its own one-line errors to stderr. */
#ifndef ARENA_CLI_H
#define ARENA_CLI_H

int ar_cmd_run(int argc, char **argv);
int ar_cmd_table(int argc, char **argv);
int ar_cmd_stats(int argc, char **argv);
int ar_cmd_rank(int argc, char **argv);
int ar_cmd_data(int argc, char **argv);
int ar_cmd_report(int argc, char **argv);

#endif
