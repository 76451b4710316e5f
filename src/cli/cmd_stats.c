/* placeholder until the subcommand lands */
#include <stdio.h>
#include "arena/err.h"
#include "cli/cli.h"
int ar_cmd_stats(int argc, char **argv) {
    (void)argc; (void)argv;
    fprintf(stderr, "arena stats: not implemented yet\n");
    return AR_EXIT_FAIL;
}
