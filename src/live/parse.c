/* src/live/parse.c - exchange message parsers: one text message in,
 * normalized ar_feed_event values out (docs/LIVE.md lists what each exchange
 * sends and what we take from it).
 *
 * Two ways in, one logic. A message is first offered to the strict scanner of
 * feed_json.c, which builds a token tree without allocating when it can vouch
 * that jansson would build the same tree; otherwise (escapes, non-ASCII,
 * exponents, long numbers, bad syntax, ...) jansson parses or rejects it.
 * The exchanges' logic below reads either tree through the small nd_* layer,
 * so every check, reject reason and value is decided by the same code: the
 * scanner only saves jansson's allocations (jansson alone stays far below
 * the 500k messages/s goal: bench/feed_parse, docs/BENCHMARKS.md). Numbers
 * are always converted as before: strtod/strtoll on string values, jansson's
 * integer/real rules on JSON numbers.
 *
 * The parser keeps only validation state: the last trade time per symbol (out-of-order
 * trades are rejected), recent Coinbase trade ids (two generations of a small
 * open-addressing set, so memory stays fixed), the last Coinbase sequence
 * number, a Coinbase book per symbol (sorted level arrays: the top is always
 * element 0) and the open Hyperliquid candle per symbol (a candle closes
 * when a message with another open time arrives). One thread per parser. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "arena/feed.h"
#include "arena/util.h"
#include "live/feed_json.h"

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
    size_t xlen;
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
    int fast;           /* offer messages to the scanner first (default) */
    uint64_t fast_msgs; /* messages the scanner handled */
    ar_ft tok[AR_FT_MAX_TOKENS];
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
    p->fast = 1;
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
        p->s[i].xlen = strlen(p->s[i].xname);
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


void ar__feed_parser_set_fast(ar_feed_parser *p, int on) {
    p->fast = on != 0;
}

uint64_t ar__feed_parser_fast_count(const ar_feed_parser *p) {
    return p->fast_msgs;
}

/* ---- JSON values: scanner tokens or jansson -------------------------------
 * An nd is one JSON value of either tree: t (a scanner token) or j (a jansson
 * value); both NULL means absent. Each accessor answers exactly what the
 * jansson call named in its comment answers, absent values included. */

typedef struct nd {
    const ar_ft *t;
    json_t *j;
} nd;

static inline nd nd_tok(const ar_ft *t) {
    nd v = {t, NULL};
    return v;
}

static inline nd nd_json(json_t *j) {
    nd v = {NULL, j};
    return v;
}

static inline int nd_has(nd v) { /* != NULL */
    return v.t != NULL || v.j != NULL;
}

static inline int nd_is_obj(nd v) { /* json_is_object */
    return v.t ? v.t->type == AR_FT_OBJ : json_is_object(v.j);
}

static inline int nd_is_arr(nd v) { /* json_is_array */
    return v.t ? v.t->type == AR_FT_ARR : json_is_array(v.j);
}

static inline int nd_is_bool(nd v) { /* json_is_boolean */
    return v.t ? v.t->type == AR_FT_TRUE || v.t->type == AR_FT_FALSE : json_is_boolean(v.j);
}

static inline int nd_is_true(nd v) { /* json_is_true */
    return v.t ? v.t->type == AR_FT_TRUE : json_is_true(v.j);
}

/* json_string_value + json_string_length; NULL when not a string. Never
 * contains a NUL byte (the scanner and jansson both refuse them), so length
 * and bytes compare as strcmp would. */
static inline const char *nd_str(nd v, size_t *len) {
    if (v.t) {
        if (v.t->type != AR_FT_STR) return NULL;
        *len = v.t->len;
        return v.t->s;
    }
    if (!json_is_string(v.j)) return NULL;
    *len = json_string_length(v.j);
    return json_string_value(v.j);
}

/* json_object_get: the last pair named key (jansson keeps the last of
 * duplicates); absent when o is not an object. */
