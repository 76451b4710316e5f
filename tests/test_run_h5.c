/* tests/test_run_h5.c - run files: write, read back, byte-identical rewrite,
 * clean failure, format checks, a large equity log, and equity curves
 * handed to the writer in blocks (ar_run_writer) and read back in blocks.
 *
 * `test_run_h5 --fixture PATH` only writes the fixture run to PATH and
 * exits; tests/cli_runfile.sh uses it so that it never depends on CTest's
 * order. */
/* arena-test-deps: store market util */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/resource.h>
#include <cmocka.h>
#include "arena/run.h"
#include "arena/store.h"
#include "arena/util.h"

#include "hdf5_api.h" /* the old-layout test edits a written file with HDF5 */

static void *xcalloc(size_t n, size_t s) {
    void *p = calloc(n ? n : 1, s);
    assert_non_null(p);
    return p;
}

/* Records with values that differ per (episode, agent, row) so that any
 * mix-up of rows, fields or agents shows in the comparison. */
static void fill_agent(ar_run_agent *a, const char *name, const char *kind, const char *detail, int e, int i) {
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", name);
    snprintf(a->kind, sizeof a->kind, "%s", kind);
    snprintf(a->detail, sizeof a->detail, "%s", detail);
    a->baseline = i;
    a->capital = 10000;
    a->final_equity = 10000 + 100.25 * (e + 1) - 7.5 * i;
    a->fees = 1.5 + e + i;
    a->funding = -0.125 * (e + i);
    int64_t t0 = INT64_C(1700000000000000000) + e * AR_NS_PER_DAY;
    int base = 100 * e + 10 * i;

    a->norders = 3;
    a->orders = xcalloc(a->norders, sizeof *a->orders);
    for (size_t k = 0; k < a->norders; k++) {
        ar_order_rec *o = &a->orders[k];
        o->t_decision = t0 + (int64_t)k * 180 * AR_NS_PER_S;
        o->t_active = o->t_decision + 5;
        o->t_done = k == 2 ? 0 : o->t_active + 60 * AR_NS_PER_S;
        o->id = base + (int)k;
        o->sym = (int)k % 2;
        o->type = (int)k % 4;
        o->status = k == 1 ? AR_OS_REJECTED : AR_OS_FILLED;
        o->reason = k == 1 ? AR_R_MARGIN_SHORT : AR_R_NONE;
        o->reduce_only = (int)k == 2;
        o->qty = (k % 2 ? -1.0 : 1.0) * (0.5 + base);
        o->price = 30000.5 + base;
        o->leverage = 3;
        o->tp = k == 0 ? 31000 : NAN;
        o->sl = k == 0 ? 29000 : NAN;
        o->filled_qty = k == 1 ? 0 : o->qty;
        o->fill_price = k == 1 ? NAN : 30001.25 + base;
    }
    a->nfills = 2;
    a->fills = xcalloc(a->nfills, sizeof *a->fills);
    for (size_t k = 0; k < a->nfills; k++) {
        ar_fill_rec *f = &a->fills[k];
        f->t = t0 + (int64_t)k * 1000 + 1;
        f->order_id = k ? -1 : base;
        f->sym = 1;
        f->kind = k ? AR_FK_TP : AR_FK_MARKET;
        f->maker = (int)k;
        f->qty = k ? -0.75 : 0.75;
        f->price = 2000.125 + base;
        f->ref_price = 2000 + base;
        f->fee = 0.675 + k;
        f->realized_pnl = k ? 12.5 : 0;
    }
    a->ntrades = 2;
    a->trades = xcalloc(a->ntrades, sizeof *a->trades);
    for (size_t k = 0; k < a->ntrades; k++) {
        ar_trade_rec *t = &a->trades[k];
        t->t_open = t0 + (int64_t)k * 7;
        t->t_close = t->t_open + 3 * AR_NS_PER_HOUR;
        t->sym = (int)k;
        t->side = k ? -1 : 1;
        t->qty = 0.75 + base;
        t->entry = 2000 + k;
        t->exit = 2010 - 30.0 * k;
        t->pnl = k ? -22.5 : 7.25 + base;
        t->fees = 1.35;
        t->funding = 0.01 * (double)k;
    }
    a->nfunding = 2;
    a->funding_log = xcalloc(a->nfunding, sizeof *a->funding_log);
    for (size_t k = 0; k < a->nfunding; k++) {
        ar_funding_rec *f = &a->funding_log[k];
        f->t = t0 + (int64_t)(k + 1) * 8 * AR_NS_PER_HOUR;
        f->sym = (int)k;
        f->pad_ = 0;
        f->rate = 0.0001 * (double)(k + 1);
        f->price = 2005 + base;
        f->qty = -0.75;
        f->amount = -0.15 * (double)(k + 1);
    }
    a->nequity = 4;
    a->equity = xcalloc(a->nequity, sizeof *a->equity);
    for (size_t k = 0; k < a->nequity; k++) {
        ar_equity_rec *q = &a->equity[k];
        q->t = t0 + (int64_t)k * 180 * AR_NS_PER_S;
        q->equity = 10000 + 3.5 * (double)k * (i ? -1 : 1) + base;
        q->cash = 9000 - (double)k;
        q->gross_exposure = 1500.5 * (double)k;
    }
    a->ndecisions = 3;
    a->decisions = xcalloc(a->ndecisions, sizeof *a->decisions);
    for (size_t k = 0; k < a->ndecisions; k++) {
        ar_decision_rec *d = &a->decisions[k];
        d->t = t0 + (int64_t)k * 180 * AR_NS_PER_S;
        d->n_actions = (int)k + 1;
        d->n_rejected = k == 1;
        d->status = k == 2;
        d->reason = k == 2 ? AR_R_BAD_JSON : 0;
        d->equity = 10000 - (double)k * 0.5;
    }
    if (strcmp(kind, "llm") != 0) return;
    /* Model calls: per decision the answer text, then its parsed actions,
     * laid end to end in the answers blob. The last call failed (no price,
     * no answer: cost NAN, empty slices). */
    static const char *const answers[] = {"{\"actions\":[{\"op\":\"buy\",\"coin\":\"BTC\",\"qty\":0.5}]}",
                                          "Kaufe \xe2\x82\xac-Paar?\n{\"actions\":[]}"};
    static const char *const actions[] = {"[{\"coin\":\"BTC\",\"op\":\"buy\",\"qty\":0.5}]", "[]"};
    a->nllm = 3;
    a->llm = xcalloc(a->nllm, sizeof *a->llm);
    a->answers = xcalloc(512, 1);
    for (size_t k = 0; k < a->nllm; k++) {
        ar_llm_rec *l = &a->llm[k];
        l->t = t0 + (int64_t)k * 180 * AR_NS_PER_S;
        l->prompt_system = k == 2 ? -1 : 0;
        l->prompt_user = (int32_t)(1 + (k + (size_t)e) % 3);
        l->status = k == 2;
        l->reason = k == 2 ? AR_R_TIMEOUT : 0;
        l->http_status = k == 2 ? 0 : 200;
        l->attempts = (int32_t)k + 1;
        l->n_actions = k == 0;
        l->n_accepted = k == 0;
        l->cached = (int32_t)(e + (int)k) % 2;
        l->latency_ms = 812.5 + 100 * (double)k + e;
        l->cost_usd = k == 2 ? NAN : 0.00125 * (double)(k + 1);
        l->tokens_in = INT64_C(1200) + 10 * (int64_t)k + base;
        l->tokens_out = k == 2 ? 0 : 40 + (int64_t)k;
        if (k < 2) {
            size_t al = strlen(answers[k]), cl = strlen(actions[k]);
            l->answer_off = (int64_t)a->answers_len;
            l->answer_len = (int64_t)al;
            memcpy(a->answers + a->answers_len, answers[k], al);
            a->answers_len += al;
            l->actions_off = (int64_t)a->answers_len;
            l->actions_len = (int64_t)cl;
            memcpy(a->answers + a->answers_len, actions[k], cl);
            a->answers_len += cl;
        } else {
            l->answer_off = l->actions_off = (int64_t)a->answers_len;
        }
    }
}

