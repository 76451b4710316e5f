/* tests/test_live_store.c - live run files (HDF5 SWMR): append and read
 * back, a writer killed with SIGKILL mid-run whose file ar_run_h5_read opens
 * at once with every flushed record, resuming (state read and reopen for
 * appending) after the crash, a disk that fills up mid-run (every flushed
 * round kept, resumed), and a clean close that reads like a finished run.
 *
 * `test_live_store --writer PATH MS SECONDS` only writes a live file,
 * appending an equity sample per agent every MS milliseconds and flushing,
 * for SECONDS; tests/cli_serve.sh uses it as the live run under `arena serve`. */
/* arena-test-deps: store market util */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "arena/live_store.h"
#include "arena/run.h"
#include "arena/store.h"
#include "arena/util.h"

#define T0 INT64_C(1735689600000000000)
#define NA 2
#define NSYM 2

static char dir[256];

/* cmocka 1.1 has no double assertion. */
#define assert_double_equal(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

static ar_run *header(void) {
    ar_run *r = calloc(1, sizeof *r);
    snprintf(r->name, sizeof r->name, "live-test");
    r->config_json = strdup("{\"name\":\"live-test\"}");
    r->manifest_json = strdup("{}");
    r->cadence = INT64_C(60000000000);
    r->capital = 10000;
    r->mode = AR_MODE_PERP;
    r->nsym = NSYM;
    r->symbols = calloc(NSYM, AR_SYM_MAX);
    strcpy(r->symbols[0], "BTC");
    strcpy(r->symbols[1], "ETH");
    r->nepisodes = 1;
    r->episodes = calloc(1, sizeof *r->episodes);
    r->episodes[0].start = T0;
    r->episodes[0].end = 0; /* open-ended: set at close */
    r->episodes[0].nagents = NA;
    r->episodes[0].agents = calloc(NA, sizeof(ar_run_agent));
    const char *names[NA] = {"sma", "gpt"};
    for (int i = 0; i < NA; i++) {
        ar_run_agent *a = &r->episodes[0].agents[i];
        snprintf(a->name, sizeof a->name, "%s", names[i]);
        snprintf(a->kind, sizeof a->kind, "%s", i ? "llm" : "builtin");
        snprintf(a->detail, sizeof a->detail, "%s", i ? "openai/gpt" : "sma_cross");
        a->capital = a->final_equity = 10000;
    }
    return r;
}

/* Round k's records of agent i: values differ per (agent, round). */
static ar_equity_rec eq(int i, int k) {
    return (ar_equity_rec){T0 + (int64_t)(k + 1) * 1000000000, 10000 + 1.5 * k - i, 9000 - k, 100.0 * i + k};
}
static ar_fill_rec fill(int i, int k) {
    return (ar_fill_rec){.t = T0 + (int64_t)(k + 1) * 1000000000 + 5, .order_id = k, .sym = k % NSYM,
                         .kind = 0, .qty = 0.01 * (k + 1) * (i ? -1 : 1), .price = 50000 + k, .ref_price = 50000,
                         .fee = 0.25 + i, .realized_pnl = k * 0.5};
}
static ar_tick_rec tick(int k) {
    return (ar_tick_rec){T0 + (int64_t)(k + 1) * 1000000000 + 1, k % NSYM, k % 2 ? 1 : -1, 50000 + k, 0.1};
}

/* One round: a tick, and per agent an equity sample, a fill, a decision
 * and the state snapshot of the round; the first error, or AR_OK. */
static ar_err append_round(ar_live_writer *w, int k, ar_errbuf *eb) {
    ar_tick_rec t = tick(k);
    ar_err e = ar_live_append_ticks(w, &t, 1, eb);
    for (int i = 0; i < NA && !e; i++) {
        ar_equity_rec q = eq(i, k);
        ar_fill_rec f = fill(i, k);
        ar_decision_rec d = {q.t, 1, 0, 0, 0, q.equity};
        ar_position pos[NSYM] = {{.qty = 0.01 * k, .entry = 50000, .margin = 100, .leverage = 5, .tp = 60000,
                                  .sl = 45000, .liq = 40000, .t_open = T0},
                                 {.qty = 0, .tp = NAN, .sl = NAN, .liq = NAN}};
        if (!(e = ar_live_append_equity(w, i, &q, 1, eb)) && !(e = ar_live_append_fills(w, i, &f, 1, eb)) &&
            !(e = ar_live_append_decisions(w, i, &d, 1, eb)))
            e = ar_live_set_state(w, i, q.t, q.cash, q.equity, 0.25 * (k + 1), 0, pos, eb);
    }
    return e;
}

