/* include/arena/engine.h - the engine loop and the tournament driver.
 *
 * Timing (docs/ENGINE.md): decisions happen at start + k x cadence for every
 * k with t < end; a decision at t sees the bars whose close time is <= t.
 * Bars are fed to every account in time order (ties: symbol order), each
 * bar once its close time has passed. Equity is sampled at every decision
 * time and once more at end (the final mark; nothing is force-closed).
 * Randomness comes only from GSL streams seeded from (run seed, episode,
 * agent name), so a run is a pure function of config + data. */
#ifndef ARENA_ENGINE_H
#define ARENA_ENGINE_H

#include <stdio.h>
#include "arena/cassette.h"
#include "arena/config.h"
#include "arena/market.h"
#include "arena/run.h"

/* Called when episode `index` has finished, from the worker thread that ran
 * it, one call at a time (the engine serialises them). `run` has its header
 * filled (name, config, manifest, cadence, capital, mode, symbols, rescored)
 * but not its episodes; `ep` is the finished episode, whose llm records index
 * `prompts` (that episode's own prompt table, in first-use order). Nothing
 * passed may be kept past the call. A non-zero return fails the run with the
 * message put into eb. Used to keep finished episodes in shard files
 * (include/arena/shard.h). */
typedef ar_err (*ar_episode_fn)(void *ctx, const ar_run *run, size_t index, const ar_run_episode *ep,
                                char *const *prompts, size_t nprompts, ar_errbuf *eb);

/* Called with samples [off, off + n) of the equity curve of agent `agent`
 * (its index in the episode) of episode `episode`: blocks of
 * AR_EQUITY_BLOCK samples (run.h) as they fill, then the rest once the
 * episode ends. From the worker threads, possibly at the same time. A
 * non-zero return fails the run with the message put into eb. */
typedef ar_err (*ar_equity_fn)(void *ctx, size_t episode, size_t agent, size_t off, const ar_equity_rec *recs,
                               size_t n, ar_errbuf *eb);

/* A model agent's call failed (after its retries; the answer counts as a
 * hold): the agent's name and the call's one-line error, which names no
 * secret. Called from the engine's threads (several at once with jobs). */
typedef void (*ar_call_fail_fn)(void *ctx, const char *agent, const char *error);

typedef struct ar_engine_opts {
    FILE *progress;         /* non-NULL: draw a progress bar there */
    ar_cassette *cassette;  /* NULL: ask the models; else per its mode (cassette.h) */
    int jobs;               /* episodes run concurrently (threads); results do not depend on it */
    /* NULL: run every episode. Else an array of ar_tournament_episodes' n
     * flags: only episodes k with only[k] != 0 run, and the returned run holds
     * just those, in episode order (prompt table merged over them). An
     * episode's results do not depend on which others run, except through
     * llm.budget_usd (callers refuse subsets of runs with a run budget). */
    const unsigned char *only;
    ar_episode_fn on_episode; /* NULL: none */
    void *on_episode_ctx;
    /* NULL: equity curves stay in the returned run. Else they leave every
     * episode in blocks through on_equity (a run file being written:
     * ar_run_writer_equity) and the run's agents come back with equity
     * NULL and nequity set: memory for curves stays one block per agent. */
    ar_equity_fn on_equity;
    void *on_equity_ctx;
    /* NULL: record logs stay in the returned run. Else the run may keep
     * about log_memory bytes of them in memory over all agents running at
     * once; beyond that they leave as they are made, into a temporary file
     * in spill_near's directory (the run file's path: ar_spill_open), and
     * come back in the run's spill (ar_run_agent.spilled). 0: all leave. */
    const char *spill_near;
    size_t log_memory;
    /* With spill_near and no on_equity: the equity curves leave through
     * the spill too, a block at a time (ar_run_agent.spilled[AR_SPILL_EQUITY];
     * the store writes them from there). For runs written per episode
     * (shards), which have no run file open to stream them into. */
    int spill_curves;
    /* NULL: none. Else told of each failed model call (not of answers
     * replayed from a cassette, whose failures were told when recorded). */
    ar_call_fail_fn on_call_fail;
    void *on_call_fail_ctx;
} ar_engine_opts;

/* One episode of a run, as ar_tournament_run will play it. */
typedef struct ar_episode_info {
    int32_t window;
    uint64_t seed;
    int64_t start, end;
    double cost; /* expected cost: decisions x agents */
} ar_episode_info;

/* The episodes of cfg on m in run order (windows x seeds, window-major), as
 * a new array (free it) of *n entries. Same errors as ar_tournament_run for
 * a bad window. */
ar_err ar_tournament_episodes(const ar_config *cfg, const ar_market *m, ar_episode_info **out, size_t *n,
                              ar_errbuf *eb);

/* What ar_tournament_run(cfg, m) will return, without running it: the run
 * header and its episodes with each agent's name and nequity, nothing else
 * (ar_run_writer_open lays out a run file from it). */
ar_err ar_tournament_skeleton(const ar_config *cfg, const ar_market *m, const char *data_sha256, ar_run **out,
                              ar_errbuf *eb);

/* Run every episode of cfg on market m (holding exactly cfg's symbols, in
 * cfg order) and return the results. The run's config_json/manifest_json
 * are filled from cfg; data_sha256 (may be NULL) goes into the manifest. */
ar_err ar_tournament_run(const ar_config *cfg, const ar_market *m, const char *data_sha256,
                         const ar_engine_opts *opts, ar_run **out, ar_errbuf *eb);

#endif
