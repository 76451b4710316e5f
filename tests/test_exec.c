/* tests/test_exec.c - the execution model: replay cases as data plus a few
 * properties that need C (seeded noise, bad input, config checks).
 *
 * Every tests/cases/exec/NAME.json is one cmocka test, run in name order. A
 * case holds the execution config ("exec", fields by exec.h names; latency,
 * slip_window and funding_interval in seconds), "capital", "interval_s",
 * "bars" {SYM: [[t_s, o, h, l, c, v], ...]} (symbol order = key order),
 * optional "funding" {SYM: [[t_s, rate], ...]} and "seed", "actions" and
 * "expect". The runner, like the engine: before a decision at t it processes
 * every bar whose close time (open + interval) is <= t, in time order across
 * symbols (ties: symbol order); marks are the last processed close per
 * symbol. After the last action it processes the remaining bars, settles
 * the funding left before the last bar's close and calls ar_account_finish
 * there. Expected numbers are written by
 * hand (each case's "why" shows the arithmetic) and compared to 1e-9
 * relative; counts of fills, orders, trades and funding records must match.
 * All mismatches of a case are printed before it fails. */
/* arena-test-deps: exec market util */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "arena/exec.h"
#include "arena/market.h"
#include "arena/util.h"

#define NS AR_NS_PER_S

/* ---- helpers ------------------------------------------------------------- */

static int fails;

static void mismatch(const char *cs, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    print_message("  %s: %s\n", cs, buf);
    fails++;
}

static int close_to(double got, double want) {
    if (isnan(want)) return isnan(got);
    if (isinf(want)) return got == want;
    return fabs(got - want) <= 1e-9 * fmax(fabs(want), 1.0);
}

/* Compare a number field of JSON object e (absent: skipped; null: NAN). */
static void cmp_num(const char *cs, const char *what, json_t *e, const char *key, double got) {
    json_t *v = json_object_get(e, key);
    if (v == NULL) return;
    double want = json_is_null(v) ? NAN : json_number_value(v);
    if (!json_is_null(v) && !json_is_number(v)) {
        mismatch(cs, "%s.%s: expected value is not a number", what, key);
        return;
    }
    if (!close_to(got, want)) mismatch(cs, "%s.%s = %.15g, want %.15g", what, key, got, want);
}

static double num(json_t *o, const char *key, double dflt) {
    json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v)) return dflt;
    if (json_is_true(v)) return 1;
    if (json_is_false(v)) return 0;
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(json_t *o, const char *key, const char *dflt) {
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

static const char *const kind_names[] = {"market", "limit", "stop", "tp", "sl", "liq", "close"};
static const char *const status_names[] = {"pending", "filled", "rejected", "cancelled", "expired"};

/* A misspelt expectation would silently check nothing: refuse unknown keys. */
static void known_keys(const char *cs, const char *what, json_t *o, const char *const *keys) {
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        size_t i = 0;
        while (keys[i] != NULL && strcmp(keys[i], key) != 0) i++;
        if (keys[i] == NULL) mismatch(cs, "%s: unknown key \"%s\"", what, key);
    }
}

/* ---- one case --------------------------------------------------------------- */

typedef struct bar_ev {
    int64_t t;
    int32_t sym;
    size_t i;
} bar_ev;

static int bar_cmp(const void *x, const void *y) {
    const bar_ev *a = x, *b = y;
    if (a->t != b->t) return a->t < b->t ? -1 : 1;
    return (a->sym > b->sym) - (a->sym < b->sym);
}

