/* src/market/fetch.c - bars and funding history from exchange REST APIs.
 *
 * Klines are requested in windows of one page (limit x interval) walking
 * forward through each span the symbol lacks, so every request is bounded on
 * both sides: Bybit's newest-first pages and Hyperliquid's capped snapshots
 * need no special paging, a server that returns less than a window is simply
 * asked again from its last bar, and an empty window is a gap, never the end.
 * An empty window right after bars were received is asked once more before it
 * is accepted as a gap (exchanges do return the odd empty page).
 *
 * One curl easy handle per fetch keeps the connection alive. Every request
 * goes through request(): pacing (Hyperliquid weight budget), transient
 * failures retried with exponential backoff, 429 honouring Retry-After,
 * Bybit's retCode 10006, Binance's used-weight header and 418 ban. Errors
 * quote the exchange's message. Single-threaded. */
#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "arena/dl.h"
#include "arena/fetch.h"
#include "arena/util.h"

/* ---- names ---------------------------------------------------------------- */

static const char *const ex_names[] = {"binance", "bybit", "hyperliquid"};

int ar_fetch_exchange_parse(const char *name, ar_fetch_ex *ex) {
    for (int i = 0; i < 3; i++)
        if (name != NULL && !strcmp(name, ex_names[i])) {
            *ex = (ar_fetch_ex)i;
            return 0;
        }
    return -1;
}

const char *ar_fetch_exchange_name(ar_fetch_ex ex) { return (unsigned)ex < 3 ? ex_names[ex] : "?"; }

typedef struct iv_name {
    int64_t ns;
    const char *arena, *binance, *bybit, *hl;
} iv_name;

#define M_ AR_NS_PER_MIN
#define H_ AR_NS_PER_HOUR
#define D_ AR_NS_PER_DAY
static const iv_name iv_table[] = {
    {AR_NS_PER_S, "1s", "1s", NULL, NULL},
    {M_, "1m", "1m", "1", "1m"},
    {3 * M_, "3m", "3m", "3", "3m"},
    {5 * M_, "5m", "5m", "5", "5m"},
    {15 * M_, "15m", "15m", "15", "15m"},
    {30 * M_, "30m", "30m", "30", "30m"},
    {H_, "1h", "1h", "60", "1h"},
    {2 * H_, "2h", "2h", "120", "2h"},
    {4 * H_, "4h", "4h", "240", "4h"},
    {6 * H_, "6h", "6h", "360", NULL},
    {8 * H_, "8h", "8h", NULL, "8h"},
    {12 * H_, "12h", "12h", "720", "12h"},
    {D_, "1d", "1d", "D", "1d"},
    {3 * D_, "3d", "3d", NULL, "3d"},
    {7 * D_, "1w", "1w", "W", "1w"},
};
#define N_IV (sizeof iv_table / sizeof iv_table[0])

static const char *iv_field(const iv_name *v, ar_fetch_ex ex) {
    return ex == AR_FETCH_BINANCE ? v->binance : ex == AR_FETCH_BYBIT ? v->bybit : v->hl;
}

const char *ar_fetch_interval_name(ar_fetch_ex ex, int64_t interval) {
    for (size_t i = 0; i < N_IV; i++)
        if (iv_table[i].ns == interval) return iv_field(&iv_table[i], ex);
    return NULL;
}

const char *ar_fetch_intervals(ar_fetch_ex ex) {
    static char buf[3][160];
    char *b = buf[(unsigned)ex % 3];
    b[0] = '\0';
    for (size_t i = 0; i < N_IV; i++)
        if (iv_field(&iv_table[i], ex) != NULL) {
            if (b[0]) strcat(b, ",");
            strcat(b, iv_table[i].arena);
        }
    return b;
}

ar_err ar_fetch_arena_name(ar_fetch_ex ex, const char *exsym, char out[AR_SYM_MAX], ar_errbuf *eb) {
    static const char *const quotes[] = {"USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USD", "PERP", NULL};
    size_t n = strlen(exsym);
    if (ex != AR_FETCH_HYPERLIQUID)
        for (int i = 0; quotes[i] != NULL; i++) {
            size_t q = strlen(quotes[i]);
            if (n > q && !strcmp(exsym + n - q, quotes[i])) {
                n -= q;
                break;
            }
        }
    if (n == 0 || n >= AR_SYM_MAX || memchr(exsym, '/', n) != NULL)
        return ar_errf(eb, AR_EINVAL, "%s is not usable as an arena symbol name; give --as NAME", exsym);
    memcpy(out, exsym, n);
    out[n] = '\0';
    return AR_OK;
}

/* ---- HTTP ----------------------------------------------------------------- */

