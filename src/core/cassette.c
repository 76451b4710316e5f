/* src/core/cassette.c - JSON Lines cassette of model calls (cassette.h).
 *
 * Entries are kept in memory in an array sorted by (episode, agent,
 * decision) and found by binary search; save writes them in that order so
 * the file is the same however the calls arrived. Single-threaded. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arena/cassette.h"
#include "arena/exec.h"
#include "arena/util.h"

typedef struct entry {
    uint32_t episode, decision;
    char *agent;
    int64_t t;
    char sha[65];
    ar_llm_call call;
} entry;

struct ar_cassette {
    ar_cassette_mode mode;
    char *path;
    size_t n, cap;
    entry *v;
    int dirty;
};

static int cmp_key(uint32_t ep, const char *agent, uint32_t dec, const entry *e) {
    if (ep != e->episode) return ep < e->episode ? -1 : 1;
    int c = strcmp(agent, e->agent);
    if (c) return c;
    if (dec != e->decision) return dec < e->decision ? -1 : 1;
    return 0;
}

/* Index of the entry or of where it would go; *found says which. */
static size_t locate(const ar_cassette *c, uint32_t ep, const char *agent, uint32_t dec, int *found) {
    size_t lo = 0, hi = c->n;
    *found = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = cmp_key(ep, agent, dec, &c->v[mid]);
        if (r == 0) {
            *found = 1;
            return mid;
        }
        if (r < 0) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

static char *dup_or_null(const char *s) {
    return s ? strdup(s) : NULL;
}

static void copy_call(ar_llm_call *dst, const ar_llm_call *src) {
    *dst = *src;
    dst->text = dup_or_null(src->text);
    dst->error = dup_or_null(src->error);
}

ar_err ar_cassette_put(ar_cassette *c, uint32_t episode, const char *agent, uint32_t decision, int64_t t,
                       const char *sha, const ar_llm_call *call) {
    int found;
    size_t i = locate(c, episode, agent, decision, &found);
    if (found) {
        ar_llm_call_cleanup(&c->v[i].call);
    } else {
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 64;
            entry *nv = realloc(c->v, cap * sizeof *nv);
            if (nv == NULL) return AR_ENOMEM;
            c->v = nv;
            c->cap = cap;
        }
        memmove(&c->v[i + 1], &c->v[i], (c->n - i) * sizeof *c->v);
        c->n++;
        memset(&c->v[i], 0, sizeof c->v[i]);
        c->v[i].episode = episode;
        c->v[i].decision = decision;
        c->v[i].agent = strdup(agent);
        if (c->v[i].agent == NULL) return AR_ENOMEM;
    }
    entry *e = &c->v[i];
    e->t = t;
    snprintf(e->sha, sizeof e->sha, "%s", sha ? sha : "");
    copy_call(&e->call, call);
    c->dirty = 1;
    return AR_OK;
}

int ar_cassette_find(const ar_cassette *c, uint32_t episode, const char *agent, uint32_t decision,
                     const char *sha, ar_llm_call *call, ar_errbuf *eb) {
    if (c == NULL || c->mode == AR_CASSETTE_RECORD || c->mode == AR_CASSETTE_OFF) return 0;
    int found;
    size_t i = locate(c, episode, agent, decision, &found);
    if (!found) return 0;
    const entry *e = &c->v[i];
    if (c->mode != AR_CASSETTE_RESCORE && strcmp(e->sha, sha)) {
        if (c->mode == AR_CASSETTE_AUTO) return 0; /* the prompt changed: ask again */
        ar_errf(eb, AR_ENOTFOUND,
                "%s: agent %s, episode %u, decision %u: the prompt differs from the recorded one "
                "(sha256 %.12s... vs %.12s...); use --rescore to replay answers under a changed setup",
                c->path, agent, episode, decision, sha, e->sha);
        return -1;
    }
    copy_call(call, &e->call);
    return 1;
}

/* ---- file format ---------------------------------------------------------- */

