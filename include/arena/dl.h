/* include/arena/dl.h - libcurl and libwebsockets, opened on first use.
 *
 * arena links neither library. src/dl/curl.c and src/dl/lws.c define the
 * curl_* and lws_* functions arena calls; each forwards to the real function,
 * resolved with dlsym once (pthread_once) after the first call opened the
 * library with dlopen by its soname (CMake's ARENA_CURL_SONAME and
 * ARENA_LWS_SONAME: libcurl.so.4 and libwebsockets.so.17 on Debian 12). So a
 * command that never touches the network (data synth/import, run with coded
 * agents, table, stats, report, merge) never maps them nor the TLS, Kerberos,
 * LDAP, ... libraries they bring, which were most of arena's start-up time.
 * The rest of the code includes <curl/curl.h> and <libwebsockets.h> and calls
 * the usual functions, unchanged.
 *
 * Code about to use a library calls ar_curl_load / ar_lws_load first: AR_OK
 * when it is there, otherwise AR_EIO with one line naming it in eb
 * ("libcurl.so.4 cannot be loaded: cannot open shared object file: ...").
 * Without that call the functions still never crash when the library is
 * missing: they fail the way the library reports failure (curl_global_init
 * CURLE_FAILED_INIT, curl_easy_init / curl_multi_init / lws_create_context
 * NULL, curl_multi_* CURLM_INTERNAL_ERROR, int-returning lws_* -1 or non-zero,
 * void ones do nothing). All of it is thread-safe; the libraries stay open
 * until exit. */
#ifndef ARENA_DL_H
#define ARENA_DL_H

#include <stddef.h>
#include "arena/err.h"

/* Open libcurl (first call only): AR_OK, or AR_EIO and one line in eb. */
ar_err ar_curl_load(ar_errbuf *eb);

/* Open libwebsockets (first call only): AR_OK, or AR_EIO and one line in eb. */
ar_err ar_lws_load(ar_errbuf *eb);

/* ---- for the forwarders (src/dl/curl.c, src/dl/lws.c) -------------------
 * A library opened on first use: its soname and the table of functions to
 * resolve. ar_dl_up opens it once (dlopen(soname, RTLD_NOW | RTLD_LOCAL),
 * then dlsym of names[0..n) into fns), thread-safe; 1 when every function
 * was resolved, 0 otherwise (fns all NULL, the library closed again, one
 * line "<soname> cannot be loaded: <why>" kept in err). */
typedef struct ar_dl_lib {
    const char *soname;
    const char *const *names;
    void **fns;
    size_t n;
    _Atomic int state; /* 0 not tried yet, 1 loaded, -1 failed */
    char err[512];
} ar_dl_lib;
int ar_dl_up(ar_dl_lib *l);
/* AR_OK when l is up; otherwise AR_EIO with l's line in eb. */
ar_err ar_dl_load(ar_dl_lib *l, ar_errbuf *eb);

/* X-macro helpers for a forwarder's function table FNS(X): the enum of
 * indexes I_<name> and the array of names. */
#define AR_DL_ENUM(f) I_##f,
#define AR_DL_NAME(f) #f,
/* the real function f, with f's own type, from the table fns */
#define AR_DL_REAL(fns, f) ((__typeof__(&f))(fns)[I_##f])

#endif
