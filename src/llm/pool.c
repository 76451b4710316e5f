/* src/llm/pool.c - the concurrent request pool: one curl multi handle.
 *
 * All requests of a decision round are in flight at once, so a round costs
 * the slowest answer rather than the sum. Each request gets a per-attempt
 * timeout, bounded retries with exponential backoff (250 ms doubling, plus
 * up to 25 % jitter drawn from the pool's seed through ar_mix64, never
 * rand()), and honours Retry-After / Gemini retryDelay exactly when the
 * server sends one. Per endpoint (provider + base URL) an optional cap on
 * concurrent requests and a token bucket for requests per minute keep us
 * inside provider limits. They live in an ar_llm_limits: the pool's own, or
 * one shared by every pool of a run (ar_llm_pool_set_limits), so that the
 * configured limits hold for the process whatever the number of threads;
 * either way the buckets persist across rounds.
 *
 * Which outcomes are retried is decided in provider.c for HTTP responses
 * and here for transport failures (timeouts, resets, truncated bodies).
 * Keys are read from the environment when a round starts, copied only into
 * the one header line that needs them, wiped before being freed, and
 * scrubbed from anything a server might echo back (error text, answers).
 *
 * Threading: a pool is driven by one thread at a time; nothing global
 * besides curl_global_init (reference counted by curl). An ar_llm_limits is
 * used by many threads: every field of it is read and written under its
 * mutex only. A request blocked by a slot another pool holds is retried at
 * the latest after the pool's poll timeout (100 ms), and sooner: releasing a
 * slot wakes the other pools' curl_multi_poll (curl_multi_wakeup). The wall
 * clock (CLOCK_MONOTONIC) is read only to schedule and to measure latency. */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include "arena/dl.h"
#include "arena/exec.h"
#include "arena/llm.h"
#include "arena/util.h"
#include "llm/pool_int.h"

#define BODY_CAP ((size_t)8 << 20)
#define BACKOFF_BASE_MS 250.0
#define BACKOFF_CAP_MS 30000.0
#define MAX_RETRIES 15

typedef struct limiter {
    char key[700];     /* provider|base url */
    int max_conc;      /* 0 none */
    double rpm;        /* 0 none */
    int active;
    double tokens, last_ms;
    uint64_t taken, token_waits; /* counters for tests (ar__llm_limits_counts) */
} limiter;

/* Everything below mu is guarded by it. Limiters are found by index (the
 * array may move when another thread adds an endpoint). */
struct ar_llm_limits {
    pthread_mutex_t mu;
    int shared;        /* 1: values only tighten; 0: a pool's own, reset every round */
    limiter *lim;
    size_t nlim, caplim;
    CURLM **multi;     /* pools using these limits, woken when a slot frees */
    size_t nmulti, capmulti;
};

struct ar_llm_pool {
    CURLM *multi;
    uint64_t seed, runs;
    ar_llm_limits *own;   /* always there */
    ar_llm_limits *lim;   /* own, or the shared one */
};

enum { ST_WAIT, ST_RUN, ST_DONE };

typedef struct job {
    size_t idx;
    const ar_llm_cfg *cfg;
    ar_llm_call *call;
    int state, max_attempts;
    size_t lim;
    int holding;       /* 1 while it counts in the limiter's active */
    double due_ms, start_ms, first_ms, wait_ms;
    ar_llm_request req;
    struct curl_slist *hdrs;
    CURL *easy;
    char *key;
    char *buf;
    size_t len, cap;
    int overflow;
    char retry_after[64];
    char curl_err[CURL_ERROR_SIZE];
} job;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void wipe(char *s) {
    if (s == NULL) return;
    volatile char *v = s;
    for (size_t i = 0; v[i] != '\0'; i++) v[i] = 0;
}

/* ---- limits ---- */

static ar_llm_limits *limits_new(int shared) {
    ar_llm_limits *l = calloc(1, sizeof *l);
    if (l == NULL) return NULL;
    if (pthread_mutex_init(&l->mu, NULL) != 0) {
        free(l);
        return NULL;
    }
    l->shared = shared;
    return l;
}

