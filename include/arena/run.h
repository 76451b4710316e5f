/* include/arena/run.h - a finished (or loaded) run as plain data.
 *
 * The engine produces an ar_run, the store writes it to a run file
 * (docs/RUNFILE.md) and reads it back, and the league table consumes it.
 * Everything is owned by the ar_run and released by ar_run_free. */
#ifndef ARENA_RUN_H
#define ARENA_RUN_H

#include <stdint.h>
#include <stddef.h>
#include "arena/exec.h"

#define AR_NAME_MAX 64

typedef struct ar_equity_src ar_equity_src;
typedef struct ar_spill ar_spill;

/* Where a log's rows went when they left memory during a run: runs of rows
 * appended to the run's spill file, in row order. */
typedef struct ar_spill_seg {
    uint64_t off; /* byte offset in the spill file */
    size_t rows;
} ar_spill_seg;
typedef struct ar_log_segs {
    size_t n, cap;
    ar_spill_seg *v;
    ar_spill *spill; /* the file they are in (borrowed; set by ar_spill_append) */
} ar_log_segs;
#define AR_SPILL_EQUITY 4 /* the slot of ar_run_agent.spilled holding a curve that went to the spill */

typedef struct ar_equity_rec {
    int64_t t;
    double equity, cash, gross_exposure;
} ar_equity_rec;

typedef struct ar_decision_rec {
    int64_t t;
    int32_t n_actions;  /* actions the agent returned */
    int32_t n_rejected; /* of which rejected */
    int32_t status;     /* 0 ok, 1 invalid answer treated as hold */
    int32_t reason;     /* ar_reason of the first problem, 0 none */
    double equity;      /* equity at the decision */
} ar_decision_rec;

/* One model call of an llm (or exec/http) agent at one decision. Prompt
 * texts live once per run in ar_run.prompts (deduplicated); the answer text
 * lives in the agent's answers blob. */
typedef struct ar_llm_rec {
    int64_t t;              /* decision time */
    int32_t prompt_system;  /* index into ar_run.prompts, -1 none */
    int32_t prompt_user;    /* index into ar_run.prompts */
    int32_t status;         /* 0 answer used; 1 invalid or failed: treated as hold */
    int32_t reason;         /* ar_reason */
    int32_t http_status, attempts;
    int32_t n_actions;      /* actions in the answer */
    int32_t n_accepted;     /* of which became orders */
    int32_t cached;         /* reserved, always 0: a replayed run must equal the recorded one */
    int32_t pad_;
    double latency_ms;
    double cost_usd;        /* NAN when the agent has no price */
    int64_t tokens_in, tokens_out;
    int64_t answer_off, answer_len; /* bytes in ar_run_agent.answers */
    int64_t actions_off, actions_len; /* parsed actions (canonical JSON) in answers */
} ar_llm_rec;

typedef struct ar_run_agent {
    char name[AR_NAME_MAX];
    char kind[16];            /* builtin, llm, exec, http */
    char detail[AR_NAME_MAX]; /* strategy name or provider/model */
    int32_t baseline;         /* 1 when added by `baselines` */
    double capital, final_equity, fees, funding;
    size_t norders, nfills, ntrades, nfunding, nequity, ndecisions;
    ar_order_rec *orders;
    ar_fill_rec *fills;
    ar_trade_rec *trades;
    ar_funding_rec *funding_log;
    ar_equity_rec *equity;       /* one sample per decision time, plus the final mark */
    ar_decision_rec *decisions;
    size_t nllm;
    ar_llm_rec *llm;          /* one per model call (llm/exec/http agents) */
    size_t answers_len;
    char *answers;            /* answer texts and parsed actions, concatenated (not NUL-separated) */
    /* A log whose array is NULL while its count is not 0 is elsewhere:
     * in the run's spill when spilled[log].n > 0 (spilled: NULL or
     * AR_LOG_SLOTS lists), else in the run file (ar_run.eqsrc). Read
     * it with ar_run_log_rows. The same for the equity curve, in slot
     * AR_SPILL_EQUITY (ar_run_equity_rows). */
    ar_log_segs *spilled;
} ar_run_agent;

