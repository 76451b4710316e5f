/* src/llm/ext.c - external agents: the observation as JSON, exec agents
 * (a program speaking JSON lines) and http agents (a URL).
 *
 * The observation JSON carries the numbers of the LLM prompt (prompt.c),
 * computed by the same code (src/llm/features.c): the same bounded windows,
 * the same last-visible-bar anchoring, the same Sharpe. Only bars [0, nvis) and
 * funding with time <= t are read. jansson writes every byte (sorted keys,
 * 17 significant digits, NaN as null), so the document is deterministic and
 * an agent can be replayed from it.
 *
 * Exec agents: posix_spawnp with the child in its own process group (so a
 * kill reaches whatever the program started, e.g. `sh -c` children), stdin
 * and stdout on close-on-exec pipes whose parent ends are non-blocking,
 * stderr inherited (an agent's log goes where ours goes). A round writes
 * every observation, then polls every stdout (and the curl multi handle for
 * http agents) until each agent has a line or its deadline passed. Writes
 * are non-blocking too, so a child that never reads cannot stall a round
 * past its deadline. SIGPIPE is blocked in this thread around each write and
 * a SIGPIPE that write raised is consumed before unblocking (the signal
 * disposition of the process is never changed); EPIPE then just means the
 * child is gone. Any failure (timeout, EOF, too long, write error) kills
 * the process group and reaps the child at once; the next ask starts a new
 * one. Nothing is left behind: no zombie, no descriptor.
 *
 * Http agents: one easy handle each, all on one multi handle per round,
 * whose poll also watches the exec pipes. Threading: see ext.h. */
#define _GNU_SOURCE /* pipe2 (close-on-exec pipes without a fork race) */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <curl/curl.h>
#include <jansson.h>
#include "llm/features_int.h"
#include "arena/dl.h"
#include "arena/ext.h"
#include "arena/indicators.h"
#include "arena/util.h"

extern char **environ;

#define SERIES_N 10     /* as prompt.c */

/* ---- observation JSON ----------------------------------------------------- */





/* as prompt.c: sample standard deviation of simple returns, annualised with
 * the cadence when known; NAN when undefined */

static json_t *num(double x) {
    return isfinite(x) ? json_real(x) : json_null();
}

/* Set obj[k] = v (stealing v); any failure (v NULL included) sets *bad. */
static void put(json_t *obj, const char *k, json_t *v, int *bad) {
    if (v == NULL || json_object_set_new(obj, k, v) != 0) *bad = 1;
}