ar_llm_limits *ar_llm_limits_create(void) { return limits_new(1); }

void ar_llm_limits_free(ar_llm_limits *l) {
    if (l == NULL) return;
    pthread_mutex_destroy(&l->mu);
    free(l->lim);
    free(l->multi);
    free(l);
}

static void limits_detach(ar_llm_limits *l, CURLM *m) {
    pthread_mutex_lock(&l->mu);
    for (size_t i = 0; i < l->nmulti; i++)
        if (l->multi[i] == m) {
            l->multi[i] = l->multi[--l->nmulti];
            break;
        }
    pthread_mutex_unlock(&l->mu);
}

ar_err ar_llm_pool_set_limits(ar_llm_pool *p, ar_llm_limits *l, ar_errbuf *eb) {
    if (p == NULL) return ar_errf(eb, AR_EINVAL, "llm pool: NULL pool");
    if (l == NULL) l = p->own;
    if (l == p->lim) return AR_OK;
    if (l != p->own) {
        pthread_mutex_lock(&l->mu);
        int bad = 0;
        if (l->nmulti == l->capmulti) {
            size_t nc = l->capmulti ? 2 * l->capmulti : 8;
            CURLM **nm = realloc(l->multi, nc * sizeof *nm);
            if (nm == NULL) bad = 1;
            else l->multi = nm, l->capmulti = nc;
        }
        if (!bad) l->multi[l->nmulti++] = p->multi;
        pthread_mutex_unlock(&l->mu);
        if (bad) return ar_errf(eb, AR_ENOMEM, "llm pool: out of memory");
    }
    if (p->lim != p->own) limits_detach(p->lim, p->multi);
    p->lim = l;
    return AR_OK;
}

ar_err ar__llm_limits_counts(ar_llm_limits *l, int provider, const char *base_url, uint64_t *taken,
                             uint64_t *token_waits) {
    char key[700];
    snprintf(key, sizeof key, "%s|%s", ar_provider_name(provider), base_url);
    ar_err e = AR_ENOTFOUND;
    pthread_mutex_lock(&l->mu);
    for (size_t i = 0; i < l->nlim; i++)
        if (strcmp(l->lim[i].key, key) == 0) {
            *taken = l->lim[i].taken;
            *token_waits = l->lim[i].token_waits;
            e = AR_OK;
        }
    pthread_mutex_unlock(&l->mu);
    return e;
}

ar_llm_pool *ar_llm_pool_create(uint64_t seed, ar_errbuf *eb) {
    if (ar_curl_load(eb) != AR_OK) return NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ar_errf(eb, AR_EIO, "llm pool: curl_global_init failed");
        return NULL;
    }
    ar_llm_pool *p = calloc(1, sizeof *p);
    if (p == NULL || (p->own = limits_new(0)) == NULL || (p->multi = curl_multi_init()) == NULL) {
        if (p) ar_llm_limits_free(p->own);
        free(p);
        curl_global_cleanup();
        ar_errf(eb, AR_ENOMEM, "llm pool: out of memory");
        return NULL;
    }
    p->lim = p->own;
    p->seed = seed;
    return p;
}

void ar_llm_pool_free(ar_llm_pool *p) {
    if (p == NULL) return;
    /* No other pool may wake this multi handle once it is gone. */
    if (p->lim != p->own) limits_detach(p->lim, p->multi);
    curl_multi_cleanup(p->multi);
    ar_llm_limits_free(p->own);
    free(p);
    curl_global_cleanup();
}

/* The limiter of c's endpoint, made on first use; called with mu held. */
static int limiter_for(ar_llm_limits *L, const ar_llm_cfg *c, size_t *out) {
    char key[700];
    snprintf(key, sizeof key, "%s|%.*s", ar_provider_name(c->provider), (int)sizeof c->base_url - 1, c->base_url);
    for (size_t i = 0; i < L->nlim; i++)
        if (strcmp(L->lim[i].key, key) == 0) {
            *out = i;
            return 0;
        }
    if (L->nlim == L->caplim) {
        size_t nc = L->caplim ? 2 * L->caplim : 4;
        limiter *nl = realloc(L->lim, nc * sizeof *nl);
        if (nl == NULL) return -1;
        L->lim = nl;
        L->caplim = nc;
    }
    limiter *l = &L->lim[L->nlim];
    memset(l, 0, sizeof *l);
    snprintf(l->key, sizeof l->key, "%s", key);
    l->tokens = -1; /* full on first use */
    *out = L->nlim++;
    return 0;
}

