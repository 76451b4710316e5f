/* src/core/engine.c - the engine loop and the tournament driver.
 *
 * One episode is one window of the market with one seed. All agents of an
 * episode see the same bars at the same decision times; each has its own
 * account (agents never move each other's prices). The loop is bar-major:
 * every bar is handed to every account in time order (ties: symbol order)
 * once its close time has passed, then at each decision time equity is
 * sampled and every agent decides. Nothing is allocated per bar; per
 * episode the equity arrays are sized exactly up front.
 *
 * Single-threaded; episodes share only the read-only market. */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "arena/agent.h"
#include "arena/engine.h"
#include "arena/ext.h"
#include "arena/llm.h"
#include "arena/store.h"
#include "arena/util.h"
#include "core/episode_int.h"

#ifndef ARENA_VERSION
#define ARENA_VERSION "0.1.0"
#endif

static uint64_t text_hash(const char *s) {
    uint64_t h = UINT64_C(1469598103934665603);
    for (; *s; s++) h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return ar_mix64(h);
}

/* Index of text in the table, adding it when new: owned, when not NULL,
 * is text itself, handed over (kept when new, freed when a duplicate);
 * else a copy is made. -1 on ENOMEM (owned is freed then too). */
static int32_t pt_insert(prompt_table *pt, const char *text, char *owned) {
    if (2 * (pt->n + 1) > pt->hcap) {
        size_t hcap = pt->hcap ? pt->hcap * 2 : 1024;
        int32_t *slot = malloc(hcap * sizeof *slot);
        if (slot == NULL) {
            free(owned);
            return -1;
        }
        for (size_t i = 0; i < hcap; i++) slot[i] = -1;
        for (size_t i = 0; i < pt->n; i++) {
            size_t h = (size_t)text_hash(pt->text[i]) & (hcap - 1);
            while (slot[h] >= 0) h = (h + 1) & (hcap - 1);
            slot[h] = (int32_t)i;
        }
        free(pt->slot);
        pt->slot = slot;
        pt->hcap = hcap;
    }
    size_t h = (size_t)text_hash(text) & (pt->hcap - 1);
    while (pt->slot[h] >= 0) {
        if (!strcmp(pt->text[pt->slot[h]], text)) {
            free(owned);
            return pt->slot[h];
        }
        h = (h + 1) & (pt->hcap - 1);
    }
    if (pt->n == pt->cap) {
        size_t cap = pt->cap ? pt->cap * 2 : 256;
        char **t = realloc(pt->text, cap * sizeof *t);
        if (t == NULL) {
            free(owned);
            return -1;
        }
        pt->text = t;
        pt->cap = cap;
    }
    if ((pt->text[pt->n] = owned ? owned : strdup(text)) == NULL) return -1;
    pt->slot[h] = (int32_t)pt->n;
    return (int32_t)pt->n++;
}

/* Index of text in the table, adding a copy when new; -1 on ENOMEM. */
int32_t ar__pt_add(prompt_table *pt, const char *text) { return pt_insert(pt, text, NULL); }

int32_t ar__pt_adopt(prompt_table *pt, char *text) { return pt_insert(pt, text, text); }

void ar__pt_cleanup(prompt_table *pt) {
    for (size_t i = 0; i < pt->n; i++) free(pt->text[i]);
    free(pt->text);
    free(pt->slot);
}

/* Bar ptr[s] of symbol s to every account that is not quiet (backtests:
 * those are caught up later, see ep_agent.quiet). */
static void feed_bar(episode *ep, size_t s) {
    size_t i = ep->ptr[s];
    for (size_t a = 0; a < ep->nagents; a++)
        if (!ep->ag[a].quiet) ar_account_on_bar(ep->ag[a].acct, (int32_t)s, i);
    ep->marks[s] = ep->xm->sym[s].bars.row[i].close;
    ep->ptr[s] = i + 1;
}

/* Feed every bar whose close time is <= t, in time order across symbols. */
static void advance_exec(episode *ep, int64_t t) {
    const ar_market *m = ep->xm;
    if (ep->nsym == 1) {
        /* one symbol: the run of bars to each account (accounts are
         * independent, so account by account is the same as bar by bar);
         * the mark is the last one's close */
        const ar_bars *b = &m->sym[0].bars;
        int64_t lim = t - m->sym[0].interval;
        size_t i0 = ep->ptr[0], i = i0, n = b->n;
        if (i >= n || b->row[i].t > lim) return;
        do i++;
        while (i < n && b->row[i].t <= lim);
        for (size_t a = 0; a < ep->nagents; a++)
            if (!ep->ag[a].quiet) ar_account_on_bars(ep->ag[a].acct, 0, i0, i);
        ep->marks[0] = b->row[i - 1].close;
        ep->ptr[0] = i;
        return;
    }
    for (;;) {
        size_t best = SIZE_MAX;
        int64_t bt = INT64_MAX;
        for (size_t s = 0; s < ep->nsym; s++) {
            const ar_bars *b = &m->sym[s].bars;
            size_t i = ep->ptr[s];
            if (i < b->n && b->row[i].t <= t - m->sym[s].interval && b->row[i].t < bt) {
                bt = b->row[i].t;
                best = s;
            }
        }
        if (best == SIZE_MAX) return;
        feed_bar(ep, best);
    }
}

static void advance(episode *ep, int64_t t) {
    advance_exec(ep, t);
    if (ep->optr == ep->ptr) return;
    /* live: what agents see is another market (bars of the configured
     * interval) than what accounts fill against */
    for (size_t s = 0; s < ep->nsym; s++) {
        const ar_symbol *y = &ep->m->sym[s];
        while (ep->optr[s] < y->bars.n && y->bars.row[ep->optr[s]].t <= t - y->interval) ep->optr[s]++;
    }
}

/* Room for one more equity sample per agent (backtests size them exactly
 * up front; live runs grow them). */
static ar_err eq_room(ep_agent *g) {
    if (g->neq >= g->capeq) {
        size_t cap = g->capeq ? g->capeq * 2 : 256;
        ar_equity_rec *v = realloc(g->eq, cap * sizeof *v);
        if (v == NULL) return AR_ENOMEM;
        g->eq = v;
        g->capeq = cap;
    }
    /* eqv holds every sample (eq only those since eqoff: live runs drop
     * what the file has) */
    if (g->eqv && g->eqoff + g->neq >= g->capeqv) {
        size_t cap = g->capeqv ? g->capeqv * 2 : 256;
        double *w = realloc(g->eqv, cap * sizeof *w);
        if (w == NULL) return AR_ENOMEM;
        g->eqv = w;
        g->capeqv = cap;
    }
    return AR_OK;
}

static void sample(episode *ep, int64_t t) {
    for (size_t a = 0; a < ep->nagents; a++) {
        ep_agent *g = &ep->ag[a];
        if (eq_room(g) != AR_OK) continue; /* live only: the sample is lost, the run goes on */
        ar_equity_rec *r = &g->eq[g->neq++];
        r->t = t;
        ar_account_values(g->acct, ep->marks, &r->equity, &r->cash, &r->gross_exposure);
        if (g->eqv) g->eqv[g->eqoff + g->neq - 1] = r->equity;
    }
}

/* Backtests (run_episode) keep, per agent, whether its account is quiet:
 * no position and no pending order. Nothing changes a quiet account's cash,
 * positions, orders or logs while bars are fed (nothing can fill, and
 * funding is charged on positions only: docs/ENGINE.md, src/exec/account.c),
 * only its record of the last bar seen, which nothing it answers depends on
 * while it holds no position. So its sample is (cash, cash, 0), exactly what
 * the account would answer (equity is cash plus nothing, exposure a sum of
 * nothing), without asking it, and bars are not fed to it until its agent
 * submits orders: then catch_up hands it the bars it missed, symbol by
 * symbol (nothing links symbols while nothing can fill), which
 * ar_account_on_bars does in O(1) per symbol for an account in this state.
 * An account becomes quiet again at the first sample that finds it flat with
 * nothing pending. Not for live runs, whose driver also restores and replays
 * accounts directly.
 * In runs of coded agents an account is idle (quiet == 2) in the same way
 * while it holds positions that bars cannot touch (ar_account_inert: no
 * liquidation price, no exits, no funding, nothing pending): nothing but its
 * record of the last bar changes until it submits, and its values at good
 * marks need no bar; its samples sum its positions at the marks as the
 * account does (ar_position_terms). It is caught up before its orders, at
 * a sample with a bad mark (the account would value that position at its
 * last good close, which it has not seen) and before the final mark. */
static void catch_up(episode *ep, ep_agent *g) {
    for (size_t s = 0; s < ep->nsym; s++) ar_account_on_bars(g->acct, (int32_t)s, g->fed[s], ep->ptr[s]);
    g->quiet = 0;
}

/* Every mark finite and > 0: an idle account's values need no bar. */
static int marks_good(const episode *ep) {
    for (size_t s = 0; s < ep->nsym; s++)
        if (!(ep->marks[s] > 0 && ep->marks[s] < INFINITY)) return 0;
    return 1;
}

/* One agent's sample for backtests, with the quiet and idle shortcuts. */
static inline void sample_one(episode *ep, ep_agent *g, int64_t t) {
    /* sized exactly up front: eq_room is never called (the test is inline) */
    if ((g->neq >= g->capeq || (g->eqv && g->eqoff + g->neq >= g->capeqv)) && eq_room(g) != AR_OK) return;
    ar_equity_rec *r = &g->eq[g->neq++];
    r->t = t;
    if (g->quiet == 1) {
        r->equity = r->cash = g->quiet_cash;
        r->gross_exposure = 0;
        goto out;
    }
    if (g->quiet == 2) {
        if (marks_good(ep)) { /* ar_account_values' sums over its positions */
            double eq = g->quiet_cash, gx = 0;
            for (size_t k = 0; k < g->nheld; k++) ar_position_terms(g->held[k], ep->marks[g->held_sym[k]], &eq, &gx);
            r->equity = eq;
            r->cash = g->quiet_cash;
            r->gross_exposure = gx;
            goto out;
        }
        catch_up(ep, g);
    }
    if (ar_account_values(g->acct, ep->marks, &r->equity, &r->cash, &r->gross_exposure)) {
        g->quiet = 1;
        g->quiet_cash = r->cash;
        memcpy(g->fed, ep->ptr, ep->nsym * sizeof *g->fed);
    } else if (ep->idle_ok && ar_account_inert(g->acct)) {
        g->quiet = 2;
        g->quiet_cash = r->cash;
        memcpy(g->fed, ep->ptr, ep->nsym * sizeof *g->fed);
        g->nheld = 0;
        for (size_t s = 0; s < ep->nsym; s++) {
            const ar_position *p = ar_account_position(g->acct, (int32_t)s);
            if (p->qty == 0) continue;
            g->held[g->nheld] = p;
            g->held_sym[g->nheld++] = (int32_t)s;
        }
    }
out:
    if (g->eqv) g->eqv[g->eqoff + g->neq - 1] = r->equity;
}

/* sample() for backtests. */
static void sample_bt(episode *ep, int64_t t) {
    for (size_t a = 0; a < ep->nagents; a++) sample_one(ep, &ep->ag[a], t);
}

static ar_err record_decision(ep_agent *g, const ar_decision_rec *d) {
    if (g->ndec == g->capdec) {
        size_t cap = g->capdec ? g->capdec * 2 : 256;
        ar_decision_rec *v = realloc(g->dec, cap * sizeof *v);
        if (v == NULL) return AR_ENOMEM;
        g->dec = v;
        g->capdec = cap;
    }
    g->dec[g->ndec++] = *d;
    return AR_OK;
}