/* A JSON string of s; bytes that are not valid UTF-8 become '?'. */
static json_t *jstr(const char *s) {
    if (s == NULL) s = "";
    json_t *j = json_string(s);
    if (j != NULL) return j;
    size_t n = strlen(s);
    char *c = malloc(n + 1);
    if (c == NULL) return NULL;
    for (size_t i = 0; i <= n; i++) c[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
    j = json_string(c);
    free(c);
    return j;
}

static json_t *series(const double *v, size_t n) {
    json_t *a = json_array();
    if (a == NULL) return NULL;
    for (size_t i = n > SERIES_N ? n - SERIES_N : 0; i < n; i++)
        if (json_array_append_new(a, num(v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static const char *coin_name(const ar_obs *o, const ar_prompt_opts *p, size_t s) {
    if (p->coins != NULL && p->coins[s] != NULL) return p->coins[s];
    return o->market->sym[s].name;
}

static json_t *symbol_json(const ar_obs *o, const ar_prompt_opts *p, size_t s, ar__features *w) {
    const ar_symbol *sym = &o->market->sym[s];
    int64_t iv = sym->interval;
    ar__features_compute(o, p, s, w);
    size_t np = w->np, nl = w->nl, step = w->step;
    double price = w->price, vsum = w->vsum;
    int64_t L = w->L;

    int bad = 0;
    json_t *m = json_object(), *ser = json_object(), *lg = json_object();
    put(m, "price", num(price), &bad);
    put(m, "ema20", num(ar__last(w->ema20, np)), &bad);
    put(m, "macd", num(ar__last(w->macd, np)), &bad);
    put(m, "rsi7", num(ar__last(w->rsi7, np)), &bad);
    put(m, "rsi14", num(ar__last(w->rsi14, np)), &bad);
    put(m, "ema50", num(ar__last(w->lema50, nl)), &bad);
    put(m, "atr3", num(ar__last(w->latr3, nl)), &bad);
    put(m, "atr14", num(ar__last(w->latr14, nl)), &bad);
    put(m, "volume", num(ar__last(w->vol, nl)), &bad);
    put(m, "avg_volume", num(nl > 0 ? vsum / (double)nl : NAN), &bad);
    if (sym->funding.n > 0) put(m, "funding_rate", num(ar__funding_at(&sym->funding, o->t)), &bad);

    put(ser, "step_s", num(np > 0 ? (double)step * (double)iv / 1e9 : NAN), &bad);
    put(ser, "mid", series(w->px, np), &bad);
    put(ser, "ema20", series(w->ema20, np), &bad);
    put(ser, "macd", series(w->macd, np), &bad);
    put(ser, "rsi7", series(w->rsi7, np), &bad);
    put(ser, "rsi14", series(w->rsi14, np), &bad);
    put(m, "series", ser, &bad);

    put(lg, "interval_s", num(nl > 0 ? (double)L / 1e9 : NAN), &bad);
    put(lg, "ema20", num(ar__last(w->lema20, nl)), &bad);
    put(lg, "ema50", num(ar__last(w->lema50, nl)), &bad);
    put(lg, "atr3", num(ar__last(w->latr3, nl)), &bad);
    put(lg, "atr14", num(ar__last(w->latr14, nl)), &bad);
    put(lg, "volume", num(ar__last(w->vol, nl)), &bad);
    put(lg, "avg_volume", num(nl > 0 ? vsum / (double)nl : NAN), &bad);
    put(lg, "macd", series(w->lmacd, nl), &bad);
    put(lg, "rsi14", series(w->lrsi14, nl), &bad);
    put(m, "long", lg, &bad);
    if (bad) {
        json_decref(m);
        return NULL;
    }
    return m;
}

static json_t *account_json(const ar_obs *o, const ar_prompt_opts *p) {
    if (o->acct == NULL) return json_null();
    int bad = 0;
    json_t *a = json_object(), *pos = json_array();
    double eq = ar_account_equity(o->acct, o->marks);
    put(a, "capital", num(o->capital), &bad);
    put(a, "cash", num(ar_account_cash(o->acct)), &bad);
    put(a, "equity", num(eq), &bad);
    put(a, "return_pct", num(o->capital > 0 ? (eq / o->capital - 1) * 100 : NAN), &bad);
    put(a, "sharpe", num(ar__sharpe_of(p->equity, p->nequity, p->cadence)), &bad);
    put(a, "pending_orders", json_integer((json_int_t)ar_account_npending(o->acct)), &bad);
    for (size_t s = 0; s < o->market->nsym && !bad; s++) {
        const ar_position *ps = ar_account_position(o->acct, (int32_t)s);
        if (ps == NULL || ps->qty == 0) continue;
        double mark = o->marks != NULL ? o->marks[s] : NAN;
        json_t *x = json_object();
        put(x, "coin", jstr(coin_name(o, p, s)), &bad);
        put(x, "quantity", num(ps->qty), &bad);
        put(x, "entry_price", num(ps->entry), &bad);
        put(x, "current_price", num(mark), &bad);
        put(x, "liquidation_price", num(ps->liq), &bad);
        put(x, "unrealized_pnl", num(ps->qty * (mark - ps->entry)), &bad);
        put(x, "leverage", num(ps->leverage), &bad);
        put(x, "margin", num(ps->margin), &bad);
        put(x, "profit_target", num(ps->tp), &bad);
        put(x, "stop_loss", num(ps->sl), &bad);
        if (x == NULL || json_array_append_new(pos, x) != 0) bad = 1;
    }
    put(a, "positions", pos, &bad);
    if (bad) {
        json_decref(a);
        return NULL;
    }
    return a;
}

ar_err ar_obs_json(const ar_obs *o, const ar_prompt_opts *p, ar_buf *out) {
    if (o == NULL || o->market == NULL || o->nvis == NULL || out == NULL) return AR_EINVAL;
    ar_prompt_opts none = {0};
    if (p == NULL) p = &none;
    ar__features *w = malloc(sizeof *w);
    if (w == NULL) return AR_ENOMEM;
    int bad = 0;
    json_t *root = json_object(), *coins = json_array(), *market = json_object(), *rules = json_object();
    if (!p->hide_dates) {
        char ts[48];
        ar_time_format(o->t, ts, sizeof ts);
        put(root, "t", json_string(ts), &bad);
    }
    int64_t since;
    if (__builtin_sub_overflow(o->t, o->start, &since)) put(root, "minutes_elapsed", json_null(), &bad);
    else put(root, "minutes_elapsed", json_integer((json_int_t)(since / AR_NS_PER_MIN)), &bad);
    put(root, "invocation", json_integer((json_int_t)(p->invocation ? p->invocation : o->decision_index + 1)), &bad);
    for (size_t s = 0; s < o->market->nsym && !bad; s++) {
        json_t *name = jstr(coin_name(o, p, s));
        if (name == NULL) {
            bad = 1;
            break;
        }
        put(market, json_string_value(name), symbol_json(o, p, s, w), &bad);
        if (json_array_append_new(coins, name) != 0) bad = 1;
    }
    put(root, "coins", coins, &bad);
    put(root, "market", market, &bad);
    put(root, "account", account_json(o, p), &bad);
    const ar_exec_cfg *x = o->exec;
    put(rules, "max_leverage", x != NULL && x->mode != AR_MODE_SPOT ? num(x->max_leverage) : json_real(1), &bad);
    put(rules, "spot", json_boolean(x != NULL && x->mode == AR_MODE_SPOT), &bad);
    put(rules, "taker_fee_bps", num(x != NULL ? x->taker_bps : NAN), &bad);
    put(rules, "maker_fee_bps", num(x != NULL ? x->maker_bps : NAN), &bad);
    put(root, "rules", rules, &bad);
    free(w);
    char *s = bad ? NULL : json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (s == NULL) return AR_ENOMEM;
    ar_err e = ar_buf_puts(out, s);
    free(s);
    return e;
}

/* ---- agents --------------------------------------------------------------- */

enum { K_EXEC, K_HTTP };

struct ar_ext_agent {
    int kind;
    double timeout_s;
    /* exec */
    char **argv;
    pid_t pid;          /* 0: not running */
    int in_fd, out_fd;  /* parent ends, non-blocking; -1 when closed */
    ar_buf rbuf;        /* bytes read in this ask */
    /* http */
    char *url;
    CURL *easy;
    struct curl_slist *hdrs;
};

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static double clamp_timeout(double t) {
    return t < 0.001 ? 0.001 : t > AR_EXT_MAX_TIMEOUT_S ? AR_EXT_MAX_TIMEOUT_S : t;
}

ar_ext_agent *ar_ext_exec_create(const char *const *argv, double timeout_s, ar_errbuf *eb) {
    if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0') {
        ar_errf(eb, AR_EINVAL, "exec agent: empty command");
        return NULL;
    }
    if (!isfinite(timeout_s) || !(timeout_s > 0)) {
        ar_errf(eb, AR_EINVAL, "exec agent: timeout must be a positive number of seconds");
        return NULL;
    }
    size_t n = 0;
    while (argv[n] != NULL) n++;
    ar_ext_agent *a = calloc(1, sizeof *a);
    if (a != NULL) a->argv = calloc(n + 1, sizeof *a->argv);
    int ok = a != NULL && a->argv != NULL;
    for (size_t i = 0; ok && i < n; i++) ok = (a->argv[i] = strdup(argv[i])) != NULL;
    if (!ok) {
        ar_ext_agent_free(a);
        ar_errf(eb, AR_ENOMEM, "exec agent: out of memory");
        return NULL;
    }
    a->kind = K_EXEC;
    a->timeout_s = clamp_timeout(timeout_s);
    a->in_fd = a->out_fd = -1;
    return a;
}

ar_ext_agent *ar_ext_http_create(const char *url, double timeout_s, ar_errbuf *eb) {
    if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        ar_errf(eb, AR_EINVAL, "http agent: the URL must start with http:// or https://");
        return NULL;
    }
    if (!isfinite(timeout_s) || !(timeout_s > 0)) {
        ar_errf(eb, AR_EINVAL, "http agent: timeout must be a positive number of seconds");
        return NULL;
    }
    if (ar_curl_load(eb) != AR_OK) return NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ar_errf(eb, AR_EIO, "http agent: curl_global_init failed");
        return NULL;
    }
    ar_ext_agent *a = calloc(1, sizeof *a);
    if (a == NULL) {
        curl_global_cleanup();
        ar_errf(eb, AR_ENOMEM, "http agent: out of memory");
        return NULL;
    }
    a->kind = K_HTTP; /* from here ar_ext_agent_free balances curl_global_init */
    a->in_fd = a->out_fd = -1;
    a->timeout_s = clamp_timeout(timeout_s);
    a->url = strdup(url);
    a->easy = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (h != NULL) a->hdrs = h;
    if (h != NULL) h = curl_slist_append(a->hdrs, "Expect:");
    if (a->url == NULL || a->easy == NULL || h == NULL) {
        ar_ext_agent_free(a);
        ar_errf(eb, AR_ENOMEM, "http agent: out of memory");
        return NULL;
    }
    long ms = (long)ceil(a->timeout_s * 1000);
    CURL *c = a->easy;
    int rc = 0;
    rc |= curl_easy_setopt(c, CURLOPT_URL, a->url);
    rc |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, a->hdrs);
    rc |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
    rc |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms);
    rc |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    rc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    rc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    rc |= curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    rc |= curl_easy_setopt(c, CURLOPT_USERAGENT, "arena/0.1");
    if (rc != 0) {
        ar_ext_agent_free(a);
        ar_errf(eb, AR_EINVAL, "http agent: curl refused the options for %s", url);
        return NULL;
    }
    return a;
}