/* Prompt texts: a system prompt, user prompts with newlines and UTF-8, and
 * an empty one (a zero-length span in /prompts/text). */
static const char *const PROMPTS[] = {
    "You are a trader. Answer with JSON only.",
    "t=2023-11-14T22:13:20Z\nBTC 37000.5 \xe2\x86\x91 +1.2%\nETH-PERP 2000.125\nequity 10000 \xe2\x82\xac\n",
    "",
    "Zweite Runde: \xc3\xa4\xc3\xb6\xc3\xbc \xf0\x9f\x93\x88\n\nWhat now?",
};
#define NPROMPTS (sizeof PROMPTS / sizeof PROMPTS[0])

static ar_run *make_run(void) {
    ar_run *r = xcalloc(1, sizeof *r);
    snprintf(r->name, sizeof r->name, "fixture run");
    r->config_json = strdup("{\"execution\":{\"fees\":{\"taker_bps\":4.5}},\"name\":\"fixture run\",\"seeds\":[1,2]}");
    r->manifest_json = strdup("{\"arena\":\"0.1.0\",\"data_sha256\":\"ab\",\"seed\":7}");
    r->cadence = 3 * AR_NS_PER_MIN;
    r->capital = 10000;
    r->mode = AR_MODE_PERP;
    r->nsym = 2;
    r->symbols = xcalloc(2, AR_SYM_MAX);
    strcpy(r->symbols[0], "BTC");
    strcpy(r->symbols[1], "ETH-PERP");
    r->nepisodes = 2;
    r->episodes = xcalloc(2, sizeof *r->episodes);
    for (int e = 0; e < 2; e++) {
        ar_run_episode *ep = &r->episodes[e];
        ep->window = e;
        ep->seed = UINT64_C(0xfedcba9876543210) + (uint64_t)e;
        ep->start = INT64_C(1700000000000000000) + e * AR_NS_PER_DAY;
        ep->end = ep->start + AR_NS_PER_DAY;
        ep->nagents = 2;
        ep->agents = xcalloc(2, sizeof *ep->agents);
        /* "zeta" before "alpha": order must survive even though names sort
         * the other way. */
        fill_agent(&ep->agents[0], "zeta-sma", "builtin", "sma_cross", e, 0);
        fill_agent(&ep->agents[1], "alpha_llm", "llm", "openai/gpt-4o", e, 1);
    }
    r->nprompts = NPROMPTS;
    r->prompts = xcalloc(NPROMPTS, sizeof *r->prompts);
    for (size_t i = 0; i < NPROMPTS; i++) assert_non_null(r->prompts[i] = strdup(PROMPTS[i]));
    r->rescored = 1;
    return r;
}

/* Check a call's status and show the error line when it is not AR_OK. */
#define OK(call) \
    do { \
        ar_err e_ = (call); \
        if (e_ != AR_OK) print_error("%s\n", eb.msg); \
        assert_int_equal(e_, AR_OK); \
    } while (0)

#define CMP_ARR(x, y, n) \
    do { \
        if ((n) > 0) assert_memory_equal((x), (y), (n) * sizeof *(x)); \
    } while (0)

