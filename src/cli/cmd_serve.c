/* src/cli/cmd_serve.c - `arena serve RUN.h5|DIR [--port P] [--host H]`:
 * a web page with the league table, equity curves and latest decisions of a
 * run file (or of every run file in DIR), updated over a websocket while a
 * live run writes the file (read under HDF5 SWMR, see docs/LIVE.md).
 *
 * This file builds the snapshot JSON (store + core: run files, league rows);
 * the live module serves it (libwebsockets). Every interval the files are
 * stat'ed; only when a size or mtime changed are they read again, so an idle
 * finished run costs nothing. Ctrl-C (SIGINT) or SIGTERM stop the server. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <gsl/gsl_errno.h>
#include <jansson.h>
#include "arena/err.h"
#include "arena/league.h"
#include "arena/run.h"
#include "arena/serve.h"
#include "cli/cli.h"

#define MAX_POINTS 600
#define MAX_DECISIONS 20
#define MAX_FILES 256

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) {
    (void)sig;
    stop_flag = 1;
}

typedef struct {
    const char *path;   /* file or directory */
    int is_dir;
    char *key;          /* sizes and mtimes of the last snapshot */
    /* when each file of the last listing last changed, by name: in a
     * directory files come and go, so a position would name another file */
    char *cname[MAX_FILES];
    time_t ctime_[MAX_FILES];
    size_t nc;
    int shown_live; /* the last snapshot showed some run as live */
} serve_ctx;

static void usage(FILE *f) {
    fprintf(f, "usage: arena serve RUN.h5|DIR [--port P] [--host H]\n"
               "  Web page with the league table, equity curves and latest decisions of a run\n"
               "  file (DIR: of every run file in it), pushed over a websocket while a live run\n"
               "  writes. Binds 127.0.0.1:8765 by default (--port 0: any free port). Ctrl-C stops.\n");
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The run files to show: the file itself, or DIR's *.h5 in name order. */
static size_t list_files(const serve_ctx *c, char **out, size_t max) {
    if (!c->is_dir) {
        out[0] = strdup(c->path);
        return out[0] ? 1 : 0;
    }
    DIR *d = opendir(c->path);
    if (d == NULL) return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        size_t l = strlen(e->d_name);
        if (l < 4 || strcmp(e->d_name + l - 3, ".h5") != 0 || strstr(e->d_name, ".tmp-")) continue;
        size_t pl = strlen(c->path) + l + 2;
        if ((out[n] = malloc(pl)) == NULL) break;
        snprintf(out[n], pl, "%s/%s", c->path, e->d_name);
        n++;
    }
    closedir(d);
    qsort(out, n, sizeof *out, cmp_str);
    return n;
}

