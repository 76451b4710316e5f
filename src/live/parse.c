/* src/live/parse.c - exchange message parsers: one text message in,
 * normalized ar_feed_event values out (docs/LIVE.md lists what each exchange
 * sends and what we take from it).
 *
 * jansson parses every message except Binance's flat hot messages (trade,
 * aggTrade, bookTicker), which a strict flat-object scanner handles because
 * jansson alone stays far below the 500k messages/s goal (bench/feed_parse,
 * docs/BENCHMARKS.md). The parser
 * keeps only validation state: the last trade time per symbol (out-of-order
 * trades are rejected), recent Coinbase trade ids (two generations of a small
 * open-addressing set, so memory stays fixed), the last Coinbase sequence
 * number, a Coinbase book per symbol (sorted level arrays: the top is always
 * element 0) and the open Hyperliquid candle per symbol (a candle closes
 * when a message with another open time arrives). One thread per parser. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "arena/feed.h"
#include "arena/util.h"

#define BOOK_MAX_LEVELS 4096 /* per side; the worst levels beyond are dropped */
#define IDSET_SLOTS 4096     /* per generation; half full at most */

typedef struct level {
    double px, qty;
} level;

typedef struct book_side {
    level *v;
    size_t n, cap;
    int desc; /* bids: best (highest) first */
} book_side;

typedef struct sym_state {
    char xname[AR_SYM_MAX + 8]; /* the exchange's name */
    int64_t last_trade_t;
    int have_candle;
    ar_feed_event candle; /* open Hyperliquid candle */
    book_side bids, asks;
} sym_state;

typedef struct idset {
    uint64_t slot[IDSET_SLOTS];
    size_t n;
} idset;

struct ar_feed_parser {
    ar_exchange ex;
    size_t n;
    sym_state *s;
    ar_feed_stats st;
    int have_seq;
    int64_t last_seq;
    idset ids[2]; /* ids[0] current generation, ids[1] previous */
    ar_feed_cb cb;
    void *user;
    size_t delivered;
};

static const char *const reject_names[] = {
#define AR__FEED_REJ_NAME(name, text) text,
    AR_FEED_REJECT_MAP(AR__FEED_REJ_NAME)
#undef AR__FEED_REJ_NAME
};

const char *ar_feed_reject_name(ar_feed_reject r) {
    return (unsigned)r < AR_FEED_REJ_COUNT ? reject_names[r] : "unknown";
}

static const char *const ex_names[AR_EX_COUNT] = {"binance", "hyperliquid", "coinbase"};

ar_err ar_exchange_parse(const char *name, ar_exchange *out) {
    for (int i = 0; i < AR_EX_COUNT; i++)
        if (name != NULL && !strcmp(name, ex_names[i])) {
            *out = (ar_exchange)i;
            return AR_OK;
        }
    return AR_EINVAL;
}

const char *ar_exchange_name(ar_exchange ex) {
    return (unsigned)ex < AR_EX_COUNT ? ex_names[ex] : "unknown";
}

ar_err ar_exchange_symbol(ar_exchange ex, const char *sym, char *out, size_t n) {
    static const char *const suffix[AR_EX_COUNT] = {"USDT", "", "-USD"};
    if ((unsigned)ex >= AR_EX_COUNT || sym == NULL || *sym == '\0') return AR_EINVAL;
    int w = snprintf(out, n, "%s%s", sym, suffix[ex]);
    return (w < 0 || (size_t)w >= n) ? AR_ELIMIT : AR_OK;
}

unsigned ar_feed_channel_parse(const char *name) {
    if (name == NULL) return 0;
    if (!strcmp(name, "trades")) return AR_FEED_CH_TRADES;
    if (!strcmp(name, "book")) return AR_FEED_CH_BOOK;
    return 0;
}

ar_err ar_feed_parser_create(ar_exchange ex, const char *const *syms, size_t n,
                             ar_feed_parser **out) {
    *out = NULL;
    if ((unsigned)ex >= AR_EX_COUNT || (n > 0 && syms == NULL)) return AR_EINVAL;
    ar_feed_parser *p = calloc(1, sizeof *p);
    if (p == NULL) return AR_ENOMEM;
    p->ex = ex;
    p->n = n;
    p->s = calloc(n ? n : 1, sizeof *p->s);
    if (p->s == NULL) {
        free(p);
        return AR_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (syms[i] == NULL || strlen(syms[i]) >= AR_SYM_MAX ||
            ar_exchange_symbol(ex, syms[i], p->s[i].xname, sizeof p->s[i].xname) != AR_OK) {
            ar_feed_parser_free(p);
            return AR_EINVAL;
        }
        p->s[i].last_trade_t = INT64_MIN;
        p->s[i].bids.desc = 1;
    }
    *out = p;
    return AR_OK;
}

