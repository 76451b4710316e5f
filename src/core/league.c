/* src/core/league.c - the league table: one row per agent over every episode
 * of one or more runs, and its text, Markdown, CSV and JSON forms.
 *
 * Agents are matched by name across episodes and runs. Curve metrics come
 * from ar_metrics_compute on each episode's equity samples and are averaged
 * over the episodes where they are defined (an episode with a flat curve has
 * no Sharpe; it must not drag the mean to zero nor make it undefined).
 * Per-trade statistics pool the round trips of all episodes, because a
 * win rate over 3 trades per episode is noise while the pooled one is not.
 * Runs can only be merged when their configs agree apart from seeds, names
 * and the market's time windows; otherwise the rows would mix different
 * games. Model calls (the llm records) count like fees: tokens and cost are
 * per-episode totals averaged over episodes, so an agent's cost reads as
 * "per episode" next to its return; latency is the mean over all calls,
 * because a per-episode mean would weigh a 3-call episode like a 300-call
 * one. Pure computation over borrowed runs: thread-safe. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "arena/league.h"
#include "arena/stats.h"
#include "arena/util.h"

/* ---- computing ---------------------------------------------------------- */

/* Row fields that are means over episodes, by offset, so accumulating and
 * dividing is one loop rather than thirteen copies. */
static const size_t mean_off[] = {
    offsetof(ar_league_row, final_equity),  offsetof(ar_league_row, total_return),
    offsetof(ar_league_row, cagr),          offsetof(ar_league_row, volatility),
    offsetof(ar_league_row, sharpe),        offsetof(ar_league_row, sortino),
    offsetof(ar_league_row, max_drawdown),  offsetof(ar_league_row, max_drawdown_duration),
    offsetof(ar_league_row, calmar),        offsetof(ar_league_row, win_rate_periods),
    offsetof(ar_league_row, profit_factor_periods), offsetof(ar_league_row, fees),
    offsetof(ar_league_row, funding),       offsetof(ar_league_row, tokens_in),
    offsetof(ar_league_row, tokens_out),
};
#define NMEAN (sizeof mean_off / sizeof mean_off[0])

typedef struct {
    ar_league_row row;
    double sum[NMEAN];
    size_t cnt[NMEAN];
    double *pnl; /* pooled round-trip PnL */
    size_t npnl, cappnl;
    double expo_sum;
    size_t expo_n;
    double cost_sum, lat_sum;
    size_t lat_n;
    int priced; /* some call had a cost */
} acc;

static double *fld(ar_league_row *r, size_t i) { return (double *)((char *)r + mean_off[i]); }

static void add_mean(acc *a, size_t i, double v) {
    if (isnan(v)) return;
    a->sum[i] += v;
    a->cnt[i]++;
}

