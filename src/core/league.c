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
 * one. Pure computation over borrowed runs: thread-safe, except that runs
 * whose curves stay in their file (ar_run.eqsrc) are read through that
 * source, which one thread at a time may use. */
#define _XOPEN_SOURCE 700 /* wcwidth */
#include <locale.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>
#include <jansson.h>
#include "arena/league.h"
#include "arena/stats.h"
#include "arena/util.h"

/* ---- equity curves ------------------------------------------------------
 * An agent's curve is read through a cursor: in place when the run holds
 * it, else block by block from the run file (ar_run.eqsrc: `arena run`
 * streams the curves to the file and never holds them whole). Every pass
 * below reads the samples in order, so a block of AR_EQUITY_BLOCK rows is
 * all that is in memory per cursor, and the arithmetic (same operations in
 * the same order) does not depend on where the samples come from. */

typedef struct {
    ar_equity_rec *buf[2]; /* one block per cursor open at a time (at most two) */
    double *r1, *r2;       /* a block's worth of paired returns (JK) */
    ar_errbuf eb;          /* why a read failed */
    size_t curves_read;    /* episode passes that read their curve (ar_league.curves_read) */
} scratch;

typedef struct {
    const ar_run_agent *ag;
    ar_equity_src *src; /* NULL: ag->equity */
    size_t ep;
    ar_equity_rec *buf;
    size_t lo, n; /* buf holds rows [lo, lo + n) */
    ar_errbuf *eb;
    ar_err err;
} curve;

/* A cursor reading into buf (AR_EQUITY_BLOCK records), its errors in eb. */
static void curve_open_with(curve *c, const ar_run *r, const ar_run_agent *ag, ar_equity_rec *buf, ar_errbuf *eb) {
    *c = (curve){ag, NULL, 0, buf, 0, 0, eb, AR_OK};
    if (ag->equity != NULL || ag->nequity == 0) return;
    c->src = r ? r->eqsrc : NULL;
    if (c->src == NULL) {
        c->err = ar_errf(c->eb, AR_EINVAL, "league: %s: equity curve not loaded", ag->name);
        return;
    }
    for (size_t k = 0; k < r->nepisodes; k++) {
        const ar_run_episode *ep = &r->episodes[k];
        if (ag >= ep->agents && ag < ep->agents + ep->nagents) c->ep = k;
    }
}

static void curve_open(curve *c, const ar_run *r, const ar_run_agent *ag, scratch *sc, int slot) {
    curve_open_with(c, r, ag, sc->buf[slot], &sc->eb);
}

/* Row j (< nequity) of the curve; on a failed read, a row of NANs and
 * c->err set. */
static const ar_equity_rec *curve_at(curve *c, size_t j) {
    static const ar_equity_rec bad = {INT64_MIN, NAN, NAN, NAN};
    if (c->src == NULL) return c->err ? &bad : &c->ag->equity[j];
    if (j - c->lo < c->n) return &c->buf[j - c->lo];
    if (c->err) return &bad;
    size_t n = c->ag->nequity - j < AR_EQUITY_BLOCK ? c->ag->nequity - j : AR_EQUITY_BLOCK;
    if ((c->err = ar_equity_src_read(c->src, c->ep, c->ag->name, j, n, c->buf, c->eb))) {
        c->n = 0;
        return &bad;
    }
    c->lo = j;
    c->n = n;
    return &c->buf[0];
}

/* ---- a curve summarised as it goes by ------------------------------------
 * What the league takes from an equity curve, one block at a time in
 * order: its metrics accumulator, the exposure terms and, when asked for,
 * the class of each sample (exposure not finite, > 0, or not) in runs of
 * one class at a constant step, which is all the behaviour replay reads of
 * a sample. `arena run` builds one per curve while the curve streams into
 * the run file, so the table need not read the curve back
 * (ar_league_opts.sums); the league builds the same from the curve
 * otherwise, by the same code on the same samples in the same order, so
 * the two give the same bits. Runs (one per change of side at most:
 * fills, not samples) are kept up to the summary's budget, by default
 * CURVE_SUM_BYTES; past that the behaviour replay reads the curve after
 * all. */
#define CURVE_SUM_BYTES ((size_t)2 << 20)

typedef struct {
    int64_t t0, dt; /* samples t0, t0 + dt, ... (dt 0 while count is 1) */
    size_t count;
    int cls;
} crun;

struct ar_curve_sum {
    size_t n; /* samples seen */
    ar_metrics_acc ma;
    double expo_sum; /* gross exposure / equity over the samples where it is defined */
    size_t expo_n;
    int track;   /* keep runs */
    int no_runs; /* too many runs (or no memory for them): none kept */
    crun *runs;
    size_t nruns, cap, max_runs;
    int64_t tlast;
};

enum { CLS_BAD, CLS_EXPOSED, CLS_FLAT }; /* a sample's exposure: not finite, > 0, else */

static inline int sample_cls(const ar_equity_rec *e) {
    return !isfinite(e->gross_exposure) ? CLS_BAD : e->gross_exposure > 0 ? CLS_EXPOSED : CLS_FLAT;
}

static void curve_sum_init(ar_curve_sum *s, int track) {
    memset(s, 0, sizeof *s);
    ar_metrics_acc_init(&s->ma);
    s->track = track;
}

/* A new run of one sample at t (none kept from here on past the budget). */
static void runs_start(ar_curve_sum *s, int64_t t, int cls) {
    if (s->nruns == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        if (cap > s->max_runs) cap = s->max_runs;
        crun *v = cap > s->cap ? realloc(s->runs, cap * sizeof *v) : NULL;
        if (v == NULL) {
            free(s->runs);
            s->runs = NULL;
            s->nruns = s->cap = 0;
            s->no_runs = 1;
            return;
        }
        s->runs = v;
        s->cap = cap;
    }
    s->runs[s->nruns++] = (crun){t, 0, 1, cls};
    s->tlast = t;
}

/* The samples of a block into runs: each goes on the last run when it has
 * the run's side and comes one step after the last sample (the run's
 * second sample sets the step), else starts a run. In locals while a run
 * grows (the samples' int64 t may alias the run's count). */
static void runs_fold(ar_curve_sum *s, const ar_equity_rec *b, size_t nb) {
    size_t j = 0;
    while (j < nb && !s->no_runs) {
        if (s->nruns > 0) {
            crun *u = &s->runs[s->nruns - 1];
            int64_t tl = s->tlast, dt = u->dt;
            size_t cnt = u->count;
            for (; j < nb; j++) {
                uint64_t step = (uint64_t)b[j].t - (uint64_t)tl; /* the true one when t > tl */
                if (b[j].t <= tl || step > INT64_MAX || (cnt > 1 && step != (uint64_t)dt) ||
                    sample_cls(&b[j]) != u->cls)
                    break;
                dt = (int64_t)step;
                tl = b[j].t;
                cnt++;
            }
            u->dt = dt;
            u->count = cnt;
            s->tlast = tl;
            if (j == nb) break;
        }
        runs_start(s, b[j].t, sample_cls(&b[j]));
        j++;
    }
}

static void curve_sum_block(ar_curve_sum *s, const ar_equity_rec *b, size_t nb) {
    ar_metrics_acc_add(&s->ma, &b[0].equity, sizeof *b, nb);
    double xs = s->expo_sum; /* in locals: the samples' int64 t may alias the count */
    size_t xn = s->expo_n;
    for (size_t j = 0; j < nb; j++) {
        double x = b[j].gross_exposure / b[j].equity;
        if (b[j].equity > 0 && isfinite(x)) {
            xs += x;
            xn++;
        }
    }
    s->expo_sum = xs;
    s->expo_n = xn;
    if (s->track) runs_fold(s, b, nb);
    s->n += nb;
}

ar_curve_sum *ar_curve_sum_new(size_t max_bytes) {
    ar_curve_sum *s = malloc(sizeof *s);
    if (s == NULL) return NULL;
    curve_sum_init(s, 1);
    s->max_runs = (max_bytes ? max_bytes : CURVE_SUM_BYTES) / sizeof(crun);
    return s;
}

void ar_curve_sum_add(ar_curve_sum *s, const ar_equity_rec *e, size_t n) {
    if (s && n > 0) curve_sum_block(s, e, n);
}

void ar_curve_sum_free(ar_curve_sum *s) {
    if (s == NULL) return;
    free(s->runs);
    free(s);
}

/* ---- record logs ----------------------------------------------------------
 * Orders, fills, round trips and decisions are read the same way: in place
 * when the run holds them, else LOG_BLOCK rows at a time through
 * ar_run_log_rows (a long `arena run` spills them, and `arena table` leaves
 * them in the file). Reads go mostly forward; an order looked up by a
 * fill's id is near the fills being read. */
#define LOG_BLOCK 4096

typedef struct {
    const ar_run *r;
    const ar_run_agent *ag;
    ar_log log;
    size_t size, n;
    const unsigned char *mem; /* the rows in memory, or NULL */
    unsigned char *buf;       /* else a block of them: rows [lo, lo + cnt) */
    size_t lo, cnt;
    ar_errbuf *eb;
    ar_err err;
} logcur;

static void log_open(logcur *c, const ar_run *r, const ar_run_agent *ag, ar_log log, ar_errbuf *eb) {
    *c = (logcur){r, ag, log, ar_log_size(log), ar_run_log_count(ag, log), ar_run_log_data(ag, log), NULL, 0, 0, eb,
                  AR_OK};
}

