/* src/cli/cmd_run.c - `arena run CONFIG [-o RUN.h5]`: load the config and
 * the market, run the tournament, write the run file (temporary name, then
 * rename), print the league table. Progress goes to stderr when it is a
 * terminal; nothing else is printed unless asked. */
#define _GNU_SOURCE /* pthread_setname_np: the summary thread has a name in top -H and perf */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "arena/config.h"
#include "arena/engine.h"
#include "arena/league.h"
#include "arena/shard.h"
#include "arena/store.h"
#include "arena/util.h"
#include "cli/cli.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: arena run CONFIG [-o RUN.h5] [--format text|md|csv|json] [--quiet] [--timing]\n"
            "                 [--cassette FILE [--record|--replay|--auto|--rescore]] [--check]\n"
            "                 [--jobs N] [--episodes LIST] [--resume]\n"
            "  Runs the tournament described by CONFIG (docs/CONFIG.md), writes the run\n"
            "  file (default: run.h5) and prints the league table. --timing prints the\n"
            "  time of each phase and the engine's bars/s to stderr.\n"
            "  --cassette FILE records model answers (--record), replays them without any\n"
            "  network or key (--replay; byte-identical run file), asks only on a miss\n"
            "  (--auto, the default with --cassette), or replays them by agent and\n"
            "  decision under changed execution settings (--rescore). --check validates\n"
            "  the config and its market data and exits without running. --jobs N runs\n"
            "  episodes (windows x seeds) on N threads; the run file does not change.\n"
            "  --episodes LIST (e.g. 0-3,7) runs only those episodes (window-major\n"
            "  indices) into the shard file RUN.h5.shard-0; --resume keeps the episodes\n"
            "  already in RUN.h5.shard-*, runs the rest, merges them into RUN.h5 and\n"
            "  removes the shards. Under mpirun the ranks share the episodes, each keeping\n"
            "  its own in RUN.h5.shard-<rank>; rank 0 writes RUN.h5 (docs/MPI.md).\n"
            "  Equity curves past ARENA_CURVE_MEMORY bytes (default 32 MiB, or 1 MiB a\n"
            "  curve on average; 0: always) go into RUN.h5 block by block as the run\n"
            "  goes on; bars past ARENA_MARKET_MEMORY bytes (default 64 MiB, 0: always)\n"
            "  are read from the market file block by block (anonymized runs too); and\n"
            "  record logs (orders, fills, round trips, decisions) past ARENA_LOG_MEMORY\n"
            "  bytes (default 32 MiB, 0: always) wait in a temporary file next to RUN.h5\n"
            "  (docs/ENGINE.md \"Memory\"). With builtin strategies only, bars are used\n"
            "  where they lie in the market file (a read-only mapping; ARENA_NO_MAP=1\n"
            "  reads them instead; docs/DATA.md).\n");
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Bytes of bars a run reads whole before it reads them from the market
 * file block by block instead (windowed bars: memory independent of the
 * length of the data, docs/ENGINE.md "Memory"): ARENA_MARKET_MEMORY
 * (bytes; 0 always windows), else 64 MiB. Every agent must have a bounded
 * look-back (builtin strategies declare theirs; model, exec and http agents
 * read a fixed number of bars, ar_llm_lookback); with sqrt slippage its
 * trailing sums are windowed along (anonymized prices make their own, over
 * each episode's scaled rows). */
#define MARKET_MEMORY_DEFAULT ((size_t)64 << 20)
static size_t env_bytes(const char *name, size_t dflt) { return ar__cli_env_bytes("run", name, dflt); }

static int can_window(const ar_config *cfg) {
    for (size_t a = 0; a < cfg->nagents; a++) {
        const ar_agent_cfg *g = &cfg->agents[a];
        if (!strcmp(g->kind, "builtin") && (g->def == NULL || g->def->lookback == NULL)) return 0;
    }
    return 1;
}

/* Bars used in place from a mapping of the market file (docs/DATA.md) for
 * runs of builtin strategies only: they are over in seconds. A run with
 * model agents can take hours, and its paid calls must survive someone
 * rewriting the market file in place meanwhile, so it reads the bars; so
 * do runs in shards (--episodes, --resume, MPI), whose parts can be hours
 * apart. */
static int can_map(const ar_config *cfg) {
    for (size_t a = 0; a < cfg->nagents; a++)
        if (strcmp(cfg->agents[a].kind, "builtin") != 0) return 0;
    return 1;
}

static void guard_map(const char *data, int on);
static void map_ranges(const ar_market *m);

static ar_err load_market(const ar_config *cfg, int map, ar_market **m, char sha[65], ar_errbuf *eb) {
    const char **names = NULL;
    if (cfg->nsym) {
        names = malloc(cfg->nsym * sizeof *names);
        if (names == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
        for (size_t i = 0; i < cfg->nsym; i++) names[i] = cfg->symbols[i];
    }
    int window = 0;
    size_t rows = 0;
    if (can_window(cfg) && ar_market_h5_count_bars(cfg->data, names, cfg->nsym, &rows, eb) == AR_OK)
        window = rows > 0 && rows > env_bytes("ARENA_MARKET_MEMORY", MARKET_MEMORY_DEFAULT) / (6 * sizeof(double));
    map = map && !window;
    if (map) guard_map(cfg->data, 1); /* from the first mapped row read */
    ar_err e = window ? ar_market_h5_read_windowed(cfg->data, names, cfg->nsym,
                                                   cfg->exec.slip == AR_SLIP_SQRT && !cfg->anon_prices ? AR_WINDOW_SUMS : 0,
                                                   m, eb)
                      : map ? ar_market_h5_read_mapped(cfg->data, names, cfg->nsym, m, eb)
                            : ar_market_h5_read(cfg->data, names, cfg->nsym, m, eb);
    free((void *)names);
    if (e) return e;
    if (map) map_ranges(*m);
    /* The manifest names the exact data by content: sha256 over each used
     * symbol's name and stored content hash (the market file keeps one per
     * dataset, so this costs nothing however large the data). */
    char *list = malloc((*m)->nsym * (AR_SYM_MAX + 66) + 1);
    if (list == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
    size_t len = 0;
    for (size_t s = 0; s < (*m)->nsym; s++)
        len += (size_t)sprintf(list + len, "%s:%s\n", (*m)->sym[s].name, (*m)->sym[s].sha256);
    ar_sha256_hex(list, len, sha);
    free(list);
    return AR_OK;
}

/* The episodes of this process (rank of size) in a run kept in shards:
 * skip what the shards hold (resume), share the rest by expected cost, keep
 * each finished episode in RUN.h5.shard-<rank>; then rank 0 merges every
 * shard. Returns -1 with *merged set when rank 0 has the whole run (the
 * caller writes it and removes *shards), else an exit code. */
static size_t curve_memory(void);
static size_t log_memory(void);

static int run_sharded(ar_config *cfg, const ar_market *m, const char *sha, ar_engine_opts *opts,
                       ar_cassette_mode cas_mode, const char *out_path, const char *episodes, int resume, int rank,
                       int size, ar_run **merged, char ***shards, size_t *nshards) {
    ar_errbuf eb = {{0}};
    ar_episode_info *info = NULL;
    unsigned char *sel = NULL, *done = NULL, *only = NULL;
    int *owner = NULL;
    char **paths = NULL;
    size_t n = 0, np = 0;
    ar_shard *sh = NULL;
    ar_run *part = NULL;
    int rc = AR_EXIT_FAIL;
    size_t mine = 0;
    char spath[4096] = "";
    ar_err e;
    int requests = cas_mode != AR_CASSETTE_REPLAY && cas_mode != AR_CASSETTE_RESCORE;
    if (cfg->budget_usd > 0) {
        fprintf(stderr, "arena run: %s: llm.budget_usd: a run-wide budget needs the whole run in one process "
                        "(no --episodes, --resume or mpirun)\n", cfg->path);
        rc = AR_EXIT_USAGE;
        goto sync;
    }
    if (size > 1 && (cas_mode == AR_CASSETTE_RECORD || cas_mode == AR_CASSETTE_AUTO)) {
        fprintf(stderr, "arena run: --record and --auto cannot share one cassette across %d ranks: record in one "
                        "process, or replay (--replay, --rescore) under mpirun\n", size);
        rc = AR_EXIT_USAGE;
        goto sync;
    }
    if (requests && (e = ar_shard_split_limits(cfg, size, &eb))) {
        fprintf(stderr, "arena run: %s\n", eb.msg);
        rc = AR_EXIT_USAGE;
        goto sync;
    }
    if ((e = ar_tournament_episodes(cfg, m, &info, &n, &eb))) {
        fprintf(stderr, "arena run: %s\n", eb.msg);
        rc = e == AR_ECONFIG ? AR_EXIT_USAGE : AR_EXIT_FAIL;
        goto sync;
    }
    sel = calloc(n ? n : 1, 1);
    done = calloc(n ? n : 1, 1);
    only = calloc(n ? n : 1, 1);
    owner = calloc(n ? n : 1, sizeof *owner);
    if (!sel || !done || !only || !owner) {
        fprintf(stderr, "arena run: out of memory\n");
        goto sync;
    }
    if (episodes) {
        if ((e = ar_shard_parse_list(episodes, n, sel, &eb))) {
            fprintf(stderr, "arena run: %s\n", eb.msg);
            rc = AR_EXIT_USAGE;
            goto sync;
        }
    } else {
        memset(sel, 1, n);
    }
    if ((e = ar_shard_find(out_path, &paths, &np, &eb))) {
        fprintf(stderr, "arena run: %s\n", eb.msg);
        goto sync;
    }
    if (resume) {
        if ((e = ar_shard_done(paths, np, cfg->canonical_json, sha, done, n, &eb))) {
            fprintf(stderr, "arena run: %s\n", eb.msg);
            rc = e == AR_ECONFIG ? AR_EXIT_USAGE : AR_EXIT_FAIL;
            goto sync;
        }
    } else if (rank == 0) {
        /* a fresh run: shards of an earlier run must not be merged into it
         * (no rank writes before the barrier below) */
        for (size_t i = 0; i < np; i++) unlink(paths[i]);
    }
    for (size_t k = 0; k < n; k++) sel[k] = sel[k] && !done[k];
    ar_shard_assign(info, sel, n, size, owner);
    for (size_t k = 0; k < n; k++) mine += (only[k] = owner[k] == rank);
    ar_shard_path(out_path, rank, spath, sizeof spath);
    rc = AR_EXIT_OK;
sync:
    /* every rank has read the shards before any rank writes one */
    if ((rc = ar_mpi_max(rc)) != AR_EXIT_OK) goto out;
    rc = AR_EXIT_FAIL;
    if ((e = ar_shard_open(spath, n, resume, &sh, &eb))) {
        fprintf(stderr, "arena run: %s\n", eb.msg);
        goto done;
    }
    opts->only = only;
    opts->on_episode = ar_shard_add;
    opts->on_episode_ctx = sh;
    /* Each episode is written to its piece file when it ends, so no run
     * file is open to stream curves into while it runs: long ones wait in
     * the spill with the logs (docs/ENGINE.md, "Memory"). */
    double curves = 0;
    for (size_t k = 0; k < n; k++)
        if (only[k]) curves += (info[k].cost + (double)cfg->nagents) * (double)sizeof(ar_equity_rec);
    opts->spill_near = spath;
    opts->log_memory = log_memory();
    opts->spill_curves = curves > (double)curve_memory();
    if (mine > 0 && (e = ar_tournament_run(cfg, m, sha, opts, &part, &eb))) {
        fprintf(stderr, "arena run: %s\n", eb.msg);
        rc = e == AR_ECONFIG ? AR_EXIT_USAGE : AR_EXIT_FAIL;
        goto done;
    }
    if ((e = ar_shard_finish(sh, &eb))) {
        fprintf(stderr, "arena run: %s\n", eb.msg);
        goto done;
    }
    rc = AR_EXIT_OK;
done:
    ar_shard_free(sh);
    sh = NULL;
    ar_run_free(part);
    part = NULL;
    /* every shard is complete before rank 0 reads them */
    if ((rc = ar_mpi_max(rc)) != AR_EXIT_OK) {
        if (rank == 0)
            fprintf(stderr, "arena run: finished episodes are kept in %s" AR_SHARD_SUFFIX "*; rerun with --resume "
                            "to run only the rest\n", out_path);
        goto out;
    }
    if (rank != 0) goto out;
    ar_shard_paths_free(paths, np);
    paths = NULL;
    if ((e = ar_shard_find(out_path, &paths, &np, &eb))) {
        fprintf(stderr, "arena run: %s\n", eb.msg);
        rc = AR_EXIT_FAIL;
        goto out;
    }
    size_t missing = 0;
    if ((e = ar_shard_merge_write(paths, np, out_path, merged, &missing, &eb))) {
        if (e == AR_ENOTFOUND && episodes) {
            /* only some episodes were asked for: the rest comes later */
            fprintf(stderr, "arena run: %zu of %zu episodes are in %s" AR_SHARD_SUFFIX "*; --resume runs the rest "
                            "and writes %s\n", n - missing, n, out_path, out_path);
            rc = AR_EXIT_OK;
        } else {
            fprintf(stderr, "arena run: %s\n", eb.msg);
            rc = AR_EXIT_FAIL;
        }
        goto out;
    }
    *shards = paths;
    *nshards = np;
    paths = NULL;
    np = 0;
    rc = -1;
out:
    ar_shard_paths_free(paths, np);
    free(info);
    free(sel);
    free(done);
    free(only);
    free(owner);
    return rc;
}

static int ar_cmd_run_(int argc, char **argv, const char *cfg_path, const char *out_path, ar_format fmt,
                       const char *cas_path, ar_cassette_mode cas_mode, int quiet, int timing, int check, int jobs,
                       const char *episodes, int resume, int mpi, int rank, int size);

/* Bytes of equity curves a run may keep in memory before they go to the
 * run file as they are made: ARENA_CURVE_MEMORY (bytes; 0 streams always),
 * else 32 MiB. Runs of many short curves keep them (the league reads
 * memory faster than it reads each curve back from the file); long ones
 * stream, so their memory for curves stays one block per agent however
 * long the data (docs/ENGINE.md, "Memory"). */
#define CURVE_MEMORY_DEFAULT ((size_t)32 << 20)
static size_t curve_memory(void) { return env_bytes("ARENA_CURVE_MEMORY", CURVE_MEMORY_DEFAULT); }

/* Without ARENA_CURVE_MEMORY, curves of this many bytes on average stream
 * too, under the budget: the league reads each of them back once, which
 * costs about what their fresh memory would (a 500,000-sample curve: the
 * same run time, 43 instead of 61 MB peak; docs/BENCHMARKS.md). */
#define CURVE_LONG ((size_t)1 << 20)

/* Bytes of record logs (orders, fills, round trips, decisions) the agents
 * of a run may keep in memory, over all agents running at once:
 * ARENA_LOG_MEMORY (bytes; 0 sends every record to the spill file), else
 * 32 MiB. Beyond it they go to a temporary file as they are made and come
 * back in blocks (docs/ENGINE.md, "Memory"). */
#define LOG_MEMORY_DEFAULT ((size_t)32 << 20)
static size_t log_memory(void) { return env_bytes("ARENA_LOG_MEMORY", LOG_MEMORY_DEFAULT); }

/* Whether a run laid out as skel streams its curves (above). */
static int stream_curves(const ar_run *skel) {
    size_t n = 0, curves = 0;
    for (size_t k = 0; k < skel->nepisodes; k++)
        for (size_t a = 0; a < skel->episodes[k].nagents; a++, curves++) n += skel->episodes[k].agents[a].nequity;
    size_t bytes = n > SIZE_MAX / sizeof(ar_equity_rec) ? SIZE_MAX : n * sizeof(ar_equity_rec);
    const char *set = getenv("ARENA_CURVE_MEMORY");
    if (bytes > curve_memory()) return 1;
    return (set == NULL || *set == '\0') && curves > 0 && bytes / curves >= CURVE_LONG;
}

/* The run file's temporary name while the writer has it open (from before
 * the first episode to the rename): SIGINT or SIGTERM removes it and ends
 * the process with that signal, so a stopped run leaves neither a file that
 * looks finished nor a half-written temporary one. Only async-signal-safe
 * calls in the handler. */
static char run_tmp[4096];
static volatile sig_atomic_t run_tmp_set;

static void on_stop(int sig) {
    if (run_tmp_set) unlink(run_tmp);
    static const char msg[] = "arena run: stopped by a signal; no run file written\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    signal(sig, SIG_DFL);
    raise(sig);
}

/* A mapped market file truncated under the run (rewritten in place, by cp
 * say) takes the rows with it: reading one raises SIGBUS. That is said in
 * one line (by the first thread to fault), the temporary run file removed,
 * exit 1. A SIGBUS elsewhere than in the mapped rows gets its default
 * action back, and recurs. Only async-signal-safe calls in the handler. */
#define MAP_RANGES 64
static char map_msg[4200];
static size_t map_msg_len;
static uintptr_t map_lo[MAP_RANGES], map_hi[MAP_RANGES];
static volatile sig_atomic_t map_n; /* ranges; -1: more than MAP_RANGES, every address counts */
static atomic_flag map_said = ATOMIC_FLAG_INIT;
/* The file the rows are mapped from, as it was before they were read
 * (market_changed compares). */
static struct stat map_st;
static int map_st_ok;

static void on_lost_rows(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    uintptr_t at = (uintptr_t)si->si_addr;
    int ours = map_n < 0;
    for (sig_atomic_t i = 0; i < map_n && !ours; i++) ours = at >= map_lo[i] && at < map_hi[i];
    if (!ours) {
        signal(sig, SIG_DFL);
        return;
    }
    if (atomic_flag_test_and_set(&map_said))
        for (;;) pause(); /* another thread says it and ends the process */
    if (run_tmp_set) unlink(run_tmp);
    ssize_t w = write(STDERR_FILENO, map_msg, map_msg_len);
    (void)w;
    _exit(AR_EXIT_FAIL);
}

static void guard_map(const char *data, int on) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    map_n = on ? -1 : 0; /* while the rows are being mapped and read: every address (map_ranges narrows it) */
    if (on) {
        int n = snprintf(map_msg, sizeof map_msg,
                         "arena run: %s: the market file was truncated during the run; no run file written\n", data);
        map_msg_len = n < 0 ? 0 : (size_t)n < sizeof map_msg ? (size_t)n : sizeof map_msg - 1;
        map_st_ok = stat(data, &map_st) == 0;
        sa.sa_sigaction = on_lost_rows;
        sa.sa_flags = SA_SIGINFO;
    } else {
        map_st_ok = 0;
        sa.sa_handler = SIG_DFL;
    }
    sigaction(SIGBUS, &sa, NULL);
}

/* The mappings the handler owns. */
static void map_ranges(const ar_market *m) {
    sig_atomic_t n = 0;
    for (size_t s = 0; s < m->nsym; s++) {
        const ar_bars *b = &m->sym[s].bars;
        if (b->map == NULL) continue;
        if (n == MAP_RANGES) {
            map_n = -1;
            return;
        }
        map_lo[n] = (uintptr_t)b->map;
        map_hi[n] = (uintptr_t)b->map + b->map_len;
        n++;
    }
    map_n = n;
}

/* The mapped file written in place since it was mapped: the same file (a
 * new one renamed over it leaves the mapped one as it was) with another
 * size or modification time. Its rows may then have changed under the run
 * without any fault. */
static int market_changed(const char *data) {
    struct stat now;
    /* (bars read into memory, when the file did not allow a mapping, are safe) */
    if (!map_st_ok || map_n == 0 || stat(data, &now) != 0) return 0;
    if (now.st_dev != map_st.st_dev || now.st_ino != map_st.st_ino) return 0;
    return now.st_size != map_st.st_size || now.st_mtim.tv_sec != map_st.st_mtim.tv_sec ||
           now.st_mtim.tv_nsec != map_st.st_mtim.tv_nsec;
}

static void guard_tmp(const char *out_path, int on) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    if (on) {
        ar_tmp_path(out_path, run_tmp, sizeof run_tmp);
        run_tmp_set = 1;
        sa.sa_handler = on_stop;
    } else {
        run_tmp_set = 0;
        sa.sa_handler = SIG_DFL;
    }
    /* a signal the shell had us ignore (SIGINT of a background job) stays ignored */
    static const int sigs[] = {SIGINT, SIGTERM};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(sigs[i], &sa, NULL);
    }
}

