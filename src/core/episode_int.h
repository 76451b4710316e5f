/* src/core/episode_int.h - one episode of the engine, shared by the
 * backtest driver (engine.c) and the live driver (live.c). Private to core.
 *
 * An episode owns one account and one agent per configured agent and
 * steps them through decision times: ar__episode_step(t) feeds every
 * execution bar closed by t to the accounts, samples equity and lets every
 * agent decide. In a backtest the market agents see and the market accounts
 * fill against are the same; a live run builds both from the feed (bars of
 * the configured interval to see, one-second bars to fill against). */
#ifndef ARENA_EPISODE_INT_H
#define ARENA_EPISODE_INT_H

#include <pthread.h>
#include <stdint.h>
#include "arena/agent.h"
#include "arena/cassette.h"
#include "arena/config.h"
#include "arena/engine.h"
#include "arena/ext.h"
#include "arena/llm.h"
#include "arena/run.h"
#include "arena/util.h"

/* Distinct prompt texts of a run, found by hash (open addressing). */
typedef struct prompt_table {
    size_t n, cap;
    char **text;
    size_t hcap;
    int32_t *slot; /* -1 empty, else index into text */
} prompt_table;

/* Index of text in the table, adding a copy when new; -1 on ENOMEM. */
int32_t ar__pt_add(prompt_table *pt, const char *text);
/* The same taking text (malloc'd) over: kept when new, freed when a
 * duplicate or on ENOMEM. No copy: moving texts between tables. */
int32_t ar__pt_adopt(prompt_table *pt, char *text);
void ar__pt_cleanup(prompt_table *pt);

/* What a tournament shares across its episodes. */
typedef struct shared {
    ar_cassette *cassette;
    pthread_mutex_t mu; /* guards the cassette, spent and progress */
    double spent;       /* USD over the whole run */
    size_t done, total; /* episodes, for the progress bar */
    int64_t last_pct;
    /* Backtests whose logs may not all stay in memory: agents hand their
     * settled records to spill (owned by the run) whenever a log holds
     * log_rows of them. NULL: logs stay. */
    ar_spill *spill;
    size_t log_rows;
    int spill_curves; /* equity blocks go to spill too (ar_engine_opts.spill_curves) */
    ar_call_fail_fn on_call_fail; /* ar_engine_opts.on_call_fail, NULL when replaying */
    void *on_call_fail_ctx;
} shared;

typedef struct ep_agent {
    const ar_agent_cfg *cfg;
    ar_agent *agent;
    ar_ext_agent *ext; /* exec and http agents */
    /* llm, exec and http agents */
    int llm, state; /* state per round: 0 ask, 1 have an answer, 2 over budget */
    ar_buf user;
    int32_t user_id;
    char sha[65];
    ar_llm_call call;
    int cached;
    double *eqv; /* equity at each decision so far, for the prompt's Sharpe (capeqv samples) */
    size_t capeqv;
    ar_llm_rec *recs;
    size_t nrec, caprec;
    ar_buf answers;
    double spent;
    ar_account *acct;
    ar_actions acts;
    ar_equity_rec *eq;
    size_t neq, capeq;
    size_t eqoff; /* samples already handed to ar_engine_opts.on_equity (eq holds the ones after) */
    ar_decision_rec *dec;
    size_t ndec, capdec;
    ar_log_segs *spilled; /* AR_LOG_SLOTS lists of records in sh->spill, or NULL */
    /* Backtests only (engine.c, sample_bt): the account is quiet (1) —
     * flat, nothing pending — with this cash, or, in runs of coded agents,
     * idle (2): holding positions that bars cannot touch
     * (ar_account_inert). Bars are not fed to it while it is either, fed[s]
     * is the first bar of symbol s it has not been given yet, and it is
     * caught up before its agent's orders are submitted, and before an idle
     * account is valued at a bad mark (whose fallback is the account's
     * last close). Always 0 in live runs. */
    int quiet;
    double quiet_cash; /* quiet: the cash; idle: the cash too (it does not move) */
    size_t *fed;
    const ar_position **held; /* idle: its open positions, in symbol order (nheld), */
    int32_t *held_sym;        /* and their symbols */
    size_t nheld;
} ep_agent;

typedef struct episode {
    const ar_config *cfg;
    shared *sh;
    prompt_table *pt;   /* this episode's prompts; merged in episode order later */
    ar_llm_pool *pool;  /* the worker's request pool */
    int hide_dates;
    int idle_ok;         /* accounts may go idle (ep_agent.quiet 2): backtests of coded agents */
    const double *scale; /* anonymized prices: each symbol's factor (NULL: real prices) */
    uint32_t index;
    ar_buf sys;
    int32_t sys_id;
    const char **coins;
    double *posq;
    ar_llm_call *calls;
    const ar_llm_cfg **rcfg;
    const char **rsys, **ruser;
    size_t *ridx;
    ar_ext_agent **xag;
    const char **xobs;
    size_t *xidx;
    ar_llm_call *xcalls;
    const ar_market *m;  /* what agents see */
    const ar_market *xm; /* what accounts fill against (m in backtests) */
    int64_t start, end;
    uint64_t seed;
    size_t nsym, nagents;
    size_t *ptr;   /* next bar of xm to feed, per symbol */
    size_t *optr;  /* visible bars of m per symbol (== ptr when m == xm) */
    /* live: the feed time now, read when an answer is in (orders are active
     * no earlier); NULL in backtests */
    int64_t (*answer_clock)(void *ctx);
    void *clock_ctx;
    double *marks; /* last visible close, per symbol */
    ar_obs obs;    /* what agents are handed; decide() sets the time and index */
    ep_agent *ag;
} episode;

/* Set up ep for cfg: agents see m, accounts fill against xm (NULL: m);
 * slip (NULL: none) holds the sqrt slippage sums of xm for every account.
 * ndec: decisions expected (equity arrays are sized for ndec + 1 samples
 * and grow past that). On failure ep is cleaned up. */
ar_err ar__episode_init(episode *ep, const ar_config *cfg, const ar_market *m, const ar_market *xm, int64_t start,
                        int64_t end, int32_t window, uint64_t seed, uint32_t index, const char **coins, shared *sh,
                        prompt_table *pt, ar_llm_pool *pool, const ar_slip_cache *slip, size_t ndec, ar_errbuf *eb);
/* Decision k at t: feed bars closed by t, sample equity, every agent decides. */
ar_err ar__episode_step(episode *ep, int64_t t, size_t k, ar_errbuf *eb);
/* Feed bars closed by t to the accounts (live: fills as the feed goes). */
void ar__episode_advance(episode *ep, int64_t t);
/* Feed bars closed by t and sample equity (the final mark). */
void ar__episode_mark(episode *ep, int64_t t);
void ar__episode_cleanup(episode *ep);

/* A run with cfg's header and no episodes: name, config, manifest (with
 * data_sha256 and/or the live exchange when not NULL), cadence, capital,
 * mode and m's symbols. NULL on ENOMEM. */
ar_run *ar__run_header(const ar_config *cfg, const ar_market *m, const char *data_sha256, const char *live);

#endif
