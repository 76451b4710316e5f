/* src/market/csv.c - CSV import of OHLCV bars, Binance klines and trades.
 *
 * The file is read through zlib (gzopen reads plain files transparently) in
 * big blocks; each line is split in place (separators become NULs) and its
 * fields are parsed without copying. Numbers take Clinger's exact fast path
 * (at most 19 significant digits and a power of ten up to 1e22, which covers
 * every price in exchange exports) and fall back to strtod otherwise, so the
 * result is always the correctly rounded double. Timestamps go through
 * ar_time_parse, which is hand-written for the same reason.
 *
 * Every rejected row names the file and the physical line (1-based, header
 * included). On any error the symbol is left exactly as it was: rows already
 * pushed by this call are dropped. One call is single-threaded and touches
 * only sym. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "arena/market.h"
#include "arena/util.h"
#include "market/csv_int.h"

#define MAXF 64               /* fields kept per line; more are counted only */
#define BLOCK (1u << 22)      /* read size: big blocks keep the parse loop hot */

/* ---- block reader ---------------------------------------------------------- */

typedef struct reader {
    gzFile gz;
    char *buf;
    size_t cap, len, pos;
    int eof;
    size_t lines; /* lines handed out so far */
} reader;

/* zlib's message, without the "PATH: " it puts first. */
static const char *gz_msg(gzFile gz, const char *path) {
    int zerr = 0;
    const char *msg = gzerror(gz, &zerr);
    if (zerr == Z_ERRNO) return strerror(errno);
    size_t n = strlen(path);
    if (msg != NULL && !strncmp(msg, path, n) && msg[n] == ':' && msg[n + 1] == ' ') msg += n + 2;
    return msg != NULL ? msg : "unknown error";
}

/* Next line (without '\n'), NUL-terminated in place. 1: a line, 0: end of
 * file, -1: read error or ENOMEM (eb filled). */
static int next_line(reader *r, const char *path, char **line, size_t *n, ar_errbuf *eb) {
    for (;;) {
        char *start = r->buf + r->pos;
        char *nl = r->len > r->pos ? memchr(start, '\n', r->len - r->pos) : NULL;
        if (nl != NULL) {
            *nl = '\0';
            *line = start;
            *n = (size_t)(nl - start);
            r->pos = (size_t)(nl - r->buf) + 1;
            r->lines++;
            return 1;
        }
        if (r->eof) {
            if (r->pos >= r->len) return 0;
            /* last line without a newline; len < cap always holds for the NUL */
            r->buf[r->len] = '\0';
            *line = start;
            *n = r->len - r->pos;
            r->pos = r->len;
            r->lines++;
            return 1;
        }
        /* keep the partial line, then fill the rest of the buffer */
        size_t keep = r->len - r->pos;
        memmove(r->buf, start, keep);
        r->len = keep;
        r->pos = 0;
        if (r->cap - r->len < BLOCK / 2) {
            size_t nc = r->cap * 2;
            char *nb = realloc(r->buf, nc);
            if (nb == NULL) {
                ar_errf(eb, AR_ENOMEM, "%s: out of memory (line longer than %zu bytes?)", path, r->cap);
                return -1;
            }
            r->buf = nb;
            r->cap = nc;
        }
        int want = (int)(r->cap - r->len - 1 > (size_t)1 << 30 ? (size_t)1 << 30 : r->cap - r->len - 1);
        int got = gzread(r->gz, r->buf + r->len, (unsigned)want);
        int zerr = Z_OK;
        if (got <= 0) gzerror(r->gz, &zerr);
        if (got < 0 || zerr != Z_OK) { /* e.g. a truncated .gz: "unexpected end of file" */
            ar_errf(eb, AR_EIO, "%s: read error after line %zu: %s", path, r->lines, gz_msg(r->gz, path));
            return -1;
        }
        if (got == 0) r->eof = 1;
        r->len += (size_t)got;
    }
}

/* ---- fields and numbers -------------------------------------------------------- */

