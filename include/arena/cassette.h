/* include/arena/cassette.h - recorded model answers, for replay.
 *
 * A cassette is a JSON Lines file: one object per (episode, agent, decision)
 * with the prompt's sha256 and everything the run file records of the call
 * (answer text, status, reason, HTTP status, attempts and their outcomes,
 * latency, tokens). Modes:
 *   record  ask every model, write every call;
 *   replay  never ask: a missing entry, or one whose prompt hash differs, is
 *           an error; the run file comes out byte for byte the same;
 *   auto    answer from the cassette when it has the entry, ask otherwise
 *           (and add the answer);
 *   rescore match on (episode, agent, decision) only, so the same answers
 *           are replayed under other fees, slippage or latency.
 * The file is rewritten sorted on save (temporary name, then rename). It
 * never holds API keys: nothing key-related reaches an entry. */
#ifndef ARENA_CASSETTE_H
#define ARENA_CASSETTE_H

#include <stdint.h>
#include <stddef.h>
#include "arena/err.h"
#include "arena/llm.h"

typedef enum {
    AR_CASSETTE_OFF = 0, AR_CASSETTE_RECORD, AR_CASSETTE_REPLAY, AR_CASSETTE_AUTO, AR_CASSETTE_RESCORE
} ar_cassette_mode;

typedef struct ar_cassette ar_cassette;

/* Open path in mode. record starts empty (an existing file is replaced on
 * save); the other modes load it (replay/rescore: it must exist; auto: a
 * missing file is an empty cassette). Errors name the file and line. */
ar_cassette *ar_cassette_open(const char *path, ar_cassette_mode mode, ar_errbuf *eb);
void ar_cassette_free(ar_cassette *c); /* NULL: no-op */
ar_cassette_mode ar_cassette_get_mode(const ar_cassette *c);

/* Look up a call. On a hit fills *call (owned copies: clean with
 * ar_llm_call_cleanup) and returns 1; 0 on a miss. In replay mode a hit on
 * (episode, agent, decision) whose prompt hash differs returns -1 (eb says
 * which). In rescore mode the hash is not compared. */
int ar_cassette_find(const ar_cassette *c, uint32_t episode, const char *agent, uint32_t decision,
                     const char *prompt_sha256, ar_llm_call *call, ar_errbuf *eb);

/* Add (or replace) the entry for (episode, agent, decision). Copies. */
ar_err ar_cassette_put(ar_cassette *c, uint32_t episode, const char *agent, uint32_t decision, int64_t t,
                       const char *prompt_sha256, const ar_llm_call *call);

/* Write the cassette back (record and auto modes; no-op otherwise). */
ar_err ar_cassette_save(ar_cassette *c, ar_errbuf *eb);

#endif