static json_t *entry_json(const entry *e) {
    const ar_llm_call *k = &e->call;
    json_t *log = json_array();
    for (int32_t i = 0; i < k->nlog && i < AR_LLM_MAX_ATTEMPTS; i++) {
        const ar_llm_attempt *a = &k->log[i];
        json_array_append_new(log, json_pack("{s:i, s:s, s:i, s:b, s:f, s:f}", "http_status", a->http_status,
                                             "reason", ar_reason_name(a->reason), "curl_code", a->curl_code,
                                             "retryable", a->retryable, "wait_ms", a->wait_ms, "latency_ms",
                                             a->latency_ms));
    }
    return json_pack("{s:i, s:s, s:i, s:I, s:s, s:i, s:s, s:i, s:i, s:f, s:f, s:I, s:I, s:I, s:s?, s:s?, s:s, s:o}",
                     "episode", (int)e->episode, "agent", e->agent, "decision", (int)e->decision, "t",
                     (json_int_t)e->t, "prompt_sha256", e->sha, "status", k->status, "reason",
                     ar_reason_name(k->reason), "http_status", k->http_status, "attempts", k->attempts,
                     "latency_ms", k->latency_ms, "total_ms", k->total_ms, "tokens_in", (json_int_t)k->tokens_in,
                     "tokens_out", (json_int_t)k->tokens_out, "tokens_reasoning", (json_int_t)k->tokens_reasoning,
                     "text", k->text, "error", k->error, "finish", k->finish, "attempt_log", log);
}

static int reason_from_name(const char *s) {
    for (int r = 0; r < AR_R_COUNT; r++)
        if (!strcmp(ar_reason_name(r), s)) return r;
    return -1;
}

static ar_err entry_from_json(ar_cassette *c, json_t *j, size_t line, ar_errbuf *eb) {
    json_t *log = NULL, *jtext = NULL, *jerror = NULL;
    const char *agent = NULL, *sha = NULL, *reason = NULL, *text = NULL, *error = NULL, *finish = NULL;
    int episode = 0, decision = 0;
    json_int_t t = 0, tin = 0, tout = 0, treas = 0;
    ar_llm_call k;
    memset(&k, 0, sizeof k);
    json_error_t je;
    if (json_unpack_ex(j, &je, JSON_STRICT,
                       "{s:i, s:s, s:i, s:I, s:s, s:i, s:s, s:i, s:i, s:F, s:F, s:I, s:I, s:I, s?:o, s?:o, s:s, s:o}",
                       "episode", &episode, "agent", &agent, "decision", &decision, "t", &t, "prompt_sha256", &sha,
                       "status", &k.status, "reason", &reason, "http_status", &k.http_status, "attempts",
                       &k.attempts, "latency_ms", &k.latency_ms, "total_ms", &k.total_ms, "tokens_in", &tin,
                       "tokens_out", &tout, "tokens_reasoning", &treas, "text", &jtext, "error", &jerror, "finish",
                       &finish, "attempt_log", &log) != 0)
        return ar_errf(eb, AR_EFORMAT, "%s:%zu: %s", c->path, line, je.text);
    /* text and error are strings or null */
    if ((jtext && !json_is_null(jtext) && !json_is_string(jtext)) ||
        (jerror && !json_is_null(jerror) && !json_is_string(jerror)))
        return ar_errf(eb, AR_EFORMAT, "%s:%zu: text and error must be strings or null", c->path, line);
    text = json_is_string(jtext) ? json_string_value(jtext) : NULL;
    error = json_is_string(jerror) ? json_string_value(jerror) : NULL;
    int r = reason_from_name(reason);
    if (r < 0 || episode < 0 || decision < 0 || !json_is_array(log))
        return ar_errf(eb, AR_EFORMAT, "%s:%zu: bad reason, episode, decision or attempt_log", c->path, line);
    k.reason = r;
    k.tokens_in = tin;
    k.tokens_out = tout;
    k.tokens_reasoning = treas;
    snprintf(k.finish, sizeof k.finish, "%s", finish);
    size_t i;
    json_t *a;
    json_array_foreach(log, i, a) {
        if (i >= AR_LLM_MAX_ATTEMPTS) break;
        ar_llm_attempt *at = &k.log[i];
        const char *ar = NULL;
        if (json_unpack(a, "{s:i, s:s, s:i, s:b, s:F, s:F}", "http_status", &at->http_status, "reason", &ar,
                        "curl_code", &at->curl_code, "retryable", &at->retryable, "wait_ms", &at->wait_ms,
                        "latency_ms", &at->latency_ms) != 0 ||
            (at->reason = reason_from_name(ar)) < 0)
            return ar_errf(eb, AR_EFORMAT, "%s:%zu: bad attempt_log entry %zu", c->path, line, i);
        k.nlog = (int32_t)i + 1;
    }
    k.text = (char *)text; /* borrowed: put copies */
    k.error = (char *)error;
    if (ar_cassette_put(c, (uint32_t)episode, agent, (uint32_t)decision, t, sha, &k) != AR_OK)
        return ar_errf(eb, AR_ENOMEM, "%s: out of memory", c->path);
    return AR_OK;
}