static void log_close(logcur *c) {
    free(c->buf);
    c->buf = NULL;
}

/* Row k (< n) of the log; on a failed read, a zeroed row and c->err set. */
static const void *log_at(logcur *c, size_t k) {
    static const _Alignas(16) unsigned char zero[256]; /* > any record, aligned for any field */
    if (c->mem != NULL) return c->mem + k * c->size;
    if (k - c->lo < c->cnt) return c->buf + (k - c->lo) * c->size;
    if (c->err) return zero;
    if (c->buf == NULL && (c->buf = malloc(LOG_BLOCK * c->size)) == NULL) {
        c->err = ar_errf(c->eb, AR_ENOMEM, "league: out of memory");
        return zero;
    }
    size_t lo = k / LOG_BLOCK * LOG_BLOCK, cnt = c->n - lo < LOG_BLOCK ? c->n - lo : LOG_BLOCK;
    if ((c->err = ar_run_log_rows(c->r, c->ag, c->log, lo, cnt, c->buf, c->eb))) {
        c->cnt = 0;
        return zero;
    }
    c->lo = lo;
    c->cnt = cnt;
    return c->buf + (k - lo) * c->size;
}
#define FILL_AT(c, k) ((const ar_fill_rec *)log_at((c), (k)))
#define ORDER_AT(c, k) ((const ar_order_rec *)log_at((c), (k)))
#define TRADE_AT(c, k) ((const ar_trade_rec *)log_at((c), (k)))

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

/* What an agent's fills and round trips say of how it trades (below). */
typedef struct {
    double lev_sum, lev_w;
    double t_long, t_short, t_flat;
    size_t nsamp;
    double hold_sum;
    size_t nhold;
    double brier_sum;
    size_t nbrier;
    size_t exit_plan, exit_n;
} behav;

