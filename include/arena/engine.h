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

typedef struct ar_engine_opts {
    FILE *progress;         /* non-NULL: draw a progress bar there */
    ar_cassette *cassette;  /* NULL: ask the models; else per its mode (cassette.h) */
    int jobs;               /* episodes run concurrently (threads); results do not depend on it */
} ar_engine_opts;

/* Run every episode of cfg on market m (holding exactly cfg's symbols, in
 * cfg order) and return the results. The run's config_json/manifest_json
 * are filled from cfg; data_sha256 (may be NULL) goes into the manifest. */
ar_err ar_tournament_run(const ar_config *cfg, const ar_market *m, const char *data_sha256,
                         const ar_engine_opts *opts, ar_run **out, ar_errbuf *eb);

#endif
