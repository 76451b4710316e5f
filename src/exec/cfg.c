/* src/exec/cfg.c - execution configuration defaults, their validation, and the
 * reason-code names shared by exec, agents and the store.
 *
 * No state; everything here is thread-safe. */
#include <math.h>
#include "arena/exec.h"
#include "arena/util.h"
#include "exec/exec_int.h"

void ar_exec_cfg_default(ar_exec_cfg *c) {
    if (c == NULL) return;
    c->mode = AR_MODE_PERP;
    c->latency = 0;
    c->taker_bps = 4.5;
    c->maker_bps = 1.5;
    c->slip = AR_SLIP_NONE;
    c->slip_bps = 0;
    c->slip_k = 0;
    c->slip_window = AR_NS_PER_DAY;
    c->slip_noise_bps = 0;
    c->max_leverage = 20;
    c->maintenance_margin = 0.005;
    c->funding_rate = 0;
    c->funding_interval = 0;
    c->both_touched_favorable = 0;
}

static int nonneg(double x) { return isfinite(x) && x >= 0; }

/* Every field is checked, even those the chosen model ignores, so that a
 * config that would be wrong under another model is reported at once. */
ar_err ar__exec_cfg_check(const ar_exec_cfg *c, ar_errbuf *eb) {
    if (c->mode != AR_MODE_SPOT && c->mode != AR_MODE_PERP)
        return ar_errf(eb, AR_ECONFIG, "exec: mode %d is neither spot (0) nor perp (1)", (int)c->mode);
    if (c->latency < 0)
        return ar_errf(eb, AR_ECONFIG, "exec: latency must be >= 0");
    /* negative fees are rebates (some venues pay makers); a rebate of more
     * than 1% is no venue's and would let a fill create cash from nothing */
    if (!isfinite(c->taker_bps) || c->taker_bps < -100 || c->taker_bps >= 1e4)
        return ar_errf(eb, AR_ECONFIG, "exec: taker_bps must be in [-100, 10000)");
    if (!isfinite(c->maker_bps) || c->maker_bps < -100 || c->maker_bps >= 1e4)
        return ar_errf(eb, AR_ECONFIG, "exec: maker_bps must be in [-100, 10000)");
    if (c->slip != AR_SLIP_NONE && c->slip != AR_SLIP_FIXED && c->slip != AR_SLIP_SQRT)
        return ar_errf(eb, AR_ECONFIG, "exec: slip %d is not none (0), fixed (1) or sqrt (2)", (int)c->slip);
    if (!nonneg(c->slip_bps) || c->slip_bps >= 1e4)
        return ar_errf(eb, AR_ECONFIG, "exec: slip_bps must be in [0, 10000)");
    if (!nonneg(c->slip_k))
        return ar_errf(eb, AR_ECONFIG, "exec: slip_k must be a number >= 0");
    if (c->slip_window <= 0)
        return ar_errf(eb, AR_ECONFIG, "exec: slip_window must be > 0");
    if (!nonneg(c->slip_noise_bps))
        return ar_errf(eb, AR_ECONFIG, "exec: slip_noise_bps must be a number >= 0");
    if (!isfinite(c->max_leverage) || c->max_leverage < 1)
        return ar_errf(eb, AR_ECONFIG, "exec: max_leverage must be >= 1");
    if (!nonneg(c->maintenance_margin) || c->maintenance_margin >= 1)
        return ar_errf(eb, AR_ECONFIG, "exec: maintenance_margin must be in [0, 1)");
    if (!isfinite(c->funding_rate))
        return ar_errf(eb, AR_ECONFIG, "exec: funding_rate must be a finite number");
    if (c->funding_interval < 0)
        return ar_errf(eb, AR_ECONFIG, "exec: funding_interval must be >= 0");
    return AR_OK;
}

static const char *const reason_text[] = {
#define AR__REASON_TEXT(n, s) s,
    AR_REASON_MAP(AR__REASON_TEXT)
#undef AR__REASON_TEXT
};

const char *ar_reason_name(int r) {
    if (r < 0 || r >= AR_R_COUNT) return "unknown";
    return reason_text[r];
}