static void assert_runs_equal(const ar_run *a, const ar_run *b) {
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->config_json, b->config_json);
    assert_string_equal(a->manifest_json, b->manifest_json);
    assert_int_equal(a->cadence, b->cadence);
    assert_true(a->capital == b->capital);
    assert_int_equal(a->mode, b->mode);
    assert_int_equal(a->nsym, b->nsym);
    for (size_t i = 0; i < a->nsym; i++) assert_string_equal(a->symbols[i], b->symbols[i]);
    assert_int_equal(a->rescored, b->rescored);
    assert_int_equal(a->nprompts, b->nprompts);
    for (size_t i = 0; i < a->nprompts; i++) assert_string_equal(a->prompts[i], b->prompts[i]);
    assert_int_equal(a->nepisodes, b->nepisodes);
    for (size_t e = 0; e < a->nepisodes; e++) {
        const ar_run_episode *x = &a->episodes[e], *y = &b->episodes[e];
        assert_int_equal(x->window, y->window);
        assert_true(x->seed == y->seed);
        assert_int_equal(x->start, y->start);
        assert_int_equal(x->end, y->end);
        assert_int_equal(x->nagents, y->nagents);
        for (size_t i = 0; i < x->nagents; i++) {
            const ar_run_agent *p = &x->agents[i], *q = &y->agents[i];
            assert_string_equal(p->name, q->name);
            assert_string_equal(p->kind, q->kind);
            assert_string_equal(p->detail, q->detail);
            assert_int_equal(p->baseline, q->baseline);
            assert_true(p->capital == q->capital);
            assert_true(p->final_equity == q->final_equity);
            assert_true(p->fees == q->fees);
            assert_true(p->funding == q->funding);
            assert_int_equal(p->norders, q->norders);
            assert_int_equal(p->nfills, q->nfills);
            assert_int_equal(p->ntrades, q->ntrades);
            assert_int_equal(p->nfunding, q->nfunding);
            assert_int_equal(p->nequity, q->nequity);
            assert_int_equal(p->ndecisions, q->ndecisions);
            /* Whole records byte for byte: every field (NAN bit patterns too). */
            CMP_ARR(p->orders, q->orders, p->norders);
            CMP_ARR(p->fills, q->fills, p->nfills);
            CMP_ARR(p->trades, q->trades, p->ntrades);
            CMP_ARR(p->funding_log, q->funding_log, p->nfunding);
            CMP_ARR(p->equity, q->equity, p->nequity);
            CMP_ARR(p->decisions, q->decisions, p->ndecisions);
            assert_int_equal(p->nllm, q->nllm);
            CMP_ARR(p->llm, q->llm, p->nllm);
            assert_int_equal(p->answers_len, q->answers_len);
            CMP_ARR(p->answers, q->answers, p->answers_len);
        }
    }
}

static unsigned char *slurp(const char *path, size_t *n) {
    char *buf = NULL;
    ar_errbuf eb;
    assert_int_equal(ar_read_file(path, &buf, n, &eb), AR_OK);
    return (unsigned char *)buf;
}

/* The two files hold the same bytes (and more than a header's worth). */
static void same_bytes(const char *p, const char *q) {
    size_t na, nb;
    unsigned char *a = slurp(p, &na), *b = slurp(q, &nb);
    assert_int_equal(na, nb);
    assert_true(na > 1000);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
}

static void roundtrip(void **state) {
    (void)state;
    ar_run *r = make_run();
    ar_errbuf eb = {{0}};
    const char *path = "test_run_h5_roundtrip.h5";
    OK(ar_run_h5_write(path, r, &eb));
    ar_run *back = NULL;
    OK(ar_run_h5_read(path, &back, &eb));
    assert_runs_equal(r, back);
    /* Spot checks by value, so a symmetric bug in both directions shows. */
    assert_string_equal(back->episodes[1].agents[0].name, "zeta-sma");
    assert_string_equal(back->episodes[1].agents[1].name, "alpha_llm");
    assert_string_equal(back->episodes[1].agents[1].detail, "openai/gpt-4o");
    assert_true(back->episodes[1].seed == UINT64_C(0xfedcba9876543211));
    assert_true(back->episodes[1].agents[1].trades[0].pnl == 7.25 + 110);
    assert_true(isnan(back->episodes[0].agents[0].orders[1].tp));
    assert_int_equal(back->episodes[0].agents[1].decisions[2].reason, AR_R_BAD_JSON);
    assert_true(back->episodes[0].agents[1].funding_log[1].amount == -0.30);
    assert_string_equal(back->symbols[1], "ETH-PERP");
    assert_int_equal(back->rescored, 1);
    assert_int_equal(back->nprompts, 4);
    assert_string_equal(back->prompts[2], "");
    assert_string_equal(back->prompts[3], "Zweite Runde: \xc3\xa4\xc3\xb6\xc3\xbc \xf0\x9f\x93\x88\n\nWhat now?");
    /* An answer and its parsed actions by their slices of the blob. */
    const ar_run_agent *al = &back->episodes[1].agents[1];
    assert_int_equal(al->nllm, 3);
    assert_int_equal(back->episodes[1].agents[0].nllm, 0);
    assert_int_equal(back->episodes[1].agents[0].answers_len, 0);
    const ar_llm_rec *c1 = &al->llm[1];
    assert_string_equal(back->prompts[c1->prompt_user], PROMPTS[3]);
    assert_int_equal(c1->answer_len, strlen("Kaufe \xe2\x82\xac-Paar?\n{\"actions\":[]}"));
    assert_memory_equal(al->answers + c1->answer_off, "Kaufe \xe2\x82\xac-Paar?\n{", 17);
    assert_memory_equal(al->answers + c1->actions_off, "[]", 2);
    assert_true(isnan(al->llm[2].cost_usd));
    assert_true(al->llm[0].cost_usd == 0.00125);
    assert_int_equal(al->llm[2].prompt_system, -1);
    assert_int_equal(al->llm[2].reason, AR_R_TIMEOUT);
    assert_int_equal(al->llm[0].tokens_in, 1200 + 110);
    ar_run_free(back);
    ar_run_free(r);
    unlink(path);
}

static void empty_logs_roundtrip(void **state) {
    (void)state;
    ar_run *r = make_run();
    ar_run_agent_cleanup(&r->episodes[0].agents[1]); /* no records at all */
    free(r->config_json);
    r->config_json = NULL; /* written as "" */
    ar_errbuf eb = {{0}};
    const char *path = "test_run_h5_empty.h5";
    OK(ar_run_h5_write(path, r, &eb));
    ar_run *back = NULL;
    OK(ar_run_h5_read(path, &back, &eb));
    assert_string_equal(back->config_json, "");
    const ar_run_agent *a = &back->episodes[0].agents[1];
    assert_int_equal(a->norders + a->nfills + a->ntrades + a->nfunding + a->nequity + a->ndecisions, 0);
    assert_int_equal(a->nllm + a->answers_len, 0);
    assert_null(a->equity);
    assert_null(a->llm);
    assert_null(a->answers);
    assert_int_equal(back->episodes[1].agents[1].nequity, 4);
    ar_run_free(back);
    ar_run_free(r);
    unlink(path);
}