typedef struct {
    ar_league_row row;
    double sum[NMEAN];
    size_t cnt[NMEAN];
    ar_trade_acc pnl; /* pooled round-trip PnL, in episode order */
    double expo_sum;
    ar_moments mom; /* the agent's per-period returns over its episodes */
    behav bv;
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

/* -- behaviour -- */

/* "BTC-PERP", "btcusdt", "BTC/USD" -> "BTC": upper-case letters and digits,
 * then one PERP suffix and one quote-currency suffix removed, as the answer
 * parser accepts these spellings of a coin (docs/LLM.md). */
static void coin_norm(const char *s, size_t n, char *out, size_t cap) {
    size_t k = 0;
    for (size_t i = 0; i < n && s[i] && k + 1 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 'a' && ch <= 'z') out[k++] = (char)(ch - 'a' + 'A');
        else if ((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) out[k++] = (char)ch;
    }
    out[k] = '\0';
    static const char *const suf[] = {"PERP", "USDT", "USDC", "USD"};
    for (size_t j = 0; j < 4; j++) {
        size_t l = strlen(suf[j]);
        if (k > l && !strcmp(out + k - l, suf[j])) {
            k -= l;
            out[k] = '\0';
            if (j == 0) continue; /* after PERP, a quote suffix may follow */
            break;
        }
    }
}

static int32_t coin_sym(const ar_run *r, const char *coin, size_t n) {
    char a[AR_SYM_MAX + 64], b[AR_SYM_MAX + 64];
    coin_norm(coin, n, a, sizeof a);
    if (!*a) return -1;
    for (size_t s = 0; s < r->nsym; s++) {
        coin_norm(r->symbols[s], AR_SYM_MAX, b, sizeof b);
        if (!strcmp(a, b)) return (int32_t)s;
    }
    return -1;
}

static int is_entry(const json_t *sig, double *side) {
    if (!json_is_string(sig)) return 0;
    char buf[32];
    const char *s = json_string_value(sig);
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    size_t n = 0;
    for (; s[n] && n + 1 < sizeof buf; n++) buf[n] = (char)((s[n] >= 'A' && s[n] <= 'Z') ? s[n] - 'A' + 'a' : s[n]);
    while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--;
    buf[n] = '\0';
    if (!strcmp(buf, "buy_to_enter")) return *side = 1, 1;
    if (!strcmp(buf, "sell_to_enter")) return *side = -1, 1;
    return 0;
}

/* A JSON number, or a numeric string as the answer parser accepts. */
static double num_of(const json_t *v) {
    if (json_is_number(v)) return json_number_value(v);
    if (!json_is_string(v)) return NAN;
    const char *s = json_string_value(v);
    char *end;
    double x = strtod(s, &end);
    while (*end == ' ') end++;
    return end != s && *end == '\0' && isfinite(x) ? x : NAN;
}

/* Brier terms of the entries with a stated confidence in one episode. An
 * entry at decision t on symbol s is matched to the first fill of s at or
 * after t from an order decided at t (any fill when the order is not in
 * the log), and then to the round trip that fill opened on the entry's
 * side; entries that opened nothing (rejected, added to a position) are
 * not scored. */
static ar_err brier_episode(const ar_run *r, const ar_run_agent *ag, ar_errbuf *eb, behav *b) {
    logcur fc, oc, tc;
    log_open(&fc, r, ag, AR_LOG_FILLS, eb);
    log_open(&oc, r, ag, AR_LOG_ORDERS, eb);
    log_open(&tc, r, ag, AR_LOG_TRADES, eb);
    for (size_t k = 0; k < ag->nllm; k++) {
        const ar_llm_rec *c = &ag->llm[k];
        if (c->actions_len <= 0 || c->actions_off < 0 || ag->answers == NULL ||
            (uint64_t)c->actions_off + (uint64_t)c->actions_len > ag->answers_len)
            continue;
        json_error_t je;
        json_t *list = json_loadb(ag->answers + c->actions_off, (size_t)c->actions_len, 0, &je);
        if (list == NULL) continue; /* not ours to judge: the record is what it is */
        size_t ai;
        json_t *a;
        json_array_foreach(list, ai, a) {
            double side, conf = num_of(json_object_get(a, "confidence"));
            const json_t *coin = json_object_get(a, "coin");
            if (!json_is_object(a) || !is_entry(json_object_get(a, "signal"), &side) || !(conf >= 0 && conf <= 1) ||
                !json_is_string(coin))
                continue;
            int32_t s = coin_sym(r, json_string_value(coin), json_string_length(coin));
            if (s < 0) continue;
            const ar_fill_rec *f = NULL;
            ar_fill_rec fx;
            for (size_t j = 0; j < ag->nfills && f == NULL; j++) {
                const ar_fill_rec *x = FILL_AT(&fc, j);
                if (x->sym != s || x->t < c->t) continue;
                if (x->order_id >= 0 && (size_t)x->order_id < ag->norders &&
                    ORDER_AT(&oc, (size_t)x->order_id)->t_decision != c->t)
                    continue;
                if (x->order_id < 0) continue; /* TP / SL / liquidation: opens nothing */
                fx = *x;
                f = &fx;
            }
            if (f == NULL) continue;
            for (size_t j = 0; j < ag->ntrades; j++) {
                const ar_trade_rec *tr = TRADE_AT(&tc, j);
                if (tr->sym == s && tr->t_open == f->t && tr->side == (int32_t)side) {
                    double win = tr->pnl > 0 ? 1.0 : 0.0;
                    b->brier_sum += (conf - win) * (conf - win);
                    b->nbrier++;
                    break;
                }
            }
        }
        json_decref(list);
    }
    log_close(&fc);
    log_close(&oc);
    log_close(&tc);
    return fc.err ? fc.err : oc.err ? oc.err : tc.err;
}

typedef struct {
    int32_t sym;
    int64_t t;
    int32_t kind;
    int used;
} closing;

/* Closings waiting for their round trips, and the trades read so far.
 * Closings are in time order and so, as the account logs them, are the
 * trades: a closing earlier than a trade's close can match no later trade,
 * so the scan starts past those (linear, not quadratic, in the number of
 * trades). A trade out of order restarts it. */
typedef struct {
    closing *v;
    size_t n, cap, first;
    size_t k;           /* trades matched so far */
    int64_t prev_close;
    logcur tc;
} matcher;

/* Room for one more closing: used ones go first (nothing matches them
 * again, and the scan skips them anyway), so the list holds the closings
 * still waiting, not every closing of the episode. */
static int matcher_room(matcher *m) {
    if (m->n < m->cap) return 0;
    size_t w = 0, nf = 0;
    for (size_t j = 0; j < m->n; j++) {
        if (j == m->first) nf = w;
        if (!m->v[j].used) m->v[w++] = m->v[j];
    }
    m->first = m->first >= m->n ? w : nf;
    m->n = w;
    if (m->n < m->cap) return 0;
    size_t cap = m->cap ? m->cap * 2 : 64;
    closing *v = realloc(m->v, cap * sizeof *v);
    if (v == NULL) return -1;
    m->v = v;
    m->cap = cap;
    return 0;
}

/* Match the trades that closed before `limit` (every closing before it is
 * in the list by then) to the closings at their close. */
static void match_trades(matcher *m, const ar_run_agent *ag, int64_t limit, behav *b) {
    for (; m->k < ag->ntrades; m->k++) {
        const ar_trade_rec *tr = TRADE_AT(&m->tc, m->k);
        if (tr->t_close >= limit && limit != INT64_MAX) break;
        double d = (double)(tr->t_close - tr->t_open) / (double)AR_NS_PER_MIN;
        if (tr->t_close >= tr->t_open) {
            b->hold_sum += d;
            b->nhold++;
        }
        if (tr->t_close < m->prev_close) m->first = 0;
        m->prev_close = tr->t_close;
        closing *cl = m->v;
        while (m->first < m->n && (cl[m->first].used || cl[m->first].t < tr->t_close)) m->first++;
        for (size_t j = m->first; j < m->n && cl[j].t <= tr->t_close; j++)
            if (!cl[j].used && cl[j].sym == tr->sym && cl[j].t == tr->t_close) {
                cl[j].used = 1;
                b->exit_n++;
                b->exit_plan += cl[j].kind == AR_FK_TP || cl[j].kind == AR_FK_SL || cl[j].kind == AR_FK_LIQ;
                break;
            }
    }
}

/* Replay the agent's fills per symbol: leverage of the opening parts, the
 * side of the book at each equity sample (fills before the sample's time:
 * an order decided at t fills at t or later, after the mark at t), and the
 * kind of fill that closed each round trip (matched as the replay goes, so
 * only closings still waiting are held; fills are in time order as the
 * account logs them). It steps along with the pass over the curve
 * (episode_metrics): beh_open, beh_sample for every sample in order, then
 * beh_close. */
typedef struct {
    const ar_run_agent *ag;
    size_t nsym, f;
    double *pos; /* position per symbol */
    int lg, sh;  /* some position long, some short */
    int64_t next; /* a sample after this needs beh_events */
    matcher mt;
    logcur fc, oc;
    ar_err err;
} bstep;

static void beh_open(bstep *s, const ar_run *r, const ar_run_agent *ag, scratch *sc) {
    /* fills name symbols of the run; one that does not is skipped */
    *s = (bstep){ag, r->nsym, 0, NULL, 0, 0, INT64_MIN, {NULL, 0, 0, 0, 0, INT64_MIN, {0}}, {0}, {0}, AR_OK};
    s->pos = calloc(s->nsym ? s->nsym : 1, sizeof *s->pos);
    if (s->pos == NULL) s->err = AR_ENOMEM;
    log_open(&s->fc, r, ag, AR_LOG_FILLS, &sc->eb);
    log_open(&s->oc, r, ag, AR_LOG_ORDERS, &sc->eb);
    log_open(&s->mt.tc, r, ag, AR_LOG_TRADES, &sc->eb);
}

/* The fills before ts (every one left when last), and the trades that
 * closed before it; then when the next of either comes. */
static void beh_events(bstep *s, int64_t ts, int last, behav *b) {
    const ar_run_agent *ag = s->ag;
    double *pos = s->pos;
    for (; s->f < ag->nfills && (FILL_AT(&s->fc, s->f)->t < ts || last); s->f++) {
        const ar_fill_rec *x = FILL_AT(&s->fc, s->f);
        if (x->sym < 0 || (size_t)x->sym >= s->nsym || !isfinite(x->qty) || x->qty == 0) continue;
        double q0 = pos[x->sym], dq = x->qty, rest = fabs(dq);
        if (q0 != 0 && (q0 > 0) != (dq > 0)) rest = fabs(dq) > fabs(q0) ? fabs(dq) - fabs(q0) : 0;
        double q1 = q0 + dq, scale = fabs(q0) > fabs(dq) ? fabs(q0) : fabs(dq);
        if (fabs(q1) <= 1e-9 * scale) q1 = 0; /* exec's same_size closes such a position too */
        if (q0 != 0 && (q1 == 0 || (q1 > 0) != (q0 > 0))) {
            if (matcher_room(&s->mt)) {
                s->err = AR_ENOMEM;
                return;
            }
            s->mt.v[s->mt.n++] = (closing){x->sym, x->t, x->kind, 0};
        }
        if (rest > 0 && x->order_id >= 0) {
            double lev = (size_t)x->order_id < ag->norders ? ORDER_AT(&s->oc, (size_t)x->order_id)->leverage : NAN;
            if (!(isfinite(lev) && lev >= 1)) lev = 1; /* spot orders record 0 or 1 */
            double w = rest * fabs(x->price);
            if (isfinite(w) && w > 0) {
                b->lev_sum += lev * w;
                b->lev_w += w;
            }
        }
        pos[x->sym] = q1;
    }
    /* every closing before ts is in: the trades that closed before it can match */
    match_trades(&s->mt, ag, last ? INT64_MAX : ts, b);
    s->lg = s->sh = 0;
    for (size_t k = 0; k < s->nsym; k++) {
        s->lg |= pos[k] > 0;
        s->sh |= pos[k] < 0;
    }
    int64_t nf = s->f < ag->nfills ? FILL_AT(&s->fc, s->f)->t : INT64_MAX;
    int64_t nt = s->mt.k < ag->ntrades ? TRADE_AT(&s->mt.tc, s->mt.k)->t_close : INT64_MAX;
    s->next = nf < nt ? nf : nt;
}

/* m samples of class cls (CLS_*) after the last events: counts of samples
 * and halves are exact in a double, so m at once adds what m ones add. */

static void beh_count(const bstep *s, int cls, size_t m, behav *b) {
    if (cls == CLS_BAD) return;
    double x = (double)m;
    b->nsamp += m;
    if (cls == CLS_FLAT) b->t_flat += x;
    else if (s->lg && !s->sh) b->t_long += x;
    else if (s->sh && !s->lg) b->t_short += x;
    else { /* both sides, or exposure the fills do not explain: half each */
        b->t_long += 0.5 * x;
        b->t_short += 0.5 * x;
    }
}

/* The sample e (NULL: after the last one, when every fill left applies).
 * Between fills and closings nothing but the sample's side moves. */
static void beh_sample(bstep *s, const ar_equity_rec *e, behav *b) {
    if (s->err) return;
    if (e == NULL || e->t > s->next) beh_events(s, e ? e->t : INT64_MAX, e == NULL, b);
    if (e == NULL || s->err) return;
    beh_count(s, sample_cls(e), 1, b);
}

/* The samples of a run (ar_curve_sum): the same as beh_sample on each, a
 * stretch between events at a time. */
static void beh_run(bstep *s, const crun *u, behav *b) {
    int64_t t = u->t0;
    size_t left = u->count;
    while (left > 0 && !s->err) {
        if (t > s->next) beh_events(s, t, 0, b);
        if (s->err) return;
        /* the samples t, t + dt, ... up to s->next (>= t) call for no events */
        size_t m = left;
        int64_t gap;
        if (u->dt > 0 && s->next != INT64_MAX && !__builtin_sub_overflow(s->next, t, &gap) &&
            (uint64_t)gap / (uint64_t)u->dt < m - 1)
            m = (size_t)((uint64_t)gap / (uint64_t)u->dt) + 1;
        beh_count(s, u->cls, m, b);
        left -= m;
        if (left > 0) t += (int64_t)m * u->dt;
    }
}

static ar_err beh_close(bstep *s, const ar_run *r, scratch *sc, behav *b) {
    free(s->pos);
    free(s->mt.v);
    log_close(&s->fc);
    log_close(&s->oc);
    log_close(&s->mt.tc);
    ar_err err = s->err ? s->err : s->fc.err ? s->fc.err : s->oc.err ? s->oc.err : s->mt.tc.err;
    return err ? err : s->ag->nllm ? brier_episode(r, s->ag, &sc->eb, b) : AR_OK;
}

/* What the episode table (below) keeps of one agent's episode curve, worked
 * out once by the first pass and read back by build_table in the same
 * (run, episode, agent) order. */
typedef struct {
    double tr, sharpe, mdd;
    int curve; /* the curve has period returns */
} epcurve;

/* Metrics of one agent's episode curve, its mean exposure terms, its
 * returns into the agent's moments and its behaviour into *a. From pre,
 * the curve summarised as it was made, when there is one for all of it;
 * else in one pass over the curve (a block at a time, in place or read
 * from the file), which builds the same summary. The behaviour replay
 * steps along with that pass, or along pre's runs. Returns 1 when the
 * curve has period returns; *tr is the total return, defined also for a
 * curve that touches zero (liquidated): it has no period returns, but its
 * total return (-100% or close) is well defined and must rank. */
static int episode_metrics(const ar_run *r, const ar_run_agent *ag, const ar_curve_sum *pre, double ppy, acc *a,
                           scratch *sc, ar_metrics *m, double *tr, ar_err *err) {
    size_t n = ag->nequity;
    if (pre != NULL && pre->n != n) pre = NULL; /* not the whole curve */
    ar_curve_sum local;
    const ar_curve_sum *s = pre;
    bstep bs;
    beh_open(&bs, r, ag, sc);
    curve c = {.err = AR_OK};
    if (pre == NULL || pre->no_runs) {
        sc->curves_read += n > 0;
        curve_open(&c, r, ag, sc, 0);
        if (pre == NULL) curve_sum_init(&local, 0);
        for (size_t k = 0; k < n; k += AR_EQUITY_BLOCK) {
            size_t nb = n - k < AR_EQUITY_BLOCK ? n - k : AR_EQUITY_BLOCK;
            const ar_equity_rec *b = curve_at(&c, k);
            if (pre == NULL) curve_sum_block(&local, b, nb);
            for (size_t j = 0; j < nb; j++) beh_sample(&bs, &b[j], &a->bv);
            if (c.err) break;
        }
        if (pre == NULL) s = &local;
    } else {
        for (size_t k = 0; k < pre->nruns; k++) beh_run(&bs, &pre->runs[k], &a->bv);
    }
    if (!c.err) beh_sample(&bs, NULL, &a->bv); /* the fills after the last sample */
    ar_err be = beh_close(&bs, r, sc, &a->bv);
    *err = c.err ? c.err : be;
    if (*err) return 0;
    a->expo_sum += s->expo_sum;
    a->expo_n += s->expo_n;
    int ok = n >= 2 && ar_metrics_acc_finish(&s->ma, ppy, m) == AR_OK;
    /* the returns of a curve that has them join the agent's moments */
    if (ok) ar_moments_merge(&a->mom, &s->ma.mo);
    *tr = ok ? m->total_return : NAN;
    if (!ok && n >= 2) {
        double e0 = s->ma.first, e1 = s->ma.last;
        if (e0 > 0 && isfinite(e0) && isfinite(e1)) *tr = e1 / e0 - 1.0;
    }
    return ok;
}

/* Episode values of one agent into the accumulator, in mean_off order; the
 * curve's summary into *ec. */
static ar_err add_episode(acc *a, const ar_run *r, const ar_run_agent *ag, const ar_curve_sum *pre, double ppy,
                          scratch *sc, epcurve *ec) {
    ar_metrics m;
    double tr;
    ar_err ce;
    int ok = episode_metrics(r, ag, pre, ppy, a, sc, &m, &tr, &ce);
    if (ce) return ce;
    *ec = (epcurve){tr, ok ? m.sharpe_annualized : NAN, ok ? m.max_drawdown : NAN, ok};
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
        /* a hold for an exhausted budget (or a config that makes no request)
         * sent nothing: not a call, no latency */
        if (c->attempts <= 0) continue;
        a->row.llm_calls++;
        if (isfinite(c->latency_ms)) {
            a->lat_sum += c->latency_ms;
            a->lat_n++;
        }
    }
    for (size_t i = 0; i < NMEAN; i++) add_mean(a, i, v[i]);

    logcur tc, dc;
    log_open(&tc, r, ag, AR_LOG_TRADES, &sc->eb);
    for (size_t k = 0; k < ag->ntrades; k++) ar_trade_acc_add(&a->pnl, TRADE_AT(&tc, k)->pnl);
    log_close(&tc);
    a->row.episodes++;
    a->row.trades += ag->ntrades;
    a->row.fills += ag->nfills;
    /* decisions the agent was asked: a hold because the budget is spent is
     * neither asked nor an invalid answer */
    log_open(&dc, r, ag, AR_LOG_DECISIONS, &sc->eb);
    for (size_t k = 0; k < ag->ndecisions; k++) {
        const ar_decision_rec *d = log_at(&dc, k);
        if (d->status != 0 && d->reason == AR_R_BUDGET) continue;
        a->row.decisions++;
        if (d->status != 0) a->row.invalid_answers++;
    }
    log_close(&dc);
    return tc.err ? tc.err : dc.err;
}

