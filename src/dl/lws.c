/* src/dl/lws.c - the libwebsockets functions arena calls, forwarded to
 * libwebsockets opened on first use (include/arena/dl.h).
 *
 * Every function here has the prototype of <libwebsockets.h> (the compiler
 * checks it) and calls the function of the same name resolved in
 * ARENA_LWS_SONAME. A new lws_* call elsewhere in arena fails to link until
 * it is added to LWS_FNS and given a forwarder below. */
#include <libwebsockets.h>
#include "arena/dl.h"

#ifndef ARENA_LWS_SONAME
#define ARENA_LWS_SONAME "libwebsockets.so.17"
#endif

#define LWS_FNS(X)                                                                                                 \
    X(lws_add_http_common_headers) X(lws_add_http_header_by_token) X(lws_callback_http_dummy)                      \
    X(lws_callback_on_writable) X(lws_callback_on_writable_all_protocol) X(lws_cancel_service)                     \
    X(lws_client_connect_via_info) X(lws_context_destroy) X(lws_context_user) X(lws_create_context)                \
    X(lws_create_vhost) X(lws_finalize_write_http_header) X(lws_get_context) X(lws_get_urlarg_by_name)             \
    X(lws_get_vhost_listen_port) X(lws_hdr_copy) X(lws_http_transaction_completed)                                 \
    X(lws_is_final_fragment) X(lws_remaining_packet_payload) X(lws_return_http_status) X(lws_service)              \
    X(lws_set_log_level) X(lws_set_timeout) X(lws_sul_cancel) X(lws_sul_schedule) X(lws_write)

enum { LWS_FNS(AR_DL_ENUM) N_FNS };
static const char *const fn_name[N_FNS] = {LWS_FNS(AR_DL_NAME)};
static void *fn[N_FNS];
static ar_dl_lib lib = {.soname = ARENA_LWS_SONAME, .names = fn_name, .fns = fn, .n = N_FNS};

static int up(void) { return ar_dl_up(&lib); }
#define REAL(f) AR_DL_REAL(fn, f)

ar_err ar_lws_load(ar_errbuf *eb) { return ar_dl_load(&lib, eb); }

/* ---- context, vhost, service loop ---- */

struct lws_context *lws_create_context(const struct lws_context_creation_info *info) {
    return up() ? REAL(lws_create_context)(info) : NULL;
}

void lws_context_destroy(struct lws_context *context) {
    if (up()) REAL(lws_context_destroy)(context);
}

void *lws_context_user(struct lws_context *context) {
    return up() ? REAL(lws_context_user)(context) : NULL;
}

struct lws_vhost *lws_create_vhost(struct lws_context *context, const struct lws_context_creation_info *info) {
    return up() ? REAL(lws_create_vhost)(context, info) : NULL;
}

int lws_get_vhost_listen_port(struct lws_vhost *vhost) {
    return up() ? REAL(lws_get_vhost_listen_port)(vhost) : -1;
}

int lws_service(struct lws_context *context, int timeout_ms) {
    return up() ? REAL(lws_service)(context, timeout_ms) : -1;
}

void lws_cancel_service(struct lws_context *context) {
    if (up()) REAL(lws_cancel_service)(context);
}

void lws_set_log_level(int level, void (*log_emit_function)(int level, const char *line)) {
    if (up()) REAL(lws_set_log_level)(level, log_emit_function);
}

void lws_sul_schedule(struct lws_context *ctx, int tsi, lws_sorted_usec_list_t *sul, sul_cb_t _cb, lws_usec_t _us) {
    if (up()) REAL(lws_sul_schedule)(ctx, tsi, sul, _cb, _us);
}

void lws_sul_cancel(lws_sorted_usec_list_t *sul) {
    if (up()) REAL(lws_sul_cancel)(sul);
}

/* ---- connections ---- */

struct lws *lws_client_connect_via_info(const struct lws_client_connect_info *ccinfo) {
    return up() ? REAL(lws_client_connect_via_info)(ccinfo) : NULL;
}

struct lws_context *lws_get_context(const struct lws *wsi) {
    return up() ? REAL(lws_get_context)(wsi) : NULL;
}

int lws_callback_on_writable(struct lws *wsi) {
    return up() ? REAL(lws_callback_on_writable)(wsi) : -1;
}

int lws_callback_on_writable_all_protocol(const struct lws_context *context, const struct lws_protocols *protocol) {
    return up() ? REAL(lws_callback_on_writable_all_protocol)(context, protocol) : -1;
}

/* protocols[0] of a server: only libwebsockets itself calls it */
int lws_callback_http_dummy(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    return up() ? REAL(lws_callback_http_dummy)(wsi, reason, user, in, len) : -1;
}

int lws_write(struct lws *wsi, unsigned char *buf, size_t len, enum lws_write_protocol protocol) {
    return up() ? REAL(lws_write)(wsi, buf, len, protocol) : -1;
}

int lws_is_final_fragment(struct lws *wsi) {
    return up() ? REAL(lws_is_final_fragment)(wsi) : 1;
}

size_t lws_remaining_packet_payload(struct lws *wsi) {
    return up() ? REAL(lws_remaining_packet_payload)(wsi) : 0;
}

void lws_set_timeout(struct lws *wsi, enum pending_timeout reason, int secs) {
    if (up()) REAL(lws_set_timeout)(wsi, reason, secs);
}

/* ---- HTTP ---- */

int lws_add_http_common_headers(struct lws *wsi, unsigned int code, const char *content_type,
                                lws_filepos_t content_len, unsigned char **p, unsigned char *end) {
    return up() ? REAL(lws_add_http_common_headers)(wsi, code, content_type, content_len, p, end) : 1;
}

int lws_add_http_header_by_token(struct lws *wsi, enum lws_token_indexes token, const unsigned char *value,
                                 int length, unsigned char **p, unsigned char *end) {
    return up() ? REAL(lws_add_http_header_by_token)(wsi, token, value, length, p, end) : 1;
}

int lws_finalize_write_http_header(struct lws *wsi, unsigned char *start, unsigned char **p, unsigned char *end) {
    return up() ? REAL(lws_finalize_write_http_header)(wsi, start, p, end) : 1;
}

int lws_return_http_status(struct lws *wsi, unsigned int code, const char *html_body) {
    return up() ? REAL(lws_return_http_status)(wsi, code, html_body) : 1;
}

int lws_http_transaction_completed(struct lws *wsi) {
    return up() ? REAL(lws_http_transaction_completed)(wsi) : 1;
}

const char *lws_get_urlarg_by_name(struct lws *wsi, const char *name, char *buf, int len) {
    return up() ? REAL(lws_get_urlarg_by_name)(wsi, name, buf, len) : NULL;
}

int lws_hdr_copy(struct lws *wsi, char *dest, int len, enum lws_token_indexes h) {
    return up() ? REAL(lws_hdr_copy)(wsi, dest, len, h) : -1;
}