static void load_cfg(const char *cs, json_t *j, ar_exec_cfg *c) {
    static const char *const keys[] = {"mode", "latency", "taker_bps", "maker_bps", "slip",
        "slip_bps", "slip_k", "slip_window", "slip_noise_bps", "max_leverage",
        "maintenance_margin", "funding_rate", "funding_interval", "both_touched_favorable", NULL};
    ar_exec_cfg_default(c);
    if (j == NULL) return;
    known_keys(cs, "exec", j, keys);
    const char *mode = str(j, "mode", "perp");
    c->mode = strcmp(mode, "spot") == 0 ? AR_MODE_SPOT : AR_MODE_PERP;
    c->latency = (int64_t)llround(num(j, "latency", 0) * NS);
    c->taker_bps = num(j, "taker_bps", c->taker_bps);
    c->maker_bps = num(j, "maker_bps", c->maker_bps);
    const char *slip = str(j, "slip", "none");
    c->slip = strcmp(slip, "fixed") == 0 ? AR_SLIP_FIXED
            : strcmp(slip, "sqrt") == 0  ? AR_SLIP_SQRT
                                         : AR_SLIP_NONE;
    c->slip_bps = num(j, "slip_bps", c->slip_bps);
    c->slip_k = num(j, "slip_k", c->slip_k);
    c->slip_window = (int64_t)llround(num(j, "slip_window", (double)c->slip_window / NS) * NS);
    c->slip_noise_bps = num(j, "slip_noise_bps", c->slip_noise_bps);
    c->max_leverage = num(j, "max_leverage", c->max_leverage);
    c->maintenance_margin = num(j, "maintenance_margin", c->maintenance_margin);
    c->funding_rate = num(j, "funding_rate", c->funding_rate);
    c->funding_interval = (int64_t)llround(num(j, "funding_interval", 0) * NS);
    c->both_touched_favorable = (int)num(j, "both_touched_favorable", 0);
}

static ar_market *load_market(const char *cs, json_t *root) {
    ar_market *m = ar_market_create();
    assert_non_null(m);
    int64_t interval = (int64_t)llround(num(root, "interval_s", 60) * NS);
    const char *name;
    json_t *rows;
    json_object_foreach(json_object_get(root, "bars"), name, rows) {
        int s = ar_market_add_symbol(m, name);
        assert_true(s >= 0);
        m->sym[s].interval = interval;
        size_t k;
        json_t *r;
        json_array_foreach(rows, k, r) {
            if (json_array_size(r) != 6) mismatch(cs, "bars.%s[%zu]: want [t,o,h,l,c,v]", name, k);
            double v[6];
            for (size_t f = 0; f < 6; f++) v[f] = json_number_value(json_array_get(r, f));
            assert_int_equal(ar_bars_push(&m->sym[s].bars, (int64_t)llround(v[0] * NS), v[1],
                                          v[2], v[3], v[4], v[5]),
                             AR_OK);
        }
    }
    json_object_foreach(json_object_get(root, "funding"), name, rows) {
        int s = ar_market_find(m, name);
        if (s < 0) {
            mismatch(cs, "funding.%s: no bars for that symbol", name);
            continue;
        }
        size_t k;
        json_t *r;
        json_array_foreach(rows, k, r)
            assert_int_equal(ar_funding_push(&m->sym[s].funding,
                                              (int64_t)llround(json_number_value(json_array_get(r, 0)) * NS),
                                              json_number_value(json_array_get(r, 1))),
                             AR_OK);
    }
    return m;
}

static void submit_action(const char *cs, ar_account *a, const ar_market *m, json_t *act,
                          int64_t t, const double *marks) {
    static const char *const keys[] = {"t", "sym", "type", "qty", "price", "leverage", "tp", "sl",
                                       "reduce_only", "want_err", NULL};
    known_keys(cs, "actions[]", act, keys);
    const char *type = str(act, "type", "market");
    int sym = ar_market_find(m, str(act, "sym", ""));
    if (json_object_get(act, "sym") == NULL) sym = -1;
    if (strcmp(type, "cancel") == 0) {
        ar_account_cancel(a, t, sym);
        return;
    }
    if (strcmp(type, "set_exit") == 0) {
        ar_err e = ar_account_set_exit(a, sym, num(act, "tp", NAN), num(act, "sl", NAN));
        int want = (int)num(act, "want_err", 0);
        if ((int)e != want) mismatch(cs, "set_exit at %lld: err %d, want %d", (long long)(t / NS), e, want);
        return;
    }
    ar_order_req r;
    memset(&r, 0, sizeof r);
    /* a name the market does not know keeps an out-of-range index */
    r.sym = sym >= 0 ? sym : (json_object_get(act, "sym") != NULL ? (int32_t)m->nsym + 5 : -1);
    r.type = strcmp(type, "limit") == 0 ? AR_OT_LIMIT
           : strcmp(type, "stop") == 0  ? AR_OT_STOP
           : strcmp(type, "close") == 0 ? AR_OT_CLOSE
                                        : AR_OT_MARKET;
    r.qty = num(act, "qty", 0);
    r.price = num(act, "price", NAN);
    r.leverage = num(act, "leverage", 0);
    r.tp = num(act, "tp", NAN);
    r.sl = num(act, "sl", NAN);
    r.reduce_only = (int32_t)num(act, "reduce_only", 0);
    ar_order_rec rec;
    assert_int_equal(ar_account_submit(a, t, &r, marks, &rec), AR_OK);
}