/* Episode values of one agent into the accumulator, in mean_off order. */
static ar_err add_episode(acc *a, const ar_run_agent *ag, double ppy, double **eqbuf, size_t *eqcap) {
    if (ag->nequity > *eqcap) {
        double *nb = realloc(*eqbuf, ag->nequity * sizeof *nb);
        if (nb == NULL) return AR_ENOMEM;
        *eqbuf = nb;
        *eqcap = ag->nequity;
    }
    double *eq = *eqbuf;
    for (size_t k = 0; k < ag->nequity; k++) eq[k] = ag->equity[k].equity;
    ar_metrics m;
    int ok = ag->nequity >= 2 && ar_metrics_compute(eq, ag->nequity, ppy, &m) == AR_OK;
    double tr = ok ? m.total_return : NAN;
    /* A curve that touches zero (liquidated) has no period returns, but its
     * total return (-100% or close) is still well defined and must rank. */
    if (!ok && ag->nequity >= 2 && eq[0] > 0 && isfinite(eq[0]) && isfinite(eq[ag->nequity - 1]))
        tr = eq[ag->nequity - 1] / eq[0] - 1.0;
    double v[NMEAN] = {
        ag->final_equity,
        tr,
        ok ? m.annualized_return_cagr : NAN,
        ok ? m.annualized_volatility : NAN,
        ok ? m.sharpe_annualized : NAN,
        ok ? m.sortino_annualized : NAN,
        ok ? m.max_drawdown : NAN,
        ok ? (double)m.max_drawdown_duration_periods : NAN,
        ok ? m.calmar : NAN,
        ok ? m.win_rate_periods : NAN,
        ok ? m.profit_factor_periods : NAN,
        ag->fees,
        ag->funding,
        0,
        0,
    };
    for (size_t k = 0; k < ag->nllm; k++) {
        const ar_llm_rec *c = &ag->llm[k];
        v[NMEAN - 2] += (double)c->tokens_in;
        v[NMEAN - 1] += (double)c->tokens_out;
        if (!isnan(c->cost_usd)) {
            a->cost_sum += c->cost_usd;
            a->priced = 1;
        }
        if (isfinite(c->latency_ms)) {
            a->lat_sum += c->latency_ms;
            a->lat_n++;
        }
    }
    a->row.llm_calls += ag->nllm;
    for (size_t i = 0; i < NMEAN; i++) add_mean(a, i, v[i]);

    if (a->npnl + ag->ntrades > a->cappnl) {
        size_t cap = a->cappnl ? a->cappnl : 64;
        while (cap < a->npnl + ag->ntrades) cap *= 2;
        double *nb = realloc(a->pnl, cap * sizeof *nb);
        if (nb == NULL) return AR_ENOMEM;
        a->pnl = nb;
        a->cappnl = cap;
    }
    for (size_t k = 0; k < ag->ntrades; k++) a->pnl[a->npnl++] = ag->trades[k].pnl;
    for (size_t k = 0; k < ag->nequity; k++) {
        double x = ag->equity[k].gross_exposure / ag->equity[k].equity;
        if (ag->equity[k].equity > 0 && isfinite(x)) {
            a->expo_sum += x;
            a->expo_n++;
        }
    }
    a->row.episodes++;
    a->row.trades += ag->ntrades;
    a->row.fills += ag->nfills;
    a->row.decisions += ag->ndecisions;
    for (size_t k = 0; k < ag->ndecisions; k++)
        if (ag->decisions[k].status != 0) a->row.invalid_answers++;
    return AR_OK;
}

static void finish_row(acc *a) {
    for (size_t i = 0; i < NMEAN; i++) *fld(&a->row, i) = a->cnt[i] ? a->sum[i] / (double)a->cnt[i] : NAN;
    ar_trade_stats ts;
    ar_trade_stats_compute(a->pnl, a->npnl, &ts);
    a->row.win_rate = ts.percent_profitable;
    a->row.trade_profit_factor = ts.profit_factor;
    a->row.expectancy = ts.expectancy;
    a->row.exposure = a->expo_n ? a->expo_sum / (double)a->expo_n : NAN;
    a->row.cost_usd = a->priced && a->row.episodes ? a->cost_sum / (double)a->row.episodes : NAN;
    a->row.mean_latency_ms = a->lat_n ? a->lat_sum / (double)a->lat_n : NAN;
}

static int row_cmp(const void *x, const void *y) {
    const ar_league_row *a = x, *b = y;
    int na = isnan(a->total_return), nb = isnan(b->total_return);
    if (na != nb) return na - nb; /* undefined last */
    if (!na && a->total_return != b->total_return) return a->total_return > b->total_return ? -1 : 1;
    return strcmp(a->agent, b->agent);
}

/* -- config agreement -- */

/* Remove what may differ between runs that are one tournament: seeds at any
 * depth, the run's name, and the market's time windows. */
