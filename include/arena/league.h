/* include/arena/league.h - the league table: one row per agent over all
 * episodes of one or more runs, and its text / Markdown / CSV / JSON forms.
 *
 * Metrics follow include/arena/stats.h; Sharpe in run tables is annualised
 * with periods per year = one year (365 d) / cadence. Undefined values are
 * NAN: "null" in JSON, empty in CSV, "–" in text and Markdown.
 *
 * League statistics (docs/STATS.md "League statistics"): bootstrap
 * intervals resample whole windows (every seed of a window together), from
 * GSL's mt19937 with a fixed seed, so the same runs, B and seed always give
 * the same bytes. Bradley-Terry ratings come from per-episode pairwise
 * outcomes by total return. */
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

    /* ---- league statistics (docs/STATS.md "League statistics") ----
     * Intervals are 95 % percentile intervals (type 7) of B cluster-bootstrap
     * replicates that resample windows; NAN when B = 0 or nothing defined. */
    size_t windows;                 /* distinct windows the agent played */
    double return_median;           /* median total return over episodes */
    double return_ci_low, return_ci_high;               /* mean return */
    double return_median_ci_low, return_median_ci_high; /* median return */
    double sharpe_ci_low, sharpe_ci_high;               /* mean annualised Sharpe */
    double psr, dsr;                /* on the agent's per-period returns, concatenated */
    double max_drawdown_worst;      /* most negative episode max drawdown */
    double beat_buy_hold;           /* share of common episodes with a strictly higher return; NAN: no buy_hold */
    double rating, rating_ci_low, rating_ci_high; /* Bradley-Terry, scale 400, mean 1000 */
    int rating_fallback;            /* 1: the MLE does not exist, regularised fallback fit */
    size_t rank;                    /* LMArena: 1 + #{j : ci_low_j > ci_high_i} */
    double jk_z_vs_best_baseline, jk_p_vs_best_baseline; /* Memmel-JK vs best baseline; NAN for it */
    /* behaviour, from the run's records (all kinds; shown in text for llm/exec/http) */
    double invalid_rate;            /* invalid_answers / decisions */
    double avg_leverage;            /* opening fills' order leverage, notional-weighted */
    double time_long, time_short, time_flat; /* shares of equity samples; mixed: half each */
    double avg_holding_min;         /* mean round-trip duration, minutes */
    double brier;                   /* (confidence - win)^2 over scored entries */
    size_t brier_n;                 /* entries scored */
    double exit_plan_adherence;     /* closed trades exited by TP/SL/liquidation fill */
} ar_league_row;

typedef struct ar_league {
    size_t nrows;
    ar_league_row *rows; /* sorted by mean total return, best first */
    size_t bootstrap;    /* B used (0: no intervals) */
    uint64_t seed;       /* bootstrap seed */
    size_t windows;      /* distinct windows over all runs */
    int rating_fallback; /* the rating fit fell back (every row flagged) */
    /* of the ncurves episode curves, those whose metrics and behaviour were
     * read from the curve rather than a summary (ar_league_opts.sums) */
    size_t ncurves, curves_read;
    char best_baseline[AR_NAME_MAX]; /* "" when no baseline has a Sharpe */
} ar_league;

#define AR_LEAGUE_BOOTSTRAP_DEFAULT 1000
#define AR_LEAGUE_BOOTSTRAP_MAX 100000
#define AR_LEAGUE_SEED_DEFAULT 42

/* An equity curve summarised block by block as it is made (in order, every
 * sample once), for the league to use instead of reading the curve back:
 * what `arena run` does while its curves stream into the run file. The
 * table comes out the same bits either way. Memory: about 4 KiB (the
 * return moments' waiting piece), plus runs of samples on one side of the
 * book (one per change of side) up to max_bytes (0: 2 MiB); past that the
 * league reads the curve for them. */
typedef struct ar_curve_sum ar_curve_sum;
ar_curve_sum *ar_curve_sum_new(size_t max_bytes); /* NULL: out of memory */
void ar_curve_sum_add(ar_curve_sum *s, const ar_equity_rec *e, size_t n);
void ar_curve_sum_free(ar_curve_sum *s); /* NULL: no-op */

typedef struct ar_league_opts {
    size_t bootstrap; /* resamples of windows; 0 = no intervals */
    uint64_t seed;    /* GSL mt19937 seed (used modulo 2^32 as gsl_rng_set takes unsigned long) */
    /* NULL, or runs[0]'s curves summarised as they were made (above), one
     * per agent of each episode in order (nsums of them; NULL entries
     * allowed): a summary of a whole curve stands in for reading it. */
    const ar_curve_sum *const *sums;
    size_t nsums;
} ar_league_opts;

void ar_league_opts_default(ar_league_opts *o); /* B 1000, seed 42 */

typedef enum { AR_FMT_TEXT, AR_FMT_MD, AR_FMT_CSV, AR_FMT_JSON } ar_format;

/* Rows for the agents of runs[0..nruns-1] (agents matched by name). When
 * nruns > 1 the runs' configs must agree apart from seeds and windows, else
 * AR_ECONFIG naming the fields that differ. */
ar_err ar_league_compute(const ar_run *const *runs, size_t nruns, ar_league **out, ar_errbuf *eb);
/* The same with explicit options (NULL: defaults). AR_EINVAL when
 * bootstrap > AR_LEAGUE_BOOTSTRAP_MAX. The rating fits turn GSL's error
 * handler off for their duration and restore it (as market/synth.c does):
 * call from one thread at a time when other code relies on the handler. */
ar_err ar_league_compute_opts(const ar_run *const *runs, size_t nruns, const ar_league_opts *opts,
                              ar_league **out, ar_errbuf *eb);
void ar_league_free(ar_league *l);
/* Text and Markdown add tokens_in, tokens_out, cost_usd and latency_ms
 * columns only when some row has model calls, and the behaviour columns
 * only when some row is an llm, exec or http agent; return and rating show
 * their intervals; a fallback rating is marked with a dagger and a footnote.
 * CSV and JSON always carry every field ("position" is the row number,
 * "rank" the rating rank). */
ar_err ar_league_print(const ar_league *l, ar_format fmt, FILE *f);
ar_err ar_format_parse(const char *s, ar_format *out);

#endif