static void identical_bytes(void **state) {
    (void)state;
    ar_run *r = make_run();
    ar_errbuf eb = {{0}};
    OK(ar_run_h5_write("test_run_h5_a.h5", r, &eb));
    /* Dirty the bytes after the terminators: they must not reach the file. */
    memset(r->symbols[0] + 4, 'Z', AR_SYM_MAX - 4);
    r->symbols[0][AR_SYM_MAX - 1] = '\0';
    r->symbols[0][3] = '\0';
    r->episodes[0].agents[0].funding_log[0].pad_ = 12345;
    r->episodes[1].agents[1].llm[2].pad_ = -7;
    OK(ar_run_h5_write("test_run_h5_b.h5", r, &eb));
    same_bytes("test_run_h5_a.h5", "test_run_h5_b.h5");
    ar_run_free(r);
    unlink("test_run_h5_a.h5");
    unlink("test_run_h5_b.h5");
}

/* The arrays of a's logs, by ar_log. */
static void **log_ptr(ar_run_agent *a, ar_log log, size_t **n) {
    switch (log) {
    case AR_LOG_ORDERS: *n = &a->norders; return (void **)&a->orders;
    case AR_LOG_FILLS: *n = &a->nfills; return (void **)&a->fills;
    case AR_LOG_TRADES: *n = &a->ntrades; return (void **)&a->trades;
    case AR_LOG_FUNDING: *n = &a->nfunding; return (void **)&a->funding_log;
    default: *n = &a->ndecisions; return (void **)&a->decisions;
    }
}

static size_t r_orders(const ar_run *r) { return r->episodes[0].agents[0].norders; }

static const ar_log LOGS[] = {AR_LOG_ORDERS, AR_LOG_FILLS, AR_LOG_TRADES, AR_LOG_FUNDING, AR_LOG_DECISIONS};

/* Rows [off, off + n) of every log of every agent of r, as ar_run_log_rows
 * gives them, against ref's arrays. */
static void logs_read_as(const ar_run *r, const ar_run *ref) {
    ar_errbuf eb = {{0}};
    unsigned char buf[4096];
    for (size_t e = 0; e < r->nepisodes; e++)
        for (size_t i = 0; i < r->episodes[e].nagents; i++) {
            ar_run_agent *a = &r->episodes[e].agents[i], *b = &ref->episodes[e].agents[i];
            for (size_t k = 0; k < sizeof LOGS / sizeof LOGS[0]; k++) {
                size_t *nb, sz = ar_log_size(LOGS[k]);
                const unsigned char *want = *log_ptr(b, LOGS[k], &nb);
                assert_int_equal(ar_run_log_count(a, LOGS[k]), *nb);
                for (size_t off = 0; off < *nb; off++)
                    for (size_t n = 0; off + n <= *nb; n++) {
                        OK(ar_run_log_rows(r, a, LOGS[k], off, n, buf, &eb));
                        if (n) assert_memory_equal(buf, want + off * sz, n * sz);
                    }
                assert_int_equal(ar_run_log_rows(r, a, LOGS[k], *nb, 1, buf, &eb), AR_EINVAL);
            }
        }
}

/* Logs moved out to a spill file (as a long run's agents do) are written
 * to the same bytes as logs in memory, and read back row for row from the
 * spill, from the file when read lean, and whole by a plain read. */
static void spilled_logs(void **state) {
    (void)state;
    ar_run *ref = make_run(), *r = make_run();
    ar_errbuf eb = {{0}};
    OK(ar_run_h5_write("test_run_h5_a.h5", ref, &eb));
    OK(ar_spill_open("test_run_h5_b.h5", &r->spill, &eb));
    /* each log in two pieces (its first row, then the rest), the pieces of
     * all agents interleaved in the file so that none lie end to end */
    for (int piece = 0; piece < 2; piece++)
        for (size_t e = 0; e < r->nepisodes; e++)
            for (size_t i = 0; i < r->episodes[e].nagents; i++) {
                ar_run_agent *a = &r->episodes[e].agents[i];
                if (a->spilled == NULL) a->spilled = xcalloc(AR_LOG_SLOTS, sizeof *a->spilled);
                for (size_t k = 0; k < sizeof LOGS / sizeof LOGS[0]; k++) {
                    size_t *n, sz = ar_log_size(LOGS[k]);
                    unsigned char *v = *log_ptr(a, LOGS[k], &n);
                    size_t from = piece ? 1 : 0, cnt = piece ? (*n > 1 ? *n - 1 : 0) : (*n > 0);
                    OK(ar_spill_append(r->spill, &a->spilled[LOGS[k]], v + from * sz, cnt, sz, &eb));
                }
            }
    for (size_t e = 0; e < r->nepisodes; e++)
        for (size_t i = 0; i < r->episodes[e].nagents; i++)
            for (size_t k = 0; k < sizeof LOGS / sizeof LOGS[0]; k++) {
                size_t *n;
                void **v = log_ptr(&r->episodes[e].agents[i], LOGS[k], &n);
                if (*n > 1) assert_int_equal(r->episodes[e].agents[i].spilled[LOGS[k]].n, 2);
                free(*v);
                *v = NULL;
            }
    logs_read_as(r, ref);
    OK(ar_run_h5_write("test_run_h5_b.h5", r, &eb));
    same_bytes("test_run_h5_a.h5", "test_run_h5_b.h5");
    /* once the file has them the spill may go: reads go to the file */
    OK(ar_equity_src_open("test_run_h5_b.h5", &r->eqsrc, &eb));
    ar_run_logs_in_file(r);
    assert_null(r->spill);
    logs_read_as(r, ref);
    ar_run_free(r);
    ar_run_read_memory(0); /* every table stays in the file */
    OK(ar_run_h5_read_lean("test_run_h5_b.h5", &r, &eb));
    assert_null(r->episodes[0].agents[0].orders);
    assert_null(r->episodes[1].agents[1].decisions);
    assert_null(r->episodes[1].agents[1].equity);
    assert_non_null(r->eqsrc);
    assert_non_null(r->episodes[1].agents[1].llm); /* model calls are read */
    logs_read_as(r, ref);
    ar_run_free(r);
    /* within the budget these small tables are read at once: the same rows */
    ar_run_read_memory(AR_READ_MEMORY_DEFAULT);
    OK(ar_run_h5_read_lean("test_run_h5_b.h5", &r, &eb));
    assert_non_null(r->episodes[0].agents[0].orders);
    assert_non_null(r->episodes[1].agents[1].equity);
    assert_null(r->eqsrc); /* nothing left in the file */
    logs_read_as(r, ref);
    ar_run_free(r);
    /* a budget smaller than the run: some tables in memory, the rest in the file */
    ar_run_read_memory(ar_log_size(AR_LOG_ORDERS) * r_orders(ref)); /* the first table read */
    OK(ar_run_h5_read_lean("test_run_h5_b.h5", &r, &eb));
    assert_non_null(r->episodes[0].agents[0].orders);
    assert_null(r->episodes[0].agents[0].fills);
    assert_null(r->episodes[0].agents[0].equity);
    assert_null(r->episodes[1].agents[1].decisions);
    assert_non_null(r->eqsrc);
    logs_read_as(r, ref);
    ar_run_free(r);
    ar_run_read_memory(AR_READ_MEMORY_DEFAULT);
    OK(ar_run_h5_read("test_run_h5_b.h5", &r, &eb));
    assert_runs_equal(r, ref);
    ar_run_free(r);
    ar_run_free(ref);
    unlink("test_run_h5_a.h5");
    unlink("test_run_h5_b.h5");
}

