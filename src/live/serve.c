/* src/live/serve.c - the `arena serve` HTTP + websocket server (libwebsockets).
 *
 * One lws context, one vhost on host:port, one protocol ("arena") that
 * answers HTTP (GET / and /snapshot.json) and websockets alike. A sorted-
 * usec-list timer asks the caller's snapshot function every interval; a
 * changed snapshot gets a new sequence number and every websocket client is
 * asked for a writeable callback, in which it receives the snapshot when its
 * last-sent number is older. HTTP bodies go out in 32 KiB pieces from the
 * HTTP-writeable callback. The page is web/index.html, embedded at build
 * time (cmake/embed_web.cmake); its "@@SNAPSHOT@@" is replaced by the
 * current snapshot with every '<' written \u003c (the same JSON: '<' only
 * occurs inside its strings), so no text in it (an agent named
 * "</script>" or "<!--<script>") can close or change the state of the
 * script element holding it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>
#include "arena/dl.h"
#include "arena/serve.h"
#include "live/live_int.h"

extern const unsigned char ar__serve_page[];

typedef struct {
    ar_serve_snapshot_fn fn;
    void *user;
    int interval_ms;
    char *snap;           /* current snapshot JSON */
    size_t snap_len;
    unsigned long seq;    /* bumped on every change */
    struct lws_context *ctx;
    lws_sorted_usec_list_t sul;
    volatile sig_atomic_t *stop;
} server;