/* Records of r's logs that went through the spill file (0: none). */
static size_t spilled_records(const ar_run *r) {
    static const ar_log logs[] = {AR_LOG_ORDERS, AR_LOG_FILLS, AR_LOG_TRADES, AR_LOG_FUNDING, AR_LOG_DECISIONS};
    size_t n = 0;
    for (size_t k = 0; r != NULL && k < r->nepisodes; k++)
        for (size_t i = 0; i < r->episodes[k].nagents; i++) {
            const ar_run_agent *a = &r->episodes[k].agents[i];
            for (size_t j = 0; a->spilled != NULL && j < sizeof logs / sizeof logs[0]; j++)
                n += ar_run_log_count(a, logs[j]);
        }
    return n;
}

/* Where the engine's equity blocks go: into the run file, and into a
 * summary of each curve (ar_curve_sum) that the league table takes instead
 * of reading the curves back from the file. The summaries are worked out
 * on a thread of their own, from copies of the blocks in a ring of
 * CURVE_RING slots, while the engine goes on: the table's arithmetic runs
 * on the second CPU instead of after the run. The blocks of one curve come
 * from one engine thread in order and leave the ring in the order they
 * went in, so a summary sees its curve's samples in order, as the league
 * would read them: the same bits. The thread is woken when half the ring
 * is full (or at the end), not for every block: waking a sleeping CPU
 * costs tens of microseconds on a virtual machine. With episodes on
 * several threads (--jobs) one summary thread could not keep up with
 * them, and the CPUs are taken anyway: each engine thread then folds its
 * own blocks in line (a curve's blocks all come from one thread). */
