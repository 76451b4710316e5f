/* include/arena/league.h - the league table: one row per agent over all
 * episodes of one or more runs, and its text / Markdown / CSV / JSON forms.
 *
 * Metrics follow include/arena/stats.h; Sharpe in run tables is annualised
 * with periods per year = one year (365 d) / cadence. Undefined values are
 * NAN: "null" in JSON, empty in CSV, "–" in text and Markdown. */
#ifndef ARENA_LEAGUE_H
#define ARENA_LEAGUE_H

#include <stdio.h>
#include "arena/run.h"

typedef struct ar_league_row {
    char agent[AR_NAME_MAX];
    char kind[16];
    char detail[AR_NAME_MAX];
    int baseline;
    size_t episodes;
    /* means over episodes (one episode: that episode's values) */
    double final_equity, total_return, cagr, volatility, sharpe, sortino;
    double max_drawdown, max_drawdown_duration; /* duration in periods */
    double calmar, win_rate_periods, profit_factor_periods;
    /* per-trade (round trips, pooled over episodes) */
    size_t trades, fills;
    double win_rate, trade_profit_factor, expectancy;
    double fees, funding, exposure; /* exposure: mean gross exposure / equity */
    size_t decisions, invalid_answers; /* invalid: decisions with status != 0 */
    /* model calls (llm, exec, http agents); 0 / NAN for builtin agents */
    size_t llm_calls;               /* total over episodes */
    double tokens_in, tokens_out;   /* per-episode totals, mean over episodes */
    double cost_usd;                /* per-episode totals, mean over episodes; NAN when no call has a price */
    double mean_latency_ms;         /* mean over all calls; NAN when no calls */
} ar_league_row;

typedef struct ar_league {
    size_t nrows;
    ar_league_row *rows; /* sorted by mean total return, best first */
} ar_league;

typedef enum { AR_FMT_TEXT, AR_FMT_MD, AR_FMT_CSV, AR_FMT_JSON } ar_format;

/* Rows for the agents of runs[0..nruns-1] (agents matched by name). When
 * nruns > 1 the runs' configs must agree apart from seeds and windows, else
 * AR_ECONFIG naming the fields that differ. */
ar_err ar_league_compute(const ar_run *const *runs, size_t nruns, ar_league **out, ar_errbuf *eb);
void ar_league_free(ar_league *l);
/* Text and Markdown add tokens_in, tokens_out, cost_usd and latency_ms
 * columns only when some row has model calls; CSV and JSON always carry
 * every field. */
ar_err ar_league_print(const ar_league *l, ar_format fmt, FILE *f);
ar_err ar_format_parse(const char *s, ar_format *out);

#endif
