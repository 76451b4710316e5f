/* tests/test_ext.c - external agents (src/llm/ext.c): the observation JSON,
 * exec agents (programs speaking JSON lines) and http agents.
 *
 * The observation is checked on a two-symbol 1-minute market starting
 * 2024-01-01 (BTC a wave with 8-hourly funding, ETH the line close =
 * 1000 + i whose indicators are known in closed form), key by key, and
 * byte for byte against the same observation after everything later than t
 * was scribbled over. The agents are small sh programs (echo, sleep, crash
 * once, garbage, too long) and the Python example in strategies/examples
 * (skipped with a message when python3 is missing), in exec and --http
 * mode. The last test checks that nothing was left behind: no child
 * process of ours (waitpid) and no descriptor (/proc/self/fd). */
/* arena-test-deps: llm agents exec market util */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <jansson.h>
#include "arena/ext.h"
#include "arena/llm.h"
#include "arena/util.h"

extern char **environ;

#define NBARS 3000
#define NVIS 2000
#define T0 (INT64_C(1704067200) * AR_NS_PER_S) /* 2024-01-01T00:00:00Z */
#define EXAMPLE ARENA_SOURCE_DIR "/strategies/examples/momentum_agent.py"

static int g_fds = -1;      /* descriptors open when the tests started */
static char g_dir[64];      /* scratch directory */

static int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int have_python(void) {
    static int cached = -1;
    if (cached < 0) cached = system("python3 -c '' >/dev/null 2>&1") == 0;
    return cached;
}

#define NEED_PYTHON()                                                      \
    do {                                                                   \
        if (!have_python()) {                                              \
            print_message("python3 not found: skipping (needs python3)\n"); \
            skip();                                                        \
        }                                                                  \
    } while (0)

/* ---- a market and two accounts (as tests/test_prompt.c) ------------------- */

typedef struct fixture {
    ar_market *m;
    ar_exec_cfg cfg;
    ar_account *a, *b;
    size_t nvis[2];
    double marks[2];
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->m = ar_market_create();
    assert_non_null(f->m);
    assert_int_equal(ar_market_add_symbol(f->m, "BTC"), 0);
    assert_int_equal(ar_market_add_symbol(f->m, "ETH"), 1);
    for (size_t s = 0; s < 2; s++) {
        ar_symbol *y = &f->m->sym[s];
        y->interval = AR_NS_PER_MIN;
        double prev = s == 0 ? 40000 : 1000;
        for (size_t i = 0; i < NBARS; i++) {
            double c = s == 0 ? 40000 + 500 * sin((double)i / 50) + 0.1 * (double)i : 1000 + (double)i;
            double w = s == 0 ? 5 : 0.5;
            double v = s == 0 ? 1 + (double)(i % 7) : 1;
            assert_int_equal(ar_bars_push(&y->bars, T0 + (int64_t)i * AR_NS_PER_MIN, prev, c + w, c - w, c, v), AR_OK);
            prev = c;
        }
    }
    for (int64_t j = 0; j < 30; j++)
        assert_int_equal(ar_funding_push(&f->m->sym[0].funding, T0 + j * 8 * AR_NS_PER_HOUR, 0.0001 * (double)(j + 1)),
                         AR_OK);
    ar_exec_cfg_default(&f->cfg);
    f->a = ar_account_create(&f->cfg, f->m, 10000, 1, NULL);
    f->b = ar_account_create(&f->cfg, f->m, 10000, 2, NULL);
    assert_non_null(f->a);
    assert_non_null(f->b);
    /* B buys 0.1 BTC at the open of bar 1 with an exit plan */
    f->nvis[0] = f->nvis[1] = 1;
    f->marks[0] = f->m->sym[0].bars.row[0].close;
    f->marks[1] = f->m->sym[1].bars.row[0].close;
    ar_order_req r = {0, AR_OT_MARKET, 0.1, NAN, 5, 60000, 30000, 0};
    ar_order_rec rec;
    assert_int_equal(ar_account_submit(f->b, T0 + AR_NS_PER_MIN, &r, f->marks, &rec), AR_OK);
    ar_account_on_bar(f->b, 0, 1);
    assert_true(ar_account_position(f->b, 0)->qty == 0.1);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    ar_account_free(f->a);
    ar_account_free(f->b);
    ar_market_free(f->m);
    free(f);
    return 0;
}

static ar_obs obs_at(fixture *f, size_t nv, const ar_account *acct) {
    for (size_t s = 0; s < 2; s++) {
        f->nvis[s] = nv;
        f->marks[s] = f->m->sym[s].bars.row[nv - 1].close;
    }
    int64_t t = f->m->sym[0].bars.row[nv - 1].t + AR_NS_PER_MIN; /* close of the last visible bar */
    ar_obs o = {t, T0, T0 + NBARS * AR_NS_PER_MIN, 41, f->m, f->nvis, f->marks, acct, &f->cfg, 10000};
    return o;
}