long ar_ext_agent_pid(const ar_ext_agent *a) {
    return a != NULL && a->kind == K_EXEC ? (long)a->pid : 0;
}

/* ---- exec: processes ------------------------------------------------------ */

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* Move fd to >= 3 (close-on-exec kept), so dup2 onto 0/1 in the child can
 * never clobber another of our pipe ends when our own stdin/stdout are
 * closed. -1 on failure (fd closed). */
static int fd_high(int fd) {
    if (fd < 0 || fd >= 3) return fd;
    int n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return n;
}

/* 1 if the child has terminated (not reaped: WNOWAIT), 0 if running. */
static int child_exited(pid_t pid) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r;
    while ((r = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT)) != 0 && errno == EINTR) {
    }
    if (r != 0) return 1; /* ECHILD: already reaped (SIGCHLD ignored) */
    return si.si_pid != 0;
}

/* Stop the child: close its stdin, wait up to grace_ms for it to exit on its
 * own, SIGKILL its process group, reap it. how (may be NULL) says how it
 * ended when it ended by itself. */
static void exec_stop(ar_ext_agent *a, long grace_ms, char *how, size_t nhow) {
    if (how != NULL && nhow > 0) snprintf(how, nhow, "closed its stdout");
    close_fd(&a->in_fd);
    if (a->pid > 0) {
        int exited = child_exited(a->pid);
        for (long waited = 0; !exited && waited < grace_ms; waited += 2) {
            sleep_ms(2);
            exited = child_exited(a->pid);
        }
        /* the group still exists while the leader is unreaped: no pid reuse */
        if (kill(-a->pid, SIGKILL) != 0) kill(a->pid, SIGKILL);
        int st = 0;
        pid_t r;
        while ((r = waitpid(a->pid, &st, 0)) < 0 && errno == EINTR) {
        }
        /* An exit status is the child's own even when it was not seen
         * exited in time (a loaded machine: it was already on its way out
         * when the SIGKILL came); a SIGKILL is ours unless it had ended
         * before we sent it. */
        if (r == a->pid && how != NULL && nhow > 0) {
            if (WIFEXITED(st)) snprintf(how, nhow, "exited with status %d", WEXITSTATUS(st));
            else if (WIFSIGNALED(st) && (exited || WTERMSIG(st) != SIGKILL))
                snprintf(how, nhow, "killed by signal %d", WTERMSIG(st));
        }
    }
    close_fd(&a->out_fd);
    a->pid = 0;
    ar_buf_reset(&a->rbuf);
}