void ar_feed_parser_free(ar_feed_parser *p) {
    if (p == NULL) return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->s[i].bids.v);
        free(p->s[i].asks.v);
    }
    free(p->s);
    free(p);
}

void ar_feed_parser_reject(ar_feed_parser *p, ar_feed_reject r) {
    if ((unsigned)r < AR_FEED_REJ_COUNT) p->st.rejected[r]++;
}

void ar_feed_parser_reset_connection(ar_feed_parser *p) {
    p->have_seq = 0;
    for (size_t i = 0; i < p->n; i++) {
        p->s[i].have_candle = 0;
        p->s[i].bids.n = p->s[i].asks.n = 0;
    }
}

const ar_feed_stats *ar_feed_parser_stats(const ar_feed_parser *p) {
    return &p->st;
}

/* ---- helpers -------------------------------------------------------------- */

static void emit(ar_feed_parser *p, const ar_feed_event *ev) {
    p->st.events++;
    p->delivered++;
    if (p->cb != NULL) p->cb(ev, p->user);
}

static void emit_kind(ar_feed_parser *p, ar_feed_kind k, int sym, int64_t t, int64_t seq) {
    ar_feed_event ev = {0};
    ev.kind = k;
    ev.sym = sym;
    ev.t = t;
    ev.seq = seq;
    emit(p, &ev);
}

static int reject(ar_feed_parser *p, ar_feed_reject r) {
    p->st.rejected[r]++;
    return -1;
}

static int find_sym(const ar_feed_parser *p, const char *xname) {
    if (xname == NULL) return -1;
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->s[i].xname, xname)) return (int)i;
    return -1;
}

/* A decimal given as a JSON string (exchanges' habit) or number; finite. */
static int get_num(json_t *o, const char *key, double *out) {
    json_t *v = json_object_get(o, key);
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        double d = strtod(s, &end);
        if (end == s || *end != '\0' || !isfinite(d)) return -1;
        *out = d;
        return 0;
    }
    if (json_is_number(v)) {
        double d = json_number_value(v);
        if (!isfinite(d)) return -1;
        *out = d;
        return 0;
    }
    return -1;
}

/* An integer given as a JSON integer or a string of digits. */
static int get_int(json_t *o, const char *key, int64_t *out) {
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        long long x = strtoll(s, &end, 10);
        if (end == s || *end != '\0') return -1;
        *out = (int64_t)x;
        return 0;
    }
    return -1;
}

/* Epoch milliseconds -> ns, refusing values that would overflow. */
static int get_ms(json_t *o, const char *key, int64_t *out) {
    int64_t ms;
    if (get_int(o, key, &ms) != 0 || ms < 0 || ms > INT64_MAX / AR_NS_PER_MS) return -1;
    *out = ms * AR_NS_PER_MS;
    return 0;
}

static int get_iso(json_t *o, const char *key, int64_t *out) {
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) return -1;
    return ar_time_parse(json_string_value(v), json_string_length(v), out, NULL) == AR_OK ? 0 : -1;
}

static const char *get_str(json_t *o, const char *key) {
    return json_string_value(json_object_get(o, key));
}

/* Deliver a validated trade; rejects out-of-order times per symbol. */
static void trade(ar_feed_parser *p, int sym, int64_t t, double px, double qty, int side, int64_t id) {
    if (!(px > 0) || !(qty >= 0)) {
        reject(p, AR_FEED_REJ_BAD_FIELD);
        return;
    }
    sym_state *s = &p->s[sym];
    if (t < s->last_trade_t) {
        reject(p, AR_FEED_REJ_OUT_OF_ORDER);
        return;
    }
    s->last_trade_t = t;
    ar_feed_event ev = {0};
    ev.kind = AR_FEED_TRADE;
    ev.sym = sym;
    ev.t = t;
    ev.price = px;
    ev.qty = qty;
    ev.side = side;
    ev.seq = id;
    emit(p, &ev);
}