static void finish_row(acc *a) {
    for (size_t i = 0; i < NMEAN; i++) *fld(&a->row, i) = a->cnt[i] ? a->sum[i] / (double)a->cnt[i] : NAN;
    ar_trade_stats ts;
    ar_trade_acc_finish(&a->pnl, &ts);
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

/* ---- league statistics ---------------------------------------------------
 *
 * After the plain means, a second pass lays the episodes out as a table:
 * one cell per (episode, agent) with the episode's total return, Sharpe and
 * drawdown. Episodes group into windows (clusters): a window is the run
 * episode's (window index, start, end), so the seeds of one window in one
 * run, or in several runs of the same tournament, fall together. The
 * bootstrap draws whole windows, never single episodes: replaying a
 * deterministic agent over more seeds adds no information and must not
 * narrow its interval. To make that exact, a window enters the mean
 * statistics through its own running mean (which is exact for identical
 * values) and the median through the pooled episodes (a type-7 median of
 * a multiset with every element repeated k times is the same number). */

typedef struct {
    const ar_run_agent *ag; /* NULL: the agent did not play this episode */
    const ar_run *run;
    double tr, sharpe, mdd;
    int curve; /* the curve has period returns */
} cell;

typedef struct {
    size_t nep, m, ncl;
    cell *c;         /* nep x m */
    size_t *cl;      /* window of episode g */
    size_t *clstart; /* episodes of window w: clep[clstart[w] .. clstart[w+1]) */
    size_t *clep;
    ar_battle *bt;   /* battles grouped by window */
    size_t *btstart; /* battles of window w: bt[btstart[w] .. btstart[w+1]) */
    size_t nbt;
} eptab;

static void eptab_free(eptab *t) {
    free(t->c);
    free(t->cl);
    free(t->clstart);
    free(t->clep);
    free(t->bt);
    free(t->btstart);
}

static cell *at(const eptab *t, size_t g, size_t i) { return &t->c[g * t->m + i]; }

static size_t find_row(const acc *rows, size_t nrows, const char *name) {
    size_t i = 0;
    while (i < nrows && strncmp(rows[i].row.agent, name, AR_NAME_MAX) != 0) i++;
    return i;
}

/* Same decision times: the two curves can be paired period by period. */
static int aligned(const cell *x, const cell *y, scratch *sc, ar_err *err) {
    const ar_run_agent *a = x->ag, *b = y->ag;
    if (a->nequity != b->nequity) return 0;
    curve ca, cb;
    curve_open(&ca, x->run, a, sc, 0);
    curve_open(&cb, y->run, b, sc, 1);
    size_t k = 0;
    while (k < a->nequity && curve_at(&ca, k)->t == curve_at(&cb, k)->t) k++;
    if (ca.err || cb.err) *err = ca.err ? ca.err : cb.err;
    return k == a->nequity && !*err;
}

static ar_err build_table(const ar_run *const *runs, size_t nruns, const acc *rows, size_t m,
                          const epcurve *curves, eptab *t) {
    memset(t, 0, sizeof *t);
    t->m = m;
    for (size_t ri = 0; ri < nruns; ri++) t->nep += runs[ri]->nepisodes;
    size_t nep = t->nep;
    t->c = calloc(nep * m > 0 ? nep * m : 1, sizeof *t->c);
    t->cl = calloc(nep ? nep : 1, sizeof *t->cl);
    t->clstart = calloc(nep + 1, sizeof *t->clstart);
    t->clep = calloc(nep ? nep : 1, sizeof *t->clep);
    const ar_run_episode **key = calloc(nep ? nep : 1, sizeof *key); /* first episode of each window */
    size_t *cnt = calloc(nep + 1, sizeof *cnt);
    ar_err e = AR_OK;
    if (!t->c || !t->cl || !t->clstart || !t->clep || !key || !cnt) e = AR_ENOMEM;
    size_t g = 0, ci = 0; /* ci: index into curves, in the first pass's order */
    for (size_t ri = 0; ri < nruns && !e; ri++) {
        const ar_run *r = runs[ri];
        for (size_t k = 0; k < r->nepisodes && !e; k++, g++) {
            const ar_run_episode *ep = &r->episodes[k];
            size_t w = 0;
            while (w < t->ncl && !(key[w]->window == ep->window && key[w]->start == ep->start &&
                                   key[w]->end == ep->end))
                w++;
            if (w == t->ncl) key[t->ncl++] = ep;
            t->cl[g] = w;
            cnt[w]++;
            for (size_t j = 0; j < ep->nagents && !e; j++, ci++) {
                const ar_run_agent *ag = &ep->agents[j];
                size_t i = find_row(rows, m, ag->name);
                if (i == m) continue; /* cannot happen: the first pass saw every name */
                cell *c = at(t, g, i);
                c->ag = ag;
                c->run = r;
                c->curve = curves[ci].curve;
                c->tr = curves[ci].tr;
                c->sharpe = curves[ci].sharpe;
                c->mdd = curves[ci].mdd;
            }
        }
    }
    free(key);
    if (!e) {
        for (size_t w = 0; w < t->ncl; w++) t->clstart[w + 1] = t->clstart[w] + cnt[w];
        memset(cnt, 0, (nep + 1) * sizeof *cnt);
        for (size_t q = 0; q < nep; q++) t->clep[t->clstart[t->cl[q]] + cnt[t->cl[q]]++] = q;
        /* Battles: every pair of agents in an episode, by total return. */
        size_t nb = 0;
        for (size_t q = 0; q < nep; q++) {
            size_t k = 0;
            for (size_t i = 0; i < m; i++) k += at(t, q, i)->ag != NULL && !isnan(at(t, q, i)->tr);
            nb += k * (k ? k - 1 : 0) / 2;
        }
        t->bt = calloc(nb ? nb : 1, sizeof *t->bt);
        t->btstart = calloc(t->ncl + 1, sizeof *t->btstart);
        if (!t->bt || !t->btstart) e = AR_ENOMEM;
        for (size_t w = 0; w < t->ncl && !e; w++) {
            for (size_t p = t->clstart[w]; p < t->clstart[w + 1]; p++) {
                size_t q = t->clep[p];
                for (size_t i = 0; i < m; i++) {
                    const cell *a = at(t, q, i);
                    if (a->ag == NULL || isnan(a->tr)) continue;
                    for (size_t j = i + 1; j < m; j++) {
                        const cell *b = at(t, q, j);
                        if (b->ag == NULL || isnan(b->tr)) continue;
                        double y = a->tr > b->tr ? 1.0 : a->tr < b->tr ? 0.0 : 0.5;
                        t->bt[t->nbt++] = (ar_battle){(int)i, (int)j, y};
                    }
                }
            }
            t->btstart[w + 1] = t->nbt;
        }
    }
    free(cnt);
    return e;
}

/* -- bootstrap -- */

static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* 2.5 % / 97.5 % of the finite values among v[0..n-1] (sorted in place). */
static void interval(double *v, size_t n, double *lo, double *hi) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) v[k++] = v[i];
    if (k == 0) {
        *lo = *hi = NAN;
        return;
    }
    qsort(v, k, sizeof *v, cmp_dbl);
    *lo = ar_quantile_sorted(v, k, 0.025);
    *hi = ar_quantile_sorted(v, k, 0.975);
}