static char *obs_text(const ar_obs *o, const ar_prompt_opts *p) {
    ar_buf b = {0};
    assert_int_equal(ar_obs_json(o, p, &b), AR_OK);
    assert_non_null(b.p);
    return b.p;
}

/* ---- observation JSON ----------------------------------------------------- */

/* obj has exactly the keys of the comma-separated list */
static void expect_keys(const json_t *obj, const char *keys) {
    assert_true(json_is_object(obj));
    char buf[512];
    snprintf(buf, sizeof buf, "%s", keys);
    size_t n = 0;
    for (char *save = NULL, *k = strtok_r(buf, ",", &save); k != NULL; k = strtok_r(NULL, ",", &save), n++)
        if (json_object_get(obj, k) == NULL) fail_msg("missing key %s (want %s)", k, keys);
    if (json_object_size(obj) != n) {
        char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
        fail_msg("%zu keys, want %zu (%s): %.300s", json_object_size(obj), n, keys, s);
    }
}

static double real_at(const json_t *root, const char *path) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    const json_t *j = root;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k != NULL; k = strtok_r(NULL, ".", &save)) {
        j = json_object_get(j, k);
        if (j == NULL) fail_msg("no %s", path);
    }
    if (json_is_null(j)) return NAN;
    if (!json_is_number(j)) fail_msg("%s is not a number", path);
    return json_number_value(j);
}

static void near(double got, double want, double tol, const char *what) {
    if (isnan(want) ? !isnan(got) : !(fabs(got - want) <= tol)) fail_msg("%s: %.17g, want %.17g", what, got, want);
}