static ar_err submit_all(episode *ep, ep_agent *g, int64_t t, int64_t after, ar_decision_rec *d) {
    if (g->quiet && g->acts.n > 0) catch_up(ep, g); /* backtests: the bars it was not fed */
    for (size_t i = 0; i < g->acts.n; i++) {
        ar_order_rec rec;
        ar_account_submit_after(g->acct, t, after, &g->acts.v[i], ep->marks, &rec);
        if (rec.status == AR_OS_REJECTED) {
            d->n_rejected++;
            if (d->reason == 0) d->reason = rec.reason;
        }
    }
    return AR_OK;
}

static ar_err push_rec(ep_agent *g, const ar_llm_rec *r) {
    if (g->nrec == g->caprec) {
        size_t cap = g->caprec ? g->caprec * 2 : 256;
        ar_llm_rec *v = realloc(g->recs, cap * sizeof *v);
        if (v == NULL) return AR_ENOMEM;
        g->recs = v;
        g->caprec = cap;
    }
    g->recs[g->nrec++] = *r;
    return AR_OK;
}

static ar_err cassette_put(episode *ep, ep_agent *g, size_t k, int64_t t) {
    if (ep->sh->cassette == NULL) return AR_OK;
    pthread_mutex_lock(&ep->sh->mu);
    ar_err e = ar_cassette_put(ep->sh->cassette, ep->index, g->cfg->name, (uint32_t)k, t, g->sha, &g->call);
    pthread_mutex_unlock(&ep->sh->mu);
    return e;
}

/* Render this round's prompts for every llm agent, answer what the cassette
 * knows, and ask the models for the rest all at once. */