static void check_expect(const char *cs, ar_account *a, const ar_market *m, json_t *ex,
                         const double *marks) {
    size_t n, k;
    json_t *e;
    static const char *const top[] = {"fills", "orders", "trades", "funding", "positions",
        "final_cash", "final_equity", "fees_paid", "funding_paid", "gross_exposure", "npending", NULL};
    static const char *const fk[] = {"t", "sym", "kind", "qty", "price", "ref_price", "fee",
                                     "realized_pnl", "order_id", NULL};
    static const char *const ok[] = {"id", "status", "reason", "filled_qty", "fill_price", "qty",
                                     "t_done", NULL};
    static const char *const tk[] = {"sym", "side", "qty", "entry", "exit", "pnl", "fees",
                                     "funding", "t_open", "t_close", NULL};
    static const char *const uk[] = {"t", "sym", "rate", "price", "qty", "amount", NULL};
    static const char *const pk[] = {"qty", "entry", "margin", "leverage", "liq", "tp", "sl", NULL};
    known_keys(cs, "expect", ex, top);
    const char *key;
    json_array_foreach(json_object_get(ex, "fills"), k, e) known_keys(cs, "fills[]", e, fk);
    json_array_foreach(json_object_get(ex, "orders"), k, e) known_keys(cs, "orders[]", e, ok);
    json_array_foreach(json_object_get(ex, "trades"), k, e) known_keys(cs, "trades[]", e, tk);
    json_array_foreach(json_object_get(ex, "funding"), k, e) known_keys(cs, "funding[]", e, uk);
    json_object_foreach(json_object_get(ex, "positions"), key, e) known_keys(cs, "positions", e, pk);
    json_t *arr = json_object_get(ex, "fills");
    if (arr != NULL) {
        const ar_fill_rec *f = ar_account_fills(a, &n);
        if (n != json_array_size(arr)) mismatch(cs, "%zu fills, want %zu", n, json_array_size(arr));
        json_array_foreach(arr, k, e) {
            if (k >= n) break;
            char what[32];
            snprintf(what, sizeof what, "fills[%zu]", k);
            double t = num(e, "t", NAN);
            if (isfinite(t) && f[k].t != (int64_t)llround(t * NS))
                mismatch(cs, "%s.t = %lld s, want %.0f", what, (long long)(f[k].t / NS), t);
            const char *sym = str(e, "sym", NULL);
            if (sym != NULL && strcmp(sym, m->sym[f[k].sym].name) != 0)
                mismatch(cs, "%s.sym = %s, want %s", what, m->sym[f[k].sym].name, sym);
            const char *kind = str(e, "kind", NULL);
            if (kind != NULL && (f[k].kind < 0 || f[k].kind > 6 || strcmp(kind, kind_names[f[k].kind]) != 0))
                mismatch(cs, "%s.kind = %s, want %s", what,
                         f[k].kind >= 0 && f[k].kind <= 6 ? kind_names[f[k].kind] : "?", kind);
            cmp_num(cs, what, e, "qty", f[k].qty);
            cmp_num(cs, what, e, "price", f[k].price);
            cmp_num(cs, what, e, "ref_price", f[k].ref_price);
            cmp_num(cs, what, e, "fee", f[k].fee);
            cmp_num(cs, what, e, "realized_pnl", f[k].realized_pnl);
            cmp_num(cs, what, e, "order_id", f[k].order_id);
        }
    }
    arr = json_object_get(ex, "orders");
    if (arr != NULL) {
        const ar_order_rec *o = ar_account_orders(a, &n);
        if (n != json_array_size(arr)) mismatch(cs, "%zu orders, want %zu", n, json_array_size(arr));
        json_array_foreach(arr, k, e) {
            size_t id = (size_t)num(e, "id", (double)k);
            if (id >= n) {
                mismatch(cs, "orders: no order %zu", id);
                continue;
            }
            char what[32];
            snprintf(what, sizeof what, "orders[%zu]", id);
            if (o[id].id != (int32_t)id) mismatch(cs, "%s.id = %d", what, o[id].id);
            const char *st = str(e, "status", NULL);
            if (st != NULL && strcmp(st, status_names[o[id].status]) != 0)
                mismatch(cs, "%s.status = %s, want %s", what, status_names[o[id].status], st);
            const char *rs = str(e, "reason", NULL);
            if (rs != NULL && strcmp(rs, ar_reason_name(o[id].reason)) != 0)
                mismatch(cs, "%s.reason = %s, want %s", what, ar_reason_name(o[id].reason), rs);
            cmp_num(cs, what, e, "filled_qty", o[id].filled_qty);
            cmp_num(cs, what, e, "fill_price", o[id].fill_price);
            cmp_num(cs, what, e, "qty", o[id].qty);
            double td = num(e, "t_done", NAN);
            if (isfinite(td) && o[id].t_done != (int64_t)llround(td * NS))
                mismatch(cs, "%s.t_done = %lld s, want %.0f", what, (long long)(o[id].t_done / NS), td);
        }
    }
    arr = json_object_get(ex, "trades");
    if (arr != NULL) {
        const ar_trade_rec *tr = ar_account_trades(a, &n);
        if (n != json_array_size(arr)) mismatch(cs, "%zu trades, want %zu", n, json_array_size(arr));
        json_array_foreach(arr, k, e) {
            if (k >= n) break;
            char what[32];
            snprintf(what, sizeof what, "trades[%zu]", k);
            const char *sym = str(e, "sym", NULL);
            if (sym != NULL && strcmp(sym, m->sym[tr[k].sym].name) != 0)
                mismatch(cs, "%s.sym = %s, want %s", what, m->sym[tr[k].sym].name, sym);
            cmp_num(cs, what, e, "side", tr[k].side);
            cmp_num(cs, what, e, "qty", tr[k].qty);
            cmp_num(cs, what, e, "entry", tr[k].entry);
            cmp_num(cs, what, e, "exit", tr[k].exit);
            cmp_num(cs, what, e, "pnl", tr[k].pnl);
            cmp_num(cs, what, e, "fees", tr[k].fees);
            cmp_num(cs, what, e, "funding", tr[k].funding);
            cmp_num(cs, what, e, "t_open", (double)tr[k].t_open / NS);
            cmp_num(cs, what, e, "t_close", (double)tr[k].t_close / NS);
        }
    }
    arr = json_object_get(ex, "funding");
    if (arr != NULL) {
        const ar_funding_rec *fr = ar_account_funding(a, &n);
        if (n != json_array_size(arr)) mismatch(cs, "%zu funding records, want %zu", n, json_array_size(arr));
        json_array_foreach(arr, k, e) {
            if (k >= n) break;
            char what[32];
            snprintf(what, sizeof what, "funding[%zu]", k);
            const char *sym = str(e, "sym", NULL);
            if (sym != NULL && strcmp(sym, m->sym[fr[k].sym].name) != 0)
                mismatch(cs, "%s.sym = %s, want %s", what, m->sym[fr[k].sym].name, sym);
            cmp_num(cs, what, e, "t", (double)fr[k].t / NS);
            cmp_num(cs, what, e, "rate", fr[k].rate);
            cmp_num(cs, what, e, "price", fr[k].price);
            cmp_num(cs, what, e, "qty", fr[k].qty);
            cmp_num(cs, what, e, "amount", fr[k].amount);
        }
    }
    const char *name;
    json_object_foreach(json_object_get(ex, "positions"), name, e) {
        int s = ar_market_find(m, name);
        if (s < 0) {
            mismatch(cs, "positions.%s: unknown symbol", name);
            continue;
        }
        const ar_position *p = ar_account_position(a, s);
        char what[48];
        snprintf(what, sizeof what, "positions.%s", name);
        cmp_num(cs, what, e, "qty", p->qty);
        cmp_num(cs, what, e, "entry", p->entry);
        cmp_num(cs, what, e, "margin", p->margin);
        cmp_num(cs, what, e, "leverage", p->leverage);
        cmp_num(cs, what, e, "liq", p->liq);
        cmp_num(cs, what, e, "tp", p->tp);
        cmp_num(cs, what, e, "sl", p->sl);
    }
    cmp_num(cs, "final", ex, "final_cash", ar_account_cash(a));
    cmp_num(cs, "final", ex, "final_equity", ar_account_equity(a, marks));
    cmp_num(cs, "final", ex, "fees_paid", ar_account_fees_paid(a));
    cmp_num(cs, "final", ex, "funding_paid", ar_account_funding_paid(a));
    cmp_num(cs, "final", ex, "gross_exposure", ar_account_gross_exposure(a, marks));
    cmp_num(cs, "final", ex, "npending", (double)ar_account_npending(a));
}