typedef struct fetcher {
    const ar_fetch_req *r;
    CURL *curl;
    char base[512];
    char *body;
    size_t len, cap;
    double retry_after; /* seconds, < 0 when absent */
    long used_weight;   /* Binance X-MBX-USED-WEIGHT-1M, -1 absent */
    long bapi_left;     /* Bybit X-Bapi-Limit-Status, -1 absent */
    int64_t bapi_reset_ms;
    double hl_tokens;   /* Hyperliquid weight budget left */
    double hl_t;        /* monotonic seconds of the last refill */
    ar_fetch_stats st;
    size_t bars_got;    /* for progress */
    int64_t done_ns, total_ns;
} fetcher;

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int stopped(const fetcher *f) { return f->r->stop != NULL && *f->r->stop; }

static void notice(fetcher *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void notice(fetcher *f, const char *fmt, ...) {
    if (f->r->notice == NULL) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    f->r->notice(f->r->ud, line);
}

/* Sleep s seconds in slices, waking early on stop. 0 when it slept through. */
static int nap(fetcher *f, double s) {
    double end = mono_s() + s;
    while (!stopped(f)) {
        double left = end - mono_s();
        if (left <= 0) return 0;
        if (left > 0.1) left = 0.1;
        struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
        nanosleep(&ts, NULL);
    }
    return -1;
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud) {
    fetcher *f = ud;
    size_t k = sz * n;
    if (f->len + k + 1 > f->cap) {
        size_t c = f->cap ? f->cap : 65536;
        while (c < f->len + k + 1) c *= 2;
        char *b = realloc(f->body, c);
        if (b == NULL) return 0;
        f->body = b;
        f->cap = c;
    }
    memcpy(f->body + f->len, p, k);
    f->len += k;
    f->body[f->len] = '\0';
    return k;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud) {
    fetcher *f = ud;
    size_t k = sz * n;
    char h[256];
    size_t m = k < sizeof h - 1 ? k : sizeof h - 1;
    memcpy(h, p, m);
    h[m] = '\0';
    char *colon = strchr(h, ':');
    if (colon == NULL) return k;
    *colon = '\0';
    const char *v = colon + 1;
    while (*v == ' ') v++;
    if (!strcasecmp(h, "retry-after")) f->retry_after = strtod(v, NULL);
    else if (!strcasecmp(h, "x-mbx-used-weight-1m")) f->used_weight = strtol(v, NULL, 10);
    else if (!strcasecmp(h, "x-bapi-limit-status")) f->bapi_left = strtol(v, NULL, 10);
    else if (!strcasecmp(h, "x-bapi-limit-reset-timestamp")) f->bapi_reset_ms = strtoll(v, NULL, 10);
    return k;
}

static int on_xfer(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
    (void)a, (void)b, (void)c, (void)d;
    return stopped(ud) ? 1 : 0;
}

/* The exchange's message in an error body, as one line into msg. */
static void exchange_msg(const fetcher *f, long status, char *msg, size_t n) {
    json_t *j = json_loads(f->body ? f->body : "", 0, NULL);
    const char *ex = ar_fetch_exchange_name(f->r->ex);
    json_t *code = j ? json_object_get(j, "code") : NULL, *m = j ? json_object_get(j, "msg") : NULL;
    json_t *rc = j ? json_object_get(j, "retCode") : NULL, *rm = j ? json_object_get(j, "retMsg") : NULL;
    if (json_is_integer(code) && json_is_string(m))
        snprintf(msg, n, "%s: %lld %s", ex, (long long)json_integer_value(code), json_string_value(m));
    else if (json_is_integer(rc) && json_is_string(rm))
        snprintf(msg, n, "%s: %lld %s", ex, (long long)json_integer_value(rc), json_string_value(rm));
    else {
        /* plain text or foreign JSON: its first line, trimmed */
        char line[200] = "";
        if (f->body) {
            size_t k = strcspn(f->body, "\r\n");
            if (k >= sizeof line) k = sizeof line - 1;
            memcpy(line, f->body, k);
            line[k] = '\0';
        }
        snprintf(msg, n, "%s: HTTP %ld%s%s", ex, status, line[0] ? " " : "", line);
    }
    json_decref(j);
}

/* Pace Hyperliquid: 1200 weight per minute per IP, refilled continuously. */
static void hl_pace(fetcher *f, double cost) {
    double now = mono_s();
    f->hl_tokens += (now - f->hl_t) * 20.0;
    if (f->hl_tokens > 1200) f->hl_tokens = 1200;
    f->hl_t = now;
    if (f->hl_tokens < cost) {
        double wait = (cost - f->hl_tokens) / 20.0;
        nap(f, wait);
        f->hl_tokens = cost;
        f->hl_t = mono_s();
    }
    f->hl_tokens -= cost;
}

/* One GET (post == NULL) or POST of JSON, retried as needed. On AR_OK *out is
 * the parsed answer (caller decrefs). Exchange errors come back as AR_EIO or
 * AR_EINVAL (4xx: the request itself is wrong) with the exchange's message. */
static ar_err request(fetcher *f, const char *path_query, const char *post, json_t **out, ar_errbuf *eb) {
    const ar_fetch_req *r = f->r;
    const char *ex = ar_fetch_exchange_name(r->ex);
    char url[1024];
    snprintf(url, sizeof url, "%s%s", f->base, path_query);
    *out = NULL;
    int max_att = r->max_attempts > 0 ? r->max_attempts : 6;
    double backoff = (r->backoff_ms ? r->backoff_ms : 500) / 1000.0;
    char last[400] = "";
    for (int att = 0;; att++) {
        if (stopped(f)) return ar_errf(eb, AR_ESTATE, "interrupted");
        if (att > 0) f->st.retries++;
        if (r->ex == AR_FETCH_HYPERLIQUID) hl_pace(f, 20);
        f->len = 0;
        if (f->body) f->body[0] = '\0';
        f->retry_after = -1;
        f->used_weight = -1;
        f->bapi_left = -1;
        f->bapi_reset_ms = 0;
        curl_easy_setopt(f->curl, CURLOPT_URL, url);
        struct curl_slist *hdr = NULL;
        if (post) {
            hdr = curl_slist_append(NULL, "Content-Type: application/json");
            curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS, post);
        } else {
            curl_easy_setopt(f->curl, CURLOPT_HTTPGET, 1L);
        }
        curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, hdr);
        f->st.requests++;
        CURLcode cc = curl_easy_perform(f->curl);
        curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, NULL);
        curl_slist_free_all(hdr);
        long status = 0;
        curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &status);
        double wait = backoff * (double)(1u << (att < 10 ? att : 10));
        if (wait > 30) wait = 30;
        if (cc == CURLE_ABORTED_BY_CALLBACK || stopped(f)) return ar_errf(eb, AR_ESTATE, "interrupted");
        if (cc != CURLE_OK) {
            if (cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL)
                return ar_errf(eb, AR_EINVAL, "%s: %s: %s", ex, url, curl_easy_strerror(cc));
            snprintf(last, sizeof last, "%s: %s (%.200s)", ex, curl_easy_strerror(cc), f->base);
        } else if (status == 200) {
            json_error_t je;
            json_t *j = json_loadb(f->body ? f->body : "", f->len, 0, &je);
            if (j == NULL) {
                /* a cut or garbled answer is transient; retry it */
                snprintf(last, sizeof last, "%s: malformed JSON answer (%s)", ex, je.text);
            } else {
                json_t *rc = json_object_get(j, "retCode");
                if (r->ex == AR_FETCH_BYBIT && json_is_integer(rc) && json_integer_value(rc) == 10006) {
                    exchange_msg(f, status, last, sizeof last);
                    json_decref(j);
                    if (f->bapi_reset_ms > 0) {
                        double w = ((double)f->bapi_reset_ms - (double)time(NULL) * 1000.0) / 1000.0;
                        if (w > wait && w < 60) wait = w;
                    }
                    notice(f, "%s; pausing %.1f s", last, wait);
                    if (att + 1 >= max_att) return ar_errf(eb, AR_EIO, "%s (gave up after %d attempts)", last, att + 1);
                    if (nap(f, wait)) return ar_errf(eb, AR_ESTATE, "interrupted");
                    continue;
                }
                if (r->ex == AR_FETCH_BYBIT && json_is_integer(rc) && json_integer_value(rc) != 0) {
                    exchange_msg(f, status, last, sizeof last);
                    json_decref(j);
                    return ar_errf(eb, AR_EINVAL, "%s", last);
                }
                /* stay under the published limits before the next request */
                long wl = r->linear ? 2400 : 6000;
                if (r->ex == AR_FETCH_BINANCE && f->used_weight > wl * 8 / 10) {
                    double w = 61 - (double)(time(NULL) % 60);
                    notice(f, "binance: used weight %ld of %ld this minute; pausing %.0f s", f->used_weight, wl, w);
                    nap(f, w);
                }
                if (r->ex == AR_FETCH_BYBIT && f->bapi_left >= 0 && f->bapi_left <= 1 && f->bapi_reset_ms > 0) {
                    double w = ((double)f->bapi_reset_ms - (double)time(NULL) * 1000.0) / 1000.0;
                    if (w > 0 && w < 60) nap(f, w);
                }
                *out = j;
                return AR_OK;
            }
        } else {
            exchange_msg(f, status, last, sizeof last);
            if (status == 418)
                return ar_errf(eb, AR_EIO, "%s (IP banned%s%.0f s)", last, f->retry_after >= 0 ? " for " : "",
                               f->retry_after >= 0 ? f->retry_after : 0.0);
            if (status == 403 && r->ex == AR_FETCH_BYBIT)
                return ar_errf(eb, AR_EIO, "%s (IP blocked for a while)", last);
            if (status == 429) {
                if (f->retry_after >= 0) wait = f->retry_after;
                if (wait > 300)
                    return ar_errf(eb, AR_EIO, "%s (rate limited; retry after %.0f s)", last, wait);
                notice(f, "%s: rate limited; waiting %.1f s", ex, wait);
            } else if (status != 408 && status != 409 && status < 500) {
                return ar_errf(eb, AR_EINVAL, "%s", last);
            } else if (f->retry_after >= 0 && f->retry_after < 300) {
                wait = f->retry_after;
            }
        }
        if (att + 1 >= max_att) return ar_errf(eb, AR_EIO, "%s (gave up after %d attempts)", last, att + 1);
        if (nap(f, wait)) return ar_errf(eb, AR_ESTATE, "interrupted");
    }
}

