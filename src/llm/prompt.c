/* src/llm/prompt.c - the text an LLM agent sees at a decision.
 *
 * Alpha Arena's user prompt, rebuilt from an ar_obs: a market section (per
 * coin: price, EMA20, MACD, RSI7, an intraday series at the decision
 * cadence, a longer-interval context of 240 bar intervals, funding) and an
 * account section (return, cash, value, positions with exit plan, Sharpe),
 * substituted into a template from prompts/. docs/LLM.md "Prompt" has the
 * layout and the choices.
 *
 * Three properties matter more than looks, because prompts are cassette keys
 * and the fairness of the tournament rests on them:
 *   - only bars [0, nvis) and funding with time <= t are read, so nothing
 *     after the decision time can leak into a prompt;
 *   - every agent of a decision gets the same bytes except its account
 *     section (the market section does not look at the account);
 *   - numbers are printed by our own formatter (7 significant digits, fixed
 *     notation, trailing zeros trimmed, '.' whatever the locale), so the same
 *     data gives the same bytes on every machine.
 * Indicators run over a bounded window (AR__INTRA_WIN sampled points, AR__LONG_WIN
 * long bars) ending at the latest visible bar: the cost of a prompt does not
 * grow with the length of the history, and the window is a function of nvis
 * only, so it is as deterministic as the rest. Thread-safe (no state). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arena/indicators.h"
#include "llm/features_int.h"
#include "arena/llm.h"
#include "arena/util.h"

#define SERIES_N 10     /* points shown per series, as Alpha Arena shows */
#define NUM_MAX 400     /* room for any double in fixed notation */

/* ---- ar_buf --------------------------------------------------------------- */

static ar_err buf_reserve(ar_buf *b, size_t extra) {
    size_t need = b->n + extra + 1;
    if (need < b->n) return AR_ENOMEM;
    if (need <= b->cap) return AR_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) return AR_ENOMEM;
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (p == NULL) return AR_ENOMEM;
    b->p = p;
    b->cap = cap;
    return AR_OK;
}

ar_err ar_buf_append(ar_buf *b, const char *s, size_t n) {
    if (b == NULL || (s == NULL && n > 0)) return AR_EINVAL;
    if (buf_reserve(b, n)) return AR_ENOMEM;
    if (n > 0) memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return AR_OK;
}

ar_err ar_buf_puts(ar_buf *b, const char *s) {
    return ar_buf_append(b, s, s != NULL ? strlen(s) : 0);
}

ar_err ar_buf_printf(ar_buf *b, const char *fmt, ...) {
    if (b == NULL || fmt == NULL) return AR_EINVAL;
    va_list ap, aq;
    va_start(ap, fmt);
    va_copy(aq, ap);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0 || buf_reserve(b, (size_t)k)) {
        va_end(aq);
        return k < 0 ? AR_EINVAL : AR_ENOMEM;
    }
    vsnprintf(b->p + b->n, (size_t)k + 1, fmt, aq);
    va_end(aq);
    b->n += (size_t)k;
    return AR_OK;
}

void ar_buf_reset(ar_buf *b) {
    if (b == NULL) return;
    b->n = 0;
    if (b->p != NULL) b->p[0] = '\0';
}