static json_t *jnum(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static json_t *run_json(const char *path, int live, int *skip) {
    json_t *o = json_object();
    json_object_set_new(o, "file", json_string(base_name(path)));
    ar_errbuf eb = {{0}};
    ar_run *r = NULL;
    ar_err e = ar_run_h5_read_lean(path, &r, &eb); /* a finished file's curves and logs stay on disk */
    if (e) {
        *skip = e == AR_EFORMAT && strstr(eb.msg, "not an arena run file") != NULL;
        json_object_set_new(o, "error", json_string(eb.msg));
        return o;
    }
    json_object_set_new(o, "name", json_string(r->name));
    json_object_set_new(o, "live", json_integer(live));
    const ar_run *runs[1] = {r};
    ar_league_opts lo;
    ar_league_opts_default(&lo);
    lo.bootstrap = 0; /* intervals would cost a second per update; arena table has them */
    ar_league *l = NULL;
    json_t *table = json_array();
    if (ar_league_compute_opts(runs, 1, &lo, &l, &eb) == AR_OK) {
        for (size_t i = 0; i < l->nrows; i++) {
            const ar_league_row *w = &l->rows[i];
            json_t *row = json_object();
            json_object_set_new(row, "agent", json_string(w->agent));
            json_object_set_new(row, "kind", json_string(w->kind));
            json_object_set_new(row, "final_equity", jnum(w->final_equity));
            json_object_set_new(row, "total_return", jnum(w->total_return));
            json_object_set_new(row, "sharpe", jnum(w->sharpe));
            json_object_set_new(row, "max_drawdown", jnum(w->max_drawdown));
            json_object_set_new(row, "trades", json_integer((json_int_t)w->trades));
            json_object_set_new(row, "fills", json_integer((json_int_t)w->fills));
            json_object_set_new(row, "decisions", json_integer((json_int_t)w->decisions));
            json_array_append_new(table, row);
        }
    } else {
        json_object_set_new(o, "table_error", json_string(eb.msg));
    }
    ar_league_free(l);
    json_object_set_new(o, "table", table);

    /* Curves and decisions of the last episode (a live run has one). */
    json_t *eq = json_array(), *dec = json_array();
    int64_t last_t = 0;
    if (r->nepisodes > 0) {
        const ar_run_episode *ep = &r->episodes[r->nepisodes - 1];
        ar_decision_rec pick[MAX_DECISIONS];
        const char *who[MAX_DECISIONS];
        size_t np = 0;
        for (size_t i = 0; i < ep->nagents; i++) {
            const ar_run_agent *a = &ep->agents[i];
            json_t *pts = json_array();
            size_t n = a->nequity, step = n > MAX_POINTS ? (n + MAX_POINTS - 1) / MAX_POINTS : 1;
            ar_equity_rec x = {0, NAN, NAN, NAN};
            for (size_t k = 0; k < n; k += step) {
                size_t j = (k + step >= n) ? n - 1 : k; /* always end on the last sample */
                if (ar_run_equity_rows(r, a, j, 1, &x, &eb) != AR_OK) break; /* unreadable: the points so far */
                json_array_append_new(pts, json_pack("[Io]", (json_int_t)(x.t / 1000000), jnum(x.equity)));
                if (j == n - 1) break;
            }
            if (n && x.t > last_t) last_t = x.t; /* x: the last sample (or the last read) */
            json_array_append_new(eq, json_pack("{ssso}", "agent", a->name, "points", pts));
            /* keep the MAX_DECISIONS latest over agents (insertion into a small array) */
            /* the decisions stay in a finished file (ar_run_h5_read_lean): read the latest */
            ar_decision_rec last[MAX_DECISIONS];
            size_t k0 = a->ndecisions > MAX_DECISIONS ? a->ndecisions - MAX_DECISIONS : 0;
            if (ar_run_log_rows(r, a, AR_LOG_DECISIONS, k0, a->ndecisions - k0, last, &eb) != AR_OK) continue;
            for (size_t k = k0; k < a->ndecisions; k++) {
                const ar_decision_rec *d = &last[k - k0];
                size_t at = np;
                while (at > 0 && pick[at - 1].t < d->t) at--;
                if (at >= MAX_DECISIONS) continue;
                size_t end = np < MAX_DECISIONS ? np : MAX_DECISIONS - 1;
                memmove(&pick[at + 1], &pick[at], (end - at) * sizeof *pick);
                memmove(&who[at + 1], &who[at], (end - at) * sizeof *who);
                pick[at] = *d;
                who[at] = a->name;
                if (np < MAX_DECISIONS) np++;
            }
        }
        for (size_t k = 0; k < np; k++) {
            const ar_decision_rec *d = &pick[k];
            json_t *x = json_object();
            json_object_set_new(x, "t", json_integer((json_int_t)(d->t / 1000000)));
            json_object_set_new(x, "agent", json_string(who[k]));
            json_object_set_new(x, "n_actions", json_integer(d->n_actions));
            json_object_set_new(x, "n_rejected", json_integer(d->n_rejected));
            json_object_set_new(x, "status", json_integer(d->status));
            json_object_set_new(x, "reason", json_string(ar_reason_name(d->reason)));
            json_object_set_new(x, "equity", jnum(d->equity));
            json_array_append_new(dec, x);
        }
    }
    json_object_set_new(o, "last_t", json_integer((json_int_t)(last_t / 1000000)));
    json_object_set_new(o, "equity", eq);
    json_object_set_new(o, "decisions", dec);
    ar_run_free(r);
    return o;
}

static int snapshot(void *user, char **out) {
    serve_ctx *c = user;
    *out = NULL;
    char *files[MAX_FILES];
    size_t n = list_files(c, files, MAX_FILES);
    /* What changed: size and mtime (ns) of every file, in one key. */
    size_t cap = 64 + n * 64, len = 0;
    for (size_t i = 0; i < n; i++) cap += strlen(files[i]);
    char *key = malloc(cap);
    if (key == NULL) {
        for (size_t i = 0; i < n; i++) free(files[i]);
        return 0;
    }
    key[0] = '\0';
    time_t now = time(NULL), changed_at[MAX_FILES];
    for (size_t i = 0; i < n; i++) {
        changed_at[i] = 0;
        for (size_t j = 0; j < c->nc; j++)
            if (!strcmp(c->cname[j], files[i])) changed_at[i] = c->ctime_[j];
    }
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        long long sz = -1, mt = -1;
        if (stat(files[i], &st) == 0) {
            sz = (long long)st.st_size;
            mt = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
        }
        int w = snprintf(key + len, cap - len, "%s|%lld|%lld\n", files[i], sz, mt);
        /* a file whose line is not in the previous key changed just now */
        if (c->key && !strstr(c->key, key + len)) changed_at[i] = now;
        len += (size_t)w;
    }
    /* unchanged files, unless a run shown as live has since gone quiet:
     * it is finished now, and the page must say so */
    int expired = 0;
    for (size_t i = 0; c->shown_live && i < n; i++) expired |= now - changed_at[i] > 3;
    /* the table follows the listing */
    for (size_t j = 0; j < c->nc; j++) free(c->cname[j]);
    c->nc = 0;
    for (size_t i = 0; i < n; i++)
        if ((c->cname[c->nc] = strdup(files[i])) != NULL) c->ctime_[c->nc++] = changed_at[i];
    if (c->key && !strcmp(c->key, key) && !expired) {
        free(key);
        for (size_t i = 0; i < n; i++) free(files[i]);
        return 0;
    }
    free(c->key);
    c->key = key;
    json_t *root = json_object(), *runs = json_array();
    c->shown_live = 0;
    for (size_t i = 0; i < n; i++) {
        int skip = 0;
        /* live: written within the last few seconds (a finished run does not change) */
        int live = now - changed_at[i] <= 3;
        c->shown_live |= live;
        json_t *r = run_json(files[i], live ? 1 : 0, &skip);
        if (skip && c->is_dir) json_decref(r);
        else json_array_append_new(runs, r);
        free(files[i]);
    }
    json_object_set_new(root, "runs", runs);
    *out = json_dumps(root, JSON_COMPACT | JSON_ESCAPE_SLASH);
    json_decref(root);
    return *out != NULL;
}

