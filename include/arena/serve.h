/* include/arena/serve.h - `arena serve`: one page with the league table,
 * equity curves and latest decisions of run files, over HTTP, updated by a
 * websocket while a live run writes (live module, libwebsockets).
 *
 * The server knows nothing of run files: the caller hands it a snapshot
 * function that returns the current state as one JSON text (the page in
 * web/index.html renders that JSON) and says whether it changed since the
 * last call. The server calls it every interval, pushes changed snapshots to
 * every websocket client, inlines the current one into GET / (so the page
 * shows data before its websocket opens, and a finished run needs no
 * socket at all) and serves it alone at GET /snapshot.json.
 *
 * Single-threaded: everything, the snapshot function included, runs on the
 * thread that calls ar_serve_run. */
#ifndef ARENA_SERVE_H
#define ARENA_SERVE_H

#include <signal.h>
#include <stddef.h>
#include "arena/err.h"

typedef struct ar_serve_opts {
    const char *host;   /* address to bind; default "127.0.0.1" */
    int port;           /* default 8765; 0: any free port */
    int interval_ms;    /* snapshot polling period; default 1000 */
} ar_serve_opts;

void ar_serve_opts_default(ar_serve_opts *o);

/* Return a new JSON text in *json (malloc'd, caller frees; server takes it)
 * and 1, or 0 with *json NULL when nothing changed since the last call.
 * Must not fail: errors belong inside the JSON. */
typedef int (*ar_serve_snapshot_fn)(void *user, char **json);

/* Serve until *stop becomes non-zero (set it from a signal handler; the
 * server wakes within interval_ms). on_listen (may be NULL) is called once
 * with the bound port. AR_EIO when the socket cannot be bound. */
ar_err ar_serve_run(const ar_serve_opts *o, ar_serve_snapshot_fn snap, void *user,
                    void (*on_listen)(int port, void *user), volatile sig_atomic_t *stop, ar_errbuf *eb);

#endif