#define CURVE_RING 4
#define CURVE_RUNS_BUDGET ((size_t)16 << 20) /* bytes of runs over all summaries */
#define CURVE_RUNS_EACH ((size_t)2 << 20)     /* and at most this per summary */

typedef struct {
    ar_equity_rec *recs;
    size_t n, cap, sum; /* n samples for sums[sum] */
} ring_slot;

typedef struct {
    ar_run_writer *wr;
    size_t nsums;
    ar_curve_sum **sums; /* episode k's agents are sums[agent0[k]] ... */
    size_t *agent0;
    pthread_t th;
    int started, stop;
    int in_line; /* no thread: the engine threads fold their blocks themselves */
    int idle, full; /* the thread waits for blocks; the engine waits for a slot */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ring_slot ring[CURVE_RING];
    size_t head, tail; /* slots taken in and handed out, counted from 0 */
} curve_out;

static void *curve_worker(void *arg) {
    curve_out *co = arg;
#ifdef __GLIBC__
    pthread_setname_np(pthread_self(), "arena-curves"); /* top -H, perf --sort comm */
#endif
    pthread_mutex_lock(&co->mu);
    for (;;) {
        while (co->tail == co->head && !co->stop) {
            co->idle = 1;
            pthread_cond_wait(&co->cv, &co->mu);
            co->idle = 0;
        }
        if (co->tail == co->head) break; /* stopped, nothing left */
        ring_slot *sl = &co->ring[co->tail % CURVE_RING];
        pthread_mutex_unlock(&co->mu);
        ar_curve_sum_add(co->sums[sl->sum], sl->recs, sl->n);
        pthread_mutex_lock(&co->mu);
        co->tail++;
        if (co->full) pthread_cond_broadcast(&co->cv);
    }
    pthread_mutex_unlock(&co->mu);
    return NULL;
}