static inline nd nd_get(nd o, const char *key) {
    if (o.t == NULL) return nd_json(json_object_get(o.j, key));
    const ar_ft *hit = NULL;
    if (o.t->type == AR_FT_OBJ) {
        size_t kl = strlen(key);
        if (o.t->skip == 1 + 2 * o.t->n) {
            /* Flat (every value one token): keys at a stride of 2, so look
             * from the end and stop at the first, i.e. the last, match. */
            for (const ar_ft *k = o.t + 2 * o.t->n - 1; k > o.t; k -= 2)
                if (k->len == kl && (kl == 0 || k->s[0] == key[0]) && !memcmp(k->s, key, kl)) return nd_tok(k + 1);
            return nd_tok(NULL);
        }
        const ar_ft *k = o.t + 1;
        for (uint32_t i = 0; i < o.t->n; i++) {
            const ar_ft *v = k + 1;
            if (k->len == kl && (kl == 0 || k->s[0] == key[0]) && !memcmp(k->s, key, kl)) hit = v;
            k = v + v->skip;
        }
    }
    return nd_tok(hit);
}

static inline size_t nd_size(nd a) { /* json_array_size */
    if (a.t) return a.t->type == AR_FT_ARR ? a.t->n : 0;
    return json_array_size(a.j);
}

static nd nd_at(nd a, size_t i) { /* json_array_get */
    if (a.t == NULL) return nd_json(json_array_get(a.j, i));
    if (a.t->type != AR_FT_ARR || i >= a.t->n) return nd_tok(NULL);
    const ar_ft *e = a.t + 1;
    while (i-- > 0) e += e->skip;
    return nd_tok(e);
}

/* json_array_foreach */
typedef struct nd_iter {
    nd a;
    size_t i, n;
    const ar_ft *next;
} nd_iter;

static inline nd_iter nd_elems(nd a) {
    nd_iter it = {a, 0, nd_size(a), a.t != NULL ? a.t + 1 : NULL};
    return it;
}

static inline int nd_next(nd_iter *it, nd *out) {
    if (it->i >= it->n) return 0;
    if (it->a.t) {
        *out = nd_tok(it->next);
        it->next += it->next->skip;
    } else {
        *out = nd_json(json_array_get(it->a.j, it->i));
        if (out->j == NULL) return 0;
    }
    it->i++;
    return 1;
}

/* A number token's text as jansson reads it: an integer token (<= 18
 * digits, no overflow) is strtoll of its text, a real one strtod of it. */
static int64_t tok_int(const ar_ft *t) {
    int neg = t->s[0] == '-';
    int64_t x = 0;
    for (uint32_t i = (uint32_t)neg; i < t->len; i++) x = x * 10 + (t->s[i] - '0');
    return neg ? -x : x;
}

static double tok_real(const ar_ft *t) {
    char buf[AR_FT_MAX_NUM + 1];
    memcpy(buf, t->s, t->len);
    buf[t->len] = '\0';
    return strtod(buf, NULL);
}

/* A token string NUL-terminated in buf (scanner strings are at most
 * AR_FT_MAX_STR bytes); jansson's strings already are. */