/* The type-7 median of v[0..n-1] (no NANs; reordered): the two middle
 * order statistics by selection, O(n) where a sort was O(n log n) (the
 * bootstrap takes B x agents medians of every episode's return). For an
 * even n, ar_quantile_sorted interpolates between them as it would on the
 * whole sorted array (the same bits); for an odd n it is the middle one. */
static double median_of(double *v, size_t n) {
    if (n == 0) return NAN;
    double lo = gsl_stats_select(v, 1, n, (n - 1) / 2);
    if (n % 2) return lo;
    double mid[2] = {lo, gsl_stats_select(v, 1, n, n / 2)};
    return ar_quantile_sorted(mid, 2, 0.5);
}

/* Window means (running means: exact for identical values) of agent i. */
static double window_mean(const eptab *t, size_t w, size_t i, int sharpe) {
    double mu = 0;
    size_t n = 0;
    for (size_t p = t->clstart[w]; p < t->clstart[w + 1]; p++) {
        const cell *c = at(t, t->clep[p], i);
        double v = sharpe ? c->sharpe : c->tr;
        if (c->ag == NULL || isnan(v)) continue;
        n++;
        mu += (v - mu) / (double)n;
    }
    return n ? mu : NAN;
}

typedef struct {
    double *ret, *med, *sh, *rat; /* m x B replicates */
} boot;

/* fit: rated agents (those with a battle); fmap[i] their index, or m. */
static ar_err run_bootstrap(const eptab *t, size_t B, uint64_t seed, size_t fit, const size_t *fmap, boot *bs) {
    size_t m = t->m, W = t->ncl;
    ar_err e = AR_OK;
    double *wm_tr = malloc((W * m > 0 ? W * m : 1) * sizeof *wm_tr);
    double *wm_sh = malloc((W * m > 0 ? W * m : 1) * sizeof *wm_sh);
    size_t *draw = malloc((W ? W : 1) * sizeof *draw);
    /* a resample draws W windows with replacement: up to W x the largest
     * window's episodes (more than nep when windows differ in size) */
    size_t maxcl = 0, maxbt = 0;
    for (size_t w = 0; w < W; w++) {
        if (t->clstart[w + 1] - t->clstart[w] > maxcl) maxcl = t->clstart[w + 1] - t->clstart[w];
        if (t->btstart[w + 1] - t->btstart[w] > maxbt) maxbt = t->btstart[w + 1] - t->btstart[w];
    }
    double *pool = malloc((W * maxcl > 0 ? W * maxcl : 1) * sizeof *pool);
    ar_battle *rs = malloc((W * maxbt > 0 ? W * maxbt : 1) * sizeof *rs);
    double *R = malloc((fit ? fit : 1) * sizeof *R);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!wm_tr || !wm_sh || !draw || !pool || !rs || !R || !rng) {
        e = AR_ENOMEM;
        goto out;
    }
    gsl_rng_set(rng, (unsigned long)seed);
    for (size_t w = 0; w < W; w++)
        for (size_t i = 0; i < m; i++) {
            wm_tr[w * m + i] = window_mean(t, w, i, 0);
            wm_sh[w * m + i] = window_mean(t, w, i, 1);
        }
    for (size_t b = 0; b < B; b++) {
        for (size_t k = 0; k < W; k++) draw[k] = gsl_rng_uniform_int(rng, W);
        for (size_t i = 0; i < m; i++) {
            double s1 = 0, s2 = 0;
            size_t n1 = 0, n2 = 0, np = 0;
            for (size_t k = 0; k < W; k++) {
                size_t w = draw[k];
                double a = wm_tr[w * m + i], c = wm_sh[w * m + i];
                if (!isnan(a)) s1 += a, n1++;
                if (!isnan(c)) s2 += c, n2++;
                for (size_t p = t->clstart[w]; p < t->clstart[w + 1]; p++) {
                    const cell *x = at(t, t->clep[p], i);
                    if (x->ag != NULL && !isnan(x->tr)) pool[np++] = x->tr;
                }
            }
            bs->ret[i * B + b] = n1 ? s1 / (double)n1 : NAN;
            bs->sh[i * B + b] = n2 ? s2 / (double)n2 : NAN;
            bs->med[i * B + b] = median_of(pool, np);
        }
        size_t nr = 0;
        for (size_t k = 0; k < W; k++)
            for (size_t q = t->btstart[draw[k]]; q < t->btstart[draw[k] + 1]; q++) rs[nr++] = t->bt[q];
        /* A resample may leave the MLE undefined: its fallback fit enters
         * as is, as in `arena rank`. */
        ar_err fe = fit ? ar_bt_fit(rs, nr, fit, R, NULL) : AR_EINVAL;
        if (fe == AR_ENOMEM) {
            e = fe;
            goto out;
        }
        for (size_t i = 0; i < m; i++)
            bs->rat[i * B + b] = fmap[i] < m && (fe == AR_OK || fe == AR_EUNDEF) ? R[fmap[i]] : NAN;
    }
out:
    free(wm_tr);
    free(wm_sh);
    free(draw);
    free(pool);
    free(rs);
    free(R);
    gsl_rng_free(rng);
    return e;
}

/* The episodes of window wi the pair (i, best) is compared over, into use
 * (*nuse of them): those where both curves have returns and are aligned
 * with each other and with the first such episode's curve. */
static ar_err jk_select(const eptab *t, size_t wi, size_t i, size_t best, size_t *use, size_t *nuse, scratch *sc) {
    ar_err e = AR_OK;
    const cell *ref = NULL;
    *nuse = 0;
    for (size_t p = t->clstart[wi]; p < t->clstart[wi + 1] && !e; p++) {
        size_t g = t->clep[p];
        const cell *x = at(t, g, i), *y = at(t, g, best);
        if (x->ag == NULL || y->ag == NULL || !x->curve || !y->curve || !aligned(x, y, sc, &e)) continue;
        if (ref != NULL && !aligned(ref, x, sc, &e)) continue;
        if (ref == NULL) ref = x;
        use[(*nuse)++] = g;
    }
    return e;
}

/* What jk_select would choose, on the usual assumption that it keeps every
 * episode: those whose two curves have returns and the sample count of the
 * first such one. Reads nothing; jk_window's first pass checks the times
 * (mis set when some differ: then jk_select must choose). */
static size_t jk_candidates(const eptab *t, size_t wi, size_t i, size_t best, size_t *use) {
    size_t n = 0, len = 0;
    for (size_t p = t->clstart[wi]; p < t->clstart[wi + 1]; p++) {
        size_t g = t->clep[p];
        const cell *x = at(t, g, i), *y = at(t, g, best);
        if (x->ag == NULL || y->ag == NULL || !x->curve || !y->curve || x->ag->nequity != y->ag->nequity) continue;
        if (n > 0 && x->ag->nequity != len) continue;
        len = x->ag->nequity;
        use[n++] = g;
    }
    return n;
}

/* Cursors of the JK passes: a pair per episode of a window, each with its
 * own block, so that every block of every curve is read once. */
typedef struct jkcur {
    curve *cx, *cy;
    double *px, *py;     /* the equity before the next return */
    ar_equity_rec *bufs; /* 2 blocks per episode */
    int64_t *tref;       /* the first episode's times of a piece */
    size_t cap;          /* episodes there is room for */
} jkcur;

static void jkcur_free(jkcur *j) {
    free(j->cx);
    free(j->cy);
    free(j->px);
    free(j->py);
    free(j->bufs);
    free(j->tref);
    memset(j, 0, sizeof *j);
}

static ar_err jkcur_room(jkcur *j, size_t n) {
    if (n <= j->cap) return AR_OK;
    jkcur_free(j);
    j->cx = malloc(n * sizeof *j->cx);
    j->cy = malloc(n * sizeof *j->cy);
    j->px = malloc(n * sizeof *j->px);
    j->py = malloc(n * sizeof *j->py);
    j->bufs = malloc(2 * n * AR_EQUITY_BLOCK * sizeof *j->bufs);
    j->tref = malloc(AR_EQUITY_BLOCK * sizeof *j->tref);
    if (!j->cx || !j->cy || !j->px || !j->py || !j->bufs || !j->tref) {
        jkcur_free(j);
        return AR_ENOMEM;
    }
    j->cap = n;
    return AR_OK;
}