static void run_case(void **state) {
    const char *path = *state;
    const char *cs = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    fails = 0;
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (root == NULL) fail_msg("%s:%d: %s", path, je.line, je.text);
    static const char *const keys[] = {"why", "exec", "capital", "seed", "interval_s", "bars",
                                       "funding", "actions", "expect", NULL};
    known_keys(cs, "case", root, keys);
    ar_market *m = load_market(cs, root);
    ar_exec_cfg cfg;
    load_cfg(cs, json_object_get(root, "exec"), &cfg);
    ar_errbuf eb;
    ar_account *a = ar_account_create(&cfg, m, num(root, "capital", 10000),
                                      (uint64_t)num(root, "seed", 1), &eb);
    if (a == NULL) fail_msg("%s: %s", cs, eb.msg);

    /* the bar stream: every bar of every symbol, by open time then symbol */
    size_t nb = 0;
    for (size_t s = 0; s < m->nsym; s++) nb += m->sym[s].bars.n;
    bar_ev *bars = calloc(nb ? nb : 1, sizeof *bars);
    assert_non_null(bars);
    size_t k = 0;
    int64_t t_end = 0;
    for (size_t s = 0; s < m->nsym; s++)
        for (size_t i = 0; i < m->sym[s].bars.n; i++) {
            bars[k++] = (bar_ev){m->sym[s].bars.row[i].t, (int32_t)s, i};
            int64_t tc = m->sym[s].bars.row[i].t + m->sym[s].interval;
            if (tc > t_end) t_end = tc;
        }
    qsort(bars, nb, sizeof *bars, bar_cmp);
    double *marks = malloc((m->nsym ? m->nsym : 1) * sizeof *marks);
    assert_non_null(marks);
    for (size_t s = 0; s < m->nsym; s++) marks[s] = NAN;

    size_t next = 0, ai;
    json_t *act;
    json_array_foreach(json_object_get(root, "actions"), ai, act) {
        int64_t t = (int64_t)llround(num(act, "t", 0) * NS);
        while (next < nb && bars[next].t + m->sym[bars[next].sym].interval <= t) {
            ar_account_on_bar(a, bars[next].sym, bars[next].i);
            marks[bars[next].sym] = m->sym[bars[next].sym].bars.row[bars[next].i].close;
            next++;
        }
        submit_action(cs, a, m, act, t, marks);
    }
    for (; next < nb; next++) {
        ar_account_on_bar(a, bars[next].sym, bars[next].i);
        marks[bars[next].sym] = m->sym[bars[next].sym].bars.row[bars[next].i].close;
    }
    ar_account_settle_funding(a, t_end, marks);
    ar_account_finish(a, t_end);
    check_expect(cs, a, m, json_object_get(root, "expect"), marks);

    if (fails) print_message("  %s: why: %s\n", cs, str(root, "why", "-"));
    free(marks);
    free(bars);
    ar_account_free(a);
    ar_market_free(m);
    json_decref(root);
    if (fails) fail_msg("%s: %d mismatches (see above)", cs, fails);
}