void ar_buf_cleanup(ar_buf *b) {
    if (b == NULL) return;
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---- numbers -------------------------------------------------------------- */

/* Force '.' as the decimal point (printf follows LC_NUMERIC) and trim
 * trailing zeros; "-0" becomes "0". */
static void tidy(char *s) {
    char *dot = NULL;
    for (char *p = s; *p; p++) {
        if (*p != '-' && (*p < '0' || *p > '9')) {
            *p = '.';
            dot = p;
        }
    }
    if (dot != NULL) {
        size_t n = strlen(s);
        while (n > 0 && s[n - 1] == '0') s[--n] = '\0';
        if (n > 0 && s[n - 1] == '.') s[--n] = '\0';
    }
    if (strcmp(s, "-0") == 0) strcpy(s, "0");
}

/* 7 significant digits in fixed notation (at most 12 decimals), "n/a" for
 * NaN and infinities. The exponent comes from comparisons with exact powers
 * of ten, not log10, so no libm difference can move a digit. */
static const char *fmt_num(char *buf, double x) {
    if (!isfinite(x)) return strcpy(buf, "n/a");
    double ax = fabs(x);
    int e = 0;
    if (ax >= 1) {
        double p = 10;
        while (e < 15 && ax >= p) e++, p *= 10;
    } else if (ax > 0) {
        static const double neg[] = {1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12};
        e = -13;
        for (int k = 0; k < 12; k++)
            if (ax >= neg[k]) {
                e = -(k + 1);
                break;
            }
    }
    int dec = 6 - e;
    if (dec < 0) dec = 0;
    if (dec > 12) dec = 12;
    snprintf(buf, NUM_MAX, "%.*f", dec, x);
    tidy(buf);
    return buf;
}

/* fixed decimals, same tidying (percentages) */
static const char *fmt_fixed(char *buf, double x, int dec) {
    if (!isfinite(x)) return strcpy(buf, "n/a");
    snprintf(buf, NUM_MAX, "%.*f", dec, x);
    tidy(buf);
    return buf;
}

static ar_err put_num(ar_buf *b, double x) {
    char t[NUM_MAX];
    return ar_buf_puts(b, fmt_num(t, x));
}

/* "[a, b, c]" of the last SERIES_N values of v[0..n) */
static ar_err put_series(ar_buf *b, const char *label, const double *v, size_t n) {
    ar_err e = ar_buf_puts(b, label);
    if (e == AR_OK) e = ar_buf_puts(b, "[");
    size_t st = n > SERIES_N ? n - SERIES_N : 0;
    for (size_t i = st; i < n && e == AR_OK; i++) {
        if (i > st) e = ar_buf_puts(b, ", ");
        if (e == AR_OK) e = put_num(b, v[i]);
    }
    if (e == AR_OK) e = ar_buf_puts(b, "]\n");
    return e;
}


/* ---- market section ------------------------------------------------------- */

static const char *coin_name(const ar_obs *o, const char *const *coins, size_t s) {
    if (coins != NULL && coins[s] != NULL) return coins[s];
    return o->market->sym[s].name;
}




static ar_err render_symbol(const ar_obs *o, const ar_prompt_opts *p, size_t s, ar__features *w, ar_buf *b) {
    const ar_symbol *sym = &o->market->sym[s];
    ar__features_compute(o, p, s, w);
    size_t np = w->np, nl = w->nl;
    ar_err e = ar_buf_printf(b, "### %s\n", coin_name(o, p->coins, s));
    if (e) return e;
    if (np == 0) return ar_buf_puts(b, "No data yet.\n\n");

    char a[NUM_MAX], c[NUM_MAX], d[NUM_MAX], f[NUM_MAX], dur[32];
    e = ar_buf_printf(b, "current_price = %s, current_ema20 = %s, current_macd = %s, current_rsi (7 period) = %s\n",
                      fmt_num(a, w->price), fmt_num(c, ar__last(w->ema20, np)), fmt_num(d, ar__last(w->macd, np)),
                      fmt_num(f, ar__last(w->rsi7, np)));
    if (e == AR_OK && sym->funding.n > 0)
        e = ar_buf_printf(b, "Funding rate (latest, per funding interval): %s\n",
                          fmt_num(a, ar__funding_at(&sym->funding, o->t)));
    ar_duration_format((int64_t)w->step * sym->interval, dur, sizeof dur);
    if (e == AR_OK) e = ar_buf_printf(b, "Intraday series (%s intervals, oldest → latest):\n", dur);
    if (e == AR_OK) e = put_series(b, "Mid prices: ", w->px, np);
    if (e == AR_OK) e = put_series(b, "EMA indicators (20-period): ", w->ema20, np);
    if (e == AR_OK) e = put_series(b, "MACD indicators: ", w->macd, np);
    if (e == AR_OK) e = put_series(b, "RSI indicators (7-period): ", w->rsi7, np);
    if (e == AR_OK) e = put_series(b, "RSI indicators (14-period): ", w->rsi14, np);
    if (e) return e;
    if (w->L == 0) return ar_buf_puts(b, "\n");
    ar_duration_format(w->L, dur, sizeof dur);
    e = ar_buf_printf(b, "Longer-term context (%s timeframe):\n", dur);
    if (e == AR_OK)
        e = ar_buf_printf(b, "20-Period EMA: %s vs. 50-Period EMA: %s\n", fmt_num(a, ar__last(w->lema20, nl)),
                          fmt_num(c, ar__last(w->lema50, nl)));
    if (e == AR_OK)
        e = ar_buf_printf(b, "3-Period ATR: %s vs. 14-Period ATR: %s\n", fmt_num(a, ar__last(w->latr3, nl)),
                          fmt_num(c, ar__last(w->latr14, nl)));
    if (e == AR_OK)
        e = ar_buf_printf(b, "Current Volume: %s vs. Average Volume: %s\n", fmt_num(a, ar__last(w->vol, nl)),
                          fmt_num(c, w->vsum / (double)nl));
    if (e == AR_OK) e = put_series(b, "MACD indicators: ", w->lmacd, nl);
    if (e == AR_OK) e = put_series(b, "RSI indicators (14-period): ", w->lrsi14, nl);
    if (e == AR_OK) e = ar_buf_puts(b, "\n");
    return e;
}

ar_err ar_prompt_render_market_opts(const ar_obs *o, const ar_prompt_opts *p, ar_buf *out) {
    if (o == NULL || o->market == NULL || o->nvis == NULL || out == NULL) return AR_EINVAL;
    ar_prompt_opts none = {0};
    if (p == NULL) p = &none;
    ar__features *w = malloc(sizeof *w);
    if (w == NULL) return AR_ENOMEM;
    ar_err e = AR_OK;
    for (size_t s = 0; s < o->market->nsym && e == AR_OK; s++) e = render_symbol(o, p, s, w, out);
    free(w);
    return e;
}

ar_err ar_prompt_render_market(const ar_obs *o, const char *const *coins, int hide_dates, ar_buf *out) {
    ar_prompt_opts p = {0};
    p.coins = coins;
    p.hide_dates = hide_dates;
    return ar_prompt_render_market_opts(o, &p, out);
}

/* ---- account section ------------------------------------------------------ */

/* Sharpe of the simple returns between consecutive equity samples (sample
 * standard deviation), times sqrt(decisions per year) when the cadence is
 * known. NAN with fewer than two returns, a zero deviation or an equity
 * that is not positive. */

ar_err ar_prompt_render_account(const ar_obs *o, const ar_prompt_opts *p, ar_buf *out) {
    if (o == NULL || o->market == NULL || o->acct == NULL || out == NULL) return AR_EINVAL;
    ar_prompt_opts none = {0};
    if (p == NULL) p = &none;
    char a[NUM_MAX], b[NUM_MAX], c[NUM_MAX], d[NUM_MAX], f[NUM_MAX], g[NUM_MAX], h[NUM_MAX], k[NUM_MAX],
        m[NUM_MAX];
    double eq = ar_account_equity(o->acct, o->marks);
    double ret = o->capital > 0 ? (eq / o->capital - 1) * 100 : NAN;
    ar_err e = ar_buf_printf(out, "Current Total Return (percent): %s%%\nAvailable Cash: %s\nCurrent Account Value: %s\n",
                             fmt_fixed(a, ret, 2), fmt_num(b, ar_account_cash(o->acct)), fmt_num(c, eq));
    if (e == AR_OK) e = ar_buf_puts(out, "Current live positions & performance:\n");
    size_t npos = 0;
    for (size_t s = 0; s < o->market->nsym && e == AR_OK; s++) {
        const ar_position *ps = ar_account_position(o->acct, (int32_t)s);
        if (ps == NULL || ps->qty == 0) continue;
        npos++;
        double mark = o->marks != NULL ? o->marks[s] : NAN;
        e = ar_buf_printf(out,
                          "- %s: quantity %s, entry_price %s, current_price %s, liquidation_price %s, "
                          "unrealized_pnl %s, leverage %s, margin %s, exit_plan: profit_target %s, stop_loss %s\n",
                          coin_name(o, p->coins, s), fmt_num(a, ps->qty), fmt_num(b, ps->entry), fmt_num(c, mark),
                          fmt_num(d, ps->liq), fmt_num(f, ps->qty * (mark - ps->entry)), fmt_num(g, ps->leverage),
                          fmt_num(h, ps->margin), isnan(ps->tp) ? "none" : fmt_num(k, ps->tp),
                          isnan(ps->sl) ? "none" : fmt_num(m, ps->sl));
    }
    if (e == AR_OK && npos == 0) e = ar_buf_puts(out, "none\n");
    if (e == AR_OK) e = ar_buf_printf(out, "Pending orders: %zu\n", ar_account_npending(o->acct));
    if (e == AR_OK)
        e = ar_buf_printf(out, "Sharpe Ratio: %s\n", fmt_num(a, ar__sharpe_of(p->equity, p->nequity, p->cadence)));
    return e;
}

/* ---- templates ------------------------------------------------------------ */

static const char *const placeholders[] = {"market",     "account",      "minutes_elapsed", "time",
                                           "coins",      "max_leverage", "invocation",      "taker_fee_bps",
                                           "capital",    "cadence",      "market_kind",     "instruments"};
enum { PH_MARKET, PH_ACCOUNT, PH_MINUTES, PH_TIME, PH_COINS, PH_MAXLEV, PH_INVOCATION, PH_TAKER, PH_CAPITAL,
       PH_CADENCE, PH_KIND, PH_INSTRUMENTS, PH_COUNT };

/* Placeholder at tmpl[i] ("{{name}}"): its index and end, or -1/-2 for an
 * unknown / unterminated one. */
static int placeholder_at(const char *t, size_t i, size_t *end) {
    const char *close = strstr(t + i + 2, "}}");
    *end = i + 2;
    if (close == NULL) return -2;
    size_t n = (size_t)(close - (t + i + 2));
    *end = (size_t)(close - t) + 2;
    for (int k = 0; k < PH_COUNT; k++)
        if (strlen(placeholders[k]) == n && memcmp(placeholders[k], t + i + 2, n) == 0) return k;
    return -1;
}

static ar_err bad_placeholder(const char *t, size_t i, int r, ar_errbuf *eb) {
    if (r == -2) return ar_errf(eb, AR_EFORMAT, "template: unterminated placeholder at byte %zu", i);
    const char *close = strstr(t + i + 2, "}}");
    int n = (int)(close - (t + i + 2));
    if (n > 40) n = 40;
    return ar_errf(eb, AR_EFORMAT, "template: unknown placeholder {{%.*s}} at byte %zu", n, t + i + 2, i);
}

ar_err ar_prompt_check(const char *tmpl, ar_errbuf *eb) {
    if (tmpl == NULL) return ar_errf(eb, AR_EINVAL, "template: missing");
    for (size_t i = 0; tmpl[i]; i++) {
        if (tmpl[i] != '{' || tmpl[i + 1] != '{') continue;
        size_t end = 0;
        int k = placeholder_at(tmpl, i, &end);
        if (k < 0) return bad_placeholder(tmpl, i, k, eb);
        i = end - 1;
    }
    return AR_OK;
}

static ar_err put_value(int k, const ar_obs *o, const ar_prompt_opts *p, ar_buf *b) {
    char a[NUM_MAX], dur[48];
    int64_t mins = (o->t - o->start) / AR_NS_PER_MIN;
    switch (k) {
    case PH_MARKET: return ar_prompt_render_market_opts(o, p, b);
    case PH_ACCOUNT: return ar_prompt_render_account(o, p, b);
    case PH_MINUTES: return ar_buf_printf(b, "%lld", (long long)mins);
    case PH_TIME:
        if (p->hide_dates) return ar_buf_printf(b, "T+%lldmin", (long long)mins);
        ar_time_format(o->t, dur, sizeof dur);
        return ar_buf_puts(b, dur);
    case PH_COINS:
        for (size_t s = 0; s < o->market->nsym; s++) {
            ar_err e = ar_buf_printf(b, "%s%s", s ? ", " : "", coin_name(o, p->coins, s));
            if (e) return e;
        }
        return AR_OK;
    case PH_MAXLEV:
        return ar_buf_puts(b, o->exec == NULL                ? "1"
                              : o->exec->mode == AR_MODE_SPOT ? "1"
                                                              : fmt_num(a, o->exec->max_leverage));
    case PH_INVOCATION:
        return ar_buf_printf(b, "%zu", p->invocation ? p->invocation : o->decision_index + 1);
    case PH_TAKER: return ar_buf_puts(b, o->exec != NULL ? fmt_num(a, o->exec->taker_bps) : "n/a");
    case PH_CAPITAL: return ar_buf_puts(b, fmt_num(a, o->capital));
    case PH_KIND: /* what the agent trades: a spot market must not be sold as perps */
        return ar_buf_puts(b, o->exec != NULL && o->exec->mode == AR_MODE_SPOT ? "spot" : "perpetual futures");
    case PH_INSTRUMENTS:
        return ar_buf_puts(b, o->exec != NULL && o->exec->mode == AR_MODE_SPOT
                                  ? "spot, one holding per coin: you buy with cash (buy_to_enter) and sell what you "
                                    "hold (close); there is no leverage and no short selling (sell_to_enter is refused)."
                                  : "perpetual futures with isolated margin, one net position per coin. You may go "
                                    "long (buy_to_enter) or short (sell_to_enter).");
    case PH_CADENCE: {
        int64_t c = p->cadence;
        if (c <= 0 && o->market->nsym > 0) c = o->market->sym[0].interval;
        if (c <= 0) return ar_buf_puts(b, "n/a");
        ar_duration_format(c, dur, sizeof dur);
        return ar_buf_puts(b, dur);
    }
    default: return AR_EINVAL;
    }
}

ar_err ar_prompt_render(const char *tmpl, const ar_obs *o, const ar_prompt_opts *p, ar_buf *out, ar_errbuf *eb) {
    if (tmpl == NULL || o == NULL || o->market == NULL || out == NULL)
        return ar_errf(eb, AR_EINVAL, "prompt: missing template, observation or output");
    ar_err e = ar_prompt_check(tmpl, eb);
    if (e) return e;
    ar_prompt_opts none = {0};
    if (p == NULL) p = &none;
    ar_buf tmp = {0};
    size_t from = 0;
    for (size_t i = 0; tmpl[i] && e == AR_OK; i++) {
        if (tmpl[i] != '{' || tmpl[i + 1] != '{') continue;
        size_t end = 0;
        int k = placeholder_at(tmpl, i, &end);
        e = ar_buf_append(&tmp, tmpl + from, i - from);
        if (e == AR_OK) e = put_value(k, o, p, &tmp);
        from = end;
        i = end - 1;
    }
    if (e == AR_OK) e = ar_buf_puts(&tmp, tmpl + from);
    if (e == AR_OK) e = ar_buf_append(out, tmp.p, tmp.n);
    ar_buf_cleanup(&tmp);
    if (e) return ar_errf(eb, e, "prompt: %s", ar_strerror(e));
    return AR_OK;
}