static int has_tmp(const char *prefix) {
    DIR *d = opendir(".");
    assert_non_null(d);
    int found = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (!strncmp(de->d_name, prefix, strlen(prefix))) found = 1;
    closedir(d);
    return found;
}

static void failures_leave_no_file(void **state) {
    (void)state;
    ar_run *r = make_run();
    ar_errbuf eb = {{0}};
    const char *missing = "no-such-dir-for-run-test/run.h5";
    assert_int_equal(ar_run_h5_write(missing, r, &eb), AR_EIO);
    assert_non_null(strstr(eb.msg, missing));
    assert_non_null(strstr(eb.msg, "No such file or directory"));
    assert_int_equal(access(missing, F_OK), -1);

    /* A failure half way (bad agent name in episode 1) removes the tmp. */
    snprintf(r->episodes[1].agents[1].name, AR_NAME_MAX, "a/b");
    const char *path = "test_run_h5_fail.h5";
    assert_int_equal(ar_run_h5_write(path, r, &eb), AR_EINVAL);
    assert_non_null(strstr(eb.msg, path));
    assert_non_null(strstr(eb.msg, "/episodes/1/agents"));
    assert_int_equal(access(path, F_OK), -1);
    assert_false(has_tmp("test_run_h5_fail.h5"));

    /* Duplicate agent names: HDF5 refuses the group, we say where. */
    snprintf(r->episodes[1].agents[1].name, AR_NAME_MAX, "zeta-sma");
    assert_int_equal(ar_run_h5_write(path, r, &eb), AR_EIO);
    assert_non_null(strstr(eb.msg, "/episodes/1/agents/zeta-sma"));
    assert_int_equal(access(path, F_OK), -1);
    assert_false(has_tmp("test_run_h5_fail.h5"));

    r->mode = 7;
    assert_int_equal(ar_run_h5_write(path, r, &eb), AR_EINVAL);
    assert_non_null(strstr(eb.msg, "mode"));
    assert_int_equal(access(path, F_OK), -1);
    ar_run_free(r);
}

static void read_rejects_foreign_files(void **state) {
    (void)state;
    ar_errbuf eb = {{0}};
    ar_run *back = (ar_run *)&eb; /* must be reset to NULL on failure */
    assert_int_equal(ar_run_h5_read("no-such-run.h5", &back, &eb), AR_EIO);
    assert_null(back);
    assert_non_null(strstr(eb.msg, "no-such-run.h5"));

    FILE *f = fopen("test_run_h5_text.h5", "wb");
    assert_non_null(f);
    fputs("not hdf5 at all\n", f);
    fclose(f);
    assert_int_equal(ar_run_h5_read("test_run_h5_text.h5", &back, &eb), AR_EFORMAT);
    assert_string_equal(eb.msg, "test_run_h5_text.h5: not an HDF5 file");
    unlink("test_run_h5_text.h5");

    /* An HDF5 file whose format attribute says something else: patch the
     * string's bytes (variable-length strings sit raw in the global heap). */
    ar_run *r = make_run();
    const char *path = "test_run_h5_foreign.h5";
    OK(ar_run_h5_write(path, r, &eb));
    size_t n;
    unsigned char *buf = slurp(path, &n);
    unsigned char *hit = NULL;
    for (size_t i = 0; i + 9 <= n; i++)
        if (!memcmp(buf + i, "arena-run", 9)) {
            hit = buf + i;
            break;
        }
    assert_non_null(hit);
    memcpy(hit, "arena-xyz", 9);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
    free(buf);
    assert_int_equal(ar_run_h5_read(path, &back, &eb), AR_EFORMAT);
    assert_null(back);
    assert_string_equal(eb.msg, "test_run_h5_foreign.h5: format: not an arena run file (no format=\"arena-run\")");
    unlink(path);

    /* Cut short at every tenth of its length (as a failed write might leave
     * a file): HDF5 alone refuses each ("cannot open"); read through a
     * zero-padded copy, each opens and then reads or is refused at the
     * first missing part, with the file named, never a crash. The file
     * itself is left as it was. */
    OK(ar_run_h5_write(path, r, &eb));
    buf = slurp(path, &n);
    for (int tenth = 1; tenth < 10; tenth++) {
        size_t cut = n * (size_t)tenth / 10;
        f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(buf, 1, cut, f), cut);
        fclose(f);
        ar_err e = ar_run_h5_read(path, &back, &eb);
        if (e == AR_OK) {
            ar_run_free(back);
        } else {
            assert_null(back);
            assert_non_null(strstr(eb.msg, path));
            if (strstr(eb.msg, "cannot open")) print_error("%s\n", eb.msg);
            assert_null(strstr(eb.msg, "cannot open")); /* the padded copy opened */
            /* and the refusal says why: the file is shorter than it says */
            char why[128];
            snprintf(why, sizeof why, "(the file is cut short: %zu of the %zu bytes it says it has)", cut, n);
            if (strstr(eb.msg, why) == NULL) fail_msg("'%s' does not say '%s'", eb.msg, why);
        }
        size_t m;
        unsigned char *after = slurp(path, &m);
        assert_int_equal(m, cut);
        free(after);
    }
    /* a superblock claiming far more than the file holds (its end-of-file
     * address, bytes 28-35 of a version 2 or 3 superblock, set to 1 TiB;
     * its checksum no longer matches either): refused with the file named */
    if (buf[8] == 2 || buf[8] == 3) {
        uint64_t tib = UINT64_C(1) << 40;
        for (int i = 0; i < 8; i++) buf[28 + i] = (unsigned char)(tib >> (8 * i));
        f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(buf, 1, n, f), n);
        fclose(f);
        assert_int_not_equal(ar_run_h5_read(path, &back, &eb), AR_OK);
        assert_null(back);
        assert_non_null(strstr(eb.msg, path));
    }
    free(buf);
    unlink(path);
    ar_run_free(r);
}