/* The same, which must succeed; flushed when asked. */
static void round_(ar_live_writer *w, int k, int flush) {
    ar_errbuf eb = {{0}};
    assert_int_equal(append_round(w, k, &eb), AR_OK);
    if (flush) assert_int_equal(ar_live_writer_flush(w, &eb), AR_OK);
}

static void check_rounds(const ar_run *r, int from, int n) {
    assert_int_equal(r->nepisodes, 1);
    for (int i = 0; i < NA; i++) {
        const ar_run_agent *a = &r->episodes[0].agents[i];
        assert_true(a->nequity >= (size_t)(from + n));
        for (int k = 0; k < from + n; k++) {
            ar_equity_rec e = eq(i, k);
            ar_fill_rec f = fill(i, k);
            assert_memory_equal(&a->equity[k], &e, sizeof e);
            assert_memory_equal(&a->fills[k], &f, sizeof f);
        }
    }
}

static void path_of(char *p, size_t n, const char *name) { snprintf(p, n, "%s/%s", dir, name); }

static void live_round_trip(void **state) {
    (void)state;
    char p[300];
    path_of(p, sizeof p, "rt.h5");
    ar_errbuf eb = {{0}};
    ar_run *h = header();
    ar_live_writer *w = ar_live_writer_create(p, h, &eb);
    assert_non_null(w);
    assert_int_equal(ar_live_writer_agent(w, "gpt"), 1);
    for (int k = 0; k < 10; k++) round_(w, k, k % 3 == 0);
    int32_t p0 = -1, p1 = -1, p2 = -1;
    assert_int_equal(ar_live_add_prompt(w, "system prompt", &p0, &eb), AR_OK);
    assert_int_equal(ar_live_add_prompt(w, "user prompt 1", &p1, &eb), AR_OK);
    assert_int_equal(ar_live_add_prompt(w, "system prompt", &p2, &eb), AR_OK);
    assert_int_equal(p0, 0);
    assert_int_equal(p1, 1);
    assert_int_equal(p2, 0);
    int64_t off = -1;
    assert_int_equal(ar_live_append_answer(w, 1, "{\"hold\":1}", 10, &off, &eb), AR_OK);
    assert_int_equal(off, 0);
    ar_llm_rec l = {.t = eq(1, 9).t, .prompt_system = 0, .prompt_user = 1, .answer_off = 0, .answer_len = 10,
                    .cost_usd = NAN, .attempts = 1};
    assert_int_equal(ar_live_append_llm(w, 1, &l, 1, &eb), AR_OK);
    ar_llm_rec bad = l;
    bad.prompt_user = 7;
    assert_int_equal(ar_live_append_llm(w, 1, &bad, 1, &eb), AR_EINVAL);
    /* Readable while open: plain open fails, the SWMR fallback works. */
    ar_run *r = NULL;
    assert_int_equal(ar_live_writer_flush(w, &eb), AR_OK);
    assert_int_equal(ar_run_h5_read(p, &r, &eb), AR_OK);
    check_rounds(r, 0, 10);
    assert_double_equal(r->episodes[0].agents[0].final_equity, eq(0, 9).equity, 0);
    ar_run_free(r);
    assert_int_equal(ar_live_writer_close(w, &eb), AR_OK);

    assert_int_equal(ar_run_h5_read(p, &r, &eb), AR_OK);
    check_rounds(r, 0, 10);
    assert_int_equal(r->nprompts, 2);
    assert_string_equal(r->prompts[1], "user prompt 1");
    const ar_run_agent *g = &r->episodes[0].agents[1];
    assert_int_equal(g->nllm, 1);
    assert_memory_equal(g->answers, "{\"hold\":1}", 10);
    assert_double_equal(g->final_equity, eq(1, 9).equity, 0);
    assert_double_equal(g->fees, 10 * 1.25, 1e-12);
    assert_true(r->episodes[0].end == eq(1, 9).t);
    assert_string_equal(r->config_json, h->config_json);
    ar_run_free(r);

    ar_live_state *s = NULL;
    assert_int_equal(ar_live_state_read(p, &s, &eb), AR_OK);
    assert_int_equal(s->live, 2);
    assert_int_equal(s->nticks, 10);
    assert_true(s->agents[0].have);
    assert_true(s->agents[0].t == eq(0, 9).t);
    assert_double_equal(s->agents[0].pos[0].qty, 0.09, 1e-12);
    assert_double_equal(s->agents[0].pos[0].tp, 60000, 0);
    assert_true(isnan(s->agents[0].pos[1].tp));
    assert_int_equal(s->agents[0].nfills_after, 0);
    ar_live_state_free(s);
    ar_run_free(h);
}

