/* src/llm/features_int.h - the market features an agent is shown, computed
 * once for both forms of the observation: the prompt text (prompt.c) and the
 * observation JSON of exec/http agents (ext.c). Private to src/llm. */
#ifndef ARENA_LLM_FEATURES_INT_H
#define ARENA_LLM_FEATURES_INT_H

#include <stddef.h>
#include <stdint.h>
#include "arena/llm.h"

#define AR__INTRA_WIN 256   /* sampled points the intraday indicators run over */
#define AR__LONG_WIN 200    /* long bars the long-interval indicators run over */
#define AR__LONG_FACTOR 240 /* long interval = 240 bar intervals (4h for 1m bars) */

typedef struct ar__features {
    size_t nv;      /* visible bars used */
    size_t step;    /* bars between intraday points */
    size_t np;      /* intraday points (0: no data) */
    size_t nl;      /* long bars (0: none) */
    int64_t L;      /* long interval in ns (0: none) */
    double price;   /* the mark, or the last visible close */
    double vsum;    /* volume summed over the long bars */
    double px[AR__INTRA_WIN], ema20[AR__INTRA_WIN], macd[AR__INTRA_WIN], rsi7[AR__INTRA_WIN],
        rsi14[AR__INTRA_WIN], tmp[AR__INTRA_WIN];
    double hi[AR__LONG_WIN], lo[AR__LONG_WIN], cl[AR__LONG_WIN], vol[AR__LONG_WIN];
    double lema20[AR__LONG_WIN], lema50[AR__LONG_WIN], latr3[AR__LONG_WIN], latr14[AR__LONG_WIN],
        lmacd[AR__LONG_WIN], lrsi14[AR__LONG_WIN], ltmp[AR__LONG_WIN];
} ar__features;

/* Features of symbol s seen at o (bars [0, nvis) only). No allocation. */
void ar__features_compute(const ar_obs *o, const ar_prompt_opts *p, size_t s, ar__features *w);

double ar__last(const double *v, size_t n);               /* NAN when n == 0 */
double ar__funding_at(const ar_funding *f, int64_t t);    /* latest rate at time <= t, NAN none */
double ar__sharpe_of(const double *eq, size_t n, int64_t cadence); /* of equity samples */

#endif
