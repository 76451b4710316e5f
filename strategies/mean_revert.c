/* strategies/mean_revert.c - z-score mean reversion.
 *
 * z = (close - mean) / std over the last `window` closes (population std).
 * Flat: enter long when z < -entry_z, short when z > entry_z (perp only).
 * Long: close once z > -exit_z; short: close once z < exit_z. Size as in
 * momentum: equity x fraction / nsym x leverage. */
#include <math.h>
#include <stdlib.h>
#include "common.h"
#include "strategies.h"

ar_err ar__target_side(const ar_obs *o, size_t s, int target, double lev, double fraction,
                       double *cash, ar_actions *out);

typedef struct mr_agent {
    ar_agent base;
    double entry, exit_, lev, fraction;
    size_t nsym;
    ar__roll roll[];
} mr_agent;

static ar_err mr_decide(ar_agent *self, const ar_obs *o, ar_actions *out) {
    mr_agent *a = (mr_agent *)self;
    double cash = ar_account_free_cash(o->acct);
    for (size_t s = 0; s < a->nsym; s++) {
        ar__roll *r = &a->roll[s];
        size_t nv = o->nvis[s];
        if (nv < r->n) continue;
        const ar_bar *b = o->market->sym[s].bars.row;
        ar__roll_advance(r, b, nv);
        if (ar_account_npending_sym(o->acct, (int32_t)s) > 0) continue; /* its own order first */
        double n = (double)r->n, mean = r->sum / n, var = r->sum2 / n - mean * mean;
        if (!(var > 0)) continue;
        double z = (b[nv - 1].close - mean) / sqrt(var);
        double q = ar_account_position(o->acct, (int32_t)s)->qty;
        int target = q > 0 ? 1 : q < 0 ? -1 : 0;
        if (target == 0) target = z < -a->entry ? 1 : z > a->entry ? -1 : 0;
        else if (target > 0 && z > -a->exit_) target = 0;
        else if (target < 0 && z < a->exit_) target = 0;
        ar_err e = ar__target_side(o, s, target, a->lev, a->fraction, &cash, out);
        if (e) return e;
    }
    return AR_OK;
}

static void mr_destroy(ar_agent *self) {
    free(self);
}

static const ar_agent_vt mr_vt = {mr_decide, mr_destroy};

ar_err ar__mean_revert_create(const ar_strategy_ctx *ctx, const double *p, ar_agent **out) {
    if (p[2] > p[1]) return AR_EINVAL;
    mr_agent *a = calloc(1, sizeof *a + ctx->nsym * sizeof a->roll[0]);
    if (a == NULL) return AR_ENOMEM;
    a->base.vt = &mr_vt;
    a->nsym = ctx->nsym;
    for (size_t s = 0; s < ctx->nsym; s++) a->roll[s].n = (size_t)p[0];
    a->entry = p[1];
    a->exit_ = p[2];
    a->lev = p[3];
    a->fraction = p[4];
    *out = &a->base;
    return AR_OK;
}