/* Every block handed in is in its summary; the thread is gone. */
static void curve_out_join(curve_out *co) {
    if (!co->started) return;
    pthread_mutex_lock(&co->mu);
    co->stop = 1;
    pthread_cond_broadcast(&co->cv);
    pthread_mutex_unlock(&co->mu);
    pthread_join(co->th, NULL);
    co->started = 0;
}

static void curve_out_free(curve_out *co) {
    curve_out_join(co);
    for (size_t i = 0; i < co->nsums && co->sums; i++) ar_curve_sum_free(co->sums[i]);
    for (size_t i = 0; i < CURVE_RING; i++) free(co->ring[i].recs);
    free(co->sums);
    free(co->agent0);
    if (co->nsums && !co->in_line) {
        pthread_cond_destroy(&co->cv);
        pthread_mutex_destroy(&co->mu);
    }
    memset(co, 0, sizeof *co);
}

/* One summary per curve of the run laid out in skel, and the thread that
 * makes them when the episodes run on one thread (none when out of memory
 * or threads: the league reads the curves then). */
static void curve_out_init(curve_out *co, const ar_run *skel, int jobs) {
    memset(co, 0, sizeof *co);
    size_t n = 0;
    for (size_t k = 0; k < skel->nepisodes; k++) n += skel->episodes[k].nagents;
    co->agent0 = malloc((skel->nepisodes + 1) * sizeof *co->agent0);
    co->sums = calloc(n ? n : 1, sizeof *co->sums);
    int ok = n > 0 && co->agent0 != NULL && co->sums != NULL;
    /* the runs of all summaries within CURVE_RUNS_BUDGET: streamed curves
     * leave memory, and the summaries must not hold as much again */
    size_t each = n ? CURVE_RUNS_BUDGET / n : 0;
    if (each > CURVE_RUNS_EACH) each = CURVE_RUNS_EACH;
    for (size_t i = 0; ok && i < n; i++) ok = (co->sums[i] = ar_curve_sum_new(each ? each : 1)) != NULL;
    co->nsums = n;
    if (ok) /* the sums' order, for both ways */
        for (size_t k = 0, i = 0; k < skel->nepisodes; i += skel->episodes[k].nagents, k++) co->agent0[k] = i;
    if (ok && jobs > 1 && skel->nepisodes > 1) {
        co->in_line = 1;
        return;
    }
    int mu = ok && pthread_mutex_init(&co->mu, NULL) == 0;
    int cv = mu && pthread_cond_init(&co->cv, NULL) == 0;
    if (!cv || pthread_create(&co->th, NULL, curve_worker, co) != 0) {
        if (cv) pthread_cond_destroy(&co->cv);
        if (mu) pthread_mutex_destroy(&co->mu);
        for (size_t i = 0; i < n && co->sums; i++) ar_curve_sum_free(co->sums[i]);
        co->nsums = 0; /* freed, and nothing to destroy */
        curve_out_free(co);
        return;
    }
    co->started = 1;
}