/* ---- properties in C -------------------------------------------------------- */

/* A market of one symbol with n bars at 100 that rise by step. */
static ar_market *flat_market(size_t n, double step) {
    ar_market *m = ar_market_create();
    assert_non_null(m);
    int s = ar_market_add_symbol(m, "BTC");
    assert_int_equal(s, 0);
    m->sym[0].interval = 60 * NS;
    for (size_t i = 0; i < n; i++) {
        double p = 100 + step * (double)i;
        assert_int_equal(ar_bars_push(&m->sym[0].bars, (int64_t)i * 60 * NS, p, p + 1, p - 1, p, 10), AR_OK);
    }
    return m;
}

/* Buy and sell every bar; return the fill prices. */
static void noisy_fills(const ar_market *m, uint64_t seed, double *px, size_t n) {
    ar_exec_cfg c;
    ar_exec_cfg_default(&c);
    c.slip = AR_SLIP_FIXED;
    c.slip_bps = 2;
    c.slip_noise_bps = 5;
    ar_account *a = ar_account_create(&c, m, 1e6, seed, NULL);
    assert_non_null(a);
    double mark = 100;
    for (size_t i = 0; i < n; i++) {
        ar_order_req r = {0, AR_OT_MARKET, i % 2 ? -1.0 : 1.0, NAN, 1, NAN, NAN, 0};
        ar_order_rec rec;
        assert_int_equal(ar_account_submit(a, (int64_t)i * 60 * NS, &r, &mark, &rec), AR_OK);
        assert_int_equal(rec.status, AR_OS_PENDING);
        ar_account_on_bar(a, 0, i);
        mark = m->sym[0].bars.row[i].close;
    }
    size_t nf;
    const ar_fill_rec *f = ar_account_fills(a, &nf);
    assert_int_equal(nf, n);
    for (size_t i = 0; i < n; i++) {
        px[i] = f[i].price;
        /* adverse, and at least the fixed part */
        double ref = f[i].ref_price;
        if (f[i].qty > 0)
            assert_true(px[i] >= ref * (1 + 2e-4) - 1e-12);
        else
            assert_true(px[i] <= ref * (1 - 2e-4) + 1e-12);
    }
    ar_account_free(a);
}