/* A run without prompts or model calls writes no /prompts group, and the
 * llm and answers datasets with 0 rows (like every other log). */
static void no_prompts_roundtrip(void **state) {
    (void)state;
    ar_run *r = make_run();
    for (size_t i = 0; i < r->nprompts; i++) free(r->prompts[i]);
    free(r->prompts);
    r->prompts = NULL;
    r->nprompts = 0;
    r->rescored = 0;
    for (int e = 0; e < 2; e++) {
        ar_run_agent *a = &r->episodes[e].agents[1];
        free(a->llm);
        free(a->answers);
        a->llm = NULL;
        a->answers = NULL;
        a->nllm = a->answers_len = 0;
    }
    ar_errbuf eb = {{0}};
    const char *path = "test_run_h5_noprompts.h5";
    OK(ar_run_h5_write(path, r, &eb));
    ar_run *back = NULL;
    OK(ar_run_h5_read(path, &back, &eb));
    assert_runs_equal(r, back);
    assert_null(back->prompts);
    ar_run_free(back);
    ar_run_free(r);
    unlink(path);
}

/* Prompts of 3 MiB in all go out through a buffer of 1 MiB: pieces end
 * inside texts, on chunk edges, and the text ends with empty prompts; every
 * text and span comes back, in a file byte-identical to a second write of
 * the same run. */
static void large_prompts_roundtrip(void **state) {
    (void)state;
    ar_run *r = make_run();
    size_t n = 280, keep = r->nprompts;
    char **p = xcalloc(n, sizeof *p);
    for (size_t i = 0; i < keep; i++) p[i] = r->prompts[i];
    free(r->prompts);
    for (size_t i = keep; i < n; i++) {
        /* up to ~29 KB; every seventh and the last one empty (after the
         * last piece of text, nothing more to write) */
        size_t len = i % 7 == 0 || i + 1 == n ? 0 : (i * 7919) % 29000 + 1;
        p[i] = xcalloc(len + 1, 1);
        for (size_t j = 0; j < len; j++) p[i][j] = (char)('a' + (i * 31 + j * 17) % 26);
    }
    r->prompts = p;
    r->nprompts = n;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += strlen(p[i]);
    assert_true(total > 3 * (1u << 20));
    ar_errbuf eb = {{0}};
    const char *path = "test_run_h5_bigprompts.h5", *path2 = "test_run_h5_bigprompts2.h5";
    OK(ar_run_h5_write(path, r, &eb));
    OK(ar_run_h5_write(path2, r, &eb));
    ar_run *back = NULL;
    OK(ar_run_h5_read(path, &back, &eb));
    assert_runs_equal(r, back);
    assert_int_equal(back->nprompts, n);
    for (size_t i = 0; i < n; i++) assert_string_equal(back->prompts[i], p[i]);
    same_bytes(path, path2);
    ar_run_free(back);
    ar_run_free(r);
    unlink(path);
    unlink(path2);
}

/* Records that point outside the prompts or the answers blob would make a
 * file no reader can slice: refused, and no file is left. */
static void bad_llm_refs_refused(void **state) {
    (void)state;
    ar_run *r = make_run();
    ar_errbuf eb = {{0}};
    const char *path = "test_run_h5_badllm.h5";
    ar_llm_rec *l = &r->episodes[1].agents[1].llm[1];
    l->prompt_user = 4; /* 4 prompts: 0..3 */
    assert_int_equal(ar_run_h5_write(path, r, &eb), AR_EINVAL);
    assert_string_equal(eb.msg, "test_run_h5_badllm.h5: /episodes/1/agents/alpha_llm/llm: row 1: "
                                "prompt_user out of range");
    l->prompt_user = 3;
    l->actions_len = (int64_t)r->episodes[1].agents[1].answers_len; /* runs past the end */
    assert_int_equal(ar_run_h5_write(path, r, &eb), AR_EINVAL);
    assert_non_null(strstr(eb.msg, "row 1: actions_off/actions_len outside answers"));
    l->actions_len = 2;
    l->answer_off = -1;
    assert_int_equal(ar_run_h5_write(path, r, &eb), AR_EINVAL);
    assert_non_null(strstr(eb.msg, "row 1: answer_off/answer_len outside answers"));
    assert_int_equal(access(path, F_OK), -1);
    assert_false(has_tmp(path));
    l->answer_off = 0;
    free(r->prompts[2]);
    r->prompts[2] = NULL;
    assert_int_equal(ar_run_h5_write(path, r, &eb), AR_EINVAL);
    assert_string_equal(eb.msg, "test_run_h5_badllm.h5: /prompts: prompt 2 is NULL");
    assert_int_equal(access(path, F_OK), -1);
    ar_run_free(r);
}

/* A file from before /prompts, llm, answers and @rescored existed (layout
 * v1 as first written): made by deleting them from a new file. It reads,
 * with those parts empty and everything else as written. */
