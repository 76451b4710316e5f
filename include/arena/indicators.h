/* include/arena/indicators.h - technical indicators over a series prefix.
 *
 * Pure functions in the TA-Lib manner: the caller hands in the input prefix
 * (only data the agent may see: bars [0, nvis) of a symbol) and an output
 * buffer of the same length; nothing is allocated and every function is
 * O(n). Outputs before the first defined value are NAN, and each function
 * returns the index of its first defined value (n when there is none: too
 * few points, a period of 0 or NULL pointers). Thread-safe (no state).
 *
 * Conventions, written down because indicator libraries differ:
 *   EMA(p):  seeded with the simple mean of the first p values (defined from
 *            index p-1), then e += a * (x - e) with a = 2 / (p + 1).
 *   MACD:    EMA(fast) - EMA(slow), defined from index slow-1 (12/26 usual).
 *   RSI(p):  Wilder: changes d_i = x_i - x_{i-1}; the first average gain and
 *            loss are the means of d_1..d_p (defined from index p), then
 *            avg = (avg * (p - 1) + new) / p. RSI = 100 - 100 / (1 + G/L);
 *            100 when L = 0 < G, 50 when both are 0 (a flat series).
 *   ATR(p):  Wilder over the true range TR_i = max(h_i - l_i, |h_i - c_{i-1}|,
 *            |l_i - c_{i-1}|) for i >= 1 (TR_0 needs a previous close and is
 *            not used): ATR_p = mean(TR_1..TR_p), then Wilder smoothing. */
#ifndef ARENA_INDICATORS_H
#define ARENA_INDICATORS_H

#include <stddef.h>

size_t ar_ema(const double *x, size_t n, size_t period, double *out);

/* tmp: caller scratch of n doubles (holds the slow EMA). */
size_t ar_macd(const double *x, size_t n, size_t fast, size_t slow, double *out, double *tmp);

size_t ar_rsi(const double *x, size_t n, size_t period, double *out);

size_t ar_atr(const double *high, const double *low, const double *close, size_t n, size_t period,
              double *out);

#endif