/* A copy of a block for the summary thread. Without memory for the copy
 * the block is left out: that summary then falls short of its curve, and
 * the league reads that curve instead. */
static void curve_out_put(curve_out *co, size_t sum, const ar_equity_rec *recs, size_t n) {
    pthread_mutex_lock(&co->mu);
    while (co->head - co->tail == CURVE_RING) {
        co->full = 1;
        pthread_cond_broadcast(&co->cv); /* the thread may be waiting for the wake-up below */
        pthread_cond_wait(&co->cv, &co->mu);
        co->full = 0;
    }
    ring_slot *sl = &co->ring[co->head % CURVE_RING];
    pthread_mutex_unlock(&co->mu);
    /* the slot is ours until head moves past it */
    if (sl->cap < n) {
        ar_equity_rec *v = realloc(sl->recs, n * sizeof *v);
        if (v == NULL) return;
        sl->recs = v;
        sl->cap = n;
    }
    memcpy(sl->recs, recs, n * sizeof *recs);
    sl->n = n;
    sl->sum = sum;
    pthread_mutex_lock(&co->mu);
    co->head++;
    if (co->idle && co->head - co->tail >= CURVE_RING / 2) pthread_cond_broadcast(&co->cv);
    pthread_mutex_unlock(&co->mu);
}