typedef struct field {
    char *s;
    size_t n;
} field;

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Split line at commas in place; trims blanks and one pair of quotes. Returns
 * the number of fields (may exceed MAXF: only the first MAXF are stored). */
static size_t split(char *line, size_t n, field *f) {
    size_t nf = 0;
    char *p = line, *end = line + n;
    for (;;) {
        char *c = memchr(p, ',', (size_t)(end - p));
        char *fe = c ? c : end;
        char *fs = p;
        while (fs < fe && is_space(*fs)) fs++;
        char *te = fe;
        while (te > fs && is_space(te[-1])) te--;
        if (te - fs >= 2 && *fs == '"' && te[-1] == '"') {
            fs++;
            te--;
        }
        if (nf < MAXF) {
            *te = '\0'; /* te <= fe, and *fe is ',' or the line's NUL */
            f[nf].s = fs;
            f[nf].n = (size_t)(te - fs);
        }
        nf++;
        if (c == NULL) break;
        p = c + 1;
    }
    return nf;
}

static const double pow10_exact[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Decimal number [+-]digits[.digits][(e|E)[+-]digits] -> *out. 0 ok, -1 not
 * a number of that form (so "nan", "inf" and hex are refused). */
static int parse_num(const char *s, size_t n, double *out) {
    const char *p = s, *end = s + n;
    int neg = 0;
    if (p < end && (*p == '-' || *p == '+')) neg = *p++ == '-';
    uint64_t m = 0;
    int nd = 0, exp10 = 0, any = 0, lost = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        int d = *p++ - '0';
        any = 1;
        if (m == 0 && d == 0) continue;
        if (nd < 19) {
            m = m * 10 + (uint64_t)d;
            nd++;
        } else {
            exp10++;
            lost |= d != 0;
        }
    }
    if (p < end && *p == '.') {
        p++;
        while (p < end && *p >= '0' && *p <= '9') {
            int d = *p++ - '0';
            any = 1;
            if (m == 0 && d == 0) {
                exp10--;
                continue;
            }
            if (nd < 19) {
                m = m * 10 + (uint64_t)d;
                nd++;
                exp10--;
            } else {
                lost |= d != 0;
            }
        }
    }
    if (!any) return -1;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0, e = 0, edig = 0;
        if (p < end && (*p == '-' || *p == '+')) eneg = *p++ == '-';
        while (p < end && *p >= '0' && *p <= '9') {
            if (e < 100000) e = e * 10 + (*p - '0');
            p++;
            edig = 1;
        }
        if (!edig) return -1;
        exp10 += eneg ? -e : e;
    }
    if (p != end) return -1;
    double v;
    if (!lost && m < (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
        v = exp10 < 0 ? (double)m / pow10_exact[-exp10] : (double)m * pow10_exact[exp10];
    } else {
        /* rare: the field is NUL-terminated in place by split() */
        *out = strtod(s, NULL); /* applies the sign itself */
        return 0;
    }
    *out = neg ? -v : v;
    return 0;
}

/* ---- import context ---------------------------------------------------------------- */

enum { C_TIME, C_OPEN, C_HIGH, C_LOW, C_CLOSE, C_VOL, C_PRICE, C_QTY, C_SIDE, C_NCOL };
static const char *const col_label[C_NCOL] = {"time", "open", "high", "low", "close",
                                              "volume", "price", "qty", "side"};

#define STEP_SLOTS 64 /* distinct bar steps tracked for the interval vote */

typedef struct ctx {
    const char *path;
    size_t line;
    ar_csv_kind kind;
    int col[C_NCOL];        /* field index per role, -1 absent */
    int need;               /* fields a row must have */
    int side_is_maker;      /* the side column is an is_buyer_maker flag */
    ar_symbol *sym;
    int64_t prev;
    int have_prev;          /* prev is set (existing rows count) */
    int prev_in_file;       /* prev came from this call: its step votes */
    int64_t step_v[STEP_SLOTS];
    size_t step_c[STEP_SLOTS];
    ar_errbuf *eb;
} ctx;