static void book_top(ar_feed_parser *p, int sym, int64_t t, double b, double bq, double a, double aq) {
    if (!(b > 0) || !(a > 0) || !(bq >= 0) || !(aq >= 0)) {
        reject(p, AR_FEED_REJ_BAD_FIELD);
        return;
    }
    if (b >= a) {
        reject(p, AR_FEED_REJ_CROSSED_BOOK);
        return;
    }
    ar_feed_event ev = {0};
    ev.kind = AR_FEED_BOOK_TOP;
    ev.sym = sym;
    ev.t = t;
    ev.bid = b;
    ev.bid_qty = bq;
    ev.ask = a;
    ev.ask_qty = aq;
    emit(p, &ev);
}

static int kline_fields(json_t *k, ar_feed_event *ev) {
    if (get_ms(k, "t", &ev->kline.t) || get_num(k, "o", &ev->kline.o) ||
        get_num(k, "h", &ev->kline.h) || get_num(k, "l", &ev->kline.l) ||
        get_num(k, "c", &ev->kline.c) || get_num(k, "v", &ev->kline.v))
        return -1;
    return 0;
}


/* ---- Binance fast path ---------------------------------------------------
 * jansson allocates every key and value; at several microseconds per trade
 * message that stays below the 500k messages/s goal. Binance's hot messages
 * (trade, aggTrade, bookTicker, the subscribe ack) are flat objects, so a
 * strict scanner of flat objects handles them: it accepts only what it fully
 * validates (plain ASCII strings without escapes, JSON numbers, true, false,
 * null) and hands anything else - nesting, escapes, non-ASCII, any syntax it
 * does not like - to jansson, which then parses or rejects it. */

#define FLAT_MAX 24

typedef struct flat_kv {
    const char *k, *v;
    unsigned kl, vl;
    char type; /* 's' string, 'n' number, 't' true, 'f' false, 'z' null */
} flat_kv;

static size_t skip_ws(const char *m, size_t i, size_t len) {
    while (i < len && (m[i] == ' ' || m[i] == '\n' || m[i] == '\r' || m[i] == '\t')) i++;
    return i;
}

/* Plain string at m[i] == '"': returns the index after the closing quote,
 * or 0 when the string needs jansson (escape, control or non-ASCII byte). */
static size_t flat_str(const char *m, size_t i, size_t len) {
    for (size_t j = i + 1; j < len; j++) {
        unsigned char ch = (unsigned char)m[j];
        if (ch == '"') return j + 1;
        if (ch == '\\' || ch < 0x20 || ch >= 0x80) return 0;
    }
    return 0;
}

static size_t flat_num(const char *m, size_t i, size_t len) {
    size_t j = i;
    if (j < len && m[j] == '-') j++;
    if (j >= len || m[j] < '0' || m[j] > '9') return 0;
    if (m[j] == '0') j++;
    else
        while (j < len && m[j] >= '0' && m[j] <= '9') j++;
    if (j < len && m[j] == '.') {
        size_t d = ++j;
        while (j < len && m[j] >= '0' && m[j] <= '9') j++;
        if (j == d) return 0;
    }
    if (j < len && (m[j] == 'e' || m[j] == 'E')) {
        j++;
        if (j < len && (m[j] == '+' || m[j] == '-')) j++;
        size_t d = j;
        while (j < len && m[j] >= '0' && m[j] <= '9') j++;
        if (j == d) return 0;
    }
    return j;
}

/* Number of pairs scanned, or -1: not a flat object we vouch for. */
static int flat_scan(const char *m, size_t len, flat_kv *kv) {
    size_t i = skip_ws(m, 0, len);
    int n = 0;
    if (i >= len || m[i] != '{') return -1;
    i = skip_ws(m, i + 1, len);
    if (i < len && m[i] == '}') return skip_ws(m, i + 1, len) == len ? 0 : -1;
    for (;;) {
        if (n == FLAT_MAX || i >= len || m[i] != '"') return -1;
        size_t e = flat_str(m, i, len);
        if (e == 0) return -1;
        kv[n].k = m + i + 1;
        kv[n].kl = (unsigned)(e - i - 2);
        i = skip_ws(m, e, len);
        if (i >= len || m[i] != ':') return -1;
        i = skip_ws(m, i + 1, len);
        if (i >= len) return -1;
        char c = m[i];
        if (c == '"') {
            e = flat_str(m, i, len);
            if (e == 0) return -1;
            kv[n].v = m + i + 1;
            kv[n].vl = (unsigned)(e - i - 2);
            kv[n].type = 's';
        } else if (c == 't' && len - i >= 4 && !memcmp(m + i, "true", 4)) {
            e = i + 4;
            kv[n].type = 't';
        } else if (c == 'f' && len - i >= 5 && !memcmp(m + i, "false", 5)) {
            e = i + 5;
            kv[n].type = 'f';
        } else if (c == 'n' && len - i >= 4 && !memcmp(m + i, "null", 4)) {
            e = i + 4;
            kv[n].type = 'z';
        } else {
            e = flat_num(m, i, len);
            if (e == 0) return -1;
            kv[n].v = m + i;
            kv[n].vl = (unsigned)(e - i);
            kv[n].type = 'n';
        }
        n++;
        i = skip_ws(m, e, len);
        if (i >= len) return -1;
        if (m[i] == '}') return skip_ws(m, i + 1, len) == len ? n : -1;
        if (m[i] != ',') return -1;
        i = skip_ws(m, i + 1, len);
    }
}

