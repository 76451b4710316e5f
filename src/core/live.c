/* src/core/live.c - the engine on the live clock (include/arena/live.h).
 *
 * The session owns two growing markets built from the events: `om`, bars of
 * live.interval that agents see, and `xm`, one-second bars that accounts
 * fill against. Both get a bar only once the clock has passed its close, so
 * an account or an agent never sees a bar that is still forming. The
 * episode (core/episode_int.h) is the backtest's: the same agents, prompts,
 * answer parsing and execution, stepped here at each cadence boundary the
 * feed clock passes, and advanced between decisions whenever a one-second
 * bar completes, so that fills, stops and liquidations follow the feed.
 *
 * Records go to the live run file by cursors: everything an account or agent
 * logged since the last sync is appended (orders once final), then the
 * in-memory copies that nothing reads again (decisions, model calls,
 * answer texts, the round's prompts) are dropped, so memory grows only with
 * the equity history that the prompts' Sharpe ratio needs. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "arena/live.h"
#include "arena/live_store.h"
#include "arena/util.h"
#include "core/episode_int.h"

#define EXEC_IV AR_NS_PER_S

typedef struct fbar { /* a bar being formed */
    int have;
    int64_t t;
    double o, h, l, c, v;
} fbar;

typedef struct lagent { /* per episode agent: what is in the file already */
    int w;                   /* writer's agent index */
    size_t ord_scan;         /* orders before this are all written */
    unsigned char *ord_done; /* per order: written */
    size_t ord_cap;
    size_t fills, trades, funding, equity;
    int32_t id_base;         /* orders of the run before a resume */
} lagent;

struct ar_live {
    const ar_config *cfg;
    ar_live_opts o;
    char *path;
    size_t nsym;
    ar_market *om, *xm;
    fbar *ob, *xb;
    int64_t oiv;
    episode ep;
    int ep_ready;
    shared sh;
    prompt_table pt;
    ar_llm_pool *pool;
    ar_live_writer *w;
    ar_live_state *rs; /* resume: the file's state until the episode starts */
    lagent *la;
    int started, finished;
    int64_t clock, origin, next_dec, end;
    int64_t resume_t; /* --resume: events at or before the last tick on file are in it already */
    int jump_seen;    /* the last event was far ahead of the clock and skipped */
    size_t k, decisions, ticks, skipped, fills, unflushed;
    ar_tick_rec *tk;
    size_t ntk, captk;
};

/* ---- bars ------------------------------------------------------------------- */

static int64_t floor_to(int64_t t, int64_t iv) {
    int64_t q = t / iv;
    if (t % iv != 0 && t < 0) q--;
    return q * iv;
}

static ar_err bar_close(ar_symbol *y, fbar *b) {
    if (!b->have) return AR_OK;
    b->have = 0;
    return ar_bars_push(&y->bars, b->t, b->o, b->h, b->l, b->c, b->v);
}

static void bar_add(fbar *b, int64_t iv, int64_t t, double px, double q) {
    if (!b->have) {
        b->have = 1;
        b->t = floor_to(t, iv);
        b->o = b->h = b->l = b->c = px;
        b->v = q;
        return;
    }
    /* a late event (before the forming bar) lands in it: closed bars never change */
    if (px > b->h) b->h = px;
    if (px < b->l) b->l = px;
    b->c = px;
    b->v += q;
}

/* Close every forming bar, of both markets, whose close time is <= t. */
static ar_err close_bars(ar_live *L, int64_t t) {
    for (size_t s = 0; s < L->nsym; s++) {
        if (L->xb[s].have && L->xb[s].t + EXEC_IV <= t && bar_close(&L->xm->sym[s], &L->xb[s])) return AR_ENOMEM;
        if (L->ob[s].have && L->ob[s].t + L->oiv <= t && bar_close(&L->om->sym[s], &L->ob[s])) return AR_ENOMEM;
    }
    return AR_OK;
}

/* ---- the run file ------------------------------------------------------------- */