static void reads_file_without_llm_parts(void **state) {
    (void)state;
#ifndef HAVE_HDF5_H
    skip();
#else
    ar_run *r = make_run();
    ar_errbuf eb = {{0}};
    const char *path = "test_run_h5_old.h5";
    OK(ar_run_h5_write(path, r, &eb));

    /* First only /prompts: the llm records now point at prompts that are
     * not there, and the reader says so. */
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Ldelete(f, "prompts", H5P_DEFAULT) >= 0);
    assert_true(H5Fclose(f) >= 0);
    ar_run *back = (ar_run *)&eb;
    assert_int_equal(ar_run_h5_read(path, &back, &eb), AR_EFORMAT);
    assert_null(back);
    assert_string_equal(eb.msg, "test_run_h5_old.h5: /episodes/0/agents/alpha_llm/llm: row 0: "
                                "prompt_system out of range");

    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Adelete(f, "rescored") >= 0);
    char name[128];
    for (int e = 0; e < 2; e++)
        for (int i = 0; i < 2; i++) {
            snprintf(name, sizeof name, "episodes/%d/agents/%s/llm", e, r->episodes[e].agents[i].name);
            assert_true(H5Ldelete(f, name, H5P_DEFAULT) >= 0);
            snprintf(name, sizeof name, "episodes/%d/agents/%s/answers", e, r->episodes[e].agents[i].name);
            assert_true(H5Ldelete(f, name, H5P_DEFAULT) >= 0);
        }
    assert_true(H5Fclose(f) >= 0);
    OK(ar_run_h5_read(path, &back, &eb));
    assert_int_equal(back->rescored, 0);
    assert_int_equal(back->nprompts, 0);
    assert_null(back->prompts);
    /* The same run without its model calls compares equal. */
    r->rescored = 0;
    for (size_t i = 0; i < r->nprompts; i++) free(r->prompts[i]);
    free(r->prompts);
    r->prompts = NULL;
    r->nprompts = 0;
    for (int e = 0; e < 2; e++) {
        ar_run_agent *a = &r->episodes[e].agents[1];
        free(a->llm);
        free(a->answers);
        a->llm = NULL;
        a->answers = NULL;
        a->nllm = a->answers_len = 0;
    }
    assert_runs_equal(r, back);
    ar_run_free(back);
    ar_run_free(r);
    unlink(path);
#endif
}

static void large_equity_round_trip(void **state) {
    (void)state;
    ar_run *r = make_run();
    ar_run_agent *a = &r->episodes[0].agents[0];
    free(a->equity);
    a->nequity = 500000;
    a->equity = xcalloc(a->nequity, sizeof *a->equity);
    for (size_t k = 0; k < a->nequity; k++)
        a->equity[k] = (ar_equity_rec){(int64_t)k * 60 * AR_NS_PER_S, 10000 + (double)(k % 977) * 0.25,
                                       5000 - (double)(k % 13), (double)(k % 101)};
    ar_errbuf eb = {{0}};
    const char *path = "test_run_h5_large.h5";
    /* Timing lives in bench/, never in tests: here only the content counts. */
    OK(ar_run_h5_write(path, r, &eb));
    ar_run *back = NULL;
    OK(ar_run_h5_read(path, &back, &eb));
    assert_runs_equal(r, back);
    ar_run_free(back);
    ar_run_free(r);
    unlink(path);
}

/* A curve handed to ar_run_writer_equity in pieces, out of order, some
 * aligned to the 8192-row chunks and some not, gives the bytes of the same
 * run written from memory; ar_equity_src reads the rows back; a curve with
 * rows missing or out of range fails and leaves nothing behind. */
static void streamed_equity(void **state) {
    (void)state;
    ar_run *r = make_run();
    ar_run_agent *a = &r->episodes[1].agents[1];
    free(a->equity);
    a->nequity = 3 * AR_EQUITY_BLOCK + 123;
    a->equity = xcalloc(a->nequity, sizeof *a->equity);
    for (size_t k = 0; k < a->nequity; k++)
        a->equity[k] = (ar_equity_rec){(int64_t)k * AR_NS_PER_MIN, 10000 + (double)(k % 31), 9000 - (double)k,
                                       (double)(k % 7)};
    ar_errbuf eb = {{0}};
    OK(ar_run_h5_write("test_run_h5_mem.h5", r, &eb));

    ar_run_writer *w = NULL;
    OK(ar_run_writer_open("test_run_h5_str.h5", r, &w, &eb));
    ar_equity_rec *eq = a->equity;
    size_t n = a->nequity, B = AR_EQUITY_BLOCK;
    const size_t piece[][2] = {{3 * B, n - 3 * B}, {B, B}, {0, 100}, {2 * B, B}, {100, B - 100}};
    for (size_t i = 0; i < sizeof piece / sizeof piece[0]; i++)
        OK(ar_run_writer_equity(w, 1, 1, piece[i][0], eq + piece[i][0], piece[i][1], &eb));
    assert_int_equal(ar_run_writer_equity(w, 1, 1, n - 5, eq, 6, &eb), AR_EINVAL); /* past the end */
    assert_non_null(strstr(eb.msg, "/episodes/1/agents/alpha_llm/equity"));
    assert_int_equal(ar_run_writer_equity(w, 1, 2, 0, eq, 1, &eb), AR_EINVAL); /* no such agent */
    a->equity = NULL; /* streamed: the finished run holds no curve */
    OK(ar_run_writer_finish(w, r, &eb));
    same_bytes("test_run_h5_mem.h5", "test_run_h5_str.h5");

    ar_equity_src *src = NULL;
    OK(ar_equity_src_open("test_run_h5_str.h5", &src, &eb));
    ar_equity_rec *buf = xcalloc(B, sizeof *buf);
    for (size_t off = 0; off < n; off += B) { /* whole chunks (direct reads) */
        size_t m = n - off < B ? n - off : B;
        OK(ar_equity_src_read(src, 1, "alpha_llm", off, m, buf, &eb));
        assert_memory_equal(buf, eq + off, m * sizeof *buf);
    }
    OK(ar_equity_src_read(src, 1, "alpha_llm", B - 7, 20, buf, &eb)); /* across a chunk edge */
    assert_memory_equal(buf, eq + B - 7, 20 * sizeof *buf);
    assert_int_equal(ar_equity_src_read(src, 1, "alpha_llm", n - 1, 2, buf, &eb), AR_EFORMAT);
    assert_int_equal(ar_equity_src_read(src, 0, "nobody", 0, 1, buf, &eb), AR_EFORMAT);
    assert_non_null(strstr(eb.msg, "/episodes/0/agents/nobody/equity"));
    ar_equity_src_free(src);

    /* rows missing at finish: an error naming them, and no file */
    unlink("test_run_h5_str.h5");
    OK(ar_run_writer_open("test_run_h5_str.h5", r, &w, &eb));
    OK(ar_run_writer_equity(w, 1, 1, 0, eq, B, &eb));
    assert_int_equal(ar_run_writer_finish(w, r, &eb), AR_EINVAL);
    assert_non_null(strstr(eb.msg, "of"));
    assert_non_null(strstr(eb.msg, "rows handed in"));
    assert_int_equal(access("test_run_h5_str.h5", F_OK), -1);
    assert_false(has_tmp("test_run_h5_str.h5"));
    /* abandoned: nothing left either */
    OK(ar_run_writer_open("test_run_h5_str.h5", r, &w, &eb));
    ar_run_writer_abort(w);
    assert_false(has_tmp("test_run_h5_str.h5"));

    a->equity = eq;
    free(buf);
    ar_run_free(r);
    unlink("test_run_h5_mem.h5");
}