/* The last pair named key (jansson keeps the last of duplicates too). */
static const flat_kv *flat_get(const flat_kv *kv, int n, const char *key) {
    size_t kl = strlen(key);
    for (int i = n - 1; i >= 0; i--)
        if (kv[i].kl == kl && !memcmp(kv[i].k, key, kl)) return &kv[i];
    return NULL;
}

static int flat_num_val(const flat_kv *v, double *out) {
    char buf[64];
    if (v == NULL || (v->type != 's' && v->type != 'n') || v->vl == 0 || v->vl >= sizeof buf) return -1;
    memcpy(buf, v->v, v->vl);
    buf[v->vl] = '\0';
    char *end;
    double d = strtod(buf, &end);
    if (*end != '\0' || !isfinite(d)) return -1;
    *out = d;
    return 0;
}

static int flat_int_val(const flat_kv *v, int64_t *out) {
    if (v == NULL || (v->type != 's' && v->type != 'n') || v->vl == 0 || v->vl > 18) return -1;
    int64_t x = 0;
    unsigned i = v->v[0] == '-';
    if (i == v->vl) return -1;
    for (; i < v->vl; i++) {
        if (v->v[i] < '0' || v->v[i] > '9') return -1;
        x = x * 10 + (v->v[i] - '0');
    }
    *out = v->v[0] == '-' ? -x : x;
    return 0;
}

static int flat_ms_val(const flat_kv *v, int64_t *out) {
    int64_t ms;
    if (flat_int_val(v, &ms) || ms < 0) return -1;
    *out = ms * AR_NS_PER_MS;
    return 0;
}

static int flat_sym(const ar_feed_parser *p, const flat_kv *v) {
    if (v == NULL || v->type != 's') return -1;
    for (size_t i = 0; i < p->n; i++)
        if (strlen(p->s[i].xname) == v->vl && !memcmp(p->s[i].xname, v->v, v->vl)) return (int)i;
    return -1;
}

static int flat_is(const flat_kv *v, const char *s) {
    return v != NULL && v->type == 's' && v->vl == strlen(s) && !memcmp(v->v, s, v->vl);
}

/* 1 when handled, 0 to fall back to jansson. */
static int binance_fast(ar_feed_parser *p, const char *msg, size_t len) {
    flat_kv kv[FLAT_MAX];
    int n = flat_scan(msg, len, kv);
    if (n < 0) return 0;
    const flat_kv *e = flat_get(kv, n, "e");
    if (flat_is(e, "trade") || flat_is(e, "aggTrade")) {
        int is_trade = flat_is(e, "trade");
        int sym = flat_sym(p, flat_get(kv, n, "s"));
        if (sym < 0) {
            reject(p, AR_FEED_REJ_UNKNOWN_SYMBOL);
            return 1;
        }
        double px, qty;
        int64_t t, id = 0;
        const flat_kv *m = flat_get(kv, n, "m");
        if (flat_num_val(flat_get(kv, n, "p"), &px) || flat_num_val(flat_get(kv, n, "q"), &qty) ||
            (flat_ms_val(flat_get(kv, n, "T"), &t) && flat_ms_val(flat_get(kv, n, "E"), &t)) || m == NULL ||
            (m->type != 't' && m->type != 'f')) {
            reject(p, AR_FEED_REJ_BAD_FIELD);
            return 1;
        }
        flat_int_val(flat_get(kv, n, is_trade ? "t" : "a"), &id);
        trade(p, sym, t, px, qty, m->type == 't' ? -1 : 1, id);
        return 1;
    }
    if (e != NULL) return 0;
    const flat_kv *b = flat_get(kv, n, "b"), *a = flat_get(kv, n, "a");
    if (b != NULL && a != NULL && flat_get(kv, n, "u") != NULL) {
        int sym = flat_sym(p, flat_get(kv, n, "s"));
        if (sym < 0) {
            reject(p, AR_FEED_REJ_UNKNOWN_SYMBOL);
            return 1;
        }
        double bp, bq, ap, aq;
        int64_t t = 0;
        if (flat_num_val(b, &bp) || flat_num_val(flat_get(kv, n, "B"), &bq) || flat_num_val(a, &ap) ||
            flat_num_val(flat_get(kv, n, "A"), &aq)) {
            reject(p, AR_FEED_REJ_BAD_FIELD);
            return 1;
        }
        flat_ms_val(flat_get(kv, n, "E"), &t);
        book_top(p, sym, t, bp, bq, ap, aq);
        return 1;
    }
    return 0;
}

