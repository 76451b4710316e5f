/* src/core/report.c - the HTML report of one or more run files.
 *
 * One page, written top to bottom straight into a FILE: no DOM, no template
 * engine, because the page is mostly tables and a few SVG paths and every
 * byte must be predictable (the same run gives the same page; nothing about
 * the moment or the machine of the writing enters it).
 *
 * Everything that comes from the run is untrusted text: agent names come
 * from a config, answers and prompts from models and programs that may
 * answer "<script>". All of it goes through esc(), which also repairs
 * invalid UTF-8 and control characters (HTML5 parse errors) to U+FFFD, so the
 * page stays valid whatever the bytes. As a second wall the page carries a
 * Content-Security-Policy that forbids scripts and every network request.
 *
 * Curves longer than max_points are reduced deterministically: the samples
 * are cut into equal index buckets and each bucket keeps its lowest and its
 * highest point (in time order), so spikes and crashes stay visible. The
 * league rows are ar_league_compute's, so the table shows what `arena table`
 * prints. Pure over borrowed runs: thread-safe. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "arena/exec.h"
#include "arena/league.h"
#include "arena/report.h"
#include "arena/util.h"

#define UNDEF "\xe2\x80\x93"       /* "–": undefined, as in `arena table` */
#define REPL "\xef\xbf\xbd"        /* U+FFFD for bytes that are not text */
#define NCOLORS 10

static const char *const palette[NCOLORS] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                             "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

void ar_report_opts_default(ar_report_opts *o) {
    o->max_points = 2000;
    o->max_trades = 500;
    o->max_decisions = 200;
    o->max_text = 65536;
    o->max_episodes = 12;
}

typedef struct {
    FILE *f;
    const ar_run *const *runs;
    const char *const *labels;
    size_t nruns;
    ar_report_opts o;
    const ar_league *l;
    int oom;       /* a chart or table could not be made: out of memory, or (eb) a curve or log could not be read */
    ar_errbuf eb;
} rep;

/* One (run, episode, agent) of a league row. */
typedef struct {
    size_t run, ep;
    const ar_run_agent *a;
} agent_ep;

/* ---- escaping ------------------------------------------------------------ */

/* Bytes s[0..n) as HTML text; attr 1 also escapes quotes, for attribute
 * values. Invalid UTF-8, C0/C1 controls other than tab, LF and CR,
 * DEL and noncharacters become U+FFFD. */
static void esc_x(FILE *f, const char *s, size_t n, int attr) {
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) {
            switch (c) {
            case '&': fputs("&amp;", f); break;
            case '<': fputs("&lt;", f); break;
            case '>': fputs("&gt;", f); break;
            case '"':
            case '\'':
                if (attr) fputs(c == '"' ? "&quot;" : "&#39;", f);
                else putc((int)c, f);
                break;
            default:
                if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) fputs(REPL, f);
                else putc((int)c, f);
            }
            p++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
        else {
            fputs(REPL, f);
            p++;
            continue;
        }
        size_t i = 1;
        for (; i < len && p + i < end && (p[i] & 0xC0) == 0x80; i++) cp = (cp << 6) | (p[i] & 0x3F);
        if (i < len) { /* truncated sequence: replace what there was of it */
            fputs(REPL, f);
            p += i;
            continue;
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp <= 0x9F ||
            (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE)
            fputs(REPL, f);
        else
            fwrite(p, 1, len, f);
        p += len;
    }
}

/* Safe anywhere (text and quoted attribute values). */
static void esc_n(FILE *f, const char *s, size_t n) { esc_x(f, s, n, 1); }

static void esc(FILE *f, const char *s) { esc_n(f, s, strlen(s)); }

/* A fixed-size name field, which may lack its terminator in a damaged run. */
static void esc_fixed(FILE *f, const char *s, size_t cap) {
    const char *z = memchr(s, '\0', cap);
    esc_n(f, s, z ? (size_t)(z - s) : cap);
}

/* Element text (quotes stay as they are: prompts and answers are JSON, and
 * &quot; everywhere would swell them): at most cap bytes of s[0..n), cut at
 * a character boundary; returns how many bytes were left out. */
static size_t esc_cap(FILE *f, const char *s, size_t n, size_t cap) {
    if (n <= cap) {
        esc_x(f, s, n, 0);
        return 0;
    }
    size_t cut = cap;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80) cut--;
    esc_x(f, s, cut, 0);
    return n - cut;
}

/* ---- small formatting helpers -------------------------------------------- */

static void num(FILE *f, const char *fmt, double v) {
    if (!isfinite(v)) fputs(UNDEF, f);
    else fprintf(f, fmt, v);
}

static void when(FILE *f, int64_t t) {
    char b[48];
    ar_time_format(t, b, sizeof b);
    fputs(b, f);
}

/* "MM-DD HH:MM" for chart axes. */
static void when_short(int64_t t, char *out, size_t n) {
    char b[48];
    ar_time_format(t, b, sizeof b);
    if (strlen(b) >= 16) snprintf(out, n, "%.5s %.5s", b + 5, b + 11);
    else snprintf(out, n, "%s", b);
}

static const char *sym_name(const ar_run *r, int32_t sym) {
    return sym >= 0 && (size_t)sym < r->nsym ? r->symbols[sym] : "?";
}

/* Interval and rating fields of a league row (docs/STATS.md "League
 * statistics"), gathered in one place so that the page reads them the same
 * way everywhere. NAN (rank 0) when the league left them undefined; the
 * report then leaves out what depends on them (columns, the rating plot). */
typedef struct {
    double ret_lo, ret_hi;       /* interval of the mean total return */
    double rating, rating_lo, rating_hi;
    double rank;                 /* rating rank, NAN when none */
    int fallback;                /* rating from the regularised fallback fit */
} row_extra;

static void row_extra_get(const ar_league_row *r, row_extra *x) {
    x->ret_lo = r->return_ci_low;
    x->ret_hi = r->return_ci_high;
    x->rating = r->rating;
    x->rating_lo = r->rating_ci_low;
    x->rating_hi = r->rating_ci_high;
    x->rank = r->rank > 0 && isfinite(r->rating) ? (double)r->rank : NAN;
    x->fallback = r->rating_fallback;
}

/* ---- JSON helpers (the config as given) ----------------------------------- */

static json_t *jget(json_t *root, const char *path) {
    char key[64];
    json_t *j = root;
    while (j && *path) {
        size_t k = strcspn(path, ".");
        if (k >= sizeof key) return NULL;
        memcpy(key, path, k);
        key[k] = '\0';
        j = json_is_object(j) ? json_object_get(j, key) : NULL;
        path += k + (path[k] == '.');
    }
    return j;
}

/* Value at path as number, or def marked "(default)". */
static void cfg_num(FILE *f, json_t *root, const char *path, const char *fmt, double def) {
    json_t *j = jget(root, path);
    if (json_is_number(j)) fprintf(f, fmt, json_number_value(j));
    else {
        fprintf(f, fmt, def);
        fputs(" <span class=\"dim\">(default)</span>", f);
    }
}

static void cfg_str(FILE *f, json_t *root, const char *path, const char *def) {
    json_t *j = jget(root, path);
    if (json_is_string(j)) esc(f, json_string_value(j));
    else {
        esc(f, def);
        fputs(" <span class=\"dim\">(default)</span>", f);
    }
}

/* ---- curves and charts --------------------------------------------------- */

typedef struct {
    double *x, *y;
    size_t n;
} curve;

static void curve_free(curve *c) {
    free(c->x);
    free(c->y);
    c->x = c->y = NULL;
    c->n = 0;
}