static void strip_free_keys(json_t *j, int top) {
    if (json_is_object(j)) {
        json_object_del(j, "seed");
        json_object_del(j, "seeds");
        if (top) {
            json_object_del(j, "name");
            json_t *m = json_object_get(j, "market");
            if (json_is_object(m)) {
                json_object_del(m, "start");
                json_object_del(m, "end");
                json_object_del(m, "windows");
            }
        }
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v) strip_free_keys(v, 0);
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) strip_free_keys(v, 0);
    }
}

typedef struct {
    char **p;
    size_t n, cap;
    int oom;
} pathlist;

static void add_path(pathlist *l, const char *path) {
    const char *p = *path ? path : "(whole config)";
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->p[i], p)) return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        char **np = realloc(l->p, cap * sizeof *np);
        if (np == NULL) {
            l->oom = 1;
            return;
        }
        l->p = np;
        l->cap = cap;
    }
    char *s = strdup(p);
    if (s == NULL) {
        l->oom = 1;
        return;
    }
    l->p[l->n++] = s;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Key paths ("execution.fees.taker_bps", "agents[2].model") where a and b
 * differ. Numbers compare by value so 4 and 4.0 agree. */
static void diff_json(const json_t *a, const json_t *b, const char *path, pathlist *out) {
    char sub[512];
    if (json_is_object(a) && json_is_object(b)) {
        /* Keys of both sides, sorted, so the message order is stable. */
        size_t n = json_object_size(a) + json_object_size(b), nk = 0;
        const char **keys = malloc((n ? n : 1) * sizeof *keys);
        if (keys == NULL) {
            out->oom = 1;
            return;
        }
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v) keys[nk++] = k;
        json_object_foreach((json_t *)b, k, v) if (json_object_get(a, k) == NULL) keys[nk++] = k;
        qsort(keys, nk, sizeof *keys, cmp_str);
        for (size_t i = 0; i < nk; i++) {
            snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", keys[i]);
            const json_t *x = json_object_get(a, keys[i]), *y = json_object_get(b, keys[i]);
            if (x == NULL || y == NULL) add_path(out, sub);
            else diff_json(x, y, sub, out);
        }
        free(keys);
    } else if (json_is_array(a) && json_is_array(b) && json_array_size(a) == json_array_size(b)) {
        for (size_t i = 0; i < json_array_size(a); i++) {
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            diff_json(json_array_get(a, i), json_array_get(b, i), sub, out);
        }
    } else if (json_is_number(a) && json_is_number(b)) {
        if (json_number_value(a) != json_number_value(b)) add_path(out, path);
    } else if (!json_equal(a, b)) {
        add_path(out, path);
    }
}

static ar_err load_config(const ar_run *r, size_t i, json_t **out, ar_errbuf *eb) {
    const char *s = r->config_json ? r->config_json : "";
    json_error_t je;
    *out = *s ? json_loads(s, 0, &je) : json_object();
    if (*out == NULL)
        return ar_errf(eb, AR_EFORMAT, "run %zu (%s): config: invalid JSON at line %d: %s", i + 1, r->name,
                       je.line, je.text);
    strip_free_keys(*out, 1);
    return AR_OK;
}

static ar_err check_configs(const ar_run *const *runs, size_t nruns, ar_errbuf *eb) {
    json_t *first = NULL;
    ar_err e = load_config(runs[0], 0, &first, eb);
    if (e) return e;
    pathlist pl = {0};
    for (size_t i = 1; i < nruns && !e; i++) {
        json_t *other = NULL;
        if ((e = load_config(runs[i], i, &other, eb))) break;
        diff_json(first, other, "", &pl);
        json_decref(other);
    }
    json_decref(first);
    if (!e && pl.oom) e = ar_errf(eb, AR_ENOMEM, "league: out of memory comparing configs");
    if (!e && pl.n) {
        char msg[sizeof eb->msg];
        size_t len = (size_t)snprintf(msg, sizeof msg, "runs differ in: ");
        for (size_t i = 0; i < pl.n && len < sizeof msg; i++)
            len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s", i ? ", " : "", pl.p[i]);
        e = ar_errf(eb, AR_ECONFIG, "%s", msg);
    }
    for (size_t i = 0; i < pl.n; i++) free(pl.p[i]);
    free(pl.p);
    return e;
}

