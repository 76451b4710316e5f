/* include/arena/live_store.h - run files written while a live run goes on.
 *
 * A live run file has layout v1 (docs/RUNFILE.md) with one episode, plus
 * /episodes/0/ticks (market ticks as they arrived) and per agent a `state`
 * log of account snapshots, and root attribute @live (1 while written or
 * after a crash, 2 after a clean close). Every dataset is created empty,
 * chunked and unlimited before the writer switches the file to HDF5
 * single-writer/multiple-reader mode (SWMR, HDF5 1.10 libver latest), after
 * which records are only appended: readers (`arena table`, `arena serve`,
 * h5py with swmr=True) may open the file at any time, and after a crash
 * (kill -9) it holds everything up to the last ar_live_writer_flush.
 * docs/LIVE.md "Run files while live" says what a crash loses and how other
 * HDF5 tools open such a file.
 *
 * Unlike ar_run_h5_write, a live file is not byte-deterministic (what reaches
 * the disk depends on when flushes happen), but the order of writes is
 * fixed: datasets in layout order at creation, records in call order.
 *
 * The store module (HDF5) is not thread-safe: one thread owns a writer and
 * makes every call of this header. */
#ifndef ARENA_LIVE_STORE_H
#define ARENA_LIVE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "arena/exec.h"
#include "arena/run.h"

#define AR_TICK_GAP 2

/* One market tick (trade or mark) of /episodes/0/ticks. */
typedef struct ar_tick_rec {
    int64_t t;     /* exchange time, ns */
    int32_t sym;   /* index into /symbols */
    int32_t side;  /* +1 buyer-initiated trade, -1 seller-initiated, 0 unknown or a mark/quote,
                      AR_TICK_GAP: the feed lost data before t (sym -1, price NAN) */
    double price;  /* money */
    double qty;    /* base units traded; 0 for a mark */
} ar_tick_rec;

/* One row of an agent's `state` log. A snapshot is nsym rows sharing t and
 * seq, one per symbol (flat positions included), with the account-wide
 * values repeated on each row; seq counts snapshots from 1, so a row of
 * zeros (space allocated but not written before a crash) is never taken for
 * one. */
typedef struct ar_live_state_rec {
    int64_t t;        /* snapshot time, ns */
    int64_t seq;      /* snapshot number, 1, 2, ... */
    int32_t sym;      /* symbol index of this row */
    int32_t nsym;     /* rows in the snapshot */
    double cash, equity;
    double fees, funding; /* totals so far: fees paid, funding paid (> 0) */
    double qty, entry, margin, leverage, tp, sl, liq; /* ar_position; NAN tp/sl/liq = none */
    int64_t t_open;
    int64_t nfills;   /* rows in the agent's fills log when the snapshot was taken */
} ar_live_state_rec;

typedef struct ar_live_writer ar_live_writer;

/* Create a live run file at path (replacing one there). header gives name,
 * config, manifest, cadence, capital, mode, symbols and exactly one episode
 * whose agents carry names, kinds, details, baseline flags and capital;
 * their record arrays must be empty, and the run's prompts too. The file is
 * built under "<path>.tmp-<pid>", renamed into place and then switched to
 * SWMR, so readers never see it half laid out. NULL with eb filled on
 * failure (AR_EINVAL for a header that is not one empty episode, AR_EIO). */
ar_live_writer *ar_live_writer_create(const char *path, const ar_run *header, ar_errbuf *eb);

/* Continue writing a live file after a crash (or a clean close): clears the
 * superblock's open-for-write mark the crash left (as `h5clear -s` does),
 * sets @live back to 1 and reopens in SWMR write mode. Appends continue
 * after the last rows on disk. Refuses a file without @live. The caller
 * must be sure no other writer has the file open. */
ar_live_writer *ar_live_writer_open_append(const char *path, ar_errbuf *eb);

/* Agent index (episode order) by name; -1 when none. */
int ar_live_writer_agent(const ar_live_writer *w, const char *name);
size_t ar_live_writer_nsym(const ar_live_writer *w);

/* Append n records to agent's log (n = 0: no-op). Orders are appended once
 * they are final (filled, rejected, cancelled, expired); pending orders are
 * not in the file. AR_EINVAL for a bad agent index, AR_EIO when HDF5 fails
 * (the writer should then be closed). Records reach the disk at the next
 * flush. */