static void test_obs_keys_values(void **state) {
    fixture *f = *state;
    ar_obs o = obs_at(f, NVIS, f->b);
    const double eq[] = {10000, 10010, 10005};
    ar_prompt_opts p = {NULL, 0, 3 * AR_NS_PER_MIN, eq, 3, 0};
    char *s = obs_text(&o, &p);
    assert_null(strchr(s, '\n'));
    assert_null(strstr(s, "nan"));
    assert_null(strstr(s, "inf"));
    assert_null(strstr(s, ", ")); /* compact */
    json_error_t je;
    json_t *r = json_loads(s, 0, &je);
    if (r == NULL) fail_msg("not JSON: %s", je.text);
    /* keys sorted: dumping the parsed document sorted gives the same bytes */
    char *again = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    assert_string_equal(again, s);
    free(again);

    expect_keys(r, "account,coins,invocation,market,minutes_elapsed,rules,t");
    assert_string_equal(json_string_value(json_object_get(r, "t")), "2024-01-02T09:20:00Z");
    assert_int_equal(json_integer_value(json_object_get(r, "minutes_elapsed")), NVIS);
    assert_int_equal(json_integer_value(json_object_get(r, "invocation")), 42);
    json_t *coins = json_object_get(r, "coins");
    assert_int_equal(json_array_size(coins), 2);
    assert_string_equal(json_string_value(json_array_get(coins, 0)), "BTC");
    assert_string_equal(json_string_value(json_array_get(coins, 1)), "ETH");

    json_t *mk = json_object_get(r, "market");
    expect_keys(mk, "BTC,ETH");
    const char *sym_keys = "atr14,atr3,avg_volume,ema20,ema50,long,macd,price,rsi14,rsi7,series,volume";
    expect_keys(json_object_get(mk, "ETH"), sym_keys);
    expect_keys(json_object_get(mk, "BTC"),
                "atr14,atr3,avg_volume,ema20,ema50,funding_rate,long,macd,price,rsi14,rsi7,series,volume");
    /* ETH: close = 1000 + i; at a 3-minute step EMA20 lags by 3 * 19 / 2,
     * MACD(12, 26) = 3 * (25 - 11) / 2 = 21, RSI of a rising line is 100 */
    double px = 1000 + NVIS - 1;
    near(real_at(r, "market.ETH.price"), px, 0, "price");
    near(real_at(r, "market.ETH.ema20"), px - 28.5, 1e-9, "ema20");
    near(real_at(r, "market.ETH.macd"), 21, 1e-9, "macd");
    near(real_at(r, "market.ETH.rsi7"), 100, 0, "rsi7");
    near(real_at(r, "market.ETH.rsi14"), 100, 0, "rsi14");
    /* longer interval: 240-minute buckets, 2000 bars = 8 full + 80 bars */
    near(real_at(r, "market.ETH.ema50"), NAN, 0, "ema50 (9 buckets only)");
    near(real_at(r, "market.ETH.atr14"), NAN, 0, "atr14");
    assert_true(isfinite(real_at(r, "market.ETH.atr3")));
    near(real_at(r, "market.ETH.volume"), 80, 0, "volume");
    near(real_at(r, "market.ETH.avg_volume"), 2000.0 / 9, 1e-9, "avg_volume");
    json_t *ser = json_object_get(json_object_get(mk, "ETH"), "series");
    expect_keys(ser, "ema20,macd,mid,rsi14,rsi7,step_s");
    near(real_at(r, "market.ETH.series.step_s"), 180, 0, "step_s");
    json_t *mid = json_object_get(ser, "mid");
    assert_int_equal(json_array_size(mid), 10);
    for (size_t i = 0; i < 10; i++) near(json_number_value(json_array_get(mid, i)), px - 3.0 * (double)(9 - i), 0, "mid");
    json_t *e20 = json_object_get(ser, "ema20");
    assert_int_equal(json_array_size(e20), 10);
    near(json_number_value(json_array_get(e20, 9)), px - 28.5, 1e-9, "series ema20");
    json_t *lg = json_object_get(json_object_get(mk, "ETH"), "long");
    expect_keys(lg, "atr14,atr3,avg_volume,ema20,ema50,interval_s,macd,rsi14,volume");
    near(real_at(r, "market.ETH.long.interval_s"), 14400, 0, "interval_s");
    assert_int_equal(json_array_size(json_object_get(lg, "macd")), 9);
    /* BTC funding: t = 33h20m, the latest instant is 32 h, the 5th rate */
    near(real_at(r, "market.BTC.funding_rate"), 0.0005, 1e-15, "funding_rate");
    near(real_at(r, "market.BTC.price"), f->m->sym[0].bars.row[NVIS - 1].close, 0, "btc price");

    json_t *ac = json_object_get(r, "account");
    expect_keys(ac, "capital,cash,equity,pending_orders,positions,return_pct,sharpe");
    double eqv = ar_account_equity(f->b, f->marks);
    near(real_at(r, "account.equity"), eqv, 0, "equity");
    near(real_at(r, "account.cash"), ar_account_cash(f->b), 0, "cash");
    near(real_at(r, "account.return_pct"), (eqv / 10000 - 1) * 100, 1e-12, "return_pct");
    assert_true(isfinite(real_at(r, "account.sharpe")));
    json_t *pos = json_object_get(ac, "positions");
    assert_int_equal(json_array_size(pos), 1);
    json_t *p0 = json_array_get(pos, 0);
    expect_keys(p0, "coin,current_price,entry_price,leverage,liquidation_price,margin,profit_target,quantity,"
                    "stop_loss,unrealized_pnl");
    const ar_position *ps = ar_account_position(f->b, 0);
    assert_string_equal(json_string_value(json_object_get(p0, "coin")), "BTC");
    near(json_number_value(json_object_get(p0, "quantity")), 0.1, 0, "quantity");
    near(json_number_value(json_object_get(p0, "entry_price")), ps->entry, 0, "entry");
    near(json_number_value(json_object_get(p0, "current_price")), f->marks[0], 0, "current");
    near(json_number_value(json_object_get(p0, "liquidation_price")), ps->liq, 0, "liq");
    near(json_number_value(json_object_get(p0, "unrealized_pnl")), 0.1 * (f->marks[0] - ps->entry), 0, "upnl");
    near(json_number_value(json_object_get(p0, "leverage")), 5, 0, "leverage");
    near(json_number_value(json_object_get(p0, "profit_target")), 60000, 0, "tp");
    near(json_number_value(json_object_get(p0, "stop_loss")), 30000, 0, "sl");

    json_t *ru = json_object_get(r, "rules");
    expect_keys(ru, "maker_fee_bps,max_leverage,spot,taker_fee_bps");
    near(real_at(r, "rules.max_leverage"), 20, 0, "max_leverage");
    assert_true(json_is_false(json_object_get(ru, "spot")));
    near(real_at(r, "rules.taker_fee_bps"), 4.5, 0, "taker");
    near(real_at(r, "rules.maker_fee_bps"), 1.5, 0, "maker");
    json_decref(r);
    free(s);

    /* flat account, no equity history (Sharpe null), explicit invocation,
     * no dates */
    ar_obs oa = obs_at(f, NVIS, f->a);
    ar_prompt_opts q = {NULL, 1, 0, NULL, 0, 7};
    s = obs_text(&oa, &q);
    r = json_loads(s, 0, &je);
    assert_non_null(r);
    assert_null(json_object_get(r, "t"));
    assert_null(strstr(s, "2024"));
    assert_int_equal(json_integer_value(json_object_get(r, "invocation")), 7);
    assert_true(json_is_null(json_object_get(json_object_get(r, "account"), "sharpe")));
    assert_int_equal(json_array_size(json_object_get(json_object_get(r, "account"), "positions")), 0);
    near(real_at(r, "account.return_pct"), 0, 0, "flat return");
    near(real_at(r, "market.ETH.series.step_s"), 60, 0, "one-bar step");
    json_decref(r);
    free(s);
}

