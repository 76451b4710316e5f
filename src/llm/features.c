/* src/llm/features.c - market features shown to agents (features_int.h):
 * the intraday series at the decision cadence and the longer-interval
 * context, from visible bars only. Shared by the prompt and the observation
 * JSON so the two can never disagree. Pure; no allocation. */
#include <math.h>
#include "arena/indicators.h"
#include "arena/util.h"
#include "llm/features_int.h"

double ar__last(const double *v, size_t n) {
    return n > 0 ? v[n - 1] : NAN;
}

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

double ar__funding_at(const ar_funding *f, int64_t t) {
    size_t lo = 0, hi = f->n; /* first index with time > t */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->t[mid] <= t) lo = mid + 1;
        else hi = mid;
    }
    return lo > 0 ? f->rate[lo - 1] : NAN;
}

double ar__sharpe_of(const double *eq, size_t n, int64_t cadence) {
    if (eq == NULL || n < 3) return NAN;
    double mean = 0, m2 = 0;
    size_t k = 0;
    for (size_t i = 1; i < n; i++) {
        if (!(eq[i - 1] > 0) || !isfinite(eq[i])) return NAN;
        double r = eq[i] / eq[i - 1] - 1;
        k++;
        double d = r - mean;
        mean += d / (double)k;
        m2 += d * (r - mean);
    }
    double sd = sqrt(m2 / (double)(k - 1));
    if (!(sd > 0)) return NAN;
    double s = mean / sd;
    if (cadence > 0) s *= sqrt((double)AR_NS_PER_YEAR / (double)cadence);
    return s;
}

void ar__features_compute(const ar_obs *o, const ar_prompt_opts *p, size_t s, ar__features *w) {
    const ar_symbol *sym = &o->market->sym[s];
    const ar_bars *bars = &sym->bars;
    size_t nv = o->nvis[s];
    if (nv > bars->n) nv = bars->n;
    int64_t iv = sym->interval;
    w->nv = nv;
    w->step = 1;
    w->np = w->nl = 0;
    w->L = 0;
    w->vsum = 0;
    w->price = o->marks != NULL && isfinite(o->marks[s]) ? o->marks[s] : nv > 0 ? bars->row[nv - 1].close : NAN;
    if (nv == 0 || iv <= 0) return;

    /* intraday: one point per cadence, the last at the latest visible bar */
    if (p->cadence > iv) w->step = (size_t)(p->cadence / iv);
    size_t np = (nv - 1) / w->step + 1;
    if (np > AR__INTRA_WIN) np = AR__INTRA_WIN;
    for (size_t j = 0; j < np; j++) w->px[j] = bars->row[nv - 1 - (np - 1 - j) * w->step].close;
    ar_ema(w->px, np, 20, w->ema20);
    ar_macd(w->px, np, 12, 26, w->macd, w->tmp);
    ar_rsi(w->px, np, 7, w->rsi7);
    ar_rsi(w->px, np, 14, w->rsi14);
    w->np = np;

    /* longer interval: visible bars aggregated into UTC-aligned buckets of
     * AR__LONG_FACTOR intervals; the last bucket may still be forming (it
     * holds only visible bars, like an exchange's current candle) */
    if (iv > INT64_MAX / AR__LONG_FACTOR) return;
    int64_t L = iv * AR__LONG_FACTOR;
    size_t first = nv - 1, groups = 1;
    int64_t g = floor_div(bars->row[first].t, L);
    while (first > 0) {
        int64_t gp = floor_div(bars->row[first - 1].t, L);
        if (gp != g) {
            if (groups == AR__LONG_WIN) break;
            groups++;
            g = gp;
        }
        first--;
    }
    size_t nl = 0;
    int64_t cur = 0;
    for (size_t i = first; i < nv; i++) {
        int64_t gi = floor_div(bars->row[i].t, L);
        if (nl == 0 || gi != cur) {
            if (nl == AR__LONG_WIN) break; /* cannot happen: groups were counted */
            cur = gi;
            w->hi[nl] = bars->row[i].high;
            w->lo[nl] = bars->row[i].low;
            w->vol[nl] = 0;
            nl++;
        }
        size_t k = nl - 1;
        if (bars->row[i].high > w->hi[k]) w->hi[k] = bars->row[i].high;
        if (bars->row[i].low < w->lo[k]) w->lo[k] = bars->row[i].low;
        w->cl[k] = bars->row[i].close;
        w->vol[k] += bars->row[i].volume;
    }
    ar_ema(w->cl, nl, 20, w->lema20);
    ar_ema(w->cl, nl, 50, w->lema50);
    ar_atr(w->hi, w->lo, w->cl, nl, 3, w->latr3);
    ar_atr(w->hi, w->lo, w->cl, nl, 14, w->latr14);
    ar_macd(w->cl, nl, 12, 26, w->lmacd, w->ltmp);
    ar_rsi(w->cl, nl, 14, w->lrsi14);
    for (size_t i = 0; i < nl; i++) w->vsum += w->vol[i];
    w->nl = nl;
    w->L = L;
}

size_t ar_llm_lookback(int64_t cadence, int64_t interval) {
    if (interval <= 0) return 0;
    size_t step = cadence > interval ? (size_t)(cadence / interval) : 1;
    /* intraday: points nv-1, nv-1-step, ...; long: back through AR__LONG_WIN
     * buckets of AR__LONG_FACTOR intervals (at most that many bars each when
     * bars are an interval apart), and one bar past them to see the edge */
    size_t intra = (AR__INTRA_WIN - 1) * step + 1, lng = (size_t)AR__LONG_WIN * AR__LONG_FACTOR + 2;
    return intra > lng ? intra : lng;
}
