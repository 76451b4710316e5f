/* src/cli/rank_int.h - private to src/cli (and the fuzz targets): the battle
 * CSV parser of `arena rank` over a buffer instead of a file.
 *
 * ar__rank_parse parses text (len bytes followed by a NUL; writable, it is
 * unquoted in place) exactly as `arena rank` parses a file of those bytes,
 * name standing in for the path in the one-line error it prints to stderr.
 * Returns AR_EXIT_OK or AR_EXIT_FAIL; *nmodels and *nbattles (either may be
 * NULL) get the counts parsed. Nothing is kept. */
#ifndef ARENA_CLI_RANK_INT_H
#define ARENA_CLI_RANK_INT_H

#include <stddef.h>

int ar__rank_parse(const char *name, char *text, size_t len, size_t *nmodels, size_t *nbattles);

#endif