/* The JK pair for agent i against agent best into c, over one window's
 * episodes as jk_select chose them: one series per window, the per-period
 * returns averaged (running mean, exact for identical values) over the
 * window's episodes, so the seeds of a window, which share the market's
 * moves, count as one observation per decision time, not as independent
 * ones (a deterministic baseline replayed over S seeds made z ~ sqrt(S)
 * too large: docs/HARDENING.md "Honest intervals"). The averaged series is
 * built a block at a time from one cursor per curve that only moves
 * forward, so each block of a curve kept in the file is read once, whole
 * (AR_EQUITY_BLOCK-aligned). The co-moments are the same whatever the
 * pieces they get. */
static ar_err jk_window(const eptab *t, size_t i, size_t best, const size_t *use, size_t nuse,
                        jkcur *jc, scratch *sc, ar_comoments *c, int *mis) {
    if (nuse == 0) return AR_OK;
    ar_err e = jkcur_room(jc, nuse);
    if (e) return e;
    int64_t t0 = 0;
    for (size_t k = 0; k < nuse && !e; k++) {
        const cell *x = at(t, use[k], i), *y = at(t, use[k], best);
        curve_open_with(&jc->cx[k], x->run, x->ag, jc->bufs + 2 * k * AR_EQUITY_BLOCK, &sc->eb);
        curve_open_with(&jc->cy[k], y->run, y->ag, jc->bufs + (2 * k + 1) * AR_EQUITY_BLOCK, &sc->eb);
        const ar_equity_rec *a0 = curve_at(&jc->cx[k], 0), *b0 = curve_at(&jc->cy[k], 0);
        jc->px[k] = a0->equity;
        jc->py[k] = b0->equity;
        if (k == 0) t0 = a0->t;
        if (mis && (a0->t != b0->t || a0->t != t0)) *mis = 1;
        e = jc->cx[k].err ? jc->cx[k].err : jc->cy[k].err;
    }
    size_t len = at(t, use[0], i)->ag->nequity - 1, piece = AR_EQUITY_BLOCK;
    double *r1 = sc->r1, *r2 = sc->r2;
    int64_t *tref = jc->tref;
    for (size_t j0 = 0; j0 < len && !e; j0 += piece) {
        size_t nb = len - j0 < piece ? len - j0 : piece;
        for (size_t k = 0; k < nuse && !e; k++) {
            curve *cx = &jc->cx[k], *cy = &jc->cy[k];
            double px = jc->px[k], py = jc->py[k];
            for (size_t j = 0; j < nb; j++) {
                const ar_equity_rec *ex = curve_at(cx, j0 + j + 1), *ey = curve_at(cy, j0 + j + 1);
                double qx = ex->equity, qy = ey->equity;
                if (mis) { /* the same decision times: x with y, and with the first x */
                    if (k == 0) tref[j] = ex->t;
                    if (ex->t != ey->t || ex->t != tref[j]) *mis = 1;
                }
                double a = qx / px - 1.0, b = qy / py - 1.0;
                px = qx;
                py = qy;
                if (k == 0) {
                    r1[j] = a;
                    r2[j] = b;
                } else {
                    r1[j] += (a - r1[j]) / (double)(k + 1);
                    r2[j] += (b - r2[j]) / (double)(k + 1);
                }
            }
            jc->px[k] = px;
            jc->py[k] = py;
            e = cx->err ? cx->err : cy->err;
        }
        if (!e) ar_comoments_add(c, r1, r2, nb);
    }
    return e;
}

/* Everything beyond the plain means, into rows[0..m-1] (first-seen order). */
static ar_err league_stats(const ar_run *const *runs, size_t nruns, acc *rows, size_t m, const epcurve *curves,
                           const ar_league_opts *o, scratch *sc, ar_league *l) {
    eptab t;
    ar_err e = build_table(runs, nruns, rows, m, curves, &t);
    size_t B = o->bootstrap;
    double *srpp = malloc((m ? m : 1) * sizeof *srpp);
    double *R = malloc((m ? m : 1) * sizeof *R), *pool = malloc((t.nep ? t.nep : 1) * sizeof *pool);
    size_t *use = malloc((t.nep ? t.nep : 1) * sizeof *use);
    jkcur jc = {NULL, NULL, NULL, NULL, NULL, NULL, 0};
    boot bs = {0};
    if (!e && (!srpp || !R || !pool || !use)) e = AR_ENOMEM;
    if (!e && B > 0) {
        bs.ret = malloc(m * B * sizeof *bs.ret);
        bs.med = malloc(m * B * sizeof *bs.med);
        bs.sh = malloc(m * B * sizeof *bs.sh);
        bs.rat = malloc(m * B * sizeof *bs.rat);
        if (!bs.ret || !bs.med || !bs.sh || !bs.rat) e = AR_ENOMEM;
    }
    l->windows = t.ncl;
    /* per agent: windows, median, worst drawdown, returns, behaviour, buy_hold */
    size_t bh = find_row(rows, m, "buy_hold");
    for (size_t i = 0; i < m && !e; i++) {
        ar_league_row *w = &rows[i].row;
        const behav bv = rows[i].bv;
        /* the agent's per-period returns, its episodes concatenated */
        const ar_moments *mo = &rows[i].mom;
        size_t np = 0, nwin = 0, beat = 0, both = 0;
        double worst = NAN;
        for (size_t c = 0; c < t.ncl; c++) {
            int in = 0;
            for (size_t p = t.clstart[c]; p < t.clstart[c + 1]; p++) in |= at(&t, t.clep[p], i)->ag != NULL;
            nwin += in;
        }
        for (size_t g = 0; g < t.nep && !e; g++) {
            const cell *x = at(&t, g, i);
            if (x->ag == NULL) continue;
            if (!isnan(x->tr)) pool[np++] = x->tr;
            if (!isnan(x->mdd) && (isnan(worst) || x->mdd < worst)) worst = x->mdd;
            if (bh < m && bh != i) {
                const cell *y = at(&t, g, bh);
                if (y->ag != NULL && !isnan(y->tr) && !isnan(x->tr)) {
                    both++;
                    beat += x->tr > y->tr;
                }
            }
        }
        size_t nret = mo->n;
        w->windows = nwin;
        w->return_median = median_of(pool, np);
        w->max_drawdown_worst = worst;
        w->beat_buy_hold = both ? (double)beat / (double)both : NAN;
        w->psr = nret >= 2 ? ar_psr_m(mo, 0.0, NULL) : NAN;
        srpp[i] = nret >= 2 ? ar_sharpe_pp_m(mo) : NAN;
        w->invalid_rate = w->decisions ? (double)w->invalid_answers / (double)w->decisions : NAN;
        w->avg_leverage = bv.lev_w > 0 ? bv.lev_sum / bv.lev_w : NAN;
        w->time_long = bv.nsamp ? bv.t_long / (double)bv.nsamp : NAN;
        w->time_short = bv.nsamp ? bv.t_short / (double)bv.nsamp : NAN;
        w->time_flat = bv.nsamp ? bv.t_flat / (double)bv.nsamp : NAN;
        w->avg_holding_min = bv.nhold ? bv.hold_sum / (double)bv.nhold : NAN;
        w->brier = bv.nbrier ? bv.brier_sum / (double)bv.nbrier : NAN;
        w->brier_n = bv.nbrier;
        w->exit_plan_adherence = bv.exit_n ? (double)bv.exit_plan / (double)bv.exit_n : NAN;
    }
    /* DSR: trials = agents, V = sample variance of their per-period Sharpe. */
    if (!e) {
        double mu = 0, m2 = 0;
        size_t k = 0;
        for (size_t i = 0; i < m; i++) {
            double sr = srpp[i];
            if (!isfinite(sr)) continue;
            k++;
            double d = sr - mu;
            mu += d / (double)k;
            m2 += d * (sr - mu);
        }
        double V = k >= 2 ? m2 / (double)(k - 1) : NAN;
        for (size_t i = 0; i < m && !e; i++) {
            rows[i].row.dsr = NAN;
            if (rows[i].mom.n < 2 || isnan(V)) continue;
            rows[i].row.dsr = ar_dsr_m(&rows[i].mom, (double)m, V, NULL, NULL);
        }
    }
    /* Memmel-JK against the baseline with the highest mean Sharpe. */
    size_t best = m;
    for (size_t i = 0; i < m && !e; i++) {
        const ar_league_row *w = &rows[i].row;
        if (!w->baseline || isnan(w->sharpe)) continue;
        if (best == m || w->sharpe > rows[best].row.sharpe ||
            (w->sharpe == rows[best].row.sharpe && strcmp(w->agent, rows[best].row.agent) < 0))
            best = i;
    }
    if (best < m) snprintf(l->best_baseline, sizeof l->best_baseline, "%s", rows[best].row.agent);
    for (size_t i = 0; i < m && !e; i++) {
        ar_league_row *w = &rows[i].row;
        w->jk_z_vs_best_baseline = w->jk_p_vs_best_baseline = NAN;
        if (best == m || i == best) continue;
        ar_comoments c;
        ar_comoments_init(&c);
        /* one pass over every window, on the candidate episodes with their
         * times checked as they are read (when some differ, the window is
         * done again over what jk_select chooses, from the co-moments as
         * they were before it) */
        for (size_t wi = 0; wi < t.ncl && !e; wi++) {
            size_t k = jk_candidates(&t, wi, i, best, use);
            ar_comoments before = c;
            int mis = 0;
            e = jk_window(&t, i, best, use, k, &jc, sc, &c, &mis);
            if (!e && mis) {
                c = before;
                if (!(e = jk_select(&t, wi, i, best, use, &k, sc)))
                    e = jk_window(&t, i, best, use, k, &jc, sc, &c, NULL);
            }
        }
        if (e || c.a.n < 2) continue;
        ar_jk jk;
        ar_memmel_jk_m(&c, &jk);
        w->jk_z_vs_best_baseline = jk.z;
        w->jk_p_vs_best_baseline = jk.p_two_sided;
    }
    /* Ratings: the fit, then the bootstrap (GSL's handler off meanwhile).
     * Only agents with at least one comparison are rated: one that never
     * had a defined return has no rating, and must not force the fallback
     * on everyone else. */
    size_t *fmap = malloc((m ? m : 1) * sizeof *fmap), fit = 0;
    if (!e && fmap == NULL) e = AR_ENOMEM;
    if (!e) {
        for (size_t i = 0; i < m; i++) fmap[i] = m;
        for (size_t k = 0; k < t.nbt; k++) fmap[t.bt[k].a] = fmap[t.bt[k].b] = 0;
        for (size_t i = 0; i < m; i++)
            if (fmap[i] == 0) fmap[i] = fit++;
        for (size_t k = 0; k < t.nbt; k++) {
            t.bt[k].a = (int)fmap[t.bt[k].a];
            t.bt[k].b = (int)fmap[t.bt[k].b];
        }
        gsl_error_handler_t *old = gsl_set_error_handler_off();
        ar_err fe = fit ? ar_bt_fit(t.bt, t.nbt, fit, R, NULL) : AR_EINVAL;
        if (fe == AR_ENOMEM) e = fe;
        l->rating_fallback = fe == AR_EUNDEF;
        if (!e && B > 0) e = run_bootstrap(&t, B, o->seed, fit, fmap, &bs);
        gsl_set_error_handler(old);
        for (size_t i = 0; i < m && !e; i++) {
            ar_league_row *w = &rows[i].row;
            w->rating = fmap[i] < m && (fe == AR_OK || fe == AR_EUNDEF) ? R[fmap[i]] : NAN;
            w->rating_fallback = l->rating_fallback && !isnan(w->rating);
            if (B > 0) {
                interval(bs.ret + i * B, B, &w->return_ci_low, &w->return_ci_high);
                interval(bs.med + i * B, B, &w->return_median_ci_low, &w->return_median_ci_high);
                interval(bs.sh + i * B, B, &w->sharpe_ci_low, &w->sharpe_ci_high);
                interval(bs.rat + i * B, B, &w->rating_ci_low, &w->rating_ci_high);
            } else {
                w->return_ci_low = w->return_ci_high = w->return_median_ci_low = w->return_median_ci_high = NAN;
                w->sharpe_ci_low = w->sharpe_ci_high = w->rating_ci_low = w->rating_ci_high = NAN;
            }
        }
        /* LMArena's rule; without intervals it compares the point ratings.
         * An unrated agent has no rank (0: printed as undefined). */
        for (size_t i = 0; i < m && !e; i++) {
            size_t above = 0;
            if (isnan(rows[i].row.rating)) {
                rows[i].row.rank = 0;
                continue;
            }
            for (size_t j = 0; j < m; j++)
                above += B > 0 ? ar_rating_above(rows[j].row.rating_ci_low, rows[i].row.rating_ci_high)
                               : ar_rating_above(rows[j].row.rating, rows[i].row.rating);
            rows[i].row.rank = 1 + above;
        }
    }
    free(srpp);
    free(R);
    free(fmap);
    free(pool);
    free(use);
    jkcur_free(&jc);
    free(bs.ret);
    free(bs.med);
    free(bs.sh);
    free(bs.rat);
    eptab_free(&t);
    return e;
}