/* ar_engine_opts.on_equity: the engine's equity blocks into the run file
 * and the curve's summary. */
static ar_err equity_to_file(void *ctx, size_t ep, size_t agent, size_t off, const ar_equity_rec *recs, size_t n,
                             ar_errbuf *eb) {
    curve_out *co = ctx;
    ar_err e = ar_run_writer_equity(co->wr, ep, agent, off, recs, n, eb);
    if (e == AR_OK && co->started && n > 0) curve_out_put(co, co->agent0[ep] + agent, recs, n);
    else if (e == AR_OK && co->in_line) ar_curve_sum_add(co->sums[co->agent0[ep] + agent], recs, n);
    return e;
}

int ar_cmd_run(int argc, char **argv) {
    const char *cfg_path = NULL, *out_path = "run.h5", *fmt_s = "text", *cas_path = NULL;
    const char *episodes = NULL;
    int quiet = 0, timing = 0, check = 0, jobs = 1, resume = 0;
    ar_cassette_mode cas_mode = AR_CASSETTE_OFF;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return AR_EXIT_OK;
        } else if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc) {
            out_path = argv[++i];
        } else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            fmt_s = argv[++i];
        } else if (!strcmp(argv[i], "--cassette") && i + 1 < argc) {
            cas_path = argv[++i];
        } else if (!strcmp(argv[i], "--record") || !strcmp(argv[i], "--replay") || !strcmp(argv[i], "--auto") ||
                   !strcmp(argv[i], "--rescore")) {
            ar_cassette_mode m = argv[i][2] == 'a'   ? AR_CASSETTE_AUTO
                                 : argv[i][4] == 'c' ? AR_CASSETTE_RECORD
                                 : argv[i][4] == 'p' ? AR_CASSETTE_REPLAY
                                                     : AR_CASSETTE_RESCORE;
            if (cas_mode != AR_CASSETTE_OFF && cas_mode != m) {
                fprintf(stderr, "arena run: --record, --replay, --auto and --rescore exclude each other\n");
                return AR_EXIT_USAGE;
            }
            cas_mode = m;
        } else if (!strcmp(argv[i], "--jobs") && i + 1 < argc) {
            char *end = NULL;
            long j = strtol(argv[++i], &end, 10);
            if (*end != '\0' || j < 1 || j > 1024) {
                fprintf(stderr, "arena run: --jobs: expected a number from 1 to 1024\n");
                return AR_EXIT_USAGE;
            }
            jobs = (int)j;
        } else if (!strcmp(argv[i], "--episodes") && i + 1 < argc) {
            episodes = argv[++i];
        } else if (!strcmp(argv[i], "--resume")) {
            resume = 1;
        } else if (!strcmp(argv[i], "--check")) {
            check = 1;
        } else if (!strcmp(argv[i], "--timing")) {
            timing = 1;
        } else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
            quiet = 1;
        } else if (argv[i][0] == '-' || cfg_path) {
            fprintf(stderr, "arena run: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return AR_EXIT_USAGE;
        } else {
            cfg_path = argv[i];
        }
    }
    if (cfg_path == NULL) {
        usage(stderr);
        return AR_EXIT_USAGE;
    }
    if (cas_mode != AR_CASSETTE_OFF && cas_path == NULL) {
        fprintf(stderr, "arena run: --record/--replay/--auto/--rescore need --cassette FILE\n");
        return AR_EXIT_USAGE;
    }
    if (cas_path != NULL && cas_mode == AR_CASSETTE_OFF) cas_mode = AR_CASSETTE_AUTO;
    ar_format fmt;
    if (ar_format_parse(fmt_s, &fmt) != AR_OK) {
        fprintf(stderr, "arena run: --format: expected text, md, csv or json\n");
        return AR_EXIT_USAGE;
    }
    /* MPI only when an MPI launcher started us: a plain run never calls it */
    int rank = 0, size = 1, mpi = 0;
    if (ar_mpi_launched()) {
        if (ar_mpi_built()) {
            if (ar_mpi_init(&rank, &size) != 0) {
                fprintf(stderr, "arena run: MPI_Init failed\n");
                return AR_EXIT_FAIL;
            }
            mpi = 1;
        } else if (ar_mpi_launch_size() > 1) {
            fprintf(stderr, "arena run: started by an MPI launcher, but this arena has no MPI support "
                            "(every process would run the whole tournament): use arena-mpi (CMake option ARENA_MPI)\n");
            return AR_EXIT_USAGE;
        }
    }
    int rc = ar_cmd_run_(argc, argv, cfg_path, out_path, fmt, cas_path, cas_mode, quiet, timing, check, jobs,
                         episodes, resume, mpi, rank, size);
    ar_mpi_finalize();
    return rc;
}

