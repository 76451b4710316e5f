/* strategies/strategies.h - constructors of the built-in strategies; the
 * table in registry.c maps names and parameters to them. */
#ifndef ARENA_STRATEGIES_H
#define ARENA_STRATEGIES_H

#include "arena/agent.h"

ar_err ar__flat_create(const ar_strategy_ctx *ctx, const double *p, ar_agent **out);
ar_err ar__buy_hold_create(const ar_strategy_ctx *ctx, const double *p, ar_agent **out);
ar_err ar__sma_cross_create(const ar_strategy_ctx *ctx, const double *p, ar_agent **out);
ar_err ar__momentum_create(const ar_strategy_ctx *ctx, const double *p, ar_agent **out);
ar_err ar__mean_revert_create(const ar_strategy_ctx *ctx, const double *p, ar_agent **out);
ar_err ar__random_create(const ar_strategy_ctx *ctx, const double *p, ar_agent **out);

#endif