static void test_obs_no_lookahead(void **state) {
    fixture *f = *state;
    ar_obs o = obs_at(f, NVIS, f->b);
    ar_prompt_opts p = {NULL, 0, 3 * AR_NS_PER_MIN, NULL, 0, 0};
    char *before = obs_text(&o, &p);
    char *same = obs_text(&o, &p);
    assert_string_equal(before, same); /* deterministic */
    for (size_t s = 0; s < 2; s++) {
        ar_bars *b = &f->m->sym[s].bars;
        for (size_t i = NVIS; i < b->n; i++) {
            b->row[i].open *= 2;
            b->row[i].close *= 3;
            b->row[i].high *= 4;
            b->row[i].low /= 2;
            b->row[i].volume += 1000;
        }
    }
    ar_funding *fu = &f->m->sym[0].funding;
    for (size_t j = 0; j < fu->n; j++)
        if (fu->t[j] > o.t) fu->rate[j] = -1;
    char *after = obs_text(&o, &p);
    assert_string_equal(before, after);
    /* and one more visible bar does change it */
    ar_obs o2 = obs_at(f, NVIS + 1, f->b);
    char *later = obs_text(&o2, &p);
    assert_string_not_equal(before, later);
    free(before), free(same), free(after), free(later);
}

static void test_obs_odd_inputs(void **state) {
    fixture *f = *state;
    ar_obs o = obs_at(f, NVIS, NULL); /* no account */
    f->nvis[1] = 0;                   /* ETH: nothing visible yet */
    f->marks[1] = NAN;
    f->marks[0] = INFINITY;           /* a mark that is not a number: falls back to the close */
    const char *names[] = {"B\xff\xfeTC", "E\"T\\H\n"};
    ar_exec_cfg spot = f->cfg;
    spot.mode = AR_MODE_SPOT;
    o.exec = &spot;
    ar_prompt_opts p = {names, 0, INT64_MAX, NULL, 0, 0};
    char *s = obs_text(&o, &p);
    json_error_t je;
    json_t *r = json_loads(s, 0, &je);
    if (r == NULL) fail_msg("not JSON: %s: %s", je.text, s);
    assert_null(strchr(s, '\n'));
    assert_true(json_is_null(json_object_get(r, "account")));
    json_t *mk = json_object_get(r, "market");
    assert_int_equal(json_object_size(mk), 2);
    json_t *eth = json_object_get(mk, "E\"T\\H\n");
    assert_non_null(eth);
    assert_true(json_is_null(json_object_get(eth, "price")));
    assert_int_equal(json_array_size(json_object_get(json_object_get(eth, "series"), "mid")), 0);
    json_t *btc = json_object_get(mk, "B??TC");
    assert_non_null(btc);
    near(json_number_value(json_object_get(btc, "price")), f->m->sym[0].bars.row[NVIS - 1].close, 0, "fallback price");
    assert_int_equal(json_array_size(json_object_get(json_object_get(btc, "series"), "mid")), 1); /* huge cadence */
    near(real_at(r, "rules.max_leverage"), 1, 0, "spot leverage");
    assert_true(json_is_true(json_object_get(json_object_get(r, "rules"), "spot")));
    json_decref(r);
    free(s);
    /* no exec config, extreme times: still a document */
    o.exec = NULL;
    o.t = INT64_MAX;
    o.start = INT64_MIN;
    s = obs_text(&o, NULL);
    r = json_loads(s, 0, &je);
    assert_non_null(r);
    assert_true(json_is_null(json_object_get(r, "minutes_elapsed")));
    assert_true(json_is_null(json_object_get(json_object_get(r, "rules"), "taker_fee_bps")));
    json_decref(r);
    free(s);
    ar_buf b = {0};
    assert_int_equal(ar_obs_json(NULL, NULL, &b), AR_EINVAL);
    assert_int_equal(ar_obs_json(&o, NULL, NULL), AR_EINVAL);
    assert_null(b.p);
}

/* ---- exec agents ---------------------------------------------------------- */

static ar_ext_agent *sh_agent(const char *script, double timeout_s) {
    const char *argv[] = {"sh", "-c", script, NULL};
    ar_errbuf eb;
    ar_ext_agent *a = ar_ext_exec_create(argv, timeout_s, &eb);
    if (a == NULL) fail_msg("%s", eb.msg);
    return a;
}

/* one ask; returns the elapsed milliseconds */
static double ask1(ar_ext_agent *a, const char *obs, ar_llm_call *c) {
    double t = now_ms();
    ar_ext_agent *const ag[1] = {a};
    const char *const ob[1] = {obs};
    assert_int_equal(ar_ext_ask_all(ag, ob, 1, c), AR_OK);
    return now_ms() - t;
}

static void expect_fail(const ar_llm_call *c, int reason) {
    if (c->status != 1 || c->reason != reason)
        fail_msg("status %d reason %s (%s), want %s", c->status, ar_reason_name(c->reason),
                 c->error ? c->error : "-", ar_reason_name(reason));
    assert_non_null(c->error);
    assert_int_equal(c->attempts, 1);
}

static void expect_text(const ar_llm_call *c, const char *text) {
    if (c->status != 0) fail_msg("status %d reason %s: %s", c->status, ar_reason_name(c->reason), c->error);
    assert_int_equal(c->reason, AR_R_NONE);
    assert_null(c->error);
    assert_non_null(c->text);
    if (text != NULL) assert_string_equal(c->text, text);
}