static inline const char *cstr(nd v, const char *s, size_t len, char buf[AR_FT_MAX_STR + 1]) {
    if (v.t == NULL) return s;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

/* strtod(s) for a plain decimal [-]D+[.D+] whose digits, leading zeros
 * aside, form an integer M <= 2^53 with at most 22 of them after the point:
 * then M and 10^k are exact doubles and one IEEE division rounds the exact
 * quotient once, in the current rounding mode, as strtod does (Clinger's
 * fast path; the sign goes on M first so that directed rounding and -0 come
 * out as strtod's). 0 when s is anything else: then call strtod. Only where
 * double arithmetic has no excess precision (FLT_EVAL_METHOD 0). */
static int fast_decimal(const char *s, size_t len, double *out) {
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    int neg = len > 0 && s[0] == '-';
    size_t i = (size_t)neg;
    uint64_t m = 0;
    int nd = 0, frac = -1; /* significant digits; digits after the point (-1: no point) */
    size_t d0 = i;
    for (; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (nd > 0 || c != '0') {
                if (++nd > 16) return 0;
                m = m * 10 + (uint64_t)(c - '0');
            }
            if (frac >= 0) frac++;
        } else if (c == '.' && frac < 0 && i > d0) {
            frac = 0;
        } else {
            return 0;
        }
    }
    if (i == d0 || frac == 0 || frac > 22 || m > (UINT64_C(1) << 53)) return 0;
    double d = (double)m;
    if (neg) d = -d;
    *out = frac > 0 ? d / p10[frac] : d;
    return 1;
#else
    (void)s, (void)len, (void)out;
    return 0;
#endif
}

/* A decimal given as a JSON string (exchanges' habit) or number; finite. */
static int nd_num(nd v, double *out) {
    size_t len;
    const char *s = nd_str(v, &len);
    double d;
    if (s != NULL) {
        if (fast_decimal(s, len, out)) return 0; /* finite: at most 2^53 */
        char buf[AR_FT_MAX_STR + 1];
        const char *z = cstr(v, s, len, buf);
        char *end;
        d = strtod(z, &end);
        if (end == z || *end != '\0' || !isfinite(d)) return -1;
        *out = d;
        return 0;
    }
    if (v.t) {
        if (v.t->type == AR_FT_INT) d = (double)tok_int(v.t); /* json_number_value of an integer */
        else if (v.t->type == AR_FT_REAL) d = tok_real(v.t);
        else return -1;
    } else {
        if (!json_is_number(v.j)) return -1;
        d = json_number_value(v.j);
    }
    if (!isfinite(d)) return -1;
    *out = d;
    return 0;
}

/* An integer given as a JSON integer or a string strtoll reads whole. */
static int nd_int(nd v, int64_t *out) {
    if (v.t ? v.t->type == AR_FT_INT : json_is_integer(v.j)) {
        *out = v.t ? tok_int(v.t) : (int64_t)json_integer_value(v.j);
        return 0;
    }
    size_t len;
    const char *s = nd_str(v, &len);
    if (s == NULL) return -1;
    size_t i = len > 0 && s[0] == '-';
    if (len > i && len - i <= 18) { /* plain digits: strtoll's answer, without the call */
        int64_t x = 0;
        size_t k = i;
        while (k < len && s[k] >= '0' && s[k] <= '9') x = x * 10 + (s[k++] - '0');
        if (k == len) {
            *out = i ? -x : x;
            return 0;
        }
    }
    char buf[AR_FT_MAX_STR + 1];
    const char *z = cstr(v, s, len, buf);
    char *end;
    long long x = strtoll(z, &end, 10);
    if (end == z || *end != '\0') return -1;
    *out = (int64_t)x;
    return 0;
}

static int get_num(nd o, const char *key, double *out) {
    return nd_num(nd_get(o, key), out);
}

static int get_int(nd o, const char *key, int64_t *out) {
    return nd_int(nd_get(o, key), out);
}

/* Epoch milliseconds -> ns, refusing values that would overflow. */
static int get_ms(nd o, const char *key, int64_t *out) {
    int64_t ms;
    if (get_int(o, key, &ms) != 0 || ms < 0 || ms > INT64_MAX / AR_NS_PER_MS) return -1;
    *out = ms * AR_NS_PER_MS;
    return 0;
}

static int get_iso(nd o, const char *key, int64_t *out) {
    size_t len;
    const char *s = nd_str(nd_get(o, key), &len);
    if (s == NULL) return -1;
    return ar_time_parse(s, len, out, NULL) == AR_OK ? 0 : -1;
}

/* The string value of key (NULL when absent or not a string). */
static const char *get_str(nd o, const char *key, size_t *len) {
    return nd_str(nd_get(o, key), len);
}