ar_err ar_league_compute(const ar_run *const *runs, size_t nruns, ar_league **out, ar_errbuf *eb) {
    *out = NULL;
    if (runs == NULL || nruns == 0) return ar_errf(eb, AR_EINVAL, "league: no runs");
    for (size_t i = 0; i < nruns; i++) {
        if (runs[i] == NULL) return ar_errf(eb, AR_EINVAL, "league: run %zu missing", i + 1);
        if (runs[i]->cadence <= 0)
            return ar_errf(eb, AR_EFORMAT, "run %zu (%s): cadence_ns: must be > 0, got %lld", i + 1,
                           runs[i]->name, (long long)runs[i]->cadence);
    }
    ar_err e = AR_OK;
    if (nruns > 1 && (e = check_configs(runs, nruns, eb))) return e;

    acc *rows = NULL;
    size_t nrows = 0, caprows = 0, eqcap = 0;
    double *eqbuf = NULL;
    for (size_t ri = 0; ri < nruns && !e; ri++) {
        const ar_run *r = runs[ri];
        double ppy = (double)AR_NS_PER_YEAR / (double)r->cadence;
        for (size_t k = 0; k < r->nepisodes && !e; k++) {
            const ar_run_episode *ep = &r->episodes[k];
            for (size_t j = 0; j < ep->nagents && !e; j++) {
                const ar_run_agent *ag = &ep->agents[j];
                size_t i = 0;
                while (i < nrows && strncmp(rows[i].row.agent, ag->name, AR_NAME_MAX) != 0) i++;
                if (i == nrows) {
                    if (nrows == caprows) {
                        size_t cap = caprows ? 2 * caprows : 8;
                        acc *nr = realloc(rows, cap * sizeof *nr);
                        if (nr == NULL) {
                            e = AR_ENOMEM;
                            break;
                        }
                        rows = nr;
                        caprows = cap;
                    }
                    memset(&rows[i], 0, sizeof rows[i]);
                    snprintf(rows[i].row.agent, AR_NAME_MAX, "%.*s", AR_NAME_MAX - 1, ag->name);
                    snprintf(rows[i].row.kind, sizeof rows[i].row.kind, "%.*s", (int)sizeof ag->kind - 1, ag->kind);
                    snprintf(rows[i].row.detail, AR_NAME_MAX, "%.*s", AR_NAME_MAX - 1, ag->detail);
                    rows[i].row.baseline = ag->baseline;
                    nrows++;
                }
                e = add_episode(&rows[i], ag, ppy, &eqbuf, &eqcap);
            }
        }
    }
    free(eqbuf);
    ar_league *l = NULL;
    if (!e) {
        l = calloc(1, sizeof *l);
        if (l) l->rows = calloc(nrows ? nrows : 1, sizeof *l->rows);
        if (l == NULL || l->rows == NULL) {
            if (l) free(l);
            l = NULL;
            e = AR_ENOMEM;
        }
    }
    for (size_t i = 0; i < nrows; i++) {
        if (l) {
            finish_row(&rows[i]);
            l->rows[i] = rows[i].row;
        }
        free(rows[i].pnl);
    }
    free(rows);
    if (e) {
        if (e == AR_ENOMEM) ar_errf(eb, e, "league: out of memory");
        return e;
    }
    l->nrows = nrows;
    qsort(l->rows, l->nrows, sizeof *l->rows, row_cmp);
    *out = l;
    return AR_OK;
}

void ar_league_free(ar_league *l) {
    if (l == NULL) return;
    free(l->rows);
    free(l);
}