static ar_err load(ar_cassette *c, ar_errbuf *eb) {
    char *text;
    size_t len;
    ar_err e = ar_read_file(c->path, &text, &len, eb);
    if (e) return e;
    size_t line = 0;
    char *p = text, *end = text + len;
    while (p < end && e == AR_OK) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL) nl = end;
        line++;
        *nl = '\0';
        if (nl > p) {
            json_error_t je;
            json_t *j = json_loads(p, 0, &je);
            if (j == NULL) e = ar_errf(eb, AR_EFORMAT, "%s:%zu: invalid JSON: %s", c->path, line, je.text);
            else e = entry_from_json(c, j, line, eb);
            json_decref(j);
        }
        p = nl + 1;
    }
    free(text);
    c->dirty = 0;
    return e;
}

ar_cassette *ar_cassette_open(const char *path, ar_cassette_mode mode, ar_errbuf *eb) {
    ar_cassette *c = calloc(1, sizeof *c);
    if (c == NULL || (c->path = strdup(path)) == NULL) {
        free(c);
        ar_errf(eb, AR_ENOMEM, "out of memory");
        return NULL;
    }
    c->mode = mode;
    if (mode == AR_CASSETTE_RECORD) return c;
    FILE *f = fopen(path, "rb");
    if (f == NULL && mode == AR_CASSETTE_AUTO) return c;
    if (f) fclose(f);
    if (load(c, eb) != AR_OK) {
        ar_cassette_free(c);
        return NULL;
    }
    return c;
}

ar_cassette_mode ar_cassette_get_mode(const ar_cassette *c) {
    return c ? c->mode : AR_CASSETTE_OFF;
}

ar_err ar_cassette_save(ar_cassette *c, ar_errbuf *eb) {
    if (c == NULL || (c->mode != AR_CASSETTE_RECORD && c->mode != AR_CASSETTE_AUTO)) return AR_OK;
    char tmp[4200];
    ar_tmp_path(c->path, tmp, sizeof tmp);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) return ar_errf(eb, AR_EIO, "%s: cannot write", tmp);
    int bad = 0;
    for (size_t i = 0; i < c->n && !bad; i++) {
        json_t *j = entry_json(&c->v[i]);
        if (j == NULL || json_dumpf(j, f, JSON_COMPACT | JSON_REAL_PRECISION(17)) != 0 || fputc('\n', f) == EOF) bad = 1;
        json_decref(j);
    }
    if (fclose(f) != 0) bad = 1;
    if (bad || rename(tmp, c->path) != 0) {
        remove(tmp);
        return ar_errf(eb, AR_EIO, "%s: cannot write the cassette", c->path);
    }
    c->dirty = 0;
    return AR_OK;
}

void ar_cassette_free(ar_cassette *c) {
    if (c == NULL) return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].agent);
        ar_llm_call_cleanup(&c->v[i].call);
    }
    free(c->v);
    free(c->path);
    free(c);
}
