/* src/dl/curl.c - the libcurl functions arena calls, forwarded to libcurl
 * opened on first use (include/arena/dl.h).
 *
 * Every function here has the prototype of <curl/curl.h> (the compiler checks
 * it) and calls the function of the same name resolved in ARENA_CURL_SONAME.
 * A new curl_* call elsewhere in arena fails to link until it is added to
 * CURL_FNS and given a forwarder below. */
#define CURL_DISABLE_TYPECHECK /* curl_easy_setopt/getinfo are functions here, not macros */
#include <curl/curl.h>
#include <stdarg.h>
#include "arena/dl.h"

#ifndef ARENA_CURL_SONAME
#define ARENA_CURL_SONAME "libcurl.so.4"
#endif

#define CURL_FNS(X)                                                                                    \
    X(curl_global_init) X(curl_global_cleanup) X(curl_easy_init) X(curl_easy_cleanup)                  \
    X(curl_easy_setopt) X(curl_easy_getinfo) X(curl_easy_perform) X(curl_easy_strerror)                \
    X(curl_easy_escape) X(curl_free) X(curl_slist_append) X(curl_slist_free_all) X(curl_multi_init)    \
    X(curl_multi_cleanup) X(curl_multi_add_handle) X(curl_multi_remove_handle) X(curl_multi_perform)   \
    X(curl_multi_poll) X(curl_multi_info_read) X(curl_multi_wakeup)

enum { CURL_FNS(AR_DL_ENUM) N_FNS };
static const char *const fn_name[N_FNS] = {CURL_FNS(AR_DL_NAME)};
static void *fn[N_FNS];
static ar_dl_lib lib = {.soname = ARENA_CURL_SONAME, .names = fn_name, .fns = fn, .n = N_FNS};

static int up(void) { return ar_dl_up(&lib); }
#define REAL(f) AR_DL_REAL(fn, f)

ar_err ar_curl_load(ar_errbuf *eb) { return ar_dl_load(&lib, eb); }

CURLcode curl_global_init(long flags) {
    return up() ? REAL(curl_global_init)(flags) : CURLE_FAILED_INIT;
}

void curl_global_cleanup(void) {
    if (up()) REAL(curl_global_cleanup)();
}

CURL *curl_easy_init(void) {
    return up() ? REAL(curl_easy_init)() : NULL;
}

void curl_easy_cleanup(CURL *curl) {
    if (up()) REAL(curl_easy_cleanup)(curl);
}

/* The third argument's type follows from the option's number range, as
 * curl.h defines them and libcurl reads them: long below OBJECTPOINT, a data
 * pointer (also strings, slists, callback data) below FUNCTIONPOINT, a
 * function pointer below OFF_T, curl_off_t below BLOB, struct curl_blob *
 * up to BLOB + 9999 (the ranges are 10000 wide). */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...) {
    if (!up()) return CURLE_FAILED_INIT;
    va_list ap;
    va_start(ap, option);
    CURLcode rc;
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = REAL(curl_easy_setopt)(curl, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_FUNCTIONPOINT)
        rc = REAL(curl_easy_setopt)(curl, option, va_arg(ap, void *));
    else if (option < CURLOPTTYPE_OFF_T)
        rc = REAL(curl_easy_setopt)(curl, option, va_arg(ap, void (*)(void)));
    else if (option < CURLOPTTYPE_BLOB)
        rc = REAL(curl_easy_setopt)(curl, option, va_arg(ap, curl_off_t));
    else if (option < CURLOPTTYPE_BLOB + 10000)
        rc = REAL(curl_easy_setopt)(curl, option, va_arg(ap, struct curl_blob *));
    else /* no such type: libcurl refuses it too */
        rc = CURLE_UNKNOWN_OPTION;
    va_end(ap);
    return rc;
}

/* The third argument is a pointer whose target type is the info's type bits. */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...) {
    if (!up()) return CURLE_FAILED_INIT;
    va_list ap;
    va_start(ap, info);
    CURLcode rc;
    switch ((int)info & CURLINFO_TYPEMASK) {
    case CURLINFO_STRING:
        rc = REAL(curl_easy_getinfo)(curl, info, va_arg(ap, char **));
        break;
    case CURLINFO_LONG:
        rc = REAL(curl_easy_getinfo)(curl, info, va_arg(ap, long *));
        break;
    case CURLINFO_DOUBLE:
        rc = REAL(curl_easy_getinfo)(curl, info, va_arg(ap, double *));
        break;
    case CURLINFO_SLIST: /* == CURLINFO_PTR */
        rc = REAL(curl_easy_getinfo)(curl, info, va_arg(ap, void *));
        break;
    case CURLINFO_SOCKET:
        rc = REAL(curl_easy_getinfo)(curl, info, va_arg(ap, curl_socket_t *));
        break;
    case CURLINFO_OFF_T:
        rc = REAL(curl_easy_getinfo)(curl, info, va_arg(ap, curl_off_t *));
        break;
    default: /* no such type: libcurl refuses it too */
        rc = CURLE_UNKNOWN_OPTION;
        break;
    }
    va_end(ap);
    return rc;
}

CURLcode curl_easy_perform(CURL *curl) {
    return up() ? REAL(curl_easy_perform)(curl) : CURLE_FAILED_INIT;
}

const char *curl_easy_strerror(CURLcode code) {
    return up() ? REAL(curl_easy_strerror)(code) : "libcurl is not loaded";
}

char *curl_easy_escape(CURL *curl, const char *string, int length) {
    return up() ? REAL(curl_easy_escape)(curl, string, length) : NULL;
}

void curl_free(void *p) {
    if (up()) REAL(curl_free)(p);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *data) {
    return up() ? REAL(curl_slist_append)(list, data) : NULL;
}

void curl_slist_free_all(struct curl_slist *list) {
    if (up()) REAL(curl_slist_free_all)(list);
}

CURLM *curl_multi_init(void) {
    return up() ? REAL(curl_multi_init)() : NULL;
}

CURLMcode curl_multi_cleanup(CURLM *multi) {
    return up() ? REAL(curl_multi_cleanup)(multi) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_add_handle(CURLM *multi, CURL *easy) {
    return up() ? REAL(curl_multi_add_handle)(multi, easy) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_remove_handle(CURLM *multi, CURL *easy) {
    return up() ? REAL(curl_multi_remove_handle)(multi, easy) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_perform(CURLM *multi, int *running) {
    return up() ? REAL(curl_multi_perform)(multi, running) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_poll(CURLM *multi, struct curl_waitfd extra_fds[], unsigned int extra_nfds, int timeout_ms,
                          int *ret) {
    return up() ? REAL(curl_multi_poll)(multi, extra_fds, extra_nfds, timeout_ms, ret) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_wakeup(CURLM *multi) {
    return up() ? REAL(curl_multi_wakeup)(multi) : CURLM_INTERNAL_ERROR;
}

CURLMsg *curl_multi_info_read(CURLM *multi, int *msgs_in_queue) {
    if (!up()) {
        if (msgs_in_queue) *msgs_in_queue = 0;
        return NULL;
    }
    return REAL(curl_multi_info_read)(multi, msgs_in_queue);
}