static void vote_step(ctx *c, int64_t step) {
    /* open addressing on a tiny table: real files have one or a few steps */
    size_t h = (size_t)(ar_mix64((uint64_t)step) % STEP_SLOTS);
    for (size_t k = 0; k < STEP_SLOTS; k++) {
        size_t i = (h + k) % STEP_SLOTS;
        if (c->step_c[i] == 0) {
            c->step_v[i] = step;
            c->step_c[i] = 1;
            return;
        }
        if (c->step_v[i] == step) {
            c->step_c[i]++;
            return;
        }
    }
    /* table full: so many distinct steps that one more cannot be the mode */
}

static int64_t mode_step(const ctx *c) {
    int64_t best = 0;
    size_t bc = 0;
    for (size_t i = 0; i < STEP_SLOTS; i++)
        if (c->step_c[i] > bc || (c->step_c[i] == bc && bc > 0 && c->step_v[i] < best)) {
            best = c->step_v[i];
            bc = c->step_c[i];
        }
    return best;
}

static int ieq(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        if (x != *b) return 0;
    }
    return *a == *b;
}

static int name_in(const char *name, const char *const *list) {
    for (int i = 0; list[i]; i++)
        if (ieq(name, list[i])) return i;
    return -1;
}

static ar_err fail(ctx *c, ar_err code, const char *fmt, const char *a, const char *b) {
    char what[900];
    snprintf(what, sizeof what, fmt, a, b);
    return ar_errf(c->eb, code, "%s:%zu: %s", c->path, c->line, what);
}

/* Read the header line into c->col for the wanted kind (AUTO resolves). */
static ar_err read_header(ctx *c, field *f, size_t nf) {
    static const char *const time_names[] = {"timestamp", "time", "date", "datetime", "open_time", NULL};
    static const char *const qty_names[] = {"amount", "qty", "size", "quantity", NULL};
    static const char *const maker_names[] = {"is_buyer_maker", "isbuyermaker", "buyer_maker", NULL};
    for (int k = 0; k < C_NCOL; k++) c->col[k] = -1;
    int time_rank = 99;
    size_t use = nf < MAXF ? nf : MAXF;
    for (size_t i = 0; i < use; i++) {
        const char *h = f[i].s;
        int r = name_in(h, time_names);
        if (r >= 0 && r < time_rank) {
            time_rank = r;
            c->col[C_TIME] = (int)i;
        }
        if (ieq(h, "open") && c->col[C_OPEN] < 0) c->col[C_OPEN] = (int)i;
        if (ieq(h, "high") && c->col[C_HIGH] < 0) c->col[C_HIGH] = (int)i;
        if (ieq(h, "low") && c->col[C_LOW] < 0) c->col[C_LOW] = (int)i;
        if (ieq(h, "close") && c->col[C_CLOSE] < 0) c->col[C_CLOSE] = (int)i;
        if (ieq(h, "volume") && c->col[C_VOL] < 0) c->col[C_VOL] = (int)i;
        if (ieq(h, "price") && c->col[C_PRICE] < 0) c->col[C_PRICE] = (int)i;
        if (name_in(h, qty_names) >= 0 && c->col[C_QTY] < 0) c->col[C_QTY] = (int)i;
        if (ieq(h, "side") && c->col[C_SIDE] < 0) c->col[C_SIDE] = (int)i;
        if (name_in(h, maker_names) >= 0 && c->col[C_SIDE] < 0) {
            c->col[C_SIDE] = (int)i;
            c->side_is_maker = 1;
        }
    }
    int has_ohlc = c->col[C_OPEN] >= 0 && c->col[C_HIGH] >= 0 && c->col[C_LOW] >= 0 && c->col[C_CLOSE] >= 0;
    int has_trade = c->col[C_PRICE] >= 0 && c->col[C_QTY] >= 0;
    if (c->kind == AR_CSV_AUTO) {
        if (has_ohlc) c->kind = AR_CSV_OHLCV;
        else if (has_trade) c->kind = AR_CSV_TRADES;
        else
            return fail(c, AR_EFORMAT, "header names neither open,high,low,close nor price,amount%s%s "
                        "(expected an OHLCV or a trades header)", "", "");
    }
    if (c->col[C_TIME] < 0)
        return fail(c, AR_EFORMAT, "header has no time column (expected one of timestamp, time, date, datetime, open_time)%s%s", "", "");
    int roles_bars[] = {C_OPEN, C_HIGH, C_LOW, C_CLOSE};
    int roles_trades[] = {C_PRICE, C_QTY};
    int *roles = c->kind == AR_CSV_OHLCV ? roles_bars : roles_trades;
    int nroles = c->kind == AR_CSV_OHLCV ? 4 : 2;
    for (int k = 0; k < nroles; k++)
        if (c->col[roles[k]] < 0)
            return fail(c, AR_EFORMAT, "header has no '%s' column (expected %s)", col_label[roles[k]],
                        c->kind == AR_CSV_OHLCV ? "timestamp,open,high,low,close[,volume]"
                                                : "timestamp,price,amount|qty|size|quantity[,side]");
    int used[] = {C_TIME, C_OPEN, C_HIGH, C_LOW, C_CLOSE, C_VOL};
    int usedt[] = {C_TIME, C_PRICE, C_QTY, C_SIDE};
    int *u = c->kind == AR_CSV_OHLCV ? used : usedt;
    int nu = c->kind == AR_CSV_OHLCV ? 6 : 4;
    c->need = 0;
    for (int k = 0; k < nu; k++)
        if (c->col[u[k]] + 1 > c->need) c->need = c->col[u[k]] + 1;
    return AR_OK;
}