static void on_listen(int port, void *user) {
    serve_ctx *c = user;
    printf("arena serve: %s at http://127.0.0.1:%d/ (Ctrl-C stops)\n", c->path, port);
    fflush(stdout);
}

int ar_cmd_serve(int argc, char **argv) {
    gsl_set_error_handler_off();
    ar_serve_opts o;
    ar_serve_opts_default(&o);
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return AR_EXIT_OK;
        } else if (!strcmp(a, "--port") || !strcmp(a, "--host")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "arena serve: %s needs a value\n", a);
                return AR_EXIT_USAGE;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "--host")) {
                o.host = v;
                continue;
            }
            char *end;
            errno = 0;
            long p = strtol(v, &end, 10);
            if (errno || *end || end == v || p < 0 || p > 65535) {
                fprintf(stderr, "arena serve: --port: expected 0..65535, got '%s'\n", v);
                return AR_EXIT_USAGE;
            }
            o.port = (int)p;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "arena serve: unknown option '%s' (try --help)\n", a);
            return AR_EXIT_USAGE;
        } else if (path == NULL) {
            path = a;
        } else {
            fprintf(stderr, "arena serve: one RUN.h5 or DIR, got '%s' too\n", a);
            return AR_EXIT_USAGE;
        }
    }
    if (path == NULL) {
        usage(stderr);
        return AR_EXIT_USAGE;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "arena serve: %s: %s\n", path, strerror(errno));
        return AR_EXIT_FAIL;
    }
    serve_ctx c = {.path = path, .is_dir = S_ISDIR(st.st_mode)};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    ar_errbuf eb = {{0}};
    ar_err e = ar_serve_run(&o, snapshot, &c, on_listen, &stop_flag, &eb);
    free(c.key);
    for (size_t j = 0; j < c.nc; j++) free(c.cname[j]);
    if (e) {
        fprintf(stderr, "arena serve: %s\n", eb.msg);
        return AR_EXIT_FAIL;
    }
    return AR_EXIT_OK;
}