typedef struct ar_run_episode {
    int32_t window;   /* window index */
    uint64_t seed;
    int64_t start, end;
    size_t nagents;
    ar_run_agent *agents;
} ar_run_episode;

typedef struct ar_run {
    char name[128];
    char *config_json;   /* the config as given, canonical JSON (sorted keys) */
    char *manifest_json; /* data sha256, arena version, seed */
    int64_t cadence;
    double capital;
    int32_t mode;        /* ar_mode */
    size_t nsym;
    char (*symbols)[AR_SYM_MAX];
    size_t nepisodes;
    ar_run_episode *episodes;
    size_t nprompts;
    char **prompts;      /* distinct prompt texts, in first-use order */
    int32_t rescored;    /* 1: answers replayed from a cassette under other execution settings */
    ar_equity_src *eqsrc; /* owned; where agents with equity NULL keep their curves (may be NULL) */
    ar_spill *spill;      /* owned; where spilled logs are until the run file has them (may be NULL) */
    size_t lean_kept;     /* bytes a lazy read kept in memory against the process's budget (ar_run_free) */
} ar_run;

void ar_run_free(ar_run *r);         /* NULL: no-op */
void ar_run_agent_cleanup(ar_run_agent *a);

/* Write the run file: tmp name, rename when complete (store module).
 * The same as ar_run_writer_open(path, r) then ar_run_writer_finish(r). */
ar_err ar_run_h5_write(const char *path, const ar_run *r, ar_errbuf *eb);

/* A run file written while the run goes on, so that equity curves need not
 * stay in memory (store module).
 *
 * ar_run_writer_open lays out the file under a temporary name from a
 * skeleton: a run whose episodes have their agents (name, nequity) and
 * nothing else needed (ar_tournament_skeleton makes one). Each agent's
 * equity dataset is allocated in full there. ar_run_writer_equity then puts
 * rows [off, off + n) of episode ep's agent (index in its episode); it may
 * be called from any thread (calls are serialised), in any order. Blocks of
 * AR_EQUITY_BLOCK rows starting at multiples of it are written straight to
 * the file. ar_run_writer_finish writes everything else from the finished
 * run r (same episodes, agent names and nequity as the skeleton; an agent
 * whose equity is NULL must have had all its rows handed in or have them
 * in r's spill (ar_run_agent.spilled[AR_SPILL_EQUITY]), one whose equity
 * is set has it written now), closes and renames into place, and
 * frees the writer, also on failure (nothing is left behind then).
 * ar_run_writer_abort removes the unfinished file. The bytes depend only on
 * the skeleton and r, never on the order or thread of the equity calls. */
#define AR_EQUITY_BLOCK 8192
typedef struct ar_run_writer ar_run_writer;
ar_err ar_run_writer_open(const char *path, const ar_run *skeleton, ar_run_writer **out, ar_errbuf *eb);
ar_err ar_run_writer_equity(ar_run_writer *w, size_t ep, size_t agent, size_t off, const ar_equity_rec *recs,
                            size_t n, ar_errbuf *eb);
ar_err ar_run_writer_finish(ar_run_writer *w, const ar_run *r, ar_errbuf *eb);
void ar_run_writer_abort(ar_run_writer *w); /* NULL: no-op */

/* Equity curves that stay in a run file: an agent whose `equity` is NULL
 * while nequity > 0 has its rows read from here in blocks (league.c).
 * ar_equity_src_open names a run file for that (it must exist; it is
 * opened at the first read, which fails if the file was replaced or
 * changed meanwhile, or is not a run file); read puts rows
 * [off, off + n) of /episodes/<ep>/agents/<agent>/equity into out. */
ar_err ar_equity_src_open(const char *path, ar_equity_src **out, ar_errbuf *eb);
ar_err ar_equity_src_read(ar_equity_src *s, size_t ep, const char *agent, size_t off, size_t n, ar_equity_rec *out,
                          ar_errbuf *eb);
void ar_equity_src_free(ar_equity_src *s); /* NULL: no-op */
/* The same for rows [off, off + n) of log `log` of that agent (records of
 * ar_log_size(log) bytes, padding zeroed). */