static int exec_start(ar_ext_agent *a, char *err, size_t nerr) {
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
        snprintf(err, nerr, "cannot start %s: pipe: %s", a->argv[0], strerror(errno));
        close_fd(&in[0]), close_fd(&in[1]);
        return -1;
    }
    for (int i = 0; i < 2; i++) in[i] = fd_high(in[i]), out[i] = fd_high(out[i]);
    int ok = in[0] >= 0 && in[1] >= 0 && out[0] >= 0 && out[1] >= 0 &&
             fcntl(in[1], F_SETFL, O_NONBLOCK) == 0 && fcntl(out[0], F_SETFL, O_NONBLOCK) == 0;
    int rc = ok ? 0 : errno ? errno : EMFILE;
    pid_t pid = 0;
    if (ok) {
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        sigset_t none, dfl;
        sigemptyset(&none);
        sigemptyset(&dfl);
        sigaddset(&dfl, SIGPIPE);
        sigaddset(&dfl, SIGINT);
        sigaddset(&dfl, SIGTERM);
        sigaddset(&dfl, SIGHUP);
        sigaddset(&dfl, SIGQUIT);
        sigaddset(&dfl, SIGXFSZ); /* arena ignores it (main.c); the agent gets the default */
        rc = posix_spawn_file_actions_init(&fa);
        if (rc == 0) {
            rc = posix_spawnattr_init(&at);
            if (rc == 0) {
                if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, in[0], 0);
                if (rc == 0) rc = posix_spawn_file_actions_adddup2(&fa, out[1], 1);
                if (rc == 0) rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                                    POSIX_SPAWN_SETSIGDEF);
                if (rc == 0) rc = posix_spawnattr_setpgroup(&at, 0);
                if (rc == 0) rc = posix_spawnattr_setsigmask(&at, &none);
                if (rc == 0) rc = posix_spawnattr_setsigdefault(&at, &dfl);
                if (rc == 0) rc = posix_spawnp(&pid, a->argv[0], &fa, &at, a->argv, environ);
                posix_spawnattr_destroy(&at);
            }
            posix_spawn_file_actions_destroy(&fa);
        }
    }
    close_fd(&in[0]);
    close_fd(&out[1]);
    if (rc != 0) {
        close_fd(&in[1]);
        close_fd(&out[0]);
        snprintf(err, nerr, "cannot start %s: %s", a->argv[0], strerror(rc));
        return -1;
    }
    a->pid = pid;
    a->in_fd = in[1];
    a->out_fd = out[0];
    ar_buf_reset(&a->rbuf);
    return 0;
}