/* A numeric field that must be finite and >= 0. */
static ar_err get_num(ctx *c, const field *f, const char *label, double *out) {
    if (f->n == 0) return fail(c, AR_EFORMAT, "%s is empty (expected a number)%s", label, "");
    if (parse_num(f->s, f->n, out) != 0) {
        char l3[4] = {0};
        for (int i = 0; i < 3 && (size_t)i < f->n; i++)
            l3[i] = (char)(f->s[i] >= 'A' && f->s[i] <= 'Z' ? f->s[i] + 32 : f->s[i]);
        const char *p = l3[0] == '-' || l3[0] == '+' ? l3 + 1 : l3;
        char shown[80];
        snprintf(shown, sizeof shown, "%s '%.60s'", label, f->s);
        if (!strncmp(p, "nan", 3) || !strncmp(p, "inf", 3))
            return fail(c, AR_EFORMAT, "%s is not finite (expected a finite number)%s", shown, "");
        return fail(c, AR_EFORMAT, "%s is not a number (expected a decimal like 101.25)%s", shown, "");
    }
    if (!isfinite(*out)) return fail(c, AR_ERANGE, "%s '%s' overflows (expected a finite number)", label, f->s);
    if (*out < 0) return fail(c, AR_ERANGE, "%s %s is negative (expected >= 0)", label, f->s);
    return AR_OK;
}

static ar_err get_time(ctx *c, const field *f, int64_t *t) {
    if (c->kind == AR_CSV_KLINE) {
        /* Binance klines: open time in ms, or in us from 2025 on (> 1e14) */
        uint64_t v = 0;
        size_t i = 0;
        for (; i < f->n && f->s[i] >= '0' && f->s[i] <= '9' && v < UINT64_C(1) << 60; i++)
            v = v * 10 + (uint64_t)(f->s[i] - '0');
        if (f->n == 0 || i != f->n || v >= UINT64_C(1) << 60)
            return fail(c, AR_EFORMAT, "open time '%.60s' is not an integer (expected epoch milliseconds or microseconds)%s", f->s, "");
        int64_t unit = v > UINT64_C(100000000000000) ? AR_NS_PER_US : AR_NS_PER_MS;
        if (v > (uint64_t)(INT64_MAX / unit)) /* past 2262-04-11 in int64 ns */
            return fail(c, AR_EFORMAT, "open time '%.60s' is out of range (expected epoch milliseconds or microseconds)%s", f->s, "");
        *t = (int64_t)v * unit;
        return AR_OK;
    }
    ar_errbuf teb;
    if (ar_time_parse(f->s, f->n, t, &teb) != AR_OK)
        return ar_errf(c->eb, AR_EFORMAT, "%s:%zu: %s", c->path, c->line, teb.msg);
    return AR_OK;
}