/* Equity and drawdown fraction of an agent's equity curve, each reduced to
 * at most maxp points: first and last always, then per bucket its min and
 * max. Non-finite values are left out. One pass over the curve for both,
 * read AR_EQUITY_BLOCK rows at a time (it may have stayed in the run file:
 * ar_run_h5_read_lazy), so memory does not grow with its length. -1 when
 * memory (eb untouched) or the read (message in eb) failed. */
typedef struct {
    size_t k; /* row index, SIZE_MAX: none */
    double t, y;
} cpoint;

static int cpoint_cmp(const void *a, const void *b) {
    size_t x = ((const cpoint *)a)->k, y = ((const cpoint *)b)->k;
    return x < y ? -1 : x > y;
}

/* One series being reduced: nb buckets of n rows (all: every point). */
typedef struct {
    curve *out;
    int all;
    size_t n, nb, b, hi; /* hi: end of bucket b, (b + 1) n / nb */
    cpoint lo_p, hi_p, first;
} bucketer;

static void bk_start(bucketer *z, curve *out, size_t n, int all, size_t nb) {
    *z = (bucketer){out, all, n, nb, 0, all ? n : n / nb, {SIZE_MAX, 0, 0}, {SIZE_MAX, 0, 0}, {SIZE_MAX, 0, 0}};
}

static void bk_add(bucketer *z, size_t k, double t, double y) {
    curve *out = z->out;
    if (z->all) {
        if (isfinite(y)) {
            out->x[out->n] = t;
            out->y[out->n++] = y;
        }
        return;
    }
    if (k == 0 && isfinite(y)) z->first = (cpoint){0, t, y};
    if (isfinite(y)) {
        if (z->lo_p.k == SIZE_MAX || y < z->lo_p.y) z->lo_p = (cpoint){k, t, y};
        if (z->hi_p.k == SIZE_MAX || y > z->hi_p.y) z->hi_p = (cpoint){k, t, y};
    }
    if (k + 1 == z->hi) { /* bucket b ends here */
        cpoint idx[4];
        size_t ni = 0;
        if (z->b == 0 && z->first.k != SIZE_MAX) idx[ni++] = z->first;
        if (z->lo_p.k != SIZE_MAX) idx[ni++] = z->lo_p;
        if (z->hi_p.k != SIZE_MAX) idx[ni++] = z->hi_p;
        if (z->b == z->nb - 1 && isfinite(y)) idx[ni++] = (cpoint){k, t, y};
        qsort(idx, ni, sizeof idx[0], cpoint_cmp);
        for (size_t i = 0; i < ni; i++) {
            if (i && idx[i].k == idx[i - 1].k) continue;
            out->x[out->n] = idx[i].t;
            out->y[out->n++] = idx[i].y;
        }
        z->lo_p = z->hi_p = (cpoint){SIZE_MAX, 0, 0};
        z->b++;
        z->hi = z->b < z->nb ? (z->b + 1) * z->n / z->nb : z->n;
    }
}

static int curve_make(const ar_run *r, const ar_run_agent *a, size_t maxp, curve *eq, curve *dd, ar_errbuf *eb) {
    memset(eq, 0, sizeof *eq);
    memset(dd, 0, sizeof *dd);
    size_t n = a->nequity;
    if (n == 0) return 0;
    size_t cap = n < maxp ? n : maxp;
    eq->x = malloc(cap * sizeof *eq->x);
    eq->y = malloc(cap * sizeof *eq->y);
    dd->x = malloc(cap * sizeof *dd->x);
    dd->y = malloc(cap * sizeof *dd->y);
    ar_equity_rec *blk = malloc((n < AR_EQUITY_BLOCK ? n : AR_EQUITY_BLOCK) * sizeof *blk);
    if (blk == NULL || eq->x == NULL || eq->y == NULL || dd->x == NULL || dd->y == NULL) {
        free(blk);
        curve_free(eq);
        curve_free(dd);
        return -1; /* eb left empty: reported as out of memory */
    }
    int all = n <= maxp;
    size_t nb = all ? 1 : (maxp - 2) / 2;
    if (nb == 0) { /* fewer than 4 points allowed: nothing to draw */
        free(blk);
        return 0;
    }
    bucketer ze, zd;
    bk_start(&ze, eq, n, all, nb);
    bk_start(&zd, dd, n, all, nb);
    double peak = -INFINITY;
    for (size_t off = 0; off < n; off += AR_EQUITY_BLOCK) {
        size_t m = n - off < AR_EQUITY_BLOCK ? n - off : AR_EQUITY_BLOCK;
        if (ar_run_equity_rows(r, a, off, m, blk, eb) != AR_OK) {
            free(blk);
            curve_free(eq);
            curve_free(dd);
            return -1;
        }
        for (size_t j = 0; j < m; j++) {
            double e = blk[j].equity, y;
            if (!isfinite(e)) {
                y = NAN;
            } else {
                if (e > peak) peak = e;
                y = peak > 0 ? (e > 0 ? e / peak - 1.0 : -1.0) : NAN;
            }
            double t = (double)blk[j].t;
            bk_add(&ze, off + j, t, e);
            bk_add(&zd, off + j, t, y);
        }
    }
    free(blk);
    return 0;
}

/* A "nice" tick step (1, 2, 2.5, 5 x 10^k) giving about n ticks over range. */
static double nice_step(double range, int n) {
    double raw = range / n, p = pow(10.0, floor(log10(raw))), m = raw / p;
    double s = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
    return s * p;
}

typedef struct {
    const curve *c;
    int color;        /* palette index (league row) */
    const char *name; /* tooltip */
} chart_series;

/* One line chart as inline SVG: W x H units, y as money (pct 0) or as a
 * percentage of a fraction (pct 1). fill 1 shades the area down (or up) to 0
 * (drawdown of a single agent). */