static int ar_cmd_run_(int argc, char **argv, const char *cfg_path, const char *out_path, ar_format fmt,
                       const char *cas_path, ar_cassette_mode cas_mode, int quiet, int timing, int check, int jobs,
                       const char *episodes, int resume, int mpi, int rank, int size) {
    (void)argc;
    (void)argv;
    ar_errbuf eb = {{0}};
    ar_config *cfg = NULL;
    ar_market *m = NULL;
    ar_run *run = NULL;
    ar_league *lg = NULL;
    ar_cassette *cas = NULL;
    char **shards = NULL;
    size_t nshards = 0;
    ar_run_writer *wr = NULL;
    curve_out co = {0};
    ar__fail_notes fails = {PTHREAD_MUTEX_INITIALIZER, "run", 0, 0, {{0}}};
    size_t nspilled = 0;
    int rc = AR_EXIT_FAIL;
    int cas_failed = 0; /* the cassette could not be saved: exit 1 after writing the run */
    double t0 = now_ms(), t_load = 0, t_run = 0, t_write = 0;
    ar_err e = ar_config_load(cfg_path, &cfg, &eb);
    if (e) {
        fprintf(stderr, "arena run: %s\n", eb.msg);
        return e == AR_ECONFIG ? AR_EXIT_USAGE : AR_EXIT_FAIL;
    }
    if (cfg->live) { /* a `live` section and no market.data: nothing to replay */
        fprintf(stderr, "arena run: %s: live: a paper-trading config (no market.data to replay); run it with "
                        "`arena live %s`\n", cfg_path, cfg_path);
        rc = AR_EXIT_USAGE;
        goto out;
    }
    char sha[65];
    if ((e = load_market(cfg, can_map(cfg) && !(mpi || episodes || resume), &m, sha, &eb))) {
        fprintf(stderr, "arena run: %s (market.data in %s)\n", eb.msg, cfg_path);
        rc = e == AR_ENOTFOUND ? AR_EXIT_USAGE : AR_EXIT_FAIL;
        goto out;
    }
    if (cfg->exec.mode == AR_MODE_PERP && cfg->exec.funding_interval > 0) {
        /* the market's own funding wins; execution.funding fills its gaps (docs/ENGINE.md) */
        size_t nf = 0;
        for (size_t s = 0; s < m->nsym; s++) nf += m->sym[s].funding.n > 0;
        if (nf > 0)
            fprintf(stderr, "arena run: note: %zu of %zu symbols have funding in the market file; "
                            "execution.funding is charged only in its gaps\n", nf, m->nsym);
    }
    if (cfg->cadence == 0) {
        int64_t iv = 0;
        for (size_t s = 0; s < m->nsym; s++)
            if (m->sym[s].interval && (iv == 0 || m->sym[s].interval < iv)) iv = m->sym[s].interval;
        cfg->cadence = iv ? iv : AR_NS_PER_MIN;
    }
    for (size_t s = 0; s < m->nsym; s++) {
        ar_symbol *sy = &m->sym[s];
        if (sy->bars.n == 0 && sy->trades.n > 0) {
            /* Trades only: the engine fills at bar opens, so bin the trades
             * into bars of the decision cadence. */
            if ((e = ar_bars_from_trades(&sy->trades, cfg->cadence, &sy->bars))) {
                fprintf(stderr, "arena run: %s: out of memory binning trades of %s\n", cfg->data, sy->name);
                goto out;
            }
            sy->interval = cfg->cadence;
        }
    }
    /* A key or a program that is not there would turn a whole tournament
     * into holds: say so before starting. Replayed answers need neither. */
    if (cas_mode != AR_CASSETTE_REPLAY && cas_mode != AR_CASSETTE_RESCORE &&
        !ar__cli_agents_ready("run", cfg_path, cfg, "; --replay or --rescore with a cassette need neither")) {
        rc = AR_EXIT_USAGE;
        goto out;
    }
    if (check) {
        /* Validate only: config, market file and symbols, windows. */
        ar_episode_info *eps = NULL;
        size_t neps = 0;
        if ((e = ar_tournament_episodes(cfg, m, &eps, &neps, &eb))) {
            fprintf(stderr, "arena run: %s\n", eb.msg);
            rc = e == AR_ECONFIG ? AR_EXIT_USAGE : AR_EXIT_FAIL;
            goto out;
        }
        free(eps);
        printf("%s: ok: %zu agent%s (%zu model), %zu symbol%s, cadence %lld s, %zu episode%s\n", cfg_path,
               cfg->nagents, cfg->nagents == 1 ? "" : "s", cfg->nllm, m->nsym, m->nsym == 1 ? "" : "s",
               (long long)(cfg->cadence / AR_NS_PER_S), neps, neps == 1 ? "" : "s");
        rc = AR_EXIT_OK;
        goto out;
    }
    if (cas_path && (cas = ar_cassette_open(cas_path, cas_mode, &eb)) == NULL) {
        fprintf(stderr, "arena run: %s\n", eb.msg);
        goto out;
    }
    t_load = now_ms();
    ar_engine_opts opts = {(!quiet && rank == 0 && isatty(STDERR_FILENO)) ? stderr : NULL, cas, jobs, NULL, NULL,
                           NULL, NULL, NULL, NULL, 0, 0, ar__cli_call_failed, &fails};
    fails.bar = opts.progress != NULL;
    if (mpi || episodes || resume) {
        int r = run_sharded(cfg, m, sha, &opts, cas_mode, out_path, episodes, resume, rank, size, &run, &shards,
                            &nshards);
        if (r >= 0 && cas && rank == 0 && r == AR_EXIT_OK && (e = ar_cassette_save(cas, &eb))) {
            fprintf(stderr, "arena run: %s\n", eb.msg);
            r = AR_EXIT_FAIL;
        }
        if (r >= 0) {
            rc = r;
            goto out;
        }
    } else {
        /* The run file is laid out first and the equity curves go into it
         * block by block as the episodes run: they never sit in memory
         * whole (docs/ENGINE.md, "Memory"). */
        ar_run *skel = NULL;
        int stream = 0;
        if ((e = ar_tournament_skeleton(cfg, m, sha, &skel, &eb)) == AR_OK) {
            stream = stream_curves(skel);
            if (stream) curve_out_init(&co, skel, jobs);
            /* the handler goes in before the writer makes its tmp: a signal
             * while the file is being laid out must remove it too (unlinking
             * a tmp not made yet does nothing) */
            guard_tmp(out_path, 1);
            e = ar_run_writer_open(out_path, skel, &wr, &eb);
            if (e != AR_OK) guard_tmp(out_path, 0);
            ar_run_free(skel);
        }
        if (e == AR_OK) {
            if (stream) {
                co.wr = wr;
                opts.on_equity = equity_to_file;
                opts.on_equity_ctx = &co;
            }
            opts.spill_near = out_path;
            opts.log_memory = log_memory();
            e = ar_tournament_run(cfg, m, sha, &opts, &run, &eb);
        }
        if (e) {
            fprintf(stderr, "arena run: %s\n", eb.msg);
            rc = e == AR_ECONFIG ? AR_EXIT_USAGE : AR_EXIT_FAIL;
            goto out;
        }
        if (market_changed(cfg->data)) {
            fprintf(stderr, "arena run: %s: the market file was written in place during the run (its bars were "
                            "read where they lie); no run file written\n",
                    cfg->data);
            rc = AR_EXIT_FAIL;
            goto out;
        }
    }
    t_run = now_ms();
    /* a cassette that cannot be saved costs the replay, not the run: the
     * run file is still written and the exit status says what failed */
    if (cas && (e = ar_cassette_save(cas, &eb))) {
        fprintf(stderr, "arena run: %s (the run file is written all the same)\n", eb.msg);
        cas_failed = 1;
        e = AR_OK;
    }
    if (wr != NULL) {
        e = ar_run_writer_finish(wr, run, &eb);
        wr = NULL; /* freed by finish, also on failure */
        guard_tmp(out_path, 0);
        /* streamed curves and spilled logs: the league reads them back
         * from the file block by block */
        nspilled = spilled_records(run);
        int away = opts.on_equity != NULL || nspilled > 0;
        if (e == AR_OK && away) e = ar_equity_src_open(out_path, &run->eqsrc, &eb);
        if (e == AR_OK) ar_run_logs_in_file(run);
    } else if (!(mpi || episodes || resume)) {
        e = ar_run_h5_write(out_path, run, &eb);
    } /* else the merge of the shards wrote it (ar_shard_merge_write) */
    if (e) {
        fprintf(stderr, "arena run: %s\n", eb.msg);
        goto out;
    }
    t_write = now_ms();
    for (size_t i = 0; i < nshards; i++) unlink(shards[i]); /* merged into out_path */
    curve_out_join(&co);
    const ar_run *runs[1] = {run};
    ar_league_opts lo;
    ar_league_opts_default(&lo);
    lo.sums = (const ar_curve_sum *const *)co.sums;
    lo.nsums = co.nsums;
    if ((e = ar_league_compute_opts(runs, 1, &lo, &lg, &eb))) {
        fprintf(stderr, "arena run: %s\n", eb.msg);
        goto out;
    }
    if (!quiet) {
        ar_league_print(lg, fmt, stdout);
        if (fmt == AR_FMT_TEXT && mpi) printf("run file: %s (ranks: %d)\n", out_path, size);
        else if (fmt == AR_FMT_TEXT) printf("run file: %s\n", out_path);
        else if (mpi) fprintf(stderr, "run file: %s (ranks: %d)\n", out_path, size);
    }
    if (timing) {
        size_t bars = 0;
        for (size_t s = 0; s < m->nsym; s++) bars += m->sym[s].bars.n;
        double eng = t_run - t_load;
        fprintf(stderr, "timing: load %.2f ms, engine %.2f ms (%zu bars x %zu agents, %.1f M bars/s), write %.2f ms, table %.2f ms\n",
                t_load - t0, eng, bars, cfg->nagents, eng > 0 ? (double)bars / eng / 1e3 : 0.0, t_write - t_run,
                now_ms() - t_write);
        size_t peak = 0, blocks = 0;
        for (size_t s = 0; s < m->nsym; s++) {
            size_t p = 0;
            ar_bars_window_stats(&m->sym[s].bars, NULL, &p);
            peak += p;
            blocks += ar_bars_nblocks(&m->sym[s].bars);
        }
        if (blocks)
            fprintf(stderr, "timing: bars read from the file in blocks of %d rows: at most %zu of %zu blocks in memory\n",
                    AR_BARS_BLOCK, peak, blocks);
        size_t mapped = 0;
        for (size_t s = 0; s < m->nsym; s++) mapped += m->sym[s].bars.map != NULL;
        if (mapped)
            fprintf(stderr, "timing: bars of %zu of %zu symbols used in place from a mapping of the market file\n",
                    mapped, m->nsym);
        if (opts.on_equity != NULL)
            fprintf(stderr, "timing: equity curves went into the run file block by block (ARENA_CURVE_MEMORY)\n");
        if (co.nsums)
            fprintf(stderr, "timing: the table read %zu of %zu curves back; the rest were summarised as they were made\n",
                    lg->curves_read, lg->ncurves);
        if (nspilled)
            fprintf(stderr, "timing: %zu log records went through a temporary file (ARENA_LOG_MEMORY)\n", nspilled);
    }
    rc = cas_failed ? AR_EXIT_FAIL : AR_EXIT_OK;
out:
    curve_out_free(&co);
    ar_run_writer_abort(wr);
    if (run_tmp_set) guard_tmp(out_path, 0);
    ar_shard_paths_free(shards, nshards);
    ar_cassette_free(cas);
    ar_league_free(lg);
    ar_run_free(run);
    ar_market_free(m);
    guard_map(NULL, 0);
    ar_config_free(cfg);
    return rc;
}