static void test_exec_args(void **state) {
    (void)state;
    ar_errbuf eb;
    const char *empty[] = {NULL};
    const char *ok[] = {"true", NULL};
    assert_null(ar_ext_exec_create(NULL, 1, &eb));
    assert_null(ar_ext_exec_create(empty, 1, &eb));
    assert_null(ar_ext_exec_create(ok, 0, &eb));
    assert_null(ar_ext_exec_create(ok, NAN, &eb));
    assert_null(ar_ext_http_create("ftp://x", 1, &eb));
    assert_null(ar_ext_http_create("http://127.0.0.1:1/", -1, &eb));
    ar_ext_agent_free(NULL);
    assert_int_equal(ar_ext_ask_all(NULL, NULL, 0, NULL), AR_OK);
    ar_llm_call c;
    assert_int_equal(ar_ext_ask_all(NULL, NULL, 1, &c), AR_EINVAL);
    /* a program that does not exist */
    const char *nope[] = {"/nonexistent/arena-agent", NULL};
    ar_ext_agent *a = ar_ext_exec_create(nope, 1, &eb);
    assert_non_null(a);
    ask1(a, "{}", &c);
    expect_fail(&c, AR_R_AGENT_ERROR);
    assert_non_null(strstr(c.error, "cannot start"));
    ar_llm_call_cleanup(&c);
    /* a NULL agent, a NULL observation, the same agent twice */
    ar_ext_agent *b = sh_agent("while read l; do echo '[]'; done", 5);
    ar_ext_agent *const ag[4] = {b, NULL, b, b};
    const char *const ob[4] = {"{}", "{}", "{}", NULL};
    ar_llm_call cs[4];
    assert_int_equal(ar_ext_ask_all(ag, ob, 4, cs), AR_OK);
    expect_text(&cs[0], "[]");
    expect_fail(&cs[1], AR_R_AGENT_ERROR);
    expect_fail(&cs[2], AR_R_AGENT_ERROR);
    expect_fail(&cs[3], AR_R_AGENT_ERROR);
    for (int i = 0; i < 4; i++) ar_llm_call_cleanup(&cs[i]);
    /* an observation with a newline would break the protocol */
    ask1(b, "{\n}", &c);
    expect_fail(&c, AR_R_AGENT_ERROR);
    ar_llm_call_cleanup(&c);
    ask1(b, "{}", &c);
    expect_text(&c, "[]");
    ar_llm_call_cleanup(&c);
    ar_ext_agent_free(a);
    ar_ext_agent_free(b);
}

static void test_exec_shell(void **state) {
    (void)state;
    ar_ext_agent *a = sh_agent("while read l; do echo \"[{\\\"signal\\\":\\\"hold\\\"}]\"; done", 5);
    assert_int_equal(ar_ext_agent_pid(a), 0); /* lazy */
    ar_llm_call c;
    ask1(a, "{\"x\":1}", &c);
    expect_text(&c, "[{\"signal\":\"hold\"}]");
    assert_true(c.latency_ms >= 0 && c.latency_ms == c.total_ms);
    assert_int_equal(c.nlog, 1);
    ar_llm_call_cleanup(&c);
    long pid = ar_ext_agent_pid(a);
    assert_true(pid > 0);
    for (int i = 0; i < 20; i++) {
        ask1(a, "{}", &c);
        expect_text(&c, "[{\"signal\":\"hold\"}]");
        ar_llm_call_cleanup(&c);
    }
    assert_int_equal(ar_ext_agent_pid(a), pid); /* the same process all along */
    ar_ext_agent_free(a);

    /* CRLF line ends; extra lines are dropped, not taken as later answers */
    a = sh_agent("while read l; do printf '[1]\\r\\n[2]\\n'; done", 5);
    for (int i = 0; i < 3; i++) {
        ask1(a, "{}", &c);
        expect_text(&c, "[1]");
        ar_llm_call_cleanup(&c);
    }
    ar_ext_agent_free(a);

    /* an observation far larger than a pipe buffer, echoed back by cat */
    size_t big = 300000;
    char *obs = malloc(big + 1);
    assert_non_null(obs);
    for (size_t i = 0; i < big; i++) obs[i] = (char)('a' + i % 26);
    obs[big] = '\0';
    const char *cat[] = {"cat", NULL};
    ar_errbuf eb;
    a = ar_ext_exec_create(cat, 5, &eb);
    assert_non_null(a);
    ask1(a, obs, &c);
    expect_text(&c, obs);
    ar_llm_call_cleanup(&c);
    ar_ext_agent_free(a);

    /* a program that never reads a big observation: the write cannot stall
     * the round past its deadline */
    a = sh_agent("sleep 5", 0.3);
    double ms = ask1(a, obs, &c);
    expect_fail(&c, AR_R_TIMEOUT);
    assert_true(ms < 1500);
    ar_llm_call_cleanup(&c);
    ar_ext_agent_free(a);

    /* a program that exits without reading: EPIPE, not SIGPIPE (we are
     * still alive), an agent error */
    a = sh_agent("exit 0", 5);
    ask1(a, obs, &c);
    expect_fail(&c, AR_R_AGENT_ERROR);
    assert_non_null(strstr(c.error, "exited with status 0"));
    ar_llm_call_cleanup(&c);
    ar_ext_agent_free(a);
    free(obs);
}