static void noise_is_seeded(void **state) {
    (void)state;
    ar_market *m = flat_market(20, 0.5);
    double a[20], b[20], c[20];
    noisy_fills(m, 42, a, 20);
    noisy_fills(m, 42, b, 20);
    noisy_fills(m, 43, c, 20);
    assert_memory_equal(a, b, sizeof a);
    int differ = 0;
    for (size_t i = 0; i < 20; i++) differ |= a[i] != c[i];
    assert_true(differ);
    /* seeds differing only in the high 32 bits give different streams too */
    noisy_fills(m, 42 | (UINT64_C(1) << 40), c, 20);
    differ = 0;
    for (size_t i = 0; i < 20; i++) differ |= a[i] != c[i];
    assert_true(differ);
    ar_market_free(m);
}

/* ar_account_drain_logs: what a sink receives, log by log. */
typedef struct {
    unsigned char *rows[AR_LOG_SLOTS];
    size_t bytes[AR_LOG_SLOTS];
} collected;

static ar_err collect_rows(void *ctx, ar_log log, const void *recs, size_t n, size_t size) {
    collected *c = ctx;
    unsigned char *p = realloc(c->rows[log], c->bytes[log] + n * size);
    if (p == NULL) return AR_ENOMEM;
    memcpy(p + c->bytes[log], recs, n * size);
    c->rows[log] = p;
    c->bytes[log] += n * size;
    return AR_OK;
}

static void same_log(const collected *c, ar_log log, const void *tail, size_t ntail, size_t size,
                     const void *whole, size_t nwhole) {
    assert_int_equal(c->bytes[log] + ntail * size, nwhole * size);
    if (c->bytes[log]) assert_memory_equal(c->rows[log], whole, c->bytes[log]);
    if (ntail) assert_memory_equal(tail, (const unsigned char *)whole + c->bytes[log], ntail * size);
}

/* An account that hands its settled records out as it goes logs, over
 * the two, exactly what one that keeps them does: the same orders (ids
 * counting on across drains), fills naming their orders by those ids, the
 * same round trips. A pending order holds back itself and later orders. */
