/* strategies/registry.c - name -> constructor table of the built-in
 * strategies, with every parameter, its default and its range. The core
 * validates user parameters against this table before calling create. */
#include <string.h>
#include "strategies.h"

static const ar_param_def no_params[] = {{NULL, 0, 0, 0, 0, NULL}};

static const ar_param_def sma_params[] = {
    {"fast", 10, 1, 1e6, 1, "bars in the fast moving average"},
    {"slow", 30, 2, 1e6, 1, "bars in the slow moving average (> fast)"},
    {NULL, 0, 0, 0, 0, NULL}};

static const ar_param_def mom_params[] = {
    {"lookback", 60, 1, 1e6, 1, "bars over which the return is measured"},
    {"threshold_bps", 0, 0, 1e5, 0, "dead band around zero, basis points"},
    {"leverage", 1, 1, 1000, 0, "leverage of each position (spot: 1)"},
    {"fraction", 1, 0, 1, 0, "share of equity put to work, split across symbols"},
    {NULL, 0, 0, 0, 0, NULL}};

static const ar_param_def mr_params[] = {
    {"window", 60, 2, 1e6, 1, "bars in the mean and standard deviation"},
    {"entry_z", 2, 0, 100, 0, "enter when |z| exceeds this"},
    {"exit_z", 0.5, 0, 100, 0, "exit when z is back within this (<= entry_z)"},
    {"leverage", 1, 1, 1000, 0, "leverage of each position (spot: 1)"},
    {"fraction", 1, 0, 1, 0, "share of equity put to work, split across symbols"},
    {NULL, 0, 0, 0, 0, NULL}};

static const ar_param_def rnd_params[] = {
    {"probability", 0.02, 0, 1, 0, "chance per decision and symbol of acting"},
    {"leverage", 2, 1, 1000, 0, "leverage of each position (spot: 1)"},
    {"fraction", 0.5, 0, 1, 0, "share of equity put to work, split across symbols"},
    {NULL, 0, 0, 0, 0, NULL}};

/* How far back before the visible bars a decision may read. The rolling
 * sums of sma_cross and mean_revert step from the last bar they summed,
 * dropping the bar a window before each new one, and start over when more
 * than a window of bars came in: so nothing older than two windows back.
 * momentum reads the bar lookback before the last. flat, buy_hold and
 * random read no bar (the marks only). */
static size_t no_lookback(const double *p) {
    (void)p;
    return 0;
}
static size_t sma_lookback(const double *p) { return 2 * (size_t)p[1]; }
static size_t mom_lookback(const double *p) { return (size_t)p[0] + 1; }
static size_t mr_lookback(const double *p) { return 2 * (size_t)p[0]; }

/* The constraints between parameters that create() refuses. */
#include <stdio.h>
static const char *sma_check(const double *p, char *buf, size_t n) {
    if (p[0] < p[1]) return NULL;
    snprintf(buf, n, "fast %g is not below slow %g (expected fast < slow)", p[0], p[1]);
    return buf;
}
static const char *mr_check(const double *p, char *buf, size_t n) {
    if (p[2] <= p[1]) return NULL;
    snprintf(buf, n, "exit_z %g is above entry_z %g (expected exit_z <= entry_z)", p[2], p[1]);
    return buf;
}

static const ar_strategy_def table[] = {
    {"flat", "never trades: holds cash", no_params, ar__flat_create, no_lookback, NULL},
    {"buy_hold", "buys every symbol with an equal share of equity at the first decision", no_params,
     ar__buy_hold_create, no_lookback, NULL},
    {"sma_cross", "long-only moving-average crossover", sma_params, ar__sma_cross_create, sma_lookback, sma_check},
    {"momentum", "time-series momentum, long or short", mom_params, ar__momentum_create, mom_lookback, NULL},
    {"mean_revert", "z-score mean reversion, long or short", mr_params, ar__mean_revert_create, mr_lookback, mr_check},
    {"random", "seeded coin flips: the no-edge baseline", rnd_params, ar__random_create, no_lookback, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL}};

const ar_strategy_def *ar_strategy_table(void) {
    return table;
}

const ar_strategy_def *ar_strategy_find(const char *name) {
    for (const ar_strategy_def *d = table; d->name; d++)
        if (!strcmp(d->name, name)) return d;
    return NULL;
}