static void test_exec_timeout(void **state) {
    (void)state;
    ar_ext_agent *a = sh_agent("read l; sleep 10", 0.3);
    ar_llm_call c;
    double ms = ask1(a, "{}", &c);
    expect_fail(&c, AR_R_TIMEOUT);
    assert_true(ms >= 290 && ms < 1000);
    assert_true(c.latency_ms >= 290);
    assert_int_equal(ar_ext_agent_pid(a), 0); /* killed and reaped at once */
    ar_llm_call_cleanup(&c);
    ar_ext_agent_free(a);

    /* garbage without a newline: a timeout that says how much came */
    a = sh_agent("read l; printf garbage; sleep 10", 0.3);
    ms = ask1(a, "{}", &c);
    expect_fail(&c, AR_R_TIMEOUT);
    assert_non_null(strstr(c.error, "7 bytes"));
    assert_true(ms < 1000);
    ar_llm_call_cleanup(&c);
    ar_ext_agent_free(a);

    /* garbage, then exit: an agent error */
    a = sh_agent("read l; printf garbage; exit 2", 5);
    ask1(a, "{}", &c);
    expect_fail(&c, AR_R_AGENT_ERROR);
    assert_non_null(strstr(c.error, "exited with status 2"));
    ar_llm_call_cleanup(&c);
    ar_ext_agent_free(a);

    /* a line over 1 MiB */
    a = sh_agent("read l; head -c 1100000 /dev/zero | tr '\\000' a; echo", 5);
    ask1(a, "{}", &c);
    expect_fail(&c, AR_R_TOO_LONG);
    ar_llm_call_cleanup(&c);
    ar_ext_agent_free(a);
    /* exactly 1 MiB is fine */
    a = sh_agent("read l; head -c 1048576 /dev/zero | tr '\\000' a; echo", 5);
    ask1(a, "{}", &c);
    expect_text(&c, NULL);
    assert_int_equal(strlen(c.text), 1048576);
    ar_llm_call_cleanup(&c);
    ar_ext_agent_free(a);
}

static void test_exec_restart(void **state) {
    (void)state;
    char marker[128], script[512];
    snprintf(marker, sizeof marker, "%s/crashed", g_dir);
    /* crashes (signal) on its first line only; answers from then on */
    snprintf(script, sizeof script,
             "read l; if [ ! -e %s ]; then touch %s; kill -SEGV $$; fi; echo '[\"first\"]'; "
             "while read l; do echo '[]'; done",
             marker, marker);
    ar_ext_agent *a = sh_agent(script, 5);
    ar_llm_call c;
    ask1(a, "{}", &c);
    expect_fail(&c, AR_R_AGENT_ERROR);
    assert_non_null(strstr(c.error, "killed by signal"));
    assert_int_equal(ar_ext_agent_pid(a), 0);
    ar_llm_call_cleanup(&c);
    ask1(a, "{}", &c); /* restarted */
    expect_text(&c, "[\"first\"]");
    ar_llm_call_cleanup(&c);
    long pid = ar_ext_agent_pid(a);
    ask1(a, "{}", &c);
    expect_text(&c, "[]");
    ar_llm_call_cleanup(&c);
    assert_int_equal(ar_ext_agent_pid(a), pid);
    ar_ext_agent_free(a);
    unlink(marker);

    /* exits at once, every time: an agent error each ask, never a hang */
    a = sh_agent("exit 3", 5);
    for (int i = 0; i < 3; i++) {
        ask1(a, "{}", &c);
        expect_fail(&c, AR_R_AGENT_ERROR);
        ar_llm_call_cleanup(&c);
    }
    ar_ext_agent_free(a);

    /* closes its stdout but keeps running: an agent error at once, and the
     * process (group) is killed, not waited for */
    a = sh_agent("exec >&-; sleep 10", 5);
    double ms = ask1(a, "{}", &c);
    expect_fail(&c, AR_R_AGENT_ERROR);
    assert_non_null(strstr(c.error, "closed its stdout"));
    assert_true(ms < 1000);
    ar_llm_call_cleanup(&c);
    ar_ext_agent_free(a);

    /* answers once and exits: the answer counts, the next ask starts a new one */
    a = sh_agent("read l; echo '[]'", 5);
    for (int i = 0; i < 3; i++) {
        ask1(a, "{}", &c);
        expect_text(&c, "[]");
        ar_llm_call_cleanup(&c);
        nanosleep(&(struct timespec){0, 20000000L}, NULL);
    }
    ar_ext_agent_free(a);
}