void ar_league_opts_default(ar_league_opts *o) {
    o->bootstrap = AR_LEAGUE_BOOTSTRAP_DEFAULT;
    o->seed = AR_LEAGUE_SEED_DEFAULT;
    o->sums = NULL;
    o->nsums = 0;
}

ar_err ar_league_compute(const ar_run *const *runs, size_t nruns, ar_league **out, ar_errbuf *eb) {
    return ar_league_compute_opts(runs, nruns, NULL, out, eb);
}

ar_err ar_league_compute_opts(const ar_run *const *runs, size_t nruns, const ar_league_opts *opts,
                              ar_league **out, ar_errbuf *eb) {
    *out = NULL;
    ar_league_opts o;
    if (opts) o = *opts;
    else ar_league_opts_default(&o);
    if (o.bootstrap > AR_LEAGUE_BOOTSTRAP_MAX)
        return ar_errf(eb, AR_EINVAL, "league: bootstrap: at most %d resamples, got %zu", AR_LEAGUE_BOOTSTRAP_MAX,
                       o.bootstrap);
    if (runs == NULL || nruns == 0) return ar_errf(eb, AR_EINVAL, "league: no runs");
    for (size_t i = 0; i < nruns; i++) {
        if (runs[i] == NULL) return ar_errf(eb, AR_EINVAL, "league: run %zu missing", i + 1);
        if (runs[i]->cadence <= 0)
            return ar_errf(eb, AR_EFORMAT, "run %zu (%s): cadence_ns: must be > 0, got %lld", i + 1,
                           runs[i]->name, (long long)runs[i]->cadence);
    }
    ar_err e = AR_OK;
    if (nruns > 1 && (e = check_configs(runs, nruns, eb))) return e;

    scratch sc = {{NULL, NULL}, NULL, NULL, {{0}}, 0};
    acc *rows = NULL;
    size_t nrows = 0, caprows = 0, ncurves = 0, ci = 0;
    for (int b = 0; b < 2; b++)
        if ((sc.buf[b] = malloc(AR_EQUITY_BLOCK * sizeof *sc.buf[b])) == NULL) e = AR_ENOMEM;
    sc.r1 = malloc(AR_EQUITY_BLOCK * sizeof *sc.r1);
    sc.r2 = malloc(AR_EQUITY_BLOCK * sizeof *sc.r2);
    if (sc.r1 == NULL || sc.r2 == NULL) e = AR_ENOMEM;
    for (size_t ri = 0; ri < nruns; ri++)
        for (size_t k = 0; k < runs[ri]->nepisodes; k++) ncurves += runs[ri]->episodes[k].nagents;
    epcurve *curves = malloc((ncurves ? ncurves : 1) * sizeof *curves);
    if (curves == NULL) e = AR_ENOMEM;
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
                    ar_moments_init(&rows[i].mom);
                    ar_trade_acc_init(&rows[i].pnl);
                    snprintf(rows[i].row.agent, AR_NAME_MAX, "%.*s", AR_NAME_MAX - 1, ag->name);
                    snprintf(rows[i].row.kind, sizeof rows[i].row.kind, "%.*s", (int)sizeof ag->kind - 1, ag->kind);
                    snprintf(rows[i].row.detail, AR_NAME_MAX, "%.*s", AR_NAME_MAX - 1, ag->detail);
                    rows[i].row.baseline = ag->baseline;
                    nrows++;
                }
                const ar_curve_sum *pre = ri == 0 && o.sums != NULL && ci < o.nsums ? o.sums[ci] : NULL;
                e = add_episode(&rows[i], r, ag, pre, ppy, &sc, &curves[ci++]);
            }
        }
    }
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
    if (l) {
        for (size_t i = 0; i < nrows; i++) finish_row(&rows[i]);
        l->bootstrap = o.bootstrap;
        l->seed = o.seed;
        e = league_stats(runs, nruns, rows, nrows, curves, &o, &sc, l);
        if (e) {
            free(l->rows);
            free(l);
            l = NULL;
        }
    }
    for (size_t i = 0; i < nrows && l; i++) l->rows[i] = rows[i].row;
    free(rows);
    free(curves);
    free(sc.buf[0]);
    free(sc.buf[1]);
    free(sc.r1);
    free(sc.r2);
    if (e) {
        if (e == AR_ENOMEM) ar_errf(eb, e, "league: out of memory");
        else if (sc.eb.msg[0]) ar_errf(eb, e, "%s", sc.eb.msg);
        return e;
    }
    l->nrows = nrows;
    l->curves_read = sc.curves_read;
    l->ncurves = ncurves;
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
#define DAGGER "\xe2\x80\xa0" /* "†" U+2020: a fallback rating */

/* Human columns (text and Markdown). Fractions print as percentages.
 * The model columns (C_TOK_IN..C_LAT) show only when some agent made calls,
 * the behaviour columns (C_LEV on) only when some agent is an llm, exec or
 * http agent: a table of coded strategies keeps its width. */
typedef enum { C_RANK, C_AGENT, C_KIND, C_EPS, C_RET, C_RATING, C_RRANK, C_SHARPE, C_SORTINO, C_MDD, C_CALMAR,
               C_WIN, C_TRADES, C_FILLS, C_FEES, C_FUNDING, C_FINAL, C_EXPO, C_INVALID, C_TOK_IN, C_TOK_OUT,
               C_COST, C_LAT, C_LEV, C_LSF, C_HOLD, C_BRIER, C_EXIT, C_NCOL } hcol;
static const char *const hhead[C_NCOL] = {"#", "agent", "kind", "eps", "return", "rating", "rank", "sharpe",
                                          "sortino", "max_dd", "calmar", "win%", "trades", "fills", "fees",
                                          "funding", "final_equity", "exposure", "invalid", "tokens_in",
                                          "tokens_out", "cost_usd", "latency_ms", "lev", "long/short/flat",
                                          "hold_min", "brier", "exit_plan"};