/* ---- Binance -------------------------------------------------------------- */

static void parse_binance(ar_feed_parser *p, json_t *root) {
    json_t *data = json_object_get(root, "data");
    if (json_is_object(data) && json_is_string(json_object_get(root, "stream"))) root = data;
    const char *e = get_str(root, "e");
    if (e == NULL) {
        json_t *id = json_object_get(root, "id");
        json_t *err = json_object_get(root, "error");
        if (json_is_object(err)) {
            int64_t code = 0;
            get_int(err, "code", &code);
            emit_kind(p, AR_FEED_ERROR, -1, 0, code);
            return;
        }
        if (id != NULL && json_object_get(root, "result") != NULL) {
            int64_t n = 0;
            get_int(root, "id", &n);
            emit_kind(p, AR_FEED_ACK, -1, 0, n);
            return;
        }
        if (json_object_get(root, "b") && json_object_get(root, "a") && json_object_get(root, "u")) {
            int sym = find_sym(p, get_str(root, "s"));
            if (sym < 0) {
                reject(p, AR_FEED_REJ_UNKNOWN_SYMBOL);
                return;
            }
            double b, bq, a, aq;
            int64_t t = 0;
            if (get_num(root, "b", &b) || get_num(root, "B", &bq) || get_num(root, "a", &a) ||
                get_num(root, "A", &aq)) {
                reject(p, AR_FEED_REJ_BAD_FIELD);
                return;
            }
            if (json_object_get(root, "E")) get_ms(root, "E", &t);
            book_top(p, sym, t, b, bq, a, aq);
            return;
        }
        emit_kind(p, AR_FEED_IGNORED, -1, 0, 0);
        return;
    }
    int is_trade = !strcmp(e, "trade"), is_agg = !is_trade && !strcmp(e, "aggTrade");
    if (is_trade || is_agg) {
        int sym = find_sym(p, get_str(root, "s"));
        if (sym < 0) {
            reject(p, AR_FEED_REJ_UNKNOWN_SYMBOL);
            return;
        }
        double px, qty;
        int64_t t, id = 0;
        json_t *m = json_object_get(root, "m");
        if (get_num(root, "p", &px) || get_num(root, "q", &qty) ||
            (get_ms(root, "T", &t) && get_ms(root, "E", &t)) || !json_is_boolean(m)) {
            reject(p, AR_FEED_REJ_BAD_FIELD);
            return;
        }
        get_int(root, is_trade ? "t" : "a", &id);
        trade(p, sym, t, px, qty, json_is_true(m) ? -1 : 1, id);
        return;
    }
    if (!strcmp(e, "kline")) {
        json_t *k = json_object_get(root, "k");
        int sym = find_sym(p, get_str(root, "s"));
        if (sym < 0) sym = find_sym(p, get_str(k, "s"));
        if (sym < 0) {
            reject(p, AR_FEED_REJ_UNKNOWN_SYMBOL);
            return;
        }
        ar_feed_event ev = {0};
        json_t *x = json_object_get(k, "x");
        if (!json_is_object(k) || !json_is_boolean(x) || kline_fields(k, &ev)) {
            reject(p, AR_FEED_REJ_BAD_FIELD);
            return;
        }
        if (!json_is_true(x)) {
            emit_kind(p, AR_FEED_IGNORED, sym, 0, 0);
            return;
        }
        ev.kind = AR_FEED_KLINE_CLOSED;
        ev.sym = sym;
        if (get_ms(root, "E", &ev.t) && get_ms(k, "T", &ev.t)) ev.t = ev.kline.t;
        emit(p, &ev);
        return;
    }
    emit_kind(p, AR_FEED_IGNORED, -1, 0, 0);
}

/* ---- Hyperliquid ---------------------------------------------------------- */

static int first_level(json_t *side, double *px, double *sz) {
    json_t *l = json_array_get(side, 0);
    if (!json_is_object(l)) return -1;
    return (get_num(l, "px", px) || get_num(l, "sz", sz)) ? -1 : 0;
}