static void chart(rep *R, const chart_series *s, size_t ns, int W, int H, int pct, int fill,
                  const char *label) {
    FILE *f = R->f;
    const double L = 64, Rm = 12, T = 12, B = 26;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    size_t npts = 0;
    for (size_t i = 0; i < ns; i++)
        for (size_t k = 0; k < s[i].c->n; k++) {
            double x = s[i].c->x[k], y = s[i].c->y[k];
            x0 = x < x0 ? x : x0;
            x1 = x > x1 ? x : x1;
            y0 = y < y0 ? y : y0;
            y1 = y > y1 ? y : y1;
            npts++;
        }
    fprintf(f, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", W, H);
    esc(f, label);
    fputs("\"><title>", f);
    esc(f, label);
    fputs("</title>", f);
    fprintf(f, "<rect class=\"plot\" x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\"/>", L, T, W - L - Rm,
            H - T - B);
    if (npts == 0) {
        fprintf(f, "<text class=\"lbl\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">no samples</text></svg>\n", W / 2,
                H / 2);
        return;
    }
    if (pct) { /* drawdown: 0 at the top, always in view */
        y1 = 0;
        y0 = y0 < -0.001 ? y0 * 1.05 : -0.001;
    } else {
        double pad = (y1 - y0) * 0.05;
        if (!(pad > 0)) pad = fabs(y1) > 0 ? fabs(y1) * 0.01 : 1;
        y0 -= pad;
        y1 += pad;
    }
    if (!(x1 > x0)) {
        x0 -= 1;
        x1 += 1;
    }
    double pw = W - L - Rm, ph = H - T - B;
#define PX(x) (L + ((x) - x0) / (x1 - x0) * pw)
#define PY(y) (T + (y1 - (y)) / (y1 - y0) * ph)
    /* y grid and labels */
    double scale = pct ? 100.0 : 1.0;
    double step = nice_step((y1 - y0) * scale, 5);
    int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (dec > 6) dec = 6;
    if (fmod(step * pow(10, dec), 1.0) > 1e-6 && dec < 6) dec++; /* 2.5 steps */
    for (double v = ceil(y0 * scale / step) * step; v <= y1 * scale + step * 1e-9; v += step) {
        double py = PY(v / scale);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", L, py, L + pw, py);
        fprintf(f, "<text class=\"lbl\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.*f%s</text>", L - 4, py + 3.5,
                dec, fabs(v) < step * 1e-9 ? 0.0 : v, pct ? "%" : "");
    }
    /* x labels: five evenly spaced instants */
    for (int i = 0; i <= 4; i++) {
        double x = x0 + (x1 - x0) * i / 4.0;
        char b[32];
        when_short((int64_t)x, b, sizeof b);
        fprintf(f, "<text class=\"lbl\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>", PX(x), H - 8.0,
                i == 0 ? "start" : i == 4 ? "end" : "middle", b);
    }
    for (size_t i = 0; i < ns; i++) {
        const curve *c = s[i].c;
        if (c->n == 0) continue;
        int col = s[i].color;
        if (fill) {
            fprintf(f, "<path class=\"area\" fill=\"%s\" d=\"M%.1f %.1f", palette[col % NCOLORS], PX(c->x[0]),
                    PY(0.0));
            for (size_t k = 0; k < c->n; k++) fprintf(f, "L%.1f %.1f", PX(c->x[k]), PY(c->y[k]));
            fprintf(f, "L%.1f %.1fZ\"/>", PX(c->x[c->n - 1]), PY(0.0));
        }
        fprintf(f, "<path class=\"line\" stroke=\"%s\"%s d=\"", palette[col % NCOLORS],
                col >= NCOLORS ? " stroke-dasharray=\"6 3\"" : "");
        for (size_t k = 0; k < c->n; k++) fprintf(f, "%c%.1f %.1f", k ? 'L' : 'M', PX(c->x[k]), PY(c->y[k]));
        /* a single sample still shows as a dot */
        if (c->n == 1) fprintf(f, "h0.1");
        fputs("\"><title>", f);
        esc(f, s[i].name);
        fputs("</title></path>", f);
    }
#undef PX
#undef PY
    fputs("</svg>\n", f);
}

/* ---- page parts ---------------------------------------------------------- */

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1d2330;"
    "background:#f6f7f9}\n"
    "main{max-width:1320px;margin:0 auto;padding:16px 24px 48px}\n"
    "h1{font-size:24px;margin:8px 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #d5d9e0;"
    "padding-bottom:4px}h3{font-size:16px;margin:18px 0 6px}\n"
    "section.agent{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:4px 16px 12px;"
    "margin:16px 0}\n"
    "table{border-collapse:collapse;background:#fff;font-variant-numeric:tabular-nums}\n"
    "table.league{font-size:13px}table.league td,table.league th{padding:3px 6px}\n"
    "th,td{padding:3px 8px;border-bottom:1px solid #e6e8ec;text-align:left;vertical-align:top}\n"
    "th{background:#eef0f4;font-weight:600;position:sticky;top:0}\n"
    "td.n,th.n{text-align:right;white-space:nowrap}td.ag{white-space:nowrap}\n"
    "table.kv th{background:none;position:static;white-space:nowrap;color:#4a5263}\n"
    ".wrap{overflow-x:auto;max-width:100%}\n"
    ".scroll{max-height:420px;overflow:auto;border:1px solid #e6e8ec;width:fit-content}\n"
    ".dim,.note{color:#6b7385}.note{font-size:13px;margin:4px 0}\n"
    ".pos{color:#17803d}.neg{color:#b42318}\n"
    "code,pre{font:12px/1.4 ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace}\n"
    "pre{white-space:pre-wrap;word-break:break-word;background:#f3f4f7;border:1px solid #e3e6eb;"
    "padding:6px 8px;margin:4px 0;max-height:360px;overflow:auto}\n"
    "svg.chart{width:100%;height:auto;display:block;background:#fff}\n"
    "svg .plot{fill:#fbfbfc;stroke:#d5d9e0}svg .grid{stroke:#e6e8ec}\n"
    "svg .lbl{font-size:11px;fill:#5b6376}\n"
    "svg .line{fill:none;stroke-width:1.4}svg .area{fill-opacity:.18;stroke:none}\n"
    "svg .bar{stroke-width:2}svg .pt{stroke:#fff}\n"
    ".grid2{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px}\n"
    ".legend{display:flex;flex-wrap:wrap;gap:4px 16px;margin:6px 0;padding:0;list-style:none}\n"
    ".sw{display:inline-block;width:14px;height:4px;margin-right:6px;vertical-align:middle}\n"
    ".dec{border-top:1px solid #e6e8ec;padding:6px 0}\n"
    ".dec .hd{font-size:13px}.bad{color:#b42318;font-weight:600}.ok{color:#17803d}\n"
    "details summary{cursor:pointer;color:#2754c5}\n"
    "nav ul{margin:4px 0;padding-left:20px;columns:3}\n"
    "footer{color:#6b7385;font-size:12px;margin-top:32px}\n";

static void page_head(rep *R) {
    FILE *f = R->f;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
          "img-src data:\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>arena report: ",
          f);
    for (size_t i = 0; i < R->nruns; i++) {
        if (i) fputs(", ", f);
        esc(f, R->runs[i]->name);
    }
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", css);
}

static void manifest_rows(FILE *f, const ar_run *r) {
    json_error_t je;
    json_t *m = r->manifest_json && *r->manifest_json ? json_loads(r->manifest_json, 0, &je) : NULL;
    if (!json_is_object(m)) {
        fputs("<span class=\"dim\">(none)</span>", f);
        json_decref(m);
        return;
    }
    /* keys sorted so the order never depends on the writer */
    size_t n = json_object_size(m), k = 0;
    const char **keys = malloc((n ? n : 1) * sizeof *keys);
    if (keys == NULL) {
        json_decref(m);
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(m, key, v) keys[k++] = key;
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *t = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = t;
        }
    for (size_t i = 0; i < k; i++) {
        v = json_object_get(m, keys[i]);
        if (i) fputs("<br>", f);
        esc(f, keys[i]);
        fputs(": <code>", f);
        if (json_is_string(v)) esc(f, json_string_value(v));
        else {
            char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
            if (s) esc(f, s);
            free(s);
        }
        fputs("</code>", f);
    }
    free(keys);
    json_decref(m);
}