/* Concurrency without a clock: each of the two agents, on every line, drops
 * a marker and waits (up to 3 s) for the other's marker of the same round
 * before answering. Asked one after the other, the first would give up and
 * answer "alone"; only a concurrent round gets both real answers. */
static void test_exec_concurrent(void **state) {
    (void)state;
    char dir[] = "/tmp/arena_ext_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sa[1024], sb[1024];
    const char *fmt = "while read l; do touch %s/%s$l; i=0; "
                      "while [ ! -e %s/%s$l ] && [ $i -lt 150 ]; do sleep 0.02; i=$((i+1)); done; "
                      "if [ -e %s/%s$l ]; then echo '[\"%s\"]'; else echo '[\"alone\"]'; fi; done";
    snprintf(sa, sizeof sa, fmt, dir, "a", dir, "b", dir, "b", "a");
    snprintf(sb, sizeof sb, fmt, dir, "b", dir, "a", dir, "a", "b");
    ar_ext_agent *a = sh_agent(sa, 20), *b = sh_agent(sb, 20);
    ar_ext_agent *slow = sh_agent("while read l; do sleep 10; done", 0.3);
    ar_llm_call cs[3];
    for (int round = 0; round < 3; round++) {
        char obs[8];
        snprintf(obs, sizeof obs, "%d", round);
        const char *const ob[2] = {obs, obs};
        ar_ext_agent *const ag[2] = {a, b};
        assert_int_equal(ar_ext_ask_all(ag, ob, 2, cs), AR_OK);
        expect_text(&cs[0], "[\"a\"]");
        expect_text(&cs[1], "[\"b\"]");
        for (int i = 0; i < 2; i++) ar_llm_call_cleanup(&cs[i]);
    }
    /* with one that times out: the others still answer, the slow one is a
     * timeout, and the round does not wait for it beyond its timeout */
    const char *const ob3[3] = {"9", "9", "9"};
    ar_ext_agent *const ag[3] = {a, slow, b};
    assert_int_equal(ar_ext_ask_all(ag, ob3, 3, cs), AR_OK);
    expect_text(&cs[0], "[\"a\"]");
    expect_fail(&cs[1], AR_R_TIMEOUT);
    expect_text(&cs[2], "[\"b\"]");
    for (int i = 0; i < 3; i++) ar_llm_call_cleanup(&cs[i]);
    ar_ext_agent_free(a);
    ar_ext_agent_free(b);
    ar_ext_agent_free(slow);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_exec_python(void **state) {
    NEED_PYTHON();
    fixture *f = *state;
    ar_obs o = obs_at(f, NVIS, f->a);
    ar_prompt_opts p = {NULL, 0, 3 * AR_NS_PER_MIN, NULL, 0, 0};
    char *s = obs_text(&o, &p);
    const char *argv[] = {"python3", EXAMPLE, NULL};
    ar_errbuf eb;
    ar_ext_agent *a = ar_ext_exec_create(argv, 10, &eb);
    assert_non_null(a);
    ar_llm_call c;
    for (int i = 0; i < 3; i++) {
        ask1(a, s, &c);
        expect_text(&c, NULL);
        /* the answer is an action list ar_answer_parse accepts: ETH rises
         * (a line), so the flat account enters it */
        const char *coins[] = {"BTC", "ETH"};
        const double posn[] = {0, 0};
        ar_answer_ctx ctx = {2, coins, f->marks, posn, 10000, 20, 0, 0.00045, NULL, NULL, 0};
        ar_answer ans;
        ar_actions acts = {0};
        assert_int_equal(ar_answer_parse(c.text, strlen(c.text), &ctx, &ans, &acts), AR_OK);
        if (ans.status != 0) fail_msg("answer refused (%s): %s", ar_reason_name(ans.reason), c.text);
        int eth = 0;
        for (size_t k = 0; k < acts.n; k++) eth |= acts.v[k].sym == 1 && acts.v[k].qty > 0;
        assert_true(eth);
        ar_answer_cleanup(&ans);
        ar_actions_cleanup(&acts);
        ar_llm_call_cleanup(&c);
    }
    /* a broken observation: the example holds (an empty list) */
    ask1(a, "not json", &c);
    expect_text(&c, "[]");
    ar_llm_call_cleanup(&c);
    ar_ext_agent_free(a);
    free(s);
}

/* ---- http agents ---------------------------------------------------------- */

/* Start the example in --http 0 mode; returns its pid, port in *port. */
static pid_t start_http_example(int *port) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    char *argv[] = {"python3", EXAMPLE, "--http", "0", "--idle", "30", NULL};
    pid_t pid;
    assert_int_equal(posix_spawnp(&pid, "python3", &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    char line[32] = {0};
    size_t n = 0;
    struct pollfd pf = {fds[0], POLLIN, 0};
    while (n < sizeof line - 1 && strchr(line, '\n') == NULL && poll(&pf, 1, 15000) == 1) {
        ssize_t k = read(fds[0], line + n, sizeof line - 1 - n);
        if (k <= 0) break;
        n += (size_t)k;
    }
    close(fds[0]);
    *port = atoi(line);
    if (*port <= 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("the example did not print its port: '%s'", line);
    }
    return pid;
}

static void stop_pid(pid_t pid) {
    kill(pid, SIGTERM);
    int st;
    waitpid(pid, &st, 0);
}

static void test_http(void **state) {
    NEED_PYTHON();
    fixture *f = *state;
    int port;
    pid_t srv = start_http_example(&port);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    ar_errbuf eb;
    ar_ext_agent *h = ar_ext_http_create(url, 5, &eb);
    if (h == NULL) fail_msg("%s", eb.msg);
    assert_int_equal(ar_ext_agent_pid(h), 0);
    ar_obs o = obs_at(f, NVIS, f->a);
    char *s = obs_text(&o, NULL);
    ar_llm_call c;
    ask1(h, s, &c);
    expect_text(&c, NULL);
    assert_int_equal(c.http_status, 200);
    json_t *ans = json_loads(c.text, 0, NULL);
    assert_true(json_is_array(ans));
    assert_int_equal(json_array_size(ans), 2);
    json_decref(ans);
    ar_llm_call_cleanup(&c);

    /* http and exec agents in one round: the slowest, not the sum */
    ar_ext_agent *e1 = sh_agent("while read l; do sleep 0.2; echo '[]'; done", 5);
    ar_ext_agent *e2 = sh_agent("while read l; do sleep 0.2; echo '[]'; done", 5);
    ar_ext_agent *const ag[3] = {e1, h, e2};
    const char *const ob[3] = {"{}", s, "{}"};
    ar_llm_call cs[3];
    double t = now_ms();
    assert_int_equal(ar_ext_ask_all(ag, ob, 3, cs), AR_OK);
    double ms = now_ms() - t;
    for (int i = 0; i < 3; i++) {
        expect_text(&cs[i], NULL);
        ar_llm_call_cleanup(&cs[i]);
    }
    if (!(ms < 380)) fail_msg("mixed round took %.0f ms", ms);
    ar_ext_agent_free(e1);
    ar_ext_agent_free(e2);

    /* the example refuses a body that is not JSON: a non-2xx status */
    ask1(h, "not json", &c);
    expect_fail(&c, AR_R_HTTP);
    assert_int_equal(c.http_status, 400);
    assert_non_null(strstr(c.error, "400"));
    ar_llm_call_cleanup(&c);
    ar_ext_agent_free(h);
    stop_pid(srv);

    /* nobody listening: http_error without a status */
    h = ar_ext_http_create(url, 2, &eb);
    assert_non_null(h);
    ask1(h, "{}", &c);
    expect_fail(&c, AR_R_HTTP);
    assert_int_equal(c.http_status, 0);
    ar_llm_call_cleanup(&c);
    ar_ext_agent_free(h);
    free(s);
}

static void test_http_timeout(void **state) {
    (void)state;
    /* a socket that accepts connections (the backlog) and never answers */
    int sk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(sk >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(sk, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(sk, 8), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(sk, (struct sockaddr *)&sa, &sl), 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/agent", ntohs(sa.sin_port));
    ar_errbuf eb;
    ar_ext_agent *h = ar_ext_http_create(url, 0.3, &eb);
    assert_non_null(h);
    ar_llm_call c;
    double ms = ask1(h, "{}", &c);
    expect_fail(&c, AR_R_TIMEOUT);
    assert_true(ms >= 290 && ms < 1500);
    ar_llm_call_cleanup(&c);
    ar_ext_agent_free(h);
    close(sk);
}

/* ---- nothing left behind -------------------------------------------------- */

static void test_no_leaks(void **state) {
    (void)state;
    errno = 0;
    pid_t r = waitpid(-1, NULL, WNOHANG);
    if (!(r < 0 && errno == ECHILD)) fail_msg("a child process is left (waitpid gave %ld)", (long)r);
    int n = count_fds();
    if (n != g_fds) fail_msg("%d descriptors open, %d at the start", n, g_fds);
}

static int group_setup(void **state) {
    (void)state;
    g_fds = count_fds();
    snprintf(g_dir, sizeof g_dir, "/tmp/arena-test-ext-XXXXXX");
    return mkdtemp(g_dir) == NULL ? -1 : 0;
}

static int group_teardown(void **state) {
    (void)state;
    rmdir(g_dir);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_obs_keys_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_obs_no_lookahead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_obs_odd_inputs, setup, teardown),
        cmocka_unit_test(test_exec_args),
        cmocka_unit_test(test_exec_shell),
        cmocka_unit_test(test_exec_timeout),
        cmocka_unit_test(test_exec_restart),
        cmocka_unit_test(test_exec_concurrent),
        cmocka_unit_test_setup_teardown(test_exec_python, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http, setup, teardown),
        cmocka_unit_test(test_http_timeout),
        cmocka_unit_test(test_no_leaks),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