ar_err ar_format_parse(const char *s, ar_format *out) {
    static const struct {
        const char *name;
        ar_format f;
    } names[] = {{"text", AR_FMT_TEXT}, {"md", AR_FMT_MD}, {"markdown", AR_FMT_MD},
                 {"csv", AR_FMT_CSV},   {"json", AR_FMT_JSON}};
    if (s == NULL) return AR_EINVAL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(s, names[i].name)) {
            *out = names[i].f;
            return AR_OK;
        }
    return AR_EINVAL;
}

/* ---- printing ----------------------------------------------------------- */

#define UNDEF "\xe2\x80\x93" /* "–" U+2013: undefined in text and Markdown */

/* Human columns (text and Markdown). Fractions print as percentages. */
/* The model columns (C_TOK_IN on) show only when some agent made calls: a
 * table of coded strategies keeps its width. */
typedef enum { C_RANK, C_AGENT, C_KIND, C_EPS, C_RET, C_SHARPE, C_SORTINO, C_MDD, C_CALMAR, C_WIN,
               C_TRADES, C_FILLS, C_FEES, C_FUNDING, C_FINAL, C_EXPO, C_INVALID, C_TOK_IN, C_TOK_OUT,
               C_COST, C_LAT, C_NCOL } hcol;
static const char *const hhead[C_NCOL] = {"#", "agent", "kind", "eps", "return", "sharpe", "sortino",
                                          "max_dd", "calmar", "win%", "trades", "fills", "fees",
                                          "funding", "final_equity", "exposure", "invalid", "tokens_in",
                                          "tokens_out", "cost_usd", "latency_ms"};

/* Columns to print: all when any row has model calls, else up to invalid. */
static int human_ncol(const ar_league *l) {
    for (size_t i = 0; i < l->nrows; i++)
        if (l->rows[i].llm_calls) return C_NCOL;
    return C_TOK_IN;
}

static void fmt_num(char *buf, size_t n, const char *fmt, double v) {
    if (!isfinite(v)) snprintf(buf, n, "%s", UNDEF);
    else snprintf(buf, n, fmt, v);
}

static void human_cell(const ar_league_row *r, size_t rank, int c, char *b, size_t n) {
    switch ((hcol)c) {
    case C_RANK: snprintf(b, n, "%zu", rank); break;
    case C_AGENT: snprintf(b, n, "%s%s", r->agent, r->baseline ? "*" : ""); break;
    case C_KIND: snprintf(b, n, "%s", r->kind); break;
    case C_EPS: snprintf(b, n, "%zu", r->episodes); break;
    case C_RET: fmt_num(b, n, "%+.2f%%", 100 * r->total_return); break;
    case C_SHARPE: fmt_num(b, n, "%.2f", r->sharpe); break;
    case C_SORTINO: fmt_num(b, n, "%.2f", r->sortino); break;
    case C_MDD: fmt_num(b, n, "%.2f%%", 100 * r->max_drawdown); break;
    case C_CALMAR: fmt_num(b, n, "%.2f", r->calmar); break;
    case C_WIN: fmt_num(b, n, "%.1f%%", 100 * r->win_rate); break;
    case C_TRADES: snprintf(b, n, "%zu", r->trades); break;
    case C_FILLS: snprintf(b, n, "%zu", r->fills); break;
    case C_FEES: fmt_num(b, n, "%.2f", r->fees); break;
    case C_FUNDING: fmt_num(b, n, "%.2f", r->funding); break;
    case C_FINAL: fmt_num(b, n, "%.2f", r->final_equity); break;
    case C_EXPO: fmt_num(b, n, "%.2fx", r->exposure); break;
    case C_INVALID: snprintf(b, n, "%zu/%zu", r->invalid_answers, r->decisions); break;
    case C_TOK_IN: fmt_num(b, n, "%.0f", r->tokens_in); break;
    case C_TOK_OUT: fmt_num(b, n, "%.0f", r->tokens_out); break;
    case C_COST: fmt_num(b, n, "%.4f", r->cost_usd); break;
    case C_LAT: fmt_num(b, n, "%.0f", r->mean_latency_ms); break;
    default: b[0] = '\0';
    }
}