ar_err ar_live_append_ticks(ar_live_writer *w, const ar_tick_rec *recs, size_t n, ar_errbuf *eb);
ar_err ar_live_append_orders(ar_live_writer *w, int agent, const ar_order_rec *recs, size_t n, ar_errbuf *eb);
ar_err ar_live_append_fills(ar_live_writer *w, int agent, const ar_fill_rec *recs, size_t n, ar_errbuf *eb);
ar_err ar_live_append_trades(ar_live_writer *w, int agent, const ar_trade_rec *recs, size_t n, ar_errbuf *eb);
ar_err ar_live_append_funding(ar_live_writer *w, int agent, const ar_funding_rec *recs, size_t n, ar_errbuf *eb);
ar_err ar_live_append_equity(ar_live_writer *w, int agent, const ar_equity_rec *recs, size_t n, ar_errbuf *eb);
ar_err ar_live_append_decisions(ar_live_writer *w, int agent, const ar_decision_rec *recs, size_t n,
                                ar_errbuf *eb);
/* Model calls: prompt indices from ar_live_add_prompt, answer/actions
 * offsets from ar_live_append_answer (checked like ar_run_h5_write does). */
ar_err ar_live_append_llm(ar_live_writer *w, int agent, const ar_llm_rec *recs, size_t n, ar_errbuf *eb);
/* Append len bytes to agent's answers blob; *off (may be NULL) gets where
 * they start. */
ar_err ar_live_append_answer(ar_live_writer *w, int agent, const char *text, size_t len, int64_t *off,
                             ar_errbuf *eb);
/* The /prompts row of text, appending it when it was not stored before
 * (prompts are stored once per run). */
ar_err ar_live_add_prompt(ar_live_writer *w, const char *text, int32_t *index, ar_errbuf *eb);

/* Remember agent's account state at t (pos: one ar_position per symbol,
 * copied); the next flush appends it to the agent's state log as one
 * snapshot. Calling it again before the flush replaces it. */
ar_err ar_live_set_state(ar_live_writer *w, int agent, int64_t t, double cash, double equity, double fees,
                         double funding, const ar_position *pos, ar_errbuf *eb);

/* Append the pending state snapshots, then flush everything to the disk
 * (H5Fflush): what a crash after this returns cannot lose. Call at least
 * every second while records arrive. */
ar_err ar_live_writer_flush(ar_live_writer *w, ar_errbuf *eb);

/* Flush, close, then reopen the file normally to set each agent's
 * final_equity/fees/funding from its records, the episode's @end (when it
 * was not after @start) to the last equity sample and @live to 2: the file
 * then reads like any finished run. Frees w in every case (NULL: no-op);
 * AR_EIO when a step failed (the records flushed before stay readable). */
ar_err ar_live_writer_close(ar_live_writer *w, ar_errbuf *eb);

/* ---- resuming ----------------------------------------------------------- */

typedef struct ar_live_agent_state {
    char name[AR_NAME_MAX];
    int have;              /* 0: no complete snapshot yet (start from capital) */
    int64_t t;             /* time of the last complete snapshot */
    double cash, equity, fees, funding;
    ar_position *pos;      /* nsym entries (NULL when !have) */
    size_t nfills_after;   /* fills on disk that came after the snapshot: */
    ar_fill_rec *fills_after; /* apply them on top of pos and cash (no fill is lost) */
    int64_t last_equity_t; /* last equity sample, 0 none */
    double last_equity;    /* its equity, NAN none */
    size_t norders, nfills, ndecisions; /* rows on disk */
} ar_live_agent_state;

typedef struct ar_live_state {
    char *config_json;     /* the file's @config, for the "config must match" check */
    int32_t live;          /* @live: 1 open or crashed, 2 closed cleanly */
    size_t nsym;
    char (*symbols)[AR_SYM_MAX];
    int64_t last_tick_t;   /* 0 when no tick */
    size_t nticks;
    size_t nagents;
    ar_live_agent_state *agents; /* episode order */
} ar_live_state;

/* Read what a resumed live run needs from path (opened read-only, with
 * SWMR read when the file is marked open for writing). AR_EFORMAT when the
 * file is not a live run file. The caller owns *out (ar_live_state_free). */
ar_err ar_live_state_read(const char *path, ar_live_state **out, ar_errbuf *eb);
void ar_live_state_free(ar_live_state *s); /* NULL: no-op */

#endif