/* Burst of one second's worth (at least one request), refilled evenly. */
static double bucket_cap(const limiter *l) { return l->rpm >= 120 ? floor(l->rpm / 60) : 1; }

/* Take a slot if the limits allow; otherwise *wake_ms says when a token
 * will be there (INFINITY when only a finishing request frees a slot: this
 * pool's, seen by its loop, or another pool's, which wakes it). */
static int limiter_take(ar_llm_limits *L, size_t idx, double now, double *wake_ms) {
    pthread_mutex_lock(&L->mu);
    limiter *l = &L->lim[idx];
    int ok = 0;
    if (l->rpm > 0) {
        double cap = bucket_cap(l);
        if (l->tokens < 0) {
            l->tokens = cap;
            l->last_ms = now;
        } else if (now > l->last_ms) { /* another thread may have read the clock later */
            l->tokens = fmin(cap, l->tokens + (now - l->last_ms) * l->rpm / 60000.0);
            l->last_ms = now;
        }
    }
    if (l->max_conc > 0 && l->active >= l->max_conc) {
        *wake_ms = INFINITY;
    } else if (l->rpm > 0 && l->tokens < 1) {
        *wake_ms = now + (1 - l->tokens) * 60000.0 / l->rpm;
        l->token_waits++;
    } else {
        if (l->rpm > 0) l->tokens -= 1;
        l->active++;
        l->taken++;
        ok = 1;
    }
    pthread_mutex_unlock(&L->mu);
    return ok;
}

/* A request ended (or was abandoned): free its slot and wake the other
 * pools, one of which may be waiting for it. */
static void limiter_release(ar_llm_pool *p, job *j) {
    if (!j->holding) return;
    j->holding = 0;
    ar_llm_limits *L = p->lim;
    pthread_mutex_lock(&L->mu);
    limiter *l = &L->lim[j->lim];
    if (l->active > 0) l->active--;
    if (l->max_conc > 0)
        for (size_t i = 0; i < L->nmulti; i++)
            if (L->multi[i] != p->multi) curl_multi_wakeup(L->multi[i]);
    pthread_mutex_unlock(&L->mu);
}

/* ---- curl callbacks ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
    job *j = ud;
    size_t n = size * nmemb;
    if (n > BODY_CAP - j->len) {
        j->overflow = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (j->len + n + 1 > j->cap) {
        size_t nc = j->cap ? j->cap : 4096;
        while (nc < j->len + n + 1) nc *= 2;
        char *nb = realloc(j->buf, nc);
        if (nb == NULL) return 0;
        j->buf = nb;
        j->cap = nc;
    }
    memcpy(j->buf + j->len, data, n);
    j->len += n;
    j->buf[j->len] = '\0';
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud) {
    job *j = ud;
    size_t n = size * nmemb;
    static const char name[] = "retry-after:";
    if (n > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0) {
        size_t k = sizeof name - 1;
        while (k < n && (data[k] == ' ' || data[k] == '\t')) k++;
        size_t m = 0;
        while (k < n && data[k] != '\r' && data[k] != '\n' && m + 1 < sizeof j->retry_after)
            j->retry_after[m++] = data[k++];
        j->retry_after[m] = '\0';
    }
    return n;
}

/* ---- scheduling ---- */

static double backoff_ms(const ar_llm_pool *p, const job *j, int failed) {
    uint64_t h = ar_mix64(ar_mix64(ar_mix64(p->seed) ^ p->runs) ^ (uint64_t)j->idx);
    h = ar_mix64(h ^ (uint64_t)failed);
    double u = (double)(h >> 11) * 0x1.0p-53;
    double d = BACKOFF_BASE_MS * pow(2.0, failed - 1) * (1.0 + 0.25 * u);
    return fmin(d, BACKOFF_CAP_MS);
}

