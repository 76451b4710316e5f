/* src/llm/pool_int.h - test hooks of the request pool (src/llm/pool.c). */
#ifndef ARENA_LLM_POOL_INT_H
#define ARENA_LLM_POOL_INT_H

#include <stdint.h>
#include "arena/llm.h"

/* Counters of the endpoint (provider, base_url as written) in l: requests
 * that took a slot (attempts, retries included) and refused takes for want
 * of an rpm token (one per check, so a wait may count several times).
 * AR_ENOTFOUND when no request went to that endpoint. Thread-safe. */
ar_err ar__llm_limits_counts(ar_llm_limits *l, int provider, const char *base_url, uint64_t *taken,
                             uint64_t *token_waits);

#endif