/* A forked child's writer of a new live file at p (exit 3 when it cannot). */
static ar_live_writer *child_writer(const char *p) {
    ar_errbuf eb = {{0}};
    ar_live_writer *w = ar_live_writer_create(p, header(), &eb);
    if (w == NULL) _exit(3);
    return w;
}

/* The child writes 6 flushed rounds, 2 unflushed ones, and kills itself. */
static void crash_and_resume(void **state) {
    (void)state;
    char p[300];
    path_of(p, sizeof p, "crash.h5");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        ar_live_writer *w = child_writer(p);
        for (int k = 0; k < 6; k++) round_(w, k, 1);
        round_(w, 6, 0);
        round_(w, 7, 0);
        raise(SIGKILL);
        _exit(4);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    ar_errbuf eb = {{0}};
    ar_run *r = NULL;
    assert_int_equal(ar_run_h5_read(p, &r, &eb), AR_OK);
    check_rounds(r, 0, 6); /* every flushed record */
    assert_double_equal(r->episodes[0].agents[0].final_equity,
                        r->episodes[0].agents[0].equity[r->episodes[0].agents[0].nequity - 1].equity, 0);
    ar_run_free(r);

    ar_live_state *s = NULL;
    assert_int_equal(ar_live_state_read(p, &s, &eb), AR_OK);
    assert_int_equal(s->live, 1);
    assert_string_equal(s->config_json, "{\"name\":\"live-test\"}");
    assert_true(s->agents[1].have);
    assert_true(s->agents[1].t >= eq(1, 5).t);
    assert_true(s->nticks >= 6);
    /* fills after the snapshot plus those in it = every fill on disk */
    assert_int_equal(s->agents[1].nfills - s->agents[1].nfills_after >= 6, 1);
    size_t nf = s->agents[0].nfills;
    ar_live_state_free(s);

    ar_live_writer *w = ar_live_writer_open_append(p, &eb);
    assert_non_null(w);
    for (int k = (int)nf; k < 12; k++) round_(w, k, 1);
    assert_int_equal(ar_live_writer_close(w, &eb), AR_OK);
    assert_int_equal(ar_run_h5_read(p, &r, &eb), AR_OK);
    check_rounds(r, 0, 12);
    assert_int_equal(r->episodes[0].agents[0].nequity, 12);
    ar_run_free(r);
    assert_int_equal(ar_live_state_read(p, &s, &eb), AR_OK);
    assert_int_equal(s->live, 2);
    assert_int_equal(s->nticks, 12);
    ar_live_state_free(s);
}

/* A round and its flush, without assertions: the first error. */
static ar_err try_round(ar_live_writer *w, int k, ar_errbuf *eb) {
    ar_err e = append_round(w, k, eb);
    return e ? e : ar_live_writer_flush(w, eb);
}

/* The disk fills up (a file size limit: writes fail with EFBIG) while a
 * live file is being written. The writer reports an error instead of
 * crashing; every round flushed before it is still in the file, which
 * reads, resumes once there is room again, and closes with every round. */