static void drain_keeps_ids(void **state) {
    (void)state;
    ar_market *m = flat_market(24, -2.0); /* 100, 98, ... */
    ar_exec_cfg c;
    ar_exec_cfg_default(&c);
    ar_account *a = ar_account_create(&c, m, 1e6, 1, NULL), *b = ar_account_create(&c, m, 1e6, 1, NULL);
    assert_non_null(a);
    assert_non_null(b);
    collected got = {{0}, {0}};
    double mark = 100;
    ar_order_req lim = {0, AR_OT_LIMIT, 2.0, 80.5, 1, NAN, NAN, 0};
    assert_int_equal(ar_account_submit(a, 0, &lim, &mark, NULL), AR_OK);
    assert_int_equal(ar_account_submit(b, 0, &lim, &mark, NULL), AR_OK);
    size_t out_while_pending = SIZE_MAX;
    for (size_t i = 0; i < 24; i++) {
        ar_order_req r = {0, AR_OT_MARKET, i % 2 ? -1.0 : 1.0, NAN, 1, NAN, NAN, 0};
        int64_t t = (int64_t)i * 60 * NS;
        assert_int_equal(ar_account_submit(a, t, &r, &mark, NULL), AR_OK);
        assert_int_equal(ar_account_submit(b, t, &r, &mark, NULL), AR_OK);
        ar_account_on_bar(a, 0, i);
        ar_account_on_bar(b, 0, i);
        mark = m->sym[0].bars.row[i].close;
        if (i % 3 == 2) {
            assert_int_equal(ar_account_drain_logs(a, 1, collect_rows, &got), AR_OK);
            if (i == 5) out_while_pending = ar_account_orders_out(a);
        }
    }
    /* the limit (id 0) was pending at bar 5: nothing of the orders left */
    assert_int_equal(out_while_pending, 0);
    assert_true(ar_account_orders_out(a) > 10);
    size_t na, nb, fa, fb, ta, tb;
    const ar_order_rec *oa = ar_account_orders(a, &na), *ob = ar_account_orders(b, &nb);
    const ar_fill_rec *xa = ar_account_fills(a, &fa), *xb = ar_account_fills(b, &fb);
    const ar_trade_rec *ra = ar_account_trades(a, &ta), *rb = ar_account_trades(b, &tb);
    assert_true(got.bytes[AR_LOG_FILLS] > 0 && got.bytes[AR_LOG_TRADES] > 0);
    assert_int_equal(ar_account_orders_out(a) * sizeof *oa, got.bytes[AR_LOG_ORDERS]);
    same_log(&got, AR_LOG_ORDERS, oa, na, sizeof *oa, ob, nb);
    same_log(&got, AR_LOG_FILLS, xa, fa, sizeof *xa, xb, fb);
    same_log(&got, AR_LOG_TRADES, ra, ta, sizeof *ra, rb, tb);
    /* the limit filled, under its own id, after drains had begun */
    int limit_filled = 0;
    for (size_t k = 0; k < fb; k++) limit_filled |= xb[k].order_id == 0 && xb[k].kind == AR_FK_LIMIT && xb[k].t > 5 * 60 * NS;
    assert_true(limit_filled);
    for (size_t k = 0; k < nb; k++) assert_int_equal(ob[k].id, (int32_t)k);
    assert_true(ar_account_equity(a, &mark) == ar_account_equity(b, &mark));
    for (int k = 0; k < AR_LOG_SLOTS; k++) free(got.rows[k]);
    ar_account_free(a);
    ar_account_free(b);
    ar_market_free(m);
}

static void bad_config_and_input(void **state) {
    (void)state;
    ar_market *m = flat_market(3, 0);
    ar_exec_cfg c;
    ar_errbuf eb;
    ar_exec_cfg_default(&c);
    c.maintenance_margin = 1.5;
    assert_null(ar_account_create(&c, m, 1000, 1, &eb));
    assert_non_null(strstr(eb.msg, "maintenance_margin"));
    ar_exec_cfg_default(&c);
    c.max_leverage = 0.5;
    assert_null(ar_account_create(&c, m, 1000, 1, &eb));
    ar_exec_cfg_default(&c);
    c.taker_bps = NAN;
    assert_null(ar_account_create(&c, m, 1000, 1, &eb));
    ar_exec_cfg_default(&c);
    assert_null(ar_account_create(&c, m, NAN, 1, &eb));
    assert_null(ar_account_create(NULL, m, 1000, 1, &eb));

    ar_account *a = ar_account_create(&c, m, 1000, 1, &eb);
    assert_non_null(a);
    /* calls that must not crash and must change nothing */
    ar_account_on_bar(a, -1, 0);
    ar_account_on_bar(a, 7, 0);
    ar_account_on_bar(a, 0, 99);
    ar_account_on_bar(NULL, 0, 0);
    ar_account_cancel(NULL, 0, -1);
    ar_account_finish(NULL, 0);
    ar_account_free(NULL);
    assert_null(ar_account_position(a, 3));
    assert_int_equal(ar_account_set_exit(a, 0, 110, 90), AR_ESTATE);
    assert_int_equal(ar_account_set_exit(a, 9, 110, 90), AR_EINVAL);
    assert_int_equal(ar_account_submit(a, 0, NULL, NULL, NULL), AR_EINVAL);
    ar_order_rec rec;
    ar_order_req r = {0, AR_OT_MARKET, 1, NAN, 1, NAN, NAN, 0};
    assert_int_equal(ar_account_submit(a, 0, &r, NULL, &rec), AR_OK); /* no marks */
    assert_int_equal(rec.status, AR_OS_REJECTED);
    assert_int_equal(rec.reason, AR_R_NO_DATA);
    double mark = 100;
    r.type = 9;
    assert_int_equal(ar_account_submit(a, 0, &r, &mark, &rec), AR_OK);
    assert_int_equal(rec.reason, AR_R_BAD_SIGNAL);
    r.type = AR_OT_MARKET;
    r.qty = INFINITY;
    assert_int_equal(ar_account_submit(a, 0, &r, &mark, &rec), AR_OK);
    assert_int_equal(rec.reason, AR_R_BAD_QTY);
    r.qty = 1;
    r.leverage = NAN;
    assert_int_equal(ar_account_submit(a, 0, &r, &mark, &rec), AR_OK);
    assert_int_equal(rec.reason, AR_R_LEVERAGE);
    r.leverage = 1;
    r.tp = -5;
    assert_int_equal(ar_account_submit(a, 0, &r, &mark, &rec), AR_OK);
    assert_int_equal(rec.reason, AR_R_BAD_PRICE);
    assert_int_equal(rec.id, 4);
    assert_int_equal(ar_account_npending(a), 0);
    assert_true(ar_account_equity(a, &mark) == 1000);
    ar_account_free(a);

    /* a bar with a NaN price trades nothing and the next bar takes over */
    m->sym[0].bars.row[1].open = NAN;
    a = ar_account_create(&c, m, 1000, 1, &eb);
    assert_non_null(a);
    ar_account_on_bar(a, 0, 0);
    r.tp = NAN;
    assert_int_equal(ar_account_submit(a, 60 * NS, &r, &mark, &rec), AR_OK);
    ar_account_on_bar(a, 0, 1);
    assert_int_equal(ar_account_npending(a), 1);
    ar_account_on_bar(a, 0, 2);
    assert_int_equal(ar_account_npending(a), 0);
    assert_true(ar_account_position(a, 0)->qty == 1);
    ar_account_free(a);
    ar_market_free(m);
}