static void header(rep *R) {
    FILE *f = R->f;
    const ar_run *r0 = R->runs[0];
    fputs("<header>\n<h1>arena report: ", f);
    for (size_t i = 0; i < R->nruns; i++) {
        if (i) fputs(", ", f);
        esc(f, R->runs[i]->name);
    }
    fputs("</h1>\n", f);
    int resc = 0;
    for (size_t i = 0; i < R->nruns; i++) resc |= R->runs[i]->rescored;
    fprintf(f, "<p class=\"note\">%zu run file%s. %s</p>\n", R->nruns, R->nruns == 1 ? "" : "s",
            resc ? "<strong>Re-scored:</strong> answers were replayed from a cassette under other execution "
                   "settings, not asked anew."
                 : "Not re-scored: every answer was asked for during the run.");
    fputs("</header>\n", f);

    /* runs: file, name, episodes, re-scored, manifest */
    fputs("<h2 id=\"runs\">Runs</h2>\n<div class=\"wrap\"><table>\n<thead><tr><th>file</th><th>run</th>"
          "<th class=\"n\">episodes</th><th>re-scored</th><th>manifest</th></tr></thead>\n<tbody>\n",
          f);
    for (size_t i = 0; i < R->nruns; i++) {
        const ar_run *r = R->runs[i];
        fputs("<tr><td><code>", f);
        esc(f, R->labels && R->labels[i] ? R->labels[i] : r->name);
        fputs("</code></td><td>", f);
        esc(f, r->name);
        fprintf(f, "</td><td class=\"n\">%zu</td><td>%s</td><td>", r->nepisodes, r->rescored ? "yes" : "no");
        manifest_rows(f, r);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);

    /* config summary of the first run (merged runs agree apart from seeds
     * and windows, which are listed per episode below) */
    json_error_t je;
    json_t *cfg = r0->config_json && *r0->config_json ? json_loads(r0->config_json, 0, &je) : NULL;
    if (cfg == NULL) cfg = json_object();
    ar_exec_cfg d;
    ar_exec_cfg_default(&d);
    char b[64];
    fputs("<h2 id=\"config\">Configuration</h2>\n<table class=\"kv\">\n<tr><th>symbols</th><td>", f);
    for (size_t i = 0; i < r0->nsym; i++) {
        if (i) fputs(", ", f);
        esc_fixed(f, r0->symbols[i], AR_SYM_MAX);
    }
    ar_duration_format(r0->cadence, b, sizeof b);
    fprintf(f, "</td></tr>\n<tr><th>mode</th><td>%s</td></tr>\n<tr><th>cadence</th><td>%s</td></tr>\n",
            r0->mode == AR_MODE_SPOT ? "spot" : "perp", b);
    fputs("<tr><th>capital</th><td>", f);
    num(f, "%.2f", r0->capital);
    fputs("</td></tr>\n<tr><th>fees</th><td>taker ", f);
    cfg_num(f, cfg, "execution.fees.taker_bps", "%g bps", d.taker_bps);
    fputs(", maker ", f);
    cfg_num(f, cfg, "execution.fees.maker_bps", "%g bps", d.maker_bps);
    fputs("</td></tr>\n<tr><th>slippage</th><td>", f);
    cfg_str(f, cfg, "execution.slippage.model", "none");
    const char *sm = json_string_value(jget(cfg, "execution.slippage.model"));
    if (sm && !strcmp(sm, "fixed")) {
        fputs(", ", f);
        cfg_num(f, cfg, "execution.slippage.bps", "%g bps", d.slip_bps);
    } else if (sm && !strcmp(sm, "sqrt")) {
        fputs(", k ", f);
        cfg_num(f, cfg, "execution.slippage.k", "%g", d.slip_k);
        fputs(", window ", f);
        cfg_str(f, cfg, "execution.slippage.window", "1d");
    }
    if (json_is_number(jget(cfg, "execution.slippage.noise_bps"))) {
        fputs(", noise ", f);
        cfg_num(f, cfg, "execution.slippage.noise_bps", "%g bps", 0);
    }
    fputs("</td></tr>\n<tr><th>latency</th><td>", f);
    cfg_num(f, cfg, "execution.latency_ms", "%g ms", (double)d.latency / 1e6);
    fputs("</td></tr>\n", f);
    if (r0->mode != AR_MODE_SPOT) {
        fputs("<tr><th>leverage</th><td>max ", f);
        cfg_num(f, cfg, "execution.max_leverage", "%g", d.max_leverage);
        fputs(", maintenance margin ", f);
        cfg_num(f, cfg, "execution.maintenance_margin", "%g", d.maintenance_margin);
        fputs("</td></tr>\n<tr><th>funding</th><td>rate ", f);
        cfg_num(f, cfg, "execution.funding.rate", "%g", d.funding_rate);
        fputs(" per ", f);
        cfg_str(f, cfg, "execution.funding.interval", "8h");
        fputs(" <span class=\"dim\">(where the market has no funding series)</span></td></tr>\n", f);
    }
    fputs("<tr><th>seeds</th><td>", f);
    for (size_t i = 0; i < R->nruns; i++) {
        json_error_t je2;
        json_t *c = R->runs[i]->config_json ? json_loads(R->runs[i]->config_json, 0, &je2) : NULL;
        json_t *sd = jget(c, "seed"), *ss = jget(c, "seeds");
        if (i) fputs("; ", f);
        if (json_is_integer(sd)) {
            fprintf(f, "%lld", (long long)json_integer_value(sd));
        } else if (json_is_integer(ss)) { /* N: seeds 1..N */
            long long n = (long long)json_integer_value(ss);
            if (n == 1) fputs("1", f);
            else fprintf(f, "1 to %lld", n);
        } else if (json_is_array(ss)) {
            for (size_t j = 0; j < json_array_size(ss); j++)
                if (json_is_integer(json_array_get(ss, j)))
                    fprintf(f, "%s%lld", j ? ", " : "", (long long)json_integer_value(json_array_get(ss, j)));
        } else {
            fputs("1 <span class=\"dim\">(default)</span>", f);
        }
        json_decref(c);
    }
    fputs("</td></tr>\n</table>\n", f);

    /* windows and seeds, per episode */
    fputs("<h3>Episodes</h3>\n<div class=\"wrap\"><table>\n<thead><tr>", f);
    if (R->nruns > 1) fputs("<th>run</th>", f);
    fputs("<th class=\"n\">episode</th><th class=\"n\">window</th><th class=\"n\">seed</th><th>start</th>"
          "<th>end</th></tr></thead>\n<tbody>\n",
          f);
    for (size_t i = 0; i < R->nruns; i++)
        for (size_t k = 0; k < R->runs[i]->nepisodes; k++) {
            const ar_run_episode *ep = &R->runs[i]->episodes[k];
            fputs("<tr>", f);
            if (R->nruns > 1) fprintf(f, "<td class=\"n\">%zu</td>", i + 1);
            fprintf(f, "<td class=\"n\">%zu</td><td class=\"n\">%d</td><td class=\"n\">%llu</td><td>", k,
                    (int)ep->window, (unsigned long long)ep->seed);
            when(f, ep->start);
            fputs("</td><td>", f);
            when(f, ep->end);
            fputs("</td></tr>\n", f);
        }
    fputs("</tbody></table></div>\n", f);

    for (size_t i = 0; i < R->nruns; i++) {
        json_error_t je3;
        const char *cj = R->runs[i]->config_json;
        json_t *c = cj && *cj ? json_loads(cj, 0, &je3) : NULL;
        char *pretty = c ? json_dumps(c, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17)) : NULL;
        json_decref(c);
        fputs("<details><summary>config JSON", f);
        if (R->nruns > 1) fprintf(f, " of run %zu", i + 1);
        fputs("</summary><pre>", f);
        if (pretty) esc(f, pretty);
        else if (cj) esc(f, cj);
        fputs("</pre></details>\n", f);
        free(pretty);
    }
    json_decref(cfg);
}