/* Display width of UTF-8 text: one column per code point (the table holds
 * no wide characters of its own; agent names are ASCII by config rules). */
static size_t width(const char *s) {
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) w++;
    return w;
}

static void pad(FILE *f, size_t k) {
    while (k--) fputc(' ', f);
}

static void print_text(const ar_league *l, FILE *f) {
    size_t w[C_NCOL];
    char cell[160];
    int ncol = human_ncol(l);
    for (int c = 0; c < ncol; c++) w[c] = width(hhead[c]);
    for (size_t i = 0; i < l->nrows; i++)
        for (int c = 0; c < ncol; c++) {
            human_cell(&l->rows[i], i + 1, c, cell, sizeof cell);
            if (width(cell) > w[c]) w[c] = width(cell);
        }
    /* Names and kinds left-aligned, numbers right-aligned so digits line up. */
    for (size_t i = 0; i <= l->nrows; i++) {
        for (int c = 0; c < ncol; c++) {
            if (i == 0) snprintf(cell, sizeof cell, "%s", hhead[c]);
            else human_cell(&l->rows[i - 1], i, c, cell, sizeof cell);
            size_t gap = w[c] - width(cell);
            int left = c == C_AGENT || c == C_KIND;
            if (c) fputs("  ", f);
            if (!left) pad(f, gap);
            fputs(cell, f);
            if (left && c != ncol - 1) pad(f, gap);
        }
        fputc('\n', f);
    }
    int base = 0;
    for (size_t i = 0; i < l->nrows; i++) base |= l->rows[i].baseline;
    if (base) fputs("* baseline\n", f);
}

static void md_escaped(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '|' || *s == '\\') fputc('\\', f);
        fputc(*s, f);
    }
}

static void print_md(const ar_league *l, FILE *f) {
    char cell[160];
    int ncol = human_ncol(l);
    fputc('|', f);
    for (int c = 0; c < ncol; c++) fprintf(f, " %s |", hhead[c]);
    fputs("\n|", f);
    for (int c = 0; c < ncol; c++) fputs(c == C_AGENT || c == C_KIND ? ":---|" : "---:|", f);
    fputc('\n', f);
    for (size_t i = 0; i < l->nrows; i++) {
        fputc('|', f);
        for (int c = 0; c < ncol; c++) {
            human_cell(&l->rows[i], i + 1, c, cell, sizeof cell);
            fputc(' ', f);
            md_escaped(f, cell);
            fputs(" |", f);
        }
        fputc('\n', f);
    }
}

/* Machine columns (CSV and JSON): raw values, fractions as fractions. */
typedef enum { M_STR, M_BOOL, M_SIZE, M_DBL } mkind;
typedef struct {
    const char *name;
    mkind k;
    size_t off;
} mcol;
#define MC(n, k) {#n, k, offsetof(ar_league_row, n)}
static const mcol mcols[] = {
    {"rank", M_SIZE, (size_t)-1},
    MC(agent, M_STR),           MC(kind, M_STR),
    MC(detail, M_STR),          MC(baseline, M_BOOL),
    MC(episodes, M_SIZE),       MC(final_equity, M_DBL),
    MC(total_return, M_DBL),    MC(cagr, M_DBL),
    MC(volatility, M_DBL),      MC(sharpe, M_DBL),
    MC(sortino, M_DBL),         MC(max_drawdown, M_DBL),
    MC(max_drawdown_duration, M_DBL), MC(calmar, M_DBL),
    MC(win_rate_periods, M_DBL), MC(profit_factor_periods, M_DBL),
    MC(trades, M_SIZE),         MC(fills, M_SIZE),
    MC(win_rate, M_DBL),        MC(trade_profit_factor, M_DBL),
    MC(expectancy, M_DBL),      MC(fees, M_DBL),
    MC(funding, M_DBL),         MC(exposure, M_DBL),
    MC(decisions, M_SIZE),      MC(invalid_answers, M_SIZE),
    MC(llm_calls, M_SIZE),      MC(tokens_in, M_DBL),
    MC(tokens_out, M_DBL),      MC(cost_usd, M_DBL),
    MC(mean_latency_ms, M_DBL),
};
#define NMCOL (sizeof mcols / sizeof mcols[0])