static void reason_names(void **state) {
    (void)state;
    assert_string_equal(ar_reason_name(AR_R_MARGIN_SHORT), "margin_short");
    assert_string_equal(ar_reason_name(AR_R_CLIPPED), "clipped_to_cash");
    assert_string_equal(ar_reason_name(AR_R_AGENT_ERROR), "agent_error");
    assert_string_equal(ar_reason_name(-1), "unknown");
    assert_string_equal(ar_reason_name(AR_R_COUNT), "unknown");
}

/* ---- main ------------------------------------------------------------------ */

static int name_cmp(const void *x, const void *y) {
    return strcmp(*(char *const *)x, *(char *const *)y);
}

int main(void) {
    const char *dir = ARENA_SOURCE_DIR "/tests/cases/exec";
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "test_exec: cannot open %s\n", dir);
        return 1;
    }
    size_t n = 0, cap = 64;
    char **names = malloc(cap * sizeof *names);
    struct dirent *de;
    while (names != NULL && (de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0) continue;
        if (n == cap) {
            char **nn = realloc(names, (cap *= 2) * sizeof *names);
            if (nn == NULL) break;
            names = nn;
        }
        size_t sz = strlen(dir) + len + 2;
        names[n] = malloc(sz);
        snprintf(names[n], sz, "%s/%s", dir, de->d_name);
        n++;
    }
    closedir(d);
    if (names == NULL || n == 0) {
        fprintf(stderr, "test_exec: no cases in %s\n", dir);
        return 1;
    }
    qsort(names, n, sizeof *names, name_cmp);
    struct CMUnitTest *tests = calloc(n + 4, sizeof *tests);
    for (size_t i = 0; i < n; i++) {
        tests[i].name = strrchr(names[i], '/') + 1;
        tests[i].test_func = run_case;
        tests[i].initial_state = names[i];
    }
    tests[n] = (struct CMUnitTest)cmocka_unit_test(noise_is_seeded);
    tests[n + 1] = (struct CMUnitTest)cmocka_unit_test(bad_config_and_input);
    tests[n + 2] = (struct CMUnitTest)cmocka_unit_test(reason_names);
    tests[n + 3] = (struct CMUnitTest)cmocka_unit_test(drain_keeps_ids);
    int rc = _cmocka_run_group_tests("exec", tests, n + 4, NULL, NULL);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    free(tests);
    return rc;
}