static ar_err ask_models(episode *ep, ar_obs *o, size_t k, ar_errbuf *eb) {
    const ar_config *cfg = ep->cfg;
    ar_prompt_opts po = {ep->coins, ep->hide_dates, cfg->cadence, NULL, 0, k + 1};
    ar_buf_reset(&ep->sys);
    ar_err e = ar_prompt_render(cfg->prompt_system, o, &po, &ep->sys, eb);
    if (e) return e;
    if ((ep->sys_id = ar__pt_add(ep->pt, ep->sys.p)) < 0) return ar_errf(eb, AR_ENOMEM, "out of memory");
    size_t nreq = 0, nx = 0;
    for (size_t a = 0; a < ep->nagents; a++) {
        ep_agent *g = &ep->ag[a];
        if (!g->llm) continue;
        o->acct = g->acct;
        po.equity = g->eqv;
        po.nequity = g->eqoff + g->neq;
        ar_buf_reset(&g->user);
        if (g->ext) {
            /* exec/http agents get the observation as JSON instead of a prompt */
            if ((e = ar_obs_json(o, &po, &g->user))) return ar_errf(eb, e, "out of memory");
        } else if ((e = ar_prompt_render(cfg->prompt_user, o, &po, &g->user, eb)))
            return e;
        if ((g->user_id = ar__pt_add(ep->pt, g->user.p)) < 0) return ar_errf(eb, AR_ENOMEM, "out of memory");
        /* the cassette key: provider, model and both prompts */
        ar_sha256 *h = ar_sha256_begin();
        if (h == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
        ar_sha256_update(h, g->cfg->strategy, strlen(g->cfg->strategy) + 1);
        if (!g->ext) ar_sha256_update(h, ep->sys.p, ep->sys.n + 1);
        ar_sha256_update(h, g->user.p, g->user.n);
        ar_sha256_end(h, g->sha);
        g->cached = 0;
        memset(&g->call, 0, sizeof g->call);
        pthread_mutex_lock(&ep->sh->mu);
        double run_spent = ep->sh->spent;
        pthread_mutex_unlock(&ep->sh->mu);
        if ((g->cfg->budget_usd > 0 && g->spent >= g->cfg->budget_usd) ||
            (cfg->budget_usd > 0 && run_spent >= cfg->budget_usd)) {
            g->state = 2;
            continue;
        }
        pthread_mutex_lock(&ep->sh->mu);
        int hit = ar_cassette_find(ep->sh->cassette, ep->index, g->cfg->name, (uint32_t)k, g->sha, &g->call, eb);
        pthread_mutex_unlock(&ep->sh->mu);
        if (hit < 0) return AR_ENOTFOUND;
        if (hit > 0) {
            g->state = 1;
            g->cached = 1;
            continue;
        }
        ar_cassette_mode mode = ar_cassette_get_mode(ep->sh->cassette);
        if (mode == AR_CASSETTE_REPLAY || mode == AR_CASSETTE_RESCORE)
            return ar_errf(eb, AR_ENOTFOUND, "cassette has no answer for agent %s, episode %u, decision %zu",
                           g->cfg->name, ep->index, k);
        g->state = 0;
        if (g->ext) {
            ep->xag[nx] = g->ext;
            ep->xobs[nx] = g->user.p;
            ep->xidx[nx++] = a;
            continue;
        }
        ep->rcfg[nreq] = &g->cfg->llm;
        ep->rsys[nreq] = ep->sys.p;
        ep->ruser[nreq] = g->user.p;
        ep->ridx[nreq] = a;
        nreq++;
    }
    if (nx > 0) {
        /* exec/http agents answer while the models are asked below */
        if ((e = ar_ext_ask_all(ep->xag, ep->xobs, nx, ep->xcalls)) == AR_ENOMEM)
            return ar_errf(eb, e, "out of memory");
        for (size_t i = 0; i < nx; i++) {
            ep_agent *g = &ep->ag[ep->xidx[i]];
            g->call = ep->xcalls[i];
            g->state = 1;
            if (cassette_put(ep, g, k, o->t)) return ar_errf(eb, AR_ENOMEM, "out of memory");
        }
    }
    if (nreq == 0) return AR_OK;
    if (ep->pool == NULL) return ar_errf(eb, AR_ESTATE, "no request pool");
    if ((e = ar_llm_pool_run(ep->pool, ep->rcfg, ep->rsys, ep->ruser, nreq, ep->calls, eb))) return e;
    for (size_t i = 0; i < nreq; i++) {
        ep_agent *g = &ep->ag[ep->ridx[i]];
        g->call = ep->calls[i];
        g->state = 1;
        if (cassette_put(ep, g, k, o->t)) return ar_errf(eb, AR_ENOMEM, "out of memory");
    }
    return AR_OK;
}

/* Turn an llm agent's answer (or failure) into orders and records. */
static ar_err llm_finish(episode *ep, ep_agent *g, int64_t t, ar_decision_rec *d) {
    const ar_config *cfg = ep->cfg;
    ar_llm_rec r;
    memset(&r, 0, sizeof r);
    r.t = t;
    r.prompt_system = g->ext ? -1 : ep->sys_id;
    r.prompt_user = g->user_id;
    /* r.cached stays 0: whether an answer came from the cassette must not
     * change the run file, or --replay could not reproduce it byte for byte. */
    r.cost_usd = NAN;
    ar_err e = AR_OK;
    if (g->state == 2) {
        r.status = 1;
        r.reason = AR_R_BUDGET;
    } else {
        ar_llm_call *c = &g->call;
        r.http_status = c->http_status;
        r.attempts = c->attempts;
        r.latency_ms = c->latency_ms;
        r.tokens_in = c->tokens_in;
        r.tokens_out = c->tokens_out;
        if (isfinite(g->cfg->price_in)) {
            r.cost_usd = (double)c->tokens_in * g->cfg->price_in / 1e6 + (double)c->tokens_out * g->cfg->price_out / 1e6;
            g->spent += r.cost_usd;
            pthread_mutex_lock(&ep->sh->mu);
            ep->sh->spent += r.cost_usd;
            pthread_mutex_unlock(&ep->sh->mu);
        }
        if (c->text) {
            r.answer_off = (int64_t)g->answers.n;
            r.answer_len = (int64_t)strlen(c->text);
            if (ar_buf_append(&g->answers, c->text, (size_t)r.answer_len)) e = AR_ENOMEM;
        }
        if (c->status != 0) {
            r.status = 1;
            r.reason = c->reason ? c->reason : AR_R_HTTP;
            if (ep->sh->on_call_fail && c->reason != AR_R_INTERRUPTED) /* a stop says itself */
                ep->sh->on_call_fail(ep->sh->on_call_fail_ctx, g->cfg->name, c->error ? c->error : "the call failed");
        } else {
            double *pq = ep->posq, *pm = pq + ep->nsym, *pe = pm + ep->nsym;
            for (size_t s = 0; s < ep->nsym; s++) {
                const ar_position *p = ar_account_position(g->acct, (int32_t)s);
                pq[s] = p->qty;
                pm[s] = p->margin;
                pe[s] = p->entry;
            }
            ar_answer_ctx ctx = {ep->nsym, ep->coins, ep->marks, pq, ar_account_cash(g->acct),
                                 cfg->exec.max_leverage, cfg->exec.mode == AR_MODE_SPOT, cfg->exec.taker_bps / 1e4,
                                 pm, pe, !strcmp(c->finish, "length")};
            ar_answer ans;
            memset(&ans, 0, sizeof ans);
            const char *text = c->text ? c->text : "";
            if (ar_answer_parse(text, strlen(text), &ctx, &ans, &g->acts)) e = AR_ENOMEM;
            r.status = ans.status;
            r.reason = ans.reason;
            r.n_actions = (int32_t)ans.nactions;
            r.n_accepted = (int32_t)g->acts.n;
            if (ans.canonical_json) {
                r.actions_off = (int64_t)g->answers.n;
                r.actions_len = (int64_t)strlen(ans.canonical_json);
                if (ar_buf_append(&g->answers, ans.canonical_json, (size_t)r.actions_len)) e = AR_ENOMEM;
            }
            ar_answer_cleanup(&ans);
        }
    }
    d->status = r.status;
    d->reason = r.reason;
    d->n_actions = r.n_actions;
    /* live: the orders wait for the feed to pass the answer's arrival */
    int64_t after = ep->answer_clock ? ep->answer_clock(ep->clock_ctx) : INT64_MIN;
    if (e == AR_OK) e = submit_all(ep, g, t, after, d);
    if (e == AR_OK) e = push_rec(g, &r);
    ar_llm_call_cleanup(&g->call);
    return e;
}

/* What a coded agent's decision returned (e) when it is not a plain hold:
 * its orders are submitted, and the decision is recorded. */
static ar_err coded_finish(episode *ep, ep_agent *g, int64_t t, ar_err e, ar_errbuf *eb) {
    ar_decision_rec d = {t, (int32_t)g->acts.n, 0, g->acts.status, g->acts.reason, g->eq[g->neq - 1].equity};
    if (e == AR_ENOMEM) return ar_errf(eb, e, "out of memory");
    if (e != AR_OK) {
        d.status = 1;
        d.reason = AR_R_AGENT_ERROR;
        g->acts.n = 0;
    }
    submit_all(ep, g, t, INT64_MIN, &d);
    /* Holds of coded agents carry nothing the equity rows do not; only
     * decisions with actions or problems are recorded. */
    if (d.n_actions > 0 || d.status != 0) {
        if ((e = record_decision(g, &d))) return ar_errf(eb, e, "out of memory");
    }
    return AR_OK;
}

/* A coded agent's decision on ep->obs (its time and index set). */
static inline ar_err decide_coded(episode *ep, ep_agent *g, ar_errbuf *eb) {
    ar_obs *o = &ep->obs;
    o->acct = g->acct;
    /* ar_actions_clear */
    g->acts.n = 0;
    g->acts.status = 0;
    g->acts.reason = 0;
    ar_err e = g->agent->vt->decide(g->agent, o, &g->acts);
    /* a plain hold, the common case, submits and records nothing */
    if (e == AR_OK && g->acts.n == 0 && g->acts.status == 0) return AR_OK;
    return coded_finish(ep, g, o->t, e, eb);
}

static ar_err decide(episode *ep, int64_t t, size_t k, ar_errbuf *eb) {
    ar_obs *o = &ep->obs; /* the rest is set once per episode */
    o->t = t;
    o->decision_index = k;
    ar_err e;
    if (ep->cfg->nllm > 0 && (e = ask_models(ep, o, k, eb))) return e;
    for (size_t a = 0; a < ep->nagents; a++) {
        ep_agent *g = &ep->ag[a];
        if (!g->llm) {
            if ((e = decide_coded(ep, g, eb))) return e;
            continue;
        }
        o->acct = g->acct;
        ar_actions_clear(&g->acts);
        ar_decision_rec d = {t, 0, 0, 0, 0, g->eq[g->neq - 1].equity};
        if ((e = llm_finish(ep, g, t, &d))) return ar_errf(eb, e, "out of memory");
        if ((e = record_decision(g, &d))) return ar_errf(eb, e, "out of memory");
    }
    return AR_OK;
}

/* ---- logs out of memory -------------------------------------------------
 * With a spill (shared.spill), every LOG_CHECK decisions each agent's
 * settled records go there once a log holds log_rows of them; an agent
 * that spilled anything spills the rest at the end, so each of its logs is
 * then wholly in the spill (ar_run_agent.spilled) and the run file's writer
 * and the league read it back in blocks. */
#define LOG_CHECK 4096

/* Records of an episode on anonymized (scaled) prices back in real units:
 * quantities times the symbol's factor f, prices divided by it. */
static void unscale_rows(ar_log log, void *recs, size_t n, const double *f) {
    for (size_t i = 0; i < n; i++) {
        if (log == AR_LOG_ORDERS) {
            ar_order_rec *o = (ar_order_rec *)recs + i;
            double k = f[o->sym];
            o->qty *= k, o->filled_qty *= k, o->price /= k, o->tp /= k, o->sl /= k, o->fill_price /= k;
        } else if (log == AR_LOG_FILLS) {
            ar_fill_rec *x = (ar_fill_rec *)recs + i;
            double k = f[x->sym];
            x->qty *= k, x->price /= k, x->ref_price /= k;
        } else if (log == AR_LOG_TRADES) {
            ar_trade_rec *x = (ar_trade_rec *)recs + i;
            double k = f[x->sym];
            x->qty *= k, x->entry /= k, x->exit /= k;
        } else if (log == AR_LOG_FUNDING) {
            ar_funding_rec *x = (ar_funding_rec *)recs + i;
            double k = f[x->sym];
            x->qty *= k, x->price /= k;
        }
    }
}

typedef struct {
    ar_spill *spill;
    ep_agent *g;
    const double *scale; /* anonymized prices: unscale on the way out (NULL: none) */
    ar_errbuf *eb;
} spill_ctx;

static size_t spilled_rows(const ar_log_segs *s) {
    size_t n = 0;
    for (size_t k = 0; k < s->n; k++) n += s->v[k].rows;
    return n;
}

static ar_err to_spill(void *ctx, ar_log log, const void *recs, size_t n, size_t size) {
    spill_ctx *c = ctx;
    if (c->g->spilled == NULL && (c->g->spilled = calloc(AR_LOG_SLOTS, sizeof *c->g->spilled)) == NULL)
        return ar_errf(c->eb, AR_ENOMEM, "out of memory");
    if (c->scale == NULL || log == AR_LOG_DECISIONS || (int)log == AR_SPILL_EQUITY)
        return ar_spill_append(c->spill, &c->g->spilled[log], recs, n, size, c->eb);
    void *tmp = malloc(n * size);
    if (tmp == NULL) return ar_errf(c->eb, AR_ENOMEM, "out of memory");
    memcpy(tmp, recs, n * size);
    unscale_rows(log, tmp, n, c->scale);
    ar_err e = ar_spill_append(c->spill, &c->g->spilled[log], tmp, n, size, c->eb);
    free(tmp);
    return e;
}

static ar_err spill_logs(episode *ep, ep_agent *g, size_t min_rows, ar_errbuf *eb) {
    shared *sh = ep->sh;
    spill_ctx c = {sh->spill, g, ep->scale, eb};
    ar_err e = ar_account_drain_logs(g->acct, min_rows, to_spill, &c);
    if (e == AR_OK && g->ndec >= min_rows && g->ndec > 0 &&
        (e = to_spill(&c, AR_LOG_DECISIONS, g->dec, g->ndec, sizeof *g->dec)) == AR_OK)
        g->ndec = 0;
    return e;
}

static ar_err spill_check(episode *ep, ar_errbuf *eb) {
    for (size_t a = 0; a < ep->nagents; a++) {
        ar_err e = spill_logs(ep, &ep->ag[a], ep->sh->log_rows, eb);
        if (e) return e;
    }
    return AR_OK;
}

/* At the end (nothing pending): a last check, then an agent that spilled
 * anything spills the rest. */
static ar_err spill_rest(episode *ep, ep_agent *g, ar_errbuf *eb) {
    if (ep->sh->spill == NULL) return AR_OK;
    ar_err e = spill_logs(ep, g, ep->sh->log_rows, eb);
    return e == AR_OK && g->spilled != NULL ? spill_logs(ep, g, 1, eb) : e;
}

static ar_err collect(ep_agent *g, ar_run_agent *ra, double capital, double final_equity) {
    memset(ra, 0, sizeof *ra);
    snprintf(ra->name, sizeof ra->name, "%s", g->cfg->name);
    snprintf(ra->kind, sizeof ra->kind, "%s", g->cfg->kind);
    snprintf(ra->detail, sizeof ra->detail, "%s", g->cfg->strategy);
    ra->baseline = g->cfg->baseline;
    ra->capital = capital;
    ra->final_equity = final_equity;
    ra->fees = ar_account_fees_paid(g->acct);
    ra->funding = ar_account_funding_paid(g->acct);
    /* the logs move to the run (nothing is pending after ar_account_finish) */
    ra->spilled = g->spilled;
    g->spilled = NULL;
    ar_account_logs lg;
    if (ar_account_take_logs(g->acct, &lg) != AR_OK) return AR_ESTATE;
    ra->orders = lg.orders;
    ra->norders = lg.norders;
    ra->fills = lg.fills;
    ra->nfills = lg.nfills;
    ra->trades = lg.trades;
    ra->ntrades = lg.ntrades;
    ra->funding_log = lg.funding;
    ra->nfunding = lg.nfunding;
    if (g->eqoff == 0 && g->eq != NULL) {
        ra->equity = g->eq; /* ownership moves to the run */
        ra->nequity = g->neq;
        g->eq = NULL;
    } else { /* handed out in blocks (flush_equity); the last one already */
        ra->nequity = g->eqoff + g->neq;
    }
    ra->decisions = g->dec;
    ra->ndecisions = g->ndec;
    g->dec = NULL;
    if (ra->spilled != NULL) { /* then every record is there (spill_rest) */
        ar_log_segs *sg = ra->spilled;
        ra->norders = spilled_rows(&sg[AR_LOG_ORDERS]);
        ra->nfills = spilled_rows(&sg[AR_LOG_FILLS]);
        ra->ntrades = spilled_rows(&sg[AR_LOG_TRADES]);
        ra->nfunding = spilled_rows(&sg[AR_LOG_FUNDING]);
        ra->ndecisions = spilled_rows(&sg[AR_LOG_DECISIONS]);
        free(ra->decisions); /* emptied into the spill */
        ra->decisions = NULL;
    }
    ra->llm = g->recs;
    ra->nllm = g->nrec;
    g->recs = NULL;
    ra->answers = g->answers.p;
    ra->answers_len = g->answers.n;
    g->answers.p = NULL;
    g->answers.n = g->answers.cap = 0;
    return AR_OK;
}

void ar__episode_cleanup(episode *ep) {
    for (size_t a = 0; ep->ag && a < ep->nagents; a++) {
        ar_agent_free(ep->ag[a].agent);
        ar_ext_agent_free(ep->ag[a].ext);
        ar_account_free(ep->ag[a].acct);
        ar_actions_cleanup(&ep->ag[a].acts);
        free(ep->ag[a].eq);
        free(ep->ag[a].dec);
        ar_log_segs_free(ep->ag[a].spilled);
        free(ep->ag[a].eqv);
        free(ep->ag[a].recs);
        ar_buf_cleanup(&ep->ag[a].user);
        ar_buf_cleanup(&ep->ag[a].answers);
        ar_llm_call_cleanup(&ep->ag[a].call);
    }
    free(ep->ag);
    ar_buf_cleanup(&ep->sys);
    free(ep->coins);
    free(ep->posq);
    free(ep->calls);
    free((void *)ep->rcfg);
    free((void *)ep->rsys);
    free((void *)ep->ruser);
    free(ep->ridx);
    free(ep->xag);
    free((void *)ep->xobs);
    free(ep->xidx);
    free(ep->xcalls);
    if (ep->optr != ep->ptr) free(ep->optr);
    free(ep->ptr);
    free(ep->marks);
    ep->ag = NULL;
    ep->ptr = ep->optr = NULL;
}

static void progress(FILE *f, size_t done, size_t total, int64_t *last_pct) {
    if (f == NULL || total == 0) return;
    int64_t pct = (int64_t)(done * 100 / total);
    if (pct == *last_pct) return;
    *last_pct = pct;
    char bar[41];
    int fill = (int)(pct * 40 / 100);
    for (int i = 0; i < 40; i++) bar[i] = i < fill ? '#' : '.';
    bar[40] = '\0';
    fprintf(f, "\r[%s] %3d%%", bar, (int)pct);
    if (done == total) fputc('\n', f);
    fflush(f);
}

typedef struct ep_spec {
    int64_t start, end;
    int32_t window;
    uint64_t seed;
} ep_spec;

ar_err ar__episode_init(episode *ep, const ar_config *cfg, const ar_market *m, const ar_market *xm, int64_t start,
                        int64_t end, int32_t window, uint64_t seed, uint32_t index, const char **coins, shared *sh,
                        prompt_table *pt, ar_llm_pool *pool, const ar_slip_cache *slip, size_t ndec, ar_errbuf *eb) {
    memset(ep, 0, sizeof *ep);
    ep->cfg = cfg;
    ep->sh = sh;
    ep->pt = pt;
    ep->pool = pool;
    ep->hide_dates = cfg->anon_dates;
    ep->index = index;
    ep->m = m;
    ep->xm = xm ? xm : m;
    ep->start = start;
    ep->end = end;
    ep->seed = seed;
    ep->nsym = m->nsym;
    ep->nagents = cfg->nagents;
    ep->ptr = calloc(ep->nsym, sizeof *ep->ptr);
    ep->optr = ep->xm == m ? ep->ptr : calloc(ep->nsym, sizeof *ep->optr);
    ep->marks = calloc(ep->nsym, sizeof *ep->marks);
    ep->ag = calloc(ep->nagents, sizeof *ep->ag);
    ep->coins = calloc(ep->nsym, sizeof *ep->coins);
    ep->posq = calloc(3 * ep->nsym, sizeof *ep->posq);
    ep->calls = calloc(ep->nagents, sizeof *ep->calls);
    ep->rcfg = calloc(ep->nagents, sizeof *ep->rcfg);
    ep->rsys = calloc(ep->nagents, sizeof *ep->rsys);
    ep->ruser = calloc(ep->nagents, sizeof *ep->ruser);
    ep->ridx = calloc(ep->nagents, sizeof *ep->ridx);
    ep->xag = calloc(ep->nagents, sizeof *ep->xag);
    ep->xobs = calloc(ep->nagents, sizeof *ep->xobs);
    ep->xidx = calloc(ep->nagents, sizeof *ep->xidx);
    ep->xcalls = calloc(ep->nagents, sizeof *ep->xcalls);
    ar_err e = AR_OK;
    if (!ep->ptr || !ep->optr || !ep->marks || !ep->ag || !ep->coins || !ep->posq || !ep->calls || !ep->rcfg ||
        !ep->rsys || !ep->ruser || !ep->ridx || !ep->xag || !ep->xobs || !ep->xidx || !ep->xcalls) {
        e = ar_errf(eb, AR_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t s = 0; s < ep->nsym; s++) {
        const ar_symbol *sy = &ep->xm->sym[s];
        ep->coins[s] = coins ? coins[s] : m->sym[s].name;
        /* Bars that closed by the start are warm-up history: visible, not traded. */
        ep->ptr[s] = ar_bars_lower_bound(&sy->bars, start - sy->interval + 1);
        ep->marks[s] = NAN;
        if (ep->ptr[s] && ar_bars_pin(&sy->bars, ep->ptr[s] - 1, ep->ptr[s], NULL) == AR_OK) {
            ep->marks[s] = sy->bars.row[ep->ptr[s] - 1].close; /* (a windowed row: pinned to read) */
            ar_bars_unpin(&sy->bars, ep->ptr[s] - 1, ep->ptr[s]);
        }
        if (ep->optr != ep->ptr)
            ep->optr[s] = ar_bars_lower_bound(&m->sym[s].bars, start - m->sym[s].interval + 1);
    }
    ep->obs = (ar_obs){0, start, end, 0, m, ep->optr, ep->marks, NULL, &cfg->exec, cfg->capital};
    for (size_t a = 0; a < ep->nagents; a++) {
        ep_agent *g = &ep->ag[a];
        g->cfg = &cfg->agents[a];
        uint64_t aseed = ar_hash_str(ar_mix64(seed) ^ ar_mix64((uint64_t)window + 0x5eed), g->cfg->name);
        g->acct = ar_account_create(&cfg->exec, ep->xm, cfg->capital, ar_mix64(aseed ^ 1), eb);
        if (g->acct == NULL) {
            e = AR_ECONFIG;
            goto fail;
        }
        ar_account_use_slip_cache(g->acct, slip);
        ar_strategy_ctx sc = {ep->nsym, cfg->capital, &cfg->exec, aseed};
        if (strcmp(g->cfg->kind, "builtin")) {
            g->llm = 1;
            if (!strcmp(g->cfg->kind, "exec"))
                g->ext = ar_ext_exec_create((const char *const *)g->cfg->argv, g->cfg->ext_timeout_s, eb);
            else if (!strcmp(g->cfg->kind, "http"))
                g->ext = ar_ext_http_create(g->cfg->url, g->cfg->ext_timeout_s, eb);
            if (strcmp(g->cfg->kind, "llm") && g->ext == NULL) {
                e = AR_ECONFIG;
                goto fail;
            }
            g->eqv = malloc((ndec + 1) * sizeof *g->eqv);
            if (g->eqv == NULL) {
                e = ar_errf(eb, AR_ENOMEM, "out of memory");
                goto fail;
            }
            g->capeqv = ndec + 1;
        } else if ((e = g->cfg->def->create(&sc, g->cfg->params, &g->agent))) {
            e = ar_errf(eb, AR_ECONFIG, "%s: agent %s: strategy %s rejects its parameters", cfg->path,
                        g->cfg->name, g->cfg->strategy);
            goto fail;
        }
        g->eq = malloc((ndec + 1) * sizeof *g->eq);
        if (g->eq == NULL) {
            e = ar_errf(eb, AR_ENOMEM, "out of memory for %zu equity samples", ndec + 1);
            goto fail;
        }
        g->capeq = ndec + 1;
    }
    return AR_OK;
fail:
    ar__episode_cleanup(ep);
    return e;
}

ar_err ar__episode_step(episode *ep, int64_t t, size_t k, ar_errbuf *eb) {
    advance(ep, t);
    sample(ep, t);
    return decide(ep, t, k, eb);
}

void ar__episode_advance(episode *ep, int64_t t) { advance(ep, t); }

/* Funding due before t that no bar of the run settles (the accounts of
 * quiet agents are flat). */
static void settle_end(episode *ep, int64_t t) {
    for (size_t a = 0; a < ep->nagents; a++)
        if (!ep->ag[a].quiet) ar_account_settle_funding(ep->ag[a].acct, t, ep->marks);
}

void ar__episode_mark(episode *ep, int64_t t) {
    advance(ep, t);
    settle_end(ep, t);
    sample(ep, t);
}

/* Agent a's samples so far, from row eqoff on, to opts->on_equity, or else
 * to the spill (shared.spill_curves). */
static ar_err hand_equity(episode *ep, size_t a, const ar_engine_opts *eo, ar_errbuf *eb) {
    ep_agent *g = &ep->ag[a];
    ar_err e;
    if (eo != NULL && eo->on_equity != NULL) {
        e = eo->on_equity(eo->on_equity_ctx, ep->index, a, g->eqoff, g->eq, g->neq, eb);
    } else {
        spill_ctx c = {ep->sh->spill, g, NULL, eb};
        e = to_spill(&c, (ar_log)AR_SPILL_EQUITY, g->eq, g->neq, sizeof *g->eq);
    }
    if (e) return e;
    g->eqoff += g->neq;
    g->neq = 0;
    return AR_OK;
}

/* Every agent's samples so far (hand_equity). */
static ar_err flush_equity(episode *ep, const ar_engine_opts *eo, ar_errbuf *eb) {
    for (size_t a = 0; a < ep->nagents; a++) {
        ar_err e = hand_equity(ep, a, eo, eb);
        if (e) return e;
    }
    return AR_OK;
}

/* ---- windowed markets -------------------------------------------------------
 * A market whose bars stay in the file (ar_market_h5_read_windowed) has
 * only pinned blocks of rows in memory. An episode pins, per symbol, the
 * blocks from `margin` rows before its bar cursor up to the block holding
 * the first bar the next advance will not feed (found from the blocks'
 * first times, so nothing is read to know it), and unpins blocks as the
 * cursor leaves them behind. margin covers what is read behind the cursor:
 * the agents' declared look-back (ar_strategy_def.lookback), the run of bad
 * rows an account's catch-up looks back over, and the mark. */
typedef struct winpin {
    size_t keep;     /* rows behind the cursor that stay pinned (SIZE_MAX: all) */
    size_t blo, bhi; /* pinned blocks [blo, bhi) */
    size_t kb;       /* blocks whose first time is at or before the last limit */
    size_t behind;   /* win_behind has work when the cursor reaches this */
} winpin;

/* Bars are read in time order, each one once, from a mapping of the market
 * file or a large array: the row this many rows ahead (3 KB) is asked for,
 * so that the wait for memory, a TLB walk every 85 rows of a 4 KiB-paged
 * file mapping included, overlaps the work on the rows before
 * (docs/BENCHMARKS.md). The address is computed as an integer (it may lie
 * past the end) and only hinted: a prefetch never faults. */
#define PREFETCH_ROWS 64
#if defined(__GNUC__) || defined(__clang__)
#define AR_PREFETCH_AHEAD(row) __builtin_prefetch((const void *)((uintptr_t)(row) + PREFETCH_ROWS * sizeof *(row)))
#else
#define AR_PREFETCH_AHEAD(row) ((void)(row))
#endif

/* Rows behind the cursor the builtin agents of cfg may read, or SIZE_MAX
 * (keep all); *models: whether there are model (llm, exec, http) agents,
 * whose look-back depends on each symbol's bar interval (ar_llm_lookback). */
static size_t episode_lookback(const ar_config *cfg, int *models) {
    size_t L = 0;
    *models = 0;
    for (size_t a = 0; a < cfg->nagents; a++) {
        const ar_agent_cfg *g = &cfg->agents[a];
        if (strcmp(g->kind, "builtin")) {
            *models = 1;
            continue;
        }
        if (g->def == NULL || g->def->lookback == NULL) return SIZE_MAX;
        size_t x = g->def->lookback(g->params);
        if (x > L) L = x;
    }
    return L;
}

/* Pin what advancing to t will read; *next: the first t at which there
 * will be more to pin (checking costs one comparison per decision). */
static ar_err win_ahead(episode *ep, winpin *wp, int64_t t, int64_t *next, ar_errbuf *eb) {
    *next = INT64_MAX;
    for (size_t s = 0; s < ep->nsym; s++) {
        const ar_symbol *y = &ep->xm->sym[s];
        const ar_bars *b = &y->bars;
        if (!ar_bars_windowed(b)) continue;
        size_t nb = ar_bars_nblocks(b);
        while (wp[s].kb < nb && ar_bars_block_time(b, wp[s].kb) <= t - y->interval) wp[s].kb++;
        size_t want = wp[s].kb + 1 < nb ? wp[s].kb + 1 : nb;
        if (want > wp[s].bhi) {
            ar_errbuf why = {{0}};
            ar_err e = ar_bars_pin_blocks(b, wp[s].bhi, want, &why);
            if (e) return ar_errf(eb, e, "%s: %s", y->name, why.msg);
            wp[s].bhi = want;
        }
        if (wp[s].kb < nb && ar_bars_block_time(b, wp[s].kb) + y->interval < *next)
            *next = ar_bars_block_time(b, wp[s].kb) + y->interval;
    }
    return AR_OK;
}

/* Unpin the blocks wholly more than margin rows behind the cursor. */
static void win_behind(episode *ep, winpin *wp) {
    for (size_t s = 0; s < ep->nsym; s++) {
        if (ep->ptr[s] < wp[s].behind) continue; /* (SIZE_MAX: not windowed, or keeping all) */
        size_t m = wp[s].keep, lo = ep->ptr[s] > m ? ep->ptr[s] - m : 0, k = lo / AR_BARS_BLOCK;
        if (k > wp[s].bhi) k = wp[s].bhi;
        if (k > wp[s].blo) {
            ar_bars_unpin_blocks(&ep->xm->sym[s].bars, wp[s].blo, k);
            wp[s].blo = k;
        }
        wp[s].behind = (wp[s].blo + 1) * AR_BARS_BLOCK + m; /* the cursor that moves blo on */
    }
}

/* The pins of an episode on a windowed market (*out NULL when no symbol's
 * bars are windowed): per symbol, what stays pinned behind the cursor is
 * the builtin agents' look-back, the sqrt model's window, the model agents'
 * features (a fixed number of bars, if the bars are at least an interval
 * apart; else everything), the longest bad-price run, and 2. */
static ar_err win_setup(const ar_config *cfg, episode *ep, winpin **out, ar_errbuf *eb) {
    *out = NULL;
    winpin *wp = NULL;
    int models = 0;
    size_t L = SIZE_MAX;
    for (size_t s = 0; s < ep->nsym; s++) {
        const ar_bars *b = &ep->xm->sym[s].bars;
        if (!ar_bars_windowed(b)) continue;
        ar_err e = ar_bars_window_error(b, eb);
        if (e == AR_OK && wp == NULL) {
            L = episode_lookback(cfg, &models);
            if ((wp = calloc(ep->nsym, sizeof *wp)) == NULL) e = ar_errf(eb, AR_ENOMEM, "out of memory");
            for (size_t j = 0; wp && j < ep->nsym; j++) wp[j].behind = SIZE_MAX; /* unwindowed: nothing to do */
        }
        if (e) {
            free(wp);
            return e;
        }
        int64_t iv = ep->xm->sym[s].interval;
        size_t x = cfg->exec.slip != AR_SLIP_SQRT ? 0
                   : iv > 0 ? (size_t)(cfg->exec.slip_window / iv) + 2 : SIZE_MAX / 4;
        if (models) {
            size_t ml = iv > 0 && ar_bars_min_step(b) >= iv ? ar_llm_lookback(cfg->cadence, iv) : SIZE_MAX / 4;
            if (ml > x) x = ml;
        }
        size_t m = L == SIZE_MAX ? SIZE_MAX : L + x + ar_bars_max_bad_run(b) + 2;
        wp[s].keep = m;
        wp[s].blo = wp[s].bhi = m == SIZE_MAX || ep->ptr[s] <= m ? 0 : (ep->ptr[s] - m) / AR_BARS_BLOCK;
        wp[s].behind = m == SIZE_MAX ? SIZE_MAX : 0;
    }
    *out = wp;
    return AR_OK;
}

static void win_release(episode *ep, winpin *wp) {
    for (size_t s = 0; wp && s < ep->nsym; s++) ar_bars_unpin_blocks(&ep->xm->sym[s].bars, wp[s].blo, wp[s].bhi);
}

/* run_episode's bar loop and what it keeps between decisions. */
typedef struct bar_loop {
    int64_t start, cad;
    size_t ndec;
    winpin *wp;
    int64_t win_next; /* windowed: the next t that pins more */
    FILE *progress_to;
    int64_t last_pct;
    size_t step;      /* progress every step decisions */
    size_t blk;       /* streamed equity: samples per block handed out (SIZE_MAX: kept) */
    const ar_engine_opts *eo;
    shared *sh;
} bar_loop;

/* What ar__episode_step(t, k) does (advance, sample, decide) at each of the
 * L->ndec decisions, with the quiet and idle accounts of sample_one. It is
 * compiled twice (its callers below): for any episode, and for the common
 * case of one symbol, coded agents, no window and no progress bar, whose
 * copy of the loop, without the branches and values the others need, runs
 * 2-3 % faster (docs/BENCHMARKS.md). */
static AR_ALWAYS_INLINE ar_err run_bars(episode *ep, bar_loop *L, const int one, const int coded,
                                        const int windowed, const int shown, ar_errbuf *eb) {
    ar_err e = AR_OK;
    const ar_market *m = ep->xm;
    ep_agent *ag = ep->ag; /* both fixed for the episode */
    size_t na = ep->nagents, blk = L->blk, ndec = L->ndec;
    FILE *progress_to = shown ? L->progress_to : NULL;
    const int spill = L->sh->spill != NULL;
    int64_t cad = L->cad, t = L->start;
    winpin *wp = windowed ? L->wp : NULL;
    const ar_bars *b1 = one ? &m->sym[0].bars : NULL;
    const ar_bar *r1 = one ? b1->row : NULL;
    const int64_t iv1 = one ? m->sym[0].interval : 0;
    size_t i1 = one ? ep->ptr[0] : 0, n1 = one ? b1->n : 0;
    for (size_t k = 0; k < ndec; k++, t += cad) {
        if (wp && t >= L->win_next && (e = win_ahead(ep, wp, t, &L->win_next, eb))) return e;
        if (one) { /* advance_exec's one-symbol case */
            int64_t lim = t - iv1;
            if (i1 < n1 && r1[i1].t <= lim) {
                size_t i0 = i1;
                do i1++;
                while (i1 < n1 && r1[i1].t <= lim);
                for (size_t a = 0; a < na; a++)
                    if (!ag[a].quiet) ar_account_on_bars(ag[a].acct, 0, i0, i1);
                ep->ptr[0] = i1;
                ep->marks[0] = r1[i1 - 1].close;
                AR_PREFETCH_AHEAD(r1 + i1);
            }
        } else {
            advance(ep, t);
        }
        if (coded) {
            /* Agents are independent: one agent's sample and decision touch
             * only its own account, so each agent in turn sampling then
             * deciding is what all samples then all decisions give. (Models
             * are asked all at once, after every sample: decide().) */
            ep->obs.t = t;
            ep->obs.decision_index = k;
            for (size_t a = 0; a < na; a++) {
                sample_one(ep, &ag[a], t);
                if ((e = decide_coded(ep, &ag[a], eb))) return e;
            }
        } else {
            sample_bt(ep, t);
            if ((e = decide(ep, t, k, eb))) return e;
        }
        if (na > 0 && ag[0].neq == blk && (e = flush_equity(ep, L->eo, eb))) return e;
        if (spill && (k & (LOG_CHECK - 1)) == LOG_CHECK - 1 && (e = spill_check(ep, eb))) return e;
        if (progress_to && k % L->step == 0) progress(progress_to, k, ndec, &L->last_pct);
        if (wp) win_behind(ep, wp);
    }
    return AR_OK;
}

static AR_NOINLINE ar_err bar_loop_coded_one(episode *ep, bar_loop *L, ar_errbuf *eb) {
    return run_bars(ep, L, 1, 1, 0, 0, eb);
}

static AR_NOINLINE ar_err bar_loop_any(episode *ep, bar_loop *L, ar_errbuf *eb) {
    return run_bars(ep, L, ep->nsym == 1, ep->cfg->nllm == 0, L->wp != NULL, 1, eb);
}

static ar_err run_episode(const ar_config *cfg, const ar_market *m, const ep_spec *sp, uint32_t index,
                          const char **coins, FILE *progress_to, shared *sh, prompt_table *pt, ar_llm_pool *pool,
                          const ar_slip_cache *slip, const double *scale, const ar_engine_opts *eo,
                          ar_run_episode *out, ar_errbuf *eb) {
    int64_t start = sp->start, end = sp->end;
    int64_t cad = cfg->cadence;
    size_t ndec = (size_t)((end - start + cad - 1) / cad);
    episode ep;
    ar_err e = ar__episode_init(&ep, cfg, m, NULL, start, end, sp->window, sp->seed, index, coins, sh, pt, pool,
                                slip, ndec, eb);
    if (e) return e;
    ep.scale = scale;
    winpin *wp = NULL;
    int64_t win_next = INT64_MIN; /* windowed: the next t that pins more */
    if ((e = win_setup(cfg, &ep, &wp, eb))) {
        ar__episode_cleanup(&ep);
        return e;
    }
    size_t nfed = ep.nagents * ep.nsym;
    size_t *fed = calloc(nfed > 0 ? nfed : 1, sizeof *fed);
    const ar_position **held = calloc(nfed > 0 ? nfed : 1, sizeof *held);
    int32_t *held_sym = calloc(nfed > 0 ? nfed : 1, sizeof *held_sym);
    if (fed == NULL || held == NULL || held_sym == NULL) {
        e = ar_errf(eb, AR_ENOMEM, "out of memory");
        goto done;
    }
    /* Streamed equity: each agent keeps one block of samples, handed out
     * whenever it is full (all agents sample at the same times, so their
     * blocks fill together) and once more at the end. */
    int stream = (eo != NULL && eo->on_equity != NULL) || (sh->spill && sh->spill_curves);
    size_t blk = stream && ndec + 1 > AR_EQUITY_BLOCK ? AR_EQUITY_BLOCK : SIZE_MAX;
    for (size_t a = 0; a < ep.nagents; a++) {
        ep_agent *g = &ep.ag[a];
        g->fed = fed + a * ep.nsym;
        g->held = held + a * ep.nsym;
        g->held_sym = held_sym + a * ep.nsym;
        if (blk != SIZE_MAX) {
            ar_equity_rec *v = realloc(g->eq, blk * sizeof *g->eq);
            if (v == NULL) {
                e = ar_errf(eb, AR_ENOMEM, "out of memory");
                goto done;
            }
            g->eq = v;
            g->capeq = blk;
            continue;
        }
        size_t bytes = g->capeq * sizeof *g->eq;
        /* filled once, front to back: on huge pages (src/util/mem.c) */
        void *v = bytes >= AR_HUGE_MIN ? ar_alloc_huge(bytes) : NULL;
        if (v) { /* the same capacity; the first array was never touched */
            free(g->eq);
            g->eq = v;
        }
    }
    int coded = cfg->nllm == 0;
    ep.idle_ok = coded;
    ep_agent *ag = ep.ag;
    size_t na = ep.nagents;
    bar_loop L = {start, cad, ndec, wp, win_next, progress_to, -1, ndec / 200 + 1, blk, eo, sh};
    e = ep.nsym == 1 && coded && wp == NULL && progress_to == NULL ? bar_loop_coded_one(&ep, &L, eb)
                                                                   : bar_loop_any(&ep, &L, eb);
    win_next = L.win_next;
    int64_t last_pct = L.last_pct;
    if (e) goto done;
    if (wp && (e = win_ahead(&ep, wp, end, &win_next, eb))) goto done;
    for (size_t a = 0; a < na; a++)
        if (ag[a].quiet == 2) catch_up(&ep, &ag[a]); /* idle: fed up to here, then as the others */
    advance(&ep, end); /* the final mark, as ar__episode_mark */
    settle_end(&ep, end);
    sample_bt(&ep, end);
    if (progress_to) progress(progress_to, ndec, ndec, &last_pct);
    out->window = sp->window;
    out->seed = sp->seed;
    out->start = start;
    out->end = end;
    out->nagents = ep.nagents;
    out->agents = calloc(ep.nagents, sizeof *out->agents);
    if (out->agents == NULL) {
        e = ar_errf(eb, AR_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t a = 0; a < ep.nagents; a++) {
        ep_agent *g = &ep.ag[a];
        if (g->quiet) catch_up(&ep, g); /* the account ends having seen every bar */
        ar_account_finish(g->acct, end);
        if ((e = spill_rest(&ep, g, eb))) goto done;
        double fin = g->eq[g->neq - 1].equity; /* the final mark, sampled above */
        if (stream && (e = hand_equity(&ep, a, eo, eb))) goto done;
        if ((e = collect(g, &out->agents[a], cfg->capital, fin))) {
            ar_errf(eb, e, "out of memory collecting results");
            goto done;
        }
    }
done:
    win_release(&ep, wp);
    free(wp);
    ar__episode_cleanup(&ep);
    free(fed);
    free(held);
    free(held_sym);
    return e;
}

/* t (the value of config key `key`) within the data: from the first bar's
 * open d0 to the last bar's close e0, over all symbols. */
static ar_err in_data(const ar_config *cfg, const char *key, int64_t t, int64_t d0, int64_t e0, ar_errbuf *eb) {
    if (t >= d0 && t <= e0) return AR_OK;
    char a[48], b[48], c[48];
    ar_time_format(t, a, sizeof a);
    ar_time_format(d0, b, sizeof b);
    ar_time_format(e0, c, sizeof c);
    return ar_errf(eb, AR_ECONFIG, "%s: %s: %s is outside the data of %s (%s to %s, the first bar's open to the last "
                                   "bar's close)",
                   cfg->path, key, a, cfg->data, b, c);
}

/* The run's window: market.start and .end, by default from the first
 * instant every symbol has one closed bar to the close of the last bar of
 * any symbol; these and any explicit windows checked to lie within the
 * data (in_data). */
static ar_err default_window(const ar_config *cfg, const ar_market *m, int64_t *start, int64_t *end,
                             ar_errbuf *eb) {
    ar_err e;
    int64_t s0 = INT64_MIN, e0 = INT64_MIN, d0 = INT64_MAX;
    for (size_t s = 0; s < m->nsym; s++) {
        const ar_symbol *sy = &m->sym[s];
        if (sy->bars.n == 0) return ar_errf(eb, AR_EFORMAT, "%s: symbol %s has no bars", cfg->data, sy->name);
        /* without it a bar would count as closed at its open: look-ahead */
        if (sy->interval <= 0)
            return ar_errf(eb, AR_EFORMAT,
                           "%s: /bars/%s has no bar interval (expected an attribute interval_ns > 0, or interval "
                           "such as \"1m\")",
                           cfg->data, sy->name);
        int64_t first = ar_bars_time(&sy->bars, 0) + sy->interval,
                last = ar_bars_time(&sy->bars, sy->bars.n - 1) + sy->interval;
        if (first > s0) s0 = first;
        if (last > e0) e0 = last;
        if (ar_bars_time(&sy->bars, 0) < d0) d0 = ar_bars_time(&sy->bars, 0);
    }
    *start = cfg->start ? cfg->start : s0;
    *end = cfg->end ? cfg->end : e0;
    /* A window reaching past the data would be played on the last prices,
     * frozen, with funding still charged on them: refused, as is one that
     * starts before any bar. */
    if ((e = in_data(cfg, "market.end", *end, d0, e0, eb)) || (e = in_data(cfg, "market.start", *start, d0, e0, eb)))
        return e;
    for (size_t i = 0; i < cfg->nwindows; i++) {
        char key[48];
        snprintf(key, sizeof key, "market.windows[%zu].start", i);
        if ((e = in_data(cfg, key, cfg->windows[i].start, d0, e0, eb))) return e;
        snprintf(key, sizeof key, "market.windows[%zu].end", i);
        if ((e = in_data(cfg, key, cfg->windows[i].end, d0, e0, eb))) return e;
    }
    if (*end <= *start) {
        char a[48], b[48];
        ar_time_format(*start, a, sizeof a);
        ar_time_format(*end, b, sizeof b);
        return ar_errf(eb, AR_ECONFIG, "%s: market window is empty (start %s, end %s)", cfg->path, a, b);
    }
    return AR_OK;
}

/* The episodes of cfg: windows (explicit, N evenly spaced, or the whole
 * [start, end]) times seeds, window-major. */
static ar_err make_episodes(const ar_config *cfg, const ar_market *m, ep_spec **out, size_t *n, ar_errbuf *eb) {
    int64_t start = 0, end = 0;
    ar_err e = default_window(cfg, m, &start, &end, eb);
    if (e) return e;
    size_t nw = cfg->nwindows ? cfg->nwindows : cfg->win_count ? cfg->win_count : 1;
    ar_window *w = calloc(nw, sizeof *w);
    if (w == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
    if (cfg->nwindows) {
        memcpy(w, cfg->windows, nw * sizeof *w);
    } else if (cfg->win_count) {
        int64_t L = cfg->win_length, span = end - start - L;
        char a[48], b[48];
        ar_time_format(start, a, sizeof a);
        ar_time_format(end, b, sizeof b);
        if (span < 0) {
            free(w);
            return ar_errf(eb, AR_ECONFIG, "%s: market.windows: length is longer than the data window %s to %s",
                           cfg->path, a, b);
        }
        /* starts on the decision grid of the whole window, so that every
         * window's decisions fall on the same clock; the last one ends at end
         * when the span is a whole number of cadences */
        int64_t step = nw > 1 ? span / (int64_t)(nw - 1) : 0;
        if (nw > 1 && step < L) {
            free(w);
            return ar_errf(eb, AR_ECONFIG,
                           "%s: market.windows: %zu windows of this length would overlap in %s to %s", cfg->path, nw,
                           a, b);
        }
        for (size_t i = 0; i < nw; i++) {
            int64_t off = i + 1 == nw && nw > 1 ? span : (int64_t)i * step;
            off -= off % cfg->cadence;
            w[i].start = start + off;
            w[i].end = w[i].start + L;
        }
    } else {
        w[0].start = start;
        w[0].end = end;
    }
    /* Every episode holds (decisions + 1) equity samples per agent, sized
     * up front: refuse an absurd cadence / window before allocating. */
    double samples = 0, maxdec = 0;
    for (size_t i = 0; i < nw; i++) {
        double nd = w[i].end > w[i].start ? ceil((double)(w[i].end - w[i].start) / (double)cfg->cadence) : 0;
        if (nd > maxdec) maxdec = nd;
        samples += (nd + 1) * (double)cfg->nagents * (double)cfg->nseeds;
    }
    if (samples > AR_MAX_EQUITY_SAMPLES) {
        free(w);
        return ar_errf(eb, AR_ECONFIG,
                       "%s: cadence: up to %.0f decisions per episode x %zu agents x %zu episodes = %.3g equity "
                       "samples, at most %.3g (use a longer cadence or shorter or fewer windows)",
                       cfg->path, maxdec, cfg->nagents, nw * cfg->nseeds, samples, AR_MAX_EQUITY_SAMPLES);
    }
    ep_spec *sp = calloc(nw * cfg->nseeds, sizeof *sp);
    if (sp == NULL) {
        free(w);
        return ar_errf(eb, AR_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < nw; i++)
        for (size_t j = 0; j < cfg->nseeds; j++) {
            ep_spec *x = &sp[i * cfg->nseeds + j];
            x->start = w[i].start;
            x->end = w[i].end;
            x->window = (int32_t)i;
            x->seed = cfg->seeds[j];
        }
    free(w);
    *out = sp;
    *n = nw * cfg->nseeds;
    return AR_OK;
}

ar_err ar_tournament_episodes(const ar_config *cfg, const ar_market *m, ar_episode_info **out, size_t *n,
                              ar_errbuf *eb) {
    *out = NULL;
    *n = 0;
    if (m->nsym == 0) return ar_errf(eb, AR_ECONFIG, "%s: no symbols to trade", cfg->path);
    if (cfg->cadence <= 0) return ar_errf(eb, AR_ECONFIG, "%s: cadence: must be positive", cfg->path);
    ep_spec *sp = NULL;
    size_t ns = 0;
    ar_err e = make_episodes(cfg, m, &sp, &ns, eb);
    if (e) return e;
    ar_episode_info *v = calloc(ns ? ns : 1, sizeof *v);
    if (v == NULL) {
        free(sp);
        return ar_errf(eb, AR_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < ns; k++) {
        int64_t ndec = (sp[k].end - sp[k].start + cfg->cadence - 1) / cfg->cadence;
        v[k] = (ar_episode_info){sp[k].window, sp[k].seed, sp[k].start, sp[k].end,
                                 (double)(ndec > 0 ? ndec : 0) * (double)cfg->nagents};
    }
    free(sp);
    *out = v;
    *n = ns;
    return AR_OK;
}

/* ---- leakage guards ------------------------------------------------------- */

/* Names ASSET_A, ASSET_B, ... given to the symbols in a seeded order. */
static char (*anon_names(const ar_config *cfg, size_t nsym, uint64_t seed, int32_t window))[AR_SYM_MAX] {
    char(*names)[AR_SYM_MAX] = calloc(nsym, sizeof *names);
    size_t *perm = malloc(nsym * sizeof *perm);
    if (names == NULL || perm == NULL) {
        free(names);
        free(perm);
        return NULL;
    }
    for (size_t i = 0; i < nsym; i++) perm[i] = i;
    uint64_t x = ar_mix64(ar_mix64(seed ^ UINT64_C(0xa5a5)) ^ (uint64_t)window);
    for (size_t i = nsym; i > 1; i--) { /* Fisher-Yates with a mixed counter */
        x = ar_mix64(x);
        size_t j = (size_t)(x % i), t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    for (size_t i = 0; i < nsym; i++) {
        size_t k = perm[i];
        if (k < 26) snprintf(names[i], AR_SYM_MAX, "ASSET_%c", (char)('A' + k));
        else snprintf(names[i], AR_SYM_MAX, "ASSET_%c%c", (char)('A' + (k / 26 - 1) % 26), (char)('A' + k % 26));
    }
    (void)cfg;
    free(perm);
    return names;
}

/* Factor per symbol, log-uniform in [0.1, 10], from the episode's seed. */
static double anon_factor(uint64_t seed, int32_t window, size_t s) {
    uint64_t x = ar_mix64(ar_mix64(seed ^ UINT64_C(0x5ca1e)) ^ ar_mix64((uint64_t)window * 1000003u + s));
    double u = (double)(x >> 11) * 0x1.0p-53;
    return pow(10.0, 2 * u - 1);
}

/* What the scaled copies of a symbol need to know of its source bars, found
 * once per run: the longest run of rows with a bad price (scaling keeps a
 * bad price bad and a good one good) and the smallest time step. Windowed
 * sources know both from their opening pass. */
typedef struct src_info {
    size_t max_bad_run;
    int64_t min_step;
} src_info;

static void source_info(const ar_bars *b, src_info *out) {
    if (ar_bars_windowed(b)) {
        *out = (src_info){ar_bars_max_bad_run(b), ar_bars_min_step(b)};
        return;
    }
    size_t bad = 0, maxbad = 0;
    int64_t step = 0;
    for (size_t i = 0; i < b->n; i++) {
        bad = ar_bar_prices_ok(b->row[i].open, b->row[i].high, b->row[i].low, b->row[i].close) ? 0 : bad + 1;
        if (bad > maxbad) maxbad = bad;
        if (i > 0 && (step == 0 || b->row[i].t - b->row[i - 1].t < step)) step = b->row[i].t - b->row[i - 1].t;
    }
    *out = (src_info){maxbad, step};
}

/* A scaled symbol's loader: rows of the source (pinned while read, when it
 * is windowed itself) with prices x f and volumes / f. */
typedef struct scale_src {
    const ar_bars *src;
    double f;
} scale_src;

static ar_err scale_load(void *ctx, size_t from, size_t n, ar_bars *b, ar_errbuf *eb) {
    const scale_src *c = ctx;
    const ar_bars *y = c->src;
    double f = c->f;
    ar_err e = ar_bars_pin(y, from, from + n, eb);
    if (e) return e;
    for (size_t i = from; i < from + n; i++) {
        b->row[i].t = y->row[i].t;
        b->row[i].open = y->row[i].open * f;
        b->row[i].high = y->row[i].high * f;
        b->row[i].low = y->row[i].low * f;
        b->row[i].close = y->row[i].close * f;
        b->row[i].volume = y->row[i].volume / f;
    }
    ar_bars_unpin(y, from, from + n);
    return AR_OK;
}

/* The sqrt model's sums of a scaled symbol (ar_bars_window_sums: per
 * block, the sums before it and the close before it). A fill reads them
 * over the model's window before the fill, and fills start at the
 * episode's start, so they begin two rows before the first row of that
 * window: the blocks from there are summed (the episode's rows, not the
 * market's), those before hold NaN and are never read. The origin depends
 * on the market, the window and the model alone, never on the agents. */
static ar_err scaled_sums(const ar_bars *y, double f, size_t n, int64_t start, int64_t window, double *s0, double *pc,
                          ar_errbuf *eb) {
    size_t B = AR_BARS_BLOCK, nblk = (n + B - 1) / B;
    size_t o = ar_bars_lower_bound(y, start - window);
    size_t ob = (o >= 2 ? o - 2 : 0) / B;
    if (ob > nblk) ob = nblk;
    for (size_t k = 0; k < ob; k++) {
        s0[3 * k] = s0[3 * k + 1] = s0[3 * k + 2] = pc[k] = NAN;
    }
    double acc[3] = {0, 0, 0}, prevc = 0;
    size_t from0 = ob * B;
    if (from0 > 0) {
        ar_err e = ar_bars_pin(y, from0 - 1, from0, eb);
        if (e) return e;
        prevc = y->row[from0 - 1].close * f;
        ar_bars_unpin(y, from0 - 1, from0);
    }
    for (size_t k = ob; k < nblk; k++) {
        size_t from = k * B, cnt = n - from < B ? n - from : B;
        memcpy(&s0[3 * k], acc, sizeof acc);
        pc[k] = prevc;
        ar_err e = ar_bars_pin(y, from, from + cnt, eb);
        if (e) return e;
        for (size_t j = from; j < from + cnt; j++) {
            double c = y->row[j].close * f;
            ar_sums_step(j, y->row[j].volume / f, c, prevc, acc, acc);
            prevc = c;
        }
        ar_bars_unpin(y, from, from + cnt);
    }
    return AR_OK;
}

/* m with prices x f and volumes / f per symbol (notional values and
 * therefore equity, fees and PnL in quote currency are unchanged), of the
 * bars that open before the episode's end: an episode ending at end never
 * feeds a later one (the final mark feeds bars closed by end). Each symbol
 * is windowed bars over its source (bar indices as in m): the engine pins
 * the rows the episode reads (its agents' look-back behind the cursor) and
 * only those are scaled, so an episode costs its own length, not the
 * market's, in time and memory. */
static ar_err scaled_market(const ar_config *cfg, const ar_market *m, const double *f, const ep_spec *sp,
                            const src_info *info, ar_market **out, ar_errbuf *eb) {
    *out = NULL;
    ar_market *c = ar_market_create();
    if (c == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
    size_t B = AR_BARS_BLOCK;
    ar_err e = AR_OK;
    for (size_t s = 0; s < m->nsym && !e; s++) {
        const ar_symbol *y = &m->sym[s];
        int k = ar_market_add_symbol(c, y->name);
        if (k < 0) {
            e = ar_errf(eb, AR_ENOMEM, "out of memory");
            break;
        }
        ar_symbol *z = &c->sym[k];
        z->interval = y->interval;
        for (size_t i = 0; i < y->funding.n && !e; i++)
            if (ar_funding_push(&z->funding, y->funding.t[i], y->funding.rate[i])) e = ar_errf(eb, AR_ENOMEM, "out of memory");
        size_t n = ar_bars_lower_bound(&y->bars, sp->end), nblk = (n + B - 1) / B;
        if (e || n == 0) continue;
        int sums = cfg->exec.slip == AR_SLIP_SQRT;
        int64_t *t0 = malloc(nblk * sizeof *t0);
        double *s0 = sums ? malloc(3 * nblk * sizeof *s0) : NULL, *pc = sums ? malloc(nblk * sizeof *pc) : NULL;
        scale_src *ctx = malloc(sizeof *ctx);
        if (t0 == NULL || ctx == NULL || (sums && (s0 == NULL || pc == NULL))) e = ar_errf(eb, AR_ENOMEM, "out of memory");
        int64_t last = e ? 0 : ar_bars_time(&y->bars, n - 1);
        for (size_t j = 0; j < nblk && !e; j++) t0[j] = ar_bars_time(&y->bars, j * B); /* a block's first: nothing read */
        if (!e && last == INT64_MIN) e = ar_bars_window_error(&y->bars, eb);
        if (!e && sums) e = scaled_sums(&y->bars, f[s], n, sp->start, cfg->exec.slip_window, s0, pc, eb);
        if (!e) {
            *ctx = (scale_src){&y->bars, f[s]};
            e = ar_bars_window(&z->bars, n, t0, last, info[s].max_bad_run, scale_load, ctx, free, eb);
            if (e == AR_OK) {
                ctx = NULL; /* the bars own it */
                ar_bars_window_set_min_step(&z->bars, info[s].min_step);
                if (sums) e = ar_bars_window_sums(&z->bars, s0, pc, eb);
            }
        }
        free(ctx);
        free(t0);
        free(s0);
        free(pc);
    }
    if (e) {
        ar_market_free(c);
        return e;
    }
    *out = c;
    return AR_OK;
}

/* Report an episode run on scaled prices back in real units: the logs
 * still in memory (what went to the spill was unscaled on its way). */
static void unscale(ar_run_episode *ep, const double *f) {
    for (size_t a = 0; a < ep->nagents; a++) {
        ar_run_agent *g = &ep->agents[a];
        if (g->orders) unscale_rows(AR_LOG_ORDERS, g->orders, g->norders, f);
        if (g->fills) unscale_rows(AR_LOG_FILLS, g->fills, g->nfills, f);
        if (g->trades) unscale_rows(AR_LOG_TRADES, g->trades, g->ntrades, f);
        if (g->funding_log) unscale_rows(AR_LOG_FUNDING, g->funding_log, g->nfunding, f);
    }
}

/* ---- the driver ------------------------------------------------------------ */

typedef struct driver {
    const ar_config *cfg;
    const ar_market *m;
    const ar_engine_opts *opts;
    const ep_spec *specs;
    size_t n, next;
    ar_run_episode *eps;
    prompt_table *pts;
    ar_err *errs;
    ar_errbuf *ebs;
    shared *sh;
    int use_pool;
    ar_llm_limits *limits;     /* max_concurrent/rpm of the whole run, shared by the workers' pools */
    FILE *progress;
    const unsigned char *only; /* NULL: all episodes */
    size_t nsel;               /* episodes selected */
    ar_run *run;               /* header for on_episode */
    pthread_mutex_t cb_mu;     /* one on_episode call at a time */
    ar_slip_cache *slip;       /* sqrt slippage sums over m, shared by every account on m */
    src_info *info;            /* anonymized prices: per symbol of m, for its scaled copies */
} driver;

static ar_err one_episode(driver *d, size_t k, ar_llm_pool *pool) {
    const ar_config *cfg = d->cfg;
    const ep_spec *sp = &d->specs[k];
    const ar_market *m = d->m;
    ar_market *scaled = NULL;
    ar_slip_cache *slip = NULL;
    double *f = NULL;
    char(*names)[AR_SYM_MAX] = NULL;
    const char **coins = NULL;
    ar_err e = AR_OK;
    if (cfg->anon_symbols) {
        names = anon_names(cfg, m->nsym, sp->seed, sp->window);
        coins = malloc(m->nsym * sizeof *coins);
        if (names == NULL || coins == NULL) {
            e = ar_errf(&d->ebs[k], AR_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t s = 0; s < m->nsym; s++) coins[s] = names[s];
    }
    if (cfg->anon_prices) {
        f = malloc(m->nsym * sizeof *f);
        if (f == NULL) {
            e = ar_errf(&d->ebs[k], AR_ENOMEM, "out of memory");
            goto out;
        }
        /* one factor per symbol and window: every seed of a window sees the same market */
        for (size_t s = 0; s < m->nsym; s++) f[s] = anon_factor(cfg->seed, sp->window, s);
        if ((e = scaled_market(cfg, m, f, sp, d->info, &scaled, &d->ebs[k]))) goto out;
        /* this episode's own prices: sums of its own (the windowed bars'),
         * shared by its agents */
        if (cfg->exec.slip == AR_SLIP_SQRT && (slip = ar_slip_cache_create(scaled, &d->ebs[k])) == NULL) {
            e = AR_ENOMEM;
            goto out;
        }
    }
    e = run_episode(cfg, scaled ? scaled : m, sp, (uint32_t)k, coins, d->nsel == 1 ? d->progress : NULL, d->sh,
                    &d->pts[k], pool, scaled ? slip : d->slip, f, d->opts, &d->eps[k], &d->ebs[k]);
    if (e == AR_OK && f) unscale(&d->eps[k], f);
out:
    ar_slip_cache_free(slip);
    ar_market_free(scaled);
    free(f);
    free(names);
    free(coins);
    return e;
}

static void *worker(void *arg) {
    driver *d = arg;
    ar_store_thread_init(); /* curves, windowed bars: HDF5 errors come back as messages, not stack dumps */
    ar_llm_pool *pool = NULL;
    ar_errbuf peb;
    if (d->use_pool) pool = ar_llm_pool_create(ar_mix64(d->cfg->seed ^ UINT64_C(0x11a)), &peb);
    if (pool != NULL && ar_llm_pool_set_limits(pool, d->limits, &peb) != AR_OK) {
        ar_llm_pool_free(pool);
        pool = NULL;
    }
    for (;;) {
        pthread_mutex_lock(&d->sh->mu);
        size_t k = d->next++;
        pthread_mutex_unlock(&d->sh->mu);
        if (k >= d->n) break;
        if (d->only && !d->only[k]) continue;
        if (d->use_pool && pool == NULL) {
            d->errs[k] = ar_errf(&d->ebs[k], AR_EIO, "%s", peb.msg);
            continue;
        }
        d->errs[k] = one_episode(d, k, pool);
        if (d->errs[k] == AR_OK && d->opts && d->opts->on_episode) {
            pthread_mutex_lock(&d->cb_mu);
            d->errs[k] = d->opts->on_episode(d->opts->on_episode_ctx, d->run, k, &d->eps[k], d->pts[k].text,
                                             d->pts[k].n, &d->ebs[k]);
            pthread_mutex_unlock(&d->cb_mu);
        }
        pthread_mutex_lock(&d->sh->mu);
        d->sh->done++;
        if (d->nsel > 1) progress(d->progress, d->sh->done, d->nsel, &d->sh->last_pct);
        pthread_mutex_unlock(&d->sh->mu);
    }
    ar_llm_pool_free(pool);
    return NULL;
}

/* Move every episode's prompts into the run's table in episode order and
 * renumber the calls: the ids do not depend on which thread ran what. The
 * texts move (a duplicate is freed), so they are never held twice. */
static ar_err merge_prompts(ar_run *r, prompt_table *pts, size_t n) {
    prompt_table all;
    memset(&all, 0, sizeof all);
    ar_err e = AR_OK;
    for (size_t k = 0; k < n && e == AR_OK; k++) {
        int32_t *map = malloc((pts[k].n + 1) * sizeof *map);
        if (map == NULL) {
            e = AR_ENOMEM;
            break;
        }
        for (size_t i = 0; i < pts[k].n; i++) {
            char *t = pts[k].text[i];
            pts[k].text[i] = NULL;
            if ((map[i] = ar__pt_adopt(&all, t)) < 0) e = AR_ENOMEM;
        }
        ar_run_episode *ep = &r->episodes[k];
        for (size_t a = 0; e == AR_OK && a < ep->nagents; a++)
            for (size_t i = 0; i < ep->agents[a].nllm; i++) {
                ar_llm_rec *x = &ep->agents[a].llm[i];
                if (x->prompt_system >= 0) x->prompt_system = map[x->prompt_system];
                if (x->prompt_user >= 0) x->prompt_user = map[x->prompt_user];
            }
        free(map);
    }
    r->prompts = all.text;
    r->nprompts = all.n;
    all.text = NULL;
    all.n = 0;
    ar__pt_cleanup(&all);
    return e;
}

ar_run *ar__run_header(const ar_config *cfg, const ar_market *m, const char *data_sha256, const char *live) {
    ar_run *r = calloc(1, sizeof *r);
    if (r == NULL) return NULL;
    snprintf(r->name, sizeof r->name, "%s", cfg->name);
    r->cadence = cfg->cadence;
    r->capital = cfg->capital;
    r->mode = cfg->exec.mode;
    r->nsym = m->nsym;
    r->symbols = calloc(m->nsym ? m->nsym : 1, sizeof *r->symbols);
    r->config_json = strdup(cfg->canonical_json);
    /* The data is named by content (sha256), not by path: the same run from
     * another working directory must give the same bytes. */
    json_t *man = json_pack("{s:s, s:i, s:s?, s:s*, s:I}", "arena_version", ARENA_VERSION, "format_version", 1,
                            "data_sha256", data_sha256, "live", live, "seed", (json_int_t)cfg->seed);
    r->manifest_json = man ? json_dumps(man, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    json_decref(man);
    if (!r->symbols || !r->config_json || !r->manifest_json) {
        ar_run_free(r);
        return NULL;
    }
    for (size_t s = 0; s < m->nsym; s++) snprintf(r->symbols[s], AR_SYM_MAX, "%s", m->sym[s].name);
    return r;
}

/* Windowed bars hold only what the engine pins: nothing that reads every
 * bar may run on them (sqrt slippage needs the windowed sums, unless
 * prices are anonymized: each episode's scaled copy sums its own rows).
 * *windowed: whether any symbol's bars are. */
static ar_err check_windowed(const ar_config *cfg, const ar_market *m, int *windowed, ar_errbuf *eb) {
    int sums = 1;
    *windowed = 0;
    for (size_t s = 0; s < m->nsym; s++)
        if (ar_bars_windowed(&m->sym[s].bars)) {
            *windowed = 1;
            sums &= ar_bars_window_sum(&m->sym[s].bars, 0) != NULL;
        }
    if (*windowed && !cfg->anon_prices && cfg->exec.slip == AR_SLIP_SQRT && !sums)
        return ar_errf(eb, AR_EINVAL, "%s: a windowed market cannot be used with sqrt slippage unless it has the sums",
                       cfg->path);
    return AR_OK;
}

ar_err ar_tournament_skeleton(const ar_config *cfg, const ar_market *m, const char *data_sha256, ar_run **out,
                              ar_errbuf *eb) {
    *out = NULL;
    if (m->nsym == 0) return ar_errf(eb, AR_ECONFIG, "%s: no symbols to trade", cfg->path);
    if (cfg->cadence <= 0) return ar_errf(eb, AR_ECONFIG, "%s: cadence: must be positive", cfg->path);
    ep_spec *specs = NULL;
    size_t n = 0;
    int windowed = 0;
    ar_err we = check_windowed(cfg, m, &windowed, eb);
    if (we) return we;
    ar_err e = make_episodes(cfg, m, &specs, &n, eb);
    if (e) return e;
    ar_run *r = ar__run_header(cfg, m, data_sha256, NULL);
    if (r != NULL && (r->episodes = calloc(n ? n : 1, sizeof *r->episodes)) != NULL) {
        r->nepisodes = n;
        for (size_t k = 0; k < n && r != NULL; k++) {
            ar_run_episode *ep = &r->episodes[k];
            int64_t cad = cfg->cadence;
            size_t ndec = (size_t)((specs[k].end - specs[k].start + cad - 1) / cad);
            *ep = (ar_run_episode){specs[k].window, specs[k].seed, specs[k].start, specs[k].end, cfg->nagents,
                                   calloc(cfg->nagents ? cfg->nagents : 1, sizeof *ep->agents)};
            if (ep->agents == NULL) {
                ar_run_free(r);
                r = NULL;
                break;
            }
            for (size_t a = 0; a < cfg->nagents; a++) {
                snprintf(ep->agents[a].name, sizeof ep->agents[a].name, "%s", cfg->agents[a].name);
                ep->agents[a].nequity = ndec + 1; /* one sample per decision and the final mark */
            }
        }
    } else {
        ar_run_free(r);
        r = NULL;
    }
    free(specs);
    if (r == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
    *out = r;
    return AR_OK;
}

ar_err ar_tournament_run(const ar_config *cfg, const ar_market *m, const char *data_sha256,
                         const ar_engine_opts *opts, ar_run **out, ar_errbuf *eb) {
    *out = NULL;
    if (m->nsym == 0) return ar_errf(eb, AR_ECONFIG, "%s: no symbols to trade", cfg->path);
    if (cfg->cadence <= 0) return ar_errf(eb, AR_ECONFIG, "%s: cadence: must be positive", cfg->path);
    ep_spec *specs = NULL;
    size_t n = 0;
    int windowed = 0;
    ar_err we = check_windowed(cfg, m, &windowed, eb);
    if (we) return we;
    ar_err e = make_episodes(cfg, m, &specs, &n, eb);
    if (e) return e;
    ar_run *r = ar__run_header(cfg, m, data_sha256, NULL);
    if (r == NULL) {
        free(specs);
        return ar_errf(eb, AR_ENOMEM, "out of memory");
    }
    r->nepisodes = n;
    r->episodes = calloc(n, sizeof *r->episodes);
    prompt_table *pts = calloc(n, sizeof *pts);
    ar_err *errs = calloc(n, sizeof *errs);
    ar_errbuf *ebs = calloc(n, sizeof *ebs);
    if (!r->episodes || !pts || !errs || !ebs) {
        free(specs);
        free(pts);
        free(errs);
        free(ebs);
        ar_run_free(r);
        return ar_errf(eb, AR_ENOMEM, "out of memory");
    }
    shared sh;
    memset(&sh, 0, sizeof sh);
    pthread_mutex_init(&sh.mu, NULL);
    sh.cassette = opts ? opts->cassette : NULL;
    sh.last_pct = -1;
    ar_cassette_mode mode = ar_cassette_get_mode(sh.cassette);
    if (opts && mode != AR_CASSETTE_REPLAY && mode != AR_CASSETTE_RESCORE) {
        sh.on_call_fail = opts->on_call_fail;
        sh.on_call_fail_ctx = opts->on_call_fail_ctx;
    }
    r->rescored = mode == AR_CASSETTE_RESCORE;
    driver d = {cfg, m, opts, specs, n, 0, r->episodes, pts, errs, ebs, &sh,
                cfg->nllm > 0 && mode != AR_CASSETTE_REPLAY && mode != AR_CASSETTE_RESCORE, NULL,
                opts ? opts->progress : NULL, opts ? opts->only : NULL, n, r, PTHREAD_MUTEX_INITIALIZER, NULL, NULL};
    if (e == AR_OK && cfg->anon_prices) {
        if ((d.info = calloc(m->nsym ? m->nsym : 1, sizeof *d.info)) == NULL) e = ar_errf(eb, AR_ENOMEM, "out of memory");
        for (size_t s = 0; d.info && s < m->nsym; s++) source_info(&m->sym[s].bars, &d.info[s]);
    }
    /* One set of LLM limits for every worker's pool: max_concurrent and rpm
     * hold for the run, whatever --jobs is. */
    if (d.use_pool && (d.limits = ar_llm_limits_create()) == NULL) e = ar_errf(eb, AR_ENOMEM, "out of memory");
    /* The sqrt model's trailing sums depend on the market alone: built once
     * here for every account of every episode on m (24 bytes per bar and
     * symbol, instead of that per account), read-only from then on. */
    if (e == AR_OK && cfg->exec.slip == AR_SLIP_SQRT && !cfg->anon_prices && (cfg->nagents * n > 1 || windowed) &&
        (d.slip = ar_slip_cache_create(m, eb)) == NULL)
        e = AR_ENOMEM;
    if (d.only) {
        d.nsel = 0;
        for (size_t k = 0; k < n; k++) d.nsel += d.only[k] != 0;
    }
    /* A budget shared by the whole run would make results depend on which
     * episode spends first: such runs go one episode at a time. */
    size_t jobs = opts && opts->jobs > 1 ? (size_t)opts->jobs : 1;
    if (cfg->budget_usd > 0 || jobs > d.nsel) jobs = cfg->budget_usd > 0 || d.nsel == 0 ? 1 : d.nsel;
    /* Logs: a row of each (an order, a fill, half a round trip, a
     * decision) is about 256 bytes, and the arrays grow by doubling, so
     * 512 bytes of budget per row for each agent running at once. */
    if (e == AR_OK && opts && opts->spill_near && (e = ar_spill_open(opts->spill_near, &r->spill, eb)) == AR_OK) {
        sh.spill = r->spill;
        sh.spill_curves = opts->spill_curves && opts->on_equity == NULL;
        size_t per = 512 * (cfg->nagents ? cfg->nagents : 1) * jobs;
        sh.log_rows = opts->log_memory / per ? opts->log_memory / per : 1;
    }
    if (e != AR_OK) {
        /* nothing ran */
    } else if (jobs <= 1) {
        worker(&d);
    } else {
        pthread_t *th = calloc(jobs, sizeof *th);
        size_t started = 0;
        for (; th && started < jobs; started++)
            if (pthread_create(&th[started], NULL, worker, &d) != 0) break;
        if (started == 0) worker(&d);
        for (size_t i = 0; i < started; i++) pthread_join(th[i], NULL);
        free(th);
    }
    ar_llm_limits_free(d.limits); /* every pool using it was freed by its worker */
    ar_slip_cache_free(d.slip);
    free(d.info);
    for (size_t k = 0; k < n && e == AR_OK; k++)
        if (errs[k]) {
            e = errs[k];
            ar_errf(eb, e, "%s", ebs[k].msg);
        }
    if (e == AR_OK && d.only) {
        /* keep only the episodes that ran, in episode order (the others
         * were never started: nothing to free) */
        size_t j = 0;
        for (size_t k = 0; k < n; k++)
            if (d.only[k]) {
                prompt_table t = pts[k];
                ar_run_episode x = r->episodes[k];
                memset(&r->episodes[k], 0, sizeof x);
                r->episodes[j] = x;
                pts[k] = pts[j];
                pts[j++] = t;
            }
        r->nepisodes = j;
    }
    if (e == AR_OK && merge_prompts(r, pts, r->nepisodes)) e = ar_errf(eb, AR_ENOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) ar__pt_cleanup(&pts[k]);
    free(pts);
    free(errs);
    free(ebs);
    free(specs);
    pthread_mutex_destroy(&sh.mu);
    pthread_mutex_destroy(&d.cb_mu);
    if (e) {
        ar_run_free(r);
        return e;
    }
    *out = r;
    return AR_OK;
}