static ar_err order_error(ctx *c, int64_t t, const char *what, const char *expect) {
    char a[48], b[48], msg[300];
    ar_time_format(t, a, sizeof a);
    ar_time_format(c->prev, b, sizeof b);
    if (t == c->prev)
        snprintf(msg, sizeof msg, "duplicate %s time %s (expected %s times)", what, a, expect);
    else
        snprintf(msg, sizeof msg, "%s time %s is before the previous %s (expected %s times)", what, a, b, expect);
    return ar_errf(c->eb, AR_EFORMAT, "%s:%zu: %s", c->path, c->line, msg);
}

static ar_err bar_row(ctx *c, field *f, size_t nf) {
    if (nf < (size_t)c->need) {
        char a[24], b[24];
        snprintf(a, sizeof a, "%zu", nf);
        snprintf(b, sizeof b, "%d", c->need);
        return fail(c, AR_EFORMAT, "%s fields, expected at least %s", a, b);
    }
    int64_t t;
    double v[5];
    ar_err e = get_time(c, &f[c->col[C_TIME]], &t);
    if (e != AR_OK) return e;
    for (int k = 0; k < 4; k++)
        if ((e = get_num(c, &f[c->col[C_OPEN + k]], col_label[C_OPEN + k], &v[k])) != AR_OK) return e;
    v[4] = 0;
    if (c->col[C_VOL] >= 0 && (e = get_num(c, &f[c->col[C_VOL]], "volume", &v[4])) != AR_OK) return e;
    double o = v[0], h = v[1], l = v[2], cl = v[3];
    char a[40], b[40], msg[200];
    if (h < l) {
        snprintf(a, sizeof a, "%.15g", h);
        snprintf(b, sizeof b, "%.15g", l);
        snprintf(msg, sizeof msg, "high %s < low %s (expected high >= low)", a, b);
        return ar_errf(c->eb, AR_EFORMAT, "%s:%zu: %s", c->path, c->line, msg);
    }
    if (h < o || h < cl) {
        snprintf(a, sizeof a, "%.15g", h);
        snprintf(b, sizeof b, "%.15g", h < o ? o : cl);
        snprintf(msg, sizeof msg, "high %s < %s %s (expected high >= max(open, close))", a, h < o ? "open" : "close", b);
        return ar_errf(c->eb, AR_EFORMAT, "%s:%zu: %s", c->path, c->line, msg);
    }
    if (l > o || l > cl) {
        snprintf(a, sizeof a, "%.15g", l);
        snprintf(b, sizeof b, "%.15g", l > o ? o : cl);
        snprintf(msg, sizeof msg, "low %s > %s %s (expected low <= min(open, close))", a, l > o ? "open" : "close", b);
        return ar_errf(c->eb, AR_EFORMAT, "%s:%zu: %s", c->path, c->line, msg);
    }
    if (c->have_prev) {
        if (t <= c->prev) return order_error(c, t, "bar", "strictly increasing");
        /* t > prev, but the difference of two int64 times may not fit:
         * a step of more than 292 years gets no vote */
        uint64_t step = (uint64_t)t - (uint64_t)c->prev;
        if (c->prev_in_file && step <= (uint64_t)INT64_MAX) vote_step(c, (int64_t)step);
    }
    if (ar_bars_push(&c->sym->bars, t, o, h, l, cl, v[4]) != AR_OK)
        return ar_errf(c->eb, AR_ENOMEM, "%s:%zu: out of memory", c->path, c->line);
    c->prev = t;
    c->have_prev = c->prev_in_file = 1;
    return AR_OK;
}