/* ---- parsing -------------------------------------------------------------- */

static int num(json_t *v, double *out) {
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        *out = strtod(s, &end);
        return *s != '\0' && *end == '\0' && isfinite(*out) ? 0 : -1;
    }
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return isfinite(*out) ? 0 : -1;
    }
    return -1;
}

static int ms_of(json_t *v, int64_t *ns) {
    double d;
    if (json_is_integer(v)) d = (double)json_integer_value(v);
    else if (num(v, &d)) return -1;
    if (d < 0 || d > 9e15) return -1;
    *ns = (int64_t)d * AR_NS_PER_MS;
    return 0;
}

/* Append one page of klines to out (in time order) keeping rows in [lo, hi).
 * The rows' layout depends on the exchange. *n counts rows kept. */
static ar_err parse_klines(fetcher *f, json_t *j, int64_t lo, int64_t hi, ar_bars *out, size_t *n, int64_t *maxt,
                           ar_errbuf *eb) {
    const char *ex = ar_fetch_exchange_name(f->r->ex);
    json_t *list = j;
    if (f->r->ex == AR_FETCH_BYBIT) list = json_object_get(json_object_get(j, "result"), "list");
    if (!json_is_array(list)) return ar_errf(eb, AR_EFORMAT, "%s: unexpected kline answer (no list)", ex);
    size_t k = json_array_size(list);
    *n = 0;
    for (size_t q = 0; q < k; q++) {
        /* Bybit lists newest first: read it backwards */
        json_t *row = json_array_get(list, f->r->ex == AR_FETCH_BYBIT ? k - 1 - q : q);
        int64_t t;
        double o, h, l, c, v;
        int bad;
        if (f->r->ex == AR_FETCH_HYPERLIQUID)
            bad = !json_is_object(row) || ms_of(json_object_get(row, "t"), &t) || num(json_object_get(row, "o"), &o) ||
                  num(json_object_get(row, "h"), &h) || num(json_object_get(row, "l"), &l) ||
                  num(json_object_get(row, "c"), &c) || num(json_object_get(row, "v"), &v);
        else
            bad = !json_is_array(row) || json_array_size(row) < 6 || ms_of(json_array_get(row, 0), &t) ||
                  num(json_array_get(row, 1), &o) || num(json_array_get(row, 2), &h) ||
                  num(json_array_get(row, 3), &l) || num(json_array_get(row, 4), &c) ||
                  num(json_array_get(row, 5), &v);
        if (bad) return ar_errf(eb, AR_EFORMAT, "%s: malformed kline row %zu of a page", ex, q);
        if (t < lo || t >= hi || t + f->r->interval > f->r->now) continue;
        if (out->n > 0 && t <= out->row[out->n - 1].t) continue; /* repeated or out of order */
        if (out->n > 0 && (t - out->row[out->n - 1].t) % f->r->interval != 0) {
            /* bars off the interval asked for would be stored under its name */
            char a[48], b[48];
            ar_time_format(out->row[out->n - 1].t, a, sizeof a);
            ar_time_format(t, b, sizeof b);
            return ar_errf(eb, AR_EFORMAT, "%s: bars at %s and %s are not a whole number of %s apart (expected "
                                           "bars of that interval)",
                           ex, a, b, ar_fetch_interval_name(f->r->ex, f->r->interval));
        }
        if (ar_bars_push(out, t, o, h, l, c, v)) return ar_errf(eb, AR_ENOMEM, "out of memory");
        (*n)++;
        if (t > *maxt) *maxt = t;
    }
    return AR_OK;
}

