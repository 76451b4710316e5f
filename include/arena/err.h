/* include/arena/err.h - error codes shared by every module.
 *
 * One X-macro makes both the enum and its text, so the two cannot drift and
 * codes are never renumbered (append only). Functions that can fail return
 * ar_err; the human detail (file, line, field, what was expected) goes into a
 * caller-supplied ar_errbuf, as jansson does with json_error_t. */
#ifndef ARENA_ERR_H
#define ARENA_ERR_H

#include <stddef.h>

#define AR_ERR_MAP(X)                                   \
    X(OK, "success")                                    \
    X(EINVAL, "invalid argument")                       \
    X(ENOMEM, "out of memory")                          \
    X(EIO, "input/output error")                        \
    X(EFORMAT, "malformed input")                       \
    X(ECONFIG, "invalid configuration")                 \
    X(ENOTFOUND, "not found")                           \
    X(ERANGE, "value out of range")                     \
    X(ESTATE, "invalid state")                          \
    X(EUNDEF, "undefined")                              \
    X(ELIMIT, "limit exceeded")

typedef enum {
#define AR__ERR_ENUM(name, text) AR_##name,
    AR_ERR_MAP(AR__ERR_ENUM)
#undef AR__ERR_ENUM
    AR_ERR_COUNT
} ar_err;

/* Static text for code e; never NULL. */
const char *ar_strerror(ar_err e);

/* Detail of the last error: one line, no trailing newline. */
typedef struct ar_errbuf {
    char msg[1024];
} ar_errbuf;

/* printf-style: write the detail into eb (NULL: no-op). Returns code so that
 * a call site can write `return ar_errf(eb, AR_EFORMAT, "%s:%zu: ...", ...)`. */
ar_err ar_errf(ar_errbuf *eb, ar_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Exit codes of the arena command (documented in docs/CLI.md). */
enum {
    AR_EXIT_OK = 0,
    AR_EXIT_FAIL = 1,   /* runtime failure: I/O, data, resources */
    AR_EXIT_USAGE = 2   /* bad command line or configuration */
};

#endif