static ar_err trade_row(ctx *c, field *f, size_t nf) {
    if (nf < (size_t)c->need) {
        char a[24], b[24];
        snprintf(a, sizeof a, "%zu", nf);
        snprintf(b, sizeof b, "%d", c->need);
        return fail(c, AR_EFORMAT, "%s fields, expected at least %s", a, b);
    }
    int64_t t;
    double price, qty;
    ar_err e = get_time(c, &f[c->col[C_TIME]], &t);
    if (e != AR_OK) return e;
    if ((e = get_num(c, &f[c->col[C_PRICE]], "price", &price)) != AR_OK) return e;
    if ((e = get_num(c, &f[c->col[C_QTY]], "qty", &qty)) != AR_OK) return e;
    int8_t side = 0;
    if (c->col[C_SIDE] >= 0) {
        const char *s = f[c->col[C_SIDE]].s;
        /* true/false is Binance's is_buyer_maker: a maker buyer means the
         * aggressor sold. */
        if (s[0] == '\0') side = 0;
        else if (!c->side_is_maker && (ieq(s, "buy") || ieq(s, "b"))) side = 1;
        else if (!c->side_is_maker && (ieq(s, "sell") || ieq(s, "s"))) side = -1;
        else if (ieq(s, "true")) side = -1;
        else if (ieq(s, "false")) side = 1;
        else
            return fail(c, AR_EFORMAT, "side '%.60s' (expected %s)", s,
                        c->side_is_maker ? "true or false" : "buy, sell, b, s, true or false");
    }
    if (c->have_prev && t < c->prev) return order_error(c, t, "trade", "non-decreasing");
    if (ar_trades_push(&c->sym->trades, t, price, qty, side) != AR_OK)
        return ar_errf(c->eb, AR_ENOMEM, "%s:%zu: out of memory", c->path, c->line);
    c->prev = t;
    c->have_prev = 1;
    return AR_OK;
}

static int looks_numeric(const field *f) {
    double d;
    return f->n > 0 && parse_num(f->s, f->n, &d) == 0;
}

static int looks_time(const field *f) {
    int64_t t;
    return f->n > 0 && ar_time_parse(f->s, f->n, &t, NULL) == AR_OK;
}

/* Binance kline columns: open time, open, high, low, close, base volume, ... */
static void setup_kline(ctx *c) {
    c->kind = AR_CSV_KLINE;
    c->col[C_TIME] = 0;
    c->col[C_OPEN] = 1;
    c->col[C_HIGH] = 2;
    c->col[C_LOW] = 3;
    c->col[C_CLOSE] = 4;
    c->col[C_VOL] = 5;
    c->need = 12;
    if (c->sym->bars.n) c->prev = c->sym->bars.row[c->sym->bars.n - 1].t, c->have_prev = 1;
}

/* The parse proper, over an opened reader (a file, or a buffer with eof set).
 * Closes r->gz when there is one and frees r->buf. */