static void league_table(rep *R) {
    FILE *f = R->f;
    const ar_league *l = R->l;
    int llm = 0, has_ret_iv = 0, has_rating = 0, has_rank = 0, base = 0, fallback = 0;
    for (size_t i = 0; i < l->nrows; i++) {
        row_extra x;
        row_extra_get(&l->rows[i], &x);
        llm |= l->rows[i].llm_calls > 0;
        base |= l->rows[i].baseline;
        has_ret_iv |= isfinite(x.ret_lo) || isfinite(x.ret_hi);
        has_rating |= isfinite(x.rating);
        has_rank |= isfinite(x.rank);
        fallback |= x.fallback && isfinite(x.rating);
    }
    fputs("<h2 id=\"league\">League</h2>\n<div class=\"wrap\"><table class=\"league\">\n<thead><tr>"
          "<th class=\"n\">#</th><th>agent</th><th>kind</th><th class=\"n\">eps</th><th class=\"n\">return</th>",
          f);
    if (has_ret_iv) fputs("<th class=\"n\">return interval</th>", f);
    if (has_rating) fputs("<th class=\"n\">rating</th>", f);
    if (has_rank) fputs("<th class=\"n\">rating rank</th>", f);
    fputs("<th class=\"n\">sharpe</th><th class=\"n\">sortino</th><th class=\"n\">max_dd</th>"
          "<th class=\"n\">calmar</th><th class=\"n\">win%</th><th class=\"n\">trades</th><th class=\"n\">fills</th>"
          "<th class=\"n\">fees</th><th class=\"n\">funding</th><th class=\"n\">final_equity</th>"
          "<th class=\"n\">exposure</th><th class=\"n\">invalid</th>",
          f);
    if (llm)
        fputs("<th class=\"n\">tokens_in</th><th class=\"n\">tokens_out</th><th class=\"n\">cost_usd</th>"
              "<th class=\"n\">latency_ms</th>",
              f);
    fputs("</tr></thead>\n<tbody>\n", f);
    for (size_t i = 0; i < l->nrows; i++) {
        const ar_league_row *r = &l->rows[i];
        row_extra x;
        row_extra_get(r, &x);
        fprintf(f, "<tr><td class=\"n\">%zu</td><td class=\"ag\"><span class=\"sw\" style=\"background:%s\"></span>"
                   "<a href=\"#agent-%zu\">",
                i + 1, palette[i % NCOLORS], i);
        esc_fixed(f, r->agent, sizeof r->agent);
        fprintf(f, "</a>%s</td><td title=\"", r->baseline ? "*" : "");
        esc_fixed(f, r->detail, sizeof r->detail);
        fputs("\">", f);
        esc_fixed(f, r->kind, sizeof r->kind);
        fprintf(f, "</td><td class=\"n\">%zu</td><td class=\"n %s\">", r->episodes,
                !isfinite(r->total_return) ? "" : r->total_return > 0 ? "pos" : r->total_return < 0 ? "neg" : "");
        num(f, "%+.2f%%", 100 * r->total_return);
        fputs("</td>", f);
        if (has_ret_iv) {
            fputs("<td class=\"n\">", f);
            if (isfinite(x.ret_lo) || isfinite(x.ret_hi)) {
                fputs("[", f);
                num(f, "%+.2f%%", 100 * x.ret_lo);
                fputs(", ", f);
                num(f, "%+.2f%%", 100 * x.ret_hi);
                fputs("]", f);
            } else {
                fputs(UNDEF, f);
            }
            fputs("</td>", f);
        }
        if (has_rating) {
            fputs("<td class=\"n\">", f);
            num(f, "%.0f", x.rating);
            if (isfinite(x.rating_lo) || isfinite(x.rating_hi)) {
                fputs(" [", f);
                num(f, "%.0f", x.rating_lo);
                fputs(", ", f);
                num(f, "%.0f", x.rating_hi);
                fputs("]", f);
            }
            if (x.fallback && isfinite(x.rating)) fputs("&dagger;", f);
            fputs("</td>", f);
        }
        if (has_rank) {
            fputs("<td class=\"n\">", f);
            num(f, "%.0f", x.rank);
            fputs("</td>", f);
        }
        fputs("<td class=\"n\">", f);
        num(f, "%.2f", r->sharpe);
        fputs("</td><td class=\"n\">", f);
        num(f, "%.2f", r->sortino);
        fputs("</td><td class=\"n\">", f);
        num(f, "%.2f%%", 100 * r->max_drawdown);
        fputs("</td><td class=\"n\">", f);
        num(f, "%.2f", r->calmar);
        fputs("</td><td class=\"n\">", f);
        num(f, "%.1f%%", 100 * r->win_rate);
        fprintf(f, "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">", r->trades, r->fills);
        num(f, "%.2f", r->fees);
        fputs("</td><td class=\"n\">", f);
        num(f, "%.2f", r->funding);
        fputs("</td><td class=\"n\">", f);
        num(f, "%.2f", r->final_equity);
        fputs("</td><td class=\"n\">", f);
        num(f, "%.2fx", r->exposure);
        fprintf(f, "</td><td class=\"n\">%zu/%zu</td>", r->invalid_answers, r->decisions);
        if (llm) {
            fputs("<td class=\"n\">", f);
            num(f, "%.0f", r->tokens_in);
            fputs("</td><td class=\"n\">", f);
            num(f, "%.0f", r->tokens_out);
            fputs("</td><td class=\"n\">", f);
            num(f, "%.4f", r->cost_usd);
            fputs("</td><td class=\"n\">", f);
            num(f, "%.0f", r->mean_latency_ms);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></div>\n<p class=\"note\">Sorted by mean total return over episodes (the rows of "
          "<code>arena table</code>). Sharpe and Sortino annualised over a 365-day year at the decision cadence; "
          "win% over round trips; invalid = invalid answers / decisions; " UNDEF " undefined.",
          f);
    if (base) fputs(" * baseline.", f);
    if (has_ret_iv || has_rating)
        fprintf(f, " Intervals: 95%% bootstrap over windows (B = %zu, seed %llu); ratings Bradley-Terry, mean 1000;"
                   " rating rank = 1 + agents whose interval lies wholly above.",
                l->bootstrap, (unsigned long long)l->seed);
    if (fallback) fputs(" &dagger; the ratings' maximum-likelihood fit does not exist (a regularised fit is shown).", f);
    fputs("</p>\n", f);
}

/* Horizontal error bars of the ratings, best on top. */
static void rating_plot(rep *R) {
    FILE *f = R->f;
    const ar_league *l = R->l;
    size_t n = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < l->nrows; i++) {
        row_extra x;
        row_extra_get(&l->rows[i], &x);
        if (!isfinite(x.rating)) continue;
        n++;
        double a = isfinite(x.rating_lo) ? x.rating_lo : x.rating, b = isfinite(x.rating_hi) ? x.rating_hi : x.rating;
        lo = a < lo ? a : lo;
        hi = b > hi ? b : hi;
    }
    if (n == 0) return;
    size_t *ord = malloc(n * sizeof *ord);
    double *key = malloc(n * sizeof *key);
    if (ord == NULL || key == NULL) {
        free(ord);
        free(key);
        R->oom = 1;
        return;
    }
    size_t m = 0;
    for (size_t i = 0; i < l->nrows; i++) {
        row_extra x;
        row_extra_get(&l->rows[i], &x);
        if (isfinite(x.rating)) {
            ord[m] = i;
            key[m++] = x.rating;
        }
    }
    for (size_t i = 1; i < m; i++) /* stable insertion sort: ties keep league order */
        for (size_t j = i; j > 0 && key[j] > key[j - 1]; j--) {
            double t = key[j];
            key[j] = key[j - 1];
            key[j - 1] = t;
            size_t u = ord[j];
            ord[j] = ord[j - 1];
            ord[j - 1] = u;
        }
    double pad = (hi - lo) * 0.08;
    if (!(pad > 0)) pad = 10;
    lo -= pad;
    hi += pad;
    const int W = 900, rowh = 22, L = 170, Rm = 20, T = 8;
    int H = T + (int)n * rowh + 28;
    fputs("<h2 id=\"ratings\">Ratings</h2>\n", f);
    fprintf(f, "<svg class=\"chart\" style=\"max-width:900px\" viewBox=\"0 0 %d %d\" role=\"img\" "
               "aria-label=\"ratings with intervals\"><title>ratings with intervals</title>",
            W, H);
    double pw = W - L - Rm;
#define RX(v) (L + ((v) - lo) / (hi - lo) * pw)
    double step = nice_step(hi - lo, 6);
    for (double v = ceil(lo / step) * step; v <= hi; v += step) {
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>", RX(v), T, RX(v),
                T + (int)n * rowh);
        fprintf(f, "<text class=\"lbl\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f</text>", RX(v), H - 10,
                fabs(v) < step * 1e-9 ? 0.0 : v);
    }
    for (size_t j = 0; j < m; j++) {
        size_t i = ord[j];
        row_extra x;
        row_extra_get(&l->rows[i], &x);
        double y = T + (double)j * rowh + rowh / 2.0;
        double a = isfinite(x.rating_lo) ? x.rating_lo : x.rating, b = isfinite(x.rating_hi) ? x.rating_hi : x.rating;
        const char *c = palette[i % NCOLORS];
        fprintf(f, "<text class=\"lbl\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", L - 8, y + 4);
        esc_fixed(f, l->rows[i].agent, sizeof l->rows[i].agent);
        fputs("</text>", f);
        fprintf(f, "<path class=\"bar\" stroke=\"%s\" d=\"M%.1f %.1fH%.1fM%.1f %.1fv8M%.1f %.1fv8\"/>", c, RX(a), y,
                RX(b), RX(a), y - 4, RX(b), y - 4);
        fprintf(f, "<circle class=\"pt\" fill=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\"><title>", c, RX(x.rating), y);
        esc_fixed(f, l->rows[i].agent, sizeof l->rows[i].agent);
        fprintf(f, ": %.0f [%.0f, %.0f]</title></circle>", x.rating, a, b);
    }
#undef RX
    fputs("</svg>\n<p class=\"note\">Dot: rating; bar: its interval (from the league).</p>\n", f);
    free(ord);
    free(key);
}