static int str_is(const char *s, size_t len, const char *lit) {
    return s != NULL && len == strlen(lit) && !memcmp(s, lit, len);
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

/* The symbol whose exchange name is the string value v; -1 otherwise. */
static int find_sym(const ar_feed_parser *p, nd v) {
    size_t len;
    const char *s = nd_str(v, &len);
    if (s == NULL) return -1;
    for (size_t i = 0; i < p->n; i++)
        if (p->s[i].xlen == len && !memcmp(p->s[i].xname, s, len)) return (int)i;
    return -1;
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

static int kline_fields(nd k, ar_feed_event *ev) {
    if (get_ms(k, "t", &ev->kline.t) || get_num(k, "o", &ev->kline.o) ||
        get_num(k, "h", &ev->kline.h) || get_num(k, "l", &ev->kline.l) ||
        get_num(k, "c", &ev->kline.c) || get_num(k, "v", &ev->kline.v))
        return -1;
    return 0;
}

/* ---- Binance -------------------------------------------------------------- */

static int id_seen(ar_feed_parser *p, uint64_t h);

/* A trade as an id_seen key: its numeric id, symbol, time, price and size
 * (a trade sent again repeats them all; space keeps kinds of id apart:
 * Binance trade and aggTrade ids, Hyperliquid tids). */
static uint64_t trade_key(int64_t id, int sym, int space, int64_t t, double px, double qty) {
    uint64_t bp, bq;
    memcpy(&bp, &px, sizeof bp);
    memcpy(&bq, &qty, sizeof bq);
    uint64_t h = ar_mix64((uint64_t)id);
    h = ar_mix64(h ^ (uint64_t)(sym + 1) * UINT64_C(0x9E3779B97F4A7C15) ^ (uint64_t)space * UINT64_C(0xC2B2AE3D27D4EB4F));
    h = ar_mix64(h ^ (uint64_t)t);
    h = ar_mix64(h ^ bp);
    h = ar_mix64(h ^ bq);
    return h ? h : 1; /* 0 marks an empty slot */
}

static void parse_binance(ar_feed_parser *p, nd root) {
    nd data = nd_get(root, "data");
    size_t sl;
    if (nd_is_obj(data) && get_str(root, "stream", &sl) != NULL) root = data;
    size_t el = 0;
    const char *e = get_str(root, "e", &el);
    if (e == NULL) {
        nd id = nd_get(root, "id");
        nd err = nd_get(root, "error");
        if (nd_is_obj(err)) {
            int64_t code = 0;
            get_int(err, "code", &code);
            emit_kind(p, AR_FEED_ERROR, -1, 0, code);
            return;
        }
        if (nd_has(id) && nd_has(nd_get(root, "result"))) {
            int64_t n = 0;
            get_int(root, "id", &n);
            emit_kind(p, AR_FEED_ACK, -1, 0, n);
            return;
        }
        if (nd_has(nd_get(root, "b")) && nd_has(nd_get(root, "a")) && nd_has(nd_get(root, "u"))) {
            int sym = find_sym(p, nd_get(root, "s"));
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
            if (nd_has(nd_get(root, "E"))) get_ms(root, "E", &t);
            book_top(p, sym, t, b, bq, a, aq);
            return;
        }
        emit_kind(p, AR_FEED_IGNORED, -1, 0, 0);
        return;
    }
    int is_trade = str_is(e, el, "trade"), is_agg = !is_trade && str_is(e, el, "aggTrade");
    if (is_trade || is_agg) {
        int sym = find_sym(p, nd_get(root, "s"));
        if (sym < 0) {
            reject(p, AR_FEED_REJ_UNKNOWN_SYMBOL);
            return;
        }
        double px, qty;
        int64_t t, id = 0;
        nd m = nd_get(root, "m");
        if (get_num(root, "p", &px) || get_num(root, "q", &qty) ||
            (get_ms(root, "T", &t) && get_ms(root, "E", &t)) || !nd_is_bool(m)) {
            reject(p, AR_FEED_REJ_BAD_FIELD);
            return;
        }
        /* the same trade id of a symbol twice (a proxy or a replay that
         * resends) is one trade */
        if (get_int(root, is_trade ? "t" : "a", &id) == 0 && id_seen(p, trade_key(id, sym, is_agg ? 2 : 1, t, px, qty))) {
            reject(p, AR_FEED_REJ_DUPLICATE);
            return;
        }
        trade(p, sym, t, px, qty, nd_is_true(m) ? -1 : 1, id);
        return;
    }
    if (str_is(e, el, "kline")) {
        nd k = nd_get(root, "k");
        int sym = find_sym(p, nd_get(root, "s"));
        if (sym < 0) sym = find_sym(p, nd_get(k, "s"));
        if (sym < 0) {
            reject(p, AR_FEED_REJ_UNKNOWN_SYMBOL);
            return;
        }
        ar_feed_event ev = {0};
        nd x = nd_get(k, "x");
        if (!nd_is_obj(k) || !nd_is_bool(x) || kline_fields(k, &ev)) {
            reject(p, AR_FEED_REJ_BAD_FIELD);
            return;
        }
        if (!nd_is_true(x)) {
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

static int first_level(nd side, double *px, double *sz) {
    nd l = nd_at(side, 0);
    if (!nd_is_obj(l)) return -1;
    return (get_num(l, "px", px) || get_num(l, "sz", sz)) ? -1 : 0;
}

static void parse_hyperliquid(ar_feed_parser *p, nd root) {
    size_t cl = 0;
    const char *ch = get_str(root, "channel", &cl);
    nd data = nd_get(root, "data");
    if (ch == NULL) {
        reject(p, AR_FEED_REJ_BAD_FIELD);
        return;
    }
    if (str_is(ch, cl, "trades")) {
        if (!nd_is_arr(data)) {
            reject(p, AR_FEED_REJ_BAD_FIELD);
            return;
        }
        nd_iter it = nd_elems(data);
        nd tr;
        while (nd_next(&it, &tr)) {
            int sym = find_sym(p, nd_get(tr, "coin"));
            if (sym < 0) {
                reject(p, AR_FEED_REJ_UNKNOWN_SYMBOL);
                continue;
            }
            size_t sl = 0;
            const char *side = get_str(tr, "side", &sl);
            double px, sz;
            int64_t t, tid = 0;
            if (side == NULL || get_num(tr, "px", &px) || get_num(tr, "sz", &sz) || get_ms(tr, "time", &t)) {
                reject(p, AR_FEED_REJ_BAD_FIELD);
                continue;
            }
            /* Hyperliquid resends its recent trades on every subscribe */
            if (get_int(tr, "tid", &tid) == 0 && id_seen(p, trade_key(tid, sym, 3, t, px, sz))) {
                reject(p, AR_FEED_REJ_DUPLICATE);
                continue;
            }
            trade(p, sym, t, px, sz, str_is(side, sl, "B") ? 1 : str_is(side, sl, "A") ? -1 : 0, tid);
        }
        return;
    }
    if (str_is(ch, cl, "l2Book")) {
        int sym = find_sym(p, nd_get(data, "coin"));
        if (sym < 0) {
            reject(p, AR_FEED_REJ_UNKNOWN_SYMBOL);
            return;
        }
        nd lv = nd_get(data, "levels");
        int64_t t;
        if (!nd_is_arr(lv) || nd_size(lv) != 2 || get_ms(data, "time", &t)) {
            reject(p, AR_FEED_REJ_BAD_FIELD);
            return;
        }
        nd bids = nd_at(lv, 0), asks = nd_at(lv, 1);
        if (!nd_is_arr(bids) || !nd_is_arr(asks)) {
            reject(p, AR_FEED_REJ_BAD_FIELD);
            return;
        }
        if (nd_size(bids) == 0 || nd_size(asks) == 0) {
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
    if (str_is(ch, cl, "candle")) {
        int sym = find_sym(p, nd_get(data, "s"));
        if (sym < 0) {
            reject(p, AR_FEED_REJ_UNKNOWN_SYMBOL);
            return;
        }
        ar_feed_event ev = {0};
        if (!nd_is_obj(data) || kline_fields(data, &ev)) {
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
    if (str_is(ch, cl, "subscriptionResponse")) {
        emit_kind(p, AR_FEED_ACK, -1, 0, 0);
        return;
    }
    if (str_is(ch, cl, "pong")) {
        emit_kind(p, AR_FEED_HEARTBEAT, -1, 0, 0);
        return;
    }
    if (str_is(ch, cl, "error")) {
        emit_kind(p, AR_FEED_ERROR, -1, 0, 0);
        return;
    }
    emit_kind(p, AR_FEED_IGNORED, -1, 0, 0);
}

/* ---- Coinbase ------------------------------------------------------------- */

/* ar_hash_str(0x9e37..., id) over len bytes (ids hold no NUL byte). */
static uint64_t id_hash(const char *s, size_t len) {
    uint64_t f = UINT64_C(1469598103934665603); /* FNV-1a, as ar_hash_str */
    for (size_t i = 0; i < len; i++) f = (f ^ (unsigned char)s[i]) * UINT64_C(1099511628211);
    uint64_t h = ar_mix64(UINT64_C(0x9e3779b97f4a7c15) ^ f);
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

static void cb_trades(ar_feed_parser *p, nd trades) {
    size_t n = nd_size(trades);
    /* Batches (snapshots especially) may come newest first: walk oldest first. */
    int64_t t0 = 0, t1 = 0;
    int rev = n > 1 && !get_iso(nd_at(trades, 0), "time", &t0) &&
              !get_iso(nd_at(trades, n - 1), "time", &t1) && t0 > t1;
    nd_iter it = nd_elems(trades);
    for (size_t k = 0; k < n; k++) {
        nd tr;
        if (rev) tr = nd_at(trades, n - 1 - k); /* bounded by the scanner's token limit */
        else if (!nd_next(&it, &tr)) break;
        int sym = find_sym(p, nd_get(tr, "product_id"));
        if (sym < 0) {
            reject(p, AR_FEED_REJ_UNKNOWN_SYMBOL);
            continue;
        }
        size_t il = 0, sl = 0;
        const char *id = get_str(tr, "trade_id", &il), *side = get_str(tr, "side", &sl);
        double px, sz;
        int64_t t, nid = 0;
        if (id == NULL || side == NULL || get_num(tr, "price", &px) || get_num(tr, "size", &sz) ||
            get_iso(tr, "time", &t)) {
            reject(p, AR_FEED_REJ_BAD_FIELD);
            continue;
        }
        /* Coinbase numbers trades per product: the same id on two products
         * is two trades */
        if (id_seen(p, id_hash(id, il) ^ ((uint64_t)(sym + 1) * UINT64_C(0x9E3779B97F4A7C15)))) {
            reject(p, AR_FEED_REJ_DUPLICATE);
            continue;
        }
        get_int(tr, "trade_id", &nid);
        trade(p, sym, t, px, sz, str_is(side, sl, "BUY") ? 1 : str_is(side, sl, "SELL") ? -1 : 0, nid);
    }
}

static void cb_level2(ar_feed_parser *p, nd ev, int64_t t) {
    int sym = find_sym(p, nd_get(ev, "product_id"));
    if (sym < 0) {
        reject(p, AR_FEED_REJ_UNKNOWN_SYMBOL);
        return;
    }
    size_t tl = 0;
    const char *type = get_str(ev, "type", &tl);
    nd ups = nd_get(ev, "updates");
    if (type == NULL || !nd_is_arr(ups)) {
        reject(p, AR_FEED_REJ_BAD_FIELD);
        return;
    }
    sym_state *s = &p->s[sym];
    if (str_is(type, tl, "snapshot")) s->bids.n = s->asks.n = 0;
    nd_iter it = nd_elems(ups);
    nd u;
    int bad = 0;
    while (nd_next(&it, &u)) {
        size_t sl = 0;
        const char *side = get_str(u, "side", &sl);
        double px, q;
        if (side == NULL || get_num(u, "price_level", &px) || get_num(u, "new_quantity", &q) ||
            !(px > 0) || !(q >= 0)) {
            bad = 1;
            continue;
        }
        book_side *b = str_is(side, sl, "bid") ? &s->bids : str_is(side, sl, "offer") ? &s->asks : NULL;
        if (b == NULL || book_set(b, px, q) != 0) bad = 1;
    }
    if (bad) reject(p, AR_FEED_REJ_BAD_FIELD);
    if (s->bids.n == 0 || s->asks.n == 0) {
        emit_kind(p, AR_FEED_IGNORED, sym, t, 0);
        return;
    }
    book_top(p, sym, t, s->bids.v[0].px, s->bids.v[0].qty, s->asks.v[0].px, s->asks.v[0].qty);
}

static void parse_coinbase(ar_feed_parser *p, nd root) {
    size_t tl = 0, cl = 0;
    const char *type = get_str(root, "type", &tl);
    if (str_is(type, tl, "error")) {
        emit_kind(p, AR_FEED_ERROR, -1, 0, 0);
        return;
    }
    const char *ch = get_str(root, "channel", &cl);
    if (ch == NULL) {
        reject(p, AR_FEED_REJ_BAD_FIELD);
        return;
    }
    int64_t seq;
    if (get_int(root, "sequence_num", &seq) == 0) {
        /* unsigned: after INT64_MAX the next number wraps instead of overflowing */
        if (p->have_seq && (uint64_t)seq != (uint64_t)p->last_seq + 1) {
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
    nd events = nd_get(root, "events");
    if (str_is(ch, cl, "heartbeats")) {
        int64_t n = 0;
        get_int(nd_at(events, 0), "heartbeat_counter", &n);
        emit_kind(p, AR_FEED_HEARTBEAT, -1, t, n);
        return;
    }
    if (str_is(ch, cl, "subscriptions")) {
        emit_kind(p, AR_FEED_ACK, -1, t, 0);
        return;
    }
    int trades = str_is(ch, cl, "market_trades"), l2 = !trades && str_is(ch, cl, "l2_data");
    if (!trades && !l2) {
        emit_kind(p, AR_FEED_IGNORED, -1, t, 0);
        return;
    }
    if (!nd_is_arr(events)) {
        reject(p, AR_FEED_REJ_BAD_FIELD);
        return;
    }
    nd_iter it = nd_elems(events);
    nd ev;
    while (nd_next(&it, &ev)) {
        if (trades) {
            nd tr = nd_get(ev, "trades");
            if (!nd_is_arr(tr)) reject(p, AR_FEED_REJ_BAD_FIELD);
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
    nd root;
    json_t *j = NULL;
    if (p->fast && ar__ft_scan(msg, len, p->tok, AR_FT_MAX_TOKENS) > 0) {
        p->fast_msgs++;
        root = nd_tok(p->tok);
    } else {
        j = json_loadb(msg, len, 0, NULL);
        if (j == NULL || !json_is_object(j)) {
            json_decref(j);
            reject(p, AR_FEED_REJ_BAD_JSON);
            return 0;
        }
        root = nd_json(j);
    }
    switch (p->ex) {
    case AR_EX_BINANCE: parse_binance(p, root); break;
    case AR_EX_HYPERLIQUID: parse_hyperliquid(p, root); break;
    default: parse_coinbase(p, root); break;
    }
    json_decref(j);
    return p->delivered;
}