static void parse_hyperliquid(ar_feed_parser *p, json_t *root) {
    const char *ch = get_str(root, "channel");
    json_t *data = json_object_get(root, "data");
    if (ch == NULL) {
        reject(p, AR_FEED_REJ_BAD_FIELD);
        return;
    }
    if (!strcmp(ch, "trades")) {
        if (!json_is_array(data)) {
            reject(p, AR_FEED_REJ_BAD_FIELD);
            return;
        }
        size_t i;
        json_t *tr;
        json_array_foreach(data, i, tr) {
            int sym = find_sym(p, get_str(tr, "coin"));
            if (sym < 0) {
                reject(p, AR_FEED_REJ_UNKNOWN_SYMBOL);
                continue;
            }
            const char *side = get_str(tr, "side");
            double px, sz;
            int64_t t, tid = 0;
            if (side == NULL || get_num(tr, "px", &px) || get_num(tr, "sz", &sz) || get_ms(tr, "time", &t)) {
                reject(p, AR_FEED_REJ_BAD_FIELD);
                continue;
            }
            get_int(tr, "tid", &tid);
            trade(p, sym, t, px, sz, !strcmp(side, "B") ? 1 : !strcmp(side, "A") ? -1 : 0, tid);
        }
        return;
    }
    if (!strcmp(ch, "l2Book")) {
        int sym = find_sym(p, get_str(data, "coin"));
        if (sym < 0) {
            reject(p, AR_FEED_REJ_UNKNOWN_SYMBOL);
            return;
        }
        json_t *lv = json_object_get(data, "levels");
        int64_t t;
        if (!json_is_array(lv) || json_array_size(lv) != 2 || get_ms(data, "time", &t)) {
            reject(p, AR_FEED_REJ_BAD_FIELD);
            return;
        }
        json_t *bids = json_array_get(lv, 0), *asks = json_array_get(lv, 1);
        if (!json_is_array(bids) || !json_is_array(asks)) {
            reject(p, AR_FEED_REJ_BAD_FIELD);
            return;
        }
        if (json_array_size(bids) == 0 || json_array_size(asks) == 0) {
            emit_kind(p, AR_FEED_IGNORED, sym, t, 0); /* one-sided book: no top */
            return;
        }
        double b, bq, a, aq;
        if (first_level(bids, &b, &bq) || first_level(asks, &a, &aq)) {
            reject(p, AR_FEED_REJ_BAD_FIELD);
            return;
        }
        book_top(p, sym, t, b, bq, a, aq);
        return;
    }
    if (!strcmp(ch, "candle")) {
        int sym = find_sym(p, get_str(data, "s"));
        if (sym < 0) {
            reject(p, AR_FEED_REJ_UNKNOWN_SYMBOL);
            return;
        }
        ar_feed_event ev = {0};
        if (!json_is_object(data) || kline_fields(data, &ev)) {
            reject(p, AR_FEED_REJ_BAD_FIELD);
            return;
        }
        sym_state *s = &p->s[sym];
        ev.kind = AR_FEED_KLINE_CLOSED;
        ev.sym = sym;
        if (s->have_candle && ev.kline.t < s->candle.kline.t) {
            reject(p, AR_FEED_REJ_OUT_OF_ORDER);
            return;
        }
        if (s->have_candle && ev.kline.t != s->candle.kline.t) {
            ar_feed_event done = s->candle;
            done.t = ev.kline.t; /* known closed when the next one opens */
            s->candle = ev;
            emit(p, &done);
            return;
        }
        s->candle = ev;
        s->have_candle = 1;
        emit_kind(p, AR_FEED_IGNORED, sym, 0, 0);
        return;
    }
    if (!strcmp(ch, "subscriptionResponse")) {
        emit_kind(p, AR_FEED_ACK, -1, 0, 0);
        return;
    }
    if (!strcmp(ch, "pong")) {
        emit_kind(p, AR_FEED_HEARTBEAT, -1, 0, 0);
        return;
    }
    if (!strcmp(ch, "error")) {
        emit_kind(p, AR_FEED_ERROR, -1, 0, 0);
        return;
    }
    emit_kind(p, AR_FEED_IGNORED, -1, 0, 0);
}

/* ---- Coinbase ------------------------------------------------------------- */

static uint64_t id_hash(const char *s) {
    uint64_t h = ar_hash_str(0x9e3779b97f4a7c15u, s);
    return h ? h : 1; /* 0 marks an empty slot */
}