typedef struct {
    char *body;           /* HTTP body being sent */
    size_t len, sent;
    unsigned long seq_sent; /* websocket: last snapshot sent */
} session;

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
static const struct lws_protocols protocols[] = {
    {"arena", callback, sizeof(session), 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static const char PLACEHOLDER[] = "@@SNAPSHOT@@";

/* The page with the snapshot inlined; '<' becomes \u003c (same JSON). */
static char *page_with(const server *s, size_t *len) {
    const char *page = (const char *)ar__serve_page;
    const char *at = strstr(page, PLACEHOLDER);
    const char *snap = s->snap ? s->snap : "null";
    size_t sl = strlen(snap), pl = strlen(page);
    char *out = malloc(pl + 6 * sl + 1);
    if (out == NULL) return NULL;
    size_t n = 0;
    size_t head = at ? (size_t)(at - page) : pl;
    memcpy(out, page, head);
    n = head;
    if (at) {
        for (size_t i = 0; i < sl; i++) {
            if (snap[i] == '<') {
                memcpy(out + n, "\\u003c", 6);
                n += 6;
            } else {
                out[n++] = snap[i];
            }
        }
        size_t tail = pl - head - (sizeof PLACEHOLDER - 1);
        memcpy(out + n, at + sizeof PLACEHOLDER - 1, tail);
        n += tail;
    }
    out[n] = '\0';
    *len = n;
    return out;
}

static void poll_snapshot(server *s) {
    char *json = NULL;
    if (s->fn(s->user, &json) && json) {
        free(s->snap);
        s->snap = json;
        s->snap_len = strlen(json);
        s->seq++;
    } else {
        free(json);
    }
}

static void on_timer(lws_sorted_usec_list_t *sul) {
    server *s = lws_container_of(sul, server, sul);
    unsigned long before = s->seq;
    poll_snapshot(s);
    if (s->seq != before) lws_callback_on_writable_all_protocol(s->ctx, &protocols[0]);
    lws_sul_schedule(s->ctx, 0, &s->sul, on_timer, (lws_usec_t)s->interval_ms * LWS_US_PER_MS);
}

static int send_headers(struct lws *wsi, unsigned status, const char *mime, size_t len) {
    unsigned char buf[LWS_PRE + 1024], *start = &buf[LWS_PRE], *p = start, *end = &buf[sizeof buf - 1];
    static const char nostore[] = "no-store";
    if (lws_add_http_common_headers(wsi, status, mime, (lws_filepos_t)len, &p, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL, (const unsigned char *)nostore,
                                     (int)strlen(nostore), &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    session *ss = user;
    server *s = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_HTTP: {
        const char *uri = in;
        const char *mime = "text/html; charset=utf-8";
        free(ss->body);
        ss->body = NULL;
        ss->sent = 0;
        if (!strcmp(uri, "/") || !strcmp(uri, "/index.html")) {
            ss->body = page_with(s, &ss->len);
        } else if (!strcmp(uri, "/snapshot.json")) {
            mime = "application/json";
            ss->len = s->snap_len;
            ss->body = malloc(ss->len + 1);
            if (ss->body) memcpy(ss->body, s->snap ? s->snap : "", ss->len + 1);
        } else {
            if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL)) return -1;
            return lws_http_transaction_completed(wsi) ? -1 : 0;
        }
        if (ss->body == NULL) return -1;
        if (send_headers(wsi, HTTP_STATUS_OK, mime, ss->len)) return 1;
        lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (ss->body == NULL) break;
        size_t left = ss->len - ss->sent, chunk = left > 32768 ? 32768 : left;
        unsigned char *buf = malloc(LWS_PRE + chunk + 1);
        if (buf == NULL) return -1;
        memcpy(buf + LWS_PRE, ss->body + ss->sent, chunk);
        int last = chunk == left;
        int n = lws_write(wsi, buf + LWS_PRE, chunk, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
        free(buf);
        if (n < (int)chunk) return -1;
        ss->sent += chunk;
        if (!last) {
            lws_callback_on_writable(wsi);
            return 0;
        }
        free(ss->body);
        ss->body = NULL;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    case LWS_CALLBACK_ESTABLISHED:
        ss->seq_sent = 0;
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE: {
        if (s->snap == NULL || ss->seq_sent == s->seq) return 0;
        unsigned char *buf = malloc(LWS_PRE + s->snap_len + 1);
        if (buf == NULL) return -1;
        memcpy(buf + LWS_PRE, s->snap, s->snap_len);
        int n = lws_write(wsi, buf + LWS_PRE, s->snap_len, LWS_WRITE_TEXT);
        free(buf);
        if (n < (int)s->snap_len) return -1;
        ss->seq_sent = s->seq;
        return 0;
    }
    case LWS_CALLBACK_RECEIVE:
        return 0; /* the page sends nothing we need */
    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        free(ss ? ss->body : NULL);
        if (ss) ss->body = NULL;
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

void ar_serve_opts_default(ar_serve_opts *o) {
    o->host = "127.0.0.1";
    o->port = 8765;
    o->interval_ms = 1000;
}

ar_err ar_serve_run(const ar_serve_opts *o, ar_serve_snapshot_fn fn, void *user,
                    void (*on_listen)(int port, void *user), volatile sig_atomic_t *stop, ar_errbuf *eb) {
    ar_serve_opts d;
    if (o == NULL) {
        ar_serve_opts_default(&d);
        o = &d;
    }
    server s = {.fn = fn, .user = user, .interval_ms = o->interval_ms > 0 ? o->interval_ms : 1000, .stop = stop};
    poll_snapshot(&s);
    if (ar_lws_load(eb) != AR_OK) {
        free(s.snap);
        return AR_EIO;
    }
    lws_set_log_level(0, NULL); /* its bind errors: the one line below says them */
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = o->port; /* 0: the kernel picks a free port */
    info.iface = o->host && *o->host ? o->host : "127.0.0.1";
    info.protocols = protocols;
    info.user = &s;
    info.gid = -1;
    info.uid = -1;
    /* the vhost made apart from the context, as `arena feed` does: a
     * context whose own vhost cannot bind leaks in libwebsockets 4.1 */
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    if (ar__iface_ipv4(info.iface)) info.options |= LWS_SERVER_OPTION_DISABLE_IPV6; /* listen.c */
    s.ctx = lws_create_context(&info);
    struct lws_vhost *vh = s.ctx ? lws_create_vhost(s.ctx, &info) : NULL;
    if (vh == NULL) {
        if (s.ctx) lws_context_destroy(s.ctx);
        free(s.snap);
        return ar_errf(eb, AR_EIO, "serve: cannot listen on %s:%d: %s", info.iface, o->port,
                       ar__listen_why(info.iface, o->port));
    }
    int port = lws_get_vhost_listen_port(vh);
    if (on_listen) on_listen(port, user);
    lws_sul_schedule(s.ctx, 0, &s.sul, on_timer, (lws_usec_t)s.interval_ms * LWS_US_PER_MS);
    while (!*stop)
        if (lws_service(s.ctx, 0) < 0) break;
    lws_context_destroy(s.ctx);
    free(s.snap);
    return AR_OK;
}
