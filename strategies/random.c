/* strategies/random.c - the seeded random baseline (no edge by design).
 *
 * At each decision, per symbol, with probability `p` it acts: when flat it
 * opens long or short with equal odds (long only in spot) sized at
 * equity x fraction / nsym x leverage; when in a position it closes it.
 * Its GSL stream is seeded per (run seed, episode, agent), so a rerun makes
 * the same choices. */
#include <gsl/gsl_rng.h>
#include <stdlib.h>
#include "common.h"
#include "strategies.h"

ar_err ar__target_side(const ar_obs *o, size_t s, int target, double lev, double fraction,
                       double *cash, ar_actions *out);

typedef struct rnd_agent {
    ar_agent base;
    gsl_rng *rng;
    double p, lev, fraction;
} rnd_agent;

static ar_err rnd_decide(ar_agent *self, const ar_obs *o, ar_actions *out) {
    rnd_agent *a = (rnd_agent *)self;
    double cash = ar_account_free_cash(o->acct);
    for (size_t s = 0; s < o->market->nsym; s++) {
        /* Draw both numbers every time so the stream does not depend on
         * which branches earlier decisions took. */
        double u = gsl_rng_uniform(a->rng), side = gsl_rng_uniform(a->rng);
        if (u >= a->p || !(o->marks[s] > 0) || ar_account_npending_sym(o->acct, (int32_t)s) > 0) continue;
        double q = ar_account_position(o->acct, (int32_t)s)->qty;
        int target = q != 0 ? 0 : side < 0.5 ? 1 : -1;
        if (o->exec->mode == AR_MODE_SPOT && target < 0) continue;
        ar_err e = ar__target_side(o, s, target, a->lev, a->fraction, &cash, out);
        if (e) return e;
    }
    return AR_OK;
}

static void rnd_destroy(ar_agent *self) {
    rnd_agent *a = (rnd_agent *)self;
    gsl_rng_free(a->rng);
    free(a);
}

static const ar_agent_vt rnd_vt = {rnd_decide, rnd_destroy};

ar_err ar__random_create(const ar_strategy_ctx *ctx, const double *p, ar_agent **out) {
    rnd_agent *a = calloc(1, sizeof *a);
    if (a == NULL) return AR_ENOMEM;
    a->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (a->rng == NULL) {
        free(a);
        return AR_ENOMEM;
    }
    gsl_rng_set(a->rng, (unsigned long)ctx->seed);
    a->base.vt = &rnd_vt;
    a->p = p[0];
    a->lev = p[1];
    a->fraction = p[2];
    *out = &a->base;
    return AR_OK;
}