static int model_kind(const char *k) { return !strcmp(k, "llm") || !strcmp(k, "exec") || !strcmp(k, "http"); }

/* The columns to print, in order, into cols; returns how many. */
static int human_cols(const ar_league *l, int *cols) {
    int calls = 0, models = 0, n = 0;
    for (size_t i = 0; i < l->nrows; i++) {
        calls |= l->rows[i].llm_calls > 0;
        models |= model_kind(l->rows[i].kind);
    }
    for (int c = 0; c < C_NCOL; c++) {
        if (c >= C_TOK_IN && c <= C_LAT && !calls) continue;
        if (c >= C_LEV && !models) continue;
        cols[n++] = c;
    }
    return n;
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
    case C_RET:
        fmt_num(b, n, "%+.2f%%", 100 * r->total_return);
        if (isfinite(r->total_return) && isfinite(r->return_ci_low) && isfinite(r->return_ci_high)) {
            size_t k = strlen(b);
            snprintf(b + k, n - k, " [%+.2f, %+.2f]", 100 * r->return_ci_low, 100 * r->return_ci_high);
        }
        break;
    case C_RATING: {
        fmt_num(b, n, "%.0f", r->rating);
        size_t k = strlen(b);
        if (isfinite(r->rating) && isfinite(r->rating_ci_low) && isfinite(r->rating_ci_high))
            k += (size_t)snprintf(b + k, n - k, " [%.0f, %.0f]", r->rating_ci_low, r->rating_ci_high);
        if (r->rating_fallback && k < n) snprintf(b + k, n - k, "%s", DAGGER);
        break;
    }
    case C_RRANK:
        if (r->rank) snprintf(b, n, "%zu", r->rank);
        else snprintf(b, n, "%s", UNDEF);
        break;
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
    case C_LEV: fmt_num(b, n, "%.1fx", r->avg_leverage); break;
    case C_LSF:
        if (isfinite(r->time_long) && isfinite(r->time_short) && isfinite(r->time_flat))
            snprintf(b, n, "%.0f/%.0f/%.0f", 100 * r->time_long, 100 * r->time_short, 100 * r->time_flat);
        else snprintf(b, n, "%s", UNDEF);
        break;
    case C_HOLD: fmt_num(b, n, "%.0f", r->avg_holding_min); break;
    case C_BRIER: fmt_num(b, n, "%.3f", r->brier); break;
    case C_EXIT: fmt_num(b, n, "%.0f%%", 100 * r->exit_plan_adherence); break;
    default: b[0] = '\0';
    }
}

/* Display width of UTF-8 text (agent names may hold any UTF-8): the C
 * library's wcwidth under u, a UTF-8 character type, so that a CJK
 * character or an emoji takes two columns and a combining mark none; a
 * character it does not know takes one. Without u (no UTF-8 locale in the
 * C library), one column per code point. The caller makes u once per
 * table: a newlocale costs about 9 us. */
static size_t width(const char *s, locale_t u) {
    size_t w = 0;
    if (u == (locale_t)0) {
        for (; *s; s++)
            if (((unsigned char)*s & 0xC0) != 0x80) w++;
        return w;
    }
    locale_t was = uselocale(u);
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t left = strlen(s);
    while (left > 0) {
        wchar_t c;
        size_t k = mbrtowc(&c, s, left, &st);
        if (k == (size_t)-1 || k == (size_t)-2 || k == 0) { /* not UTF-8 (names are checked): a column a byte */
            memset(&st, 0, sizeof st);
            k = 1;
            w++;
        } else {
            int cw = wcwidth(c);
            w += cw < 0 ? 1 : (size_t)cw;
        }
        s += k;
        left -= k;
    }
    uselocale(was);
    return w;
}

static void pad(FILE *f, size_t k) {
    while (k--) fputc(' ', f);
}

/* Footnotes under the text table; under the Markdown one, a paragraph
 * after a blank line (and no "* baseline": Markdown has no such marker). */
static void footnotes(const ar_league *l, FILE *f, int md) {
    int base = 0, ci = l->nrows && l->bootstrap;
    for (size_t i = 0; i < l->nrows; i++) base |= l->rows[i].baseline;
    if (md && (ci || l->rating_fallback)) fputc('\n', f);
    if (ci)
        fprintf(f, "[lo, hi]: 95%% bootstrap intervals, %zu resamples of %zu window%s, seed %llu\n", l->bootstrap,
                l->windows, l->windows == 1 ? "" : "s", (unsigned long long)l->seed);
    if (l->rating_fallback)
        fprintf(f, "%s rating: the maximum-likelihood fit does not exist (an agent won or lost every "
                   "comparison); regularised fallback, see docs/STATS.md\n", DAGGER);
    if (base && !md) fputs("* baseline\n", f);
}

static void print_text(const ar_league *l, FILE *f) {
    size_t w[C_NCOL];
    char cell[160];
    int cols[C_NCOL], ncol = human_cols(l, cols);
    locale_t u = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0); /* (locale_t)0: none, see width */
    for (int k = 0; k < ncol; k++) w[k] = width(hhead[cols[k]], u);
    for (size_t i = 0; i < l->nrows; i++)
        for (int k = 0; k < ncol; k++) {
            human_cell(&l->rows[i], i + 1, cols[k], cell, sizeof cell);
            size_t cw = width(cell, u);
            if (cw > w[k]) w[k] = cw;
        }
    /* Names and kinds left-aligned, numbers right-aligned so digits line up. */
    for (size_t i = 0; i <= l->nrows; i++) {
        for (int k = 0; k < ncol; k++) {
            int c = cols[k];
            if (i == 0) snprintf(cell, sizeof cell, "%s", hhead[c]);
            else human_cell(&l->rows[i - 1], i, c, cell, sizeof cell);
            size_t gap = w[k] - width(cell, u);
            int left = c == C_AGENT || c == C_KIND;
            if (k) fputs("  ", f);
            if (!left) pad(f, gap);
            fputs(cell, f);
            if (left && k != ncol - 1) pad(f, gap);
        }
        fputc('\n', f);
    }
    if (u != (locale_t)0) freelocale(u);
    footnotes(l, f, 0);
}

/* A cell's text as Markdown shows it literally: the table's '|' and '\\'
 * escaped, and the HTML a renderer would obey as entities. */
static void md_escaped(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else {
            if (*s == '|' || *s == '\\') fputc('\\', f);
            fputc(*s, f);
        }
    }
}

static void print_md(const ar_league *l, FILE *f) {
    char cell[160];
    int cols[C_NCOL], ncol = human_cols(l, cols);
    fputc('|', f);
    for (int k = 0; k < ncol; k++) fprintf(f, " %s |", hhead[cols[k]]);
    fputs("\n|", f);
    for (int k = 0; k < ncol; k++) fputs(cols[k] == C_AGENT || cols[k] == C_KIND ? ":---|" : "---:|", f);
    fputc('\n', f);
    for (size_t i = 0; i < l->nrows; i++) {
        fputc('|', f);
        for (int k = 0; k < ncol; k++) {
            human_cell(&l->rows[i], i + 1, cols[k], cell, sizeof cell);
            fputc(' ', f);
            md_escaped(f, cell);
            fputs(" |", f);
        }
        fputc('\n', f);
    }
    footnotes(l, f, 1);
}

/* Machine columns (CSV and JSON): raw values, fractions as fractions. */
typedef enum { M_STR, M_BOOL, M_SIZE, M_DBL, M_RANK } mkind; /* M_RANK: a size, 0 undefined */
typedef struct {
    const char *name;
    mkind k;
    size_t off;
} mcol;
#define MC(n, k) {#n, k, offsetof(ar_league_row, n)}
static const mcol mcols[] = {
    {"position", M_SIZE, (size_t)-1},
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
    MC(windows, M_SIZE),
    {"return_mean", M_DBL, offsetof(ar_league_row, total_return)},
    MC(return_median, M_DBL),
    MC(return_ci_low, M_DBL),   MC(return_ci_high, M_DBL),
    MC(return_median_ci_low, M_DBL), MC(return_median_ci_high, M_DBL),
    MC(sharpe_ci_low, M_DBL),   MC(sharpe_ci_high, M_DBL),
    MC(psr, M_DBL),             MC(dsr, M_DBL),
    MC(max_drawdown_worst, M_DBL), MC(beat_buy_hold, M_DBL),
    MC(rating, M_DBL),          MC(rating_ci_low, M_DBL),
    MC(rating_ci_high, M_DBL),  MC(rating_fallback, M_BOOL),
    MC(rank, M_RANK),
    MC(jk_z_vs_best_baseline, M_DBL), MC(jk_p_vs_best_baseline, M_DBL),
    MC(invalid_rate, M_DBL),    MC(avg_leverage, M_DBL),
    MC(time_long, M_DBL),       MC(time_short, M_DBL),
    MC(time_flat, M_DBL),       MC(avg_holding_min, M_DBL),
    MC(brier, M_DBL),           MC(brier_n, M_SIZE),
    MC(exit_plan_adherence, M_DBL),
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
            case M_RANK:
                if (*(const size_t *)mptr(r, m)) fprintf(f, "%zu", *(const size_t *)mptr(r, m));
                break;
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
                case M_RANK: {
                    size_t k = *(const size_t *)mptr(r, m);
                    v = k ? json_integer((json_int_t)k) : json_null();
                    break;
                }
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