static ar_err import(reader *rp, const char *path, ar_csv_kind kind, ar_symbol *sym, ar_errbuf *eb) {
    reader r = *rp;
    ctx c;
    memset(&c, 0, sizeof c);
    c.path = path;
    c.kind = kind;
    c.sym = sym;
    c.eb = eb;
    for (int k = 0; k < C_NCOL; k++) c.col[k] = -1;

    size_t nb0 = sym->bars.n, nt0 = sym->trades.n;
    int64_t iv0 = sym->interval;
    field f[MAXF];
    char *line;
    size_t n;
    int rc, started = 0;
    ar_err e = AR_OK;
    while ((rc = next_line(&r, path, &line, &n, eb)) == 1) {
        c.line++;
        if (c.line == 1 && n >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) { /* UTF-8 BOM */
            line += 3;
            n -= 3;
        }
        if (n == 0 || (n == 1 && line[0] == '\r')) continue;
        size_t nf = split(line, n, f);
        if (!started) {
            started = 1;
            int header = !looks_numeric(&f[0]) && !looks_time(&f[0]);
            if (header && c.kind == AR_CSV_KLINE) { /* newer Binance dumps carry one */
                setup_kline(&c);
                continue;
            }
            if (header) {
                if ((e = read_header(&c, f, nf)) != AR_OK) break;
                if (c.kind == AR_CSV_TRADES) {
                    /* trades continue after the symbol's last trade */
                    if (sym->trades.n) c.prev = sym->trades.t[sym->trades.n - 1], c.have_prev = 1;
                } else if (sym->bars.n) {
                    c.prev = sym->bars.row[sym->bars.n - 1].t, c.have_prev = 1;
                }
                continue;
            }
            if (c.kind == AR_CSV_OHLCV || c.kind == AR_CSV_TRADES) {
                e = fail(&c, AR_EFORMAT, "no header line (expected column names such as %s%s)",
                         c.kind == AR_CSV_OHLCV ? "timestamp,open,high,low,close,volume" : "timestamp,price,amount,side", "");
                break;
            }
            if (nf != 12) {
                char a[24];
                snprintf(a, sizeof a, "%zu", nf);
                e = fail(&c, AR_EFORMAT, "no header and %s columns (expected a header naming timestamp,open,high,low,close "
                         "or a 12-column Binance kline row)%s", a, "");
                break;
            }
            setup_kline(&c);
        }
        e = c.kind == AR_CSV_TRADES ? trade_row(&c, f, nf) : bar_row(&c, f, nf);
        if (e != AR_OK) break;
    }
    if (rc < 0) e = AR_EIO;
    if (r.gz != NULL) gzclose(r.gz);
    free(r.buf);
    if (e == AR_OK && !started) e = ar_errf(eb, AR_EFORMAT, "%s: empty file (expected a header and rows)", path);
    /* a header alone would add a symbol with no data, which no run can use */
    if (e == AR_OK && sym->bars.n == nb0 && sym->trades.n == nt0)
        e = ar_errf(eb, AR_EFORMAT, "%s: no rows after the header (expected at least one row of data)", path);
    if (e == AR_OK && c.kind != AR_CSV_TRADES) {
        int64_t step = mode_step(&c);
        if (step > 0 && sym->interval == 0) {
            sym->interval = step;
        } else if (step > 0 && step != sym->interval) {
            char a[32], b[32];
            ar_duration_format(step, a, sizeof a);
            ar_duration_format(sym->interval, b, sizeof b);
            e = ar_errf(eb, AR_EFORMAT, "%s: bar interval %s differs from the symbol's %s (expected the same interval in every file)", path, a, b);
        }
    }
    if (e != AR_OK) { /* leave the symbol as it was */
        sym->bars.n = nb0;
        sym->trades.n = nt0;
        sym->interval = iv0;
    }
    return e;
}

ar_err ar_csv_import(const char *path, ar_csv_kind kind, ar_symbol *sym, ar_errbuf *eb) {
    if (path == NULL || sym == NULL) return ar_errf(eb, AR_EINVAL, "ar_csv_import: NULL argument");
    reader r = {0};
    errno = 0;
    r.gz = gzopen(path, "rb");
    if (r.gz == NULL)
        return ar_errf(eb, AR_EIO, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
    gzbuffer(r.gz, 1u << 20);
    r.cap = BLOCK;
    r.buf = malloc(r.cap);
    if (r.buf == NULL) {
        gzclose(r.gz);
        return ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
    }
    return import(&r, path, kind, sym, eb);
}

/* csv_int.h: the same parse over bytes already in memory (plain text, no
 * zlib). The whole input is one block at end of file, so next_line never
 * reads. */
ar_err ar__csv_import_mem(const char *name, const char *data, size_t len, ar_csv_kind kind, ar_symbol *sym,
                          ar_errbuf *eb) {
    if (name == NULL || (data == NULL && len > 0) || sym == NULL)
        return ar_errf(eb, AR_EINVAL, "ar__csv_import_mem: NULL argument");
    reader r = {0};
    r.cap = len + 1; /* room for the NUL of a last line without '\n' */
    r.buf = malloc(r.cap);
    if (r.buf == NULL) return ar_errf(eb, AR_ENOMEM, "%s: out of memory", name);
    if (len > 0) memcpy(r.buf, data, len);
    r.len = len;
    r.eof = 1;
    return import(&r, name, kind, sym, eb);
}