static void disk_full_keeps_flushed(void **state) {
    (void)state;
    char p[300];
    path_of(p, sizeof p, "full.h5");
    enum { BEFORE = 5 };
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        ar_errbuf eb = {{0}};
        ar_live_writer *w = child_writer(p);
        for (int k = 0; k < BEFORE; k++)
            if (try_round(w, k, &eb)) _exit(4);
        struct stat st;
        if (stat(p, &st) != 0) _exit(5);
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {(rlim_t)st.st_size, (rlim_t)st.st_size};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(6);
        int k = BEFORE;
        for (; k < 5000; k++)
            if (try_round(w, k, &eb)) break;
        if (k == 5000) _exit(7); /* the limit never bit */
        if (strstr(eb.msg, p) == NULL) _exit(8); /* the error names the file */
        ar_live_writer_close(w, &eb); /* fails too: the file stays a crashed live file */
        _exit(0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (!WIFEXITED(st)) print_error("writer ended by signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);

    ar_errbuf eb = {{0}};
    ar_run *r = NULL;
    if (ar_run_h5_read(p, &r, &eb) != AR_OK) print_error("%s\n", eb.msg);
    assert_non_null(r);
    check_rounds(r, 0, BEFORE); /* every round flushed before the disk filled */
    ar_run_free(r);

    ar_live_state *s = NULL;
    assert_int_equal(ar_live_state_read(p, &s, &eb), AR_OK);
    size_t nf = s->agents[0].nfills;
    assert_true(nf >= BEFORE);
    ar_live_state_free(s);
    ar_live_writer *w = ar_live_writer_open_append(p, &eb);
    if (w == NULL) print_error("%s\n", eb.msg);
    assert_non_null(w);
    /* rounds flushed before the limit bit the file's growth are there too */
    for (int k = (int)nf; k < (int)nf + 5; k++) round_(w, k, 1);
    assert_int_equal(ar_live_writer_close(w, &eb), AR_OK);
    assert_int_equal(ar_run_h5_read(p, &r, &eb), AR_OK);
    check_rounds(r, 0, (int)nf + 5);
    assert_int_equal(r->episodes[0].agents[0].nequity, nf + 5);
    assert_int_equal(r->episodes[0].agents[1].nfills, nf + 5);
    ar_run_free(r);
}

static void refuses(void **state) {
    (void)state;
    char p[300];
    path_of(p, sizeof p, "bad.h5");
    ar_errbuf eb = {{0}};
    ar_run *h = header();
    h->episodes[0].agents[0].nequity = 1;
    assert_null(ar_live_writer_create(p, h, &eb));
    h->episodes[0].agents[0].nequity = 0;
    assert_non_null(strstr(eb.msg, "no records"));
    /* A finished (non-live) run file is not a live one. */
    assert_int_equal(ar_run_h5_write(p, h, &eb), AR_OK);
    assert_null(ar_live_writer_open_append(p, &eb));
    ar_live_state *s = NULL;
    assert_int_equal(ar_live_state_read(p, &s, &eb), AR_EFORMAT);
    assert_null(s);
    ar_run_free(h);
}

static int writer_main(const char *path, long ms, long secs) {
    ar_store_init();
    ar_errbuf eb = {{0}};
    ar_run *h = header();
    ar_live_writer *w = ar_live_writer_create(path, h, &eb);
    if (w == NULL) {
        fprintf(stderr, "writer: %s\n", eb.msg);
        return 1;
    }
    long rounds = secs * 1000 / (ms > 0 ? ms : 1);
    for (long k = 0; k < rounds; k++) {
        ar_tick_rec t = tick((int)k);
        ar_live_append_ticks(w, &t, 1, &eb);
        for (int i = 0; i < NA; i++) {
            ar_equity_rec e = eq(i, (int)k);
            e.equity = 10000 + 37.25 * k * (i ? -1 : 1);
            ar_decision_rec d = {e.t, 1, 0, 0, 0, e.equity};
            ar_live_append_equity(w, i, &e, 1, &eb);
            ar_live_append_decisions(w, i, &d, 1, &eb);
        }
        if (ar_live_writer_flush(w, &eb)) {
            fprintf(stderr, "writer: %s\n", eb.msg);
            return 1;
        }
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    ar_err e = ar_live_writer_close(w, &eb);
    ar_run_free(h);
    return e ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc == 5 && !strcmp(argv[1], "--writer")) return writer_main(argv[2], atol(argv[3]), atol(argv[4]));
    ar_store_init();
    snprintf(dir, sizeof dir, "live_store.XXXXXX");
    if (mkdtemp(dir) == NULL) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(live_round_trip),
        cmocka_unit_test(crash_and_resume),
        cmocka_unit_test(refuses),
        cmocka_unit_test(disk_full_keeps_flushed),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (rc == 0 && system(cmd) != 0) return 1;
    return rc;
}