static ar_err make_header(ar_live *L, int64_t start, ar_run **out, ar_errbuf *eb) {
    const ar_config *cfg = L->cfg;
    ar_run *r = ar__run_header(cfg, L->om, NULL, cfg->live_exchange);
    *out = r;
    if (r == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
    r->nepisodes = 1;
    if ((r->episodes = calloc(1, sizeof *r->episodes)) == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
    ar_run_episode *ep = &r->episodes[0];
    ep->seed = cfg->seed;
    ep->start = start;
    ep->end = start;
    ep->nagents = cfg->nagents;
    if ((ep->agents = calloc(cfg->nagents, sizeof *ep->agents)) == NULL)
        return ar_errf(eb, AR_ENOMEM, "out of memory");
    for (size_t a = 0; a < cfg->nagents; a++) {
        ar_run_agent *g = &ep->agents[a];
        const ar_agent_cfg *c = &cfg->agents[a];
        snprintf(g->name, sizeof g->name, "%s", c->name);
        snprintf(g->kind, sizeof g->kind, "%s", c->kind);
        snprintf(g->detail, sizeof g->detail, "%s", c->strategy);
        g->baseline = c->baseline;
        g->capital = cfg->capital;
        g->final_equity = cfg->capital;
    }
    return AR_OK;
}

/* ar_account_drain_logs's sink for records the file has already. */
static ar_err in_file(void *ctx, ar_log log, const void *recs, size_t n, size_t size) {
    (void)ctx, (void)log, (void)recs, (void)n, (void)size;
    return AR_OK;
}

/* What an agent holds that the file has, dropped after a sync, so a
 * session's memory does not grow with its length: settled records (every
 * fill, round trip and funding charge, and the orders before the first one
 * pending, all written by now) and the equity samples but the last (the
 * decisions read it). Order ids keep counting in the account. */
static void drop_synced(ep_agent *g, lagent *x) {
    size_t before = ar_account_orders_out(g->acct);
    (void)ar_account_drain_logs(g->acct, 1, in_file, NULL); /* in_file cannot fail */
    size_t k = ar_account_orders_out(g->acct) - before;
    if (k > 0) { /* those were final, so written: ord_scan is past them */
        memmove(x->ord_done, x->ord_done + k, x->ord_cap - k);
        memset(x->ord_done + x->ord_cap - k, 0, k);
        x->ord_scan = x->ord_scan > k ? x->ord_scan - k : 0;
    }
    x->fills = x->trades = x->funding = 0;
    if (g->neq > 1) {
        g->eq[0] = g->eq[g->neq - 1];
        g->eqoff += g->neq - 1;
        g->neq = 1;
    }
    x->equity = g->neq;
}

/* Append everything logged since the last sync, then drop what nothing
 * reads again. */
static ar_err sync_records(ar_live *L, ar_errbuf *eb) {
    ar_err e;
    if (L->w == NULL) return AR_OK;
    if (L->ntk > 0) {
        if ((e = ar_live_append_ticks(L->w, L->tk, L->ntk, eb))) return e;
        L->ntk = 0;
    }
    if (!L->ep_ready) return AR_OK;
    for (size_t a = 0; a < L->ep.nagents; a++) {
        ep_agent *g = &L->ep.ag[a];
        lagent *x = &L->la[a];
        int w = x->w;
        size_t n;
        /* orders, once final (a limit order may stay pending for long) */
        const ar_order_rec *ov = ar_account_orders(g->acct, &n);
        if (n > x->ord_cap) {
            size_t cap = x->ord_cap ? x->ord_cap : 64;
            while (cap < n) cap *= 2;
            unsigned char *d = realloc(x->ord_done, cap);
            if (d == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
            memset(d + x->ord_cap, 0, cap - x->ord_cap);
            x->ord_done = d;
            x->ord_cap = cap;
        }
        for (size_t i = x->ord_scan; i < n; i++) {
            if (x->ord_done[i] || ov[i].status == AR_OS_PENDING) continue;
            ar_order_rec r = ov[i];
            r.id += x->id_base;
            if ((e = ar_live_append_orders(L->w, w, &r, 1, eb))) return e;
            x->ord_done[i] = 1;
        }
        while (x->ord_scan < n && x->ord_done[x->ord_scan]) x->ord_scan++;
        /* fills, trades, funding: append-only logs */
        const ar_fill_rec *fv = ar_account_fills(g->acct, &n);
        for (; x->fills < n; x->fills++) {
            ar_fill_rec r = fv[x->fills];
            if (r.order_id >= 0) r.order_id += x->id_base;
            if ((e = ar_live_append_fills(L->w, w, &r, 1, eb))) return e;
            L->fills++;
            L->unflushed++;
        }
        const ar_trade_rec *tv = ar_account_trades(g->acct, &n);
        if (n > x->trades && (e = ar_live_append_trades(L->w, w, tv + x->trades, n - x->trades, eb))) return e;
        x->trades = n;
        const ar_funding_rec *uv = ar_account_funding(g->acct, &n);
        if (n > x->funding && (e = ar_live_append_funding(L->w, w, uv + x->funding, n - x->funding, eb))) return e;
        x->funding = n;
        if (g->neq > x->equity && (e = ar_live_append_equity(L->w, w, g->eq + x->equity, g->neq - x->equity, eb)))
            return e;
        x->equity = g->neq;
        if (g->ndec > 0 && (e = ar_live_append_decisions(L->w, w, g->dec, g->ndec, eb))) return e;
        g->ndec = 0;
        /* model calls: prompts into the file's table, texts into its blob */
        for (size_t i = 0; i < g->nrec; i++) {
            ar_llm_rec r = g->recs[i];
            int32_t idx;
            if (r.prompt_system >= 0) {
                if ((e = ar_live_add_prompt(L->w, L->pt.text[r.prompt_system], &idx, eb))) return e;
                r.prompt_system = idx;
            }
            if (r.prompt_user >= 0) {
                if ((e = ar_live_add_prompt(L->w, L->pt.text[r.prompt_user], &idx, eb))) return e;
                r.prompt_user = idx;
            }
            int64_t off;
            if (r.answer_len > 0) {
                if ((e = ar_live_append_answer(L->w, w, g->answers.p + r.answer_off, (size_t)r.answer_len, &off, eb)))
                    return e;
                r.answer_off = off;
            }
            if (r.actions_len > 0) {
                if ((e = ar_live_append_answer(L->w, w, g->answers.p + r.actions_off, (size_t)r.actions_len, &off,
                                               eb)))
                    return e;
                r.actions_off = off;
            }
            if ((e = ar_live_append_llm(L->w, w, &r, 1, eb))) return e;
        }
        g->nrec = 0;
        g->answers.n = 0;
        drop_synced(g, x);
    }
    /* the round's prompts are in the file: start the next round's table afresh */
    ar__pt_cleanup(&L->pt);
    memset(&L->pt, 0, sizeof L->pt);
    return AR_OK;
}

/* ---- starting ------------------------------------------------------------------ */

/* The first decision time at or after t on the cadence grid. */
static int64_t grid_ceil(const ar_live *L, int64_t t) {
    int64_t c = L->cfg->cadence, o = L->origin;
    int64_t q = floor_to(t - o, c);
    return o + (q < t - o ? q + c : q);
}

static ar_err restore(ar_live *L, ar_errbuf *eb) {
    ar_live_state *rs = L->rs;
    size_t kmax = 0;
    for (size_t a = 0; a < L->ep.nagents; a++) {
        ep_agent *g = &L->ep.ag[a];
        const ar_live_agent_state *st = NULL;
        for (size_t j = 0; j < rs->nagents; j++)
            if (!strcmp(rs->agents[j].name, g->cfg->name)) st = &rs->agents[j];
        if (st == NULL) return ar_errf(eb, AR_ECONFIG, "%s: has no agent %s", L->path, g->cfg->name);
        L->la[a].id_base = (int32_t)st->norders;
        if (st->ndecisions > kmax) kmax = st->ndecisions;
        if (!st->have) continue;
        if (ar_account_restore(g->acct, st->cash, st->fees, st->funding, st->pos))
            return ar_errf(eb, AR_EFORMAT, "%s: agent %s: the saved state cannot be restored", L->path, g->cfg->name);
        for (size_t i = 0; i < st->nfills_after; i++) {
            const ar_fill_rec *f = &st->fills_after[i];
            const ar_position *p = f->sym >= 0 && (size_t)f->sym < L->nsym ? ar_account_position(g->acct, f->sym) : NULL;
            double lev = p && p->qty != 0 ? p->leverage : 1;
            if (ar_account_replay_fill(g->acct, f, lev))
                return ar_errf(eb, AR_EFORMAT, "%s: agent %s: fill %zu after the last snapshot is invalid", L->path,
                               g->cfg->name, i);
        }
    }
    L->k = kmax;
    return AR_OK;
}

/* First event at t: the run starts (file, episode, accounts). */
static ar_err start(ar_live *L, int64_t t, ar_errbuf *eb) {
    const ar_config *cfg = L->cfg;
    ar_err e;
    int64_t from = t;
    if (L->rs) {
        int64_t last = L->rs->last_tick_t;
        for (size_t j = 0; j < L->rs->nagents; j++)
            if (L->rs->agents[j].last_equity_t > last) last = L->rs->agents[j].last_equity_t;
        if (last + 1 > from) from = last + 1; /* never decide twice at one time */
    }
    if (cfg->start > from) from = cfg->start;
    int64_t s0 = grid_ceil(L, from);
    L->next_dec = s0;
    if (L->w == NULL) {
        ar_run *h = NULL;
        e = make_header(L, s0, &h, eb);
        if (e == AR_OK && (L->w = ar_live_writer_create(L->path, h, eb)) == NULL) e = AR_EIO;
        ar_run_free(h);
        if (e) return e;
    }
    if ((L->la = calloc(cfg->nagents, sizeof *L->la)) == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
    for (size_t a = 0; a < cfg->nagents; a++)
        if ((L->la[a].w = ar_live_writer_agent(L->w, cfg->agents[a].name)) < 0)
            return ar_errf(eb, AR_EFORMAT, "%s: has no agent %s", L->path, cfg->agents[a].name);
    if (cfg->nllm > 0) {
        int models = 0;
        for (size_t a = 0; a < cfg->nagents; a++) models += !strcmp(cfg->agents[a].kind, "llm");
        if (models && (L->pool = ar_llm_pool_create(ar_mix64(cfg->seed ^ UINT64_C(0x11a)), eb)) == NULL) return AR_EIO;
    }
    if ((e = ar__episode_init(&L->ep, cfg, L->om, L->xm, s0, L->end, 0, cfg->seed, 0, NULL, &L->sh, &L->pt, L->pool,
                              NULL, 1024, eb)))
        return e;
    L->ep_ready = 1;
    L->ep.answer_clock = L->o.feed_clock;
    L->ep.clock_ctx = L->o.clock_ctx;
    if (L->rs) {
        if ((e = restore(L, eb))) return e;
        ar_live_state_free(L->rs);
        L->rs = NULL;
    }
    L->started = 1;
    return AR_OK;
}

/* ---- the clock ------------------------------------------------------------------ */

static ar_err finish(ar_live *L, int64_t t, ar_errbuf *eb) {
    if (L->finished || !L->ep_ready) return AR_OK;
    if (close_bars(L, t)) return ar_errf(eb, AR_ENOMEM, "out of memory");
    ar__episode_mark(&L->ep, t);
    for (size_t a = 0; a < L->ep.nagents; a++) ar_account_finish(L->ep.ag[a].acct, t);
    L->finished = 1;
    return sync_records(L, eb);
}

/* The feed reached t: complete bars, run due decisions, let accounts fill. */
static ar_err advance_to(ar_live *L, int64_t t, ar_errbuf *eb) {
    ar_err e;
    if (!L->started && (e = start(L, t, eb))) return e;
    if (t <= L->clock) return AR_OK;
    L->clock = t;
    while (!L->finished && L->next_dec <= t) {
        int64_t D = L->next_dec;
        if (D >= L->end) return finish(L, L->end, eb);
        if (close_bars(L, D)) return ar_errf(eb, AR_ENOMEM, "out of memory");
        if ((e = ar__episode_step(&L->ep, D, L->k, eb))) return e;
        L->k++;
        L->decisions++;
        L->next_dec = D + L->cfg->cadence;
        if ((e = sync_records(L, eb))) return e;
    }
    if (L->finished) return AR_OK;
    if (t >= L->end) return finish(L, L->end, eb);
    if (close_bars(L, t)) return ar_errf(eb, AR_ENOMEM, "out of memory");
    ar__episode_advance(&L->ep, t);
    return AR_OK;
}

static ar_err push_tick(ar_live *L, int64_t t, int sym, int side, double px, double q, ar_errbuf *eb) {
    if (L->ntk == L->captk) {
        size_t cap = L->captk ? L->captk * 2 : 1024;
        ar_tick_rec *v = realloc(L->tk, cap * sizeof *v);
        if (v == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
        L->tk = v;
        L->captk = cap;
    }
    ar_tick_rec *r = &L->tk[L->ntk++];
    memset(r, 0, sizeof *r);
    r->t = t;
    r->sym = sym;
    r->side = side;
    r->price = px;
    r->qty = q;
    L->ticks++;
    return AR_OK;
}

static ar_err on_price(ar_live *L, int sym, int64_t t, double px, double q, int side, ar_errbuf *eb) {
    if (L->finished) return AR_OK;
    if (sym < 0 || (size_t)sym >= L->nsym || t <= 0 || !(isfinite(px) && px > 0) || !(isfinite(q) && q >= 0)) {
        L->skipped++;
        return AR_OK;
    }
    /* A feed resent on reconnect (Hyperliquid's and Coinbase's recent
     * trades) after --resume: what the file holds is not taken twice. */
    if (t <= L->resume_t) {
        L->skipped++;
        return AR_OK;
    }
    /* A time far ahead of the clock would run every decision up to it at
     * once, on stale bars, and make every later true time look old: one
     * wrong timestamp would wreck the session. Such a jump is taken only
     * when the next event confirms it (as after a long outage). */
    int64_t lim = 10 * L->cfg->cadence > 3600 * AR_NS_PER_S ? 10 * L->cfg->cadence : 3600 * AR_NS_PER_S;
    if (L->clock > 0 && t - L->clock > lim && !L->jump_seen) {
        L->jump_seen = 1;
        L->skipped++;
        return AR_OK;
    }
    L->jump_seen = 0;
    ar_err e = advance_to(L, t, eb);
    if (e || L->finished) return e;
    /* An event for a bar of this symbol that is already closed (another
     * symbol's later event moved the clock past its close): closed bars
     * never change, and a second bar at that time must not be made. */
    const ar_bars *xb = &L->xm->sym[sym].bars, *ob = &L->om->sym[sym].bars;
    if ((!L->xb[sym].have && xb->n > 0 && floor_to(t, EXEC_IV) <= xb->row[xb->n - 1].t) ||
        (!L->ob[sym].have && ob->n > 0 && floor_to(t, L->oiv) <= ob->row[ob->n - 1].t)) {
        L->skipped++;
        return AR_OK;
    }
    if (L->xb[sym].have && floor_to(t, EXEC_IV) > L->xb[sym].t && bar_close(&L->xm->sym[sym], &L->xb[sym]))
        return ar_errf(eb, AR_ENOMEM, "out of memory");
    if (L->ob[sym].have && floor_to(t, L->oiv) > L->ob[sym].t && bar_close(&L->om->sym[sym], &L->ob[sym]))
        return ar_errf(eb, AR_ENOMEM, "out of memory");
    bar_add(&L->xb[sym], EXEC_IV, t, px, q);
    bar_add(&L->ob[sym], L->oiv, t, px, q);
    return push_tick(L, t, sym, side, px, q, eb);
}

/* ---- public ---------------------------------------------------------------------- */

ar_err ar_live_open(const ar_config *cfg, const ar_live_opts *opts, ar_live **out, ar_errbuf *eb) {
    *out = NULL;
    if (cfg == NULL || opts == NULL || opts->path == NULL || !cfg->live)
        return ar_errf(eb, AR_EINVAL, "live: needs a config with a live section and a run file");
    if (cfg->nsym == 0) return ar_errf(eb, AR_ECONFIG, "%s: market.symbols: missing", cfg->path);
    if (cfg->cadence <= 0) return ar_errf(eb, AR_ECONFIG, "%s: cadence: must be positive", cfg->path);
    ar_live *L = calloc(1, sizeof *L);
    if (L == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
    L->cfg = cfg;
    L->o = *opts;
    L->nsym = cfg->nsym;
    L->oiv = cfg->live_interval;
    L->end = cfg->end ? cfg->end : INT64_MAX;
    L->origin = cfg->start;
    L->path = strdup(opts->path);
    L->om = ar_market_create();
    L->xm = ar_market_create();
    L->ob = calloc(L->nsym, sizeof *L->ob);
    L->xb = calloc(L->nsym, sizeof *L->xb);
    pthread_mutex_init(&L->sh.mu, NULL);
    L->sh.last_pct = -1;
    L->sh.on_call_fail = opts->on_call_fail;
    L->sh.on_call_fail_ctx = opts->on_call_fail_ctx;
    ar_err e = AR_OK;
    if (!L->path || !L->om || !L->xm || !L->ob || !L->xb) {
        e = ar_errf(eb, AR_ENOMEM, "out of memory");
        goto fail;
    }
    snprintf(L->om->source, sizeof L->om->source, "live %s", cfg->live_exchange);
    snprintf(L->xm->source, sizeof L->xm->source, "live %s (1s)", cfg->live_exchange);
    for (size_t s = 0; s < L->nsym; s++) {
        int i = ar_market_add_symbol(L->om, cfg->symbols[s]), j = ar_market_add_symbol(L->xm, cfg->symbols[s]);
        if (i < 0 || j < 0) {
            e = ar_errf(eb, AR_ENOMEM, "out of memory");
            goto fail;
        }
        L->om->sym[i].interval = L->oiv;
        L->xm->sym[j].interval = EXEC_IV;
    }
    if (opts->resume) {
        if ((e = ar_live_state_read(L->path, &L->rs, eb))) goto fail;
        if (L->rs->config_json == NULL || strcmp(L->rs->config_json, cfg->canonical_json)) {
            e = ar_errf(eb, AR_ECONFIG, "%s: was written with another config than %s (a resumed run must use the same one)",
                        L->path, cfg->path);
            goto fail;
        }
        if (L->rs->nsym != L->nsym) {
            e = ar_errf(eb, AR_EFORMAT, "%s: has %zu symbols, the config %zu", L->path, L->rs->nsym, L->nsym);
            goto fail;
        }
        if ((L->w = ar_live_writer_open_append(L->path, eb)) == NULL) {
            e = AR_EIO;
            goto fail;
        }
        if (L->rs->last_tick_t > 0) L->clock = L->resume_t = L->rs->last_tick_t;
    }
    *out = L;
    return AR_OK;
fail:
    {
        ar_errbuf tmp;
        L->finished = 1;
        ar_live_close(L, &tmp);
    }
    return e;
}

ar_err ar_live_trade(ar_live *L, int sym, int64_t t, double price, double qty, int side, ar_errbuf *eb) {
    if (L == NULL) return AR_EINVAL;
    if (!(L->cfg->live_channels & 1)) return AR_OK;
    return on_price(L, sym, t, price, qty, side < 0 ? -1 : side > 0 ? 1 : 0, eb);
}

ar_err ar_live_book(ar_live *L, int sym, int64_t t, double bid, double ask, ar_errbuf *eb) {
    if (L == NULL) return AR_EINVAL;
    if (L->cfg->live_channels & 1) return AR_OK; /* trades are the prices */
    if (!(isfinite(bid) && isfinite(ask) && bid > 0 && ask > bid)) {
        L->skipped++;
        return AR_OK;
    }
    return on_price(L, sym, t, 0.5 * (bid + ask), 0, 0, eb);
}

ar_err ar_live_gap(ar_live *L, int64_t t, ar_errbuf *eb) {
    if (L == NULL) return AR_EINVAL;
    if (!L->started || L->finished) return AR_OK;
    return push_tick(L, t > L->clock ? t : L->clock, -1, AR_TICK_GAP, NAN, 0, eb);
}

ar_err ar_live_flush(ar_live *L, ar_errbuf *eb) {
    if (L == NULL || L->w == NULL) return AR_OK;
    ar_err e = sync_records(L, eb);
    if (e) return e;
    if (L->ep_ready) {
        ar_position *pos = calloc(L->nsym, sizeof *pos);
        if (pos == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
        for (size_t a = 0; a < L->ep.nagents && e == AR_OK; a++) {
            ar_account *acct = L->ep.ag[a].acct;
            for (size_t s = 0; s < L->nsym; s++) pos[s] = *ar_account_position(acct, (int32_t)s);
            e = ar_live_set_state(L->w, L->la[a].w, L->clock, ar_account_cash(acct),
                                  ar_account_equity(acct, L->ep.marks), ar_account_fees_paid(acct),
                                  ar_account_funding_paid(acct), pos, eb);
        }
        free(pos);
        if (e) return e;
    }
    if ((e = ar_live_writer_flush(L->w, eb))) return e;
    L->unflushed = 0;
    return AR_OK;
}

size_t ar_live_unflushed_fills(const ar_live *L) {
    if (L == NULL || !L->ep_ready) return 0;
    size_t n = L->unflushed;
    for (size_t a = 0; a < L->ep.nagents; a++) {
        size_t nf;
        ar_account_fills(L->ep.ag[a].acct, &nf);
        n += nf - L->la[a].fills;
    }
    return n;
}

int ar_live_finished(const ar_live *L) { return L != NULL && L->finished; }

void ar_live_get_status(const ar_live *L, ar_live_status *st) {
    memset(st, 0, sizeof *st);
    if (L == NULL) return;
    st->clock = L->clock;
    st->decisions = L->decisions;
    st->ticks = L->ticks;
    st->skipped = L->skipped;
    st->fills = L->fills;
    st->best_equity = NAN;
    for (size_t a = 0; L->ep_ready && a < L->ep.nagents; a++) {
        const ep_agent *g = &L->ep.ag[a];
        if (g->neq == 0) continue;
        double eq = g->eq[g->neq - 1].equity;
        if (!(eq <= st->best_equity)) {
            st->best_equity = eq;
            snprintf(st->best, sizeof st->best, "%s", g->cfg->name);
        }
    }
}

ar_err ar_live_close(ar_live *L, ar_errbuf *eb) {
    if (L == NULL) return AR_OK;
    ar_err e = AR_OK;
    if (L->ep_ready && !L->finished) e = finish(L, L->clock, eb);
    if (L->w != NULL) {
        if (e == AR_OK) e = ar_live_flush(L, eb);
        ar_errbuf tmp;
        ar_err c = ar_live_writer_close(L->w, e ? &tmp : eb);
        if (e == AR_OK) e = c;
    }
    if (L->ep_ready) ar__episode_cleanup(&L->ep);
    ar__pt_cleanup(&L->pt);
    ar_llm_pool_free(L->pool);
    pthread_mutex_destroy(&L->sh.mu);
    for (size_t a = 0; L->la && a < L->cfg->nagents; a++) free(L->la[a].ord_done);
    free(L->la);
    ar_live_state_free(L->rs);
    ar_market_free(L->om);
    ar_market_free(L->xm);
    free(L->ob);
    free(L->xb);
    free(L->tk);
    free(L->path);
    free(L);
    return e;
}