/* Replace every occurrence of the key in s by "***" (in place: the mask is
 * never longer than a key worth masking), and a start of the key (4 bytes
 * or more) that ends s: an error text cut to its length can end inside an
 * echoed key. */
static void scrub(char *s, const char *key) {
    if (s == NULL || key == NULL) return;
    size_t kl = strlen(key);
    if (kl < 4) return; /* too short to be a key; masking would mangle text */
    char *hit;
    while ((hit = strstr(s, key)) != NULL) {
        memcpy(hit, "***", 3);
        memmove(hit + 3, hit + kl, strlen(hit + kl) + 1);
    }
    size_t n = strlen(s);
    for (size_t l = kl - 1 < n ? kl - 1 : n; l >= 4; l--)
        if (memcmp(s + n - l, key, l) == 0) {
            memcpy(s + n - l, "***", 4); /* with the NUL */
            break;
        }
}

static int set_err(ar_llm_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_err(ar_llm_call *c, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    for (char *q = tmp; *q; q++)
        if ((unsigned char)*q < 0x20) *q = ' ';
    free(c->error);
    c->error = strdup(tmp);
    return c->error == NULL ? -1 : 0;
}

static void job_cleanup(ar_llm_pool *p, job *j) {
    limiter_release(p, j);
    if (j->easy != NULL) {
        if (j->state == ST_RUN) curl_multi_remove_handle(p->multi, j->easy);
        curl_easy_cleanup(j->easy);
    }
    for (struct curl_slist *s = j->hdrs; s != NULL; s = s->next) wipe(s->data);
    curl_slist_free_all(j->hdrs);
    ar_llm_request_cleanup(&j->req);
    wipe(j->key);
    free(j->key);
    free(j->buf);
    memset(j, 0, sizeof *j);
}

/* Build the request and the easy handle once; attempts re-add the handle. */
static ar_err job_prepare(job *j, const char *system, const char *user) {
    const ar_llm_cfg *c = j->cfg;
    ar_llm_call *call = j->call;
    if (memchr(c->api_key_env, '\0', sizeof c->api_key_env) == NULL) {
        call->status = 1;
        call->reason = AR_R_AGENT_ERROR;
        j->state = ST_DONE;
        return set_err(call, "api_key_env is not terminated") ? AR_ENOMEM : AR_OK;
    }
    if (c->api_key_env[0] != '\0') {
        const char *k = getenv(c->api_key_env);
        if (k == NULL || *k == '\0') {
            call->status = 1;
            call->reason = AR_R_HTTP;
            j->state = ST_DONE;
            return set_err(call, "environment variable %.127s is not set", c->api_key_env) ? AR_ENOMEM
                                                                                              : AR_OK;
        }
        if ((j->key = strdup(k)) == NULL) return AR_ENOMEM;
    }
    ar_errbuf eb;
    ar_err e = ar_provider_build_request(c, system, user, j->key, &j->req, &eb);
    if (e == AR_ENOMEM) return e;
    if (e != AR_OK) {
        call->status = 1;
        call->reason = AR_R_AGENT_ERROR;
        j->state = ST_DONE;
        scrub(eb.msg, j->key);
        return set_err(call, "%s", eb.msg) ? AR_ENOMEM : AR_OK;
    }
    for (size_t i = 0; i < j->req.nheaders; i++) {
        struct curl_slist *n = curl_slist_append(j->hdrs, j->req.headers[i]);
        if (n == NULL) return AR_ENOMEM;
        j->hdrs = n;
    }
    /* No "Expect: 100-continue" round trip on large prompts. */
    struct curl_slist *n = curl_slist_append(j->hdrs, "Expect:");
    if (n == NULL) return AR_ENOMEM;
    j->hdrs = n;
    CURL *h = j->easy = curl_easy_init();
    if (h == NULL) return AR_ENOMEM;
    double t = c->timeout_s > 0 ? c->timeout_s : 60;
    long tmo = t * 1000 > 86400000.0 ? 86400000L : (long)(t * 1000);
    if (tmo < 1) tmo = 1;
    int rc = 0;
    rc |= curl_easy_setopt(h, CURLOPT_URL, j->req.url);
    rc |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, j->req.body);
    rc |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(j->req.body));
    rc |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, j->hdrs);
    rc |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, tmo);
    rc |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, tmo < 10000 ? tmo : 10000L);
    rc |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    /* Never follow redirects: the key header would go wherever they point. */
    rc |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    rc |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    rc |= curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    rc |= curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    rc |= curl_easy_setopt(h, CURLOPT_USERAGENT, "arena/0.1");
    rc |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    rc |= curl_easy_setopt(h, CURLOPT_WRITEDATA, j);
    rc |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    rc |= curl_easy_setopt(h, CURLOPT_HEADERDATA, j);
    rc |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, j->curl_err);
    rc |= curl_easy_setopt(h, CURLOPT_PRIVATE, j);
    if (rc != 0) {
        call->status = 1;
        call->reason = AR_R_AGENT_ERROR;
        j->state = ST_DONE;
        return set_err(call, "%s: curl rejected an option", ar_provider_name(c->provider)) ? AR_ENOMEM
                                                                                            : AR_OK;
    }
    j->max_attempts = 1 + (c->max_retries < 0 ? 0 : c->max_retries > MAX_RETRIES ? MAX_RETRIES
                                                                                    : c->max_retries);
    j->state = ST_WAIT;
    return AR_OK;
}