/* Episodes of league row i over all runs, in run and episode order. */
static size_t gather(rep *R, size_t row, agent_ep **out) {
    const char *name = R->l->rows[row].agent;
    size_t n = 0, cap = 0;
    *out = NULL;
    for (size_t ri = 0; ri < R->nruns; ri++)
        for (size_t k = 0; k < R->runs[ri]->nepisodes; k++) {
            const ar_run_episode *ep = &R->runs[ri]->episodes[k];
            for (size_t j = 0; j < ep->nagents; j++) {
                if (strncmp(ep->agents[j].name, name, AR_NAME_MAX) != 0) continue;
                if (n == cap) {
                    cap = cap ? 2 * cap : 8;
                    agent_ep *nb = realloc(*out, cap * sizeof *nb);
                    if (nb == NULL) {
                        R->oom = 1;
                        return n;
                    }
                    *out = nb;
                }
                (*out)[n++] = (agent_ep){ri, k, &ep->agents[j]};
                break;
            }
        }
    return n;
}

static void ep_label(rep *R, const agent_ep *e) {
    if (R->nruns > 1) fprintf(R->f, "%zu/%zu", e->run + 1, e->ep);
    else fprintf(R->f, "%zu", e->ep);
}

/* All agents' equity and drawdown in the first episode of the first run. */
static void overview(rep *R) {
    FILE *f = R->f;
    const ar_run *r = R->runs[0];
    if (r->nepisodes == 0) return;
    const ar_run_episode *ep = &r->episodes[0];
    size_t n = R->l->nrows;
    curve *eqc = calloc(n ? n : 1, sizeof *eqc), *ddc = calloc(n ? n : 1, sizeof *ddc);
    chart_series *se = calloc(n ? n : 1, sizeof *se), *sd = calloc(n ? n : 1, sizeof *sd);
    size_t ns = 0;
    if (eqc == NULL || ddc == NULL || se == NULL || sd == NULL) R->oom = 1;
    for (size_t i = 0; i < n && !R->oom; i++) {
        const ar_run_agent *a = NULL;
        for (size_t j = 0; j < ep->nagents && !a; j++)
            if (!strncmp(ep->agents[j].name, R->l->rows[i].agent, AR_NAME_MAX)) a = &ep->agents[j];
        if (a == NULL) continue;
        if (curve_make(r, a, R->o.max_points, &eqc[ns], &ddc[ns], &R->eb)) {
            R->oom = 1;
            break;
        }
        se[ns] = (chart_series){&eqc[ns], (int)i, R->l->rows[i].agent};
        sd[ns] = (chart_series){&ddc[ns], (int)i, R->l->rows[i].agent};
        ns++;
    }
    if (!R->oom) {
        fputs("<h2 id=\"equity\">Equity and drawdown, first episode", f);
        if (R->nruns > 1 || r->nepisodes > 1) {
            fputs(" (", f);
            if (R->nruns > 1) fputs("run 1, ", f);
            fputs("episode 0: ", f);
            when(f, ep->start);
            fputs(" to ", f);
            when(f, ep->end);
            fputs(")", f);
        }
        fputs("</h2>\n<ul class=\"legend\">", f);
        for (size_t k = 0; k < ns; k++) {
            fprintf(f, "<li><span class=\"sw\" style=\"background:%s\"></span>", palette[se[k].color % NCOLORS]);
            esc_fixed(f, se[k].name, AR_NAME_MAX);
            fputs("</li>", f);
        }
        fputs("</ul>\n", f);
        chart(R, se, ns, 1200, 380, 0, 0, "equity of every agent, first episode");
        fputs("<h3>Drawdown</h3>\n", f);
        chart(R, sd, ns, 1200, 220, 1, 0, "drawdown of every agent, first episode");
    }
    for (size_t k = 0; k < ns; k++) {
        curve_free(&eqc[k]);
        curve_free(&ddc[k]);
    }
    free(eqc);
    free(ddc);
    free(se);
    free(sd);
}

static void agent_charts(rep *R, size_t row, const agent_ep *es, size_t ne) {
    FILE *f = R->f;
    size_t shown = ne < R->o.max_episodes ? ne : R->o.max_episodes;
    for (size_t k = 0; k < shown && !R->oom; k++) {
        const ar_run_agent *a = es[k].a;
        curve ce, cd;
        if (curve_make(R->runs[es[k].run], a, R->o.max_points, &ce, &cd, &R->eb)) {
            R->oom = 1;
            return;
        }
        chart_series s1 = {&ce, (int)row, R->l->rows[row].agent}, s2 = {&cd, (int)row, R->l->rows[row].agent};
        char lab[160];
        if (ne > 1) {
            fputs("<p class=\"note\">episode ", f);
            ep_label(R, &es[k]);
            fputs("</p>\n", f);
        }
        fputs("<div class=\"grid2\">\n", f);
        snprintf(lab, sizeof lab, "equity, episode %zu", es[k].ep);
        chart(R, &s1, 1, 600, 200, 0, 0, lab);
        snprintf(lab, sizeof lab, "drawdown, episode %zu", es[k].ep);
        chart(R, &s2, 1, 600, 200, 1, 1, lab);
        fputs("</div>\n", f);
        curve_free(&ce);
        curve_free(&cd);
    }
    if (ne > shown)
        fprintf(f, "<p class=\"note\">Charts of the first %zu of %zu episodes shown.</p>\n", shown, ne);
}