void ar_ext_agent_free(ar_ext_agent *a) {
    if (a == NULL) return;
    if (a->kind == K_EXEC) {
        exec_stop(a, 100, NULL, 0);
        if (a->argv != NULL)
            for (size_t i = 0; a->argv[i] != NULL; i++) free(a->argv[i]);
        free(a->argv);
        ar_buf_cleanup(&a->rbuf);
    } else {
        if (a->easy != NULL) curl_easy_cleanup(a->easy);
        curl_slist_free_all(a->hdrs);
        free(a->url);
        curl_global_cleanup();
    }
    free(a);
}

/* write() with SIGPIPE blocked in this thread; a SIGPIPE the write raised
 * is consumed, one that was pending before is left alone. */
static ssize_t write_nosig(int fd, const void *p, size_t n) {
    sigset_t pipe_set, old, pend;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    sigemptyset(&pend);
    sigpending(&pend);
    int was_pending = sigismember(&pend, SIGPIPE);
    ssize_t k = write(fd, p, n);
    int err = errno;
    if (k < 0 && err == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = err;
    return k;
}

/* ---- a round -------------------------------------------------------------- */

typedef struct job {
    ar_ext_agent *a;
    ar_llm_call *call;
    int done, restart, eof;
    double t0, deadline;
    const char *obs;
    size_t len, woff;   /* bytes of obs + "\n" written */
    int writing;
    size_t scanned;     /* rbuf bytes searched for '\n' */
    ar_buf body;        /* http */
    int overflow, oom, added;
} job;

static void call_error(ar_llm_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void call_error(ar_llm_call *c, const char *fmt, ...) {
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    free(c->error);
    c->error = strdup(msg); /* NULL on ENOMEM: the reason still says it */
    ar_utf8_sanitize(c->error);
}

static void finish(job *j, int status, int reason, double now) {
    ar_llm_call *c = j->call;
    j->done = 1;
    c->status = status;
    c->reason = reason;
    c->latency_ms = c->total_ms = now - j->t0;
    c->attempts = 1;
    c->nlog = 1;
    c->log[0].http_status = c->http_status;
    c->log[0].reason = status == 0 ? AR_R_NONE : reason;
    c->log[0].latency_ms = c->latency_ms;
    if (status != 0 && j->a != NULL && j->a->kind == K_EXEC) j->restart = 1;
}

static char *dup_n(const char *s, size_t n) {
    char *p = malloc(n + 1);
    if (p == NULL) return NULL;
    if (n > 0) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void exec_write(job *j) {
    ar_ext_agent *a = j->a;
    while (j->writing) {
        const char *p = j->woff < j->len ? j->obs + j->woff : "\n";
        size_t n = j->woff < j->len ? j->len - j->woff : 1;
        ssize_t k = write_nosig(a->in_fd, p, n);
        if (k > 0) {
            j->woff += (size_t)k;
            if (j->woff == j->len + 1) j->writing = 0;
            continue;
        }
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        /* EPIPE or worse: the child does not read any more. Keep reading its
         * stdout (it may still answer); restart it after the round. */
        j->writing = 0;
        j->restart = 1;
    }
}

/* Read what is there; finish the job on a line, EOF or overflow. */
static void exec_read(job *j, ar_err *e, double now) {
    ar_ext_agent *a = j->a;
    char chunk[65536];
    while (!j->done) {
        size_t room = AR_EXT_MAX_ANSWER + 1 - a->rbuf.n;
        ssize_t k = read(a->out_fd, chunk, room < sizeof chunk ? room : sizeof chunk);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (k <= 0) {
            j->eof = 1;
            finish(j, 1, AR_R_AGENT_ERROR, now); /* error text after the stop */
            return;
        }
        if (ar_buf_append(&a->rbuf, chunk, (size_t)k) != AR_OK) {
            *e = AR_ENOMEM;
            call_error(j->call, "out of memory");
            finish(j, 1, AR_R_AGENT_ERROR, now);
            return;
        }
        const char *nl = memchr(a->rbuf.p + j->scanned, '\n', a->rbuf.n - j->scanned);
        j->scanned = a->rbuf.n;
        if (nl != NULL) {
            size_t n = (size_t)(nl - a->rbuf.p);
            if (n > 0 && a->rbuf.p[n - 1] == '\r') n--;
            j->call->text = dup_n(a->rbuf.p, n);
            ar_utf8_sanitize(j->call->text); /* a cassette is JSON */
            if (j->call->text == NULL) {
                *e = AR_ENOMEM;
                call_error(j->call, "out of memory");
                finish(j, 1, AR_R_AGENT_ERROR, now);
            } else {
                finish(j, 0, AR_R_NONE, now);
            }
            ar_buf_reset(&a->rbuf);
            return;
        }
        if (a->rbuf.n > AR_EXT_MAX_ANSWER) {
            call_error(j->call, "answer line longer than %zu bytes", (size_t)AR_EXT_MAX_ANSWER);
            finish(j, 1, AR_R_TOO_LONG, now);
            return;
        }
    }
}

/* Prepare an exec job: child running, stale output drained, first write. */
static void exec_begin(job *j, double now) {
    ar_ext_agent *a = j->a;
    if (memchr(j->obs, '\n', j->len) != NULL) {
        call_error(j->call, "the observation contains a newline");
        j->done = 1;
        finish(j, 1, AR_R_AGENT_ERROR, now);
        j->restart = 0;
        return;
    }
    for (int tries = 0; tries < 2; tries++) {
        if (a->pid > 0 && child_exited(a->pid)) exec_stop(a, 0, NULL, 0);
        if (a->pid == 0) {
            char err[512];
            if (exec_start(a, err, sizeof err) != 0) {
                call_error(j->call, "%s", err);
                finish(j, 1, AR_R_AGENT_ERROR, now);
                j->restart = 0;
                return;
            }
        }
        /* drop anything printed since the last answer (extra lines), at
         * most 4 MiB of it; EOF here means the child is going away */
        char chunk[65536];
        size_t dropped = 0;
        int eof = 0;
        while (dropped < ((size_t)4 << 20)) {
            ssize_t k = read(a->out_fd, chunk, sizeof chunk);
            if (k > 0) {
                dropped += (size_t)k;
                continue;
            }
            if (k < 0 && errno == EINTR) continue;
            eof = !(k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
            break;
        }
        if (!eof) break;
        exec_stop(a, 0, NULL, 0);
    }
    if (a->pid == 0) {
        call_error(j->call, "%s closed its stdout as it started", a->argv[0]);
        finish(j, 1, AR_R_AGENT_ERROR, now);
        return;
    }
    ar_buf_reset(&a->rbuf);
    j->scanned = 0;
    j->writing = 1;
    exec_write(j);
}

static size_t on_body(char *p, size_t sz, size_t nm, void *ud) {
    job *j = ud;
    size_t n = sz * nm;
    if (j->body.n + n > AR_EXT_MAX_ANSWER) {
        j->overflow = 1;
        return 0;
    }
    if (ar_buf_append(&j->body, p, n) != AR_OK) {
        j->oom = 1;
        return 0;
    }
    return n;
}

static void http_done(job *j, CURLcode rc, ar_err *e, double now) {
    ar_llm_call *c = j->call;
    long code = 0;
    curl_easy_getinfo(j->a->easy, CURLINFO_RESPONSE_CODE, &code);
    c->http_status = (int32_t)code;
    c->log[0].curl_code = (int32_t)rc;
    if (j->oom) {
        *e = AR_ENOMEM;
        call_error(c, "out of memory");
        finish(j, 1, AR_R_AGENT_ERROR, now);
    } else if (j->overflow) {
        call_error(c, "answer body longer than %zu bytes", (size_t)AR_EXT_MAX_ANSWER);
        finish(j, 1, AR_R_TOO_LONG, now);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        call_error(c, "no answer within %.3f s", j->a->timeout_s);
        finish(j, 1, AR_R_TIMEOUT, now);
    } else if (rc != CURLE_OK) {
        call_error(c, "http: %s", curl_easy_strerror(rc));
        finish(j, 1, AR_R_HTTP, now);
    } else {
        c->text = dup_n(j->body.p != NULL ? j->body.p : "", j->body.n);
        ar_utf8_sanitize(c->text); /* a cassette is JSON */
        if (c->text == NULL) {
            *e = AR_ENOMEM;
            call_error(c, "out of memory");
            finish(j, 1, AR_R_AGENT_ERROR, now);
        } else if (code < 200 || code > 299) {
            call_error(c, "http status %ld", code);
            finish(j, 1, AR_R_HTTP, now);
        } else {
            finish(j, 0, AR_R_NONE, now);
        }
    }
}

ar_err ar_ext_ask_all(ar_ext_agent *const *agents, const char *const *obs, size_t n, ar_llm_call *out) {
    if (n == 0) return AR_OK;
    if (agents == NULL || obs == NULL || out == NULL) return AR_EINVAL;
    ar_err e = AR_OK;
    double t0 = now_ms();
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].status = 1;
        out[i].reason = AR_R_AGENT_ERROR;
        out[i].attempts = 1;
        out[i].nlog = 1;
        out[i].log[0].reason = AR_R_AGENT_ERROR;
    }
    job *jobs = calloc(n, sizeof *jobs);
    struct pollfd *pfd = calloc(2 * n, sizeof *pfd);
    struct curl_waitfd *cfd = calloc(2 * n, sizeof *cfd);
    if (jobs == NULL || pfd == NULL || cfd == NULL) {
        for (size_t i = 0; i < n; i++) call_error(&out[i], "out of memory");
        free(jobs), free(pfd), free(cfd);
        return AR_ENOMEM;
    }
    CURLM *multi = NULL;
    size_t nhttp = 0;
    for (size_t i = 0; i < n; i++) {
        job *j = &jobs[i];
        j->a = agents[i];
        j->call = &out[i];
        j->obs = obs[i];
        j->t0 = t0;
        if (j->a == NULL || j->obs == NULL) {
            call_error(j->call, "no agent or no observation");
            finish(j, 1, AR_R_AGENT_ERROR, t0);
            j->a = NULL;
            continue;
        }
        for (size_t k = 0; k < i; k++)
            if (agents[k] == j->a) {
                call_error(j->call, "the same agent twice in one round");
                finish(j, 1, AR_R_AGENT_ERROR, t0);
                j->a = NULL;
                break;
            }
        if (j->done) continue;
        j->len = strlen(j->obs);
        j->deadline = t0 + j->a->timeout_s * 1000;
        nhttp += j->a->kind == K_HTTP;
    }
    if (nhttp > 0 && (multi = curl_multi_init()) == NULL) e = AR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        job *j = &jobs[i];
        if (j->done) continue;
        if (j->a->kind == K_EXEC) {
            exec_begin(j, now_ms());
            continue;
        }
        if (e != AR_OK) break;
        CURL *c = j->a->easy;
        int rc = 0;
        rc |= curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->obs);
        rc |= curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->len);
        rc |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        rc |= curl_easy_setopt(c, CURLOPT_WRITEDATA, j);
        rc |= curl_easy_setopt(c, CURLOPT_PRIVATE, j);
        if (rc != 0 || curl_multi_add_handle(multi, c) != CURLM_OK) {
            call_error(j->call, "http: curl refused the request");
            finish(j, 1, AR_R_AGENT_ERROR, now_ms());
            continue;
        }
        j->added = 1;
    }

    while (e == AR_OK) {
        double now = now_ms();
        if (multi != NULL) {
            int running = 0;
            if (curl_multi_perform(multi, &running) != CURLM_OK) {
                e = AR_EIO;
                break;
            }
            CURLMsg *m;
            int left;
            while ((m = curl_multi_info_read(multi, &left)) != NULL) {
                if (m->msg != CURLMSG_DONE) continue;
                job *j = NULL;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
                if (j == NULL || j->done) continue;
                curl_multi_remove_handle(multi, j->a->easy);
                j->added = 0;
                http_done(j, m->data.result, &e, now_ms());
            }
        }
        now = now_ms();
        double wake = INFINITY;
        size_t np = 0, open = 0, http_open = 0;
        for (size_t i = 0; i < n; i++) {
            job *j = &jobs[i];
            if (j->done) continue;
            if (j->a->kind == K_HTTP) {
                /* curl enforces the timeout; this only bounds a stuck transfer */
                if (now >= j->deadline + 2000) {
                    curl_multi_remove_handle(multi, j->a->easy);
                    j->added = 0;
                    call_error(j->call, "no answer within %.3f s", j->a->timeout_s);
                    finish(j, 1, AR_R_TIMEOUT, now);
                    continue;
                }
                open++, http_open++;
                continue;
            }
            if (now >= j->deadline) {
                call_error(j->call, "no answer line within %.3f s (%zu bytes without a newline)", j->a->timeout_s,
                           j->a->rbuf.n);
                finish(j, 1, AR_R_TIMEOUT, now);
                continue;
            }
            open++;
            wake = fmin(wake, j->deadline);
            pfd[np] = (struct pollfd){j->a->out_fd, POLLIN, 0};
            np++;
            if (j->writing) {
                pfd[np] = (struct pollfd){j->a->in_fd, POLLOUT, 0};
                np++;
            }
        }
        if (open == 0) break;
        double tmo = wake - now;
        int ms = !(tmo < 1000) ? 1000 : tmo <= 0 ? 0 : (int)ceil(tmo);
        if (http_open > 0) {
            for (size_t k = 0; k < np; k++)
                cfd[k] = (struct curl_waitfd){pfd[k].fd, (short)(pfd[k].events == POLLIN ? CURL_WAIT_POLLIN
                                                                                         : CURL_WAIT_POLLOUT), 0};
            if (curl_multi_poll(multi, np > 0 ? cfd : NULL, (unsigned)np, ms, NULL) != CURLM_OK) {
                e = AR_EIO;
                break;
            }
        } else if (poll(pfd, (nfds_t)np, ms) < 0 && errno != EINTR) {
            e = AR_EIO;
            break;
        }
        /* Try every pipe: reads and writes are non-blocking, and curl does
         * not report POLLHUP/POLLERR of extra descriptors. */
        now = now_ms();
        for (size_t i = 0; i < n; i++) {
            job *j = &jobs[i];
            if (j->done || j->a->kind != K_EXEC) continue;
            if (j->writing) exec_write(j);
            exec_read(j, &e, now);
        }
    }

    /* Anything still open failed with the round (ENOMEM, curl failure). */
    double end = now_ms();
    for (size_t i = 0; i < n; i++) {
        job *j = &jobs[i];
        if (!j->done) {
            call_error(j->call, "%s", e == AR_ENOMEM ? "out of memory" : "curl multi failed");
            finish(j, 1, AR_R_AGENT_ERROR, end);
        }
        if (j->added) curl_multi_remove_handle(multi, j->a->easy);
        if (j->a != NULL && j->a->kind == K_HTTP) {
            curl_easy_setopt(j->a->easy, CURLOPT_PRIVATE, NULL);
            curl_easy_setopt(j->a->easy, CURLOPT_WRITEDATA, NULL);
            curl_easy_setopt(j->a->easy, CURLOPT_POSTFIELDS, NULL);
        }
        ar_buf_cleanup(&j->body);
        if (j->a == NULL || j->a->kind != K_EXEC) continue;
        /* an answer, then the child went away: reap it now, no error */
        if (!j->restart && j->a->pid > 0 && child_exited(j->a->pid)) j->restart = 1;
        if (!j->restart) continue;
        char how[96];
        /* After EOF the child is almost always on its way out: give it up
         * to 500 ms (polled every 2 ms, so no longer than it takes) to be
         * seen exited, so the error says how it ended; 50 ms was too short
         * on a loaded machine (test_ext's "exited with status 0"). */
        exec_stop(j->a, j->eof ? 500 : 0, how, sizeof how);
        if (j->eof) call_error(j->call, "agent %s before answering", how);
    }
    if (multi != NULL) curl_multi_cleanup(multi);
    free(jobs);
    free(pfd);
    free(cfd);
    return e;
}