/* 1 when h was seen (in either generation); else remember it. */
static int id_seen(ar_feed_parser *p, uint64_t h) {
    for (int g = 0; g < 2; g++) {
        idset *s = &p->ids[g];
        for (size_t i = h % IDSET_SLOTS;; i = (i + 1) % IDSET_SLOTS) {
            if (s->slot[i] == h) return 1;
            if (s->slot[i] == 0) break;
        }
    }
    if (p->ids[0].n >= IDSET_SLOTS / 2) {
        p->ids[1] = p->ids[0];
        memset(&p->ids[0], 0, sizeof p->ids[0]);
    }
    idset *s = &p->ids[0];
    size_t i = h % IDSET_SLOTS;
    while (s->slot[i] != 0) i = (i + 1) % IDSET_SLOTS;
    s->slot[i] = h;
    s->n++;
    return 0;
}

/* Set a level's absolute size (0 deletes); bids descending, asks ascending. */
static int book_set(book_side *b, double px, double qty) {
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int before = b->desc ? b->v[mid].px > px : b->v[mid].px < px;
        if (before) lo = mid + 1;
        else hi = mid;
    }
    int found = lo < b->n && b->v[lo].px == px;
    if (qty == 0) {
        if (found) {
            memmove(b->v + lo, b->v + lo + 1, (b->n - lo - 1) * sizeof *b->v);
            b->n--;
        }
        return 0;
    }
    if (found) {
        b->v[lo].qty = qty;
        return 0;
    }
    if (lo >= BOOK_MAX_LEVELS) return 0; /* beyond the levels we keep */
    if (b->n == b->cap) {
        if (b->n >= BOOK_MAX_LEVELS) {
            b->n--; /* drop the worst level */
        } else {
            size_t cap = b->cap ? b->cap * 2 : 64;
            level *v = realloc(b->v, cap * sizeof *v);
            if (v == NULL) return -1;
            b->v = v;
            b->cap = cap;
        }
    }
    memmove(b->v + lo + 1, b->v + lo, (b->n - lo) * sizeof *b->v);
    b->v[lo].px = px;
    b->v[lo].qty = qty;
    b->n++;
    return 0;
}

static void cb_trades(ar_feed_parser *p, json_t *trades) {
    size_t n = json_array_size(trades);
    /* Batches (snapshots especially) may come newest first: walk oldest first. */
    int64_t t0 = 0, t1 = 0;
    int rev = n > 1 && !get_iso(json_array_get(trades, 0), "time", &t0) &&
              !get_iso(json_array_get(trades, n - 1), "time", &t1) && t0 > t1;
    for (size_t k = 0; k < n; k++) {
        json_t *tr = json_array_get(trades, rev ? n - 1 - k : k);
        int sym = find_sym(p, get_str(tr, "product_id"));
        if (sym < 0) {
            reject(p, AR_FEED_REJ_UNKNOWN_SYMBOL);
            continue;
        }
        const char *id = get_str(tr, "trade_id"), *side = get_str(tr, "side");
        double px, sz;
        int64_t t, nid = 0;
        if (id == NULL || side == NULL || get_num(tr, "price", &px) || get_num(tr, "size", &sz) ||
            get_iso(tr, "time", &t)) {
            reject(p, AR_FEED_REJ_BAD_FIELD);
            continue;
        }
        if (id_seen(p, id_hash(id))) {
            reject(p, AR_FEED_REJ_DUPLICATE);
            continue;
        }
        get_int(tr, "trade_id", &nid);
        trade(p, sym, t, px, sz, !strcmp(side, "BUY") ? 1 : !strcmp(side, "SELL") ? -1 : 0, nid);
    }
}

static void cb_level2(ar_feed_parser *p, json_t *ev, int64_t t) {
    int sym = find_sym(p, get_str(ev, "product_id"));
    if (sym < 0) {
        reject(p, AR_FEED_REJ_UNKNOWN_SYMBOL);
        return;
    }
    const char *type = get_str(ev, "type");
    json_t *ups = json_object_get(ev, "updates");
    if (type == NULL || !json_is_array(ups)) {
        reject(p, AR_FEED_REJ_BAD_FIELD);
        return;
    }
    sym_state *s = &p->s[sym];
    if (!strcmp(type, "snapshot")) s->bids.n = s->asks.n = 0;
    size_t i;
    json_t *u;
    int bad = 0;
    json_array_foreach(ups, i, u) {
        const char *side = get_str(u, "side");
        double px, q;
        if (side == NULL || get_num(u, "price_level", &px) || get_num(u, "new_quantity", &q) ||
            !(px > 0) || !(q >= 0)) {
            bad = 1;
            continue;
        }
        book_side *b = !strcmp(side, "bid") ? &s->bids : !strcmp(side, "offer") ? &s->asks : NULL;
        if (b == NULL || book_set(b, px, q) != 0) bad = 1;
    }
    if (bad) reject(p, AR_FEED_REJ_BAD_FIELD);
    if (s->bids.n == 0 || s->asks.n == 0) {
        emit_kind(p, AR_FEED_IGNORED, sym, t, 0);
        return;
    }
    book_top(p, sym, t, s->bids.v[0].px, s->bids.v[0].qty, s->asks.v[0].px, s->asks.v[0].qty);
}