static ar_err job_start(ar_llm_pool *p, job *j, double now) {
    j->len = 0;
    j->overflow = 0;
    j->retry_after[0] = '\0';
    j->curl_err[0] = '\0';
    if (curl_multi_add_handle(p->multi, j->easy) != CURLM_OK) return AR_EIO;
    j->state = ST_RUN;
    j->start_ms = now;
    if (j->call->attempts == 0) j->first_ms = now;
    ar_llm_call *c = j->call;
    if (c->nlog < AR_LLM_MAX_ATTEMPTS) {
        ar_llm_attempt *a = &c->log[c->nlog++];
        memset(a, 0, sizeof *a);
        a->wait_ms = j->wait_ms;
    }
    c->attempts++;
    return AR_OK;
}

/* A transfer ended: read it, then either finish or schedule another try. */
static ar_err job_done(ar_llm_pool *p, job *j, CURLcode rc, double now) {
    ar_llm_call *c = j->call;
    curl_multi_remove_handle(p->multi, j->easy);
    limiter_release(p, j);
    long http = 0;
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &http);
    const char *pn = ar_provider_name(j->cfg->provider);
    ar_llm_verdict v = {0, -1};
    c->latency_ms = now - j->start_ms;
    if (rc == CURLE_OK) {
        if (ar_provider_parse_response(j->cfg->provider, http, j->buf, j->len,
                                       j->retry_after[0] ? j->retry_after : NULL, c, &v) != AR_OK)
            return AR_ENOMEM;
    } else {
        free(c->text);
        c->text = NULL;
        c->status = 1;
        c->http_status = (int32_t)http;
        c->finish[0] = '\0';
        const char *detail = j->curl_err[0] ? j->curl_err : curl_easy_strerror(rc);
        int bad = 0;
        if (j->overflow) {
            c->reason = AR_R_TRUNCATED;
            bad = set_err(c, "%s: response larger than %zu MiB", pn, BODY_CAP >> 20);
        } else if (rc == CURLE_OPERATION_TIMEDOUT) {
            c->reason = AR_R_TIMEOUT;
            v.retry = 1;
            bad = set_err(c, "%s: no complete answer within %.3g s", pn, j->cfg->timeout_s > 0 ? j->cfg->timeout_s : 60);
        } else if (rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING ||
                   rc == CURLE_HTTP2 || rc == CURLE_HTTP2_STREAM) {
            c->reason = AR_R_TRUNCATED;
            v.retry = 1;
            bad = set_err(c, "%s: answer cut off (%s)", pn, detail);
        } else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                   rc == CURLE_SEND_ERROR || rc == CURLE_SSL_CONNECT_ERROR) {
            c->reason = AR_R_HTTP;
            v.retry = 1;
            bad = set_err(c, "%s: connection failed (%s)", pn, detail);
        } else {
            c->reason = AR_R_HTTP;
            bad = set_err(c, "%s: transfer failed (%s)", pn, detail);
        }
        if (bad) return AR_ENOMEM;
    }
    if (c->nlog > 0 && c->nlog <= AR_LLM_MAX_ATTEMPTS && c->nlog == c->attempts) {
        ar_llm_attempt *a = &c->log[c->nlog - 1];
        a->http_status = (int32_t)http;
        a->reason = c->status == 0 ? AR_R_NONE : c->reason;
        a->curl_code = (int32_t)rc;
        a->retryable = v.retry;
        a->latency_ms = c->latency_ms;
    }
    if (c->status != 0 && v.retry && c->attempts < j->max_attempts) {
        double wait = v.retry_after_s >= 0 ? v.retry_after_s * 1000 : backoff_ms(p, j, c->attempts);
        double limit = j->cfg->max_retry_wait_s > 0 ? j->cfg->max_retry_wait_s : 120;
        if (wait > limit * 1000) {
            char *old = c->error;
            c->error = NULL;
            int bad = set_err(c, "%s (server asks to wait %.0f s, more than max_retry_wait_s %.0f)",
                              old ? old : pn, wait / 1000, limit);
            free(old);
            if (bad) return AR_ENOMEM;
        } else {
            j->state = ST_WAIT;
            j->wait_ms = wait;
            j->due_ms = now + wait;
            return AR_OK;
        }
    }
    j->state = ST_DONE;
    c->total_ms = now - j->first_ms;
    return AR_OK;
}