static void agent_episodes(rep *R, const agent_ep *es, size_t ne) {
    FILE *f = R->f;
    fputs("<div class=\"wrap scroll\"><table>\n<thead><tr><th class=\"n\">episode</th><th>start</th><th>end</th>"
          "<th class=\"n\">return</th><th class=\"n\">final_equity</th><th class=\"n\">fees</th>"
          "<th class=\"n\">funding</th><th class=\"n\">orders</th><th class=\"n\">fills</th>"
          "<th class=\"n\">trades</th><th class=\"n\">decisions</th><th class=\"n\">invalid</th></tr></thead>\n"
          "<tbody>\n",
          f);
    for (size_t k = 0; k < ne; k++) {
        const ar_run_agent *a = es[k].a;
        const ar_run_episode *ep = &R->runs[es[k].run]->episodes[es[k].ep];
        size_t inv = 0;
        ar_decision_rec blk[512]; /* the decisions may be in the file (ar_run_h5_read_lean) */
        for (size_t d = 0; d < a->ndecisions && !R->oom; d += 512) {
            size_t n = a->ndecisions - d < 512 ? a->ndecisions - d : 512;
            if (ar_run_log_rows(R->runs[es[k].run], a, AR_LOG_DECISIONS, d, n, blk, &R->eb) != AR_OK) {
                R->oom = 1;
                break;
            }
            for (size_t j = 0; j < n; j++) inv += blk[j].status != 0;
        }
        double ret = a->capital > 0 ? a->final_equity / a->capital - 1.0 : NAN;
        fputs("<tr><td class=\"n\">", f);
        ep_label(R, &es[k]);
        fputs("</td><td>", f);
        when(f, ep->start);
        fputs("</td><td>", f);
        when(f, ep->end);
        fprintf(f, "</td><td class=\"n %s\">", !isfinite(ret) ? "" : ret > 0 ? "pos" : ret < 0 ? "neg" : "");
        num(f, "%+.2f%%", 100 * ret);
        fputs("</td><td class=\"n\">", f);
        num(f, "%.2f", a->final_equity);
        fputs("</td><td class=\"n\">", f);
        num(f, "%.2f", a->fees);
        fputs("</td><td class=\"n\">", f);
        num(f, "%.2f", a->funding);
        fprintf(f, "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                   "<td class=\"n\">%zu</td><td class=\"n\">%zu</td></tr>\n",
                a->norders, a->nfills, a->ntrades, a->ndecisions, inv);
    }
    fputs("</tbody></table></div>\n", f);
}

static void agent_trades(rep *R, const agent_ep *es, size_t ne) {
    FILE *f = R->f;
    size_t total = 0, shown = 0;
    for (size_t k = 0; k < ne; k++) total += es[k].a->ntrades;
    fprintf(f, "<h4>Round trips (%zu)</h4>\n", total);
    if (total == 0) {
        fputs("<p class=\"note\">No round trips.</p>\n", f);
        return;
    }
    fputs("<div class=\"wrap scroll\"><table>\n<thead><tr><th class=\"n\">ep</th><th>open</th><th>close</th>"
          "<th>symbol</th><th>side</th><th class=\"n\">qty</th><th class=\"n\">entry</th><th class=\"n\">exit</th>"
          "<th class=\"n\">pnl</th><th class=\"n\">fees</th><th class=\"n\">funding</th></tr></thead>\n<tbody>\n",
          f);
    for (size_t k = 0; k < ne && shown < R->o.max_trades; k++) {
        const ar_run *r = R->runs[es[k].run];
        const ar_run_agent *a = es[k].a;
        for (size_t t = 0; t < a->ntrades && shown < R->o.max_trades && !R->oom; t++, shown++) {
            ar_trade_rec trv;
            const ar_trade_rec *tr = &trv;
            if (ar_run_log_rows(r, a, AR_LOG_TRADES, t, 1, &trv, &R->eb) != AR_OK) {
                R->oom = 1;
                break;
            }
            fputs("<tr><td class=\"n\">", f);
            ep_label(R, &es[k]);
            fputs("</td><td>", f);
            when(f, tr->t_open);
            fputs("</td><td>", f);
            when(f, tr->t_close);
            fputs("</td><td>", f);
            esc_fixed(f, sym_name(r, tr->sym), AR_SYM_MAX);
            fprintf(f, "</td><td>%s</td><td class=\"n\">", tr->side > 0 ? "long" : tr->side < 0 ? "short" : "?");
            num(f, "%.6g", tr->qty);
            fputs("</td><td class=\"n\">", f);
            num(f, "%.6g", tr->entry);
            fputs("</td><td class=\"n\">", f);
            num(f, "%.6g", tr->exit);
            fprintf(f, "</td><td class=\"n %s\">", !isfinite(tr->pnl) ? "" : tr->pnl > 0 ? "pos" : tr->pnl < 0 ? "neg" : "");
            num(f, "%.2f", tr->pnl);
            fputs("</td><td class=\"n\">", f);
            num(f, "%.2f", tr->fees);
            fputs("</td><td class=\"n\">", f);
            num(f, "%.2f", tr->funding);
            fputs("</td></tr>\n", f);
        }
    }
    fputs("</tbody></table></div>\n", f);
    if (shown < total)
        fprintf(f, "<p class=\"note\">First %zu of %zu round trips shown; the run file holds all of them.</p>\n",
                shown, total);
}

/* Slice [off, off+len) of an agent's answers blob, or NULL when it runs
 * outside (the reader refuses such files; a hand-made run may not). */
static const char *blob(const ar_run_agent *a, int64_t off, int64_t len) {
    if (off < 0 || len < 0 || (uint64_t)off > a->answers_len || (uint64_t)len > a->answers_len - (uint64_t)off)
        return NULL;
    return a->answers ? a->answers + off : (len == 0 ? "" : NULL);
}

static void text_block(rep *R, const char *cls, const char *s, size_t n) {
    fprintf(R->f, "<pre class=\"%s\">", cls);
    size_t left = esc_cap(R->f, s, n, R->o.max_text);
    fputs("</pre>", R->f);
    if (left) fprintf(R->f, "<p class=\"note\">%zu more bytes not shown.</p>", left);
}

static void agent_decisions(rep *R, const agent_ep *es, size_t ne) {
    FILE *f = R->f;
    size_t total = 0, shown = 0;
    for (size_t k = 0; k < ne; k++) total += es[k].a->nllm;
    fprintf(f, "<h4>Decision log (%zu calls)</h4>\n", total);
    if (total == 0) {
        fputs("<p class=\"note\">No model calls recorded.</p>\n", f);
        return;
    }
    fputs("<div class=\"declog\">\n", f);
    for (size_t k = 0; k < ne && shown < R->o.max_decisions; k++) {
        const ar_run *r = R->runs[es[k].run];
        const ar_run_agent *a = es[k].a;
        for (size_t c = 0; c < a->nllm && shown < R->o.max_decisions; c++, shown++) {
            const ar_llm_rec *x = &a->llm[c];
            fputs("<div class=\"dec\"><div class=\"hd\">ep ", f);
            ep_label(R, &es[k]);
            fputs(" &middot; <code>", f);
            when(f, x->t);
            fprintf(f, "</code> &middot; <span class=\"%s\">%s</span>", x->status ? "bad" : "ok",
                    x->status ? "invalid (hold)" : "ok");
            if (x->reason) fprintf(f, " &middot; reason <span class=\"bad\">%s</span>", ar_reason_name(x->reason));
            fprintf(f, " &middot; actions %d accepted of %d", (int)x->n_accepted, (int)x->n_actions);
            if (x->http_status) fprintf(f, " &middot; HTTP %d", (int)x->http_status);
            fprintf(f, " &middot; %d attempt%s &middot; ", (int)x->attempts, x->attempts == 1 ? "" : "s");
            num(f, "%.0f ms", x->latency_ms);
            if (x->tokens_in || x->tokens_out)
                fprintf(f, " &middot; tokens %lld in / %lld out", (long long)x->tokens_in, (long long)x->tokens_out);
            if (isfinite(x->cost_usd)) fprintf(f, " &middot; $%.4f", x->cost_usd);
            fputs("</div>\n", f);
            const char *ans = blob(a, x->answer_off, x->answer_len);
            const char *act = blob(a, x->actions_off, x->actions_len);
            fputs("<div class=\"grid2\"><div><span class=\"dim\">answer</span>", f);
            if (ans == NULL) fputs("<p class=\"bad\">answer slice outside the answers data</p>", f);
            else if (x->answer_len == 0) fputs("<p class=\"dim\">(empty)</p>", f);
            else text_block(R, "ans", ans, (size_t)x->answer_len);
            fputs("</div><div><span class=\"dim\">parsed actions</span>", f);
            if (act == NULL) fputs("<p class=\"bad\">actions slice outside the answers data</p>", f);
            else if (x->actions_len == 0) fputs("<p class=\"dim\">(none)</p>", f);
            else text_block(R, "act", act, (size_t)x->actions_len);
            fputs("</div></div>\n", f);
            int has_user = x->prompt_user >= 0 && (size_t)x->prompt_user < r->nprompts;
            int has_sys = x->prompt_system >= 0 && (size_t)x->prompt_system < r->nprompts;
            if (has_user || has_sys) {
                fputs("<details><summary>prompt</summary>", f);
                if (has_sys)
                    fprintf(f, "<p class=\"note\">system prompt: <a href=\"#prompt-%zu-%d\">prompt %d</a> "
                               "(under Prompts)</p>",
                            es[k].run, (int)x->prompt_system, (int)x->prompt_system);
                if (has_user) {
                    const char *p = r->prompts[x->prompt_user];
                    text_block(R, "prompt", p ? p : "", p ? strlen(p) : 0);
                }
                fputs("</details>\n", f);
            }
            fputs("</div>\n", f);
        }
    }
    fputs("</div>\n", f);
    if (shown < total)
        fprintf(f, "<p class=\"note\">First %zu of %zu calls shown; the run file holds all of them "
                   "(docs/RUNFILE.md shows how to read them).</p>\n",
                shown, total);
}

