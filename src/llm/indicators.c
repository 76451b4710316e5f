/* src/llm/indicators.c - EMA, MACD, RSI and ATR for the prompt's market
 * section (conventions in include/arena/indicators.h).
 *
 * Each function walks its input once and writes into the caller's buffer,
 * so rendering a prompt costs O(visible window) and allocates nothing here.
 * The update formulas are fixed (e += a * (x - e), Wilder's (avg * (p-1) +
 * new) / p) because prompts are cassette keys: a different but
 * mathematically equal rounding would change the bytes sent to a model. */
#include <math.h>
#include "arena/indicators.h"

static size_t fill_nan(double *out, size_t n) {
    if (out != NULL)
        for (size_t i = 0; i < n; i++) out[i] = NAN;
    return n;
}

size_t ar_ema(const double *x, size_t n, size_t period, double *out) {
    if (x == NULL || out == NULL || period == 0 || n < period) return fill_nan(out, n);
    double sum = 0;
    for (size_t i = 0; i < period; i++) {
        sum += x[i];
        out[i] = NAN;
    }
    double a = 2.0 / ((double)period + 1.0);
    double e = sum / (double)period;
    out[period - 1] = e;
    for (size_t i = period; i < n; i++) {
        e += a * (x[i] - e);
        out[i] = e;
    }
    return period - 1;
}

size_t ar_macd(const double *x, size_t n, size_t fast, size_t slow, double *out, double *tmp) {
    if (x == NULL || out == NULL || tmp == NULL || fast == 0 || slow == 0 || n < slow || n < fast)
        return fill_nan(out, n);
    ar_ema(x, n, fast, out);
    ar_ema(x, n, slow, tmp);
    size_t first = (fast > slow ? fast : slow) - 1;
    for (size_t i = 0; i < n; i++) out[i] = i < first ? NAN : out[i] - tmp[i];
    return first;
}

static double rsi_of(double g, double l) {
    if (l == 0) return g > 0 ? 100.0 : 50.0;
    return 100.0 - 100.0 / (1.0 + g / l);
}

size_t ar_rsi(const double *x, size_t n, size_t period, double *out) {
    if (x == NULL || out == NULL || period == 0 || n < period + 1) return fill_nan(out, n);
    double g = 0, l = 0;
    out[0] = NAN;
    for (size_t i = 1; i <= period; i++) {
        double d = x[i] - x[i - 1];
        if (d > 0) g += d;
        else l -= d;
        out[i] = NAN;
    }
    double p = (double)period;
    g /= p;
    l /= p;
    out[period] = rsi_of(g, l);
    for (size_t i = period + 1; i < n; i++) {
        double d = x[i] - x[i - 1];
        g = (g * (p - 1) + (d > 0 ? d : 0)) / p;
        l = (l * (p - 1) + (d < 0 ? -d : 0)) / p;
        out[i] = rsi_of(g, l);
    }
    return period;
}

static double true_range(const double *h, const double *l, const double *c, size_t i) {
    double r = h[i] - l[i];
    double a = fabs(h[i] - c[i - 1]), b = fabs(l[i] - c[i - 1]);
    if (a > r) r = a;
    if (b > r) r = b;
    return r;
}

size_t ar_atr(const double *high, const double *low, const double *close, size_t n, size_t period,
              double *out) {
    if (high == NULL || low == NULL || close == NULL || out == NULL || period == 0 || n < period + 1)
        return fill_nan(out, n);
    double s = 0;
    out[0] = NAN;
    for (size_t i = 1; i <= period; i++) {
        s += true_range(high, low, close, i);
        out[i] = NAN;
    }
    double p = (double)period, atr = s / p;
    out[period] = atr;
    for (size_t i = period + 1; i < n; i++) {
        atr = (atr * (p - 1) + true_range(high, low, close, i)) / p;
        out[i] = atr;
    }
    return period;
}