static volatile sig_atomic_t *g_interrupt; /* ar_llm_pool_interrupt */

void ar_llm_pool_interrupt(volatile sig_atomic_t *flag) { g_interrupt = flag; }

/* The stop flag is up: every call not finished fails with `interrupted`
 * (running transfers are dropped by job_cleanup). */
static ar_err interrupt_all(job *jobs, size_t n, double now) {
    for (size_t i = 0; i < n; i++) {
        job *j = &jobs[i];
        if (j->state == ST_DONE) continue;
        ar_llm_call *c = j->call;
        free(c->text);
        c->text = NULL;
        c->status = 1;
        c->reason = AR_R_INTERRUPTED;
        c->finish[0] = '\0';
        if (j->state == ST_RUN) c->latency_ms = now - j->start_ms;
        c->total_ms = j->first_ms > 0 ? now - j->first_ms : 0;
        if (set_err(c, "interrupted: the run was stopped")) return AR_ENOMEM;
    }
    return AR_OK;
}

ar_err ar_llm_pool_run(ar_llm_pool *p, const ar_llm_cfg *const *cfgs, const char *const *system,
                       const char *const *user, size_t n, ar_llm_call *out, ar_errbuf *eb) {
    if (n == 0) return AR_OK;
    if (out == NULL) return ar_errf(eb, AR_EINVAL, "llm pool: no output array");
    memset(out, 0, n * sizeof *out);
    if (p == NULL || cfgs == NULL || user == NULL) return ar_errf(eb, AR_EINVAL, "llm pool: NULL argument");
    for (size_t i = 0; i < n; i++)
        if (cfgs[i] == NULL || user[i] == NULL)
            return ar_errf(eb, AR_EINVAL, "llm pool: request %zu has no config or user prompt", i);
    job *jobs = calloc(n, sizeof *jobs);
    if (jobs == NULL) return ar_errf(eb, AR_ENOMEM, "llm pool: out of memory");
    p->runs++;
    ar_err e = AR_OK;
    /* Limits: the strictest configured value per endpoint, of this round
     * (own limits), or of every round of every pool so far (shared). */
    ar_llm_limits *L = p->lim;
    pthread_mutex_lock(&L->mu);
    if (!L->shared)
        for (size_t i = 0; i < L->nlim; i++) {
            L->lim[i].max_conc = 0;
            L->lim[i].rpm = 0;
        }
    for (size_t i = 0; i < n; i++) {
        job *j = &jobs[i];
        if (limiter_for(L, cfgs[i], &j->lim) != 0) {
            e = AR_ENOMEM;
            break;
        }
        limiter *l = &L->lim[j->lim];
        if (cfgs[i]->max_concurrent > 0 && (l->max_conc == 0 || cfgs[i]->max_concurrent < l->max_conc))
            l->max_conc = cfgs[i]->max_concurrent;
        if (cfgs[i]->rpm > 0 && isfinite(cfgs[i]->rpm) && (l->rpm == 0 || cfgs[i]->rpm < l->rpm))
            l->rpm = cfgs[i]->rpm;
    }
    pthread_mutex_unlock(&L->mu);
    for (size_t i = 0; i < n && e == AR_OK; i++) {
        job *j = &jobs[i];
        j->idx = i;
        j->cfg = cfgs[i];
        j->call = &out[i];
        e = job_prepare(j, system ? system[i] : NULL, user[i]);
    }
    double t0 = now_ms();
    for (size_t i = 0; i < n; i++) {
        jobs[i].due_ms = t0;
        if (jobs[i].state == ST_DONE) jobs[i].call->total_ms = 0;
    }
    while (e == AR_OK) {
        double now = now_ms(), wake = INFINITY;
        size_t pending = 0;
        if (g_interrupt != NULL && *g_interrupt) {
            e = interrupt_all(jobs, n, now);
            break;
        }
        for (size_t i = 0; i < n && e == AR_OK; i++) {
            job *j = &jobs[i];
            if (j->state == ST_DONE) continue;
            pending++;
            if (j->state != ST_WAIT) continue;
            if (j->due_ms > now) {
                wake = fmin(wake, j->due_ms);
                continue;
            }
            double w;
            if (limiter_take(p->lim, j->lim, now, &w)) {
                j->holding = 1;
                e = job_start(p, j, now);
            } else {
                wake = fmin(wake, w);
            }
        }
        if (e != AR_OK || pending == 0) break;
        int running = 0;
        if (curl_multi_perform(p->multi, &running) != CURLM_OK) {
            e = AR_EIO;
            break;
        }
        CURLMsg *m;
        int left, finished = 0;
        while (e == AR_OK && (m = curl_multi_info_read(p->multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE) continue;
            job *j = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
            if (j != NULL) e = job_done(p, j, m->data.result, now_ms());
            finished = 1;
        }
        if (e != AR_OK) break;
        size_t open = 0;
        for (size_t i = 0; i < n; i++) open += jobs[i].state != ST_DONE;
        if (open == 0) break;
        if (finished) continue; /* a freed slot or a Retry-After 0 may start something now */
        /* Sleep in curl until a socket is ready or the next retry is due;
         * recheck at least every 100 ms (cheap, and bounds any drift). */
        now = now_ms();
        double tmo = wake - now;
        int ms = !(tmo < 100) ? 100 : tmo <= 0 ? 0 : (int)ceil(tmo);
        if (curl_multi_poll(p->multi, NULL, 0, ms, NULL) != CURLM_OK) e = AR_EIO;
    }
    for (size_t i = 0; i < n; i++) {
        job *j = &jobs[i];
        ar_llm_call *c = &out[i];
        scrub(c->error, j->key); /* ASCII out: what one_line made valid UTF-8 stays so */
        scrub(c->text, j->key);
        if (e == AR_OK && c->status == 0) {
            free(c->error);
            c->error = NULL;
        }
        job_cleanup(p, j);
    }
    free(jobs);
    if (e != AR_OK)
        return ar_errf(eb, e, "llm pool: %s", e == AR_ENOMEM ? "out of memory" : "curl multi failed");
    return AR_OK;
}