/* ---- merging and checkpoints ---------------------------------------------- */

/* a ∪ b (both sorted by t) into out; a wins on equal times. */
static ar_err merge_bars(const ar_bars *a, const ar_bars *b, ar_bars *out) {
    memset(out, 0, sizeof *out);
    if (ar_bars_reserve(out, a->n + b->n + 1)) return AR_ENOMEM;
    size_t i = 0, j = 0;
    while (i < a->n || j < b->n) {
        const ar_bars *s;
        size_t *k;
        if (j >= b->n || (i < a->n && a->row[i].t <= b->row[j].t)) {
            if (j < b->n && i < a->n && a->row[i].t == b->row[j].t) j++;
            s = a, k = &i;
        } else {
            s = b, k = &j;
        }
        size_t x = (*k)++;
        ar_bars_push(out, s->row[x].t, s->row[x].open, s->row[x].high, s->row[x].low, s->row[x].close, s->row[x].volume);
    }
    return AR_OK;
}

static int cmp_fund(const void *x, const void *y) {
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

typedef struct frow {
    int64_t t;
    double rate;
} frow;

static ar_err merge_funding(const ar_funding *a, const frow *b, size_t nb, ar_funding *out) {
    memset(out, 0, sizeof *out);
    size_t i = 0, j = 0;
    while (i < a->n || j < nb) {
        int64_t t;
        double rate;
        if (j >= nb || (i < a->n && a->t[i] <= b[j].t)) {
            t = a->t[i], rate = a->rate[i];
            while (j < nb && b[j].t == t) j++;
            i++;
        } else {
            t = b[j].t, rate = b[j].rate;
            j++;
        }
        if (out->n > 0 && out->t[out->n - 1] == t) continue;
        if (ar_funding_push(out, t, rate)) {
            ar_funding_free(out);
            return AR_ENOMEM;
        }
    }
    return AR_OK;
}

/* The symbol as it would be with what has been fetched so far. */
static ar_err build(const ar_symbol *sym, const ar_bars *nb, const frow *nf, size_t nnf, int64_t interval,
                    ar_symbol *out) {
    memset(out, 0, sizeof *out);
    memcpy(out->name, sym->name, sizeof out->name);
    out->interval = interval;
    if (merge_bars(&sym->bars, nb, &out->bars) || merge_funding(&sym->funding, nf, nnf, &out->funding)) {
        ar_bars_free(&out->bars);
        ar_funding_free(&out->funding);
        return AR_ENOMEM;
    }
    out->trades = sym->trades; /* borrowed: only for checkpoint writes, never freed here */
    return AR_OK;
}

static void release_built(ar_symbol *s) {
    ar_bars_free(&s->bars);
    ar_funding_free(&s->funding);
}

static ar_err checkpoint(fetcher *f, const ar_symbol *sym, const ar_bars *nb, const frow *nf, size_t nnf,
                         ar_errbuf *eb) {
    if (f->r->checkpoint == NULL || (nb->n == 0 && nnf == 0)) return AR_OK;
    ar_symbol tmp;
    if (build(sym, nb, nf, nnf, f->r->interval, &tmp)) return ar_errf(eb, AR_ENOMEM, "out of memory");
    ar_err e = f->r->checkpoint(f->r->ud, &tmp, eb);
    release_built(&tmp);
    return e;
}

ar_err ar_fetch_merge(ar_symbol *dst, const ar_symbol *src, ar_errbuf *eb) {
    if (dst->bars.n > 0 && src->bars.n > 0 && dst->interval != src->interval)
        return ar_errf(eb, AR_EINVAL, "%s: bars of different intervals", dst->name);
    frow *fr = malloc((src->funding.n + 1) * sizeof *fr);
    if (fr == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
    for (size_t i = 0; i < src->funding.n; i++) fr[i] = (frow){src->funding.t[i], src->funding.rate[i]};
    ar_symbol m;
    ar_err e = build(dst, &src->bars, fr, src->funding.n, dst->bars.n > 0 ? dst->interval : src->interval, &m);
    free(fr);
    if (e) return ar_errf(eb, AR_ENOMEM, "out of memory");
    ar_bars_free(&dst->bars);
    ar_funding_free(&dst->funding);
    dst->bars = m.bars;
    dst->funding = m.funding;
    dst->interval = m.interval;
    return AR_OK;
}

/* ---- spans ---------------------------------------------------------------- */

typedef struct span {
    int64_t a, b;
} span;

/* Parts of [from, to) not covered by bars: before the first, holes (steps
 * larger than the interval; a real exchange gap is asked for again, which
 * costs one request), after the last. */
static size_t missing_spans(const ar_bars *b, int64_t from, int64_t to, int64_t iv, span **out) {
    size_t lo = ar_bars_lower_bound(b, from), hi = ar_bars_lower_bound(b, to);
    span *s = malloc((hi - lo + 2) * sizeof *s);
    size_t n = 0;
    if (s == NULL) return (size_t)-1;
    int64_t cur = from;
    for (size_t i = lo; i < hi; i++) {
        if (b->row[i].t > cur) s[n++] = (span){cur, b->row[i].t};
        cur = b->row[i].t + iv;
    }
    if (cur < to) s[n++] = (span){cur, to};
    *out = s;
    return n;
}

static void progress(fetcher *f) {
    if (f->r->progress) f->r->progress(f->r->ud, f->done_ns, f->total_ns, f->bars_got);
}

static ar_err fetch_klines(fetcher *f, const ar_symbol *sym, span sp, ar_bars *nb, const frow *nf, size_t nnf,
                           size_t *pages, ar_errbuf *eb) {
    const ar_fetch_req *r = f->r;
    const char *ivn = ar_fetch_interval_name(r->ex, r->interval);
    int64_t limit = r->ex == AR_FETCH_HYPERLIQUID ? 5000 : 1000;
    int64_t cur = sp.a;
    int got_any = 0, retried_empty = 0;
    char *esc = curl_easy_escape(f->curl, r->symbol, 0);
    char pq[768], post[512];
    ar_err e = AR_OK;
    while (cur < sp.b && e == AR_OK) {
        int64_t wend = sp.b - cur > limit * r->interval ? cur + limit * r->interval : sp.b;
        long long s_ms = (long long)(cur / AR_NS_PER_MS), e_ms = (long long)((wend - 1) / AR_NS_PER_MS);
        const char *body = NULL;
        if (r->ex == AR_FETCH_BINANCE)
            snprintf(pq, sizeof pq, "%s?symbol=%s&interval=%s&startTime=%lld&endTime=%lld&limit=%lld",
                     r->linear ? "/fapi/v1/klines" : "/api/v3/klines", esc, ivn, s_ms, e_ms, (long long)limit);
        else if (r->ex == AR_FETCH_BYBIT)
            snprintf(pq, sizeof pq, "/v5/market/kline?category=%s&symbol=%s&interval=%s&start=%lld&end=%lld&limit=%lld",
                     r->linear ? "linear" : "spot", esc, ivn, s_ms, e_ms, (long long)limit);
        else {
            json_t *q = json_pack("{s:s,s:{s:s,s:s,s:I,s:I}}", "type", "candleSnapshot", "req", "coin", r->symbol,
                                  "interval", ivn, "startTime", (json_int_t)s_ms, "endTime", (json_int_t)e_ms);
            char *d = q ? json_dumps(q, JSON_COMPACT) : NULL;
            json_decref(q);
            if (d == NULL) {
                e = ar_errf(eb, AR_ENOMEM, "out of memory");
                break;
            }
            snprintf(post, sizeof post, "%s", d);
            free(d);
            snprintf(pq, sizeof pq, "/info");
            body = post;
        }
        json_t *j = NULL;
        int64_t prev = cur;
        if ((e = request(f, pq, body, &j, eb)) != AR_OK) break;
        size_t n = 0;
        int64_t maxt = INT64_MIN;
        e = parse_klines(f, j, cur, sp.b, nb, &n, &maxt, eb);
        json_decref(j);
        if (e != AR_OK) break;
        if (r->ex == AR_FETCH_HYPERLIQUID) hl_pace(f, (double)n / 60.0);
        if (n == 0 && got_any && !retried_empty) {
            retried_empty = 1; /* one more look before calling it a gap */
            f->st.retries++;
            if (nap(f, (r->backoff_ms ? r->backoff_ms : 500) / 1000.0)) e = ar_errf(eb, AR_ESTATE, "interrupted");
            continue;
        }
        retried_empty = 0;
        if (n > 0) {
            got_any = 1;
            f->bars_got += n;
            cur = maxt + r->interval;
        } else {
            cur = wend;
        }
        if (cur > sp.b) cur = sp.b;
        f->done_ns += cur - prev;
        progress(f);
        if (++*pages % 20 == 0) e = checkpoint(f, sym, nb, nf, nnf, eb);
    }
    curl_free(esc);
    return e;
}

/* Funding rows in [a, b) appended to *rows (any order; sorted later). */
static ar_err fetch_funding(fetcher *f, int64_t a, int64_t b, frow **rows, size_t *nrows, size_t *cap,
                            ar_errbuf *eb) {
    const ar_fetch_req *r = f->r;
    const char *ex = ar_fetch_exchange_name(r->ex);
    char *esc = curl_easy_escape(f->curl, r->symbol, 0);
    char pq[768], post[512];
    long long lo = (long long)(a / AR_NS_PER_MS), hi = (long long)((b - 1) / AR_NS_PER_MS);
    ar_err e = AR_OK;
    for (int guard = 0; guard < 100000 && lo <= hi; guard++) {
        const char *body = NULL;
        if (r->ex == AR_FETCH_BINANCE)
            snprintf(pq, sizeof pq, "/fapi/v1/fundingRate?symbol=%s&startTime=%lld&endTime=%lld&limit=1000", esc, lo, hi);
        else if (r->ex == AR_FETCH_BYBIT)
            snprintf(pq, sizeof pq,
                     "/v5/market/funding/history?category=linear&symbol=%s&startTime=%lld&endTime=%lld&limit=200", esc,
                     lo, hi);
        else {
            json_t *q = json_pack("{s:s,s:s,s:I,s:I}", "type", "fundingHistory", "coin", r->symbol, "startTime",
                                  (json_int_t)lo, "endTime", (json_int_t)hi);
            char *d = q ? json_dumps(q, JSON_COMPACT) : NULL;
            json_decref(q);
            if (d == NULL) {
                e = ar_errf(eb, AR_ENOMEM, "out of memory");
                break;
            }
            snprintf(post, sizeof post, "%s", d);
            free(d);
            snprintf(pq, sizeof pq, "/info");
            body = post;
        }
        json_t *j = NULL;
        if ((e = request(f, pq, body, &j, eb)) != AR_OK) break;
        json_t *list = r->ex == AR_FETCH_BYBIT ? json_object_get(json_object_get(j, "result"), "list") : j;
        if (!json_is_array(list)) {
            json_decref(j);
            e = ar_errf(eb, AR_EFORMAT, "%s: unexpected funding answer (no list)", ex);
            break;
        }
        size_t k = json_array_size(list);
        if (r->ex == AR_FETCH_HYPERLIQUID) hl_pace(f, (double)k / 20.0);
        int64_t mn = INT64_MAX, mx = INT64_MIN;
        for (size_t q = 0; q < k && e == AR_OK; q++) {
            json_t *row = json_array_get(list, q);
            const char *tk = r->ex == AR_FETCH_BINANCE ? "fundingTime" : r->ex == AR_FETCH_BYBIT ? "fundingRateTimestamp" : "time";
            int64_t t;
            double rate;
            if (ms_of(json_object_get(row, tk), &t) || num(json_object_get(row, "fundingRate"), &rate)) {
                e = ar_errf(eb, AR_EFORMAT, "%s: malformed funding row %zu of a page", ex, q);
                break;
            }
            if (t < mn) mn = t;
            if (t > mx) mx = t;
            if (t < a || t >= b) continue;
            if (*nrows == *cap) {
                size_t c = *cap ? *cap * 2 : 1024;
                frow *x = realloc(*rows, c * sizeof *x);
                if (x == NULL) {
                    e = ar_errf(eb, AR_ENOMEM, "out of memory");
                    break;
                }
                *rows = x, *cap = c;
            }
            (*rows)[(*nrows)++] = (frow){t, rate};
        }
        json_decref(j);
        if (e != AR_OK || k == 0) break;
        long long plo = lo, phi = hi;
        if (r->ex == AR_FETCH_BYBIT) hi = mn / AR_NS_PER_MS - 1; /* newest first: page backwards */
        else lo = mx / AR_NS_PER_MS + 1;
        if (lo < plo || hi > phi || (lo == plo && hi == phi)) break; /* no progress: stop, don't loop */
    }
    curl_free(esc);
    return e;
}

/* Steps larger than the interval among bars in [from, to): reported. */
static void report_gaps(fetcher *f, const ar_bars *b, int64_t from, int64_t to) {
    size_t lo = ar_bars_lower_bound(b, from), hi = ar_bars_lower_bound(b, to);
    int64_t iv = f->r->interval;
    char t0[40], t1[40];
    for (size_t i = lo + 1; i < hi; i++) {
        int64_t step = b->row[i].t - b->row[i - 1].t;
        if (step <= iv) continue;
        f->st.gaps++;
        f->st.gap_bars += (size_t)(step / iv - 1);
        if (f->st.gaps <= 5) {
            ar_time_format(b->row[i - 1].t + iv, t0, sizeof t0);
            ar_time_format(b->row[i].t, t1, sizeof t1);
            notice(f, "%s: gap %s .. %s (%lld bars missing at the exchange; not filled)", f->r->symbol, t0, t1,
                   (long long)(step / iv - 1));
        }
    }
    if (f->st.gaps > 5) notice(f, "%s: %zu gaps in all, %zu bars missing", f->r->symbol, f->st.gaps, f->st.gap_bars);
    if (lo < hi && b->row[lo].t - from >= iv) {
        ar_time_format(b->row[lo].t, t0, sizeof t0);
        notice(f, "%s: first bar at %s (the exchange has nothing earlier in the range)", f->r->symbol, t0);
    }
}

/* ---- driver --------------------------------------------------------------- */

ar_err ar_fetch_symbol(const ar_fetch_req *r, ar_symbol *sym, ar_fetch_stats *st, ar_errbuf *eb) {
    if (st) memset(st, 0, sizeof *st);
    const char *ex = ar_fetch_exchange_name(r->ex);
    if (ar_fetch_interval_name(r->ex, r->interval) == NULL)
        return ar_errf(eb, AR_EINVAL, "%s has no interval of that length (it has %s)", ex, ar_fetch_intervals(r->ex));
    if (r->to <= r->from) return ar_errf(eb, AR_EINVAL, "empty time range");
    if (sym->interval != 0 && sym->interval != r->interval && sym->bars.n > 0) {
        char a[32], b[32];
        ar_duration_format(sym->interval, a, sizeof a);
        ar_duration_format(r->interval, b, sizeof b);
        return ar_errf(eb, AR_EINVAL, "%s already has %s bars, not %s", sym->name, a, b);
    }
    if (ar_curl_load(eb) != AR_OK) return AR_EIO;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return ar_errf(eb, AR_EIO, "curl_global_init failed");
    fetcher f;
    memset(&f, 0, sizeof f);
    f.r = r;
    f.hl_tokens = 1200;
    f.hl_t = mono_s();
    const char *def = r->ex == AR_FETCH_BINANCE ? (r->linear ? "https://fapi.binance.com" : "https://api.binance.com")
                      : r->ex == AR_FETCH_BYBIT ? "https://api.bybit.com"
                                             : "https://api.hyperliquid.xyz";
    snprintf(f.base, sizeof f.base, "%s", r->base_url ? r->base_url : def);
    size_t bl = strlen(f.base);
    while (bl > 0 && f.base[bl - 1] == '/') f.base[--bl] = '\0';
    ar_bars nb;
    memset(&nb, 0, sizeof nb);
    frow *nf = NULL;
    size_t nnf = 0, fcap = 0, pages = 0;
    span *sp = NULL;
    ar_err e = AR_OK;
    f.curl = curl_easy_init();
    if (f.curl == NULL) {
        e = ar_errf(eb, AR_ENOMEM, "curl_easy_init failed");
        goto done;
    }
    curl_easy_setopt(f.curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(f.curl, CURLOPT_WRITEDATA, &f);
    curl_easy_setopt(f.curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(f.curl, CURLOPT_HEADERDATA, &f);
    curl_easy_setopt(f.curl, CURLOPT_XFERINFOFUNCTION, on_xfer);
    curl_easy_setopt(f.curl, CURLOPT_XFERINFODATA, &f);
    curl_easy_setopt(f.curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(f.curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(f.curl, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(f.curl, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(f.curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(f.curl, CURLOPT_USERAGENT, "arena-data-fetch/0.1");
    curl_easy_setopt(f.curl, CURLOPT_PROTOCOLS_STR, "http,https");

    size_t nsp = missing_spans(&sym->bars, r->from, r->to, r->interval, &sp);
    if (nsp == (size_t)-1) {
        e = ar_errf(eb, AR_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nsp; i++) f.total_ns += sp[i].b - sp[i].a;
    progress(&f);
    for (size_t i = 0; i < nsp && e == AR_OK; i++) e = fetch_klines(&f, sym, sp[i], &nb, nf, nnf, &pages, eb);
    if (e == AR_OK && r->linear) {
        /* funding: only before the first and after the last instant held */
        const ar_funding *fu = &sym->funding;
        if (fu->n == 0) e = fetch_funding(&f, r->from, r->to, &nf, &nnf, &fcap, eb);
        else {
            if (fu->t[0] > r->from) e = fetch_funding(&f, r->from, fu->t[0] < r->to ? fu->t[0] : r->to, &nf, &nnf, &fcap, eb);
            if (e == AR_OK && fu->t[fu->n - 1] + 1 < r->to)
                e = fetch_funding(&f, fu->t[fu->n - 1] + 1 > r->from ? fu->t[fu->n - 1] + 1 : r->from, r->to, &nf, &nnf,
                                  &fcap, eb);
        }
        if (nnf > 1) qsort(nf, nnf, sizeof *nf, cmp_fund);
    }
    if (e != AR_OK) {
        ar_errbuf eb2;
        if (checkpoint(&f, sym, &nb, nf, nnf, &eb2) != AR_OK)
            notice(&f, "could not save what was fetched: %s", eb2.msg);
        goto done;
    }
    f.done_ns = f.total_ns;
    progress(&f);
    ar_symbol merged;
    if (build(sym, &nb, nf, nnf, r->interval, &merged)) {
        e = ar_errf(eb, AR_ENOMEM, "out of memory");
        goto done;
    }
    if (ar_bars_lower_bound(&merged.bars, r->from) == ar_bars_lower_bound(&merged.bars, r->to)) {
        char a[40], b[40];
        ar_time_format(r->from, a, sizeof a);
        ar_time_format(r->to, b, sizeof b);
        release_built(&merged);
        e = ar_errf(eb, AR_ENOTFOUND, "%s: no %s bars for %s from %s to %s", ex,
                    ar_fetch_interval_name(r->ex, r->interval), r->symbol, a, b);
        goto done;
    }
    report_gaps(&f, &merged.bars, r->from, r->to);
    f.st.bars_new = nb.n;
    f.st.funding_new = merged.funding.n - sym->funding.n;
    ar_bars_free(&sym->bars);
    ar_funding_free(&sym->funding);
    sym->bars = merged.bars;
    sym->funding = merged.funding;
    sym->interval = r->interval;
done:
    if (st) *st = f.st;
    free(sp);
    free(nf);
    ar_bars_free(&nb);
    free(f.body);
    if (f.curl) curl_easy_cleanup(f.curl);
    curl_global_cleanup();
    return e;
}