static void parse_coinbase(ar_feed_parser *p, json_t *root) {
    const char *type = get_str(root, "type");
    if (type != NULL && !strcmp(type, "error")) {
        emit_kind(p, AR_FEED_ERROR, -1, 0, 0);
        return;
    }
    const char *ch = get_str(root, "channel");
    if (ch == NULL) {
        reject(p, AR_FEED_REJ_BAD_FIELD);
        return;
    }
    int64_t seq;
    if (get_int(root, "sequence_num", &seq) == 0) {
        if (p->have_seq && seq != p->last_seq + 1) {
            reject(p, AR_FEED_REJ_SEQUENCE_GAP);
            ar_feed_event g = {0};
            g.kind = AR_FEED_GAP;
            g.sym = -1;
            g.gap = AR_FEED_GAP_SEQUENCE;
            g.seq = seq;
            emit(p, &g);
        }
        p->have_seq = 1;
        p->last_seq = seq;
    }
    int64_t t = 0;
    get_iso(root, "timestamp", &t);
    json_t *events = json_object_get(root, "events");
    if (!strcmp(ch, "heartbeats")) {
        int64_t n = 0;
        get_int(json_array_get(events, 0), "heartbeat_counter", &n);
        emit_kind(p, AR_FEED_HEARTBEAT, -1, t, n);
        return;
    }
    if (!strcmp(ch, "subscriptions")) {
        emit_kind(p, AR_FEED_ACK, -1, t, 0);
        return;
    }
    int trades = !strcmp(ch, "market_trades"), l2 = !trades && !strcmp(ch, "l2_data");
    if (!trades && !l2) {
        emit_kind(p, AR_FEED_IGNORED, -1, t, 0);
        return;
    }
    if (!json_is_array(events)) {
        reject(p, AR_FEED_REJ_BAD_FIELD);
        return;
    }
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        if (trades) {
            json_t *tr = json_object_get(ev, "trades");
            if (!json_is_array(tr)) reject(p, AR_FEED_REJ_BAD_FIELD);
            else cb_trades(p, tr);
        } else {
            cb_level2(p, ev, t);
        }
    }
}

/* ---- entry ---------------------------------------------------------------- */

size_t ar_feed_parse(ar_feed_parser *p, const char *msg, size_t len, ar_feed_cb cb, void *user) {
    p->st.messages++;
    if (len > AR_FEED_MAX_FRAME) {
        reject(p, AR_FEED_REJ_OVERSIZED);
        return 0;
    }
    p->cb = cb;
    p->user = user;
    p->delivered = 0;
    if (p->ex == AR_EX_HYPERLIQUID) {
        /* Its first frame may be a plain-text greeting. */
        size_t i = 0;
        while (i < len && (msg[i] == ' ' || msg[i] == '\n' || msg[i] == '\r' || msg[i] == '\t')) i++;
        if (i < len && msg[i] != '{' && msg[i] != '[' && memchr(msg, '\0', len) == NULL &&
            (msg[i] >= 'A' && msg[i] <= 'Z')) {
            emit_kind(p, AR_FEED_IGNORED, -1, 0, 0);
            return p->delivered;
        }
    }
    if (p->ex == AR_EX_BINANCE && binance_fast(p, msg, len)) return p->delivered;
    json_error_t jerr;
    json_t *root = json_loadb(msg, len, 0, &jerr);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        reject(p, AR_FEED_REJ_BAD_JSON);
        return 0;
    }
    switch (p->ex) {
    case AR_EX_BINANCE: parse_binance(p, root); break;
    case AR_EX_HYPERLIQUID: parse_hyperliquid(p, root); break;
    default: parse_coinbase(p, root); break;
    }
    json_decref(root);
    return p->delivered;
}