static int open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Whether this process has a descriptor open on path (relative to here). */
static int is_open(const char *path) {
    char want[4096], link[4096], fdp[300];
    if (getcwd(want, sizeof want - 64) == NULL) return 0;
    size_t l = strlen(want);
    snprintf(want + l, sizeof want - l, "/%s", path);
    DIR *d = opendir("/proc/self/fd");
    int found = 0;
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        snprintf(fdp, sizeof fdp, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(fdp, link, sizeof link - 1);
        if (n > 0) {
            link[n] = '\0';
            found |= !strcmp(link, want);
        }
    }
    if (d) closedir(d);
    return found;
}

/* Sources on many run files hold only a share of the descriptor limit
 * open (an eighth: 8 of 64 here), reopen a closed file when it is read
 * again, and refuse a file replaced in between. Read in turn, as a league
 * reads its runs, all but one of the open files stay open. */
static void many_sources_few_files(void **state) {
    (void)state;
    if (open_fds() < 0) skip();
    struct rlimit old;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    struct rlimit low = {64, old.rlim_max};
    if (old.rlim_max != RLIM_INFINITY && old.rlim_max < 64) skip();
    ar_run *r = make_run();
    ar_errbuf eb = {{0}};
    enum { NF = 30 };
    char path[NF][48];
    ar_equity_src *src[NF] = {0};
    for (int f = 0; f < NF; f++) {
        snprintf(path[f], sizeof path[f], "test_run_h5_many_%02d.h5", f);
        r->episodes[1].agents[0].equity[0].equity = 1000 + f; /* each file its own first row */
        OK(ar_run_h5_write(path[f], r, &eb));
    }
    int before = open_fds();
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    for (int f = 0; f < NF; f++) OK(ar_equity_src_open(path[f], &src[f], &eb));
    assert_int_equal(open_fds() - before, 0); /* each opened at its first read */
    ar_equity_rec rec;
    for (int round = 0; round < 3; round++) /* every file read again after it was closed */
        for (int f = 0; f < NF; f++) {
            OK(ar_equity_src_read(src[f], 1, "zeta-sma", 0, 1, &rec, &eb));
            assert_true(rec.equity == 1000 + f);
            OK(ar_equity_src_read_log(src[f], AR_LOG_FILLS, 1, "zeta-sma", 0, 1, &(ar_fill_rec){0}, &eb));
            assert_in_range(open_fds() - before, 1, 8);
        }
    /* read in turn: the first 7 opened stay open, the 8th slot turns over */
    int nopen = 0, closed = -1;
    for (int f = 0; f < NF; f++) {
        int o = is_open(path[f]);
        if (f < 7) assert_true(o);
        nopen += o;
        if (!o) closed = f;
    }
    assert_in_range(nopen, 7, 8);
    assert_true(closed >= 7);
    /* a new file in a closed one's place is refused when it is opened again */
    r->episodes[1].agents[0].equity[0].equity = -1;
    OK(ar_run_h5_write(path[closed], r, &eb));
    assert_int_equal(ar_equity_src_read(src[closed], 1, "zeta-sma", 0, 1, &rec, &eb), AR_EIO);
    assert_non_null(strstr(eb.msg, path[closed]));
    assert_non_null(strstr(eb.msg, "changed"));
    /* and so is a file replaced before its first read */
    ar_equity_src *late = NULL;
    OK(ar_equity_src_open(path[0], &late, &eb));
    OK(ar_run_h5_write(path[0], r, &eb));
    assert_int_equal(ar_equity_src_read(late, 1, "zeta-sma", 0, 1, &rec, &eb), AR_EIO);
    assert_non_null(strstr(eb.msg, "changed"));
    ar_equity_src_free(late);
    assert_int_equal(ar_equity_src_open("test_run_h5_no_such_file.h5", &late, &eb), AR_EIO);
    assert_null(late);
    assert_non_null(strstr(eb.msg, "test_run_h5_no_such_file.h5"));
    for (int f = 0; f < NF; f++) ar_equity_src_free(src[f]);
    assert_int_equal(open_fds(), before);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    for (int f = 0; f < NF; f++) unlink(path[f]);
    ar_run_free(r);
}

int main(int argc, char **argv) {
    ar_store_init();
    if (argc == 3 && !strcmp(argv[1], "--fixture")) {
        ar_run *r = make_run();
        ar_errbuf eb = {{0}};
        ar_err e = ar_run_h5_write(argv[2], r, &eb);
        ar_run_free(r);
        if (e) fprintf(stderr, "%s\n", eb.msg);
        return e ? 1 : 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip),
        cmocka_unit_test(empty_logs_roundtrip),
        cmocka_unit_test(identical_bytes),
        cmocka_unit_test(failures_leave_no_file),
        cmocka_unit_test(read_rejects_foreign_files),
        cmocka_unit_test(no_prompts_roundtrip),
        cmocka_unit_test(large_prompts_roundtrip),
        cmocka_unit_test(bad_llm_refs_refused),
        cmocka_unit_test(reads_file_without_llm_parts),
        cmocka_unit_test(large_equity_round_trip),
        cmocka_unit_test(streamed_equity),
        cmocka_unit_test(spilled_logs),
        cmocka_unit_test(many_sources_few_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