static void agents(rep *R) {
    FILE *f = R->f;
    fputs("<h2 id=\"agents\">Agents</h2>\n<nav><ul>", f);
    for (size_t i = 0; i < R->l->nrows; i++) {
        fprintf(f, "<li><a href=\"#agent-%zu\">", i);
        esc_fixed(f, R->l->rows[i].agent, AR_NAME_MAX);
        fputs("</a></li>", f);
    }
    fputs("</ul></nav>\n", f);
    for (size_t i = 0; i < R->l->nrows && !R->oom; i++) {
        const ar_league_row *row = &R->l->rows[i];
        agent_ep *es = NULL;
        size_t ne = gather(R, i, &es);
        fprintf(f, "<section class=\"agent\" id=\"agent-%zu\">\n<h3><span class=\"sw\" style=\"background:%s\"></span>",
                i, palette[i % NCOLORS]);
        esc_fixed(f, row->agent, AR_NAME_MAX);
        fprintf(f, " <span class=\"dim\">#%zu &middot; ", i + 1);
        esc_fixed(f, row->kind, sizeof row->kind);
        if (row->detail[0]) {
            fputs(" &middot; ", f);
            esc_fixed(f, row->detail, AR_NAME_MAX);
        }
        if (row->baseline) fputs(" &middot; baseline", f);
        fputs("</span></h3>\n", f);
        agent_charts(R, i, es, ne);
        agent_episodes(R, es, ne);
        agent_trades(R, es, ne);
        int model = strcmp(row->kind, "builtin") != 0 || row->llm_calls > 0;
        if (model) agent_decisions(R, es, ne);
        fputs("</section>\n", f);
        free(es);
    }
}

/* The system prompts the shown calls refer to, once each. User prompts are
 * in the calls themselves; system prompts are long and mostly the same. */
static void prompts(rep *R) {
    FILE *f = R->f;
    int any = 0;
    for (size_t ri = 0; ri < R->nruns; ri++) {
        const ar_run *r = R->runs[ri];
        if (r->nprompts == 0) continue;
        unsigned char *used = calloc(r->nprompts, 1);
        if (used == NULL) {
            R->oom = 1;
            return;
        }
        for (size_t k = 0; k < r->nepisodes; k++)
            for (size_t j = 0; j < r->episodes[k].nagents; j++) {
                const ar_run_agent *a = &r->episodes[k].agents[j];
                for (size_t c = 0; c < a->nllm; c++) {
                    int32_t p = a->llm[c].prompt_system;
                    if (p >= 0 && (size_t)p < r->nprompts) used[p] = 1;
                }
            }
        for (size_t p = 0; p < r->nprompts; p++) {
            if (!used[p]) continue;
            if (!any) {
                fputs("<h2 id=\"prompts\">Prompts</h2>\n<p class=\"note\">System prompts, each once; the user "
                      "prompt of a call is under its decision.</p>\n",
                      f);
                any = 1;
            }
            fprintf(f, "<details id=\"prompt-%zu-%zu\"><summary>", ri, p);
            if (R->nruns > 1) fprintf(f, "run %zu, ", ri + 1);
            fprintf(f, "prompt %zu (system)</summary>", p);
            const char *s = r->prompts[p];
            text_block(R, "prompt", s ? s : "", s ? strlen(s) : 0);
            fputs("</details>\n", f);
        }
        free(used);
    }
}

ar_err ar_report_write(const ar_run *const *runs, const char *const *labels, size_t nruns,
                       const ar_report_opts *opts, FILE *f, ar_errbuf *eb) {
    if (runs == NULL || nruns == 0 || f == NULL) return ar_errf(eb, AR_EINVAL, "report: no runs or no output");
    ar_league *l = NULL;
    ar_err e = ar_league_compute(runs, nruns, &l, eb);
    if (e) return e;
    rep R = {.f = f, .runs = runs, .labels = labels, .nruns = nruns, .l = l};
    if (opts) R.o = *opts;
    else ar_report_opts_default(&R.o);
    if (R.o.max_points < 16) R.o.max_points = 16;

    page_head(&R);
    header(&R);
    league_table(&R);
    rating_plot(&R);
    overview(&R);
    agents(&R);
    prompts(&R);
    fputs("<footer>Made by <code>arena report</code> from the run file", f);
    if (nruns > 1) fputs("s", f);
    fputs(" alone: the same run gives the same page. Times are UTC. Curves with more than ", f);
    fprintf(f, "%zu samples show each bucket's low and high.</footer>\n</main>\n</body>\n</html>\n", R.o.max_points);
    ar_league_free(l);
    if (R.oom && R.eb.msg[0]) return ar_errf(eb, AR_EIO, "report: %s", R.eb.msg);
    if (R.oom) return ar_errf(eb, AR_ENOMEM, "report: out of memory");
    if (fflush(f) != 0 || ferror(f)) return ar_errf(eb, AR_EIO, "report: write error: %s", strerror(errno));
    return AR_OK;
}

ar_err ar_report_write_file(const char *path, const ar_run *const *runs, const char *const *labels,
                            size_t nruns, const ar_report_opts *opts, ar_errbuf *eb) {
    if (path == NULL) return ar_errf(eb, AR_EINVAL, "report: no output path");
    size_t tn = strlen(path) + 32;
    char *tmp = malloc(tn);
    if (tmp == NULL) return ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
    ar_tmp_path(path, tmp, tn);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        ar_err e = ar_errf(eb, AR_EIO, "%s: cannot create: %s", path, strerror(errno));
        free(tmp);
        return e;
    }
    ar_err e = ar_report_write(runs, labels, nruns, opts, f, eb);
    if (e == AR_EIO) ar_errf(eb, AR_EIO, "%s: write error: %s", path, strerror(errno));
    if (fclose(f) != 0 && !e) e = ar_errf(eb, AR_EIO, "%s: write error: %s", path, strerror(errno));
    if (!e && rename(tmp, path) != 0) e = ar_errf(eb, AR_EIO, "%s: cannot rename into place: %s", path, strerror(errno));
    if (e) unlink(tmp);
    free(tmp);
    return e;
}
