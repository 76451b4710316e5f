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

/* The loader both use: dlopen(soname, RTLD_NOW | RTLD_LOCAL), then dlsym of
 * names[0..n) into fns. 0 on success; otherwise -1, fns all NULL, the library
 * closed again and one line ("<soname> cannot be loaded: <why>") in err. */
int ar_dl_open(const char *soname, const char *const *names, void **fns, size_t n, char *err, size_t errn);

#endif