static const void *mptr(const ar_league_row *r, const mcol *c) { return (const char *)r + c->off; }

static void csv_str(FILE *f, const char *s) {
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void print_csv(const ar_league *l, FILE *f) {
    for (size_t c = 0; c < NMCOL; c++) fprintf(f, "%s%s", c ? "," : "", mcols[c].name);
    fputc('\n', f);
    for (size_t i = 0; i < l->nrows; i++) {
        const ar_league_row *r = &l->rows[i];
        for (size_t c = 0; c < NMCOL; c++) {
            if (c) fputc(',', f);
            const mcol *m = &mcols[c];
            if (m->off == (size_t)-1) {
                fprintf(f, "%zu", i + 1);
                continue;
            }
            switch (m->k) {
            case M_STR: csv_str(f, (const char *)mptr(r, m)); break;
            case M_BOOL: fputs(*(const int *)mptr(r, m) ? "1" : "0", f); break;
            case M_SIZE: fprintf(f, "%zu", *(const size_t *)mptr(r, m)); break;
            case M_DBL: {
                double v = *(const double *)mptr(r, m);
                if (isfinite(v)) fprintf(f, "%.17g", v);
                break;
            }
            }
        }
        fputc('\n', f);
    }
}

static ar_err print_json(const ar_league *l, FILE *f) {
    json_t *arr = json_array();
    if (arr == NULL) return AR_ENOMEM;
    int bad = 0;
    for (size_t i = 0; i < l->nrows && !bad; i++) {
        const ar_league_row *r = &l->rows[i];
        json_t *o = json_object();
        bad |= o == NULL || json_array_append_new(arr, o) != 0;
        for (size_t c = 0; c < NMCOL && !bad; c++) {
            const mcol *m = &mcols[c];
            json_t *v;
            if (m->off == (size_t)-1) v = json_integer((json_int_t)(i + 1));
            else switch (m->k) {
                case M_STR: v = json_string((const char *)mptr(r, m)); break;
                case M_BOOL: v = json_boolean(*(const int *)mptr(r, m)); break;
                case M_SIZE: v = json_integer((json_int_t) * (const size_t *)mptr(r, m)); break;
                default: {
                    double d = *(const double *)mptr(r, m);
                    v = isfinite(d) ? json_real(d) : json_null();
                }
                }
            /* json_string refuses invalid UTF-8; an odd agent name must not
             * drop the whole table, so fall back to null for that cell. */
            if (v == NULL) v = json_null();
            bad |= json_object_set_new(o, m->name, v) != 0;
        }
    }
    ar_err e = AR_OK;
    if (bad) e = AR_ENOMEM;
    else if (json_dumpf(arr, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0) e = AR_EIO;
    else fputc('\n', f);
    json_decref(arr);
    return e;
}

ar_err ar_league_print(const ar_league *l, ar_format fmt, FILE *f) {
    if (l == NULL || f == NULL) return AR_EINVAL;
    ar_err e = AR_OK;
    switch (fmt) {
    case AR_FMT_TEXT: print_text(l, f); break;
    case AR_FMT_MD: print_md(l, f); break;
    case AR_FMT_CSV: print_csv(l, f); break;
    case AR_FMT_JSON: e = print_json(l, f); break;
    default: return AR_EINVAL;
    }
    if (!e && (fflush(f) != 0 || ferror(f))) e = AR_EIO;
    return e;
}