ar_err ar_equity_src_read_log(ar_equity_src *s, ar_log log, size_t ep, const char *agent, size_t off, size_t n,
                              void *out, ar_errbuf *eb);

/* Rows [off, off + n) of agent a's equity curve (a belongs to r): copied
 * from a->equity, or read through r->eqsrc when the curve stayed in the
 * file. AR_EINVAL when the rows are out of range or the curve is nowhere. */
ar_err ar_run_equity_rows(const ar_run *r, const ar_run_agent *a, size_t off, size_t n, ar_equity_rec *out,
                          ar_errbuf *eb);
/* Logs that leave memory while a run goes on (store module): an unnamed
 * temporary file in the directory of `near` (the run file's path), gone
 * when it is freed or the process ends. ar_spill_append puts n records of
 * size bytes at the end and adds them to segs, which then name s (any
 * thread; appends are serialised; one segs list stays in one spill).
 * ar_spill_read puts rows [off, off + n) of the log that segs describes
 * into out, from the spill segs names. */
ar_err ar_spill_open(const char *near, ar_spill **out, ar_errbuf *eb);
ar_err ar_spill_append(ar_spill *s, ar_log_segs *segs, const void *recs, size_t n, size_t size, ar_errbuf *eb);
ar_err ar_spill_read(const ar_log_segs *segs, size_t off, size_t n, size_t size, void *out, ar_errbuf *eb);
void ar_spill_free(ar_spill *s); /* NULL: no-op */
void ar_log_segs_free(ar_log_segs *segs); /* AR_LOG_SLOTS lists; NULL: no-op */

/* Rows [off, off + n) of log `log` of agent a (a belongs to r): copied from
 * memory, read from the spill its segments are in, or read through
 * r->eqsrc from the run file.
 * Records are zeroed first, so padding reads as zeros. AR_EINVAL when the
 * rows are out of range or the log is nowhere. */
ar_err ar_run_log_rows(const ar_run *r, const ar_run_agent *a, ar_log log, size_t off, size_t n, void *out,
                       ar_errbuf *eb);
/* Record size, count and rows in memory (NULL when they are elsewhere or
 * there are none) of log `log` of a. */
size_t ar_log_size(ar_log log);
size_t ar_run_log_count(const ar_run_agent *a, ar_log log);
const void *ar_run_log_data(const ar_run_agent *a, ar_log log);
/* After the run file has every spilled log: forget the spill (the logs are
 * read from r->eqsrc, which must be open on that file from now on). */
void ar_run_logs_in_file(ar_run *r);

/* Read a run file written by ar_run_h5_write. */
ar_err ar_run_h5_read(const char *path, ar_run **out, ar_errbuf *eb);
/* The same, but the equity curves stay in the file: agents come back with
 * equity NULL, nequity set and the run's eqsrc open on the file, so a
 * league over it reads them block by block (memory independent of their
 * length). Small curves (64 KiB at most) are read anyway while the
 * process's budget for them lasts (ar_run_read_memory, ar_run.lean_kept);
 * eqsrc is NULL when nothing stayed in the file. A live file still being
 * written is read whole. However many runs are read, only a share of the
 * descriptor limit (an eighth, at most 64) holds a file open: past it the
 * file opened last is closed, and opened again when read. */
ar_err ar_run_h5_read_lazy(const char *path, ar_run **out, ar_errbuf *eb);
/* The process's budget for the small tables lazy reads keep in memory
 * (default AR_READ_MEMORY_DEFAULT; 0: every table stays in its file). It
 * changes where rows wait, never what is read. */
#define AR_READ_MEMORY_DEFAULT ((size_t)64 << 20)
void ar_run_read_memory(size_t bytes);
/* Lazier still: the record logs (orders, fills, trades, funding,
 * decisions) stay in the file too, their arrays NULL and counts set; read
 * them with ar_run_log_rows. Model call records and answers are read. */
ar_err ar_run_h5_read_lean(const char *path, ar_run **out, ar_errbuf *eb);

#endif
